"""The coursework checkers pass correct answers and catch the typical wrong ones, with a hint."""

import numpy as np
import pytest

from influence_demo import coursework
from influence_demo.coursework import (
    check_cg,
    check_chunked_hessian,
    check_datainf,
    check_hvp,
    check_lds,
    check_lissa,
    check_logistic_grad,
    check_loo_ols,
    check_loo_onestep,
    check_mlp_hvp,
    check_ridge_removal,
    check_self_influence,
)


def run(checker, fn, capsys):
    ok = checker(fn)
    out = capsys.readouterr().out
    assert isinstance(ok, bool)
    return ok, out


def expect_pass(checker, fn, capsys):
    ok, out = run(checker, fn, capsys)
    assert ok, out
    assert out.startswith(f"{checker.__name__}: PASS"), out
    return out


def expect_fail(checker, fn, capsys, *fragments):
    """The checker returns False and prints a FAIL report that contains every fragment."""
    ok, out = run(checker, fn, capsys)
    assert not ok, out
    assert out.startswith(f"{checker.__name__}: FAIL on case "), out
    assert "inputs: " in out, out
    for fragment in fragments:
        assert fragment in out, f"{fragment!r} not in:\n{out}"
    return out


def sigmoid(s):
    return np.exp(-np.logaddexp(0.0, -s))


# --------------------------------------------------------------------------------------
# Exact least-squares LOO
# --------------------------------------------------------------------------------------


def _ols_pieces(X, y):
    A = X.T @ X
    theta = np.linalg.solve(A, X.T @ y)
    W = np.linalg.solve(A, X.T)
    h = np.einsum("ij,ji->i", X, W)
    step = (W * (y - X @ theta)).T
    return theta, h, step


def loo_ols_leverage(X, y):
    theta, h, step = _ols_pieces(X, y)
    return theta - step / (1 - h)[:, None]


def loo_ols_refit(X, y):
    return np.array(
        [np.linalg.lstsq(np.delete(X, i, 0), np.delete(y, i), rcond=None)[0] for i in range(len(y))]
    )


def test_loo_ols_correct(capsys):
    expect_pass(check_loo_ols, loo_ols_leverage, capsys)
    expect_pass(check_loo_ols, loo_ols_refit, capsys)


def test_loo_ols_no_leverage_correction(capsys):
    def fn(X, y):
        theta, h, step = _ols_pieces(X, y)
        return theta - step

    expect_fail(check_loo_ols, fn, capsys,
                "expected =", "got =", "first-order influence", "1 - h_ii")


def test_loo_ols_sign_error(capsys):
    def fn(X, y):
        theta, h, step = _ols_pieces(X, y)
        return theta + step / (1 - h)[:, None]

    expect_fail(check_loo_ols, fn, capsys, "wrong sign")


def test_loo_ols_missing_factor_2(capsys):
    def fn(X, y):  # Hessian 2 X^T X with the gradient -e x (the factor 2 dropped)
        theta, h, step = _ols_pieces(X, y)
        return theta - 0.5 * step / (1 - h)[:, None]

    expect_fail(check_loo_ols, fn, capsys, "0.5 times the expected one", "factor 2 is missing")


def test_loo_ols_transposed(capsys):
    expect_fail(check_loo_ols, lambda X, y: loo_ols_leverage(X, y).T, capsys,
                "expected an array of shape (6, 2), got shape (2, 6)", "transposed")


def test_loo_ols_returns_change(capsys):
    def fn(X, y):
        theta, h, step = _ols_pieces(X, y)
        return -step / (1 - h)[:, None]

    expect_fail(check_loo_ols, fn, capsys, "return theta_{-i} itself")


def test_loo_ols_exception_is_reported(capsys):
    def fn(X, y):
        return np.linalg.solve(X, y)  # X is not square

    out = expect_fail(check_loo_ols, fn, capsys, "your function raised LinAlgError", "in fn")
    assert "Traceback" not in out


# --------------------------------------------------------------------------------------
# Per-example logistic gradients
# --------------------------------------------------------------------------------------


def grad_correct(X, y, theta):
    return (sigmoid(X @ theta) - y)[:, None] * X


