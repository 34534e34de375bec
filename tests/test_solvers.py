"""Conjugate gradient, LiSSA and inverse_hvp against a direct solve with numpy."""

import numpy as np
import pytest

from influence_demo import (
    ConvergenceWarning,
    LinearRegression,
    LogisticRegression,
    NotPositiveDefiniteError,
    SolverInfo,
    cg,
    inverse_hvp,
    lissa,
    make_logistic_data,
)


def random_spd(p, low, high, seed):
    """Q diag(eigenvalues in [low, high]) Q^T with a random orthogonal Q."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    return (Q * rng.uniform(low, high, size=p)) @ Q.T


class CountingMatvec:
    """A @ P that records the shape of every block it is called with."""

    def __init__(self, A):
        self.A = A
        self.shapes = []

    def __call__(self, P):
        self.shapes.append(np.shape(P))
        return self.A @ P


@pytest.fixture(scope="module")
def well_conditioned_logistic():
    """L2 logistic regression whose Hessian has condition number below 2."""
    X, y, _, _ = make_logistic_data(200, 5, rng=1)
    model = LogisticRegression(l2=20.0).fit(X, y)
    return model, X, y


# --- the plain CG solver -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cg_matches_direct_solve_single_rhs(seed):
    p = 40
    A = random_spd(p, 1.0, 10.0, seed)
    b = np.random.default_rng(seed + 100).normal(size=p)
    x, info = cg(lambda v: A @ v, b, rtol=1e-12)
    assert x.shape == (p,)
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=0, atol=1e-10 * np.abs(x).max())
    assert info.converged and info.status == 0


def test_cg_solves_several_right_hand_sides_in_one_block():
    p, k = 30, 6
    A = random_spd(p, 0.5, 20.0, 3)
    B = np.random.default_rng(4).normal(size=(p, k))
    B[:, 2] *= 1e3  # very different scales: each column has its own tolerance
    matvec = CountingMatvec(A)
    X, info = cg(matvec, B, rtol=1e-12)
    col_scale = np.abs(X).max(axis=0)
    np.testing.assert_allclose(X / col_scale, np.linalg.solve(A, B) / col_scale, rtol=1e-10, atol=1e-10)
    # Vectorised: one call per iteration on the whole (p, k) block, never a loop over columns.
    assert len(matvec.shapes) == info.n_iter
    assert set(matvec.shapes) == {(p, k)}
    assert info.residuals.shape == (info.n_iter + 1, k)
    np.testing.assert_allclose(info.tolerance, 1e-12 * np.linalg.norm(B, axis=0), rtol=1e-14)
    # Each column agrees with its own single right-hand-side solve.
    for j in (0, 2, 5):
        xj, _ = cg(lambda v: A @ v, B[:, j], rtol=1e-12)
        np.testing.assert_allclose(X[:, j], xj, rtol=1e-10, atol=1e-10 * np.abs(xj).max())


def test_cg_callback_is_called_after_every_iteration():
    p = 25
    A = random_spd(p, 1.0, 5.0, 5)
    b = np.random.default_rng(6).normal(size=p)
    iterates = []
    x, info = cg(lambda v: A @ v, b, rtol=1e-10, callback=iterates.append)
    assert info.n_iter >= 2 and len(iterates) == info.n_iter
    np.testing.assert_array_equal(iterates[-1], x)
    assert iterates[0].shape == (p,)
    # The callback gets copies (the solver keeps updating its own array).
    assert not np.array_equal(iterates[0], iterates[1])
    # The first iterate is the exact line minimiser along b, alpha = b.b / b.Ab.
    np.testing.assert_allclose(iterates[0], (b @ b) / (b @ A @ b) * b, rtol=1e-12)


def test_cg_info_fields_and_residual_history():
    p = 50
    A = random_spd(p, 1.0, 10.0, 7)
    B = np.random.default_rng(8).normal(size=(p, 3))
    X, info = cg(lambda v: A @ v, B, rtol=1e-10)
    assert isinstance(info, SolverInfo)
    assert info.converged is True and info.status == 0
    res = info.residuals
    np.testing.assert_allclose(res[0], np.linalg.norm(B, axis=0), rtol=1e-14)
    # On this well-conditioned problem the residual falls at every step, down to the tolerance.
    assert np.all(np.diff(res, axis=0) <= 0)
    assert np.all(res[-1] <= info.tolerance)
    assert np.any(res[-2] > info.tolerance)  # it stops as soon as every column is done
    assert info.final_residual == pytest.approx(res[-1].max())
    # The recurrence residual is the true residual.
    np.testing.assert_allclose(np.linalg.norm(B - A @ X, axis=0), res[-1], rtol=1e-3, atol=1e-14)
    # Linear convergence at the CG rate: (sqrt(kappa) - 1) / (sqrt(kappa) + 1) with kappa <= 10.
    rate = (np.sqrt(10) - 1) / (np.sqrt(10) + 1)
    assert np.all(res[-1] <= 2 * np.sqrt(10) * rate ** info.n_iter * res[0])


def test_cg_terminates_in_at_most_p_iterations():
    p = 60
    A = random_spd(p, 1.0, 3.0, 9)
    b = np.random.default_rng(10).normal(size=p)
    _, info = cg(lambda v: A @ v, b, rtol=1e-10)
    assert info.converged and info.n_iter <= p
    # With only three distinct eigenvalues CG is done after three steps.
    Q, _ = np.linalg.qr(np.random.default_rng(11).standard_normal((p, p)))
    A3 = (Q * np.repeat([1.0, 2.0, 5.0], 20)) @ Q.T
    x, info = cg(lambda v: A3 @ v, b, rtol=1e-10)
    assert info.converged and info.n_iter == 3
    np.testing.assert_allclose(x, np.linalg.solve(A3, b), rtol=1e-9, atol=1e-10)


def test_cg_x0_warm_start():
    p = 30
    A = random_spd(p, 1.0, 10.0, 12)
    b = np.random.default_rng(13).normal(size=p)
    exact = np.linalg.solve(A, b)
    x, info = cg(lambda v: A @ v, b, x0=exact)
    assert info.n_iter == 0 and info.converged
    np.testing.assert_allclose(x, exact, rtol=1e-12)
    _, cold = cg(lambda v: A @ v, b, rtol=1e-10)
    near = exact + 1e-6 * np.random.default_rng(14).normal(size=p)
    x, warm = cg(lambda v: A @ v, b, x0=near, rtol=1e-10)
    assert warm.converged and warm.n_iter < cold.n_iter
    np.testing.assert_allclose(x, exact, rtol=1e-9, atol=1e-10)
    # The residual history starts from b - A x0, not from b.
    np.testing.assert_allclose(warm.residuals[0, 0], np.linalg.norm(b - A @ near), rtol=1e-12)
    # x0 must not be modified in place.
    near_copy = near.copy()
    cg(lambda v: A @ v, b, x0=near)
    np.testing.assert_array_equal(near, near_copy)


def test_cg_atol_and_default_maxiter():
    p = 20
    A = random_spd(p, 1.0, 100.0, 15)
    b = np.random.default_rng(16).normal(size=p)
    _, tight = cg(lambda v: A @ v, b, rtol=1e-12)
    x, loose = cg(lambda v: A @ v, b, rtol=0.0, atol=1e-2)
    assert loose.n_iter < tight.n_iter
    assert np.linalg.norm(b - A @ x) <= 1e-2
    np.testing.assert_allclose(loose.tolerance, [1e-2])
    # Zero right-hand side: already solved.
    x, info = cg(lambda v: A @ v, np.zeros(p))
    assert info.n_iter == 0 and info.converged
    np.testing.assert_array_equal(x, 0.0)


def test_cg_accepts_a_column_from_a_vector_matvec():
    A = random_spd(5, 1.0, 2.0, 18)
    b = np.arange(1.0, 6.0)
    x, info = cg(lambda v: (A @ v)[:, None], b)  # returns (p, 1) for a (p,) input
    assert x.shape == (5,) and info.converged
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-9)


def test_cg_warn_false_reports_failure_silently():
    A = random_spd(20, 1.0, 1e4, 17)
    b = np.ones(20)
    x, info = cg(lambda v: A @ v, b, maxiter=3, warn=False)  # filterwarnings=error would catch a warning
    assert not info.converged and info.status == 3 and info.n_iter == 3
    assert info.final_residual > 1e-10 * np.linalg.norm(b)


# --- inverse_hvp: direct, CG and LiSSA agree ----------------------------------------------


@pytest.mark.parametrize("damping", [0.0, 0.5])
def test_inverse_hvp_direct_equals_numpy_solve(l2_logistic_problem, damping):
    model, X, y, _, _ = l2_logistic_problem
    p = X.shape[1]
    V = np.random.default_rng(0).normal(size=(p, 3))
    H = model.hessian(X, y) + damping * np.eye(p)
    U = inverse_hvp(model, X, y, V, damping=damping)
    np.testing.assert_allclose(U, np.linalg.solve(H, V), rtol=1e-12, atol=1e-14)
    u, info = inverse_hvp(model, X, y, V[:, 0], damping=damping, return_info=True)
    assert info is None and u.shape == (p,)
    np.testing.assert_allclose(u, U[:, 0], rtol=1e-14)


@pytest.mark.parametrize("damping", [0.0, 0.5])
@pytest.mark.parametrize("shape", ["vector", "block"])
def test_inverse_hvp_cg_equals_direct(l2_logistic_problem, damping, shape):
    model, X, y, _, _ = l2_logistic_problem
    p = X.shape[1]
    rng = np.random.default_rng(1)
    V = rng.normal(size=p) if shape == "vector" else rng.normal(size=(p, 4))
    direct = inverse_hvp(model, X, y, V, damping=damping)
    U, info = inverse_hvp(model, X, y, V, method="cg", damping=damping, return_info=True, rtol=1e-13)
    np.testing.assert_allclose(U, direct, rtol=1e-10, atol=1e-12)
    assert info.converged and info.n_iter <= p


def test_inverse_hvp_cg_passes_options(l2_logistic_problem):
    model, X, y, _, _ = l2_logistic_problem
    v = np.ones(X.shape[1])
    seen = []
    exact = inverse_hvp(model, X, y, v)
    u, info = inverse_hvp(model, X, y, v, method="cg", return_info=True, x0=exact, callback=seen.append)
    assert info.n_iter == 0 and seen == []
    np.testing.assert_allclose(u, exact, rtol=1e-12)


def test_damping_is_added_to_the_hessian(ls_data):
    X, y = ls_data
    model = LinearRegression().fit(X, y)
    v = np.array([1.0, -2.0, 0.5])
    H = 2 * X.T @ X
    for method, kw in [("direct", {}), ("cg", {"rtol": 1e-13}), ("lissa", {"rng": 0, "depth": 3000, "rtol": 1e-9})]:
        u = inverse_hvp(model, X, y, v, method=method, damping=3.0, **kw)
        np.testing.assert_allclose(u, np.linalg.solve(H + 3.0 * np.eye(3), v), rtol=1e-8, atol=1e-12)
        assert not np.allclose(u, np.linalg.solve(H, v), rtol=1e-3)


def test_lissa_full_batch_matches_direct(well_conditioned_logistic):
    model, X, y = well_conditioned_logistic
    V = np.random.default_rng(2).normal(size=(5, 3))
    direct = inverse_hvp(model, X, y, V)
    # Full-batch LiSSA is a deterministic Neumann series; with kappa < 2, 200 terms are plenty.
    U, info = inverse_hvp(model, X, y, V, method="lissa", return_info=True, depth=200, rng=0)
    np.testing.assert_allclose(U, direct, rtol=1e-10, atol=1e-12)
    assert info.converged and info.n_iter == 200 and info.residuals.shape == (1, 3)
    # An explicit scale above the largest eigenvalue works too, and the damping is honoured.
    lam_max = np.linalg.eigvalsh(model.hessian(X, y)).max()
    U = inverse_hvp(model, X, y, V, method="lissa", damping=1.0, scale=2 * lam_max, depth=400, rng=0)
    np.testing.assert_allclose(U, inverse_hvp(model, X, y, V, damping=1.0), rtol=1e-10, atol=1e-12)


def test_lissa_batch_of_all_points_is_the_full_recursion(well_conditioned_logistic):
    model, X, y = well_conditioned_logistic
    v = np.random.default_rng(3).normal(size=5)
    full = lissa(model, X, y, v, depth=100, scale=80.0)[0]
    batch = lissa(model, X, y, v, depth=100, scale=80.0, batch_size=X.shape[0], rng=5)[0]
    np.testing.assert_allclose(batch, full, rtol=1e-12)


def test_lissa_minibatches_and_repeats_to_a_stated_tolerance(well_conditioned_logistic):
    model, X, y = well_conditioned_logistic
    V = np.random.default_rng(4).normal(size=(5, 3))
    direct = inverse_hvp(model, X, y, V)
    # Stochastic LiSSA: each step uses an unbiased mini-batch Hessian; averaging repeats
    # shrinks the noise. Stated tolerance: 5% relative error in the Frobenius norm.
    U, info = inverse_hvp(
        model, X, y, V, method="lissa", return_info=True, depth=300, batch_size=100, repeats=10, rng=0, rtol=0.1
    )
    rel = np.linalg.norm(U - direct) / np.linalg.norm(direct)
    assert rel < 0.05
    assert info.converged
    one = inverse_hvp(model, X, y, V, method="lissa", depth=300, batch_size=100, repeats=1, rng=0, rtol=1.0)
    assert np.linalg.norm(one - direct) > np.linalg.norm(U - direct)  # repeats help
    # A seeded rng makes the run reproducible; another seed gives another estimate.
    again = inverse_hvp(model, X, y, V, method="lissa", depth=300, batch_size=100, repeats=10, rng=0, rtol=0.1)
    np.testing.assert_array_equal(U, again)
    other = inverse_hvp(model, X, y, V, method="lissa", depth=300, batch_size=100, repeats=10, rng=1, rtol=0.1)
    assert not np.array_equal(U, other)


# --- block CG: one Krylov space shared by many right-hand sides ---------------------------


@pytest.mark.parametrize("k", [1, 2, 7, 30, 45])
def test_block_cg_matches_the_direct_solve_on_every_column(k):
    p = 30
    A = random_spd(p, 0.5, 200.0, 40 + k)
    B = np.random.default_rng(k).standard_normal((p, k))
    X, info = cg(lambda P: A @ P, B, rtol=1e-12, block=True)
    assert info.converged and info.status == 0
    assert info.residuals.shape == (info.n_iter + 1, k)
    np.testing.assert_allclose(X, np.linalg.solve(A, B), rtol=1e-9, atol=1e-12)
    # The stopping rule holds for the true residual of every column, not only the recurrence's.
    true = np.linalg.norm(B - A @ X, axis=0)
    assert np.all(true <= 10 * 1e-12 * np.linalg.norm(B, axis=0))


def test_block_cg_with_more_columns_than_parameters_needs_one_iteration():
    A = random_spd(12, 1.0, 1e3, 3)
    B = np.random.default_rng(4).standard_normal((12, 50))
    matvec = CountingMatvec(A)
    X, info = cg(matvec, B, rtol=1e-12, block=True)
    # The first block spans R^12, so one Galerkin step is exact; the block has 12 columns,
    # never 50.
    assert info.n_iter == 1 and matvec.shapes == [(12, 12)]
    np.testing.assert_allclose(X, np.linalg.solve(A, B), rtol=1e-9)
    _, columnwise = cg(lambda P: A @ P, B, rtol=1e-12)
    assert columnwise.n_iter > 10


def test_block_cg_with_one_column_is_plain_cg():
    A = random_spd(15, 1.0, 50.0, 8)
    b = np.random.default_rng(8).standard_normal(15)
    xb, ib = cg(lambda P: A @ P, b, rtol=1e-12, block=True)
    xc, ic = cg(lambda v: A @ v, b, rtol=1e-12)
    assert xb.shape == (15,) and ib.n_iter == ic.n_iter
    np.testing.assert_allclose(xb, xc, rtol=1e-10)
    np.testing.assert_allclose(ib.residuals[:, 0], ic.residuals[:, 0], rtol=1e-6, atol=1e-14)


def test_block_cg_warm_start_callback_and_dependent_columns():
    A = random_spd(10, 1.0, 20.0, 9)
    rng = np.random.default_rng(9)
    b = rng.standard_normal(10)
    B = np.column_stack([b, 2 * b, np.zeros(10), rng.standard_normal(10)])  # rank 2
    iterates = []
    X, info = cg(lambda P: A @ P, B, rtol=1e-12, block=True, callback=iterates.append)
    assert info.converged and len(iterates) == info.n_iter
    np.testing.assert_allclose(X, np.linalg.solve(A, B), rtol=1e-9, atol=1e-15)
    assert np.all(X[:, 2] == 0)
    x0 = X + 1e-3
    x0[:, 2] = 0.0  # a zero right-hand side has tolerance 0: only x = 0 meets it
    _, warm = cg(lambda P: A @ P, B, x0=x0, rtol=1e-12, block=True)
    assert warm.converged


def test_block_cg_detects_an_indefinite_operator():
    A = np.diag([1.0, 2.0, -3.0])
    with pytest.raises(NotPositiveDefiniteError, match="not positive definite"):
        cg(lambda P: A @ P, np.ones((3, 2)), block=True)


def test_block_cg_not_converging_warns_and_block_must_be_boolean():
    A = random_spd(40, 1.0, 1e6, 11)
    B = np.random.default_rng(11).standard_normal((40, 2))
    with pytest.warns(ConvergenceWarning, match="CG did not converge in 2 iterations"):
        _, info = cg(lambda P: A @ P, B, maxiter=2, block=True)
    assert not info.converged and info.status == 2
    with pytest.raises(ValueError, match="block must be True or False; got 'yes'"):
        cg(lambda P: A @ P, B, block="yes")


@pytest.mark.parametrize("block", [False, True])
def test_cg_with_maxiter_zero_reports_failure_unambiguously(block):
    A = random_spd(5, 1.0, 2.0, 12)
    b = np.ones(5)
    x, info = cg(lambda P: A @ P, b, maxiter=0, warn=False, block=block)
    assert not info.converged and info.n_iter == 0 and info.status == 1
    assert np.all(x == 0)
    # Started at the answer, no iteration is needed: converged with status 0.
    x, info = cg(lambda P: A @ P, b, x0=np.linalg.solve(A, b), maxiter=0, rtol=1e-8, block=block)
    assert info.converged and info.status == 0


def test_inverse_hvp_block_cg_agrees_with_direct(well_conditioned_logistic):
    model, X, y = well_conditioned_logistic
    V = model.grad(X, y).T  # 200 right-hand sides, p = 5
    U, info = inverse_hvp(model, X, y, V, method="cg", block=True, rtol=1e-12, return_info=True)
    assert info.converged and info.n_iter <= 2
    np.testing.assert_allclose(U, inverse_hvp(model, X, y, V), rtol=1e-9, atol=1e-14)
