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
# (solvers)=
# # Solvers at scale: direct, CG and LiSSA
#
# Every influence in this book is a product with the inverse Hessian,
# $\mathcal I_{\text{up,loss}}(z, z_{\text{test}}) = -\nabla L(z_{\text{test}})^\top H^{-1}\nabla L(z)$
# ({eq}`nt-iup-loss`). So far $H$ has been small enough to factor. This chapter asks what to
# do when it is not, and compares the three solvers of `influence_demo.inverse_hvp`: the
# direct Cholesky solve, conjugate gradient (CG) on Hessian-vector products
# {cite:p}`hestenes1952methods,pearlmutter1994fast`, and the stochastic Neumann series LiSSA
# {cite:p}`agarwal2017second` that {cite:t}`koh2017understanding` use for large models.
# It measures each one on the digits model of {ref}`digits_influence` and on a generated
# problem whose size you can raise.
#
# By the end of this chapter you will be able to:
#
# - predict the cost of each solver from $n$, $p$, the number of right-hand sides and the
#   number of iterations, and say where each one wins;
# - relate the number of CG iterations to the condition number and the spectrum of $H$, and
#   use damping knowingly, as a trade of bias for speed;
# - choose LiSSA's scale, depth and damping, and read the package's error and warning when
#   they are wrong;
# - time numerical code fairly (best of several repeats) with `influence_demo.benchmark`.
#
# Timings in this chapter were measured when the notebook ran, on whatever machine ran it;
# yours will differ. Iteration counts and errors are the same on every run. When the book's
# tests run the chapters, two notebooks run at once with one BLAS thread each, so the stored
# timings are single-core.

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
    spearman,
)
from influence_demo.benchmark import (
    best_time,
    format_ratio,
    format_time,
    solver_scaling,
)



def ms(seconds):
    """A time as '<number> ms', a form the notebook tests normalise."""
    return format_time(seconds, unit="ms")


def below(error):
    """An error as the power of ten above it.

    Its leading digits depend on rounding.
    """
    return float(10.0 ** np.ceil(np.log10(error)))


def rel_error(U, U_ref):
    """Largest relative 2-norm error of a column of U against U_ref."""
    U, U_ref = U.reshape(len(U), -1), U_ref.reshape(len(U_ref), -1)
    errors = (np.linalg.norm(U - U_ref, axis=0)
              / np.linalg.norm(U_ref, axis=0))
    return float(np.max(errors))


# %% [markdown]
# ## Three ways to apply $H^{-1}$
#
# All three solvers return $U = (H + \delta I)^{-1} V$ for a block $V$ of $k$ right-hand
# sides (for example the gradients of $k$ test points), with an optional damping
# $\delta \ge 0$. For the linear models of this book
# $H = X^\top \operatorname{diag}(c) X + \lambda I$, and a Hessian-vector product
# $HV = X^\top(c \odot XV) + \lambda V$ costs two passes over $X$, about $4npk$ flops,
# without ever forming $H$. Counting flops,
#
# $$
# \begin{aligned}
# \text{direct: } & \underbrace{np^2}_{\text{form } H}
# + \underbrace{p^3/3}_{\text{Cholesky}}
# + \underbrace{2p^2k}_{\text{solves}}, \\
# \text{CG: } & T \cdot 4npk, \\
# \text{LiSSA: } & J \cdot 4npk
# \ \ (\text{or } J \cdot 4bpk \text{ with mini-batches of } b),
# \end{aligned}
# $$ (eq-sol-cost)
#
# where $T$ is the number of CG iterations and $J$ the LiSSA recursion depth. The direct
# solve pays for $H$ once, then every extra right-hand side is nearly free. The iterative
# methods pay per right-hand side and per iteration, but their memory is $O(pk)$ rather
# than $O(p^2)$, and they need nothing but Hessian-vector products, which is why they are
# the only option for a network with millions of parameters. Comparing the first two terms,
# **CG beats the direct solve roughly when $4Tk < p$**: few iterations, few right-hand sides,
# many parameters.
#
# ## The digits model
#
# We use the model of {ref}`digits_influence`: L2-regularised logistic regression on the
# bundled 8×8 digits, 1 against 7, with an intercept, here with a small penalty
# $\lambda = 10^{-3}$.

# %%
L2 = 1e-3
X_train, y_train, X_test_raw, y_test = load_digits_pair(1, 7)
X, X_test = add_intercept(X_train), add_intercept(X_test_raw)
y = y_train
model = LogisticRegression(l2=L2).fit(X, y)
n, p = X.shape

H = model.hessian(X, y)
eig = np.linalg.eigvalsh(H)
kappa = eig[-1] / eig[0]
n_at_l2 = int(np.sum(eig < L2 * (1 + 1e-9)))
n_within_2 = int(np.sum(eig < 2 * L2))
# one column per test image: the k right-hand sides
V = model.grad(X_test, y_test).T
k = V.shape[1]

print(f"n = {n} training images, p = {p} parameters, "
      f"k = {k} test images, l2 = {L2:g}")
print(f"Newton's method: {model.n_iter_} iterations, "
      f"gradient norm below 1e-10: {model.grad_norm_ < 1e-10}")
print(f"eigenvalues of H: smallest {eig[0]:.4g}, largest {eig[-1]:.4g}, "
      f"condition number {kappa:.0f}")
print(f"eigenvalues equal to l2: {n_at_l2}; "
      f"below 2 * l2: {n_within_2} of {p}")

glue("sol-n", n, display=False)
glue("sol-p", p, display=False)
glue("sol-k", k, display=False)
glue("sol-l2", L2, display=False)
glue("sol-lam-max", round(float(eig[-1]), 4), display=False)
glue("sol-kappa", round(float(kappa)), display=False)
glue("sol-n-at-l2", n_at_l2, display=False)
glue("sol-n-within-2", n_within_2, display=False)

