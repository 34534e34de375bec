"""The two source notebooks' numbers, reproduced with the package.

The expected values are copied from the notebooks' stored outputs (printed with 8 or 6
decimals, hence the tolerances), not recomputed here.
"""

import numpy as np
import pytest

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    NotAtOptimumWarning,
    SeparableDataError,
    add_intercept,
    gradient_descent,
    influence_loss,
    influence_params,
    inverse_hvp,
    leverage,
    loo_params,
    loo_params_ols,
    ols_seed_data,
    tiny_logistic_data,
)

# --- source 000: ordinary least squares, 10 points, np.random.seed(0) -------------------------

THETA_HAT_000 = [0.73266182, 1.01441283]
LOO_NORMS_000 = [0.02083284, 0.00520998, 0.00109041, 0.07302494, 0.1084997, 0.0851947, 0.0131505, 0.00110383, 0.07352071, 0.02486394]
LOO_RANKING_000 = [4, 5, 8, 3, 9, 0, 6, 1, 7, 2]
INFLUENCE_RANKING_000 = [5, 3, 4, 8, 9, 0, 6, 1, 7, 2]


@pytest.fixture(scope="module")
def source_000():
    X, y, theta_true = ols_seed_data()
    model = LinearRegression().fit(X, y)
    return model, X, y, theta_true


def test_000_data(source_000):
    _, X, y, theta_true = source_000
    assert X.shape == (10, 2) and y.shape == (10,)
    np.testing.assert_array_equal(theta_true, [1.0, 0.8])
    np.testing.assert_allclose(X[0], [0.5488135, 0.71518937], atol=5e-9)
    np.testing.assert_allclose(X[4], [0.96366276, 0.38344152], atol=5e-9)
    np.testing.assert_allclose(X[9], [0.77815675, 0.87001215], atol=5e-9)


def test_000_theta_hat(source_000):
    model, X, y, _ = source_000
    np.testing.assert_allclose(model.theta_, THETA_HAT_000, rtol=0, atol=5e-9)


def test_000_loo_difference_norms_and_ranking(source_000):
    model, X, y, _ = source_000
    norms = np.linalg.norm(loo_params(model, X, y) - model.theta_, axis=1)
    np.testing.assert_allclose(norms, LOO_NORMS_000, rtol=0, atol=5e-9)
    np.testing.assert_array_equal(np.argsort(norms)[::-1], LOO_RANKING_000)
    # The closed form gives the same norms, with no refits.
    np.testing.assert_allclose(np.linalg.norm(loo_params_ols(X, y) - model.theta_, axis=1), LOO_NORMS_000, atol=5e-9)


def test_000_influence_ranking_and_cell_124(source_000):
    model, X, y, _ = source_000
    ip = influence_params(model, X, y)
    np.testing.assert_array_equal(np.argsort(np.linalg.norm(ip, axis=1))[::-1], INFLUENCE_RANKING_000)
    # Cell In [124] printed H^{-1} grad L(z_9) = [0.01773356, 0.00998758]: minus I_up,params(z_9).
    np.testing.assert_allclose(ip[9], [-0.01773356, -0.00998758], rtol=0, atol=5e-9)


def test_000_leverage_factor_reconciles_the_two_rankings(source_000):
    model, X, y, _ = source_000
    corrected = influence_params(model, X, y) / (1 - leverage(X))[:, None]
    norms = np.linalg.norm(corrected, axis=1)
    np.testing.assert_allclose(norms, LOO_NORMS_000, rtol=0, atol=5e-9)
    np.testing.assert_array_equal(np.argsort(norms)[::-1], LOO_RANKING_000)


def test_000_notebook_influence_loss_is_half_of_i_up_loss(source_000):
    """The notebook drops the factor -2 in the test gradient, so it returns I_up,loss / 2."""
    model, X, y, _ = source_000
    theta = model.theta_
    x_test, y_test = np.array([0.3, 0.6]), 1.2

    def notebook_influence_loss(x, y_i):
        nabla_l_test = (y_test - x_test.T @ theta) * x_test
        hessian = 2 * (X.T @ X)
        nabla_l_train = -2 * (y_i - x.T @ theta) * x
        return nabla_l_test.T @ np.linalg.solve(hessian, nabla_l_train)

    ours = influence_loss(model, X, y, x_test[None, :], np.array([y_test]))[0]
    notebook = np.array([notebook_influence_loss(X[i], y[i]) for i in range(10)])
    np.testing.assert_allclose(notebook, ours / 2, rtol=1e-12)


