r"""Reusable timings of the package against bare-numpy floors and naive loops.

``make bench`` (``benchmarks/run.py``) prints a table from these functions, and the book's
chapter on solvers draws its timing figure with :func:`solver_scaling`. Everything here is
numpy and the standard library; timings use :func:`time.perf_counter` and report the
**best** of several repeats, which is the least noisy estimate of what the code costs on
a shared machine.

Four comparisons:

* :func:`compare_influence_loss` -- :func:`~influence_demo.influence.influence_loss`
  (direct) against :func:`influence_loss_floor`, the same numbers written as bare numpy
  (per-example gradients, one Cholesky factorization, one block solve, one GEMM). The ratio
  is the package's overhead.
* :func:`compare_loop` -- the package against :func:`influence_loss_loop`, the source
  notebooks' way: a Python loop with one solve per training point.
* :func:`compare_loo_ols` -- the closed form :func:`~influence_demo.loo.loo_params_ols`
  against :func:`~influence_demo.loo.loo_params` (``n`` refits).
* :func:`solver_scaling` -- direct, CG and LiSSA as the number of parameters grows.

Examples
--------
>>> t, value = best_time(sum, [1, 2, 3], repeats=2)
>>> value, t >= 0
(6, True)
>>> format_time(0.0123), format_time(2.5), format_ratio(61.04)
('12.3 ms', '2.50 s', '61.0x')
"""

import time

import numpy as np

from .datasets import make_logistic_data
from .influence import influence_loss
from .loo import loo_params, loo_params_ols
from .models import LinearRegression, LogisticRegression
from .solvers import inverse_hvp

__all__ = [
    "best_time",
    "format_time",
    "format_ratio",
    "logistic_problem",
    "influence_loss_floor",
    "influence_loss_loop",
    "compare_influence_loss",
    "compare_loop",
    "compare_loo_ols",
    "solver_scaling",
]


def best_time(fn, *args, repeats=5, **kwargs):
    """Best wall-clock time of ``fn(*args, **kwargs)`` over ``repeats`` calls.

    Parameters
    ----------
    fn : callable
    *args, **kwargs
        Passed to ``fn``.
    repeats : int, default 5
        Number of timed calls; the minimum is returned. The first call also serves as
        the warm-up.

    Returns
    -------
    seconds : float
        The fastest of the ``repeats`` calls, timed with :func:`time.perf_counter`.
    result
        What the last call returned.

    Examples
    --------
    >>> seconds, result = best_time(np.ones, 3, repeats=3)
    >>> result
    array([1., 1., 1.])
    """
    repeats = int(repeats)
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1; got {repeats}")
    best = np.inf
    result = None
    for _ in range(repeats):
        result = None  # let the previous result be freed before the next call
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def format_time(seconds, unit=None):
    """Format a duration as ``"<number> ms"`` or ``"<number> s"``, with three significant digits.

    These are the forms that the book's nbval sanitizer normalises, so a timing printed
    this way can change from run to run without failing the notebook tests.

    Parameters
    ----------
    seconds : float
    unit : {None, "ms", "s"}, default None
        ``None`` picks milliseconds below one second and seconds above. Fix the unit when
        the text must not change form from run to run (a timing near one second would
        otherwise switch between the two).

    Examples
    --------
    >>> format_time(0.00042), format_time(0.0123), format_time(0.5), format_time(12.0)
    ('0.420 ms', '12.3 ms', '500 ms', '12.0 s')
    >>> format_time(1.5, unit="ms"), format_time(0.05, unit="s")
    ('1500 ms', '0.050 s')
    """
    seconds = float(seconds)
    if unit not in (None, "ms", "s"):
        raise ValueError(f"unit must be None, 'ms' or 's'; got {unit!r}")
    if unit is None:
        unit = "s" if seconds >= 1.0 else "ms"
    value = 1e3 * seconds if unit == "ms" else seconds
    digits = 3 if value < 1 else 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{digits}f} {unit}"


def format_ratio(ratio):
    """Format a ratio or speed-up as ``"<number>x"`` (one decimal).

    Examples
    --------
    >>> format_ratio(0.93), format_ratio(120)
    ('0.9x', '120.0x')
    """
    return f"{float(ratio):.1f}x"


