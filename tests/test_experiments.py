"""The chapters' experiments, checked against brute force, closed forms and a tighter refit."""

import functools

import numpy as np
import pytest

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    add_intercept,
    flip_labels,
    generalized_leverage,
    influence_loss,
    leverage,
    load_digits_pair,
    loo_loss_change,
    loo_loss_change_onestep,
    loo_params,
    make_logistic_data,
    pearson,
    self_influence,
    spearman,
)
from influence_demo.experiments import (
    add_private_features,
    check_orders,
    detection_curves,
    fraction_found,
    group_removal,
    nearest_groups,
    penalty_sweep,
    random_groups,
    refit_without,
    self_influence_vs_retraining,
    separating_theta,
)


@pytest.fixture(scope="module")
def small_problem():
    """A logistic problem with one test point: X (40, 3), y (40,), X_test (1, 3), y_test (1,)."""
    X, y, X_test, y_test = make_logistic_data(40, 2, rng=5, n_test=1)
    return add_intercept(X), y, add_intercept(X_test), y_test


# --- penalty sweep ------------------------------------------------------------------------


def test_penalty_sweep_matches_brute_force(small_problem):
    X, y, x_t, y_t = small_problem
    template = LogisticRegression()
    sweep = penalty_sweep(template, X, y, x_t, y_t, [1.0, 1e-2])
    assert not hasattr(template, "theta_")  # the template is not fitted
    for k, l2 in enumerate([1.0, 1e-2]):
        model = LogisticRegression(l2=l2).fit(X, y)
        np.testing.assert_allclose(model.theta_, LogisticRegression(l2=l2).fit(X, y).theta_)
        # the actual change, refit by refit, from a direct loop over the reduced data
        keep = np.ones(len(y), dtype=bool)
        direct = np.empty(len(y))
        for i in range(len(y)):
            keep[i] = False
            theta_i = LogisticRegression(l2=l2).fit(X[keep], y[keep]).theta_
            keep[i] = True
            direct[i] = model.loss(x_t, y_t, theta_i)[0] - model.loss(x_t, y_t)[0]
        np.testing.assert_allclose(sweep.actual[k], direct, rtol=1e-7, atol=1e-13)
        np.testing.assert_allclose(
            sweep.influence[k], -influence_loss(model, X, y, x_t, y_t)[0], rtol=1e-10
        )
        np.testing.assert_allclose(
            sweep.onestep[k], loo_loss_change_onestep(model, X, y, x_t, y_t)[0], rtol=1e-10
        )
        np.testing.assert_allclose(sweep.leverage[k], generalized_leverage(model, X, y), rtol=1e-10)
        row = sweep.at(l2)
        assert row["pearson_influence"] == pytest.approx(
            pearson(sweep.actual[k], sweep.influence[k]), abs=1e-14
        )
        assert row["spearman_onestep"] == pytest.approx(
            spearman(sweep.actual[k], sweep.onestep[k]), abs=1e-14
        )
        assert row["max_leverage"] == pytest.approx(sweep.leverage[k].max(), abs=1e-14)
        assert row["n_unmoved"] == 0
    # a larger penalty: every leverage smaller, the influence function closer to the refits
    assert np.all(sweep.leverage[0] < sweep.leverage[1])
    assert sweep.pearson_influence[0] > sweep.pearson_influence[1]


def test_penalty_sweep_sign_errors_and_subsets(small_problem):
    X, y, x_t, y_t = small_problem
    sweep = penalty_sweep(LogisticRegression(), X, y, x_t, y_t, [1e-2])
    for name in ("influence", "onestep"):
        est = getattr(sweep, name)[0]
        expected = [i for i in range(len(y)) if np.sign(est[i]) != np.sign(sweep.actual[0, i])]
        assert sweep.sign_errors(name)[0].tolist() == expected
    drop = [0, 3]
    keep = np.setdiff1d(np.arange(len(y)), drop)
    without = sweep.spearman_without(drop)
    assert without["influence"][0] == pytest.approx(
        spearman(sweep.actual[0, keep], sweep.influence[0, keep])
    )


def test_penalty_sweep_errors(small_problem):
    X, y, x_t, y_t = small_problem
    with pytest.raises(ValueError, match="must hold one test point"):
        penalty_sweep(LogisticRegression(), X, y, X[:2], y[:2], [1.0])
    with pytest.raises(ValueError, match="at least one penalty"):
        penalty_sweep(LogisticRegression(), X, y, x_t, y_t, [])
    sweep = penalty_sweep(LogisticRegression(), X, y, x_t, y_t, [1.0])
    with pytest.raises(ValueError, match="not one of the swept penalties"):
        sweep.at(0.5)
    with pytest.raises(ValueError, match="estimate must be 'influence' or 'onestep'"):
        sweep.sign_errors("refit")


