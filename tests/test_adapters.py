"""from_sklearn against the scikit-learn objective written out by hand, and its errors."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning

from influence_demo import (
    NotPositiveDefiniteError,
    SeparableDataError,
    influence_loss,
    influence_params,
    loo_params,
    loo_params_ols,
)
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


def by_hand_logistic(X, y01, C, intercept, w=None):
    """theta and Hessian of C * sum(w_i log-loss_i) + |w|^2 / 2, by Newton."""
    Xd = design(X, intercept)
    p = Xd.shape[1]
    w = np.ones(len(y01)) if w is None else w
    D = np.ones(p)
    if intercept:
        D[-1] = 0.0  # scikit-learn does not penalise the intercept
    lam = 0.0 if np.isinf(C) else 1.0 / C
    theta = np.zeros(p)
    for _ in range(100):
        mu = 1.0 / (1.0 + np.exp(-(Xd @ theta)))
        g = Xd.T @ (w * (mu - y01)) + lam * D * theta
        H = Xd.T @ ((w * mu * (1 - mu))[:, None] * Xd) + np.diag(lam * D)
        theta = theta - np.linalg.solve(H, g)
        if np.linalg.norm(g) < 1e-13 * len(y01):
            break
    mu = 1.0 / (1.0 + np.exp(-(Xd @ theta)))
    H = Xd.T @ ((w * mu * (1 - mu))[:, None] * Xd) + np.diag(lam * D)
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


def by_hand_ridge(X, y, alpha, intercept, w=None):
    """theta and Hessian of sum w_i (y_i - x_i.w - b)^2 + alpha |w|^2."""
    Xd = design(X, intercept)
    w = np.ones(len(y)) if w is None else w
    D = np.ones(Xd.shape[1])
    if intercept:
        D[-1] = 0.0
    A = Xd.T @ (w[:, None] * Xd) + np.diag(alpha * D)
    theta = np.linalg.solve(A, Xd.T @ (w * y))
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
        match=r"does not support Lasso. It supports sklearn.linear_model.LogisticRegression and "
        r"LogisticRegressionCV \(L2 penalty or none; .*, sklearn.linear_model.Ridge, RidgeCV and "
        r"LinearRegression\.$",
    ):
        from_sklearn(sk.Lasso(alpha=0.1).fit(X, y.astype(float)), X, y)
    with pytest.raises(TypeError, match=r"takes a fitted scikit-learn estimator; got dict"):
        from_sklearn({}, X, y)
    with pytest.raises(
        ValueError,
        match=r"^LogisticRegression with an L1 or elastic-net penalty \(l1_ratio=1\) has no "
        r"Hessian .*supports the L2 penalty",
    ) as info:
        from_sklearn(
            sk.LogisticRegression(l1_ratio=1, solver="saga", max_iter=2000).fit(X, y), X, y
        )
    assert "deprecated" not in str(info.value)
    with pytest.raises(ValueError, match=r"L1 or elastic-net penalty \(penalty='l1'\)"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # penalty is deprecated
            l1 = sk.LogisticRegression(penalty="l1", l1_ratio=1, solver="saga", max_iter=2000).fit(X, y)
        from_sklearn(l1, X, y)
    with pytest.raises(
        ValueError,
        match=r"class_weight='balanced' weights the loss of each class; from_sklearn supports "
        r"only class_weight=None\. The same objective: refit with sample_weight=w, w = "
        r"sklearn\.utils\.class_weight\.compute_sample_weight\('balanced', y\), and pass",
    ):
        from_sklearn(sk.LogisticRegression(class_weight="balanced").fit(X, y), X, y)
    # The advice holds: the same coefficients, and from_sklearn takes the weights.
    from sklearn.utils.class_weight import compute_sample_weight

    w = compute_sample_weight("balanced", y)
    balanced = sk.LogisticRegression(class_weight="balanced", tol=1e-10).fit(X, y)
    weighted = sk.LogisticRegression(tol=1e-10).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(weighted.coef_, balanced.coef_, rtol=1e-6)
    np.testing.assert_allclose(
        from_sklearn(weighted, X, y, sample_weight=w).model.theta_,
        by_hand_logistic(X, y, 1.0, True, w=w)[0], rtol=1e-9,
    )
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
    with pytest.raises(ValueError, match=r"sample_weight has 119 entries for 120 training points"):
        from_sklearn(est, X, y, sample_weight=np.ones(119))
    with pytest.raises(
        ValueError, match=r"sample_weight must be >= 0 with at least one positive weight; got "
        r"weights from -1 to 1"
    ):
        from_sklearn(est, X, y, sample_weight=np.where(y == 1, 1.0, -1.0))


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


# --- cross-validated estimators: the plain fit with the penalty the search chose -----------


def fit_quietly(est, *args, **kwargs):
    """Fit, without LogisticRegressionCV's FutureWarnings about its changing defaults."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return est.fit(*args, **kwargs)


