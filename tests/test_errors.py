"""Every error and warning of the package, pinned with its message.

A bad input must raise (or warn) with a message that says what is wrong; it must never
turn into a silently wrong number.
"""

import numpy as np
import pytest

from influence_demo import (
    ConvergenceError,
    ConvergenceWarning,
    LinearRegression,
    LogisticRegression,
    NotFittedError,
    NotPositiveDefiniteError,
    SeparableDataError,
    add_intercept,
    cg,
    flip_labels,
    generalized_leverage,
    gradient_descent,
    influence_loss,
    influence_params,
    inverse_hvp,
    leverage,
    lissa,
    loo_loss_change,
    loo_loss_change_onestep,
    loo_params,
    loo_params_ols,
    loo_params_onestep,
    make_logistic_data,
    pearson,
    self_influence,
    spearman,
    tiny_logistic_data,
)


@pytest.fixture
def data():
    X, y, X_test, y_test = make_logistic_data(30, 2, rng=0, n_test=5)
    return add_intercept(X), y, add_intercept(X_test), y_test


@pytest.fixture
def fitted(data):
    X, y, _, _ = data
    return LogisticRegression(l2=1.0).fit(X, y)


# --- shapes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("Model", [LinearRegression, LogisticRegression])
def test_X_must_be_2d(Model, data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=r"X must be 2-D with shape \(n_samples, n_features\); got shape \(30,\)"):
        Model().fit(X[:, 0], y)
    with pytest.raises(ValueError, match=r"X must be 2-D.*got shape \(1, 30, 3\)"):
        Model().fit(X[None], y)


@pytest.mark.parametrize("Model", [LinearRegression, LogisticRegression])
def test_y_must_be_1d(Model, data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=r"y must be 1-D with shape \(n_samples,\); got shape \(30, 1\)"):
        Model().fit(X, y[:, None])


def test_lengths_must_agree(data, fitted):
    X, y, X_test, y_test = data
    with pytest.raises(ValueError, match="X and y have different lengths: 30 rows against 29 targets"):
        LinearRegression().fit(X, y[:-1])
    with pytest.raises(ValueError, match="X and y have different lengths"):
        fitted.grad(X[:-2], y)
    with pytest.raises(ValueError, match="X_test and y_test have different lengths: 5 rows against 4 targets"):
        influence_loss(fitted, X, y, X_test, y_test[:-1])


def test_empty_X_is_rejected():
    with pytest.raises(ValueError, match="X must not be empty"):
        LinearRegression().fit(np.empty((0, 2)), np.empty(0))


def test_X_test_with_the_wrong_number_of_columns(data, fitted):
    X, y, X_test, y_test = data
    msg = r"X_test has 2 columns but the model was fitted with 3 \(did you forget add_intercept\?\)"
    with pytest.raises(ValueError, match=msg):
        influence_loss(fitted, X, y, X_test[:, :2], y_test)
    with pytest.raises(ValueError, match=msg):
        loo_loss_change(fitted, X, y, X_test[:, :2], y_test)
    with pytest.raises(ValueError, match=msg):
        loo_loss_change_onestep(fitted, X, y, X_test[:, :2], y_test)
    with pytest.raises(ValueError, match="X has 2 columns but the model was fitted with 3"):
        fitted.predict(X_test[:, :2])
    with pytest.raises(ValueError, match="X has 2 columns but the model was fitted with 3"):
        fitted.predict_proba(X_test[:, :2])
    with pytest.raises(ValueError, match="X has 2 columns but the model was fitted with 3"):
        fitted.loss(X_test[:, :2], y_test)
    with pytest.raises(ValueError, match="X has 2 columns but the model was fitted with 3"):
        influence_params(fitted, X[:, :2], y)


