r"""Automatic checkers for the book's coursework exercises.

Each checker takes the student's function, runs it on a fixed set of random and edge-case
inputs (seeded, so every run is the same), compares each answer with the package's own
result, and prints ``PASS`` or ``FAIL``. On a failure it prints the first counterexample:
the case, the shapes and values of the inputs, the expected and the actual output, where
they differ most and, when the mistake is a common one (a sign, a factor 2, a transposed
array, a missing penalty or leverage term), a hint. It prints values, never code.
Each checker returns ``True`` or ``False``, so it can also be used in an ``assert``.

- :func:`check_loo_ols`: ``fn(X, y)`` returns the exact least-squares LOO parameters,
  shape (n, p) (chapter least_squares);
- :func:`check_logistic_grad`: ``fn(X, y, theta)`` returns the per-example gradients of the
  logistic loss, shape (n, p) (chapter logistic_cg);
- :func:`check_cg`: ``fn(matvec, b, rtol, maxiter)`` returns ``x`` with ``A x = b``
  (chapter logistic_cg);
- :func:`check_loo_onestep`: ``fn(X, y, theta, l2)`` returns the one-step Newton LOO
  parameters of logistic regression, shape (n, p) (chapter digits_influence);
- :func:`check_self_influence`: ``fn(X, y, theta, l2)`` returns the self-influences,
  shape (n,) (chapter mislabeled);
- :func:`check_hvp`: ``fn(X, y, theta, l2, V)`` returns ``H @ V`` (chapter solvers).

The conventions are the package's: the objective is the **sum**
:math:`R(\theta)=\sum_i L(z_i,\theta)+\frac\lambda2\lVert\theta\rVert^2`, labels are in
{0, 1}, the least-squares loss is :math:`(y-x^\top\theta)^2` and :math:`H` includes
:math:`\lambda I`.

Examples
--------
A wrong answer is caught and explained:

>>> import numpy as np
>>> from influence_demo.coursework import check_logistic_grad
>>> def grad_wrong_sign(X, y, theta):
...     p = 1 / (1 + np.exp(-X @ theta))
...     return (y - p)[:, None] * X
>>> check_logistic_grad(grad_wrong_sign)
check_logistic_grad: FAIL on case 1 of 7 (random data, n=6, p=3)
...
  hint: your answer is -1 times the expected one. The gradient of the negative log-likelihood is (sigmoid(x^T theta) - y) x, not (y - sigmoid(x^T theta)) x.
False
"""

import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from .influence import self_influence as _self_influence
from .loo import loo_params_ols as _loo_params_ols
from .loo import loo_params_onestep as _loo_params_onestep
from .models import LogisticRegression, sigmoid
from .solvers import cg as _cg

__all__ = [
    "check_loo_ols",
    "check_logistic_grad",
    "check_hvp",
    "check_cg",
    "check_self_influence",
    "check_loo_onestep",
]

_RTOL = 1e-6  # relative agreement asked of every answer (CG: see check_cg)
_INDENT = "    "


# --------------------------------------------------------------------------------------
# The harness shared by every checker
# --------------------------------------------------------------------------------------


@dataclass
class _Case:
    """One input for the student's function and what it must return."""

    label: str
    args: dict  # name -> value, passed positionally in this order
    expected: np.ndarray
    suspects: list = field(default_factory=list)  # (wrong answer, hint) pairs
    ratio_hints: dict = field(default_factory=dict)  # factor -> hint
    base: np.ndarray = None  # LOO checkers: also compare the changes (answer - base)
    shown: dict = None  # how to print the inputs, if not ``args`` itself
    n: int = None  # the number of examples (for "mean instead of sum" hints)
    error_hint: str = None  # printed if the student's function raises on this case


