# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (influence-demo)
#     language: python
#     name: python3
# ---

# %% [markdown]
# (sol-lissa)=
# # LiSSA: scale, depth and damping
#
# The previous chapter, {ref}`solvers`, compared three ways to apply $H^{-1}$ in an
# influence $\mathcal I_{\text{up,loss}}(z, z_{\text{test}}) = -\nabla L(z_{\text{test}})^\top
# H^{-1}\nabla L(z)$ ({eq}`nt-iup-loss`) and studied two of them, the direct solve and
# conjugate gradient (CG). This chapter takes the third, the stochastic Neumann series
# LiSSA {cite:p}`agarwal2017second` that {cite:t}`koh2017understanding` use for large
# models. With its defaults it stopped short on the digits model; here we see why, and
# how to choose its three settings so that it does not.
#
# By the end of this chapter you will be able to:
#
# - derive LiSSA's convergence rate from the spectrum of $H$, and from it the scale below
#   which it diverges and the depth it needs;
# - choose LiSSA's scale, depth and damping, and read the package's error and warning when
#   they are wrong;
# - say what damping does to the influences, and where each of the three solvers wins.
#
# The iteration counts and errors of this chapter are set by the mathematics and print the
# same on every machine.

# %%
import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

from influence_demo import (
    ConvergenceError,
    ConvergenceWarning,
    LogisticRegression,
    add_intercept,
    influence_loss,
    inverse_hvp,
    lissa,
    load_digits_pair,
    rel_error,
    spearman,
)

# %% [markdown]
# ## The digits model again
#
# We rebuild the model of {ref}`solvers`: L2-regularised logistic regression on the
# bundled 8×8 digits, 1 against 7, with an intercept and $\lambda = 10^{-3}$, its Hessian
# with the eigen-decomposition, and the block $V$ of test gradients.

# %%
L2 = 1e-3
X_train, y_train, X_test_raw, y_test = load_digits_pair(1, 7)
X, X_test = add_intercept(X_train), add_intercept(X_test_raw)
y = y_train
model = LogisticRegression(l2=L2).fit(X, y)
n, p = X.shape
H = model.hessian(X, y)
eig, Q = np.linalg.eigh(H)  # ascending eigenvalues, eigenvectors
kappa = eig[-1] / eig[0]
V = model.grad(X_test, y_test).T  # one column per test image
k = V.shape[1]
# eigenvalues equal to l2 (the null space of X), and those in (l2, 2 l2)
n_at_l2 = int(np.sum(eig < L2 * (1 + 1e-9)))
n_within_2 = int(np.sum(eig < 2 * L2))
print(f"n = {n}, p = {p}, k = {k} test images; condition number "
      f"{kappa:.0f}")
print(f"eigenvalues below 2 l2: {n_within_2}, of which {n_at_l2} equal l2")

# %% tags=["remove-input"]
assert n_at_l2 == p - np.linalg.matrix_rank(X)
np.testing.assert_allclose(np.linalg.norm(model.objective_grad(X, y)), 0,
                           atol=1e-10)
# CG on the same block, for comparison (as in the previous chapter)
U_direct = inverse_hvp(model, X, y, V)
U_cg, info_cg = inverse_hvp(model, X, y, V, method="cg", rtol=1e-8,
                            return_info=True)
err_cg = rel_error(U_cg, U_direct)
cg_below = float(10.0 ** np.ceil(np.log10(err_cg)))
assert err_cg < 0.9 * cg_below
setup_numbers = {
    "sol-n": n, "sol-p": p, "sol-k": k,
    "sol-kappa": round(float(kappa)),
    "sol-n-within-2": n_within_2,
    "sol-eig-above": round(float(eig[n_at_l2] / L2), 5),
    "sol-digits-cg-iters": info_cg.n_iter,
    "sol-digits-cg-err": cg_below,
}
for key, value in setup_numbers.items():
    glue(key, value, display=False)

