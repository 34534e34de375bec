r"""Influence on training rows held by a dask cluster: tasks on the workers, small results.

When the training rows are a :class:`dask.array.Array`, :func:`~influence_demo.topk.top_influences`,
:func:`~influence_demo.influence.self_influence`, :func:`~influence_demo.influence.influence_loss`
and :meth:`~influence_demo.models.Model.check_optimality` (so also ``with_theta(theta, X, y)``)
come here. Each row chunk :math:`B` is handed to a task on the active dask scheduler (the
``dask.distributed.Client`` the user made, else dask's threads), and only small arrays travel:

1. each task sums its chunk's curvature :math:`\sum_{i\in B}\nabla^2 L(z_i)` (:math:`p\times p`),
   gradient, gradient norms and :math:`\sum_{i\in B}\nabla^2L(z_i)\,\hat\theta`; the sums are
   added by a tree reduction on the workers;
2. the client adds the penalty once, checks the optimality of :math:`\hat\theta`, factors
   :math:`H` once and solves :math:`W = -G_{\text{test}}H^{-1}` (:math:`m\times p`);
3. :math:`W` is broadcast; each task scores its chunk, :math:`W G_B^\top`, and keeps the
   ``k`` largest and smallest per test point; the :math:`m\times k` lists are merged by a
   tree reduction, in index order, with the tie rule of the in-memory path.

What travels is :math:`O(p^2)` per chunk for the curvature and :math:`O(mk)` per chunk for
the lists; the rows never leave the workers that hold (or make) them. The values agree with
the in-memory path to rounding (the Hessian is summed in another order); the lists are the
same.

dask is optional (``pip install influence-demo[dask]``): it is imported only when a dask
array is passed.

Only the direct solve is offered: the :math:`p\times p` Hessian is summed on the workers
(CG would need one pass over the cluster per iteration).
"""

import numpy as np

from ._blocks import (
    OPTIMALITY_RTOL,
    add_sums,
    block_sums,
    check_sums,
    merge_tops,
    penalty_terms,
    scan_scores,
    solve_sums,
)
from ._validation import check_data, check_fitted, check_nonnegative, is_dask_array

__all__ = [
    "dask_top_influences",
    "dask_self_influence",
    "dask_influence_loss",
    "dask_check_optimality",
    "SPLIT_EVERY",
]

SPLIT_EVERY = 8
"""How many partial results one task of a tree reduction combines."""


def _dask():
    try:
        import dask
        import dask.array as da
    except ImportError as err:  # pragma: no cover - the test extra installs dask
        raise ImportError(
            "A dask array was passed, but dask is not installed: "
            "pip install 'influence-demo[dask]'"
        ) from err
    return dask, da


def _rows(model, X, y):
    """Check the training rows; return the delayed chunks of ``[X, y]`` and their offsets."""
    dask, da = _dask()
    if hasattr(X, "to_dask_array") or hasattr(y, "to_dask_array"):
        raise TypeError(
            "X or y is a dask DataFrame or Series; the functions take dask arrays. Pass "
            "X.to_dask_array(lengths=True) (and the same for y)."
        )
    if not is_dask_array(X):
        raise TypeError(
            f"y is a dask array but X is a {type(X).__name__}. Pass X as a dask array too "
            "(da.from_array(X, chunks=...)), or y in memory with X."
        )
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D with shape (n_samples, n_features); got shape {X.shape}")
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(
            "X has chunks of unknown size (a filtered or concatenated dask array). Call "
            "X.compute_chunk_sizes() first, so that each row has a known index."
        )
    if X.shape[1] != model.n_features_:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model was fitted with {model.n_features_}"
        )
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})  # whole rows in every chunk
    y = y if is_dask_array(y) else np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must be 1-D with one target per row of X ({X.shape[0]}); got shape {y.shape}"
        )
    if not is_dask_array(y):
        y = da.from_array(y, chunks=(X.chunks[0],))
    if y.chunks[0] != X.chunks[0]:
        y = y.rechunk((X.chunks[0],))
    # One array of [X, y] rows: a task gets its rows and targets from one chunk, computed
    # once (y is often made from X, and two separate graphs would make X twice).
    Z = da.concatenate([X, y[:, None]], axis=1).rechunk({1: -1})
    Zd = list(Z.to_delayed().ravel())
    starts = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(int).tolist()
    return dask, da, Zd, starts, X.chunks[0]


