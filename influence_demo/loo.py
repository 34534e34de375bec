r"""Leave-one-out (LOO) parameters: brute-force refits, the least-squares closed form,
and the one-step Newton (leverage-corrected) estimate.

These are the exact answers that the influence function approximates. For least squares,
removing :math:`z_i` changes :math:`\hat\theta` by exactly

.. math::

    \hat\theta_{-i} - \hat\theta &= -\frac{(X^\top X)^{-1} x_i e_i}{1 - h_{ii}}
    = -\frac{\mathcal I_{\text{up,params}}(z_i)}{1 - h_{ii}}, \\
    e_i &= y_i - x_i^\top\hat\theta,\quad h_{ii} = x_i^\top (X^\top X)^{-1} x_i,

so the influence function is off by exactly the leverage factor :math:`1/(1-h_{ii})`.
"""

import numpy as np

from ._linalg import Cholesky
from ._validation import (
    as_matrix,
    check_data,
    check_fitted,
    check_indices,
    check_nonnegative,
    check_Xy,
)
from .progress import progress_bar


def leverage(X, l2=0.0):
    r"""Leverages: the diagonal of :math:`X (X^\top X + \tfrac{\lambda}{2} I)^{-1} X^\top`.

    With ``l2 = 0`` this is the ordinary leverage :math:`h_{ii}`: it lies in
    :math:`[0, 1]` and sums to :math:`p`. ``l2`` is the penalty of
    :class:`~influence_demo.models.LinearRegression` (whose Hessian is
    :math:`2X^\top X + \lambda I`). Used in the chapter :doc:`/book/least_squares`.

    Parameters
    ----------
    X : array, shape (n, p)
        The design matrix.
    l2 : float, default 0
        The ridge penalty :math:`\lambda \ge 0`.

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    NotPositiveDefiniteError
        If :math:`X^\top X + \tfrac{\lambda}{2}I` is singular.

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 10.0]])
    >>> h = leverage(X)
    >>> np.round(h, 3), round(float(h.sum()), 10)
    (array([0.418, 0.331, 0.275, 0.976]), 2.0)
    """
    X = as_matrix(X)
    l2 = check_nonnegative(l2, "l2")
    A = X.T @ X
    A[np.diag_indices_from(A)] += l2 / 2
    W = Cholesky(A, "matrix X^T X (+ l2/2 I)").solve(X.T)
    return np.einsum("ij,ji->i", X, W)


def loo_params_ols(X, y, l2=0.0):
    r"""Exact leave-one-out least-squares (or ridge) parameters, with no refits, shape (n, p).

    .. math::

        \hat\theta_{-i} = \hat\theta - \frac{A^{-1} x_i e_i}{1 - h_{ii}}, \qquad
        A = X^\top X + \tfrac{\lambda}{2} I,\quad h_{ii} = x_i^\top A^{-1} x_i,

    from the Sherman–Morrison formula. One factorization serves all ``n`` rows. Used in the
    chapter :doc:`/book/least_squares`.

    Parameters
    ----------
    X : array, shape (n, p)
        The design matrix.
    y : array, shape (n,)
        The targets.
    l2 : float, default 0
        The penalty :math:`\lambda \ge 0` of :class:`~influence_demo.models.LinearRegression`.

    Returns
    -------
    ndarray, shape (n, p)
        Row :math:`i` is :math:`\hat\theta_{-i}`.

    Raises
    ------
    ValueError
        If a point has leverage 1: without it :math:`X^\top X` is singular.

    Examples
    --------
    >>> from influence_demo import LinearRegression, loo_params
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(6, 2)); y = rng.normal(size=6)
    >>> np.allclose(loo_params_ols(X, y), loo_params(LinearRegression().fit(X, y), X, y))
    True
    """
    X, y = check_Xy(X, y)
    l2 = check_nonnegative(l2, "l2")
    A = X.T @ X
    A[np.diag_indices_from(A)] += l2 / 2
    chol = Cholesky(A, "matrix X^T X (+ l2/2 I)")
    theta = chol.solve(X.T @ y)
    W = chol.solve(X.T)  # A^{-1} x_i in column i
    h = np.einsum("ij,ji->i", X, W)
    if np.any(h >= 1 - 1e-12):
        i = int(np.argmax(h))
        raise ValueError(
            f"Point {i} has leverage {h[i]:.12f} ~ 1: without it X^T X is singular, so "
            "theta_{-i} is not defined. Add an L2 penalty (l2 > 0)."
        )
    e = y - X @ theta
    return theta[None, :] - (W * (e / (1 - h))).T