# %% [markdown]
# The condition number is {glue:text}`sol-kappa`. As the previous chapter showed, the
# {glue:text}`sol-n-within-2` eigenvalues below $2\lambda$ hold the directions that matter
# most to an influence: the null space of $X$, with eigenvalue exactly $\lambda$, which no
# gradient reaches, and a cluster just above it. CG solves this block to a relative error
# below {glue:text}`sol-digits-cg-err:.0e` in {glue:text}`sol-digits-cg-iters` iterations.
#
# ## The Neumann series
#
# LiSSA writes the inverse as a Neumann series. With $A = (H+\delta I)/s$ for a *scale*
# $s > 0$, $A^{-1} = \sum_{j \ge 0} (I - A)^j$, which the recursion
#
# $$
# \begin{aligned}
# & U_0 = V, \qquad U_j = V + \bigl(I - (H+\delta I)/s\bigr)\,U_{j-1}, \\
# & (H + \delta I)^{-1} V \approx U_J / s
# \end{aligned}
# $$ (eq-sol-lissa)
#
# sums to depth $J$ {cite:p}`agarwal2017second`. Each eigen-component of the error is
# multiplied at every step by $1 - \mu/s$, where $\mu$ runs over the eigenvalues of
# $H + \delta I$. So
#
# - the series **diverges** unless $|1-\mu/s| < 1$ for every $\mu$, that is
#   $s > \mu_{\max}/2$: a scale that is too small is fatal;
# - it **converges** at the rate $\rho = \max_\mu |1 - \mu/s|$; for $s \ge \mu_{\max}$ this
#   is $1 - \mu_{\min}/s$. The residual after $J$ steps is $(I - A)^{J+1}V$, at most
#   $\rho^{J+1}$ relative to $V$, so reaching a relative residual $\varepsilon$ takes a
#   depth of at most about
#
# $$
# J \approx \frac{\ln \varepsilon}{\ln \rho} \approx \frac{s}{\mu_{\min}} \ln\frac1\varepsilon
# \approx \kappa \ln\frac1\varepsilon \quad (s \approx \mu_{\max}),
# $$ (eq-sol-lissa-depth)
#
# which is $\kappa$, not CG's $\sqrt\kappa$.
#
# By default the package sets $s$ to 1.1 times the largest eigenvalue of $H+\delta I$,
# estimated by 30 steps of power iteration. (Koh & Liang's code takes the scale as a fixed
# hyperparameter; for their *mean* objective the Hessian is $n$ times smaller than ours, so
# their scale is not ours, see {ref}`notation`.) Here is what happens when $s$ is chosen by
# hand and is too small, on one test image of digits:

# %%
# the least confident test image
j_worst = int(np.argmin(np.abs(model.predict_proba(X_test) - 0.5)))
v = V[:, j_worst]
u_direct = inverse_hvp(model, X, y, v)
lam_max = float(eig[-1])
try:
    lissa(model, X, y, v, scale=0.4 * lam_max, depth=1000)
except ConvergenceError as err:
    print("ConvergenceError:")
    print(textwrap.fill(str(err), 75))

# %% tags=["remove-input"]
glue("sol-lam-max-half", round(lam_max / 2, 4), display=False)

# %% [markdown]
# The scale $0.4\,\lambda_{\max}$ is below $\lambda_{\max}/2$ =
# {glue:text}`sol-lam-max-half`, so the component along the top eigenvector grows by a
# factor $|1 - 1/0.4| = 1.5$ per step. The package stops as soon as the iterates blow up
# and raises a `ConvergenceError` that names the cause, instead of returning `inf` or a
# number that merely looks plausible.
#
# With the default scale the series converges, but slowly. Taking $\mu_{\min} = \lambda$,
# {eq}`eq-sol-lissa-depth` asks for a depth of
# $\ln 10^{-3}/\ln\bigl(1 - \lambda/(1.1\,\lambda_{\max})\bigr) \approx$
# {glue:text}`sol-depth-needed` to reach a relative residual of $10^{-3}$, and the default
# depth is 1000. The package checks the result with one exact Hessian-vector product and
# warns:

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ConvergenceWarning)
    u_default, info = lissa(model, X, y, v, rng=0)
for w in caught:
    print(f"{w.category.__name__}:")
    print(textwrap.fill(str(w.message), 75))
err_default = rel_error(u_default, u_direct)
print(f"converged: {info.converged}; "
      f"relative error against direct: {err_default:.2e}")
rate_default = 1 - eig[0] / (1.1 * lam_max)
depth_needed = int(np.ceil(np.log(1e-3) / np.log(rate_default)))

# %% tags=["remove-input"]
lissa_numbers = {
    "sol-depth-needed": depth_needed,
    "sol-lissa-default-err": float(f"{err_default:.2g}"),
}
for key, value in lissa_numbers.items():
    glue(key, value, display=False)

# %% [markdown]
# The residual is what the package can measure; the error against the direct solve, which
# in practice you do not have, is {glue:text}`sol-lissa-default-err:.1%`. There are three
# ways out: raise the depth to about {glue:text}`sol-depth-needed`, lower the scale towards
# its optimum, or add damping. To compare them we run the recursion {eq}`eq-sol-lissa`
# from scratch, recording the error after every step, and check its last iterate against
# the package.

# %%
hvp = model.hvp_operator(X, y)  # the package's H @ V, validated once


def lissa_path(hvp, v, u_ref, scale, damping, depth):
    """Relative error of U_j / scale against u_ref after each step j."""
    u, errors = v.copy(), np.empty(depth)
    for j in range(depth):
        u = v + u - (hvp(u) + damping * u) / scale
        errors[j] = (np.linalg.norm(u / scale - u_ref)
                     / np.linalg.norm(u_ref))
    return errors, u / scale