# --------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------
def logistic_problem(n, p, m=0, l2=1.0, rng=0):
    """A fitted L2 logistic regression on :func:`~influence_demo.datasets.make_logistic_data`.

    Parameters
    ----------
    n, p : int
        Training points and features (no intercept column).
    m : int, default 0
        Test points.
    l2 : float, default 1
        The model's penalty.
    rng : numpy.random.Generator or int, default 0

    Returns
    -------
    model : LogisticRegression, fitted by Newton's method
    X, y, X_test, y_test : ndarrays

    Examples
    --------
    >>> model, X, y, X_test, y_test = logistic_problem(50, 3, m=4)
    >>> model.theta_.shape, X_test.shape
    ((3,), (4, 3))
    """
    X, y, X_test, y_test = make_logistic_data(n, p, rng, n_test=m)
    model = LogisticRegression(l2=l2).fit(X, y)
    return model, X, y, X_test, y_test


def _sigmoid(s):
    # 1 / (1 + exp(-s)) without overflow, in one vectorized expression.
    return 0.5 * (1.0 + np.tanh(0.5 * s))


# --------------------------------------------------------------------------------------
# The floor and the naive loop
# --------------------------------------------------------------------------------------
def influence_loss_floor(X, y, X_test, y_test, theta, l2):
    r"""Bare-numpy :math:`\mathcal I_{\text{up,loss}}` for L2 logistic regression, shape (m, n).

    The least work the computation needs, with no input checks: per-example gradients
    :math:`G = (\sigma(X\theta) - y)\odot X` and :math:`G_{\text{test}}`, the Hessian
    :math:`H = X^\top \operatorname{diag}(w) X + \lambda I`, one Cholesky factorization,
    one block solve :math:`S = H^{-1} G_{\text{test}}^\top` and one GEMM
    :math:`-S^\top G^\top`. It is the yardstick for
    :func:`~influence_demo.influence.influence_loss`.

    Parameters
    ----------
    X : ndarray, shape (n, p)
    y : ndarray, shape (n,), labels in {0, 1}
    X_test : ndarray, shape (m, p)
    y_test : ndarray, shape (m,)
    theta : ndarray, shape (p,)
        The fitted parameters.
    l2 : float
        The penalty :math:`\lambda` of the model.

    Returns
    -------
    ndarray, shape (m, n)

    Examples
    --------
    >>> model, X, y, X_test, y_test = logistic_problem(40, 3, m=2)
    >>> I = influence_loss_floor(X, y, X_test, y_test, model.theta_, model.l2)
    >>> np.allclose(I, influence_loss(model, X, y, X_test, y_test))
    True
    """
    prob = _sigmoid(X @ theta)
    G = (prob - y)[:, None] * X
    G_test = (_sigmoid(X_test @ theta) - y_test)[:, None] * X_test
    H = X.T @ ((prob * (1.0 - prob))[:, None] * X)
    H[np.diag_indices_from(H)] += l2
    L = np.linalg.cholesky(H)
    S = np.linalg.solve(L.T, np.linalg.solve(L, G_test.T))
    return (-S.T) @ G.T  # negating the (p, m) factor saves a pass over the (m, n) result


def influence_loss_loop(X, y, X_test, y_test, theta, l2):
    r"""The source notebooks' way: a Python loop with one solve per training point, shape (m, n).

    As in source notebook 001, the Hessian is built once; then for each training point
    :math:`z_i` the loop forms :math:`\nabla L(z_i)`, solves :math:`H u_i = \nabla L(z_i)`
    and takes :math:`-G_{\text{test}} u_i`. The result equals
    :func:`influence_loss_floor`; only the cost differs (``n`` separate solves).

    Parameters
    ----------
    X, y, X_test, y_test, theta, l2
        As in :func:`influence_loss_floor`.

    Returns
    -------
    ndarray, shape (m, n)

    Examples
    --------
    >>> model, X, y, X_test, y_test = logistic_problem(30, 2, m=3)
    >>> args = (X, y, X_test, y_test, model.theta_, model.l2)
    >>> np.allclose(influence_loss_loop(*args), influence_loss_floor(*args))
    True
    """
    prob = _sigmoid(X @ theta)
    H = X.T @ ((prob * (1.0 - prob))[:, None] * X)
    H[np.diag_indices_from(H)] += l2
    G_test = (_sigmoid(X_test @ theta) - y_test)[:, None] * X_test
    out = np.empty((X_test.shape[0], X.shape[0]))
    for i in range(X.shape[0]):
        g_i = (_sigmoid(X[i] @ theta) - y[i]) * X[i]
        out[:, i] = -(G_test @ np.linalg.solve(H, g_i))
    return out


