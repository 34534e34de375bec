r"""Least-squares and logistic regression with the derivatives that influence needs.

Both models minimise a **sum** of per-example losses plus an L2 penalty,

.. math::

    R(\theta) = \sum_{i=1}^n L(z_i, \theta) + \frac{\lambda}{2}\lVert\theta\rVert^2,

and both are linear in :math:`x`: the loss depends on :math:`\theta` only through the
margin :math:`s = x^\top\theta`. So every per-example gradient is a multiple of
:math:`x_i` and every per-example Hessian is a multiple of :math:`x_i x_i^\top`:

.. math::

    \nabla_\theta L(z_i, \theta) &= \ell'(s_i)\, x_i, \qquad
    \nabla^2_\theta L(z_i, \theta) = \ell''(s_i)\, x_i x_i^\top, \\
    H &= X^\top \operatorname{diag}(\ell''(s)) X + \lambda I .

The models take the design matrix as given; use :func:`add_intercept` to fit a bias.
"""

import copy
import warnings

import numpy as np

from ._linalg import Cholesky
from ._validation import (
    as_matrix,
    check_binary,
    check_finite,
    check_fitted,
    check_nonnegative,
    check_theta,
    check_Xy,
    is_dask_array,
)
from .exceptions import ConvergenceWarning, NotAtOptimumWarning, SeparableDataError


def add_intercept(X):
    """Append a column of ones to ``X``, so that ``theta`` holds the weights, then the bias.

    Parameters
    ----------
    X : array, shape (n, p)

    Returns
    -------
    ndarray, shape (n, p + 1)

    Examples
    --------
    >>> add_intercept([[2.0], [3.0]])
    array([[2., 1.],
           [3., 1.]])
    """
    X = as_matrix(X)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def sigmoid(s):
    r"""Logistic function :math:`\sigma(s) = 1 / (1 + e^{-s})`, without overflow.

    Parameters
    ----------
    s : array_like

    Returns
    -------
    ndarray, the shape of ``s``

    Examples
    --------
    >>> sigmoid(np.array([-800.0, 0.0, 800.0]))
    array([0. , 0.5, 1. ])
    """
    s = np.asarray(s, dtype=float)
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def warn_if_not_at_optimum(grad_norm, scale, rtol=1e-6, stacklevel=2):
    r"""Warn if :math:`\lVert\nabla R(\hat\theta)\rVert` is large against ``scale``.

    The rule of :meth:`Model.check_optimality`, shared with the streamed computations of
    :mod:`~influence_demo.topk`, which sum the gradient and its scale over batches.

    Parameters
    ----------
    grad_norm : float
        :math:`\lVert\nabla R(\hat\theta)\rVert`.
    scale : float
        :math:`\sum_i\lVert\nabla L(z_i,\hat\theta)\rVert + \lVert H\hat\theta\rVert`.
    rtol : float, default 1e-6
        The largest ratio that passes.
    stacklevel : int, default 2
        As for :func:`warnings.warn`, counted from the caller of this function (2: the
        warning names the line that called the caller).

    Returns
    -------
    float
        ``grad_norm / scale`` (0 when the scale is 0).

    Warns
    -----
    NotAtOptimumWarning
        When the ratio exceeds ``rtol``.

    Examples
    --------
    >>> warn_if_not_at_optimum(1e-12, 10.0)
    1e-13
    """
    rel = float(grad_norm / scale) if scale > 0 else 0.0
    if rel > rtol:
        warnings.warn(
            f"theta_ is not at an optimum of the objective on these data: "
            f"||grad R(theta)|| is {rel:.1e} of its scale (rtol = {rtol:.0e}). "
            "The influence function is defined only at a minimiser: refit the model "
            "(fit, or refit(X, y, theta0=theta_)) and check that l2 and the data are "
            "those it was trained with.",
            NotAtOptimumWarning,
            stacklevel=stacklevel + 1,
        )
    return rel


