r"""The proximal Bregman response function (PBRF) of Bae et al. (2022).

For a network, the influence function does not estimate leave-one-out retraining. What
it linearises is the PBRF: the minimiser of an objective that keeps every network output
close to the one :math:`\hat\theta` predicts (a Bregman divergence), keeps the parameters
close to :math:`\hat\theta` (a proximity term) and up-weights one training point by
:math:`\epsilon`. In this book's **sum** convention, with :math:`f_i(\theta)` the logits of
:math:`x_i`, :math:`\ell(f, y)` the cross-entropy and :math:`\lambda` the model's penalty,

.. math::

    \theta^{s}_{\epsilon}(z_m) = \arg\min_\theta\ \sum_{i=1}^n
        D_\ell\bigl(f_i(\theta), f_i(\hat\theta); y_i\bigr)
        + \epsilon\,\ell\bigl(f_m(\theta), y_m\bigr)
        + \frac{\lambda + \delta}{2}\lVert\theta - \hat\theta\rVert^2,

    D_\ell(f, \hat f; y) = \ell(f, y) - \ell(\hat f, y) - \nabla_f\ell(\hat f, y)^\top(f - \hat f).

:math:`(\lambda/2)\lVert\theta-\hat\theta\rVert^2` is the Bregman divergence of the penalty
itself and :math:`\delta \ge 0` is the damping. Removing :math:`z_m` is
:math:`\epsilon = -1` (Bae et al. write :math:`-1/N` for their mean objective). For the
cross-entropy the divergence is a cross-entropy with soft targets
:math:`\hat p_i = \operatorname{softmax}(f_i(\hat\theta))`, up to a constant:
:math:`D_\ell(f, \hat f; y) = \bigl(\log\sum_c e^{f_c} - \hat p_i^\top f\bigr) -
\bigl(\log\sum_c e^{\hat f_c} - \hat p_i^\top \hat f\bigr)`, so the PBRF is one call of
the model's :meth:`~influence_demo.nn.MLPClassifier.minimize`.

At :math:`\epsilon = 0` the minimiser is :math:`\hat\theta`, and the Hessian of the PBRF
objective there is :math:`G + \delta I` (the divergence's curvature at :math:`\hat\theta`
is the Gauss–Newton matrix). The implicit function theorem gives

.. math::

    \frac{d\theta^{s}_\epsilon}{d\epsilon}\Big|_{\epsilon=0}
        = -(G + \delta I)^{-1}\nabla_\theta L(z_m, \hat\theta),

the damped GGN influence ``influence_params(..., curvature="ggn", damping=delta)``.

:math:`\hat\theta` need not be a minimum of the training objective. The PBRF objective
differs from retraining's, :math:`R(\theta) + \epsilon L(z_m, \theta)`, by
:math:`-\phi(\theta)` plus a constant, with
:math:`\phi(\theta) = \sum_i r_i^\top f_i(\theta) + \lambda\hat\theta^\top\theta`
(:math:`r_i` the residuals at :math:`\hat\theta`), whose gradient at :math:`\hat\theta` is
:math:`\nabla R(\hat\theta)` and whose Hessian there is :math:`H - G`. So at
:math:`\epsilon = 0` the minimiser is :math:`\hat\theta` whatever
:math:`\nabla R(\hat\theta)`, as for an early-stopped network; and for logits linear in
:math:`\theta` at a minimum, :math:`\phi` is constant and the PBRF with no damping *is*
retraining.

References
----------
Bae, Ng, Lo, Ghassemi & Grosse (2022), *If influence functions are the answer, then what
is the question?*, NeurIPS.

Used in the chapter "Influence in a neural network".
"""

import numpy as np

from ._validation import check_data, check_fitted, check_nonnegative
from .nn import one_hot
from .retrain import Response, check_indices