def test_logistic_grad_correct(capsys):
    out = expect_pass(check_logistic_grad, grad_correct, capsys)
    assert "note" not in out


def test_logistic_grad_naive_sigmoid_passes_with_a_note(capsys):
    def fn(X, y, theta):
        return (1 / (1 + np.exp(-(X @ theta))) - y)[:, None] * X

    out = expect_pass(check_logistic_grad, fn, capsys)
    assert "note: the answers were right, but case 5" in out
    assert "overflow" in out


def test_logistic_grad_sign_error(capsys):
    expect_fail(check_logistic_grad, lambda X, y, t: -grad_correct(X, y, t), capsys,
                "-1 times the expected one", "(sigmoid(x^T theta) - y) x")


def test_logistic_grad_transposed(capsys):
    expect_fail(check_logistic_grad, lambda X, y, t: grad_correct(X, y, t).T, capsys,
                "got shape (3, 6)", "transposed")


def test_logistic_grad_mean(capsys):
    expect_fail(check_logistic_grad, lambda X, y, t: grad_correct(X, y, t) / len(y), capsys,
                "divided by n")


def test_logistic_grad_summed(capsys):
    expect_fail(check_logistic_grad, lambda X, y, t: grad_correct(X, y, t).sum(axis=0), capsys,
                "got shape (3,)", "did you sum over the examples")


def test_logistic_grad_missing_x(capsys):
    expect_fail(check_logistic_grad, lambda X, y, t: sigmoid(X @ t) - y, capsys,
                "one number per example")


def test_logistic_grad_returns_none(capsys):
    def fn(X, y, theta):
        grad_correct(X, y, theta)

    expect_fail(check_logistic_grad, fn, capsys, "returned None", "forget `return`")


def test_logistic_grad_nan(capsys):
    def fn(X, y, theta):  # log-odds route: inf / inf at margin 800
        e = np.exp(X @ theta)
        return (e / (1 + e) - y)[:, None] * X

    expect_fail(check_logistic_grad, fn, capsys, "case 5 of 7", "NaN or inf")


# --------------------------------------------------------------------------------------
# Hessian-vector products
# --------------------------------------------------------------------------------------


def _curv(X, theta):
    p = sigmoid(X @ theta)
    return p * (1 - p)


def hvp_correct(X, y, theta, l2, V):
    c = _curv(X, theta)
    XV = X @ V
    return X.T @ (c * XV if V.ndim == 1 else c[:, None] * XV) + l2 * V


def test_hvp_correct(capsys):
    expect_pass(check_hvp, hvp_correct, capsys)


def test_hvp_forming_the_hessian_passes(capsys):
    def fn(X, y, theta, l2, V):
        H = X.T @ (_curv(X, theta)[:, None] * X) + l2 * np.eye(X.shape[1])
        return H @ V

    expect_pass(check_hvp, fn, capsys)


def test_hvp_missing_penalty(capsys):
    expect_fail(check_hvp, lambda X, y, t, l2, V: hvp_correct(X, y, t, 0.0, V), capsys,
                "the penalty is missing", "add l2 * V")


def test_hvp_half_penalty(capsys):
    expect_fail(check_hvp, lambda X, y, t, l2, V: hvp_correct(X, y, t, l2 / 2, V), capsys,
                "not l2/2 * V")


def test_hvp_sigma_as_curvature(capsys):
    def fn(X, y, theta, l2, V):
        s = sigmoid(X @ theta)
        return X.T @ (s * (X @ V)) + l2 * V

    expect_fail(check_hvp, fn, capsys, "sigmoid(s) * (1 - sigmoid(s))")


def test_hvp_vectors_only(capsys):
    def fn(X, y, theta, l2, V):
        return X.T @ (_curv(X, theta) * (X @ V)) + l2 * V

    expect_fail(check_hvp, fn, capsys, "case 2 of 7", "raised ValueError", "shape (p, k)")


def test_hvp_returns_hessian(capsys):
    def fn(X, y, theta, l2, V):
        return X.T @ (_curv(X, theta)[:, None] * X) + l2 * np.eye(X.shape[1])

    expect_fail(check_hvp, fn, capsys, "got shape (3, 3)", "the Hessian itself")