LD = np.longdouble


def _polished_loss_change(X, y, l2, x_t, y_t, thetas, theta_hat, steps=2):
    """The actual change in the test loss from refits polished by Newton steps whose gradient
    is computed in extended precision (mixed-precision iterative refinement), for logistic
    regression. Returns the changes and the largest final gradient norm."""
    Xl, yl = X.astype(LD), y.astype(LD)

    def polish(keep, theta):
        th = theta.astype(LD)
        for _ in range(steps + 1):
            s = Xl[keep] @ th
            p = 1 / (1 + np.exp(-s))
            g = Xl[keep].T @ (p - yl[keep]) + LD(l2) * th
            if _ == steps:
                return th, float(np.sqrt(np.sum(g * g)))
            w = (p * (1 - p)).astype(float)
            H = X[keep].T @ (w[:, None] * X[keep]) + l2 * np.eye(X.shape[1])
            th = th - np.linalg.solve(H, g.astype(float)).astype(LD)

    def test_loss(th):
        z = (1 - 2 * LD(y_t[0])) * (x_t[0].astype(LD) @ th)
        return np.log1p(np.exp(-abs(z))) + max(z, LD(0))

    full, g_full = polish(np.ones(len(y), dtype=bool), theta_hat)
    base = test_loss(full)
    out, g_max = np.empty(len(y)), g_full
    keep = np.ones(len(y), dtype=bool)
    for i in range(len(y)):
        keep[i] = False
        th, g = polish(keep, thetas[i])
        keep[i] = True
        out[i] = float(test_loss(th) - base)
        g_max = max(g_max, g)
    return out, g_max


@pytest.mark.skipif(
    np.finfo(np.longdouble).eps >= np.finfo(float).eps, reason="needs extended precision"
)
def test_digits_sweep_at_the_smallest_penalty_matches_polished_refits():
    """The chapter's sweep at l2 = 1e-5, where refits are hardest, against refits polished
    in extended precision: the correlations agree to far better than the four printed
    decimals, and no refit is left unmoved."""
    X_raw, y, X_test_raw, y_test = load_digits_pair(1, 7, test_fraction=0.3, rng=0)
    X, X_test = add_intercept(X_raw), add_intercept(X_test_raw)
    x_t, y_t = X_test[[72]], y_test[[72]]
    l2 = 1e-5
    sweep = penalty_sweep(LogisticRegression(), X, y, x_t, y_t, [l2])
    model = LogisticRegression(l2=l2).fit(X, y)
    thetas = loo_params(model, X, y)
    polished, g_max = _polished_loss_change(X, y, l2, x_t, y_t, thetas, model.theta_)
    assert g_max < 1e-15
    assert sweep.at(l2)["n_unmoved"] == 0
    for name in ("influence", "onestep"):
        est = getattr(sweep, name)[0]
        assert abs(spearman(polished, est) - sweep.at(l2)[f"spearman_{name}"]) < 1e-6
        assert abs(pearson(polished, est) - sweep.at(l2)[f"pearson_{name}"]) < 1e-6
    # every actual change is right to about 1e-11 (measured: 2e-12), far below the changes
    # that decide the correlations
    np.testing.assert_allclose(sweep.actual[0], polished, rtol=1e-6, atol=1e-11)


# --- groups -------------------------------------------------------------------------------


def test_refit_without_matches_direct_fits(small_problem, ls_data):
    X, y, _, _ = small_problem
    model = LogisticRegression(l2=0.5).fit(X, y)
    np.testing.assert_allclose(
        refit_without(model, X, y, [7]), loo_params(model, X, y, indices=[7])[0], atol=1e-12
    )
    group = [1, 4, 9]
    keep = np.setdiff1d(np.arange(len(y)), group)
    theta = refit_without(model, X, y, group)
    assert np.linalg.norm(model.objective_grad(X[keep], y[keep], theta)) < 1e-10
    np.testing.assert_array_equal(refit_without(model, X, y, []), model.theta_)
    # least squares: the normal equations of the reduced data, solved directly
    Xl, yl = ls_data
    ols = LinearRegression(l2=0.3).fit(Xl, yl)
    keep = np.setdiff1d(np.arange(len(yl)), [0, 5])
    A = 2 * Xl[keep].T @ Xl[keep] + 0.3 * np.eye(Xl.shape[1])
    np.testing.assert_allclose(
        refit_without(ols, Xl, yl, [0, 5]), np.linalg.solve(A, 2 * Xl[keep].T @ yl[keep])
    )


