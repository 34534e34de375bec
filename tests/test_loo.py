"""Leave-one-out: brute-force refits, the least-squares closed form, the one-step Newton
estimate, and how well the influence function predicts the actual change."""

import numpy as np
import pytest

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    generalized_leverage,
    influence_loss,
    influence_params,
    leverage,
    loo_loss_change,
    loo_loss_change_onestep,
    loo_params,
    loo_params_ols,
    loo_params_onestep,
    pearson,
)


def refits_by_lstsq(X, y, l2):
    """theta_{-i} from numpy's least squares on the data without point i (ridge by augmentation)."""
    n, p = X.shape
    out = np.empty((n, p))
    for i in range(n):
        keep = np.arange(n) != i
        Xa = np.vstack([X[keep], np.sqrt(l2 / 2) * np.eye(p)])
        ya = np.concatenate([y[keep], np.zeros(p)])
        out[i] = np.linalg.lstsq(Xa, ya, rcond=None)[0]
    return out


# --- least squares: the influence function is exact after the leverage factor ---------------


@pytest.mark.parametrize("l2", [0.0, 0.8])
def test_loo_params_brute_force_matches_lstsq_refits(ls_data, l2):
    X, y = ls_data
    model = LinearRegression(l2=l2).fit(X, y)
    np.testing.assert_allclose(loo_params(model, X, y), refits_by_lstsq(X, y, l2), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("l2", [0.0, 0.8])
def test_influence_with_leverage_factor_equals_exact_loo(ls_data, l2):
    """theta_{-i} = theta_hat - I_up,params(z_i) / (1 - h_ii) exactly, for OLS and for ridge."""
    X, y = ls_data
    model = LinearRegression(l2=l2).fit(X, y)
    h = leverage(X, l2=l2)
    predicted = model.theta_ - influence_params(model, X, y) / (1 - h)[:, None]
    brute = loo_params(model, X, y)
    np.testing.assert_allclose(predicted, brute, rtol=0, atol=1e-10)
    # Without the factor it is only an approximation (this is what the source notebook ranks by).
    plain = model.theta_ - influence_params(model, X, y)
    assert np.abs(plain - brute).max() > 1e-3


@pytest.mark.parametrize("l2", [0.0, 0.8])
def test_loo_params_ols_and_onestep_equal_brute_force(ls_data, l2):
    X, y = ls_data
    model = LinearRegression(l2=l2).fit(X, y)
    brute = loo_params(model, X, y)
    closed = loo_params_ols(X, y, l2=l2)
    assert closed.shape == X.shape
    np.testing.assert_allclose(closed, brute, rtol=0, atol=1e-10)
    # One Newton step on a quadratic is exact.
    np.testing.assert_allclose(loo_params_onestep(model, X, y), closed, rtol=0, atol=1e-10)


def test_ridge_loo_differs_from_ols_loo(ls_data):
    X, y = ls_data
    assert np.abs(loo_params_ols(X, y, l2=5.0) - loo_params_ols(X, y)).max() > 1e-3


def test_leverage_is_the_hat_matrix_diagonal(ls_data):
    X, y = ls_data
    n, p = X.shape
    hat = X @ np.linalg.solve(X.T @ X, X.T)
    h = leverage(X)
    np.testing.assert_allclose(h, np.diag(hat), rtol=1e-12)
    assert np.all((h >= 0) & (h <= 1))
    np.testing.assert_allclose(h.sum(), p, rtol=1e-12)
    # Ridge: X (X^T X + l2/2 I)^{-1} X^T, trace below p.
    h2 = leverage(X, l2=4.0)
    np.testing.assert_allclose(h2, np.diag(X @ np.linalg.solve(X.T @ X + 2.0 * np.eye(p), X.T)), rtol=1e-12)
    assert h2.sum() < p and np.all(h2 < h)


@pytest.mark.parametrize("kind", ["linear", "logistic"])
def test_loo_loss_change_matches_explicit_loop(kind, ls_data, l2_logistic_problem):
    if kind == "linear":
        X, y = ls_data
        X_test, y_test = X[:4] + 0.1, y[:4] - 0.2
        model = LinearRegression().fit(X, y)
    else:
        model, X, y, X_test, y_test = l2_logistic_problem
    thetas = loo_params(model, X, y)
    base = model.loss(X_test, y_test)
    expected = np.stack([model.loss(X_test, y_test, th) - base for th in thetas], axis=1)
    out = loo_loss_change(model, X, y, X_test, y_test)
    assert out.shape == (len(y_test), len(y))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(loo_loss_change(model, X, y, X_test, y_test, loo_thetas=thetas), out)


# --- L2 logistic regression: influence predicts the actual LOO change ---------------------


@pytest.fixture(scope="module")
def logistic_loo(l2_logistic_problem):
    model, X, y, X_test, y_test = l2_logistic_problem
    thetas = loo_params(model, X, y)
    actual = loo_loss_change(model, X, y, X_test, y_test, loo_thetas=thetas)
    return model, X, y, X_test, y_test, thetas, actual


def test_logistic_loo_refits_are_converged(logistic_loo):
    model, X, y, _, _, thetas, _ = logistic_loo
    for i in (0, 17, 49):
        keep = np.arange(len(y)) != i
        g = model.objective_grad(X[keep], y[keep], thetas[i])
        assert np.linalg.norm(g) <= 1e-10


def test_predicted_loo_test_loss_change_correlates_with_actual(logistic_loo):
    model, X, y, X_test, y_test, _, actual = logistic_loo
    predicted = -influence_loss(model, X, y, X_test, y_test)
    r = pearson(predicted.ravel(), actual.ravel())
    assert r >= 0.99
    np.testing.assert_allclose(r, np.corrcoef(predicted.ravel(), actual.ravel())[0, 1], rtol=1e-12)
    # The sign is right: removing a point moves the test loss the way -I_up,loss says.
    big = np.abs(actual) > 0.05
    assert np.mean(np.sign(predicted[big]) == np.sign(actual[big])) == 1.0


def test_onestep_estimate_beats_the_plain_influence_function(logistic_loo):
    model, X, y, X_test, y_test, thetas, actual = logistic_loo
    plain_params = model.theta_ - influence_params(model, X, y)
    onestep_params = loo_params_onestep(model, X, y)
    err_plain = np.linalg.norm(plain_params - thetas)
    err_onestep = np.linalg.norm(onestep_params - thetas)
    assert err_onestep < 0.5 * err_plain
    plain_loss = -influence_loss(model, X, y, X_test, y_test)
    onestep_loss = loo_loss_change_onestep(model, X, y, X_test, y_test)
    assert np.linalg.norm(onestep_loss - actual) < 0.5 * np.linalg.norm(plain_loss - actual)
    assert pearson(onestep_loss.ravel(), actual.ravel()) > pearson(plain_loss.ravel(), actual.ravel())


def test_generalized_leverage_is_the_weighted_hat_matrix_diagonal(ls_data, l2_logistic_problem):
    model, X, y, _, _ = l2_logistic_problem
    p_hat = model.predict_proba(X)
    w = p_hat * (1 - p_hat)
    hat = np.sqrt(w)[:, None] * X @ np.linalg.solve(model.hessian(X, y), X.T) * np.sqrt(w)[None, :]
    h = generalized_leverage(model, X, y)
    np.testing.assert_allclose(h, np.diag(hat), rtol=1e-12)
    assert np.all((h > 0) & (h < 1))
    # For least squares it is the ordinary (ridge) leverage.
    Xl, yl = ls_data
    for l2 in (0.0, 3.0):
        np.testing.assert_allclose(
            generalized_leverage(LinearRegression(l2=l2).fit(Xl, yl), Xl, yl), leverage(Xl, l2=l2), rtol=1e-12
        )
    # It is the factor between the plain influence function and the one-step estimate.
    np.testing.assert_allclose(
        loo_params_onestep(model, X, y),
        model.theta_ - influence_params(model, X, y) / (1 - h)[:, None],
        rtol=1e-10,
        atol=1e-13,
    )


def test_onestep_is_the_newton_step_on_the_reduced_objective(l2_logistic_problem):
    """theta_hat - H_{-i}^{-1} grad R_{-i}(theta_hat), with H_{-i} and grad R_{-i} written out."""
    model, X, y, X_test, y_test = l2_logistic_problem
    onestep = loo_params_onestep(model, X, y)
    for i in (0, 5, 33):
        keep = np.arange(len(y)) != i
        H = model.hessian(X[keep], y[keep])
        g = model.objective_grad(X[keep], y[keep])
        np.testing.assert_allclose(onestep[i], model.theta_ - np.linalg.solve(H, g), rtol=1e-10, atol=1e-13)
    # And the loss change is evaluated exactly at those parameters.
    base = model.loss(X_test, y_test)
    expected = np.stack([model.loss(X_test, y_test, th) - base for th in onestep], axis=1)
    np.testing.assert_allclose(loo_loss_change_onestep(model, X, y, X_test, y_test), expected, rtol=1e-12, atol=1e-15)


def test_logistic_loo_uses_the_models_settings():
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 1.5]])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    model = LogisticRegression(l2=2.0).fit(X, y)
    thetas = loo_params(model, X, y)
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        np.testing.assert_allclose(thetas[i], LogisticRegression(l2=2.0).fit(X[keep], y[keep]).theta_, rtol=1e-9)


