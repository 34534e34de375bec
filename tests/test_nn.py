"""SoftmaxRegression and MLPClassifier: derivatives against finite differences and explicit
matrices, the GGN's definiteness, the two-class reduction to LogisticRegression, and errors."""

import numpy as np
import pytest

from influence_demo import (
    ConvergenceWarning,
    LogisticRegression,
    NotFittedError,
    add_intercept,
)
from influence_demo.nn import (
    MLPClassifier,
    SoftmaxRegression,
    curvature_spectrum,
    one_hot,
    softmax,
)

from three_class import three_class as three_class_data


@pytest.fixture(params=["softmax", "mlp"])
def model_data(request):
    """A fitted model, its data, and a random theta away from the optimum."""
    X, y = three_class_data()
    if request.param == "softmax":
        X = add_intercept(X)
        model = SoftmaxRegression(l2=0.5).fit(X, y)
    else:
        model = MLPClassifier(n_hidden=3, l2=0.5, seed=1).fit(X, y)
    rng = np.random.default_rng(7)
    theta = model.theta_ + rng.normal(size=model.n_params_)
    return model, X, y, theta


def fd_jacobian(f, theta, h=1e-6):
    """Central differences of a vector function, one column per coordinate."""
    cols = []
    for e in np.eye(theta.size):
        cols.append((np.ravel(f(theta + h * e)) - np.ravel(f(theta - h * e))) / (2 * h))
    return np.array(cols).T


def test_fit_reaches_the_rounding_floor(model_data):
    model, X, y, _ = model_data
    assert model.grad_norm_ < 1e-10
    np.testing.assert_allclose(
        np.linalg.norm(model.objective_grad(X, y)), model.grad_norm_, atol=1e-12
    )


def test_objective_gradient_against_finite_differences(model_data):
    model, X, y, theta = model_data
    fd = fd_jacobian(lambda t: model.objective(X, y, t), theta)[0]
    np.testing.assert_allclose(model.objective_grad(X, y, theta), fd, rtol=1e-6, atol=1e-6)


def test_per_example_gradients_against_finite_differences(model_data):
    model, X, y, theta = model_data
    fd = fd_jacobian(lambda t: model.loss(X, y, t), theta)  # (n, p)
    np.testing.assert_allclose(model.grad(X, y, theta), fd, rtol=1e-6, atol=1e-7)
    # the objective's gradient is their sum plus the penalty
    np.testing.assert_allclose(
        model.objective_grad(X, y, theta),
        model.grad(X, y, theta).sum(axis=0) + model.l2 * theta,
        rtol=1e-12,
        atol=1e-12,
    )


def test_explicit_hessian_against_finite_differences(model_data):
    model, X, y, theta = model_data
    fd = fd_jacobian(lambda t: model.objective_grad(X, y, t), theta)
    H = model.hessian(X, y, theta)
    np.testing.assert_allclose(H, H.T, atol=0)
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-6)


def test_hvp_r_operator_against_explicit_hessian(model_data):
    model, X, y, theta = model_data
    rng = np.random.default_rng(3)
    H = model.hessian(X, y, theta)
    v = rng.normal(size=model.n_params_)
    V = rng.normal(size=(model.n_params_, 4))
    np.testing.assert_allclose(model.hvp(v, X, y, theta), H @ v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.hvp(V, X, y, theta), H @ V, rtol=1e-12, atol=1e-12)
    # and against the directional derivative of the gradient, which no formula above shares
    h = 1e-6
    fd = (model.objective_grad(X, y, theta + h * v) - model.objective_grad(X, y, theta - h * v)) / (
        2 * h
    )
    np.testing.assert_allclose(model.hvp(v, X, y, theta), fd, rtol=1e-6, atol=1e-6)


