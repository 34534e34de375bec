r"""The experiments the chapters run: leave-one-out over a penalty sweep, group removal,
finding flipped labels, and a separability check.

Each function takes its data as arguments and returns named results, so a chapter cell is
one call and the numbers it quotes are fields with names. The maths lives in
:mod:`~influence_demo.influence` and :mod:`~influence_demo.loo`; these functions only
arrange it. Every docstring names the chapter that uses it.

The conventions are those of the package: the objective is the sum
:math:`R(\theta) = \sum_i L(z_i, \theta) + \frac\lambda2\lVert\theta\rVert^2`, and the
influence function predicts that removing :math:`z_i` changes the loss of a test point
:math:`z_t` by :math:`-\mathcal I_{\text{up,loss}}(z_i, z_t)`.
"""

import copy
from dataclasses import dataclass

import numpy as np

from ._validation import check_indices
from .influence import influence_loss, self_influence
from .loo import (
    generalized_leverage,
    loo_loss_change,
    loo_loss_change_onestep,
    loo_params,
    loo_params_onestep,
)
from .metrics import pearson, spearman
from .progress import progress_bar

__all__ = [
    "PenaltySweep",
    "penalty_sweep",
    "refit_without",
    "GroupRemoval",
    "group_removal",
    "random_groups",
    "nearest_groups",
    "check_orders",
    "fraction_found",
    "DetectionCurves",
    "detection_curves",
    "add_private_features",
    "self_influence_vs_retraining",
    "separating_theta",
]


def _one_test_point(X_test, y_test):
    X_test = np.asarray(X_test, dtype=float)
    y_test = np.asarray(y_test, dtype=float)
    if X_test.ndim != 2 or X_test.shape[0] != 1 or y_test.shape != (1,):
        raise ValueError(
            "X_test and y_test must hold one test point, with shapes (1, p) and (1,); "
            f"got {X_test.shape} and {y_test.shape}"
        )
    return X_test, y_test


def _with_l2(model, l2):
    """A copy of ``model`` with the penalty ``l2``, not yet refitted."""
    clone = copy.deepcopy(model)
    clone.l2 = l2
    return clone


# --- leave-one-out over a range of penalties ----------------------------------------------

_ESTIMATES = {"influence": "the influence function", "onestep": "the one-step estimate"}


def _correlation(metric, estimate):
    """A :class:`PenaltySweep` property: ``metric`` of ``estimate`` against the refits."""

    def correlation(self):
        return self._agreement(metric, estimate)

    name = metric.__name__.capitalize()
    correlation.__doc__ = (
        f"{name} correlation of {_ESTIMATES[estimate]} with the refits, shape (k,)."
    )
    return property(correlation)


