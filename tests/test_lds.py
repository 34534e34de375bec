"""Subset retraining and the linear datamodeling score, against independent computations."""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.stats import spearmanr

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    MLPClassifier,
    SubsetRefits,
    detection_auc,
    influence_loss,
    lds,
    loo_correlation,
    loo_loss_change,
    make_logistic_data,
    mean_lds,
    subset_retrain,
)


def brute_spearman(a, b):
    """Spearman's rho from ranks counted pair by pair (ties: average rank), then Pearson."""

    def ranks(v):
        v = np.asarray(v, dtype=float)
        return np.array([1 + np.sum(v < x) + 0.5 * (np.sum(v == x) - 1) for x in v])

    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float(ra @ rb / np.sqrt((ra @ ra) * (rb @ rb)))


@pytest.fixture(scope="module")
def ridge():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(size=30)
    X_test = rng.normal(size=(5, 4))
    y_test = X_test @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(size=5)
    return LinearRegression(l2=0.5).fit(X, y), X, y, X_test, y_test


@pytest.fixture(scope="module")
def logistic():
    X, y, X_test, y_test = make_logistic_data(n=50, p=3, rng=1, n_test=6)
    return LogisticRegression(l2=0.5).fit(X, y), X, y, X_test, y_test


def test_ridge_refits_match_the_closed_form(ridge):
    model, X, y, X_test, y_test = ridge
    refits = subset_retrain(model, X, y, X_test, y_test, fraction=0.4, n_subsets=8, seed=5)
    assert refits.masks.dtype == bool and refits.masks.shape == (8, 30)
    assert np.all(refits.masks.sum(axis=1) == 12)
    for k, keep in enumerate(refits.masks):
        Xs, ys = X[keep], y[keep]
        # the ridge minimiser of sum (y - x theta)^2 + l2/2 |theta|^2, solved directly
        theta = np.linalg.solve(2 * Xs.T @ Xs + 0.5 * np.eye(4), 2 * Xs.T @ ys)
        np.testing.assert_allclose(refits.params[k], theta, rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(refits.losses[k], (y_test - X_test @ theta) ** 2,
                                   rtol=1e-10, atol=1e-12)


def test_logistic_refits_match_an_independent_optimiser(logistic):
    model, X, y, X_test, y_test = logistic
    refits = subset_retrain(model, X, y, X_test, y_test, n_subsets=4, seed=2)

    def objective(theta, Xs, ys):
        s = Xs @ theta
        value = np.sum(np.logaddexp(0, s) - ys * s) + 0.25 * theta @ theta
        grad = Xs.T @ (1 / (1 + np.exp(-s)) - ys) + 0.5 * theta
        return value, grad

    for k, keep in enumerate(refits.masks):
        res = minimize(objective, np.zeros(3), args=(X[keep], y[keep]), jac=True,
                       method="BFGS", options={"gtol": 1e-11})
        np.testing.assert_allclose(refits.params[k], res.x, rtol=1e-6, atol=1e-8)
        s = X_test @ res.x
        np.testing.assert_allclose(refits.losses[k], np.logaddexp(0, s) - y_test * s,
                                   rtol=1e-6, atol=1e-9)


def test_warm_and_cold_agree_for_a_convex_model(logistic):
    model, X, y, X_test, y_test = logistic
    warm = subset_retrain(model, X, y, X_test, y_test, n_subsets=5)
    cold = subset_retrain(model, X, y, X_test, y_test, n_subsets=5, start="same_init")
    np.testing.assert_array_equal(warm.masks, cold.masks)  # the masks depend on seed only
    np.testing.assert_allclose(warm.losses, cold.losses, rtol=1e-10, atol=1e-12)


def test_seed_and_masks(logistic):
    model, X, y, X_test, y_test = logistic
    a = subset_retrain(model, X, y, X_test, y_test, n_subsets=4, seed=7)
    b = subset_retrain(model, X, y, X_test, y_test, n_subsets=4, seed=7)
    c = subset_retrain(model, X, y, X_test, y_test, n_subsets=4, seed=8)
    np.testing.assert_array_equal(a.masks, b.masks)
    assert not np.array_equal(a.masks, c.masks)
    again = subset_retrain(model, X, y, X_test, y_test, masks=a.masks, seed=99)
    np.testing.assert_array_equal(again.masks, a.masks)
    np.testing.assert_allclose(again.losses, a.losses, rtol=1e-10)


def test_network_refits_reach_the_rounding_floor():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(24, 3))
    y = np.arange(24) % 3
    model = MLPClassifier(n_hidden=3, l2=1.0, seed=0).fit(X, y)
    warm = subset_retrain(model, X, y, X[:4], y[:4], n_subsets=3)
    seeds = subset_retrain(model, X, y, X[:4], y[:4], n_subsets=3, start="new_seed")
    np.testing.assert_array_equal(warm.masks, seeds.masks)
    for refits in (warm, seeds):
        for keep, theta in zip(refits.masks, refits.params):
            grad = model.objective_grad(X[keep], y[keep], theta)
            assert np.linalg.norm(grad) < 1e-10
    # a new-seed refit is the fit of a fresh model with that seed
    keep = seeds.masks[1]
    fresh = MLPClassifier(n_hidden=3, l2=1.0, seed=int(seeds.init_seeds[1])).fit(X[keep], y[keep])
    np.testing.assert_allclose(seeds.params[1], fresh.theta_, atol=1e-8)