@pytest.mark.parametrize("legacy", [True, False])
@pytest.mark.parametrize("intercept", [True, False])
def test_logistic_regression_cv_is_the_plain_fit_with_the_chosen_C(intercept, legacy):
    X, y, X_test, y_test = logistic_data(n=150, labels=("no", "yes"))
    cv = fit_quietly(
        sk.LogisticRegressionCV(
            Cs=[0.003, 0.3, 30.0], fit_intercept=intercept, cv=3, max_iter=1000,
            use_legacy_attributes=legacy,
        ),
        X, y,
    )
    C = float(np.ravel(cv.C_)[0])
    adapted = from_sklearn(cv, X, y)
    assert adapted.model.l2 == 1 / C
    y01, yt01 = (y == "yes").astype(float), (y_test == "yes").astype(float)
    theta, H = by_hand_logistic(X, y01, C, intercept)
    np.testing.assert_allclose(adapted.model.theta_, theta, rtol=1e-9, atol=1e-12)
    # A plain LogisticRegression refitted with C_ at a tight tolerance: the same minimiser.
    plain = sk.LogisticRegression(C=C, fit_intercept=intercept, tol=1e-12, max_iter=10_000)
    plain.fit(X, y)
    np.testing.assert_allclose(
        np.append(plain.coef_, plain.intercept_) if intercept else plain.coef_.ravel(),
        theta, rtol=1e-6, atol=1e-6,
    )
    G = logistic_grads(X, y01, theta, intercept)
    G_test = logistic_grads(X_test, yt01, theta, intercept)
    expected = -G_test @ np.linalg.solve(H, G.T)
    got = influence_loss(adapted.model, adapted.X, adapted.y, *adapted.transform(X_test, y_test))
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-8 * np.abs(expected).max())