@dataclass(frozen=True)
class PenaltySweep:
    r"""Leave-one-out against its two estimates, for one test point, at several penalties.

    Row ``k`` of every array belongs to ``l2_values[k]``. The per-image arrays are the
    frames of the sweep: a figure or a slider can show any penalty without refitting.
    :func:`penalty_sweep` builds it; the correlations are properties computed from the
    frames.

    Parameters
    ----------
    l2_values : ndarray, shape (k,)
        The penalties :math:`\lambda`, in the order given.
    actual : ndarray, shape (k, n)
        :math:`L(z_t, \hat\theta_{-i}) - L(z_t, \hat\theta)` from refits
        (:func:`~influence_demo.loo.loo_loss_change`).
    influence : ndarray, shape (k, n)
        The influence function's prediction of the same change,
        :math:`-\mathcal I_{\text{up,loss}}(z_i, z_t)`.
    onestep : ndarray, shape (k, n)
        The one-step Newton estimate (:func:`~influence_demo.loo.loo_loss_change_onestep`).
    leverage : ndarray, shape (k, n)
        The generalized leverages :math:`h_i`.
    n_unmoved : ndarray of int, shape (k,)
        Refits that returned :math:`\hat\theta` itself (their actual change is exactly 0).

    Examples
    --------
    >>> sweep = PenaltySweep(
    ...     l2_values=np.array([1.0]), actual=np.array([[0.1, -0.2, 0.3]]),
    ...     influence=np.array([[0.1, -0.1, 0.2]]), onestep=np.array([[0.1, -0.2, 0.3]]),
    ...     leverage=np.array([[0.1, 0.2, 0.3]]), n_unmoved=np.array([0]))
    >>> sweep.at(1.0)["spearman_influence"], sweep.at(1.0)["max_leverage"]
    (1.0, 0.3)
    """

    l2_values: np.ndarray
    actual: np.ndarray
    influence: np.ndarray
    onestep: np.ndarray
    leverage: np.ndarray
    n_unmoved: np.ndarray

    def _agreement(self, metric, estimate, keep=None):
        est = getattr(self, estimate)
        out = []
        for a, e in zip(self.actual, est):
            mask = np.ones(a.size, dtype=bool) if keep is None else keep
            out.append(metric(a[mask], e[mask]))
        return np.array(out)

    pearson_influence = _correlation(pearson, "influence")
    pearson_onestep = _correlation(pearson, "onestep")
    spearman_influence = _correlation(spearman, "influence")
    spearman_onestep = _correlation(spearman, "onestep")

    @property
    def max_leverage(self):
        """The largest generalized leverage at each penalty, shape (k,)."""
        return self.leverage.max(axis=1)

    def spearman_without(self, drop):
        """Spearman correlations of both estimates with the images ``drop`` left out.

        Parameters
        ----------
        drop : sequence of int
            Training images to leave out of every correlation.

        Returns
        -------
        dict
            ``"influence"`` and ``"onestep"``, each an array of shape (k,).
        """
        keep = np.ones(self.actual.shape[1], dtype=bool)
        keep[np.asarray(drop, dtype=int)] = False
        return {name: self._agreement(spearman, name, keep) for name in ("influence", "onestep")}

    def sign_errors(self, estimate):
        """Per penalty, the images whose effect ``estimate`` predicts with the wrong sign.

        An image whose refit gives an actual change of exactly 0 has no sign and is never
        counted.

        Parameters
        ----------
        estimate : {"influence", "onestep"}

        Returns
        -------
        list of ndarray of int
            One array of image indices per penalty.

        Raises
        ------
        ValueError
            If ``estimate`` is not one of the two names.
        """
        if estimate not in ("influence", "onestep"):
            raise ValueError(f"estimate must be 'influence' or 'onestep'; got {estimate!r}")
        est = getattr(self, estimate)
        return [
            np.flatnonzero((np.sign(e) != np.sign(a)) & (a != 0)) for a, e in zip(self.actual, est)
        ]

    def at(self, l2):
        """The summary numbers of one penalty, by name.

        Parameters
        ----------
        l2 : float
            One of ``l2_values``.

        Returns
        -------
        dict
            ``pearson_influence``, ``pearson_onestep``, ``spearman_influence``,
            ``spearman_onestep``, ``max_leverage`` and ``n_unmoved``.

        Raises
        ------
        ValueError
            If ``l2`` is not one of the swept penalties.
        """
        hits = np.flatnonzero(self.l2_values == l2)
        if hits.size == 0:
            raise ValueError(
                f"l2 = {l2!r} is not one of the swept penalties {self.l2_values.tolist()}"
            )
        k = int(hits[0])
        names = [
            "pearson_influence",
            "pearson_onestep",
            "spearman_influence",
            "spearman_onestep",
            "max_leverage",
        ]
        row = {name: float(getattr(self, name)[k]) for name in names}
        row["n_unmoved"] = int(self.n_unmoved[k])
        return row


