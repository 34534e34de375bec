r"""Fitted scikit-learn models as package models with exactly the same objective.

scikit-learn states its penalties in its own units and leaves the intercept unpenalised;
the package's models minimise :math:`R(\theta) = \sum_i L(z_i,\theta) + \frac12\theta^\top
\Lambda\theta` with :math:`\Lambda = \lambda I` except zeros at ``unpenalized`` coordinates.
:func:`from_sklearn` translates:

* ``LogisticRegression(C=C)``, binary, L2 penalty: scikit-learn minimises
  :math:`C\sum_i \ell_i + \frac12\lVert w\rVert^2`, the package model is
  ``LogisticRegression(l2=1/C)``;
* ``Ridge(alpha=a)``: :math:`\sum_i r_i^2 + a\lVert w\rVert^2`, so
  ``LinearRegression(l2=2a)``;
* ``LinearRegression()``: :math:`\sum_i r_i^2`, so ``LinearRegression(l2=0)``;
* ``LogisticRegressionCV`` and ``RidgeCV``: their final fit on all the data is the plain
  estimator's with the penalty the search chose (``C_``, ``alpha_``), translated as above;
* ``LogisticRegression(C=C, fit_intercept=False)`` with :math:`K > 2` classes:
  :math:`C\sum_i \ell_i + \frac12\lVert W\rVert_F^2` with the softmax loss, so
  :class:`~influence_demo.nn.SoftmaxRegression` ``(l2=1/C)``, its ``theta`` being ``coef_``
  flattened row by row. With intercepts the :math:`K` unpenalised intercepts make the
  Hessian singular (adding one constant to all of them changes nothing), so that case is
  refused.

With ``fit_intercept=True`` the design matrix gets a column of ones (:func:`add_intercept`)
and that last coordinate is left out of the penalty (``unpenalized=[-1]``). Dividing
:math:`C\sum\ell + \frac12\lVert w\rVert^2` by :math:`C` does not move its minimiser, hence
``l2 = 1/C``; a wrong guess (``l2 = C``, or a penalised intercept) gives silently wrong
influences, which is why the adapter does this for you.

scikit-learn stops its solvers at a loose tolerance (``tol=1e-4`` for ``LogisticRegression``),
and the influence function is a derivative *at* the minimiser. :func:`from_sklearn` therefore
checks :math:`\lVert\nabla R(\hat\theta)\rVert` at scikit-learn's coefficients and polishes
them by Newton's method (the package model's ``refit`` from scikit-learn's solution) down to
rounding. It reports how far that moved :math:`\hat\theta`.

A fit with ``sample_weight`` minimises the weighted sum :math:`\sum_i w_i L(z_i, \theta)`
plus the same penalty. Pass the same weights to :func:`from_sklearn`: the model is then a
:class:`~influence_demo.weighted.SampleWeighted`, which reads each training point's weight
from the last column of ``.X`` (test points get weight 1), and removing :math:`z_i` is
up-weighting its loss by :math:`-w_i`. Without them, a weighted fit is refused where the
fit shows it: its coefficients are not at the minimum of the unweighted objective, to the
tolerance that scikit-learn's solver stops at.

scikit-learn is imported only when these functions are called; the package does not need it.
"""

from dataclasses import dataclass

import numpy as np

from ._linalg import Cholesky
from ._validation import as_matrix, as_vector, check_Xy, is_sparse
from .exceptions import NotPositiveDefiniteError, SeparableDataError
from .models import LinearRegression, LogisticRegression, add_intercept
from .weighted import SampleWeighted

__all__ = ["SklearnAdapted", "from_sklearn"]

# How far, by default, the polished minimiser may lie from scikit-learn's coefficients,
# relative to their size, before the adapter concludes that the estimator is not at the
# minimiser of its objective.
FAR = 1e-2

