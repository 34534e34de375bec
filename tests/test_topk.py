"""Streamed top-k influence and self-influence against the full influence matrix."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    NotAtOptimumWarning,
    add_intercept,
    influence_loss,
    make_logistic_data,
    self_influence,
)
from influence_demo.topk import iter_batches, self_influence_batched, top_influences

FAST = settings(max_examples=25, deadline=None, derandomize=True, database=None)


def reference(I, k):
    """The stated rule: a stable argsort, so that equal values go to the smaller index."""
    harmful = np.argsort(-I, axis=1, kind="stable")[:, :k]
    helpful = np.argsort(I, axis=1, kind="stable")[:, :k]
    return harmful, helpful


def assert_ranking(idx, vals, I, ref, exact_ties):
    """``idx`` is the reference ranking ``ref`` of ``I``, but for rounding-level near-ties.

    Positions may differ only where the two values agree to rounding (``tol``) and are not
    both exactly tied zeros (``exact_ties``, the points with zero gradient), which must
    follow the index rule strictly. The values returned are those of ``I`` at ``idx``.
    """
    tol = 1e-12 * np.abs(I).max(axis=1, keepdims=True) + 1e-15
    np.testing.assert_allclose(vals, np.take_along_axis(I, idx, 1), rtol=0, atol=tol.max())
    mine = np.take_along_axis(I, idx, 1)
    theirs = np.take_along_axis(I, ref, 1)
    differ = idx != ref
    assert np.all(np.abs(mine - theirs)[differ] <= np.broadcast_to(tol, idx.shape)[differ])
    assert not np.any(differ & exact_ties[idx] & exact_ties[ref])


def problem(n, p, m, seed, logistic, duplicates, zeros=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X_test = rng.normal(size=(m, p))
    if not zeros:
        X, X_test = add_intercept(X), add_intercept(X_test)
    if logistic:
        y = (rng.random(n) < 0.5).astype(float)
        y_test = (rng.random(m) < 0.5).astype(float)
        model = LogisticRegression(l2=1.0)
    else:
        y = rng.normal(size=n)
        y_test = rng.normal(size=m)
        model = LinearRegression(l2=0.5)
    # Exact copies of training points: equal influence, up to rounding.
    for _ in range(duplicates):
        i, j = rng.integers(n, size=2)
        X[j], y[j] = X[i], y[i]
    # All-zero rows (no intercept): zero gradient, so influence exactly 0, an exact tie.
    exact_ties = np.zeros(n, dtype=bool)
    exact_ties[rng.integers(n, size=zeros)] = True
    X[exact_ties] = 0.0
    return model.fit(X, y), X, y, X_test, y_test, exact_ties


@FAST
@given(
    n=st.integers(1, 30),
    p=st.integers(1, 4),
    m=st.integers(1, 5),
    seed=st.integers(0, 2**16),
    logistic=st.booleans(),
    duplicates=st.integers(0, 5),
    zeros=st.integers(0, 6),
    data=st.data(),
)
def test_top_influences_equal_the_sorted_influence_matrix(
    n, p, m, seed, logistic, duplicates, zeros, data
):
    model, X, y, X_test, y_test, exact_ties = problem(n, p, m, seed, logistic, duplicates, zeros)
    I = influence_loss(model, X, y, X_test, y_test)
    k = data.draw(st.integers(1, n), label="k")
    harmful, helpful = reference(I, k)
    for batch_size in range(1, n + 2):  # every batch size from 1 up, and one larger than n
        top = top_influences(model, X, y, X_test, y_test, k=k, batch_size=batch_size)
        assert_ranking(top.harmful, top.harmful_values, I, harmful, exact_ties)
        assert_ranking(top.helpful, top.helpful_values, I, helpful, exact_ties)
        assert top.n_train == n


def test_top_influences_equal_influence_loss_exactly_without_near_ties():
    # Distinct random points: no two influences within rounding of each other, so the lists
    # are those of the reference, index for index.
    X, y, X_test, y_test = make_logistic_data(400, 6, rng=7, n_test=30)
    model = LogisticRegression(l2=1.0).fit(X, y)
    I = influence_loss(model, X, y, X_test, y_test)
    gaps = np.diff(np.sort(I, axis=1), axis=1)
    assert gaps.min() > 1e-9 * np.abs(I).max()
    harmful, helpful = reference(I, 15)
    for batch_size in (1, 2, 3, 7, 64, 399, 400, 1000):
        top = top_influences(model, X, y, X_test, y_test, k=15, batch_size=batch_size)
        np.testing.assert_array_equal(top.harmful, harmful)
        np.testing.assert_array_equal(top.helpful, helpful)
        np.testing.assert_allclose(
            top.harmful_values, np.take_along_axis(I, harmful, 1), rtol=1e-12
        )


def test_ties_go_to_the_smaller_index():
    # Rows 3, 8, 9, 15 and 21 are zero: their influence is exactly 0 for every test point.
    # Each list is cut two places into the run of zeros, so the smaller indices must win.
    rng = np.random.default_rng(5)
    X = rng.normal(size=(24, 2))
    zero = [3, 8, 9, 15, 21]
    X[zero] = 0.0
    y = X @ np.array([1.0, -1.0]) + rng.normal(size=24)
    model = LinearRegression(l2=1.0).fit(X, y)
    X_test, y_test = rng.normal(size=(1, 2)), np.array([5.0])
    I = influence_loss(model, X, y, X_test, y_test)[0]
    assert np.all(I[zero] == 0)
    n_pos, n_neg = np.count_nonzero(I > 0), np.count_nonzero(I < 0)
    for batch_size in (1, 4, 24):
        top = top_influences(model, X, y, X_test, y_test, k=n_pos + 2, batch_size=batch_size)
        assert list(top.harmful[0, n_pos:]) == [3, 8] and np.all(top.harmful_values[0, n_pos:] == 0)
        top = top_influences(model, X, y, X_test, y_test, k=n_neg + 2, batch_size=batch_size)
        assert list(top.helpful[0, n_neg:]) == [3, 8] and np.all(top.helpful_values[0, n_neg:] == 0)


def test_cg_and_iterable_batches_and_memmap(tmp_path):
    X, y, X_test, y_test = make_logistic_data(300, 5, rng=1, n_test=7)
    model = LogisticRegression(l2=2.0).fit(X, y)
    I = influence_loss(model, X, y, X_test, y_test)
    harmful, helpful = reference(I, 6)
    # A memmap on disk, read a batch at a time.
    Xm = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=float, shape=X.shape)
    Xm[:] = X
    Xm.flush()
    Xm = np.load(tmp_path / "X.npy", mmap_mode="r")
    top = top_influences(model, Xm, y, X_test, y_test, k=6, batch_size=64)
    np.testing.assert_array_equal(top.harmful, harmful)
    # A list of (X, y) batches, and a function returning a fresh iterator of them.
    batches = list(iter_batches(X, y, 50))
    top = top_influences(model, batches, None, X_test, y_test, k=6)
    np.testing.assert_array_equal(top.helpful, helpful)
    top = top_influences(model, lambda: iter_batches(X, y, 33), None, X_test, y_test, k=6)
    np.testing.assert_array_equal(top.harmful, harmful)
    # CG on streamed Hessian-vector products: the same lists, values to the CG tolerance.
    top = top_influences(model, X, y, X_test, y_test, k=6, batch_size=64, method="cg", rtol=1e-12)
    np.testing.assert_array_equal(top.harmful, harmful)
    np.testing.assert_allclose(top.helpful_values, np.take_along_axis(I, helpful, 1), rtol=1e-9)
    # Damping enters as in influence_loss.
    Id = influence_loss(model, X, y, X_test, y_test, damping=3.0)
    top = top_influences(model, batches, None, X_test, y_test, k=6, damping=3.0)
    np.testing.assert_array_equal(top.harmful, reference(Id, 6)[0])


@pytest.mark.parametrize("method", ["direct", "cg"])
def test_self_influence_batched_equals_self_influence(method):
    X, y, _, _ = make_logistic_data(120, 4, rng=2)
    X = add_intercept(X)
    model = LogisticRegression(l2=0.5, unpenalized=[-1]).fit(X, y)
    expected = self_influence(model, X, y)
    np.testing.assert_allclose(
        self_influence_batched(model, X, y, batch_size=7, method=method), expected, rtol=1e-9
    )
    batches = list(iter_batches(X, y, 25))
    np.testing.assert_allclose(self_influence_batched(model, batches), expected, rtol=1e-10)


def test_streamed_optimality_check_warns():
    X, y, X_test, y_test = make_logistic_data(80, 3, rng=5, n_test=2)
    model = LogisticRegression(l2=1.0).fit(X, y)
    moved = model.with_theta(model.theta_ + 0.5)
    with pytest.warns(
        NotAtOptimumWarning, match=r"theta_ is not at an optimum of the objective on these data"
    ):
        top_influences(moved, X, y, X_test, y_test, k=3, batch_size=16)


def test_bad_arguments_get_clear_errors():
    X, y, X_test, y_test = make_logistic_data(20, 2, rng=6, n_test=1)
    model = LogisticRegression(l2=1.0).fit(X, y)
    with pytest.raises(ValueError, match=r"k must be an integer >= 1; got 0"):
        top_influences(model, X, y, X_test, y_test, k=0)
    with pytest.raises(ValueError, match=r"k = 21 exceeds the number of training points, 20"):
        top_influences(model, X, y, X_test, y_test, k=21)
    with pytest.raises(ValueError, match=r"k = 21 exceeds the number of training points, 20"):
        top_influences(model, [(X, y)], None, X_test, y_test, k=21)
    with pytest.raises(ValueError, match=r"batch_size must be an integer >= 1; got 0"):
        top_influences(model, X, y, X_test, y_test, batch_size=0)
    with pytest.raises(
        ValueError, match=r"method must be 'direct' or 'cg' for streamed data; got 'lissa'"
    ):
        top_influences(model, X, y, X_test, y_test, method="lissa")
    with pytest.raises(TypeError, match=r"method='direct' takes no options; got \['rtol'\]"):
        top_influences(model, X, y, X_test, y_test, rtol=1e-3)
    with pytest.raises(TypeError, match=r"a one-shot iterator \(such as a generator\) was given"):
        top_influences(model, iter_batches(X, y, 5), None, X_test, y_test)
    with pytest.raises(TypeError, match=r"y is missing"):
        top_influences(model, X, None, X_test, y_test)
    with pytest.raises(
        ValueError, match=r"X and y have different lengths: 20 rows against 19 targets"
    ):
        top_influences(model, X, y[:-1], X_test, y_test)
    with pytest.raises(ValueError, match=r"The training data are empty"):
        top_influences(model, [], None, X_test, y_test)
    with pytest.raises(
        ValueError, match=r"X must be 2-D with shape \(n_samples, n_features\); got shape \(20,\)"
    ):
        top_influences(model, X[:, 0], y, X_test, y_test)
    with pytest.raises(ValueError, match=r"X batch must be 2-D"):
        top_influences(model, [(X[0], y[:1])], None, X_test, y_test, k=1)


def test_a_perfect_fit_streams_without_an_optimality_warning():
    """The streamed check uses the same rule as Model.check_optimality (scale includes H theta)."""
    import warnings

    from influence_demo import LinearRegression, add_intercept, top_influences

    x = np.arange(6.0)
    X = add_intercept(x[:, None])
    model = LinearRegression().fit(X, 2 * x + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        top_influences(model, X, 2 * x + 1, X[:2], 2 * x[:2] + 1, k=2, batch_size=4)


class _Scores:
    """A stand-in whose gradients are the given rows, so that with W = I the scores are X^T."""

    def grad(self, X, y):
        return X


@FAST
@given(
    m=st.integers(1, 4),
    n=st.integers(1, 300),
    k=st.integers(1, 12),
    levels=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_block_selection_and_merges_follow_the_stable_sort(m, n, k, levels, seed, data):
    """Heavily tied scores, split at random: the streamed update and the tree merge of
    per-block lists both give exactly the stable argsort, ties to the smaller index."""
    from influence_demo._blocks import merge_tops, scan_scores, top_of_scores

    k = min(k, n)
    rng = np.random.default_rng(seed)
    V = rng.integers(-levels, levels + 1, size=(m, n)).astype(float)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(n - 1, 1)), max_size=8)))
    bounds = [0, *[c for c in cuts if c < n], n]
    harmful = np.argsort(-V, axis=1, kind="stable")[:, :k]
    helpful = np.argsort(V, axis=1, kind="stable")[:, :k]
    tops = None  # streamed: one block after another, as top_influences reads batches
    for a, b in zip(bounds[:-1], bounds[1:]):
        tops = scan_scores(_Scores(), np.eye(m), V[:, a:b].T, None, a, k, tops)
    parts = [top_of_scores(V[:, a:b], a, k) for a, b in zip(bounds[:-1], bounds[1:])]
    for hv, hi, lv, li in (tops, merge_tops(parts, k)):
        np.testing.assert_array_equal(hi, harmful)
        np.testing.assert_array_equal(li, helpful)
        np.testing.assert_array_equal(hv, np.take_along_axis(V, harmful, 1))
        np.testing.assert_array_equal(lv, np.take_along_axis(V, helpful, 1))