def penalty_sweep(model, X, y, X_test, y_test, l2_values, progress=None):
    r"""Refit without each training point at each penalty and compare with both estimates.

    For every :math:`\lambda` in ``l2_values`` the model is fitted on all the data, then
    refitted ``n`` times, once without each :math:`z_i`
    (:func:`~influence_demo.loo.loo_params`). The actual change in the loss of the test
    point, :math:`L(z_t, \hat\theta_{-i}) - L(z_t, \hat\theta)`, is set beside the
    influence function's prediction :math:`-\mathcal I_{\text{up,loss}}(z_i, z_t)` and the
    one-step Newton estimate
    :math:`L(z_t, \hat\theta - \mathcal I_{\text{up,params}}(z_i)/(1-h_i)) - L(z_t, \hat\theta)`.

    Parameters
    ----------
    model : LinearRegression or LogisticRegression
        A template: a copy with each penalty is fitted; ``model`` itself is not changed.
        Its other settings (``tol``, ``unpenalized``) are kept.
    X, y : arrays, shape (n, p) and (n,)
        The training data that every penalty's fit and ``n`` refits use.
    X_test, y_test : arrays, shape (1, p) and (1,)
        The one test point whose loss change is tracked, and its target.
    l2_values : sequence of float
        Penalties :math:`\lambda > 0`.
    progress : bool, optional
        Show a progress bar over the penalties (see
        :func:`~influence_demo.progress.progress_bar` for the default).

    Returns
    -------
    PenaltySweep
        Per-image frames and the correlations at every penalty, by name.

    Raises
    ------
    ValueError
        If the test data hold more than one point, or ``l2_values`` is empty.

    Notes
    -----
    The cost is ``len(l2_values) * (n + 1)`` fits. Used in the chapter
    :doc:`digits_influence`.

    Examples
    --------
    >>> from influence_demo import LogisticRegression, add_intercept, make_logistic_data
    >>> X, y, X_test, y_test = make_logistic_data(30, 2, rng=0, n_test=1)
    >>> X, X_test = add_intercept(X), add_intercept(X_test)
    >>> sweep = penalty_sweep(LogisticRegression(), X, y, X_test, y_test, [1.0, 0.01])
    >>> sweep.actual.shape
    (2, 30)
    >>> bool(np.all(sweep.pearson_onestep >= sweep.pearson_influence))
    True
    """
    X_test, y_test = _one_test_point(X_test, y_test)
    l2_values = np.asarray(l2_values, dtype=float).ravel()
    if l2_values.size == 0:
        raise ValueError("l2_values must hold at least one penalty")
    frames = {name: [] for name in ("actual", "influence", "onestep", "leverage")}
    n_unmoved = []
    for l2 in progress_bar(l2_values, desc="penalty sweep", show=progress):
        fitted = _with_l2(model, float(l2)).fit(X, y)
        thetas = loo_params(fitted, X, y)
        frames["actual"].append(loo_loss_change(fitted, X, y, X_test, y_test, loo_thetas=thetas)[0])
        frames["influence"].append(-influence_loss(fitted, X, y, X_test, y_test)[0])
        frames["onestep"].append(loo_loss_change_onestep(fitted, X, y, X_test, y_test)[0])
        frames["leverage"].append(generalized_leverage(fitted, X, y))
        n_unmoved.append(int(np.sum(np.all(thetas == fitted.theta_, axis=1))))
    return PenaltySweep(
        l2_values=l2_values,
        **{name: np.array(rows) for name, rows in frames.items()},
        n_unmoved=np.array(n_unmoved),
    )


# --- removing groups of training points ---------------------------------------------------


def refit_without(model, X, y, group):
    r"""Parameters refitted without the points ``group``, warm-started at :math:`\hat\theta`.

    .. math::

        \hat\theta_{-G} = \arg\min_\theta \sum_{i \notin G} L(z_i, \theta)
        + \frac\lambda2\lVert\theta\rVert^2 .

    Used in the chapter :doc:`digits_influence`.

    Parameters
    ----------
    model : fitted LinearRegression or LogisticRegression
        Fitted on ``X, y``; its ``theta_`` is the warm start, and it is not changed.
    X, y : arrays, shape (n, p) and (n,)
        All the training data, the rows in ``group`` included.
    group : sequence of int
        Indices of the points to remove (no repeats). An empty group gives
        :math:`\hat\theta` itself.

    Returns
    -------
    ndarray, shape (p,)
        :math:`\hat\theta_{-G}`, converged to rounding (:meth:`~influence_demo.models.Model.refit`).

    Raises
    ------
    ValueError
        If ``group`` holds an index outside ``0 .. n-1`` or repeats one.


    Examples
    --------
    Removing one point is one row of :func:`~influence_demo.loo.loo_params`:

    >>> from influence_demo import LinearRegression, loo_params
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(8, 2)); y = rng.normal(size=8)
    >>> model = LinearRegression().fit(X, y)
    >>> np.allclose(refit_without(model, X, y, [3]), loo_params(model, X, y)[3])
    True
    """
    n = len(y)
    group = check_indices(np.ravel(group), n, name="group", allow_negative=False)
    if np.unique(group).size != group.size:
        raise ValueError(f"group must not repeat an index; got {group.tolist()}")
    if group.size == 0:
        return np.array(model.theta_, dtype=float)
    keep = np.ones(n, dtype=bool)
    keep[group] = False
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    return model.refit(X[keep], y[keep], theta0=model.theta_)


