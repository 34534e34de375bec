r"""The checker of the chapter :ref:`neural_network`: the R-operator Hessian-vector product."""

import numpy as np

from ..nn import MLPClassifier
from .harness import Case, run

__all__ = ["check_mlp_hvp"]


def _hvp_case(label, X, y, theta, n_hidden, l2, V):
    X, theta, V = (np.asarray(a, dtype=float) for a in (X, theta, V))
    y = np.asarray(y, dtype=int)
    model = MLPClassifier(n_hidden=n_hidden, l2=l2)  # the shapes come from theta and X
    expected = model.hvp(V, X, y, theta)
    ggn = model.ggn_hvp(V, X, y, theta)
    data = expected - l2 * V
    n = X.shape[0]
    suspects = [
        (
            ggn,
            "this is the Gauss-Newton product G V: the R-operator of the backward pass "
            "must also differentiate the weights W2 and the tanh derivative 1 - u^2 "
            "(the terms with the residual p - e_y), not only R{p}.",
        ),
    ]
    if l2 > 0:
        suspects += [
            (data, "the penalty is missing: H includes l2 * I, so add l2 * V."),
            (
                data / n + l2 * V,
                f"the data term is divided by n = {n}: this book's objective "
                "is a sum, so H V = sum_i (...) + l2 V.",
            ),
        ]
    args = {"X": X, "y": y, "theta": theta, "n_hidden": n_hidden, "l2": l2, "V": V}
    ratio_hints = {-1: "Check the sign: near a minimum v^T H v > 0."}
    return Case(label, args, expected, suspects, ratio_hints, n=n)


def _hvp_cases():
    rng = np.random.default_rng(20249)
    cases = []
    for n, d, h, K, l2, k in [
        (6, 3, 2, 3, 0.5, None),
        (8, 4, 3, 3, 0.1, 2),
        (5, 2, 4, 4, 0.0, 3),
        (30, 5, 3, 3, 1.0, 4),
    ]:
        X = rng.uniform(size=(n, d))
        y = np.arange(n) % K
        theta = rng.normal(size=h * (d + 1) + K * (h + 1))
        V = rng.normal(size=theta.size if k is None else (theta.size, k))
        shape = "one vector V" if k is None else f"a block V of {k} columns"
        cases.append(
            _hvp_case(f"{shape}, n={n}, d={d}, n_hidden={h}, K={K}, l2={l2}", X, y, theta, h, l2, V)
        )
    return cases


def check_mlp_hvp(fn):
    r"""Check an exact Hessian-vector product for :class:`~influence_demo.nn.MLPClassifier`.

    The student's ``fn(X, y, theta, n_hidden, l2, V)`` returns :math:`HV` for the objective
    :math:`R(\theta)=\sum_i L(z_i,\theta)+\frac\lambda2\lVert\theta\rVert^2` of a network
    :math:`f(x) = W_2\tanh(W_1x+b_1)+b_2` with softmax cross-entropy, ``theta`` laid out
    as :math:`[W_1\ b_1]` (shape (h, d+1)) then :math:`[W_2\ b_2]` (shape (K, h+1)), each
    row by row; the number of classes is ``(theta.size - h (d+1)) / (h+1)``. ``V`` has
    shape (p,) or (p, k). The point of the exercise (in the chapter
    :ref:`neural_network`) is Pearlmutter's R-operator, never forming :math:`H`; any
    correct answer passes. A Gauss–Newton product is recognised and explained.

    Parameters
    ----------
    fn : callable
        ``fn(X, y, theta, n_hidden, l2, V) -> array with the shape of V``.

    Returns
    -------
    bool
        Whether all four cases were right. A PASS line or a FAIL report is printed.

    Examples
    --------
    >>> from influence_demo.nn import MLPClassifier
    >>> def hvp_from_the_package(X, y, theta, n_hidden, l2, V):
    ...     model = MLPClassifier(n_hidden=n_hidden, l2=l2)
    ...     return model.hvp(V, X, y, theta)
    >>> check_mlp_hvp(hvp_from_the_package)
    check_mlp_hvp: PASS (4 cases)
    True
    """
    return run("check_mlp_hvp", fn, _hvp_cases())
