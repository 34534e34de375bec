r"""Softmax regression and a one-hidden-layer network, with exact and Gauss–Newton curvature.

Both models minimise a **sum** of cross-entropy losses plus an L2 penalty on every
parameter, as the other models of the package do:

.. math::

    R(\theta) = \sum_{i=1}^n L(z_i, \theta) + \frac{\lambda}{2}\lVert\theta\rVert^2, \qquad
    L(z_i, \theta) = \log\sum_{c} e^{f_c(x_i, \theta)} - f_{y_i}(x_i, \theta),

where :math:`f(x, \theta) \in \mathbb R^K` are the logits and the labels are
:math:`0, \dots, K-1`. With :math:`J_i = \partial f(x_i,\theta)/\partial\theta` (a
:math:`K\times p` Jacobian), :math:`p_i = \operatorname{softmax}(f(x_i,\theta))` and
:math:`r_i = p_i - e_{y_i}`, the gradient and the two curvatures are

.. math::

    \nabla_\theta L(z_i,\theta) &= J_i^\top r_i, \\
    G &= \sum_i J_i^\top \bigl(\operatorname{diag}(p_i) - p_i p_i^\top\bigr) J_i + \lambda I, \\
    H &= G + \sum_i \sum_c r_{ic}\, \nabla^2_\theta f_c(x_i, \theta).

:math:`G` is the generalized Gauss–Newton matrix (GGN): positive definite for
:math:`\lambda > 0` at every :math:`\theta`. :math:`H` is the Hessian; for softmax
regression the logits are linear in :math:`\theta`, so :math:`H = G`. For the network the
second term makes :math:`H` indefinite away from a minimum, and possibly at one.

:meth:`~MLPClassifier.hvp` computes :math:`HV` by Pearlmutter's (1994) R-operator: one
forward pass of directional derivatives :math:`\mathcal R\{\cdot\} = \frac{d}{dt}(\cdot)
(\theta + tV)\big|_{t=0}` followed by the differentiated backward pass, in
:math:`O(np)` per vector and without forming :math:`H`. :meth:`~MLPClassifier.hessian`
builds the same matrix from the explicit formula above, so each checks the other.

Every computation runs through one general objective,

.. math::

    Q(\theta) = \sum_i w_i \Bigl(\log\sum_c e^{f_c(x_i,\theta)} - t_i^\top f(x_i,\theta)\Bigr)
        + \frac{\mu}{2}\lVert\theta - \theta_c\rVert^2,

with example weights :math:`w_i`, target distributions :math:`t_i` (one-hot labels, or
soft targets), a penalty :math:`\mu` and a centre :math:`\theta_c`. :meth:`minimize`
solves it; fitting (:math:`w = 1`, one-hot, :math:`\mu = \lambda`, :math:`\theta_c = 0`),
down-weighted retraining and the proximal Bregman response function
(:func:`~influence_demo.pbrf.pbrf`) are special cases.

Used in the chapter "Influence in a neural network".
"""

import copy
import warnings

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize as _scipy_minimize

from ._validation import (
    as_matrix,
    check_finite,
    check_fitted,
    check_nonnegative,
    check_Xy,
)
from .exceptions import ConvergenceWarning
from .models import Model


def one_hot(y, n_classes):
    """Rows of the identity: ``one_hot(y, K)[i, c] = 1`` if ``y[i] == c``, shape (n, K).

    Parameters
    ----------
    y : array of int, shape (n,)
        Labels in ``0 .. n_classes - 1``.
    n_classes : int
        :math:`K`.

    Returns
    -------
    ndarray, shape (n, K)

    Examples
    --------
    >>> one_hot(np.array([2, 0]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    y = np.asarray(y)
    T = np.zeros((y.shape[0], int(n_classes)))
    T[np.arange(y.shape[0]), y.astype(int)] = 1.0
    return T


def softmax(Z):
    r"""Row-wise softmax :math:`e^{z_c} / \sum_{c'} e^{z_{c'}}`, without overflow.

    Parameters
    ----------
    Z : array, shape (n, K)
        Logits.

    Returns
    -------
    ndarray, shape (n, K)
        Rows that sum to 1.

    Examples
    --------
    >>> softmax(np.array([[0.0, 0.0], [1000.0, 0.0]]))
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    Z = np.asarray(Z, dtype=float)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _logsumexp(Z):
    m = Z.max(axis=1)
    return m + np.log(np.exp(Z - m[:, None]).sum(axis=1))


class CurvatureOperator:
    r"""The map :math:`V \mapsto CV` for a fixed network, data and :math:`\theta`.

    :math:`C` is the Hessian of the (weighted) objective or its Gauss–Newton matrix,
    as chosen by the model method that returns it. ``n`` and ``p`` are the numbers of
    examples and parameters.

    Parameters
    ----------
    model : SoftmaxRegression or MLPClassifier
    cache : the forward pass at :math:`\theta`
    weights : ndarray, shape (n,)
    residual : ndarray, shape (n, K)
        :math:`w_i (p_i - t_i)`, the gradient of the objective with respect to the logits.
    mu : float
        The penalty :math:`\mu` (added as :math:`\mu V`).
    exact : bool
        True for the Hessian, False for the GGN.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1, 2])
    >>> model = SoftmaxRegression(l2=1.0).fit(X, y)
    >>> op = model.hvp_operator(X, y)
    >>> (op.n, op.p), np.allclose(op(np.eye(6)), model.hessian(X, y))
    ((3, 6), True)
    """

    def __init__(self, model, cache, weights, residual, mu, exact):
        self._model, self._cache, self._w = model, cache, weights
        self._D, self._mu, self._exact = residual, mu, exact
        self.n = cache["X"].shape[0]
        self.p = model._n_params(cache["X"].shape[1], cache["K"])

    def __call__(self, V):
        return self.on_subset(slice(None), V)

    def on_subset(self, idx, V, factor=1.0):
        r"""``factor`` times the data part over the examples ``idx``, plus :math:`\mu V`.

        Parameters
        ----------
        idx : index array or slice
        V : ndarray, shape (p,) or (p, k)
        factor : float, default 1
            ``n / len(idx)`` gives an unbiased mini-batch estimate.

        Returns
        -------
        ndarray, the shape of ``V``

        Raises
        ------
        ValueError
            If ``V`` has the wrong shape.
        """
        V = np.asarray(V, dtype=float)
        if V.ndim not in (1, 2) or V.shape[0] != self.p:
            raise ValueError(f"V must have shape ({self.p},) or ({self.p}, k); got {V.shape}")
        mask = np.zeros(self.n)
        mask[idx] = factor
        Vm = V[:, None] if V.ndim == 1 else V
        out = (
            self._model._curvature_product(
                self._cache, mask * self._w, mask[:, None] * self._D, Vm, self._exact
            )
            + self._mu * Vm
        )
        return out[:, 0] if V.ndim == 1 else out