def test_V_and_theta_with_the_wrong_shape(data, fitted):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=r"V must have shape \(3,\) or \(3, k\); got \(2,\)"):
        inverse_hvp(fitted, X, y, np.ones(2))
    with pytest.raises(ValueError, match=r"V must have shape \(3,\) or \(3, k\); got \(3, 2, 1\)"):
        fitted.hvp(np.ones((3, 2, 1)), X, y)
    with pytest.raises(ValueError, match=r"theta must have shape \(3,\); got \(2,\)"):
        fitted.loss(X, y, np.ones(2))
    with pytest.raises(ValueError, match=r"theta must be 1-D; got shape \(3, 1\)"):
        fitted.with_theta(np.ones((3, 1)))


# --- non-finite values ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X_and_y(bad, data):
    X, y, X_test, y_test = data
    Xb = X.copy()
    Xb[3, 1] = bad
    with pytest.raises(ValueError, match=r"X contains NaN or inf \(1 non-finite value\(s\)\)"):
        LinearRegression().fit(Xb, y)
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        LogisticRegression(l2=1.0).fit(Xb, y)
    yb = y.copy()
    yb[[0, 5]] = bad
    with pytest.raises(ValueError, match=r"y contains NaN or inf \(2 non-finite value\(s\)\)"):
        LinearRegression().fit(X, yb)
    fitted = LinearRegression().fit(X, y)
    with pytest.raises(ValueError, match="X_test contains NaN or inf"):
        influence_loss(fitted, X, y, np.where(X_test > 0.5, bad, X_test), y_test)
    with pytest.raises(ValueError, match="theta contains NaN or inf"):
        fitted.loss(X, y, np.array([1.0, bad, 0.0]))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_V(bad, data, fitted):
    X, y, _, _ = data
    V = np.ones((3, 2))
    V[1, 1] = bad
    for method in ("direct", "cg", "lissa"):
        with pytest.raises(ValueError, match="V contains NaN or inf"):
            inverse_hvp(fitted, X, y, V, method=method)
    with pytest.raises(ValueError, match="V contains NaN or inf"):
        fitted.hvp(V, X, y)
    with pytest.raises(ValueError, match="B contains NaN or inf"):
        cg(lambda P: P, V)


def test_non_finite_penalties_and_tolerances():
    X, y = np.eye(2), np.array([0.0, 1.0])
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0; got nan"):
        LinearRegression(l2=np.nan).fit(X, y)
    with pytest.raises(ValueError, match="tol must be a finite number >= 0; got inf"):
        LogisticRegression(tol=np.inf).fit(X, y)


# --- labels, penalties, methods ------------------------------------------------------------


def test_logistic_labels_outside_0_1(data, fitted):
    X, y, X_test, y_test = data
    msg = r"y must contain only the labels 0 and 1; found \[-1\.0\]\. Map \{-1, \+1\} labels with \(y \+ 1\) / 2\."
    with pytest.raises(ValueError, match=msg):
        LogisticRegression().fit(X, 2 * y - 1)
    with pytest.raises(ValueError, match=r"found \[0\.5, 2\.0\]"):
        LogisticRegression().fit(X, np.where(y > 0, 2.0, 0.5))
    with pytest.raises(ValueError, match="labels 0 and 1"):
        fitted.loss(X, 2 * y - 1)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        influence_loss(fitted, X, y, X_test, y_test + 1)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        loo_loss_change(fitted, X, y, X_test, y_test + 1)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        gradient_descent(LogisticRegression(), X, 2 * y - 1)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        flip_labels(2 * y - 1, 0.1, rng=0)


def test_negative_l2(ls_data):
    X, y = ls_data
    for Model in (LinearRegression, LogisticRegression):
        with pytest.raises(ValueError, match="l2 must be a finite number >= 0; got -0.5"):
            Model(l2=-0.5).fit(X, (y > 0).astype(float))
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0; got -1.0"):
        leverage(X, l2=-1)
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0"):
        loo_params_ols(X, y, l2=-1)


