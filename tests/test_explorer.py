"""The learning-rate explorer in headless Chromium: keyboard, seed numbers, divergence, phone, dark mode."""

import itertools
import json
import re
from typing import Any, cast

import pytest
from reference import seed_notebook
from tests.browsing import Seen

pytestmark = pytest.mark.browser  # and `book`: every test uses the served book (conftest)

FIGURE = ".lr-explorer[data-ready]"
SLIDER = ".lr-explorer input[type=range]"


def open_explorer(page: Any, site: str, *, dark: bool = False, width: int = 1280) -> Any:
    if dark:
        # How the theme stores a reader's choice of dark mode, read before the page draws.
        page.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark')")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(site + "explorer.html")
    page.wait_for_selector(FIGURE)
    page.locator(FIGURE).scroll_into_view_if_needed()
    return json.loads(page.locator(".lr-explorer script.lr-explorer-data").text_content())


def drawn(page: Any) -> list[str]:
    """The SVG path data of the current run: its loss curve and its (W, b) path."""
    return cast(
        list[str],
        page.locator(".lr-explorer path.lre-run-line").evaluate_all(
            "els => els.map(e => e.getAttribute('d'))"
        ),
    )


def state(page: Any) -> dict[str, Any]:
    slider = page.locator(SLIDER)
    return {
        "value": int(slider.input_value()),
        "valuetext": slider.get_attribute("aria-valuetext"),
        "drawn": drawn(page),
        "final_loss": page.locator(".lr-explorer .lre-final-loss").text_content(),
        "status": page.locator(".lr-explorer-status").text_content(),
        "diverging": "is-diverging" in (page.locator(".lr-explorer").get_attribute("class") or ""),
    }


def assert_clean(seen) -> None:  # type: ignore[no-untyped-def]
    assert seen.console_errors == []
    assert seen.blocked == []
    assert seen.failed == []


def test_the_keyboard_moves_the_learning_rate_and_the_drawing(page: Any, seen: Seen, site: str) -> None:
    data = open_explorer(page, site)
    n = len(data["lrs"])
    slider = page.locator(SLIDER)
    assert slider.get_attribute("aria-valuetext")
    label = page.locator(f"label[for='{slider.get_attribute('id')}']")
    assert label.text_content().startswith("Learning rate")
    slider.focus()
    states = [state(page)]
    for key in ("ArrowRight", "End", "Home"):
        page.keyboard.press(key)
        states.append(state(page))
    assert [s["value"] for s in states] == [data["seed_index"], data["seed_index"] + 1, n - 1, 0]
    for before, after in itertools.pairwise(states):
        assert after["valuetext"] != before["valuetext"]
        # both panels redraw: the loss curve and the (W, b) path
        assert all(a != b for a, b in zip(after["drawn"], before["drawn"], strict=True)), (before, after)
        assert all(after["drawn"])
    assert_clean(seen)


def test_at_007_the_figure_shows_the_seeds_final_numbers(page: Any, seen: Seen, site: str) -> None:
    data = open_explorer(page, site)
    i = data["seed_index"]
    assert data["lrs"][i] == 0.07
    assert int(page.locator(SLIDER).input_value()) == i  # it opens on the seed's run
    assert page.locator(".lr-explorer .lre-final-loss").text_content() == seed_notebook.printed("Final Loss")
    readout = page.locator(".lr-explorer-readout").text_content()
    (W,) = re.findall(r"-?\d+\.\d+", seed_notebook.printed("Final W"))
    (b,) = re.findall(r"-?\d+\.\d+", seed_notebook.printed("Final b"))
    assert "0.0700" in readout
    assert f"W {W}" in readout
    assert f"b {b}" in readout
    # back to 0.07 by keyboard, from elsewhere: the same numbers
    page.locator(SLIDER).focus()
    page.keyboard.press("Home")
    assert page.locator(".lr-explorer .lre-final-loss").text_content() != seed_notebook.printed("Final Loss")
    for _ in range(i):
        page.keyboard.press("ArrowRight")
    assert page.locator(".lr-explorer .lre-final-loss").text_content() == seed_notebook.printed("Final Loss")
    assert "seed" in page.locator(SLIDER).get_attribute("aria-valuetext")
    assert_clean(seen)


def test_above_the_stability_bound_the_figure_says_it_diverges(page: Any, seen: Seen, site: str) -> None:
    data = open_explorer(page, site)
    bound = data["max_stable_lr"]
    first_above = next(k for k, lr in enumerate(data["lrs"]) if lr > bound)
    assert first_above < len(data["lrs"]) - 1  # the grid reaches past the bound
    page.locator(SLIDER).focus()
    page.keyboard.press("Home")
    for _ in range(first_above - 1):
        page.keyboard.press("ArrowRight")
    below = state(page)
    page.keyboard.press("ArrowRight")
    above = state(page)
    page.keyboard.press("End")
    end = state(page)
    assert not below["diverging"]
    assert "Diverges" not in below["status"]
    for s in (above, end):
        assert s["diverging"]
        assert s["status"].startswith("Diverges")
        assert f"2/λmax = {bound:.4f}" in s["status"]
        assert "diverges" in s["valuetext"]
    # the bound is marked beside the slider with its value, and so are 1/lambda_max and the fastest rate
    scale = page.locator(".lr-explorer-scale").text_content()
    assert f"{bound:.4f}" in scale
    assert "1/λmax" in scale
    assert f"fastest {data['fastest']:.3f}" in scale
    assert_clean(seen)