class HessianOperator:
    r"""The Hessian-vector product :math:`V \mapsto HV` for fixed data and :math:`\theta`.

    :math:`HV = X^\top(c \odot XV) + \Lambda V`.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        The training design matrix.
    c : ndarray, shape (n,)
        Per-example curvatures :math:`\ell''(s_i)`.
    l2 : float or ndarray, shape (p,)
        The penalty's diagonal :math:`\Lambda` (a scalar :math:`\lambda`, or one value per
        coordinate when some coordinates are not penalised).

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> op = HessianOperator(X, np.array([1.0, 2.0]), 0.5)
    >>> np.allclose(op(np.eye(2)), X.T @ np.diag([1.0, 2.0]) @ X + 0.5 * np.eye(2))
    True
    """

    def __init__(self, X, c, l2):
        self.X, self.c = X, c
        self.n, self.p = X.shape
        self.l2 = np.broadcast_to(np.asarray(l2, dtype=float), (self.p,))

    def __call__(self, V):
        V = np.asarray(V, dtype=float)
        if V.ndim not in (1, 2) or V.shape[0] != self.p:
            raise ValueError(f"V must have shape ({self.p},) or ({self.p}, k); got {V.shape}")
        return self.on_subset(slice(None), V)

    def on_subset(self, idx, V, factor=1.0):
        r"""Mini-batch estimate of :math:`HV`.

        :math:`\text{factor}\sum_{i\in\text{idx}} c_i x_i x_i^\top V + \Lambda V`.

        Parameters
        ----------
        idx : index array or slice
            The examples of the mini-batch.
        V : ndarray, shape (p,) or (p, k)
            The vectors to multiply.
        factor : float, default 1
            Scale of the data term (``n / len(idx)`` for an unbiased estimate).

        Returns
        -------
        ndarray, the shape of ``V``
        """
        Xb, cb = self.X[idx], self.c[idx]
        XV = Xb @ V
        lam = self.l2 if V.ndim == 1 else self.l2[:, None]
        return factor * (Xb.T @ (cb * XV if V.ndim == 1 else cb[:, None] * XV)) + lam * V