def test_multinomial_logistic_regression_cv_has_one_C_for_all_classes():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(120, 3))
    y = np.argmax(X @ rng.normal(size=(3, 3)) + rng.gumbel(size=(120, 3)), axis=1)
    cv = fit_quietly(
        sk.LogisticRegressionCV(Cs=[0.1, 3.0], fit_intercept=False, cv=3, max_iter=1000), X, y
    )
    assert np.ravel(cv.C_).shape == (3,)  # scikit-learn's legacy attribute: one per class
    adapted = from_sklearn(cv, X, y)
    C = float(cv.C_[0])
    assert type(adapted.model).__name__ == "SoftmaxRegression" and adapted.model.l2 == 1 / C
    theta, _ = by_hand_softmax(X, y, 3, C)
    np.testing.assert_allclose(adapted.model.theta_, theta, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("folds", [None, 4])
def test_ridge_cv_is_ridge_with_the_chosen_alpha(folds):
    X, y, X_test, y_test = regression_data()
    cv = sk.RidgeCV(alphas=[0.01, 3.0, 300.0], cv=folds).fit(X, y)
    adapted = from_sklearn(cv, X, y)
    assert adapted.model.l2 == 2 * cv.alpha_
    theta, H = by_hand_ridge(X, y, cv.alpha_, True)
    np.testing.assert_allclose(adapted.model.theta_, theta, rtol=1e-10)
    np.testing.assert_allclose(adapted.theta_sklearn, theta, rtol=1e-8)
    # Leaving a point out: Ridge(alpha=alpha_) refits by scikit-learn.
    np.testing.assert_allclose(
        loo_params(adapted.model, adapted.X, adapted.y),
        sklearn_loo(sk.Ridge(alpha=cv.alpha_), X, y),
        rtol=1e-8,
    )


def test_what_a_cv_search_cannot_give_is_refused_clearly():
    X, y, _, _ = logistic_data()
    averaged = fit_quietly(sk.LogisticRegressionCV(Cs=3, cv=3, refit=False), X, y)
    with pytest.raises(
        ValueError,
        match=r"^LogisticRegressionCV\(refit=False\) averages the coefficients fitted on the "
        r"cross-validation folds: they minimise no objective on X, y, .*refit=True",
    ):
        from_sklearn(averaged, X, y)
    lasso = fit_quietly(
        sk.LogisticRegressionCV(Cs=3, cv=3, l1_ratios=(1.0,), solver="saga", max_iter=3000), X, y
    )
    with pytest.raises(
        ValueError,
        match=r"^LogisticRegressionCV with an L1 or elastic-net penalty \(l1_ratio_=1 chosen "
        r"from l1_ratios=\(1\.0,\)\) has no Hessian",
    ):
        from_sklearn(lasso, X, y)
    Xr, yr, _, _ = regression_data()
    Y = np.column_stack([yr, -yr])
    with pytest.raises(
        ValueError,
        match=r"supports RidgeCV with one target and a scalar alpha; got coef_ of shape \(2, 3\) "
        r"and alpha_ \[1\.0, 1\.0\]",
    ):
        from_sklearn(sk.RidgeCV(alphas=[1.0], alpha_per_target=True).fit(Xr, Y), Xr, Y)


# --- sample weights: the weighted sum objective --------------------------------------------


@pytest.mark.parametrize("intercept", [True, False])
def test_weighted_logistic_regression_matches_the_weighted_objective(intercept):
    X, y, X_test, y_test = logistic_data(n=100)
    w = np.random.default_rng(2).uniform(0.2, 3.0, len(y))
    C = 0.5
    est = sk.LogisticRegression(C=C, fit_intercept=intercept, max_iter=1000)
    adapted = from_sklearn(est.fit(X, y, sample_weight=w), X, y, sample_weight=w)
    np.testing.assert_array_equal(adapted.X[:, -1], w)
    theta, H = by_hand_logistic(X, y, C, intercept, w=w)
    np.testing.assert_allclose(adapted.model.theta_, theta, rtol=1e-9, atol=1e-12)
    assert adapted.grad_norm < 1e-12
    # I_up,loss = -grad L(z_test)^T H_w^-1 w_i grad L(z_i); a test point has weight 1.
    Xt, yt = adapted.transform(X_test, y_test)
    np.testing.assert_array_equal(Xt[:, -1], 1.0)
    G = logistic_grads(X, y, theta, intercept)
    expected = -logistic_grads(X_test, y_test, theta, intercept) @ np.linalg.solve(H, (w[:, None] * G).T)
    got = influence_loss(adapted.model, adapted.X, adapted.y, Xt, yt)
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-8 * np.abs(expected).max())
    # Up-weighting the weighted loss of z_i by eps is w_i -> (1 + eps) w_i: central
    # differences of exact weighted refits.
    eps, i = 1e-5, 7
    up, down = w.copy(), w.copy()
    up[i], down[i] = (1 + eps) * w[i], (1 - eps) * w[i]
    derivative = (
        by_hand_logistic(X, y, C, intercept, w=up)[0] - by_hand_logistic(X, y, C, intercept, w=down)[0]
    ) / (2 * eps)
    I_params = influence_params(adapted.model, adapted.X, adapted.y)
    np.testing.assert_allclose(I_params[i], derivative, rtol=1e-6, atol=1e-9)
    # Removing z_i is up-weighting its loss by -w_i: scikit-learn's weighted refits.
    idx = [0, 7, 42]
    refits = []
    for k in idx:
        keep = np.arange(len(y)) != k
        e = sk.LogisticRegression(C=C, fit_intercept=intercept, tol=1e-12, max_iter=10_000)
        e.fit(X[keep], y[keep], sample_weight=w[keep])
        refits.append(np.append(e.coef_, e.intercept_) if intercept else e.coef_.ravel())
    np.testing.assert_allclose(
        loo_params(adapted.model, adapted.X, adapted.y, indices=idx), refits, rtol=1e-6, atol=1e-8
    )


def test_weighted_ridge_matches_the_closed_form_and_its_refits():
    X, y, X_test, y_test = regression_data()
    w = np.random.default_rng(3).uniform(0.2, 3.0, len(y))
    ridge = sk.Ridge(alpha=2.0).fit(X, y, sample_weight=w)
    adapted = from_sklearn(ridge, X, y, sample_weight=w)
    theta, H = by_hand_ridge(X, y, 2.0, True, w=w)
    np.testing.assert_allclose(adapted.model.theta_, theta, rtol=1e-10)
    Xd, Xtd = design(X, True), design(X_test, True)
    G = -2 * (y - Xd @ theta)[:, None] * Xd
    G_test = -2 * (y_test - Xtd @ theta)[:, None] * Xtd
    expected = -G_test @ np.linalg.solve(H, (w[:, None] * G).T)
    got = influence_loss(adapted.model, adapted.X, adapted.y, *adapted.transform(X_test, y_test))
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-8 * np.abs(expected).max())
    rows = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        e = sk.Ridge(alpha=2.0).fit(X[keep], y[keep], sample_weight=w[keep])
        rows.append(np.append(e.coef_, e.intercept_))
    np.testing.assert_allclose(loo_params(adapted.model, adapted.X, adapted.y), rows, rtol=1e-8)
    lin = sk.LinearRegression().fit(X, y, sample_weight=w)
    adapted = from_sklearn(lin, X, y, sample_weight=w)
    np.testing.assert_allclose(adapted.model.theta_, by_hand_ridge(X, y, 0.0, True, w=w)[0], rtol=1e-10)


