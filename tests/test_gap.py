"""The linearised PBRF and the gap's comparisons: optimality, derivatives, identities, errors."""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

from influence_demo import add_intercept, influence_params
from influence_demo.gap import compare, linearized_pbrf
from influence_demo.nn import MLPClassifier, SoftmaxRegression, softmax
from influence_demo.pbrf import pbrf
from influence_demo.retrain import retrain

from three_class import three_class as data


@pytest.fixture(scope="module")
def mlp():
    X, y = data()
    return MLPClassifier(n_hidden=3, l2=0.5, seed=1).fit(X, y), X, y


def linearized_retraining_grad(model, X, y, m, theta):
    """Gradient of the linearised network's leave-z_m-out objective, sum of CE + l2/2 |theta|^2."""
    J, F = model.jacobian(X), model.logits(X)
    Z = F + J @ (theta - model.theta_)
    R = softmax(Z) - np.eye(Z.shape[1])[y]
    R[m] = 0.0
    return np.einsum("ncp,nc->p", J, R) + model.l2 * theta


def test_jacobian_against_finite_differences(mlp):
    model, X, y = mlp
    J = model.jacobian(X[:5])
    h = 1e-6
    for k in (0, 7, model.n_params_ - 1):
        e = np.zeros(model.n_params_)
        e[k] = h
        fd = (model.logits(X[:5], model.theta_ + e) - model.logits(X[:5], model.theta_ - e)) / (2 * h)
        np.testing.assert_allclose(J[:, :, k], fd, rtol=1e-6, atol=1e-9)


def test_linearized_pbrf_is_leave_one_out_of_the_linearised_network(mlp):
    # At grad R(theta-hat) = 0 the PBRF of a model with linear outputs is its retraining
    # objective up to a constant, so the solution zeroes the retraining gradient.
    model, X, y = mlp
    res = linearized_pbrf(model, X, y, X[:2], y[:2], [4, 11])
    for k, m in enumerate(res.indices):
        g = linearized_retraining_grad(model, X, y, m, res.params[k])
        assert np.linalg.norm(g) < 1e-8
    assert np.all(res.grad_norm < 1e-9)
    # and the test loss is the linearised network's
    delta = res.params[0] - model.theta_
    Z = model.logits(X[:2]) + model.jacobian(X[:2]) @ delta
    F = model.logits(X[:2])
    expected = (logsumexp(Z, axis=1) - Z[[0, 1], y[:2]]) - (logsumexp(F, axis=1) - F[[0, 1], y[:2]])
    np.testing.assert_allclose(res.loss_change[:, 0], expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("damping", [0.0, 2.0])
def test_linearized_pbrf_derivative_is_the_damped_ggn_influence(mlp, damping):
    model, X, y = mlp
    eps = 1e-6
    res = linearized_pbrf(model, X, y, X[:1], y[:1], [3, 20], damping=damping, epsilon=eps)
    slope = (res.params - model.theta_) / eps
    expected = influence_params(model, X, y, curvature="ggn", damping=damping)[[3, 20]]
    np.testing.assert_allclose(slope, expected, rtol=1e-4, atol=1e-8)


def test_linearized_pbrf_and_pbrf_agree_to_first_order(mlp):
    model, X, y = mlp
    eps = -1e-4
    lin = linearized_pbrf(model, X, y, X[:3], y[:3], [0, 9], epsilon=eps)
    full = pbrf(model, X, y, X[:3], y[:3], [0, 9], epsilon=eps)
    # the two differ at second order in epsilon only
    diff = np.max(np.abs(lin.loss_change - full.loss_change))
    assert diff < 1e-2 * np.max(np.abs(full.loss_change))


def test_pbrf_is_retraining_for_linear_outputs():
    # Softmax regression: f is linear in theta and grad R(theta-hat) = 0, so the PBRF
    # objective is the retraining objective and the two solutions coincide.
    X, y = data(40, 2, seed=3)
    X = add_intercept(X)
    model = SoftmaxRegression(l2=0.5).fit(X, y)
    a = pbrf(model, X, y, X[:2], y[:2], [1, 8, 30])
    b = retrain(model, X, y, X[:2], y[:2], [1, 8, 30])
    np.testing.assert_allclose(a.params, b.params, rtol=0, atol=1e-9)
    c = linearized_pbrf(model, X, y, X[:2], y[:2], [1, 8, 30])
    np.testing.assert_allclose(c.loss_change, b.loss_change, rtol=0, atol=1e-10)


def test_pbrf_at_a_non_minimum(mlp):
    # Away from a minimum (grad R != 0) the PBRF at epsilon = 0 stays at theta_s, and its
    # derivative is the GGN influence at theta_s.
    model, X, y = mlp
    res = minimize(lambda t: model.objective(X, y, t), model.init_params(3, 3),
                   jac=lambda t: model.objective_grad(X, y, t), method="L-BFGS-B",
                   options={"maxiter": 5})
    early = model.with_theta(res.x)
    assert np.linalg.norm(early.objective_grad(X, y)) > 1e-2
    still = pbrf(early, X, y, X[:1], y[:1], [2], epsilon=0.0)
    np.testing.assert_allclose(still.params[0], early.theta_, rtol=0, atol=1e-10)
    eps = 1e-6
    moved = pbrf(early, X, y, X[:1], y[:1], [2], epsilon=eps)
    G = early.ggn(X, y)
    expected = -np.linalg.solve(G, early.grad(X[2:3], y[2:3])[0])
    np.testing.assert_allclose((moved.params[0] - early.theta_) / eps, expected,
                               rtol=1e-4, atol=1e-8)


def test_compare_and_errors(mlp):
    c = compare([1.0, 2.0, 3.0], [2.0, 4.0, 6.5])
    assert c.size_ratio == pytest.approx((2 + 8 + 19.5) / 14)
    assert c.spearman == 1.0 and 0.99 < c.pearson < 1.0
    with pytest.raises(ValueError, match=r"same length >= 2; got shapes \(2,\) and \(3,\)"):
        compare([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"reference is all zero"):
        compare([0.0, 0.0], [1.0, 2.0])
    model, X, y = mlp
    with pytest.raises(ValueError, match=r"epsilon must be a finite number >= -1"):
        linearized_pbrf(model, X, y, X[:1], y[:1], [0], epsilon=-2.0)
    with pytest.raises(ValueError, match=r"damping"):
        linearized_pbrf(model, X, y, X[:1], y[:1], [0], damping=-1.0)
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 30\)"):
        linearized_pbrf(model, X, y, X[:1], y[:1], [30])