# A converged lbfgs, newton-cg or newton-cholesky fit has max |gradient| <= tol on
# scikit-learn's (mean) scale; beyond this multiple of tol the coefficients do not minimise
# the objective they are checked against (rounding moves the gradient far less). At a tiny
# tol, lbfgs stops on the decrease of the objective instead, so a gradient below
# SOLVER_RTOL relative to its scale also passes.
SOLVER_SLACK = 2.0
SOLVER_RTOL = 1e-6

# Ridge's direct solvers (and LinearRegression on dense data) are exact: their relative
# gradient is rounding, far below this.
DIRECT_RTOL = 1e-8


@dataclass(repr=False)
class SklearnAdapted:
    r"""A fitted scikit-learn model translated into a package model and its data.

    Returned by :func:`from_sklearn`.

    Parameters
    ----------
    model : LinearRegression, LogisticRegression, SoftmaxRegression or SampleWeighted
        Fitted package model (``theta_`` = weights, then the intercept if any) with the
        estimator's objective, at the polished minimiser (a
        :class:`~influence_demo.weighted.SampleWeighted` for a weighted fit).
    X : ndarray, shape (n, p) or (n, p + 1)
        The training design matrix as the package model sees it (a column of ones appended
        when the estimator fits an intercept, then the example weights for a weighted fit).
    y : ndarray, shape (n,)
        The training targets (for a classifier, ``k`` for ``classes_[k]``: 0 and 1 for a
        binary one).
    estimator : object
        The scikit-learn estimator (not modified).
    theta_sklearn : ndarray, shape (p,)
        scikit-learn's coefficients (and intercept), before polishing.
    grad_norm_sklearn, grad_norm : float
        :math:`\lVert\nabla R\rVert` relative to the gradients' scale
        (:math:`\sum_i\lVert\nabla L(z_i)\rVert + \lVert\Lambda\theta\rVert`), at
        scikit-learn's coefficients and after polishing.
    polish_shift : float
        :math:`\lVert\hat\theta - \theta_{\text{sklearn}}\rVert / \lVert\hat\theta\rVert`.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> X = np.array([[0.0], [1.0], [2.0], [4.0]]); y = np.array([1.0, 2.0, 2.5, 5.0])
    >>> adapted = from_sklearn(Ridge(alpha=0.5).fit(X, y), X, y)
    >>> adapted.model, adapted.X.shape
    (LinearRegression(l2=1.0, unpenalized=[-1]), (4, 2))
    >>> adapted
    SklearnAdapted(estimator=Ridge(alpha=0.5),
                   model=LinearRegression(l2=1.0, unpenalized=[-1]),
                   X: 4 x 2, polish_shift=...)
    """

    model: object
    X: np.ndarray
    y: np.ndarray
    estimator: object
    theta_sklearn: np.ndarray
    grad_norm_sklearn: float
    grad_norm: float
    polish_shift: float

    def __repr__(self):
        n, p = self.X.shape
        pad = " " * len("SklearnAdapted(")
        return (
            f"SklearnAdapted(estimator={self.estimator!r},\n{pad}model={self.model!r},\n"
            f"{pad}X: {n} x {p}, polish_shift={self.polish_shift:.1e})"
        )

    def transform(self, X, y=None):
        """Map new data (for example a test set) the way the training data were mapped.

        Parameters
        ----------
        X : array or scipy sparse matrix, shape (m, d)
        y : array, shape (m,), optional
            Targets; class labels as the estimator knows them.

        Returns
        -------
        ndarray or tuple of ndarray
            ``X`` with the intercept column if the estimator has one (and, for a weighted
            fit, the weight 1 of a test point), or ``(X, y)`` when ``y`` is given, with
            classifier labels mapped to 0 .. K-1.

        Raises
        ------
        ValueError
            If ``X`` has the wrong number of columns or ``y`` holds an unknown label.

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression as SkLinear
        >>> X = np.array([[0.0], [1.0], [3.0]]); y = np.array([0.0, 1.0, 2.0])
        >>> from_sklearn(SkLinear().fit(X, y), X, y).transform([[2.0]])
        array([[2., 1.]])
        """
        weight = 1.0 if isinstance(self.model, SampleWeighted) else None
        return _transform(self.estimator, X, y, weight)


