"""Losses, derivatives and fits of LinearRegression and LogisticRegression.

Derivatives are checked against central finite differences of the loss and of the
objective; fits against numpy's least squares and an independent gradient evaluation.
"""

import numpy as np
import pytest

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    add_intercept,
    gradient_descent,
    sigmoid,
)


def central_jacobian(f, theta, h):
    """Columns j = (f(theta + h e_j) - f(theta - h e_j)) / 2h; f returns a scalar or a vector."""
    cols = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        cols.append((np.asarray(f(theta + e)) - np.asarray(f(theta - e))) / (2 * h))
    return np.stack(cols, axis=-1)


def second_differences(f, theta, h):
    """Hessian of a scalar f by the four-point central second difference."""
    p = theta.size
    H = np.empty((p, p))
    E = np.eye(p) * h
    for i in range(p):
        for j in range(p):
            H[i, j] = (
                f(theta + E[i] + E[j])
                - f(theta + E[i] - E[j])
                - f(theta - E[i] + E[j])
                + f(theta - E[i] - E[j])
            ) / (4 * h * h)
    return H


# --- derivatives against finite differences ---------------------------------------------


def test_per_example_grad_matches_finite_differences_of_loss(any_model):
    model, X, y, theta = any_model
    G = model.grad(X, y, theta)
    assert G.shape == X.shape
    G_fd = central_jacobian(lambda t: model.loss(X, y, t), theta, 1e-6)  # (n, p)
    np.testing.assert_allclose(G, G_fd, rtol=1e-6, atol=1e-6)


def test_grad_excludes_the_penalty(ls_data):
    X, y = ls_data
    theta = np.array([0.3, -0.2, 1.0])
    np.testing.assert_allclose(
        LinearRegression(l2=5.0).grad(X, y, theta), LinearRegression().grad(X, y, theta), rtol=0, atol=0
    )


def test_hessian_matches_finite_differences_of_objective(any_model):
    model, X, y, theta = any_model
    H = model.hessian(X, y, theta)
    assert H.shape == (X.shape[1], X.shape[1])
    H_fd = second_differences(lambda t: model.objective(X, y, t), theta, 1e-4)
    scale = np.abs(H).max()
    np.testing.assert_allclose(H, H_fd, rtol=1e-5, atol=1e-6 * scale)


def test_hessian_matches_finite_differences_of_objective_gradient(any_model):
    model, X, y, theta = any_model

    def objective_gradient(t):  # sum of the per-example gradients plus the penalty's
        return model.grad(X, y, t).sum(axis=0) + model.l2 * t

    H_fd = central_jacobian(objective_gradient, theta, 1e-6)
    H = model.hessian(X, y, theta)
    np.testing.assert_allclose(H, H_fd, rtol=1e-6, atol=1e-7 * np.abs(H).max())
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-12 * np.abs(H).max())


def test_hessian_includes_the_penalty(logistic_data):
    X, y = logistic_data
    theta = np.array([0.5, -0.5, 0.2, 0.1])
    diff = LogisticRegression(l2=2.5).hessian(X, y, theta) - LogisticRegression().hessian(X, y, theta)
    np.testing.assert_allclose(diff, 2.5 * np.eye(4), rtol=0, atol=1e-12)


def test_logistic_objective_grad_matches_finite_differences(logistic_data):
    X, y = logistic_data
    model = LogisticRegression(l2=0.3)
    theta = np.array([0.4, -1.0, 0.7, 0.2])
    g_fd = central_jacobian(lambda t: model.objective(X, y, t), theta, 1e-6)
    np.testing.assert_allclose(model.objective_grad(X, y, theta), g_fd, rtol=1e-6, atol=1e-7)


def test_objective_is_sum_of_losses_plus_half_l2_norm(any_model):
    model, X, y, theta = any_model
    expected = model.loss(X, y, theta).sum() + 0.5 * model.l2 * float(theta @ theta)
    np.testing.assert_allclose(model.objective(X, y, theta), expected, rtol=1e-14)