def test_each_diverging_run_says_which_of_its_curve_and_path_leave_their_plots(
    page: Any, seen: Seen, site: str
) -> None:
    # From the embedded runs: the curve leaves when a loss is above the axis's top decade, the
    # path when a point is outside the window; the status must name exactly those.
    data = open_explorer(page, site)
    top, window = 10 ** data["loss_decades"][1], data["window"]
    slider = page.locator(SLIDER)
    slider.focus()
    page.keyboard.press("End")
    said = set()
    for k in range(len(data["lrs"]) - 1, -1, -1):
        losses = data["losses"][k]
        if data["regime"][k] == "diverging" and None not in losses:
            curve = any(v > top for v in losses)
            path = any(
                not (window["W"][0] <= w <= window["W"][1] and window["b"][0] <= b <= window["b"][1])
                for w, b in zip(data["W"][k], data["b"][k], strict=True)
            )
            status = page.locator(".lr-explorer-status").text_content()
            expected = {
                (True, True): "The curve and the path leave their plots",
                (True, False): "The curve leaves its plot",
                (False, True): "The path leaves its plot",
            }.get((curve, path))
            for phrase in ("The curve and the path leave", "The curve leaves", "The path leaves"):
                assert (phrase in status) == bool(expected and expected.startswith(phrase)), (k, status)
            said.add(expected)
        page.keyboard.press("ArrowLeft")
    assert "The path leaves its plot" in said  # the case the status once got wrong is among them
    assert_clean(seen)


def test_at_phone_width_the_figure_fits(page: Any, seen: Seen, site: str) -> None:
    open_explorer(page, site, width=390)
    widths = page.evaluate(
        """() => {
            const fig = document.querySelector('.lr-explorer');
            const box = fig.getBoundingClientRect();
            // what a reader sees: the controls, the marks, the text and both panels
            const inner = [...fig.querySelectorAll('svg, input, .lr-explorer-scale *, p, p > *')]
                .map(e => e.getBoundingClientRect()).map(r => [r.left, r.right]);
            return {left: box.left, right: box.right, inner,
                    page: document.documentElement.scrollWidth, viewport: window.innerWidth};
        }"""
    )
    assert widths["page"] <= widths["viewport"]
    assert widths["left"] >= 0
    assert widths["right"] <= widths["viewport"]
    for left, right in widths["inner"]:
        assert widths["left"] <= left
        assert right <= widths["right"] + 0.5
    assert_clean(seen)


CONTRAST = """
(selector) => {
  const rgba = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  // What shows behind an element: its ancestors' backgrounds, translucent ones composited.
  const background = (e) => {
    const layers = [];
    for (; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      const alpha = c.length === 3 ? 1 : c[3];
      if (alpha > 0) layers.push([c[0], c[1], c[2], alpha]);
      if (alpha === 1) break;
    }
    let out = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) out = [r, g, b].map((v, k) => a * v + (1 - a) * out[k]);
    return out;
  };
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  return [...document.querySelectorAll(selector)].map((e) => {
    const style = getComputedStyle(e);
    const fg = rgba(e instanceof SVGElement ? style.fill : style.color);
    const [a, b] = [luminance(fg), luminance(background(e))].sort((x, y) => y - x);
    return [e.textContent.trim().slice(0, 40), (a + 0.05) / (b + 0.05)];
  });
}
"""


TEXT = (".lr-explorer label", ".lr-explorer-readout", ".lr-explorer-status", ".lr-explorer text")


def test_in_dark_mode_the_explorer_sits_on_the_page_without_a_light_frame(
    page: Any, seen: Seen, site: str
) -> None:
    open_explorer(page, site, dark=True)
    backgrounds = page.evaluate(
        """() => {
            const fig = document.querySelector('.lr-explorer');
            const out = [];
            for (let e = fig; e && !e.matches('article'); e = e.parentElement)
                out.push(getComputedStyle(e).backgroundColor);
            return {chain: out, page: getComputedStyle(document.body).backgroundColor};
        }"""
    )
    light = [c for c in backgrounds["chain"] if c not in ("rgba(0, 0, 0, 0)", backgrounds["page"])]
    assert light == [], backgrounds
    assert_clean(seen)


def test_the_seeds_dashed_run_has_a_legend(page: Any, seen: Seen, site: str) -> None:
    open_explorer(page, site)
    legend = page.locator(".lr-explorer svg").first.text_content()
    assert re.search(r"η = 0\.07(?!\d)", legend), legend  # the seed's learning rate, labelled
    assert_clean(seen)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_text_is_readable_in_light_and_dark_mode(page: Any, seen: Seen, site: str, dark: bool) -> None:
    open_explorer(page, site, dark=dark)
    assert page.evaluate("document.documentElement.dataset.theme") == ("dark" if dark else "light")
    for case in ("the seed's run", "a diverging run"):
        if case == "a diverging run":
            page.locator(SLIDER).focus()
            page.keyboard.press("End")
        for selector in TEXT:
            ratios = page.evaluate(CONTRAST, selector)
            assert ratios, selector
            # WCAG AA for normal text, which also covers the SVG's small labels
            low = [(text, round(ratio, 2)) for text, ratio in ratios if text and ratio < 4.5]
            assert low == [], (case, selector)
    assert_clean(seen)