@dataclass(frozen=True)
class GroupRemoval:
    r"""Groups of training points removed together, refitted, and set beside summed estimates.

    :func:`group_removal` builds it.

    Parameters
    ----------
    groups : list of ndarray of int
        The groups, in the order given.
    thetas : ndarray, shape (g, p)
        :math:`\hat\theta_{-G}` for every group.
    actual : ndarray, shape (g,)
        :math:`L(z_t, \hat\theta_{-G}) - L(z_t, \hat\theta)`.
    predicted : dict of str -> ndarray, shape (g,)
        For each per-point estimate passed in, its sum over each group.

    Examples
    --------
    >>> out = GroupRemoval(groups=[np.array([0]), np.array([1, 2])], thetas=np.zeros((2, 1)),
    ...                    actual=np.array([0.2, 0.6]), predicted={"sum": np.array([0.1, 0.2])})
    >>> out.agreement("sum")["ratio_median"]
    2.5
    """

    groups: list
    thetas: np.ndarray
    actual: np.ndarray
    predicted: dict

    def agreement(self, estimate):
        """How well the summed ``estimate`` matches the refits, over all groups.

        Parameters
        ----------
        estimate : str
            A key of ``predicted``.

        Returns
        -------
        dict
            ``pearson`` and ``spearman`` correlations, and the quartiles ``ratio_q1``,
            ``ratio_median`` and ``ratio_q3`` of actual / predicted.

        Raises
        ------
        ValueError
            If ``estimate`` is not a key of ``predicted``.
        """
        if estimate not in self.predicted:
            raise ValueError(f"estimate must be one of {sorted(self.predicted)}; got {estimate!r}")
        pred = self.predicted[estimate]
        q1, med, q3 = np.quantile(self.actual / pred, [0.25, 0.5, 0.75])
        return {
            "pearson": pearson(self.actual, pred),
            "spearman": spearman(self.actual, pred),
            "ratio_q1": float(q1),
            "ratio_median": float(med),
            "ratio_q3": float(q3),
        }


def group_removal(model, X, y, X_test, y_test, groups, estimates, progress=None):
    r"""Remove each group, refit, and compare the change in test loss with summed estimates.

    The usual prediction for a group :math:`G` adds the individual ones,
    :math:`-\sum_{i\in G}\mathcal I_{\text{up,loss}}(z_i, z_t)`; the actual change is
    :math:`L(z_t, \hat\theta_{-G}) - L(z_t, \hat\theta)` from :func:`refit_without`.
    Used in the chapter :doc:`digits_influence`.

    Parameters
    ----------
    model : fitted LinearRegression or LogisticRegression
        Fitted on ``X, y``; every refit starts from its ``theta_``, which is not changed.
    X, y : arrays, shape (n, p) and (n,)
        The training data, from which each group's rows are dropped in turn.
    X_test, y_test : arrays, shape (1, p) and (1,)
        The one test point whose loss each removal changes, and its target.
    groups : sequence of sequences of int
        The groups to remove, one refit each (groups with the same members share one).
    estimates : dict of str -> array, shape (n,)
        Per-point predicted changes of the test loss (for example
        ``-influence_loss(...)[0]``); each is summed over every group.
    progress : bool, optional
        Show a progress bar over the refits of the groups (the default is that of
        :func:`~influence_demo.progress.progress_bar`).

    Returns
    -------
    GroupRemoval

    Raises
    ------
    ValueError
        If the test data hold more than one point, or an estimate does not have one
        value per training point.


    Examples
    --------
    Least squares with a single point per group: the one-step estimate is exact.

    >>> from influence_demo import LinearRegression, loo_loss_change_onestep
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(10, 2)); y = rng.normal(size=10)
    >>> model = LinearRegression().fit(X, y)
    >>> onestep = loo_loss_change_onestep(model, X, y, X[:1], y[:1])[0]
    >>> singletons = [[i] for i in range(10)]
    >>> out = group_removal(model, X, y, X[:1], y[:1], singletons, {"onestep": onestep})
    >>> np.allclose(out.actual, out.predicted["onestep"])
    True
    """
    X_test, y_test = _one_test_point(X_test, y_test)
    n = len(y)
    for name, est in estimates.items():
        if np.shape(est) != (n,):
            raise ValueError(f"estimate {name!r} must have shape ({n},); got {np.shape(est)}")
    groups = [check_indices(np.ravel(g), n, name="group", allow_negative=False) for g in groups]
    # Groups with the same members (random draws can repeat) share one refit and one sum
    # in index order, so they tie exactly: the last bits of a BLAS product can depend on
    # where an array sits in memory, and must not decide their ranks.
    base = model.loss(X_test, y_test)[0]
    refits = {}
    for g in progress_bar(groups, desc="groups", show=progress):
        key = tuple(np.sort(g).tolist())
        if key not in refits:
            theta = refit_without(model, X, y, g)
            refits[key] = (theta, model.loss(X_test, y_test, theta)[0] - base)
    keys = [tuple(np.sort(g).tolist()) for g in groups]
    thetas = np.array([refits[key][0] for key in keys])
    actual = np.array([refits[key][1] for key in keys])
    predicted = {
        name: np.array([np.sum(np.asarray(est)[np.sort(g)]) for g in groups])
        for name, est in estimates.items()
    }
    return GroupRemoval(groups=groups, thetas=thetas, actual=actual, predicted=predicted)


def _check_group_size(size, n):
    if not 1 <= size <= n:
        raise ValueError(f"size must lie in 1 .. n = {n}; got {size}")


