"""pearson, spearman and rankdata against values worked out by hand (no scipy)."""

import numpy as np
import pytest

from influence_demo import pearson, rankdata, spearman


def test_rankdata_without_ties():
    np.testing.assert_array_equal(rankdata([30.0, 10.0, 20.0]), [3.0, 1.0, 2.0])


def test_rankdata_averages_ties():
    # 1 and 1 share ranks 1 and 2 -> 1.5; 4 is third; 5 and 5 and 5 share 4, 5, 6 -> 5.
    np.testing.assert_array_equal(rankdata([5, 1, 4, 1, 5, 5]), [5.0, 1.5, 3.0, 1.5, 5.0, 5.0])
    np.testing.assert_array_equal(rankdata([2.0, 2.0, 2.0]), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(rankdata([-1.0, np.float64(-0.0), 0.0]), [1.0, 2.5, 2.5])


def test_pearson_by_hand():
    # a - mean = (-1, 0, 1); b - mean = (-4/3, -1/3, 5/3); sum ab = 3, sum a^2 = 2, sum b^2 = 14/3.
    np.testing.assert_allclose(pearson([1, 2, 3], [1, 2, 4]), 3 / np.sqrt(2 * 14 / 3), rtol=1e-15)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0, abs=1e-15)
    assert pearson([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0, abs=1e-15)
    # Invariant to shifting and positive scaling, flips sign under negation.
    a = np.array([0.3, -1.2, 2.5, 0.7, 1.1])
    b = np.array([1.0, -0.5, 1.7, 0.2, 2.2])
    r = pearson(a, b)
    np.testing.assert_allclose(pearson(5 * a + 3, b - 7), r, rtol=1e-14)
    np.testing.assert_allclose(pearson(-a, b), -r, rtol=1e-14)
    # 2-D inputs are flattened.
    np.testing.assert_allclose(pearson(a[None, :], b[:, None]), r, rtol=1e-15)


def test_spearman_by_hand():
    # Monotone but nonlinear: rank correlation 1 although Pearson is below 1.
    x = [1, 2, 3, 4, 5]
    assert spearman(x, [1, 8, 27, 64, 125]) == pytest.approx(1.0, abs=1e-15)
    assert pearson(x, [1, 8, 27, 64, 125]) < 0.99
    assert spearman(x, [5, 4, 3, 2, 1]) == pytest.approx(-1.0, abs=1e-15)
    # With ties: ranks a = (1, 2.5, 2.5, 4), b = (1, 3, 2, 4); sum ab = 4.5, sum a^2 = 4.5, sum b^2 = 5.
    np.testing.assert_allclose(spearman([1, 2, 2, 3], [10, 30, 20, 40]), 3 / np.sqrt(10), rtol=1e-15)
    # One swapped pair among n = 4: 1 - 6 * sum d^2 / (n (n^2 - 1)) = 1 - 6 * 2 / 60 = 0.8.
    np.testing.assert_allclose(spearman([1, 2, 3, 4], [1, 3, 2, 4]), 0.8, rtol=1e-15)