# %% [markdown]
# The condition number $\kappa = \lambda_{\max}/\lambda_{\min}$ is
# {glue:text}`sol-kappa`. The smallest eigenvalue is exactly the penalty $\lambda$:
# {glue:text}`sol-n-at-l2` eigenvalues equal it, because some pixels are blank in every
# training image (and one combination of pixels is constant), so the data add no curvature
# in those directions. The classes are almost separable, so most points are fitted with
# probability near 0 or 1 and carry curvature $c_i = \sigma(s_i)(1-\sigma(s_i)) \approx 0$:
# {glue:text}`sol-n-within-2` of the {glue:text}`sol-p` eigenvalues lie below $2\lambda$.
# Keep this clustered spectrum in mind; it is why CG will do much better here than its
# worst case.
#
# ### Error and time on digits
#
# We solve for all {glue:text}`sol-k` test gradients at once, the block that
# `influence_loss` needs, with each method at its default settings (CG to a relative
# residual of $10^{-8}$). Each time is the best of five runs with
# `influence_demo.benchmark.best_time`; the error is the largest relative error of a column
# against the direct solve.

# %% tags=["timing"]
# Timing cell: the printed times vary from run to run; the notebook tests
# normalise "<number> ms" (see tests/nbval_sanitize.cfg), and compare
# everything else exactly.
t_direct, U_direct = best_time(inverse_hvp, model, X, y, V, repeats=5)
t_cg, (U_cg, info_cg) = best_time(
    inverse_hvp, model, X, y, V, method="cg", rtol=1e-8, return_info=True,
    repeats=5,
)
t_lissa, (U_lissa, info_lissa) = best_time(
    inverse_hvp, model, X, y, V, method="lissa", rng=0, warn=False,
    return_info=True, repeats=2,
)
err_cg = "< " + format(below(rel_error(U_cg, U_direct)), ".0e")
err_lissa = rel_error(U_lissa, U_direct)
# Times come last on each line, unpadded, so that only the numbers change
# between runs.
print(f"{'method':<18}{'iterations':>11}{'converged':>11}"
      f"{'error vs direct':>17}   time (best run)")
print(f"{'direct (Cholesky)':<18}{'-':>11}{'-':>11}{'-':>17}   "
      f"{ms(t_direct)}")
print(f"{'CG, rtol = 1e-8':<18}{info_cg.n_iter:>11}"
      f"{str(info_cg.converged):>11}{err_cg:>17}   {ms(t_cg)}")
print(f"{'LiSSA, depth 1000':<18}{info_lissa.n_iter:>11}"
      f"{str(info_lissa.converged):>11}{err_lissa:>17.1e}   {ms(t_lissa)}")

glue("sol-digits-t-direct", ms(t_direct), display=False)
glue("sol-digits-t-cg", ms(t_cg), display=False)
glue("sol-digits-t-lissa", ms(t_lissa), display=False)
glue("sol-digits-cg-iters", info_cg.n_iter, display=False)
glue("sol-digits-cg-err", below(rel_error(U_cg, U_direct)), display=False)
cg_bound = int(round(0.5 * np.sqrt(kappa) * np.log(2 / 1e-8)))
glue("sol-digits-cg-bound", cg_bound, display=False)
glue("sol-digits-lissa-err", float(f"{err_lissa:.1e}"), display=False)

# %% [markdown]
# With $p$ = {glue:text}`sol-p` the direct solve wins outright on this run
# ({glue:text}`sol-digits-t-direct`, against {glue:text}`sol-digits-t-cg` for CG and
# {glue:text}`sol-digits-t-lissa` for LiSSA): forming a {glue:text}`sol-p` ×
# {glue:text}`sol-p` Hessian is trivial. CG
# reaches the direct answer to a relative error below {glue:text}`sol-digits-cg-err:.0e` in
# {glue:text}`sol-digits-cg-iters` iterations. LiSSA, run with its defaults, stops with an
# error of {glue:text}`sol-digits-lissa-err:.0e`, and would have said so with a
# `ConvergenceWarning` had we not passed `warn=False`; {ref}`sol-lissa` explains why and
# how to fix it.
#
# CG needed {glue:text}`sol-digits-cg-iters` iterations for a problem with $p$ =
# {glue:text}`sol-p`. In exact arithmetic CG stops after at most as many iterations as $H$
# has *distinct* eigenvalues, hence at most $p$ ({ref}`logistic_cg` derives this). Here
# {glue:text}`sol-n-at-l2` eigenvalues coincide and most of the others are bunched just
# above them, so CG behaves as if $H$ had far fewer distinct eigenvalues: the worst-case
# bound of the next section allows {glue:text}`sol-digits-cg-bound` iterations for this
# condition number.
#
# ## A generated problem you can scale
#
# The digits are too small to show a crossover. `influence_demo.benchmark.solver_scaling`
# generates L2 logistic regressions ($\lambda = 1$, Gaussian features,
# $n = \max(2000, 4p)$ training points), fits each by Newton's method and times
# `inverse_hvp` by every method from the fitted model, so that the direct time includes
# forming $H$. The default sizes below keep this notebook fast. **To see the regime of large
# models, raise `P_VALUES` to `(25, 50, 100, 200, 400, 1000, 2000)`**: the whole chapter
# then takes several minutes, most of it fitting the largest models and running CG on
# {glue:text}`sol-k-many` right-hand sides.

