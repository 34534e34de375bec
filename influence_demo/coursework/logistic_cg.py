r"""The checkers of two chapters.

Per-example gradients of the logistic loss (:ref:`logistic_cg`) and conjugate gradient
(:ref:`cg_steps`).
"""

from dataclasses import dataclass

import numpy as np

from ..models import LogisticRegression, sigmoid
from ..solvers import cg
from .harness import Case, as_array, close, ratio, run
from .problems import logistic_data

__all__ = ["check_logistic_grad", "check_cg"]


# --------------------------------------------------------------------------------------
# Per-example gradients
# --------------------------------------------------------------------------------------


def _grad_case(label, X, y, theta):
    X, y, theta = (np.asarray(a, dtype=float) for a in (X, y, theta))
    expected = LogisticRegression().with_theta(theta).grad(X, y)
    suspects = [
        (expected / len(y), "you divided by n: the checker wants the "
         "gradient of each example's own loss, not of the mean."),
        ((sigmoid(-(X @ theta)) - y)[:, None] * X,
         "sigmoid(-x^T theta) is P(y = 0): use sigmoid(x^T theta)."),
    ]
    ratio_hints = {
        -1: "The gradient of the negative log-likelihood is (sigmoid(x^T theta) - y) x, "
            "not (y - sigmoid(x^T theta)) x.",
    }
    return Case(label, {"X": X, "y": y, "theta": theta}, expected, suspects, ratio_hints,
                n=X.shape[0])


def _grad_cases():
    rng = np.random.default_rng(20241)
    cases = []
    X, y, theta = logistic_data(rng, 6, 3)
    cases.append(_grad_case("random data, n=6, p=3", X, y, theta))
    cases.append(_grad_case("theta = 0, so every probability is 1/2, n=5, p=2",
                            rng.normal(size=(5, 2)), [0, 1, 1, 0, 1], np.zeros(2)))
    cases.append(_grad_case("a single example, n=1, p=1", [[2.0]], [1.0], [-0.5]))
    cases.append(_grad_case("every label 0, n=4, p=2", rng.normal(size=(4, 2)), np.zeros(4),
                            [1.0, -1.0]))
    cases.append(_grad_case("huge margins (|x^T theta| up to 800), n=4, p=1",
                            [[1.0], [-1.0], [0.5], [-0.01]], [1.0, 1.0, 0.0, 0.0], [800.0]))
    X, y, theta = logistic_data(rng, 5, 4, scale=3.0)
    cases.append(_grad_case("large random margins, n=5, p=4", X, y, theta))
    X, y, theta = logistic_data(rng, 50, 5)
    cases.append(_grad_case("larger random data, n=50, p=5", X, y, theta))
    return cases


def _grad_shape_hints(case):
    n, p = case.args["X"].shape
    return [
        ((p,), "you returned one vector of length p: did you sum over the examples? "
               "Return one gradient per example, shape (n, p)."),
        ((n,), "you returned one number per example: multiply (sigmoid(x^T theta) - y) "
               "by x_i to get a vector per example, shape (n, p)."),
    ]


