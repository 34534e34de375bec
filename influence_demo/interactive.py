r"""Figures a reader can drag: small self-contained SVG + JavaScript widgets for the HTML book.

Each function returns an :class:`HTMLFigure`, which a notebook displays as HTML. The HTML
carries its own JavaScript and CSS (a few kilobytes, read from the package's ``_widgets``
folder and inlined), so a page that shows it works offline, opened from disk, with no
server and no kernel. The figure is first drawn by Python (the static first frame, which
is what a reader without JavaScript and a printout see); the script then makes it live.

The root element of every widget keeps its current state as JSON in its ``data-state``
attribute, so a test can drive the widget in a browser and read back what it computed.

A notebook stores the widget's HTML, scripts included, as the cell's output. After editing a
file in ``_widgets``, re-run the chapters that show a widget (``make execute``); nbval
reports any chapter whose stored widget is stale.

* :func:`interactive_ls`: drag the points of a straight-line least-squares fit and watch
  the exact leave-one-out fit, the influence function's prediction and the
  leverage-corrected prediction of the selected point move. The script recomputes the
  closed forms of :mod:`influence_demo.loo` for the current points.
* :func:`slider`: step through precomputed predicted-against-actual scatter plots (for
  example one per penalty :math:`\lambda`); the notebook computes every frame, the slider
  only swaps between them.
"""

import html
import itertools
import json
import math
import re
from importlib import resources

import numpy as np

from ._validation import as_vector
from .influence import influence_params
from .loo import leverage, loo_params_ols
from .models import LinearRegression, add_intercept

__all__ = ["HTMLFigure", "interactive_ls", "ls_state", "slider"]

# h_ii >= 1 - LEVERAGE_ONE counts as 1 (the threshold of loo_params_ols and of ls.js)
LEVERAGE_ONE = 1e-12
_ids = itertools.count(1)


def _asset(name):
    """The text of a packaged widget file (JavaScript or CSS)."""
    return resources.files("influence_demo").joinpath("_widgets", name).read_text(encoding="utf-8")


class HTMLFigure:
    """A figure as one self-contained piece of HTML, displayed by Jupyter as ``text/html``.

    Made by :func:`interactive_ls` and :func:`slider`; a notebook shows it as the value of
    a cell (through ``_repr_html_``).

    Parameters
    ----------
    html_text : str
        The markup, with its script and style inlined.
    state : dict
        The state the figure starts in (the JSON of its ``data-state`` attribute).
    description : str
        What the figure is, for its plain-text representation.

    Attributes
    ----------
    html : str
        ``html_text``.
    state : dict
        ``state``.

    Examples
    --------
    >>> fig = HTMLFigure("<p>hello</p>", {"index": 0}, "a greeting")
    >>> fig._repr_html_(), fig.state
    ('<p>hello</p>', {'index': 0})
    >>> fig
    <a greeting: an interactive figure; open it in the HTML book or Jupyter>
    """

    def __init__(self, html_text, state, description):
        self.html = html_text
        self.state = state
        self._description = description

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        return f"<{self._description}: an interactive figure; open it in the HTML book or Jupyter>"


def _fmt(v, digits=4):
    """Signed fixed-point text, as ``fmt`` in ls.js; an en dash for a missing value."""
    if v is None or not math.isfinite(v):
        return "\u2013"
    return f"{v:+.{digits}f}"


def _nice_ticks(lo, hi, target=6):
    """Round tick values inside [lo, hi] with a step of 1, 2, 2.5 or 5 times a power of 10."""
    raw = (hi - lo) / target
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (
        1 if round(step / power, 6) == 2.5 else 0
    )
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + 1e-9 * step:
        value = k * step
        text = f"{value:.{decimals}f}"
        ticks.append((value, "0" if float(text) == 0 else text))
        k += 1
    return ticks


def _check_limits(lim, name, data):
    lim = as_vector(lim, name)
    if lim.shape != (2,) or not lim[0] < lim[1]:
        raise ValueError(f"{name} must be a pair (low, high) with low < high; got {lim.tolist()}")
    if data.min() < lim[0] or data.max() > lim[1]:
        raise ValueError(
            f"{name} = {lim.tolist()} does not contain every point "
            f"(they span {data.min():.6g} .. {data.max():.6g})"
        )
    return [float(lim[0]), float(lim[1])]