def test_ggn_against_jacobian_of_logits(model_data):
    """G = sum_i J_i^T (diag p_i - p_i p_i^T) J_i + l2 I with J_i from finite differences."""
    model, X, y, theta = model_data
    J = fd_jacobian(lambda t: model.logits(X, t), theta).reshape(X.shape[0], -1, theta.size)
    P = softmax(model.logits(X, theta))
    M = np.einsum("nc,cd->ncd", P, np.eye(P.shape[1])) - P[:, :, None] * P[:, None, :]
    G = np.einsum("ncp,ncd,ndq->pq", J, M, J) + model.l2 * np.eye(theta.size)
    np.testing.assert_allclose(model.ggn(X, y, theta), G, rtol=1e-6, atol=1e-6)
    V = np.random.default_rng(4).normal(size=(theta.size, 3))
    np.testing.assert_allclose(
        model.ggn_hvp(V, X, y, theta), model.ggn(X, y, theta) @ V, rtol=1e-12, atol=1e-12
    )
    # the per-example gradient is J_i^T (p_i - e_{y_i})
    np.testing.assert_allclose(
        model.grad(X, y, theta), np.einsum("ncp,nc->np", J, P - one_hot(y, P.shape[1])), atol=1e-7
    )


def test_ggn_is_symmetric_positive_semidefinite_where_the_hessian_is_not():
    X, y = three_class_data()
    model = MLPClassifier(n_hidden=3, l2=0.0, seed=1, tol=1e-6).fit(X, y)
    rng = np.random.default_rng(0)
    found_indefinite = False
    for _ in range(5):
        theta = 3 * rng.normal(size=model.n_params_)
        G = model.ggn(X, y, theta)
        np.testing.assert_array_equal(G, G.T)
        assert np.linalg.eigvalsh(G)[0] > -1e-10 * np.linalg.eigvalsh(G)[-1]
        found_indefinite |= np.linalg.eigvalsh(model.hessian(X, y, theta))[0] < -1e-3
    assert found_indefinite  # the contrast is real: the Hessian is indefinite there


def test_softmax_hessian_is_its_ggn():
    X, y = three_class_data()
    model = SoftmaxRegression(l2=0.3).fit(add_intercept(X), y)
    Xi = add_intercept(X)
    theta = np.random.default_rng(1).normal(size=model.n_params_)
    np.testing.assert_allclose(model.hessian(Xi, y, theta), model.ggn(Xi, y, theta), atol=1e-12)


