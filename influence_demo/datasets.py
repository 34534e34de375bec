"""Data for the book: the two source notebooks' data, exactly, and generated problems.

The source-notebook helpers keep the notebooks' own legacy seeding
(``np.random.seed(0)``), so that their numbers are reproduced digit for digit. Everything
else takes a ``numpy.random.Generator`` (or a seed) passed in the open.
"""

import numpy as np

from ._validation import as_vector, check_binary
from .models import LogisticRegression


def ols_seed_data():
    """The least-squares data of source notebook 000: 10 points, 2 features, no intercept.

    ``np.random.seed(0)``; ``X ~ U(0, 1)``, the true ``theta`` is drawn uniformly and
    rounded to one decimal ([1.0, 0.8]), and ``y = X theta + N(0, 0.1^2)`` noise. Used in
    the chapters :ref:`least_squares` and :ref:`digits_influence`.

    Returns
    -------
    X : ndarray, shape (10, 2)
    y : ndarray, shape (10,)
    theta_true : ndarray, shape (2,)

    Examples
    --------
    >>> X, y, theta_true = ols_seed_data()
    >>> theta_true
    array([1. , 0.8])
    >>> X[0]
    array([0.5488135 , 0.71518937])
    """
    rs = np.random.RandomState(0)  # the same stream as np.random.seed(0)
    n, p = 10, 2
    X = rs.uniform(size=(n, p))
    theta = rs.uniform(size=p).round(1)
    e = rs.normal(scale=0.1, size=n)
    return X, X @ theta + e, theta


def tiny_logistic_data():
    """The three training points and one test point of source notebook 001.

    Used in the chapters :ref:`logistic_cg` and :ref:`cg_steps`.

    Returns
    -------
    X : ndarray, shape (3, 1)
        x = 0, 1, 2 (no intercept column; use :func:`~influence_demo.models.add_intercept`).
    y : ndarray, shape (3,)
        Labels 0, 0, 1: the classes are linearly separable.
    X_test : ndarray, shape (1, 1)
        x = 1.5.
    y_test : ndarray, shape (1,)
        Label 1.

    Examples
    --------
    >>> X, y, X_test, y_test = tiny_logistic_data()
    >>> X.ravel(), y, X_test.ravel(), y_test
    (array([0., 1., 2.]), array([0., 0., 1.]), array([1.5]), array([1.]))
    """
    return (
        np.array([[0.0], [1.0], [2.0]]),
        np.array([0.0, 0.0, 1.0]),
        np.array([[1.5]]),
        np.array([1.0]),
    )


def make_logistic_data(n, p, rng=None, *, signal=1.0, n_test=0):
    r"""A generated binary classification problem with Gaussian features.

    :math:`x \sim N(0, I_p)`, :math:`\theta^\star \sim N(0, \text{signal}^2 I_p / p)`
    and :math:`y \sim \text{Bernoulli}(\sigma(x^\top\theta^\star))`, so the classes
    overlap and the unpenalised fit exists for :math:`n \gg p`. Used in the chapter
    :ref:`cg_steps`, and by :func:`logistic_problem`.

    Parameters
    ----------
    n : int
        Training points.
    p : int
        Features (no intercept column).
    rng : numpy.random.Generator or int, optional
        The source of every draw, or its seed.
    signal : float, default 1
        Scale of :math:`\theta^\star`; the larger, the more the labels follow the sign
        of :math:`x^\top\theta^\star` (a small one makes them coin flips).
    n_test : int, default 0
        Test points, drawn from the same model after the training points.

    Returns
    -------
    X, y : ndarray, shapes (n, p) and (n,)
        Training features and labels in {0, 1}.
    X_test, y_test : ndarray, shapes (n_test, p) and (n_test,)
        Test features and labels.

    Examples
    --------
    >>> X, y, X_test, y_test = make_logistic_data(50, 3, rng=0, n_test=5)
    >>> X.shape, y.shape, X_test.shape, sorted(set(y.tolist()))
    ((50, 3), (50,), (5, 3), [0.0, 1.0])
    """
    rng = np.random.default_rng(rng)
    theta = rng.normal(scale=signal / np.sqrt(p), size=p)
    Xall = rng.standard_normal((n + n_test, p))
    prob = 1.0 / (1.0 + np.exp(-(Xall @ theta)))
    yall = (rng.uniform(size=n + n_test) < prob).astype(float)
    return Xall[:n], yall[:n], Xall[n:], yall[n:]


