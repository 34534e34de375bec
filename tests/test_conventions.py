"""A worked example per convention: each library's formula, transcribed, converts to ours."""

import numpy as np
import pytest

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    add_intercept,
    influence_loss,
    loo_loss_change,
    make_logistic_data,
)
from influence_demo.conventions import CONVENTIONS, Convention, book_damping, to_book

R = 0.01  # each library's own damping ("regularization", "hessian_reg", "damp", ...)


@pytest.fixture(scope="module")
def problem():
    """Unpenalised logistic regression (the libraries add damping, not a penalty)."""
    X, y, X_test, y_test = make_logistic_data(60, 3, rng=11, n_test=4)
    X, X_test = add_intercept(X), add_intercept(X_test)
    model = LogisticRegression().fit(X, y)
    G, G_test = model.grad(X, y), model.grad(X_test, y_test)
    H_sum = model.hessian(X, y)
    return model, X, y, X_test, y_test, G, G_test, H_sum


def library_value(name, G, G_test, H_sum, r):
    """Each library's formula as its source computes it, in numpy: shape (n_test, n_train)."""
    n, p = G.shape
    H_mean = H_sum / n
    eye = np.eye(p)
    if name == "influence_demo":
        return -G_test @ np.linalg.solve(H_sum + r * eye, G.T)
    if name == "koh-liang-paper":  # -grad L(z_test)^T H_mean^-1 grad L(z), eq. 2
        return -G_test @ np.linalg.solve(H_mean + r * eye, G.T)
    if name == "koh-liang-code":  # inverse_hvp . train_grad / num_train_examples
        inverse_hvp = np.linalg.solve(H_mean + r * eye, G_test.T)
        return inverse_hvp.T @ G.T / n
    if name == "pydvl":  # <(H_mean + reg I)^-1 g_test, g_i>
        return np.linalg.solve(H_mean + r * eye, G_test.T).T @ G.T
    if name == "captum-naive":  # (g_test' R)(g_i' R)' with H_sum + reg = V L V', R = V L^-1/2
        lam, V = np.linalg.eigh(H_sum + r * eye)
        Rm = V / np.sqrt(lam)
        return (G_test @ Rm) @ (G @ Rm).T
    if name == "torch-influence":  # grad_z @ stest / len(train), stest = (H_mean + damp I)^-1 g
        stest = np.linalg.solve(H_mean + r * eye, G_test.T)
        return (G @ stest).T / n
    if name == "kronfluence":  # g_test^T (G_mean + damping I)^-1 g_i; G = H for a GLM
        return G_test @ np.linalg.solve(H_mean + r * eye, G.T)
    if name == "dattri":  # train_rep @ (H_mean + reg I)^-1 test_rep, shape (n_train, n_test)
        return (G @ np.linalg.solve(H_mean + r * eye, G_test.T)).T
    raise AssertionError(name)


HESSIAN_BASED = [name for name, row in CONVENTIONS.items() if row.sign is not None]


