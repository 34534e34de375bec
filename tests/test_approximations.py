"""The approximations the libraries compute, each in the limit where it is exact.

Arnoldi at full rank is the direct solve, and at lower rank the truncation of the explicit
eigendecomposition; K-FAC on one training point of a one-layer model is exact, and on many
points equals the explicit Kronecker-factored matrix; EK-FAC's eigenvalues are the exact
Gauss-Newton block's diagonal in the K-FAC basis; DataInf equals its closed form written
with explicit inverses; TRAK without projection equals its closed form with margin
gradients from finite differences; gradient similarity is the limit of the damped
influence. Then one test per bad input.
"""

import numpy as np
import pytest

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    MLPClassifier,
    NotAtOptimumWarning,
    NotFittedError,
    NotPositiveDefiniteError,
    SoftmaxRegression,
    add_intercept,
    arnoldi_influence,
    datainf_influence,
    grad_similarity,
    influence_loss,
    kfac_influence,
    trak_influence,
)
from influence_demo.approximations import _margin_gradients as margin_gradients
from influence_demo.approximations import arnoldi_eigenpairs, layer_slices
from influence_demo.kfac import logit_residuals, network_layers

from three_class import three_class


@pytest.fixture(scope="module")
def mlp():
    X, y = three_class(40)
    model = MLPClassifier(n_hidden=3, l2=0.5, seed=1).fit(X, y)
    X_test, y_test = three_class(5, seed=9)
    return model, X, y, X_test, y_test


@pytest.fixture(scope="module")
def softmax():
    X, y = three_class(15)
    X = add_intercept(X)
    X_test, y_test = three_class(4, seed=9)
    return SoftmaxRegression(l2=0.7).fit(X, y), X, y, add_intercept(X_test), y_test


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# --- Arnoldi ------------------------------------------------------------------------------
@pytest.mark.parametrize("curvature, damping", [("ggn", 0.0), ("ggn", 2.0), ("hessian", 0.3)])
def test_arnoldi_at_full_rank_is_exact(mlp, curvature, damping):
    model, X, y, Xt, yt = mlp
    p = model.n_params_
    got = arnoldi_influence(model, X, y, Xt, yt, p, curvature=curvature, damping=damping)
    exact = influence_loss(model, X, y, Xt, yt, curvature=curvature, damping=damping)
    assert rel(got, exact) < 1e-10


def test_arnoldi_of_a_linear_model_with_the_hessian(l2_logistic_problem):
    model, X, y, Xt, yt = l2_logistic_problem
    got = arnoldi_influence(model, X, y, Xt, yt, 4, curvature="hessian")
    assert rel(got, influence_loss(model, X, y, Xt, yt)) < 1e-10


def test_arnoldi_truncation_is_the_explicit_one(mlp):
    """With a full Krylov space, rank r keeps exactly the top r eigenpairs of G."""
    model, X, y, Xt, yt = mlp
    p, r = model.n_params_, 7
    lam, V = np.linalg.eigh(model.ggn(X, y))
    V = V[:, ::-1][:, :r]
    lam = lam[::-1][:r] + 1.0
    expected = -(model.grad(Xt, yt) @ V / lam) @ (model.grad(X, y) @ V).T
    got = arnoldi_influence(model, X, y, Xt, yt, r, damping=1.0, n_iter=p)
    assert rel(got, expected) < 1e-9
    # and the error against the exact influence falls as the rank grows
    exact = influence_loss(model, X, y, Xt, yt, curvature="ggn", damping=1.0)
    errs = [rel(arnoldi_influence(model, X, y, Xt, yt, k, damping=1.0, n_iter=p), exact)
            for k in (2, 8, 16, p)]
    assert errs[0] > errs[1] > errs[2] > errs[3] and errs[3] < 1e-10


def test_arnoldi_eigenpairs_survive_an_invariant_subspace():
    """A start vector in a 2-d invariant subspace breaks down; the restart still spans R^5."""
    A = np.diag([4.0, 3.0, 2.0, 1.0, 0.5])

    def op(v):
        return A @ v

    op.p = 5
    values, U = arnoldi_eigenpairs(op, 5, seed=3)
    np.testing.assert_allclose(np.sort(values), np.sort(np.diag(A)), atol=1e-12)
    np.testing.assert_allclose(U.T @ U, np.eye(5), atol=1e-12)


