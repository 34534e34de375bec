r"""The k most harmful and most helpful training points, streamed over data too large for memory.

:func:`~influence_demo.influence.influence_loss` returns the whole :math:`m\times n` matrix
:math:`\mathcal I = -G_{\text{test}} H^{-1} G^\top`. With :math:`n = 10^6` training points and
:math:`m = 1000` test points that is 8 GB, when what a user wants is a few indices per test
point. The functions here make two passes over the training data, one batch at a time:

1. accumulate the Hessian :math:`H = \sum_i \nabla^2 L(z_i) + \Lambda` (and the gradient
   :math:`\nabla R(\hat\theta)`, to check that :math:`\hat\theta` is an optimum), then solve
   once, :math:`W = -H^{-1} G_{\text{test}}^\top`, a :math:`p\times m` matrix;
2. score each batch, :math:`\mathcal I_{:,B} = W^\top G_B^\top`, and merge it into the running
   top :math:`k` of every test point.

Memory is :math:`O((m + b)\,p + m k + p^2)` for batches of :math:`b` rows (the
:math:`p^2` for the Hessian or the penalty's matrix): the score block is computed in chunks
of :math:`\max(\lceil p (m + b) / m\rceil, 64k)` training points, never :math:`O(mn)`. Each
chunk's lists are selected among the scores that beat the running ``k``-th (few, after the
first chunks), so merging costs little next to the products.

Training data may be arrays (a :class:`numpy.memmap` is read one batch at a time, never
whole), or any *re-iterable* collection of ``(X_batch, y_batch)`` pairs, such as a list or
an object whose ``__iter__`` opens the files again; it is read twice.

The ranking rule: by value, and among equal values by the smaller training index. So the
result is exactly what a stable sort of the same values gives,
``np.argsort(-I, kind="stable")[:, :k]`` for the harmful points and
``np.argsort(I, kind="stable")[:, :k]`` for the helpful ones. The values equal those of
``influence_loss`` to rounding, not bit for bit: the Hessian is summed batch by batch, and a
BLAS product can round a row differently when it sits in a batch of another size. Two
points whose influences agree in exact arithmetic (exact duplicates) can therefore come out
one rounding error apart and be ordered by that; points with exactly zero gradient (say,
an all-zero row of a model without intercept) tie exactly and follow the index rule.
"""

import math
from dataclasses import dataclass

import numpy as np

from ._blocks import (
    OPTIMALITY_RTOL,
    add_sums,
    block_sums,
    check_sums,
    penalty_terms,
    scan_scores,
    solve_sums,
)
from ._validation import (
    as_matrix,
    as_vector,
    check_data,
    check_fitted,
    check_nonnegative,
    is_dask_array,
)
from .progress import progress_bar
from .solvers import cg

__all__ = ["TopInfluences", "top_influences", "self_influence_batched", "iter_batches"]


@dataclass
class TopInfluences:
    r"""The ``k`` most harmful and most helpful training points for each test point.

    Returned by :func:`top_influences`.

    Parameters
    ----------
    harmful : ndarray of int, shape (m, k)
        Training indices by decreasing :math:`\mathcal I_{\text{up,loss}}` (largest first):
        removing them would lower the test loss the most.
    harmful_values : ndarray, shape (m, k)
        Their :math:`\mathcal I_{\text{up,loss}}`.
    helpful : ndarray of int, shape (m, k)
        Training indices by increasing :math:`\mathcal I_{\text{up,loss}}` (most negative
        first): removing them would raise the test loss the most.
    helpful_values : ndarray, shape (m, k)
    n_train : int
        Number of training points streamed.

    Examples
    --------
    >>> top = TopInfluences(np.array([[2]]), np.array([[0.5]]), np.array([[0]]),
    ...                     np.array([[-0.25]]), n_train=3)
    >>> int(top.harmful[0, 0]), float(top.helpful_values[0, 0])
    (2, -0.25)
    """

    harmful: np.ndarray
    harmful_values: np.ndarray
    helpful: np.ndarray
    helpful_values: np.ndarray
    n_train: int