@pytest.mark.parametrize("name", HESSIAN_BASED)
def test_each_library_converts_to_the_books_influence(name, problem):
    model, X, y, X_test, y_test, G, G_test, H_sum = problem
    n = len(y)
    value = library_value(name, G, G_test, H_sum, R)
    row = CONVENTIONS[name]
    ours = influence_loss(model, X, y, X_test, y_test, damping=book_damping(R, name, n=n))
    converted = to_book(value, name, n=n)
    np.testing.assert_allclose(converted.i_up_loss, ours, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(converted.removal_effect, -ours, rtol=1e-9, atol=1e-14)
    # "Positive means": the point with the largest library value is the most harmful
    # (largest I_up,loss) or the most helpful (smallest), as the row says.
    top = np.argmax(value, axis=1)
    expected = (
        np.argmax(ours, axis=1) if row.positive_means == "harmful" else np.argmin(ours, axis=1)
    )
    np.testing.assert_array_equal(top, expected)


def test_removal_effect_predicts_retraining():
    # Without damping the converted removal effect is a first-order estimate of retraining.
    X, y, X_test, y_test = make_logistic_data(200, 3, rng=12, n_test=1)
    X, X_test = add_intercept(X), add_intercept(X_test)
    model = LogisticRegression().fit(X, y)
    G, G_test = model.grad(X, y), model.grad(X_test, y_test)
    value = library_value("pydvl", G, G_test, model.hessian(X, y), 0.0)[0]
    predicted = to_book(value, "pydvl", n=len(y)).removal_effect
    idx = np.argsort(-np.abs(predicted))[:5]
    actual = loo_loss_change(model, X, y, X_test, y_test, indices=idx)[0]
    assert np.all(np.sign(predicted[idx]) == np.sign(actual))
    np.testing.assert_allclose(predicted[idx], actual, rtol=0.2)


def test_tracincp_value_is_the_loss_decrease_from_the_points_steps():
    # One checkpoint w0 and one plain gradient step on z_i with learning rate eta: TracInCP's
    # eta * g_test(w0) . g_i(w0) is the first-order decrease of the test loss from that step,
    # so removing the step raises the test loss by about +value.
    rng = np.random.default_rng(13)
    X = rng.normal(size=(10, 3))
    y = rng.normal(size=10)
    x_test, y_test = rng.normal(size=(1, 3)), rng.normal(size=1)
    model = LinearRegression()
    w0 = rng.normal(size=3)
    eta = 1e-6
    g_test = model.grad(x_test, y_test, w0)[0]
    for i in range(10):
        g_i = model.grad(X[i : i + 1], y[i : i + 1], w0)[0]
        value = eta * g_test @ g_i
        w1 = w0 - eta * g_i
        without_step = model.loss(x_test, y_test, w0)[0]
        with_step = model.loss(x_test, y_test, w1)[0]
        converted = to_book(value, "captum-tracincp")
        assert converted.i_up_loss is None
        np.testing.assert_allclose(converted.removal_effect, without_step - with_step, rtol=1e-4)


def test_the_table_cites_a_source_for_every_row():
    for name, row in CONVENTIONS.items():
        assert isinstance(row, Convention) and row.name == name
        assert row.positive_means in ("harmful", "helpful")
        assert row.source and row.reports
        assert (row.sign is None) == (name == "captum-tracincp")


def test_conversion_errors_are_clear():
    with pytest.raises(
        ValueError, match=r"Unknown convention 'sklearn'; choose one of 'influence_demo'"
    ):
        to_book(1.0, "sklearn")
    with pytest.raises(
        ValueError,
        match=r"The 'pydvl' convention scales with the number of training points: pass n",
    ):
        to_book(1.0, "pydvl")
    with pytest.raises(ValueError, match=r"n must be an integer >= 1; got 0"):
        to_book(1.0, "kronfluence", n=0)
    with pytest.raises(ValueError, match=r"The 'dattri' convention scales"):
        book_damping(0.1, "dattri")
    with pytest.raises(ValueError, match=r"regularization must be a finite number >= 0; got -1"):
        book_damping(-1, "captum-naive")
    assert to_book(2.0, CONVENTIONS["influence_demo"]).removal_effect == -2.0


def test_to_book_reports_the_books_damping_for_the_librarys(problem):
    # pyDVL with its own damping r: the converted value is influence_loss at delta = n r,
    # and to_book says which delta that is.
    model, X, y, X_test, y_test, G, G_test, H_sum = problem
    n = len(y)
    value = library_value("pydvl", G, G_test, H_sum, R)
    converted = to_book(value, "pydvl", n=n, damping=R)
    assert converted.damping == pytest.approx(n * R)
    ours = influence_loss(model, X, y, X_test, y_test, damping=converted.damping)
    np.testing.assert_allclose(converted.i_up_loss, ours, rtol=1e-9, atol=1e-14)
    assert to_book(value, "pydvl", n=n).damping is None
    assert to_book(1.0, "captum-naive", damping=R).damping == R


def koh_liang_lissa(H_mean, v, damping, scale, depth):
    """get_inverse_hvp_lissa of influence-release, full batch, transcribed into numpy."""
    estimate = v.copy()
    for _ in range(depth):
        estimate = v + (1 - damping) * estimate - H_mean @ estimate / scale
    return estimate / scale


def test_book_damping_for_koh_liangs_lissa_path(problem):
    # Their LiSSA recursion solves with H_mean + damping * scale * I, not H_mean + damping * I.
    model, X, y, X_test, y_test, G, G_test, H_sum = problem
    n = len(y)
    H_mean = H_sum / n
    scale = 2.0 * np.linalg.eigvalsh(H_mean)[-1]
    damping = 0.01
    inverse_hvp = koh_liang_lissa(H_mean, G_test[0], damping, scale, depth=3000)
    value = G @ inverse_hvp / n  # predicted_loss_diffs
    delta = book_damping(damping, "koh-liang-code", n=n, lissa_scale=scale)
    assert delta == pytest.approx(n * damping * scale)
    ours = influence_loss(model, X, y, X_test[:1], y_test[:1], damping=delta)[0]
    converted = to_book(value, "koh-liang-code", n=n, damping=damping, lissa_scale=scale)
    assert converted.damping == pytest.approx(delta)
    np.testing.assert_allclose(converted.i_up_loss, ours, rtol=1e-8)
    # the CG path's damping (n * damping) would be off by the factor scale
    cg_delta = book_damping(damping, "koh-liang-code", n=n)
    wrong = influence_loss(model, X, y, X_test[:1], y_test[:1], damping=cg_delta)[0]
    assert np.max(np.abs(wrong - ours)) > 1e-3 * np.max(np.abs(ours))


def test_captum_naive_holds_only_without_projection(problem):
    model, X, y, X_test, y_test, G, G_test, H_sum = problem
    p = H_sum.shape[0]
    lam, V = np.linalg.eigh(H_sum + R * np.eye(p))
    top = V[:, -2:] / np.sqrt(lam[-2:])  # projection_dim=2: the two largest eigenpairs
    low_rank = (G_test @ top) @ (G @ top).T
    full = library_value("captum-naive", G, G_test, H_sum, R)
    assert np.max(np.abs(low_rank - full)) > 0.1 * np.max(np.abs(full))
    with pytest.raises(ValueError, match=r"projection_dim=50 keeps only the 50 largest"):
        to_book(low_rank, "captum-naive", projection_dim=50)
    with pytest.raises(ValueError, match=r"projection_dim applies only to the 'captum-naive'"):
        to_book(1.0, "pydvl", n=3, projection_dim=5)
    converted = to_book(full, "captum-naive", projection_dim=None)
    assert converted.holds_when.startswith("projection_dim=None")


def test_kronfluence_margin_measurement_scales_the_loss_gradient():
    # The repository's examples differentiate -margin = log sum_{c != y} e^{f_c} - f_y; its
    # gradient is the cross-entropy's divided by 1 - p_y, so the sign (and the ranking of
    # training points for one test point) survives, and a log-probability flips it.
    from influence_demo.nn import SoftmaxRegression

    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 3, size=30)
    model = SoftmaxRegression(l2=1.0).fit(X, y)
    x, label = X[:1], y[:1]

    def minus_margin(theta):
        f = model.logits(x, theta)[0]
        others = np.delete(f, label[0])
        return np.log(np.sum(np.exp(others))) - f[label[0]]

    h = 1e-6
    eye = np.eye(model.n_params_)
    fd = np.array([(minus_margin(model.theta_ + h * e) - minus_margin(model.theta_ - h * e))
                   / (2 * h) for e in eye])
    p_y = model.predict_proba(x)[0, label[0]]
    np.testing.assert_allclose(fd, model.grad(x, label)[0] / (1 - p_y), rtol=1e-6, atol=1e-9)
    assert "flips the sign" in CONVENTIONS["kronfluence"].holds_when


def test_rows_state_their_conditions():
    for name in ("captum-naive", "kronfluence", "dattri", "pydvl", "koh-liang-code"):
        assert CONVENTIONS[name].holds_when, name
    with pytest.raises(ValueError, match=r"lissa_scale applies only to the 'koh-liang-code'"):
        book_damping(0.1, "pydvl", n=10, lissa_scale=10.0)
    with pytest.raises(ValueError, match=r"lissa_scale must be a finite number > 0; got 0"):
        book_damping(0.1, "koh-liang-code", n=10, lissa_scale=0)