def test_two_class_softmax_is_logistic_regression():
    """At the optimum w0 = -w1; beta = w1 - w0 minimises the logistic objective with l2 / 2."""
    rng = np.random.default_rng(2)
    X = add_intercept(rng.normal(size=(40, 3)))
    y = (X @ [1.0, -2.0, 0.5, 0.3] + rng.normal(size=40) > 0).astype(int)
    soft = SoftmaxRegression(l2=0.8).fit(X, y)
    logit = LogisticRegression(l2=0.4).fit(X, y)
    W = soft.theta_.reshape(2, -1)
    np.testing.assert_allclose(W[0], -W[1], atol=1e-12)
    np.testing.assert_allclose(W[1] - W[0], logit.theta_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(soft.predict_proba(X)[:, 1], logit.predict_proba(X), rtol=1e-9)
    np.testing.assert_allclose(soft.loss(X, y), logit.loss(X, y), rtol=1e-9, atol=1e-14)


def test_spectrum_and_refit():
    X, y = three_class_data()
    model = MLPClassifier(n_hidden=3, l2=0.5, seed=1).fit(X, y)
    ev = curvature_spectrum(model, X, y)
    np.testing.assert_allclose(ev, np.linalg.eigvalsh(model.hessian(X, y)))
    assert curvature_spectrum(model, X, y, "ggn")[0] >= 0.5 - 1e-10
    with pytest.raises(ValueError, match="curvature must be 'hessian' or 'ggn'; got 'fisher'"):
        curvature_spectrum(model, X, y, "fisher")
    # a warm refit on the same data stays put; a cold refit repeats the fit exactly
    np.testing.assert_allclose(model.refit(X, y, model.theta_), model.theta_, atol=1e-12)
    np.testing.assert_array_equal(model.refit(X, y), model.theta_)


def test_curvature_operator_mini_batch():
    X, y = three_class_data()
    model = MLPClassifier(n_hidden=3, l2=0.5, seed=1).fit(X, y)
    op = model.hvp_operator(X, y)
    V = np.random.default_rng(0).normal(size=(model.n_params_, 2))
    idx = np.arange(10)
    sub = MLPClassifier(n_hidden=3, l2=0.5, seed=1).fit(X, y).with_theta(model.theta_)
    expected = 3.0 * (sub.hessian(X[idx], y[idx]) - 0.5 * np.eye(model.n_params_)) @ V + 0.5 * V
    np.testing.assert_allclose(op.on_subset(idx, V, 3.0), expected, rtol=1e-10, atol=1e-12)
    assert (op.n, op.p) == (30, model.n_params_)
    with pytest.raises(ValueError, match=r"V must have shape \(24,\) or \(24, k\); got \(3,\)"):
        op(np.ones(3))


def test_fit_warns_when_it_stops_early():
    X, y = three_class_data()
    with pytest.warns(ConvergenceWarning, match="stopped with gradient norm .* > tol = 1.0e-08"):
        MLPClassifier(n_hidden=3, l2=0.5, max_iter=1).fit(X, y)


def test_errors():
    X, y = three_class_data()
    model = MLPClassifier(n_hidden=3, l2=0.5)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.predict(X)
    with pytest.raises(ValueError, match=r"non-negative integers\); found \[0.5\]"):
        model.fit(X, np.where(y == 0, 0.5, y))
    with pytest.raises(ValueError, match=r"found \[-1.0\]"):
        model.fit(X, y - 1)
    with pytest.raises(ValueError, match="n_hidden must be an integer >= 1; got 0"):
        MLPClassifier(n_hidden=0).fit(X, y)
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0; got -1.0"):
        SoftmaxRegression(l2=-1).fit(X, y)
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2; got 1"):
        SoftmaxRegression(n_classes=1).fit(X, y)
    model.fit(X, y)
    with pytest.raises(
        ValueError, match=r"y holds the label 3, but the model has 3 classes \(labels 0 .. 2\)"
    ):
        model.loss(X, np.where(y == 0, 3, y))
    with pytest.raises(
        ValueError, match="theta has 5 entries, which fits no number of classes for 3 input"
    ):
        model.loss(X, y, np.ones(5))
    with pytest.raises(ValueError, match=r"X has 2 columns but the model was fitted with 3"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match=r"theta must have shape \(24,\); got \(3,\)"):
        model.with_theta(np.ones(3))
    with pytest.raises(
        ValueError, match=r"targets must have shape \(30, K\) with K >= 2; got \(30,\)"
    ):
        model.minimize(X, y)
    with pytest.raises(ValueError, match=r"weights must have shape \(30,\); got \(29,\)"):
        model.minimize(X, one_hot(y, 3), weights=np.ones(29))
    with pytest.raises(ValueError, match=r"center must have shape \(24,\); got \(2,\)"):
        model.minimize(X, one_hot(y, 3), center=np.ones(2))


def test_repr_and_params():
    model = MLPClassifier(n_hidden=4, l2=0.1, seed=3)
    assert (
        repr(model)
        == "MLPClassifier(n_hidden=4, l2=0.1, seed=3, n_classes=None, tol=1e-08, max_iter=5000)"
    )
    assert SoftmaxRegression().get_params() == {
        "l2": 1.0,
        "n_classes": None,
        "tol": 1e-08,
        "max_iter": 2000,
    }


def test_influence_with_either_curvature():
    from influence_demo import influence_loss, influence_params, inverse_hvp, self_influence

    X, y = three_class_data()
    model = MLPClassifier(n_hidden=3, l2=0.5, seed=1).fit(X, y)
    G_train = model.grad(X, y)
    for curvature, C in (("hessian", model.hessian(X, y)), ("ggn", model.ggn(X, y))):
        C = C + 0.3 * np.eye(model.n_params_)
        expected = -np.linalg.solve(C, G_train.T).T
        got = influence_params(model, X, y, damping=0.3, curvature=curvature)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
        loss = influence_loss(model, X, y, X[:2], y[:2], damping=0.3, curvature=curvature)
        np.testing.assert_allclose(
            loss, model.grad(X[:2], y[:2]) @ expected.T, rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(
            self_influence(model, X, y, damping=0.3, curvature=curvature),
            np.einsum("ip,ip->i", G_train, expected),
            rtol=1e-9,
            atol=1e-12,
        )
        v = G_train[0]
        for method, tol in (("cg", 1e-8), ("lissa", 1e-3)):
            u = inverse_hvp(
                model,
                X,
                y,
                v,
                method=method,
                damping=0.3,
                curvature=curvature,
                **({"depth": 3000} if method == "lissa" else {}),
            )
            np.testing.assert_allclose(
                u, -expected[0], rtol=tol, atol=tol * np.abs(expected[0]).max()
            )


def test_indefinite_hessian_names_its_eigenvalue_and_the_damping():
    from influence_demo import LogisticRegression, NotPositiveDefiniteError, inverse_hvp

    X, y = three_class_data()
    fitted = MLPClassifier(n_hidden=3, l2=0.0, seed=1, tol=1e-6).fit(X, y)
    rng = np.random.default_rng(0)
    for _ in range(10):
        model = fitted.with_theta(3 * rng.normal(size=fitted.n_params_))
        lam = np.linalg.eigvalsh(model.hessian(X, y))[0]
        if lam < -1e-3:
            break
    v = np.ones(model.n_params_)
    with pytest.raises(
        NotPositiveDefiniteError,
        match=(
            rf"not positive definite.*The Hessian is indefinite: its most negative eigenvalue is "
            rf"{lam:.4g}, so damping must exceed {-lam:.4g} \(got damping=0\)"
        ),
    ):
        inverse_hvp(model, X, y, v)
    u = inverse_hvp(model, X, y, v, damping=1.01 * -lam)  # the damping it names fixes it
    np.testing.assert_allclose(model.hvp(u, X, y) - lam * 1.01 * u, v, rtol=1e-6)
    inverse_hvp(model, X, y, v, curvature="ggn", damping=1e-3)  # and so does the GGN
    with pytest.raises(ValueError, match="curvature must be 'hessian' or 'ggn'; got 'fisher'"):
        inverse_hvp(model, X, y, v, curvature="fisher")
    logistic = LogisticRegression(l2=1.0).fit(X, (y > 0).astype(float))
    with pytest.raises(
        ValueError, match="LogisticRegression has no Gauss-Newton matrix .* Use curvature='hessian'"
    ):
        inverse_hvp(logistic, X, (y > 0).astype(float), np.ones(3), curvature="ggn")


def test_coursework_checker_for_the_r_operator(capsys):
    from influence_demo.coursework import check_mlp_hvp

    def hvp(X, y, theta, n_hidden, l2, V):
        return MLPClassifier(n_hidden=n_hidden, l2=l2).hvp(V, X, y, theta)

    def ggn(X, y, theta, n_hidden, l2, V):
        return MLPClassifier(n_hidden=n_hidden, l2=l2).ggn_hvp(V, X, y, theta)

    def no_penalty(X, y, theta, n_hidden, l2, V):
        return hvp(X, y, theta, n_hidden, 0.0, V)

    assert check_mlp_hvp(hvp) is True
    assert "check_mlp_hvp: PASS (4 cases)" in capsys.readouterr().out
    assert check_mlp_hvp(ggn) is False
    out = capsys.readouterr().out
    assert "FAIL on case 1 of 4" in out and "this is the Gauss-Newton product G V" in out
    assert check_mlp_hvp(no_penalty) is False
    assert "the penalty is missing: H includes l2 * I" in capsys.readouterr().out
    assert check_mlp_hvp(lambda *args: -hvp(*args)) is False
    assert "Check the sign" in capsys.readouterr().out