# --- K-FAC and EK-FAC -----------------------------------------------------------------------
@pytest.mark.parametrize("eigencorrect", [False, True])
@pytest.mark.parametrize("damping", [0.0, 0.4])
def test_kfac_on_one_point_of_one_layer_is_exact(eigencorrect, damping):
    X, y = np.array([[1.0, 2.0, -1.0, 0.5]]), np.array([2])
    model = SoftmaxRegression(l2=0.3, n_classes=4).fit(X, y)
    Xt, yt = np.array([[0.5, -1.0, 2.0, 1.0], [1.0, 1.0, 0.0, -2.0]]), np.array([0, 3])
    got = kfac_influence(model, X, y, Xt, yt, damping=damping, eigencorrect=eigencorrect)
    assert rel(got, influence_loss(model, X, y, Xt, yt, damping=damping)) < 1e-12


def test_empirical_kfac_on_one_point_is_the_rank_one_closed_form():
    X, y = np.array([[1.0, 2.0, -1.0]]), np.array([1])
    model = SoftmaxRegression(l2=0.5, n_classes=3).fit(X, y)
    Xt, yt = np.array([[0.5, -1.0, 2.0]]), np.array([2])
    g, t = model.grad(X, y)[0], model.grad(Xt, yt)[0]
    expected = -t @ np.linalg.solve(np.outer(g, g) + 0.5 * np.eye(9), g)
    got = kfac_influence(model, X, y, Xt, yt, fisher="empirical")
    np.testing.assert_allclose(got, [[expected]], rtol=1e-12)


def test_kfac_of_softmax_is_the_explicit_kronecker_matrix(softmax):
    model, X, y, Xt, yt = softmax
    n, K = X.shape[0], 3
    P = model.predict_proba(X)
    S = sum(np.diag(pi) - np.outer(pi, pi) for pi in P)
    C = np.kron(S, X.T @ X) / n + (0.7 + 0.2) * np.eye(K * X.shape[1])
    expected = -model.grad(Xt, yt) @ np.linalg.solve(C, model.grad(X, y).T)
    got = kfac_influence(model, X, y, Xt, yt, damping=0.2)
    assert rel(got, expected) < 1e-12


def test_layers_rebuild_the_gauss_newton_blocks(mlp):
    """sum_i sum_c p_ic (delta delta^T) kron (a a^T) is the diagonal block of G."""
    model, X, y, _, _ = mlp
    G = model.ggn(X, y) - model.l2 * np.eye(model.n_params_)
    R, w = logit_residuals(model, X, y)
    for layer in network_layers(model, X):
        D = layer.backprop(R)
        block = np.einsum("nc,nco,ncq,ni,nj->oiqj", w, D, D, layer.inputs, layer.inputs)
        sl = slice(layer.offset, layer.offset + layer.size)
        np.testing.assert_allclose(block.reshape(layer.size, layer.size), G[sl, sl],
                                   atol=1e-12 * np.abs(G).max())


@pytest.mark.parametrize("fisher", ["expected", "empirical"])
def test_ekfac_eigenvalues_are_the_exact_block_diagonal(mlp, fisher):
    model, X, y, Xt, yt = mlp
    n, mu = X.shape[0], model.l2 + 0.1
    R, w = logit_residuals(model, X, y, fisher)
    G, T = model.grad(X, y), model.grad(Xt, yt)
    expected = np.zeros((Xt.shape[0], n))
    for layer in network_layers(model, X):
        D = layer.backprop(R)
        S = np.einsum("nc,nco,ncq->oq", w, D, D)
        Q = np.kron(np.linalg.eigh(S)[1], np.linalg.eigh(layer.inputs.T @ layer.inputs)[1])
        per_example = np.einsum("nco,ni->ncoi", D, layer.inputs).reshape(n, -1, layer.size)
        block = np.einsum("nc,nca,ncb->ab", w, per_example, per_example)
        lam = np.diag(Q.T @ block @ Q)
        sl = slice(layer.offset, layer.offset + layer.size)
        C = Q @ np.diag(lam + mu) @ Q.T
        expected -= T[:, sl] @ np.linalg.solve(C, G[:, sl].T)
    got = kfac_influence(model, X, y, Xt, yt, damping=0.1, eigencorrect=True, fisher=fisher)
    assert rel(got, expected) < 1e-10