def _padded(a, lo_pad, hi_pad):
    span = float(a.max() - a.min()) or 1.0
    return [float(a.min()) - lo_pad * span, float(a.max()) + hi_pad * span]


class _Frame:
    """The map from data to SVG coordinates of one rectangular plot area."""

    def __init__(self, plot, xlim, ylim):
        self.plot, self.xlim, self.ylim = plot, xlim, ylim

    def px(self, x):
        left, _, width, _ = self.plot
        return left + (x - self.xlim[0]) / (self.xlim[1] - self.xlim[0]) * width

    def py(self, y):
        _, top, _, height = self.plot
        return top + height - (y - self.ylim[0]) / (self.ylim[1] - self.ylim[0]) * height

    def axes(self, xlabel, ylabel):
        """SVG markup of the box, the ticks with labels and grid lines, and the axis labels."""
        left, top, width, height = self.plot
        out = [f'<rect class="idw-axis" x="{left}" y="{top}" width="{width}" height="{height}"/>']
        for value, text in _nice_ticks(*self.xlim):
            u = self.px(value)
            out.append(
                f'<line class="idw-grid" x1="{u:.1f}" x2="{u:.1f}" y1="{top}" y2="{top + height}"/>'
            )
            out.append(
                f'<text x="{u:.1f}" y="{top + height + 15}" text-anchor="middle">{text}</text>'
            )
        for value, text in _nice_ticks(*self.ylim):
            v = self.py(value)
            out.append(
                f'<line class="idw-grid" x1="{left}" x2="{left + width}" '
                f'y1="{v:.1f}" y2="{v:.1f}"/>'
            )
            out.append(f'<text x="{left - 5}" y="{v + 4:.1f}" text-anchor="end">{text}</text>')
        out.append(
            f'<text x="{left + width / 2}" y="{top + height + 33}" text-anchor="middle">'
            f"{html.escape(xlabel)}</text>"
        )
        out.append(
            f'<text transform="translate(14 {top + height / 2}) rotate(-90)" text-anchor="middle">'
            f"{html.escape(ylabel)}</text>"
        )
        return "".join(out)


def _attr(obj):
    """JSON for an HTML attribute value (quoted with double quotes)."""
    return html.escape(json.dumps(obj, allow_nan=False), quote=True)


