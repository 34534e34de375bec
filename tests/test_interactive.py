"""The interactive figures: the state Python puts in the page, the static first frame, errors.

The state is read back from the HTML (the ``data-state`` attribute, as a browser reads it)
and compared with the package's functions and with brute-force refits by numpy. The
browser check (tests/browser/test_widgets.py) then drives the JavaScript and compares what
it computes with numpy after every drag.
"""

import json
import re
from html.parser import HTMLParser
from importlib import resources

import numpy as np
import pytest

from influence_demo import (
    LinearRegression,
    add_intercept,
    influence_params,
    leverage,
    loo_params_ols,
)
from influence_demo.interactive import interactive_ls, ls_state, slider

RTOL = 1e-10


class _Elements(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html_text, tag=None, cls=None):
    parser = _Elements()
    parser.feed(html_text)
    return [
        attrs
        for t, attrs in parser.tags
        if (tag is None or t == tag) and (cls is None or cls in attrs.get("class", "").split())
    ]


def page_state(fig):
    """The JSON of the root's data-state attribute, parsed from the HTML as a browser would."""
    (root,) = [a for a in elements(fig.html) if "data-state" in a]
    return json.loads(root["data-state"])


def line_data(n=10, seed=1, far=2.0):
    rng = np.random.default_rng(seed)
    x = np.append(rng.uniform(0, 1, size=n - 1), far)
    return x, 1 + 0.8 * x + rng.normal(scale=0.2, size=n)