class Model:
    r"""The interface that every model of the package provides.

    A model minimises a **sum** objective :math:`R(\theta) = \sum_i L(z_i, \theta) +
    \frac{\lambda}{2}\lVert\theta\rVert^2` over one flat parameter vector ``theta_``. The
    influence functions, the solvers and leave-one-out use a model only through these
    public methods, so a new model slots in by providing them:

    ``fit(X, y)``
        Validate the parameters, minimise :math:`R` and set ``theta_`` (only there).
    ``loss(X, y, theta=None)``, ``grad(X, y, theta=None)``
        Per-example losses, shape (n,), and gradients :math:`\nabla_\theta L(z_i,\theta)`,
        shape (n, p).
    ``objective(X, y, theta=None)``, ``objective_grad(X, y, theta=None)``
        :math:`R(\theta)` and :math:`\nabla R(\theta)`, penalty included.
    ``hessian(X, y, theta=None)``, ``hvp_operator(X, y, theta=None)``
        :math:`H = \nabla^2 R(\theta)`, and the map :math:`V \mapsto HV` for ``V`` of shape
        (p,) or (p, k).
    ``check_targets(y)``
        Raise ``ValueError`` for labels the model cannot take.
    ``_minimize(X, y, theta0)``
        The optimiser behind :meth:`fit` and :meth:`refit`, accurate to rounding.

    This base class builds :meth:`refit`, :meth:`hvp`, :meth:`with_theta` and
    :meth:`check_optimality` on top of them.

    Examples
    --------
    Any model works with every function of the package through these methods:

    >>> from influence_demo import influence_params
    >>> X = add_intercept([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0.0, 1.0, 0.0, 1.0])
    >>> model = LogisticRegression(l2=0.1).fit(X, y)
    >>> isinstance(model, Model), influence_params(model, X, y).shape
    (True, (4, 2))
    """

    # --- parameters and fitted state ----------------------------------------------------
    @property
    def n_params_(self):
        """Number of parameters, the length of ``theta_``."""
        check_fitted(self)
        return self.theta_.shape[0]

    @property
    def n_features_(self):
        """Number of columns of ``X`` the model was fitted with."""
        return self.n_params_

    def _validate_params(self):
        """Check the constructor's parameters (called by :meth:`fit`); subclasses extend it."""

    def fit(self, X, y):
        """Minimise the objective on ``(X, y)`` and set ``theta_``; return ``self``.

        Parameters
        ----------
        X : array, shape (n, p)
            The training design matrix, one example per row.
        y : array, shape (n,)
            The training targets, which :meth:`check_targets` accepts.

        Returns
        -------
        self
            The model, with ``theta_`` set.
        """
        X, y = self._training_data(X, y)
        self.theta_ = self._minimize(X, y, None)
        return self

    def _training_data(self, X, y):
        """Check the parameters, then ``X`` and ``y``; return them as arrays."""
        self._validate_params()
        X, y = check_Xy(X, y)
        self.check_targets(y)
        return X, y

    def refit(self, X, y, theta0=None):
        r"""Minimiser of the objective on ``(X, y)``, without changing this model, shape (p,).

        This is how leave-one-out retrains. The result is accurate to rounding: the
        optimiser stops only when :math:`\lVert\nabla R\rVert` reaches the rounding floor of
        :meth:`gradient_floor` (or stops falling there). If ``theta0`` is already optimal to
        that floor, it is returned unchanged, so a refit that does not move gives exactly
        the same parameters (and a change in any loss of exactly 0).

        Parameters
        ----------
        X : array, shape (n, p)
        y : array, shape (n,)
        theta0 : array, shape (p,), optional
            Starting point (a warm start, usually the full-data :math:`\hat\theta`).

        Returns
        -------
        ndarray, shape (p,)
        """
        X, y = self._training_data(X, y)
        if theta0 is not None:
            theta0 = check_theta(theta0, X.shape[1]).copy()
            g = self.objective_grad(X, y, theta0)
            if np.linalg.norm(g) <= self.gradient_floor(X, y, theta0):
                return theta0
        return self._minimize(X, y, theta0)

    def gradient_floor(self, X, y, theta=None):
        r"""Rounding floor of :math:`\lVert\nabla R(\theta)\rVert`: no optimiser gets below it.

        .. math::

            32\,\varepsilon\,\Bigl(\bigl\lVert \textstyle\sum_i \lvert\nabla L(z_i,\theta)\rvert
            \bigr\rVert + \lambda\lVert\theta\rVert\Bigr),

        with :math:`\varepsilon` the machine epsilon and :math:`\lvert\cdot\rvert` taken
        entry by entry: the rounding error of summing the per-example gradients.

        Parameters
        ----------
        X, y : arrays
            The training data.
        theta : array, shape (p,), optional
            Defaults to ``theta_``.

        Returns
        -------
        float
        """
        G = self.grad(X, y, theta)
        penalty = self.objective_grad(X, y, theta) - G.sum(axis=0)
        scale = np.linalg.norm(np.abs(G).sum(axis=0)) + np.linalg.norm(penalty)
        return float(32 * np.finfo(float).eps * scale)

    def check_optimality(self, X, y, rtol=1e-6, G=None, stacklevel=2):
        r"""Warn if ``theta_`` is not a minimiser of the objective on ``(X, y)``.

        The influence function is a derivative at an optimum, :math:`\nabla R(\hat\theta) = 0`.
        It warns with :class:`~influence_demo.exceptions.NotAtOptimumWarning` when

        .. math::

            \lVert\nabla R(\hat\theta)\rVert > \text{rtol}\,\Bigl(\sum_i
            \lVert\nabla L(z_i,\hat\theta)\rVert + \lVert H\hat\theta\rVert\Bigr),

        that is, when the gradient is large against the per-example gradients and against the
        gradient a small relative change of :math:`\hat\theta` would make. (The second term
        keeps a perfect fit, whose per-example gradients all vanish, from warning.)

        Parameters
        ----------
        X, y : arrays
            The training data (dask arrays are summed chunk by chunk on the workers:
            :func:`~influence_demo.distributed.dask_check_optimality`).
        rtol : float, default 1e-6
            Tolerance relative to that scale.
        G : array, shape (n, p), optional
            The per-example gradients ``grad(X, y)``, if the caller has them already.
        stacklevel : int, default 2
            Which caller the warning names, as for :func:`warnings.warn`.

        Returns
        -------
        float
            The relative gradient norm.
        """
        check_fitted(self)
        if is_dask_array(X):
            from .distributed import dask_check_optimality  # only when dask is in use

            return dask_check_optimality(self, X, y, rtol, stacklevel=stacklevel + 1)
        G = self.grad(X, y) if G is None else G
        scale = np.linalg.norm(G, axis=1).sum() + np.linalg.norm(self.hvp(self.theta_, X, y))
        grad_norm = np.linalg.norm(self.objective_grad(X, y))
        return warn_if_not_at_optimum(grad_norm, scale, rtol, stacklevel=stacklevel)

    def with_theta(self, theta, X=None, y=None):
        """Return a copy of this model whose ``theta_`` is ``theta`` (from another optimiser, say).

        Parameters
        ----------
        theta : array, shape (p,)
            The parameters.
        X, y : arrays, optional
            The training data; when given, :meth:`check_optimality` warns if ``theta`` is
            not a minimiser of the objective on them (for dask arrays, by a reduction on
            the workers).

        Returns
        -------
        Model

        Raises
        ------
        ValueError
            If ``theta`` is not a finite 1-D array, or the model's parameters are invalid.
        """
        theta = np.asarray(theta, dtype=float)
        if theta.ndim != 1:
            raise ValueError(f"theta must be 1-D; got shape {theta.shape}")
        self._validate_params()
        model = copy.copy(self)
        model.theta_ = check_theta(theta, theta.shape[0]).copy()
        if X is not None and y is not None:
            model.check_optimality(X, y, stacklevel=3)
        return model

    def hvp(self, V, X, y, theta=None):
        r"""Hessian-vector product :math:`H V` without forming :math:`H`.

        Parameters
        ----------
        V : array, shape (p,) or (p, k)
            The vectors to multiply.
        X, y : arrays
            Training data the Hessian is taken over.
        theta : array, shape (p,), optional
            Defaults to ``theta_``.

        Returns
        -------
        ndarray, the shape of ``V``

        Examples
        --------
        >>> X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]]); y = np.array([0.0, 1.0, 1.0])
        >>> model = LogisticRegression(l2=1.0).fit(X, y)
        >>> V = np.eye(2)
        >>> np.allclose(model.hvp(V, X, y), model.hessian(X, y))
        True
        """
        check_finite(V, "V")
        return self.hvp_operator(X, y, theta)(V)

    def check_targets(self, y):
        """Raise ``ValueError`` for labels the model cannot take (any finite value by default).

        Parameters
        ----------
        y : ndarray, shape (n,)
        """