def test_negative_damping(data, fitted):
    X, y, X_test, y_test = data
    msg = "damping must be a finite number >= 0; got -0.001"
    for method in ("direct", "cg", "lissa"):
        with pytest.raises(ValueError, match=msg):
            inverse_hvp(fitted, X, y, np.ones(3), method=method, damping=-1e-3)
    with pytest.raises(ValueError, match=msg):
        lissa(fitted, X, y, np.ones(3), damping=-1e-3)
    with pytest.raises(ValueError, match=msg):
        influence_params(fitted, X, y, damping=-1e-3)
    with pytest.raises(ValueError, match=msg):
        influence_loss(fitted, X, y, X_test, y_test, damping=-1e-3)
    with pytest.raises(ValueError, match=msg):
        self_influence(fitted, X, y, damping=-1e-3)


def test_unknown_method(data, fitted):
    X, y, X_test, y_test = data
    msg = r"Unknown method 'newton'; choose one of 'direct', 'cg', 'lissa'"
    with pytest.raises(ValueError, match=msg):
        inverse_hvp(fitted, X, y, np.ones(3), method="newton")
    with pytest.raises(ValueError, match=msg):
        influence_params(fitted, X, y, method="newton")
    with pytest.raises(ValueError, match=msg):
        influence_loss(fitted, X, y, X_test, y_test, method="newton")
    with pytest.raises(ValueError, match=msg):
        self_influence(fitted, X, y, method="newton")