def _split(Zb):
    """A chunk of ``[X, y]`` rows as ``(X_chunk, y_chunk)``."""
    return Zb[:, :-1], Zb[:, -1]


def _tree(dask, combine, parts, *args):
    """Reduce delayed ``parts`` with ``combine(list, *args)``, SPLIT_EVERY at a time, in order."""
    reduce = dask.delayed(combine, pure=True)
    while len(parts) > 1:
        parts = [
            reduce(parts[a : a + SPLIT_EVERY], *args) for a in range(0, len(parts), SPLIT_EVERY)
        ]
    return parts[0]


def _sums(model, X, y, hessian):
    """Summed block terms and the penalty's, computed on the workers."""
    rows = _rows(model, X, y)
    dask, Zd = rows[0], rows[2]
    m = dask.delayed(model, pure=True)
    penalty = dask.delayed(_penalty, pure=True)(m, Zd[0])
    block = dask.delayed(_block_sums, pure=True)
    parts = [block(m, Zb, penalty, hessian) for Zb in Zd]
    sums, penalty_value = dask.compute(_tree(dask, add_sums, parts), penalty)
    return sums, penalty_value, rows


def _penalty(model, Zb):
    return penalty_terms(model, *_split(Zb))


def _block_sums(model, Zb, penalty, hessian):
    return block_sums(model, *_split(Zb), penalty, hessian)


def _check_method(method, damping, options):
    if method != "direct":
        raise ValueError(
            f"For dask arrays only method='direct' is offered (the p x p Hessian is summed on "
            f"the workers and factored once); got {method!r}"
        )
    if options:
        raise TypeError(f"method='direct' takes no options; got {sorted(options)}")
    return check_nonnegative(damping, "damping")


def _test_gradients(model, X_test, y_test):
    if is_dask_array(X_test) or is_dask_array(y_test):
        raise TypeError(
            "X_test and y_test are held in memory (m x p, the small side); pass "
            "X_test.compute() and y_test.compute()."
        )
    X_test, y_test = check_data(model, X_test, y_test, names=("X_test", "y_test"))
    return model.grad(X_test, y_test)


def dask_check_optimality(model, X, y, rtol=1e-6, stacklevel=2):
    r"""The optimality check of :meth:`~influence_demo.models.Model.check_optimality`, on dask rows.

    .. math::

        \lVert\nabla R(\hat\theta)\rVert > \text{rtol}\,\Bigl(\sum_i
        \lVert\nabla L(z_i,\hat\theta)\rVert + \lVert H\hat\theta\rVert\Bigr)

    warns; the sums are made chunk by chunk on the workers and added by a tree reduction.
    ``model.check_optimality(X, y)`` and ``model.with_theta(theta, X, y)`` come here when
    ``X`` is a dask array, so a :math:`\hat\theta` fitted elsewhere (dask-ml, any solver) is
    checked on data that never fits on one machine.

    Parameters
    ----------
    model : Model
        A fitted model.
    X : dask.array.Array, shape (n, p)
        The training rows.
    y : dask.array.Array or ndarray, shape (n,)
        The training targets.
    rtol : float, default 1e-6
        Tolerance relative to the scale.
    stacklevel : int, default 2
        Which caller the warning names, as for :func:`warnings.warn`.

    Returns
    -------
    float
        The relative gradient norm.

    Warns
    -----
    NotAtOptimumWarning
        When it exceeds ``rtol``.

    Examples
    --------
    >>> import dask.array as da
    >>> from influence_demo import LogisticRegression, make_logistic_data
    >>> X, y, _, _ = make_logistic_data(300, 3, rng=0)
    >>> model = LogisticRegression(l2=1.0).fit(X, y)
    >>> Xd, yd = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    >>> dask_check_optimality(model, Xd, yd) < 1e-6
    True
    """
    check_fitted(model)
    sums, penalty, _ = _sums(model, X, y, hessian=False)
    return check_sums(sums, penalty, rtol, stacklevel=stacklevel)


