"""The reader's view: every page of the built book in headless Chromium, offline, as a reader sees it.

Each page is toured once (the ``tour`` fixture): at 1280 px in light mode, switched to dark mode
with the theme's own button, then at 390 px (a phone) in both modes. Requests that leave the
site are blocked and recorded. The tests then judge what the tour saw: nothing wider than the
screen, equations rendered, figures that follow the theme and stay legible, no harness in
sight, no console errors or failed requests, links that resolve, axe-core's accessibility
rules; and they save screenshots of each page under docs/_build/test-artifacts/.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from PIL import Image, ImageDraw
from tests.browsing import ARTIFACTS, Seen, watched_page
from tests.pages import PDF, ROOT

pytestmark = pytest.mark.browser  # and `book` where a test uses the built book (conftest)
ASSET_FOLDERS = {"_static", "_sources", "_images", "dist", "notebooks"}
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
LEGIBLE = 3.0  # WCAG's minimum contrast for graphics and large text: what counts as legible ink
KEPT = 0.9  # of a figure's ink legible in light mode, the share that must stay legible in dark mode
RAW_TEX = re.compile(r"\\[()\[\]]|\$\$|\\begin\{|\\[A-Za-z]{2,}")  # TeX a reader must never see

COLLECT = r"""(raw) => {
  const rawTex = new RegExp(raw);
  const skip = 'script, style, pre, code, .katex, textarea';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const rawText = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement && !node.parentElement.closest(skip) && rawTex.test(node.textContent))
      rawText.push(node.textContent.trim().slice(0, 160));
  }
  const visible = e => e.offsetParent !== null || e.getClientRects().length > 0;
  const inBox = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
    if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true; return false; };
  const boxes = 'article pre, article div.math, article table, article .lr-figure, article img';
  const wide = [...document.querySelectorAll(boxes)]
    .filter(e => visible(e) && !inBox(e) && e.getBoundingClientRect().right > innerWidth + 0.5)
    .map(e => e.className || e.tagName);
  const scrolling = [...document.querySelectorAll('article div.cell pre')]
    .filter(e => visible(e) && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 60));
  const cueless = [...document.querySelectorAll('article div.math .katex-display > .katex > .katex-html')]
    .filter(e => e.scrollWidth > e.clientWidth + 1)
    .filter(e => getComputedStyle(e).overflowX !== 'auto' || getComputedStyle(e).backgroundImage === 'none')
    .map(e => e.textContent.slice(0, 60));
  const figureColours = [...document.querySelectorAll('.lr-figure svg')]
    .map(s => [...s.querySelectorAll('text, path')].slice(0, 40)
      .map(e => getComputedStyle(e).fill + getComputedStyle(e).stroke).join());
  return {
    theme: document.documentElement.dataset.theme || '',
    pageWidth: document.documentElement.scrollWidth, wide, scrolling, cueless, figureColours,
    katex: document.querySelectorAll('.katex').length,
    figureCount: document.querySelectorAll('article .lr-figure svg').length,
    clippedLeft: [...document.querySelectorAll('article div.math .katex-display > .katex')]
      .filter(k => k.getBoundingClientRect().left < k.parentElement.getBoundingClientRect().left - 1)
      .map(k => k.textContent.slice(0, 40)),
    katexErrors: document.querySelectorAll('.katex-error').length,
    rawText,
    floatingMargins: [...document.querySelectorAll('aside.margin')]
      .filter(e => getComputedStyle(e).float !== 'none').length,
    harness: /\bglue\(|\bcheck\(|import book\b/.test(document.querySelector('article')?.innerText || ''),
    images: [...document.images].map(i => ({src: i.currentSrc || i.src, width: i.naturalWidth})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href).filter(h => /^https?:/.test(h)),
    cells: document.querySelectorAll('div.cell').length,
    outputs: [...document.querySelectorAll('.cell_output .output.stream pre')].map(p => p.textContent),
    notebook: (document.querySelector('a.btn-download-notebook-button') || {}).href || null,
    icon: (document.querySelector('link[rel~="icon"]') || {}).href || null,
  };
}"""

# Icons drawn by CSS as private-use characters whose font no loaded face provides: a missing box.
MISSING_ICONS = """() => {
  const loaded = new Set([...document.fonts].filter(f => f.status === 'loaded')
    .map(f => f.family.replace(/["']/g, '')));
  const missing = [];
  for (const el of document.querySelectorAll('*')) for (const pseudo of ['::before', '::after']) {
    const style = getComputedStyle(el, pseudo);
    const icon = [...style.content].some(c => c.codePointAt(0) >= 0xE000 && c.codePointAt(0) <= 0xF8FF);
    if (icon && !style.fontFamily.split(',').some(f => loaded.has(f.trim().replace(/["']/g, ''))))
      missing.push(`${el.className}${pseudo}: ${style.fontFamily}`);
  }
  return missing;
}"""


@dataclass
class Visit:
    """What one page showed and did: per view (width and mode), and overall."""

    path: str
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    figures: list[tuple[bytes, bytes]] = field(default_factory=list)  # (light, dark) photographs
    axe: dict[str, list[str]] = field(default_factory=dict)
    missing_icons: list[str] = field(default_factory=list)
    notebook: bytes | None = None
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    error: str | None = None


def book_pages(html: Path) -> list[str]:
    return [
        p.relative_to(html).as_posix()
        for p in sorted(html.rglob("*.html"))
        if not ASSET_FOLDERS & set(p.relative_to(html).parts[:-1])
    ]


def shot(tab: Any, path: str, view: str) -> None:
    """The whole page, laid out in a window as tall as the page (sticky header and sidebars in place)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = tab.viewport_size
    tab.evaluate("document.activeElement && document.activeElement.blur()")
    height = min(tab.evaluate("document.documentElement.scrollHeight"), 16000)
    tab.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    # JPEG: a tall page encodes in about a third of PNG's time, and the tour takes 52 of them.
    target = ARTIFACTS / f"{path.removesuffix('.html')}.{view}.jpg"
    tab.screenshot(path=target, type="jpeg", quality=85, animations="disabled")
    tab.set_viewport_size(size)


def photograph(tab: Any, figure: Any) -> bytes:
    figure.scroll_into_view_if_needed()
    return cast(bytes, figure.screenshot(animations="disabled"))


def switch_to_dark(tab: Any) -> None:
    """Dark mode the way a reader gets it: the theme's colour-mode menu, then "Dark"."""
    tab.click(".theme-switch-button")
    tab.click(".theme-change-button[data-mode=dark]")
    tab.wait_for_function("document.documentElement.dataset.theme === 'dark'", timeout=5000)
    tab.keyboard.press("Escape")
    tab.mouse.move(1, tab.viewport_size["height"] - 1)  # the menu also opens on hover


# The rules that judge colours: what switching the theme can change (it leaves the markup as is).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def axe(tab: Any, rules: list[str] | None = None) -> list[str]:
    """axe-core's violations on the page (of ``rules`` only, if given), as "rule: where"."""
    tab.add_script_tag(path=str(AXE))
    options = {"resultTypes": ["violations"], **({"runOnly": rules} if rules else {})}
    found = tab.evaluate(
        "async (options) => (await axe.run(document, options)).violations"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))",
        options,
    )
    return list(found)


def visit(browser: Any, site: str, path: str) -> Visit:
    seen = Visit(path)
    with watched_page(browser, site) as tab:
        try:
            tab.goto(site + path, wait_until="load")
            # The theme fades colours when the mode changes: without the fade, what axe and the
            # screenshots see in dark mode is its final colours, not a moment of the fade.
            tab.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
            tab.evaluate("document.fonts.ready")
            seen.views["1280.light"] = tab.evaluate(COLLECT, RAW_TEX.pattern)
            seen.missing_icons = tab.evaluate(MISSING_ICONS)
            figures = tab.locator("article .lr-figure svg")
            light = [photograph(tab, figures.nth(i)) for i in range(figures.count())]
            seen.axe["light"] = axe(tab)
            shot(tab, path, "light")
            switch_to_dark(tab)
            seen.views["1280.dark"] = tab.evaluate(COLLECT, RAW_TEX.pattern)
            seen.figures = [(png, photograph(tab, figures.nth(i))) for i, png in enumerate(light)]
            seen.axe["dark"] = axe(tab, COLOUR_RULES)  # every rule ran in light mode
            shot(tab, path, "dark")
            if seen.views["1280.light"]["notebook"]:
                response = tab.request.get(seen.views["1280.light"]["notebook"])
                seen.notebook = response.body() if response.ok else None
            tab.set_viewport_size({"width": 390, "height": 844})
            for mode in ("dark", "light"):
                if mode == "light":
                    tab.evaluate("document.documentElement.dataset.theme = 'light'")
                seen.views[f"390.{mode}"] = tab.evaluate(COLLECT, RAW_TEX.pattern)
                shot(tab, path, f"phone.{mode}")
        except Exception as error:  # recorded: the tests below report it per page
            seen.error = f"{type(error).__name__}: {error}"
        seen.blocked, seen.failed, seen.console_errors = (
            tab.seen.blocked,
            tab.seen.failed,
            tab.seen.console_errors,
        )
    return seen


@pytest.fixture(scope="module")
def tour(book: Path, site: str, browser: Any) -> dict[str, Visit]:
    """Every page of the book, visited in light and dark mode, at 1280 px and 390 px."""
    for old in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("*.jpg")]:
        old.unlink()  # this run's screenshots only
    pages = book_pages(book)
    assert "index.html" in pages
    return {path: visit(browser, site, path) for path in pages}


def per_page(problems: dict[str, Any]) -> str:
    return "\n".join(f"{path}: {found}" for path, found in problems.items() if found)


def each_view(tour: dict[str, Visit], check: Any) -> dict[str, list[str]]:
    return {
        path: [f"{view}: {found}" for view, seen in v.views.items() if (found := check(seen))]
        for path, v in tour.items()
    }


# --- the pages load, whole, offline ----------------------------------------------------------


def test_every_page_is_visited_in_both_themes_at_both_widths(tour: dict[str, Visit]) -> None:
    problems = {
        path: v.error or sorted({"1280.light", "1280.dark", "390.light", "390.dark"} - set(v.views))
        for path, v in tour.items()
    }
    assert not any(problems.values()), per_page(problems)
    wrong = {path: [v.views[k]["theme"] for k in ("1280.light", "1280.dark")] for path, v in tour.items()}
    assert all(modes == ["light", "dark"] for modes in wrong.values()), per_page(wrong)


def test_no_console_errors_failed_requests_or_requests_leaving_the_site(tour: dict[str, Visit]) -> None:
    problems = {
        path: v.console_errors + v.failed + [f"blocked {u}" for u in v.blocked] for path, v in tour.items()
    }
    assert not any(problems.values()), per_page(problems)


def test_the_watch_records_a_third_party_request_and_a_missing_file(page: Any, seen: Seen, site: str) -> None:
    """The check above can fail: a CDN request is blocked and recorded, a 404 is a failure."""
    page.goto(site + "index.html", wait_until="load")
    page.evaluate(
        "async () => { await fetch('https://cdn.jsdelivr.net/npm/katex').catch(() => 0);"
        " await fetch('nope.js').catch(() => 0); }"
    )
    assert seen.blocked == ["https://cdn.jsdelivr.net/npm/katex"]
    assert f"404 {site}nope.js" in seen.failed


def test_every_page_declares_a_favicon_that_loads(tour: dict[str, Visit], site: str) -> None:
    icons = {path: v.views["1280.light"]["icon"] for path, v in tour.items()}
    assert all(icon and icon.startswith(site) for icon in icons.values()), per_page(icons)
    for icon in set(icons.values()):
        with urllib.request.urlopen(icon, timeout=10) as response:
            assert response.read()


def test_every_icon_is_drawn_in_a_font_the_page_loaded(tour: dict[str, Visit]) -> None:
    assert not any(v.missing_icons for v in tour.values()), per_page(
        {p: v.missing_icons for p, v in tour.items()}
    )


def test_icon_check_flags_an_icon_in_a_font_that_is_not_there(page: Any) -> None:
    page.set_content('<style>p::after { content: "\\f107"; font-family: "No Such Font" }</style><p>x</p>')
    assert page.evaluate(MISSING_ICONS) == ['::after: "No Such Font"']


def test_every_image_loads_and_every_internal_link_resolves(tour: dict[str, Visit], site: str) -> None:
    broken = {
        path: [i["src"] for i in v.views["1280.light"]["images"] if i["width"] == 0]
        for path, v in tour.items()
    }
    assert not any(broken.values()), per_page(broken)
    # The PDF (built with TeX, which these tests do not need) is test_pdf's: every page links it.
    targets = {
        href
        for v in tour.values()
        for href in v.views["1280.light"]["links"]
        if href.startswith(site) and href != site + PDF
    }
    assert targets, "the book has no internal links"
    bodies: dict[str, str] = {}
    bad = []
    for href in sorted(targets):
        url, _, anchor = href.partition("#")
        if url not in bodies:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    bodies[url] = response.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as error:
                bad.append(f"{href}: HTTP {error.code}")
                bodies[url] = ""
        if anchor and url.endswith(".html") and f'id="{anchor}"' not in bodies[url]:
            bad.append(f"{href}: no #{anchor}")
    assert not bad, "\n".join(bad)


# --- a phone is a first-class reader ---------------------------------------------------------


def test_nothing_is_wider_than_the_screen_at_390_or_1280_px(tour: dict[str, Visit]) -> None:
    problems = each_view(tour, lambda s: s["wide"])
    width = {
        path: [
            f"{view}: page is {s['pageWidth']} px"
            for view, s in v.views.items()
            if s["pageWidth"] > int(view.split(".")[0])
        ]
        for path, v in tour.items()
    }
    assert not any(width.values()), per_page(width)
    assert not any(problems.values()), per_page(problems)


def test_code_and_outputs_do_not_scroll_sideways_at_1280_px(tour: dict[str, Visit]) -> None:
    problems = {path: v.views["1280.light"]["scrolling"] for path, v in tour.items()}
    assert not any(problems.values()), per_page(problems)


def test_an_equation_that_scrolls_would_show_a_cue_and_margin_notes_fall_below_on_a_phone(
    tour: dict[str, Visit],
) -> None:
    cues = each_view(
        tour, lambda s: s["cueless"] + [f"starts left of its box: {t}" for t in s["clippedLeft"]]
    )
    assert not any(cues.values()), per_page(cues)
    margins = {path: v.views["390.light"]["floatingMargins"] for path, v in tour.items()}
    assert not any(margins.values()), per_page(margins)


# --- each box fits its column, at 390 px and 1280 px, in both themes ---------------------------
#
# Every page the build made, in one browser context per width and mode, the page reused from one
# address to the next. What is judged, per page and view: a display equation's box never scrolls
# (the long ones are split in their sources: nothing is left to scroll) and its number covers none
# of it; a table is no wider than its column (no scrolling either); code may scroll in its block,
# which then shows the fade that says so (a phone shows no scrollbar until touched); nothing else
# (a paragraph, a figure, a signature) is wider than the column, unless it sits in a box that
# scrolls within it; no line opens with punctuation (the mark stays on the line of what it
# follows); and the page's layout shifts from the first paint to its fonts loaded sum to 0.01 at
# most (Lighthouse weighs them in windows: the sum is the stricter). Margin notes, which sit
# beside the column at 1280 px by design, are not in it.

VIEWS = [(390, "light"), (390, "dark"), (1280, "light"), (1280, "dark")]
MAX_SHIFT = 0.01

LAYOUT = r"""() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main')
    || document.body;
  const a = article.getBoundingClientRect(), as = getComputedStyle(article);
  const column = {left: a.left + parseFloat(as.paddingLeft), right: a.right - parseFloat(as.paddingRight)};
  const visible = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'
    && !e.closest('aside.margin, aside.sidebar, .lr-eq-preview');
  const label = e => (e.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60);
  const scrolls = e => e.scrollWidth > e.clientWidth + 1;
  const cue = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
    && getComputedStyle(e).backgroundAttachment.includes('local');
  const scroller = e => { for (let p = e.parentElement; p && p !== article; p = p.parentElement)
    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return p; return null; };
  const meet = (p, q) => p.right > q.left + 0.5 && p.left < q.right - 0.5 && p.bottom > q.top + 0.5
    && p.top < q.bottom - 0.5;
  // A cell tagged full-width spans the margin too, by design: its column is the page.
  const right = e => e.closest('.tag_full-width') ? document.documentElement.clientWidth : column.right;
  const out = {equations: [], numbers: [], tables: [], code: [], wide: [], punctuation: [], clipped: [],
    checked: 0};
  const page = document.documentElement.scrollWidth;
  if (page > innerWidth) out.wide.push(`the page: ${page} px`);
  for (const m of article.querySelectorAll('div.math')) {
    if (!visible(m)) continue;
    out.checked++;
    const html = m.querySelector('.katex-html');
    if (!html) continue;
    const boxes = [m.querySelector('.katex-display'), html].filter(Boolean);
    if (boxes.some(scrolls) || boxes.some(b => b.getBoundingClientRect().right > column.right + 0.5))
      out.equations.push(label(html));
    const number = m.querySelector('.eqno'), shown = html.getBoundingClientRect();
    if (number && [...html.querySelectorAll('.base')].some(b => meet(b.getBoundingClientRect(), shown)
        && meet(b.getBoundingClientRect(), number.getBoundingClientRect())))
      out.numbers.push(label(html));
  }
  for (const t of article.querySelectorAll('table')) {
    if (!visible(t)) continue;
    out.checked++;
    const s = scroller(t);
    if (t.getBoundingClientRect().right > column.right + 0.5 || (s && scrolls(s))) out.tables.push(label(t));
  }
  for (const p of article.querySelectorAll('pre')) {
    if (!visible(p)) continue;
    out.checked++;
    if (scrolls(p) && !cue(p)) out.code.push(label(p));
  }
  const boxes = 'pre, div.math, table, .lr-figure, img, dl, .sig-param, p, li, blockquote';
  for (const e of article.querySelectorAll(boxes)) {
    if (!visible(e)) continue;
    const s = scroller(e);
    if (s && s.getBoundingClientRect().right <= right(s) + 0.5) continue;
    if (e.getBoundingClientRect().right > right(e) + 0.5) out.wide.push(`${e.tagName}: ${label(e)}`);
  }
  // A section laid out only near the screen (content-visibility) clips what reaches past it.
  for (const s of article.querySelectorAll('section')) {
    if (getComputedStyle(s).contentVisibility !== 'auto') continue;
    const edge = s.getBoundingClientRect();
    for (const e of s.querySelectorAll(':scope > *, .cell')) {
      const r = e.getBoundingClientRect();
      if (r.right > edge.right + 0.5 || r.left < edge.left - 0.5) out.clipped.push(label(e));
    }
  }
  // A text that opens with a mark must start on the line where what comes before it ends.
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!/^[.,;:!?)\]’”]/.test(node.textContent) || !parent
        || parent.closest('pre, code, .katex, script, style') || !visible(parent)) continue;
    let before = node.previousSibling, up = node.parentElement;
    while (!before && up && up !== article) { before = up.previousSibling; up = up.parentElement; }
    while (before && before.nodeType === Node.TEXT_NODE && !before.textContent.trim())
      before = before.previousSibling;
    if (!before || (before.nodeType !== Node.TEXT_NODE && !before.getClientRects)) continue;
    // A mark after a space opens a word of its own (the `...` of `tuple[int, ...]`): not glued to it.
    if (/\s$/.test(before.textContent)) continue;
    range.setStart(node, 0);
    range.setEnd(node, 1);
    const mark = range.getClientRects()[0];
    if (before.nodeType === Node.TEXT_NODE) range.selectNodeContents(before);
    const rects = before.nodeType === Node.TEXT_NODE ? range.getClientRects() : before.getClientRects();
    const last = rects[rects.length - 1];
    if (mark && last && mark.top >= last.bottom - 1)
      out.punctuation.push(`${label(before.nodeType === Node.TEXT_NODE ? before.parentElement : before)}`
        + ` | ${node.textContent.slice(0, 30)}`);
  }
  return out;
}"""

# Layout shifts from the start of each page's load: an observer installed before any of the page's
# scripts; read once the page and its fonts have loaded and two frames have been drawn.
SHIFTS_WATCH = """window.__lrShifts = [];
window.__lrShiftWatch = new PerformanceObserver(list => window.__lrShifts.push(...list.getEntries()));
window.__lrShiftWatch.observe({type: 'layout-shift', buffered: true});"""
SHIFTS = """async () => {
  await document.fonts.ready;
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  return [...window.__lrShifts, ...window.__lrShiftWatch.takeRecords()].filter(e => !e.hadRecentInput)
    .map(e => ({value: e.value,
      sources: e.sources.map(s => s.node ? (s.node.className || s.node.nodeName) : '')}));
}"""


@pytest.fixture(scope="module")
def layouts(book: Path, site: str, browser: Any) -> dict[str, dict[str, Any]]:
    """Every page's LAYOUT and layout shifts, per view ("api.html at 390 px, dark")."""
    pages = book_pages(book)
    assert {"index.html", "api.html"} <= set(pages)
    found = {}
    for width, mode in VIEWS:
        viewport = {"width": width, "height": 844 if width < 768 else 900}
        with watched_page(browser, site, viewport=viewport, color_scheme=mode) as tab:
            tab.context.add_init_script(SHIFTS_WATCH)
            for path in pages:
                tab.goto(site + path, wait_until="load")
                shifts = tab.evaluate(SHIFTS)
                seen = tab.evaluate(LAYOUT)
                seen["theme"] = tab.evaluate("document.documentElement.dataset.theme")
                found[f"{path} at {width} px, {mode}"] = {**seen, "shifts": shifts}
    return found


def judged(layouts: dict[str, dict[str, Any]], *keys: str) -> dict[str, list[str]]:
    return {view: [f"{k}: {x}" for k in keys for x in seen[k]] for view, seen in layouts.items()}


def test_every_page_is_laid_out_at_both_widths_in_both_themes(layouts: dict[str, dict[str, Any]]) -> None:
    themes = {view: seen["theme"] for view, seen in layouts.items()}
    assert all(view.endswith(theme) for view, theme in themes.items()), per_page(themes)
    assert sum(seen["checked"] for seen in layouts.values()) > 400, "fewer boxes checked than the book has"


def test_every_display_equation_fits_its_column_beside_its_number(layouts: dict[str, dict[str, Any]]) -> None:
    problems = judged(layouts, "equations", "numbers")
    assert not any(problems.values()), per_page(problems)


def test_every_table_fits_its_column(layouts: dict[str, dict[str, Any]]) -> None:
    problems = judged(layouts, "tables")
    assert not any(problems.values()), per_page(problems)


def test_code_that_scrolls_shows_it_and_nothing_else_is_wider_than_its_column(
    layouts: dict[str, dict[str, Any]],
) -> None:
    problems = judged(layouts, "code", "wide")
    assert not any(problems.values()), per_page(problems)


def test_no_section_clips_what_reaches_past_it(layouts: dict[str, dict[str, Any]]) -> None:
    """A section laid out only near the screen paints nothing beyond its box: a full-width cell
    or a margin note in one would be cut (the explorer's was, from 992 px up)."""
    problems = judged(layouts, "clipped")
    assert not any(problems.values()), per_page(problems)


def test_no_line_opens_with_punctuation(layouts: dict[str, dict[str, Any]]) -> None:
    problems = judged(layouts, "punctuation")
    assert not any(problems.values()), per_page(problems)


def test_the_layout_shifts_of_every_page_sum_to_at_most_a_hundredth(
    layouts: dict[str, dict[str, Any]],
) -> None:
    totals = {view: sum(s["value"] for s in seen["shifts"]) for view, seen in layouts.items()}
    problems = {
        view: f"{total:.4f}: {layouts[view]['shifts']}" for view, total in totals.items() if total > MAX_SHIFT
    }
    assert not problems, per_page(problems)


def test_every_pasted_value_is_drawn_in_bold(page: Any, site: str) -> None:
    """The front page's "a number in bold was pasted from the page's cells": bold is how they look."""
    page.goto(site + "walkthrough.html", wait_until="load")
    weights = page.evaluate(
        "[...document.querySelectorAll('article span.pasted-text')].map(e => +getComputedStyle(e).fontWeight)"
    )
    assert len(weights) > 10
    assert min(weights) >= 700, weights


THEME_AT_FIRST_PAINT = """window.__lrTheme = new Promise(seen => new MutationObserver((_, watch) => {
  if (document.body) { watch.disconnect(); seen(document.documentElement.dataset.theme); }
}).observe(document, {childList: true, subtree: true}));"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_page_is_first_drawn_in_the_theme_its_script_then_chooses(
    browser: Any, site: str, scheme: str
) -> None:
    """The theme's colours exist for "light" and "dark" only; its script resolves "auto" once the
    page is ready. Drawn in "auto" first, every border in those colours appeared late: at 412 px
    the API page's first paragraph gained a line (Lighthouse's CLS 0.22). When the body begins, and
    the page can first be drawn, it must already be in the theme that script then sets."""
    with watched_page(browser, site, viewport={"width": 412, "height": 823}, color_scheme=scheme) as tab:
        tab.add_init_script(THEME_AT_FIRST_PAINT)
        tab.goto(site + "api.html", wait_until="load")
        first = tab.evaluate("window.__lrTheme")
        tab.wait_for_function("document.documentElement.dataset.theme !== 'auto'")
        assert first == tab.evaluate("document.documentElement.dataset.theme") == scheme


BAD_LAYOUT = """<html><body style="margin:0;width:390px"><article class="bd-article" style="width:300px">
<p><span style="display:inline-block;width:296px">x</span>, opens a line</p>
<table><tr><td style="white-space:nowrap">a table wider than its column, a table wider</td></tr></table>
<pre style="overflow:auto">code that scrolls and shows nothing of it, code that scrolls, shows nothing</pre>
<div class="math" style="position:relative"><span class="eqno" style="position:absolute;left:0">(1)</span>
<span class="katex-display"><span class="katex">
<span class="katex-html" style="display:block;overflow:auto"><span class="base"
style="display:inline-block;width:600px">x</span></span></span></span></div>
<section style="content-visibility:auto"><div class="cell" style="width:380px">a full-width cell</div>
</section></article></body></html>"""


def test_the_layout_checks_flag_what_does_not_fit(page: Any) -> None:
    """The checks above can fail: a wide table, cueless scrolling code, an equation that scrolls
    under its number, a line opening with a comma and a cell a section clips are each flagged."""
    page.set_viewport_size({"width": 390, "height": 600})
    page.set_content(BAD_LAYOUT)
    seen = page.evaluate(LAYOUT)
    kinds = ("equations", "numbers", "tables", "code", "punctuation", "clipped")
    assert [len(seen[k]) for k in kinds] == [1, 1, 1, 1, 1, 1]
    assert any(w.startswith("TABLE") for w in seen["wide"])


# --- equations, figures, what readers do not see ------------------------------------------------


def test_every_equation_is_rendered_and_no_raw_tex_is_left(tour: dict[str, Visit]) -> None:
    problems = each_view(tour, lambda s: s["rawText"] + ["KaTeX errors"] * s["katexErrors"])
    assert not any(problems.values()), per_page(problems)
    assert sum(v.views["1280.light"]["katex"] for v in tour.values()) > 50


def test_no_page_shows_the_harness(tour: dict[str, Visit]) -> None:
    shown = {path: v.views["1280.light"]["harness"] for path, v in tour.items()}
    assert not any(shown.values()), per_page(shown)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB pixels (..., 3) in 0..255."""
    c = rgb.astype(np.float64) / 255.0
    return cast(
        np.ndarray,
        np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4) @ np.array([0.2126, 0.7152, 0.0722]),
    )


def kept_legible(light_png: bytes, dark_png: bytes) -> float | None:
    """Of the pixels that are legible ink in light mode (contrast >= 3 against the background,
    the commonest colour of the border), the share legible in dark mode. None without ink."""

    def legible(png: bytes, size: tuple[int, int] | None = None) -> np.ndarray:
        image = Image.open(io.BytesIO(png)).convert("RGB")
        rgb = np.asarray(image.resize(size) if size else image)
        border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
        colours, counts = np.unique(border, axis=0, return_counts=True)
        lum, back = luminance(rgb), float(luminance(colours[counts.argmax()]))
        return cast(np.ndarray, (np.maximum(lum, back) + 0.05) / (np.minimum(lum, back) + 0.05) >= LEGIBLE)

    ink = legible(light_png)
    still = legible(dark_png, (ink.shape[1], ink.shape[0]))
    return float((ink & still).sum() / ink.sum()) if ink.any() else None


def test_figures_have_a_dark_rendering_in_dark_mode_that_stays_legible(tour: dict[str, Visit]) -> None:
    figures = [(path, k, pngs) for path, v in tour.items() for k, pngs in enumerate(v.figures)]
    assert len(figures) >= 4, "the book shows fewer figures than it draws"
    assert all(len(v.figures) == v.views["1280.light"]["figureCount"] for v in tour.values()), (
        "a figure was not photographed"
    )
    unreadable: dict[str, list[str]] = {}
    for path, k, (light, dark) in figures:
        share = kept_legible(light, dark)
        if share is None or share < KEPT:
            unreadable.setdefault(path, []).append(f"figure {k + 1}: {share}")
    assert not unreadable, per_page(unreadable)
    same = {
        path: v.views["1280.light"]["figureColours"] == v.views["1280.dark"]["figureColours"]
        for path, v in tour.items()
        if v.figures
    }
    assert not any(same.values()), f"figures drawn in the same colours in both themes: {per_page(same)}"


def figure_png(background: tuple[int, int, int, int]) -> bytes:
    """A small line chart: black axes and labels and a blue curve on the given background."""
    image = Image.new("RGBA", (240, 160), background)
    draw = ImageDraw.Draw(image)
    draw.line([(30, 10), (30, 130), (230, 130)], fill=(0, 0, 0, 255), width=2)
    draw.text((60, 20), "loss against epoch", fill=(0, 0, 0, 255))
    draw.line([(32, 20), (80, 90), (140, 115), (228, 125)], fill=(31, 119, 180, 255), width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("figure_background", "readable"), [((255, 255, 255, 255), True), ((0, 0, 0, 0), False)]
)
def test_legibility_check_flags_black_ink_on_a_transparent_figure_in_dark_mode(
    page: Any, figure_background: tuple[int, int, int, int], readable: bool
) -> None:
    """The check above can fail: black ink on a transparent figure, shown on a dark page, is flagged."""
    import base64

    src = "data:image/png;base64," + base64.b64encode(figure_png(figure_background)).decode()
    shots = []
    for colour in ("#ffffff", "#121212"):
        page.set_content(f'<body style="margin:0;background:{colour}"><img src="{src}"></body>')
        shots.append(page.locator("img").screenshot())
    share = kept_legible(*shots)
    assert share is not None
    assert (share >= KEPT) is readable


def test_figure_labels_stay_legible_on_a_phone(browser: Any, site: str) -> None:
    with watched_page(browser, site, viewport={"width": 390, "height": 844}) as tab:
        tab.goto(site + "checks.html")
        # each label's font size, times the scale at which its figure is drawn
        sizes = tab.evaluate(
            "[...document.querySelectorAll('.lr-figure svg text')]"
            ".map(t => parseFloat(getComputedStyle(t).fontSize)"
            " * Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b))"
        )
    assert sizes, f"the smallest figure label is drawn at {min(sizes):.1f} px at 390 px"
    assert min(sizes) >= 9, f"the smallest figure label is drawn at {min(sizes):.1f} px at 390 px"


# --- accessibility: axe-core and the Nu HTML Checker ------------------------------------------

# Findings in the theme's markup, not the book's: the rule, and what every flagged element's
# selector holds. The search buttons' visible text ("Search Ctrl+K") is not their label
# ("Search"); the sidebar's logo is outside any landmark.
THEME_FINDINGS = {"label-content-name-mismatch": "search-button", "region": ".sidebar-primary-item"}


def the_books(violation: str) -> bool:
    rule, _, targets = violation.partition(": ")
    return rule not in THEME_FINDINGS or any(THEME_FINDINGS[rule] not in t for t in targets.split(", "))


def test_axe_finds_no_violation_the_book_controls_in_either_theme(tour: dict[str, Visit]) -> None:
    found = {
        path: [f"{mode}: {v}" for mode, vs in visit.axe.items() for v in vs if the_books(v)]
        for path, visit in tour.items()
    }
    assert all(visit.axe.get("light") is not None for visit in tour.values())
    assert not any(found.values()), per_page(found)


def test_axe_flags_an_image_without_alternative_text(page: Any) -> None:
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>'
    )
    assert any(v.startswith("image-alt") for v in axe(page))


def test_axe_colour_rules_flag_text_too_faint_to_read(page: Any) -> None:
    page.set_content(
        '<html lang="en"><head><title>t</title></head>'
        '<body><main><p style="color: #ccc; background: #fff">faint</p></main></body></html>'
    )
    assert [v.split(":")[0] for v in axe(page, COLOUR_RULES)] == ["color-contrast"]


def vnu(*files: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True,
        text=True,
    )
    return list(json.loads(done.stderr or done.stdout)["messages"])


def test_the_nu_html_checker_finds_no_error(book: Path) -> None:
    pages = [book / p for p in book_pages(book)]
    errors = [f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}" for m in vnu(*pages)]
    assert not errors, "\n".join(errors)


def test_the_nu_html_checker_flags_a_duplicate_id(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="en"><title>t</title><p id="a">1</p><p id="a">2</p></html>')
    assert any("Duplicate ID" in m["message"] for m in vnu(page))


# --- what a reader takes away -----------------------------------------------------------------


def test_the_download_menu_offers_the_runnable_notebook_with_the_outputs_the_page_shows(
    tour: dict[str, Visit],
) -> None:
    import nbformat

    pages = {path: v for path, v in tour.items() if v.views["1280.light"]["cells"] and path != "build.html"}
    assert pages
    problems: dict[str, str | list[str]] = {}
    for path, v in pages.items():
        if v.notebook is None:
            problems[path] = "no .ipynb in the download menu, or it did not load"
            continue
        nb = nbformat.reads(v.notebook.decode(), as_version=4)
        kept = {
            " ".join(o.get("text", "").split()) for c in nb.cells if c.cell_type == "code" for o in c.outputs
        }
        missing = [t[:80] for t in v.views["1280.light"]["outputs"] if " ".join(t.split()) not in kept]
        problems[path] = missing
    assert not any(problems.values()), per_page(problems)


def test_a_screenshot_of_each_page_is_saved_in_both_themes_at_both_widths(tour: dict[str, Visit]) -> None:
    for path in tour:
        for view in ("light", "dark", "phone.light", "phone.dark"):
            shot_path = ARTIFACTS / f"{path.removesuffix('.html')}.{view}.jpg"
            assert shot_path.read_bytes().startswith(b"\xff\xd8\xff"), shot_path  # a JPEG's first bytes


SEARCHTOOLS = "sphinx/themes/basic/static/searchtools.js"
SEARCH_PATCH = ROOT / "patches" / "sphinx" / "9.0.4-search-summary-reads-a-formula-once.patch"
# The search has finished, and every result but an API object's (which has a description) shows
# its summary.
SEARCH_DONE = """() => /finished/.test(document.querySelector('#search-results .search-summary')?.textContent
  || '') && [...document.querySelectorAll('#search-results ul.search > li')]
    .every(li => li.querySelector(':scope > span, :scope > p.context'))"""


def test_a_search_summary_shows_a_formula_three_times_and_once_with_the_sphinx_patch(
    page: Any, site: str, tmp_path: Path
) -> None:
    """patches/sphinx: Sphinx's summary reads KaTeX's MathML, its TeX and its drawn copy of each
    formula ('the Hessian HHH'); with the patch, it reads the MathML once. When Sphinx's own script
    reads it once, the first assertion fails: drop the patch and this test."""
    import sphinx

    (tmp_path / SEARCHTOOLS).parent.mkdir(parents=True)
    (tmp_path / SEARCHTOOLS).write_text((Path(sphinx.__file__).parent.parent / SEARCHTOOLS).read_text())

    def summaries() -> list[str]:
        page.goto(site + "search.html?q=Hessian", wait_until="load")
        page.wait_for_function(SEARCH_DONE)  # each summary is fetched on its own, after the list
        return [" ".join(t.split()) for t in page.locator("#search-results p.context").all_text_contents()]

    assert any("Hessian HHH" in s for s in summaries())
    subprocess.run(["patch", "-p1", "-i", str(SEARCH_PATCH)], cwd=tmp_path, check=True, capture_output=True)
    patched = (tmp_path / SEARCHTOOLS).read_text()
    script = {"body": patched, "content_type": "text/javascript"}
    page.route("**/_static/searchtools.js*", lambda route: route.fulfill(**script))
    read = summaries()
    assert not any("HH" in s for s in read)
    assert any("Hessian H (the loss" in s for s in read)
