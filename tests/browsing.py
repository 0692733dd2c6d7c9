"""The browser tests' helpers: requests that leave the site blocked and recorded, pages watched."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.pages import ROOT

# Test artifacts (screenshots) live under the build folder, beside the book `make book` builds.
ARTIFACTS = ROOT / "docs" / "_build" / "test-artifacts"


@dataclass
class Seen:
    """What a page did: requests blocked for leaving the site, failed requests (network errors
    and HTTP error statuses, ``404 http://...``), and console errors."""

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


def watch(context: Any, site: str) -> Seen:
    """Block and record every request of ``context`` that leaves ``site``; record failures and errors."""
    seen = Seen()

    def route(r: Any) -> None:
        if r.request.url.startswith((site, "data:", "blob:")):
            r.continue_()
        else:
            seen.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    context.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
    context.on("weberror", lambda e: seen.console_errors.append(str(e.error)))
    context.on("requestfailed", lambda r: seen.failed.append(r.url) if r.url.startswith(site) else None)
    context.on(
        "response",
        lambda r: (
            seen.failed.append(f"{r.status} {r.url}") if r.url.startswith(site) and r.status >= 400 else None
        ),
    )
    return seen


@contextlib.contextmanager
def watched_page(browser: Any, site: str, **options: Any) -> Iterator[Any]:
    """A page in a fresh context of its own (``options`` go to ``new_context``), watched; ``page.seen``."""
    context = browser.new_context(
        **{"viewport": {"width": 1280, "height": 900}, "color_scheme": "light", **options}
    )
    seen = watch(context, site)
    try:
        page = context.new_page()
        page.seen = seen
        yield page
    finally:
        context.close()
