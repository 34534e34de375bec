"""Data helpers: generated problems are seeded and well formed."""

import numpy as np
import pytest

from influence_demo import LogisticRegression, flip_labels, load_digits_pair, make_logistic_data
from influence_demo.datasets import logistic_problem


def test_make_logistic_data_is_seeded_and_well_formed():
    X, y, X_test, y_test = make_logistic_data(200, 4, rng=7, n_test=50)
    assert X.shape == (200, 4) and y.shape == (200,)
    assert X_test.shape == (50, 4) and y_test.shape == (50,)
    assert set(np.unique(y)) == {0.0, 1.0} and set(np.unique(y_test)) <= {0.0, 1.0}
    again = make_logistic_data(200, 4, rng=np.random.default_rng(7), n_test=50)
    for a, b in zip((X, y, X_test, y_test), again):
        np.testing.assert_array_equal(a, b)
    other = make_logistic_data(200, 4, rng=8, n_test=50)
    assert not np.array_equal(X, other[0])
    # Standard normal features.
    assert abs(X.mean()) < 0.15 and abs(X.std() - 1) < 0.1  # 800 draws: 4 standard errors
    # No test rows by default.
    assert make_logistic_data(10, 2, rng=0)[2].shape == (0, 2)


def test_signal_controls_class_separation():
    # A strong signal makes the labels follow the sign of x^T theta*;
    # a weak one makes them coin flips.
    def accuracy(signal, seed):
        X, y, _, _ = make_logistic_data(1000, 2, rng=seed, signal=signal)
        model = LogisticRegression(l2=1.0).fit(X, y)
        return np.mean(model.predict(X) == y)

    strong = np.mean([accuracy(50.0, seed) for seed in range(5)])
    weak = np.mean([accuracy(0.01, seed) for seed in range(5)])
    assert strong > 0.9 and weak < 0.6


def test_flip_labels():
    y = np.array([0.0, 1.0] * 10)
    y_noisy, flipped = flip_labels(y, 0.25, rng=3)
    assert len(flipped) == 5 and np.all(np.diff(flipped) > 0)
    np.testing.assert_array_equal(y_noisy[flipped], 1 - y[flipped])
    untouched = np.setdiff1d(np.arange(20), flipped)
    np.testing.assert_array_equal(y_noisy[untouched], y[untouched])
    assert y[0] == 0.0  # the input is not modified
    np.testing.assert_array_equal(flip_labels(y, 0.25, rng=3)[1], flipped)
    with pytest.raises(ValueError, match=r"fraction must lie in \[0, 1\]; got 1.5"):
        flip_labels(y, 1.5)


def test_load_digits_pair():
    pytest.importorskip("sklearn")
    X, y, X_test, y_test = load_digits_pair(1, 7, test_fraction=0.3, rng=0)
    n = len(y) + len(y_test)
    assert n == 182 + 179  # the bundled data hold 182 ones and 179 sevens
    assert len(y_test) == round(0.3 * n)
    assert X.shape[1] == 64 and X.min() >= 0 and X.max() <= 1
    assert set(np.unique(y)) == {0.0, 1.0}
    again = load_digits_pair(1, 7, test_fraction=0.3, rng=0)
    np.testing.assert_array_equal(X, again[0])
    with pytest.raises(ValueError, match="choose two different digits; got a = b = 3"):
        load_digits_pair(3, 3)
    with pytest.raises(ValueError, match="b must be a digit 0 to 9; got 10"):
        load_digits_pair(1, 10)  # would otherwise give one class only
    with pytest.raises(ValueError, match="a must be a digit 0 to 9; got 1.5"):
        load_digits_pair(1.5, 7)
    with pytest.raises(ValueError, match=r"test_fraction must lie in \(0, 1\); got 1"):
        load_digits_pair(test_fraction=1)


def test_logistic_problem_is_a_fitted_model_on_make_logistic_data():
    model, X, y, X_test, y_test = logistic_problem(60, 4, m=7, l2=0.5, rng=1)
    for a, b in zip((X, y, X_test, y_test), make_logistic_data(60, 4, rng=1, n_test=7)):
        np.testing.assert_array_equal(a, b)
    assert isinstance(model, LogisticRegression) and model.l2 == 0.5
    # Fitted to the optimum: the gradient of the objective vanishes.
    assert np.linalg.norm(model.objective_grad(X, y)) <= 1e-8