def test_refit_without_errors(small_problem):
    X, y, _, _ = small_problem
    model = LogisticRegression(l2=0.5).fit(X, y)
    with pytest.raises(ValueError, match="group indices must lie in 0 .. 39"):
        refit_without(model, X, y, [40])
    with pytest.raises(ValueError, match="must not repeat an index"):
        refit_without(model, X, y, [2, 2])


def test_group_removal_against_refits(small_problem):
    X, y, x_t, y_t = small_problem
    model = LogisticRegression(l2=0.1).fit(X, y)
    pred = -influence_loss(model, X, y, x_t, y_t)[0]
    groups = random_groups(len(y), 5, 12, np.random.default_rng(0))
    out = group_removal(model, X, y, x_t, y_t, groups, {"influence": pred})
    for g, group in enumerate(groups):
        theta = refit_without(model, X, y, group)
        np.testing.assert_allclose(out.thetas[g], theta)
        assert out.actual[g] == pytest.approx(
            model.loss(x_t, y_t, theta)[0] - model.loss(x_t, y_t)[0], abs=1e-15
        )
        assert out.predicted["influence"][g] == pytest.approx(pred[group].sum(), abs=1e-15)
    stats = out.agreement("influence")
    ratio = out.actual / out.predicted["influence"]
    assert stats["pearson"] == pytest.approx(pearson(out.actual, out.predicted["influence"]))
    assert stats["spearman"] == pytest.approx(spearman(out.actual, out.predicted["influence"]))
    assert stats["ratio_median"] == pytest.approx(np.median(ratio))
    assert stats["ratio_q1"] <= stats["ratio_median"] <= stats["ratio_q3"]
    # a singleton group is a leave-one-out refit: the one-step estimate of least squares is exact
    Xl, yl = X, X @ [1.0, -2.0, 0.5] + 0.1 * np.arange(len(y))
    ols = LinearRegression(l2=0.2).fit(Xl, yl)
    one = loo_loss_change_onestep(ols, Xl, yl, Xl[:1], yl[:1])[0]
    single = group_removal(
        ols, Xl, yl, Xl[:1], yl[:1], [[i] for i in range(len(y))], {"onestep": one}
    )
    np.testing.assert_allclose(
        single.actual, loo_loss_change(ols, Xl, yl, Xl[:1], yl[:1])[0], atol=1e-12
    )
    np.testing.assert_allclose(single.actual, single.predicted["onestep"], rtol=1e-8, atol=1e-12)


def test_group_removal_errors(small_problem):
    X, y, x_t, y_t = small_problem
    model = LogisticRegression(l2=0.1).fit(X, y)
    with pytest.raises(ValueError, match="estimate 'influence' must have shape \\(40,\\)"):
        group_removal(model, X, y, x_t, y_t, [[0]], {"influence": np.zeros(3)})
    with pytest.raises(ValueError, match="must hold one test point"):
        group_removal(model, X, y, X[:3], y[:3], [[0]], {})
    out = group_removal(model, X, y, x_t, y_t, [[0], [1]], {"influence": np.ones(40)})
    with pytest.raises(ValueError, match="estimate must be one of \\['influence'\\]"):
        out.agreement("onestep")


def test_random_and_nearest_groups():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 4))
    groups = random_groups(30, 6, 5, np.random.default_rng(1))
    assert all(len(set(g.tolist())) == 6 and g.min() >= 0 and g.max() < 30 for g in groups)
    # reproducible, and a generator is consumed in order: the same as drawing by hand
    rng_a = np.random.default_rng(2)
    by_hand = [rng_a.choice(30, size=6, replace=False) for _ in range(5)]
    assert all(
        np.array_equal(a, b)
        for a, b in zip(random_groups(30, 6, 5, np.random.default_rng(2)), by_hand)
    )
    for g in nearest_groups(X, 5, 4, np.random.default_rng(0)):
        d = np.linalg.norm(X - X[g[0]], axis=1)  # brute-force distances from the centre
        assert set(g.tolist()) == set(np.argsort(d)[:5].tolist())
    with pytest.raises(ValueError, match="size must lie in 1 .. n = 30"):
        random_groups(30, 31, 1, rng)
    with pytest.raises(ValueError, match="size must lie in 1 .. n = 30"):
        nearest_groups(X, 0, 1, rng)