# %% tags=["timing"]
# Timing cell: times and ratios vary from run to run (normalised by the
# notebook tests).
P_VALUES = (25, 50, 100, 200, 400)
K_MANY = 100
LISSA_DEPTH = 100
REPEATS = 5  # best of 5: the least noisy estimate on a busy machine
rows_one = solver_scaling(
    P_VALUES, k=1, methods=("cg", "lissa"), repeats=REPEATS,
    cg_options={"rtol": 1e-8}, lissa_options={"depth": LISSA_DEPTH},
)
rows_many = solver_scaling(
    P_VALUES, k=K_MANY, methods=("cg",), repeats=REPEATS,
    cg_options={"rtol": 1e-8},
)

print("one right-hand side (k = 1); "
      f"LiSSA with its default scale and depth {LISSA_DEPTH}")
print(f"{'p':>5} {'n':>5} {'cond(H)':>8} {'CG iters':>9} {'CG error':>9} "
      f"{'LiSSA error':>12}")
for r in rows_one:
    print(f"{r['p']:>5} {r['n']:>5} {r['cond']:>8.2f} {r['n_iter_cg']:>9} "
          f"{r['error_cg']:>9.1e} {r['error_lissa']:>12.1e}")
print(f"\n{'p':>5}   time: direct / CG / LiSSA")
for r in rows_one:
    print(f"{r['p']:>5}   {ms(r['time_direct'])} / {ms(r['time_cg'])} / "
          f"{ms(r['time_lissa'])}")
print(f"\n{K_MANY} right-hand sides (k = {K_MANY})")
print(f"{'p':>5} {'CG iters':>9} {'CG error':>9}   time: direct / CG")
for r in rows_many:
    print(f"{r['p']:>5} {r['n_iter_cg']:>9} {r['error_cg']:>9.1e}   "
          f"{ms(r['time_direct'])} / {ms(r['time_cg'])}")

big1, bigk = rows_one[-1], rows_many[-1]
glue("sol-pmax", big1["p"], display=False)
glue("sol-big-n", big1["n"], display=False)
glue("sol-big-cond", round(big1["cond"], 1), display=False)
glue("sol-big-iters", big1["n_iter_cg"], display=False)
glue("sol-big-4tk", 4 * big1["n_iter_cg"], display=False)
glue("sol-big-4tk-many", 4 * bigk["n_iter_cg"] * K_MANY, display=False)
glue("sol-k-many", K_MANY, display=False)
glue("sol-big-t-direct", ms(big1["time_direct"]), display=False)
glue("sol-big-t-cg", ms(big1["time_cg"]), display=False)
glue("sol-big-t-lissa", ms(big1["time_lissa"]), display=False)
big_ratio = format_ratio(big1["time_direct"] / big1["time_cg"])
glue("sol-big-ratio", big_ratio, display=False)
glue("sol-bigk-t-direct", ms(bigk["time_direct"]), display=False)
glue("sol-bigk-t-cg", ms(bigk["time_cg"]), display=False)
glue("sol-big-cg-err", float(f"{big1['error_cg']:.1e}"), display=False)
glue("sol-big-lissa-err", float(f"{big1['error_lissa']:.1e}"),
     display=False)

# %%
fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8), sharey=True)
ps = [r["p"] for r in rows_one]
panels = (
    (axes[0], rows_one, "one right-hand side (k = 1)",
     ("direct", "cg", "lissa")),
    (axes[1], rows_many, f"{K_MANY} right-hand sides (k = {K_MANY})",
     ("direct", "cg")),
)
for ax, rows, title, methods in panels:
    for method, marker in zip(methods, "osd"):
        label = {"direct": "direct (Cholesky)", "cg": "CG (rtol 1e-8)",
                 "lissa": f"LiSSA (depth {LISSA_DEPTH})"}[method]
        ax.loglog(ps, [1e3 * r[f"time_{method}"] for r in rows],
                  marker=marker, label=label)
    ax.set_xticks(ps, [str(q) for q in ps])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_xlabel("number of parameters p")
    ax.set_title(title, fontsize="medium")
    ax.grid(True, which="both", alpha=0.3)
