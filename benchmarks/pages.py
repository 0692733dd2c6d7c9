"""The book's pages on a phone: Lighthouse (npm, mobile preset) on every page, served with gzip.

The book is built from a private copy of the repository and served on loopback with
compression, as a host would; Lighthouse runs three times per page in Debian's Chromium and the
medians are kept. Scores vary from run to run and from machine to machine, so each page's
performance is judged against a floor measured in the same run: a one-paragraph page (``FLOOR``)
added to the copy's docs/ and built with the book, so it has the book's theme, styles and fonts.
Scores live here, never in the tests.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from benchmarks.build import ROOT, build, private_copy
from benchmarks.rows import Row

PART, PHONE = "pages", "Lighthouse mobile, Chromium"
LIGHTHOUSE = [
    str(ROOT / "node_modules" / ".bin" / "lighthouse"),
    "--output=json",
    "--output-path=stdout",
    "--quiet",
]
FLAGS = "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking"
# The floor: what the book's configuration costs a page with nothing on it (an orphan: in no toctree).
FLOOR = "lighthouse-floor"
FLOOR_PAGE = """---
orphan: true
---

# A page with one paragraph

This page holds one paragraph of prose and nothing else: no math, no code, no table, no figure.
"""
MARGIN = 5  # points of performance score a page may trail the floor by
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


class Gzipped(http.server.SimpleHTTPRequestHandler):
    """Each file gzipped for a client that accepts it, as a web host sends it."""

    def do_GET(self) -> None:  # http.server's name for it
        path = Path(self.translate_path(self.path))
        if not path.is_file() or "gzip" not in self.headers.get("Accept-Encoding", ""):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        for header, value in (
            ("Content-Type", self.guess_type(str(path))),
            ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(body))),
        ):
            self.send_header(header, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def audit(url: str) -> dict[str, float]:
    env = {**os.environ, "CHROME_PATH": shutil.which("chromium") or "chromium"}
    report = json.loads(
        subprocess.run([*LIGHTHOUSE, url, FLAGS], capture_output=True, text=True, check=True, env=env).stdout
    )
    audits = report["audits"]
    return {
        **{c: 100 * report["categories"][c]["score"] for c in CATEGORIES},
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "lcp": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "kB": audits["total-byte-weight"]["numericValue"] / 1000,
        "requests": len(audits["network-requests"]["details"]["items"]),
    }


def rows(quick: bool = False) -> list[Row]:
    def row(what: str, value: float, op: str, bound: float, unit: str = "", note: str = "") -> Row:
        return Row(PART, what, value, unit=unit, op=op, bound=bound, on="value", device=PHONE, note=note)

    out: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="linreg-pages-") as tmp:
        copy = private_copy(Path(tmp))
        (copy / "docs" / f"{FLOOR}.md").write_text(FLOOR_PAGE)
        build(copy)
        html = copy / "docs" / "_build" / "html"
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Gzipped, directory=str(html))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        pages = sorted(
            p.name for p in html.glob("*.html") if p.stem not in ("genindex", "search", "py-modindex")
        )
        medians = {}
        for page in pages:
            runs = [
                audit(f"http://127.0.0.1:{server.server_address[1]}/{page}") for _ in range(1 if quick else 3)
            ]
            medians[page] = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]}
        server.shutdown()
    floor = medians.pop(f"{FLOOR}.html")
    out.append(
        row(f"{FLOOR}.html: performance score (the floor)", floor["performance"], ">=", 0, note=note(floor))
    )
    for page, m in medians.items():
        bound = floor["performance"] - MARGIN
        out.append(row(f"{page}: performance score", m["performance"], ">=", bound, note=note(m)))
    for category in CATEGORIES[1:]:
        out.append(
            row(f"lowest {category} score of any page", min(m[category] for m in medians.values()), ">=", 100)
        )
    out.append(
        row("largest layout shift (CLS) of any page", max(m["cls"] for m in medians.values()), "<=", 0.01)
    )
    out.append(
        row("heaviest page, first visit, gzipped", max(m["kB"] for m in medians.values()), "<=", 600, "kB")
    )
    return out


def note(m: dict[str, float]) -> str:
    return f"CLS {m['cls']:.3f}, LCP {m['lcp']:.1f} s, {m['kB']:.0f} kB in {m['requests']:.0f} requests"