def _solve(model, X, y, V, damping, stacklevel):
    sums, penalty, rows = _sums(model, X, y, hessian=True)
    check_sums(sums, penalty, OPTIMALITY_RTOL, stacklevel=stacklevel + 1)
    return solve_sums(sums, penalty, V, damping), sums["n"], rows


def _block_top(model, W, Zb, start, k):
    return scan_scores(model, W, *_split(Zb), start, k)


def dask_top_influences(model, X, y, X_test, y_test, k=10, method="direct", damping=0.0,
                        **options):
    r"""The ``k`` most harmful and most helpful training points, the rows on a dask cluster.

    :func:`~influence_demo.topk.top_influences` calls this when ``X`` is a dask array. The
    Hessian :math:`H=\sum_i\nabla^2L(z_i)+\Lambda` is summed chunk by chunk on the workers,
    factored once on the client, and :math:`W = -G_{\text{test}}H^{-1}` is sent to every
    task; each task keeps its chunk's ``k`` largest and smallest
    :math:`W\nabla L(z_i)` per test point, and these :math:`m\times k` lists are merged by a
    tree reduction. Ties go to the smaller training index, as in memory.

    Parameters
    ----------
    model : Model
        Fitted on ``X, y``.
    X : dask.array.Array, shape (n, p)
        The training rows, chunked along the rows.
    y : dask.array.Array or ndarray, shape (n,)
        The training targets (rechunked to match ``X``).
    X_test, y_test : arrays, shape (m, p) and (m,)
        The test points, in memory.
    k : int, default 10
        Points per list.
    method : {"direct"}, default "direct"
        The only solver offered for dask arrays.
    damping : float, default 0
        :math:`\delta` in :math:`(H + \delta I)^{-1}`.
    **options
        None are accepted (an error names them).

    Returns
    -------
    TopInfluences
        As :func:`~influence_demo.topk.top_influences`.

    Raises
    ------
    ValueError
        For a method other than "direct", ``k`` above the number of rows, chunks of unknown
        size, or ``X`` and ``y`` that do not match.
    TypeError
        For dask DataFrames, a dask ``y`` with an in-memory ``X``, dask test data, or
        solver options.

    Examples
    --------
    >>> import dask.array as da
    >>> from influence_demo import LogisticRegression, make_logistic_data, top_influences
    >>> X, y, X_test, y_test = make_logistic_data(400, 3, rng=0, n_test=2)
    >>> model = LogisticRegression(l2=1.0).fit(X, y)
    >>> top = dask_top_influences(model, da.from_array(X, chunks=100), y, X_test, y_test, k=3)
    >>> bool(np.all(top.harmful == top_influences(model, X, y, X_test, y_test, k=3).harmful))
    True
    """
    from .topk import TopInfluences  # topk imports this module when it meets a dask array

    check_fitted(model)
    damping = _check_method(method, damping, options)
    if k > X.shape[0]:
        raise ValueError(f"k = {k} exceeds the number of training points, {X.shape[0]}")
    G_test = _test_gradients(model, X_test, y_test)
    S, n, (dask, _, Zd, starts, _) = _solve(model, X, y, G_test.T, damping, stacklevel=3)
    W = dask.delayed(-S.T, pure=True)  # (m, p), sent once to each worker that needs it
    m = dask.delayed(model, pure=True)
    block = dask.delayed(_block_top, pure=True)
    parts = [block(m, W, Zb, a, k) for Zb, a in zip(Zd, starts)]
    hv, hi, lv, li = _tree(dask, merge_tops, parts, k).compute()
    return TopInfluences(harmful=hi, harmful_values=hv, helpful=li, helpful_values=lv, n_train=n)


def _block_self(model, Hinv, Zb):
    Gb = model.grad(*_split(Zb))
    return -np.einsum("ip,ip->i", Gb @ Hinv, Gb)


