"""The reader's view: every page of the built book, in headless Chromium, offline.

The book is built once (the `book` fixture: from scratch, forced execution), served on
loopback, and every page is toured once in a fresh browser context (`tour`): first in light
mode, then switched to dark mode with the theme's own button, as a reader would. Requests
that leave the site are blocked and recorded. The tests below then judge what the tour saw:
equations typeset, figures loaded, no console errors, no failed or third-party requests,
internal links that resolve, the executed notebook behind the download button, dark mode, and
screenshots of each page (light and dark) under docs/_build/test-artifacts/.
"""

from __future__ import annotations

import io
import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from PIL import Image, ImageDraw
from tests.conftest import ARTIFACTS, sphinx

pytestmark = [pytest.mark.book, pytest.mark.browser]

# Folders of the built site that hold assets, not pages.
ASSET_FOLDERS = {"_static", "_sources", "_images", "_downloads"}
# WCAG's minimum contrast for graphics and large text: what counts as legible ink.
LEGIBLE = 3.0
# Of the figure's ink legible in light mode, the share that must stay legible in dark mode.
KEPT = 0.9

# Raw TeX a reader must never see: delimiters, environments, control words (outside code).
RAW_TEX = re.compile(r"\\[()\[\]]|\$\$|\\begin\{|\\[A-Za-z]{2,}")

WAIT_FOR_MATH = """async () => {
  if (!document.querySelector('.math, script[src*="mathjax"]')) return {needed: false};
  const deadline = Date.now() + 20000;
  while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
    if (Date.now() > deadline) return {needed: true, loaded: false};
    await new Promise(r => setTimeout(r, 50));
  }
  await MathJax.startup.promise;
  return {needed: true, loaded: true, version: MathJax.version};
}"""

WAIT_FOR_IMAGES = """async () => {
  await Promise.all([...document.images].map(img => {
    img.loading = 'eager';
    if (img.complete) return null;
    return new Promise(done => {
      img.addEventListener('load', done); img.addEventListener('error', done); setTimeout(done, 10000);
    });
  }));
}"""

COLLECT = r"""(raw) => {
  const rawTex = new RegExp(raw);
  const code = 'script, style, pre, code, kbd, samp, textarea, mjx-container, .highlight';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const rawText = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement || node.parentElement.closest(code)) continue;
    if (rawTex.test(node.textContent)) rawText.push(node.textContent.trim().slice(0, 160));
  }
  const maths = [...document.querySelectorAll('.math')];
  return {
    theme: document.documentElement.dataset.theme || '',
    maths: maths.length,
    typeset: document.querySelectorAll('mjx-container').length,
    untypeset: maths.filter(m => !m.querySelector('mjx-container'))
      .map(m => m.textContent.trim().slice(0, 160)),
    mathErrors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 160)),
    rawText: rawText,
    images: [...document.images]
      .map(i => ({src: i.currentSrc || i.src, complete: i.complete, width: i.naturalWidth})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href).filter(h => /^https?:/.test(h)),
    cells: document.querySelectorAll('div.cell').length,
    outputs: [...document.querySelectorAll(
      '.cell_output .output.stream pre, .cell_output .output.text_plain pre')].map(p => p.innerText),
    outputImages: document.querySelectorAll('.cell_output img').length,
    notebook: (document.querySelector('a.btn-download-notebook-button') || {}).href || null,
    icon: (document.querySelector('link[rel~="icon"]') || {}).href || null,
  };
}"""


@dataclass
class Visit:
    """What one page showed and did, in light and in dark mode."""

    path: str
    math: dict[str, Any] = field(default_factory=dict)
    light: dict[str, Any] = field(default_factory=dict)
    dark: dict[str, Any] = field(default_factory=dict)
    figures: list[tuple[str, bytes, bytes]] = field(default_factory=list)  # (src, light png, dark png)
    notebook_visible: bool = False
    notebook: bytes | None = None
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)
    error: str | None = None


def book_pages(html: Path) -> list[str]:
    """Every HTML page of the built site, as a path relative to its root."""
    pages = []
    for file in sorted(html.rglob("*.html")):
        relative = file.relative_to(html)
        if not ASSET_FOLDERS & set(relative.parts[:-1]):
            pages.append(relative.as_posix())
    return pages