class _LinearInTheta(Model):
    """Shared machinery for models whose loss depends on ``x^T theta`` only."""

    def __init__(self, l2=0.0, unpenalized=None):
        self.l2 = l2
        self.unpenalized = unpenalized

    def _validate_params(self):
        check_nonnegative(self.l2, "l2")
        if self.unpenalized is not None:
            idx = np.asarray(self.unpenalized)
            if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
                raise ValueError(
                    "unpenalized must be a sequence of coordinate indices (for example [-1] "
                    f"for an intercept appended by add_intercept); got {self.unpenalized!r}"
                )

    def _penalty_vector(self, p):
        """The diagonal of the penalty, ``l2`` except 0 at the unpenalised coordinates."""
        lam = np.full(p, float(self.l2))
        if self.unpenalized is not None:
            idx = np.asarray(self.unpenalized)
            if np.any((idx < -p) | (idx >= p)):
                raise ValueError(
                    f"unpenalized indices {idx.tolist()} out of range for {p} parameters"
                )
            lam[idx] = 0.0
        return lam

    def _penalty_grad(self, theta):
        return self._penalty_vector(theta.shape[0]) * theta

    # --- helpers ------------------------------------------------------------------------
    def _data(self, X, y, theta):
        """Validate ``X``, ``y`` and ``theta`` (``None`` means the fitted ``theta_``)."""
        self._validate_params()
        if theta is None:
            check_fitted(self)
            theta = self.theta_
            X, y = check_Xy(X, y, n_features=theta.shape[0])
        else:
            X, y = check_Xy(X, y)
            theta = check_theta(theta, X.shape[1])
        self.check_targets(y)
        return X, y, theta

    # --- the public derivative interface -----------------------------------------------
    def loss(self, X, y, theta=None):
        r"""Per-example losses :math:`L(z_i, \theta)`, shape (n,).

        Parameters
        ----------
        X : array, shape (n, p)
            The examples, one per row (training or test points).
        y : array, shape (n,)
            Their targets.
        theta : array, shape (p,), optional
            The parameters to evaluate the losses at; the fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (n,)
        """
        X, y, theta = self._data(X, y, theta)
        return self._loss(X @ theta, y)

    def objective(self, X, y, theta=None):
        r"""Training objective, the penalty included.

        .. math::

            R(\theta) = \sum_i L(z_i,\theta) + \frac{\lambda}{2}\lVert\theta\rVert^2 .

        Unpenalised coordinates (``unpenalized``) are left out of the penalty.

        Parameters
        ----------
        X, y : arrays, shape (n, p) and (n,)
            The training data whose losses are summed.
        theta : array, shape (p,), optional
            Where to evaluate :math:`R`; the fitted ``theta_`` by default.

        Returns
        -------
        float
        """
        X, y, theta = self._data(X, y, theta)
        return self._objective(X, y, theta)

    def _objective(self, X, y, theta):
        return float(self._loss(X @ theta, y).sum() + 0.5 * theta @ self._penalty_grad(theta))

    def objective_grad(self, X, y, theta=None):
        r""":math:`\nabla R(\theta) = \sum_i \nabla L(z_i,\theta) + \lambda\theta`, shape (p,).

        Parameters
        ----------
        X, y : arrays, shape (n, p) and (n,)
            The training data.
        theta : array, shape (p,), optional
            Where to take the gradient; the fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (p,)
            Zero, to rounding, at the minimiser of :math:`R` on ``X, y``.
        """
        X, y, theta = self._data(X, y, theta)
        return X.T @ self._dloss(X @ theta, y) + self._penalty_grad(theta)

    def grad(self, X, y, theta=None):
        r"""Per-example gradients :math:`\nabla_\theta L(z_i, \theta) = \ell'(s_i) x_i`.

        The penalty is not included (it belongs to :math:`R`, not to any one point).

        Parameters
        ----------
        X : array, shape (n, p)
            The examples; row :math:`i` of the result is the gradient of the loss of row
            :math:`i`.
        y : array, shape (n,)
            Their targets.
        theta : array, shape (p,), optional
            Where to differentiate; the fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (n, p)
        """
        X, y, theta = self._data(X, y, theta)
        return self._dloss(X @ theta, y)[:, None] * X

    def hessian(self, X, y, theta=None):
        r"""Hessian of the objective, :math:`H = X^\top \operatorname{diag}(\ell''(s)) X + \Lambda`.

        Parameters
        ----------
        X, y : arrays, shape (n, p) and (n,)
            The training data that :math:`H` sums over.
        theta : array, shape (p,), optional
            The point :math:`H` is taken at; the fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (p, p)
            Symmetric; positive definite when ``l2 > 0`` penalises every coordinate.
        """
        X, y, theta = self._data(X, y, theta)
        return self._hessian(X, y, theta)

    def _hessian(self, X, y, theta):
        c = self._d2loss(X @ theta, y)
        H = X.T @ (c[:, None] * X)
        H[np.diag_indices_from(H)] += self._penalty_vector(X.shape[1])
        return H

    def hvp_operator(self, X, y, theta=None):
        r"""Return a :class:`HessianOperator`, the map :math:`V \mapsto HV`, validated once.

        Iterative solvers call it many times; the data are checked and the curvatures
        :math:`\ell''(s_i)` computed only once. Computing :math:`HV` as
        :math:`X^\top(\ell''(s) \odot (X V)) + \lambda V` costs :math:`O(npk)` for ``V`` of
        shape (p, k) instead of the :math:`O(np^2)` of building ``H``.

        Parameters
        ----------
        X, y : arrays, shape (n, p) and (n,)
            The training data, checked here once for every later product.
        theta : array, shape (p,), optional
            The point the Hessian is taken at; the fitted ``theta_`` by default.

        Returns
        -------
        HessianOperator
            Call it on ``V`` of shape (p,) or (p, k).
        """
        X, y, theta = self._data(X, y, theta)
        return HessianOperator(X, self._d2loss(X @ theta, y), self._penalty_vector(X.shape[1]))

    def curvature(self, X, y, theta=None):
        r"""Per-example curvature :math:`\ell''(s_i)`.

        It is the factor in :math:`\nabla^2 L(z_i) = \ell''(s_i) x_i x_i^\top`.

        Parameters
        ----------
        X : array, shape (n, p)
            The examples, whose margins :math:`s_i = x_i^\top\theta` it is taken at.
        y : array, shape (n,)
            Their targets.
        theta : array, shape (p,), optional
            The parameters; the fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (n,)
            Never negative: 2 for least squares, :math:`p_i(1 - p_i)` for logistic regression.
        """
        X, y, theta = self._data(X, y, theta)
        return self._d2loss(X @ theta, y)

    def margins(self, X):
        r"""Margins :math:`s_i = x_i^\top\hat\theta` of the rows of ``X``, shape (n,).

        Parameters
        ----------
        X : array, shape (n, p)
            Points, one per row, with the columns the model was fitted with.

        Returns
        -------
        ndarray, shape (n,)

        Raises
        ------
        ValueError
            If ``X`` does not have the fitted number of columns.
        """
        check_fitted(self)
        X = as_matrix(X)
        if X.shape[1] != self.theta_.shape[0]:
            raise ValueError(
                f"X has {X.shape[1]} columns but the model was fitted with {self.theta_.shape[0]}"
            )
        return X @ self.theta_

    def predict(self, X):
        r"""Predictions for the rows of ``X``.

        Parameters
        ----------
        X : array, shape (n, p)
            Points to predict, one per row, with the columns of the training data.

        Returns
        -------
        ndarray, shape (n,)
            The fitted values :math:`x_i^\top\hat\theta` of least squares; for logistic
            regression the labels 0 or 1, the side of the boundary each point is on.
        """
        return self._predict(self.margins(X))

    def __repr__(self):
        extra = "" if self.unpenalized is None else f", unpenalized={self.unpenalized!r}"
        return f"{type(self).__name__}(l2={self.l2!r}{extra})"