def test_hvp_mean_objective(capsys):
    def fn(X, y, theta, l2, V):  # (1/n) sum_i L + (l2/2)||theta||^2: the data term over n
        return hvp_correct(X, y, theta, 0.0, V) / len(y) + l2 * V

    expect_fail(check_hvp, fn, capsys, "case 1 of 7", "the data term is divided by n = 6",
                "mean objective", "a factor n is off")


def test_hvp_mean_of_everything(capsys):
    # The penalty divided by n as well: the whole product is 1/n times the expected one.
    expect_fail(check_hvp, lambda *args: hvp_correct(*args) / len(args[1]), capsys,
                "0.1667 times the expected one", "a sum, not a mean")


def test_hvp_sign_error(capsys):
    expect_fail(check_hvp, lambda *args: -hvp_correct(*args), capsys, "-1 times the expected one")


# --------------------------------------------------------------------------------------
# Conjugate gradient
# --------------------------------------------------------------------------------------


def cg_correct(matvec, b, rtol, maxiter):
    x = np.zeros_like(b)
    r = b.copy()
    d = r.copy()
    rs = r @ r
    for _ in range(maxiter):
        if np.sqrt(rs) <= rtol * np.linalg.norm(b):
            break
        Ad = matvec(d)
        alpha = rs / (d @ Ad)
        x = x + alpha * d
        r = r - alpha * Ad
        rs_new = r @ r
        d = r + (rs_new / rs) * d
        rs = rs_new
    return x


def test_cg_correct(capsys):
    expect_pass(check_cg, cg_correct, capsys)


def test_cg_package_and_scipy_style_pass(capsys):
    from influence_demo import cg

    def package_cg(matvec, b, rtol, maxiter):  # returns (x, info), as scipy's does
        return cg(matvec, b, rtol=rtol, maxiter=maxiter, warn=False)

    expect_pass(check_cg, package_cg, capsys)


def test_cg_steepest_descent(capsys):
    def fn(matvec, b, rtol, maxiter):
        x, r = np.zeros_like(b), b.copy()
        for _ in range(maxiter):
            if np.linalg.norm(r) <= rtol * np.linalg.norm(b):
                break
            Ar = matvec(r)
            a = (r @ r) / (r @ Ar)
            x, r = x + a * r, r - a * Ar
        return x

    expect_fail(check_cg, fn, capsys, "||b - A x|| =", "steepest descent")


def test_cg_absolute_tolerance(capsys):
    def fn(matvec, b, rtol, maxiter):
        return cg_correct(matvec, b, rtol / max(np.linalg.norm(b), 1e-300), maxiter)

    expect_fail(check_cg, fn, capsys, "tiny right-hand side", "you returned x = 0",
                "relative test ||r|| <= rtol * ||b||")


def test_cg_residual_sign_error(capsys):
    def fn(matvec, b, rtol, maxiter):
        return cg_correct(matvec, -b, rtol, maxiter)  # as if r0 = A x0 - b

    expect_fail(check_cg, fn, capsys, "minus the solution", "r = b - A x")


def test_cg_ignores_maxiter(capsys):
    def fn(matvec, b, rtol, maxiter):
        return cg_correct(matvec, b, rtol, 10 * len(b) + 10)

    expect_fail(check_cg, fn, capsys, "maxiter=2", "matvec was called", "stop after maxiter")


def test_cg_one_iteration_too_many(capsys):
    def fn(matvec, b, rtol, maxiter):
        return cg_correct(matvec, b, rtol, maxiter + 1)

    expect_fail(check_cg, fn, capsys,
                "the iterate after 2 CG iterations", "maxiter counts iterations")


def test_cg_divides_by_zero_when_b_is_zero(capsys):
    def fn(matvec, b, rtol, maxiter):
        x, r = np.zeros_like(b), b.copy()
        d, rs = r.copy(), r @ r
        for _ in range(maxiter):
            Ad = matvec(d)
            alpha = rs / (d @ Ad)
            x, r = x + alpha * d, r - alpha * Ad
            rs_new = r @ r
            d, rs = r + (rs_new / rs) * d, rs_new
            if np.sqrt(rs) <= rtol * np.linalg.norm(b):
                break
        return x

    expect_fail(check_cg, fn, capsys, "b = 0", "NaN or inf", "r^T r = 0")


