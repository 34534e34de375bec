"""Open every page of the built book in headless Chromium and check what a reader meets.

On every page: each formula was typeset by MathJax (offline, from ``_static/mathjax``), each
image loaded, the console shows no error, and each internal link and ``#anchor`` resolves.
A screenshot of each page goes to ``_build/screenshots/``. One test per page, so a failure
names the page; each test lists every problem it found on its page.
"""

import functools
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.browser

MAX_SCREENSHOT_HEIGHT = 12000
RAW_DELIMITERS = ("\\(", "\\)", "\\[", "\\]", "$$")
# $...$ around TeX (a backslash, ^, _ or a brace inside) that dollarmath did not parse.
RAW_INLINE = re.compile(r"\$[^$\n]{0,200}?[\\^_{}][^$\n]{0,200}?\$")

# Resolves with "ok" once MathJax has typeset the page, "missing" if MathJax never loaded.
WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
const start = Date.now();
(function poll() {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    mj.startup.promise.then(() => done("ok"), (e) => done("error: " + e));
  } else if (Date.now() - start > 15000) {
    done("missing");
  } else {
    setTimeout(poll, 100);
  }
})();
"""

# Loads lazy images eagerly and resolves once every <img> has finished (or failed) loading.
WAIT_FOR_IMAGES = """
const callback = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
let finished = false;
const done = () => {
  if (finished) return;
  finished = true;
  callback(imgs.map((img) => [img.getAttribute("src"), img.complete, img.naturalWidth]));
};
imgs.forEach((img) => { if (img.loading === "lazy") img.loading = "eager"; });
Promise.all(imgs.map((img) => img.complete ? null :
    new Promise((r) => { img.addEventListener("load", r); img.addEventListener("error", r); })))
  .then(done);
setTimeout(done, 20000);
"""

# The text a reader sees outside code: no TeX delimiter may survive there.
TEXT_OUTSIDE_CODE = """
const clone = document.body.cloneNode(true);
clone.querySelectorAll("pre, code, script, style, textarea, mjx-container").forEach((e) => e.remove());
return clone.textContent;
"""

MATH_STATE = """
const math = Array.from(document.querySelectorAll(".math"));
return {
  n_math: math.length,
  n_rendered: document.querySelectorAll("mjx-container").length,
  untypeset: math.filter((m) => !m.querySelector("mjx-container"))
                 .slice(0, 3).map((m) => m.textContent.trim().slice(0, 80)),
  errors: Array.from(document.querySelectorAll("mjx-merror"))
                 .slice(0, 3).map((e) => e.getAttribute("data-mjx-error") || e.textContent),
  has_mathjax_script: !!document.querySelector("script[src*='mathjax']"),
};
"""

LINKS = """
return Array.from(document.querySelectorAll("a[href]")).map((a) => [a.getAttribute("href"), a.href]);
"""

PAGE_IDS = """
return Array.from(document.querySelectorAll("[id], a[name]")).map((e) => e.id || e.getAttribute("name"));
"""


class _IdCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])


@functools.cache
def static_ids(path):
    """The ids (and <a name>s) in a built HTML file."""
    parser = _IdCollector()
    parser.feed(Path(path).read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


def local_target(url, base, html):
    """The file under ``html`` that ``url`` points to, or None for an external URL."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != base:
        return None
    target = html / unquote(parts.path).lstrip("/")
    if parts.path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def check_links(driver, page, base, html):
    problems = []
    here = (html / page).resolve()
    live_ids = set(driver.execute_script(PAGE_IDS))
    for raw, url in driver.execute_script(LINKS):
        target = local_target(url, base, html)
        if target is None:
            continue  # external (never fetched: the check runs offline), mailto:, javascript:
        if not target.exists():
            problems.append(f"link {raw!r}: {target.relative_to(html)} does not exist in the build")
            continue
        fragment = unquote(urlsplit(url).fragment)
        if not fragment or target.suffix != ".html":
            continue
        ids = live_ids | static_ids(here) if target.resolve() == here else static_ids(target)
        if fragment not in ids:
            problems.append(f"link {raw!r}: no element with id {fragment!r} on {target.relative_to(html)}")
    return problems


def check_math(driver):
    problems = []
    state = driver.execute_script(MATH_STATE)
    if state["n_math"] or state["has_mathjax_script"]:
        status = driver.execute_async_script(WAIT_FOR_MATHJAX)
        state = driver.execute_script(MATH_STATE)
        if state["n_math"] and status != "ok":
            problems.append(
                f"MathJax did not typeset the page ({status}): is _static/mathjax in the build?"
            )
        if state["n_math"] and state["n_rendered"] == 0:
            problems.append(f"{state['n_math']} formulas but no MathJax output (mjx-container)")
        elif state["untypeset"]:
            problems.append(f"formulas left untypeset, e.g. {state['untypeset']}")
        if state["errors"]:
            problems.append(f"MathJax errors in formulas: {state['errors']}")
    text = driver.execute_script(TEXT_OUTSIDE_CODE)
    for delim in RAW_DELIMITERS:
        at = text.find(delim)
        if at >= 0:
            problems.append(f"raw TeX {delim!r} in the visible text: ...{_context(text, at)}...")
    inline = RAW_INLINE.search(text)
    if inline:
        problems.append(f"raw inline TeX in the visible text: ...{_context(text, inline.start())}...")
    return problems


def _context(text, at):
    return " ".join(text[max(0, at - 40) : at + 60].split())


def check_images(driver):
    results = driver.execute_async_script(WAIT_FOR_IMAGES)
    return [
        f"image {src!r} did not load (complete={complete}, naturalWidth={width})"
        for src, complete, width in results
        if not (complete and width > 0)
    ]


def check_console(driver):
    return [
        f"console {entry['level']}: {entry['message']}"
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE"
    ]


def save_screenshot(driver, page, directory):
    """Save the page, as tall as its content (up to MAX_SCREENSHOT_HEIGHT pixels)."""
    size = driver.get_window_size()
    height, chrome = driver.execute_script(
        "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]"
    )
    wanted = min(int(height), MAX_SCREENSHOT_HEIGHT) + int(chrome)
    driver.set_window_size(size["width"], max(size["height"], wanted))
    try:
        name = page.removesuffix(".html").replace("/", "_") + ".png"
        driver.save_screenshot(str(directory / name))
    finally:
        driver.set_window_size(size["width"], size["height"])


def test_book_build(build_info):
    """If this session had to build the book, the strict build succeeded."""
    if build_info["ran"] and build_info["returncode"] != 0:
        lines = [ln for ln in build_info["log"].splitlines() if "WARNING" in ln or "ERROR" in ln]
        pytest.fail(
            "jupyter-book build --all -W --keep-going failed:\n" + "\n".join(lines[:40] or [build_info["log"][-3000:]])
        )


def test_page(page, build_info, html_dir, server, driver, screenshot_dir):
    if page.startswith("<"):
        pytest.fail(f"no HTML pages in {html_dir}: the book did not build")
    driver.get_log("browser")  # drop anything left over from the previous page
    driver.get(f"{server}/{page}")
    problems = check_math(driver)
    problems += check_images(driver)
    problems += check_links(driver, page, server, html_dir)
    problems += check_console(driver)
    save_screenshot(driver, page, screenshot_dir)
    problems = list(dict.fromkeys(problems))  # a broken link repeated on the page is one problem
    assert not problems, f"{page}: {len(problems)} problem(s)\n" + "\n".join(problems)
