"""Influence functions against their definition (a derivative with respect to an
up-weight), against explicit loops over pairs, and across solvers."""

import numpy as np
import pytest

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    add_intercept,
    influence_loss,
    influence_params,
    make_logistic_data,
    self_influence,
)


def _sigmoid(s):
    return 0.5 * (1.0 + np.tanh(0.5 * s))


def reference_logistic(X, y, theta, l2):
    """Per-example gradients and the Hessian of R, written out without the package."""
    prob = _sigmoid(X @ theta)
    G = (prob - y)[:, None] * X
    H = X.T @ ((prob * (1 - prob))[:, None] * X) + l2 * np.eye(X.shape[1])
    return G, H


def weighted_fit(kind, X, y, w, l2, theta0):
    """argmin sum_i w_i L(z_i, theta) + (l2/2)|theta|^2 by plain Newton (independent of the package)."""
    theta = theta0.copy()
    for _ in range(50):
        s = X @ theta
        if kind == "linear":
            g_i, c_i = -2.0 * (y - s), np.full_like(s, 2.0)
        else:
            prob = _sigmoid(s)
            g_i, c_i = prob - y, prob * (1 - prob)
        g = X.T @ (w * g_i) + l2 * theta
        H = X.T @ ((w * c_i)[:, None] * X) + l2 * np.eye(X.shape[1])
        step = np.linalg.solve(H, g)
        theta = theta - step
        if np.linalg.norm(step) < 1e-15 * (1 + np.linalg.norm(theta)):
            break
    return theta


def per_example_loss(kind, X, y, theta):
    s = X @ theta
    if kind == "linear":
        return (y - s) ** 2
    return np.logaddexp(0.0, s) - y * s


@pytest.fixture(params=["linear", "logistic"])
def fitted(request):
    rng = np.random.default_rng(5)
    if request.param == "linear":
        X = add_intercept(rng.normal(size=(15, 2)))
        y = X @ np.array([1.0, -1.0, 0.5]) + rng.normal(scale=0.5, size=15)
        X_test = add_intercept(rng.normal(size=(4, 2)))
        y_test = X_test @ np.array([1.0, -1.0, 0.5]) + rng.normal(scale=0.5, size=4)
        model = LinearRegression(l2=0.3).fit(X, y)
    else:
        X, y, X_test, y_test = make_logistic_data(15, 2, rng=5, n_test=4)
        X, X_test = add_intercept(X), add_intercept(X_test)
        model = LogisticRegression(l2=0.3).fit(X, y)
    return request.param, model, X, y, X_test, y_test


def test_influence_is_the_derivative_with_respect_to_an_upweight(fitted):
    """I_up,params(z_i) = d theta_eps / d eps and I_up,loss = d L(z_test, theta_eps) / d eps at eps = 0."""
    kind, model, X, y, X_test, y_test = fitted
    eps = 1e-5
    ip = influence_params(model, X, y)
    il = influence_loss(model, X, y, X_test, y_test)
    for i in (0, 3, 7, 14):
        w_plus = np.ones(len(y))
        w_plus[i] += eps
        w_minus = np.ones(len(y))
        w_minus[i] -= eps
        th_plus = weighted_fit(kind, X, y, w_plus, model.l2, model.theta_)
        th_minus = weighted_fit(kind, X, y, w_minus, model.l2, model.theta_)
        np.testing.assert_allclose(ip[i], (th_plus - th_minus) / (2 * eps), rtol=1e-5, atol=1e-8)
        dloss = (per_example_loss(kind, X_test, y_test, th_plus) - per_example_loss(kind, X_test, y_test, th_minus)) / (
            2 * eps
        )
        np.testing.assert_allclose(il[:, i], dloss, rtol=1e-5, atol=1e-8)


def test_positive_influence_means_upweighting_raises_the_test_loss(fitted):
    kind, model, X, y, X_test, y_test = fitted
    il = influence_loss(model, X, y, X_test, y_test)
    j, i = np.unravel_index(np.argmax(il), il.shape)
    assert il[j, i] > 0
    w = np.ones(len(y))
    w[i] += 0.01
    theta_up = weighted_fit(kind, X, y, w, model.l2, model.theta_)
    change = per_example_loss(kind, X_test[j : j + 1], y_test[j : j + 1], theta_up)[0] - model.loss(X_test, y_test)[j]
    assert change > 0
    np.testing.assert_allclose(change, 0.01 * il[j, i], rtol=0.05)


def test_influence_params_matches_a_loop_of_solves(l2_logistic_problem):
    model, X, y, _, _ = l2_logistic_problem
    G, H = reference_logistic(X, y, model.theta_, model.l2)
    expected = np.array([-np.linalg.solve(H, g) for g in G])
    out = influence_params(model, X, y)
    assert out.shape == X.shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("n_train, n_test", [(6, 25), (30, 4), (10, 10)], ids=["m>n", "m<n", "m=n"])
