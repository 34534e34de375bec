"""Agreement between predicted and actual effects: Pearson and Spearman correlation."""

import numpy as np

from ._validation import as_vector


def _pair(a, b):
    a, b = as_vector(np.ravel(a), "a"), as_vector(np.ravel(b), "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same size; got {a.size} and {b.size}")
    if a.size < 2:
        raise ValueError("correlation needs at least two points")
    return a, b


def rankdata(a):
    """Ranks 1..n, ties getting their average rank (as ``scipy.stats.rankdata``).

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
    r"""Pearson correlation :math:`r = \frac{\sum (a_i-\bar a)(b_i-\bar b)}{\sqrt{\sum(a_i-\bar a)^2\sum(b_i-\bar b)^2}}`.

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

    Examples
    --------
    >>> spearman([1, 2, 3, 4], [1, 8, 27, 64])
    1.0
    """
    a, b = _pair(a, b)
    return pearson(rankdata(a), rankdata(b))