def test_solver_options_are_checked(data, fitted):
    X, y, _, _ = data
    with pytest.raises(TypeError, match=r"method='direct' takes no options; got \['rtol'\]"):
        inverse_hvp(fitted, X, y, np.ones(3), rtol=1e-3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'depth'"):
        inverse_hvp(fitted, X, y, np.ones(3), method="cg", depth=10)
    with pytest.raises(ValueError, match=r"batch_size must lie in \[1, n=30\]; got 31"):
        lissa(fitted, X, y, np.ones(3), batch_size=31)
    with pytest.raises(ValueError, match="depth and repeats must be >= 1; got depth=0, repeats=1"):
        lissa(fitted, X, y, np.ones(3), depth=0)
    with pytest.raises(ValueError, match="scale must be > 0; got -1.0"):
        lissa(fitted, X, y, np.ones(3), scale=-1.0)
    with pytest.raises(ValueError, match="maxiter must be >= 0; got -1"):
        cg(lambda P: P, np.ones(3), maxiter=-1)
    with pytest.raises(ValueError, match="rtol must be a finite number >= 0"):
        cg(lambda P: P, np.ones(3), rtol=-1.0)
    with pytest.raises(ValueError, match=r"x0 must have shape \(3,\) or \(3, k\); got \(2,\)"):
        cg(lambda P: P, np.ones(3), x0=np.zeros(2))
    with pytest.raises(ValueError, match=r"x0 must have the shape of B, \(3, 2\); got \(3,\)"):
        cg(lambda P: P, np.ones((3, 2)), x0=np.zeros(3))
    with pytest.raises(ValueError, match=r"matvec returned shape \(2,\); expected \(3,\)"):
        cg(lambda P: P[:2], np.ones(3))
    with pytest.raises(ValueError, match=r"matvec returned shape \(2, 3\); expected \(3, 2\)"):
        cg(lambda P: P.T, np.ones((3, 2)))  # a transposed block is not silently reshaped
    with pytest.raises(ValueError, match=r"B must have shape \(p,\) or \(p, k\); got \(\)"):
        cg(lambda P: P, 1.0)
    with pytest.raises(ValueError, match="max_iter must be >= 1; got 0"):
        LogisticRegression(max_iter=0).fit(X, y)
    with pytest.raises(ValueError, match="lr must be > 0; got 0"):
        gradient_descent(LinearRegression(), X, y, lr=0)
    with pytest.raises(ValueError, match=r"record must lie in \[0, n_steps=10\]"):
        gradient_descent(LinearRegression(), X, y, n_steps=10, record=[11])
    with pytest.raises(ValueError, match=r"loo_thetas must have shape \(30, 3\); got \(3,\)"):
        loo_loss_change(fitted, X, y, X[:4], y[:4], loo_thetas=np.ones(3))


def test_metrics_errors():
    with pytest.raises(ValueError, match="correlation is undefined when one input is constant"):
        pearson([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="a and b must have the same size; got 3 and 2"):
        spearman([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="correlation needs at least two points"):
        pearson([1.0], [2.0])
    with pytest.raises(ValueError, match="a contains NaN or inf"):
        pearson([1.0, np.nan], [1.0, 2.0])


# --- unfitted models -------------------------------------------------------------------------

V3 = np.ones(3)

UNFITTED_CALLS = {
    "predict": lambda m, X, y, Xt, yt: m.predict(X),
    "predict_proba": lambda m, X, y, Xt, yt: m.predict_proba(X),
    "loss": lambda m, X, y, Xt, yt: m.loss(X, y),
    "objective": lambda m, X, y, Xt, yt: m.objective(X, y),
    "objective_grad": lambda m, X, y, Xt, yt: m.objective_grad(X, y),
    "grad": lambda m, X, y, Xt, yt: m.grad(X, y),
    "hessian": lambda m, X, y, Xt, yt: m.hessian(X, y),
    "hvp": lambda m, X, y, Xt, yt: m.hvp(V3, X, y),
    "hvp_operator": lambda m, X, y, Xt, yt: m.hvp_operator(X, y),
    "curvature": lambda m, X, y, Xt, yt: m.curvature(X, y),
    "n_features_": lambda m, X, y, Xt, yt: m.n_features_,
    "inverse_hvp-direct": lambda m, X, y, Xt, yt: inverse_hvp(m, X, y, V3),
    "inverse_hvp-cg": lambda m, X, y, Xt, yt: inverse_hvp(m, X, y, V3, method="cg"),
    "inverse_hvp-lissa": lambda m, X, y, Xt, yt: inverse_hvp(m, X, y, V3, method="lissa"),
    "lissa": lambda m, X, y, Xt, yt: lissa(m, X, y, V3),
    "influence_params": lambda m, X, y, Xt, yt: influence_params(m, X, y),
    "influence_loss": lambda m, X, y, Xt, yt: influence_loss(m, X, y, Xt, yt),
    "self_influence": lambda m, X, y, Xt, yt: self_influence(m, X, y),
    "loo_params": lambda m, X, y, Xt, yt: loo_params(m, X, y),
    "loo_loss_change": lambda m, X, y, Xt, yt: loo_loss_change(m, X, y, Xt, yt),
    "loo_params_onestep": lambda m, X, y, Xt, yt: loo_params_onestep(m, X, y),
    "generalized_leverage": lambda m, X, y, Xt, yt: generalized_leverage(m, X, y),
    "loo_loss_change_onestep": lambda m, X, y, Xt, yt: loo_loss_change_onestep(m, X, y, Xt, yt),
}


LOGISTIC_ONLY = ("predict_proba", "objective_grad")


@pytest.mark.parametrize(
    "Model, entry",
    [(LogisticRegression, e) for e in sorted(UNFITTED_CALLS)]
    + [(LinearRegression, e) for e in sorted(UNFITTED_CALLS) if e not in LOGISTIC_ONLY],
)
def test_unfitted_model(Model, entry, data):
    X, y, X_test, y_test = data
    msg = rf"This {Model.__name__} is not fitted yet: call fit\(X, y\) first \(or set theta_ with with_theta\)\."
    with pytest.raises(NotFittedError, match=msg):
        UNFITTED_CALLS[entry](Model(), X, y, X_test, y_test)


def test_explicit_theta_needs_no_fit(data):
    X, y, _, _ = data
    model = LogisticRegression()
    theta = np.array([0.1, -0.2, 0.3])
    assert model.loss(X, y, theta).shape == (30,)
    assert model.hvp(V3, X, y, theta).shape == (3,)


# --- singular and indefinite Hessians ---------------------------------------------------------


@pytest.fixture
def collinear():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 1))
    X = np.hstack([x, 2 * x, np.ones((10, 1))])  # column 2 = 2 * column 1
    return X, rng.normal(size=10)


@pytest.mark.filterwarnings("ignore::influence_demo.NotAtOptimumWarning")
def test_singular_hessian_says_add_damping_or_l2(collinear):
    X, y = collinear
    with pytest.raises(NotPositiveDefiniteError, match=r"numerically singular.*Add damping \(damping > 0\) or an L2 penalty"):
        LinearRegression().fit(X, y)
    model = LinearRegression().with_theta(np.zeros(3))
    for call in (
        lambda: inverse_hvp(model, X, y, np.ones(3)),
        lambda: influence_params(model, X, y),
        lambda: self_influence(model, X, y),
        lambda: loo_params_ols(X, y),
        lambda: leverage(X),
    ):
        with pytest.raises(NotPositiveDefiniteError, match=r"(?i)add damping.*L2 penalty"):
            call()
    with pytest.raises(NotPositiveDefiniteError, match="Hessian in Newton's method.*L2 penalty"):
        LogisticRegression().fit(X, (y > 0).astype(float))


@pytest.mark.filterwarnings("ignore::influence_demo.NotAtOptimumWarning")
def test_damping_or_l2_fixes_a_singular_hessian(collinear):
    X, y = collinear
    model = LinearRegression().with_theta(np.zeros(3))
    v = np.array([1.0, -1.0, 0.5])
    H = 2 * X.T @ X
    u = inverse_hvp(model, X, y, v, damping=1e-3)
    np.testing.assert_allclose((H + 1e-3 * np.eye(3)) @ u, v, rtol=1e-8, atol=1e-8)
    assert np.all(np.isfinite(influence_params(model, X, y, damping=1e-3)))
    ridge = LinearRegression(l2=1e-3).fit(X, y)
    np.testing.assert_allclose(ridge.theta_, np.linalg.solve(H + 1e-3 * np.eye(3), 2 * X.T @ y), rtol=1e-8)
    logistic = LogisticRegression(l2=0.1).fit(X, (y > 0).astype(float))
    assert logistic.grad_norm_ <= 1e-10


def test_cg_on_an_indefinite_matrix():
    A = np.diag([1.0, -2.0, 3.0])
    with pytest.raises(NotPositiveDefiniteError, match=r"CG found a direction with p\^T A p = -?\d.*<= 0.*not positive definite"):
        cg(lambda P: A @ P, np.ones(3))
    with pytest.raises(NotPositiveDefiniteError, match="Add damping"):
        cg(lambda P: A @ P, np.ones((3, 2)))


def test_direct_solve_on_an_indefinite_hessian(data):
    X, y, _, _ = data

    class Indefinite(LinearRegression):
        def hessian(self, X, y, theta=None):
            return -super().hessian(X, y, theta)

    model = Indefinite().fit(X, y)
    with pytest.raises(NotPositiveDefiniteError, match="is not positive definite, so it cannot be inverted. Add damping"):
        inverse_hvp(model, X, y, np.ones(3))


def test_leverage_one_point_has_no_loo_fit():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 2.0], [0.0, 3.0]])  # point 0 alone spans column 0
    y = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match=r"Point 0 has leverage 1\.0+ ~ 1.*Add an L2 penalty"):
        loo_params_ols(X, y)
    with pytest.raises(ValueError, match=r"Point 0 has generalized leverage 1\.0+ ~ 1"):
        loo_params_onestep(LinearRegression().fit(X, y), X, y)
    assert np.all(np.isfinite(loo_params_ols(X, y, l2=0.1)))