def _fmt(a):
    """A short, readable text for a number or an array (4 decimals, long arrays elided)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{a.item():.6g}" if np.issubdtype(a.dtype, np.number) else str(a.item())
    with np.printoptions(precision=4, threshold=60, edgeitems=3, linewidth=80):
        return np.array2string(a, separator=", ")


def _block(label, value):
    """Lines ``label = value``; a multi-line array goes below its label, indented."""
    text = _fmt(value)
    if "\n" not in text and len(label) + len(text) < 90:
        return [f"{label} = {text}"]
    indent = " " * (len(label) - len(label.lstrip())) + _INDENT
    return [f"{label} ="] + [indent + line for line in text.splitlines()]


def _describe(key, value):
    if callable(value):
        return f"{key} (a function)"
    a = np.asarray(value)
    return f"{key} of shape {a.shape}" if a.ndim else f"{key} = {_fmt(a)}"


def _close(actual, expected):
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return bool(np.allclose(actual, expected, rtol=_RTOL, atol=1e-9 * scale))


def _ratio(actual, expected):
    """The factor c with actual == c * expected, if there is one."""
    e, a = expected.ravel(), actual.ravel()
    ee = float(e @ e)
    if ee == 0 or not np.all(np.isfinite(a)):
        return None
    c = float(a @ e) / ee
    return c if c != 0 and _close(a, c * e) else None


def _factor_hint(c, hints, n):
    table = dict(hints)
    if n is not None and n > 2:
        table.setdefault(n, f"A factor n = {n} (the number of examples) is off: the objective here is a sum, not a mean.")
        table.setdefault(1 / n, f"A factor 1/n = 1/{n} is off: the objective here is a sum, not a mean.")
    for value, text in table.items():
        if abs(c - value) <= 1e-6 * abs(value):
            return text
    return None


def _diagnose(actual, case):
    """A hint for a wrong answer of the right shape, or None."""
    for wrong, hint in case.suspects:
        wrong = np.asarray(wrong, dtype=float)
        if wrong.shape == actual.shape and np.all(np.isfinite(wrong)) and _close(actual, wrong):
            return hint
    pairs = [(actual, case.expected, "your answer")]
    if case.base is not None:
        pairs.append((actual - case.base, case.expected - case.base, "your change theta_{-i} - theta"))
    for a, e, what in pairs:
        c = _ratio(a, e)
        if c is not None:
            text = _factor_hint(c, case.ratio_hints, case.n)
            if text is None:
                return f"{what} is {c:.4g} times the expected one: a constant factor is off."
            return f"{what} is {c:.4g} times the expected one. {text}"
    if not np.all(np.isfinite(actual)):
        return "your answer contains NaN or inf: look for a division by zero or an overflow (exp of a large number)."
    return None


def _shape_hint(actual, expected, shape_hints):
    for shape, hint in shape_hints:
        if actual.shape == shape:
            return hint
    if actual.ndim == 2 and actual.shape == expected.shape[::-1]:
        if actual.shape[0] == actual.shape[1]:
            return None
        return f"your array is transposed: return one with shape {expected.shape} (try .T)."
    if actual.size == expected.size:
        return f"the right number of values in the wrong shape: reshape to {expected.shape}."
    return None


class _Report:
    """Collects the lines of a FAIL message."""

    def __init__(self, name, k, n_cases, case):
        self.lines = [f"{name}: FAIL on case {k} of {n_cases} ({case.label})"]
        shown = case.shown if case.shown is not None else case.args
        self.add("inputs: " + ", ".join(_describe(key, v) for key, v in shown.items()))
        for key, value in shown.items():
            if not callable(value) and np.ndim(value) > 0:
                self.add_value(_INDENT + key, value)

    def add(self, line):
        self.lines.append("  " + line)

    def add_value(self, label, value):
        for line in _block(label, value):
            self.add(line)

    def hint(self, text):
        """Add ``hint: text``, if there is a hint."""
        if text:
            self.add("hint: " + text)

    def print(self):
        print("\n".join(self.lines))


def _location(exc):
    """The innermost frame of the student's code (not numpy's, not this module's)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    user = [f for f in frames if "site-packages" not in f.filename and "/numpy/" not in f.filename]
    frame = (user or frames or [None])[-1]
    if frame is None:
        return None
    where = f"line {frame.lineno} in {frame.name}"
    return f"{where}: {frame.line}" if frame.line else where


def _call(fn, case):
    """Call the student's function on fresh copies of the inputs.

    Returns (output, exception, warnings caught).
    """
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in case.args.values()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return fn(*args), None, caught
        except Exception as exc:  # the student's bug, reported below
            return None, exc, caught


def _report_exception(report, exc, hint=None):
    report.add(f"your function raised {type(exc).__name__}: {str(exc).strip()}")
    where = _location(exc)
    if where:
        report.add(f"{_INDENT}at {where}")
    report.hint(hint)


def _as_array(report, out):
    """``out`` as an array of floats, or None after adding to ``report`` why it is not one."""
    if out is None:
        report.add("your function returned None: did you forget `return`?")
        return None
    try:
        return np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        report.add(f"your function returned {type(out).__name__}, which is not an array of numbers.")
        return None


def _compare(report, out, case, shape_hints):
    """Add the reasons ``out`` is wrong to ``report``; return True if it is right."""
    expected = case.expected
    actual = _as_array(report, out)
    if actual is None:
        return False
    if actual.shape != expected.shape:
        report.add(f"expected an array of shape {expected.shape}, got shape {actual.shape}")
        report.add_value("expected", expected)
        report.add_value("got", actual)
        report.hint(_shape_hint(actual, expected, shape_hints))
        return False
    if _close(actual, expected):
        return True
    report.add_value("expected", expected)
    report.add_value("got", actual)
    err = np.where(np.isfinite(actual), np.abs(actual - expected), np.inf)
    where = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
    idx = tuple(int(i) for i in where)
    report.add(
        f"largest difference at index {idx if idx else '()'}: expected {expected[where]:.6g}, "
        f"got {actual[where]:.6g}"
    )
    report.hint(_diagnose(actual, case))
    return False


def _run(name, fn, cases, shape_hints=(), compare=None):
    """Run every case; print PASS, or FAIL with the first counterexample."""
    if not callable(fn):
        print(f"{name}: FAIL: expected a function, got {type(fn).__name__}")
        return False
    notes = []
    for k, case in enumerate(cases, 1):
        report = _Report(name, k, len(cases), case)
        out, exc, caught = _call(fn, case)
        if exc is not None:
            _report_exception(report, exc, case.error_hint)
            report.print()
            return False
        ok = compare(report, out, case) if compare else _compare(report, out, case, shape_hints)
        if not ok:
            report.print()
            return False
        for w in caught:
            note = f"case {k} ({case.label}) issued {w.category.__name__}: {w.message}"
            if note not in notes:
                notes.append(note)
    print(f"{name}: PASS ({len(cases)} cases)")
    for note in notes[:3]:
        print(f"  note: the answers were right, but {note}")
    return True