def loo_params(model, X, y, indices=None, progress=None):
    r"""Leave-one-out parameters by brute force: one actual refit without each chosen point.

    Row :math:`k` is :math:`\hat\theta_{-i}` for ``i = indices[k]``.

    Each refit calls ``model.refit`` on the data without :math:`z_i`, warm-started from the
    full-data :math:`\hat\theta`. This is the ground truth the influence function is
    checked against.

    **Accuracy.** A refit runs until the gradient of the objective reaches its rounding
    floor (:meth:`~influence_demo.models.Model.gradient_floor`, about
    :math:`32\varepsilon\sum_i\lvert\nabla L(z_i)\rvert`), so :math:`\hat\theta_{-i}` is
    exact up to that floor times :math:`\lVert H^{-1}\rVert`: about :math:`10^{-11}` at
    :math:`\lambda = 10^{-5}` on the book's digits, where refits that stopped at a gradient
    tolerance of :math:`10^{-10}` were off by up to :math:`2\cdot 10^{-6}`. A point whose
    gradient is already below that floor leaves :math:`\hat\theta` unchanged, *exactly*.

    Parameters
    ----------
    model : Model
        A fitted model (its ``theta_`` is the warm start).
    X, y : arrays, shape (n, p) and (n,)
        The training data the model was fitted on.
    indices : sequence of int, optional
        The points to leave out, one refit each (all ``n`` by default). Refitting the
        top-k points of an influence ranking and a random sample is often enough.
    progress : bool, optional
        Show a progress bar over the refits; by default only where a person is watching (a
        terminal, or a notebook open in Jupyter)
        and for a long run (:func:`~influence_demo.progress.progress_bar`).

    Returns
    -------
    ndarray, shape (len(indices), p)
        Row :math:`k` is :math:`\hat\theta_{-i}` for ``i = indices[k]``.

    Raises
    ------
    ValueError
        If an index lies outside ``-n .. n-1``, or ``indices`` is not 1-D integers.

    Examples
    --------
    >>> from influence_demo import LogisticRegression, make_logistic_data
    >>> X, y, _, _ = make_logistic_data(n=40, p=3, rng=0)
    >>> model = LogisticRegression(l2=1.0).fit(X, y)
    >>> thetas = loo_params(model, X, y, indices=[0, 5])
    >>> thetas.shape
    (2, 3)
    >>> full = loo_params(model, X, y)
    >>> np.array_equal(full[[0, 5]], thetas)
    True
    """
    check_fitted(model)
    X, y = check_data(model, X, y)
    idx = check_indices(indices, X.shape[0])
    out = np.empty((idx.size, model.n_params_))
    keep = np.ones(X.shape[0], dtype=bool)
    for k, i in enumerate(progress_bar(idx, desc="leave-one-out refits", show=progress)):
        keep[i] = False
        out[k] = model.refit(X[keep], y[keep], theta0=model.theta_)
        keep[i] = True
    return out


def _loss_change(model, X_test, y_test, thetas):
    """Entry [j, k]: L(z_test_j, thetas[k]) - L(z_test_j, theta_hat), shape (m, k).

    A refit that returned ``theta_`` itself gives exactly 0.
    """
    base = model.loss(X_test, y_test)
    out = np.zeros((X_test.shape[0], thetas.shape[0]))
    for k, theta in enumerate(thetas):
        if not np.array_equal(theta, model.theta_):
            out[:, k] = model.loss(X_test, y_test, theta) - base
    return out