def test_a_nearly_uniform_weighting_not_passed_is_refused():
    # U[0.9, 1.1] weights move the coefficients by little, but each point's influence by
    # its own weight: the coefficients show it, being off the unweighted minimiser by
    # more than the solver's tolerance.
    X, y, _, _ = logistic_data(n=300, seed=5)
    w = np.random.default_rng(4).uniform(0.9, 1.1, len(y))
    for solver in ("lbfgs", "newton-cg", "newton-cholesky"):
        est = sk.LogisticRegression(solver=solver, max_iter=1000).fit(X, y, sample_weight=w)
        with pytest.raises(
            ValueError,
            match=r"^scikit-learn's coefficients do not minimise the objective that its "
            r"parameters imply on these data, even to the tolerance its solver stops at "
            r"\(max \|gradient\| .* of the mean objective, > 2e-04 = 2 tol\)\. The estimator "
            r"was fitted with sample_weight \(pass the same weights: from_sklearn\(estimator, "
            r"X, y, sample_weight=w\)\), or on other data\.$",
        ):
            from_sklearn(est, X, y)
        adapted = from_sklearn(est, X, y, sample_weight=w)
        with pytest.raises(ValueError, match=r"fitted with other sample weights than those passed"):
            from_sklearn(est, X, y, sample_weight=w[::-1])
        assert adapted.grad_norm < 1e-12
    Xr, yr, _, _ = regression_data()
    wr = np.random.default_rng(4).uniform(0.9, 1.1, len(yr))
    for est in (sk.Ridge(alpha=1.0), sk.RidgeCV(), sk.LinearRegression()):
        est.fit(Xr, yr, sample_weight=wr)
        with pytest.raises(
            ValueError, match=r"\(relative gradient .* from a direct solver, > 1e-08\)\. The "
            r"estimator was fitted with sample_weight"
        ):
            from_sklearn(est, Xr, yr)
        from_sklearn(est, Xr, yr, sample_weight=wr)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "newton-cholesky"])
def test_an_unweighted_fit_at_the_default_tolerance_is_accepted(solver, seed):
    # The check that refuses weighted fits must not refuse a loosely converged unweighted one.
    X, y, _, _ = logistic_data(n=300, seed=seed)
    for C in (0.01, 1.0, 100.0):
        est = sk.LogisticRegression(C=C, solver=solver, max_iter=1000).fit(X, y)
        assert from_sklearn(est, X, y).grad_norm < 1e-12


def test_weights_for_several_classes_are_refused():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(60, 3))
    y = np.arange(60) % 3
    est = sk.LogisticRegression(fit_intercept=False).fit(X, y)
    with pytest.raises(ValueError, match=r"supports sample_weight for two classes, Ridge and "
                       r"LinearRegression; this LogisticRegression has 3 classes"):
        from_sklearn(est, X, y, sample_weight=np.ones(60))


# --- messages in scikit-learn's terms, and a short repr ------------------------------------


def test_separable_classes_without_a_penalty_ask_for_a_finite_C():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkConvergenceWarning)
        est = sk.LogisticRegression(C=np.inf, max_iter=200).fit(X, y)
    with pytest.raises(
        SeparableDataError,
        match=r"^The classes are linearly separable, and this LogisticRegression has no penalty "
        r"\(C=np\.inf or penalty=None\).*Refit the estimator with a finite C",
    ) as info:
        from_sklearn(est, X, y)
    assert "l2" not in str(info.value)


def test_a_singular_hessian_names_scikit_learn_cures():
    from scipy import sparse

    X, y, _, _ = regression_data()
    Xc = sparse.csr_matrix(np.column_stack([X, X[:, 0]]))  # a repeated column; lsqr's fit
    with pytest.raises(
        NotPositiveDefiniteError,
        match=r"^The Hessian of this LinearRegression's objective is singular .* Refit with "
        r"Ridge\(alpha > 0\), or drop redundant columns\.$",
    ) as info:
        from_sklearn(sk.LinearRegression().fit(Xc, y), Xc, y)
    assert "l2" not in str(info.value) and "damping" not in str(info.value)