def test_influence_loss_both_branches_match_a_loop_over_pairs(n_train, n_test):
    X, y, X_test, y_test = make_logistic_data(n_train, 2, rng=11, n_test=n_test)
    X, X_test = add_intercept(X), add_intercept(X_test)
    model = LogisticRegression(l2=0.5).fit(X, y)
    G, H = reference_logistic(X, y, model.theta_, 0.5)
    G_test, _ = reference_logistic(X_test, y_test, model.theta_, 0.5)
    expected = np.empty((n_test, n_train))
    for j in range(n_test):
        for i in range(n_train):
            expected[j, i] = -G_test[j] @ np.linalg.solve(H, G[i])
    out = influence_loss(model, X, y, X_test, y_test)
    assert out.shape == (n_test, n_train)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-14)
    # The same numbers come out of CG.
    np.testing.assert_allclose(
        influence_loss(model, X, y, X_test, y_test, method="cg", rtol=1e-13), expected, rtol=1e-9, atol=1e-13
    )


def test_self_influence_is_the_diagonal_of_influence_loss(l2_logistic_problem):
    model, X, y, _, _ = l2_logistic_problem
    full = influence_loss(model, X, y, X, y)
    si = self_influence(model, X, y)
    assert si.shape == (X.shape[0],)
    np.testing.assert_allclose(si, np.diag(full), rtol=1e-12, atol=1e-15)
    assert np.all(si < 0)  # H is positive definite and no gradient is zero here
    # Off-diagonal entries are symmetric for a train-on-train influence matrix.
    np.testing.assert_allclose(full, full.T, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("method, kw, tol", [("cg", {"rtol": 1e-13}, 1e-10), ("lissa", {"depth": 3000, "rng": 0, "rtol": 1e-9}, 1e-7)])
def test_iterative_methods_give_the_direct_influences(l2_logistic_problem, method, kw, tol):
    model, X, y, X_test, y_test = l2_logistic_problem
    np.testing.assert_allclose(
        influence_params(model, X, y, method=method, **kw), influence_params(model, X, y), rtol=tol, atol=tol * 1e-2
    )
    direct = influence_loss(model, X, y, X_test, y_test)
    np.testing.assert_allclose(
        influence_loss(model, X, y, X_test, y_test, method=method, **kw), direct, rtol=tol, atol=tol * 1e-2
    )
    np.testing.assert_allclose(
        self_influence(model, X, y, method=method, **kw), self_influence(model, X, y), rtol=tol, atol=tol * 1e-2
    )


def test_damping_changes_the_influence_as_a_damped_solve(l2_logistic_problem):
    model, X, y, X_test, y_test = l2_logistic_problem
    G, H = reference_logistic(X, y, model.theta_, model.l2)
    G_test, _ = reference_logistic(X_test, y_test, model.theta_, model.l2)
    Hd = H + 2.0 * np.eye(H.shape[0])
    np.testing.assert_allclose(
        influence_params(model, X, y, damping=2.0), -np.linalg.solve(Hd, G.T).T, rtol=1e-10, atol=1e-14
    )
    np.testing.assert_allclose(
        influence_loss(model, X, y, X_test, y_test, damping=2.0),
        -G_test @ np.linalg.solve(Hd, G.T),
        rtol=1e-10,
        atol=1e-14,
    )
    np.testing.assert_allclose(
        self_influence(model, X, y, damping=2.0),
        -np.einsum("ip,pi->i", G, np.linalg.solve(Hd, G.T)),
        rtol=1e-10,
        atol=1e-14,
    )


def test_mean_objective_convention_is_n_times_ours(l2_logistic_problem):
    """Koh & Liang's mean objective has Hessian H/n, so their influences are n times ours."""
    model, X, y, X_test, y_test = l2_logistic_problem
    n = X.shape[0]
    G, H = reference_logistic(X, y, model.theta_, model.l2)
    G_test, _ = reference_logistic(X_test, y_test, model.theta_, model.l2)
    koh_liang = -G_test @ np.linalg.solve(H / n, G.T)
    np.testing.assert_allclose(koh_liang, n * influence_loss(model, X, y, X_test, y_test), rtol=1e-10, atol=1e-14)


def test_cg_with_many_test_points_shares_one_krylov_space():
    """influence_loss(method="cg") with many test gradients runs block CG: as accurate as the
    direct solve, in far fewer iterations than one recurrence per column."""
    from influence_demo import LogisticRegression, inverse_hvp, make_logistic_data

    X, y, X_test, y_test = make_logistic_data(400, 30, rng=1, n_test=200)
    model = LogisticRegression(l2=1.0).fit(X, y)
    direct = influence_loss(model, X, y, X_test, y_test)
    block = influence_loss(model, X, y, X_test, y_test, method="cg", rtol=1e-12)
    np.testing.assert_allclose(block, direct, rtol=0, atol=1e-10 * np.abs(direct).max())
    G_test = model.grad(X_test, y_test).T
    _, shared = inverse_hvp(model, X, y, G_test, method="cg", rtol=1e-12, block=True, return_info=True)
    _, columns = inverse_hvp(model, X, y, G_test, method="cg", rtol=1e-12, return_info=True)
    assert shared.n_iter < columns.n_iter