def _sklearn():
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ImportError(
            "from_sklearn needs scikit-learn, which is not installed: pip install scikit-learn"
        ) from None
    from sklearn import linear_model

    return linear_model


SUPPORTED = (
    "sklearn.linear_model.LogisticRegression and LogisticRegressionCV (L2 penalty or none; "
    "binary, or multinomial without intercepts), "
    "sklearn.linear_model.Ridge, RidgeCV and LinearRegression"
)


def _check_fitted(estimator):
    if not hasattr(estimator, "coef_"):
        raise ValueError(
            f"This {type(estimator).__name__} has not been fitted: call its fit(X, y) first, "
            "then pass it to from_sklearn with the same X and y."
        )


def _transform(estimator, X, y=None, weight=None):
    """``X`` (and ``y``) as the package model sees them; ``weight``: a last column of it."""
    X = _dense(X)
    if X.shape[1] != estimator.coef_.shape[-1]:
        raise ValueError(
            f"X has {X.shape[1]} columns but the estimator was fitted with "
            f"{estimator.coef_.shape[-1]}"
        )
    Xd = add_intercept(X) if estimator.fit_intercept else X
    if weight is not None:
        Xd = np.column_stack([Xd, np.broadcast_to(weight, Xd.shape[:1])])
    if y is None:
        return Xd
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if hasattr(estimator, "classes_"):
        unknown = ~np.isin(y, estimator.classes_)
        if np.any(unknown):
            raise ValueError(
                f"y holds labels {np.unique(y[unknown])[:5].tolist()} that the estimator never "
                f"saw; its classes are {estimator.classes_.tolist()}"
            )
        y = np.searchsorted(estimator.classes_, y).astype(float)  # class k -> label k
    Xd, y = check_Xy(Xd, y)
    return Xd, y


def _dense(X):
    if is_sparse(X):  # scipy's sparse matrices: the adapter densifies them
        X = X.toarray()
    return as_matrix(X)


def _translate(estimator, linear_model):
    """The package model with the estimator's objective (unfitted), or a clear error."""
    unpenalized = [-1] if estimator.fit_intercept else None
    if isinstance(estimator, linear_model.LogisticRegression):
        if estimator.class_weight is not None:
            raise ValueError(
                f"class_weight={estimator.class_weight!r} weights the loss of each class; "
                "from_sklearn supports only class_weight=None. The same objective: refit with "
                "sample_weight=w, w = sklearn.utils.class_weight.compute_sample_weight("
                f"{estimator.class_weight!r}, y), and pass sample_weight=w to from_sklearn."
            )
        if estimator.solver == "liblinear" and estimator.fit_intercept:
            raise ValueError(
                "solver='liblinear' penalises the intercept (through intercept_scaling), "
                "unlike every other solver. Refit with solver='lbfgs' or 'newton-cholesky', "
                "or with fit_intercept=False."
            )
        l2 = _logistic_l2(estimator, linear_model)
        if len(estimator.classes_) > 2:
            return _multinomial(estimator, l2)
        return LogisticRegression(l2=l2, unpenalized=unpenalized)
    if isinstance(estimator, (linear_model.Ridge, linear_model.RidgeCV)):
        cv = isinstance(estimator, linear_model.RidgeCV)
        alpha = np.asarray(estimator.alpha_ if cv else estimator.alpha, dtype=float)
        if alpha.ndim != 0 or estimator.coef_.ndim != 1:
            raise ValueError(
                f"from_sklearn supports {type(estimator).__name__} with one target and a "
                f"scalar alpha; got coef_ of shape {estimator.coef_.shape} and "
                f"{'alpha_' if cv else 'alpha'} {alpha.tolist()!r}"
            )
        if getattr(estimator, "positive", False):
            raise ValueError(
                "Ridge(positive=True) is a constrained fit; from_sklearn needs positive=False"
            )
        return LinearRegression(l2=2.0 * float(alpha), unpenalized=unpenalized)
    # The one left: from_sklearn has checked that the estimator is of a supported class.
    if estimator.coef_.ndim != 1:
        raise ValueError(
            f"from_sklearn supports LinearRegression with one target; got coef_ of shape "
            f"{estimator.coef_.shape}"
        )
    if estimator.positive:
        raise ValueError(
            "LinearRegression(positive=True) is a constrained fit; "
            "from_sklearn needs positive=False"
        )
    return LinearRegression(l2=0.0)


