"""Drive the interactive figures in headless Chromium and check what they compute.

The least-squares widget keeps its state as JSON in ``data-state``. After every drag, click
and key press the test reads that state back and recomputes it with numpy from the same
points (``lstsq`` on all points and on all but the selected one, an explicit solve for the
leverage and the influence), and with the package, to 1e-10. The slider's state must be the
frame the notebook computed.

The page is written here from :func:`influence_demo.interactive.interactive_ls` and
:func:`~influence_demo.interactive.slider` and opened from disk (``file://``), so nothing can
come from a server; test_chapter_widgets.py drives the same widgets in the built chapters.
"""

import json

import numpy as np
import pytest

from influence_demo import (
    LinearRegression,
    add_intercept,
    influence_params,
    leverage,
    loo_params_ols,
)
from influence_demo.interactive import interactive_ls, slider

pytestmark = pytest.mark.browser

RTOL = 1e-10
STATE = "return arguments[0].getAttribute('data-state');"


def line_data():
    rng = np.random.default_rng(1)
    x = np.append(rng.uniform(0, 1, size=9), 2.0)
    return x, 1 + 0.8 * x + rng.normal(scale=0.2, size=10)


def numpy_reference(points, i):
    """Every number of the widget's state, by numpy from the points alone."""
    P = np.asarray(points, dtype=float)
    X, y = np.column_stack([P[:, 0], np.ones(len(P))]), P[:, 1]
    theta = np.linalg.lstsq(X, y, rcond=None)[0]
    a_inv_x = np.linalg.solve(X.T @ X, X[i])
    h = X[i] @ a_inv_x
    e = y[i] - X[i] @ theta
    keep = np.arange(len(P)) != i
    loo = np.linalg.lstsq(X[keep], y[keep], rcond=None)[0]
    iup = a_inv_x * e
    return {
        "theta_hat": theta,
        "h_ii": h,
        "one_minus_h": 1 - h,
        "residual": e,
        "i_up_params": iup,
        "theta_loo": loo,
        "influence_prediction": theta - iup,
        "leverage_prediction": theta - iup / (1 - h),
    }


def assert_state_is_numpys(state):
    """The widget's state against numpy (all keys) and the package (leverage, LOO, influence)."""
    i = state["selected"]
    ref = numpy_reference(state["points"], i)
    scale = float(np.abs(ref["theta_hat"]).max())
    assert state["status"] == "ok"
    for key, value in ref.items():
        np.testing.assert_allclose(state[key], value, rtol=RTOL, atol=RTOL * scale, err_msg=key)
    P = np.asarray(state["points"])
    X = add_intercept(P[:, :1])
    model = LinearRegression().fit(X, P[:, 1])
    np.testing.assert_allclose(state["h_ii"], leverage(X)[i], rtol=RTOL)
    np.testing.assert_allclose(
        state["theta_loo"], loo_params_ols(X, P[:, 1])[i], rtol=RTOL, atol=RTOL * scale
    )
    np.testing.assert_allclose(
        state["i_up_params"], influence_params(model, X, P[:, 1])[i], rtol=RTOL, atol=RTOL * scale
    )


def severe(driver):
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def read_state(driver, root):
    return json.loads(driver.execute_script(STATE, root))


def drag(driver, element, dx, dy):
    from selenium.webdriver import ActionChains

    ActionChains(driver).click_and_hold(element).move_by_offset(dx, dy).release().perform()


def press(driver, *keys):
    from selenium.webdriver import ActionChains

    chain = ActionChains(driver)
    for key in keys:
        chain.send_keys(key)
    chain.perform()


def points_of(root):
    from selenium.webdriver.common.by import By

    return root.find_elements(By.CSS_SELECTOR, "circle.idw-point")


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    """A page with the two widgets, written from Python and opened from disk."""
    x, y = line_data()
    ls = interactive_ls(x, y, caption="Drag the point on the far right upward.")
    degenerate = interactive_ls([0.0, 0.0, 0.0, 1.0], [1.0, 2.0, 0.0, 3.0], selected=3)
    a = np.linspace(-1.0, 1.0, 30)
    frames = [
        {
            "label": f"λ = {s:g}",
            "value": s,
            "x": a,
            "y": [s * a, a**3],
            "stats": {"r": 1 / (1 + s), "s": s},
        }
        for s in (10.0, 1.0, 0.1, 1e-3)
    ]
    sl = slider(frames, series=("one", "two"), name="penalty λ")
    page = tmp_path_factory.mktemp("widgets") / "widgets.html"
    page.write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>widgets</title></head><body>"
        + ls.html
        + sl.html
        + degenerate.html
        + "</body></html>",
        encoding="utf-8",
    )
    return {
        "url": page.as_uri(),
        "ls": ls,
        "slider": sl,
        "frames": frames,
        "degenerate": degenerate,
    }