# --------------------------------------------------------------------------------------
# Random problems
# --------------------------------------------------------------------------------------


def _logistic_problem(rng, n, p, scale=1.0):
    X = rng.normal(size=(n, p))
    theta = rng.normal(size=p) * scale
    y = (rng.random(n) < sigmoid(X @ theta)).astype(float)
    return X, y, theta


def _noisy_labels(rng, n, p):
    """Logistic data with both labels present (so fits exist with a small penalty)."""
    X = rng.normal(size=(n, p))
    y = (rng.random(n) < sigmoid(X @ rng.normal(size=p))).astype(float)
    y[:2] = [0.0, 1.0]
    return X, y


def _fitted(X, y, l2):
    return LogisticRegression(l2=l2).fit(X, y).theta_


# --------------------------------------------------------------------------------------
# Least squares: exact leave-one-out
# --------------------------------------------------------------------------------------


def _loo_ols_case(label, X, y):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    expected = _loo_params_ols(X, y)
    A = X.T @ X
    theta = np.linalg.solve(A, X.T @ y)
    W = np.linalg.solve(A, X.T)  # A^{-1} x_i in column i
    h = np.einsum("ij,ji->i", X, W)
    step = (W * (y - X @ theta)).T  # A^{-1} x_i e_i, row i
    suspects = [
        (theta - step, "this is the first-order influence estimate theta - (X^T X)^{-1} x_i e_i: "
         "the exact LOO divides the change by 1 - h_ii (the leverage)."),
        (theta + step / (1 - h)[:, None], "the change has the wrong sign: removing z_i gives "
         "theta_{-i} = theta - (X^T X)^{-1} x_i e_i / (1 - h_ii)."),
        (theta - step / (1 + h)[:, None], "divide by 1 - h_ii, not 1 + h_ii."),
        (expected - theta, "you returned the change theta_{-i} - theta; return theta_{-i} itself."),
        (np.tile(theta, (X.shape[0], 1)), "every row is the full-data fit: row i must be refitted without point i."),
    ]
    ratio_hints = {
        -1: "Check the sign of the correction.",
        2: "A factor 2 is off: (X^T X)^{-1} and the Hessian 2 X^T X differ by 2.",
        0.5: "A factor 2 is missing: the loss (y - x^T theta)^2 has gradient -2 e x and Hessian 2 X^T X.",
    }
    return _Case(label, {"X": X, "y": y}, expected, suspects, ratio_hints, base=theta, n=X.shape[0])


def _loo_ols_cases():
    rng = np.random.default_rng(20240)
    cases = []
    X = rng.normal(size=(6, 2))
    cases.append(_loo_ols_case("random data, n=6, p=2", X, X @ [1.0, -2.0] + rng.normal(size=6)))
    X = np.column_stack([rng.uniform(0, 1, size=7), np.ones(7)])
    X[-1, 0] = 6.0
    cases.append(_loo_ols_case("a point with high leverage, n=7, p=2 (slope and intercept)", X,
                               X @ [0.5, 1.0] + 0.3 * rng.normal(size=7)))
    X = rng.normal(size=(5, 1))
    cases.append(_loo_ols_case("a single feature, n=5, p=1", X, 2 * X[:, 0] + rng.normal(size=5)))
    X = rng.normal(size=(5, 3))
    cases.append(_loo_ols_case("few points for the parameters, n=5, p=3", X, rng.normal(size=5)))
    X = rng.normal(size=(6, 2))
    cases.append(_loo_ols_case("y fitted exactly (all residuals 0), n=6, p=2", X, X @ [1.5, -0.5]))
    X = rng.normal(size=(40, 4))
    cases.append(_loo_ols_case("larger random data, n=40, p=4", X, X @ rng.normal(size=4) + rng.normal(size=40)))
    return cases


def check_loo_ols(fn):
    r"""Check an exact leave-one-out least-squares function.

    The student's ``fn(X, y)`` returns the array whose row ``i`` is the least-squares fit
    without point ``i``, :math:`\hat\theta_{-i}`, shape (n, p) (no intercept is added:
    ``X`` is used as given, and there is no penalty). A brute-force refit per point is a
    correct answer; the intended one uses the leverage,

    .. math::

        \hat\theta_{-i} = \hat\theta - \frac{(X^\top X)^{-1} x_i e_i}{1 - h_{ii}}.

    Parameters
    ----------
    fn : callable
        ``fn(X, y) -> array of shape (n, p)``.

    Returns
    -------
    bool
        True if every case passed. A line ``check_loo_ols: PASS`` or a ``FAIL`` report
        with the first counterexample is printed.

    Examples
    --------
    >>> import numpy as np
    >>> def loo_refit(X, y):
    ...     rows = [np.linalg.lstsq(np.delete(X, i, 0), np.delete(y, i), rcond=None)[0]
    ...             for i in range(len(y))]
    ...     return np.array(rows)
    >>> check_loo_ols(loo_refit)
    check_loo_ols: PASS (6 cases)
    True
    """
    return _run("check_loo_ols", fn, _loo_ols_cases())