def test_kfac_is_close_to_exact_on_a_network_but_not_equal(mlp):
    model, X, y, Xt, yt = mlp
    exact = influence_loss(model, X, y, Xt, yt, curvature="ggn").ravel()
    for eigencorrect in (False, True):
        got = kfac_influence(model, X, y, Xt, yt, eigencorrect=eigencorrect).ravel()
        assert rel(got, exact) > 1e-3 and np.corrcoef(got, exact)[0, 1] > 0.5


def test_sampled_fisher_is_seeded_and_samples_the_model():
    X = np.tile([[1.0, -0.5]], (20000, 1))
    y = np.zeros(20000, dtype=int)
    y[:6000], y[6000:9000] = 1, 2
    model = SoftmaxRegression(l2=1.0).fit(X, y)
    R, w = logit_residuals(model, X, y, "sampled", seed=5)
    R2, _ = logit_residuals(model, X, y, "sampled", seed=5)
    np.testing.assert_array_equal(R, R2)
    assert w.shape == (20000, 1) and np.all(w == 1)
    P = model.predict_proba(X[:1])[0]
    freq = np.bincount(np.argmin(R[:, 0, :], axis=1), minlength=3) / 20000
    assert np.all(np.abs(freq - P) < 4 * np.sqrt(P * (1 - P) / 20000))


def test_sampled_kfac_depends_on_its_seed(mlp):
    model, X, y, Xt, yt = mlp
    a = kfac_influence(model, X, y, Xt, yt, fisher="sampled", seed=0)
    np.testing.assert_array_equal(a, kfac_influence(model, X, y, Xt, yt, fisher="sampled"))
    assert rel(kfac_influence(model, X, y, Xt, yt, fisher="sampled", seed=1), a) > 1e-6


# --- DataInf --------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["mlp", "softmax"])
def test_datainf_equals_its_closed_form(which, mlp, softmax):
    model, X, y, Xt, yt = mlp if which == "mlp" else softmax
    n, delta = X.shape[0], 0.3
    rho = (model.l2 + delta) / n  # Kwon et al.'s lambda, on the mean scale
    G, T = model.grad(X, y), model.grad(Xt, yt)
    expected = np.zeros((Xt.shape[0], n))
    for sl in layer_slices(model):
        pl = sl.stop - sl.start
        mean_inv = sum(np.linalg.inv(np.outer(g, g) + rho * np.eye(pl)) for g in G[:, sl]) / n
        expected -= T[:, sl] @ (mean_inv / n) @ G[:, sl].T  # sum curvature = n * mean
    got = datainf_influence(model, X, y, Xt, yt, damping=delta)
    assert rel(got, expected) < 1e-10


def test_datainf_takes_the_smaller_route_for_wide_layers(softmax):
    """n < p_l (the n x n route) and n > p_l (the p_l x p_l route) agree."""
    model, X, y, Xt, yt = softmax
    with pytest.warns(NotAtOptimumWarning):  # five of the training points
        wide = datainf_influence(model, X[:5], y[:5], Xt, yt, damping=0.2)
    n, mu = 5, model.l2 + 0.2
    G, T = model.grad(X[:5], y[:5]), model.grad(Xt, yt)
    c = mu / n + np.sum(G**2, axis=1)
    expected = -(T @ G.T - T @ (G.T / c) @ G @ G.T / n) / mu
    np.testing.assert_allclose(wide, expected, rtol=1e-12)


def test_layer_slices_of_a_linear_model(l2_logistic_problem):
    assert layer_slices(l2_logistic_problem[0]) == [slice(0, 4)]


# --- TRAK -----------------------------------------------------------------------------------
def margin_gradients_by_differences(model, X, y, h=1e-6):
    def margins(theta):
        Z = model.logits(X, theta)
        zy = Z[np.arange(len(y)), y]
        Z_other = np.where(np.eye(Z.shape[1], dtype=bool)[y], -np.inf, Z)
        return zy - np.log(np.exp(Z_other).sum(axis=1))

    E = np.eye(model.n_params_)
    return np.array([(margins(model.theta_ + h * e) - margins(model.theta_ - h * e)) / (2 * h)
                     for e in E]).T


