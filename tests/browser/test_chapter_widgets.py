"""The interactive figures in the built chapters, driven in headless Chromium.

The least-squares chapter's figure is dragged, clicked and driven from the keyboard, and its
state compared with numpy after each step (the helpers of test_widgets.py). The digits
chapter's slider is stepped with the keyboard, and each frame compared with the frames the
notebook computed and stored (the outputs nbval checks).
"""

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from test_widgets import (
    assert_state_is_numpys,
    check_slider,
    drag,
    points_of,
    press,
    read_state,
    severe,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def open_chapter(driver, server, name):
    driver.get_log("browser")
    driver.get(f"{server}/book/{name}.html")


def test_least_squares_chapter_widget(build_info, html_dir, server, driver, screenshot_dir):
    from selenium.webdriver.common.by import By

    if not (html_dir / "book" / "least_squares.html").exists():
        pytest.fail(f"no least_squares.html in {html_dir}: the book did not build")
    open_chapter(driver, server, "least_squares")
    (root,) = driver.find_elements(By.CSS_SELECTOR, "figure.idw-ls")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", root)
    start = read_state(driver, root)
    assert_state_is_numpys(start)
    root.screenshot(str(screenshot_dir / "least_squares_widget_before.png"))
    far = int(np.argmax(np.asarray(start["points"])[:, 0]))
    drag(driver, points_of(root)[far], 0, -80)
    moved = read_state(driver, root)
    assert moved["selected"] == far and moved["points"][far][1] > start["points"][far][1]
    assert_state_is_numpys(moved)
    root.screenshot(str(screenshot_dir / "least_squares_widget_after.png"))
    other = (far + 1) % len(moved["points"])
    points_of(root)[other].click()
    clicked = read_state(driver, root)
    assert clicked["selected"] == other
    assert_state_is_numpys(clicked)
    # keyboard: focus a point, select it with Space
    from selenium.webdriver.common.keys import Keys

    driver.execute_script("arguments[0].focus();", points_of(root)[far])
    press(driver, Keys.SPACE)
    assert read_state(driver, root)["selected"] == far
    assert severe(driver) == []


class _SliderFrames(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.frames = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-influence-demo") == "slider":
            self.frames.append(json.loads(attrs["data-frames"]))


def notebook_slider_frames(notebook):
    """The frames of every slider in a notebook's stored outputs (which nbval checks)."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    parser = _SliderFrames()
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if html:
                parser.feed("".join(html) if isinstance(html, list) else html)
    return parser.frames


def test_digits_chapter_slider_shows_the_notebooks_frames(build_info, html_dir, server, driver):
    from selenium.webdriver.common.by import By

    (stored,) = notebook_slider_frames(ROOT / "book" / "digits_influence.ipynb")
    expected = [{"label": f["label"], "value": f["value"], "stats": f["stats"]} for f in stored]
    assert len(expected) >= 5 and all(f["label"].startswith("λ = ") for f in expected)
    open_chapter(driver, server, "digits_influence")
    (root,) = driver.find_elements(By.CSS_SELECTOR, "figure.idw-slider")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", root)
    check_slider(driver, root, expected)
    assert severe(driver) == []


@pytest.mark.parametrize("name", ["least_squares", "digits_influence"])
def test_chapter_widgets_work_opened_from_disk(name, build_info, html_dir, driver):
    """No server: the page opened as a file, every widget comes alive, nothing is logged."""
    from selenium.webdriver.common.by import By

    driver.get_log("browser")
    driver.get((html_dir / "book" / f"{name}.html").as_uri())
    widgets = driver.find_elements(By.CSS_SELECTOR, "figure.idw")
    assert widgets, f"no interactive figure on {name}.html"
    assert all("idw-live" in w.get_attribute("class").split() for w in widgets)
    assert severe(driver) == []