class LinearRegression(_LinearInTheta):
    r"""Least squares with an optional ridge penalty.

    The per-example loss is :math:`L(z, \theta) = (y - x^\top\theta)^2` (no factor
    :math:`\tfrac12`, as in the source notebook), so

    .. math::

        \nabla_\theta L = -2 (y - x^\top\theta)\, x, \qquad H = 2 X^\top X + \lambda I .

    Parameters
    ----------
    l2 : float, default 0
        Penalty :math:`\lambda \ge 0` in :math:`R(\theta)`.
    unpenalized : sequence of int, optional
        Coordinates left out of the penalty (``[-1]`` for the intercept column that
        :func:`add_intercept` appends, as scikit-learn's ``Ridge`` does).

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> LinearRegression().fit(X, y).theta_
    array([1., 2.])
    """

    def _loss(self, s, y):
        return (y - s) ** 2

    def _dloss(self, s, y):
        return -2.0 * (y - s)

    def _d2loss(self, s, y):
        return np.full_like(s, 2.0)

    def _predict(self, s):
        return s

    def fit(self, X, y):
        r"""Solve the normal equations :math:`(2X^\top X + \Lambda)\theta = 2X^\top y` by Cholesky.

        Parameters
        ----------
        X : array, shape (n, p)
            Design matrix; append a column of ones (:func:`add_intercept`) to fit a bias.
        y : array, shape (n,)
            Real-valued targets.

        Returns
        -------
        self
            With ``theta_``, the unique minimiser.

        Raises
        ------
        NotPositiveDefiniteError
            If :math:`X^\top X` is singular (collinear columns) and ``l2 == 0``.
        """
        return super().fit(X, y)

    def _minimize(self, X, y, theta0):
        A = self._hessian(X, y, np.zeros(X.shape[1]))
        return Cholesky(A, "Hessian 2 X^T X + l2 I").solve(2.0 * (X.T @ y))