def close(a, b, scale=1.0):
    np.testing.assert_allclose(
        np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=RTOL, atol=RTOL * scale
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_state_in_the_page_equals_the_package(seed):
    x, y = line_data(seed=seed, far=1.5 + seed)
    X = add_intercept(x[:, None])
    model = LinearRegression().fit(X, y)
    h, I, loo = leverage(X), influence_params(model, X, y), loo_params_ols(X, y)
    scale = np.abs(model.theta_).max()
    for i in range(x.size):
        state = page_state(interactive_ls(x, y, selected=i))
        assert state["selected"] == i and state["status"] == "ok"
        close(state["points"], np.column_stack([x, y]))
        close(state["theta_hat"], model.theta_, scale)
        close(state["h_ii"], h[i])
        close(state["one_minus_h"], 1 - h[i])
        close(state["residual"], y[i] - X[i] @ model.theta_, scale)
        close(state["i_up_params"], I[i], scale)
        close(state["theta_loo"], loo[i], scale)
        close(state["influence_prediction"], model.theta_ - I[i], scale)
        close(state["leverage_prediction"], model.theta_ - I[i] / (1 - h[i]), scale)


def test_state_equals_brute_force_refits_by_numpy():
    """Independent of the package: lstsq on all points, and on all but point i."""
    x, y = line_data(seed=4, far=3.0)
    X = np.column_stack([x, np.ones_like(x)])
    theta = np.linalg.lstsq(X, y, rcond=None)[0]
    for i in range(x.size):
        keep = np.arange(x.size) != i
        s = ls_state(x, y, i)
        close(s["theta_hat"], theta, 3)
        close(s["theta_loo"], np.linalg.lstsq(X[keep], y[keep], rcond=None)[0], 3)
        close(s["h_ii"], X[i] @ np.linalg.solve(X.T @ X, X[i]))


def test_the_exact_line_moves_more_than_the_influence_function_by_the_leverage_factor():
    x, y = line_data(seed=1, far=2.0)
    s = ls_state(x, y, 9)
    actual = np.subtract(s["theta_loo"], s["theta_hat"])
    predicted = np.subtract(s["influence_prediction"], s["theta_hat"])
    close(actual, predicted / (1 - s["h_ii"]), 1)
    assert s["h_ii"] > 0.5 and np.linalg.norm(actual) > 2 * np.linalg.norm(predicted)


def test_leverage_one_leaves_the_leave_one_out_fit_undefined_without_dividing():
    # Without point 3 every x is 0: no line through the others is determined.
    x, y = np.array([0.0, 0.0, 0.0, 1.0]), np.array([1.0, 2.0, 0.0, 3.0])
    s = page_state(interactive_ls(x, y, selected=3))
    assert s["status"] == "leverage-one"
    assert s["theta_loo"] is None and s["leverage_prediction"] is None
    close(s["h_ii"], 1.0)
    # the influence function still predicts a finite change: the residual of point 3 is 0
    close(s["residual"], 0.0, 1)
    assert np.all(np.isfinite(s["influence_prediction"]))
    # point 0 can be left out: the refit stays defined although point 3 has leverage 1
    s0 = ls_state(x, y, 0)
    assert s0["status"] == "ok"
    close(s0["theta_loo"], np.linalg.lstsq(add_intercept(x[1:, None]), y[1:], rcond=None)[0], 3)
    close(s0["leverage_prediction"], s0["theta_loo"], 3)


def test_static_first_frame_draws_the_state():
    x, y = line_data()
    fig = interactive_ls(x, y, xlim=(-0.5, 3.5), ylim=(0, 4))
    (root,) = elements(fig.html, "figure", "idw-ls")
    cfg = json.loads(root["data-config"])
    left, top, width, height = cfg["plot"]
    assert cfg["xlim"] == [-0.5, 3.5] and cfg["ylim"] == [0, 4]
    circles = elements(fig.html, "circle", "idw-point")
    assert len(circles) == x.size
    cx = [float(c["cx"]) for c in circles]
    cy = [float(c["cy"]) for c in circles]
    np.testing.assert_allclose(cx, left + (x + 0.5) / 4 * width, atol=0.005)
    np.testing.assert_allclose(cy, top + height - y / 4 * height, atol=0.005)
    sel = fig.state["selected"]
    assert sel == int(np.argmax(leverage(add_intercept(x[:, None]))))
    assert [("idw-selected" in c["class"]) for c in circles] == [k == sel for k in range(x.size)]
    # every line passes through its theta at the two ends of the x axis
    for name, key in [
        ("fit", "theta_hat"),
        ("loo", "theta_loo"),
        ("influence", "influence_prediction"),
    ]:
        (line,) = [
            e for e in elements(fig.html, "line", f"idw-line-{name}") if e["x1"] != "0"
        ]  # not the legend
        w, b = fig.state[key]
        np.testing.assert_allclose(
            float(line["y1"]), top + height - (w * -0.5 + b) / 4 * height, atol=0.005
        )
        np.testing.assert_allclose(
            float(line["y2"]), top + height - (w * 3.5 + b) / 4 * height, atol=0.005
        )
    # the text alternative of the first frame, and keyboard access to every point
    (desc,) = re.findall(r"<desc[^>]*>(.*?)</desc>", fig.html)
    assert f"selected point {sel}" in desc
    assert all(c["tabindex"] == "0" and c["role"] == "button" for c in circles)


def test_the_page_is_self_contained():
    """No file or address outside the HTML: it works offline, opened from disk."""
    x, y = line_data()
    for fig in (interactive_ls(x, y), slider([_frame(1.0)], series=("one", "two"))):
        assert not re.search(r"""\b(src|href)=|https?:|url\((?!#)|@import""", fig.html)
        assert fig.html.count("<script>") == 2
    js = resources.files("influence_demo").joinpath("_widgets", "ls.js").read_text(encoding="utf-8")
    code = re.findall(r"<script>(.*?)</script>", interactive_ls(x, y).html, flags=re.DOTALL)[0]
    # the packaged script, inlined without its comments and indentation (the browser
    # check runs this inlined copy)
    assert (
        "function compute(points, sel) {" in code
        and "NS.ls = { compute: compute, init: init };" in code
    )
    assert "/*" not in code and " // " not in code and len(code) < 0.8 * len(js)


def test_page_weight_stays_small():
    """A hand-written widget of a few kilobytes, not a plotting library."""
    x, y = line_data()
    assert len(interactive_ls(x, y).html.encode()) < 20_000
    frames = [_frame(s, n=250) for s in (0.5, 1.0, 2.0)]
    size = [len(slider(f, series=("one", "two")).html.encode()) for f in (frames, frames[:1])]
    per_frame = (size[0] - size[1]) / 2
    assert per_frame < 2 * 250 * 16  # two series of 250 points, and the axes: under 16 B a point


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0]},
            ValueError,
            "x and y have different lengths: 3 against 2",
        ),
        ({"x": [0.0, 1.0], "y": [0.0, 1.0]}, ValueError, "need at least 3 points; got 2"),
        ({"x": [0.0, np.nan, 2.0], "y": [0.0, 1.0, 2.0]}, ValueError, "x contains NaN or inf"),
        ({"x": [[0.0, 1.0, 2.0]], "y": [0.0, 1.0, 2.0]}, ValueError, "x must be 1-D"),
        ({"x": [1.0, 1.0, 1.0], "y": [0.0, 1.0, 2.0]}, ValueError, "every point has the same x"),
        (
            {"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 2.0], "selected": 3},
            ValueError,
            r"selected must lie in 0 \.\. 2; got 3",
        ),
        (
            {"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 2.0], "selected": 1.0},
            TypeError,
            "selected must be an integer index",
        ),
        (
            {"x": [0.0, 1.0, 2.0], "y": [0.0, 1.5, 2.0], "xlim": (2, 1)},
            ValueError,
            "xlim must be a pair",
        ),
        (
            {"x": [0.0, 1.0, 2.0], "y": [0.0, 1.5, 2.0], "ylim": (0, 1)},
            ValueError,
            "does not contain every point",
        ),
    ],
)
def test_interactive_ls_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        interactive_ls(**kwargs)