# --- the ground truth is as accurate as it is printed -----------------------------------------


def longdouble_refit(X, y, l2, theta0, steps=8):
    """Newton's method with the gradient summed in extended precision (iterative refinement).

    The step is solved in float64, but the gradient, and so the fixed point, is computed
    in np.longdouble: the result is accurate far below the float64 rounding floor.
    """
    Xl, yl = X.astype(np.longdouble), y.astype(np.longdouble)
    theta = theta0.astype(np.longdouble)
    for _ in range(steps):
        s = Xl @ theta
        p = 1 / (1 + np.exp(-s))
        g = Xl.T @ (p - yl) + l2 * theta
        c = np.asarray(p * (1 - p), dtype=float)
        H = X.T @ (c[:, None] * X) + l2 * np.eye(X.shape[1])
        theta = theta - np.linalg.solve(H, np.asarray(g, dtype=float)).astype(np.longdouble)
    return np.asarray(theta, dtype=float)


def test_refits_at_a_small_penalty_match_refits_converged_much_further():
    """At l2 = 1e-5 with nearly collinear features, H has eigenvalues near 1e-5: a refit that
    stops at ||grad R|| = 1e-10 can be off by 1e-5 in theta. loo_params refits to the
    rounding floor, and agrees with extended-precision refits to about 1e-10."""
    rng = np.random.default_rng(3)
    n, l2 = 60, 1e-5
    Z = rng.normal(size=(n, 3))
    X = np.column_stack([Z, Z[:, 0] + 1e-3 * rng.normal(size=n), np.ones(n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-Z[:, 0] + Z[:, 1]))).astype(float)
    model = LogisticRegression(l2=l2).fit(X, y)
    model = model.with_theta(longdouble_refit(X, y, l2, model.theta_))
    idx = [0, 7, 19, 33]
    thetas = loo_params(model, X, y, indices=idx)
    for k, i in enumerate(idx):
        keep = np.arange(n) != i
        reference = longdouble_refit(X[keep], y[keep], l2, model.theta_)
        np.testing.assert_allclose(thetas[k], reference, rtol=0, atol=1e-9 * np.abs(reference).max())
        # the removal effect is resolved: it is far larger than the refit's error
        assert np.abs(reference - model.theta_).max() > 1e-4 * np.abs(reference).max()
    H = model.hessian(X, y)
    assert np.linalg.eigvalsh(H)[0] < 1e-3  # ill-conditioned, as claimed


