r"""Why an influence estimate and retraining disagree: the terms of the gap, one at a time.

Bae et al. (2022) explain the gap between the influence function of a network and
leave-one-out retraining as a chain of changes, each from one response to the next. This
module holds the two pieces of that chain that the rest of the package does not:

:func:`linearized_pbrf`
    The PBRF (:func:`~influence_demo.pbrf.pbrf`) of the network *linearised* at
    :math:`\hat\theta`, :math:`f^{\text{lin}}(x, \theta) = f(x, \hat\theta) +
    J(x)(\theta - \hat\theta)`, in every output, test outputs included. Its derivative in
    :math:`\epsilon` at 0 is the damped GGN influence, exactly as for the PBRF; it differs
    from the PBRF only through the curvature of the network, and from the influence
    estimate only through the finite step :math:`\epsilon = -1`.
:func:`compare`
    Pearson and Spearman correlations and the size ratio of one response against another.

The linearised network is a generalized linear model in :math:`\theta`, so at
:math:`\nabla R(\hat\theta) = 0` its PBRF (no damping) *is* its leave-one-out retraining:
the two objectives differ by :math:`\sum_i r_i^\top f^{\text{lin}}_i(\theta) +
\lambda\hat\theta^\top\theta`, a linear function of :math:`\theta` whose gradient is
:math:`\nabla R(\hat\theta)`.

References
----------
Bae, Ng, Lo, Ghassemi & Grosse (2022), *If influence functions are the answer, then what
is the question?*, NeurIPS.

Used in the chapter "Influence in a neural network".
"""

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from ._validation import check_data, check_fitted, check_nonnegative
from .exceptions import ConvergenceWarning
from .metrics import pearson, spearman
from .nn import one_hot, softmax
from .progress import progress_bar
from .retrain import Response, check_indices

__all__ = ["linearized_pbrf", "compare", "Comparison"]


def _lse(Z):
    top = Z.max(axis=-1, keepdims=True)
    return (top + np.log(np.exp(Z - top).sum(axis=-1, keepdims=True)))[..., 0]


class _LinearizedObjective:
    r"""The linearised objective in :math:`\Delta = \theta - \hat\theta`.

    :math:`Q(\Delta) = \sum_i w_i(\operatorname{lse}(z_i) - t_i^\top z_i)
    + \tfrac\mu2\lVert\Delta\rVert^2` with :math:`z_i = F_i + J_i\Delta`.
    """

    def __init__(self, J, F, T, w, mu):
        self.J, self.F, self.T, self.w, self.mu = J, F, T, w, mu

    def value_grad(self, delta):
        Z = self.F + self.J @ delta
        P = softmax(Z)
        value = float(self.w @ (_lse(Z) - np.einsum("nc,nc->n", self.T, Z)))
        value += 0.5 * self.mu * float(delta @ delta)
        R = self.w[:, None] * (P - self.T)
        return value, np.einsum("ncp,nc->p", self.J, R) + self.mu * delta, P, R

    def hessian(self, P):
        # sum_i w_i J_i^T (diag p_i - p_i p_i^T) J_i + mu I, without forming the K x K blocks
        S = np.sqrt(np.abs(self.w))[:, None, None] * np.sqrt(P)[:, :, None] * self.J
        signs = np.repeat(np.sign(self.w), P.shape[1])
        flat = S.reshape(-1, S.shape[2])
        Pj = np.einsum("nc,ncp->np", P, self.J)
        H = flat.T @ (signs[:, None] * flat) - Pj.T @ (self.w[:, None] * Pj)
        H[np.diag_indices_from(H)] += self.mu
        return H


def _newton(objective, delta, tol, hessian=None):
    """Newton's method with the factored Hessian reused while it keeps shrinking the gradient.

    ``hessian``, if given, is the Hessian at ``delta`` (saves building it).
    """
    value, g, P, R = objective.value_grad(delta)
    gnorm = float(np.linalg.norm(g))
    # the rounding floor of the gradient: the size of the terms that cancel in it
    floor = 64 * np.finfo(float).eps * (
        float(np.linalg.norm(np.einsum("ncp,nc->p", np.abs(objective.J), np.abs(R))))
        + objective.mu * float(np.linalg.norm(delta))
    )
    factor, fresh = None, False
    for _ in range(200):
        if gnorm <= max(floor, tol * 1e-3):
            break
        if factor is None:
            H = objective.hessian(P) if hessian is None else hessian
            factor, fresh, hessian = cho_factor(H), True, None
        cand = delta - cho_solve(factor, g)
        c_value, c_g, c_P, c_R = objective.value_grad(cand)
        c_norm = float(np.linalg.norm(c_g))
        rounding = 64 * np.finfo(float).eps * max(abs(value), 1.0)
        if not (c_value < value - rounding or (c_value <= value + rounding and c_norm < gnorm)):
            if fresh:
                break  # a factor fresh at this point fails: the rounding floor is reached
            factor = None  # a stale factor: rebuild it at the current point
            continue
        step = float(np.linalg.norm(cand - delta))
        if c_norm > 0.7 * gnorm and step > 1e-8 * (1.0 + float(np.linalg.norm(delta))):
            factor = None  # a factor that no longer shrinks the gradient fast (and moved)
        fresh = False
        delta, value, g, P, gnorm = cand, c_value, c_g, c_P, c_norm
    return delta, gnorm, floor