class LogisticRegression(_LinearInTheta):
    r"""Binary logistic regression (labels in {0, 1}) fitted by Newton's method.

    The per-example loss is the negative log-likelihood, computed without ``log(0)``
    or overflow as :math:`L(z,\theta) = \log(1 + e^{s}) - y s` with :math:`s = x^\top\theta`:

    .. math::

        \nabla_\theta L = (\sigma(s) - y)\, x, \qquad
        H = X^\top \operatorname{diag}(\sigma(s)(1-\sigma(s))) X + \lambda I .

    Parameters
    ----------
    l2 : float, default 0
        Penalty :math:`\lambda \ge 0`. With ``l2 == 0`` and linearly separable data the
        maximum-likelihood estimate does not exist; :meth:`fit` then raises
        :class:`~influence_demo.exceptions.SeparableDataError`.
    tol : float, default 1e-10
        Stop when :math:`\lVert\nabla R(\theta)\rVert_2 \le` ``tol``, after polishing to the
        rounding floor (:meth:`~Model.gradient_floor`) with at most a few more full steps.
    max_iter : int, default 100
        Newton iterations before a :class:`~influence_demo.exceptions.ConvergenceWarning`.
    unpenalized : sequence of int, optional
        Coordinates left out of the penalty (``[-1]`` for the intercept column that
        :func:`add_intercept` appends, as scikit-learn does).

    Examples
    --------
    >>> X = add_intercept([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0, 1, 0, 1])
    >>> model = LogisticRegression().fit(X, y)
    >>> np.round(model.theta_, 4)
    array([ 0.9082, -1.3623])
    >>> float(np.linalg.norm(model.objective_grad(X, y))) < 1e-10
    True
    """

    def __init__(self, l2=0.0, tol=1e-10, max_iter=100, unpenalized=None):
        super().__init__(l2, unpenalized)
        self.tol = tol
        self.max_iter = max_iter

    def _validate_params(self):
        super()._validate_params()
        check_nonnegative(self.tol, "tol")
        if int(self.max_iter) != self.max_iter or self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1; got {self.max_iter}")

    def __repr__(self):
        extra = "" if self.unpenalized is None else f", unpenalized={self.unpenalized!r}"
        return (f"LogisticRegression(l2={self.l2!r}, tol={self.tol!r}, "
                f"max_iter={self.max_iter!r}{extra})")

    def check_targets(self, y):
        """Raise ``ValueError`` unless every label is 0 or 1.

        Parameters
        ----------
        y : ndarray, shape (n,)
        """
        check_binary(y)

    def _loss(self, s, y):
        # log(1 + e^s) - y s = log(1 + e^{(1 - 2y) s}) for y in {0, 1}; this form keeps the
        # tiny loss of a confidently correct point (~ e^{-|s|}) instead of cancelling it to 0.
        return np.logaddexp(0.0, (1.0 - 2.0 * y) * s)

    def _dloss(self, s, y):
        return sigmoid(s) - y

    def _d2loss(self, s, y):
        p = sigmoid(s)
        return p * (1.0 - p)

    def _predict(self, s):
        return (s > 0).astype(int)

    def predict_proba(self, X):
        r"""Probabilities :math:`P(y = 1 \mid x) = \sigma(x^\top\hat\theta)`, shape (n,).

        Parameters
        ----------
        X : array, shape (n, p)
            The points, one per row.

        Returns
        -------
        ndarray, shape (n,)
            Each in [0, 1]; ``predict`` gives 1 where it exceeds 1/2.
        """
        return sigmoid(self.margins(X))

    def fit(self, X, y, theta0=None):
        r"""Minimise :math:`R(\theta)` by Newton's method with backtracking.

        Each step solves :math:`H\,\Delta = \nabla R(\theta)` by Cholesky and halves the
        step until :math:`R` does not increase. Iteration stops when
        :math:`\lVert\nabla R\rVert_2 \le` ``tol``; then up to three more full steps polish
        the gradient towards the rounding floor while they still shrink it.

        Parameters
        ----------
        X : array, shape (n, p)
        y : array, shape (n,), labels in {0, 1}
        theta0 : array, shape (p,), optional
            Starting point (a warm start); zeros by default.

        Returns
        -------
        self

        Raises
        ------
        SeparableDataError
            If ``l2 == 0`` and an iterate separates the classes perfectly, which proves
            that no finite maximum-likelihood estimate exists.

        Warns
        -----
        ConvergenceWarning
            If ``max_iter`` steps do not reach ``tol``; the warning names the gradient norm.
        """
        X, y = self._training_data(X, y)
        self.theta_, self.n_iter_, self.grad_norm_ = self._newton(X, y, theta0, self.tol)
        return self

    def _minimize(self, X, y, theta0):
        return self._newton(X, y, theta0, 0.0)[0]

    def _newton(self, X, y, theta0, tol):
        p = X.shape[1]
        theta = np.zeros(p) if theta0 is None else check_theta(theta0, p).copy()
        lam = self._penalty_vector(p)
        sign = 2.0 * y - 1.0
        abs_X = np.abs(X)
        eps32 = 32 * np.finfo(float).eps
        R = self._objective(X, y, theta)
        polish = 0
        max_iter = int(self.max_iter)
        for it in range(max_iter + 1):
            s = X @ theta
            if not np.any(lam > 0) and _separates(sign * s):
                raise SeparableDataError(
                    "The classes are linearly separable (theta = "
                    f"{np.array2string(theta, precision=3)} puts every training point on its "
                    "own class's side, or on the boundary), so with l2 = 0 the logistic loss "
                    "has no minimum and theta would grow without bound. Use an L2 penalty (l2 > 0)."
                )
            dl = self._dloss(s, y)
            g = X.T @ dl + lam * theta
            gnorm = float(np.linalg.norm(g))
            # the rounding floor of gradient_floor, from the pieces at hand
            floor = eps32 * (np.linalg.norm(abs_X.T @ np.abs(dl)) + np.linalg.norm(lam * theta))
            if gnorm <= floor:
                break
            if gnorm <= max(tol, 1e3 * floor):
                # Polish: Newton converges quadratically, so a full step from here reaches the
                # rounding floor; keep a step only while it shrinks the gradient.
                if polish == 3 or it == max_iter:
                    break
                cand = theta - self._newton_step(X, s, y, lam, g)
                g_new = X.T @ self._dloss(X @ cand, y) + lam * cand
                if np.linalg.norm(g_new) >= gnorm:
                    break
                theta, R, polish = cand, self._objective(X, y, cand), polish + 1
                continue
            if it == max_iter:
                break
            step = self._newton_step(X, s, y, lam, g)
            # Backtrack until R does not increase. Near the optimum the decrease of a
            # Newton step, g @ step / 2, falls below the rounding error of R itself; the
            # full step is then accepted if it shrinks the gradient, so Newton's quadratic
            # convergence carries on down to gradient norms near machine precision.
            rounding = 64 * np.finfo(float).eps * max(abs(R), 1.0)
            t = 1.0
            while True:
                cand = theta - t * step
                R_new = self._objective(X, y, cand)
                if R_new <= R + rounding or t < 1e-12:
                    break
                if t == 1.0 and 0.5 * (g @ step) <= rounding:
                    g_new = X.T @ self._dloss(X @ cand, y) + lam * cand
                    if np.linalg.norm(g_new) < gnorm:
                        break
                t *= 0.5
            theta, R = cand, R_new
        if gnorm > max(tol, 1e3 * floor):
            hint = " The data may be (nearly) separable; use l2 > 0." if self.l2 == 0 else ""
            warnings.warn(
                f"Newton's method stopped after {it} iterations with gradient norm "
                f"{gnorm:.3e} > tol = {max(tol, floor):.1e}.{hint}",
                ConvergenceWarning,
                stacklevel=3,
            )
        return theta, it, gnorm

    def _newton_step(self, X, s, y, lam, g):
        c = self._d2loss(s, y)
        H = X.T @ (c[:, None] * X)
        H[np.diag_indices_from(H)] += lam
        return Cholesky(H, "Hessian in Newton's method").solve(g)