def test_a_refit_that_does_not_move_gives_exactly_zero():
    """A point whose gradient is below the rounding floor leaves theta_hat unchanged, exactly."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=40), np.ones(40)])
    y = (X[:, 0] + rng.normal(size=40) > 0).astype(float)
    X[0] = [60.0, 1.0]  # so confidently right that its gradient, ~e^{-60}, is below rounding
    y[0] = 1.0
    model = LogisticRegression(l2=0.1).fit(X, y)
    assert np.linalg.norm(model.grad(X[:1], y[:1])) < 1e-20
    thetas = loo_params(model, X, y, indices=[0, 1])
    np.testing.assert_array_equal(thetas[0], model.theta_)
    assert not np.array_equal(thetas[1], model.theta_)
    change = loo_loss_change(model, X, y, X[5:9], y[5:9], indices=[0, 1])
    assert np.all(change[:, 0] == 0.0) and np.all(change[:, 1] != 0.0)


def test_loo_on_chosen_indices_equals_the_full_run(l2_logistic_problem):
    model, X, y, X_test, y_test = l2_logistic_problem
    full = loo_params(model, X, y)
    idx = [4, 0, -1, 4]
    np.testing.assert_array_equal(loo_params(model, X, y, indices=idx), full[[4, 0, -1, 4]])
    np.testing.assert_array_equal(
        loo_loss_change(model, X, y, X_test, y_test, indices=idx),
        loo_loss_change(model, X, y, X_test, y_test, loo_thetas=full)[:, [4, 0, -1, 4]],
    )
    assert loo_params(model, X, y, indices=[]).shape == (0, X.shape[1])


def test_loo_indices_are_checked(l2_logistic_problem):
    model, X, y, _, _ = l2_logistic_problem
    n = X.shape[0]
    with pytest.raises(ValueError, match=rf"indices must lie in \[-{n}, {n}\) for {n} training points"):
        loo_params(model, X, y, indices=[n])
    with pytest.raises(ValueError, match="indices must be a 1-D sequence of integers"):
        loo_params(model, X, y, indices=[0.5])


def test_loo_progress_bar_shows_only_when_asked(l2_logistic_problem, capsys):
    model, X, y, _, _ = l2_logistic_problem
    loo_params(model, X, y, indices=[0, 1])
    assert capsys.readouterr().err == ""
    loo_params(model, X, y, indices=[0, 1], progress=True)
    assert "leave-one-out refits" in capsys.readouterr().err