def artifact_name(path: str, mode: str) -> Path:
    return ARTIFACTS / f"{path.removesuffix('.html').replace('/', '__')}.{mode}.png"


def switch_to_dark(tab: Any) -> None:
    """Dark mode the way a reader gets it: the theme's colour-mode menu, then "Dark"."""
    tab.click(".theme-switch-button")
    tab.click(".theme-change-button[data-mode=dark]")
    tab.wait_for_function("document.documentElement.dataset.theme === 'dark'", timeout=5000)
    tab.keyboard.press("Escape")
    # The menu also opens on hover: move the pointer away, as a reader would, before screenshots.
    tab.mouse.move(1, tab.viewport_size["height"] - 1)
    tab.wait_for_function(
        "getComputedStyle(document.querySelector('.theme-switch-button').closest('.dropdown')"
        ".querySelector('.dropdown-menu')).display === 'none'",
        timeout=5000,
    )


CONTENT_BOX = """img => {
  const r = img.getBoundingClientRect(), s = getComputedStyle(img), px = k => parseFloat(s[k]) || 0;
  const left = px('borderLeftWidth') + px('paddingLeft'), top = px('borderTopWidth') + px('paddingTop');
  return {
    x: r.left + left + window.scrollX, y: r.top + top + window.scrollY,
    width: r.width - left - px('paddingRight') - px('borderRightWidth'),
    height: r.height - top - px('paddingBottom') - px('borderBottomWidth'),
  };
}"""


def photograph(tab: Any, figure: Any) -> bytes:
    """What the reader sees of an image: its content box as rendered, over what lies behind it."""
    figure.scroll_into_view_if_needed()
    return tab.screenshot(clip=figure.evaluate(CONTENT_BOX), full_page=True, animations="disabled")


def screenshot(tab: Any, shot: Path) -> Path:
    """The whole page, laid out in a window as tall as the page: the theme's sticky header and
    sidebars are drawn where a reader sees them (a stitched full-page capture misplaces them)."""
    shot.parent.mkdir(parents=True, exist_ok=True)
    viewport = tab.viewport_size
    tab.evaluate("document.activeElement && document.activeElement.blur()")
    height = min(tab.evaluate("document.documentElement.scrollHeight"), 16000)
    tab.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
    try:
        tab.screenshot(path=shot, animations="disabled")
    finally:
        tab.set_viewport_size(viewport)
    return shot


def visit(open_page: Any, site: str, path: str) -> Visit:
    seen = Visit(path)
    with open_page() as tab:
        try:
            tab.goto(site + path, wait_until="load")
            seen.math = tab.evaluate(WAIT_FOR_MATH)
            tab.evaluate(WAIT_FOR_IMAGES)
            seen.light = tab.evaluate(COLLECT, RAW_TEX.pattern)
            # The book's figures (Sphinx copies every content image to _images/), each
            # photographed inside its padding and border: the same pixels in both modes.
            figures = tab.locator("article img[src*='_images/']")
            light_figures = []
            for i in range(figures.count()):
                figure = figures.nth(i)
                if figure.is_visible() and figure.evaluate("i => i.naturalWidth > 0"):
                    light_figures.append((i, figure.get_attribute("src"), photograph(tab, figure)))
            for mode in ("light", "dark"):
                if mode == "dark":
                    switch_to_dark(tab)
                    seen.dark = tab.evaluate(COLLECT, RAW_TEX.pattern)
                    for i, src, light_png in light_figures:
                        seen.figures.append((src or "", light_png, photograph(tab, figures.nth(i))))
                seen.screenshots.append(screenshot(tab, artifact_name(path, mode)))
            # The notebook behind the download button: reachable by a reader, then fetched.
            if seen.light["notebook"]:
                tab.click(".dropdown-download-buttons > button")
                seen.notebook_visible = tab.locator("a.btn-download-notebook-button").is_visible()
                response = tab.request.get(seen.light["notebook"])
                seen.notebook = response.body() if response.ok else None
        except Exception as error:  # recorded: the tests below report it per page
            seen.error = f"{type(error).__name__}: {error}"
        seen.blocked = list(tab.seen.blocked)
        seen.failed = list(tab.seen.failed)
        seen.console_errors = list(tab.seen.console_errors)
    return seen


