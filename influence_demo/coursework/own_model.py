r"""The checker of the chapter :ref:`own_model`: exact removal effects of ridge regression."""

import numpy as np

from ..influence import influence_loss
from ..loo import loo_loss_change
from ..models import LinearRegression
from .harness import Case, run

__all__ = ["check_ridge_removal"]


def _ridge_case(label, X, y, X_test, y_test, l2):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    X_test, y_test = np.asarray(X_test, dtype=float), np.asarray(y_test, dtype=float)
    model = LinearRegression(l2=l2, unpenalized=[-1]).fit(X, y)
    expected = loo_loss_change(model, X, y, X_test, y_test)
    first = -influence_loss(model, X, y, X_test, y_test)
    H = model.hessian(X, y)
    h = 2 * np.einsum("ij,ji->i", X, np.linalg.solve(H, X.T))
    e_t = y_test - X_test @ model.theta_
    d = first / (-2 * e_t[:, None]) / (1 - h)  # x_t^T (theta_-i - theta_hat)
    penalised = LinearRegression(l2=l2).fit(X, y)
    suspects = [
        (first, "this is the first-order prediction -I_up,loss: the exact change divides it "
         "by 1 - h_i (the leverage) and adds the quadratic term d^2 of the test loss."),
        (first / (1 - h), "the leverage factor is right, but the test loss is quadratic: add "
         "d^2, with d = x_t^T (theta_{-i} - theta_hat)."),
        (first + (d * (1 - h)) ** 2, "the quadratic term is there, but the step is the "
         "first-order one: removing z_i moves theta by I_up,params / (1 - h_i)."),
        (loo_loss_change(penalised, X, y, X_test, y_test), "the intercept (the last column of "
         "X) is penalised in your fit: the model leaves it out of the penalty."),
    ]
    ratio_hints = {-1: "The sign is off: return L(z_t, theta_{-i}) - L(z_t, theta_hat), "
                       "the change when z_i is removed."}
    args = {"X": X, "y": y, "X_test": X_test, "y_test": y_test, "l2": float(l2)}
    return Case(label, args, expected, suspects, ratio_hints, n=X.shape[0])


def _with_intercept(rng, n, p):
    return np.column_stack([rng.normal(size=(n, p - 1)), np.ones(n)])


def _ridge_cases():
    rng = np.random.default_rng(20245)
    cases = []
    for label, n, p, m, l2 in (("random data, n=8, p=3 (two features and the intercept), "
                                "m=2, l2=1", 8, 3, 2, 1.0),
                               ("a single feature and the intercept, n=6, m=1, l2=0.5",
                                6, 2, 1, 0.5),
                               ("larger random data, n=30, p=5, m=4, l2=10", 30, 5, 4, 10.0)):
        X, Xt = _with_intercept(rng, n, p), _with_intercept(rng, m, p)
        theta = rng.normal(size=p)
        y = X @ theta + 0.5 * rng.normal(size=n)
        cases.append(_ridge_case(label, X, y, Xt, Xt @ theta + rng.normal(size=m), l2))
    X, Xt = _with_intercept(rng, 7, 2), _with_intercept(rng, 2, 2)
    X[-1, 0] = 8.0  # far from the rest: a leverage close to 1
    y = 1.0 + 0.5 * X[:, 0] + 0.2 * rng.normal(size=7)
    cases.append(_ridge_case("a point of high leverage, n=7, p=2, m=2, l2=0.1", X, y, Xt,
                             1.0 + 0.5 * Xt[:, 0], 0.1))
    return cases


def check_ridge_removal(fn):
    r"""Check the exact change in each test loss when each training point of ridge is removed.

    The model is least squares with the loss :math:`(y - x^\top\theta)^2` and the penalty
    :math:`\frac\lambda2\lVert\theta\rVert^2` on every coordinate but the last (the
    intercept, a column of ones that ``X`` already holds), as ``from_sklearn`` builds it
    from a scikit-learn ``Ridge``. The student's ``fn(X, y, X_test, y_test, l2)`` returns
    the (m, n) array whose entry ``[t, i]`` is :math:`L(z_t, \hat\theta_{-i}) - L(z_t,
    \hat\theta)`. Refitting once per point is a correct answer; the intended one refits
    nothing:

    .. math::

        d_{ti} = x_t^\top(\hat\theta_{-i} - \hat\theta)
               = \frac{-x_t^\top\mathcal I_{\text{up,params}}(z_i)}{1 - h_i}, \\
        L(z_t, \hat\theta_{-i}) - L(z_t, \hat\theta) = -2e_t d_{ti} + d_{ti}^2,

    with :math:`h_i = 2x_i^\top H^{-1}x_i` and :math:`e_t = y_t - x_t^\top\hat\theta`. The
    exercise of the chapter :ref:`own_model`.

    Parameters
    ----------
    fn : callable
        ``fn(X, y, X_test, y_test, l2) -> array of shape (m, n)``.

    Returns
    -------
    bool
        True if all four cases passed (a point of high leverage among them). A line
        ``check_ridge_removal: PASS`` or a ``FAIL`` report with the first counterexample is
        printed.

    Examples
    --------
    >>> import numpy as np
    >>> def refit_each(X, y, X_test, y_test, l2):
    ...     P = l2 * np.diag(np.r_[np.ones(X.shape[1] - 1), 0.0])
    ...     fit = lambda A, b: np.linalg.solve(2 * A.T @ A + P, 2 * A.T @ b)
    ...     loss = lambda th: (y_test - X_test @ th) ** 2
    ...     full = loss(fit(X, y))
    ...     return np.column_stack([loss(fit(np.delete(X, i, 0), np.delete(y, i))) - full
    ...                             for i in range(len(y))])
    >>> check_ridge_removal(refit_each)
    check_ridge_removal: PASS (4 cases)
    True
    """
    return run("check_ridge_removal", fn, _ridge_cases())
