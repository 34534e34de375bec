r"""Least-squares and logistic regression with the derivatives that influence needs.

Both models minimise a **sum** of per-example losses plus an L2 penalty,

.. math::

    R(\theta) = \sum_{i=1}^n L(z_i, \theta) + \frac{\lambda}{2}\lVert\theta\rVert^2,

and both are linear in :math:`x`: the loss depends on :math:`\theta` only through the
margin :math:`s = x^\top\theta`. So every per-example gradient is a multiple of
:math:`x_i` and every per-example Hessian is a multiple of :math:`x_i x_i^\top`:

.. math::

    \nabla_\theta L(z_i, \theta) = \ell'(s_i)\, x_i, \qquad
    \nabla^2_\theta L(z_i, \theta) = \ell''(s_i)\, x_i x_i^\top, \qquad
    H = X^\top \operatorname{diag}(\ell''(s)) X + \lambda I .

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
)
from .exceptions import ConvergenceWarning, SeparableDataError


def add_intercept(X):
    """Append a column of ones to ``X``, so that ``theta`` holds the weights, then the bias.

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

    Examples
    --------
    >>> sigmoid(np.array([-800.0, 0.0, 800.0]))
    array([0. , 0.5, 1. ])
    """
    s = np.asarray(s, dtype=float)
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class HessianOperator:
    r"""The map :math:`V \mapsto HV = X^\top(c \odot XV) + \lambda V` for fixed data and :math:`\theta`.

    ``c`` holds the per-example curvatures :math:`\ell''(s_i)`. ``n`` and ``p`` are the
    numbers of examples and parameters.
    """

    def __init__(self, X, c, l2):
        self.X, self.c, self.l2 = X, c, l2
        self.n, self.p = X.shape

    def __call__(self, V):
        V = np.asarray(V, dtype=float)
        if V.ndim not in (1, 2) or V.shape[0] != self.p:
            raise ValueError(f"V must have shape ({self.p},) or ({self.p}, k); got {V.shape}")
        XV = self.X @ V
        return self.X.T @ (self.c * XV if V.ndim == 1 else self.c[:, None] * XV) + self.l2 * V

    def on_subset(self, idx, V, factor=1.0):
        r"""Mini-batch estimate :math:`\text{factor}\sum_{i\in\text{idx}} c_i x_i x_i^\top V + \lambda V`."""
        Xb = self.X[idx]
        cb = self.c[idx]
        XV = Xb @ V
        return factor * (Xb.T @ (cb * XV if V.ndim == 1 else cb[:, None] * XV)) + self.l2 * V


class _LinearInTheta:
    """Shared machinery for models whose loss depends on ``x^T theta`` only."""

    def __init__(self, l2=0.0):
        self.l2 = check_nonnegative(l2, "l2")
        self.theta_ = None

    # --- per-model scalar functions of the margin s = x^T theta -------------------------
    def _check_targets(self, y):  # pragma: no cover - overridden where needed
        pass

    # --- helpers ------------------------------------------------------------------------
    @property
    def n_features_(self):
        check_fitted(self)
        return self.theta_.shape[0]

    def _data(self, X, y, theta):
        """Validate ``X``, ``y`` and ``theta`` (``None`` means the fitted ``theta_``)."""
        if theta is None:
            check_fitted(self)
            theta = self.theta_
            X, y = check_Xy(X, y, n_features=theta.shape[0])
        else:
            X, y = check_Xy(X, y)
            theta = check_theta(theta, X.shape[1])
        self._check_targets(y)
        return X, y, theta

    def with_theta(self, theta):
        """Return a copy of this model whose ``theta_`` is ``theta`` (for example, from another optimiser)."""
        theta = np.asarray(theta, dtype=float)
        if theta.ndim != 1:
            raise ValueError(f"theta must be 1-D; got shape {theta.shape}")
        model = copy.copy(self)
        model.theta_ = check_theta(theta, theta.shape[0]).copy()
        return model

    # --- the public derivative interface -----------------------------------------------
    def loss(self, X, y, theta=None):
        """Per-example losses :math:`L(z_i, \\theta)`, shape (n,)."""
        X, y, theta = self._data(X, y, theta)
        return self._loss(X @ theta, y)

    def objective(self, X, y, theta=None):
        r"""Training objective :math:`R(\theta) = \sum_i L(z_i,\theta) + \frac{\lambda}{2}\lVert\theta\rVert^2`."""
        X, y, theta = self._data(X, y, theta)
        return float(self._loss(X @ theta, y).sum() + 0.5 * self.l2 * theta @ theta)

    def grad(self, X, y, theta=None):
        r"""Per-example gradients :math:`\nabla_\theta L(z_i, \theta) = \ell'(s_i) x_i`, shape (n, p).

        The penalty is not included (it belongs to :math:`R`, not to any one point).
        """
        X, y, theta = self._data(X, y, theta)
        return self._dloss(X @ theta, y)[:, None] * X

    def hessian(self, X, y, theta=None):
        r"""Hessian of the objective, :math:`H = X^\top \operatorname{diag}(\ell''(s)) X + \lambda I`, shape (p, p)."""
        X, y, theta = self._data(X, y, theta)
        c = self._d2loss(X @ theta, y)
        H = X.T @ (c[:, None] * X)
        H[np.diag_indices_from(H)] += self.l2
        return H

    def hvp(self, V, X, y, theta=None):
        r"""Hessian-vector product :math:`H V` without forming :math:`H`.

        Computed as :math:`X^\top(\ell''(s) \odot (X V)) + \lambda V`, which costs
        :math:`O(npk)` for ``V`` of shape (p, k) instead of the :math:`O(np^2)` of building ``H``.

        Parameters
        ----------
        V : array, shape (p,) or (p, k)
        X, y : training data the Hessian is taken over.
        theta : array, shape (p,), optional. Defaults to ``theta_``.

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

    def hvp_operator(self, X, y, theta=None):
        r"""Return a :class:`HessianOperator`, the map :math:`V \mapsto HV`, validated once.

        Iterative solvers call it many times; the data are checked and the curvatures
        :math:`\ell''(s_i)` computed only once.
        """
        X, y, theta = self._data(X, y, theta)
        return HessianOperator(X, self._d2loss(X @ theta, y), self.l2)

    def curvature(self, X, y, theta=None):
        r"""Per-example curvature :math:`\ell''(s_i)`, so that :math:`\nabla^2 L(z_i) = \ell''(s_i) x_i x_i^\top`."""
        X, y, theta = self._data(X, y, theta)
        return self._d2loss(X @ theta, y)

    def margins(self, X):
        r"""Margins :math:`s_i = x_i^\top\hat\theta` of the rows of ``X``, shape (n,)."""
        check_fitted(self)
        X = as_matrix(X)
        if X.shape[1] != self.theta_.shape[0]:
            raise ValueError(
                f"X has {X.shape[1]} columns but the model was fitted with {self.theta_.shape[0]}"
            )
        return X @ self.theta_

    def predict(self, X):
        """Predictions for the rows of ``X``."""
        return self._predict(self.margins(X))

    def __repr__(self):
        return f"{type(self).__name__}(l2={self.l2!r})"


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
        r"""Solve the normal equations :math:`(2X^\top X + \lambda I)\theta = 2X^\top y` by Cholesky.

        Raises
        ------
        NotPositiveDefiniteError
            If :math:`X^\top X` is singular (collinear columns) and ``l2 == 0``.
        """
        X, y = check_Xy(X, y)
        A = 2.0 * (X.T @ X)
        A[np.diag_indices_from(A)] += self.l2
        self.theta_ = Cholesky(A, "Hessian 2 X^T X + l2 I").solve(2.0 * (X.T @ y))
        return self

    def _refit(self, X, y, theta0):
        return LinearRegression(self.l2).fit(X, y).theta_


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
        Stop when :math:`\lVert\nabla R(\theta)\rVert_2 \le` ``tol``.
    max_iter : int, default 100
        Newton iterations before a :class:`~influence_demo.exceptions.ConvergenceWarning`.

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

    def __init__(self, l2=0.0, tol=1e-10, max_iter=100):
        super().__init__(l2)
        self.tol = check_nonnegative(tol, "tol")
        self.max_iter = int(max_iter)
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1; got {max_iter}")

    def __repr__(self):
        return f"LogisticRegression(l2={self.l2!r}, tol={self.tol!r}, max_iter={self.max_iter!r})"

    def _check_targets(self, y):
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
        r"""Probabilities :math:`P(y = 1 \mid x) = \sigma(x^\top\hat\theta)`, shape (n,)."""
        return sigmoid(self.margins(X))

    def objective_grad(self, X, y, theta=None):
        r""":math:`\nabla R(\theta) = \sum_i \nabla L(z_i,\theta) + \lambda\theta`, shape (p,)."""
        X, y, theta = self._data(X, y, theta)
        return X.T @ self._dloss(X @ theta, y) + self.l2 * theta

    def fit(self, X, y, theta0=None):
        r"""Minimise :math:`R(\theta)` by Newton's method with backtracking.

        Each step solves :math:`H\,\Delta = \nabla R(\theta)` by Cholesky and halves the
        step until :math:`R` does not increase. Iteration stops when
        :math:`\lVert\nabla R\rVert_2 \le` ``tol``.

        Parameters
        ----------
        X : array, shape (n, p)
        y : array, shape (n,), labels in {0, 1}
        theta0 : array, shape (p,), optional
            Starting point (a warm start); zeros by default.

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
        X, y = check_Xy(X, y)
        check_binary(y)
        p = X.shape[1]
        theta = np.zeros(p) if theta0 is None else check_theta(theta0, p).copy()
        sign = 2.0 * y - 1.0
        R = self._R(X, y, theta)
        gnorm = np.inf
        for it in range(self.max_iter + 1):
            s = X @ theta
            if self.l2 == 0 and _separates(sign * s):
                raise SeparableDataError(
                    "The classes are linearly separable (theta = "
                    f"{np.array2string(theta, precision=3)} puts every training point on its "
                    "own class's side, or on the boundary), so with l2 = 0 the logistic loss "
                    "has no minimum and theta would grow without bound. Use an L2 penalty (l2 > 0)."
                )
            g = X.T @ self._dloss(s, y) + self.l2 * theta
            gnorm = float(np.linalg.norm(g))
            if gnorm <= self.tol or it == self.max_iter:
                break
            c = self._d2loss(s, y)
            H = X.T @ (c[:, None] * X)
            H[np.diag_indices_from(H)] += self.l2
            step = Cholesky(H, "Hessian in Newton's method").solve(g)
            # Backtrack until R does not increase. Near the optimum the decrease of a
            # Newton step, g @ step / 2, falls below the rounding error of R itself; the
            # full step is then accepted if it shrinks the gradient, so Newton's quadratic
            # convergence carries on down to gradient norms near machine precision.
            rounding = 64 * np.finfo(float).eps * max(abs(R), 1.0)
            t = 1.0
            while True:
                cand = theta - t * step
                R_new = self._R(X, y, cand)
                if R_new <= R + rounding or t < 1e-12:
                    break
                if t == 1.0 and 0.5 * (g @ step) <= rounding:
                    g_new = X.T @ self._dloss(X @ cand, y) + self.l2 * cand
                    if np.linalg.norm(g_new) < gnorm:
                        break
                t *= 0.5
            theta, R = cand, R_new
        self.theta_ = theta
        self.n_iter_ = it
        self.grad_norm_ = gnorm
        if gnorm > self.tol:
            hint = " The data may be (nearly) separable; use l2 > 0." if self.l2 == 0 else ""
            warnings.warn(
                f"Newton's method stopped after {it} iterations with gradient norm "
                f"{gnorm:.3e} > tol = {self.tol:.1e}.{hint}",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _R(self, X, y, theta):
        return float(self._loss(X @ theta, y).sum() + 0.5 * self.l2 * theta @ theta)

    def _refit(self, X, y, theta0):
        return LogisticRegression(self.l2, self.tol, self.max_iter).fit(X, y, theta0=theta0).theta_


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
    lr : float
        Step size :math:`\eta > 0`.
    n_steps : int
        Number of steps.
    record : sequence of int, optional
        Step counts at which to record :math:`\theta` (each ``<= n_steps``).

    Returns
    -------
    theta : array, shape (p,)
        The final iterate.
    path : array, shape (len(record), p)
        Only when ``record`` is given: the iterates at those step counts.

    Examples
    --------
    >>> X = add_intercept([[0.0], [1.0], [2.0]])
    >>> theta = gradient_descent(LogisticRegression(), X, [0, 0, 1], lr=0.1, n_steps=2000)
    >>> np.round(theta, 4)
    array([  6.8725, -10.0661])
    """
    X, y = check_Xy(X, y)
    model._check_targets(y)
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
        g = X.T @ model._dloss(X @ theta, y) + model.l2 * theta
        theta = theta - lr * g
    if record is None:
        return theta
    return theta, np.array([path[int(r)] for r in record])