def _separates(margins):
    r"""True if the signed margins :math:`(2y_i - 1)\,x_i^\top\theta` certify separation.

    If every margin is :math:`\ge 0` and at least one is :math:`> 0`, moving along
    :math:`\theta` lowers every loss term or leaves it unchanged, so the unpenalised
    logistic loss has no minimiser (complete or quasi-complete separation). Margins within
    rounding of zero count as zero.
    """
    tol = 1e-6 * max(1.0, float(np.max(np.abs(margins))))
    return bool(np.all(margins > -tol) and np.any(margins > tol))


def gradient_descent(model, X, y, lr=0.1, n_steps=2000, theta0=None, record=None):
    r"""Plain gradient descent on :math:`R(\theta)`, as in the source notebook 001.

    Each step is :math:`\theta \leftarrow \theta - \eta \nabla R(\theta)` with the **sum**
    gradient, starting from zeros. Unlike :meth:`LogisticRegression.fit`, it never checks
    convergence: it exists to show what stopping early does.

    Parameters
    ----------
    model : LinearRegression or LogisticRegression
        Supplies the loss and the penalty; it is not modified.
    X, y : arrays, shape (n, p) and (n,)
        The training data.
    lr : float
        Step size :math:`\eta > 0`.
    n_steps : int
        Number of steps.
    theta0 : array, shape (p,), optional
        Starting point; zeros by default.
    record : sequence of int, optional
        Step counts at which to record :math:`\theta` (each ``<= n_steps``).

    Returns
    -------
    theta : array, shape (p,)
        The final iterate.
    path : array, shape (len(record), p)
        Only when ``record`` is given: the iterates at those step counts.

    Raises
    ------
    ValueError
        If ``lr <= 0`` or a recorded step lies outside ``[0, n_steps]``.

    Examples
    --------
    >>> X = add_intercept([[0.0], [1.0], [2.0]])
    >>> theta = gradient_descent(LogisticRegression(), X, [0, 0, 1], lr=0.1, n_steps=2000)
    >>> np.round(theta, 4)
    array([  6.8725, -10.0661])
    """
    X, y = check_Xy(X, y)
    model.check_targets(y)
    if not lr > 0:
        raise ValueError(f"lr must be > 0; got {lr}")
    theta = np.zeros(X.shape[1]) if theta0 is None else check_theta(theta0, X.shape[1]).copy()
    wanted = set(int(r) for r in record) if record is not None else set()
    if wanted and (min(wanted) < 0 or max(wanted) > n_steps):
        raise ValueError(f"record must lie in [0, n_steps={n_steps}]")
    path = {}
    for step in range(n_steps + 1):
        if step in wanted:
            path[step] = theta.copy()
        if step == n_steps:
            break
        g = X.T @ model._dloss(X @ theta, y) + model._penalty_grad(theta)
        theta = theta - lr * g
    if record is None:
        return theta
    return theta, np.array([path[int(r)] for r in record])