def loo_loss_change(model, X, y, X_test, y_test, loo_thetas=None, indices=None, progress=None):
    r"""Actual change in each test loss when each chosen point is removed, from refits.

    Entry ``[j, k]`` is :math:`L(z_{\text{test},j}, \hat\theta_{-i}) -
    L(z_{\text{test},j}, \hat\theta)` for ``i = indices[k]``.

    Parameters
    ----------
    model : Model
        A fitted model.
    X, y : arrays, shape (n, p) and (n,)
        The training data the model was fitted on.
    X_test, y_test : arrays, shape (m, p) and (m,)
        The test points.
    loo_thetas : array, shape (len(indices), p), optional
        The output of :func:`loo_params` for the same ``indices``, if already computed.
    indices : sequence of int, optional
        The points to leave out (all ``n`` by default).
    progress : bool, optional
        Show a progress bar for the refits; see :func:`loo_params`.

    Returns
    -------
    ndarray, shape (m, len(indices))
        Compare with ``-influence_loss(...)``, the influence function's prediction. A refit
        that does not move gives exactly 0.

    Raises
    ------
    ValueError
        If ``loo_thetas`` does not have one row per index, or an index is out of range.

    Examples
    --------
    >>> from influence_demo import LinearRegression, influence_loss
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 2)); y = X @ [1.0, -1.0] + rng.normal(size=30)
    >>> model = LinearRegression(l2=1.0).fit(X, y)
    >>> actual = loo_loss_change(model, X, y, X[:2], y[:2])
    >>> predicted = -influence_loss(model, X, y, X[:2], y[:2])
    >>> actual.shape, bool(np.corrcoef(actual.ravel(), predicted.ravel())[0, 1] > 0.99)
    ((2, 30), True)
    """
    check_fitted(model)
    X, y = check_Xy(X, y, n_features=model.n_features_)
    X_test, y_test = check_data(model, X_test, y_test, names=("X_test", "y_test"))
    idx = check_indices(indices, X.shape[0])
    if loo_thetas is None:
        loo_thetas = loo_params(model, X, y, indices=idx, progress=progress)
    elif np.shape(loo_thetas) != (idx.size, model.n_params_):
        raise ValueError(
            f"loo_thetas must have shape {(idx.size, model.n_params_)}; "
            f"got {np.shape(loo_thetas)} (one row per refit index)"
        )
    return _loss_change(model, X_test, y_test, np.asarray(loo_thetas, dtype=float))


def loo_params_onestep(model, X, y):
    r"""One-step leave-one-out: a Newton step from :math:`\hat\theta` without each point.

    Both models have :math:`\nabla L(z_i) = g_i x_i` and
    :math:`\nabla^2 L(z_i) = c_i x_i x_i^\top`. The Newton step on
    :math:`R_{-i} = R - L(z_i,\cdot)` from :math:`\hat\theta` is
    :math:`(H - c_i x_i x_i^\top)^{-1}\nabla L(z_i)`, and Sherman–Morrison reduces it to

    .. math::

        \hat\theta_{-i} \approx \hat\theta + \frac{H^{-1}\nabla L(z_i,\hat\theta)}{1 - h_i}
        = \hat\theta - \frac{\mathcal I_{\text{up,params}}(z_i)}{1 - h_i}, \qquad
        h_i = c_i\, x_i^\top H^{-1} x_i,

    the generalized leverage (Pregibon 1981). For least squares the objective is
    quadratic, so the step is exact and equals :func:`loo_params_ols`. One Cholesky
    factorization serves all points. Used in the chapter :doc:`/book/digits_influence`.

    Parameters
    ----------
    model : LinearRegression or LogisticRegression
        A fitted model that is linear in :math:`\theta` (it has ``curvature``).
    X, y : arrays, shape (n, p) and (n,)
        The training data the model was fitted on.

    Returns
    -------
    ndarray, shape (n, p)

    Raises
    ------
    TypeError
        If the model has no per-example curvatures (it is not linear in :math:`\theta`,
        or its points carry sample weights).
    ValueError
        If a point has generalized leverage 1 (the Hessian without it is singular).

    Examples
    --------
    >>> from influence_demo import LinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(7, 3)); y = rng.normal(size=7)
    >>> np.allclose(loo_params_onestep(LinearRegression().fit(X, y), X, y), loo_params_ols(X, y))
    True
    """
    X, y, chol, W, h = _leverage_pieces(model, X, y)
    if np.any(h >= 1 - 1e-12):
        i = int(np.argmax(h))
        raise ValueError(
            f"Point {i} has generalized leverage {h[i]:.12f} ~ 1: without it the Hessian "
            "is singular. Add an L2 penalty (l2 > 0)."
        )
    U = chol.solve(model.grad(X, y).T)  # H^{-1} grad L(z_i), with the same factor
    return model.theta_[None, :] + (U / (1 - h)).T