def test_losses_match_their_closed_forms(ls_data, logistic_data):
    X, y = ls_data
    theta = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(LinearRegression().loss(X, y, theta), (y - X @ theta) ** 2, rtol=1e-14)
    X, y = logistic_data
    theta = np.array([0.3, -0.6, 0.9, 0.1])
    prob = 1.0 / (1.0 + np.exp(-(X @ theta)))
    nll = -(y * np.log(prob) + (1 - y) * np.log(1 - prob))
    np.testing.assert_allclose(LogisticRegression().loss(X, y, theta), nll, rtol=1e-12)
    np.testing.assert_allclose(LogisticRegression().curvature(X, y, theta), prob * (1 - prob), rtol=1e-12)
    np.testing.assert_allclose(LinearRegression().curvature(X, y, theta), np.full(len(y), 2.0))


# --- Hessian-vector products ---------------------------------------------------------------


def random_V(p, shape, k, seed):
    """Random vectors to multiply: shape (p,) for "vector", (p, k) for "block"."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=p) if shape == "vector" else rng.normal(size=(p, k))


@pytest.mark.parametrize("shape", ["vector", "block"])
def test_hvp_matches_hessian_times_V(any_model, shape):
    model, X, y, theta = any_model
    V = random_V(X.shape[1], shape, k=5, seed=7)
    HV = model.hvp(V, X, y, theta)
    assert HV.shape == V.shape
    np.testing.assert_allclose(HV, model.hessian(X, y, theta) @ V, rtol=1e-12, atol=1e-12)


def test_hvp_uses_fitted_theta_by_default(logistic_data):
    X, y = logistic_data
    model = LogisticRegression(l2=0.5).fit(X, y)
    V = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(model.hvp(V, X, y), model.hessian(X, y, model.theta_) @ V, rtol=1e-12)
    other = model.theta_ + 1.0
    assert not np.allclose(model.hvp(V, X, y, other), model.hvp(V, X, y))
    np.testing.assert_allclose(model.hvp(V, X, y, other), model.hessian(X, y, other) @ V, rtol=1e-12)


@pytest.mark.parametrize("shape", ["vector", "block"])
def test_hvp_operator_on_subset_is_a_scaled_minibatch_hessian(any_model, shape):
    model, X, y, theta = any_model
    V = random_V(X.shape[1], shape, k=4, seed=3)
    op = model.hvp_operator(X, y, theta)
    idx = np.array([0, 3, 4, 9])
    factor = X.shape[0] / idx.size
    H_batch = model.hessian(X[idx], y[idx], theta) - model.l2 * np.eye(X.shape[1])  # data part only
    expected = factor * H_batch @ V + model.l2 * V
    np.testing.assert_allclose(op.on_subset(idx, V, factor), expected, rtol=1e-12, atol=1e-12)
    # All points with factor 1 is the full Hessian.
    np.testing.assert_allclose(
        op.on_subset(np.arange(X.shape[0]), V), model.hessian(X, y, theta) @ V, rtol=1e-12, atol=1e-12
    )


# --- numerically stable logistic loss -----------------------------------------------------


def test_logistic_loss_is_stable_for_huge_margins():
    X = np.array([[1.0], [1.0], [-1.0], [-1.0], [1.0], [-1.0]])
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    theta = np.array([1000.0])  # margins s = +-1000
    model = LogisticRegression()
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = model.loss(X, y, theta)
        grad = model.grad(X, y, theta)
        curv = model.curvature(X, y, theta)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad)) and np.all(np.isfinite(curv))
    # L = log(1 + e^s) - y s: ~ 0 when the label agrees with the sign, ~ |s| when it does not.
    np.testing.assert_allclose(loss, [0.0, 1000.0, 1000.0, 0.0, 0.0, 0.0], rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(grad[:, 0], [0.0, 1.0, 1.0, 0.0, 0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(curv, 0.0, atol=1e-300)


@pytest.mark.parametrize("s", [-40.0, -20.0, 20.0, 40.0, 700.0, -700.0])
def test_logistic_loss_tail_asymptotics(s):
    # A correctly classified point has loss log(1 + e^{-|s|}) ~ e^{-|s|}, a misclassified one
    # |s| + log(1 + e^{-|s|}). The tiny loss must not cancel to 0 (exp(-700) is representable).
    model = LogisticRegression()
    X = np.array([[s], [s]])
    y = np.array([0.0, 1.0])
    loss = model.loss(X, y, np.array([1.0]))
    small = np.log1p(np.exp(-abs(s)))
    right, wrong = (1, 0) if s > 0 else (0, 1)
    np.testing.assert_allclose(loss[right], small, rtol=1e-13, atol=0)
    np.testing.assert_allclose(loss[wrong], abs(s) + small, rtol=1e-13, atol=0)
    assert loss[right] > 0


def test_sigmoid_has_no_overflow_and_correct_tails():
    s = np.array([-1e308, -1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4, 1e308])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = sigmoid(s)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[[0, 1, 2]], 0.0, atol=1e-300)
    np.testing.assert_allclose(out[[6, 7, 8]], 1.0, rtol=1e-15)
    np.testing.assert_allclose(out[3], np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-14)  # not 1 - (1 - e^-40)
    np.testing.assert_allclose(out[4], 0.5, rtol=0)
    t = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(sigmoid(t) + sigmoid(-t), 1.0, rtol=1e-15)
    np.testing.assert_allclose(sigmoid(t), 1.0 / (1.0 + np.exp(-t)), rtol=1e-14)


# --- fits -----------------------------------------------------------------------------------


def test_linear_fit_equals_lstsq(ls_data):
    X, y = ls_data
    theta_ref = np.linalg.lstsq(X, y, rcond=None)[0]
    model = LinearRegression().fit(X, y)
    np.testing.assert_allclose(model.theta_, theta_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(model.predict(X), X @ theta_ref, rtol=1e-12, atol=1e-12)


def test_ridge_fit_equals_augmented_lstsq(ls_data):
    # min sum (y - X theta)^2 + (l2/2)|theta|^2 is least squares on [X; sqrt(l2/2) I], [y; 0].
    X, y = ls_data
    l2 = 3.0
    p = X.shape[1]
    Xa = np.vstack([X, np.sqrt(l2 / 2) * np.eye(p)])
    ya = np.concatenate([y, np.zeros(p)])
    theta_ref = np.linalg.lstsq(Xa, ya, rcond=None)[0]
    np.testing.assert_allclose(LinearRegression(l2=l2).fit(X, y).theta_, theta_ref, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("l2", [0.0, 0.1, 5.0])
def test_logistic_newton_reaches_gradient_norm_1e_10(logistic_data, l2):
    X, y = logistic_data
    model = LogisticRegression(l2=l2).fit(X, y)
    theta = model.theta_
    # Gradient of R evaluated independently of the package.
    prob = 1.0 / (1.0 + np.exp(-(X @ theta)))
    g = X.T @ (prob - y) + l2 * theta
    assert np.linalg.norm(g) <= 1e-10
    assert model.grad_norm_ <= 1e-10
    assert 1 <= model.n_iter_ < 30
    # Newton converges quadratically: a stationary point is also a minimum (H positive definite).
    assert np.linalg.eigvalsh(model.hessian(X, y)).min() > 0


def test_logistic_warm_start_gives_the_same_fit(logistic_data):
    X, y = logistic_data
    cold = LogisticRegression(l2=0.2).fit(X, y)
    warm = LogisticRegression(l2=0.2).fit(X, y, theta0=cold.theta_ + 0.01)
    np.testing.assert_allclose(warm.theta_, cold.theta_, rtol=1e-9, atol=1e-11)
    assert warm.n_iter_ < cold.n_iter_


def test_logistic_predictions(logistic_data):
    X, y = logistic_data
    model = LogisticRegression(l2=0.1).fit(X, y)
    s = X @ model.theta_
    np.testing.assert_allclose(model.predict_proba(X), 1.0 / (1.0 + np.exp(-s)), rtol=1e-13)
    np.testing.assert_array_equal(model.predict(X), (s > 0).astype(int))
    assert 0.5 < np.mean(model.predict(X) == y) < 1.0  # overlapping classes: better than chance


def test_with_theta_returns_a_fitted_copy():
    model = LogisticRegression(l2=0.3, tol=1e-8, max_iter=7)
    theta = np.array([1.0, -2.0])
    fitted = model.with_theta(theta)
    assert fitted is not model and not hasattr(model, "theta_")
    np.testing.assert_array_equal(fitted.theta_, theta)
    theta[0] = 99.0  # the copy does not alias the caller's array
    assert fitted.theta_[0] == 1.0
    assert (fitted.l2, fitted.tol, fitted.max_iter) == (0.3, 1e-8, 7)
    assert repr(fitted) == "LogisticRegression(l2=0.3, tol=1e-08, max_iter=7)"
    assert repr(LinearRegression(l2=2.0)) == "LinearRegression(l2=2.0)"


def test_add_intercept_appends_ones_last():
    out = add_intercept(np.array([[2.0, 3.0], [4.0, 5.0]]))
    np.testing.assert_array_equal(out, [[2.0, 3.0, 1.0], [4.0, 5.0, 1.0]])


def test_gradient_descent_converges_to_newton_fit_with_l2(logistic_data):
    X, y = logistic_data
    model = LogisticRegression(l2=1.0)
    newton = model.fit(X, y).theta_
    theta = gradient_descent(model, X, y, lr=0.02, n_steps=3000)
    np.testing.assert_allclose(theta, newton, rtol=1e-8, atol=1e-8)


def test_gradient_descent_linear_regression_and_record(ls_data):
    X, y = ls_data
    model = LinearRegression()
    theta_ref = np.linalg.lstsq(X, y, rcond=None)[0]
    theta, path = gradient_descent(model, X, y, lr=0.01, n_steps=2000, record=[0, 1, 2000])
    np.testing.assert_allclose(theta, theta_ref, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(path[0], np.zeros(3))
    np.testing.assert_allclose(path[1], 0.01 * 2 * X.T @ y, rtol=1e-14)  # one step from zero
    np.testing.assert_array_equal(path[2], theta)


# --- the public model interface ----------------------------------------------------------------


def test_parameters_are_validated_in_fit_and_no_fitted_state_before():
    model = LogisticRegression(l2=-1.0)  # constructing never raises, as in scikit-learn
    assert not hasattr(model, "theta_")
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0; got -1.0"):
        model.fit(np.eye(2), np.array([0.0, 1.0]))
    assert not hasattr(model, "theta_")


def test_not_fitted_error_is_a_value_and_attribute_error(logistic_data):
    from influence_demo import NotFittedError, influence_loss

    X, y = logistic_data
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    with pytest.raises(NotFittedError, match="This LogisticRegression is not fitted yet"):
        influence_loss(LogisticRegression(), X, y, X, y)


def test_a_foreign_model_is_named_not_called_unfitted(logistic_data):
    from influence_demo import influence_loss

    class Estimator:
        coef_ = np.zeros(3)

    X, y = logistic_data
    with pytest.raises(TypeError, match=r"Estimator is not an influence_demo model: it lacks grad, hessian"):
        influence_loss(Estimator(), X, y, X, y)


@pytest.mark.parametrize("Model", [LinearRegression, LogisticRegression])
def test_unpenalized_coordinates_leave_the_penalty(Model, logistic_data):
    X, y = logistic_data
    X = add_intercept(X)
    model = Model(l2=2.0, unpenalized=[-1]).fit(X, y)
    theta = model.theta_
    lam = np.array([2.0] * (X.shape[1] - 1) + [0.0])
    assert model.objective(X, y) == pytest.approx(model.loss(X, y).sum() + 0.5 * lam @ theta**2, rel=1e-14)
    np.testing.assert_allclose(model.objective_grad(X, y), model.grad(X, y).sum(0) + lam * theta, atol=1e-12)
    np.testing.assert_allclose(model.objective_grad(X, y), 0, atol=1e-9)
    H = model.hessian(X, y)
    np.testing.assert_allclose(model.hvp(np.eye(X.shape[1]), X, y), H, rtol=1e-13, atol=1e-13)
    # the Hessian is the derivative of the objective's gradient (central differences)
    eps = 1e-6
    fd = np.column_stack([
        (model.objective_grad(X, y, theta + eps * e) - model.objective_grad(X, y, theta - eps * e)) / (2 * eps)
        for e in np.eye(X.shape[1])
    ])
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-6)


def test_unpenalized_indices_are_checked(logistic_data):
    X, y = logistic_data
    with pytest.raises(ValueError, match="unpenalized must be a sequence of coordinate indices"):
        LogisticRegression(l2=1.0, unpenalized="intercept").fit(X, y)
    with pytest.raises(ValueError, match=r"unpenalized indices \[5\] out of range for 4 parameters"):
        LogisticRegression(l2=1.0, unpenalized=[5]).fit(X, y)


def test_with_theta_and_influence_warn_away_from_an_optimum(logistic_data):
    from influence_demo import NotAtOptimumWarning, influence_params

    X, y = logistic_data
    model = LogisticRegression(l2=1.0).fit(X, y)
    msg = r"theta_ is not at an optimum of the objective on these data: \|\|grad R\(theta\)\|\| is .* refit the model"
    with pytest.warns(NotAtOptimumWarning, match=msg):
        model.with_theta(model.theta_ + 0.1, X, y)
    wrong_l2 = LogisticRegression(l2=10.0).with_theta(model.theta_)
    with pytest.warns(NotAtOptimumWarning, match=msg):
        influence_params(wrong_l2, X, y)
    assert model.check_optimality(X, y) < 1e-12  # the fitted model is at its optimum


def test_refit_does_not_change_the_model(logistic_data):
    X, y = logistic_data
    model = LogisticRegression(l2=1.0).fit(X, y)
    before = model.theta_.copy()
    theta = model.refit(X[1:], y[1:], theta0=model.theta_)
    np.testing.assert_array_equal(model.theta_, before)
    np.testing.assert_allclose(theta, LogisticRegression(l2=1.0).fit(X[1:], y[1:]).theta_, atol=1e-12)
    assert np.linalg.norm(model.objective_grad(X[1:], y[1:], theta)) <= model.gradient_floor(X[1:], y[1:], theta) * 1e3


def test_a_perfect_fit_is_an_optimum():
    """Every per-example gradient vanishes at a perfect fit; that is no reason to warn."""
    import warnings

    from influence_demo import influence_params

    x = np.array([0.0, 1.0, 2.0])
    X = add_intercept(x[:, None])
    model = LinearRegression().fit(X, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model.check_optimality(X, x) < 1e-12
        influence_params(model, X, x)


def test_the_optimality_warning_names_the_callers_line(logistic_data):
    from influence_demo import NotAtOptimumWarning, influence_loss, influence_params, top_influences

    X, y = logistic_data
    model = LogisticRegression(l2=1.0).fit(X, y)
    model = model.with_theta(model.theta_ + 0.3)
    for call in (
        lambda: influence_params(model, X, y),
        lambda: influence_loss(model, X, y, X[:2], y[:2]),
        lambda: model.check_optimality(X, y),
        lambda: top_influences(model, X, y, X[:2], y[:2], k=2),
    ):
        with pytest.warns(NotAtOptimumWarning) as record:
            call()
        assert record[0].filename == __file__
