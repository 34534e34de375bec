"""Seeded random problems for the coursework checkers' cases.

Examples
--------
>>> X, y, theta = logistic_data(np.random.default_rng(0), 5, 2)
>>> X.shape, y.shape, theta.shape
((5, 2), (5,), (2,))
"""

import numpy as np

from ..models import LogisticRegression, sigmoid

__all__ = ["logistic_data", "noisy_labels", "fitted_model", "penalised_logistic_cases"]


def logistic_data(rng, n, p, scale=1.0):
    r"""Gaussian features, a random :math:`\theta` and labels drawn from the logistic model.

    Parameters
    ----------
    rng : numpy.random.Generator
        The source of every draw (the checkers seed it, so every run has the same cases).
    n, p : int
        Examples and features.
    scale : float, default 1
        Standard deviation of the entries of :math:`\theta` (larger margins when larger).

    Returns
    -------
    X : ndarray, shape (n, p)
        Standard normal.
    y : ndarray, shape (n,)
        :math:`y_i \sim \text{Bernoulli}(\sigma(x_i^\top\theta))`, in {0, 1}.
    theta : ndarray, shape (p,)
        The parameters the labels were drawn with.

    Examples
    --------
    >>> X, y, theta = logistic_data(np.random.default_rng(1), 4, 3, scale=2.0)
    >>> set(y.tolist()) <= {0.0, 1.0}
    True
    """
    X = rng.normal(size=(n, p))
    theta = rng.normal(size=p) * scale
    y = (rng.random(n) < sigmoid(X @ theta)).astype(float)
    return X, y, theta


def noisy_labels(rng, n, p):
    """Logistic data with both labels present, so that fits exist with a small penalty.

    Parameters
    ----------
    rng : numpy.random.Generator
        The source of every draw.
    n, p : int
        Examples (at least 2) and features.

    Returns
    -------
    X : ndarray, shape (n, p)
        Standard normal.
    y : ndarray, shape (n,)
        Labels in {0, 1}; the first two are 0 and 1.

    Examples
    --------
    >>> X, y = noisy_labels(np.random.default_rng(0), 6, 2)
    >>> y[:2]
    array([0., 1.])
    """
    X = rng.normal(size=(n, p))
    y = (rng.random(n) < sigmoid(X @ rng.normal(size=p))).astype(float)
    y[:2] = [0.0, 1.0]
    return X, y


def fitted_model(X, y, l2):
    r"""An L2 logistic regression fitted to ``X, y`` (Newton's method, to rounding).

    Parameters
    ----------
    X, y : ndarray, shapes (n, p) and (n,)
        A problem of :func:`noisy_labels`, or a checker's own (labels in {0, 1}).
    l2 : float
        The penalty :math:`\lambda`.

    Returns
    -------
    LogisticRegression
        The fitted model; ``theta_`` is :math:`\hat\theta`.

    Examples
    --------
    >>> X, y = noisy_labels(np.random.default_rng(0), 8, 2)
    >>> fitted_model(X, y, 1.0).theta_.shape
    (2,)
    """
    return LogisticRegression(l2=l2).fit(X, y)


def penalised_logistic_cases(seed, make_case, second_label, change_second):
    """The five problems of the L2 logistic checkers, each made by ``make_case(label, X, y, l2)``.

    The checkers that use them (``check_self_influence``, ``check_loo_onestep``) differ
    only in the second problem, whose data ``change_second(X, y)`` edits in place.

    Parameters
    ----------
    seed : int
        Seeds every draw.
    make_case : callable
        ``make_case(label, X, y, l2) -> Case``.
    second_label : str
        The label of the second problem.
    change_second : callable
        ``change_second(X, y)`` edits the second problem's arrays in place.

    Returns
    -------
    list of Case
        Random data, the edited problem, a single feature, a strong penalty and larger
        random data, in this order.

    Examples
    --------
    >>> cases = penalised_logistic_cases(0, lambda label, X, y, l2: label, "edited",
    ...                                  lambda X, y: None)
    >>> cases[1], len(cases)
    ('edited', 5)
    """
    rng = np.random.default_rng(seed)
    cases = []
    X, y = noisy_labels(rng, 8, 2)
    cases.append(make_case("random data, n=8, p=2, l2=0.5", X, y, 0.5))
    X, y = noisy_labels(rng, 10, 3)
    change_second(X, y)
    cases.append(make_case(second_label, X, y, 0.1))
    cases.append(make_case("a single feature, n=5, p=1, l2=1", rng.normal(size=(5, 1)),
                           [0, 1, 0, 1, 1], 1.0))
    X, y = noisy_labels(rng, 6, 2)
    cases.append(make_case("a strong penalty, n=6, p=2, l2=100", X, y, 100.0))
    X, y = noisy_labels(rng, 40, 4)
    cases.append(make_case("larger random data, n=40, p=4, l2=0.01", X, y, 0.01))
    return cases
