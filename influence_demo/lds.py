r"""Judging an attribution: subset retraining and the linear datamodeling score (LDS).

Leave-one-out correlation asks whether a method's scores predict the effect of removing
*one* training point. For a network that effect is small against the noise of retraining,
so the field (Ilyas et al. 2022; Park et al. 2023) asks a question about *many* points
at once. Draw subsets :math:`S_1,\dots,S_K` of the training set, each holding a fraction
:math:`\alpha` of the points, refit the model on each, and record the test losses
:math:`L_{jk} = L(z_{\text{test},j}, \hat\theta_{S_k})`. A method that scores training
point :math:`i` against test point :math:`j` by :math:`\tau_{ji}` (oriented like
:math:`\mathcal I_{\text{up,loss}}`, so that :math:`-\tau_{ji}` is the predicted change of
the test loss when :math:`z_i` is removed) predicts, if removal effects add up,

.. math::

    \hat L_{jk} = L(z_{\text{test},j}, \hat\theta) + \sum_{i\notin S_k} (-\tau_{ji}),

and its LDS on test point :math:`j` is the Spearman correlation over the subsets,
:math:`\operatorname{LDS}_j = \rho_{\text{S}}\bigl((\hat L_{jk})_k, (L_{jk})_k\bigr)`.

:func:`subset_retrain` makes the refits, :func:`lds` scores a method against them and
:func:`mean_lds` gives the mean over test points with a bootstrap spread. Beside them,
:func:`loo_correlation` and :func:`detection_auc` are the two other yardsticks of
dattri's benchmark (Deng et al. 2024): correlation with leave-one-out retraining and the
area under the ROC curve of noisy-label detection. Used in the chapter
:doc:`/book/lds`.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata as _scipy_rankdata

from ._validation import check_data, check_finite, check_fitted
from .nn import one_hot
from .progress import progress_bar
from .retrain import STARTS

__all__ = [
    "SubsetRefits",
    "subset_retrain",
    "lds",
    "MeanLDS",
    "mean_lds",
    "loo_correlation",
    "detection_auc",
]


@dataclass
class SubsetRefits:
    """The models refitted on random subsets of the training data, and their test losses.

    Parameters
    ----------
    masks, losses, params, init_seeds, start : see Attributes

    Attributes
    ----------
    masks : ndarray of bool, shape (n_subsets, n)
        ``masks[k, i]`` is True when training point ``i`` is kept in subset ``k``.
    losses : ndarray, shape (n_subsets, m)
        ``losses[k, j]`` is the loss of test point ``j`` under the model refitted on
        subset ``k``.
    params : ndarray, shape (n_subsets, p)
        The refitted parameters.
    init_seeds : ndarray of int or None
        For ``start="new_seed"``, the seed of each refit's initialisation.
    start : str
        Where each refit started (``"warm"``, ``"same_init"`` or ``"new_seed"``).

    Examples
    --------
    >>> r = SubsetRefits(np.ones((3, 4), bool), np.zeros((3, 2)), np.zeros((3, 5)), None, "warm")
    >>> r.masks.shape, r.losses.shape
    ((3, 4), (3, 2))
    """

    masks: np.ndarray
    losses: np.ndarray
    params: np.ndarray
    init_seeds: np.ndarray
    start: str


def _check_masks(masks, n):
    masks = np.asarray(masks)
    if masks.dtype != bool or masks.ndim != 2 or masks.shape[1] != n:
        raise ValueError(
            f"masks must be a boolean array of shape (n_subsets, {n}); got dtype "
            f"{masks.dtype} and shape {masks.shape}"
        )
    if masks.shape[0] < 3:
        raise ValueError(f"masks must hold at least 3 subsets; got {masks.shape[0]}")
    empty = np.flatnonzero(~masks.any(axis=1))
    if empty.size:
        raise ValueError(f"subset {int(empty[0])} keeps no training point")
    return masks


def _draw_masks(rng, n, fraction, n_subsets):
    fraction = float(fraction)
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie strictly between 0 and 1; got {fraction}")
    k = int(round(fraction * n))
    if not 1 <= k <= n - 1:
        raise ValueError(
            f"fraction = {fraction} of {n} training points keeps {k}: a subset must keep at "
            "least one point and leave out at least one"
        )
    if int(n_subsets) != n_subsets or n_subsets < 3:
        raise ValueError(f"n_subsets must be an integer >= 3; got {n_subsets}")
    keys = rng.random((int(n_subsets), n))
    kept = np.argsort(keys, axis=1)[:, :k]
    masks = np.zeros((int(n_subsets), n), dtype=bool)
    masks[np.arange(int(n_subsets))[:, None], kept] = True
    return masks


def subset_retrain(
    model,
    X,
    y,
    X_test,
    y_test,
    *,
    fraction=0.5,
    n_subsets=100,
    seed=0,
    start="warm",
    masks=None,
    progress=None,
):
    r"""Refit the model on random subsets of the training data; record the test losses.

    Each subset keeps :math:`\operatorname{round}(\alpha n)` of the :math:`n` training
    points, drawn uniformly without replacement (``fraction`` is :math:`\alpha`). Each
    refit minimises the model's sum objective over the kept points,

    .. math::

        \hat\theta_{S} = \arg\min_\theta \sum_{i\in S} L(z_i,\theta)
        + \frac\lambda2\lVert\theta\rVert^2,

    and is driven to the rounding floor of its gradient, as the leave-one-out refits of
    :func:`~influence_demo.loo.loo_params` are (``Model.refit`` for the linear models;
    L-BFGS then Newton's method for :class:`~influence_demo.nn.SoftmaxRegression` and
    :class:`~influence_demo.nn.MLPClassifier`). ``start`` is that of
    :func:`~influence_demo.retrain.retrain`: ``"warm"`` starts from :math:`\hat\theta`,
    ``"same_init"`` from the model's own initialisation and ``"new_seed"`` from a fresh
    initialisation per subset. Used in the chapter :doc:`/book/lds`.

    Parameters
    ----------
    model : Model
        A fitted model; its ``theta_`` is the warm start.
    X, y : arrays, shape (n, d) and (n,)
        The training data the model was fitted on.
    X_test, y_test : arrays, shape (m, d) and (m,)
        The test points whose losses are recorded.
    fraction : float, default 0.5
        :math:`\alpha`, the fraction of the training points each subset keeps.
    n_subsets : int, default 100
        The number of subsets (at least 3).
    seed : int, default 0
        Seeds ``np.random.default_rng``, which draws the masks and then, for
        ``start="new_seed"``, one initialisation seed per subset.
    start : {"warm", "same_init", "new_seed"}, default "warm"
        Where each refit starts.
    masks : array of bool, shape (n_subsets, n), optional
        Refit on these subsets instead of drawing them (``fraction`` and ``n_subsets``
        are then not used; ``seed`` still draws the initialisations). Passing the masks
        of an earlier call with another ``seed`` gives an independent set of refits on
        the same subsets: the noise of retraining itself.
    progress : bool, optional
        Show a progress bar over the refits
        (:func:`~influence_demo.progress.progress_bar`).

    Returns
    -------
    SubsetRefits
        ``masks`` (n_subsets, n), ``losses`` (n_subsets, m), ``params``, ``init_seeds``
        and ``start``.

    Raises
    ------
    ValueError
        For an unknown ``start``, a ``fraction`` outside (0, 1) or one that keeps no
        point (or every point), fewer than 3 subsets, masks of the wrong shape or type,
        or ``start="new_seed"`` with a convex model, which has no seed.

    Examples
    --------
    >>> from influence_demo import LogisticRegression, make_logistic_data
    >>> X, y, X_test, y_test = make_logistic_data(n=40, p=3, rng=0, n_test=2)
    >>> model = LogisticRegression(l2=1.0).fit(X, y)
    >>> refits = subset_retrain(model, X, y, X_test, y_test, n_subsets=5)
    >>> refits.masks.shape, refits.losses.shape, refits.masks.sum(axis=1)
    ((5, 40), (5, 2), array([20, 20, 20, 20, 20]))
    >>> one = LogisticRegression(l2=1.0).fit(X[refits.masks[0]], y[refits.masks[0]])
    >>> np.allclose(refits.losses[0], one.loss(X_test, y_test))  # the refit of subset 0
    True
    """
    check_fitted(model)
    if start not in STARTS:
        raise ValueError(f"start must be one of {', '.join(map(repr, STARTS))}; got {start!r}")
    X, y = check_data(model, X, y)
    X_test, y_test = check_data(model, X_test, y_test, names=("X_test", "y_test"))
    n = X.shape[0]
    get_params = getattr(model, "get_params", None)
    if start == "new_seed" and "seed" not in (get_params() if callable(get_params) else {}):
        raise ValueError(
            f"{type(model).__name__} has no seed: its objective is convex, so every start "
            "reaches the same minimum. Use start='warm'."
        )
    rng = np.random.default_rng(seed)
    masks = _draw_masks(rng, n, fraction, n_subsets) if masks is None else _check_masks(masks, n)
    S = masks.shape[0]
    init_seeds = rng.integers(0, 2**31 - 1, size=S) if start == "new_seed" else None
    theta0 = model.theta_ if start == "warm" else None
    networked = callable(getattr(model, "minimize", None))
    T = one_hot(y.astype(int), model.n_classes_) if networked else None
    params = np.empty((S, model.n_params_))
    for k in progress_bar(range(S), desc=f"subset refits ({start})", show=progress):
        keep = masks[k]
        if not networked:
            params[k] = model.refit(X[keep], y[keep], theta0=theta0)
            continue
        solver = model
        if start == "new_seed":
            solver = type(model)(**{**model.get_params(), "seed": int(init_seeds[k])})
        params[k] = solver.minimize(X[keep], T[keep], theta0=theta0, lbfgs=True)[0]
    losses = np.stack([model.loss(X_test, y_test, theta) for theta in params])
    return SubsetRefits(masks, losses, params, init_seeds, start)


def _check_subsets(subsets):
    masks = getattr(subsets, "masks", None)
    losses = getattr(subsets, "losses", None)
    if masks is None or losses is None:
        raise TypeError(
            f"subsets must have masks and losses (the result of subset_retrain); "
            f"got {type(subsets).__name__}"
        )
    losses = np.asarray(losses, dtype=float)
    masks = _check_masks(masks, np.shape(masks)[-1] if np.ndim(masks) == 2 else -1)
    if losses.ndim != 2 or losses.shape[0] != masks.shape[0]:
        raise ValueError(
            f"subsets.losses must have shape ({masks.shape[0]}, m), one row per subset; "
            f"got {losses.shape}"
        )
    check_finite(losses, "subsets.losses")
    return masks, losses


def _predictions(scores, subsets):
    """The predicted and the actual test losses, both (n_subsets, m)."""
    masks, losses = _check_subsets(subsets)
    if hasattr(scores, "masks") and hasattr(scores, "losses"):
        other_masks, other = _check_subsets(scores)
        if not np.array_equal(other_masks, masks):
            raise ValueError(
                "the two sets of refits must share their masks: pass masks=first.masks "
                "to subset_retrain for the second"
            )
        if other.shape != losses.shape:
            raise ValueError(f"the two sets of losses differ in shape: {other.shape} and "
                             f"{losses.shape}")
        return other, losses
    scores = np.asarray(scores, dtype=float)
    expected = (losses.shape[1], masks.shape[1])
    if scores.shape != expected:
        raise ValueError(
            f"scores must have shape {expected} (test points, training points), oriented "
            f"like influence_loss; got {scores.shape}"
        )
    check_finite(scores, "scores")
    # the predicted change of each test loss: the removal effects -scores of the points
    # each subset leaves out, added up
    return (~masks).astype(float) @ (-scores.T), losses


def _spearman_columns(a, b):
    """Spearman correlation of each column of ``a`` with the same column of ``b``."""
    ra = _scipy_rankdata(a, axis=-2)
    rb = _scipy_rankdata(b, axis=-2)
    ra -= ra.mean(axis=-2, keepdims=True)
    rb -= rb.mean(axis=-2, keepdims=True)
    num = (ra * rb).sum(axis=-2)
    den = np.sqrt((ra * ra).sum(axis=-2) * (rb * rb).sum(axis=-2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den, den == 0


def lds(scores, subsets):
    r"""Linear datamodeling score of an attribution, one per test point, shape (m,).

    With :math:`\tau_{ji}` = ``scores[j, i]`` (oriented like
    :math:`\mathcal I_{\text{up,loss}}`: positive means harmful, and :math:`-\tau_{ji}` is
    the predicted change of test loss :math:`j` when :math:`z_i` is removed), the method
    predicts for subset :math:`S_k` the change

    .. math::

        \Delta_{jk} = \sum_{i\notin S_k} (-\tau_{ji}),

    and :math:`\operatorname{LDS}_j` is the Spearman correlation over :math:`k` between
    :math:`(\Delta_{jk})_k` and the refitted test losses ``subsets.losses[:, j]``.

    **Kept or left out gives the same ranking.** Ilyas et al. (2022) and dattri sum the
    scores over the points a subset *keeps*. Since
    :math:`\sum_{i\in S_k}\tau_{ji} = \sum_{i}\tau_{ji} + \sum_{i\notin S_k}(-\tau_{ji})`,
    the two predictions differ by :math:`\sum_i\tau_{ji}`, the same for every subset, so
    they rank the subsets identically and have the same Spearman correlation. (So does
    any positive multiple of the scores: the mean-objective scaling of Koh & Liang gives
    the same LDS.)

    Parameters
    ----------
    scores : array, shape (m, n), or SubsetRefits
        The attribution scores, oriented like ``influence_loss``. A second
        :class:`SubsetRefits` on the same masks is also accepted: its test losses are
        then the prediction, and the result is the LDS of retraining itself.
    subsets : SubsetRefits
        The refits (:func:`subset_retrain`): ``masks`` (n_subsets, n) and ``losses``
        (n_subsets, m).

    Returns
    -------
    ndarray, shape (m,)
        Spearman correlations in :math:`[-1, 1]`.

    Raises
    ------
    ValueError
        If ``scores`` does not have shape (m, n), holds NaN or inf, or the masks or
        losses are malformed; or if the prediction or the refitted loss of a test point
        is the same for every subset (its Spearman correlation is undefined).
    TypeError
        If ``subsets`` has no ``masks`` and ``losses``.

    Examples
    --------
    Exact influence on a small logistic regression:

    >>> from influence_demo import LogisticRegression, influence_loss, make_logistic_data
    >>> X, y, X_test, y_test = make_logistic_data(n=60, p=3, rng=0, n_test=4)
    >>> model = LogisticRegression(l2=1.0).fit(X, y)
    >>> refits = subset_retrain(model, X, y, X_test, y_test, n_subsets=20)
    >>> scores = influence_loss(model, X, y, X_test, y_test)
    >>> values = lds(scores, refits)
    >>> values.shape, bool(values.min() > 0.9)
    ((4,), True)

    Summing the scores over the points kept ranks the subsets the same way:

    >>> kept = refits.masks.astype(float) @ scores.T
    >>> left_out = (~refits.masks).astype(float) @ -scores.T
    >>> np.allclose(kept - left_out, scores.sum(axis=1))
    True
    """
    predicted, actual = _predictions(scores, subsets)
    rho, undefined = _spearman_columns(predicted, actual)
    if undefined.any():
        j = int(np.flatnonzero(undefined)[0])
        which = "prediction" if np.ptp(predicted[:, j]) == 0 else "refitted loss"
        raise ValueError(
            f"the {which} of test point {j} is the same on every subset, so its Spearman "
            "correlation is undefined"
        )
    return rho


@dataclass
class MeanLDS:
    r"""The mean LDS over the test points and its bootstrap spread.

    Parameters
    ----------
    per_test, mean, se, samples, over : see Attributes

    Attributes
    ----------
    per_test : ndarray, shape (m,)
        :func:`lds` of each test point.
    mean : float
        Their mean.
    se : float
        The standard deviation of the bootstrap means: the standard error of ``mean``.
    samples : ndarray, shape (n_boot,)
        The bootstrap means. Two results computed with the same ``seed``, ``over`` and
        ``n_boot`` on the same refits used the same resamples, so
        ``a.samples - b.samples`` is the paired bootstrap distribution of the difference
        of the two means.
    over : str
        What was resampled: ``"test"`` points or ``"subsets"``.

    Examples
    --------
    >>> r = MeanLDS(np.array([0.5, 0.7]), 0.6, 0.0123, np.array([0.59, 0.61]), "test")
    >>> str(r)
    '0.60 ± 0.01'
    """

    per_test: np.ndarray
    mean: float
    se: float
    samples: np.ndarray
    over: str

    def decimals(self):
        """Decimals that the spread allows: those of ``se`` rounded to one significant digit.

        Returns
        -------
        int
            At least 1 and at most 6.

        Examples
        --------
        >>> MeanLDS(np.zeros(2), 0.6, 0.0123, np.zeros(2), "test").decimals()
        2
        """
        if not self.se > 0:
            return 6
        return int(min(6, max(1, -np.floor(np.log10(self.se)))))

    def __str__(self):
        d = self.decimals()
        return f"{self.mean:.{d}f} ± {self.se:.{d}f}"


def mean_lds(scores, subsets, *, n_boot=1000, over="test", seed=0):
    r"""Mean LDS over the test points, with a bootstrap standard error.

    ``over="test"`` resamples the test points with replacement (the spread of the mean
    from which test points were drawn); ``over="subsets"`` resamples the subsets with
    replacement and recomputes every :func:`lds` (the spread from which subsets were
    refitted; repeated subsets are ties, given their average rank). The standard error is
    the standard deviation of the ``n_boot`` bootstrap means. A mean is worth printing to
    the decimals of the standard error rounded to one significant digit
    (``str(result)``). To tell two methods apart, compare their paired bootstrap samples
    (same ``seed``): ``(a.samples - b.samples).std()`` is the spread of the difference,
    usually far smaller than either standard error, since both are scored on the same
    refits.

    Parameters
    ----------
    scores : array, shape (m, n), or SubsetRefits
        As for :func:`lds`.
    subsets : SubsetRefits
        As for :func:`lds`.
    n_boot : int, default 1000
        Number of bootstrap resamples (at least 2).
    over : {"test", "subsets"}, default "test"
        What to resample.
    seed : int, default 0
        Seeds ``np.random.default_rng`` for the resamples.

    Returns
    -------
    MeanLDS

    Raises
    ------
    ValueError
        For an unknown ``over`` or ``n_boot < 2``, and as :func:`lds` does.

    Examples
    --------
    >>> from influence_demo import LogisticRegression, influence_loss, make_logistic_data
    >>> X, y, X_test, y_test = make_logistic_data(n=60, p=3, rng=0, n_test=6)
    >>> model = LogisticRegression(l2=1.0).fit(X, y)
    >>> refits = subset_retrain(model, X, y, X_test, y_test, n_subsets=20)
    >>> exact = mean_lds(influence_loss(model, X, y, X_test, y_test), refits)
    >>> dot = mean_lds(-model.grad(X_test, y_test) @ model.grad(X, y).T, refits)
    >>> bool(exact.mean > dot.mean), exact.samples.shape
    (True, (1000,))
    """
    if over not in ("test", "subsets"):
        raise ValueError(f"over must be 'test' or 'subsets'; got {over!r}")
    if int(n_boot) != n_boot or n_boot < 2:
        raise ValueError(f"n_boot must be an integer >= 2; got {n_boot}")
    n_boot = int(n_boot)
    per_test = lds(scores, subsets)
    predicted, actual = _predictions(scores, subsets)
    rng = np.random.default_rng(seed)
    if over == "test":
        m = per_test.size
        samples = per_test[rng.integers(0, m, size=(n_boot, m))].mean(axis=1)
    else:
        S, m = actual.shape
        idx = rng.integers(0, S, size=(n_boot, S))
        samples = np.empty(n_boot)
        chunk = max(1, 2_000_000 // (S * m))  # bounded memory
        for b in range(0, n_boot, chunk):
            rows = idx[b:b + chunk]
            rho, _ = _spearman_columns(predicted[rows], actual[rows])
            # a resample that repeats one subset only gives a constant column: skip it
            samples[b:b + chunk] = np.nanmean(rho, axis=1)
    return MeanLDS(per_test, float(per_test.mean()), float(samples.std()), samples, over)


def loo_correlation(scores, loo_change):
    r"""Pearson correlation, per test point, of the predicted and actual removal effects.

    Row :math:`j` compares :math:`-\tau_{j\cdot}` (the removal effects the scores predict)
    with the measured changes :math:`L(z_{\text{test},j},\hat\theta_{-i}) -
    L(z_{\text{test},j},\hat\theta)` over the training points refitted, as dattri's
    ``loo_corr`` does (Deng et al. 2024). Used in the chapter :doc:`/book/lds`.

    Parameters
    ----------
    scores : array, shape (m, k)
        The scores of the ``k`` refitted training points, oriented like
        ``influence_loss``.
    loo_change : array, shape (m, k)
        The measured changes (:func:`~influence_demo.loo.loo_loss_change`, or the
        ``loss_change`` of :func:`~influence_demo.retrain.retrain`).

    Returns
    -------
    ndarray, shape (m,)

    Raises
    ------
    ValueError
        If the shapes differ, fewer than 3 points were refitted, a value is NaN or inf,
        or a row is constant.

    Examples
    --------
    >>> loo_correlation(np.array([[-1.0, -2.0, -3.0]]), np.array([[1.0, 2.0, 3.5]]))
    array([0.99339927])
    """
    a = -np.asarray(scores, dtype=float)
    b = np.asarray(loo_change, dtype=float)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(
            f"scores and loo_change must have the same shape (m, k); got {a.shape} and {b.shape}"
        )
    if a.shape[1] < 3:
        raise ValueError(f"a correlation over {a.shape[1]} refitted points is not informative; "
                         "refit at least 3")
    check_finite(a, "scores")
    check_finite(b, "loo_change")
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    if np.any(den == 0):
        j = int(np.flatnonzero(den == 0)[0])
        raise ValueError(f"row {j} is constant, so its correlation is undefined")
    return (a * b).sum(axis=1) / den


def detection_auc(suspicion, flipped):
    r"""Area under the ROC curve of ranking training points to find flipped labels.

    The probability that a flipped point is more suspicious than a clean one, ties
    counting one half (the Mann–Whitney statistic),

    .. math::

        \text{AUC} = \frac{1}{n_f n_c}\sum_{i \in F}\sum_{c \notin F}
        \Bigl(\mathbb 1[s_i > s_c] + \tfrac12\mathbb 1[s_i = s_c]\Bigr),

    computed from ranks in :math:`O(n\log n)`. 0.5 is random, 1 a perfect ranking. This
    is dattri's ``mislabel_detection_auc`` without its trapezoids over thresholds (which
    agree when no scores tie). Used in the chapter :doc:`/book/lds`.

    Parameters
    ----------
    suspicion : array, shape (n,)
        Larger means more suspicious (for self-influence, :math:`-\mathcal
        I_{\text{up,loss}}(z_i, z_i)`).
    flipped : array of int
        The indices of the flipped labels.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``suspicion`` is not finite and 1-D, or ``flipped`` is empty, holds
        every point, repeats a point or lies outside ``0 .. n-1``.

    Examples
    --------
    >>> detection_auc([0.9, 0.1, 0.8, 0.3], flipped=[0, 3])
    0.75
    """
    s = np.asarray(suspicion, dtype=float)
    if s.ndim != 1:
        raise ValueError(f"suspicion must be 1-D, one score per training point; got {s.shape}")
    check_finite(s, "suspicion")
    f = np.asarray(flipped)
    n = s.size
    if f.ndim != 1 or not np.issubdtype(f.dtype, np.integer) or f.size == 0:
        raise ValueError(f"flipped must be a non-empty 1-D array of indices; got {flipped!r}")
    if np.any((f < 0) | (f >= n)) or np.unique(f).size != f.size or f.size == n:
        raise ValueError(
            f"flipped must hold distinct indices in [0, {n}), and not all of them"
        )
    ranks = _scipy_rankdata(s)
    n_f, n_c = f.size, n - f.size
    return float((ranks[f].sum() - n_f * (n_f + 1) / 2) / (n_f * n_c))