# --------------------------------------------------------------------------------------
# Logistic regression: per-example gradients
# --------------------------------------------------------------------------------------


def _grad_case(label, X, y, theta):
    X, y, theta = (np.asarray(a, dtype=float) for a in (X, y, theta))
    expected = LogisticRegression().grad(X, y, theta)
    s = X @ theta
    suspects = [
        ((sigmoid(s) - y)[:, None] * X / len(y), "you divided by n: the checker wants the "
         "gradient of each example's own loss, not of the mean."),
        ((sigmoid(-s) - y)[:, None] * X, "sigmoid(-x^T theta) is P(y = 0): use sigmoid(x^T theta)."),
    ]
    ratio_hints = {
        -1: "The gradient of the negative log-likelihood is (sigmoid(x^T theta) - y) x, "
            "not (y - sigmoid(x^T theta)) x.",
    }
    return _Case(label, {"X": X, "y": y, "theta": theta}, expected, suspects, ratio_hints, n=X.shape[0])


def _grad_cases():
    rng = np.random.default_rng(20241)
    cases = []
    X, y, theta = _logistic_problem(rng, 6, 3)
    cases.append(_grad_case("random data, n=6, p=3", X, y, theta))
    cases.append(_grad_case("theta = 0, so every probability is 1/2, n=5, p=2",
                            rng.normal(size=(5, 2)), [0, 1, 1, 0, 1], np.zeros(2)))
    cases.append(_grad_case("a single example, n=1, p=1", [[2.0]], [1.0], [-0.5]))
    cases.append(_grad_case("every label 0, n=4, p=2", rng.normal(size=(4, 2)), np.zeros(4), [1.0, -1.0]))
    cases.append(_grad_case("huge margins (|x^T theta| up to 800), n=4, p=1",
                            [[1.0], [-1.0], [0.5], [-0.01]], [1.0, 1.0, 0.0, 0.0], [800.0]))
    X, y, theta = _logistic_problem(rng, 5, 4, scale=3.0)
    cases.append(_grad_case("large random margins, n=5, p=4", X, y, theta))
    X, y, theta = _logistic_problem(rng, 50, 5)
    cases.append(_grad_case("larger random data, n=50, p=5", X, y, theta))
    return cases


def check_logistic_grad(fn):
    r"""Check per-example gradients of the logistic negative log-likelihood.

    The student's ``fn(X, y, theta)`` returns the array whose row ``i`` is
    :math:`\nabla_\theta L(z_i,\theta) = (\sigma(x_i^\top\theta) - y_i)\,x_i`, shape
    (n, p), for labels ``y`` in {0, 1} and without any penalty.

    Parameters
    ----------
    fn : callable
        ``fn(X, y, theta) -> array of shape (n, p)``.

    Returns
    -------
    bool
        True if every case passed (a PASS line or a FAIL report is printed).

    Examples
    --------
    >>> import numpy as np
    >>> def grad(X, y, theta):
    ...     s = X @ theta
    ...     p = np.exp(-np.logaddexp(0, -s))   # sigmoid(s), without overflow
    ...     return (p - y)[:, None] * X
    >>> check_logistic_grad(grad)
    check_logistic_grad: PASS (7 cases)
    True
    """
    def compare(report, out, case):
        n, p = case.args["X"].shape
        hints = [
            ((p,), "you returned one vector of length p: did you sum over the examples? "
                   "Return one gradient per example, shape (n, p)."),
            ((n,), "you returned one number per example: multiply (sigmoid(x^T theta) - y) "
                   "by x_i to get a vector per example, shape (n, p)."),
        ]
        return _compare(report, out, case, hints)

    return _run("check_logistic_grad", fn, _grad_cases(), compare=compare)


# --------------------------------------------------------------------------------------
# Logistic regression: Hessian-vector products
# --------------------------------------------------------------------------------------


def _hvp_case(label, X, y, theta, l2, V):
    X, y, theta, V = (np.asarray(a, dtype=float) for a in (X, y, theta, V))
    l2 = float(l2)
    model = LogisticRegression(l2=l2)
    expected = model.hvp(V, X, y, theta)
    s = X @ theta
    c = sigmoid(s) * (1 - sigmoid(s))
    XV = X @ V
    cXV = c * XV if V.ndim == 1 else c[:, None] * XV
    core = X.T @ cXV
    sig = sigmoid(s) if V.ndim == 1 else sigmoid(s)[:, None]
    suspects = []
    if l2 > 0:
        suspects += [
            (core, "the penalty is missing: H includes l2 * I, so add l2 * V."),
            (core + 0.5 * l2 * V, "the penalty (l2/2)||theta||^2 has Hessian l2 * I: add l2 * V, not l2/2 * V."),
            (core + 2 * l2 * V, "the penalty (l2/2)||theta||^2 has Hessian l2 * I: add l2 * V, not 2 l2 * V."),
        ]
    suspects += [
        (X.T @ (sig * XV) + l2 * V, "you used sigmoid(s) as the curvature; the second derivative "
         "of the logistic loss is sigmoid(s) * (1 - sigmoid(s))."),
        (X.T @ XV + l2 * V, "the curvature weights sigmoid(s) * (1 - sigmoid(s)) are missing "
         "(that would be the least-squares Hessian)."),
    ]
    ratio_hints = {-1: "Check the sign: H is positive definite, so v^T H v > 0."}
    args = {"X": X, "y": y, "theta": theta, "l2": l2, "V": V}
    error_hint = None
    if V.ndim == 2:
        error_hint = ("V is a block of k vectors here, shape (p, k): the function must accept it "
                      "as well as one vector of shape (p,) (c[:, None] * (X @ V) broadcasts over k).")
    return _Case(label, args, expected, suspects, ratio_hints, n=X.shape[0], error_hint=error_hint)