def _compact(js):
    """The script without its comments and indentation (the packaged file keeps both).

    Only whole-line comments, ``/* ... */`` blocks and `` // ...`` after code are removed;
    the widget scripts contain no string with ``//`` or ``/*`` in it.
    """
    js = re.sub(r"/\*.*?\*/", "", js, flags=re.DOTALL)
    lines = (re.sub(r"\s+// .*$", "", line).strip() for line in js.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


def _script(*names):
    code = "\n".join(_compact(_asset(n)) for n in names)
    css = " ".join(line.strip() for line in _asset("widgets.css").splitlines())
    return f"<style>{css}</style><script>{code}</script>"


# ----------------------------------------------------------------------------------------
# least squares


def ls_state(x, y, selected):
    r"""The closed forms the least-squares widget shows, computed with the package.

    The model is the straight line :math:`y = w x + b`, that is least squares on the design
    matrix ``add_intercept(x[:, None])`` with :math:`\theta = (w, b)`. For the selected
    point :math:`i`:

    .. math::

        h_{ii} &= x_i^\top (X^\top X)^{-1} x_i, \qquad
        \mathcal I_{\text{up,params}}(z_i) = (X^\top X)^{-1} x_i e_i, \\
        \hat\theta_{-i} &= \hat\theta - \frac{\mathcal I_{\text{up,params}}(z_i)}{1 - h_{ii}} .

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The points.
    selected : int
        The index :math:`i` of the selected point.

    Returns
    -------
    dict
        ``points`` (n pairs), ``selected``, ``status`` (``"ok"``, or ``"leverage-one"`` when
        :math:`h_{ii} = 1` and :math:`\hat\theta_{-i}` is not defined), ``theta_hat``,
        ``h_ii``, ``one_minus_h``, ``residual`` :math:`e_i`, ``i_up_params``, ``theta_loo``
        (exact :math:`\hat\theta_{-i}`, or None), ``influence_prediction``
        (:math:`\hat\theta - \mathcal I_{\text{up,params}}(z_i)`, the influence function's
        :math:`\hat\theta_{-i}`) and ``leverage_prediction``
        (:math:`\hat\theta - \mathcal I_{\text{up,params}}(z_i)/(1-h_{ii})`, or None).
        Vectors are lists :math:`[w, b]`.

    Examples
    --------
    >>> s = ls_state([0.0, 1.0, 2.0, 6.0], [0.1, 0.9, 2.2, 5.0], selected=3)
    >>> round(s["h_ii"], 4), s["status"]
    (0.9277, 'ok')
    >>> np.allclose(s["leverage_prediction"], s["theta_loo"])
    True
    """
    x, y, selected = _check_ls(x, y, selected)
    X = add_intercept(x[:, None])
    model = LinearRegression().fit(X, y)
    h = leverage(X)[selected]
    iup = influence_params(model, X, y)[selected]
    theta = model.theta_
    state = {
        "points": np.column_stack([x, y]).tolist(),
        "selected": selected,
        "status": "ok",
        "theta_hat": theta.tolist(),
        "h_ii": float(h),
        "residual": float(y[selected] - X[selected] @ theta),
        "i_up_params": iup.tolist(),
        "theta_loo": None,
        "influence_prediction": (theta - iup).tolist(),
        "leverage_prediction": None,
        "one_minus_h": float(1 - h),
    }
    if h >= 1 - LEVERAGE_ONE:
        state["status"] = "leverage-one"
        return state
    try:
        loo = loo_params_ols(X, y)[selected]
    except ValueError:  # another point has leverage 1; this one's refit is still defined
        keep = np.arange(x.size) != selected
        loo = LinearRegression().fit(X[keep], y[keep]).theta_
    state["theta_loo"] = loo.tolist()
    state["leverage_prediction"] = (theta - iup / (1 - h)).tolist()
    return state


def _check_ls(x, y, selected):
    x, y = as_vector(x, "x"), as_vector(y, "y")
    if x.size != y.size:
        raise ValueError(f"x and y have different lengths: {x.size} against {y.size}")
    if x.size < 3:
        raise ValueError(
            f"need at least 3 points; got {x.size}. With 2 the line passes through both, and "
            "without one of them no line is determined."
        )
    if np.ptp(x) <= 1e-12 * np.max(np.abs(x)):
        raise ValueError("every point has the same x: no straight line is determined")
    if selected is None:
        selected = int(np.argmax(leverage(add_intercept(x[:, None]))))
    if isinstance(selected, bool) or not isinstance(selected, (int, np.integer)):
        raise TypeError(f"selected must be an integer index; got {selected!r}")
    if not 0 <= selected < x.size:
        raise ValueError(f"selected must lie in 0 .. {x.size - 1}; got {selected}")
    return x, y, int(selected)


_LS_ROWS = [
    ("fit", "fit to all points, \u03b8\u0302", None),
    ("act", "exact leave-one-out, \u03b8\u0302\u208b\u1d62 \u2212 \u03b8\u0302", "loo"),
    ("inf", "influence function, \u2212I", "influence"),
    ("lev", "with the leverage factor, \u2212I/(1 \u2212 h\u1d62\u1d62)", "leverage"),
]


def interactive_ls(
    x,
    y,
    selected=None,
    *,
    xlim=None,
    ylim=None,
    xlabel="x",
    ylabel="y",
    caption=None,
    alt=None,
    width=640,
    height=400,
):
    r"""A straight-line least-squares fit whose points the reader can drag, as HTML.

    The figure shows the points, the fit to all of them, and for the selected point
    :math:`i`: the exact leave-one-out fit :math:`\hat\theta_{-i}`, the influence
    function's prediction :math:`\hat\theta - \mathcal I_{\text{up,params}}(z_i)` and the
    leverage-corrected prediction :math:`\hat\theta - \mathcal
    I_{\text{up,params}}(z_i)/(1-h_{ii})` (which is exact, so it lies on the leave-one-out
    line). Readouts give :math:`h_{ii}`, :math:`1/(1-h_{ii})`, the residual and the three
    changes of slope and intercept. Dragging a point, or clicking one, updates everything:
    the script recomputes the closed forms of :func:`ls_state` (see ``_widgets/ls.js``),
    with :math:`1 - h_{ii}` from the matrix determinant lemma, so nothing is divided by
    zero when :math:`h_{ii} \to 1`. With the keyboard, Tab reaches each point, Enter or
    Space selects it and the arrow keys move it (Shift for larger steps).

    Used in the chapter *Least squares: influence against exact leave-one-out*.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The points, n >= 3; the model is :math:`y = w x + b` (``add_intercept(x[:, None])``).
    selected : int, optional
        The point selected first (default: the one of highest leverage).
    xlim, ylim : pair of float, optional
        Axis limits, which also bound where a point can be dragged. They must contain every
        point. Default: the data's range, with room to drag to the right and above.
    xlabel, ylabel : str
        Axis labels (plain text).
    caption : str, optional
        Shown under the figure: what to try and what to notice.
    alt : str, optional
        The text alternative of the first frame (default: a generated description).
    width, height : int
        Size of the drawing in SVG units; it scales to the page width.

    Returns
    -------
    HTMLFigure
        Its ``state`` is :func:`ls_state` of the first frame.

    Raises
    ------
    ValueError
        If ``x`` and ``y`` differ in length, hold fewer than 3 points, hold NaN or inf, all
        have the same ``x``, if ``selected`` is out of range, or if a limit is not an
        increasing pair that contains every point.
    TypeError
        If ``selected`` is not an integer.

    Examples
    --------
    >>> fig = interactive_ls([0.0, 1.0, 2.0, 6.0], [0.1, 0.9, 2.2, 5.0])
    >>> fig.state["selected"], round(fig.state["h_ii"], 4)
    (3, 0.9277)
    >>> 'data-state=' in fig.html and "<script>" in fig.html
    True
    """
    x, y, selected = _check_ls(x, y, selected)
    xlim = _padded(x, 0.15, 0.5) if xlim is None else _check_limits(xlim, "xlim", x)
    ylim = _padded(y, 0.3, 0.6) if ylim is None else _check_limits(ylim, "ylim", y)
    state = ls_state(x, y, selected)
    pts = np.column_stack([x, y])
    plot = [52, 12, width - 64, height - 52]
    frame = _Frame(plot, xlim, ylim)
    uid = f"idw-ls-{next(_ids)}"
    sel = state["selected"]

    def line(name, theta):
        if theta is None:
            return f'<line class="idw-line-{name}" visibility="hidden"/>'
        y1 = min(max(frame.py(theta[0] * xlim[0] + theta[1]), -1e6), 1e6)
        y2 = min(max(frame.py(theta[0] * xlim[1] + theta[1]), -1e6), 1e6)
        return (
            f'<line class="idw-line-{name}" '
            f'x1="{frame.px(xlim[0]):.2f}" x2="{frame.px(xlim[1]):.2f}" '
            f'y1="{y1:.2f}" y2="{y2:.2f}"/>'
        )

    circles = "".join(
        f'<circle class="idw-point{" idw-selected" if k == sel else ""}" '
        'tabindex="0" role="button" '
        f'aria-pressed="{"true" if k == sel else "false"}" '
        f'aria-label="point {k}: x {px_:.2f}, y {py_:.2f}{", selected" if k == sel else ""}" '
        f'cx="{frame.px(px_):.2f}" cy="{frame.py(py_):.2f}" r="7"/>'
        for k, (px_, py_) in enumerate(pts)
    )
    if alt is None:
        far = "far from the others" if state["h_ii"] > 0.5 else "among the others"
        alt = (
            f"Scatter plot of {len(pts)} points with their least-squares line. The selected point "
            f"{sel}, at x = {pts[sel, 0]:.2f}, lies {far} in x and has leverage "
            f"{state['h_ii']:.2f}. "
            "Three more lines show the fit without it: exact leave-one-out, the influence "
            "function's prediction and the leverage-corrected prediction, which coincides with "
            "the exact one."
        )
    theta = state["theta_hat"]

    def change(t):
        return [None, None] if t is None else [t[0] - theta[0], t[1] - theta[1]]

    values = {
        "fit": theta,
        "act": change(state["theta_loo"]),
        "inf": change(state["influence_prediction"]),
        "lev": change(state["leverage_prediction"]),
    }
    styles = {
        None: "idw-line-fit",
        "loo": "idw-line-loo",
        "influence": "idw-line-influence",
        "leverage": "idw-line-leverage",
    }
    rows = "".join(
        f'<tr><td><svg width="28" height="10" aria-hidden="true" style="display:inline;width:28px">'
        f'<line class="{styles[line_name]}" x1="0" x2="28" y1="5" y2="5"/></svg> '
        f"{html.escape(label)}</td>"
        f'<td data-out="{key}-w">{_fmt(values[key][0])}</td>'
        f'<td data-out="{key}-b">{_fmt(values[key][1])}</td></tr>'
        for key, label, line_name in _LS_ROWS
    )
    # the first row is the fit itself; the others are changes of it, under their own heading
    first_row_end = rows.index("</tr>") + len("</tr>")
    rows = (rows[:first_row_end] + '<tr><th colspan="3">change when the selected point is '
            "removed</th></tr>" + rows[first_row_end:])
    factor = "\u221e" if state["status"] == "leverage-one" else f"{1 / state['one_minus_h']:.3f}"
    parts = [
        f'<figure class="idw idw-ls" id="{uid}" data-influence-demo="ls" '
        f'data-config="{_attr({"plot": plot, "xlim": xlim, "ylim": ylim})}" '
        f'data-state="{_attr(state)}">',
        f'<svg viewBox="0 0 {width} {height}" role="group" aria-labelledby="{uid}-title" '
        f'aria-describedby="{uid}-desc">',
        f'<title id="{uid}-title">Least-squares fit with draggable points</title>',
        f'<desc id="{uid}-desc">{html.escape(alt)}</desc>',
        f'<defs><clipPath id="{uid}-clip"><rect x="{plot[0]}" y="{plot[1]}" width="{plot[2]}" '
        f'height="{plot[3]}"/></clipPath></defs>',
        frame.axes(xlabel, ylabel),
        f'<g clip-path="url(#{uid}-clip)">',
        line("loo", state["theta_loo"]),
        line("fit", theta),
        line("leverage", state["leverage_prediction"]),
        line("influence", state["influence_prediction"]),
        "</g>",
        circles,
        "</svg>",
        '<div class="idw-controls">'
        '<button type="button" class="idw-reset">Reset the points</button>'
        "<span>Drag a point, or Tab to it: Enter selects, arrow keys move it.</span></div>",
        f'<p>Selected point <b data-out="selected">{sel}</b>: leverage h\u1d62\u1d62 = '
        f'<b data-out="h">{state["h_ii"]:.4f}</b>, 1/(1 \u2212 h\u1d62\u1d62) = '
        f'<b data-out="factor">{factor}</b>, residual e\u1d62 = <b data-out="residual">'
        f"{_fmt(state['residual'])}</b></p>",
        f"<table><thead><tr><th></th><th>slope w</th><th>intercept b</th></tr></thead><tbody>{rows}"
        "</tbody></table>",
        '<p class="idw-message" role="status" aria-live="polite" data-out="message"></p>',
        f"<figcaption>{html.escape(caption)}</figcaption>" if caption else "",
        _script("ls.js"),
        "<script>(function(){var r=document.getElementById("
        f'"{uid}");if(r&&!r.classList.contains("idw-live")){{window.InfluenceDemo.ls.init(r);}}}})();</script>',
        "</figure>",
    ]
    return HTMLFigure("".join(parts), state, f"interactive_ls with {len(pts)} points")


# ----------------------------------------------------------------------------------------
# slider over precomputed frames


def slider(
    frames,
    *,
    xlabel="actual change",
    ylabel="predicted change",
    series=("prediction",),
    name="frame",
    start=0,
    stat_format=".4f",
    caption=None,
    alt=None,
    width=560,
    height=420,
    shared_axes=True,
):
    r"""Predicted-against-actual scatter plots, one per frame, and a slider that swaps them.

    Every frame is computed by the notebook and drawn here once; the slider only shows one
    frame at a time and writes that frame's numbers into a table. All frames share one pair
    of axes (equal on both, with the dashed line :math:`y = x`), so moving the slider moves
    the points, not the scale; ``shared_axes=False`` gives each frame its own, for frames
    whose scales differ by orders of magnitude. The slider is a native range input, with
    the first and last frames' labels at its ends: the arrow keys, Home and End move
    it. Points are drawn at whole SVG units
    (finer than a dot, and about 10 bytes a point); the numbers in the table, and in the
    state, keep full precision.

    Used in the chapter *Which training images made this prediction?*.

    Parameters
    ----------
    frames : sequence of dict
        Each with ``label`` (str, shown and read aloud), ``value`` (float, e.g. the
        penalty), ``x`` (the actual values, shape (n,)), ``y`` (a sequence of one or two
        arrays of shape (n,), the predictions of each series) and ``stats`` (dict of str to
        float, shown in the table and kept at full precision in the state).
    xlabel, ylabel : str
        Axis labels (plain text).
    series : sequence of str
        Names of the one or two series (round dots, then squares).
    name : str
        What the slider moves through (its accessible name).
    start : int
        The frame shown first (and in print).
    stat_format : str
        Format spec of the numbers in the table.
    caption, alt : str, optional
        Caption under the figure; text alternative of the first frame.
    width, height : int
        Size of the drawing in SVG units.
    shared_axes : bool, default True
        One pair of axes for every frame; False gives each frame its own limits.

    Returns
    -------
    HTMLFigure
        Its ``state`` holds ``index``, ``label``, ``value`` and ``stats`` of frame ``start``.

    Raises
    ------
    ValueError
        If there are no frames, if a frame lacks a key, if the series do not match
        ``series`` or ``x`` in length, if a value is not finite, if the frames' stats have
        different names, or if ``start`` is out of range.

    Examples
    --------
    >>> a = np.array([0.0, 1.0, 2.0])
    >>> fr = [{"label": f"s = {s}", "value": s, "x": a, "y": [s * a], "stats": {"slope": s}}
    ...       for s in (0.5, 1.0)]
    >>> fig = slider(fr, name="slope", start=1)
    >>> fig.state
    {'index': 1, 'label': 's = 1.0', 'value': 1.0, 'stats': {'slope': 1.0}}
    """
    frames = _check_frames(frames, series, start)
    uid = f"idw-sl-{next(_ids)}"
    plot = [58, 12, width - 70, height - 58]
    stat_names = list(frames[0]["stats"])
    classes = ["idw-dots", "idw-squares"]
    groups, meta = [], []
    everything = np.concatenate([np.concatenate([f["x"], *f["y"]]) for f in frames])
    shared = _padded(everything, 0.05, 0.05)
    axes = _Frame(plot, shared, shared).axes(xlabel, ylabel) if shared_axes else ""
    for k, f in enumerate(frames):
        lim = shared if shared_axes else _padded(np.concatenate([f["x"], *f["y"]]), 0.05, 0.05)
        fr = _Frame(plot, lim, lim)
        paths = "".join(
            f'<path class="{cls}" d="'
            + "".join(f"M{fr.px(a):.0f} {fr.py(b):.0f}h0" for a, b in zip(f["x"], ys))
            + '"/>'
            for cls, ys in zip(classes, f["y"])
        )
        diag = (
            f'<line class="idw-diag" x1="{fr.px(lim[0]):.1f}" y1="{fr.py(lim[0]):.1f}" '
            f'x2="{fr.px(lim[1]):.1f}" y2="{fr.py(lim[1]):.1f}"/>'
        )
        groups.append(
            f'<g class="idw-frame" data-frame="{k}" '
            f'visibility="{"visible" if k == start else "hidden"}">'
            f"{'' if shared_axes else fr.axes(xlabel, ylabel)}{diag}{paths}</g>"
        )
        shown = {s: format(f["stats"][s], stat_format) for s in stat_names}
        meta.append({"label": f["label"], "value": f["value"], "stats": f["stats"], "shown": shown})
    legend = "".join(
        f'<span><svg width="14" height="14" aria-hidden="true" style="display:inline;width:14px">'
        f'<path class="{cls}" d="M7 7h0"/></svg> {html.escape(s)}</span> '
        for cls, s in zip(classes, series)
    )
    first = meta[start]
    table = "".join(
        f"<tr><td>{html.escape(s)}</td>"
        f'<td data-stat="{html.escape(s)}">{first["shown"][s]}</td></tr>'
        for s in stat_names
    )
    if alt is None:
        alt = (
            f"Scatter plot of {ylabel} against {xlabel} for {first['label']}, with the line y = x."
        )
    state = {k: first[k] for k in ("label", "value", "stats")}
    state = {"index": start, **state}
    parts = [
        f'<figure class="idw idw-slider" id="{uid}" data-influence-demo="slider" '
        f'data-frames="{_attr(meta)}" data-state="{_attr(state)}">',
        f'<div class="idw-controls"><label for="{uid}-range">{html.escape(name)}</label>'
        f'<span class="idw-end" aria-hidden="true">{html.escape(meta[0]["label"])}</span>'
        f'<input class="idw-range" id="{uid}-range" type="range" min="0" max="{len(frames) - 1}" '
        f'step="1" value="{start}" aria-valuetext="{html.escape(first["label"])}"/>'
        f'<span class="idw-end" aria-hidden="true">{html.escape(meta[-1]["label"])}</span></div>',
        f'<p>Showing <b data-out="label">{html.escape(first["label"])}</b></p>',
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="{uid}-title" '
        f'aria-describedby="{uid}-desc">',
        f'<title id="{uid}-title">{html.escape(ylabel)} against {html.escape(xlabel)}</title>',
        f'<desc id="{uid}-desc">{html.escape(alt)}</desc>',
        axes,
        *groups,
        "</svg>",
        f"<p>{legend}<span>· dashed line: y = x</span></p>",
        f"<table><tbody>{table}</tbody></table>",
        f"<figcaption>{html.escape(caption)}</figcaption>" if caption else "",
        _script("slider.js"),
        "<script>(function(){var r=document.getElementById("
        f'"{uid}");if(r&&!r.classList.contains("idw-live")){{window.InfluenceDemo.slider.init(r);}}}})();</script>',
        "</figure>",
    ]
    return HTMLFigure("".join(parts), state, f"slider over {len(frames)} frames")


def _check_frames(frames, series, start):
    frames = list(frames)
    if not frames:
        raise ValueError("frames is empty: give at least one frame")
    if not 1 <= len(series) <= 2:
        raise ValueError(f"series must name one or two series; got {len(series)}")
    out, names = [], None
    for k, f in enumerate(frames):
        missing = {"label", "value", "x", "y", "stats"} - set(f)
        if missing:
            raise ValueError(f"frame {k} lacks the key(s) {sorted(missing)}")
        x = as_vector(f["x"], f"frames[{k}]['x']")
        ys = [as_vector(v, f"frames[{k}]['y'][{j}]") for j, v in enumerate(f["y"])]
        if len(ys) != len(series):
            raise ValueError(f"frame {k} has {len(ys)} series in 'y'; series names {len(series)}")
        if any(v.size != x.size for v in ys):
            raise ValueError(
                f"frame {k}: every series in 'y' must have the length of 'x', {x.size}"
            )
        stats = {str(s): float(v) for s, v in f["stats"].items()}
        if not all(math.isfinite(v) for v in stats.values()) or not math.isfinite(
            float(f["value"])
        ):
            raise ValueError(f"frame {k}: its value and stats must be finite numbers")
        if names is None:
            names = list(stats)
        elif list(stats) != names:
            raise ValueError(f"frame {k} has stats {list(stats)}; frame 0 has {names}")
        out.append(
            {"label": str(f["label"]), "value": float(f["value"]), "x": x, "y": ys, "stats": stats}
        )
    if (
        isinstance(start, bool)
        or not isinstance(start, (int, np.integer))
        or not 0 <= start < len(out)
    ):
        raise ValueError(f"start must be an index in 0 .. {len(out) - 1}; got {start!r}")
    return out