def iter_batches(X, y, batch_size):
    """Yield ``(X[a:b], y[a:b])`` for consecutive row ranges of at most ``batch_size`` rows.

    Slicing a :class:`numpy.memmap` reads only those rows from disk.

    Parameters
    ----------
    X : array or memmap, shape (n, p)
    y : array or memmap, shape (n,)
    batch_size : int
        Rows per batch (the last batch may be shorter).

    Yields
    ------
    X_batch, y_batch : arrays
        Consecutive slices (views of ``X`` and ``y``; nothing is copied).

    Raises
    ------
    ValueError
        If ``batch_size`` is not an integer >= 1, or ``X`` and ``y`` differ in length.

    Examples
    --------
    >>> X = np.arange(10.0).reshape(5, 2); y = np.arange(5.0)
    >>> [Xb.shape[0] for Xb, yb in iter_batches(X, y, 2)]
    [2, 2, 1]
    """
    batch_size = _check_batch_size(batch_size)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X and y have different lengths: {n} rows against {len(y)} targets")
    for a in range(0, n, batch_size):
        yield X[a : a + batch_size], y[a : a + batch_size]


def _check_batch_size(batch_size):
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}")
    return int(batch_size)


class _Batches:
    """Training data as a re-iterable source of validated ``(X_batch, y_batch)`` pairs."""

    def __init__(self, X, y, batch_size):
        if y is None:
            if isinstance(X, np.ndarray) or not hasattr(X, "__iter__") and not callable(X):
                raise TypeError(
                    "y is missing. Pass the training data as arrays X, y, or as X = a "
                    "re-iterable collection of (X_batch, y_batch) pairs with y=None."
                )
            if callable(X) and not hasattr(X, "__iter__"):
                self.source, self.total = X, None
            else:
                if iter(X) is X:
                    raise TypeError(
                        "The training batches are read twice (once for the Hessian, once for "
                        "the scores), but a one-shot iterator (such as a generator) was given. "
                        "Pass a list of (X_batch, y_batch) pairs, or a function that returns a "
                        "fresh iterator of them."
                    )
                self.source = lambda: iter(X)
                self.total = len(X) if hasattr(X, "__len__") else None
        else:
            if len(X) != len(y):
                raise ValueError(
                    f"X and y have different lengths: {len(X)} rows against {len(y)} targets"
                )
            if np.ndim(X) != 2:
                raise ValueError(
                    f"X must be 2-D with shape (n_samples, n_features); got shape {np.shape(X)}"
                )
            size = _check_batch_size(batch_size)
            self.source = lambda: iter_batches(X, y, size)
            self.total = math.ceil(len(X) / size)

    def __iter__(self):
        for Xb, yb in self.source():
            yield as_matrix(Xb, "X batch"), as_vector(yb, "y batch")


def _streamed_solve(model, batches, V, method, damping, progress, options):
    r"""Return :math:`(H + \delta I)^{-1} V` and the number of training points.

    One pass for the direct solve; with CG, one more pass per Hessian-vector product.
    """
    p = model.n_params_
    if method not in ("direct", "cg"):
        raise ValueError(f"method must be 'direct' or 'cg' for streamed data; got {method!r}")
    if method == "direct" and options:
        raise TypeError(f"method='direct' takes no options; got {sorted(options)}")
    damping = check_nonnegative(damping, "damping")
    parts = []
    penalty = None
    for Xb, yb in progress_bar(batches, total=batches.total, desc="Hessian", show=progress):
        if penalty is None:
            penalty = penalty_terms(model, Xb, yb)
        parts.append(block_sums(model, Xb, yb, penalty, hessian=method == "direct"))
        if len(parts) > 1:
            parts = [add_sums(parts)]  # a running sum, not a list of n / b Hessians
    if not parts:
        raise ValueError("The training data are empty: no (X_batch, y_batch) pair was given")
    sums = parts[0]
    check_sums(sums, penalty, OPTIMALITY_RTOL, stacklevel=3)
    if method == "direct":
        return solve_sums(sums, penalty, V, damping), sums["n"]
    Lam = penalty[0]

    def matvec(P):
        out = (Lam + damping * np.eye(p)) @ P
        for Xb, yb in batches:
            out += model.hvp(P, Xb, yb) - Lam @ P
        return out

    options.setdefault("block", True)
    U, _ = cg(matvec, V, **options)
    return U, sums["n"]