# --- separable data ---------------------------------------------------------------------------


def test_separable_data_without_penalty_raises():
    x, y, _, _ = tiny_logistic_data()
    X = add_intercept(x)
    with pytest.raises(SeparableDataError, match=r"linearly separable .*own class's side.*Use an L2 penalty"):
        LogisticRegression().fit(X, y)
    with pytest.raises(SeparableDataError, match="linearly separable"):
        LogisticRegression().fit(X, y, theta0=np.array([1.0, -1.5]))  # already separating
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(40, 3))
    ys = (Xs @ np.array([1.0, -2.0, 0.5]) > 0).astype(float)
    with pytest.raises(SeparableDataError):
        LogisticRegression().fit(Xs, ys)
    assert LogisticRegression(l2=1.0).fit(Xs, ys).grad_norm_ <= 1e-10


def test_quasi_separable_data_without_penalty_raises():
    # x = 1 carries both labels; theta = c * (1, -1) puts every point on its side or on
    # the boundary, so the MLE does not exist although the fit's gradient goes to zero.
    X = add_intercept(np.array([[0.0], [1.0], [1.0], [2.0]]))
    y = np.array([0.0, 0.0, 1.0, 1.0])
    with pytest.raises(SeparableDataError, match="or on the boundary"):
        LogisticRegression().fit(X, y)
    assert LogisticRegression(l2=0.1).fit(X, y).grad_norm_ <= 1e-10