DEPTH = 4000
settings = [  # (plot label, printed label, scale, damping)
    (r"$s = 5\,\lambda_{\max}$", "s = 5 lam_max", 5 * lam_max, 0.0),
    (r"$s = 1.1\,\lambda_{\max}$ (default)", "s = 1.1 lam_max (default)",
     1.1 * lam_max, 0.0),
    (r"$s = 0.55\,\lambda_{\max}$", "s = 0.55 lam_max",
     0.55 * lam_max, 0.0),
    (r"$s = 1.1\,\lambda_{\max}$, $\delta = \lambda = 10^{-3}$",
     "s = 1.1 lam_max, delta = lam", 1.1 * (lam_max + L2), L2),
]
print(f"{'':30}{'relative error after':>36}")
print(f"{'LiSSA setting':<30}"
      + "".join(f"{f'{j} steps':>12}" for j in (100, 1000, DEPTH)))
paths, finals = {}, {}
for label, text, scale, damping in settings:
    # errors against the UNDAMPED direct solve
    errors, u_last = lissa_path(hvp, v, u_direct, scale, damping, DEPTH)
    u_pkg, _ = lissa(model, X, y, v, scale=scale, damping=damping,
                     depth=DEPTH, warn=False)
    paths[label], finals[label] = errors, (u_last, u_pkg)
    print(f"{text:<30}"
          + "".join(f"{errors[j - 1]:12.1e}" for j in (100, 1000, DEPTH)))

# %% tags=["remove-input"]
for u_last, u_pkg in finals.values():  # the recursion above is the package's lissa
    np.testing.assert_allclose(u_last, u_pkg, rtol=1e-10,
                               atol=1e-12 * np.abs(u_pkg).max())

# %% tags=["hide-input", "remove-output"]
fig, ax = plt.subplots(figsize=(6.5, 4))
steps = np.arange(1, DEPTH + 1)
colors = ["C2", "C0", "C3", "C1"]
for (label, _, scale, damping), color in zip(settings, colors):
    ax.semilogy(steps, paths[label], color=color, label=label)
    if damping == 0:
        rho_s = max(abs(1 - eig[0] / scale), abs(1 - eig[-1] / scale))
        ax.semilogy(steps, paths[label][0] * rho_s ** (steps - 1),
                    color=color, ls=":", lw=1)
ax.set_xlabel("LiSSA depth J (full-batch steps)")
ax.set_ylabel("relative error against the undamped direct solve")
ax.set_ylim(1e-12, 10)
ax.legend(fontsize=9, loc="lower left")
ax.grid(True, which="both", alpha=0.3)
fig.tight_layout()

# %% tags=["remove-input"]
glue("fig-sol-lissa", fig, display=False)
plt.close(fig)
# the error of a setting after 100, 1000 or DEPTH steps
err_at = {text: paths[label][[99, 999, DEPTH - 1]]
          for label, text, *_ in settings}
path_numbers = {
    "sol-lissa-s055-1000": err_at["s = 0.55 lam_max"][1],
    "sol-lissa-s5-end": err_at["s = 5 lam_max"][2],
    "sol-lissa-damped-end": err_at["s = 1.1 lam_max, delta = lam"][2],
}
for key, value in path_numbers.items():
    glue(key, float(f"{value:.1e}"), display=False)
glue("sol-lissa-depth", DEPTH, display=False)

# %% [markdown]
# ```{glue:figure} fig-sol-lissa
# :alt: Semi-log plot of LiSSA's relative error against depth on digits for four settings. The largest scale decreases slowest; the default scale reaches about one percent at depth 1000; the scale 0.55 lambda max decreases about twice as fast; the damped run levels off at a plateau near one half. Dotted lines of the predicted rates follow the undamped curves.
# :name: fig-sol-lissa
#
# LiSSA's error on one digits test image against the recursion depth, for three scales and,
# at the default scale, with damping $\delta = \lambda$. Dotted lines: the predicted rate
# $\rho^J$ with $\rho = \max_\mu|1-\mu/s|$. The damped run converges quickly, but to the
# damped solution: its error against the undamped one levels off.
# ```
#
# {numref}`fig-sol-lissa` is {eq}`eq-sol-lissa-depth` at work. A generous scale
# ($5\lambda_{\max}$) is safe but slow: after {glue:text}`sol-lissa-depth` steps its error
# is still {glue:text}`sol-lissa-s5-end:.1e`. Halving the default scale to
# $0.55\,\lambda_{\max}$, just above the divergence threshold, halves the depth needed
# (error {glue:text}`sol-lissa-s055-1000:.1e` at depth 1000); the optimum is
# $s = (\mu_{\min}+\mu_{\max})/2$, but an underestimate of $\mu_{\max}$ there means
# divergence, which is why the default keeps a 10% margin. Damping by $\delta = \lambda$
# doubles the smallest eigenvalue and so halves the depth needed, but the series now
# converges to the damped solution, which differs from the undamped one by
# {glue:text}`sol-lissa-damped-end:.0%` for this test image: the bias that damping
# gave CG in {ref}`solvers`. The spectrum says why the bias is so large:

# %%
w = Q.T @ v  # the test gradient in the eigenbasis of H
x_eig = w / eig  # H^{-1} v in the eigenbasis
low = eig < 2 * L2
# the slowest direction v reaches is the first one above the null space
share_v = np.sum(w[low] ** 2) / np.sum(w**2)
share_x = np.sum(x_eig[low] ** 2) / np.sum(x_eig**2)
print(f"eigenvalues below 2 l2 carry {share_v:.0%} of |v|^2 "
      f"and {share_x:.0%} of |H^-1 v|^2")
# damping by l2 scales each component of H^-1 v by mu / (mu + l2)
damped_change = (np.linalg.norm(w / (eig + L2) - x_eig)
                 / np.linalg.norm(x_eig))

# %% tags=["remove-input"]
assert abs(w[n_at_l2]) > 1e-6 * np.linalg.norm(v)
np.testing.assert_allclose(
    damped_change, err_at["s = 1.1 lam_max, delta = lam"][2], rtol=1e-6)

# %% tags=["remove-input"]
share_numbers = {"sol-share-v": f"{share_v:.0%}",
                 "sol-share-x": f"{share_x:.0%}"}
for key, value in share_numbers.items():
    glue(key, value, display=False)

# %% [markdown]
# The {glue:text}`sol-n-within-2` directions with eigenvalues below $2\lambda$ carry only
# {glue:text}`sol-share-v` of $\lVert v\rVert^2$, but {glue:text}`sol-share-x` of
# $\lVert H^{-1}v\rVert^2$: dividing by a small eigenvalue magnifies them. (Their null-space
# part is exactly zero, as we saw; it is the directions just above $\lambda$ that count.) A
# damping $\delta = \lambda$ multiplies each of these components by
# $\mu/(\mu + \lambda)$, between one half and two thirds, which is the change measured. Any
# damping large enough to help LiSSA on this model changes the influence.
#
# A recipe for tuning LiSSA, in order:
#
# 1. **Scale.** Leave `scale=None` (power iteration, 10% margin) or set it just above an
#    upper bound of $\lambda_{\max}$; never below $\lambda_{\max}/2$. A `ConvergenceError`
#    means the scale is too small.
# 2. **Depth.** Take $J \approx (s/\mu_{\min})\ln(1/\text{rtol})$, with $\mu_{\min}$ at least
#    $\lambda + \delta$. A `ConvergenceWarning` names the residual reached; raise `depth`.
# 3. **Damping.** Only if the depth this needs is unaffordable, and then as small as will
#    do; it changes the influences, so check against CG or the direct solve on a subset.
# 4. **Mini-batches** (`batch_size`, `repeats`). They make each step cheap when $n$ is
#    large, at the price of noise that averaging over `repeats` reduces
#    (see the exercise on mini-batch LiSSA below).
#
# Following steps 1 and 2 on digits, with the scale that the default estimates:

# %%
scale = 1.1 * lam_max
# (lissa would warn if it failed)
u_tuned, info = lissa(model, X, y, v, scale=scale, depth=depth_needed)
err_tuned = rel_error(u_tuned, u_direct)
res_tuned = info.final_residual / np.linalg.norm(v)
print(f"depth {depth_needed}: converged {info.converged}, "
      f"relative residual {res_tuned:.1e} <= rtol 1e-3,")
print(f"  relative error against direct {err_tuned:.1e}")

# the residual (I - H/s)^(J+1) v after every depth J, from the spectrum
depths = np.arange(1, depth_needed + 1)
res_path = (np.linalg.norm((1 - eig / scale) ** (depths[:, None] + 1) * w,
                           axis=1) / np.linalg.norm(v))
depth_enough = int(depths[np.argmax(res_path <= 1e-3)])
print(f"the spectrum predicts this residual; 1e-3 is reached at depth "
      f"{depth_enough}")

# %% tags=["remove-input"]
np.testing.assert_allclose(res_path[-1], res_tuned, rtol=1e-6)

# %% tags=["remove-input"]
tuned_numbers = {
    "sol-lissa-tuned-err": float(f"{err_tuned:.1e}"),
    "sol-lissa-tuned-res": float(f"{res_tuned:.1e}"),
    "sol-depth-enough": depth_enough,
}
for key, value in tuned_numbers.items():
    glue(key, value, display=False)