# --- flipped labels -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def noisy_problem():
    X, y, X_test, y_test = make_logistic_data(80, 3, rng=2, n_test=40, signal=2.0)
    return add_intercept(X), y, add_intercept(X_test), y_test


def test_check_orders(noisy_problem):
    X, y, _, _ = noisy_problem
    y_noisy, _ = flip_labels(y, 0.1, rng=0)
    model = LogisticRegression(l2=0.1).fit(X, y_noisy)
    orders = check_orders(model, X, y_noisy, rng=np.random.default_rng(4))
    si = -self_influence(model, X, y_noisy)
    assert np.all(np.diff(si[orders["self-influence"]]) <= 0)
    assert np.all(np.diff(model.loss(X, y_noisy)[orders["training loss"]]) <= 0)
    np.testing.assert_array_equal(orders["random"], np.random.default_rng(4).permutation(80))


def test_fraction_found_against_sets():
    rng = np.random.default_rng(0)
    checked = np.linspace(0, 1, 11)
    for _ in range(20):
        n = int(rng.integers(5, 50))
        order = rng.permutation(n)
        flipped = rng.choice(n, size=int(rng.integers(1, n)), replace=False)
        expected = [
            len(set(order[: int(round(c * n))]) & set(flipped)) / len(flipped) for c in checked
        ]
        np.testing.assert_allclose(fraction_found(order, flipped, checked), expected)


def test_fraction_found_errors():
    with pytest.raises(ValueError, match="order must be a permutation"):
        fraction_found([0, 0, 1], [1], [0.5])
    with pytest.raises(ValueError, match="at least one flipped label"):
        fraction_found([0, 1, 2], [], [0.5])
    with pytest.raises(ValueError, match="checked fractions must lie in \\[0, 1\\]"):
        fraction_found([0, 1, 2], [1], [1.5])


def test_detection_curves_against_a_direct_loop(noisy_problem):
    X, y, X_test, y_test = noisy_problem
    checked = np.array([0.0, 0.05, 0.1, 0.5, 1.0])
    curves = detection_curves(
        LogisticRegression(l2=0.1), X, y, 0.1, checked, [0, 1], X_test, y_test
    )
    for s, seed in enumerate([0, 1]):
        rng = np.random.default_rng(seed)
        y_noisy, flipped = flip_labels(y, 0.1, rng=rng)
        model = LogisticRegression(l2=0.1).fit(X, y_noisy)
        orders = check_orders(model, X, y_noisy, rng)
        for name, order in orders.items():
            np.testing.assert_allclose(
                curves.found[name][s], fraction_found(order, flipped, checked)
            )
            for c, frac in enumerate(checked):
                seen = order[: int(round(frac * len(y)))]
                fixed = np.intersect1d(seen, flipped)
                y_fixed = y_noisy.copy()
                y_fixed[fixed] = y[fixed]
                refit = LogisticRegression(l2=0.1).fit(X, y_fixed)
                assert curves.accuracy[name][s, c] == np.mean(refit.predict(X_test) == y_test)
                assert curves.theta_norm[name][s, c] == pytest.approx(
                    np.linalg.norm(refit.theta_), rel=1e-9
                )
        # having checked everything, every ranking has fixed every label: the clean fit
        clean = LogisticRegression(l2=0.1).fit(X, y)
        for name in orders:
            assert curves.found[name][s, -1] == 1.0
            assert curves.theta_norm[name][s, -1] == pytest.approx(
                np.linalg.norm(clean.theta_), rel=1e-9
            )
    assert curves.at("found", "random", 0.49) == pytest.approx(curves.mean("found", "random")[3])


def test_detection_curves_with_a_design(noisy_problem):
    X, y, _, _ = noisy_problem
    design = functools.partial(add_private_features, X, 0.5)
    curves = detection_curves(LogisticRegression(l2=0.1), X, y, 0.1, [0.1, 0.2], [3], design=design)
    rng = np.random.default_rng(3)
    y_noisy, flipped = flip_labels(y, 0.1, rng=rng)
    X3 = add_private_features(X, 0.5, rng)
    orders = check_orders(LogisticRegression(l2=0.1).fit(X3, y_noisy), X3, y_noisy, rng)
    for name, order in orders.items():
        np.testing.assert_allclose(
            curves.found[name][0], fraction_found(order, flipped, [0.1, 0.2])
        )
    assert curves.accuracy is None
    with pytest.raises(ValueError, match="accuracy was not computed"):
        curves.mean("accuracy", "random")


