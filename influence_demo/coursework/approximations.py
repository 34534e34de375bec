r"""The checker of the chapter :ref:`approximations`: DataInf's closed form for one block."""

import numpy as np

from ..approximations import datainf_influence
from ..models import LinearRegression
from .harness import Case, run

__all__ = ["check_datainf"]


def _datainf_case(label, rng, n, p, m, mu):
    X, y = rng.normal(size=(n, p)), rng.normal(size=n)
    X_test, y_test = rng.normal(size=(m, p)), rng.normal(size=m)
    model = LinearRegression(l2=mu).fit(X, y)  # one block: every parameter
    G, T = model.grad(X, y), model.grad(X_test, y_test)
    expected = datainf_influence(model, X, y, X_test, y_test, damping=0.0)
    A, K = T @ G.T, G @ G.T
    sq = np.sum(G**2, axis=1)
    suspects = [
        (-T @ np.linalg.solve(G.T @ G + mu * np.eye(p), G.T),
         "this is the exact inverse of G^T G + mu I: DataInf swaps the inverse of the sum "
         "for the mean of the rank-one inverses (g g^T + rho I)^{-1}, each by "
         "Sherman-Morrison."),
        (-(A - (A / (mu + sq)) @ K / n) / mu,
         f"rho is read on the wrong scale: Kwon et al.'s lambda belongs to the mean "
         f"curvature, so rho = mu / n = mu / {n} in the denominators rho + |g_k|^2."),
        (-(A - (A / (mu / n + sq)) @ K) / mu,
         f"the correction term misses its 1/n = 1/{n}: it is the mean over the training "
         "points of the rank-one terms."),
    ]
    ratio_hints = {
        -1: "Check the sign: the influence is -v^T C^{-1} g, positive for a harmful point.",
        n: f"A factor n = {n} is off: this book's curvature is the sum, n times the mean.",
        1 / n: f"A factor n = {n} is off: this book's curvature is the sum, n times the mean.",
    }
    args = {"G": G, "G_test": T, "mu": float(mu)}
    return Case(label, args, expected, suspects, ratio_hints, n=n)


def _datainf_shape_hints(case):
    n, m = case.args["G"].shape[0], case.args["G_test"].shape[0]
    return [((n, m), f"you returned shape (n, m) = ({n}, {m}): one row per test point, "
                     "shape (m, n), as influence_loss returns.")]


def check_datainf(fn):
    r"""Check DataInf's approximation of the influence for one block of parameters.

    The student's ``fn(G, G_test, mu)`` receives the training gradients ``G`` (n, p), the
    test gradients ``G_test`` (m, p) and :math:`\mu = \lambda + \delta > 0`, and returns
    the (m, n) matrix

    .. math::

        -\frac1\mu\Bigl(G_{\text{test}}G^\top - \frac1n\,
            \bigl(G_{\text{test}}G^\top \oslash c^\top\bigr)\,GG^\top\Bigr),
        \qquad c_k = \frac\mu n + \lVert g_k\rVert^2,

    DataInf's replacement (Kwon et al. 2023) of
    :math:`-G_{\text{test}}(G^\top G + \mu I)^{-1}G^\top`, in this book's sum convention
    (the exercise of the chapter :ref:`approximations`). Typical mistakes (the exact
    inverse, :math:`\rho` on the wrong scale, a missing :math:`1/n`) are recognised.

    Parameters
    ----------
    fn : callable
        ``fn(G, G_test, mu) -> array of shape (m, n)``.

    Returns
    -------
    bool
        True when all four cases (one with a single training point, where DataInf is
        exact) were right; the checker prints PASS, or FAIL and the first counterexample.

    Examples
    --------
    >>> def datainf(G, G_test, mu):
    ...     n = G.shape[0]
    ...     c = mu / n + np.sum(G**2, axis=1)
    ...     A = G_test @ G.T
    ...     return -(A - (A / c) @ (G @ G.T) / n) / mu
    >>> check_datainf(datainf)
    check_datainf: PASS (4 cases)
    True
    """
    rng = np.random.default_rng(20418)
    cases = [
        _datainf_case(f"random gradients, n={n}, p={p}, m={m}, mu={mu}", rng, n, p, m, mu)
        for n, p, m, mu in [(8, 3, 2, 1.0), (5, 7, 3, 0.5), (1, 4, 2, 2.0), (30, 6, 4, 0.1)]
    ]
    return run("check_datainf", fn, cases, shape_hints=_datainf_shape_hints)
