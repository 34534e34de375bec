r"""The checker of the chapter :ref:`sol-lissa`: the LiSSA recursion on a Hessian-vector product."""

import numpy as np

from ..models import LogisticRegression
from .harness import Case, run
from .problems import logistic_data

__all__ = ["check_lissa"]


def _partial_sum(A, V, scale, damping, terms):
    """The partial Neumann sum: terms = J + 1 for depth J, divided by the scale."""
    step = np.eye(A.shape[0]) - (A + damping * np.eye(A.shape[0])) / scale
    total, term = np.zeros_like(V), V.copy()
    for _ in range(terms):
        total, term = total + term, step @ term
    return total / scale


def _lissa_case(label, A, V, scale, damping, depth):
    A, V = np.asarray(A, dtype=float), np.asarray(V, dtype=float)
    scale, damping = float(scale), float(damping)

    def matvec(U):
        return A @ np.asarray(U, dtype=float)

    expected = _partial_sum(A, V, scale, damping, depth + 1)
    suspects = [
        (expected * scale, "divide the last iterate by the scale: the answer is U_J / s."),
    ]
    if depth > 0:
        suspects.append((_partial_sum(A, V, scale, damping, depth),
                         "one step short: U_0 = V, then depth J updates U_j = V + (I - A) "
                         "U_{j-1}, so the sum has J + 1 terms."))
    suspects.append((_partial_sum(A, V, scale, damping, depth + 2),
                     "one step too many: U_0 = V, then depth J updates, J + 1 terms in all."))
    if damping > 0:
        suspects += [
            (_partial_sum(A, V, scale, 0.0, depth + 1),
             "the damping is missing: each step multiplies by I - (H + damping I) / s."),
            (_partial_sum(A, V, scale, -damping, depth + 1),
             "the damping has the wrong sign: the matrix is H + damping I."),
        ]
    args = {"matvec": matvec, "V": V, "scale": scale, "damping": damping, "depth": depth}
    shown = {"H": A, "V": V, "scale": scale, "damping": damping, "depth": depth}
    error_hint = None
    if V.ndim == 2:
        error_hint = ("V is a block of k vectors here, shape (p, k): matvec accepts it, and "
                      "the recursion works column by column unchanged.")
    return Case(label, args, expected, suspects, shown=shown, error_hint=error_hint)


def _spd(rng, p, cond):
    Q, _ = np.linalg.qr(rng.normal(size=(p, p)))
    return (Q * np.geomspace(1.0, cond, p)) @ Q.T


def _lissa_cases():
    rng = np.random.default_rng(20244)
    X, y, theta = logistic_data(rng, 30, 4)
    H = LogisticRegression(l2=0.1).with_theta(theta).hessian(X, y)
    mu_max = float(np.linalg.eigvalsh(H)[-1])
    return [
        _lissa_case("a random SPD matrix, p=3, scale 12, depth 5", _spd(rng, 3, 10.0),
                    rng.normal(size=3), 12.0, 0.0, 5),
        _lissa_case("a block V of shape (p, k), p=3, k=2", _spd(rng, 3, 10.0),
                    rng.normal(size=(3, 2)), 12.0, 0.0, 4),
        _lissa_case("damping 0.5, p=3", _spd(rng, 3, 10.0), rng.normal(size=3), 12.0, 0.5, 6),
        _lissa_case("depth 0: the answer is V / s", _spd(rng, 2, 4.0), rng.normal(size=2),
                    5.0, 0.0, 0),
        _lissa_case("p=1, H = 2, scale 4, depth 3", [[2.0]], [1.0], 4.0, 0.0, 3),
        _lissa_case("a logistic-regression Hessian (n=30, p=4, l2=0.1), depth 50", H,
                    rng.normal(size=4), 1.1 * mu_max, 0.0, 50),
        _lissa_case("the same Hessian damped by 0.2, depth 20", H, rng.normal(size=4),
                    1.1 * (mu_max + 0.2), 0.2, 20),
    ]


def _lissa_shape_hints(case):
    if case.args["V"].ndim == 2:
        return [((case.args["V"].shape[0],), "V is a block of k vectors here, shape (p, k): "
                 "return all k columns, shape (p, k).")]
    return []


def check_lissa(fn):
    r"""Check the LiSSA recursion, full batch, on a Hessian-vector product.

    The student's ``fn(matvec, V, scale, damping, depth)`` runs

    .. math::

        U_0 = V, \qquad U_j = V + \bigl(I - (H + \delta I)/s\bigr)\,U_{j-1}
        \quad (j = 1, \dots, J),

    with :math:`H` seen only through ``matvec(U) = H @ U``, scale :math:`s`, damping
    :math:`\delta` and depth :math:`J`, and returns :math:`U_J/s`, the estimate of
    :math:`(H+\delta I)^{-1}V` (for ``V`` of shape (p,) or (p, k)). The expected answer is
    the partial Neumann sum :math:`\sum_{j=0}^{J}(I-A)^jV/s` with
    :math:`A = (H+\delta I)/s`, computed with the explicit matrix. The coursework exercise
    of the chapter :ref:`sol-lissa`.

    Parameters
    ----------
    fn : callable
        ``fn(matvec, V, scale, damping, depth) -> array with the shape of V``.

    Returns
    -------
    bool
        True if the seven cases passed (it prints ``check_lissa: PASS (7 cases)``); False
        after printing the first case that failed, with a hint when the answer is off by
        one step, not divided by the scale, or has the damping missing or of the wrong sign.

    Examples
    --------
    >>> def my_lissa(matvec, V, scale, damping, depth):
    ...     U = V.copy()
    ...     for _ in range(depth):
    ...         U = V + U - (matvec(U) + damping * U) / scale
    ...     return U / scale
    >>> check_lissa(my_lissa)
    check_lissa: PASS (7 cases)
    True
    """
    return run("check_lissa", fn, _lissa_cases(), shape_hints=_lissa_shape_hints)