def random_groups(n, size, n_groups, rng):
    """``n_groups`` groups of ``size`` distinct points drawn at random from ``0 .. n-1``.

    Used in the chapter :doc:`digits_influence`.

    Parameters
    ----------
    n : int
        Number of training points.
    size : int
        Points per group, ``1 <= size <= n``.
    n_groups : int
        Number of groups; they are drawn independently, so two may share points.
    rng : numpy.random.Generator
        Consumed in order: one ``rng.choice`` per group.

    Returns
    -------
    list of ndarray of int
        ``n_groups`` arrays of ``size`` distinct indices.

    Raises
    ------
    ValueError
        If ``size`` is not in ``1 .. n``.


    Examples
    --------
    >>> groups = random_groups(10, 3, 2, np.random.default_rng(0))
    >>> [len(set(g)) for g in groups]
    [3, 3]
    """
    _check_group_size(size, n)
    return [rng.choice(n, size=size, replace=False) for _ in range(n_groups)]


def nearest_groups(X, size, n_groups, rng):
    """Groups of similar points: a random point and its ``size - 1`` nearest neighbours.

    Distances are Euclidean in the rows of ``X`` (pixel space for images), summed element
    by element so that they do not depend on the BLAS kernel; the centre is drawn with
    ``rng.integers``, one draw per group, and ties are broken by index.
    Used in the chapter :doc:`digits_influence`.

    Parameters
    ----------
    X : array, shape (n, d)
        The points.
    size : int
        Points per group, ``1 <= size <= n``.
    n_groups : int
        Number of groups (centres).
    rng : numpy.random.Generator
        Consumed in order: one ``rng.integers`` per group, for its centre.

    Returns
    -------
    list of ndarray of int
        Each group contains its centre (distance 0).

    Raises
    ------
    ValueError
        If ``size`` is not in ``1 .. n``, ``n`` being the number of rows of ``X``.


    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0], [12.0]])
    >>> [g.tolist() for g in nearest_groups(X, 2, 1, np.random.default_rng(1))]
    [[2, 3]]
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    _check_group_size(size, n)
    out = []
    for _ in range(n_groups):
        c = int(rng.integers(n))
        # element by element, not through a matrix product: the distances, and so the
        # ties between them, do not depend on the BLAS kernel
        d2 = ((X - X[c]) ** 2).sum(axis=1)
        out.append(np.argsort(d2, kind="stable")[:size])
    return out


# --- finding flipped labels ---------------------------------------------------------------


def check_orders(model, X, y, rng=None):
    r"""Three orders in which to check training labels, most suspicious first.

    - ``"self-influence"``: decreasing :math:`|\mathcal I_{\text{up,loss}}(z_i, z_i)|`
      (:func:`~influence_demo.influence.self_influence`);
    - ``"training loss"``: decreasing :math:`L(z_i, \hat\theta)`;
    - ``"random"``: a random permutation, the baseline.

    Used in the chapter :doc:`mislabeled`.

    Parameters
    ----------
    model : fitted LinearRegression or LogisticRegression
        Fitted on ``X, y``; its self-influences and losses rank the points.
    X : array, shape (n, p)
        Training design matrix.
    y : array, shape (n,)
        The training labels as given (possibly wrong).
    rng : int or numpy.random.Generator, optional
        Seed or generator of the random order; a generator is consumed (one
        permutation).

    Returns
    -------
    dict of str -> ndarray of int, shape (n,)
        Ties keep index order.


    Examples
    --------
    >>> from influence_demo import LogisticRegression, add_intercept
    >>> X = add_intercept([[0.0], [1.0], [2.0], [3.0], [4.0]])
    >>> y = np.array([0, 0, 1, 0, 1])  # the fourth label looks wrong
    >>> orders = check_orders(LogisticRegression(l2=0.1).fit(X, y), X, y, rng=0)
    >>> int(orders["training loss"][0]), int(orders["self-influence"][0])
    (3, 3)
    """
    rng = np.random.default_rng(rng)
    scores = {"self-influence": -self_influence(model, X, y), "training loss": model.loss(X, y)}
    orders = {name: np.argsort(-score, kind="stable") for name, score in scores.items()}
    orders["random"] = rng.permutation(len(scores["training loss"]))
    return orders


def _n_checked(checked, n):
    checked = np.asarray(checked, dtype=float).ravel()
    if np.any((checked < 0) | (checked > 1)):
        raise ValueError(f"checked fractions must lie in [0, 1]; got {checked.tolist()}")
    return checked, np.rint(checked * n).astype(int)


def fraction_found(order, flipped, checked):
    r"""Fraction of the flipped labels among the first points of ``order``.

    After checking the first :math:`\operatorname{round}(c\,n)` points of ``order``, the
    fraction of the flipped labels seen is
    :math:`|\{\text{checked}\}\cap\{\text{flipped}\}| / |\{\text{flipped}\}|`.
    Used in the chapter :doc:`mislabeled`.

    Parameters
    ----------
    order : array of int, shape (n,)
        A permutation of the training points, most suspicious first.
    flipped : array of int
        Indices of the flipped labels (at least one).
    checked : array of float
        Fractions of the data checked, each in [0, 1].

    Returns
    -------
    ndarray, shape (len(checked),)

    Raises
    ------
    ValueError
        If ``order`` is not a permutation, ``flipped`` is empty, or a fraction lies
        outside [0, 1].


    Examples
    --------
    >>> fraction_found([3, 0, 1, 2], flipped=[3, 2], checked=[0, 0.25, 0.5, 1])
    array([0. , 0.5, 0.5, 1. ])
    """
    order = np.asarray(order, dtype=int).ravel()
    n = order.size
    if not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError("order must be a permutation of 0 .. n-1")
    flipped = np.asarray(flipped, dtype=int).ravel()
    if flipped.size == 0:
        raise ValueError("flipped must name at least one flipped label")
    checked, counts = _n_checked(checked, n)
    is_flipped = np.zeros(n, dtype=bool)
    is_flipped[flipped] = True
    found = np.concatenate([[0], np.cumsum(is_flipped[order])])
    return found[counts] / flipped.size


@dataclass(frozen=True)
class DetectionCurves:
    r"""Label-checking curves over several random flips, per ranking.

    :func:`detection_curves` builds it.

    Parameters
    ----------
    checked : ndarray, shape (c,)
        Fractions of the training data checked.
    found : dict of str -> ndarray, shape (s, c)
        Per ranking, per seed: fraction of the flipped labels found.
    accuracy : dict of str -> ndarray, shape (s, c), or None
        Test accuracy after fixing the labels found and refitting (only with test data).
    theta_norm : dict of str -> ndarray, shape (s, c), or None
        :math:`\lVert\hat\theta\rVert` of those refits (only with test data).

    Examples
    --------
    >>> curves = DetectionCurves(checked=np.array([0.0, 0.5]),
    ...                          found={"random": np.array([[0.0, 0.4], [0.0, 0.6]])},
    ...                          accuracy=None, theta_norm=None)
    >>> curves.mean("found", "random"), curves.at("found", "random", 0.45)
    (array([0. , 0.5]), 0.5)
    """

    checked: np.ndarray
    found: dict
    accuracy: dict
    theta_norm: dict

    def mean(self, quantity, name):
        """The mean over seeds of ``quantity`` for the ranking ``name``.

        Parameters
        ----------
        quantity : {"found", "accuracy", "theta_norm"}
        name : str
            A ranking, a key of ``found``.

        Returns
        -------
        ndarray, shape (c,)

        Raises
        ------
        ValueError
            If ``quantity`` is unknown or was not computed, or ``name`` is not a ranking.
        """
        if quantity not in ("found", "accuracy", "theta_norm"):
            raise ValueError(
                f"quantity must be 'found', 'accuracy' or 'theta_norm'; got {quantity!r}"
            )
        table = getattr(self, quantity)
        if table is None:
            raise ValueError(
                f"{quantity} was not computed: pass X_test and y_test to detection_curves"
            )
        if name not in table:
            raise ValueError(f"name must be one of {list(table)}; got {name!r}")
        return table[name].mean(axis=0)

    def at(self, quantity, name, fraction):
        """The mean of ``quantity`` for ranking ``name`` at the grid point nearest ``fraction``.

        Parameters
        ----------
        quantity : {"found", "accuracy", "theta_norm"}
        name : str
            A ranking.
        fraction : float
            A fraction of the data checked.

        Returns
        -------
        float
            The nearest grid point's entry of ``mean(quantity, name)``.

        Raises
        ------
        ValueError
            As :meth:`mean`.
        """
        return float(self.mean(quantity, name)[int(np.argmin(np.abs(self.checked - fraction)))])


def detection_curves(
    model,
    X,
    y_clean,
    flip_fraction,
    checked,
    seeds,
    X_test=None,
    y_test=None,
    design=None,
    progress=None,
):
    r"""Flip labels, rank the points three ways, and record what checking them finds.

    For each seed: a generator ``rng = np.random.default_rng(seed)`` flips a fraction
    ``flip_fraction`` of the labels (:func:`~influence_demo.datasets.flip_labels`), then
    (if ``design`` is given) draws that seed's design matrix ``design(rng)``; a copy of
    ``model`` is fitted to the noisy labels, and :func:`check_orders` ranks the points
    (its random order uses the same ``rng``). For each ranking and each fraction in
    ``checked`` it records :func:`fraction_found` and, with test data, the test accuracy
    after fixing the flipped labels found and refitting (warm-started).

    Parameters
    ----------
    model : LogisticRegression
        A template with the penalty to use; it is not changed.
    X : array, shape (n, p)
        Training design matrix (ignored when ``design`` is given).
    y_clean : array, shape (n,)
        The correct labels, in {0, 1}.
    flip_fraction : float
        Fraction of labels to flip, in (0, 1].
    checked : array of float
        Fractions of the data checked, each in [0, 1].
    seeds : sequence of int
        One flip pattern per seed.
    X_test : array, shape (m, p), optional
        Test data with correct labels, for the accuracy curves.
    y_test : array, shape (m,), optional
        Its labels.
    design : callable, optional
        ``design(rng) -> X`` for each seed, drawn after the flip, for example
        ``functools.partial(add_private_features, X, 0.5)``.
    progress : bool, optional
        Show a progress bar over the seeds, as :func:`~influence_demo.progress.progress_bar`
        decides by default.

    Returns
    -------
    DetectionCurves

    Raises
    ------
    ValueError
        If ``flip_fraction`` flips no label, only one of ``X_test`` and ``y_test`` is
        given, ``design`` is combined with test data, or a fraction lies outside [0, 1].

    Notes
    -----
    The cost is one fit per seed, plus one refit per seed, ranking and fraction checked
    when test data are given. Used in the chapter :doc:`mislabeled`.

    Examples
    --------
    >>> from influence_demo import LogisticRegression, add_intercept, make_logistic_data
    >>> X, y, _, _ = make_logistic_data(60, 2, rng=0, signal=3.0)
    >>> X = add_intercept(X)
    >>> curves = detection_curves(LogisticRegression(l2=0.1), X, y, 0.1, [0, 1], seeds=[0, 1])
    >>> curves.mean("found", "training loss")
    array([0., 1.])
    """
    from .datasets import flip_labels

    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither")
    if design is not None and X_test is not None:
        raise ValueError(
            "design draws new features, which the test data do not have: give test data or design"
        )
    y_clean = np.asarray(y_clean, dtype=float)
    n = y_clean.size
    if int(round(flip_fraction * n)) < 1:
        raise ValueError(f"flip_fraction = {flip_fraction} flips no label of {n}")
    checked, counts = _n_checked(checked, n)
    seeds = list(seeds)
    names = ["self-influence", "training loss", "random"]
    found = {name: np.zeros((len(seeds), checked.size)) for name in names}
    with_test = X_test is not None
    accuracy = {name: np.zeros((len(seeds), checked.size)) for name in names} if with_test else None
    theta_norm = (
        {name: np.zeros((len(seeds), checked.size)) for name in names} if with_test else None
    )
    for s, seed in enumerate(progress_bar(seeds, desc="seeds", show=progress)):
        rng = np.random.default_rng(seed)
        y_noisy, flipped = flip_labels(y_clean, flip_fraction, rng=rng)
        X_seed = design(rng) if design is not None else X
        fitted = copy.deepcopy(model).fit(X_seed, y_noisy)
        is_flipped = np.zeros(n, dtype=bool)
        is_flipped[flipped] = True
        for name, order in check_orders(fitted, X_seed, y_noisy, rng).items():
            found[name][s] = fraction_found(order, flipped, checked)
            if not with_test:
                continue
            for c, k in enumerate(counts):
                seen = order[:k]
                fixed = seen[is_flipped[seen]]
                if fixed.size:
                    y_fixed = y_noisy.copy()
                    y_fixed[fixed] = y_clean[fixed]
                    theta = fitted.refit(X_seed, y_fixed, theta0=fitted.theta_)
                else:
                    theta = fitted.theta_
                accuracy[name][s, c] = np.mean(fitted.with_theta(theta).predict(X_test) == y_test)
                theta_norm[name][s, c] = np.linalg.norm(theta)
    return DetectionCurves(checked=checked, found=found, accuracy=accuracy, theta_norm=theta_norm)


def add_private_features(X, fraction, rng):
    r"""Give a random ``fraction`` of the rows a feature of their own.

    Each chosen row gets one new column that is 1 in that row and 0 in every other, like a
    word that occurs in one e-mail only. The model can then fit that row with any label by
    moving one weight, at the price of the penalty on it. Used in the chapter :doc:`mislabeled`.

    Parameters
    ----------
    X : array, shape (n, p)
        The design matrix.
    fraction : float
        Fraction of the rows that get a private feature, in [0, 1].
    rng : numpy.random.Generator
        Consumed once (the choice of rows).

    Returns
    -------
    ndarray, shape (n, p + k)
        ``X`` followed by ``k = round(fraction * n)`` indicator columns.

    Raises
    ------
    ValueError
        If ``fraction`` lies outside [0, 1].


    Examples
    --------
    >>> add_private_features(np.ones((3, 1)), 2 / 3, np.random.default_rng(0)).sum(axis=0)
    array([3., 1., 1.])
    """
    X = np.asarray(X, dtype=float)
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must lie in [0, 1]; got {fraction}")
    n = X.shape[0]
    owners = rng.choice(n, size=int(round(fraction * n)), replace=False)
    private = np.zeros((n, owners.size))
    private[owners, np.arange(owners.size)] = 1.0
    return np.hstack([X, private])


def self_influence_vs_retraining(model, X, y, indices=None, progress=None):
    r"""Each point's own loss after retraining without it, against self-influence.

    Removing :math:`z_i` raises its own loss. The influence function predicts the rise
    :math:`-\mathcal I_{\text{up,loss}}(z_i, z_i) = \nabla L(z_i)^\top H^{-1}\nabla L(z_i)
    = |\text{self-influence}|`; a refit measures
    :math:`L(z_i, \hat\theta_{-i}) - L(z_i, \hat\theta)`, and the one-step Newton estimate
    evaluates the same loss at :math:`\tilde\theta_{-i}`. Used in the chapter :doc:`mislabeled`.

    Parameters
    ----------
    model : fitted LinearRegression or LogisticRegression
        Fitted on ``X, y``; the warm start of every refit.
    X, y : arrays, shape (n, p) and (n,)
        The training data; each point's own loss is measured on its row.
    indices : array of int, optional
        Points to refit without (default: all).
    progress : bool, optional
        Passed to :func:`~influence_demo.loo.loo_params`.

    Returns
    -------
    dict
        ``indices``, and the arrays ``actual``, ``influence`` and ``onestep`` of the
        same length: the rise of each point's own loss measured by refitting, predicted
        by the influence function, and by the one-step estimate.


    Examples
    --------
    For least squares the one-step estimate is exact:

    >>> from influence_demo import LinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(9, 2)); y = rng.normal(size=9)
    >>> out = self_influence_vs_retraining(LinearRegression().fit(X, y), X, y)
    >>> np.allclose(out["actual"], out["onestep"]), bool(np.all(out["actual"] >= out["influence"]))
    (True, True)
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    idx = check_indices(indices, len(y))
    thetas = loo_params(model, X, y, indices=idx, progress=progress)
    onestep = loo_params_onestep(model, X, y)[idx]
    base = model.loss(X[idx], y[idx])

    def own_loss(rows):
        return np.array([model.loss(X[[i]], y[[i]], theta)[0] for i, theta in zip(idx, rows)])

    return {
        "indices": idx,
        "actual": own_loss(thetas) - base,
        "influence": -self_influence(model, X, y)[idx],
        "onestep": own_loss(onestep) - base,
    }