def test_lds_against_an_independent_spearman(logistic):
    model, X, y, X_test, y_test = logistic
    refits = subset_retrain(model, X, y, X_test, y_test, n_subsets=12, seed=4)
    scores = influence_loss(model, X, y, X_test, y_test)
    values = lds(scores, refits)
    for j in range(len(y_test)):
        # the prediction of subset k: the removal effects of the points it leaves out
        pred = [sum(-scores[j, i] for i in range(len(y)) if not refits.masks[k, i])
                for k in range(12)]
        assert values[j] == pytest.approx(brute_spearman(pred, refits.losses[:, j]), abs=1e-12)
        kept = [scores[j, refits.masks[k]].sum() for k in range(12)]  # dattri's convention
        assert values[j] == pytest.approx(spearmanr(kept, refits.losses[:, j])[0], abs=1e-12)
    assert values.min() > 0.8  # exact influence ranks convex refits well


def test_lds_with_ties_matches_scipy():
    masks = np.array([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 1]],
                     dtype=bool)
    losses = np.array([[1.0, 2.0], [1.0, 0.5], [3.0, 0.5], [2.0, 0.1], [0.0, 0.7]])
    scores = np.array([[0.1, 0.2, 0.1, 0.0], [-0.3, 0.3, 0.2, 0.1]])
    refits = SubsetRefits(masks, losses, np.zeros((5, 1)), None, "warm")
    values = lds(scores, refits)
    for j in range(2):
        pred = (~masks).astype(float) @ -scores[j]
        assert values[j] == pytest.approx(spearmanr(pred, losses[:, j])[0], abs=1e-12)
        assert values[j] == pytest.approx(brute_spearman(pred, losses[:, j]), abs=1e-12)


def test_lds_of_retraining_itself(logistic):
    model, X, y, X_test, y_test = logistic
    a = subset_retrain(model, X, y, X_test, y_test, n_subsets=6)
    b = subset_retrain(model, X, y, X_test, y_test, masks=a.masks, seed=1)
    np.testing.assert_allclose(lds(a, b), 1.0)
    other = subset_retrain(model, X, y, X_test, y_test, n_subsets=6, seed=3)
    with pytest.raises(ValueError, match="must share their masks"):
        lds(a, other)


def test_mean_lds_spread(logistic):
    model, X, y, X_test, y_test = logistic
    refits = subset_retrain(model, X, y, X_test, y_test, n_subsets=15)
    scores = influence_loss(model, X, y, X_test, y_test)
    by_test = mean_lds(scores, refits, n_boot=500, seed=1)
    assert by_test.mean == pytest.approx(lds(scores, refits).mean())
    # the bootstrap standard error of a mean of m values is close to std / sqrt(m)
    m = len(y_test)
    assert by_test.se == pytest.approx(by_test.per_test.std() / np.sqrt(m), rel=0.2)
    by_subsets = mean_lds(scores, refits, n_boot=300, over="subsets", seed=1)
    assert by_subsets.se > 0 and abs(by_subsets.samples.mean() - by_subsets.mean) < 0.1
    again = mean_lds(scores, refits, n_boot=500, seed=1)
    np.testing.assert_array_equal(again.samples, by_test.samples)


def test_mean_lds_formats_the_digits_of_its_spread():
    from influence_demo import MeanLDS

    assert str(MeanLDS(np.zeros(2), 0.87654, 0.0042, np.zeros(2), "test")) == "0.877 ± 0.004"
    assert str(MeanLDS(np.zeros(2), 0.87654, 0.042, np.zeros(2), "test")) == "0.88 ± 0.04"
    assert str(MeanLDS(np.zeros(2), 0.87654, 0.42, np.zeros(2), "test")) == "0.9 ± 0.4"


def test_loo_correlation_against_numpy(logistic):
    model, X, y, X_test, y_test = logistic
    scores = influence_loss(model, X, y, X_test, y_test)
    actual = loo_loss_change(model, X, y, X_test, y_test)
    r = loo_correlation(scores, actual)
    for j in range(len(y_test)):
        assert r[j] == pytest.approx(np.corrcoef(-scores[j], actual[j])[0, 1], abs=1e-12)


