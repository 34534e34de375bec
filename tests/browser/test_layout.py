"""What a reader meets on every page of the built book, measured in headless Chromium.

At the desktop width (1280 px) on every page: no image shown twice, no display equation
and no output wider than its container (a cut formula or a number hidden behind a
sideways scroll), no figure shown below ``MIN_SHRINK`` of its natural width (its text
would be too small to read), at most ``MAX_VISIBLE_ASSERTS`` visible ``assert`` lines
outside the exercise solutions, and at least one figure on every chapter (a page built
from a notebook). At the phone width (390 px), the same for the equations of the pages in
``PHONE_PAGES``, and on every page, interactive figures that can be used by touch.
Screenshots of every page at both widths go to ``_build/screenshots/``.

The checks select pages by what they are, never by name, so a chapter added later is
checked the same way.
"""

import pytest
from test_pages import WAIT_FOR_IMAGES, WAIT_FOR_MATHJAX

pytestmark = pytest.mark.browser

DESKTOP, PHONE = 1280, 390
MIN_SHRINK = 0.55
MAX_VISIBLE_ASSERTS = 5
SLACK = 2  # px of rounding between a box and its container
PHONE_PAGES = ("book/least_squares.html",)
MAX_SCREENSHOT_HEIGHT = 16000
MIN_TOUCH = 10  # px: the smallest point or control a finger must hit on a phone
MIN_WIDGET = 300  # px: the narrowest an interactive figure may become

# One pass over the page: everything the checks need, measured in the live layout.
MEASURE = """
const slack = arguments[0];
const main = document.querySelector("main, article, .bd-article") || document.body;
// shown without a click: not inside a closed dropdown (hide-input cells, solutions)
const visible = (e) => !e.closest("details:not([open])")
    && !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
const inSolution = (e) => !!e.closest(".solution, details.solution, .admonition.solution, "
    + "[class*='solution']");
const ctx = (e) => (e.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 70);
const out = {images: [], wide: [], asserts: 0, assertLines: [], figures: 0,
             isNotebook: !!document.querySelector(".cell, div.cell_output, .output"),
             height: document.documentElement.scrollHeight};
for (const img of main.querySelectorAll("img")) {
  if (!visible(img) || !img.naturalWidth) continue;
  const src = img.currentSrc || img.src;
  const width = img.getBoundingClientRect().width;
  out.images.push([src.split("/").pop(), width / img.naturalWidth, Math.round(width),
                   img.naturalWidth]);
}
out.figures = main.querySelectorAll("figure img, figure svg, figure canvas, "
    + "figure.idw, .cell_output img").length;
// display equations: the typeset box against the box it sits in
for (const mj of main.querySelectorAll("mjx-container[display='true']")) {
  if (!visible(mj)) continue;
  const holder = mj.closest(".math, div.math, .MathJax_Display") || mj.parentElement;
  const need = mj.firstElementChild ? mj.firstElementChild.getBoundingClientRect().width
                                    : mj.scrollWidth;
  const have = holder.getBoundingClientRect().width;
  if (need > have + slack) out.wide.push(["equation", Math.round(need), Math.round(have),
                                          ctx(mj.closest(".math") || mj)]);
}
// outputs and tables: content wider than its box needs a sideways scroll
// (the theme wraps each table in a scrolling container: that container is what overflows)
for (const box of main.querySelectorAll(".cell_output pre, .output pre, div.output_area, "
    + ".cell_output table, table, .pst-scrollable-table-container, .table-wrapper")) {
  if (!visible(box) || inSolution(box)) continue;
  if (box.scrollWidth > box.clientWidth + slack) {
    out.wide.push(["output", box.scrollWidth, box.clientWidth, ctx(box)]);
  }
}
// visible code lines that assert, outside the solutions
for (const code of main.querySelectorAll(".cell_input pre, div.highlight pre")) {
  if (!visible(code) || inSolution(code)) continue;
  for (const line of code.textContent.split("\\n")) {
    if (/^\\s*(assert\\b|np\\.testing\\.)/.test(line)) {
      out.asserts += 1;
      out.assertLines.push(line.trim().slice(0, 70));
    }
  }
}
// interactive figures: their width, and the size of what a finger must hit
out.widgets = Array.from(main.querySelectorAll("figure.idw")).filter(visible).map((w) => {
  const targets = Array.from(w.querySelectorAll(".idw-point, input, button")).filter(visible)
      .map((t) => { const r = t.getBoundingClientRect(); return Math.min(r.width, r.height); });
  return {width: Math.round(w.getBoundingClientRect().width),
          smallestTarget: targets.length ? Math.min(...targets) : null,
          ends: w.querySelectorAll(".idw-end").length,
          isSlider: w.classList.contains("idw-slider"),
          axesPerFrame: w.querySelectorAll(".idw-frame .idw-axis").length};
});
return out;
"""