axes[0].set_ylabel(f"time to solve (ms, best of {REPEATS})")
axes[0].legend(fontsize="small")
fig.tight_layout()
glue("fig-sol-timing", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-sol-timing
# :alt: Two log-log panels of solve time in milliseconds against the number of parameters p. With one right-hand side the direct solve's time grows fastest with p and CG is the fastest at the largest p, with LiSSA slower than CG throughout. With 100 right-hand sides CG is slower than the direct solve at every p shown.
# :name: fig-sol-timing
#
# Time to compute $(H+\delta I)^{-1}V$ on generated L2 logistic regressions, measured when
# this notebook ran by `influence_demo.benchmark.solver_scaling` (best of 5). Left: one
# right-hand side, the `s_test` vector of {cite:t}`koh2017understanding`. Right:
# {glue:text}`sol-k-many` right-hand sides.
# ```
#
# {numref}`fig-sol-timing` follows the cost model {eq}`eq-sol-cost`. These Gaussian
# problems are well conditioned (the condition number at $p$ = {glue:text}`sol-pmax` is
# {glue:text}`sol-big-cond`), so CG needs only {glue:text}`sol-big-iters` iterations. With
# one right-hand side, $4Tk$ = {glue:text}`sol-big-4tk` is far below $p$, and on this run
# CG took {glue:text}`sol-big-t-cg` against {glue:text}`sol-big-t-direct` for the direct
# solve (a speed-up of {glue:text}`sol-big-ratio`); the gap widens as $p$ grows, because
# forming $H$ costs $np^2$ and CG costs $Tnp$. With {glue:text}`sol-k-many` right-hand
# sides $4Tk$ = {glue:text}`sol-big-4tk-many` exceeds $p$ and the direct solve wins
# ({glue:text}`sol-bigk-t-direct` against {glue:text}`sol-bigk-t-cg`). LiSSA, at a fixed
# depth, costs a constant multiple of CG (here 100 steps plus 30 steps of power iteration
# for its scale, against CG's {glue:text}`sol-big-iters` iterations) and is less accurate:
# its error at $p$ = {glue:text}`sol-pmax` is {glue:text}`sol-big-lissa-err:.0e` against
# CG's {glue:text}`sol-big-cg-err:.0e`. With the full data LiSSA never beats CG; its
# advantage is mini-batches, which make each step cost $O(bpk)$ instead of $O(npk)$ when
# $n$ is huge.
#
# ## CG iterations and the condition number
#
# The classical bound for CG {cite:p}`nocedal2006numerical` says the error in the
# $H$-norm shrinks at least like $2\bigl((\sqrt\kappa-1)/(\sqrt\kappa+1)\bigr)^T$, so that
# reaching a relative accuracy $\varepsilon$ takes at most about
#
# $$
# T(\varepsilon) \approx \tfrac12 \sqrt{\kappa}\,\ln(2/\varepsilon)
# $$ (eq-sol-cg-bound)
#
# iterations. To see it, we make a generated problem ($n$ = 2000, $p$ = 100,
# $\lambda = 10^{-3}$) ill-conditioned on purpose by scaling its columns over $a$ decades,
# $x_{ij} \to 10^{-a\,j/(p-1)}\,x_{ij}$, and count CG iterations to a relative residual of
# $10^{-8}$ for one right-hand side.

# %%
rng = np.random.default_rng(0)
P_COND, N_COND, L2_COND, RTOL = 100, 2000, 1e-3, 1e-8
theta_star = rng.normal(scale=1 / np.sqrt(P_COND), size=P_COND)
Z = rng.standard_normal((N_COND + 1, P_COND))
prob = 1 / (1 + np.exp(-Z @ theta_star))
labels = (rng.uniform(size=N_COND + 1) < prob).astype(float)

print(f"{'decades a':>9} {'cond(H)':>9} {'CG iterations':>14} "
      f"{'bound':>7}")
cond_study = []
for a in np.linspace(0, 3, 7):
    Xa = Z * 10.0 ** (-a * np.arange(P_COND) / (P_COND - 1))
    m_a = LogisticRegression(l2=L2_COND).fit(Xa[:-1], labels[:-1])
    ev = np.linalg.eigvalsh(m_a.hessian(Xa[:-1], labels[:-1]))
    v = m_a.grad(Xa[-1:], labels[-1:])[0]
    _, info = inverse_hvp(m_a, Xa[:-1], labels[:-1], v, method="cg",
                          rtol=RTOL, maxiter=20 * P_COND, return_info=True)
    bound = 0.5 * np.sqrt(ev[-1] / ev[0]) * np.log(2 / RTOL)
    cond_study.append((ev[-1] / ev[0], info.n_iter))
    print(f"{a:>9.1f} {ev[-1] / ev[0]:>9.3g} {info.n_iter:>14} "
          f"{bound:>7.0f}")
cond_study = np.array(cond_study)
glue("sol-cond-min-iters", int(cond_study[0, 1]), display=False)
glue("sol-cond-max-iters", int(cond_study[-1, 1]), display=False)
glue("sol-cond-max-kappa", float(f"{cond_study[-1, 0]:.2g}"),
     display=False)
glue("sol-cond-p", P_COND, display=False)
first_over_p = int(np.argmax(cond_study[:, 1] > P_COND))
kappa_over_p = float(f"{cond_study[first_over_p, 0]:.2g}")
glue("sol-cond-over-p-kappa", kappa_over_p, display=False)

# %% [markdown]
# The iteration count grows roughly like $\sqrt\kappa$ and stays below the bound
# {eq}`eq-sol-cg-bound`, from {glue:text}`sol-cond-min-iters` iterations for the raw data
# to {glue:text}`sol-cond-max-iters` at $\kappa \approx$ {glue:text}`sol-cond-max-kappa:.0e`.
# From $\kappa \approx$ {glue:text}`sol-cond-over-p-kappa:.0e` on, CG needs *more* than
# $p$ = {glue:text}`sol-cond-p` iterations: the "at most $p$ steps" of exact arithmetic
# ({ref}`logistic_cg`) does not survive rounding, because the search directions slowly lose
# their $H$-orthogonality. The package's `cg` therefore defaults, like scipy's, to
# `maxiter = 10 * p`, and warns if it stops short.
#
# ### Damping
#
# The usual cure for slow CG is damping: solve with $H + \delta I$ instead of $H$. That
# lowers the condition number to $(\lambda_{\max}+\delta)/(\lambda_{\min}+\delta)$, but it
# changes the answer, and with it every influence. On digits we measure both effects for
# all {glue:text}`sol-k` test images: the CG iterations, and the relative change of the
# whole influence matrix `influence_loss` ($k \times n$) against the undamped one.

# %%
I_exact = influence_loss(model, X, y, X_test, y_test)
dampings = np.array([0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0])
print(f"{'damping':>8}{'cond(H + dI)':>14}{'CG':>12}{'change in':>12}"
      f"{'rank corr.,':>13}")
print(f"{'':>8}{'':>14}{'iterations':>12}{'influences':>12}"
      f"{'worst image':>13}")
damp_study = []
for delta in dampings:
    _, info = inverse_hvp(model, X, y, V, method="cg", damping=delta,
                          rtol=1e-8, return_info=True)
    I_d = influence_loss(model, X, y, X_test, y_test, damping=delta)
    change = np.linalg.norm(I_d - I_exact) / np.linalg.norm(I_exact)
    rho = min(spearman(I_d[j], I_exact[j]) for j in range(k))
    kappa_d = (eig[-1] + delta) / (eig[0] + delta)
    damp_study.append((delta, kappa_d, info.n_iter, change, rho))
    print(f"{delta:>8g}{kappa_d:>14.3g}{info.n_iter:>12}"
          f"{change:>12.2e}{rho:>13.3f}")
damp_study = np.array(damp_study)
row = dict(zip(dampings, damp_study))
glue("sol-damp-iters-0", int(row[0.0][2]), display=False)
glue("sol-damp-iters-l2", int(row[1e-3][2]), display=False)
glue("sol-damp-change-l2", float(f"{row[1e-3][3]:.2g}"), display=False)
glue("sol-damp-rho-l2", round(float(row[1e-3][4]), 3), display=False)
glue("sol-damp-iters-big", int(row[1e-1][2]), display=False)
glue("sol-damp-change-big", float(f"{row[1e-1][3]:.2g}"), display=False)
glue("sol-damp-change-small", float(f"{row[1e-5][3]:.2g}"), display=False)

# %%
fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8))
ax = axes[0]
ax.loglog(cond_study[:, 0], cond_study[:, 1], "o-",
          label=f"generated, p = {P_COND}, scaled columns")
