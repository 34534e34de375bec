"""The PBRF and the three retraining variants: optimality, derivatives as epsilon -> 0, errors."""

import numpy as np
import pytest
from scipy.linalg import solve
from scipy.special import logsumexp

from influence_demo import add_intercept
from influence_demo.nn import MLPClassifier, SoftmaxRegression, softmax
from influence_demo.pbrf import pbrf
from influence_demo.retrain import retrain

from three_class import three_class as data


@pytest.fixture(scope="module")
def mlp():
    X, y = data()
    return MLPClassifier(n_hidden=3, l2=0.5, seed=1).fit(X, y), X, y


def pbrf_objective(model, X, y, m, theta, damping, epsilon):
    """The PBRF objective written with the Bregman divergence itself (no soft-target identity)."""
    F, F_hat = model.logits(X, theta), model.logits(X)
    P_hat = softmax(F_hat)
    ell = logsumexp(F, axis=1) - F[np.arange(len(y)), y]
    ell_hat = logsumexp(F_hat, axis=1) - F_hat[np.arange(len(y)), y]
    grad_hat = P_hat - np.eye(F.shape[1])[y]
    bregman = ell - ell_hat - np.einsum("nc,nc->n", grad_hat, F - F_hat)
    d = theta - model.theta_
    return bregman.sum() + epsilon * ell[m] + 0.5 * (model.l2 + damping) * d @ d


@pytest.mark.parametrize("damping", [0.0, 2.0])
def test_pbrf_satisfies_its_optimality_condition(mlp, damping):
    model, X, y = mlp
    res = pbrf(model, X, y, X[:2], y[:2], [4, 11], damping=damping)
    h = 1e-5
    for k, m in enumerate([4, 11]):
        theta = res.params[k]
        assert res.grad_norm[k] < 1e-10
        grad = np.array(
            [
                (
                    pbrf_objective(model, X, y, m, theta + h * e, damping, -1.0)
                    - pbrf_objective(model, X, y, m, theta - h * e, damping, -1.0)
                )
                / (2 * h)
                for e in np.eye(theta.size)
            ]
        )
        start = np.array(
            [
                (
                    pbrf_objective(model, X, y, m, model.theta_ + h * e, damping, -1.0)
                    - pbrf_objective(model, X, y, m, model.theta_ - h * e, damping, -1.0)
                )
                / (2 * h)
                for e in np.eye(theta.size)
            ]
        )
        assert np.linalg.norm(grad) < 1e-7
        assert np.linalg.norm(start) > 1e-3
        np.testing.assert_allclose(
            res.loss_change[:, k], model.loss(X[:2], y[:2], theta) - model.loss(X[:2], y[:2])
        )


def test_pbrf_derivative_is_the_damped_ggn_influence(mlp):
    model, X, y = mlp
    damping, eps, m = 1.5, 1e-5, 7
    up = pbrf(model, X, y, X[:1], y[:1], [m], damping=damping, epsilon=eps).params[0]
    down = pbrf(model, X, y, X[:1], y[:1], [m], damping=damping, epsilon=-eps).params[0]
    G = model.ggn(X, y) + damping * np.eye(model.n_params_)
    expected = -solve(G, model.grad(X[m : m + 1], y[m : m + 1])[0], assume_a="pos")
    np.testing.assert_allclose((up - down) / (2 * eps), expected, rtol=1e-6, atol=1e-8)
    # ... and not the Hessian influence: the two differ here
    H_inf = -solve(
        model.hessian(X, y) + damping * np.eye(model.n_params_),
        model.grad(X[m : m + 1], y[m : m + 1])[0],
    )
    assert np.linalg.norm(H_inf - expected) > 1e-3 * np.linalg.norm(expected)


def test_downweighted_retraining_derivative_is_the_hessian_influence(mlp):
    model, X, y = mlp
    eps, i = 1e-5, 3
    up = retrain(model, X, y, X[:1], y[:1], [i], epsilon=eps).params[0]
    down = retrain(model, X, y, X[:1], y[:1], [i], epsilon=-eps).params[0]
    expected = -solve(model.hessian(X, y), model.grad(X[i : i + 1], y[i : i + 1])[0])
    np.testing.assert_allclose((up - down) / (2 * eps), expected, rtol=1e-6, atol=1e-8)


def test_zero_epsilon_leaves_theta_hat(mlp):
    model, X, y = mlp
    np.testing.assert_allclose(
        pbrf(model, X, y, X[:1], y[:1], [0], epsilon=0.0).params[0], model.theta_, atol=1e-12
    )
    np.testing.assert_allclose(
        retrain(model, X, y, X[:1], y[:1], [0], epsilon=0.0).params[0], model.theta_, atol=1e-12
    )
    same = retrain(model, X, y, X[:1], y[:1], [0], start="same_init", epsilon=0.0)
    np.testing.assert_array_equal(same.params[0], model.theta_)  # same start, same data, same path


