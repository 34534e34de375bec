r"""Per-block pieces of the streamed and the distributed influence computations.

:mod:`~influence_demo.topk` reads the training rows one batch after another;
:mod:`~influence_demo.distributed` hands each chunk of a dask array to a worker. Both
compute the same things on one block of rows :math:`B` and combine them the same way:

* the sums over :math:`B` of :math:`\nabla^2 L`, :math:`\nabla L`, :math:`\lVert\nabla L\rVert`
  and of the Hessian-vector product :math:`\nabla^2 L\,\hat\theta` (the scale of the
  optimality check), added over the blocks and finished once with the penalty;
* the ``k`` largest and smallest scores of each test point over :math:`B`, ordered by
  (value, training index), merged two lists at a time.

The penalty's terms come from one training row, whatever the model:
:math:`\Lambda = 2\,H_{\{z\}} - H_{\{z,z\}}` and
:math:`\Lambda\hat\theta = \nabla R_{\{z\}} - \nabla L(z)`.
"""

import math

import numpy as np

from ._linalg import Cholesky
from .models import warn_if_not_at_optimum

OPTIMALITY_RTOL = 1e-6


def penalty_terms(model, Xb, yb):
    r"""The penalty's Hessian :math:`\Lambda` and gradient :math:`\Lambda\hat\theta` (one row)."""
    x, t = Xb[:1], yb[:1]
    Lam = 2.0 * model.hessian(x, t) - model.hessian(np.vstack([x, x]), np.concatenate([t, t]))
    Lam_theta = model.objective_grad(x, t) - model.grad(x, t).sum(axis=0)
    return Lam, Lam_theta


def block_sums(model, Xb, yb, penalty, hessian=True):
    """The data terms of one block: gradient sum, H theta, gradient-norm sum, rows (and H)."""
    Lam, Lam_theta = penalty
    Gb = model.grad(Xb, yb)
    sums = {
        "g": Gb.sum(axis=0),
        "H_theta": model.hvp(model.theta_, Xb, yb) - Lam_theta,
        "scale": float(np.linalg.norm(Gb, axis=1).sum()),
        "n": Gb.shape[0],
    }
    if hessian:
        sums["H"] = model.hessian(Xb, yb) - Lam
    return sums


def add_sums(parts):
    """Add a list of :func:`block_sums` results (a new dict; the inputs are not changed)."""
    total = dict(parts[0])
    for part in parts[1:]:
        for key in total:
            total[key] = total[key] + part[key]
    return total


def check_sums(sums, penalty, rtol=OPTIMALITY_RTOL, stacklevel=2):
    r"""Warn if :math:`\hat\theta` is not an optimum; return the relative gradient norm.

    The rule of :meth:`~influence_demo.models.Model.check_optimality`, from summed blocks.
    """
    if sums["n"] == 0:
        raise ValueError("The training data are empty: no (X_batch, y_batch) pair was given")
    Lam_theta = penalty[1]
    g = sums["g"] + Lam_theta
    scale = sums["scale"] + float(np.linalg.norm(sums["H_theta"] + Lam_theta))
    return warn_if_not_at_optimum(np.linalg.norm(g), scale, rtol, stacklevel=stacklevel + 1)


def solve_sums(sums, penalty, V, damping):
    r""":math:`(H + \delta I)^{-1} V` with :math:`H` the summed blocks plus the penalty, once."""
    H = sums["H"] + penalty[0]
    H[np.diag_indices_from(H)] += damping
    return Cholesky(H, "Hessian H + damping*I").solve(V)


# --- top k ---------------------------------------------------------------------------


def _select(values, start, k, largest):
    """The ``min(k, c)`` largest (or smallest) entries of each row, by (value, position)."""
    c = values.shape[1]
    if c <= k:
        order = np.argsort(-values if largest else values, axis=1, kind="stable")
    else:
        if largest:
            part = np.argpartition(values, c - k, axis=1)[:, c - k :]
            sel = np.take_along_axis(values, part, axis=1)
            kth = sel.min(axis=1)
            n_in = np.count_nonzero(values >= kth[:, None], axis=1)
        else:
            part = np.argpartition(values, k - 1, axis=1)[:, :k]
            sel = np.take_along_axis(values, part, axis=1)
            kth = sel.max(axis=1)
            n_in = np.count_nonzero(values <= kth[:, None], axis=1)
        part.sort(axis=1)  # positions in order, so that a stable sort breaks ties by them
        sel = np.take_along_axis(values, part, axis=1)
        within = np.argsort(-sel if largest else sel, axis=1, kind="stable")
        order = np.take_along_axis(part, within, axis=1)
        # A k-th value tied with one left outside the partition: the smaller position wins,
        # which a full stable sort of that row decides (rare: exact ties).
        for r in np.flatnonzero(n_in > k):
            order[r] = np.argsort(-values[r] if largest else values[r], kind="stable")[:k]
    return np.take_along_axis(values, order, axis=1), order + start