def top_influences(
    model,
    X,
    y,
    X_test,
    y_test,
    k=10,
    batch_size=10_000,
    method="direct",
    damping=0.0,
    progress=None,
    **options,
):
    r"""The ``k`` most harmful and ``k`` most helpful training points for each test point.

    Equal to sorting :math:`\mathcal I_{\text{up,loss}}(z_i, z_{\text{test},j})
    = -\nabla L(z_{\text{test},j})^\top H^{-1}\nabla L(z_i)` of
    :func:`~influence_demo.influence.influence_loss` along each row, but without the
    :math:`m\times n` matrix: one solve :math:`W = -H^{-1}G_{\text{test}}^\top`, then the
    training points are streamed in batches, scored as :math:`W^\top G_B^\top` and merged into
    a running top ``k``. Memory is :math:`O((m + b)p + mk + p^2)`, never :math:`O(mn)`.

    When the :math:`m\times n` matrix fits in memory, this and ``influence_loss`` followed
    by ``np.argpartition`` cost about the same (the same products, and a selection that
    touches only the rows a block improves); prefer ``influence_loss`` when you want more
    than the extremes (all the values, a plot, a correlation), and this function when
    :math:`8mn` bytes would not fit, the data are a memmap or a re-iterable of batches, or
    you want the stated tie rule. With a dask array for ``X`` the work runs as tasks on the
    active dask scheduler (a ``dask.distributed.Client`` where one exists): see
    :func:`~influence_demo.distributed.dask_top_influences`.

    Ties (equal values) go to the smaller training index: the result is exactly
    ``np.argsort(-I, kind="stable")[:, :k]`` (harmful) and
    ``np.argsort(I, kind="stable")[:, :k]`` (helpful) of the values ``I`` this function
    computes. Those equal ``influence_loss`` to rounding (the module's notes say when the
    last bits can differ).

    Parameters
    ----------
    model : fitted model
        Any model with the package's public hooks (``grad``, ``hessian``, ``hvp``,
        ``objective_grad``, ``n_params_``).
    X, y : arrays, or a re-iterable of ``(X_batch, y_batch)`` pairs with ``y=None``
        The training data the model was fitted on. Arrays may be :class:`numpy.memmap`, or
        dask arrays (then ``batch_size`` and ``progress`` are the chunks' and dask's affair).
    X_test, y_test : arrays, shape (m, p) and (m,)
    k : int, default 10
        Number of points per list; at most the number of training points.
    batch_size : int, default 10000
        Rows per batch when ``X``, ``y`` are arrays.
    method : {"direct", "cg"}, default "direct"
        ``"direct"`` sums the :math:`p\times p` Hessian over the batches and factors it once.
        ``"cg"`` never forms it: block CG (:func:`~influence_demo.solvers.cg` with
        ``block=True``) with one pass over the data per Hessian-vector product.
    damping : float, default 0
        :math:`\delta` in :math:`(H + \delta I)^{-1}`.
    progress : bool, optional
        Show tqdm progress bars over the batches; by default only on a terminal.
    **options
        Passed to :func:`~influence_demo.solvers.cg` for ``method="cg"``.

    Returns
    -------
    TopInfluences
        ``harmful``, ``harmful_values``, ``helpful``, ``helpful_values`` (each (m, k)) and
        ``n_train``.

    Raises
    ------
    ValueError
        If ``k`` is not an integer in [1, n], ``batch_size`` is not an integer >= 1, or
        ``method`` is not "direct" or "cg".
    TypeError
        If the training batches are a one-shot iterator (they are read twice).

    Warns
    -----
    NotAtOptimumWarning
        If :math:`\lVert\nabla R(\hat\theta)\rVert` summed over the batches is more than
        ``1e-6`` of the gradients' scale: the influence function is then not defined.

    Examples
    --------
    >>> from influence_demo import LogisticRegression, influence_loss, make_logistic_data
    >>> X, y, X_test, y_test = make_logistic_data(500, 4, rng=0, n_test=3)
    >>> model = LogisticRegression(l2=1.0).fit(X, y)
    >>> top = top_influences(model, X, y, X_test, y_test, k=5, batch_size=64)
    >>> I = influence_loss(model, X, y, X_test, y_test)
    >>> bool(np.all(top.harmful == np.argsort(-I, axis=1, kind="stable")[:, :5]))
    True
    >>> np.allclose(top.helpful_values, np.sort(I, axis=1)[:, :5], rtol=1e-12)
    True
    """
    check_fitted(model)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1; got {k!r}")
    k = int(k)
    if is_dask_array(X) or is_dask_array(y):
        from .distributed import dask_top_influences  # imported only when dask is in use

        return dask_top_influences(model, X, y, X_test, y_test, k, method, damping, **options)
    batches = _Batches(X, y, batch_size)
    if y is not None and k > len(X):
        raise ValueError(f"k = {k} exceeds the number of training points, {len(X)}")
    X_test, y_test = check_data(model, X_test, y_test, names=("X_test", "y_test"))
    G_test = model.grad(X_test, y_test)
    m, p = G_test.shape
    S, n = _streamed_solve(model, batches, G_test.T, method, damping, progress, options)
    if k > n:
        raise ValueError(f"k = {k} exceeds the number of training points, {n}")
    W = -S.T  # (m, p): negate the small factor, as influence_loss does
    tops = None
    start = 0
    for Xb, yb in progress_bar(batches, total=batches.total, desc="scores", show=progress):
        tops = scan_scores(model, W, Xb, yb, start, k, tops)
        start += Xb.shape[0]
    hv, hi, lv, li = tops
    return TopInfluences(harmful=hi, harmful_values=hv, helpful=li, helpful_values=lv, n_train=n)


