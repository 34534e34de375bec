r"""Example weights: the weighted sum objective, with each weight carried by its example.

A fit with example weights :math:`w_i \ge 0` minimises

.. math::

    R_w(\theta) = \sum_i w_i\, L(z_i, \theta) + \frac12\theta^\top\Lambda\theta ,

which is still the package's sum objective, over the weighted losses
:math:`L_w(z_i, \theta) = w_i L(z_i, \theta)`. So the weight belongs to the example:
:class:`SampleWeighted` reads it from the last column of ``X``, and every function of the
package (influence, leave-one-out, top-k) works on the weighted fit unchanged.

How influence reads with weights. :math:`\mathcal I_{\text{up,params}}(z_i) =
-H_w^{-1} w_i\nabla L(z_i, \hat\theta)`, with :math:`H_w = \nabla^2 R_w(\hat\theta)`, is the
effect of up-weighting the *weighted* loss :math:`L_w(z_i)` by :math:`\epsilon`, that is of
changing :math:`w_i` to :math:`(1 + \epsilon)\,w_i`. Removing :math:`z_i` sets its weight
to 0, which is up-weighting its loss :math:`L(z_i)` by :math:`-w_i` (:math:`\epsilon = -1`
on :math:`L_w`): :math:`\hat\theta_{-i} - \hat\theta \approx -\mathcal I_{\text{up,params}}
(z_i)`, as without weights. Changing :math:`w_i` by :math:`\delta` moves the parameters by
about :math:`(\delta / w_i)\,\mathcal I_{\text{up,params}}(z_i)`. A test point has weight 1:
its loss is the ordinary :math:`L(z_{\text{test}})`.
"""

import warnings

import numpy as np

from ._linalg import Cholesky
from ._validation import check_fitted, check_theta, check_Xy
from .exceptions import ConvergenceWarning
from .models import HessianOperator, LogisticRegression, Model

__all__ = ["SampleWeighted"]