def logistic_problem(n, p, m=0, l2=1.0, rng=0):
    """A fitted L2 logistic regression on :func:`make_logistic_data`.

    The generated problem that the timing helpers
    (:func:`~influence_demo.timing.solver_scaling`, used in the chapter :ref:`solvers`)
    and the benchmark table of ``make bench`` share.

    Parameters
    ----------
    n, p : int
        Training points and features (no intercept column).
    m : int, default 0
        Test points.
    l2 : float, default 1
        The model's penalty.
    rng : numpy.random.Generator or int, default 0
        Seeds :func:`make_logistic_data`.

    Returns
    -------
    model : LogisticRegression
        Fitted to ``X, y`` by Newton's method.
    X, y : ndarray, shapes (n, p) and (n,)
        The training data.
    X_test, y_test : ndarray, shapes (m, p) and (m,)
        The test data.

    Examples
    --------
    >>> model, X, y, X_test, y_test = logistic_problem(50, 3, m=4)
    >>> model.theta_.shape, X_test.shape
    ((3,), (4, 3))
    """
    X, y, X_test, y_test = make_logistic_data(n, p, rng, n_test=m)
    model = LogisticRegression(l2=l2).fit(X, y)
    return model, X, y, X_test, y_test


def load_digits_pair(a=1, b=7, test_fraction=0.3, rng=0):
    """Two classes of scikit-learn's bundled 8x8 handwritten digits (no download).

    Pixels are scaled from 0..16 to [0, 1]. Label 1 is digit ``b``, label 0 is digit
    ``a``. The split is stratified by nothing but a seeded permutation. Used in the
    chapters :ref:`digits_influence`, :ref:`mislabeled`, :ref:`solvers` and :ref:`sol-lissa`.

    Needs scikit-learn (a dependency of the book, not of this package).

    Parameters
    ----------
    a, b : int, default 1 and 7
        The two digits, 0 to 9; ``a`` gets label 0 and ``b`` label 1.
    test_fraction : float, default 0.3
        The share of the images held out for testing, in (0, 1).
    rng : numpy.random.Generator or int, default 0
        Seeds the permutation that splits the images.

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray
        Rows of ``X`` are the 64 pixels; labels are in {0, 1}.

    Raises
    ------
    ValueError
        If ``a`` or ``b`` is not a digit 0 to 9, ``a == b``, or ``test_fraction`` is not
        in (0, 1).
    ImportError
        If scikit-learn is not installed.

    Examples
    --------
    >>> X, y, X_test, y_test = load_digits_pair(1, 7)
    >>> X.shape[1], round(len(y_test) / (len(y) + len(y_test)), 2), sorted(set(y.tolist()))
    (64, 0.3, [0.0, 1.0])
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "load_digits_pair needs scikit-learn: pip install 'influence-demo[book]'"
        ) from exc
    for name, digit in (("a", a), ("b", b)):
        if digit not in range(10):
            raise ValueError(f"{name} must be a digit 0 to 9; got {digit!r}")
    if a == b:
        raise ValueError(f"choose two different digits; got a = b = {a}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1); got {test_fraction}")
    digits = load_digits()
    keep = np.isin(digits.target, (a, b))
    X = digits.data[keep] / 16.0
    y = (digits.target[keep] == b).astype(float)
    order = np.random.default_rng(rng).permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


def flip_labels(y, fraction, rng=None):
    """Flip a random ``fraction`` of binary labels (0 <-> 1), as in Koh & Liang (2017, §5.4).

    Used in the chapter :ref:`mislabeled`.

    Parameters
    ----------
    y : array_like, shape (n,)
        Labels in {0, 1}; not modified.
    fraction : float
        The share of labels to flip, in [0, 1]; ``round(fraction * n)`` of them.
    rng : numpy.random.Generator or int, optional
        Chooses which labels flip.

    Returns
    -------
    y_noisy : ndarray, shape (n,)
        A copy of ``y`` with the chosen labels flipped.
    flipped : ndarray of int
        Indices of the flipped points, sorted.

    Raises
    ------
    ValueError
        If a label is not 0 or 1, a label is NaN or inf, ``y`` is not 1-D, or
        ``fraction`` is outside [0, 1].

    Examples
    --------
    >>> y_noisy, flipped = flip_labels(np.zeros(10), 0.2, rng=0)
    >>> len(flipped), int(y_noisy.sum())
    (2, 2)
    """
    y = as_vector(y)
    check_binary(y)
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must lie in [0, 1]; got {fraction}")
    rng = np.random.default_rng(rng)
    k = int(round(fraction * len(y)))
    flipped = np.sort(rng.choice(len(y), size=k, replace=False))
    y_noisy = y.copy()
    y_noisy[flipped] = 1.0 - y_noisy[flipped]
    return y_noisy, flipped