def _hvp_cases():
    rng = np.random.default_rng(20242)
    cases = []
    X, y, theta = _logistic_problem(rng, 6, 3)
    cases.append(_hvp_case("one vector V of shape (p,), n=6, p=3, l2=0.5", X, y, theta, 0.5, rng.normal(size=3)))
    cases.append(_hvp_case("a block V of shape (p, k), n=6, p=3, k=2, l2=0.5", X, y, theta, 0.5,
                           rng.normal(size=(3, 2))))
    X, y, theta = _logistic_problem(rng, 5, 2)
    cases.append(_hvp_case("no penalty, l2=0, n=5, p=2", X, y, theta, 0.0, rng.normal(size=2)))
    cases.append(_hvp_case("V = identity, so H @ V = H, n=5, p=2, l2=1", X, y, theta, 1.0, np.eye(2)))
    cases.append(_hvp_case("a single feature, n=4, p=1, l2=0.1", rng.normal(size=(4, 1)), [0, 1, 1, 0], [0.3],
                           0.1, [2.0]))
    cases.append(_hvp_case("huge margins: the curvature is 0, so H @ V = l2 V, n=3, p=1",
                           [[1.0], [-1.0], [2.0]], [1.0, 0.0, 1.0], [800.0], 2.0, [[1.0, -3.0]]))
    X, y, theta = _logistic_problem(rng, 60, 6)
    cases.append(_hvp_case("larger random data, n=60, p=6, k=3, l2=0.01", X, y, theta, 0.01,
                           rng.normal(size=(6, 3))))
    return cases


def check_hvp(fn):
    r"""Check a Hessian-vector product for L2-penalised logistic regression.

    The student's ``fn(X, y, theta, l2, V)`` returns :math:`HV` with

    .. math::

        H = X^\top \operatorname{diag}\bigl(\sigma(s)(1-\sigma(s))\bigr) X + \lambda I,
        \qquad s = X\theta,

    the Hessian of :math:`R(\theta)=\sum_i L(z_i,\theta)+\frac\lambda2\lVert\theta\rVert^2`,
    for ``V`` of shape (p,) (returning (p,)) or (p, k) (returning (p, k)). The point of
    the exercise is to do it without forming :math:`H`, but any correct answer passes.

    Parameters
    ----------
    fn : callable
        ``fn(X, y, theta, l2, V) -> array with the shape of V``.

    Returns
    -------
    bool
        True if every case passed (a PASS line or a FAIL report is printed).

    Examples
    --------
    >>> import numpy as np
    >>> def hvp(X, y, theta, l2, V):
    ...     p = np.exp(-np.logaddexp(0, -(X @ theta)))
    ...     c = p * (1 - p)
    ...     XV = X @ V
    ...     return X.T @ (c * XV.T).T + l2 * V
    >>> check_hvp(hvp)
    check_hvp: PASS (7 cases)
    True
    """

    def compare(report, out, case):
        p = case.args["X"].shape[1]
        V = case.args["V"]
        hints = []
        if V.ndim == 1 and p > 1:
            hints.append(((p, p), "you returned the Hessian itself, shape (p, p): return H @ V."))
        if V.ndim == 2:
            hints.append(((p,), "V is a block of k vectors here, shape (p, k): return all k products, shape (p, k)."))
        return _compare(report, out, case, hints)

    return _run("check_hvp", fn, _hvp_cases(), compare=compare)


# --------------------------------------------------------------------------------------
# Conjugate gradient
# --------------------------------------------------------------------------------------


class _CountingMatvec:
    """``v -> A @ v``, counting calls; what the student's CG receives."""

    def __init__(self, A):
        self.A = A
        self.calls = 0

    def __call__(self, v):
        self.calls += 1
        return self.A @ np.asarray(v, dtype=float)


@dataclass
class _CgCase:
    label: str
    A: np.ndarray
    b: np.ndarray
    rtol: float
    maxiter: int
    exact_iterate: bool = False  # maxiter too small to converge: the CG iterate is checked
    error_hint = None  # printed if the student's function raises: nothing beyond the error

    def __post_init__(self):
        self.matvec = _CountingMatvec(self.A)  # the cases are made anew for every check_cg call

    @property
    def args(self):
        return {"matvec": self.matvec, "b": self.b, "rtol": self.rtol, "maxiter": self.maxiter}

    @property
    def shown(self):
        """The inputs as the report prints them: the matrix behind ``matvec``."""
        return {"A": self.A, "b": self.b, "rtol": self.rtol, "maxiter": self.maxiter}


def _spd(rng, p, cond):
    Q, _ = np.linalg.qr(rng.normal(size=(p, p)))
    eig = np.geomspace(1.0, cond, p)
    return (Q * eig) @ Q.T