def measure(driver, url, width):
    driver.set_window_size(width, 1000)
    driver.get(url)
    driver.execute_async_script(WAIT_FOR_MATHJAX)
    driver.execute_async_script(WAIT_FOR_IMAGES)
    return driver.execute_script(MEASURE, SLACK)


def screenshot(driver, page, width, directory):
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 150, MAX_SCREENSHOT_HEIGHT))
    name = page.removesuffix(".html").replace("/", "_") + f"_{width}.png"
    driver.save_screenshot(str(directory / name))


def widget_problems(m, width):
    """Interactive figures: usable by touch at ``width``, one scale across a slider's frames,
    and the slider's two ends labelled."""
    problems = []
    for k, w in enumerate(m["widgets"]):
        if w["width"] < MIN_WIDGET:
            problems.append(f"interactive figure {k} is {w['width']} px wide at {width} px "
                            f"(at least {MIN_WIDGET})")
        if w["smallestTarget"] is not None and w["smallestTarget"] < MIN_TOUCH:
            problems.append(f"interactive figure {k}: a touch target of "
                            f"{w['smallestTarget']:.1f} px at {width} px (at least {MIN_TOUCH})")
        if w["isSlider"] and (w["axesPerFrame"] or w["ends"] != 2):
            problems.append(f"slider {k}: axes redrawn per frame ({w['axesPerFrame']}) or "
                            f"{w['ends']} labelled ends (2 wanted)")
    return problems


def layout_problems(m, width, equations_only=False):
    problems = []
    for kind, need, have, text in m["wide"]:
        if equations_only and kind != "equation":
            continue
        problems.append(f"{kind} {need} px wide in a {have} px box at {width} px: {text!r}")
    if equations_only:
        return problems
    seen = {}
    for name, ratio, shown, natural in m["images"]:
        seen[name] = seen.get(name, 0) + 1
        if ratio < MIN_SHRINK:
            problems.append(f"image {name} shown at {shown} of its {natural} px "
                            f"({ratio:.0%} < {MIN_SHRINK:.0%})")
    problems += [f"image {name} shown {k} times" for name, k in seen.items() if k > 1]
    if m["asserts"] > MAX_VISIBLE_ASSERTS:
        problems.append(f"{m['asserts']} visible assert lines outside the solutions "
                        f"(at most {MAX_VISIBLE_ASSERTS}), e.g. {m['assertLines'][:3]}")
    if m["isNotebook"] and m["figures"] == 0:
        problems.append("a chapter without a figure")
    return problems


def test_layout(page, build_info, server, driver, screenshot_dir):
    if page.startswith("<"):
        pytest.fail("no HTML pages: the book did not build")
    url = f"{server}/{page}"
    try:
        m = measure(driver, url, DESKTOP)
        problems = layout_problems(m, DESKTOP)
        screenshot(driver, page, DESKTOP, screenshot_dir)
        phone = measure(driver, url, PHONE)
        if page in PHONE_PAGES:
            problems += layout_problems(phone, PHONE, equations_only=True)
        problems += widget_problems(phone, PHONE)
        screenshot(driver, page, PHONE, screenshot_dir)
    finally:
        driver.set_window_size(1280, 2000)
    print(f"{page}: height {m['height']} px at {DESKTOP}, {phone['height']} px at {PHONE}; "
          f"{len(m['images'])} images, smallest shown at "
          f"{min([r for _, r, _, _ in m['images']], default=1):.0%}; "
          f"{m['asserts']} visible asserts")
    assert not problems, f"{page}: {len(problems)} problem(s)\n" + "\n".join(problems)
