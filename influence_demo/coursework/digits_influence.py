r"""The checker of the chapter :ref:`digits_influence`: one-step Newton leave-one-out."""

import numpy as np

from ..loo import loo_params_onestep
from .harness import Case, run
from .problems import fitted_model, penalised_logistic_cases

__all__ = ["check_loo_onestep"]


def _onestep_case(label, X, y, l2):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    model = fitted_model(X, y, l2)
    theta = model.theta_
    expected = loo_params_onestep(model, X, y)
    H = model.hessian(X, y)
    step = np.linalg.solve(H, model.grad(X, y).T).T  # H^{-1} grad_i, row i
    q = np.einsum("ij,ji->i", X, np.linalg.solve(H, X.T))  # x_i^T H^{-1} x_i
    h = model.curvature(X, y) * q
    suspects = [
        (theta + step, "this is the first-order influence estimate theta + H^{-1} grad_i: the "
         "one-step Newton estimate divides the change by 1 - h_i, h_i = c_i x_i^T H^{-1} x_i."),
        (theta - step / (1 - h)[:, None], "the change has the wrong sign: removing z_i gives "
         "theta_{-i} ~ theta + H^{-1} grad_i / (1 - h_i)."),
        (theta + step / (1 - q)[:, None], "the generalized leverage includes the curvature: "
         "h_i = c_i x_i^T H^{-1} x_i with c_i = sigmoid(s_i)(1 - sigmoid(s_i))."),
        (theta + step / (1 + h)[:, None], "divide by 1 - h_i, not 1 + h_i."),
        (expected - theta, "you returned the change theta_{-i} - theta; "
         "return theta_{-i} itself."),
    ]
    ratio_hints = {-1: "Check the sign of the change.", 2: "A factor 2 is off.",
                   0.5: "A factor 2 is off."}
    args = {"X": X, "y": y, "theta": theta, "l2": float(l2)}
    return Case(label, args, expected, suspects, ratio_hints, base=theta, n=X.shape[0])


def _add_high_leverage(X, y):
    X[-1] = [4.0, -4.0, 4.0]


def check_loo_onestep(fn):
    r"""Check the one-step Newton leave-one-out parameters of L2-penalised logistic regression.

    The student's ``fn(X, y, theta, l2)`` receives the fitted :math:`\hat\theta` and
    returns the array whose row ``i`` is one Newton step from :math:`\hat\theta` on the
    objective without :math:`z_i`, shape (n, p). By Sherman–Morrison,

    .. math::

        \tilde\theta_{-i} = \hat\theta + \frac{H^{-1}\nabla L(z_i,\hat\theta)}{1 - h_i},
        \qquad h_i = c_i\,x_i^\top H^{-1}x_i,\quad c_i = \sigma(s_i)(1-\sigma(s_i)).

    A literal Newton step on :math:`R_{-i}` per point is also a correct answer. The
    exercise of the chapter :ref:`digits_influence`.

    Parameters
    ----------
    fn : callable
        ``fn(X, y, theta, l2) -> array of shape (n, p)``.

    Returns
    -------
    bool
        True if the one-step estimates matched the package's
        :func:`~influence_demo.loo.loo_params_onestep` on five problems, one with a point of
        high leverage. Prints PASS, or FAIL with the first counterexample.

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
    cases = penalised_logistic_cases(
        20245, _onestep_case, "a point with high leverage, n=10, p=3, l2=0.1", _add_high_leverage)
    return run("check_loo_onestep", fn, cases)