def test_repr_is_short():
    X, y, _, _ = regression_data(n=500)
    adapted = from_sklearn(sk.Ridge(alpha=0.5).fit(X, y), X, y)
    assert repr(adapted) == (
        "SklearnAdapted(estimator=Ridge(alpha=0.5),\n"
        "               model=LinearRegression(l2=1.0, unpenalized=[-1]),\n"
        f"               X: 500 x 4, polish_shift={adapted.polish_shift:.1e})"
    )
    assert str(adapted) == repr(adapted)


def test_sample_weighted_models_work_with_every_function_of_the_package():
    from influence_demo import (
        LinearRegression,
        LogisticRegression,
        SampleWeighted,
        add_intercept,
        loo_loss_change,
        top_influences,
    )

    X, y, X_test, y_test = logistic_data(n=80)
    Xd, Xtd = add_intercept(X), add_intercept(X_test)
    counts = np.random.default_rng(5).integers(0, 4, len(y))  # 0: the point is left out
    w = counts.astype(float)
    model = SampleWeighted(LogisticRegression(l2=0.3)).fit(np.column_stack([Xd, w]), y)
    # Integer weights are repeated rows, a zero weight a removed row.
    repeated = LogisticRegression(l2=0.3).fit(np.repeat(Xd, counts, axis=0), np.repeat(y, counts))
    np.testing.assert_allclose(model.theta_, repeated.theta_, rtol=1e-11, atol=1e-14)
    Xw, Xtw = np.column_stack([Xd, w]), np.column_stack([Xtd, np.ones(len(y_test))])
    # Removing z_i from the weighted fit: -I_up,loss predicts the refits' change; top-k agrees.
    I = influence_loss(model, Xw, y, Xtw, y_test)
    actual = loo_loss_change(model, Xw, y, Xtw, y_test)
    assert np.corrcoef(-I.ravel(), actual.ravel())[0, 1] > 0.99
    np.testing.assert_array_equal(I[:, counts == 0], 0.0)
    top = top_influences(model, Xw, y, Xtw, y_test, k=3)
    np.testing.assert_array_equal(top.harmful, np.argsort(-I, axis=1, kind="stable")[:, :3])
    # Least squares: the weighted normal equations.
    Xr, yr, _, _ = regression_data()
    Xrd = add_intercept(Xr)
    ols = SampleWeighted(LinearRegression()).fit(np.column_stack([Xrd, w[:60] + 0.5]), yr)
    np.testing.assert_allclose(
        ols.theta_, by_hand_ridge(Xr, yr, 0.0, True, w=w[:60] + 0.5)[0], rtol=1e-10
    )
    with pytest.raises(ValueError, match=r"The example weights \(the last column of X\) must be "
                       r">= 0; found -1"):
        SampleWeighted(LinearRegression()).fit(np.column_stack([Xrd, -np.ones(60)]), yr)
    with pytest.raises(TypeError, match=r"SampleWeighted needs a model linear in theta"):
        SampleWeighted(object()).fit(np.column_stack([Xrd, np.ones(60)]), yr)
    # The one-step estimate and leverage need unit weights: the error says so and names
    # the functions that do take weights.
    from influence_demo import generalized_leverage, loo_params_onestep

    for function in (generalized_leverage, loo_params_onestep):
        with pytest.raises(TypeError, match=r"SampleWeighted has no per-example curvatures .*"
                           r"unit weights.*Use loo_params or influence_params"):
            function(model, Xw, y)


def test_fits_whose_solver_promises_no_gradient_are_judged_by_the_shift_alone():
    # float32 data: scikit-learn's rounding, not its tol, bounds the gradient; sparse data:
    # iterative solvers. Unweighted fits of both kinds are accepted.
    X, y, _, _ = logistic_data(n=300, seed=1)
    est = sk.LogisticRegression(C=1.0, tol=1e-10, max_iter=1000).fit(X.astype(np.float32), y)
    assert from_sklearn(est, X.astype(np.float32), y).grad_norm < 1e-12
    from scipy import sparse

    Xr, yr, _, _ = regression_data(n=200)
    Xs = sparse.csr_matrix(Xr)
    for est in (sk.Ridge(alpha=1.0, solver="sparse_cg"), sk.RidgeCV(cv=3), sk.LinearRegression()):
        assert from_sklearn(est.fit(Xs, yr), Xs, yr).polish_shift < 1e-3
