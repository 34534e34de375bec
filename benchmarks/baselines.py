r"""What ``make bench`` times the package against, and the comparisons it prints.

The package lives in ``influence_demo/``; its benchmarks live here, outside it, as scipy
keeps its own. ``benchmarks/run.py`` prints a table from the three comparisons below;
``tests/test_benchmark.py`` checks them (and runs these doctests) at tiny sizes.

* :func:`compare_influence_loss` -- ``influence_loss`` (direct) against
  :func:`influence_loss_floor`, the same numbers written as bare numpy (per-example
  gradients, one Cholesky factorization, one block solve, one GEMM). The ratio is the
  package's overhead.
* :func:`compare_loop` -- the package against :func:`influence_loss_loop`, the source
  notebooks' way: a Python loop with one solve per training point.
* :func:`compare_loo_ols` -- the closed form ``loo_params_ols`` against ``loo_params``
  (``n`` refits).

The fourth item of the table, CG against the direct solve as ``p`` grows, is
``influence_demo.timing.solver_scaling``, which the chapter on solvers also draws.

Examples
--------
>>> r = compare_influence_loss(n=60, m=5, p=3, repeats=1)
>>> sorted(r)
['floor', 'm', 'max_abs_diff', 'n', 'p', 'package', 'ratio']
"""

import numpy as np

from influence_demo import LinearRegression, influence_loss, loo_params, loo_params_ols, sigmoid
from influence_demo.datasets import logistic_problem
from influence_demo.timing import best_time


# --------------------------------------------------------------------------------------
# The floor and the naive loop
# --------------------------------------------------------------------------------------
def _logistic_pieces(X, y, X_test, y_test, theta, l2):
    """Training probabilities, test gradients and the penalised Hessian, in bare numpy."""
    prob = sigmoid(X @ theta)
    G_test = (sigmoid(X_test @ theta) - y_test)[:, None] * X_test
    H = X.T @ ((prob * (1.0 - prob))[:, None] * X)
    H[np.diag_indices_from(H)] += l2
    return prob, G_test, H


def influence_loss_floor(X, y, X_test, y_test, theta, l2):
    r"""Bare-numpy :math:`\mathcal I_{\text{up,loss}}` for L2 logistic regression, shape (m, n).

    The least work the computation needs, with no input checks: per-example gradients
    :math:`G = (\sigma(X\theta) - y)\odot X` and :math:`G_{\text{test}}`, the Hessian
    :math:`H = X^\top \operatorname{diag}(w) X + \lambda I`, one Cholesky factorization,
    one block solve :math:`S = H^{-1} G_{\text{test}}^\top` and one GEMM
    :math:`-S^\top G^\top`. It is the yardstick for ``influence_demo.influence_loss``.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Training design matrix.
    y : ndarray, shape (n,)
        Training labels in {0, 1}.
    X_test : ndarray, shape (m, p)
        Test design matrix.
    y_test : ndarray, shape (m,)
        Test labels.
    theta : ndarray, shape (p,)
        The fitted parameters.
    l2 : float
        The penalty :math:`\lambda` of the model.

    Returns
    -------
    ndarray, shape (m, n)
        :math:`\mathcal I_{\text{up,loss}}(z_j, z_{\text{test},i})` in row ``i``, column ``j``.

    Examples
    --------
    >>> model, X, y, X_test, y_test = logistic_problem(40, 3, m=2)
    >>> I = influence_loss_floor(X, y, X_test, y_test, model.theta_, model.l2)
    >>> np.allclose(I, influence_loss(model, X, y, X_test, y_test))
    True
    """
    prob, G_test, H = _logistic_pieces(X, y, X_test, y_test, theta, l2)
    G = (prob - y)[:, None] * X
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
        As :func:`influence_loss_floor`.

    Examples
    --------
    >>> model, X, y, X_test, y_test = logistic_problem(30, 2, m=3)
    >>> args = (X, y, X_test, y_test, model.theta_, model.l2)
    >>> np.allclose(influence_loss_loop(*args), influence_loss_floor(*args))
    True
    """
    prob, G_test, H = _logistic_pieces(X, y, X_test, y_test, theta, l2)
    out = np.empty((X_test.shape[0], X.shape[0]))
    for i in range(X.shape[0]):
        g_i = (prob[i] - y[i]) * X[i]
        out[:, i] = -(G_test @ np.linalg.solve(H, g_i))
    return out


# --------------------------------------------------------------------------------------
# Comparisons
# --------------------------------------------------------------------------------------
def _max_abs_diff(result, reference, rtol):
    """Check that two influence matrices agree to ``rtol``; return their largest difference."""
    scale = float(np.max(np.abs(reference)))
    np.testing.assert_allclose(result, reference, rtol=rtol, atol=rtol * scale)
    return float(np.max(np.abs(result - reference)))


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
        The model's penalty.
    rng : numpy.random.Generator or int, default 0
        Seeds the problem (``influence_demo.datasets.logistic_problem``).
    repeats : int, default 5
        Best of this many timings of each.
    rtol : float, default 1e-8
        The two results must agree to this relative tolerance.

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
    >>> r["max_abs_diff"] < 1e-12
    True
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
    diff = _max_abs_diff(influence_loss(model, X, y, X_test, y_test), I_floor, rtol)
    return {"n": n, "m": m, "p": p, "package": t_pkg, "floor": t_floor,
            "ratio": t_pkg / t_floor, "max_abs_diff": diff}


def compare_loop(n=2_000, m=1_000, p=100, l2=1.0, rng=0, repeats=3, loop_repeats=1, rtol=1e-8):
    """Speed-up of ``influence_loss(method="direct")`` over :func:`influence_loss_loop`.

    Parameters
    ----------
    n, m, p, l2, rng, rtol
        As in :func:`compare_influence_loss` (smaller ``n`` by default: the loop is slow).
    repeats : int, default 3
        Repeats for the package.
    loop_repeats : int, default 1
        Repeats for the (slow) loop.

    Returns
    -------
    dict
        ``n, m, p, package, loop`` (seconds), ``speedup`` (loop / package) and
        ``max_abs_diff``; an AssertionError is raised if the loop's numbers differ.

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
    return {"n": n, "m": m, "p": p, "package": t_pkg, "loop": t_loop,
            "speedup": t_loop / t_pkg, "max_abs_diff": _max_abs_diff(I_pkg, I_loop, rtol)}


def compare_loo_ols(n=2_000, p=20, rng=0, repeats=3, refit_repeats=1, noise=0.5):
    r"""Speed-up of the closed form ``loo_params_ols`` over ``n`` refits (``loo_params``).

    The data are :math:`X \sim N(0, I_p)`, :math:`y = X\theta^\star + \varepsilon` with
    :math:`\theta^\star \sim N(0, I_p)` and :math:`\varepsilon \sim N(0, \text{noise}^2)`,
    seeded by ``rng``.

    Parameters
    ----------
    n, p : int
        Training points and parameters.
    rng : numpy.random.Generator or int, default 0
        Seeds the data.
    repeats : int, default 3
        Repeats for the closed form.
    refit_repeats : int, default 1
        Repeats for the (slow) refits.
    noise : float, default 0.5
        Standard deviation of the noise.

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