# --------------------------------------------------------------------------------------
# Self-influence and one-step LOO (L2 logistic regression)
# --------------------------------------------------------------------------------------


def _logistic_pieces(X, y, theta, l2):
    p = sigmoid(X @ theta)
    c = p * (1 - p)
    G = (p - y)[:, None] * X
    H = X.T @ (c[:, None] * X) + l2 * np.eye(X.shape[1])
    return G, c, H


def self_influence_correct(X, y, theta, l2):
    G, _, H = _logistic_pieces(X, y, theta, l2)
    return -np.einsum("ij,ji->i", G, np.linalg.solve(H, G.T))


def test_self_influence_correct(capsys):
    expect_pass(check_self_influence, self_influence_correct, capsys)


def test_self_influence_sign_error(capsys):
    expect_fail(check_self_influence, lambda *a: -self_influence_correct(*a), capsys,
                "-1 times the expected one", "never positive")


def test_self_influence_mean_objective(capsys):
    def fn(X, y, theta, l2):  # Koh & Liang's mean objective: H / n
        G, _, H = _logistic_pieces(X, y, theta, l2)
        return -np.einsum("ij,ji->i", G, np.linalg.solve(H / len(y), G.T))

    expect_fail(check_self_influence, fn, capsys, "8 times the expected one", "mean objective")


def test_self_influence_missing_penalty(capsys):
    expect_fail(check_self_influence,
                lambda X, y, t, l2: self_influence_correct(X, y, t, 0.0), capsys,
                "penalty is missing from the Hessian")


def test_self_influence_no_inverse(capsys):
    def fn(X, y, theta, l2):
        G, _, _ = _logistic_pieces(X, y, theta, l2)
        return -np.sum(G * G, axis=1)

    expect_fail(check_self_influence, fn, capsys, "inverse Hessian is missing")


def test_self_influence_full_matrix(capsys):
    def fn(X, y, theta, l2):
        G, _, H = _logistic_pieces(X, y, theta, l2)
        return -G @ np.linalg.solve(H, G.T)

    expect_fail(check_self_influence, fn, capsys, "got shape (8, 8)", "return its diagonal")


def loo_onestep_correct(X, y, theta, l2):
    G, c, H = _logistic_pieces(X, y, theta, l2)
    W = np.linalg.solve(H, X.T)
    h = c * np.einsum("ij,ji->i", X, W)
    return theta + np.linalg.solve(H, G.T).T / (1 - h)[:, None]


def test_loo_onestep_correct(capsys):
    expect_pass(check_loo_onestep, loo_onestep_correct, capsys)


def test_loo_onestep_agrees_with_literal_newton_steps(capsys):
    def fn(X, y, theta, l2):
        G, c, H = _logistic_pieces(X, y, theta, l2)
        total = G.sum(axis=0) + l2 * theta
        return np.array([
            theta - np.linalg.solve(H - c[i] * np.outer(X[i], X[i]), total - G[i])
            for i in range(len(y))
        ])

    expect_pass(check_loo_onestep, fn, capsys)


def test_loo_onestep_no_leverage(capsys):
    def fn(X, y, theta, l2):
        G, _, H = _logistic_pieces(X, y, theta, l2)
        return theta + np.linalg.solve(H, G.T).T

    expect_fail(check_loo_onestep, fn, capsys, "first-order influence estimate", "1 - h_i")


def test_loo_onestep_sign_error(capsys):
    def fn(X, y, theta, l2):
        return 2 * theta - loo_onestep_correct(X, y, theta, l2)

    expect_fail(check_loo_onestep, fn, capsys, "wrong sign")


def test_loo_onestep_leverage_without_curvature(capsys):
    def fn(X, y, theta, l2):
        G, _, H = _logistic_pieces(X, y, theta, l2)
        q = np.einsum("ij,ji->i", X, np.linalg.solve(H, X.T))
        return theta + np.linalg.solve(H, G.T).T / (1 - q)[:, None]

    expect_fail(check_loo_onestep, fn, capsys, "includes the curvature")