def test_drag_click_and_compare_with_numpy_from_disk(driver, standalone):
    from selenium.webdriver.common.by import By

    driver.get_log("browser")
    driver.get(standalone["url"])
    root = driver.find_element(By.CSS_SELECTOR, "figure.idw-ls")
    # at load the script recomputed the state: it equals the one Python put in the page
    state = read_state(driver, root)
    start = standalone["ls"].state
    assert state["selected"] == start["selected"] == 9 and state["points"] == start["points"]
    for key in (
        "theta_hat",
        "h_ii",
        "i_up_params",
        "theta_loo",
        "influence_prediction",
        "leverage_prediction",
    ):
        np.testing.assert_allclose(state[key], start[key], rtol=RTOL, atol=RTOL, err_msg=key)
    assert_state_is_numpys(state)

    points = points_of(root)
    drag(driver, points[9], 0, -60)
    moved = read_state(driver, root)
    assert moved["selected"] == 9
    assert moved["points"][9][1] > start["points"][9][1] + 0.1  # it went up
    assert moved["points"][:9] == start["points"][:9]
    assert_state_is_numpys(moved)
    # dragged up, the far point pulls the fit; the exact refit moves by 1/(1-h) times the prediction
    change = np.subtract(moved["theta_loo"], moved["theta_hat"])
    predicted = np.subtract(moved["influence_prediction"], moved["theta_hat"])
    np.testing.assert_allclose(change, predicted / moved["one_minus_h"], rtol=1e-9)

    points[2].click()
    clicked = read_state(driver, root)
    assert clicked["selected"] == 2 and clicked["points"] == moved["points"]
    assert_state_is_numpys(clicked)
    assert "idw-selected" in points[2].get_attribute("class")
    # the reset button brings back the points and the selection the page started with
    root.find_element(By.CSS_SELECTOR, "button.idw-reset").click()
    reset = read_state(driver, root)
    assert reset["points"] == start["points"] and reset["selected"] == start["selected"]
    assert_state_is_numpys(reset)
    assert severe(driver) == []


def test_keyboard_selects_and_moves_a_point(driver, standalone):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(standalone["url"])
    root = driver.find_element(By.CSS_SELECTOR, "figure.idw-ls")
    before = read_state(driver, root)
    # Tab from the top of the page: the points are the first stops
    press(driver, Keys.TAB, Keys.TAB, Keys.TAB, Keys.TAB)
    points = points_of(root)
    active = driver.switch_to.active_element
    assert active == points[3]
    press(driver, Keys.ENTER)
    state = read_state(driver, root)
    assert state["selected"] == 3 and state["points"] == before["points"]
    assert_state_is_numpys(state)
    press(driver, Keys.ARROW_UP, Keys.ARROW_UP, Keys.ARROW_RIGHT)
    moved = read_state(driver, root)
    ylim = json.loads(root.get_attribute("data-config"))["ylim"]
    xlim = json.loads(root.get_attribute("data-config"))["xlim"]
    np.testing.assert_allclose(
        moved["points"][3][1] - before["points"][3][1], 2 * 0.02 * (ylim[1] - ylim[0])
    )
    np.testing.assert_allclose(
        moved["points"][3][0] - before["points"][3][0], 0.02 * (xlim[1] - xlim[0])
    )
    assert moved["selected"] == 3
    assert_state_is_numpys(moved)
    assert severe(driver) == []


def test_leverage_one_is_explained_and_nothing_is_divided_by_zero(driver, standalone):
    from selenium.webdriver.common.by import By

    driver.get(standalone["url"])
    root = driver.find_elements(By.CSS_SELECTOR, "figure.idw-ls")[1]
    state = read_state(driver, root)
    assert state["status"] == "leverage-one" and state["selected"] == 3
    assert state["theta_loo"] is None and state["leverage_prediction"] is None
    assert all(np.isfinite(state["influence_prediction"]))
    message = root.find_element(By.CSS_SELECTOR, "[data-out='message']").text
    assert "no line is determined" in message and "infinite" in message
    assert root.find_element(By.CSS_SELECTOR, "[data-out='factor']").text == "\u221e"
    assert (
        root.find_element(By.CSS_SELECTOR, ".idw-line-loo").get_attribute("visibility") == "hidden"
    )
    # move one of the three points off x = 0: every refit is defined again
    drag(driver, points_of(root)[0], 40, 0)
    state = read_state(driver, root)
    assert state["selected"] == 0
    assert_state_is_numpys(state)
    points_of(root)[3].click()
    assert_state_is_numpys(read_state(driver, root))
    assert severe(driver) == []


def test_slider_from_the_keyboard_shows_the_precomputed_frames(driver, standalone):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(standalone["url"])
    root = driver.find_element(By.CSS_SELECTOR, "figure.idw-slider")
    check_slider(
        driver,
        root,
        [
            {"label": f["label"], "value": f["value"], "stats": f["stats"]}
            for f in standalone["frames"]
        ],
    )
    rng = root.find_element(By.CSS_SELECTOR, "input.idw-range")
    assert rng.get_attribute("aria-valuetext") == standalone["frames"][0]["label"]
    press(driver, Keys.ARROW_RIGHT)
    assert rng.get_attribute("aria-valuetext") == standalone["frames"][1]["label"]
    assert severe(driver) == []


def check_slider(driver, root, expected):
    """Keyboard only: each frame's state is the expected (label, value, stats), exactly."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    rng = root.find_element(By.CSS_SELECTOR, "input.idw-range")
    driver.execute_script("arguments[0].focus();", rng)
    press(driver, Keys.HOME)
    groups = root.find_elements(By.CSS_SELECTOR, "g.idw-frame")
    assert len(groups) == len(expected)
    for k, want in enumerate(expected):
        if k:
            press(driver, Keys.ARROW_RIGHT)
        state = read_state(driver, root)
        assert state == {"index": k, **want}
        assert [g.get_attribute("visibility") for g in groups] == [
            "visible" if j == k else "hidden" for j in range(len(groups))
        ]
        assert root.find_element(By.CSS_SELECTOR, "[data-out='label']").text == want["label"]
    press(driver, Keys.ARROW_RIGHT)  # past the end it stays on the last frame
    assert read_state(driver, root)["index"] == len(expected) - 1
    press(driver, Keys.HOME)
    assert read_state(driver, root)["index"] == 0
