r"""The checker of the chapter :ref:`mislabeled`: self-influence in L2 logistic regression."""

import numpy as np

from ..influence import self_influence
from ..models import LogisticRegression
from .harness import Case, run
from .problems import fitted_model, penalised_logistic_cases

__all__ = ["check_self_influence"]


def _self_influence_case(label, X, y, l2):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    model = fitted_model(X, y, l2)
    expected = self_influence(model, X, y)
    G, H = model.grad(X, y), model.hessian(X, y)
    S = np.linalg.solve(H, G.T)  # H^{-1} grad_i in column i
    suspects = [(-np.einsum("ij,ij->i", G, G), "the inverse Hessian is missing: "
                 "I_up,loss(z_i, z_i) = -grad_i^T H^{-1} grad_i.")]
    H0 = LogisticRegression(l2=0.0).with_theta(model.theta_).hessian(X, y)
    if l2 > 0 and np.linalg.cond(H0) < 1e10:
        suspects.append((-np.einsum("ij,ji->i", G, np.linalg.solve(H0, G.T)),
                         "the penalty is missing from the Hessian: H = X^T diag(c) X + l2 I."))
    h = model.curvature(X, y) * np.einsum("ij,ji->i", X, np.linalg.solve(H, X.T))
    suspects.append((-np.einsum("ij,ji->i", G, S) / (1 - h),
                     "this is a leave-one-out estimate, with the leverage factor 1/(1 - h_i): "
                     "the self-influence is just -grad_i^T H^{-1} grad_i."))
    n = X.shape[0]
    ratio_hints = {
        -1: "Self-influence is never positive: I_up,loss(z_i, z_i) = -grad_i^T H^{-1} grad_i.",
        2: "A factor 2 is off.",
        0.5: "A factor 2 is off.",
        n: f"A factor n = {n} is off: with Koh & Liang's mean objective the Hessian is n times "
           "smaller and the influences n times larger; this book's objective is a sum.",
    }
    args = {"X": X, "y": y, "theta": model.theta_, "l2": float(l2)}
    return Case(label, args, expected, suspects, ratio_hints, n=n)


def _flip_a_far_label(X, y):
    y[-1] = 1 - y[-1]
    X[-1] *= 3


def _self_influence_shape_hints(case):
    n = case.args["X"].shape[0]
    return [((n, n), "you returned the n x n matrix I_up,loss(z_i, z_j): "
                     "return its diagonal, shape (n,).")]


def check_self_influence(fn):
    r"""Check the self-influence of every training point of L2-penalised logistic regression.

    The student's ``fn(X, y, theta, l2)`` returns, for :math:`\theta = \hat\theta` (the
    fitted parameters, passed in),

    .. math::

        \mathcal I_{\text{up,loss}}(z_i, z_i) = -\nabla L(z_i,\hat\theta)^\top H^{-1}
        \nabla L(z_i,\hat\theta), \\
        H = X^\top\operatorname{diag}\bigl(\sigma(s)(1-\sigma(s))\bigr)X + \lambda I,

    shape (n,): one number per training point, never positive. The exercise of the
    chapter :ref:`mislabeled`.

    Parameters
    ----------
    fn : callable
        ``fn(X, y, theta, l2) -> array of shape (n,)``.

    Returns
    -------
    bool
        True when the self-influences of all five problems (a flipped label far from the
        rest among them) were right; the checker prints PASS, or FAIL and the first
        counterexample.

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
    cases = penalised_logistic_cases(
        20244, _self_influence_case, "a flipped label far from the rest, n=10, p=3, l2=0.1",
        _flip_a_far_label)
    return run("check_self_influence", fn, cases, shape_hints=_self_influence_shape_hints)