# %% [markdown]
# No warning: the run converged, with an error of {glue:text}`sol-lissa-tuned-err:.1e`
# against the direct solve. Its residual, {glue:text}`sol-lissa-tuned-res:.1e`, is well
# below the target $10^{-3}$: the depth estimate {glue:text}`sol-depth-needed` is
# pessimistic. Its rate is right (the slowest direction that $v$ reaches has eigenvalue
# {glue:text}`sol-eig-above`$\,\lambda$), but it assumes that all of $v$ lies along that
# direction, while only {glue:text}`sol-share-v` of $\lVert v\rVert^2$ lies below
# $2\lambda$. With $v$'s own spectrum the residual reaches $10^{-3}$ at depth
# {glue:text}`sol-depth-enough`, which the cell finds from the eigen-decomposition after
# checking that it predicts the measured residual. CG got below
# {glue:text}`sol-digits-cg-err:.0e` in {glue:text}`sol-digits-cg-iters` iterations on the
# same model. For a model whose Hessian fits in memory there is little reason to prefer
# LiSSA; it earns its place when $n$ is so large that even one full Hessian-vector product
# is expensive.
#
# ## Where each method wins
#
# | situation | method | why |
# | --- | --- | --- |
# | $p$ up to a few thousand, or many right-hand sides ($4Tk \gtrsim p$) | direct | $H$ is formed and factored once; every influence after that is a triangular solve and a matrix product. Exact, no tuning. |
# | $p$ large, few right-hand sides, $\kappa$ moderate | CG | Only Hessian-vector products; $T \le \tfrac12\sqrt\kappa\ln(2\sqrt\kappa/\varepsilon)$ iterations, fewer with a clustered spectrum; reports its residual. |
# | $n$ very large, $H$ too big to form, or only stochastic Hessian-vector products available | LiSSA | Mini-batch steps cost $O(bpk)$; needs $J \sim \kappa$ steps, a safe scale and usually damping; noisy. |
# | $\kappa$ huge | damping, then CG | Damping is a change of model: report $\delta$ and check its effect on the influences. |
#
# ## Summary
#
# - LiSSA sums the Neumann series {eq}`eq-sol-lissa`. Each eigen-component of its error
#   shrinks by $|1-\mu/s|$ per step, so it diverges when the scale is below
#   $\lambda_{\max}/2$ (the package raises `ConvergenceError`), and needs a depth of order
#   $\kappa\ln(1/\varepsilon)$ otherwise (the package warns with the residual reached),
#   against CG's $\sqrt\kappa$.
# - The best scale is $(\mu_{\min}+\mu_{\max})/2$, but it lies close to the divergence
#   threshold; the default, 1.1 times the power-iteration estimate of $\lambda_{\max}$,
#   keeps a margin.
# - Damping speeds LiSSA up by raising $\mu_{\min}$, but it changes the answer: on digits,
#   $\delta = \lambda$ moved one test image's $H^{-1}v$ by
#   {glue:text}`sol-lissa-damped-end:.0%`, because most of it lies along eigenvalues just
#   above $\lambda$. Report the damping with the results.
# - A depth taken from the spectrum of $v$ itself, not the worst case, reached the target
#   residual; for a model whose Hessian fits in memory, CG or the direct solve is the better
#   choice.
#
# ## Exercises
#
# ```{exercise} The best LiSSA scale
# :label: ex-solvers-1
#
# Let $H$ have eigenvalues in $[\mu_{\min}, \mu_{\max}]$ and $A = H/s$.
#
# 1. Show that the recursion {eq}`eq-sol-lissa` gives $U_J/s = \sum_{j=0}^{J}(I-A)^j V/s$ and
#    that the error $U_J/s - H^{-1}V$ equals $-(I - A)^{J+1} H^{-1} V$.
# 2. Find the scale $s$ that minimises $\rho(s) = \max_\mu |1 - \mu/s|$, and the resulting
#    rate, in terms of $\kappa = \mu_{\max}/\mu_{\min}$.
# 3. Compare the depth this needs with CG's bound {eq}`eq-sol-cg-bound` for
#    $\kappa$ = {glue:text}`sol-kappa`, the digits model.
# ```
#
# ```{solution-start} ex-solvers-1
# :class: dropdown
# ```
#
# 1. By induction $U_J = \sum_{j=0}^{J}(I-A)^j V$. Since
#    $\sum_{j=0}^{J}(I-A)^j = A^{-1}(I - (I-A)^{J+1})$,
#    $U_J/s = (sA)^{-1}(I-(I-A)^{J+1})V = H^{-1}V - (I-A)^{J+1}H^{-1}V$ ($A$ and $H$
#    commute).
# 2. $\rho(s) = \max(|1-\mu_{\min}/s|, |1-\mu_{\max}/s|)$ is smallest when the two are equal,
#    $1 - \mu_{\min}/s = \mu_{\max}/s - 1$, i.e. $s^\star = (\mu_{\min}+\mu_{\max})/2$, with
#    $\rho^\star = (\kappa-1)/(\kappa+1)$.
# 3. Depth $\approx \ln(1/\varepsilon)/(-\ln\rho^\star) \approx \tfrac{\kappa}{2}\ln(1/\varepsilon)$:
#    about {glue:text}`sol-ex1-depth` steps for $\varepsilon = 10^{-3}$ on digits. CG's bound
#    gives $\tfrac{\sqrt\kappa}{2}\ln(2\sqrt\kappa/\varepsilon) \approx$
#    {glue:text}`sol-ex1-cg` iterations, and the clustered spectrum makes it fewer still.
#    Note also that $s^\star$ exceeds the divergence threshold $\mu_{\max}/2$ by only
#    $\mu_{\min}/2$, a fraction $1/\kappa$ of it: an estimate of $\mu_{\max}$ that is too
#    low by more than that fraction makes the series diverge.
#
# The cell checks each part on digits: part 1 with the explicit $H$ and $J = 5$, part 2 on a
# fine grid of scales.

