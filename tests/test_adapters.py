"""from_sklearn against the scikit-learn objective written out by hand, and its errors."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning

from influence_demo import influence_loss, influence_params, loo_params, loo_params_ols
from influence_demo.adapters import from_sklearn


def logistic_data(n=120, d=4, seed=0, labels=(0, 1)):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.linspace(1.0, 3.0, d)
    y01 = (X @ rng.normal(size=d) + 0.7 + rng.logistic(size=n) > 0).astype(int)
    X_test = rng.normal(size=(7, d))
    y_test01 = (rng.random(7) < 0.5).astype(int)
    labels = np.asarray(labels)
    return X, labels[y01], X_test, labels[y_test01]


def regression_data(n=60, d=3, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + 2.0  # off-centre, so that the intercept matters
    y = X @ rng.normal(size=d) + 5.0 + rng.normal(size=n)
    return X, y, rng.normal(size=(6, d)) + 2.0, rng.normal(size=6)


def design(X, intercept):
    return np.hstack([X, np.ones((len(X), 1))]) if intercept else X


def by_hand_logistic(X, y01, C, intercept):
    """theta, per-example gradients and Hessian of C * sum(log-loss) + |w|^2 / 2, by Newton."""
    Xd = design(X, intercept)
    p = Xd.shape[1]
    D = np.ones(p)
    if intercept:
        D[-1] = 0.0  # scikit-learn does not penalise the intercept
    lam = 0.0 if np.isinf(C) else 1.0 / C
    theta = np.zeros(p)
    for _ in range(100):
        mu = 1.0 / (1.0 + np.exp(-(Xd @ theta)))
        g = Xd.T @ (mu - y01) + lam * D * theta
        H = Xd.T @ ((mu * (1 - mu))[:, None] * Xd) + np.diag(lam * D)
        theta = theta - np.linalg.solve(H, g)
        if np.linalg.norm(g) < 1e-13 * len(y01):
            break
    mu = 1.0 / (1.0 + np.exp(-(Xd @ theta)))
    H = Xd.T @ ((mu * (1 - mu))[:, None] * Xd) + np.diag(lam * D)
    return theta, H


def logistic_grads(X, y01, theta, intercept):
    Xd = design(X, intercept)
    mu = 1.0 / (1.0 + np.exp(-(Xd @ theta)))
    return (mu - y01)[:, None] * Xd


@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("C", [0.05, 1.0, 30.0, np.inf])
def test_logistic_regression_matches_the_objective_written_out(C, intercept):
    X, y, X_test, y_test = logistic_data(labels=(-1, 1))  # labels as a user might have them
    y01, yt01 = (y == 1).astype(float), (y_test == 1).astype(float)
    est = sk.LogisticRegression(C=C, fit_intercept=intercept, max_iter=1000).fit(X, y)
    adapted = from_sklearn(est, X, y)
    theta, H = by_hand_logistic(X, y01, C, intercept)
    np.testing.assert_allclose(adapted.model.theta_, theta, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(adapted.y, y01)
    assert adapted.grad_norm < 1e-12
    G, G_test = (
        logistic_grads(X, y01, theta, intercept),
        logistic_grads(X_test, yt01, theta, intercept),
    )
    expected = -G_test @ np.linalg.solve(H, G.T)
    got = influence_loss(adapted.model, adapted.X, adapted.y, *adapted.transform(X_test, y_test))
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-8 * np.abs(expected).max())
    # The package model predicts what scikit-learn predicts, to scikit-learn's tolerance.
    np.testing.assert_allclose(
        adapted.model.predict_proba(adapted.transform(X_test)),
        est.predict_proba(X_test)[:, 1],
        atol=1e-3,
    )


def test_polishing_is_reported():
    # scikit-learn's default tol = 1e-4 leaves a gradient that Newton's method removes.
    X, y, _, _ = logistic_data(n=300, d=6, seed=3)
    est = sk.LogisticRegression(C=1.0).fit(X, y)
    adapted = from_sklearn(est, X, y)
    assert adapted.grad_norm_sklearn > 1e-5 > 1e-12 > adapted.grad_norm
    assert 1e-8 < adapted.polish_shift < 1e-2
    np.testing.assert_allclose(adapted.theta_sklearn[:-1], est.coef_.ravel())


def by_hand_ridge(X, y, alpha, intercept):
    """theta and Hessian of sum (y - x.w - b)^2 + alpha |w|^2, and per-example gradients."""
    Xd = design(X, intercept)
    D = np.ones(Xd.shape[1])
    if intercept:
        D[-1] = 0.0
    A = Xd.T @ Xd + np.diag(alpha * D)
    theta = np.linalg.solve(A, Xd.T @ y)
    return theta, 2 * A


@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("kind,alpha", [("ridge", 0.3), ("ridge", 25.0), ("ols", 0.0)])
def test_ridge_and_linear_regression_match_the_objective_written_out(kind, alpha, intercept):
    X, y, X_test, y_test = regression_data()
    est = (
        sk.Ridge(alpha=alpha, fit_intercept=intercept)
        if kind == "ridge"
        else sk.LinearRegression(fit_intercept=intercept)
    )
    est.fit(X, y)
    adapted = from_sklearn(est, X, y)
    assert adapted.model.l2 == 2 * alpha
    theta, H = by_hand_ridge(X, y, alpha, intercept)
    np.testing.assert_allclose(adapted.model.theta_, theta, rtol=1e-10)
    np.testing.assert_allclose(adapted.theta_sklearn, theta, rtol=1e-6)
    Xd, Xtd = design(X, intercept), design(X_test, intercept)
    G = -2 * (y - Xd @ theta)[:, None] * Xd
    G_test = -2 * (y_test - Xtd @ theta)[:, None] * Xtd
    expected = -G_test @ np.linalg.solve(H, G.T)
    got = influence_loss(adapted.model, adapted.X, adapted.y, *adapted.transform(X_test, y_test))
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-8 * np.abs(expected).max())
    np.testing.assert_allclose(
        influence_params(adapted.model, adapted.X, adapted.y),
        -np.linalg.solve(H, G.T).T,
        rtol=1e-8,
        atol=1e-12,
    )


def sklearn_loo(est, X, y):
    """Brute force with scikit-learn: refit without each point, coefficients then intercept."""
    rows = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        e = type(est)(**est.get_params()).fit(X[keep], y[keep])
        rows.append(np.append(e.coef_, e.intercept_) if e.fit_intercept else e.coef_)
    return np.array(rows)


def test_loo_params_ols_agrees_with_scikit_learn_refits():
    X, y, _, _ = regression_data(n=25)
    est = sk.LinearRegression().fit(X, y)
    adapted = from_sklearn(est, X, y)
    expected = sklearn_loo(est, X, y)
    np.testing.assert_allclose(loo_params_ols(adapted.X, adapted.y), expected, rtol=1e-8)
    np.testing.assert_allclose(loo_params(adapted.model, adapted.X, adapted.y), expected, rtol=1e-8)
    # Ridge without intercept penalises every coordinate, as loo_params_ols does.
    ridge = sk.Ridge(alpha=2.0, fit_intercept=False).fit(X, y)
    adapted = from_sklearn(ridge, X, y)
    np.testing.assert_allclose(
        loo_params_ols(adapted.X, adapted.y, l2=adapted.model.l2),
        sklearn_loo(ridge, X, y),
        rtol=1e-8,
    )
    # Ridge with an unpenalised intercept: the package's own refits match scikit-learn's.
    ridge = sk.Ridge(alpha=2.0).fit(X, y)
    adapted = from_sklearn(ridge, X, y)
    np.testing.assert_allclose(
        loo_params(adapted.model, adapted.X, adapted.y), sklearn_loo(ridge, X, y), rtol=1e-8
    )


def test_sparse_input_and_column_target():
    from scipy import sparse

    X, y, X_test, y_test = regression_data()
    est = sk.Ridge(alpha=1.0).fit(X, y)
    dense = from_sklearn(est, X, y)
    adapted = from_sklearn(est, sparse.csr_matrix(X), y.reshape(-1, 1))
    np.testing.assert_allclose(adapted.model.theta_, dense.model.theta_, rtol=1e-12)
    Xt, yt = adapted.transform(sparse.csr_matrix(X_test), y_test)
    np.testing.assert_array_equal(Xt, dense.transform(X_test))


# --- what is not supported says so ---------------------------------------------------------


def test_unsupported_estimators_and_penalties_get_clear_errors():
    X, y, _, _ = logistic_data()
    with pytest.raises(
        TypeError,
        match=r"does not support Lasso. It supports sklearn.linear_model.LogisticRegression \(L2",
    ):
        from_sklearn(sk.Lasso(alpha=0.1).fit(X, y.astype(float)), X, y)
    with pytest.raises(TypeError, match=r"takes a fitted scikit-learn estimator; got dict"):
        from_sklearn({}, X, y)
    with pytest.raises(
        ValueError,
        match=r"elastic-net penalty \(penalty='deprecated', l1_ratio=1\).*supports the L2 penalty",
    ):
        from_sklearn(
            sk.LogisticRegression(l1_ratio=1, solver="saga", max_iter=2000).fit(X, y), X, y
        )
    with pytest.raises(ValueError, match=r"class_weight='balanced' weights the loss of each class"):
        from_sklearn(sk.LogisticRegression(class_weight="balanced").fit(X, y), X, y)
    with pytest.raises(ValueError, match=r"solver='liblinear' penalises the intercept"):
        from_sklearn(sk.LogisticRegression(solver="liblinear").fit(X, y), X, y)
    with pytest.raises(
        ValueError, match=r"This LogisticRegression has not been fitted: call its fit\(X, y\) first"
    ):
        from_sklearn(sk.LogisticRegression(), X, y)
    y3 = np.arange(len(y)) % 3
    with pytest.raises(
        ValueError,
        match=r"This LogisticRegression has 3 classes \(\[0, 1, 2\]\) and fits intercepts\. "
        r".* singular Hessian .* supports several classes with fit_intercept=False",
    ):
        from_sklearn(sk.LogisticRegression().fit(X, y3), X, y3)
    Xr, yr, _, _ = regression_data()
    with pytest.raises(ValueError, match=r"Ridge\(positive=True\) is a constrained fit"):
        from_sklearn(sk.Ridge(positive=True).fit(Xr, yr), Xr, yr)
    with pytest.raises(ValueError, match=r"LinearRegression\(positive=True\) is a constrained fit"):
        from_sklearn(sk.LinearRegression(positive=True).fit(Xr, yr), Xr, yr)
    Y = np.column_stack([yr, yr])
    with pytest.raises(
        ValueError,
        match=r"supports Ridge with one target and a scalar alpha; got coef_ of shape \(2, 3\)",
    ):
        from_sklearn(sk.Ridge().fit(Xr, Y), Xr, Y)
    with pytest.raises(
        ValueError, match=r"supports LinearRegression with one target; got coef_ of shape \(2, 3\)"
    ):
        from_sklearn(sk.LinearRegression().fit(Xr, Y), Xr, Y)


def test_data_that_do_not_match_the_estimator_get_clear_errors():
    X, y, _, _ = logistic_data()
    est = sk.LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"X has 3 columns but the estimator was fitted with 4"):
        from_sklearn(est, X[:, :3], y)
    with pytest.raises(
        ValueError,
        match=r"y holds labels \[7\] that the estimator never saw; its classes are \[0, 1\]",
    ):
        from_sklearn(est, X, np.where(y == 1, 7, 0))
    # Fitted with sample weights: the coefficients minimise another objective.
    w = np.linspace(0.1, 5.0, len(y))
    weighted = sk.LogisticRegression(max_iter=1000).fit(X, y, sample_weight=w)
    with pytest.raises(
        ValueError,
        match=r"far from the minimiser .* fitted with sample_weight \(not supported\)",
    ):
        from_sklearn(weighted, X, y)
    Xr, yr, _, _ = regression_data()
    ridge = sk.Ridge(alpha=1.0).fit(Xr, yr, sample_weight=np.linspace(0.1, 5.0, len(yr)))
    with pytest.raises(ValueError, match=r"fitted with sample_weight \(not supported\)"):
        from_sklearn(ridge, Xr, yr)


def test_the_package_imports_without_scikit_learn():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import influence_demo, influence_demo.adapters\n"
        "assert influence_demo.LogisticRegression\n"
        "try:\n"
        "    influence_demo.adapters.from_sklearn(object(), [[1.0]], [1.0])\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (
        "from_sklearn needs scikit-learn, which is not installed: pip install scikit-learn"
        in out.stdout
    )


def test_an_estimator_far_from_convergence_is_refused_unless_asked():
    # Unscaled features: lbfgs stops at max_iter far from the minimiser. Its predictions are
    # not those of the model whose influence would be computed, so the adapter refuses,
    # unless max_shift says to use the minimiser anyway.
    X, y, _, _ = logistic_data(n=200, d=5, seed=4)
    X = X * np.logspace(0, 3, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkConvergenceWarning)
        est = sk.LogisticRegression(C=1.0, max_iter=3).fit(X, y)
    with pytest.raises(
        ValueError, match=r"relative distance .* > max_shift = 0\.01.*pass max_shift=np\.inf"
    ):
        from_sklearn(est, X, y)
    adapted = from_sklearn(est, X, y, max_shift=np.inf)
    assert adapted.polish_shift > 1e-2 and adapted.grad_norm < 1e-12
    theta, _ = by_hand_logistic(X, (y == 1).astype(float), 1.0, True)
    np.testing.assert_allclose(adapted.model.theta_, theta, rtol=1e-8)


def by_hand_softmax(X, y, K, C):
    """theta (W row by row), Hessian and gradients of C * sum(cross-entropy) + |W|^2 / 2."""
    n, d = X.shape
    Y = np.eye(K)[y]
    lam = 1.0 / C

    def pieces(theta):
        Z = X @ theta.reshape(K, d).T
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        G = ((P - Y)[:, :, None] * X[:, None, :]).reshape(n, K * d)
        H = sum(
            np.kron(np.diag(P[i]) - np.outer(P[i], P[i]), np.outer(X[i], X[i])) for i in range(n)
        )
        return P, G, H + lam * np.eye(K * d)

    theta = np.zeros(K * d)
    for _ in range(50):
        _, G, H = pieces(theta)
        g = G.sum(axis=0) + lam * theta
        theta = theta - np.linalg.solve(H, g)
        if np.linalg.norm(g) < 1e-12 * n:
            break
    return theta, pieces


@pytest.mark.parametrize("C", [0.3, 4.0])
def test_multinomial_logistic_regression_without_intercepts(C):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(90, 3))
    labels = np.array(["a", "b", "c"])
    y = labels[np.argmax(X @ rng.normal(size=(3, 3)) + rng.gumbel(size=(90, 3)), axis=1)]
    X_test, y_test = rng.normal(size=(5, 3)), labels[[0, 1, 2, 1, 0]]
    est = sk.LogisticRegression(C=C, fit_intercept=False, max_iter=1000).fit(X, y)
    adapted = from_sklearn(est, X, y)
    assert type(adapted.model).__name__ == "SoftmaxRegression" and adapted.model.l2 == 1 / C
    yi, yti = np.searchsorted(labels, y), np.searchsorted(labels, y_test)
    np.testing.assert_array_equal(adapted.y, yi)
    theta, pieces = by_hand_softmax(X, yi, 3, C)
    np.testing.assert_allclose(adapted.model.theta_, theta, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(adapted.theta_sklearn, est.coef_.ravel())
    _, G, H = pieces(theta)
    Z = X_test @ theta.reshape(3, 3).T
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    G_test = ((P - np.eye(3)[yti])[:, :, None] * X_test[:, None, :]).reshape(len(yti), 9)
    expected = -G_test @ np.linalg.solve(H, G.T)
    got = influence_loss(adapted.model, adapted.X, adapted.y, *adapted.transform(X_test, y_test))
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-8 * np.abs(expected).max())
