r"""Influence functions of Koh & Liang (2017) for a sum objective.

Conventions (the notation page of the book states them once, with a comparison table):

.. math::

    \mathcal I_{\text{up,params}}(z) &= -H^{-1}\nabla_\theta L(z,\hat\theta), \\
    \mathcal I_{\text{up,loss}}(z, z_{\text{test}}) &=
        -\nabla_\theta L(z_{\text{test}},\hat\theta)^\top H^{-1}\nabla_\theta L(z,\hat\theta),

with :math:`H = \nabla^2 R(\hat\theta)` for
:math:`R(\theta)=\sum_i L(z_i,\theta)+\frac\lambda2\lVert\theta\rVert^2`.
They are derivatives with respect to an up-weight :math:`\epsilon` on :math:`z`. Removing
:math:`z_i` from a **sum** objective is :math:`\epsilon = -1`, so

.. math::

    \hat\theta_{-i} - \hat\theta \approx -\mathcal I_{\text{up,params}}(z_i), \qquad
    L(z_{\text{test}}, \hat\theta_{-i}) - L(z_{\text{test}}, \hat\theta) \approx
        -\mathcal I_{\text{up,loss}}(z_i, z_{\text{test}}).

Under Koh & Liang's **mean** objective :math:`\frac1n\sum_i L`, the Hessian is :math:`n`
times smaller, their influences are :math:`n` times ours, and removal is
:math:`\epsilon=-1/n`; the predicted removal effect is the same number.
A positive :math:`\mathcal I_{\text{up,loss}}` means that up-weighting the point raises the
test loss (the point is *harmful*); removing it would lower the test loss.
"""

import numpy as np

from ._validation import check_data, check_fitted, is_dask_array
from .solvers import inverse_hvp


def _solve(model, X, y, V, method, damping, options):
    """``inverse_hvp`` for the influence functions: CG shares one Krylov space among columns."""
    if method == "cg":
        options = {"block": True, **options}
    return inverse_hvp(model, X, y, V, method=method, damping=damping, **options)


def _train_gradients(model, X, y, options):
    r"""Per-example training gradients, after checking that ``theta_`` is an optimum.

    The check is skipped for ``curvature="ggn"``: the damped Gauss–Newton influence is the
    derivative of the proximal Bregman response function (Bae et al. 2022;
    :func:`~influence_demo.pbrf.pbrf`), whose objective is minimised at ``theta_`` whatever
    :math:`\nabla R(\theta_s)` is, so it is well defined where training stopped. The
    Hessian influence is a derivative of retraining, defined only at a minimiser.
    """
    check_fitted(model)
    G = model.grad(X, y)
    if options.get("curvature", "hessian") != "ggn":
        model.check_optimality(X, y, G=G, stacklevel=4)  # the warning names the user's call
    return G


def influence_params(model, X, y, method="direct", damping=0.0, **options):
    r"""Influence of up-weighting each training point on the parameters, shape (n, p).

    Row :math:`i` is :math:`\mathcal I_{\text{up,params}}(z_i) =
    -H^{-1}\nabla_\theta L(z_i,\hat\theta)`: one block solve :math:`H^{-1} G^\top` for all
    ``n`` gradients at once. Removing :math:`z_i` changes :math:`\hat\theta` by about minus
    this row. Used in the chapters :doc:`/book/least_squares` and
    :doc:`/book/digits_influence`.

    Parameters
    ----------
    model : Model
        Fitted on ``X, y``; its ``theta_`` must be an optimum there (it warns if not).
    X, y : arrays, shape (n, p) and (n,)
        The training data; one row of the result per point.
    method : {"direct", "cg", "lissa"}, default "direct"
        How to apply :math:`H^{-1}` to the ``n`` training gradients
        (:func:`~influence_demo.solvers.inverse_hvp`). ``"cg"`` runs block CG, one Krylov
        space for all of them, unless ``block=False`` is passed.
    damping : float, default 0
        :math:`\delta`: row :math:`i` becomes :math:`-(H + \delta I)^{-1}\nabla L(z_i)`.
    **options
        Solver settings for :func:`~influence_demo.solvers.inverse_hvp` (``rtol``,
        ``maxiter``, ...), or ``curvature="ggn"``: a network's Gauss–Newton matrix in
        place of :math:`H`.

    Returns
    -------
    ndarray, shape (n, p)
        Row :math:`i` is :math:`\mathcal I_{\text{up,params}}(z_i)`.

    Raises
    ------
    NotPositiveDefiniteError
        If the (damped) Hessian is singular or indefinite.

    Warns
    -----
    NotAtOptimumWarning
        If ``theta_`` is not a minimiser of the objective on ``X, y``, unless
        ``curvature="ggn"``: the damped GGN influence is the derivative of the PBRF
        (:func:`~influence_demo.pbrf.pbrf`), which is minimised at ``theta_`` whatever its
        gradient, so it is well defined at an early-stopped network (Bae et al. 2022).

    Examples
    --------
    For least squares the influence is exact once the leverage factor is applied
    (see :func:`~influence_demo.loo.loo_params_ols`):

    >>> from influence_demo import LinearRegression, leverage, loo_params
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(8, 2)); y = rng.normal(size=8)
    >>> model = LinearRegression().fit(X, y)
    >>> pred = model.theta_ - influence_params(model, X, y) / (1 - leverage(X))[:, None]
    >>> np.allclose(pred, loo_params(model, X, y))
    True
    """
    G = _train_gradients(model, X, y, options)
    return -_solve(model, X, y, G.T, method, damping, options).T