def _cg_cases():
    rng = np.random.default_rng(20243)
    X, y, theta = _logistic_problem(rng, 30, 4)
    H = LogisticRegression(l2=0.1).hessian(X, y, theta)
    return [
        _CgCase("a random SPD matrix, p=4", _spd(rng, 4, 10.0), rng.normal(size=4), 1e-10, 40),
        _CgCase("a diagonal matrix, p=3", np.diag([1.0, 4.0, 9.0]), np.array([1.0, -2.0, 3.0]), 1e-10, 30),
        _CgCase("p=1", np.array([[2.5]]), np.array([5.0]), 1e-10, 10),
        _CgCase("b = 0, so x = 0", _spd(rng, 3, 5.0), np.zeros(3), 1e-10, 30),
        _CgCase("a tiny right-hand side, ||b|| ~ 1e-9",
                _spd(rng, 3, 5.0), 1e-9 * rng.normal(size=3), 1e-8, 30),
        _CgCase("a logistic-regression Hessian (n=30, p=4, l2=0.1)", H, rng.normal(size=4), 1e-10, 40),
        _CgCase("an ill-conditioned matrix (condition number 1e4), p=12", _spd(rng, 12, 1e4),
                rng.normal(size=12), 1e-8, 120),
        _CgCase("maxiter=2 on p=6: return the CG iterate after 2 iterations", _spd(rng, 6, 100.0),
                rng.normal(size=6), 1e-12, 2, exact_iterate=True),
    ]


def _cg_compare(report, out, case):
    A, b, matvec = case.A, case.b, case.matvec
    p = b.shape[0]
    if isinstance(out, tuple) and len(out) == 2 and np.ndim(out[0]) == 1:
        out = out[0]  # accept scipy's (x, info) as well as x
    x = _as_array(report, out)
    if x is None:
        return False
    if x.shape != b.shape:
        report.add(f"expected x of shape {b.shape}, got shape {x.shape}")
        if x.size == p:
            report.add(f"hint: reshape the answer to {b.shape}.")
        return False
    exact = np.linalg.solve(A, b)
    limit = case.maxiter + 2  # r0 = b - A x0, one product per iteration, one final check
    if matvec.calls > limit:
        report.add(f"matvec was called {matvec.calls} times with maxiter = {case.maxiter}")
        report.add("hint: stop after maxiter iterations (one matvec per iteration).")
        return False
    if case.exact_iterate:
        expected, _ = _cg(lambda v: A @ v, b, rtol=case.rtol, maxiter=case.maxiter, warn=False)
        if _close(x, expected):
            return True
        report.add_value(f"expected (the iterate after {case.maxiter} CG iterations from x0 = 0)", expected)
        report.add_value("got", x)
        report.add(f"your function called matvec {matvec.calls} times")
        report.add("hint: maxiter counts iterations: with x0 = 0 every CG run makes the same "
                   "iterates, so after maxiter iterations the answer is fixed.")
        return False
    bnorm = float(np.linalg.norm(b))
    resid = float(np.linalg.norm(b - A @ x)) if np.all(np.isfinite(x)) else np.inf
    tolerance = 10 * case.rtol * bnorm + 100 * np.finfo(float).eps * np.linalg.norm(A, 2) * np.linalg.norm(exact)
    if resid <= tolerance:
        return True
    report.add("matvec(v) returns A @ v for the matrix A above")
    report.add_value("expected x", exact)
    report.add_value("got x", x)
    report.add(f"||b - A x|| = {resid:.3g}, but it must be <= rtol * ||b|| = {case.rtol * bnorm:.3g}")
    report.add(f"matvec was called {matvec.calls} times")
    hint = None
    if not np.all(np.isfinite(x)):
        hint = ("NaN or inf: if the residual is 0 at the start (b = 0) the answer is x = 0; "
                "stop before dividing by r^T r = 0." if bnorm == 0 else
                "NaN or inf: look for a division by zero (p^T A p or r^T r).")
    elif bnorm > 0 and np.linalg.norm(x) == 0:
        hint = "you returned x = 0: use the relative test ||r|| <= rtol * ||b||."
    else:
        c = _ratio(x, exact)
        if c is not None and abs(c + 1) < 1e-6:
            hint = "x is minus the solution: the residual is r = b - A x."
        elif matvec.calls >= case.maxiter:
            hint = (f"no convergence in maxiter = {case.maxiter} iterations, while CG needs about "
                    f"p = {p}: is the search direction updated as p = r + beta p with "
                    "beta = (r_new^T r_new) / (r^T r)? Without it this is steepest descent.")
    report.hint(hint)
    return False