@pytest.fixture(scope="module")
def tour(book: Path, site: str, open_page: Any) -> dict[str, Visit]:
    """Every page of the book, visited once in light and once in dark mode."""
    for old in [*ARTIFACTS.glob("*.light.png"), *ARTIFACTS.glob("*.dark.png")]:
        old.unlink()  # this run's screenshots only: a page gone from the book leaves none
    pages = book_pages(book)
    assert "index.html" in pages, f"no index.html among {pages}"
    return {path: visit(open_page, site, path) for path in pages}


def per_page(problems: dict[str, Any]) -> str:
    return "\n".join(f"{path}: {found}" for path, found in problems.items() if found)


# --- the pages load -----------------------------------------------------------------------------


def test_every_page_is_visited_without_error(tour) -> None:
    errors = {path: v.error for path, v in tour.items()}
    assert not any(errors.values()), per_page(errors)


def test_no_console_errors(tour) -> None:
    errors = {path: v.console_errors for path, v in tour.items()}
    assert not any(errors.values()), per_page(errors)


def test_no_failed_requests(tour) -> None:
    failed = {path: v.failed for path, v in tour.items()}
    assert not any(failed.values()), per_page(failed)


def test_no_request_leaves_the_site(tour) -> None:
    """Fonts, scripts, MathJax: everything a page needs is served by the site itself."""
    blocked = {path: v.blocked for path, v in tour.items()}
    assert not any(blocked.values()), per_page(blocked)


def test_the_watch_records_a_third_party_request_and_a_missing_file(page, site: str) -> None:
    """The checks above can fail: a CDN request is blocked and recorded, a 404 is a failure."""
    page.goto(site + "index.html", wait_until="load")
    page.evaluate(
        """async () => {
      await fetch('https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js').catch(() => null);
      await fetch('no-such-file.js').catch(() => null);
    }"""
    )
    assert page.seen.blocked == ["https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"]
    assert f"404 {site}no-such-file.js" in page.seen.failed


def test_every_page_declares_a_favicon_that_loads(tour, site: str) -> None:
    """Without a declared icon a browser asks for /favicon.ico: a 404 and a console error on
    every page. Chromium skips that request while Playwright intercepts requests, so the
    watch above cannot see it; this test checks the declaration instead."""
    problems = {}
    for path, v in tour.items():
        icon = v.light.get("icon")
        if not icon:
            problems[path] = "no <link rel=icon>: browsers request /favicon.ico and log a 404"
            continue
        if not icon.startswith(site):
            problems[path] = f"the icon {icon} is not served by the site"
            continue
        try:
            with urllib.request.urlopen(icon, timeout=10) as response:
                if not response.read():
                    problems[path] = f"{icon} is empty"
        except urllib.error.HTTPError as error:
            problems[path] = f"{icon}: HTTP {error.code}"
    assert not any(problems.values()), per_page(problems)


# --- equations and figures ----------------------------------------------------------------------


def test_every_equation_is_typeset_and_no_raw_tex_is_left(tour) -> None:
    problems = {}
    for path, v in tour.items():
        found = []
        if v.math.get("needed") and not v.math.get("loaded"):
            found.append("MathJax did not load")
        for mode, seen in (("light", v.light), ("dark", v.dark)):
            if seen.get("untypeset"):
                found.append(f"{mode}: untypeset {seen['untypeset']}")
            if seen.get("mathErrors"):
                found.append(f"{mode}: MathJax errors {seen['mathErrors']}")
            if seen.get("rawText"):
                found.append(f"{mode}: raw TeX in text {seen['rawText']}")
        problems[path] = found
    assert not any(problems.values()), per_page(problems)
    # The book states its math: a check that typesets nothing proves nothing.
    assert sum(v.light.get("typeset", 0) for v in tour.values()) > 0, "no page of the book shows an equation"