ax.loglog(damp_study[:, 1], damp_study[:, 2], "s-",
          label=f"digits, p = {p}, damping varied")
kk = np.logspace(0, np.log10(cond_study[:, 0].max()) + 0.2, 50)
ax.loglog(kk, 0.5 * np.sqrt(kk) * np.log(2 / RTOL), "k--", lw=1,
          label=r"bound $\frac{1}{2}\sqrt{\kappa}\ln(2/\varepsilon)$")
ax.axhline(P_COND, color="0.5", ls=":", lw=1, label=f"p = {P_COND}")
ax.set_xlabel(r"condition number $\kappa$ of $H + \delta I$")
ax.set_ylabel("CG iterations to relative residual 1e-8")
ax.legend(fontsize="x-small")
ax.grid(True, which="both", alpha=0.3)
ax = axes[1]
pos = damp_study[:, 0] > 0
ax.loglog(damp_study[pos, 0], damp_study[pos, 3], "s-", color="C1")
ax.set_xlabel(r"damping $\delta$ (digits, $\lambda$ = 1e-3)")
ax.set_ylabel("relative change of all influences", color="C1")
ax.axvline(L2, color="0.5", ls=":", lw=1)
ax.grid(True, which="both", alpha=0.3)
ax2 = ax.twinx()
ax2.semilogx(damp_study[pos, 0], damp_study[pos, 2], "o--", color="C0")
ax2.axhline(damp_study[0, 2], color="C0", ls=":", lw=1)
ax2.set_ylabel("CG iterations (dotted: no damping)", color="C0")
fig.tight_layout()
glue("fig-sol-cg-cond", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-sol-cg-cond
# :alt: Left, log-log plot of CG iterations against the condition number. The generated problem's iterations rise roughly like the square root of kappa below the dashed bound and cross the dotted line p = 100; the digits points lie far below the bound. Right, against damping on a log axis, the relative change of the influences rises steadily while the number of CG iterations falls.
# :name: fig-sol-cg-cond
#
# Left: CG iterations against the condition number, for a generated problem made
# ill-conditioned by scaling its columns and for digits with increasing damping, with the
# bound {eq}`eq-sol-cg-bound`. Right: on digits, damping cuts the iterations (blue, right
# axis) but changes every influence (orange, left axis); the dotted vertical line is the
# model's own penalty $\lambda$.
# ```
#
# The left panel of {numref}`fig-sol-cg-cond` shows the two regimes. The generated problem
# has eigenvalues spread evenly over $\kappa$ and follows the $\sqrt\kappa$ law; digits, with
# its clustered spectrum, needs far fewer iterations than its condition number suggests.
# The bound is an upper bound, not a prediction.
#
# The right panel is the price. Without damping CG takes {glue:text}`sol-damp-iters-0`
# iterations on digits. A damping equal to the penalty, $\delta = \lambda$, cuts that to
# {glue:text}`sol-damp-iters-l2`, but changes the influence matrix by
# {glue:text}`sol-damp-change-l2:.0%` (the worst test image keeps a rank correlation of
# {glue:text}`sol-damp-rho-l2` with the exact ranking). At $\delta = 0.1$ CG needs only
# {glue:text}`sol-damp-iters-big` iterations, and the influences have changed by
# {glue:text}`sol-damp-change-big:.0%`: we are now computing the influences of a different,
# much more regularised model. Damping that is small next to the smallest eigenvalue, such
# as $\delta = 10^{-5}$ here (a change of {glue:text}`sol-damp-change-small:.0e`), is
# harmless; damping larger than $\lambda_{\min}$ is a modelling decision, not a numerical
# detail {cite:p}`bae2022if,basu2021influence`. Report it.
#
# (sol-lissa)=
# ## LiSSA: scale, depth and damping
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
#   is $1 - \mu_{\min}/s$, so reaching a residual $\varepsilon$ takes a depth of about
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
glue("sol-lam-max-half", round(lam_max / 2, 4), display=False)

# %% [markdown]
# The scale $0.4\,\lambda_{\max}$ is below $\lambda_{\max}/2$ =
# {glue:text}`sol-lam-max-half`, so the component along the top eigenvector grows by a
# factor $|1 - 1/0.4| = 1.5$ per step. The package stops as soon as the iterates blow up
# and raises a `ConvergenceError` that names the cause, instead of returning `inf` or a
# number that merely looks plausible.
#
# With the default scale the series converges, but slowly: by
# {eq}`eq-sol-lissa-depth` digits needs a depth of about
# $(1.1\,\lambda_{\max}/\lambda_{\min}) \ln 10^3 \approx$ {glue:text}`sol-depth-needed` to
# reach a relative residual of $10^{-3}$, and the default depth is 1000. The package checks the
# result with one exact Hessian-vector product and warns:

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
glue("sol-depth-needed", depth_needed, display=False)
glue("sol-lissa-default-err", float(f"{err_default:.2g}"), display=False)

# %% [markdown]
# The residual is what the package can measure; the error against the direct solve, which
# in practice you do not have, is {glue:text}`sol-lissa-default-err:.1%`. There are three
# ways out: raise the depth to about {glue:text}`sol-depth-needed`, lower the scale towards
# its optimum, or add damping. To compare them we run the recursion {eq}`eq-sol-lissa`
# from scratch, recording the error after every step, and check its last iterate against
# the package.

# %%
hvp = model.hvp_operator(X, y)  # the package's H @ V, validated once


def lissa_path(scale, damping, depth):
    """Relative error of U_j / scale after each step j.

    The error is measured against the UNDAMPED direct solve.
    """
    u, errors = v.copy(), np.empty(depth)
    for j in range(depth):
        u = v + u - (hvp(u) + damping * u) / scale
        errors[j] = (np.linalg.norm(u / scale - u_direct)
                     / np.linalg.norm(u_direct))
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
paths = {}
for label, text, scale, damping in settings:
    errors, u_last = lissa_path(scale, damping, DEPTH)
    u_pkg, _ = lissa(model, X, y, v, scale=scale, damping=damping,
                     depth=DEPTH, warn=False)
    np.testing.assert_allclose(u_last, u_pkg, rtol=1e-10,
                               atol=1e-12 * np.abs(u_pkg).max())
    paths[label] = errors
    print(f"{text:<30}"
          + "".join(f"{errors[j - 1]:12.1e}" for j in (100, 1000, DEPTH)))

# %%
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
ax.legend(fontsize="small", loc="lower left")
ax.grid(True, which="both", alpha=0.3)
fig.tight_layout()
glue("fig-sol-lissa", fig, display=False)
plt.close(fig)

err_at = {label: paths[label][[99, 999, DEPTH - 1]]
          for label, *_ in settings}


def err_glue(key, setting, column):
    """Glue the error of a setting after 100, 1000 or DEPTH steps."""
    value = err_at[settings[setting][0]][column]
    glue(key, float(f"{value:.1e}"), display=False)


err_glue("sol-lissa-s055-1000", 2, 1)
err_glue("sol-lissa-s5-end", 0, 2)
err_glue("sol-lissa-damped-end", 3, 2)
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
# is still {glue:text}`sol-lissa-s5-end:.0e`. Halving the default scale to
# $0.55\,\lambda_{\max}$, just above the divergence threshold, halves the depth needed
# (error {glue:text}`sol-lissa-s055-1000:.0e` at depth 1000); the optimum is
# $s = (\mu_{\min}+\mu_{\max})/2$, but an underestimate of $\mu_{\max}$ there means
# divergence, which is why the default keeps a 10% margin. Damping by $\delta = \lambda$
# doubles the smallest eigenvalue and so halves the depth needed, but the series now
# converges to the damped solution, which differs from the undamped one by
# {glue:text}`sol-lissa-damped-end:.0%` for this test image: the bias of the previous
# section. On this model every eigen-direction with the smallest eigenvalue matters to the
# influence, so any damping large enough to help LiSSA changes the answer.
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
# Following steps 1 and 2 on digits:

# %%
# (lissa would warn if it failed)
u_tuned, info = lissa(model, X, y, v, depth=depth_needed, rng=0)
err_tuned = rel_error(u_tuned, u_direct)
res_tuned = info.final_residual / np.linalg.norm(v)
print(f"depth {depth_needed}: converged {info.converged}, "
      f"relative residual {res_tuned:.1e} <= rtol 1e-3,")
print(f"  relative error against direct {err_tuned:.1e}")
glue("sol-lissa-tuned-err", float(f"{err_tuned:.1e}"), display=False)

# For the exercises: the depth at the optimal scale, CG's bound at the
# same accuracy, and the damping that would let the default depth 1000
# reach rtol = 1e-3 by (eq-sol-lissa-depth).
glue("sol-ex1-depth", int(round(kappa / 2 * np.log(1e3))), display=False)
glue("sol-ex1-cg", int(round(0.5 * np.sqrt(kappa) * np.log(2e3))),
     display=False)
# need (l2 + delta) / (1.1 (lam_max + delta)) >= ln(1e3) / 1000
c = np.log(1e3) / 1000 * 1.1
delta_needed = (c * lam_max - eig[0]) / (1 - c)
glue("sol-ex2-delta", float(f"{delta_needed:.1e}"), display=False)

# %% [markdown]
# No warning: the run converged, with an error of {glue:text}`sol-lissa-tuned-err:.0e`
# against the direct solve. CG got below {glue:text}`sol-digits-cg-err:.0e` in
# {glue:text}`sol-digits-cg-iters` iterations on the same model. For a model whose Hessian
# fits in memory there is little reason to prefer LiSSA; it earns its place when $n$ is
# so large that even one full Hessian-vector product is expensive.
#
# ## Where each method wins
#
# | situation | method | why |
# | --- | --- | --- |
# | $p$ up to a few thousand, or many right-hand sides ($4Tk \gtrsim p$) | direct | $H$ is formed and factored once; every influence after that is a triangular solve and a matrix product. Exact, no tuning. |
# | $p$ large, few right-hand sides, $\kappa$ moderate | CG | Only Hessian-vector products; $T \lesssim \tfrac12\sqrt\kappa\ln(2/\varepsilon)$ iterations, fewer with a clustered spectrum; reports its residual. |
# | $n$ very large, $H$ too big to form, or only stochastic Hessian-vector products available | LiSSA | Mini-batch steps cost $O(bpk)$; needs $J \sim \kappa$ steps, a safe scale and usually damping; noisy. |
# | $\kappa$ huge | damping, then CG | Damping is a change of model: report $\delta$ and check its effect on the influences. |
#
# ## Summary
#
# - The cost model {eq}`eq-sol-cost` decides: the direct solve pays $np^2 + p^3/3$ once,
#   CG and LiSSA pay $4npk$ per iteration. On the generated problem with $p$ =
#   {glue:text}`sol-pmax` and one right-hand side CG was {glue:text}`sol-big-ratio` faster
#   than the direct solve on this run; with {glue:text}`sol-k-many` right-hand sides the
#   direct solve won.
# - CG's iterations grow like $\sqrt\kappa$ at worst {eq}`eq-sol-cg-bound`, and much more
#   slowly when the spectrum is clustered: {glue:text}`sol-digits-cg-iters` iterations on
#   digits with $\kappa$ = {glue:text}`sol-kappa`. Rounding can push them past $p$.
# - Damping trades bias for speed. On digits, $\delta = \lambda$ changed the influences by
#   {glue:text}`sol-damp-change-l2:.0%`.
# - LiSSA diverges when the scale is below $\lambda_{\max}/2$ (the package raises
#   `ConvergenceError`), and needs a depth of order $\kappa\ln(1/\varepsilon)$ otherwise
#   (the package warns with the residual reached).
# - Time code by the best of several repeats, and check that the fast version computes the
#   same numbers as the slow one: `influence_demo.benchmark` does both.
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
# 3. Compare the depth this needs with CG's rate $(\sqrt\kappa-1)/(\sqrt\kappa+1)$ for
#    $\kappa$ = {glue:text}`sol-kappa`, the digits model.
# ```
#
# ````{solution} ex-solvers-1
# :class: dropdown
#
# 1. By induction $U_J = \sum_{j=0}^{J}(I-A)^j V$. Since $\sum_{j=0}^{J}(I-A)^j = A^{-1}(I - (I-A)^{J+1})$,
#    $U_J/s = (sA)^{-1}(I-(I-A)^{J+1})V = H^{-1}V - (I-A)^{J+1}H^{-1}V$ ($A$ and $H$ commute).
# 2. $\rho(s) = \max(|1-\mu_{\min}/s|, |1-\mu_{\max}/s|)$ is smallest when the two are equal,
#    $1 - \mu_{\min}/s = \mu_{\max}/s - 1$, i.e. $s^\star = (\mu_{\min}+\mu_{\max})/2$, with
#    $\rho^\star = (\kappa-1)/(\kappa+1)$.
# 3. Depth $\approx \ln(1/\varepsilon)/(-\ln\rho^\star) \approx \tfrac{\kappa}{2}\ln(1/\varepsilon)$:
#    about {glue:text}`sol-ex1-depth` steps for $\varepsilon = 10^{-3}$ on digits. CG's rate
#    gives $\tfrac{\sqrt\kappa}{2}\ln(2/\varepsilon) \approx$ {glue:text}`sol-ex1-cg`
#    iterations, and the clustered spectrum makes it fewer still. Note also that $s^\star$ exceeds the divergence threshold
#    $\mu_{\max}/2$ by only $\mu_{\min}/2$, a fraction $1/\kappa$ of it: an estimate of
#    $\mu_{\max}$ that is too low by more than that fraction makes the series diverge.
# ````
#
# ```{exercise} How much damping does LiSSA need?
# :label: ex-solvers-2
#
# On the digits model of this chapter, find the smallest damping $\delta$ (try a grid
# $10^{-4}, 2\cdot10^{-4}, 5\cdot10^{-4}, \dots$) for which `lissa(model, X, y, v, damping=δ, rng=0)`
# with the default depth 1000 converges without a warning. For that $\delta$, compute
# `influence_loss(..., damping=δ)` for the least confident test image and compare its ten
# most harmful and ten most helpful training images with the undamped ones. Would you
# report the damped ranking?
# ```
#
# ````{solution} ex-solvers-2
# :class: dropdown
#
# With the default scale the rate is $1 - (\lambda+\delta)/(1.1(\lambda_{\max}+\delta))$, so
# by {eq}`eq-sol-lissa-depth` depth 1000 reaches a residual of $10^{-3}$ once
# $(\lambda + \delta)/(1.1(\lambda_{\max}+\delta)) \gtrsim \ln(10^3)/1000$, that is
# $\delta \gtrsim$ {glue:text}`sol-ex2-delta:.1e`; the loop below stops at the first grid
# value above that estimate.
#
# ```python
# for delta in [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3]:
#     with warnings.catch_warnings():
#         warnings.simplefilter("error", ConvergenceWarning)
#         try:
#             lissa(model, X, y, v, damping=delta, rng=0)
#         except ConvergenceWarning:
#             continue
#     break
# x_w, y_w = X_test[[j_worst]], y_test[[j_worst]]
# I0 = influence_loss(model, X, y, x_w, y_w)[0]
# Id = influence_loss(model, X, y, x_w, y_w, damping=delta)[0]
# top = lambda I: (set(np.argsort(I)[-10:]), set(np.argsort(I)[:10]))
# print(delta, [len(a & b) for a, b in zip(top(I0), top(Id))],
#       spearman(I0, Id))
# ```
#
# The damping is larger than the model's own penalty, so the damped influences belong to
# a more regularised model: most, but not all, of the ten most harmful and most helpful
# images are the same, and the rank correlation over all training images drops well below
# one. Report the damping with the ranking, or better use CG, which needs no damping here.
# ````
#
# ```{exercise} Mini-batch LiSSA
# :label: ex-solvers-3
#
# Run `lissa` on digits with a damping of $10^{-2}$, `batch_size=32`, `depth=1000` and
# `repeats` = 1, 4 and 16 (seed `rng=0`). Plot the relative error against the *damped*
# direct solve, `inverse_hvp(..., damping=1e-2)`, against `repeats`. Why does the error not
# fall below a floor when the depth grows, and how does the floor scale with `repeats` and
# `batch_size`? What does one mini-batch step cost compared with a full step?
# ```
#
# ````{solution} ex-solvers-3
# :class: dropdown
#
# ```python
# ref = inverse_hvp(model, X, y, v, damping=1e-2)
# for r in (1, 4, 16):
#     u, _ = lissa(model, X, y, v, damping=1e-2, batch_size=32,
#                  depth=1000, repeats=r, rng=0, warn=False)
#     print(r, np.linalg.norm(u - ref) / np.linalg.norm(ref))
# ```
#
# Each step uses an unbiased but noisy estimate $\tilde H_j$ of $H$. The recursion
# forgets its past at the rate $\rho$, so the last $\sim 1/(1-\rho)$ steps' noise remains
# in $U_J$ however deep one goes: the error levels off at a floor set by the variance of
# $\tilde H_j$, which falls like $1/b$ with the batch size. Averaging `repeats` independent
# runs divides the variance by `repeats`, so the error floor falls like
# $1/\sqrt{\text{repeats}}$: roughly halved for every fourfold increase. A step costs
# $4bpk$ flops instead of $4npk$, here $32/n$ of a full step with $n$ =
# {glue:text}`sol-n`. Mini-batches pay off only when $n$ is so large that the
# depth × repeats cheap, noisy steps cost less than the full-batch steps that reach the
# same accuracy.
# ````
#
# ```{exercise} Coursework: your own Hessian-vector product, and CG on it
# :label: ex-solvers-4
#
# 1. Write `my_hvp(X, y, theta, l2, V)` that returns $HV$ for L2-regularised logistic
#    regression, $H = X^\top\operatorname{diag}(\sigma(X\theta)(1-\sigma(X\theta)))X + \lambda I$,
#    for `V` of shape `(p,)` or `(p, k)`, **without forming $H$**, in $O(npk)$ operations,
#    and with a sigmoid that does not overflow. Check it with
#    `from influence_demo.coursework import check_hvp; check_hvp(my_hvp)`.
# 2. Pass `lambda P: my_hvp(X, y, model.theta_, model.l2, P)` as the `matvec` of
#    `influence_demo.cg` and solve for the block `V` of this chapter. Check the result against
#    `inverse_hvp(model, X, y, V)` with `np.testing.assert_allclose`, and count the
#    Hessian-vector products used (`info.n_iter`).
# 3. Time your solver and the direct solve with `influence_demo.benchmark.best_time` on
#    `solver_scaling`'s generated problems for $p$ = 100, 400 and 1,000 and one right-hand
#    side, and explain the crossover with {eq}`eq-sol-cost`.
# 4. (Extension) Add a Jacobi preconditioner $M = \operatorname{diag}(H)$, computable in
#    $O(np)$ without $H$, to a copy of CG, and compare iteration counts on the
#    scaled-column problems of {numref}`fig-sol-cg-cond`. Why does it help so much there?
# ```
#
# ````{solution} ex-solvers-4
# :class: dropdown
#
# ```python
# import numpy as np
# from influence_demo import cg, inverse_hvp
# from influence_demo.coursework import check_hvp
#
# def my_hvp(X, y, theta, l2, V):
#     s = X @ theta
#     prob = 0.5 * (1.0 + np.tanh(0.5 * s))  # sigmoid without overflow
#     c = prob * (1.0 - prob)                # per-example curvature
#     V = np.asarray(V, dtype=float)
#     XV = X @ V                             # (n,) or (n, k): O(npk)
#     weighted = c * XV if V.ndim == 1 else c[:, None] * XV
#     # O(npk) again; H is never formed
#     return X.T @ weighted + l2 * V
#
# check_hvp(my_hvp)
#
# matvec = lambda P: my_hvp(X, y, model.theta_, model.l2, P)
# U, info = cg(matvec, V, rtol=1e-10)
# np.testing.assert_allclose(U, inverse_hvp(model, X, y, V),
#                            rtol=1e-7, atol=1e-10)
# print(info.converged, info.n_iter)
# ```
#
# The labels `y` do not enter the Hessian of the logistic loss, only $\theta$ does. For the
# crossover: the direct solve costs about $np^2$ to form $H$, CG about $4Tnp$ for one
# right-hand side, so CG wins once $p > 4T$, and $T$ is a few tens at most on these
# well-conditioned problems. The Jacobi preconditioner largely undoes the column scaling:
# $D^{-1/2} H D^{-1/2}$ with $D = \operatorname{diag}(H)$ has a unit diagonal whatever the
# scale of the columns (only the penalty $\lambda I$, which is not scaled, spoils this), so
# the iteration count falls back towards that of $a = 0$.
# ````
#
# ## References
#
# - {cite:t}`hestenes1952methods` introduced conjugate gradients;
#   {cite:t}`nocedal2006numerical` (chapter 5) prove the $\sqrt\kappa$ bound and discuss
#   clustered spectra and preconditioning.
# - {cite:t}`pearlmutter1994fast` shows how to compute $Hv$ exactly without forming $H$,
#   the operation all the iterative solvers rest on.
# - {cite:t}`agarwal2017second` propose LiSSA; {cite:t}`koh2017understanding` use it and CG
#   to compute influences of large models.
# - {cite:t}`basu2021influence` find that influence estimates for deep networks depend
#   strongly on such solver settings as damping and depth, and {cite:t}`bae2022if` show what
#   a damped influence actually measures.
