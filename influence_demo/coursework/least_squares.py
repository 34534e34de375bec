r"""The checker of the chapter :ref:`least_squares`: exact leave-one-out least squares."""

import numpy as np

from ..loo import leverage, loo_params_ols
from ..models import LinearRegression
from .harness import Case, run

__all__ = ["check_loo_ols"]


def _loo_ols_case(label, X, y):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    expected = loo_params_ols(X, y)
    theta = LinearRegression().fit(X, y).theta_
    h = leverage(X)
    step = np.linalg.solve(X.T @ X, X.T * (y - X @ theta)).T  # (X^T X)^{-1} x_i e_i, row i
    suspects = [
        (theta - step, "this is the first-order influence estimate theta - (X^T X)^{-1} x_i e_i: "
         "the exact LOO divides the change by 1 - h_ii (the leverage)."),
        (theta + step / (1 - h)[:, None], "the change has the wrong sign: removing z_i gives "
         "theta_{-i} = theta - (X^T X)^{-1} x_i e_i / (1 - h_ii)."),
        (theta - step / (1 + h)[:, None], "divide by 1 - h_ii, not 1 + h_ii."),
        (expected - theta, "you returned the change theta_{-i} - theta; "
         "return theta_{-i} itself."),
        (np.tile(theta, (X.shape[0], 1)), "every row is the full-data fit: "
         "row i must be refitted without point i."),
    ]
    ratio_hints = {
        -1: "Check the sign of the correction.",
        2: "A factor 2 is off: (X^T X)^{-1} and the Hessian 2 X^T X differ by 2.",
        0.5: "A factor 2 is missing: the loss (y - x^T theta)^2 has gradient -2 e x "
             "and Hessian 2 X^T X.",
    }
    return Case(label, {"X": X, "y": y}, expected, suspects, ratio_hints, base=theta,
                n=X.shape[0])


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
    cases.append(_loo_ols_case("y fitted exactly (all residuals 0), n=6, p=2", X,
                               X @ [1.5, -0.5]))
    X = rng.normal(size=(40, 4))
    cases.append(_loo_ols_case("larger random data, n=40, p=4", X,
                               X @ rng.normal(size=4) + rng.normal(size=40)))
    return cases


def check_loo_ols(fn):
    r"""Check an exact leave-one-out least-squares function.

    The student's ``fn(X, y)`` returns the array whose row ``i`` is the least-squares fit
    without point ``i``, :math:`\hat\theta_{-i}`, shape (n, p) (no intercept is added:
    ``X`` is used as given, and there is no penalty). A brute-force refit per point is a
    correct answer; the intended one uses the leverage,

    .. math::

        \hat\theta_{-i} = \hat\theta - \frac{(X^\top X)^{-1} x_i e_i}{1 - h_{ii}}.

    The exercise of the chapter :ref:`least_squares`.

    Parameters
    ----------
    fn : callable
        ``fn(X, y) -> array of shape (n, p)``.

    Returns
    -------
    bool
        True if all six cases passed. A line ``check_loo_ols: PASS`` or a ``FAIL`` report
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
    return run("check_loo_ols", fn, _loo_ols_cases())
