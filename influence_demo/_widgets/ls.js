/* Interactive least-squares figure of influence_demo.interactive.interactive_ls.
 *
 * Model: y = w x + b, theta = (w, b) (the weight, then the bias, as add_intercept orders
 * them). For the current points and the selected point i it recomputes, in closed form:
 *   theta_hat = (w, b) from centred sums (Sxx, Sxy);
 *   h_ii = 1/n + (x_i - xbar)^2 / Sxx;
 *   I_up,params(z_i) = (X^T X)^{-1} x_i e_i, with (X^T X)^{-1} x_i = (d_i/Sxx, 1/n - xbar d_i/Sxx);
 *   1 - h_ii = (n - 1) S_{-i} / (n Sxx) (matrix determinant lemma; S_{-i} is Sxx without
 *     point i), so no cancellation as h_ii -> 1;
 *   theta_{-i} = theta_hat - I_up,params / (1 - h_ii) (Sherman-Morrison), undefined when the
 *     other points all share one x (h_ii = 1): then nothing is divided.
 * The root element's data-state attribute always holds the current state as JSON.
 */
(function () {
  "use strict";
  var NS = (window.InfluenceDemo = window.InfluenceDemo || {});
  if (NS.ls) {
    return;
  }
  var ONE_MINUS_H_MIN = 1e-12; // as loo_params_ols: h_ii >= 1 - 1e-12 counts as 1

  function compute(points, sel) {
    var n = points.length, sx = 0, sy = 0, k, d;
    for (k = 0; k < n; k++) {
      sx += points[k][0];
      sy += points[k][1];
    }
    var xbar = sx / n, ybar = sy / n, sxx = 0, sxy = 0, sxx0 = 0;
    for (k = 0; k < n; k++) {
      d = points[k][0] - xbar;
      sxx += d * d;
      sxy += d * (points[k][1] - ybar);
      sxx0 += points[k][0] * points[k][0];
    }
    var state = {
      points: points.map(function (p) { return [p[0], p[1]]; }),
      selected: sel, status: "ok", theta_hat: null, h_ii: null, residual: null,
      i_up_params: null, theta_loo: null, influence_prediction: null,
      leverage_prediction: null, one_minus_h: null
    };
    if (!(sxx > 1e-24 * sxx0)) {
      state.status = "degenerate"; // every point has the same x: no line is determined
      return state;
    }
    var w = sxy / sxx, b = ybar - w * xbar;
    var xi = points[sel][0], yi = points[sel][1], di = xi - xbar;
    var e = yi - (w * xi + b);
    var ainvx = [di / sxx, 1 / n - xbar * di / sxx];
    var iup = [ainvx[0] * e, ainvx[1] * e];
    // S_{-i}: centred sum of squares of the other points' x
    var mx = (sx - xi) / (n - 1), srest = 0;
    for (k = 0; k < n; k++) {
      if (k !== sel) {
        d = points[k][0] - mx;
        srest += d * d;
      }
    }
    var omh = ((n - 1) * srest) / (n * sxx);
    state.theta_hat = [w, b];
    state.h_ii = 1 / n + (di * di) / sxx;
    state.residual = e;
    state.i_up_params = iup;
    state.one_minus_h = omh;
    state.influence_prediction = [w - iup[0], b - iup[1]];
    if (omh < ONE_MINUS_H_MIN) {
      state.status = "leverage-one";
      return state;
    }
    var loo = [w - iup[0] / omh, b - iup[1] / omh];
    state.theta_loo = loo;
    state.leverage_prediction = loo.slice();
    return state;
  }

  function fmt(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) {
      return "\u2013";
    }
    var s = v.toFixed(digits);
    return (v >= 0 ? "+" : "") + s;
  }

  function init(root) {
    var cfg = JSON.parse(root.getAttribute("data-config"));
    var state = JSON.parse(root.getAttribute("data-state"));
    var svg = root.querySelector("svg");
    var circles = Array.prototype.slice.call(root.querySelectorAll(".idw-point"));
    var lines = {};
    ["fit", "loo", "influence", "leverage"].forEach(function (name) {
      lines[name] = root.querySelector(".idw-line-" + name);
    });
    var plot = cfg.plot; // [left, top, width, height] in SVG units
    var xlim = cfg.xlim, ylim = cfg.ylim;
    function px(x) { return plot[0] + ((x - xlim[0]) / (xlim[1] - xlim[0])) * plot[2]; }
    function py(y) { return plot[1] + plot[3] - ((y - ylim[0]) / (ylim[1] - ylim[0])) * plot[3]; }
    function dataX(u) { return xlim[0] + ((u - plot[0]) / plot[2]) * (xlim[1] - xlim[0]); }
    function dataY(v) { return ylim[0] + ((plot[1] + plot[3] - v) / plot[3]) * (ylim[1] - ylim[0]); }
    function clampPx(v) { return Math.max(-1e6, Math.min(1e6, v)); }
    var points = state.points, sel = state.selected;

    function setLine(el, theta) {
      if (!theta) {
        el.setAttribute("visibility", "hidden");
        return;
      }
      el.removeAttribute("visibility");
      el.setAttribute("x1", px(xlim[0]).toFixed(2));
      el.setAttribute("x2", px(xlim[1]).toFixed(2));
      el.setAttribute("y1", clampPx(py(theta[0] * xlim[0] + theta[1])).toFixed(2));
      el.setAttribute("y2", clampPx(py(theta[0] * xlim[1] + theta[1])).toFixed(2));
    }

    function setText(name, text) {
      var el = root.querySelector("[data-out='" + name + "']");
      if (el) {
        el.textContent = text;
      }
    }

    function render() {
      var s = compute(points, sel);
      circles.forEach(function (c, k) {
        c.setAttribute("cx", px(points[k][0]).toFixed(2));
        c.setAttribute("cy", py(points[k][1]).toFixed(2));
        c.classList.toggle("idw-selected", k === sel);
        c.setAttribute("aria-pressed", k === sel ? "true" : "false");
        c.setAttribute("aria-label", "point " + k + ": x " + points[k][0].toFixed(2) +
          ", y " + points[k][1].toFixed(2) + (k === sel ? ", selected" : ""));
      });
      setLine(lines.fit, s.theta_hat);
      setLine(lines.loo, s.theta_loo);
      setLine(lines.influence, s.influence_prediction);
      setLine(lines.leverage, s.leverage_prediction);
      var change = function (t) {
        return t && s.theta_hat ? [t[0] - s.theta_hat[0], t[1] - s.theta_hat[1]] : [null, null];
      };
      var act = change(s.theta_loo), inf = change(s.influence_prediction), lev = change(s.leverage_prediction);
      setText("selected", String(sel));
      setText("h", s.h_ii === null ? "\u2013" : s.h_ii.toFixed(4));
      setText("factor", s.one_minus_h === null ? "\u2013" :
        (s.status === "leverage-one" ? "\u221e" : (1 / s.one_minus_h).toFixed(3)));
      setText("residual", fmt(s.residual, 4));
      var th = s.theta_hat || [null, null];
      setText("fit-w", fmt(th[0], 4)); setText("fit-b", fmt(th[1], 4));
      setText("act-w", fmt(act[0], 4)); setText("act-b", fmt(act[1], 4));
      setText("inf-w", fmt(inf[0], 4)); setText("inf-b", fmt(inf[1], 4));
      setText("lev-w", fmt(lev[0], 4)); setText("lev-b", fmt(lev[1], 4));
      var msg = "";
      if (s.status === "degenerate") {
        msg = "All points have the same x: no line is determined.";
      } else if (s.status === "leverage-one") {
        msg = "h\u1d62\u1d62 = 1: the other points all have the same x, so without point " + sel +
          " no line is determined and the actual change is unbounded. The influence function" +
          " still predicts a finite change; the factor 1/(1 \u2212 h\u1d62\u1d62) that would" +
          " correct it is infinite.";
      } else if (s.h_ii > 0.8) {
        msg = "High leverage: the influence function predicts only " +
          (100 * s.one_minus_h).toFixed(0) + "% of the actual change (the fraction 1 \u2212 h\u1d62\u1d62)." +
          " The fit bends towards this point, so its residual, and with it the influence" +
          " function, stays small.";
      }
      setText("message", msg);
      root.setAttribute("data-state", JSON.stringify(s));
    }

    function select(k) {
      sel = k;
      render();
    }

    var dragging = null;
    function toSvg(evt) {
      var pt = svg.createSVGPoint();
      pt.x = evt.clientX;
      pt.y = evt.clientY;
      return pt.matrixTransform(svg.getScreenCTM().inverse());
    }
    function clampData(x, y) {
      return [Math.max(xlim[0], Math.min(xlim[1], x)), Math.max(ylim[0], Math.min(ylim[1], y))];
    }
    circles.forEach(function (c, k) {
      c.addEventListener("pointerdown", function (evt) {
        evt.preventDefault();
        dragging = k;
        c.focus();
        svg.setPointerCapture(evt.pointerId);
        select(k);
      });
      c.addEventListener("keydown", function (evt) {
        var step = (evt.shiftKey ? 0.1 : 0.02), dx = 0, dy = 0;
        if (evt.key === "Enter" || evt.key === " ") {
          evt.preventDefault();
          select(k);
          return;
        }
        if (evt.key === "ArrowLeft") { dx = -1; }
        else if (evt.key === "ArrowRight") { dx = 1; }
        else if (evt.key === "ArrowUp") { dy = 1; }
        else if (evt.key === "ArrowDown") { dy = -1; }
        else { return; }
        evt.preventDefault();
        points[k] = clampData(points[k][0] + dx * step * (xlim[1] - xlim[0]),
                              points[k][1] + dy * step * (ylim[1] - ylim[0]));
        select(k);
      });
    });
    svg.addEventListener("pointermove", function (evt) {
      if (dragging === null) {
        return;
      }
      var p = toSvg(evt);
      points[dragging] = clampData(dataX(p.x), dataY(p.y));
      render();
    });
    var stop = function () { dragging = null; };
    svg.addEventListener("pointerup", stop);
    svg.addEventListener("pointercancel", stop);
    var reset = root.querySelector(".idw-reset");
    if (reset) {
      var start = JSON.parse(root.getAttribute("data-state"));
      reset.addEventListener("click", function () {
        points = start.points.map(function (p) { return [p[0], p[1]]; });
        sel = start.selected;
        render();
      });
    }
    root.classList.add("idw-live");
    render();
  }

  NS.ls = { compute: compute, init: init };
})();