def check_cg(fn):
    r"""Check a conjugate-gradient solver.

    The student's ``fn(matvec, b, rtol, maxiter)`` solves :math:`Ax=b` for a symmetric
    positive definite :math:`A` that it only sees through ``matvec(v) = A @ v`` (``v`` and
    ``b`` of shape (p,)). It starts from :math:`x_0 = 0`, stops when
    :math:`\lVert b - Ax\rVert_2 \le \mathrm{rtol}\,\lVert b\rVert_2` or after ``maxiter``
    iterations, and returns ``x`` (or scipy's ``(x, info)``).

    A case passes when :math:`\lVert b - Ax\rVert_2 \le 10\,\mathrm{rtol}\,\lVert b\rVert_2`
    (up to rounding), ``matvec`` is called at most ``maxiter + 2`` times, and, in the case
    where ``maxiter`` is too small to converge, ``x`` is the CG iterate after ``maxiter``
    iterations.

    Parameters
    ----------
    fn : callable
        ``fn(matvec, b, rtol, maxiter) -> x``.

    Returns
    -------
    bool
        True if every case passed (a PASS line or a FAIL report is printed).

    Examples
    --------
    >>> import numpy as np
    >>> def cg(matvec, b, rtol, maxiter):
    ...     x = np.zeros_like(b)
    ...     r = b.copy()
    ...     d = r.copy()
    ...     rs = r @ r
    ...     for _ in range(maxiter):
    ...         if np.sqrt(rs) <= rtol * np.linalg.norm(b):
    ...             break
    ...         Ad = matvec(d)
    ...         alpha = rs / (d @ Ad)
    ...         x = x + alpha * d
    ...         r = r - alpha * Ad
    ...         rs_new = r @ r
    ...         d = r + (rs_new / rs) * d
    ...         rs = rs_new
    ...     return x
    >>> check_cg(cg)
    check_cg: PASS (8 cases)
    True
    """
    return _run("check_cg", fn, _cg_cases(), compare=_cg_compare)


# --------------------------------------------------------------------------------------
# Self-influence and one-step LOO for L2 logistic regression
# --------------------------------------------------------------------------------------


def _logistic_pieces(X, y, theta, l2):
    s = X @ theta
    g = sigmoid(s) - y
    c = sigmoid(s) * (1 - sigmoid(s))
    H = X.T @ (c[:, None] * X) + l2 * np.eye(X.shape[1])
    G = g[:, None] * X
    return G, c, H


def _self_influence_case(label, X, y, l2):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    theta = _fitted(X, y, l2)
    expected = _self_influence(LogisticRegression(l2=l2).with_theta(theta), X, y)
    G, c, H = _logistic_pieces(X, y, theta, l2)
    S = np.linalg.solve(H, G.T)
    suspects = [(-np.einsum("ij,ij->i", G, G), "the inverse Hessian is missing: "
                 "I_up,loss(z_i, z_i) = -grad_i^T H^{-1} grad_i.")]
    H0 = H - l2 * np.eye(X.shape[1])
    if l2 > 0 and np.linalg.cond(H0) < 1e10:
        suspects.append((-np.einsum("ij,ji->i", G, np.linalg.solve(H0, G.T)),
                         "the penalty is missing from the Hessian: H = X^T diag(c) X + l2 I."))
    suspects.append((-np.einsum("ij,ji->i", G, S) / (1 - c * np.einsum("ij,ji->i", X, np.linalg.solve(H, X.T))),
                     "this is a leave-one-out estimate, with the leverage factor 1/(1 - h_i): the "
                     "self-influence is just -grad_i^T H^{-1} grad_i."))
    ratio_hints = {
        -1: "Self-influence is never positive: I_up,loss(z_i, z_i) = -grad_i^T H^{-1} grad_i.",
        2: "A factor 2 is off.",
        0.5: "A factor 2 is off.",
        X.shape[0]: f"A factor n = {X.shape[0]} is off: with Koh & Liang's mean objective the Hessian "
                    "is n times smaller and the influences n times larger; this book's objective is a sum.",
    }
    args = {"X": X, "y": y, "theta": theta, "l2": float(l2)}
    return _Case(label, args, expected, suspects, ratio_hints, n=X.shape[0])


def _penalised_logistic_cases(seed, make_case, second_label, change_second):
    """The five problems of the L2 logistic checkers, each made by ``make_case(label, X, y, l2)``.

    The checkers differ only in the second problem, whose data ``change_second(X, y)``
    edits in place.
    """
    rng = np.random.default_rng(seed)
    cases = []
    X, y = _noisy_labels(rng, 8, 2)
    cases.append(make_case("random data, n=8, p=2, l2=0.5", X, y, 0.5))
    X, y = _noisy_labels(rng, 10, 3)
    change_second(X, y)
    cases.append(make_case(second_label, X, y, 0.1))
    cases.append(make_case("a single feature, n=5, p=1, l2=1", rng.normal(size=(5, 1)), [0, 1, 0, 1, 1], 1.0))
    X, y = _noisy_labels(rng, 6, 2)
    cases.append(make_case("a strong penalty, n=6, p=2, l2=100", X, y, 100.0))
    X, y = _noisy_labels(rng, 40, 4)
    cases.append(make_case("larger random data, n=40, p=4, l2=0.01", X, y, 0.01))
    return cases


def _self_influence_cases():
    def flip_a_far_label(X, y):
        y[-1] = 1 - y[-1]
        X[-1] *= 3

    return _penalised_logistic_cases(20244, _self_influence_case,
                                     "a flipped label far from the rest, n=10, p=3, l2=0.1", flip_a_far_label)


