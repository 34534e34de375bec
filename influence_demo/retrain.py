r"""Brute-force retraining of a network without (or with less of) one training point.

For a convex model, leave-one-out retraining has one answer. For a network it has as
many as there are minima, and which one a refit reaches depends on where it starts.
:func:`retrain` names the three usual choices:

``start="warm"``
    From the full-data :math:`\hat\theta`. The refit stays in :math:`\hat\theta`'s basin,
    so it measures the removal effect that the influence function linearises.
``start="same_init"``
    From the initialisation the full-data fit started from (the model's seed). Any
    change in the data can send the optimiser into another minimum.
``start="new_seed"``
    From a fresh initialisation per point. With ``epsilon=0`` (nothing removed) it
    measures the noise floor of retraining itself: how far the test loss moves when the
    same data are fitted again from another seed.

The objective being re-minimised is the model's sum objective with the weight of
:math:`z_i` changed from 1 to :math:`1 + \epsilon`,

.. math::

    \hat\theta_{\epsilon, i} = \arg\min_\theta \sum_j L(z_j, \theta) + \epsilon L(z_i,\theta)
    + \frac\lambda2\lVert\theta\rVert^2,

so ``epsilon=-1`` removes the point and small :math:`\lvert\epsilon\rvert` down-weights
it (the derivative at :math:`\epsilon = 0` is :math:`\mathcal I_{\text{up,params}}(z_i)`).

Used in the chapter "Influence in a neural network".
"""

from dataclasses import dataclass

import numpy as np

from ._validation import check_data, check_fitted
from .nn import one_hot
from .progress import progress_bar

STARTS = ("warm", "same_init", "new_seed")


@dataclass
class Response:
    """Parameters and test-loss changes of one re-optimisation per chosen training point.

    Parameters
    ----------
    indices, params, loss_change, grad_norm : ndarray
        The attributes below.

    Attributes
    ----------
    indices : ndarray, shape (m,)
        The training points, in the order of the rows below.
    params : ndarray, shape (m, p)
        The re-optimised parameters.
    loss_change : ndarray, shape (n_test, m)
        :math:`L(z_{\\text{test}}, \\theta_k) - L(z_{\\text{test}}, \\hat\\theta)`.
    grad_norm : ndarray, shape (m,)
        Gradient norm of the re-optimised objective at ``params[k]``.

    Examples
    --------
    >>> r = Response(np.array([4]), np.zeros((1, 2)), np.zeros((3, 1)), np.zeros(1))
    >>> r.loss_change.shape
    (3, 1)
    """

    indices: np.ndarray
    params: np.ndarray
    loss_change: np.ndarray
    grad_norm: np.ndarray

    @classmethod
    def collect(cls, model, X_test, y_test, indices, solve, desc, progress=None):
        r"""Run one re-optimisation per chosen point and gather the results.

        :func:`retrain` and :func:`~influence_demo.pbrf.pbrf` differ only in the objective
        they re-minimise; this loop, and the test-loss changes, they share.

        Parameters
        ----------
        model : fitted SoftmaxRegression or MLPClassifier
            Its ``theta_`` is :math:`\hat\theta`, the reference of ``loss_change``.
        X_test, y_test : arrays, shape (m, d) and (m,)
            Validated test points.
        indices : ndarray of int, shape (k,)
            Validated training indices (:func:`check_indices`).
        solve : callable
            ``solve(k, i) -> (theta, grad_norm)`` re-optimises for point ``i = indices[k]``.
        desc : str
            Label of the progress bar.
        progress : bool, optional
            Passed to :func:`~influence_demo.progress.progress_bar` as ``show``.

        Returns
        -------
        Response

        Examples
        --------
        >>> from influence_demo.nn import SoftmaxRegression
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1, 2])
        >>> model = SoftmaxRegression(l2=1.0).fit(X, y)
        >>> unmoved = Response.collect(model, X, y, np.array([0, 2]),
        ...                            lambda k, i: (model.theta_, 0.0), desc="no-op")
        >>> unmoved.loss_change
        array([[0., 0.],
               [0., 0.],
               [0., 0.]])
        """
        base = model.loss(X_test, y_test)
        params = np.empty((indices.size, model.n_params_))
        grad_norm = np.empty(indices.size)
        for k, i in enumerate(progress_bar(indices, desc=desc, show=progress)):
            params[k], grad_norm[k] = solve(k, i)
        loss_change = np.stack([model.loss(X_test, y_test, t) - base for t in params], axis=1)
        return cls(indices, params, loss_change, grad_norm)