def self_influence_batched(
    model, X, y=None, batch_size=10_000, method="direct", damping=0.0, progress=None, **options
):
    r"""Self-influence :math:`-\nabla L(z_i)^\top H^{-1}\nabla L(z_i)`, streamed over batches.

    The same values as :func:`~influence_demo.influence.self_influence` (to rounding), for
    training data read one batch at a time: the Hessian is summed over the batches and
    factored once (or, with ``method="cg"``, applied by streamed Hessian-vector products),
    then each batch's gradients :math:`G_B` give
    :math:`-\operatorname{diag}(G_B H^{-1} G_B^\top)`. Memory is :math:`O(bp + p^2)` besides
    the result.

    Parameters
    ----------
    model, X, y, batch_size, method, damping, progress, **options
        As in :func:`top_influences`.

    Returns
    -------
    ndarray, shape (n,)
        A dask array, computed on the workers when it is used, if ``X`` is one.

    Examples
    --------
    >>> from influence_demo import LinearRegression, self_influence
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(50, 3)); y = rng.normal(size=50)
    >>> model = LinearRegression(l2=0.5).fit(X, y)
    >>> batches = [(X[:20], y[:20]), (X[20:], y[20:])]
    >>> np.allclose(self_influence_batched(model, batches), self_influence(model, X, y), rtol=1e-12)
    True
    """
    check_fitted(model)
    if is_dask_array(X) or is_dask_array(y):
        from .distributed import dask_self_influence  # imported only when dask is in use

        return dask_self_influence(model, X, y, method, damping, **options)
    batches = _Batches(X, y, batch_size)
    Hinv, _ = _streamed_solve(
        model, batches, np.eye(model.n_params_), method, damping, progress, options
    )
    out = []
    for Xb, yb in progress_bar(batches, total=batches.total, desc="self-influence", show=progress):
        Gb = model.grad(Xb, yb)
        out.append(-np.einsum("ip,ip->i", Gb @ Hinv, Gb))
    return np.concatenate(out)