class _SoftmaxModel(Model):
    """Cross-entropy on logits f(x, theta): everything but the network itself."""

    def _validate_common(self):
        check_nonnegative(self.l2, "l2")
        check_nonnegative(self.tol, "tol")
        if int(self.max_iter) != self.max_iter or self.max_iter < 1:
            raise ValueError(f"max_iter must be an integer >= 1; got {self.max_iter}")

    # --- shapes and validation ------------------------------------------------------------
    @property
    def n_features_(self):
        """Number of columns of ``X`` the model was fitted with."""
        check_fitted(self)
        return self.n_features_in_

    @property
    def n_classes_(self):
        """Number of classes :math:`K` of the fitted model."""
        check_fitted(self)
        return self._K

    def check_targets(self, y):
        """Raise ``ValueError`` unless every label is an integer in ``0 .. K - 1``.

        Before fitting only integrality and sign are checked; after, also the range.

        Parameters
        ----------
        y : array, shape (n,)
        """
        self._check_labels(y, self._K if getattr(self, "theta_", None) is not None else None)

    @staticmethod
    def _check_labels(y, n_classes):
        y = np.asarray(y, dtype=float)
        if np.any(y != np.round(y)) or np.any(y < 0):
            bad = np.unique(y[(y != np.round(y)) | (y < 0)])[:5]
            raise ValueError(
                "y must hold class labels 0, 1, ..., K-1 (non-negative integers); "
                f"found {bad.tolist()}"
            )
        if n_classes is not None and y.size and y.max() >= n_classes:
            raise ValueError(
                f"y holds the label {int(y.max())}, but the model has {n_classes} classes "
                f"(labels 0 .. {n_classes - 1})"
            )

    def _classes_from_theta(self, p, d):
        K = self._classes_for(p, d)
        if K is None:
            raise ValueError(
                f"theta has {p} entries, which fits no number of classes for {d} input "
                f"features (p = {self._size_formula()})"
            )
        return K

    def _data(self, X, y, theta):
        """Validated ``X``, ``y`` (int), ``theta`` and the number of classes."""
        if theta is None:
            check_fitted(self)
            theta, K = self.theta_, self._K
            X, y = check_Xy(X, y, n_features=self.n_features_in_)
        else:
            X, y = check_Xy(X, y)
            theta = np.asarray(theta, dtype=float)
            if theta.ndim != 1:
                raise ValueError(f"theta must be 1-D; got shape {theta.shape}")
            check_finite(theta, "theta")
            K = self._classes_from_theta(theta.shape[0], X.shape[1])
        self._check_labels(y, K)
        return X, y.astype(int), theta, K

    # --- the general objective Q ------------------------------------------------------------
    def _pieces(self, X, T, w, theta, K, mu, center):
        cache = self._forward(theta, X, K)
        Z = cache["Z"]
        # softmax and log-sum-exp from one exponential (the L-BFGS loop calls this often)
        top = Z.max(axis=1, keepdims=True)
        E = np.exp(Z - top)
        total = E.sum(axis=1, keepdims=True)
        P = E / total
        lse = top[:, 0] + np.log(total[:, 0])
        value = float(w @ (lse - np.einsum("nc,nc->n", T, Z)))
        diff = theta if center is None else theta - center
        value += 0.5 * mu * float(diff @ diff)
        D = w[:, None] * (P - T)
        return cache, P, D, value, diff

    def _value_grad(self, X, T, w, theta, K, mu, center):
        cache, _, D, value, diff = self._pieces(X, T, w, theta, K, mu, center)
        return value, self._backward(cache, D) + mu * diff

    def _hessian_matrix(self, cache, P, w, D, mu, exact):
        # M_i = w_i (diag(p_i) - p_i p_i^T), the curvature of the weighted loss in the logits
        M = w[:, None, None] * (P[:, :, None] * np.eye(P.shape[1]) - P[:, :, None] * P[:, None, :])
        H = self._ggn_matrix(cache, M)
        if exact:
            H += self._second_order(cache, D)
        H = 0.5 * (H + H.T)
        H[np.diag_indices_from(H)] += mu
        return H

    def _curvature_product(self, cache, w, D, V, exact):
        """Data part of the Hessian (or GGN) times the block ``V`` of shape (p, k)."""
        P = softmax(cache["Z"])
        RZ, state = self._rop_forward(cache, V)  # (n, K, k) = J V
        RD = w[:, None, None] * P[:, :, None] * (RZ - np.einsum("nc,nck->nk", P, RZ)[:, None, :])
        return self._rop_backward(cache, RD, D if exact else None, V, state)

    def minimize(
        self, X, targets, weights=None, mu=None, center=None, theta0=None, tol=None,
        lbfgs=None, hessian0=None
    ):  # fmt: skip
        r"""Minimise the general objective :math:`Q(\theta)` of the module docstring.

        L-BFGS (:func:`scipy.optimize.minimize`) brings :math:`\lVert\nabla Q\rVert` to about
        :math:`10^{-6}`; Newton's method with the exact Hessian then polishes it to the
        rounding floor. A Hessian that is not positive definite on the way (a saddle)
        gets a shift :math:`2\lvert\lambda_{\min}\rvert`.

        Parameters
        ----------
        X : array, shape (n, d)
        targets : array, shape (n, K)
            Target distributions :math:`t_i` (rows of :func:`one_hot` for labels).
        weights : array, shape (n,), optional
            Example weights :math:`w_i` (ones by default; may be negative).
        mu : float, optional
            Penalty :math:`\mu`; the model's ``l2`` by default.
        center : array, shape (p,), optional
            Centre :math:`\theta_c` of the penalty (zeros by default).
        theta0 : array, shape (p,), optional
            Starting point; the model's initialisation (:meth:`init_params`) by default.
        tol : float, optional
            Gradient norm above which a ConvergenceWarning is issued; the model's ``tol``
            by default.
        lbfgs : bool, optional
            Run L-BFGS before Newton's method. By default only for a cold start
            (``theta0=None``): from a warm start Newton's method alone is faster.
        hessian0 : array, shape (p, p), optional
            The Hessian of :math:`Q` at ``theta0``, if the caller has it (for example one
            shared Hessian plus the change of one example's weight, for many refits from
            the same :math:`\hat\theta`); used for Newton's first step when L-BFGS does
            not run, in place of building it.

        Returns
        -------
        theta : ndarray, shape (p,)
        grad_norm : float
            :math:`\lVert\nabla Q(\theta)\rVert_2` at the returned point.

        Raises
        ------
        ValueError
            If ``targets``, ``weights``, ``center`` or ``theta0`` has the wrong shape or
            non-finite entries, or ``mu`` is negative.

        Warns
        -----
        ConvergenceWarning
            If the gradient norm stays above ``tol`` (and above the rounding floor).
        """
        self._validate_params()
        X = as_matrix(X)
        T = np.asarray(targets, dtype=float)
        if T.ndim != 2 or T.shape[0] != X.shape[0] or T.shape[1] < 2:
            raise ValueError(
                f"targets must have shape ({X.shape[0]}, K) with K >= 2; got {T.shape}"
            )
        check_finite(T, "targets")
        K = T.shape[1]
        p = self._n_params(X.shape[1], K)
        w = np.ones(X.shape[0]) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (X.shape[0],):
            raise ValueError(f"weights must have shape ({X.shape[0]},); got {w.shape}")
        check_finite(w, "weights")
        mu = float(self.l2) if mu is None else check_nonnegative(mu, "mu")
        tol = float(self.tol) if tol is None else check_nonnegative(tol, "tol")
        if center is not None:
            center = np.asarray(center, dtype=float)
            if center.shape != (p,):
                raise ValueError(f"center must have shape ({p},); got {center.shape}")
        theta = self.init_params(X.shape[1], K) if theta0 is None else np.array(theta0, dtype=float)
        if theta.shape != (p,):
            raise ValueError(f"theta0 must have shape ({p},); got {theta.shape}")
        check_finite(theta, "theta0")

        def fun(t):
            return self._value_grad(X, T, w, t, K, mu, center)

        if hessian0 is not None:
            hessian0 = np.array(hessian0, dtype=float)
            if hessian0.shape != (p, p):
                raise ValueError(f"hessian0 must have shape ({p}, {p}); got {hessian0.shape}")
        if (theta0 is None) if lbfgs is None else lbfgs:
            res = _scipy_minimize(
                fun,
                theta,
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": int(self.max_iter), "gtol": 1e-7, "ftol": 1e-15, "maxcor": 20},
            )
            theta, hessian0 = res.x, None  # the Hessian at theta0 no longer applies
        return self._newton(X, T, w, theta, K, mu, center, tol, hessian0)

    def _newton(self, X, T, w, theta, K, mu, center, tol, hessian0=None):
        cache, P, D, value, diff = self._pieces(X, T, w, theta, K, mu, center)
        g = self._backward(cache, D) + mu * diff
        gnorm = float(np.linalg.norm(g))
        floor = (
            32
            * np.finfo(float).eps
            * (
                np.linalg.norm(np.abs(self._per_example(cache, D)).sum(axis=0))
                + mu * np.linalg.norm(diff)
            )
        )
        L, slow = None, 0
        for _ in range(min(100, int(self.max_iter))):
            # Stop at the rounding floor of the gradient, when a step with a factor fresh at
            # this point makes no progress, or when three steps in a row neither lower the
            # objective beyond its rounding error nor halve the gradient.
            if gnorm <= floor or slow == 3:
                break
            if L is None:
                # The exact Hessian, factored once and reused while the steps keep shrinking
                # the gradient fast (a chord method); rebuilt when they do not.
                if hessian0 is None:
                    H = self._hessian_matrix(cache, P, w, D, mu, exact=True)
                else:
                    H, hessian0 = hessian0, None
                try:
                    L = cho_factor(H)
                except np.linalg.LinAlgError:
                    shift = 2.0 * abs(float(np.linalg.eigvalsh(H)[0]))
                    H[np.diag_indices_from(H)] += shift
                    L = cho_factor(H)
                fresh = True
            step = cho_solve(L, g)
            rounding = 64 * np.finfo(float).eps * max(abs(value), 1.0)
            t = 1.0
            while True:
                cand = theta - t * step
                c_cache, c_P, c_D, c_value, c_diff = self._pieces(X, T, w, cand, K, mu, center)
                c_g = self._backward(c_cache, c_D) + mu * c_diff
                c_norm = float(np.linalg.norm(c_g))
                if c_value < value - rounding or (c_value <= value + rounding and c_norm < gnorm):
                    break
                if t < 1e-6:
                    break
                t *= 0.5
            if not (c_value < value - rounding or (c_value <= value + rounding and c_norm < gnorm)):
                # No progress: with a stale factor, rebuild it at this point; with a fresh
                # one the rounding floor of the gradient is reached (a rebuilt factor would be
                # the same matrix and repeat the same failed step).
                if fresh:
                    break
                L = None
                continue
            if c_norm > 0.5 * gnorm and t * np.linalg.norm(step) > 1e-8 * (
                1.0 + np.linalg.norm(theta)
            ):
                # A factor that no longer halves the gradient is rebuilt (a rebuild costs
                # as much as ~200 objective evaluations), unless the step was so short that
                # the Hessian is the same to ~1e-8 (at the rounding floor, where a rebuild
                # would cost a factorisation for nothing).
                L = None
            slow = slow + 1 if c_value >= value - rounding and c_norm > 0.5 * gnorm else 0
            fresh = False
            theta, cache, P, D, value, diff, g, gnorm = (
                cand,
                c_cache,
                c_P,
                c_D,
                c_value,
                c_diff,
                c_g,
                c_norm,
            )
        if gnorm > max(tol, 1e3 * floor):
            warnings.warn(
                f"{type(self).__name__}: L-BFGS and Newton's method stopped with gradient norm "
                f"{gnorm:.3e} > tol = {tol:.1e}. Raise max_iter, or check the data for "
                "non-finite or huge values.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return theta, gnorm

    # --- the model interface ----------------------------------------------------------------
    def fit(self, X, y):
        """Minimise :math:`R(\\theta)` from :meth:`init_params`; set ``theta_`` and ``grad_norm_``.

        Parameters
        ----------
        X : array, shape (n, d)
        y : array, shape (n,), labels 0 .. K-1

        Returns
        -------
        self

        Warns
        -----
        ConvergenceWarning
            If the gradient norm reached is above ``tol``.
        """
        self._validate_params()
        X, y = check_Xy(X, y)
        self._check_labels(y, None)
        K = max(int(y.max()) + 1, 2) if self.n_classes is None else int(self.n_classes)
        self._check_labels(y, K)
        theta, gnorm = self.minimize(X, one_hot(y, K))
        self.theta_, self._K, self.n_features_in_, self.grad_norm_ = theta, K, X.shape[1], gnorm
        return self

    def refit(self, X, y, theta0=None):
        """Minimiser of :math:`R` on ``(X, y)`` without changing this model, shape (p,).

        Parameters
        ----------
        X, y : arrays
        theta0 : array, shape (p,), optional
            Starting point; by default the model's initialisation, so that a refit of an
            :class:`MLPClassifier` is a cold start from the same seed.

        Returns
        -------
        ndarray, shape (p,)
        """
        check_fitted(self)
        X, y = check_Xy(X, y, n_features=self.n_features_in_)
        self.check_targets(y)
        return self.minimize(X, one_hot(y.astype(int), self._K), theta0=theta0)[0]

    def _minimize(self, X, y, theta0):
        return self.refit(X, y, theta0)

    def with_theta(self, theta, X=None, y=None):
        """Return a copy whose ``theta_`` is ``theta``; the model must be fitted (for its shapes).

        Parameters
        ----------
        theta : array, shape (p,)
        X, y : arrays, optional
            Training data; when given, warns if ``theta`` is not a minimiser on them.

        Returns
        -------
        model

        Raises
        ------
        ValueError
            If ``theta`` does not have the fitted shape or is not finite.
        """
        check_fitted(self)
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.n_params_,):
            raise ValueError(f"theta must have shape ({self.n_params_},); got {theta.shape}")
        check_finite(theta, "theta")
        model = copy.copy(self)
        model.theta_ = theta.copy()
        if X is not None and y is not None:
            model.check_optimality(X, y, stacklevel=3)
        return model

    def logits(self, X, theta=None):
        r"""Logits :math:`f(x_i, \theta)`, shape (n, K).

        Parameters
        ----------
        X : array, shape (n, d)
            Inputs, one per row, with the number of features the model was fitted with.
        theta : array, shape (p,), optional
            The network's parameters; the fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (n, K)
            Unnormalised: the softmax of row :math:`i` gives the class probabilities of
            :math:`x_i`.

        Raises
        ------
        ValueError
            If ``X`` or ``theta`` does not have the fitted shape.
        """
        X, theta = self._inputs(X, theta)
        return self._forward(theta, X, self._K)["Z"]

    def jacobian(self, X, theta=None):
        r"""Jacobians :math:`J_i = \partial f(x_i, \theta)/\partial\theta` of the logits.

        Column :math:`j` of :math:`J_i` is the R-operator's forward pass along the unit
        vector :math:`e_j`, so the result takes :math:`O(nKp)` memory: it is meant for
        small networks, such as the linearised network of
        :func:`~influence_demo.gap.linearized_pbrf`.

        Parameters
        ----------
        X : array, shape (n, d)
            Inputs, one per row, with the number of features the model was fitted with.
        theta : array, shape (p,), optional
            Where the network is differentiated; the fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (n, K, p)
            ``J[i] @ v`` is the directional derivative of the logits of :math:`x_i` along
            ``v``.

        Raises
        ------
        ValueError
            If ``X`` or ``theta`` does not have the fitted shape.

        Examples
        --------
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1, 2])
        >>> model = MLPClassifier(n_hidden=2, seed=0).fit(X, y)
        >>> v = np.random.default_rng(0).normal(size=model.n_params_)
        >>> step = (model.logits(X, model.theta_ + 1e-6 * v)
        ...         - model.logits(X, model.theta_ - 1e-6 * v)) / 2e-6
        >>> bool(np.allclose(model.jacobian(X) @ v, step, atol=1e-8))
        True
        """
        X, theta = self._inputs(X, theta)
        cache = self._forward(theta, X, self._K)
        return self._rop_forward(cache, np.eye(theta.size))[0]

    def _inputs(self, X, theta):
        check_fitted(self)
        X = as_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} columns but the model was fitted with {self.n_features_in_}"
            )
        theta = self.theta_ if theta is None else np.asarray(theta, dtype=float)
        if theta.shape != (self.n_params_,):
            raise ValueError(f"theta must have shape ({self.n_params_},); got {theta.shape}")
        check_finite(theta, "theta")
        return X, theta

    def predict_proba(self, X):
        """Class probabilities :math:`\\operatorname{softmax}(f(x_i, \\hat\\theta))`, shape (n, K).

        Parameters
        ----------
        X : array, shape (n, d)
            Inputs, one per row.

        Returns
        -------
        ndarray, shape (n, K)
            Rows that sum to 1.
        """
        return softmax(self.logits(X))

    def predict(self, X):
        """Most probable class of each row of ``X``, shape (n,).

        Parameters
        ----------
        X : array, shape (n, d)
            The inputs to classify, one per row.

        Returns
        -------
        ndarray of int, shape (n,)
            Labels in ``0 .. K-1``; a tie goes to the lower label.
        """
        return np.argmax(self.logits(X), axis=1)

    def _objective_pieces(self, X, y, theta, mu):
        """Unit weights and the pieces of :math:`Q` for one-hot labels and penalty ``mu``."""
        X, y, theta, K = self._data(X, y, theta)
        w = np.ones(len(y))
        return w, self._pieces(X, one_hot(y, K), w, theta, K, mu, None)

    def loss(self, X, y, theta=None):
        """Per-example cross-entropy :math:`L(z_i, \\theta)`, shape (n,).

        Parameters
        ----------
        X : array, shape (n, d)
            Inputs of the examples, one per row.
        y : array of int, shape (n,)
            Their labels, in ``0 .. K-1``.
        theta : array, shape (p,), optional
            The network's parameters; the fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (n,)
        """
        X, y, theta, K = self._data(X, y, theta)
        Z = self._forward(theta, X, K)["Z"]
        return _logsumexp(Z) - Z[np.arange(len(y)), y]

    def objective(self, X, y, theta=None):
        """Training objective :math:`R(\\theta)`, penalty included.

        Parameters
        ----------
        X, y : arrays, shape (n, d) and (n,)
            The training data whose cross-entropies are summed.
        theta : array, shape (p,), optional
            Where to evaluate :math:`R`; the fitted ``theta_`` by default.

        Returns
        -------
        float
        """
        _, (_, _, _, value, _) = self._objective_pieces(X, y, theta, float(self.l2))
        return value

    def objective_grad(self, X, y, theta=None):
        """Gradient :math:`\\nabla R(\\theta) = \\sum_i \\nabla L(z_i, \\theta) + \\lambda\\theta`.

        Parameters
        ----------
        X, y : arrays, shape (n, d) and (n,)
            The training data, whose per-example gradients are summed.
        theta : array, shape (p,), optional
            Where to take the gradient; the fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (p,)
            Zero, to rounding, at any stationary point of :math:`R` on ``X, y``.
        """
        _, (cache, _, D, _, diff) = self._objective_pieces(X, y, theta, float(self.l2))
        return self._backward(cache, D) + float(self.l2) * diff

    def grad(self, X, y, theta=None):
        """Per-example gradients :math:`\\nabla_\\theta L(z_i, \\theta) = J_i^\\top(p_i - e_{y_i})`.

        The penalty is not included.

        Parameters
        ----------
        X : array, shape (n, d)
            Inputs; row :math:`i` of the result belongs to example :math:`i`.
        y : array of int, shape (n,)
            Their labels.
        theta : array, shape (p,), optional
            The parameters to backpropagate at; the fitted ``theta_`` by default.

        Returns
        -------
        ndarray, shape (n, p)
        """
        X, y, theta, K = self._data(X, y, theta)
        cache = self._forward(theta, X, K)
        return self._per_example(cache, softmax(cache["Z"]) - one_hot(y, K))

    def _operator(self, X, y, theta, exact):
        w, (cache, _, D, _, _) = self._objective_pieces(X, y, theta, 0.0)
        return CurvatureOperator(self, cache, w, D, float(self.l2), exact)

    def _matrix(self, X, y, theta, exact):
        w, (cache, P, D, _, _) = self._objective_pieces(X, y, theta, 0.0)
        return self._hessian_matrix(cache, P, w, D, float(self.l2), exact)

    def hessian(self, X, y, theta=None):
        """The exact Hessian :math:`H = \\nabla^2 R(\\theta)` from its explicit formula.

        Parameters
        ----------
        X, y : arrays, shape (n, d) and (n,)
            The training data that :math:`H` sums over.
        theta : array, shape (p,), optional
            The point :math:`H` is taken at, a minimum or not; the fitted ``theta_`` by
            default.

        Returns
        -------
        ndarray, shape (p, p)
            Symmetric; for a network it can be indefinite.
        """
        return self._matrix(X, y, theta, exact=True)

    def ggn(self, X, y, theta=None):
        """The Gauss–Newton matrix :math:`G = \\sum_i J_i^\\top M_i J_i + \\lambda I`, shape (p, p).

        :math:`M_i = \\operatorname{diag}p_i - p_ip_i^\\top` is the curvature of the
        cross-entropy in the logits.

        Parameters
        ----------
        X, y : arrays, shape (n, d) and (n,)
            The training data that :math:`G` sums over.
        theta : array, shape (p,), optional
            The point the Jacobians :math:`J_i` are taken at; the fitted ``theta_`` by
            default.

        Returns
        -------
        ndarray, shape (p, p)
            Positive semi-definite, and positive definite for ``l2 > 0``.
        """
        return self._matrix(X, y, theta, exact=False)

    def hvp_operator(self, X, y, theta=None):
        """The map :math:`V \\mapsto HV` (exact Hessian, by the R-operator), validated once.

        Parameters
        ----------
        X, y : arrays, shape (n, d) and (n,)
            The training data; they are checked, and the network run forward on them, once
            for every later product.
        theta : array, shape (p,), optional
            The point the Hessian is taken at; the fitted ``theta_`` by default.

        Returns
        -------
        CurvatureOperator
            Call it on ``V`` of shape (p,) or (p, k) for :math:`HV`.
        """
        return self._operator(X, y, theta, exact=True)

    def ggn_operator(self, X, y, theta=None):
        """The map :math:`V \\mapsto GV` (Gauss–Newton), validated once.

        Parameters
        ----------
        X, y : arrays, shape (n, d) and (n,)
            The training data, checked and run forward once for all products.
        theta : array, shape (p,), optional
            Where the Jacobians are taken; ``theta_`` by default.

        Returns
        -------
        CurvatureOperator
            :math:`V \\mapsto GV` for ``V`` of shape (p,) or (p, k).
        """
        return self._operator(X, y, theta, exact=False)

    def ggn_hvp(self, V, X, y, theta=None):
        r"""Gauss–Newton-vector product :math:`GV = \sum_i J_i^\top M_i (J_i V) + \lambda V`.

        One forward pass of directional derivatives gives :math:`J_iV`; the backward pass
        of the linearised network gives :math:`J_i^\top(\cdot)`. :math:`G` is never formed.

        Parameters
        ----------
        V : array, shape (p,) or (p, k)
            The vectors to multiply, one per column.
        X, y : arrays, shape (n, d) and (n,)
            The training data that :math:`G` sums over.
        theta : array, shape (p,), optional
            Where the Jacobians are taken; the fitted ``theta_`` by default.

        Returns
        -------
        ndarray, the shape of ``V``
        """
        check_finite(V, "V")
        return self.ggn_operator(X, y, theta)(V)

    def get_params(self):
        """The constructor's parameters, as a dict (so that a copy with a new seed is easy).

        Returns
        -------
        dict
        """
        return {name: getattr(self, name) for name in self._param_names}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