# --- slider ----------------------------------------------------------------------------------


def _frame(s, n=20):
    a = np.linspace(-1.0, 1.0, n)
    return {
        "label": f"s = {s:g}",
        "value": s,
        "x": a,
        "y": [s * a, a**3],
        "stats": {"slope": s, "inverse": 1 / s},
    }


def test_slider_state_and_frames_in_the_page():
    values = [10.0, 0.1, 1e-5]
    frames = [_frame(s) for s in values]
    fig = slider(frames, series=("one", "two"), name="penalty", start=1, stat_format=".3e")
    state = page_state(fig)
    assert (
        state
        == fig.state
        == {"index": 1, "label": "s = 0.1", "value": 0.1, "stats": {"slope": 0.1, "inverse": 10.0}}
    )
    (root,) = elements(fig.html, "figure", "idw-slider")
    meta = json.loads(root["data-frames"])
    assert [m["stats"] for m in meta] == [f["stats"] for f in frames]  # exact: JSON keeps every bit
    assert [m["value"] for m in meta] == values
    assert meta[2]["shown"] == {"slope": "1.000e-05", "inverse": "1.000e+05"}
    groups = elements(fig.html, "g", "idw-frame")
    assert [g["visibility"] for g in groups] == ["hidden", "visible", "hidden"]
    (rng,) = elements(fig.html, "input", "idw-range")
    assert (rng["type"], rng["min"], rng["max"], rng["value"]) == ("range", "0", "2", "1")
    assert rng["aria-valuetext"] == "s = 0.1"


def test_slider_draws_every_point_of_every_frame():
    frames = [_frame(s, n=7) for s in (1.0, 2.0)]
    fig = slider(frames, series=("one", "two"))
    paths = elements(fig.html, "path", "idw-dots")[: len(frames)]  # the legend adds one more
    assert [p["d"].count("M") for p in paths] == [7, 7]


@pytest.mark.parametrize(
    "frames, kwargs, match",
    [
        ([], {}, "frames is empty"),
        (
            [{"label": "a", "x": [1.0], "y": [[1.0]], "stats": {}}],
            {},
            r"frame 0 lacks the key\(s\) \['value'\]",
        ),
        (
            [{**_frame(1.0), "y": [[1.0, 2.0]]}],
            {"series": ("one",)},
            "every series in 'y' must have the length",
        ),
        ([_frame(1.0)], {"series": ("one",)}, "frame 0 has 2 series in 'y'; series names 1"),
        ([_frame(1.0)], {"series": ("a", "b", "c")}, "series must name one or two series"),
        (
            [_frame(1.0), {**_frame(2.0), "stats": {"slope": 2.0}}],
            {},
            r"frame 1 has stats \['slope'\]",
        ),
        ([{**_frame(1.0), "stats": {"slope": float("nan")}}], {}, "must be finite numbers"),
        ([_frame(1.0)], {"start": 1}, r"start must be an index in 0 \.\. 0; got 1"),
    ],
)
def test_slider_errors(frames, kwargs, match):
    kwargs = {"series": ("one", "two"), **kwargs}
    with pytest.raises(ValueError, match=match):
        slider(frames, **kwargs)
