"""pearson, spearman, rankdata and rel_error against values worked out by hand (no scipy)."""

import numpy as np
import pytest

from influence_demo import pearson, rankdata, rel_error, spearman


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
    # With ties: ranks a = (1, 2.5, 2.5, 4), b = (1, 3, 2, 4);
    # sum ab = 4.5, sum a^2 = 4.5, sum b^2 = 5 (after centring).
    np.testing.assert_allclose(spearman([1, 2, 2, 3], [10, 30, 20, 40]), 3 / np.sqrt(10),
                               rtol=1e-15)
    # One swapped pair among n = 4: 1 - 6 * sum d^2 / (n (n^2 - 1)) = 1 - 6 * 2 / 60 = 0.8.
    np.testing.assert_allclose(spearman([1, 2, 3, 4], [1, 3, 2, 4]), 0.8, rtol=1e-15)


def test_rel_error_by_hand():
    # Column 0: |(0, 0.5)| / |(3, 4)| = 0.1; column 1: |(0.5, 0)| / |(1, 0)| = 0.5.
    U_ref = np.array([[3.0, 1.0], [4.0, 0.0]])
    U = U_ref + np.array([[0.0, 0.5], [0.5, 0.0]])
    assert rel_error(U, U_ref) == pytest.approx(0.5, rel=1e-15)
    assert rel_error(U[:, :1], U_ref[:, :1]) == pytest.approx(0.1, rel=1e-15)
    # A 1-D array is one column; identical inputs give exactly 0.
    assert rel_error(U[:, 0], U_ref[:, 0]) == pytest.approx(0.1, rel=1e-15)
    assert rel_error(U_ref, U_ref) == 0.0
    # Scale-free: scaling both by the same factor leaves the error unchanged.
    assert rel_error(1e6 * U, 1e6 * U_ref) == pytest.approx(0.5, rel=1e-14)


@pytest.mark.parametrize(
    "U, U_ref, message",
    [
        (np.ones(3), np.ones(4), "same shape"),
        (np.ones((2, 2, 2)), np.ones((2, 2, 2)), "1-D or 2-D"),
        (np.ones(0), np.ones(0), "1-D or 2-D"),
        (np.array([1.0, np.nan]), np.ones(2), "U contains NaN or inf"),
        (np.ones(2), np.array([np.inf, 1.0]), "U_ref contains NaN or inf"),
        (np.ones((2, 2)), np.array([[1.0, 0.0], [1.0, 0.0]]),
         r"column\(s\) \[1\] of U_ref are zero"),
    ],
)
def test_rel_error_rejects_bad_input(U, U_ref, message):
    with pytest.raises(ValueError, match=message):
        rel_error(U, U_ref)
