"""Agreement between two sets of numbers: Pearson and Spearman correlation, relative error."""

import numpy as np

from ._validation import as_vector, check_finite


def _pair(a, b):
    a, b = as_vector(np.ravel(a), "a"), as_vector(np.ravel(b), "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same size; got {a.size} and {b.size}")
    if a.size < 2:
        raise ValueError("correlation needs at least two points")
    return a, b


def rankdata(a):
    """Ranks 1..n, ties getting their average rank (as ``scipy.stats.rankdata``).

    Parameters
    ----------
    a : array_like
        The values, flattened.

    Returns
    -------
    ndarray of float, shape (a.size,)
        The rank of each value: 1 for the smallest; equal values share the mean of the ranks
        they span.

    Examples
    --------
    >>> rankdata([10, 30, 20, 20])
    array([1. , 4. , 2.5, 2.5])
    """
    a = np.asarray(a, dtype=float).ravel()
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(a.size)
    ranks[order] = np.arange(1, a.size + 1)
    _, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return sums[inverse] / counts[inverse]


def pearson(a, b):
    r"""Pearson correlation of two sets of numbers.

    .. math::

        r = \frac{\sum_i (a_i-\bar a)(b_i-\bar b)}
                 {\sqrt{\sum_i (a_i-\bar a)^2 \sum_i (b_i-\bar b)^2}}

    The chapters use it to compare predicted with actual leave-one-out effects.

    Parameters
    ----------
    a, b : array_like
        Equal numbers of finite values (at least two), flattened.

    Returns
    -------
    float
        :math:`r \in [-1, 1]`.

    Raises
    ------
    ValueError
        If the sizes differ, there are fewer than two values, a value is NaN or inf, or
        one input is constant (then :math:`r` is undefined).

    Examples
    --------
    >>> pearson([1, 2, 3], [2, 4, 6.5])
    0.9979...
    """
    a, b = _pair(a, b)
    a, b = a - a.mean(), b - b.mean()
    denom = np.sqrt((a @ a) * (b @ b))
    if denom == 0:
        raise ValueError("correlation is undefined when one input is constant")
    return float(a @ b / denom)


def spearman(a, b):
    """Spearman rank correlation: the Pearson correlation of the ranks.

    It measures how well the predicted effects *order* the training points, whatever
    their scale.

    Parameters
    ----------
    a, b : array_like
        Two samples of one size (two values or more); ties get their average rank.

    Returns
    -------
    float
        :func:`pearson` of :func:`rankdata` of ``a`` and of ``b``, in [-1, 1].

    Raises
    ------
    ValueError
        As :func:`pearson`, for example when all the values of one input are equal.

    Examples
    --------
    >>> spearman([1, 2, 3, 4], [1, 8, 27, 64])
    1.0
    """
    a, b = _pair(a, b)
    return pearson(rankdata(a), rankdata(b))


def rel_error(U, U_ref):
    r"""Largest relative 2-norm error of a column of ``U`` against ``U_ref``.

    .. math::

        \max_j \frac{\lVert U_{:,j} - U^{\text{ref}}_{:,j}\rVert_2}
                     {\lVert U^{\text{ref}}_{:,j}\rVert_2}

    Each column is one right-hand side (for example one column of
    :math:`H^{-1} V`), so a solver is judged by its worst column. Used in the chapter
    :ref:`solvers` and :ref:`sol-lissa` to compare CG and LiSSA with the direct solve.

    Parameters
    ----------
    U : array_like, shape (p,) or (p, k)
        The approximation. A 1-D array is one column.
    U_ref : array_like, same shape as ``U``
        The reference; no column may be zero.

    Returns
    -------
    float
        The largest relative error over the columns.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty, more than 2-D, holds NaN or inf, or a
        column of ``U_ref`` is zero (its relative error is undefined).

    Examples
    --------
    >>> rel_error([1.0, 2.0, 2.0], [1.0, 2.0, 2.0])
    0.0
    >>> U_ref = np.array([[3.0, 1.0], [4.0, 0.0]])
    >>> rel_error(U_ref + [[0.0, 0.5], [0.5, 0.0]], U_ref)  # columns: 0.5 / 5 and 0.5 / 1
    0.5
    """
    U, U_ref = np.asarray(U, dtype=float), np.asarray(U_ref, dtype=float)
    if U.shape != U_ref.shape:
        raise ValueError(f"U and U_ref must have the same shape; got {U.shape} and {U_ref.shape}")
    if U.ndim not in (1, 2) or U.size == 0:
        raise ValueError(f"U must be a non-empty 1-D or 2-D array; got shape {U.shape}")
    check_finite(U, "U")
    check_finite(U_ref, "U_ref")
    U, U_ref = U.reshape(len(U), -1), U_ref.reshape(len(U_ref), -1)
    ref_norms = np.linalg.norm(U_ref, axis=0)
    if np.any(ref_norms == 0):
        raise ValueError(
            f"column(s) {np.flatnonzero(ref_norms == 0).tolist()} of U_ref are zero: "
            "the relative error is undefined"
        )
    return float(np.max(np.linalg.norm(U - U_ref, axis=0) / ref_norms))