# %%
# 1. the error of the recursion after J steps
s, J = 1.1 * lam_max, 5
step = np.eye(p) - H / s  # I - A
U = v.copy()
for _ in range(J):
    U = v + step @ U
x = np.linalg.solve(H, v)
np.testing.assert_allclose(U / s - x,
                           -np.linalg.matrix_power(step, J + 1) @ x,
                           rtol=1e-9, atol=1e-10 * np.abs(x).max())
# 2. the best scale and its rate
mu_min, mu_max = eig[0], eig[-1]
grid = np.linspace(0.5, 2.0, 150_001) * mu_max
rho = np.maximum(np.abs(1 - mu_min / grid), np.abs(1 - mu_max / grid))
np.testing.assert_allclose(grid[np.argmin(rho)], (mu_min + mu_max) / 2,
                           rtol=1e-5)
rho_star = (kappa - 1) / (kappa + 1)
np.testing.assert_allclose(rho.min(), rho_star, rtol=1e-7)
# 3. depth for eps = 1e-3 at the best scale, and CG's bound
ex1_depth = np.log(1e3) / -np.log(rho_star)
np.testing.assert_allclose(ex1_depth, kappa / 2 * np.log(1e3), rtol=1e-3)
ex1_cg = 0.5 * np.sqrt(kappa) * np.log(2 * np.sqrt(kappa) / 1e-3)
print(f"LiSSA at the best scale: depth {ex1_depth:.0f}; "
      f"CG's bound: {ex1_cg:.0f} iterations")

# %% tags=["remove-input"]
ex1_numbers = {"sol-ex1-depth": int(round(ex1_depth)),
               "sol-ex1-cg": int(round(ex1_cg))}
for key, value in ex1_numbers.items():
    glue(key, value, display=False)

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} How much damping does LiSSA need?
# :label: ex-solvers-2
#
# On the digits model, find the smallest damping $\delta$ (try a grid
# $10^{-4}, 2\cdot10^{-4}, 5\cdot10^{-4}, \dots$) for which `lissa(model, X, y, v, damping=δ, rng=0)`
# with the default depth 1000 converges without a warning. For that $\delta$, compute
# `influence_loss(..., damping=δ)` for the least confident test image and compare its ten
# most harmful and ten most helpful training images with the undamped ones. Would you
# report the damped ranking?
# ```
#
# ```{solution-start} ex-solvers-2
# :class: dropdown
# ```
#
# With the default scale the rate is $1 - (\lambda+\delta)/(1.1(\lambda_{\max}+\delta))$, so
# by {eq}`eq-sol-lissa-depth` depth 1000 reaches a residual of $10^{-3}$ once
# $(\lambda + \delta)/(1.1(\lambda_{\max}+\delta)) \gtrsim \ln(10^3)/1000$, that is
# $\delta \gtrsim$ {glue:text}`sol-ex2-delta:.1e`. The loop stops at the first grid value
# above that estimate:

# %%
# need (l2 + delta) / (1.1 (lam_max + delta)) >= ln(1e3) / 1000
c_need = np.log(1e3) / 1000 * 1.1
delta_needed = (c_need * lam_max - eig[0]) / (1 - c_need)
grid_deltas = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3]
for delta in grid_deltas:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            lissa(model, X, y, v, damping=delta, rng=0)
        except ConvergenceWarning:
            continue
    break