def test_raw_tex_check_flags_math_that_was_not_typeset(open_page) -> None:
    """The check above can fail: math that MathJax never saw is found, as element and as text."""
    with open_page() as tab:
        tab.set_content(
            r'<p>The loss <span class="math">\(L(W, b)\)</span> is</p>'
            r'<div class="math">\[\frac{1}{N}\sum_i r_i^2\]</div><pre>print("\(x\)")</pre>'
        )
        seen = tab.evaluate(COLLECT, RAW_TEX.pattern)
    assert len(seen["untypeset"]) == 2
    assert seen["rawText"] == [r"\(L(W, b)\)", r"\[\frac{1}{N}\sum_i r_i^2\]"]


# Icons drawn by CSS as private-use characters (U+E000-U+F8FF) whose font family no loaded
# font face provides: the reader sees a missing-glyph box.
MISSING_ICONS = """() => {
  const loaded = new Set([...document.fonts].filter(f => f.status === 'loaded')
                                          .map(f => f.family.replace(/["']/g, '')));
  const missing = [];
  for (const el of document.querySelectorAll('*')) {
    for (const pseudo of ['::before', '::after']) {
      const style = getComputedStyle(el, pseudo);
      const icon = [...style.content].some(c => c.codePointAt(0) >= 0xE000 && c.codePointAt(0) <= 0xF8FF);
      const families = style.fontFamily.split(',').map(f => f.trim().replace(/["']/g, ''));
      if (icon && !families.some(f => loaded.has(f))) {
        missing.push(`${el.className}${pseudo}: ${style.fontFamily}`);
      }
    }
  }
  return missing;
}"""


@pytest.mark.parametrize("height", [900, 4000])  # the theme collapses its page contents when tall
def test_every_icon_is_drawn_in_a_font_the_page_loaded(open_page, site: str, height: int) -> None:
    with open_page(viewport={"width": 1280, "height": height}) as tab:
        tab.goto(site + "walkthrough.html")
        tab.evaluate("document.fonts.ready")
        tab.wait_for_timeout(300)  # the theme toggles the sidebar's classes after load
        assert tab.evaluate(MISSING_ICONS) == []


def test_icon_check_flags_an_icon_in_a_font_that_is_not_there(open_page) -> None:
    with open_page() as tab:
        tab.set_content('<style>p::after { content: "\\f107"; font-family: "No Such Font" }</style><p>x</p>')
        assert tab.evaluate(MISSING_ICONS) == ['::after: "No Such Font"']