def test_trak_without_projection_is_its_closed_form(mlp):
    model, X, y, Xt, yt = mlp  # n = 40 > p = 24: Phi^T Phi is invertible
    Phi = margin_gradients_by_differences(model, X, y)
    Phi_t = margin_gradients_by_differences(model, Xt, yt)
    q = 1 - model.predict_proba(X)[np.arange(len(y)), y]
    # the margin gradients from the loss gradients of every label, against differences
    assert rel(margin_gradients(model, X, y)[0], Phi) < 1e-8
    np.testing.assert_allclose(margin_gradients(model, X, y)[1], q, rtol=1e-14)
    expected = -Phi_t @ np.linalg.solve(Phi.T @ Phi, Phi.T) * q
    # Phi^T Phi squares the condition number, so the differences' error grows to ~1e-4
    assert rel(trak_influence(model, X, y, Xt, yt), expected) < 1e-3
    exact_phi = margin_gradients(model, X, y)[0], margin_gradients(model, Xt, yt)[0]
    expected = -exact_phi[1] @ np.linalg.solve(exact_phi[0].T @ exact_phi[0], exact_phi[0].T) * q
    assert rel(trak_influence(model, X, y, Xt, yt), expected) < 1e-9


def test_trak_with_fewer_points_than_parameters_is_a_projection(mlp):
    """n < p: (Phi^T Phi)^+ Phi^T = Phi^+, so train-on-train scores are -diag(q)."""
    model, X, y, _, _ = mlp
    Xs, ys = X[:12], y[:12]
    with pytest.warns(NotAtOptimumWarning):
        got = trak_influence(model, Xs, ys, Xs, ys)
    q = 1 - model.predict_proba(Xs)[np.arange(12), ys]
    np.testing.assert_allclose(got, -np.diag(q), atol=1e-10)


def test_trak_projection_to_more_dimensions_than_parameters_is_exact(mlp):
    model, X, y, Xt, yt = mlp
    got = trak_influence(model, X, y, Xt, yt, proj_dim=3 * model.n_params_, seed=4)
    assert rel(got, trak_influence(model, X, y, Xt, yt)) < 1e-8
    low = trak_influence(model, X, y, Xt, yt, proj_dim=5, seed=4)
    assert rel(low, trak_influence(model, X, y, Xt, yt)) > 1e-2


def test_trak_ensemble_averages_kernels_then_weights(mlp):
    model, X, y, Xt, yt = mlp
    other = MLPClassifier(**{**model.get_params(), "seed": model.seed + 1}).fit(X, y)
    rows = np.arange(len(y))
    q1 = 1 - model.predict_proba(X)[rows, y]
    q2 = 1 - other.predict_proba(X)[rows, y]
    k1 = trak_influence(model, X, y, Xt, yt) / q1
    k2 = trak_influence(other, X, y, Xt, yt) / q2
    expected = (k1 + k2) / 2 * (q1 + q2) / 2
    assert rel(trak_influence(model, X, y, Xt, yt, n_models=2), expected) < 1e-10


# --- gradient similarity ----------------------------------------------------------------------
@pytest.mark.parametrize("which", ["mlp", "softmax"])
def test_grad_dot_is_the_limit_of_damped_influence(which, mlp, softmax):
    model, X, y, Xt, yt = mlp if which == "mlp" else softmax
    dot = grad_similarity(model, X, y, Xt, yt)
    for delta, tol in ((1e4, 1e-1), (1e8, 1e-5)):
        scaled = delta * influence_loss(model, X, y, Xt, yt, curvature="ggn", damping=delta)
        assert rel(scaled, dot) < tol
    assert rel(1e4 * influence_loss(model, X, y, Xt, yt, curvature="ggn", damping=1e4),
               dot) > 1e-5  # and not before the limit


def test_grad_cos_is_the_normalised_dot(mlp):
    model, X, y, Xt, yt = mlp
    G, T = model.grad(X, y), model.grad(Xt, yt)
    expected = -(T @ G.T) / np.outer(np.linalg.norm(T, axis=1), np.linalg.norm(G, axis=1))
    got = grad_similarity(model, X, y, Xt, yt, kind="cos")
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert np.all(np.abs(got) <= 1 + 1e-12)


