r"""The checker of the chapter :ref:`solvers`: Hessian-vector products of L2 logistic regression."""

import numpy as np

from ..models import LogisticRegression, sigmoid
from .harness import Case, run
from .problems import logistic_data

__all__ = ["check_hvp"]


def _hvp_case(label, X, y, theta, l2, V):
    X, y, theta, V = (np.asarray(a, dtype=float) for a in (X, y, theta, V))
    l2 = float(l2)
    n = X.shape[0]
    expected = LogisticRegression(l2=l2).with_theta(theta).hvp(V, X, y)
    data = LogisticRegression(l2=0.0).with_theta(theta).hvp(V, X, y)  # X^T diag(c) X V
    XV = X @ V
    prob = sigmoid(X @ theta)
    suspects = []
    if l2 > 0:
        suspects += [
            (data, "the penalty is missing: H includes l2 * I, so add l2 * V."),
            (data + 0.5 * l2 * V, "the penalty (l2/2)||theta||^2 has Hessian l2 * I: "
             "add l2 * V, not l2/2 * V."),
            (data + 2 * l2 * V, "the penalty (l2/2)||theta||^2 has Hessian l2 * I: "
             "add l2 * V, not 2 l2 * V."),
            (data / n + l2 * V, f"the data term is divided by n = {n}: that is the Hessian of "
             "the mean objective (1/n) sum_i L(z_i, theta) + (l2/2)||theta||^2. This book's "
             "objective is a sum, so a factor n is off: H V = X^T (c * (X V)) + l2 V."),
        ]
    suspects += [
        (X.T @ ((prob if V.ndim == 1 else prob[:, None]) * XV) + l2 * V,
         "you used sigmoid(s) as the curvature; the second derivative "
         "of the logistic loss is sigmoid(s) * (1 - sigmoid(s))."),
        (X.T @ XV + l2 * V, "the curvature weights sigmoid(s) * (1 - sigmoid(s)) are missing "
         "(that would be the least-squares Hessian)."),
    ]
    ratio_hints = {-1: "Check the sign: H is positive definite, so v^T H v > 0."}
    args = {"X": X, "y": y, "theta": theta, "l2": l2, "V": V}
    error_hint = None
    if V.ndim == 2:
        error_hint = ("V is a block of k vectors here, shape (p, k): the function must accept "
                      "it as well as one vector of shape (p,) (c[:, None] * (X @ V) broadcasts "
                      "over k).")
    return Case(label, args, expected, suspects, ratio_hints, n=n, error_hint=error_hint)


def _hvp_cases():
    rng = np.random.default_rng(20242)
    cases = []
    X, y, theta = logistic_data(rng, 6, 3)
    cases.append(_hvp_case("one vector V of shape (p,), n=6, p=3, l2=0.5", X, y, theta, 0.5,
                           rng.normal(size=3)))
    cases.append(_hvp_case("a block V of shape (p, k), n=6, p=3, k=2, l2=0.5", X, y, theta, 0.5,
                           rng.normal(size=(3, 2))))
    X, y, theta = logistic_data(rng, 5, 2)
    cases.append(_hvp_case("no penalty, l2=0, n=5, p=2", X, y, theta, 0.0, rng.normal(size=2)))
    cases.append(_hvp_case("V = identity, so H @ V = H, n=5, p=2, l2=1", X, y, theta, 1.0,
                           np.eye(2)))
    cases.append(_hvp_case("a single feature, n=4, p=1, l2=0.1", rng.normal(size=(4, 1)),
                           [0, 1, 1, 0], [0.3], 0.1, [2.0]))
    cases.append(_hvp_case("huge margins: the curvature is 0, so H @ V = l2 V, n=3, p=1",
                           [[1.0], [-1.0], [2.0]], [1.0, 0.0, 1.0], [800.0], 2.0, [[1.0, -3.0]]))
    X, y, theta = logistic_data(rng, 60, 6)
    cases.append(_hvp_case("larger random data, n=60, p=6, k=3, l2=0.01", X, y, theta, 0.01,
                           rng.normal(size=(6, 3))))
    return cases


def _hvp_shape_hints(case):
    p = case.args["X"].shape[1]
    if case.args["V"].ndim == 2:
        return [((p,), "V is a block of k vectors here, shape (p, k): "
                       "return all k products, shape (p, k).")]
    if p > 1:
        return [((p, p), "you returned the Hessian itself, shape (p, p): return H @ V.")]
    return []


def check_hvp(fn):
    r"""Check a Hessian-vector product for L2-penalised logistic regression.

    The student's ``fn(X, y, theta, l2, V)`` returns :math:`HV` with

    .. math::

        H = X^\top \operatorname{diag}\bigl(\sigma(s)(1-\sigma(s))\bigr) X + \lambda I,
        \qquad s = X\theta,

    the Hessian of :math:`R(\theta)=\sum_i L(z_i,\theta)+\frac\lambda2\lVert\theta\rVert^2`,
    for ``V`` of shape (p,) (returning (p,)) or (p, k) (returning (p, k)). The point of
    the exercise (in the chapter :ref:`solvers`) is to do it without forming :math:`H`,
    but any correct answer passes.

    Parameters
    ----------
    fn : callable
        ``fn(X, y, theta, l2, V) -> array with the shape of V``.

    Returns
    -------
    bool
        Whether the products were right in all seven cases, one vector or a block, with and
        without a penalty. A PASS line or a FAIL report is printed.

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
    return run("check_hvp", fn, _hvp_cases(), shape_hints=_hvp_shape_hints)