def test_a_local_build_reads_offline_from_disk(tour, book: Path, browser) -> None:
    """`make book` then opening docs/_build/html/index.html: file:// pages typeset their math
    with the MathJax and fonts the site ships, and ask nothing of the network."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    outside: list[str] = []
    failed: list[str] = []

    def block(route: Any) -> None:
        outside.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(https?|wss?)://"), block)
    context.on("requestfailed", lambda r: failed.append(r.url) if r.url.startswith("file:") else None)
    problems = {}
    try:
        tab = context.new_page()
        for path, v in tour.items():
            if not v.math.get("needed"):
                continue
            tab.goto((book / path).as_uri(), wait_until="load")
            math = tab.evaluate(WAIT_FOR_MATH)
            seen = tab.evaluate(COLLECT, RAW_TEX.pattern)
            broken_fonts = tab.evaluate(
                "async () => { await document.fonts.ready;"
                " return [...document.fonts].filter(f => f.status === 'error').map(f => f.family); }"
            )
            found = [] if math.get("loaded") else ["MathJax did not load"]
            found += [f"untypeset {seen['untypeset']}"] if seen["untypeset"] or not seen["typeset"] else []
            found += [f"fonts failed: {broken_fonts}"] if broken_fonts else []
            found += [f"requests left the disk: {outside}"] if outside else []
            found += [f"failed: {failed}"] if failed else []
            problems[path] = found
            outside.clear()
            failed.clear()
    finally:
        context.close()
    assert problems, "no page of the book has math"
    assert not any(problems.values()), per_page(problems)


def test_every_image_loads(tour) -> None:
    broken = {
        path: [i["src"] for i in v.light.get("images", []) if i["width"] == 0] for path, v in tour.items()
    }
    assert not any(broken.values()), per_page(broken)
    assert sum(len(v.figures) for v in tour.values()) > 0, "no page of the book shows a figure"


# --- links --------------------------------------------------------------------------------------


def anchors(html: str) -> set[str]:
    return set(re.findall(r"""\b(?:id|name)=["']([^"']+)["']""", html))


def test_every_internal_link_resolves(tour, site: str) -> None:
    targets: dict[str, set[str]] = {}
    for path, v in tour.items():
        for href in v.light.get("links", []):
            if href.startswith(site):
                targets.setdefault(href, set()).add(path)
    assert targets, "the book has no internal links"
    pages: dict[str, tuple[int, str]] = {}
    broken = []
    for href, sources in sorted(targets.items()):
        url, _, fragment = href.partition("#")
        if url not in pages:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    body = response.read().decode("utf-8", "replace")
                    pages[url] = (response.status, body)
            except urllib.error.HTTPError as error:
                pages[url] = (error.code, "")
        status, body = pages[url]
        if status != 200:
            broken.append(f"{href} -> HTTP {status} (linked from {sorted(sources)})")
        elif fragment and url.endswith(".html") and urllib.parse.unquote(fragment) not in anchors(body):
            broken.append(f"{href} -> no #{fragment} on that page (linked from {sorted(sources)})")
    assert not broken, "\n".join(broken)


# The open web, not a package registry (this machine reaches PyPI and nothing else).
SENTINELS = ("www.python.org", "github.com")


def offline() -> str | None:
    """Why the open web is out of reach (the first sentinel host that refuses a connection), or None."""
    for host in SENTINELS:
        try:
            with socket.create_connection((host, 443), timeout=3):
                pass
        except OSError as error:
            return f"{host}:443: {error}"
    return None


def test_external_links_resolve_when_online(book: Path, tmp_path: Path) -> None:
    why = offline()
    if why:
        pytest.skip(f"offline ({why}): linkcheck needs the network")
    # The book's own doctrees and options: linkcheck re-reads and re-executes nothing.
    run = sphinx(
        "linkcheck",
        tmp_path / "linkcheck",
        book.parent / "doctrees",
        "-j",
        "auto",
        "-D",
        "nb_execution_mode=force",
    )
    report = tmp_path / "linkcheck" / "output.json"
    lines = report.read_text(encoding="utf-8").splitlines() if report.exists() else []
    broken = [json.loads(line) for line in lines if json.loads(line)["status"] == "broken"]
    assert not broken, f"linkcheck found broken links: {broken}"
    assert run.returncode == 0, f"linkcheck failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"


# --- the executed notebook ----------------------------------------------------------------------


def notebook_texts(nb: Any) -> list[str]:
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            elif "data" in output and "text/plain" in output.data:
                texts.append(output.data["text/plain"])
    return texts


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def test_download_button_returns_the_executed_notebook_with_the_outputs_the_page_shows(tour) -> None:
    notebooks = {path: v for path, v in tour.items() if v.light.get("cells")}
    assert notebooks, "no page of the book has code cells"
    problems = {}
    for path, v in notebooks.items():
        found = []
        if not v.light.get("notebook"):
            problems[path] = ["no .ipynb in the download menu"]
            continue
        if not v.notebook_visible:
            found.append("the .ipynb entry is not visible in the opened download menu")
        if v.notebook is None:
            problems[path] = [*found, f"{v.light['notebook']} could not be fetched"]
            continue
        nb = nbformat.reads(v.notebook.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        if not code or any(c.get("execution_count") is None for c in code):
            found.append("not every code cell of the notebook was executed")
        shown = [normalise(t) for t in v.light.get("outputs", [])]
        kept = {normalise(t) for t in notebook_texts(nb)}
        missing = [t[:200] for t in shown if t and t not in kept]
        if missing:
            found.append(f"outputs on the page but not in the notebook: {missing}")
        images = sum(
            1
            for c in code
            for o in c.get("outputs", [])
            if any(k.startswith("image/") for k in o.get("data", {}))
        )
        if v.light.get("outputImages", 0) > images:
            found.append(f"the page shows {v.light['outputImages']} output images, the notebook has {images}")
        problems[path] = found
    assert not any(problems.values()), per_page(problems)
    # Pages with output show numbers: at least one text output was compared.
    assert any(v.light.get("outputs") for v in notebooks.values()), "no page shows a text output to compare"


# --- dark mode ----------------------------------------------------------------------------------


def test_dark_mode_toggles(tour) -> None:
    modes = {path: (v.light.get("theme"), v.dark.get("theme")) for path, v in tour.items()}
    wrong = {path: m for path, m in modes.items() if m != ("light", "dark")}
    assert not wrong, per_page(wrong)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB pixels (..., 3) in 0..255."""
    c = rgb.astype(np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722])