def _leverage_pieces(model, X, y):
    """Validated ``X, y``, the Cholesky factor of H, ``W = H^{-1} X^T`` and the leverages."""
    check_fitted(model)
    if not callable(getattr(model, "curvature", None)):
        raise TypeError(
            f"{type(model).__name__} has no per-example curvatures c_i (a `curvature` "
            "method): the generalized leverage and the one-step estimate need a model linear "
            "in theta with unit weights, whose per-example Hessians are c_i x_i x_i^T "
            "(LinearRegression, LogisticRegression). Use loo_params or influence_params."
        )
    X, y = check_data(model, X, y)
    c = model.curvature(X, y)
    chol = Cholesky(model.hessian(X, y), "Hessian")
    W = chol.solve(X.T)  # H^{-1} x_i in column i
    return X, y, chol, W, c * np.einsum("ij,ji->i", X, W)


def generalized_leverage(model, X, y):
    r"""Generalized leverage :math:`h_i = \ell''(s_i)\, x_i^\top H^{-1} x_i` of each training point.

    :math:`\ell''(s_i)` is the curvature of the loss at the fit (:math:`p_i(1-p_i)` for
    logistic regression, 2 for least squares) and :math:`H` the Hessian of the objective,
    penalty included. It is the diagonal of the weighted hat matrix
    :math:`W^{1/2} X H^{-1} X^\top W^{1/2}` (Pregibon 1981); for least squares it
    equals :func:`leverage` (with the same ``l2``). It is the factor that turns the
    influence function into the one-step leave-one-out estimate,
    :math:`\hat\theta_{-i} \approx \hat\theta - \mathcal I_{\text{up,params}}(z_i)/(1-h_i)`.
    Used in the chapter :doc:`/book/digits_influence`.

    Parameters
    ----------
    model : LinearRegression or LogisticRegression
        A fitted model that is linear in :math:`\theta` (it has ``curvature``).
    X, y : arrays, shape (n, p) and (n,)
        The training data the model was fitted on; :math:`H` sums over them.

    Returns
    -------
    ndarray, shape (n,)
        Each in :math:`[0, 1]`, and 1 only if the Hessian without the point is singular.

    Raises
    ------
    TypeError
        If the model has no per-example curvatures (it is not linear in :math:`\theta`,
        or its points carry sample weights).

    Examples
    --------
    >>> from influence_demo import LinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(6, 2)); y = rng.normal(size=6)
    >>> np.allclose(generalized_leverage(LinearRegression().fit(X, y), X, y), leverage(X))
    True
    """
    return _leverage_pieces(model, X, y)[4]


def loo_loss_change_onestep(model, X, y, X_test, y_test):
    r"""Change in each test loss at the one-step leave-one-out parameters, shape (m, n).

    Entry ``[j, i]`` is :math:`L(z_{\text{test},j}, \tilde\theta_{-i}) -
    L(z_{\text{test},j}, \hat\theta)` with :math:`\tilde\theta_{-i}` from
    :func:`loo_params_onestep`.

    The loss is evaluated exactly at the one-step parameters (not linearised). Used in the
    chapter :doc:`/book/digits_influence`.

    Parameters
    ----------
    model : LinearRegression or LogisticRegression
        A fitted model that is linear in :math:`\theta`.
    X, y : arrays, shape (n, p) and (n,)
        The training data, for the one-step parameters (:func:`loo_params_onestep`).
    X_test, y_test : arrays, shape (m, p) and (m,)
        The test points whose losses change.

    Returns
    -------
    ndarray, shape (m, n)
        Compare with :func:`loo_loss_change` (the refits) and ``-influence_loss``.

    Examples
    --------
    >>> from influence_demo import LogisticRegression, influence_loss, make_logistic_data
    >>> X, y, X_test, y_test = make_logistic_data(n=50, p=3, rng=0, n_test=2)
    >>> model = LogisticRegression(l2=1.0).fit(X, y)
    >>> onestep = loo_loss_change_onestep(model, X, y, X_test, y_test)
    >>> actual = loo_loss_change(model, X, y, X_test, y_test)
    >>> plain = -influence_loss(model, X, y, X_test, y_test)
    >>> bool(np.abs(onestep - actual).max() < np.abs(plain - actual).max())  # closer to the refits
    True
    """
    check_fitted(model)
    X_test, y_test = check_data(model, X_test, y_test, names=("X_test", "y_test"))
    return _loss_change(model, X_test, y_test, loo_params_onestep(model, X, y))