def test_warm_removal_matches_a_fit_without_the_point(mlp):
    model, X, y = mlp
    res = retrain(model, X, y, X[:3], y[:3], [5])
    keep = np.arange(len(y)) != 5
    np.testing.assert_allclose(
        res.params[0], model.refit(X[keep], y[keep], model.theta_), atol=1e-10
    )
    assert res.params.shape == (1, model.n_params_) and res.loss_change.shape == (3, 1)


def test_new_seeds_reach_other_minima(mlp):
    model, X, y = mlp
    res = retrain(model, X, y, X[:1], y[:1], [0, 1], start="new_seed", epsilon=0.0, seeds=[11, 12])
    assert np.all(res.grad_norm < 1e-8)
    assert np.linalg.norm(res.params[0] - model.theta_) > 1e-3  # a different minimum, same data
    direct = MLPClassifier(n_hidden=3, l2=0.5, seed=11).fit(X, y).theta_
    np.testing.assert_array_equal(res.params[0], direct)


def test_convex_model_one_answer():
    X, y = data()
    X = add_intercept(X)
    model = SoftmaxRegression(l2=0.5).fit(X, y)
    warm = retrain(model, X, y, X[:2], y[:2], [1, 2])
    cold = retrain(model, X, y, X[:2], y[:2], [1, 2], start="same_init")
    np.testing.assert_allclose(warm.params, cold.params, atol=1e-10)
    with pytest.raises(ValueError, match="SoftmaxRegression has no seed: its objective is convex"):
        retrain(model, X, y, X[:2], y[:2], [1], start="new_seed")


def test_errors(mlp):
    model, X, y = mlp
    with pytest.raises(
        ValueError, match="start must be one of 'warm', 'same_init', 'new_seed'; got 'cold'"
    ):
        retrain(model, X, y, X[:1], y[:1], [0], start="cold")
    with pytest.raises(
        ValueError,
        match=r"epsilon must be a finite number >= -1 \(-1 removes the point\); got -2.0",
    ):
        retrain(model, X, y, X[:1], y[:1], [0], epsilon=-2)
    with pytest.raises(
        ValueError, match=r"seeds must have one entry per index \(2\); got shape \(1,\)"
    ):
        retrain(model, X, y, X[:1], y[:1], [0, 1], start="new_seed", seeds=[3])
    with pytest.raises(
        ValueError, match=r"indices must lie in \[0, 30\) for 30 training points; got \[30\]"
    ):
        pbrf(model, X, y, X[:1], y[:1], [30])
    with pytest.raises(ValueError, match="indices must be a non-empty 1-D sequence of integers"):
        pbrf(model, X, y, X[:1], y[:1], [])
    with pytest.raises(ValueError, match="damping must be a finite number >= 0; got -1.0"):
        pbrf(model, X, y, X[:1], y[:1], [0], damping=-1)
    with pytest.raises(ValueError, match="epsilon must be finite; got nan"):
        pbrf(model, X, y, X[:1], y[:1], [0], epsilon=np.nan)


def test_ggn_influence_does_not_warn_away_from_an_optimum_and_is_the_pbrf_derivative(mlp):
    """At an early-stopped theta_s the Hessian influence warns; the GGN influence does not,
    and it is the derivative of the PBRF at theta_s (Bae et al. 2022)."""
    from influence_demo import NotAtOptimumWarning, influence_loss

    model, X, y = mlp
    early = model.with_theta(
        model.theta_ + 0.3 * np.random.default_rng(0).normal(size=model.n_params_)
    )
    assert np.linalg.norm(early.objective_grad(X, y)) > 1e-2
    with pytest.warns(NotAtOptimumWarning, match="defined only at a minimiser"):
        influence_loss(early, X, y, X[:2], y[:2], damping=50.0)
    est = influence_loss(early, X, y, X[:2], y[:2], curvature="ggn", damping=1.0)  # no warning
    eps = 1e-6
    slope = pbrf(early, X, y, X[:2], y[:2], [4, 7], damping=1.0, epsilon=eps).loss_change / eps
    np.testing.assert_allclose(slope, est[:, [4, 7]], rtol=1e-4, atol=1e-8)


def test_minimize_takes_the_hessian_at_theta0_and_checks_its_shape(mlp):
    """A warm refit given the Hessian at its start (the shared one plus the point's own, as
    retrain builds it) reaches the refit that builds every Hessian itself."""
    model, X, y = mlp
    T = np.eye(3)[y]
    w = np.ones(len(y))
    w[4] = 0.0
    own = model.hessian(X[4:5], y[4:5]) - model.l2 * np.eye(model.n_params_)
    given = model.minimize(X, T, weights=w, theta0=model.theta_, hessian0=model.hessian(X, y) - own)
    built = model.minimize(X, T, weights=w, theta0=model.theta_)
    np.testing.assert_allclose(given[0], built[0], atol=1e-10)
    with pytest.raises(ValueError, match=r"hessian0 must have shape \(\d+, \d+\); got \(2, 2\)"):
        model.minimize(X, T, weights=w, theta0=model.theta_, hessian0=np.eye(2))