def pbrf(model, X, y, X_test, y_test, indices, damping=0.0, epsilon=-1.0, progress=None):
    r"""Solve the PBRF objective (module docstring) for each chosen training point.

    Each solve starts at :math:`\hat\theta` and runs Newton's method with the exact Hessian
    of the PBRF objective to the rounding floor of its gradient, after L-BFGS when
    :math:`\lvert\epsilon\rvert > 0.5` (a small :math:`\epsilon` keeps the solution within
    Newton's quadratic reach of :math:`\hat\theta`; a removal does not, and L-BFGS gets
    there more cheaply).

    Parameters
    ----------
    model : fitted SoftmaxRegression or MLPClassifier
        Its :math:`\hat\theta` is the centre of the proximity term and every solve's start.
    X, y : arrays, shape (n, d) and (n,)
        The training data the model was fitted on; the model's predicted probabilities on
        ``X`` are the soft targets of the divergence.
    X_test, y_test : arrays, shape (m, d) and (m,)
        The test points whose loss change is reported.
    indices : sequence of int
        The points :math:`z_m`, one solve each.
    damping : float, default 0
        :math:`\delta \ge 0`, added to the proximity weight :math:`\lambda`.
    epsilon : float, default -1
        Up-weight of :math:`z_m`; -1 is removal.
    progress : bool, optional
        Show a progress bar over the solves, one per index (the default is decided by
        :func:`~influence_demo.progress.progress_bar`).

    Returns
    -------
    Response
        ``params[k]`` is :math:`\theta^s_\epsilon(z_m)` for ``m = indices[k]``,
        ``loss_change[j, k]`` is
        :math:`L(z_{\text{test},j}, \theta^s) - L(z_{\text{test},j}, \hat\theta)`
        and ``grad_norm[k]`` the gradient norm of the PBRF objective at the solution.

    Raises
    ------
    ValueError
        For negative damping, a non-finite epsilon or bad indices.

    Examples
    --------
    For a convex model with no damping and a small :math:`\epsilon` the PBRF moves as the
    influence function predicts:

    >>> from influence_demo import add_intercept, influence_params
    >>> from influence_demo.nn import SoftmaxRegression
    >>> X = add_intercept([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]); y = [0, 0, 1, 1, 2, 2]
    >>> model = SoftmaxRegression(l2=1.0).fit(X, y)
    >>> res = pbrf(model, X, y, X[:1], y[:1], [3], epsilon=1e-6)
    >>> slope = (res.params[0] - model.theta_) / 1e-6
    >>> np.allclose(slope, influence_params(model, X, y)[3], atol=1e-4)
    True
    """
    check_fitted(model)
    damping = check_nonnegative(damping, "damping")
    epsilon = float(epsilon)
    if not np.isfinite(epsilon):
        raise ValueError(f"epsilon must be finite; got {epsilon}")
    X, y = check_data(model, X, y)
    X_test, y_test = check_data(model, X_test, y_test, names=("X_test", "y_test"))
    idx = check_indices(indices, X.shape[0])
    n, K = X.shape[0], model.n_classes_
    P_hat = model.predict_proba(X)  # the soft targets of the Bregman divergence
    weights = np.ones(n + 1)
    weights[n] = epsilon

    lbfgs = abs(epsilon) > 0.5
    # Newton's first step from theta-hat: the divergences' Hessian there is the GGN (their
    # residuals vanish), shared by every solve, plus epsilon times z_m's own loss Hessian
    eye = np.eye(model.n_params_)
    shared = None if lbfgs else model.ggn(X, y) + damping * eye

    def solve(k, m):
        X_aug = np.vstack([X, X[m : m + 1]])
        T_aug = np.vstack([P_hat, one_hot(y[m : m + 1].astype(int), K)])
        start = None
        if not lbfgs:
            own = model.hessian(X[m : m + 1], y[m : m + 1]) - float(model.l2) * eye
            start = shared + epsilon * own
        return model.minimize(
            X_aug,
            T_aug,
            weights=weights,
            mu=float(model.l2) + damping,
            center=model.theta_,
            theta0=model.theta_,
            lbfgs=lbfgs,
            hessian0=start,
        )

    return Response.collect(model, X_test, y_test, idx, solve, "PBRF", progress)
