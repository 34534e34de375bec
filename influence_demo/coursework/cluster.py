r"""The checker of the page :ref:`cluster`: the curvature as a sum over chunks of rows."""

import numpy as np

from ..models import LogisticRegression
from .harness import Case, run
from .problems import logistic_data

__all__ = ["check_chunked_hessian"]


def _chunked_case(label, rng, sizes, p, l2):
    X, y, theta = logistic_data(rng, sum(sizes), p)
    cuts = np.cumsum(sizes)[:-1]
    chunks = list(zip(np.split(X, cuts), np.split(y, cuts)))
    expected = LogisticRegression(l2=l2).with_theta(theta).hessian(X, y)
    data = expected - l2 * np.eye(p)  # X^T diag(c) X, the part the workers sum
    n, b = len(y), len(sizes)
    suspects = [
        (data + b * l2 * np.eye(p),
         f"the penalty is added once per chunk ({b} chunks here): the workers sum only the "
         "data term X_b^T diag(c_b) X_b, and l2 * I is added once, to the total."),
        (data / n + l2 * np.eye(p),
         f"the data term is divided by n = {n}: this book's objective is a sum, so the "
         "chunks' sums are added, not averaged."),
        (sum(Xb.T @ Xb * np.mean(c) for Xb, c in (
            (Xb, LogisticRegression(l2=0.0).with_theta(theta).curvature(Xb, yb))
            for Xb, yb in chunks)) + l2 * np.eye(p),
         "each chunk's curvature weights c_i = sigmoid(s_i)(1 - sigmoid(s_i)) are averaged: "
         "they weigh each row, X_b^T (c_b[:, None] * X_b)."),
    ]
    if l2 > 0:
        suspects.append((data, "the penalty is missing: add l2 * I once, to the total."))
    ratio_hints = {-1: "Check the sign: the Hessian of a convex objective is positive definite."}
    args = {"chunks": chunks, "theta": theta, "l2": float(l2)}
    shown = {"X (the chunks stacked)": X, "y": y, "chunk sizes": np.array(sizes),
             "theta": theta, "l2": float(l2)}
    return Case(label, args, expected, suspects, ratio_hints, n=n, shown=shown)


def _chunked_cases():
    rng = np.random.default_rng(31337)
    return [
        _chunked_case("one chunk of 6 rows, p=3, l2=0.5", rng, [6], 3, 0.5),
        _chunked_case("three chunks of 4, 4 and 2 rows, p=3, l2=0.5", rng, [4, 4, 2], 3, 0.5),
        _chunked_case("chunks of 1, 5 and 3 rows, p=2, l2=2", rng, [1, 5, 3], 2, 2.0),
        _chunked_case("two chunks, no penalty, p=2", rng, [5, 4], 2, 0.0),
    ]


def check_chunked_hessian(fn):
    r"""Check the Hessian of L2 logistic regression computed as a sum over chunks of rows.

    The student's ``fn(chunks, theta, l2)`` receives a list of chunks ``(X_b, y_b)`` (the
    rows a worker holds), the parameters :math:`\theta` and the penalty :math:`\lambda`,
    and returns the (p, p) Hessian of the sum objective

    .. math::

        H = \sum_b X_b^\top \operatorname{diag}(c_b)\,X_b + \lambda I, \qquad
        c_i = \sigma(x_i^\top\theta)\bigl(1 - \sigma(x_i^\top\theta)\bigr),

    the reduction the workers run on a cluster: each chunk's sum travels, the penalty is
    added once (the exercise of the page :ref:`cluster`). Typical mistakes (the penalty
    once per chunk, a mean instead of a sum, the weights averaged per chunk) are recognised.

    Parameters
    ----------
    fn : callable
        ``fn(chunks, theta, l2) -> array of shape (p, p)``.

    Returns
    -------
    bool
        True when all four cases (one of them a single chunk) were right; the checker
        prints PASS, or FAIL and the first counterexample.

    Examples
    --------
    >>> from influence_demo.models import sigmoid
    >>> def chunked_hessian(chunks, theta, l2):
    ...     parts = []
    ...     for Xb, yb in chunks:
    ...         s = sigmoid(Xb @ theta)
    ...         parts.append(Xb.T @ ((s * (1 - s))[:, None] * Xb))
    ...     return sum(parts) + l2 * np.eye(len(theta))
    >>> check_chunked_hessian(chunked_hessian)
    check_chunked_hessian: PASS (4 cases)
    True
    """
    return run("check_chunked_hessian", fn, _chunked_cases())