# --- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("rank, message", [
    (0, "rank must be an integer between 1 and 24; got 0"),
    (25, "rank must be an integer between 1 and 24; got 25"),
    (2.0, "rank must be an integer between 1 and 24; got 2.0"),
    (True, "rank must be an integer between 1 and 24; got True"),
])
def test_arnoldi_rank_out_of_range(mlp, rank, message):
    model, X, y, Xt, yt = mlp
    with pytest.raises(ValueError, match=message):
        arnoldi_influence(model, X, y, Xt, yt, rank)


def test_arnoldi_n_iter_below_rank(mlp):
    model, X, y, Xt, yt = mlp
    with pytest.raises(ValueError, match="n_iter must be an integer between 5 and 24; got 4"):
        arnoldi_influence(model, X, y, Xt, yt, 5, n_iter=4)


def test_arnoldi_ggn_of_a_linear_model(l2_logistic_problem):
    model, X, y, Xt, yt = l2_logistic_problem
    with pytest.raises(ValueError, match="Use curvature='hessian'"):
        arnoldi_influence(model, X, y, Xt, yt, 2)


def test_arnoldi_indefinite_hessian_names_the_damping(mlp):
    model, X, y, Xt, yt = mlp
    far = model.with_theta(model.theta_ + np.random.default_rng(2).normal(size=24))
    lam = np.linalg.eigvalsh(far.hessian(X, y))[0]
    assert lam < 0
    with pytest.warns(NotAtOptimumWarning), pytest.raises(
        NotPositiveDefiniteError, match=f"damping must exceed {-lam:.4g}"
    ):
        arnoldi_influence(far, X, y, Xt, yt, 24, curvature="hessian")


@pytest.mark.parametrize("fn", [arnoldi_influence, kfac_influence, datainf_influence])
def test_negative_damping(mlp, fn):
    model, X, y, Xt, yt = mlp
    args = (model, X, y, Xt, yt, 3) if fn is arnoldi_influence else (model, X, y, Xt, yt)
    with pytest.raises(ValueError, match="damping must be a finite number >= 0; got -1.0"):
        fn(*args, damping=-1.0)


@pytest.mark.parametrize("fn", [kfac_influence, trak_influence])
def test_unsupported_model(ls_data, fn):
    X, y = ls_data
    model = LinearRegression(l2=1.0).fit(X, y)
    with pytest.raises(TypeError, match="needs the layers of a SoftmaxRegression or MLP"):
        fn(model, X, y, X, y)


@pytest.mark.parametrize("fn", [kfac_influence, trak_influence, grad_similarity])
def test_unfitted_model(fn):
    X, y = three_class(10)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        fn(MLPClassifier(n_hidden=2), X, y, X, y)


def test_foreign_model():
    X, y = three_class(10)
    with pytest.raises(TypeError, match="is not an influence_demo model"):
        grad_similarity(object(), X, y, X, y)


def test_nan_test_point(mlp):
    model, X, y, Xt, yt = mlp
    bad = Xt.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X_test contains NaN or inf"):
        kfac_influence(model, X, y, bad, yt)


def test_test_label_outside_the_classes(mlp):
    model, X, y, Xt, _ = mlp
    with pytest.raises(ValueError, match="but the model has 3 classes"):
        datainf_influence(model, X, y, Xt, np.full(len(Xt), 3), damping=0.1)


def test_unknown_fisher_and_kind(mlp):
    model, X, y, Xt, yt = mlp
    with pytest.raises(ValueError, match="fisher must be one of"):
        kfac_influence(model, X, y, Xt, yt, fisher="true")
    with pytest.raises(ValueError, match="kind must be one of"):
        grad_similarity(model, X, y, Xt, yt, kind="l2")