class SoftmaxRegression(_SoftmaxModel):
    r"""Multi-class logistic regression: logits :math:`f(x, \theta) = Wx`, labels 0..K-1.

    ``theta`` is :math:`W` (shape (K, d)) flattened row by row. The model takes the design
    matrix as given; use :func:`~influence_demo.models.add_intercept` to fit biases. The
    objective is convex and :math:`H = G`. With two classes it is
    :class:`~influence_demo.models.LogisticRegression` in disguise: at the optimum
    :math:`w_0 = -w_1` and :math:`\beta = w_1 - w_0` minimises the logistic objective with
    penalty :math:`\lambda/2`.

    Parameters
    ----------
    l2 : float, default 1
        Penalty :math:`\lambda \ge 0`.
    n_classes : int, optional
        :math:`K`; by default one more than the largest label :meth:`fit` sees, and at
        least 2.
    tol : float, default 1e-8
        Gradient norm above which :meth:`fit` warns that it did not converge.
    max_iter : int, default 2000
        L-BFGS iterations; Newton's method then takes at most ``min(100, max_iter)`` steps.

    Examples
    --------
    >>> from influence_demo.models import add_intercept
    >>> X = add_intercept([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    >>> model = SoftmaxRegression(l2=0.1).fit(X, [0, 0, 1, 1, 2, 2])
    >>> model.predict(X)
    array([0, 0, 1, 1, 2, 2])
    >>> model.grad_norm_ < 1e-10
    True
    """

    _param_names = ("l2", "n_classes", "tol", "max_iter")

    def __init__(self, l2=1.0, n_classes=None, tol=1e-8, max_iter=2000):
        self.l2, self.n_classes, self.tol, self.max_iter = l2, n_classes, tol, max_iter

    def _validate_params(self):
        self._validate_common()
        if self.n_classes is not None and (
            int(self.n_classes) != self.n_classes or self.n_classes < 2
        ):
            raise ValueError(f"n_classes must be an integer >= 2; got {self.n_classes}")

    @staticmethod
    def _n_params(d, K):
        return K * d

    def _classes_for(self, p, d):
        return p // d if p % d == 0 and p // d >= 2 else None

    def _size_formula(self):
        return "K * d"

    def init_params(self, d, K):
        """Zeros, shape (K d,): the objective is convex, so the start does not matter.

        Parameters
        ----------
        d, K : int

        Returns
        -------
        ndarray
        """
        return np.zeros(K * d)

    def _forward(self, theta, X, K):
        W = theta.reshape(K, X.shape[1])
        return {"X": X, "K": K, "W": W, "Z": X @ W.T}

    def _backward(self, cache, D):
        return (D.T @ cache["X"]).ravel()

    def _per_example(self, cache, D):
        return (D[:, :, None] * cache["X"][:, None, :]).reshape(D.shape[0], -1)

    def _ggn_matrix(self, cache, M):
        r""":math:`\sum_i M_i \otimes x_i x_i^\top`, in the layout of ``theta``, shape (Kd, Kd)."""
        X = cache["X"]
        n, d = X.shape
        K = M.shape[1]
        XX = (X[:, :, None] * X[:, None, :]).reshape(n, d * d)
        G = (M.reshape(n, K * K).T @ XX).reshape(K, K, d, d)
        return G.transpose(0, 2, 1, 3).reshape(K * d, K * d)

    def _second_order(self, cache, D):
        return 0.0

    def _rop_forward(self, cache, V):
        X, K = cache["X"], cache["K"]
        V3 = V.reshape(K, X.shape[1], -1)
        return np.einsum("nd,cdk->nck", X, V3, optimize=True), None

    def _rop_backward(self, cache, RD, D, V, state):
        return np.einsum("nck,nd->cdk", RD, cache["X"], optimize=True).reshape(V.shape)