def _merge(v1, i1, v2, i2, k, largest):
    """The first ``k`` of two lists per row, by (value, training index).

    Every index in ``i2`` exceeds every index in ``i1``, so a stable sort of the values
    breaks ties by index.
    """
    v = np.concatenate([v1, v2], axis=1)
    i = np.concatenate([i1, i2], axis=1)
    order = np.argsort(-v if largest else v, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(v, order, axis=1), np.take_along_axis(i, order, axis=1)


def top_of_scores(values, start, k):
    """Top ``k`` of a score block (m, c) whose columns are training points ``start, ...``.

    Returns ``(harmful_values, harmful, helpful_values, helpful)``, each (m, min(k, c)).
    """
    return (*_select(values, start, k, True), *_select(values, start, k, False))


def merge_tops(parts, k):
    """Merge a list of :func:`top_of_scores` results, in the order of their indices."""
    hv, hi, lv, li = parts[0]
    for p in parts[1:]:
        hv, hi = _merge(hv, hi, p[0], p[1], k, True)
        lv, li = _merge(lv, li, p[2], p[3], k, False)
    return hv, hi, lv, li


def _update(v, i, values, start, k, largest):
    """Merge a block whose indices all exceed those in ``i``, touching only rows it beats.

    A new score enters a full list only if it beats the ``k``-th strictly (an equal score
    has a larger index and loses the tie), so after the first blocks most rows cost one
    comparison per value.
    """
    bound = v[:, -1:]
    beats = values > bound if largest else values < bound
    counts = np.count_nonzero(beats, axis=1)
    rows = np.flatnonzero(counts)
    if rows.size == 0:
        return v, i
    width = int(counts[rows].max())
    if 4 * width >= values.shape[1]:  # many candidates (say, rows sorted by score)
        sv, si = _select(values[rows], start, k, largest)
    else:
        # Gather each row's candidates, in index order, into a (rows, width) block padded
        # with values that lose to every list entry; select among those only.
        r, c = np.nonzero(beats[rows])
        first = np.cumsum(counts[rows]) - counts[rows]
        rank = np.arange(r.size) - np.repeat(first, counts[rows])
        cand = np.full((rows.size, width), -np.inf if largest else np.inf)
        pos = np.zeros((rows.size, width), dtype=np.intp)
        cand[r, rank] = values[rows[r], c]
        pos[r, rank] = c
        sv, sp = _select(cand, 0, k, largest)
        si = np.take_along_axis(pos, sp, axis=1) + start
    v, i = v.copy(), i.copy()
    v[rows], i[rows] = _merge(v[rows], i[rows], sv, si, k, largest)
    return v, i


def scan_scores(model, W, Xb, yb, start, k, tops=None):
    r"""Score the rows ``Xb`` (training indices from ``start``) and merge them into ``tops``.

    ``W`` (m, p) is :math:`-G_{\text{test}}H^{-1}`; the scores :math:`W G_B^\top` are made
    in column chunks of :math:`\max(\lceil p(m + b)/m\rceil, 64k)` rows, so that no block
    is much larger than the inputs and the result already held.
    """
    Gb = model.grad(Xb, yb)
    m, p = W.shape
    # At least 64 k columns, so that merging (m k values) stays small against scoring.
    chunk = max(math.ceil(p * (m + Gb.shape[0]) / m), 64 * k)
    for a in range(0, Gb.shape[0], chunk):
        values = W @ Gb[a : a + chunk].T  # (m, c)
        if tops is None or tops[0].shape[1] < k:
            new = top_of_scores(values, start + a, k)
            tops = new if tops is None else merge_tops([tops, new], k)
        else:
            hv, hi = _update(tops[0], tops[1], values, start + a, k, True)
            lv, li = _update(tops[2], tops[3], values, start + a, k, False)
            tops = (hv, hi, lv, li)
    return tops