def linearized_pbrf(
    model, X, y, X_test, y_test, indices, damping=0.0, epsilon=-1.0, progress=None
):
    r"""The PBRF of the network linearised at :math:`\hat\theta`, for each chosen point.

    With :math:`f^{\text{lin}}_i(\theta) = f(x_i,\hat\theta) + J_i(\theta-\hat\theta)`
    in place of :math:`f(x_i, \theta)`, the PBRF objective of
    :func:`~influence_demo.pbrf.pbrf` becomes

    .. math::

        \theta^{\text{lin}}_\epsilon = \arg\min_\theta \sum_{i=1}^n
            D_\ell\bigl(f^{\text{lin}}_i(\theta), f_i(\hat\theta); y_i\bigr)
            + \epsilon\,\ell\bigl(f^{\text{lin}}_m(\theta), y_m\bigr)
            + \frac{\lambda+\delta}{2}\lVert\theta-\hat\theta\rVert^2,

    convex in :math:`\theta` for :math:`\epsilon \ge -1`. The test loss is taken on the
    linearised network too, :math:`\ell(f^{\text{lin}}(x_{\text{test}}, \theta), y_{\text{test}})`.
    Its Hessian at :math:`\hat\theta` is :math:`G + \delta I` and its gradient
    :math:`\epsilon\nabla_\theta L(z_m, \hat\theta)`, so
    :math:`d\theta^{\text{lin}}_\epsilon/d\epsilon` at 0 is the damped GGN influence, as for
    the PBRF; what remains between the two is the network's curvature, and between this and
    the influence estimate the finite size of :math:`\epsilon`.

    Each solve is Newton's method from :math:`\hat\theta`, with the factored Hessian
    reused while it keeps halving the gradient, to the rounding floor of the gradient.

    Parameters
    ----------
    model : fitted MLPClassifier or SoftmaxRegression
        The network and its :math:`\hat\theta`, the point of linearisation.
    X, y : arrays, shape (n, d) and (n,)
        The training data the model was fitted on.
    X_test, y_test : arrays, shape (m, d) and (m,)
        The test points whose (linearised) loss change is reported.
    indices : sequence of int
        The points :math:`z_m`, one solve each.
    damping : float, default 0
        :math:`\delta \ge 0`, added to the proximity weight :math:`\lambda`.
    epsilon : float, default -1
        Up-weight of :math:`z_m`, at least -1 (removal).
    progress : bool, optional
        Show a progress bar over the solves (default decided by
        :func:`~influence_demo.progress.progress_bar`).

    Returns
    -------
    Response
        ``params[k]`` is :math:`\theta^{\text{lin}}_\epsilon(z_m)` for ``m = indices[k]``,
        ``loss_change[j, k]`` the change of the linearised test loss of test point ``j``
        and ``grad_norm[k]`` the gradient norm of the objective at the solution.

    Raises
    ------
    ValueError
        For negative damping, ``epsilon < -1`` (the objective is then unbounded below)
        or bad indices.

    Warns
    -----
    ConvergenceWarning
        If a solve stops with its gradient norm above the model's ``tol``.

    Examples
    --------
    For softmax regression the logits are already linear in :math:`\theta`, so the
    linearised PBRF is the PBRF itself:

    >>> from influence_demo import add_intercept, pbrf
    >>> from influence_demo.nn import SoftmaxRegression
    >>> X = add_intercept([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]); y = [0, 0, 1, 1, 2, 2]
    >>> model = SoftmaxRegression(l2=1.0).fit(X, y)
    >>> lin = linearized_pbrf(model, X, y, X[:1], y[:1], [2, 5])
    >>> bool(np.allclose(lin.params, pbrf(model, X, y, X[:1], y[:1], [2, 5]).params, atol=1e-9))
    True
    """
    check_fitted(model)
    damping = check_nonnegative(damping, "damping")
    epsilon = float(epsilon)
    if not np.isfinite(epsilon) or epsilon < -1:
        raise ValueError(
            f"epsilon must be a finite number >= -1 (-1 removes the point); got {epsilon}"
        )
    X, y = check_data(model, X, y)
    X_test, y_test = check_data(model, X_test, y_test, names=("X_test", "y_test"))
    idx = check_indices(indices, X.shape[0])
    K, theta = model.n_classes_, model.theta_
    J, F = model.jacobian(X), model.logits(X)
    J_test, F_test = model.jacobian(X_test), model.logits(X_test)
    y_test = y_test.astype(int)
    base = _lse(F_test) - F_test[np.arange(len(y_test)), y_test]
    targets = np.vstack([softmax(F), np.zeros((1, K))])  # the soft targets of the divergence
    weights = np.ones(X.shape[0] + 1)
    weights[-1] = epsilon
    mu = float(model.l2) + damping
    # the Hessian at theta-hat of the training part, shared by every solve; each adds the
    # curvature of its own epsilon term
    shared = _LinearizedObjective(J, F, targets[:-1], weights[:-1], mu).hessian(targets[:-1])
    params = np.empty((idx.size, theta.size))
    grad_norm = np.empty(idx.size)
    loss_change = np.empty((len(y_test), idx.size))
    for k, m in enumerate(progress_bar(idx, desc="linearised PBRF", show=progress)):
        targets[-1] = one_hot(y[m : m + 1].astype(int), K)[0]
        objective = _LinearizedObjective(
            np.concatenate([J, J[m : m + 1]]), np.vstack([F, F[m : m + 1]]), targets, weights, mu
        )
        p_m = targets[m : m + 1]
        own = _LinearizedObjective(J[m : m + 1], F[m : m + 1], p_m, weights[-1:], 0.0)
        start = shared + own.hessian(p_m)
        delta, grad_norm[k], floor = _newton(
            objective, np.zeros(theta.size), float(model.tol), hessian=start
        )
        if grad_norm[k] > max(float(model.tol), 1e3 * floor):
            warnings.warn(
                f"linearized_pbrf: Newton's method stopped with gradient norm "
                f"{grad_norm[k]:.3e} > tol = {model.tol:.1e} for training point {m}.",
                ConvergenceWarning,
                stacklevel=2,
            )
        params[k] = theta + delta
        Z = F_test + J_test @ delta
        loss_change[:, k] = _lse(Z) - Z[np.arange(len(y_test)), y_test] - base
    return Response(idx, params, loss_change, grad_norm)