class MLPClassifier(_SoftmaxModel):
    r"""One hidden layer of tanh units and a softmax output, trained on the sum objective.

    .. math::

        a = W_1 x + b_1, \qquad u = \tanh a, \qquad f(x,\theta) = W_2 u + b_2 .

    ``theta`` is :math:`[W_1\ b_1]` (shape (h, d+1)) then :math:`[W_2\ b_2]` (shape
    (K, h+1)), each flattened row by row, so :math:`p = h(d+1) + K(h+1)`. Every parameter,
    biases included, carries the penalty :math:`\frac\lambda2\lVert\theta\rVert^2`.

    Parameters
    ----------
    n_hidden : int, default 8
        Hidden units :math:`h`.
    l2 : float, default 1
        Penalty :math:`\lambda \ge 0`.
    seed : int, default 0
        Seeds the initialisation (:meth:`init_params`), so a cold refit is reproducible.
    n_classes : int, optional
        :math:`K`; by default one more than the largest training label.
    tol : float, default 1e-8
        Gradient norm above which :meth:`fit` warns.
    max_iter : int, default 5000
        L-BFGS iterations; Newton's method then takes at most ``min(100, max_iter)`` steps.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 2)); y = (X[:, 0] * X[:, 1] > 0).astype(int)
    >>> model = MLPClassifier(n_hidden=4, l2=0.1, seed=0).fit(X, y)
    >>> model.n_params_, bool(model.grad_norm_ < 1e-8)
    (22, True)
    >>> V = rng.normal(size=(22, 3))
    >>> np.allclose(model.hvp(V, X, y), model.hessian(X, y) @ V)
    True
    """

    _param_names = ("n_hidden", "l2", "seed", "n_classes", "tol", "max_iter")

    def __init__(self, n_hidden=8, l2=1.0, seed=0, n_classes=None, tol=1e-8, max_iter=5000):
        self.n_hidden, self.l2, self.seed = n_hidden, l2, seed
        self.n_classes, self.tol, self.max_iter = n_classes, tol, max_iter

    def _validate_params(self):
        self._validate_common()
        if int(self.n_hidden) != self.n_hidden or self.n_hidden < 1:
            raise ValueError(f"n_hidden must be an integer >= 1; got {self.n_hidden}")
        if self.n_classes is not None and (
            int(self.n_classes) != self.n_classes or self.n_classes < 2
        ):
            raise ValueError(f"n_classes must be an integer >= 2; got {self.n_classes}")

    def _n_params(self, d, K):
        h = int(self.n_hidden)
        return h * (d + 1) + K * (h + 1)

    def _classes_for(self, p, d):
        h = int(self.n_hidden)
        rest = p - h * (d + 1)
        return (
            rest // (h + 1) if rest > 0 and rest % (h + 1) == 0 and rest // (h + 1) >= 2 else None
        )

    def _size_formula(self):
        return "n_hidden * (d + 1) + K * (n_hidden + 1)"

    def init_params(self, d, K):
        r"""The seeded starting point: entries :math:`\mathcal N(0, 1/\text{fan-in})`, shape (p,).

        Parameters
        ----------
        d, K : int
            Input features and classes.

        Returns
        -------
        ndarray, shape (h(d+1) + K(h+1),)
        """
        h = int(self.n_hidden)
        rng = np.random.default_rng(self.seed)
        A1 = rng.normal(size=(h, d + 1)) / np.sqrt(d + 1)
        A2 = rng.normal(size=(K, h + 1)) / np.sqrt(h + 1)
        return np.concatenate([A1.ravel(), A2.ravel()])

    def _forward(self, theta, X, K):
        n, d = X.shape
        h = int(self.n_hidden)
        p1 = h * (d + 1)
        A1, A2 = theta[:p1].reshape(h, d + 1), theta[p1:].reshape(K, h + 1)
        Xt = np.hstack([X, np.ones((n, 1))])
        U = np.tanh(Xt @ A1.T)
        Ut = np.hstack([U, np.ones((n, 1))])
        return {"X": X, "K": K, "Xt": Xt, "U": U, "Ut": Ut, "A1": A1, "A2": A2, "Z": Ut @ A2.T}

    def _backward(self, cache, D):
        Dz = D
        Da = (Dz @ cache["A2"][:, :-1]) * (1.0 - cache["U"] ** 2)
        return np.concatenate([(Da.T @ cache["Xt"]).ravel(), (Dz.T @ cache["Ut"]).ravel()])

    def _per_example(self, cache, D):
        n = D.shape[0]
        Da = (D @ cache["A2"][:, :-1]) * (1.0 - cache["U"] ** 2)
        G1 = (Da[:, :, None] * cache["Xt"][:, None, :]).reshape(n, -1)
        G2 = (D[:, :, None] * cache["Ut"][:, None, :]).reshape(n, -1)
        return np.hstack([G1, G2])

    def _ggn_matrix(self, cache, M):
        r""":math:`\sum_i J_i^\top M_i J_i` from the Kronecker structure of the Jacobian.

        With :math:`B_i = W_2\operatorname{diag}(1 - u_i^2)`, the Jacobian of the logits is
        :math:`[B_i \otimes \tilde x_i^\top,\ I_K \otimes \tilde u_i^\top]`, so each block
        is one matrix product over the examples.
        """
        Xt, Ut, U = cache["Xt"], cache["Ut"], cache["U"]
        W2 = cache["A2"][:, :-1]
        n, e = Xt.shape
        h, K = U.shape[1], M.shape[1]
        B = W2[None, :, :] * (1.0 - U**2)[:, None, :]  # (n, K, h)
        BM = np.einsum("nch,ncd->nhd", B, M)  # B_i^T M_i, (n, h, K)
        N = np.einsum("nhd,ndj->nhj", BM, B)  # B_i^T M_i B_i, (n, h, h)
        # G11: block (a, b) is sum_i N_i[a, b] x_i x_i^T, symmetric, and equal to block
        # (b, a); only the upper triangles of both are computed
        ie0, ie1 = np.triu_indices(e)
        ih0, ih1 = np.triu_indices(h)
        C = N[:, ih0, ih1].T @ (Xt[:, ie0] * Xt[:, ie1])  # (h(h+1)/2, e(e+1)/2)
        blocks = np.empty((C.shape[0], e, e))
        blocks[:, ie0, ie1] = C
        blocks[:, ie1, ie0] = C
        G11 = np.empty((h, e, h, e))
        G11[ih0, :, ih1, :] = blocks
        G11[ih1, :, ih0, :] = blocks
        XU = (Xt[:, :, None] * Ut[:, None, :]).reshape(n, e * (h + 1))
        UU = (Ut[:, :, None] * Ut[:, None, :]).reshape(n, (h + 1) ** 2)
        G12 = (BM.reshape(n, h * K).T @ XU).reshape(h, K, e, h + 1).transpose(0, 2, 1, 3)
        G22 = (M.reshape(n, K * K).T @ UU).reshape(K, K, h + 1, h + 1).transpose(0, 2, 1, 3)
        p1, p2 = h * e, K * (h + 1)
        G = np.empty((p1 + p2, p1 + p2))
        G[:p1, :p1] = G11.reshape(p1, p1)
        G[:p1, p1:] = G12.reshape(p1, p2)
        G[p1:, :p1] = G12.reshape(p1, p2).T
        G[p1:, p1:] = G22.reshape(p2, p2)
        return G

    def _second_order(self, cache, D):
        r"""Explicit :math:`\sum_i\sum_c D_{ic}\nabla^2_\theta f_c(x_i,\theta)`, shape (p, p).

        Only two kinds of entries are nonzero: within the row :math:`j` of :math:`[W_1\ b_1]`,
        :math:`\sum_i \delta u_{ij}\,(-2u_{ij}(1-u_{ij}^2))\,\tilde x_i\tilde x_i^\top` with
        :math:`\delta u = DW_2`, and between :math:`W_2[c, j]` and row :math:`j` of
        :math:`[W_1\ b_1]`, :math:`\sum_i D_{ic}(1-u_{ij}^2)\tilde x_i`.
        """
        Xt, U, K = cache["Xt"], cache["U"], cache["K"]
        W2 = cache["A2"][:, :-1]
        e = Xt.shape[1]
        h = U.shape[1]
        p1 = h * e
        S = np.zeros((p1 + K * (h + 1),) * 2)
        c2 = (D @ W2) * (-2.0 * U * (1.0 - U**2))  # (n, h)
        for j in range(h):
            S[j * e : (j + 1) * e, j * e : (j + 1) * e] = (Xt * c2[:, j : j + 1]).T @ Xt
        C = np.einsum("nc,nj,ne->cje", D, 1.0 - U**2, Xt)  # (K, h, e)
        for c in range(K):
            for j in range(h):
                r = p1 + c * (h + 1) + j
                S[r, j * e : (j + 1) * e] = C[c, j]
                S[j * e : (j + 1) * e, r] = C[c, j]
        return S

    def _rop_forward(self, cache, V):
        r"""Forward R-pass: the directional derivatives of a, u and f (this last is JV)."""
        Xt, Ut, U, K = cache["Xt"], cache["Ut"], cache["U"], cache["K"]
        h, e = cache["A1"].shape
        k = V.shape[1]
        V1 = V[: h * e].reshape(h, e, k)
        V2 = V[h * e :].reshape(K, h + 1, k)
        Ra = np.einsum("ne,jek->njk", Xt, V1, optimize=True)  # R{a}
        Ru = (1.0 - U**2)[:, :, None] * Ra  # R{u}
        RZ = np.einsum("njk,cj->nck", Ru, cache["A2"][:, :-1], optimize=True) + np.einsum(
            "nj,cjk->nck", Ut, V2, optimize=True
        )  # R{f}
        return RZ, (V1, V2, Ru)

    def _rop_backward(self, cache, RD, D, V, state):
        r"""Backward R-pass: :math:`\mathcal R\{\nabla_\theta\}` given :math:`\mathcal R\{D\}`.

        With ``D`` (the residual) the terms that differentiate the backward pass's own
        weights and activations are included (the Hessian); with ``D=None`` they are
        dropped, which leaves the linearised network's backward pass (the GGN).
        """
        _, V2, Ru = state
        Xt, Ut, U = cache["Xt"], cache["Ut"], cache["U"]
        W2 = cache["A2"][:, :-1]
        s = 1.0 - U**2
        R_gA2 = np.einsum("nck,nj->cjk", RD, Ut, optimize=True)  # R{D}^T u~
        R_du = np.einsum("nck,cj->njk", RD, W2, optimize=True)  # R{D} W2
        if D is not None:
            R_gA2[:, :-1, :] += np.einsum("nc,njk->cjk", D, Ru, optimize=True)  # D^T R{u}
            R_du += np.einsum("nc,cjk->njk", D, V2[:, :-1, :], optimize=True)  # D R{W2}
        R_da = s[:, :, None] * R_du
        if D is not None:
            du = D @ W2
            R_da += (du * (-2.0 * U))[:, :, None] * Ru  # du * R{1 - u^2}
        R_gA1 = np.einsum("njk,ne->jek", R_da, Xt, optimize=True)
        k = V.shape[1]
        return np.concatenate([R_gA1.reshape(-1, k), R_gA2.reshape(-1, k)], axis=0)


def curvature_spectrum(model, X, y, curvature="hessian"):
    """Eigenvalues of the Hessian or of the GGN at ``theta_``, ascending, shape (p,).

    Parameters
    ----------
    model : fitted SoftmaxRegression or MLPClassifier
    X, y : the training data
    curvature : {"hessian", "ggn"}

    Returns
    -------
    ndarray, shape (p,)

    Raises
    ------
    ValueError
        For an unknown ``curvature``.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1, 2])
    >>> model = SoftmaxRegression(l2=1.0).fit(X, y)
    >>> ev = curvature_spectrum(model, X, y)
    >>> bool(ev[0] >= 1.0 - 1e-12)  # the penalty bounds it below
    True
    """
    if curvature not in ("hessian", "ggn"):
        raise ValueError(f"curvature must be 'hessian' or 'ggn'; got {curvature!r}")
    M = model.hessian(X, y) if curvature == "hessian" else model.ggn(X, y)
    return np.linalg.eigvalsh(M)


__all__ = [
    "CurvatureOperator",
    "MLPClassifier",
    "SoftmaxRegression",
    "curvature_spectrum",
    "one_hot",
    "softmax",
]