def test_loo_onestep_transposed(capsys):
    expect_fail(check_loo_onestep, lambda *a: loo_onestep_correct(*a).T, capsys, "transposed")


# --------------------------------------------------------------------------------------
# check_lissa
# --------------------------------------------------------------------------------------


def lissa_correct(matvec, V, scale, damping, depth):
    U = V.copy()
    for _ in range(depth):
        U = V + U - (matvec(U) + damping * U) / scale
    return U / scale


def test_lissa_correct(capsys):
    expect_pass(check_lissa, lissa_correct, capsys)


def test_lissa_agrees_with_the_package():
    from influence_demo import LogisticRegression, lissa

    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 3))
    y = (rng.uniform(size=40) < 0.5).astype(float)
    model = LogisticRegression(l2=0.5).fit(X, y)
    v = rng.normal(size=3)
    u_pkg, _ = lissa(model, X, y, v, scale=30.0, damping=0.1, depth=25, warn=False)
    u = lissa_correct(model.hvp_operator(X, y), v, 30.0, 0.1, 25)
    np.testing.assert_allclose(u, u_pkg, rtol=1e-12)


def test_lissa_not_divided_by_scale(capsys):
    expect_fail(check_lissa, lambda m, V, s, d, J: s * lissa_correct(m, V, s, d, J), capsys,
                "case 1 of 7", "divide the last iterate by the scale")


def test_lissa_one_step_short(capsys):
    expect_fail(check_lissa, lambda m, V, s, d, J: lissa_correct(m, V, s, d, max(J - 1, 0)),
                capsys, "case 1 of 7", "one step short")


def test_lissa_one_step_too_many(capsys):
    expect_fail(check_lissa, lambda m, V, s, d, J: lissa_correct(m, V, s, d, J + 1), capsys,
                "case 1 of 7", "one step too many")


def test_lissa_damping_missing(capsys):
    expect_fail(check_lissa, lambda m, V, s, d, J: lissa_correct(m, V, s, 0.0, J), capsys,
                "case 3 of 7", "the damping is missing")


def test_lissa_damping_sign(capsys):
    expect_fail(check_lissa, lambda m, V, s, d, J: lissa_correct(m, V, s, -d, J), capsys,
                "case 3 of 7", "wrong sign")


def test_lissa_vectors_only(capsys):
    def fn(matvec, V, scale, damping, depth):
        if V.ndim != 1:
            raise ValueError("one vector only")
        return lissa_correct(matvec, V, scale, damping, depth)

    expect_fail(check_lissa, fn, capsys, "case 2 of 7", "raised ValueError", "shape (p, k)")


# --------------------------------------------------------------------------------------
# Properties of every checker
# --------------------------------------------------------------------------------------

CHECKERS = [
    check_loo_ols, check_logistic_grad, check_hvp, check_cg, check_self_influence,
    check_loo_onestep, check_mlp_hvp, check_lds, check_datainf, check_chunked_hessian,
    check_ridge_removal, check_lissa,
]


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.__name__)
def test_not_a_function(checker, capsys):
    ok, out = run(checker, "not a function", capsys)
    assert not ok
    assert "FAIL: expected a function, got str" in out


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.__name__)
def test_report_shows_values_not_code(checker, capsys):
    def broken(*args):
        return 0.0

    ok, out = run(checker, broken, capsys)
    assert not ok
    assert "expected" in out
    for leak in ("def ", "return ", "np.linalg", "import", "coursework", ".py"):
        assert leak not in out, f"{leak!r} in:\n{out}"


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.__name__)
def test_checkers_are_deterministic(checker, capsys):
    def broken(*args):
        return -1.0

    first = run(checker, broken, capsys)[1]
    assert run(checker, broken, capsys)[1] == first


def test_student_cannot_corrupt_the_cases(capsys):
    def vandal(X, y, theta):
        X[:] = 0.0
        y[:] = 0.0
        return grad_correct(X, y, theta)

    expect_fail(check_logistic_grad, vandal, capsys, "case 1 of 7")
    expect_pass(check_logistic_grad, grad_correct, capsys)