def _logistic_l2(estimator, linear_model):
    r"""``l2 = 1/C`` for the C (and L2 penalty) the fit used, or a clear error.

    A ``LogisticRegressionCV`` refits on all the data with the ``C_`` and ``l1_ratio_`` its
    search chose (one per class in scikit-learn's legacy attributes, all equal).
    """
    name = type(estimator).__name__
    penalty = getattr(estimator, "penalty", "deprecated")  # deprecated in scikit-learn 1.8
    if isinstance(estimator, linear_model.LogisticRegressionCV):
        if not estimator.refit:
            raise ValueError(
                "LogisticRegressionCV(refit=False) averages the coefficients fitted on the "
                "cross-validation folds: they minimise no objective on X, y, so there is no "
                "influence function. Fit with refit=True (the default), or fit "
                "LogisticRegression(C=C_) on X, y with the C_ the search chose."
            )
        Cs = np.unique(np.ravel(estimator.C_).astype(float))
        ratios = np.unique([0.0 if r is None else float(r) for r in np.ravel(estimator.l1_ratio_)])
        if Cs.size != 1:
            raise ValueError(
                f"This LogisticRegressionCV chose a different C_ for each class "
                f"({Cs.tolist()}); from_sklearn needs one objective, with one C."
            )
        C, l1_ratio = float(Cs[0]), float(ratios.max())
        setting = f"l1_ratio_={l1_ratio:g} chosen from l1_ratios={estimator.l1_ratios!r}"
    else:
        C, l1_ratio = float(estimator.C), getattr(estimator, "l1_ratio", None)
        setting = f"l1_ratio={l1_ratio!r}"
    if penalty != "deprecated":
        setting = f"penalty={penalty!r}"
    if penalty in ("l1", "elasticnet") or (
        penalty in ("deprecated", "l2") and l1_ratio not in (None, 0, 0.0)
    ):
        raise ValueError(
            f"{name} with an L1 or elastic-net penalty ({setting}) has no Hessian where "
            "coefficients are zero, so the influence function is not defined. from_sklearn "
            "supports the L2 penalty (l1_ratio=0) or none (C=np.inf)."
        )
    return 0.0 if (penalty is None or np.isinf(C)) else 1.0 / C


def _multinomial(estimator, l2):
    r"""The package's SoftmaxRegression for a multinomial fit without intercepts."""
    K = len(estimator.classes_)
    if estimator.fit_intercept:
        raise ValueError(
            f"This LogisticRegression has {K} classes ({estimator.classes_.tolist()}) and "
            "fits intercepts. scikit-learn leaves its K intercepts unpenalised, and the "
            "softmax loss does not change when one constant is added to all of them, so that "
            "objective has a singular Hessian and no influence function. from_sklearn "
            "supports several classes with fit_intercept=False (append a column of ones to X "
            "yourself to fit penalised biases), and two classes either way."
        )
    from .nn import SoftmaxRegression

    return SoftmaxRegression(l2=l2, n_classes=K)


def _theta(estimator):
    # Multinomial: coef_ is W of shape (K, d), flattened row by row as SoftmaxRegression's
    # theta (never with intercepts, see _multinomial).
    coef = np.asarray(estimator.coef_, dtype=float).ravel()
    if estimator.fit_intercept:
        return np.append(coef, float(np.ravel(estimator.intercept_)[0]))
    return coef