def dask_self_influence(model, X, y, method="direct", damping=0.0, **options):
    r"""Self-influence :math:`-\nabla L(z_i)^\top H^{-1}\nabla L(z_i)` of dask rows (a dask array).

    :func:`~influence_demo.influence.self_influence` and
    :func:`~influence_demo.topk.self_influence_batched` call this for a dask ``X``. The
    Hessian is summed on the workers and inverted once on the client (:math:`p\times p`);
    the result is a lazy dask array with the row chunks of ``X``, each chunk computed on
    the worker that holds its rows.

    Parameters
    ----------
    model : Model
        Fitted on ``X, y``.
    X : dask.array.Array, shape (n, p)
        The training rows.
    y : dask.array.Array or ndarray, shape (n,)
        The training targets.
    method : {"direct"}, default "direct"
        The only solver offered for dask arrays.
    damping : float, default 0
        :math:`\delta` in :math:`(H + \delta I)^{-1}`.
    **options
        None are accepted.

    Returns
    -------
    dask.array.Array, shape (n,)

    Examples
    --------
    >>> import dask.array as da
    >>> from influence_demo import LinearRegression, self_influence
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(50, 3)); y = rng.normal(size=50)
    >>> model = LinearRegression(l2=0.5).fit(X, y)
    >>> s = dask_self_influence(model, da.from_array(X, chunks=20), da.from_array(y, chunks=20))
    >>> np.allclose(s.compute(), self_influence(model, X, y), rtol=1e-12)
    True
    """
    check_fitted(model)
    damping = _check_method(method, damping, options)
    p = model.n_params_
    Hinv, _, (dask, da, Zd, _, chunks) = _solve(model, X, y, np.eye(p), damping, 3)
    H = dask.delayed(Hinv, pure=True)
    m = dask.delayed(model, pure=True)
    block = dask.delayed(_block_self, pure=True)
    return da.concatenate([
        da.from_delayed(block(m, H, Zb), shape=(c,), dtype=float) for Zb, c in zip(Zd, chunks)
    ])


def _block_scores(model, W, Zb):
    return W @ model.grad(*_split(Zb)).T


def dask_influence_loss(model, X, y, X_test, y_test, method="direct", damping=0.0, **options):
    r""":math:`\mathcal I = -G_{\text{test}}H^{-1}G^\top` for dask rows, as an (m, n) dask array.

    :func:`~influence_demo.influence.influence_loss` calls this for a dask ``X``. The
    Hessian is summed on the workers and factored once; :math:`W=-G_{\text{test}}H^{-1}`
    is sent to the workers, and the (lazy) result has one column chunk per row chunk of
    ``X``, made where those rows are. Reduce it on the cluster (``I.max(axis=1)``,
    ``da.argtopk``), or use :func:`~influence_demo.topk.top_influences`, which keeps only
    :math:`m\times k` per chunk.

    Parameters
    ----------
    model : Model
        Fitted on ``X, y``.
    X : dask.array.Array, shape (n, p)
        The training rows.
    y : dask.array.Array or ndarray, shape (n,)
        The training targets.
    X_test, y_test : arrays, shape (m, p) and (m,)
        The test points, in memory.
    method : {"direct"}, default "direct"
        The only solver offered for dask arrays.
    damping : float, default 0
        :math:`\delta` in :math:`(H + \delta I)^{-1}`.
    **options
        None are accepted.

    Returns
    -------
    dask.array.Array, shape (m, n)

    Examples
    --------
    >>> import dask.array as da
    >>> from influence_demo import LogisticRegression, influence_loss, make_logistic_data
    >>> X, y, X_test, y_test = make_logistic_data(300, 3, rng=0, n_test=4)
    >>> model = LogisticRegression(l2=1.0).fit(X, y)
    >>> I = dask_influence_loss(model, da.from_array(X, chunks=100), y, X_test, y_test)
    >>> I.shape, np.allclose(I.compute(), influence_loss(model, X, y, X_test, y_test))
    ((4, 300), True)
    """
    check_fitted(model)
    damping = _check_method(method, damping, options)
    G_test = _test_gradients(model, X_test, y_test)
    S, _, (dask, da, Zd, _, chunks) = _solve(model, X, y, G_test.T, damping, 3)
    W = dask.delayed(-S.T, pure=True)
    m = dask.delayed(model, pure=True)
    block = dask.delayed(_block_scores, pure=True)
    return da.concatenate([
        da.from_delayed(block(m, W, Zb), shape=(G_test.shape[0], c), dtype=float)
        for Zb, c in zip(Zd, chunks)
    ], axis=1)