def test_detection_auc_against_pair_counting():
    rng = np.random.default_rng(0)
    s = np.round(rng.normal(size=40), 1)  # ties on purpose
    flipped = rng.choice(40, 7, replace=False)
    clean = np.setdiff1d(np.arange(40), flipped)
    wins = sum((s[f] > s[c]) + 0.5 * (s[f] == s[c]) for f in flipped for c in clean)
    assert detection_auc(s, flipped) == pytest.approx(wins / (7 * 33), abs=1e-14)
    assert detection_auc(np.arange(5.0), [3, 4]) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fraction": 1.0}, "fraction must lie strictly between 0 and 1"),
        ({"fraction": 0.001}, "keeps 0: a subset must keep at least one point"),
        ({"n_subsets": 2}, "n_subsets must be an integer >= 3"),
        ({"n_subsets": 3.5}, "n_subsets must be an integer >= 3"),
        ({"start": "cold"}, "start must be one of 'warm', 'same_init', 'new_seed'"),
        ({"start": "new_seed"}, "LogisticRegression has no seed"),
        ({"masks": np.ones((4, 50))}, r"masks must be a boolean array of shape \(n_subsets, 50\)"),
        ({"masks": np.ones((4, 49), bool)}, r"masks must be a boolean array"),
        ({"masks": np.ones((2, 50), bool)}, "masks must hold at least 3 subsets"),
        ({"masks": np.eye(4, 50, dtype=bool) & np.array([[1], [1], [1], [0]], dtype=bool)},
         "subset 3 keeps no training point"),
    ],
)
def test_subset_retrain_errors(logistic, kwargs, message):
    model, X, y, X_test, y_test = logistic
    with pytest.raises(ValueError, match=message):
        subset_retrain(model, X, y, X_test, y_test, **kwargs)


def test_subset_retrain_needs_a_fitted_model(logistic):
    _, X, y, X_test, y_test = logistic
    with pytest.raises(ValueError, match="not fitted"):
        subset_retrain(LogisticRegression(l2=1.0), X, y, X_test, y_test)


def test_lds_errors(logistic):
    model, X, y, X_test, y_test = logistic
    refits = subset_retrain(model, X, y, X_test, y_test, n_subsets=5)
    scores = influence_loss(model, X, y, X_test, y_test)
    with pytest.raises(ValueError, match=r"scores must have shape \(6, 50\)"):
        lds(scores.T, refits)
    bad = scores.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="scores contains NaN or inf"):
        lds(bad, refits)
    with pytest.raises(ValueError, match="the prediction of test point 2 is the same"):
        lds(np.where(np.arange(6)[:, None] == 2, 0.0, scores), refits)
    flat = SubsetRefits(refits.masks, np.ones((5, 6)), refits.params, None, "warm")
    with pytest.raises(ValueError, match="the refitted loss of test point 0 is the same"):
        lds(scores, flat)
    with pytest.raises(TypeError, match="subsets must have masks and losses"):
        lds(scores, refits.losses)
    short = SubsetRefits(refits.masks, refits.losses[:4], refits.params, None, "warm")
    with pytest.raises(ValueError, match=r"subsets.losses must have shape \(5, m\)"):
        lds(scores, short)
    with pytest.raises(ValueError, match="over must be 'test' or 'subsets'"):
        mean_lds(scores, refits, over="points")
    with pytest.raises(ValueError, match="n_boot must be an integer >= 2"):
        mean_lds(scores, refits, n_boot=1)


def test_metric_errors():
    with pytest.raises(ValueError, match="must have the same shape"):
        loo_correlation(np.zeros((2, 4)), np.zeros((2, 5)))
    with pytest.raises(ValueError, match="refit at least 3"):
        loo_correlation(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="row 1 is constant"):
        loo_correlation(np.array([[1.0, 2, 3], [1, 1, 1]]), np.ones((2, 3)) * [1, 2, 4])
    with pytest.raises(ValueError, match="flipped must be a non-empty 1-D array"):
        detection_auc([1.0, 2.0], [])
    with pytest.raises(ValueError, match=r"distinct indices in \[0, 3\)"):
        detection_auc([1.0, 2.0, 3.0], [3])
    with pytest.raises(ValueError, match="suspicion contains NaN"):
        detection_auc([1.0, np.nan], [0])


# --- the coursework checker of the chapter ------------------------------------------------


def _spearman_lds(scores, masks, losses, sign=-1.0):
    pred = (~masks).astype(float) @ (sign * scores.T)
    return np.array([spearmanr(pred[:, j], losses[:, j])[0] for j in range(losses.shape[1])])


def test_check_lds_passes_a_right_answer(capsys):
    from influence_demo.coursework import check_lds

    assert check_lds(_spearman_lds)
    assert "check_lds: PASS (4 cases)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (lambda s, m, l: _spearman_lds(s, m, l, sign=1.0), "The sign of the prediction"),
        (lambda s, m, l: np.array([np.corrcoef((~m).astype(float) @ -s[j], l[:, j])[0, 1]
                                   for j in range(l.shape[1])]),
         "this is the Pearson correlation of the values"),
        (lambda s, m, l: np.zeros(l.shape[0]), "you returned one value per subset"),
    ],
)
def test_check_lds_explains_a_wrong_answer(fn, hint, capsys):
    from influence_demo.coursework import check_lds

    assert not check_lds(fn)
    out = capsys.readouterr().out
    assert "check_lds: FAIL" in out and hint in out
