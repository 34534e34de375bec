"""Hypothesis property tests on random well-posed problems.

Hypothesis draws the sizes and a seed; the data are built with numpy from that seed. The
runs are derandomized (the same examples every run) so that CI is reproducible, and keep
to about 30 examples each so the whole file runs in a few seconds.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    add_intercept,
    cg,
    influence_params,
    leverage,
    loo_params,
    loo_params_ols,
    self_influence,
)

FAST = settings(max_examples=30, deadline=None, derandomize=True, database=None)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def regression_problem(n, p, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3.0, size=p)  # columns on different scales
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    return X, y


@FAST
@given(p=st.integers(1, 5), extra=st.integers(4, 20), seed=seeds, l2=st.sampled_from([0.0, 0.1, 2.0]))
def test_ols_loo_identity(p, extra, seed, l2):
    """theta_{-i} = theta_hat - I_up,params(z_i) / (1 - h_ii) = loo_params_ols = brute force."""
    X, y = regression_problem(p + extra, p, seed)
    model = LinearRegression(l2=l2).fit(X, y)
    brute = loo_params(model, X, y)
    scale = 1.0 + np.abs(brute).max()
    predicted = model.theta_ - influence_params(model, X, y) / (1 - leverage(X, l2=l2))[:, None]
    np.testing.assert_allclose(predicted, brute, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(loo_params_ols(X, y, l2=l2), brute, rtol=0, atol=1e-9 * scale)


@FAST
@given(p=st.integers(1, 30), k=st.integers(1, 4), seed=seeds, vector=st.booleans())
def test_cg_equals_direct(p, k, seed, vector):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(p, p))
    A = M @ M.T / p + np.eye(p)  # SPD, condition number below about 5
    B = rng.normal(size=p) if vector else rng.normal(size=(p, k))
    X, info = cg(lambda P: A @ P, B, rtol=1e-13)
    assert info.converged and info.n_iter <= p + 1
    ref = np.linalg.solve(A, B)
    np.testing.assert_allclose(X, ref, rtol=0, atol=1e-10 * max(1.0, np.abs(ref).max()))


@FAST
@given(
    n=st.integers(2, 30),
    p=st.integers(1, 6),
    k=st.integers(0, 3),
    seed=seeds,
    logistic=st.booleans(),
    l2=st.sampled_from([0.0, 0.5, 3.0]),
)
def test_hvp_equals_hessian_times_V(n, p, k, seed, logistic, l2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    theta = rng.normal(scale=2.0, size=p)
    if logistic:
        model, y = LogisticRegression(l2=l2), rng.integers(0, 2, size=n).astype(float)
    else:
        model, y = LinearRegression(l2=l2), rng.normal(size=n)
    V = rng.normal(size=p) if k == 0 else rng.normal(size=(p, k))
    H = model.hessian(X, y, theta)
    np.testing.assert_allclose(model.hvp(V, X, y, theta), H @ V, rtol=1e-10, atol=1e-10 * (1 + np.abs(H).max()))


@FAST
@given(n=st.integers(5, 40), p=st.integers(1, 4), seed=seeds, logistic=st.booleans(), l2=st.sampled_from([0.1, 1.0, 5.0]))
def test_self_influence_is_never_positive(n, p, seed, logistic, l2):
    rng = np.random.default_rng(seed)
    X = add_intercept(rng.normal(size=(n, p)))
    if logistic:
        y = (rng.uniform(size=n) < 0.5).astype(float)
        model = LogisticRegression(l2=l2).fit(X, y)
    else:
        y = rng.normal(size=n)
        model = LinearRegression(l2=l2).fit(X, y)
    si = self_influence(model, X, y)
    G = model.grad(X, y)
    # -g^T H^{-1} g <= 0, with equality only where the gradient vanishes.
    assert np.all(si <= 1e-12 * (1 + np.einsum("ip,ip->i", G, G)))
    assert np.all(si[np.linalg.norm(G, axis=1) > 1e-6] < 0)


@FAST
@given(p=st.integers(1, 6), extra=st.integers(0, 30), seed=seeds)
def test_leverage_lies_in_unit_interval_and_sums_to_p(p, extra, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(p + extra, p)) * rng.uniform(0.1, 10.0, size=p)
    h = leverage(X)
    assert np.all(h >= -1e-12) and np.all(h <= 1 + 1e-12)
    np.testing.assert_allclose(h.sum(), p, rtol=1e-10)
    # A ridge penalty shrinks every leverage.
    assert np.all(leverage(X, l2=1.0) <= h + 1e-12)