def check_indices(indices, n):
    """Validated training indices: a non-empty 1-D sequence of integers in ``[0, n)``.

    Parameters
    ----------
    indices : sequence of int
    n : int
        Number of training points.

    Returns
    -------
    ndarray of int

    Raises
    ------
    ValueError
        If ``indices`` is empty, not integer, or out of range.

    Examples
    --------
    >>> check_indices([3, 0], 5)
    array([3, 0])
    """
    idx = np.asarray(indices)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"indices must be a non-empty 1-D sequence of integers; got {indices!r}")
    if np.any((idx < 0) | (idx >= n)):
        raise ValueError(
            f"indices must lie in [0, {n}) for {n} training points; got {idx.tolist()}"
        )
    return idx


def retrain(
    model, X, y, X_test, y_test, indices, start="warm", epsilon=-1.0, seeds=None, progress=None
):
    r"""Re-minimise the objective with the weight of each chosen point changed to ``1 + epsilon``.

    Parameters
    ----------
    model : fitted SoftmaxRegression or MLPClassifier
        Supplies the objective, :math:`\hat\theta` (the warm start) and the seed.
    X, y : arrays, shape (n, d) and (n,)
        The training data the model was fitted on.
    X_test, y_test : arrays, shape (m, d) and (m,)
        The test points whose loss change is reported.
    indices : sequence of int
        The training points, one re-optimisation each.
    start : {"warm", "same_init", "new_seed"}
        Where each re-optimisation starts (see the module docstring).
    epsilon : float, default -1
        Change in the weight of the point; -1 removes it, 0 leaves the data as they are.
    seeds : sequence of int, optional
        For ``start="new_seed"``: one seed per point (default ``model.seed + 1 + k``).
    progress : bool, optional
        Show a progress bar over the re-optimisations (the default is that of
        :func:`~influence_demo.progress.progress_bar`).

    Returns
    -------
    Response

    Raises
    ------
    ValueError
        For an unknown ``start``, ``epsilon < -1``, seeds of the wrong length, or
        ``start="new_seed"`` with a model that has no seed.

    Examples
    --------
    >>> from influence_demo.models import add_intercept
    >>> from influence_demo.nn import SoftmaxRegression
    >>> X = add_intercept([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]); y = [0, 0, 1, 1, 2, 2]
    >>> model = SoftmaxRegression(l2=1.0).fit(X, y)
    >>> warm = retrain(model, X, y, X[:1], y[:1], [2, 5])
    >>> cold = retrain(model, X, y, X[:1], y[:1], [2, 5], start="same_init")
    >>> np.allclose(warm.params, cold.params, atol=1e-9)  # convex: one minimum
    True
    """
    check_fitted(model)
    if start not in STARTS:
        raise ValueError(f"start must be one of {', '.join(map(repr, STARTS))}; got {start!r}")
    epsilon = float(epsilon)
    if not np.isfinite(epsilon) or epsilon < -1:
        raise ValueError(
            f"epsilon must be a finite number >= -1 (-1 removes the point); got {epsilon}"
        )
    X, y = check_data(model, X, y)
    X_test, y_test = check_data(model, X_test, y_test, names=("X_test", "y_test"))
    idx = check_indices(indices, X.shape[0])
    if start == "new_seed":
        if "seed" not in model.get_params():
            raise ValueError(
                f"{type(model).__name__} has no seed: its objective is convex, so every start "
                "reaches the same minimum. Use start='warm'."
            )
        seeds = model.seed + 1 + np.arange(idx.size) if seeds is None else np.asarray(seeds)
        if seeds.shape != idx.shape:
            raise ValueError(
                f"seeds must have one entry per index ({idx.size}); got shape {seeds.shape}"
            )
    T = one_hot(y.astype(int), model.n_classes_)
    # a warm start's first Newton step: the full-data Hessian at theta-hat, shared by every
    # refit, plus epsilon times the chosen point's own loss Hessian
    shared = model.hessian(X, y) if start == "warm" else None
    eye_l2 = float(model.l2) * np.eye(model.n_params_)

    def solve(k, i):
        w = np.ones(X.shape[0])
        w[i] += epsilon
        if start == "warm":
            own = model.hessian(X[i : i + 1], y[i : i + 1]) - eye_l2
            return model.minimize(
                X, T, weights=w, theta0=model.theta_, hessian0=shared + epsilon * own
            )
        solver = model
        if start == "new_seed":
            solver = type(model)(**{**model.get_params(), "seed": int(seeds[k])})
        return solver.minimize(X, T, weights=w)

    return Response.collect(model, X_test, y_test, idx, solve, f"retrain ({start})", progress)