def _relative_gradient(model, X, y, theta):
    G = model.grad(X, y, theta)
    g = model.objective_grad(X, y, theta)
    scale = np.linalg.norm(G, axis=1).sum() + np.linalg.norm(g - G.sum(axis=0))
    return float(np.linalg.norm(g) / scale) if scale > 0 else 0.0


def _sample_weight(sample_weight, n, K):
    """The weights as a checked vector of length ``n``."""
    w = as_vector(sample_weight, "sample_weight")
    if w.shape[0] != n:
        raise ValueError(f"sample_weight has {w.shape[0]} entries for {n} training points")
    if np.any(w < 0) or not np.any(w > 0):
        raise ValueError(
            "sample_weight must be >= 0 with at least one positive weight; "
            f"got weights from {w.min():g} to {w.max():g}"
        )
    if K > 2:
        raise ValueError(
            f"from_sklearn supports sample_weight for two classes, Ridge and "
            f"LinearRegression; this LogisticRegression has {K} classes."
        )
    return w


def _solver_check(estimator, model, X, y, theta, sparse_input, linear_model):
    """``(found, bound, what)`` when the solver's own stopping rule is broken at ``theta``.

    ``None`` when the coefficients pass, or when the solver gives no such guarantee (sag,
    saga, liblinear, the iterative Ridge solvers, a fit stopped at max_iter, a fit in
    float32).
    """
    if np.asarray(estimator.coef_).dtype != np.float64:
        return None  # fitted in float32: its rounding, not its tolerance, bounds the gradient
    if isinstance(estimator, linear_model.LogisticRegression):
        n_iter = np.max(estimator.n_iter_)
        if estimator.solver not in ("lbfgs", "newton-cg", "newton-cholesky") or (
            n_iter >= estimator.max_iter
        ):
            return None
        # scikit-learn's objective is R / sum(w): its solvers stop at max |grad| <= tol.
        w = X[:, -1] if isinstance(model, SampleWeighted) else np.ones(X.shape[0])
        found = float(np.abs(model.objective_grad(X, y, theta)).max() / w.sum())
        bound = SOLVER_SLACK * estimator.tol
        what = f"max |gradient| {found:.1e} of the mean objective, > {bound:.0e} = 2 tol"
        if _relative_gradient(model, X, y, theta) <= SOLVER_RTOL:
            return None
    else:
        exact = (
            getattr(estimator, "solver_", None) in ("cholesky", "svd")
            or (isinstance(estimator, linear_model.RidgeCV) and not sparse_input)
            or (isinstance(estimator, linear_model.LinearRegression) and not sparse_input)
        )
        if not exact:
            return None
        found, bound = _relative_gradient(model, X, y, theta), DIRECT_RTOL
        what = f"relative gradient {found:.1e} from a direct solver, > {bound:.0e}"
    return (found, bound, what) if found > bound else None


def _polish(model, X, y, theta, estimator):
    """The minimiser, from scikit-learn's coefficients; errors in scikit-learn's terms."""
    name = type(estimator).__name__
    try:
        theta = model.refit(X, y, theta0=theta)
        # the influence function needs H^-1: a singular H is reported here, in these terms
        Cholesky(model.hessian(X, y, theta), "Hessian")
        return theta
    except SeparableDataError:
        raise SeparableDataError(
            f"The classes are linearly separable, and this {name} has no penalty (C=np.inf "
            "or penalty=None): its loss has no minimum, and the coefficients scikit-learn "
            "returned depend on where its solver stopped. Refit the estimator with a finite "
            "C (the default C=1.0, or choose one with LogisticRegressionCV)."
        ) from None
    except NotPositiveDefiniteError:
        alpha = getattr(estimator, "alpha_", getattr(estimator, "alpha", 0.0))
        cure = (
            "a finite C" if hasattr(estimator, "C") else
            "Ridge(alpha > 0)" if np.all(alpha == 0) else "a larger alpha"
        )
        raise NotPositiveDefiniteError(
            f"The Hessian of this {name}'s objective is singular (collinear columns, or "
            f"fewer points than features without a penalty), so it has no unique minimiser "
            f"and no influence function. Refit with {cure}, or drop redundant columns."
        ) from None