def test_overlapping_data_without_penalty_is_not_flagged():
    for seed in range(20):
        rng = np.random.default_rng(seed)
        X = add_intercept(rng.normal(size=(60, 2)))
        y = (rng.uniform(size=60) < 0.5).astype(float)
        assert LogisticRegression().fit(X, y).grad_norm_ <= 1e-10


def test_newton_that_runs_out_of_iterations_warns_with_the_gradient_norm(data):
    X, y, _, _ = data
    with pytest.warns(ConvergenceWarning, match=r"Newton's method stopped after 1 iterations with gradient norm \d\.\d{3}e[+-]\d+ > tol"):
        model = LogisticRegression(max_iter=1).fit(X, y)
    assert model.grad_norm_ > 1e-10 and model.n_iter_ == 1


# --- iterative solvers that miss their tolerance ---------------------------------------------


def test_cg_not_converging_warns_with_the_residual():
    rng = np.random.default_rng(1)
    Q, _ = np.linalg.qr(rng.standard_normal((20, 20)))
    A = (Q * np.logspace(0, 4, 20)) @ Q.T
    b = rng.normal(size=20)
    with pytest.warns(ConvergenceWarning, match=r"CG did not converge in 3 iterations: residual (\d\.\d{3}e[+-]\d+) > tolerance") as record:
        x, info = cg(lambda P: A @ P, b, maxiter=3)
    assert not info.converged and info.status == 3
    # The residual named in the message is the one reached.
    assert f"residual {info.final_residual:.3e}" in str(record[0].message)
    np.testing.assert_allclose(info.final_residual, np.linalg.norm(b - A @ x), rtol=1e-6)


def test_inverse_hvp_cg_not_converging_warns(data, fitted):
    X, y, _, _ = data
    with pytest.warns(ConvergenceWarning, match=r"CG did not converge in 1 iterations: residual"):
        inverse_hvp(fitted, X, y, np.ones(3), method="cg", maxiter=1)


def test_lissa_not_converging_warns_with_the_relative_residual(data, fitted):
    X, y, _, _ = data
    with pytest.warns(ConvergenceWarning, match=r"LiSSA did not reach rtol = 1\.0e-03: relative residual \d\.\d{3}e[+-]\d+ after depth 2") as record:
        u, info = lissa(fitted, X, y, np.ones(3), depth=2, rng=0)
    assert not info.converged
    rel = np.linalg.norm(fitted.hvp(u, X, y) - 1.0) / np.sqrt(3)
    assert f"relative residual {rel:.3e}" in str(record[0].message)


def test_lissa_with_too_small_a_scale_raises(data, fitted):
    X, y, _, _ = data
    lam_max = np.linalg.eigvalsh(fitted.hessian(X, y)).max()
    for scale in (0.3 * lam_max, 1e-200):
        with pytest.raises(ConvergenceError, match=r"LiSSA diverged after \d+ steps.*scale = .* is too small"):
            lissa(fitted, X, y, np.ones(3), scale=scale, depth=500)