# --- source 001: three-point logistic regression fitted by gradient descent --------------------

HESSIAN_001 = [[0.13394749, 0.08590028], [0.08590028, 0.06191917]]
INVERSE_HESSIAN_001 = [[67.66686463, -93.87404164], [-93.87404164, 146.38126799]]
INFLUENCES_001 = [0.000104, 0.228624, -0.225480]


@pytest.fixture(scope="module")
def source_001():
    x, y, x_test, y_test = tiny_logistic_data()
    X, X_test = add_intercept(x), add_intercept(x_test)
    theta_gd = gradient_descent(LogisticRegression(), X, y, lr=0.1, n_steps=2000)
    model = LogisticRegression().with_theta(theta_gd)
    return model, X, y, X_test, y_test


def test_001_data():
    x, y, x_test, y_test = tiny_logistic_data()
    np.testing.assert_array_equal(x[:, 0], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(y, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(x_test, [[1.5]])
    np.testing.assert_array_equal(y_test, [1.0])


def test_001_gradient_descent_fit(source_001):
    model, X, y, _, _ = source_001
    np.testing.assert_allclose(model.theta_, [6.8725, -10.0661], rtol=0, atol=5e-5)
    # Not an optimum: the gradient is still about (-0.0099, 0.0148) (source README, item 5).
    np.testing.assert_allclose(model.objective_grad(X, y), [-0.0099, 0.0148], rtol=0, atol=5e-5)


def test_001_gradient_descent_keeps_going(source_001):
    """Separable data: w grows without bound (6.87 after 2,000 steps, 11.5 after 20,000)."""
    model, X, y, _, _ = source_001
    _, path = gradient_descent(LogisticRegression(), X, y, lr=0.1, n_steps=20000, record=[2000, 20000])
    np.testing.assert_array_equal(path[0], model.theta_)
    np.testing.assert_allclose(path[1][0], 11.5, atol=0.05)


def test_001_hessian_and_its_inverse(source_001):
    model, X, y, _, _ = source_001
    np.testing.assert_allclose(model.hessian(X, y), HESSIAN_001, rtol=0, atol=5e-9)
    np.testing.assert_allclose(inverse_hvp(model, X, y, np.eye(2)), INVERSE_HESSIAN_001, rtol=1e-8)


def test_001_direct_influences(source_001):
    model, X, y, X_test, y_test = source_001
    # Gradient descent stopped far from an optimum (there is none): the package says so.
    with pytest.warns(NotAtOptimumWarning, match=r"not at an optimum.*1\.0e-01 of its scale"):
        direct = influence_loss(model, X, y, X_test, y_test)
    assert direct.shape == (1, 3)
    np.testing.assert_allclose(direct[0], INFLUENCES_001, rtol=0, atol=5e-7)


def test_001_cg_gives_the_direct_influences(source_001):
    """The notebook's stored CG output was stale; run fresh, CG agrees with the direct solve."""
    model, X, y, X_test, y_test = source_001
    with pytest.warns(NotAtOptimumWarning):
        direct = influence_loss(model, X, y, X_test, y_test)
        cg = influence_loss(model, X, y, X_test, y_test, method="cg", rtol=1e-14)
    np.testing.assert_allclose(cg, direct, rtol=0, atol=1e-10)
    np.testing.assert_allclose(cg[0], INFLUENCES_001, atol=5e-7)
    assert not np.allclose(cg[0], [-0.013410, 0.005336, -0.014046], atol=1e-3)


def test_001_newton_refuses_the_separable_fit():
    x, y, _, _ = tiny_logistic_data()
    with pytest.raises(SeparableDataError, match="linearly separable"):
        LogisticRegression().fit(add_intercept(x), y)
    # With an L2 penalty the optimum exists and Newton finds it.
    model = LogisticRegression(l2=0.1).fit(add_intercept(x), y)
    assert model.grad_norm_ <= 1e-10