def from_sklearn(estimator, X, y, sample_weight=None, max_shift=FAR):
    r"""Translate a fitted scikit-learn linear model into a package model, with its data.

    The package model has exactly the estimator's objective: ``l2 = 1/C`` for
    ``LogisticRegression`` (``SoftmaxRegression`` for more than two classes),
    ``l2 = 2 * alpha`` for ``Ridge``, ``l2 = 0`` for
    ``LinearRegression``, and the intercept left out of the penalty when
    ``fit_intercept=True``; for ``LogisticRegressionCV`` and ``RidgeCV``, the ``C_`` and
    ``alpha_`` their search chose and refitted with. With ``sample_weight`` it is the
    weighted sum :math:`\sum_i w_i L(z_i, \theta)` plus the penalty, a
    :class:`~influence_demo.weighted.SampleWeighted` model. Its :math:`\hat\theta` starts
    from scikit-learn's coefficients and is polished by Newton's method to the minimiser
    (scikit-learn's solvers stop at a loose tolerance); ``grad_norm_sklearn``,
    ``grad_norm`` and ``polish_shift`` say how far that moved it.

    Parameters
    ----------
    estimator : fitted scikit-learn linear model
        ``LogisticRegression`` or ``LogisticRegressionCV`` with the L2 penalty or none
        (``C=np.inf``), any solver but ``liblinear`` with an intercept, no
        ``class_weight``; binary, or multinomial with ``fit_intercept=False``.
        ``Ridge``, ``RidgeCV`` or ``LinearRegression`` with one target.
    X : array or scipy sparse matrix, shape (n, d)
        The training inputs the estimator was fitted on (sparse input is densified).
    y : array, shape (n,)
        The training targets (class labels as the estimator saw them).
    sample_weight : array, shape (n,), optional
        The ``sample_weight`` the estimator was fitted with, if any (not for more than two
        classes). ``.X`` then ends with a column of these weights.
    max_shift : float, default 1e-2
        Largest accepted :math:`\lVert\hat\theta - \theta_{\text{sklearn}}\rVert /
        \lVert\hat\theta\rVert` after polishing. A larger distance means that the
        estimator is not the model whose influence would be computed: it did not converge,
        or it minimised another objective.

    Returns
    -------
    SklearnAdapted
        ``.model`` (fitted package model), ``.X`` and ``.y`` (the training data as the
        model sees them), ``.transform(X_test, y_test)`` for new data, and the polishing
        figures.

    Raises
    ------
    TypeError
        For an estimator that is not one of those above.
    ValueError
        For an unfitted estimator, an L1 or elastic-net penalty, ``class_weight``, more
        than two classes with intercepts, several targets, ``positive=True``, data that do
        not match the estimator, or coefficients that do not minimise the estimator's
        objective on these data: more than ``max_shift`` away, or (for the solvers that
        stop on the gradient: lbfgs, newton-cg, newton-cholesky, Ridge's direct solvers)
        with a gradient above that solver's tolerance. Such a fit was made with other
        weights (pass ``sample_weight``), on other data, or far from converged.
    SeparableDataError
        For separable classes without a penalty (``C=np.inf``).
    NotPositiveDefiniteError
        For a singular Hessian (collinear columns without a penalty).

    Notes
    -----
    With weights, removing :math:`z_i` is up-weighting its loss by :math:`-w_i`; the
    influences of ``.model`` are those of the weighted losses :math:`w_i L(z_i)`, so
    :math:`-\mathcal I_{\text{up,loss}}` still predicts the effect of removing each point
    (see :mod:`influence_demo.weighted`).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression as SkLogistic
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> sk = SkLogistic(C=0.5, max_iter=1000).fit(X, y)
    >>> adapted = from_sklearn(sk, X, y)
    >>> adapted.model
    LogisticRegression(l2=2.0, tol=1e-10, max_iter=100, unpenalized=[-1])
    >>> adapted.grad_norm < 1e-12
    True
    >>> proba = adapted.model.predict_proba(adapted.transform(X[:3]))
    >>> np.allclose(proba, sk.predict_proba(X[:3])[:, 1], atol=1e-4)
    True

    A weighted fit:

    >>> w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    >>> sk = SkLogistic(C=0.5, max_iter=1000).fit(X, y, sample_weight=w)
    >>> adapted = from_sklearn(sk, X, y, sample_weight=w)
    >>> adapted.model
    SampleWeighted(LogisticRegression(l2=2.0, tol=1e-10, max_iter=100, unpenalized=[-1]))
    >>> adapted.X.shape  # the 30 features, the intercept's ones, the weights
    (569, 32)
    """
    linear_model = _sklearn()
    from sklearn.base import BaseEstimator

    if not isinstance(estimator, BaseEstimator):
        raise TypeError(
            f"from_sklearn takes a fitted scikit-learn estimator; got {type(estimator).__name__}. "
            f"It supports {SUPPORTED}."
        )
    supported = (
        linear_model.LogisticRegression,  # and LogisticRegressionCV, a subclass
        linear_model.Ridge,
        linear_model.RidgeCV,
        linear_model.LinearRegression,
    )
    if not isinstance(estimator, supported):
        raise TypeError(
            f"from_sklearn does not support {type(estimator).__name__}. It supports {SUPPORTED}."
        )
    _check_fitted(estimator)
    model = _translate(estimator, linear_model)
    Xd, yd = _transform(estimator, X, y)
    if sample_weight is not None:
        w = _sample_weight(sample_weight, Xd.shape[0], len(getattr(estimator, "classes_", ())))
        model, Xd = SampleWeighted(model), np.column_stack([Xd, w])
    theta_sk = _theta(estimator)
    rel_sk = _relative_gradient(model, Xd, yd, theta_sk)
    weights_hint = (
        "with other sample weights than those passed" if sample_weight is not None
        else "with sample_weight (pass the same weights: from_sklearn(estimator, X, y, "
        "sample_weight=w))"
    )
    broken = _solver_check(estimator, model, Xd, yd, theta_sk, is_sparse(X), linear_model)
    if broken is not None:
        raise ValueError(
            f"scikit-learn's coefficients do not minimise the objective that its parameters "
            f"imply on these data, even to the tolerance its solver stops at "
            f"({broken[2]}). The estimator was fitted {weights_hint}, or on other data."
        )
    if len(getattr(estimator, "classes_", ())) > 2:
        model.fit(Xd, yd)  # SoftmaxRegression learns its shapes (K, d) in fit
    theta = _polish(model, Xd, yd, theta_sk, estimator)
    shift = float(
        np.linalg.norm(theta - theta_sk) / max(np.linalg.norm(theta), np.finfo(float).tiny)
    )
    if shift > max_shift:
        raise ValueError(
            f"scikit-learn's coefficients are far from the minimiser of the objective that "
            f"its parameters imply on these data (relative distance {shift:.2g} > max_shift = "
            f"{max_shift:.2g}; relative gradient norm {rel_sk:.2g}). Either the estimator "
            "stopped far from convergence (refit it with a larger max_iter or a smaller tol, "
            "or standardise the features; or pass max_shift=np.inf to use the minimiser "
            f"anyway), or it was fitted {weights_hint}, or on other data."
        )
    fitted = model.with_theta(theta)
    return SklearnAdapted(
        model=fitted,
        X=Xd,
        y=yd,
        estimator=estimator,
        theta_sklearn=theta_sk,
        grad_norm_sklearn=rel_sk,
        grad_norm=_relative_gradient(fitted, Xd, yd, theta),
        polish_shift=shift,
    )