def test_detection_curves_errors(noisy_problem):
    X, y, X_test, y_test = noisy_problem
    model = LogisticRegression(l2=0.1)
    with pytest.raises(ValueError, match="give both X_test and y_test"):
        detection_curves(model, X, y, 0.1, [0.5], [0], X_test=X_test)
    with pytest.raises(ValueError, match="give test data or design"):
        detection_curves(model, X, y, 0.1, [0.5], [0], X_test, y_test, design=lambda rng: X)
    with pytest.raises(ValueError, match="flips no label of 80"):
        detection_curves(model, X, y, 0.001, [0.5], [0])
    curves = detection_curves(model, X, y, 0.1, [0.5], [0])
    with pytest.raises(ValueError, match="quantity must be"):
        curves.mean("loss", "random")
    with pytest.raises(ValueError, match="name must be one of"):
        curves.mean("found", "oracle")


def test_add_private_features():
    X = np.arange(12.0).reshape(6, 2)
    out = add_private_features(X, 0.5, np.random.default_rng(0))
    np.testing.assert_array_equal(out[:, :2], X)
    private = out[:, 2:]
    assert private.shape == (6, 3)
    assert np.all(private.sum(axis=0) == 1)  # each new feature belongs to one row
    assert np.all(private.sum(axis=1) <= 1) and private.sum() == 3
    with pytest.raises(ValueError, match="fraction must lie in \\[0, 1\\]"):
        add_private_features(X, 2.0, np.random.default_rng(0))


def test_self_influence_vs_retraining_least_squares_closed_form(ls_data):
    """For least squares the own-loss change is e_i^2 (1/(1-h_i)^2 - 1) and the influence
    function predicts 2 e_i^2 h_i (loss (y - x^T theta)^2, H = 2 X^T X)."""
    X, y = ls_data
    model = LinearRegression().fit(X, y)
    e, h = y - X @ model.theta_, leverage(X)
    out = self_influence_vs_retraining(model, X, y)
    np.testing.assert_allclose(out["actual"], e**2 * (1 / (1 - h) ** 2 - 1), rtol=1e-9)
    np.testing.assert_allclose(out["influence"], 2 * e**2 * h, rtol=1e-9)
    np.testing.assert_allclose(out["onestep"], out["actual"], rtol=1e-9)
    sub = self_influence_vs_retraining(model, X, y, indices=[2, 7])
    np.testing.assert_allclose(sub["actual"], out["actual"][[2, 7]])


def test_self_influence_vs_retraining_logistic(noisy_problem):
    X, y, _, _ = noisy_problem
    model = LogisticRegression(l2=0.1).fit(X, y)
    out = self_influence_vs_retraining(model, X, y, indices=[0, 10, 20])
    for k, i in enumerate([0, 10, 20]):
        theta_i = refit_without(model, X, y, [i])
        assert out["actual"][k] == pytest.approx(
            model.loss(X[[i]], y[[i]], theta_i)[0] - model.loss(X[[i]], y[[i]])[0], rel=1e-9
        )
    np.testing.assert_allclose(out["influence"], -self_influence(model, X, y)[[0, 10, 20]])


# --- separability -------------------------------------------------------------------------


def test_separating_theta():
    rng = np.random.default_rng(0)
    X = add_intercept(rng.normal(size=(50, 2)))
    y = (X[:, 0] - 0.5 * X[:, 1] > 0.2).astype(float)
    theta = separating_theta(X, y)
    assert np.min((2 * y - 1) * (X @ theta)) >= 1 - 1e-7
    # the same point with both labels: no hyperplane separates it from itself
    assert separating_theta(np.vstack([X, X[:1]]), np.append(y, 1 - y[0])) is None
    xor = add_intercept([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert separating_theta(xor, [0, 0, 1, 1]) is None
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        separating_theta(X, 2 * y)


def test_digits_training_split_is_separable():
    X_raw, y, _, _ = load_digits_pair(1, 7, test_fraction=0.3, rng=0)
    X = add_intercept(X_raw)
    theta = separating_theta(X, y)
    assert theta is not None
    assert np.min((2 * y - 1) * (X @ theta)) > 0.99


def test_refit_without_refuses_indices_it_would_truncate(small_problem):
    X, y, _, _ = small_problem
    model = LogisticRegression(l2=0.5).fit(X, y)
    for bad in ([2.7], [True]):
        with pytest.raises(ValueError, match="group must be a 1-D sequence of integers"):
            refit_without(model, X, y, bad)