assert delta == min(d for d in grid_deltas if d > delta_needed)

x_w, y_w = X_test[[j_worst]], y_test[[j_worst]]
I0 = influence_loss(model, X, y, x_w, y_w)[0]
Id = influence_loss(model, X, y, x_w, y_w, damping=delta)[0]


def top10(I):
    """The ten most harmful and the ten most helpful training images."""
    order = np.argsort(I)
    return set(order[-10:]), set(order[:10])


same = [len(a & b) for a, b in zip(top10(I0), top10(Id))]
rho_damped = spearman(I0, Id)
print(f"damping {delta:g}: {same[0]} of the ten most harmful and "
      f"{same[1]} of the ten most helpful stay;")
print(f"rank correlation with the undamped influences {rho_damped:.2f}")
assert all(5 <= s_ < 10 for s_ in same) and rho_damped < 0.9

# %% tags=["remove-input"]
ex2_numbers = {"sol-ex2-delta": float(f"{delta_needed:.1e}"),
               "sol-ex2-found": delta, "sol-ex2-harm": same[0],
               "sol-ex2-help": same[1],
               "sol-ex2-rho": round(float(rho_damped), 2)}
for key, value in ex2_numbers.items():
    glue(key, value, display=False)

# %% [markdown]
# The damping found, {glue:text}`sol-ex2-found`, is larger than the model's own penalty, so
# the damped influences belong to a more regularised model. {glue:text}`sol-ex2-harm` of
# the ten most harmful and {glue:text}`sol-ex2-help` of the ten most helpful images stay,
# and the rank correlation over all training images drops to
# {glue:text}`sol-ex2-rho`. Report the damping with the ranking, or better use CG, which
# needs no damping here.
#
# ```{solution-end}
# ```
#
# ```{exercise} Mini-batch LiSSA
# :label: ex-solvers-3
#
# Run `lissa` on digits with a damping of $10^{-2}$, `batch_size=32`, `depth=1000` and
# `repeats` = 1, 4 and 16 (seed `rng=0`). Compute the relative error against the *damped*
# direct solve, `inverse_hvp(..., damping=1e-2)`, for each. Why does the error not fall
# below a floor when the depth grows, and how does the floor scale with `repeats` and
# `batch_size`? What does one mini-batch step cost compared with a full step?
# ```
#
# ```{solution-start} ex-solvers-3
# :class: dropdown
# ```
#
# We add a depth of 2000 to see the floor.

# %%
ref = inverse_hvp(model, X, y, v, damping=1e-2)
print(f"{'repeats':>8}{'depth 1000':>12}{'depth 2000':>12}")
mb_errors = {}
for r in (1, 4, 16):
    for depth in (1000, 2000):
        u, _ = lissa(model, X, y, v, damping=1e-2, batch_size=32,
                     depth=depth, repeats=r, rng=0, warn=False)
        mb_errors[r, depth] = rel_error(u, ref)
    print(f"{r:>8}{mb_errors[r, 1000]:>12.1e}{mb_errors[r, 2000]:>12.1e}")
# doubling the depth does not lower the error
assert all(mb_errors[r, 2000] > 0.5 * mb_errors[r, 1000]
           for r in (1, 4, 16))
# four times the repeats lowers it by a factor between 1.3 and 3.5
for r in (1, 4):
    assert 1.3 < mb_errors[r, 1000] / mb_errors[4 * r, 1000] < 3.5

# %% [markdown]
# Each step uses an unbiased but noisy estimate $\tilde H_j$ of $H$. The recursion
# forgets its past at the rate $\rho$, so the last $\sim 1/(1-\rho)$ steps' noise remains
# in $U_J$ however deep one goes: the error levels off at a floor set by the variance of
# $\tilde H_j$, which falls like $1/b$ with the batch size, and doubling the depth does not
# lower it. Averaging `repeats` independent runs divides the variance by `repeats`, so the
# error floor falls like $1/\sqrt{\text{repeats}}$: roughly halved for every fourfold
# increase, as the table shows within the noise of one seed. A step costs $4bpk$ flops
# instead of $4npk$, here $32/n$ of a full step with $n$ = {glue:text}`sol-n`. Mini-batches
# pay off only when $n$ is so large that the depth × repeats cheap, noisy steps cost less
# than the full-batch steps that reach the same accuracy.
#
# ```{solution-end}
# ```
#
# ```{exercise} Coursework: LiSSA from scratch
# :label: ex-solvers-7
#
# 1. Write `my_lissa(matvec, V, scale, damping, depth)` that runs the full-batch recursion
#    {eq}`eq-sol-lissa` with $H$ seen only through `matvec(U) = H @ U`, for `V` of shape
#    `(p,)` or `(p, k)`, and returns $U_J/s$. Check it with
#    `from influence_demo.coursework import check_lissa; check_lissa(my_lissa)`.
# 2. On the digits model, pass `model.hvp_operator(X, y)` as `matvec` and compare your
#    result for the block $V$ with `lissa(model, X, y, V, scale=..., depth=..., warn=False)`
#    at the same scale and depth.
# 3. Plot the relative residual $\lVert V - (H+\delta I)U\rVert/\lVert V\rVert$ of your
#    estimate $U$ against the depth, for the default scale and $\delta$ = 0 and $\lambda$,
#    and mark the depth {eq}`eq-sol-lissa-depth` predicts for $10^{-3}$.
# ```
#
# ```{solution-start} ex-solvers-7
# :class: dropdown
# ```
#
# Parts 1 and 2:

# %%
from influence_demo.coursework import check_lissa


def my_lissa(matvec, V, scale, damping, depth):
    """U_J / s of the LiSSA recursion, full batch."""
    U = V.copy()
    for _ in range(depth):
        U = V + U - (matvec(U) + damping * U) / scale
    return U / scale


assert check_lissa(my_lissa)
hvp_op = model.hvp_operator(X, y)
s7 = 1.1 * lam_max
U_mine = my_lissa(hvp_op, V, s7, 0.0, 300)
U_pkg, _ = lissa(model, X, y, V, scale=s7, depth=300, warn=False)
np.testing.assert_allclose(U_mine, U_pkg, rtol=1e-10,
                           atol=1e-12 * np.abs(U_pkg).max())
print("my_lissa agrees with the package at depth 300")

# %% [markdown]
# Part 3: one recursion records the residual after every step; the dotted lines are the
# predicted depth $\ln 10^{-3}/\ln(1 - \mu_{\min}/s)$ with $\mu_{\min} = \lambda + \delta$.

# %% tags=["remove-output"]
fig, ax = plt.subplots(figsize=(6.5, 3.6))
reached, predicted = {}, {}
for delta7, color in ((0.0, "C0"), (L2, "C1")):
    s_d = 1.1 * (lam_max + delta7)
    U, res = V.copy(), []
    for _ in range(3000):
        U = V + U - (hvp_op(U) + delta7 * U) / s_d
        res.append(np.linalg.norm(V - (hvp_op(U / s_d) + delta7 * U / s_d))
                   / np.linalg.norm(V))
    reached[delta7] = int(np.argmax(np.array(res) <= 1e-3)) + 1
    predicted[delta7] = np.log(1e-3) / np.log(1 - (eig[0] + delta7) / s_d)
    ax.semilogy(np.arange(1, 3001), res, color=color,
                label=rf"$\delta$ = {delta7:g}")
    ax.axvline(predicted[delta7], color=color, ls=":", lw=1)
ax.axhline(1e-3, color="0.5", lw=1)
ax.set_xlabel("depth J")
ax.set_ylabel("relative residual of the block V")
ax.legend(fontsize=9)
ax.grid(True, which="both", alpha=0.3)
fig.tight_layout()

# %% tags=["remove-input"]
glue("fig-sol-ex7", fig, display=False)
plt.close(fig)
for delta7 in reached:  # each run reaches 1e-3 before its predicted depth
    assert 1 < reached[delta7] < predicted[delta7]

# %% [markdown]
# ```{glue:figure} fig-sol-ex7
# :alt: Semi-log plot of LiSSA's relative residual for the digits test block against depth, undamped and damped by lambda; both fall, the damped one faster, and each reaches one in a thousand before the dotted depth predicted for it.
# :name: fig-sol-ex7
#
# The residual of `my_lissa` on the digits test block against the depth, with the default
# scale; dotted: the worst-case depth {eq}`eq-sol-lissa-depth` for a residual of $10^{-3}$.
# ```
#
# Both curves fall below $10^{-3}$ before the predicted depth (checked in the cell
# above): the prediction assumes all of $V$ lies along the slowest direction. The damped
# run is about twice as fast, and converges to the damped solution.
#
# ```{solution-end}
# ```
#
#
# ## References
#
# - {cite:t}`agarwal2017second` propose LiSSA; {cite:t}`koh2017understanding` use it and CG
#   to compute influences of large models.
# - {cite:t}`nocedal2006numerical` (chapter 5) give the CG bound LiSSA is compared with.
# - {cite:t}`basu2021influence` find, for deep networks, that the accuracy of influence
#   estimates depends on the network's architecture, its depth and width, how far it is
#   over-parameterised, weight decay, and the test point (their abstract lists these
#   findings). {cite:t}`bae2022if` show that with damping, as with the other departures
#   from the textbook setting, an influence estimate approximates the response of a
#   proximal objective rather than leave-one-out retraining (their Table 1): damping is a
#   choice of what to measure.