def check_self_influence(fn):
    r"""Check the self-influence of every training point of L2-penalised logistic regression.

    The student's ``fn(X, y, theta, l2)`` returns, for :math:`\theta = \hat\theta` (the
    fitted parameters, passed in),

    .. math::

        \mathcal I_{\text{up,loss}}(z_i, z_i) = -\nabla L(z_i,\hat\theta)^\top H^{-1}
        \nabla L(z_i,\hat\theta), \qquad
        H = X^\top\operatorname{diag}\bigl(\sigma(s)(1-\sigma(s))\bigr)X + \lambda I,

    shape (n,): one number per training point, never positive.

    Parameters
    ----------
    fn : callable
        ``fn(X, y, theta, l2) -> array of shape (n,)``.

    Returns
    -------
    bool
        True if every case passed (a PASS line or a FAIL report is printed).

    Examples
    --------
    >>> import numpy as np
    >>> def self_influence(X, y, theta, l2):
    ...     p = 1 / (1 + np.exp(-(X @ theta)))
    ...     G = (p - y)[:, None] * X
    ...     H = X.T @ ((p * (1 - p))[:, None] * X) + l2 * np.eye(X.shape[1])
    ...     return -np.sum(G * np.linalg.solve(H, G.T).T, axis=1)
    >>> check_self_influence(self_influence)
    check_self_influence: PASS (5 cases)
    True
    """

    def compare(report, out, case):
        n = case.args["X"].shape[0]
        hints = [((n, n), "you returned the n x n matrix I_up,loss(z_i, z_j): return its diagonal, shape (n,).")]
        return _compare(report, out, case, hints)

    return _run("check_self_influence", fn, _self_influence_cases(), compare=compare)


def _onestep_case(label, X, y, l2):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    theta = _fitted(X, y, l2)
    expected = _loo_params_onestep(LogisticRegression(l2=l2).with_theta(theta), X, y)
    G, c, H = _logistic_pieces(X, y, theta, l2)
    step = np.linalg.solve(H, G.T).T  # H^{-1} grad_i, row i
    q = np.einsum("ij,ji->i", X, np.linalg.solve(H, X.T))  # x_i^T H^{-1} x_i
    h = c * q
    suspects = [
        (theta + step, "this is the first-order influence estimate theta + H^{-1} grad_i: the one-step "
         "Newton estimate divides the change by 1 - h_i, h_i = c_i x_i^T H^{-1} x_i."),
        (theta - step / (1 - h)[:, None], "the change has the wrong sign: removing z_i gives "
         "theta_{-i} ~ theta + H^{-1} grad_i / (1 - h_i)."),
        (theta + step / (1 - q)[:, None], "the generalized leverage includes the curvature: "
         "h_i = c_i x_i^T H^{-1} x_i with c_i = sigmoid(s_i)(1 - sigmoid(s_i))."),
        (theta + step / (1 + h)[:, None], "divide by 1 - h_i, not 1 + h_i."),
        (expected - theta, "you returned the change theta_{-i} - theta; return theta_{-i} itself."),
    ]
    ratio_hints = {-1: "Check the sign of the change.", 2: "A factor 2 is off.", 0.5: "A factor 2 is off."}
    args = {"X": X, "y": y, "theta": theta, "l2": float(l2)}
    return _Case(label, args, expected, suspects, ratio_hints, base=theta, n=X.shape[0])


def _onestep_cases():
    def add_high_leverage(X, y):
        X[-1] = [4.0, -4.0, 4.0]

    return _penalised_logistic_cases(20245, _onestep_case,
                                     "a point with high leverage, n=10, p=3, l2=0.1", add_high_leverage)


def check_loo_onestep(fn):
    r"""Check the one-step Newton leave-one-out parameters of L2-penalised logistic regression.

    The student's ``fn(X, y, theta, l2)`` receives the fitted :math:`\hat\theta` and
    returns the array whose row ``i`` is one Newton step from :math:`\hat\theta` on the
    objective without :math:`z_i`, shape (n, p). By Sherman–Morrison,

    .. math::

        \tilde\theta_{-i} = \hat\theta + \frac{H^{-1}\nabla L(z_i,\hat\theta)}{1 - h_i},
        \qquad h_i = c_i\,x_i^\top H^{-1}x_i,\quad c_i = \sigma(s_i)(1-\sigma(s_i)).

    A literal Newton step on :math:`R_{-i}` per point is also a correct answer.

    Parameters
    ----------
    fn : callable
        ``fn(X, y, theta, l2) -> array of shape (n, p)``.

    Returns
    -------
    bool
        True if every case passed (a PASS line or a FAIL report is printed).

    Examples
    --------
    >>> import numpy as np
    >>> def loo_onestep(X, y, theta, l2):
    ...     p = 1 / (1 + np.exp(-(X @ theta)))
    ...     c = p * (1 - p)
    ...     H = X.T @ (c[:, None] * X) + l2 * np.eye(X.shape[1])
    ...     rows = []
    ...     for i in range(len(y)):
    ...         H_i = H - c[i] * np.outer(X[i], X[i])
    ...         grad_i = X.T @ (p - y) + l2 * theta - (p[i] - y[i]) * X[i]
    ...         rows.append(theta - np.linalg.solve(H_i, grad_i))
    ...     return np.array(rows)
    >>> check_loo_onestep(loo_onestep)
    check_loo_onestep: PASS (5 cases)
    True
    """
    return _run("check_loo_onestep", fn, _onestep_cases())