class SampleWeighted(Model):
    r"""A model linear in :math:`\theta`, fitted with example weights in the last column of ``X``.

    It minimises :math:`R_w(\theta) = \sum_i w_i L(z_i, \theta) + \frac12\theta^\top\Lambda
    \theta`, with the loss and penalty of ``model`` and :math:`w_i` = ``X[i, -1]``; the
    other columns are the design matrix of ``model``. Per-example losses and gradients are
    the weighted ones, :math:`w_i L(z_i)` and :math:`w_i\nabla L(z_i)`, and

    .. math::

        H_w = \sum_i w_i\,\ell''(s_i)\, x_i x_i^\top + \Lambda .

    Give test points the weight 1, so that their loss is the ordinary one (removing a
    training point sets its weight to 0; see the module's notes).

    Parameters
    ----------
    model : LinearRegression or LogisticRegression
        The unweighted model: its loss, ``l2`` and ``unpenalized``. It is not modified.
    max_iter : int, default 100
        Newton iterations of :meth:`fit` and :meth:`refit` before a
        :class:`~influence_demo.exceptions.ConvergenceWarning`.

    Examples
    --------
    Integer weights are repeated rows:

    >>> from influence_demo import LogisticRegression, add_intercept
    >>> X = add_intercept([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0.0, 1.0, 0.0, 1.0])
    >>> w = np.array([1.0, 2.0, 1.0, 3.0])
    >>> weighted = SampleWeighted(LogisticRegression(l2=0.1)).fit(np.column_stack([X, w]), y)
    >>> repeated = LogisticRegression(l2=0.1).fit(np.repeat(X, [1, 2, 1, 3], axis=0),
    ...                                           np.repeat(y, [1, 2, 1, 3]))
    >>> np.allclose(weighted.theta_, repeated.theta_, rtol=1e-12)
    True
    >>> weighted.unweighted_.predict(X)
    array([0, 1, 1, 1])
    """

    def __init__(self, model, max_iter=100):
        self.model = model
        self.max_iter = max_iter

    def _validate_params(self):
        if not callable(getattr(self.model, "curvature", None)):
            raise TypeError(
                "SampleWeighted needs a model linear in theta (LinearRegression or "
                f"LogisticRegression); got {type(self.model).__name__}"
            )
        if int(self.max_iter) != self.max_iter or self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1; got {self.max_iter}")

    def __repr__(self):
        return f"SampleWeighted({self.model!r})"

    @property
    def n_features_(self):
        """Number of columns of ``X``: the parameters, and the weights."""
        return self.n_params_ + 1

    @property
    def unweighted_(self):
        """The unweighted model at this model's ``theta_``, for predictions on plain rows."""
        check_fitted(self)
        return self.model.with_theta(self.theta_)

    def check_targets(self, y):
        """Raise ``ValueError`` for labels that ``model`` cannot take.

        Parameters
        ----------
        y : ndarray, shape (n,)
        """
        self.model.check_targets(y)

    # --- the data: features, weights, targets ---------------------------------------------
    def _data(self, X, y, theta):
        self._validate_params()
        if theta is None:
            check_fitted(self)
            theta = self.theta_
            X, y = check_Xy(X, y, n_features=theta.shape[0] + 1)
        else:
            X, y = check_Xy(X, y)
            theta = check_theta(theta, X.shape[1] - 1)
        if X.shape[1] < 2:
            raise ValueError(
                "X must hold the features and, in its last column, the example weights; "
                f"got {X.shape[1]} column"
            )
        w = X[:, -1]
        if np.any(w < 0):
            raise ValueError(
                f"The example weights (the last column of X) must be >= 0; found {w.min():g}"
            )
        self.check_targets(y)
        return X[:, :-1], w, y, theta

    def _operator(self, X, y, theta):
        Xf, w, y, theta = self._data(X, y, theta)
        op = self.model.hvp_operator(Xf, y, theta)  # its c: the unweighted curvatures
        return Xf, w, y, theta, HessianOperator(Xf, w * op.c, op.l2)

    # --- the Model interface ------------------------------------------------------------
    def loss(self, X, y, theta=None):
        r"""Weighted per-example losses :math:`w_i L(z_i, \theta)`, shape (n,).

        Parameters
        ----------
        X : array, shape (n, p + 1)
            The examples, their weights in the last column.
        y : array, shape (n,)
        theta : array, shape (p,), optional
            The fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (n,)
        """
        Xf, w, y, theta = self._data(X, y, theta)
        return w * self.model.loss(Xf, y, theta)

    def grad(self, X, y, theta=None):
        r"""Weighted per-example gradients :math:`w_i\nabla_\theta L(z_i, \theta)`, shape (n, p).

        Parameters
        ----------
        X : array, shape (n, p + 1)
            The examples, their weights in the last column.
        y : array, shape (n,)
        theta : array, shape (p,), optional
            The fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (n, p)
        """
        Xf, w, y, theta = self._data(X, y, theta)
        return w[:, None] * self.model.grad(Xf, y, theta)

    def objective(self, X, y, theta=None):
        r""":math:`R_w(\theta) = \sum_i w_i L(z_i,\theta) + \frac12\theta^\top\Lambda\theta`.

        Parameters
        ----------
        X : array, shape (n, p + 1)
            The training examples, their weights in the last column.
        y : array, shape (n,)
        theta : array, shape (p,), optional
            The fitted ``theta_`` by default.

        Returns
        -------
        float
        """
        Xf, w, y, theta, op = self._operator(X, y, theta)
        return float(w @ self.model.loss(Xf, y, theta) + 0.5 * theta @ (op.l2 * theta))

    def objective_grad(self, X, y, theta=None):
        r""":math:`\nabla R_w(\theta) = \sum_i w_i\nabla L(z_i,\theta) + \Lambda\theta`.

        Parameters
        ----------
        X : array, shape (n, p + 1)
            The training examples, their weights in the last column.
        y : array, shape (n,)
        theta : array, shape (p,), optional
            The fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (p,)
        """
        Xf, w, y, theta, op = self._operator(X, y, theta)
        return w @ self.model.grad(Xf, y, theta) + op.l2 * theta

    def hessian(self, X, y, theta=None):
        r""":math:`H_w = X^\top\operatorname{diag}(w\odot\ell''(s))X + \Lambda`, shape (p, p).

        Parameters
        ----------
        X : array, shape (n, p + 1)
            The training examples, their weights in the last column.
        y : array, shape (n,)
        theta : array, shape (p,), optional
            The fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (p, p)
        """
        Xf, _, _, _, op = self._operator(X, y, theta)
        H = Xf.T @ (op.c[:, None] * Xf)
        H[np.diag_indices_from(H)] += op.l2
        return H

    def hvp_operator(self, X, y, theta=None):
        r"""The map :math:`V \mapsto H_w V`, a :class:`~influence_demo.models.HessianOperator`.

        Parameters
        ----------
        X : array, shape (n, p + 1)
            The training examples, their weights in the last column.
        y : array, shape (n,)
        theta : array, shape (p,), optional
            The fitted ``theta_`` by default.

        Returns
        -------
        HessianOperator
        """
        return self._operator(X, y, theta)[-1]

    def refit(self, X, y, theta0=None):
        r"""Minimiser of :math:`R_w` on ``(X, y)``, without changing this model, shape (p,).

        As :meth:`Model.refit <influence_demo.models.Model.refit>`: accurate to rounding,
        and ``theta0`` itself when it is already optimal to the rounding floor.

        Parameters
        ----------
        X : array, shape (n, p + 1)
            The training examples, their weights in the last column.
        y : array, shape (n,)
        theta0 : array, shape (p,), optional
            Starting point (a warm start).

        Returns
        -------
        ndarray, shape (p,)
        """
        X, y = self._training_data(X, y)
        if theta0 is not None:
            theta0 = check_theta(theta0, X.shape[1] - 1).copy()
            g = self.objective_grad(X, y, theta0)
            if np.linalg.norm(g) <= self.gradient_floor(X, y, theta0):
                return theta0
        return self._minimize(X, y, theta0)

    def _minimize(self, X, y, theta0):
        r"""Newton's method with backtracking, down to the rounding floor of the gradient."""
        Xf, w, yv, _ = self._data(X, y, np.zeros(X.shape[1] - 1))
        op = self.model.hvp_operator(Xf, yv, np.zeros(Xf.shape[1]))
        if isinstance(self.model, LogisticRegression) and not np.any(op.l2 > 0):
            # Without a penalty, separable data have no minimiser whatever the (positive)
            # weights: the unweighted fit on the weighted points says so, with its error.
            self.model.refit(Xf[w > 0], yv[w > 0])
        theta = np.zeros(Xf.shape[1]) if theta0 is None else theta0.copy()
        R, g = self.objective(X, y, theta), self.objective_grad(X, y, theta)
        gnorm = float(np.linalg.norm(g))
        for _ in range(int(self.max_iter)):
            floor = self.gradient_floor(X, y, theta)
            if gnorm <= floor:
                return theta
            step = Cholesky(self.hessian(X, y, theta), "weighted Hessian").solve(g)
            rounding = 64 * np.finfo(float).eps * max(abs(R), 1.0)
            t = 1.0
            while True:
                cand = theta - t * step
                R_new, g_new = self.objective(X, y, cand), self.objective_grad(X, y, cand)
                g_norm_new = float(np.linalg.norm(g_new))
                # Near the optimum the decrease g @ step / 2 falls below the rounding of R;
                # the full step is then kept if it shrinks the gradient.
                near = t == 1.0 and 0.5 * (g @ step) <= rounding and g_norm_new < gnorm
                if R_new <= R + rounding or near or t < 1e-12:
                    break
                t *= 0.5
            if g_norm_new >= gnorm and gnorm <= 1e3 * floor:
                return theta  # at the rounding floor: a step no longer shrinks the gradient
            theta, R, g, gnorm = cand, R_new, g_new, g_norm_new
        warnings.warn(
            f"Newton's method on the weighted objective stopped after {self.max_iter} "
            f"iterations with gradient norm {gnorm:.3e}.",
            ConvergenceWarning,
            stacklevel=4,
        )
        return theta