@dataclass(frozen=True)
class Comparison:
    r"""How closely one response follows another over the same training points.

    Parameters
    ----------
    pearson, spearman, size_ratio : float
        The attributes below.

    Attributes
    ----------
    pearson : float
        Pearson correlation.
    spearman : float
        Spearman rank correlation.
    size_ratio : float
        The least-squares slope through the origin of the second response on the first,
        :math:`\sum_k a_k b_k / \sum_k a_k^2`: 1 when the sizes agree, 2 when the second is
        twice the first.

    Examples
    --------
    >>> compare([1.0, 2.0, -1.0], [2.0, 4.0, -2.0])
    Comparison(pearson=1.0, spearman=1.0, size_ratio=2.0)
    """

    pearson: float
    spearman: float
    size_ratio: float


def compare(reference, other):
    r"""Pearson, Spearman and the size ratio of ``other`` against ``reference``.

    Parameters
    ----------
    reference, other : arrays, shape (k,)
        Two estimates of the same effects, for example the predicted and the actual change
        in a test loss from removing each of ``k`` training points.

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        If the shapes differ, fewer than two effects are given, or ``reference`` is all
        zero (the size ratio is then undefined).

    Examples
    --------
    >>> c = compare([0.1, -0.2, 0.3], [0.25, -0.35, 0.6])
    >>> round(c.pearson, 3), round(c.size_ratio, 2)
    (0.999, 1.96)
    """
    a = np.asarray(reference, dtype=float)
    b = np.asarray(other, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError(
            f"reference and other must be 1-D with the same length >= 2; got shapes "
            f"{a.shape} and {b.shape}"
        )
    if not np.any(a):
        raise ValueError("reference is all zero: the size ratio is undefined")
    return Comparison(float(pearson(a, b)), float(spearman(a, b)), float(a @ b / (a @ a)))