# --------------------------------------------------------------------------------------
# Comparisons
# --------------------------------------------------------------------------------------
def compare_influence_loss(n=20_000, m=1_000, p=100, l2=1.0, rng=0, repeats=5, rtol=1e-8):
    """Time ``influence_loss(method="direct")`` against :func:`influence_loss_floor`.

    Both are timed on the same fitted model, alternately, best of ``repeats``; the two
    results are checked to agree (``np.testing.assert_allclose`` with ``rtol`` and an
    absolute tolerance of ``rtol`` times the largest entry).

    Parameters
    ----------
    n, m, p : int
        Training points, test points, parameters.
    l2 : float, default 1
    rng : numpy.random.Generator or int, default 0
    repeats : int, default 5
    rtol : float, default 1e-8

    Returns
    -------
    dict
        ``n, m, p, package, floor`` (seconds), ``ratio`` (package / floor) and
        ``max_abs_diff``.

    Raises
    ------
    AssertionError
        If the package and the floor disagree.

    Examples
    --------
    >>> r = compare_influence_loss(n=60, m=5, p=3, repeats=1)
    >>> sorted(r)
    ['floor', 'm', 'max_abs_diff', 'n', 'p', 'package', 'ratio']
    """
    model, X, y, X_test, y_test = logistic_problem(n, p, m, l2, rng)
    floor_args = (X, y, X_test, y_test, model.theta_, model.l2)
    t_pkg, t_floor = np.inf, np.inf
    for _ in range(int(repeats)):  # alternate, so that both see the same machine load
        t, I_pkg = best_time(influence_loss, model, X, y, X_test, y_test, repeats=1)
        t_pkg = min(t_pkg, t)
        del I_pkg
        t, I_floor = best_time(influence_loss_floor, *floor_args, repeats=1)
        t_floor = min(t_floor, t)
    I_pkg = influence_loss(model, X, y, X_test, y_test)
    scale = float(np.max(np.abs(I_floor)))
    np.testing.assert_allclose(I_pkg, I_floor, rtol=rtol, atol=rtol * scale)
    diff = float(np.max(np.abs(I_pkg - I_floor)))
    return {"n": n, "m": m, "p": p, "package": t_pkg, "floor": t_floor,
            "ratio": t_pkg / t_floor, "max_abs_diff": diff}


def compare_loop(n=2_000, m=1_000, p=100, l2=1.0, rng=0, repeats=3, loop_repeats=1, rtol=1e-8):
    """Speed-up of ``influence_loss(method="direct")`` over :func:`influence_loss_loop`.

    Parameters
    ----------
    n, m, p : int
    l2 : float, default 1
    rng : numpy.random.Generator or int, default 0
    repeats : int, default 3
        Repeats for the package.
    loop_repeats : int, default 1
        Repeats for the (slow) loop.
    rtol : float, default 1e-8
        The two results must agree to this relative tolerance.

    Returns
    -------
    dict
        ``n, m, p, package, loop`` (seconds), ``speedup`` (loop / package) and
        ``max_abs_diff``.

    Examples
    --------
    >>> r = compare_loop(n=40, m=3, p=2, repeats=1)
    >>> r["speedup"] > 0
    True
    """
    model, X, y, X_test, y_test = logistic_problem(n, p, m, l2, rng)
    t_pkg, I_pkg = best_time(influence_loss, model, X, y, X_test, y_test, repeats=repeats)
    t_loop, I_loop = best_time(
        influence_loss_loop, X, y, X_test, y_test, model.theta_, model.l2, repeats=loop_repeats
    )
    scale = float(np.max(np.abs(I_loop)))
    np.testing.assert_allclose(I_pkg, I_loop, rtol=rtol, atol=rtol * scale)
    return {"n": n, "m": m, "p": p, "package": t_pkg, "loop": t_loop,
            "speedup": t_loop / t_pkg, "max_abs_diff": float(np.max(np.abs(I_pkg - I_loop)))}