# --- data checks --------------------------------------------------------------------------


def separating_theta(X, y):
    r"""A :math:`\theta` that separates the two classes with margin 1, or ``None``.

    Solves the linear programme: find :math:`\theta` with
    :math:`(2y_i - 1)\,x_i^\top\theta \ge 1` for every :math:`i`
    (``scipy.optimize.linprog``, HiGHS). By scaling, such a :math:`\theta` exists exactly
    when some hyperplane through the origin of the rows of ``X`` (append a column of ones
    for an offset) puts every point strictly on its own class's side: the data are
    linearly separable, and the unpenalised logistic loss has no minimiser.
    Used in the chapter :doc:`digits_influence`.

    Parameters
    ----------
    X : array, shape (n, p)
        Design matrix.
    y : array, shape (n,)
        Labels in {0, 1}.

    Returns
    -------
    ndarray, shape (p,), or None
        Check it yourself: ``np.min((2 * y - 1) * (X @ theta)) >= 1`` up to the LP's
        tolerance.

    Raises
    ------
    ValueError
        If a label is not 0 or 1.
    RuntimeError
        If the solver fails for another reason than infeasibility.


    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
    >>> separating_theta(X, [0, 0, 1, 1]) is not None, separating_theta(X, [0, 1, 0, 1]) is None
    (True, True)
    """
    from scipy.optimize import linprog

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("labels must be 0 or 1")
    sign = 2.0 * y - 1.0
    p = X.shape[1]
    res = linprog(
        np.zeros(p),
        A_ub=-(sign[:, None] * X),
        b_ub=-np.ones(len(y)),
        bounds=[(None, None)] * p,
        method="highs",
    )
    if res.status == 2:  # infeasible
        return None
    if res.status != 0:
        raise RuntimeError(f"linprog failed: {res.message}")
    return res.x