def influence_loss(model, X, y, X_test, y_test, method="direct", damping=0.0, **options):
    r"""Influence of up-weighting each training point on each test loss, shape (m, n).

    Entry ``[j, i]`` is :math:`\mathcal I_{\text{up,loss}}(z_i, z_{\text{test},j})`:

    .. math::

        \mathcal I = -G_{\text{test}}\, H^{-1} G^\top, \qquad
        G_{\text{test}} \in \mathbb R^{m\times p},\ G \in \mathbb R^{n\times p}.

    One block solve against whichever of :math:`G_{\text{test}}^\top` and :math:`G^\top`
    has fewer columns, then one matrix product: no loop over pairs. Used in every chapter.

    Parameters
    ----------
    model : Model
        A fitted model (``theta_`` must be an optimum on ``X, y`` for the Hessian
        influence; it warns if not).
    X, y : arrays, shape (n, p) and (n,)
        The training data the model was fitted on; one column of the result per point.
    X_test, y_test : arrays, shape (m, p) and (m,)
        The test points; one row of the result each.
    method : {"direct", "cg", "lissa"}, default "direct"
        How :func:`~influence_demo.solvers.inverse_hvp` applies :math:`H^{-1}` to the
        smaller block of gradients; with ``"cg"``, by block CG unless ``block=False``.
    damping : float, default 0
        :math:`\delta`: the result becomes :math:`-G_{\text{test}}(H + \delta I)^{-1}G^\top`.
    **options
        Passed on to :func:`~influence_demo.solvers.inverse_hvp`; ``curvature="ggn"``
        replaces :math:`H` by the Gauss–Newton matrix of a network.

    Returns
    -------
    ndarray, shape (m, n)
        The predicted change in test loss from *removing* :math:`z_i` is minus this. A
        lazy dask array when ``X`` is one, computed on the workers
        (:func:`~influence_demo.distributed.dask_influence_loss`).

    Raises
    ------
    NotPositiveDefiniteError
        If the (damped) Hessian is singular or indefinite, as the solver finds
        (:func:`~influence_demo.solvers.inverse_hvp`).

    Warns
    -----
    NotAtOptimumWarning
        If ``theta_`` is not a minimiser on ``X, y``, for the Hessian influence only, as
        for :func:`influence_params`.

    Examples
    --------
    >>> from influence_demo import LogisticRegression, add_intercept, tiny_logistic_data
    >>> X, y, X_test, y_test = tiny_logistic_data()
    >>> X, X_test = add_intercept(X), add_intercept(X_test)
    >>> model = LogisticRegression(l2=0.1).fit(X, y)
    >>> influence_loss(model, X, y, X_test, y_test).shape
    (1, 3)
    """
    if is_dask_array(X) or is_dask_array(y):
        from .distributed import dask_influence_loss  # only when dask is in use

        return dask_influence_loss(model, X, y, X_test, y_test, method, damping, **options)
    G = _train_gradients(model, X, y, options)
    X_test, y_test = check_data(model, X_test, y_test, names=("X_test", "y_test"))
    G_test = model.grad(X_test, y_test)
    if G_test.shape[0] <= G.shape[0]:
        S = _solve(model, X, y, G_test.T, method, damping, options)
        return (-S.T) @ G.T  # negate the small factor, not the (m, n) product
    S = _solve(model, X, y, G.T, method, damping, options)
    return G_test @ (-S)


def self_influence(model, X, y, method="direct", damping=0.0, **options):
    r"""Self-influence of every training point, shape (n,).

    :math:`\mathcal I_{\text{up,loss}}(z_i, z_i) = -\nabla L(z_i)^\top H^{-1}\nabla L(z_i)`,
    the diagonal of ``influence_loss(model, X, y, X, y)``, computed without the
    :math:`n\times n` matrix: one block solve, then a row-wise dot product. It is never
    positive (:math:`H` is positive definite); a large :math:`|\cdot|` marks a point that
    the fit bends towards, such as a mislabelled one (Koh & Liang 2017, §5.4). Used in the
    chapter :doc:`/book/mislabeled`.

    Parameters
    ----------
    model : Model
        Fitted on ``X, y`` (at an optimum; it warns if not).
    X, y : arrays, shape (n, p) and (n,)
        The training data; each point is its own test point.
    method : {"direct", "cg", "lissa"}, default "direct"
        The solver for :math:`H^{-1}G^\top` (:func:`~influence_demo.solvers.inverse_hvp`);
        ``"cg"`` shares one block Krylov space among the ``n`` columns unless
        ``block=False`` is passed.
    damping : float, default 0
        :math:`\delta`: entry :math:`i` becomes
        :math:`-\nabla L(z_i)^\top(H + \delta I)^{-1}\nabla L(z_i)`.
    **options
        As for :func:`influence_params`: solver settings, or ``curvature="ggn"``.

    Returns
    -------
    ndarray, shape (n,)
        Entry :math:`i` is :math:`\mathcal I_{\text{up,loss}}(z_i, z_i)`; a lazy dask
        array when ``X`` is one (:func:`~influence_demo.distributed.dask_self_influence`).

    Raises
    ------
    NotPositiveDefiniteError
        If the (damped) Hessian is singular or indefinite.

    Examples
    --------
    >>> from influence_demo import LinearRegression
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(6, 2)); y = rng.normal(size=6)
    >>> model = LinearRegression(l2=0.5).fit(X, y)
    >>> np.allclose(self_influence(model, X, y), np.diag(influence_loss(model, X, y, X, y)))
    True
    """
    if is_dask_array(X) or is_dask_array(y):
        from .distributed import dask_self_influence  # only when dask is in use

        return dask_self_influence(model, X, y, method, damping, **options)
    G = _train_gradients(model, X, y, options)
    S = _solve(model, X, y, G.T, method, damping, options)
    return -np.einsum("ip,pi->i", G, S)