def contrast(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    hi, lo = np.maximum(a, b), np.minimum(a, b)
    return (hi + 0.05) / (lo + 0.05)


def background(rgb: np.ndarray) -> float:
    """The luminance of the commonest colour on the image's border: its background."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    colours, counts = np.unique(border, axis=0, return_counts=True)
    return float(luminance(colours[counts.argmax()]))


def kept_legible(light_png: bytes, dark_png: bytes) -> float | None:
    """Of the figure's pixels that are legible ink in light mode (contrast >= 3 against the
    figure's background), the share still legible against the background in dark mode.
    None when the figure has no ink at all."""
    light = np.asarray(Image.open(io.BytesIO(light_png)).convert("RGB"))
    dark_image = Image.open(io.BytesIO(dark_png)).convert("RGB")
    if dark_image.size != (light.shape[1], light.shape[0]):
        dark_image = dark_image.resize((light.shape[1], light.shape[0]))
    dark = np.asarray(dark_image)
    ink = contrast(luminance(light), background(light)) >= LEGIBLE
    if not ink.any():
        return None
    still = contrast(luminance(dark), background(dark)) >= LEGIBLE
    return float((ink & still).sum() / ink.sum())


def test_figures_stay_readable_in_dark_mode(tour) -> None:
    figures = [(path, src, light, dark) for path, v in tour.items() for src, light, dark in v.figures]
    assert figures, "no page of the book shows a figure"
    unreadable = {}
    for path, src, light, dark in figures:
        share = kept_legible(light, dark)
        if share is not None and share < KEPT:
            unreadable.setdefault(path, []).append(f"{src}: {share:.0%} of its ink legible in dark mode")
    assert not unreadable, per_page(unreadable)


def figure_png(background: tuple[int, int, int, int]) -> bytes:
    """A small line chart: black axes, labels and a blue curve on the given background."""
    image = Image.new("RGBA", (240, 160), background)
    draw = ImageDraw.Draw(image)
    draw.line([(30, 10), (30, 130), (230, 130)], fill=(0, 0, 0, 255), width=2)
    for x in range(40, 230, 30):
        draw.line([(x, 130), (x, 135)], fill=(0, 0, 0, 255), width=2)
        draw.text((x - 4, 140), "0.1", fill=(0, 0, 0, 255))
    draw.text((60, 20), "loss against epoch", fill=(0, 0, 0, 255))
    draw.line([(32, 20), (80, 90), (140, 115), (228, 125)], fill=(31, 119, 180, 255), width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("figure_background", "readable"), [((255, 255, 255, 255), True), ((0, 0, 0, 0), False)]
)
def test_readability_check_flags_black_ink_on_a_transparent_figure_in_dark_mode(
    open_page, figure_background, readable
) -> None:
    """The check above can fail: a transparent figure with black ink, shown on a dark page with
    nothing behind it, is flagged; the same figure on its own white background is not."""
    import base64

    src = "data:image/png;base64," + base64.b64encode(figure_png(figure_background)).decode()
    shots = []
    with open_page() as tab:
        for page_background in ("#ffffff", "#121212"):
            tab.set_content(f'<body style="margin:0;background:{page_background}"><img src="{src}"></body>')
            shots.append(tab.locator("img").screenshot())
    share = kept_legible(*shots)
    assert share is not None
    assert (share >= KEPT) is readable, f"{share:.0%} of the ink stayed legible"


# --- artifacts ----------------------------------------------------------------------------------


def test_a_screenshot_of_each_page_is_saved_in_light_and_dark(tour) -> None:
    missing = {}
    for path in tour:
        expected = [artifact_name(path, "light"), artifact_name(path, "dark")]
        missing[path] = [
            str(p) for p in expected if not p.is_file() or not p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        ]
    assert not any(missing.values()), per_page(missing)