def test_kfac_singular_factor_without_penalty():
    X = np.array([[1.0, 0.0], [2.0, 0.0], [0.5, 0.0], [1.5, 0.0]])  # a column of zeros
    y = np.array([0, 1, 0, 1])
    model = SoftmaxRegression(l2=1e-3).fit(X, y)
    model.l2 = 0.0  # the factors are those of the fit; no penalty is left to fill them
    with pytest.warns(NotAtOptimumWarning), pytest.raises(
        NotPositiveDefiniteError, match="K-FAC block is singular .* add damping > 0"
    ):
        kfac_influence(model, X, y, X, y)


def test_datainf_without_penalty_or_damping():
    X, y = three_class(12)
    model = SoftmaxRegression(l2=0.0).fit(add_intercept(X), y)
    with pytest.raises(ValueError, match="DataInf divides by l2 \\+ damping, which is 0"):
        datainf_influence(model, add_intercept(X), y, add_intercept(X), y, damping=0.0)


@pytest.mark.parametrize("kwargs, message", [
    ({"proj_dim": 0}, "proj_dim must be an integer >= 1; got 0"),
    ({"proj_dim": 3.5}, "proj_dim must be an integer >= 1; got 3.5"),
    ({"n_models": 0}, "n_models must be an integer >= 1; got 0"),
])
def test_trak_bad_knobs(mlp, kwargs, message):
    model, X, y, Xt, yt = mlp
    with pytest.raises(ValueError, match=message):
        trak_influence(model, X, y, Xt, yt, **kwargs)


def test_trak_ensemble_of_a_convex_model(softmax):
    model, X, y, Xt, yt = softmax
    with pytest.raises(ValueError, match="has no seed .* Use n_models=1"):
        trak_influence(model, X, y, Xt, yt, n_models=2)


def test_logistic_model_with_arnoldi_datainf_and_similarity(l2_logistic_problem):
    """The curvature-free and generic methods accept any model of the package."""
    model, X, y, Xt, yt = l2_logistic_problem
    assert isinstance(model, LogisticRegression)
    exact = influence_loss(model, X, y, Xt, yt)
    for got in (datainf_influence(model, X, y, Xt, yt, damping=0.0),
                grad_similarity(model, X, y, Xt, yt)):
        assert got.shape == exact.shape and np.corrcoef(got.ravel(), exact.ravel())[0, 1] > 0.5


# --- the coursework checker ---------------------------------------------------------------
def datainf_by_hand(G, G_test, mu):
    n = G.shape[0]
    c = mu / n + np.sum(G**2, axis=1)
    A = G_test @ G.T
    return -(A - (A / c) @ (G @ G.T) / n) / mu


def test_check_datainf_passes_a_right_answer(capsys):
    from influence_demo.coursework import check_datainf

    assert check_datainf(datainf_by_hand)
    assert capsys.readouterr().out == "check_datainf: PASS (4 cases)\n"


@pytest.mark.parametrize("wrong, hint", [
    (lambda G, T, mu: -T @ np.linalg.solve(G.T @ G + mu * np.eye(G.shape[1]), G.T),
     "this is the exact inverse of G^T G + mu I"),
    (lambda G, T, mu: datainf_by_hand(G, T, mu * G.shape[0]) * G.shape[0],
     "rho is read on the wrong scale"),
    (lambda G, T, mu: -datainf_by_hand(G, T, mu), "Check the sign"),
    (lambda G, T, mu: datainf_by_hand(G, T, mu).T, "one row per test point"),
])
def test_check_datainf_explains_a_wrong_answer(capsys, wrong, hint):
    from influence_demo.coursework import check_datainf

    assert not check_datainf(wrong)
    out = capsys.readouterr().out
    assert "check_datainf: FAIL" in out and hint in out


def test_arnoldi_warns_away_from_an_optimum_for_the_hessian_only(mlp):
    """As influence_loss: the GGN influence (the PBRF's derivative) is defined at any theta."""
    model, X, y, Xt, yt = mlp
    far = model.with_theta(model.theta_ + 0.1 * np.random.default_rng(3).normal(size=24))
    p = far.n_params_
    exact = influence_loss(far, X, y, Xt, yt, curvature="ggn")
    np.testing.assert_allclose(arnoldi_influence(far, X, y, Xt, yt, p), exact, atol=1e-10)
    with pytest.warns(NotAtOptimumWarning):
        arnoldi_influence(far, X, y, Xt, yt, p, curvature="hessian", damping=100.0)