def test_exported_names():
    assert set(coursework.__all__) == {c.__name__ for c in CHECKERS}


def test_course_page_shows_the_real_output(capsys):
    """The failure example on the course page prints exactly the output shown under it."""
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "book" / "course.md").read_text(encoding="utf-8")
    section = page.split("## What a failure looks like", 1)[1]
    code, shown = re.findall(r"```(?:python|text)\n(.*?)```", section, flags=re.S)[:2]
    exec(compile(code, "course.md", "exec"), {})
    assert capsys.readouterr().out.strip() == shown.strip()


def _chunk_sum(chunks, theta, weigh):
    from influence_demo.models import sigmoid

    parts = []
    for Xb, _ in chunks:
        s = sigmoid(Xb @ theta)
        parts.append(weigh(Xb, s * (1 - s)))
    return parts


@pytest.mark.parametrize("wrong, hint", [
    (lambda ch, th, l2: sum(p + l2 * np.eye(len(th)) for p in _chunk_sum(
        ch, th, lambda Xb, c: Xb.T @ (c[:, None] * Xb))),
     "the penalty is added once per chunk (3 chunks here)"),
    (lambda ch, th, l2: sum(_chunk_sum(ch, th, lambda Xb, c: Xb.T @ (c[:, None] * Xb)))
     / sum(len(y) for _, y in ch) + l2 * np.eye(len(th)),
     "the data term is divided by n = 6"),
    (lambda ch, th, l2: sum(_chunk_sum(ch, th, lambda Xb, c: Xb.T @ Xb * c.mean()))
     + l2 * np.eye(len(th)),
     "each chunk's curvature weights c_i = sigmoid(s_i)(1 - sigmoid(s_i)) are averaged"),
])
def test_chunked_hessian_names_the_mistake(wrong, hint, capsys):
    assert check_chunked_hessian(wrong) is False
    out = capsys.readouterr().out
    assert hint in out and "X (the chunks stacked) of shape" in out and "chunk sizes" in out


def _ridge_pieces(X, y, X_test, y_test, l2, intercept_penalised=False):
    """The closed-form pieces of ridge with an unpenalised last coordinate (the intercept)."""
    P = l2 * np.diag(np.r_[np.ones(X.shape[1] - 1), float(intercept_penalised)])
    H = 2 * X.T @ X + P
    theta = np.linalg.solve(H, 2 * X.T @ y)
    e, e_t = y - X @ theta, y_test - X_test @ theta
    h = 2 * np.einsum("ij,ji->i", X, np.linalg.solve(H, X.T))
    step = X_test @ np.linalg.solve(H, (-2 * e[:, None] * X).T)  # x_t^T H^{-1} grad_i
    return e_t, h, step


def ridge_removal_correct(X, y, X_test, y_test, l2, intercept_penalised=False):
    e_t, h, step = _ridge_pieces(X, y, X_test, y_test, l2, intercept_penalised)
    d = step / (1 - h)
    return -2 * e_t[:, None] * d + d**2


def test_ridge_removal_correct(capsys):
    expect_pass(check_ridge_removal, ridge_removal_correct, capsys)


def test_ridge_removal_first_order(capsys):
    def fn(X, y, X_test, y_test, l2):
        e_t, _, step = _ridge_pieces(X, y, X_test, y_test, l2)
        return -2 * e_t[:, None] * step

    expect_fail(check_ridge_removal, fn, capsys, "first-order prediction")


def test_ridge_removal_no_quadratic_term(capsys):
    def fn(X, y, X_test, y_test, l2):
        e_t, h, step = _ridge_pieces(X, y, X_test, y_test, l2)
        return -2 * e_t[:, None] * step / (1 - h)

    expect_fail(check_ridge_removal, fn, capsys, "add d^2")


def test_ridge_removal_penalised_intercept(capsys):
    def fn(X, y, X_test, y_test, l2):
        return ridge_removal_correct(X, y, X_test, y_test, l2, intercept_penalised=True)

    expect_fail(check_ridge_removal, fn, capsys, "intercept")


def test_ridge_removal_sign(capsys):
    expect_fail(check_ridge_removal, lambda *a: -ridge_removal_correct(*a), capsys,
                "sign is off")