def check_logistic_grad(fn):
    r"""Check per-example gradients of the logistic negative log-likelihood.

    The student's ``fn(X, y, theta)`` returns the array whose row ``i`` is
    :math:`\nabla_\theta L(z_i,\theta) = (\sigma(x_i^\top\theta) - y_i)\,x_i`, shape
    (n, p), for labels ``y`` in {0, 1} and without any penalty. The coursework exercise of
    the chapter :ref:`logistic_cg`.

    Parameters
    ----------
    fn : callable
        ``fn(X, y, theta) -> array of shape (n, p)``.

    Returns
    -------
    bool
        True if the seven cases passed; it prints a PASS line, with a note if the answers
        were right but issued warnings (an overflow), or a FAIL report.

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
    return run("check_logistic_grad", fn, _grad_cases(), shape_hints=_grad_shape_hints)


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
    X, y, theta = logistic_data(rng, 30, 4)
    H = LogisticRegression(l2=0.1).with_theta(theta).hessian(X, y)
    return [
        _CgCase("a random SPD matrix, p=4", _spd(rng, 4, 10.0), rng.normal(size=4), 1e-10, 40),
        _CgCase("a diagonal matrix, p=3", np.diag([1.0, 4.0, 9.0]), np.array([1.0, -2.0, 3.0]),
                1e-10, 30),
        _CgCase("p=1", np.array([[2.5]]), np.array([5.0]), 1e-10, 10),
        _CgCase("b = 0, so x = 0", _spd(rng, 3, 5.0), np.zeros(3), 1e-10, 30),
        _CgCase("a tiny right-hand side, ||b|| ~ 1e-9",
                _spd(rng, 3, 5.0), 1e-9 * rng.normal(size=3), 1e-8, 30),
        _CgCase("a logistic-regression Hessian (n=30, p=4, l2=0.1)", H, rng.normal(size=4),
                1e-10, 40),
        _CgCase("an ill-conditioned matrix (condition number 1e4), p=12", _spd(rng, 12, 1e4),
                rng.normal(size=12), 1e-8, 120),
        _CgCase("maxiter=2 on p=6: return the CG iterate after 2 iterations", _spd(rng, 6, 100.0),
                rng.normal(size=6), 1e-12, 2, exact_iterate=True),
    ]


def _cg_miss_hint(x, exact, case):
    """Why a finished CG run missed the tolerance, judged from its answer."""
    bnorm = float(np.linalg.norm(case.b))
    if not np.all(np.isfinite(x)):
        if bnorm == 0:
            return ("NaN or inf: if the residual is 0 at the start (b = 0) the answer is x = 0; "
                    "stop before dividing by r^T r = 0.")
        return "NaN or inf: look for a division by zero (p^T A p or r^T r)."
    if bnorm > 0 and np.linalg.norm(x) == 0:
        return "you returned x = 0: use the relative test ||r|| <= rtol * ||b||."
    c = ratio(x, exact)
    if c is not None and abs(c + 1) < 1e-6:
        return "x is minus the solution: the residual is r = b - A x."
    if case.matvec.calls >= case.maxiter:
        return (f"no convergence in maxiter = {case.maxiter} iterations, while CG needs about "
                f"p = {case.b.shape[0]}: is the search direction updated as p = r + beta p with "
                "beta = (r_new^T r_new) / (r^T r)? Without it this is steepest descent.")
    return None


def _cg_compare(report, out, case, shape_hints=()):
    A, b, matvec = case.A, case.b, case.matvec
    if isinstance(out, tuple) and len(out) == 2 and np.ndim(out[0]) == 1:
        out = out[0]  # accept scipy's (x, info) as well as x
    x = as_array(report, out)
    if x is None:
        return False
    if x.shape != b.shape:
        report.add(f"expected x of shape {b.shape}, got shape {x.shape}")
        if x.size == b.shape[0]:
            report.add(f"hint: reshape the answer to {b.shape}.")
        return False
    exact = np.linalg.solve(A, b)
    limit = case.maxiter + 2  # r0 = b - A x0, one product per iteration, one final check
    if matvec.calls > limit:
        report.add(f"matvec was called {matvec.calls} times with maxiter = {case.maxiter}")
        report.add("hint: stop after maxiter iterations (one matvec per iteration).")
        return False
    if case.exact_iterate:
        expected, _ = cg(lambda v: A @ v, b, rtol=case.rtol, maxiter=case.maxiter, warn=False)
        if close(x, expected):
            return True
        report.add_value(f"expected (the iterate after {case.maxiter} CG iterations from x0 = 0)",
                         expected)
        report.add_value("got", x)
        report.add(f"your function called matvec {matvec.calls} times")
        report.add("hint: maxiter counts iterations: with x0 = 0 every CG run makes the same "
                   "iterates, so after maxiter iterations the answer is fixed.")
        return False
    bnorm = float(np.linalg.norm(b))
    resid = float(np.linalg.norm(b - A @ x)) if np.all(np.isfinite(x)) else np.inf
    rounding = 100 * np.finfo(float).eps * np.linalg.norm(A, 2) * np.linalg.norm(exact)
    if resid <= 10 * case.rtol * bnorm + rounding:
        return True
    report.add("matvec(v) returns A @ v for the matrix A above")
    report.add_value("expected x", exact)
    report.add_value("got x", x)
    report.add(f"||b - A x|| = {resid:.3g}, but it must be <= rtol * ||b|| = "
               f"{case.rtol * bnorm:.3g}")
    report.add(f"matvec was called {matvec.calls} times")
    report.hint(_cg_miss_hint(x, exact, case))
    return False


def check_cg(fn):
    r"""Check a conjugate-gradient solver.

    The student's ``fn(matvec, b, rtol, maxiter)`` solves :math:`Ax=b` for a symmetric
    positive definite :math:`A` that it only sees through ``matvec(v) = A @ v`` (``v`` and
    ``b`` of shape (p,)). It starts from :math:`x_0 = 0`, stops when
    :math:`\lVert b - Ax\rVert_2 \le \mathrm{rtol}\,\lVert b\rVert_2` or after ``maxiter``
    iterations, and returns ``x`` (or scipy's ``(x, info)``). The coursework exercise of the
    chapter :ref:`cg_steps`.

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
        True if the eight cases passed (it prints ``check_cg: PASS (8 cases)``); False
        after printing the first case that failed, with the residual reached and the number
        of ``matvec`` calls.

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
    return run("check_cg", fn, _cg_cases(), compare=_cg_compare)