def compare_loo_ols(n=2_000, p=20, rng=0, repeats=3, refit_repeats=1, noise=0.5):
    r"""Speed-up of the closed form :func:`~influence_demo.loo.loo_params_ols` over ``n`` refits.

    The data are :math:`X \sim N(0, I_p)`, :math:`y = X\theta^\star + \varepsilon` with
    :math:`\varepsilon \sim N(0, \text{noise}^2)`, seeded by ``rng``.

    Returns
    -------
    dict
        ``n, p, closed_form, refits`` (seconds), ``speedup`` (refits / closed form) and
        ``max_abs_diff`` between the two (n, p) arrays.

    Examples
    --------
    >>> r = compare_loo_ols(n=30, p=3, repeats=1)
    >>> r["max_abs_diff"] < 1e-10
    True
    """
    rng = np.random.default_rng(rng)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + noise * rng.standard_normal(n)
    model = LinearRegression().fit(X, y)
    t_closed, closed = best_time(loo_params_ols, X, y, repeats=repeats)
    t_refit, refits = best_time(loo_params, model, X, y, repeats=refit_repeats)
    return {"n": n, "p": p, "closed_form": t_closed, "refits": t_refit,
            "speedup": t_refit / t_closed, "max_abs_diff": float(np.max(np.abs(closed - refits)))}


def solver_scaling(
    p_values,
    n=None,
    k=1,
    l2=1.0,
    damping=0.0,
    methods=("direct", "cg"),
    rng=0,
    repeats=3,
    cg_options=None,
    lissa_options=None,
):
    r"""Time :func:`~influence_demo.solvers.inverse_hvp` by each method as ``p`` grows.

    For each ``p`` a fresh L2 logistic regression is generated and fitted
    (:func:`logistic_problem`), and :math:`(H + \delta I)^{-1} V` is solved for ``k``
    right-hand sides (the gradients of ``k`` test points). Every method is timed from the
    fitted model, so the direct time includes forming :math:`H` (:math:`O(np^2)`) and
    factoring it (:math:`O(p^3)`), and the iterative times include every
    Hessian-vector product (:math:`O(npk)` each).

    Parameters
    ----------
    p_values : sequence of int
    n : int, optional
        Training points; by default ``max(2000, 4 * p)`` for each ``p``.
    k : int, default 1
        Right-hand sides.
    l2 : float, default 1
        The model's penalty.
    damping : float, default 0
    methods : sequence of {"direct", "cg", "lissa"}
        ``"direct"`` is always run: it is the reference for the errors.
    rng : int, default 0
        Seed; problem ``j`` uses ``rng + j``.
    repeats : int, default 3
        Best of ``repeats`` for every method.
    cg_options, lissa_options : dict, optional
        Passed to the solver (for example ``{"rtol": 1e-8}`` or ``{"depth": 200}``).
        LiSSA's ``rng`` defaults to 0 so that its scale estimate is reproducible.

    Returns
    -------
    list of dict
        One row per ``p`` with ``p, n, k, cond`` (the 2-norm condition number of
        :math:`H + \delta I`, from its eigenvalues), ``time_<method>`` (seconds),
        ``error_<method>`` (largest relative 2-norm error of a column against direct),
        ``n_iter_cg``, ``converged_cg``, ``n_iter_lissa`` and ``converged_lissa`` for the
        methods that ran.

    Examples
    --------
    >>> rows = solver_scaling([3, 5], n=80, k=2, repeats=1)
    >>> [r["p"] for r in rows], rows[0]["error_cg"] < 1e-8
    ([3, 5], True)
    """
    methods = list(dict.fromkeys(["direct", *methods]))
    unknown = set(methods) - {"direct", "cg", "lissa"}
    if unknown:
        raise ValueError(f"unknown method(s) {sorted(unknown)}")
    cg_options = dict(cg_options or {})
    lissa_options = {"rng": 0, **(lissa_options or {})}
    rows = []
    for j, p in enumerate(p_values):
        p = int(p)
        n_p = max(2000, 4 * p) if n is None else int(n)
        model, X, y, X_test, y_test = logistic_problem(n_p, p, k, l2, rng + j)
        V = model.grad(X_test, y_test).T
        H = model.hessian(X, y)
        H[np.diag_indices_from(H)] += damping
        eig = np.linalg.eigvalsh(H)
        row = {"p": p, "n": n_p, "k": k, "cond": float(eig[-1] / eig[0])}
        ref = None
        for method in methods:
            options = {"direct": {}, "cg": cg_options, "lissa": lissa_options}[method]
            t, (U, info) = best_time(
                inverse_hvp, model, X, y, V, method=method, damping=damping,
                return_info=True, repeats=repeats, **options,
            )
            row[f"time_{method}"] = t
            if method == "direct":
                ref = U
            else:
                row[f"n_iter_{method}"] = info.n_iter
                row[f"converged_{method}"] = info.converged
            err = np.linalg.norm(U - ref, axis=0) / np.linalg.norm(ref, axis=0)
            row[f"error_{method}"] = float(np.max(err))
        rows.append(row)
    return rows
