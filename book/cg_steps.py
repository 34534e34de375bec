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
# (cg_steps)=
# # Conjugate gradient: at most one step per parameter
#
# In {ref}`logistic_cg` the source notebook computed the influence of three points twice,
# by inverting the $2 \times 2$ Hessian and by conjugate gradient (CG) on Hessian-vector
# products, and CG agreed with the direct solve after two iterations. This chapter shows
# why that is no accident, and what changes on larger problems.
#
# **Learning objectives.** By the end of this chapter you will be able to
#
# - compute Hessian-vector products without forming $H$, and use them in CG;
# - explain, with the Krylov-subspace argument, why CG terminates in at most $p$ iterations
#   (or as many as $H$ has distinct eigenvalues) in exact arithmetic;
# - relate the iteration count to the condition number $\kappa$, and show how rounding can
#   push it past $p$;
# - write your own CG and check it against the package.

# %%
from decimal import Decimal, getcontext

import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

from influence_demo import (
    LogisticRegression,
    add_intercept,
    cg,
    influence_loss,
    inverse_hvp,
    make_logistic_data,
    tiny_logistic_data,
)
from influence_demo.coursework import check_cg
from influence_demo.plots import plot_cg_residuals

# %% [markdown]
# ## The penalized three-point model
#
# We rebuild the model that {ref}`logistic_cg` ends with: the source's three training
# points $x = 0, 1, 2$ with labels $0, 0, 1$, the test point $x = 1.5$ with label 1, an
# intercept, and an L2 penalty $\lambda = 0.1$, fitted by Newton's method.

# %%
x, y, x_test, y_test = tiny_logistic_data()
X, X_test = add_intercept(x), add_intercept(x_test)  # theta = (w, b)
n, p = X.shape
l2 = 0.1
model = LogisticRegression(l2=l2).fit(X, y)
print(f"n = {n}, p = {p}: w = {model.theta_[0]:.4f}, "
      f"b = {model.theta_[1]:.4f}")

# %% tags=["remove-input"]
assert model.grad_norm_ <= model.tol

# %% [markdown]
# ## Hessian-vector products
#
# The direct method forms $H$ ($p \times p$) and factors it, which costs $O(p^3)$ and is
# impossible for a network with millions of parameters. CG {cite:p}`hestenes1952methods`
# solves $Hu = v$ using only products $H q$. For our models the product is
# $X^\top\bigl(\sigma(1-\sigma) \odot Xq\bigr) + \lambda q$, at the cost of two passes over
# the data; for any differentiable model, {cite:t}`pearlmutter1994fast` showed how to get
# it exactly by automatic differentiation, at the cost of about one extra gradient. The
# package's {meth}`~influence_demo.models.LogisticRegression.hvp` is that product:

# %%
v = np.array([0.3, -0.7])
G = model.grad(X, y)  # (n, p): one gradient per training point
U, info = inverse_hvp(model, X, y, G.T, method="cg", return_info=True)
rel_tiny = info.residuals / info.residuals[0]
print(f"CG on the {p}x{p} Hessian: {info.n_iter} iterations")
print("relative residuals before the last iteration,")
print("one column per training gradient:")
print(np.array2string(rel_tiny[:-1], precision=3))
print("and after it: below 1e-13 in every column")

# %% tags=["remove-input"]
np.testing.assert_allclose(model.hvp(v, X, y), model.hessian(X, y) @ v,
                           rtol=1e-12)
np.testing.assert_allclose(U, inverse_hvp(model, X, y, G.T),
                           rtol=1e-9, atol=1e-14)
assert info.converged and np.all(rel_tiny[-1] < 1e-13)  # rounding level

# %% tags=["remove-input"]
glue("lc-cg-iter-tiny", int(info.n_iter), display=False)

# %% [markdown]
# CG needs {glue:text}`lc-cg-iter-tiny` iterations for a $2 \times 2$ system, and after
# the second the residual is at rounding level. That is no accident. Started from
# $u_0 = 0$, the $k$-th CG iterate lies in the **Krylov subspace**
#
# $$
# u_k \in \mathcal K_k(H, v) = \operatorname{span}\{v, Hv, H^2v, \dots, H^{k-1}v\},
# $$ (eq-lc-krylov)
#
# and CG picks the $u_k$ in it that minimises the error in the $H$-norm,
# $\lVert u_k - u_\ast\rVert_H$ with $u_\ast = H^{-1}v$. Every element of
# $\mathcal K_k$ is $q(H)v$ for a polynomial $q$ of degree $< k$, so the error is
# $u_k - u_\ast = -r_k(H)\,u_\ast$ for a polynomial $r_k(t) = 1 - t\,q(t)$ of degree $k$ with
# $r_k(0) = 1$, and CG finds the best such polynomial. If $H$ has $d$ distinct eigenvalues
# $\mu_1, \dots, \mu_d$, then $r(t) = \prod_j (1 - t/\mu_j)$ has degree $d$, $r(0) = 1$, and
# vanishes on every eigenvalue, so $r(H) = 0$: the error is exactly zero after $d \le p$
# iterations. Before that, the error falls at least as fast as
#
# $$
# \lVert u_k - u_\ast\rVert_H \le 2\left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^k
# \lVert u_0 - u_\ast\rVert_H, \qquad \kappa = \frac{\mu_{\max}}{\mu_{\min}},
# $$ (eq-lc-cg-rate)
#
# {cite:p}`nocedal2006numerical`, so a well-conditioned $H$ (small $\kappa$, or eigenvalues in
# a few clusters) is solved in far fewer than $p$ iterations. {numref}`fig-lc-cg` shows the
# residuals for the three right-hand sides of the tiny problem and for a generated problem
# with $p = 20$ parameters, under four conditions:
#
# - **a penalty that dominates** ($\lambda = 100$, 200 points): $\kappa$ close to 1;
# - **a moderate penalty** ($\lambda = 1$, 200 points);
# - **badly scaled features** (the same data with its 20 columns scaled from 1 down to 0.1,
#   $\lambda = 1$): a larger $\kappa$;
# - **few distinct eigenvalues** (only 3 points, $\lambda = 1$): $H = \lambda I$ plus a matrix
#   of rank 3, so at most 4 distinct eigenvalues, whatever $p$.

# %%
rng = np.random.default_rng(0)
p20 = 20
Xg, yg, Xg_test, yg_test = make_logistic_data(200, p20, rng, n_test=1)
col_scale = np.logspace(0, -1, p20)
X3 = rng.standard_normal((3, p20))
y3 = np.array([0.0, 1.0, 0.0])
cases = {  # glue key: (label, X, y, X_test, y_test, lambda)
    "pen100": ("lambda = 100", Xg, yg, Xg_test, yg_test, 100.0),
    "pen1": ("lambda = 1", Xg, yg, Xg_test, yg_test, 1.0),
    "scaled": ("scaled features, lambda = 1", Xg * col_scale, yg,
               Xg_test * col_scale, yg_test, 1.0),
    "three": ("3 points, lambda = 1", X3, y3, Xg_test, yg_test, 1.0),
}

# %% [markdown]
# For each case we run CG to a relative residual of $10^{-14}$ (or 40 iterations) and record
# the residual history, and we compute $\kappa$ and the number of distinct eigenvalues
# from the explicit Hessian.

# %%
def cg_bound(kappa, rtol):
    """Smallest k with 2 sqrt(kappa) rho^k <= rtol: the residual bound."""
    s = np.sqrt(kappa)
    return int(np.ceil(np.log(2 * s / rtol) / np.log((s + 1) / (s - 1))))


histories, table = {}, {}
for key, (_, Xc, yc, Xtc, ytc, lam) in cases.items():
    mdl = LogisticRegression(l2=lam).fit(Xc, yc)
    rhs = mdl.grad(Xtc, ytc)[0]  # a test gradient, as in influence_loss
    eig = np.linalg.eigvalsh(mdl.hessian(Xc, yc))
    _, inf_c = inverse_hvp(mdl, Xc, yc, rhs, method="cg", return_info=True,
                           rtol=1e-14, maxiter=40, warn=False)
    rel = inf_c.residuals[:, 0] / inf_c.residuals[0, 0]
    histories[key] = rel
    n_distinct = int(np.sum(np.diff(eig) > 1e-8 * eig[-1]) + 1)
    table[key] = {"kappa": eig[-1] / eig[0], "distinct": n_distinct,
                  "k": int(np.argmax(rel <= 1e-10)),
                  "bound": cg_bound(eig[-1] / eig[0], 1e-10)}

# %% tags=["remove-input"]
for key, row in table.items():  # converged, within the classical bound
    assert histories[key][row["k"]] <= 1e-10
    assert row["k"] <= row["bound"]

# %% [markdown]
# The table prints, for each case, the iterations to a relative residual of $10^{-10}$,
# the bound on them from {eq}`eq-lc-cg-rate` in its residual form[^lc-norm], and the
# residual at $k = p$. Where CG runs past $k = p$, rounding decides the exact count and
# the residual there, so the table prints the band that the cell asserts.
#
# [^lc-norm]: The bound {eq}`eq-lc-cg-rate` is on the error in the $H$-norm, while CG
#     stops on the 2-norm of the residual $r_k = v - Hu_k = H(u_\ast - u_k)$. The two
#     differ by up to $\sqrt\kappa$: $\lVert r_k\rVert_2 \le \sqrt{\mu_{\max}}\,
#     \lVert u_k - u_\ast\rVert_H$ and $\lVert u_\ast\rVert_H \le \lVert v\rVert_2 /
#     \sqrt{\mu_{\min}}$, so $\lVert r_k\rVert_2 / \lVert v\rVert_2 \le 2\sqrt\kappa\,
#     \rho^k$ with $\rho = (\sqrt\kappa - 1)/(\sqrt\kappa + 1)$. The column "bound" is
#     the smallest $k$ for which this is at most $10^{-10}$.

# %%
print(f"{'p = ' + str(p20):<28}{'kappa':>6}{'distinct':>9}"
      f"{'iterations':>11}{'bound':>7}{'residual':>12}")
print(f"{'':<34}{'eigvals':>9}{'to 1e-10':>11}{'':>7}{'at k = p':>12}")
for key, row in table.items():
    rel, k = histories[key], row["k"]
    if k > p20:  # past exact termination: rounding decides the count
        assert k <= p20 + 5 and 1e-8 < rel[p20] < 1e-6
        k_text, at_p = f"{p20 + 1}-{p20 + 5}", "about 1e-7"
    else:
        k_text = str(k)
        at_p = "(converged)" if len(rel) <= p20 else "< 1e-12"
        assert len(rel) <= p20 or rel[p20] < 1e-12
    print(f"{cases[key][0]:<28}{row['kappa']:6.1f}{row['distinct']:9d}"
          f"{k_text:>11}{row['bound']:7d}{at_p:>12}")
    row["k_text"] = k_text

# %% tags=["remove-input"]
lc_cg = {}
for key, row in table.items():
    lc_cg |= {f"lc-cg-k-{key}": row["k_text"],
              f"lc-cg-kappa-{key}": float(row["kappa"]),
              f"lc-cg-distinct-{key}": row["distinct"],
              f"lc-cg-bound-{key}": row["bound"]}
for key, value in lc_cg.items():
    glue(key, value, display=False)

# %% [markdown]
# With the penalty dominating ($\kappa$ = {glue:text}`lc-cg-kappa-pen100:.2f`), CG
# reaches a relative residual of $10^{-10}$ in {glue:text}`lc-cg-k-pen100` iterations; with
# $\lambda = 1$ ($\kappa$ = {glue:text}`lc-cg-kappa-pen1:.2f`) it takes
# {glue:text}`lc-cg-k-pen1`, and at iteration $p = 20$ its residual collapses to rounding
# level, the exact termination of the Krylov argument. With only 3 training points, $H$
# has {glue:text}`lc-cg-distinct-three` distinct eigenvalues, and CG finishes in
# {glue:text}`lc-cg-k-three` iterations although $p = 20$. Every count stays below its
# bound, often well below it ({glue:text}`lc-cg-k-pen1` against
# {glue:text}`lc-cg-bound-pen1` for $\lambda = 1$): the bound knows only $\kappa$, not how
# the eigenvalues are spread between the extremes.
#
# The badly scaled case ($\kappa$ = {glue:text}`lc-cg-kappa-scaled:.0f`) needs *more* than
# $p$ iterations ({glue:text}`lc-cg-k-scaled`: rounding decides the exact count), and its
# residual at $k = p$ is about $10^{-7}$, far from rounding level. The guarantee of at most
# $p$ steps holds in exact arithmetic; in floating point, the search directions gradually lose
# their mutual $H$-orthogonality, and convergence is delayed, the more so the larger
# $\kappa$. The next cell runs the same CG recurrence on the same matrix in 60-digit
# decimal arithmetic (a "from scratch" check, compared with the package's residuals for the
# first iterations, before rounding matters):

# %%
_, Xc, yc, Xtc, ytc, lam = cases["scaled"]
mdl = LogisticRegression(l2=lam).fit(Xc, yc)
H_sc, rhs = mdl.hessian(Xc, yc), mdl.grad(Xtc, ytc)[0]
getcontext().prec = 60
A = [[Decimal(float(a)) for a in row] for row in (H_sc + H_sc.T) / 2]
u = [Decimal(0)] * p20
r = [Decimal(float(b)) for b in rhs]
d = list(r)
rs = sum(ri * ri for ri in r)
res_hp = [1.0]
for _ in range(p20):
    Ad = [sum(a * dj for a, dj in zip(row, d)) for row in A]
    alpha = rs / sum(dj * adj for dj, adj in zip(d, Ad))
    u = [ui + alpha * dj for ui, dj in zip(u, d)]
    r = [ri - alpha * adj for ri, adj in zip(r, Ad)]
    rs_new = sum(ri * ri for ri in r)
    d = [ri + (rs_new / rs) * dj for ri, dj in zip(r, d)]
    rs = rs_new
    res_hp.append(float(rs.sqrt()) / float(np.linalg.norm(rhs)))
res_hp = np.array(res_hp)
print(f"relative residual at iteration p = {p20}:")
print("below 1e-30 with 60 digits, above it in float64")

# %% tags=["remove-input"]
np.testing.assert_allclose(res_hp[:8], histories["scaled"][:8], rtol=1e-6)
assert res_hp[p20] < 1e-30 < histories["scaled"][p20]

# %% tags=["hide-input", "remove-output"]
fig, axes = plt.subplots(2, 1, figsize=(6.8, 8.0))
plot_cg_residuals(info.residuals / info.residuals[0], ax=axes[0],
                  tolerance=1e-10,
                  labels=[f"v = grad L(z_{i})" for i in range(n)])
axes[0].set_ylabel(r"relative residual $\|v - H u_k\|_2 / \|v\|_2$")
axes[0].set_title(f"Tiny problem (p = {p}, lambda = {l2})",
                  fontsize="medium")
axes[0].set_xticks(range(info.n_iter + 1))
for key, rel in histories.items():
    plot_cg_residuals(rel, ax=axes[1], labels=[cases[key][0]])
axes[1].semilogy(np.arange(p20 + 1), np.maximum(res_hp, 1e-300),
                 color="0.3", ls="--", lw=1,
                 label="scaled features, 60-digit arithmetic")
axes[1].axvline(p20, color="0.5", ls=":", lw=1)
axes[1].axhline(1e-10, color="0.5", ls=":", lw=1)
axes[1].set_ylim(1e-22, 3)
axes[1].set_ylabel(r"relative residual $\|v - H u_k\|_2 / \|v\|_2$")
axes[1].set_title(f"Generated problem (p = {p20}); "
                  "dotted: k = p and tolerance", fontsize="medium")
axes[1].legend(fontsize=9, loc="lower left")
fig.tight_layout()

# %% tags=["remove-input"]
glue("fig-lc-cg", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-lc-cg
# :alt: Two plots of CG relative residual, on a log scale, against iteration. Top, the tiny problem: three lines fall to about 1e-16 or below at iteration 2. Bottom, the generated problem with 20 parameters: of the 200-point problems the dominating-penalty line falls fastest; the moderate-penalty line falls steadily and drops to about 1e-20 at iteration 20; the three-point line drops to rounding level at iteration 4; the badly scaled line falls slowest and crosses 1e-10 after iteration 20, while a dashed line for the same problem in 60-digit arithmetic drops sharply at iteration 20.
# :name: fig-lc-cg
#
# Conjugate-gradient residuals against iteration. Top: the three solves $Hu = \nabla L(z_i)$
# of the tiny penalized problem, done after $p = 2$ iterations. Bottom: a generated logistic
# regression with $p = 20$. The better conditioned the Hessian, or the fewer its distinct
# eigenvalues, the sooner CG converges; in exact arithmetic it always stops by $k = p$
# (dashed: the badly scaled case in 60-digit arithmetic), in floating point an
# ill-conditioned problem can take longer.
# ```
#
# For influence functions this means: CG is exact in principle, cheap per iteration, and
# its iteration count is governed by the conditioning of $H$. A penalty or damping
# ($H + \delta I$) both makes the influence well defined and speeds CG up. The
# {ref}`solvers` chapter compares CG with the direct solve on larger problems, and
# {ref}`sol-lissa` with LiSSA {cite:p}`agarwal2017second`.
#
#
# ## Summary
#
# - CG solves $Hu = v$ from Hessian-vector products alone, each costing about two passes
#   over the data.
# - Its $k$-th iterate is the best point of the Krylov subspace {eq}`eq-lc-krylov` in the
#   $H$-norm, so in exact arithmetic it stops after at most $p$ iterations, or as many as
#   $H$ has distinct eigenvalues.
# - In practice the count depends on the conditioning $\kappa$ {eq}`eq-lc-cg-rate`, and
#   rounding can push it past $p$: the badly scaled problem needed
#   {glue:text}`lc-cg-k-scaled` iterations with $p = 20$, and 60-digit arithmetic restores
#   the exact termination.
#
# ## Exercises
#
# ```{exercise} CG and distinct eigenvalues
# :label: ex-lc-3
#
# Build a symmetric positive definite $100 \times 100$ matrix with exactly $d$ distinct
# eigenvalues ($d = 1, 2, 5, 10$), for example $Q\,\mathrm{diag}(\mu)\,Q^\top$ with a random
# orthogonal $Q$ and $\mu$ drawn from $d$ values. Run `cg` with `rtol=1e-10` and report
# `info.n_iter`. Then spread each eigenvalue into a small cluster (add noise of size
# $10^{-6}$, then $10^{-2}$) and explain what changes.
# ```
#
# ```{solution-start} ex-lc-3
# :class: dropdown
# ```

# %%
rng = np.random.default_rng(0)
Q, _ = np.linalg.qr(rng.standard_normal((100, 100)))
b = rng.standard_normal(100)
print("   d   exact  spread 1e-6  spread 1e-2")
for d in (1, 2, 5, 10):
    counts, kappas = [], []
    for spread in (0.0, 1e-6, 1e-2):
        mu = rng.choice(np.linspace(1, 10, d), size=100)
        mu *= 1 + spread * rng.standard_normal(100)
        A = (Q * mu) @ Q.T
        _, info_d = cg(A.dot, b, rtol=1e-10, maxiter=500, warn=False)
        counts.append(info_d.n_iter)
        kappas.append(mu.max() / mu.min())
    print(f"{d:4d} {counts[0]:7d} {counts[1]:12d} {counts[2]:12d}")
    assert counts[0] == d and d <= counts[1] <= 2 * d < counts[2]
    assert counts[2] <= cg_bound(kappas[2], 1e-10)

# %% [markdown]
# With exact repeats CG stops after $d$ iterations (the Krylov argument). Tight clusters
# behave almost like single eigenvalues: CG needs at most $2d$ iterations for a spread of
# $10^{-6}$ to resolve each cluster to the tolerance. Wide clusters behave like a spread
# spectrum: the counts grow past $2d$, and only the bound {eq}`eq-lc-cg-rate` limits them
# (in its residual form, `cg_bound`, as in the column "bound" of the chapter's table). The
# cell asserts each of these statements.
#
# ```{solution-end}
# ```
#
#
# ```{exercise} Coursework: influence with your own CG
# :label: ex-lc-5
#
# This continues the coursework exercise of {ref}`logistic_cg`.
#
# 1. Write `my_cg(matvec, b, rtol, maxiter)`, conjugate gradient for $Ax = b$ with scipy's
#    stopping rule $\lVert b - Ax\rVert \le \mathrm{rtol}\,\lVert b\rVert$, that never calls
#    anything but `matvec`. Check it with
#    `from influence_demo.coursework import check_cg; check_cg(my_cg)`.
# 2. Compute the influences of the three training points on the test point, with
#    $\lambda = 0.1$, from a Hessian-vector product you write yourself and `my_cg`, and
#    compare them with `influence_loss`.
# ```
#
# ```{solution-start} ex-lc-5
# :class: dropdown
# ```

# %%
def my_cg(matvec, b, rtol, maxiter):
    x = np.zeros_like(b, dtype=float)
    r = b - matvec(x)
    d = r.copy()
    rs = r @ r
    tol = rtol * np.linalg.norm(b)
    for _ in range(maxiter):
        if np.sqrt(rs) <= tol:
            break
        Ad = matvec(d)
        dAd = d @ Ad
        if dAd <= 0:
            raise ValueError("matrix is not positive definite")
        alpha = rs / dAd
        x = x + alpha * d
        r = r - alpha * Ad
        rs_new = r @ r
        d = r + (rs_new / rs) * d
        rs = rs_new
    return x


assert check_cg(my_cg)

# %% [markdown]
# One solve against the test gradient serves all training points, because $H$ is
# symmetric: $g_{\text{test}}^\top H^{-1} g_i = (H^{-1}g_{\text{test}})^\top g_i$. The
# curvatures $c_i = \sigma(s_i)(1 - \sigma(s_i))$ come from the package.

# %%
c = model.curvature(X, y)


def my_hvp(v, X, c, l2):
    return X.T @ (c * (X @ v)) + l2 * v


u = my_cg(lambda v: my_hvp(v, X, c, l2), model.grad(X_test, y_test)[0],
          1e-12, 100)
mine = -(model.grad(X, y) @ u)
np.testing.assert_allclose(mine, influence_loss(model, X, y, X_test,
                                                y_test)[0], rtol=1e-8)
print("my_hvp + my_cg == influence_loss")

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} CG iterations against the penalty
# :label: ex-lc-6
#
# On `make_logistic_data(500, 50, rng=0)`, plot the number of CG iterations (to a relative
# residual of $10^{-8}$, one test gradient as the right-hand side) against
# $\lambda \in \{10^{-3}, \dots, 10^{2}\}$ next to $\sqrt\kappa$ and the bound
# {eq}`eq-lc-cg-rate`, and discuss.
# ```
#
# ```{solution-start} ex-lc-6
# :class: dropdown
# ```
#
# We count the package's CG iterations (it reports them):

# %%
Xd, yd, Xd_test, yd_test = make_logistic_data(500, 50, rng=0, n_test=1)
lams = 10.0 ** np.arange(-3, 3)
sweep_cg = {"iterations": [], "sqrt kappa": [], "bound": []}
for lam in lams:
    mdl = LogisticRegression(l2=lam).fit(Xd, yd)
    eig = np.linalg.eigvalsh(mdl.hessian(Xd, yd))
    _, info_d = inverse_hvp(mdl, Xd, yd, mdl.grad(Xd_test, yd_test)[0],
                            method="cg", rtol=1e-8, return_info=True)
    sweep_cg["iterations"].append(info_d.n_iter)
    sweep_cg["sqrt kappa"].append(np.sqrt(eig[-1] / eig[0]))
    sweep_cg["bound"].append(cg_bound(eig[-1] / eig[0], 1e-8))
its, sk, bound = (np.array(v) for v in sweep_cg.values())
assert np.all(its <= bound) and np.all(its < 50 / 2)
assert 1.5 < sk[0] < 2.5  # about 2 with almost no penalty
assert np.all(np.diff(sk) < 0) and np.all(np.diff(its) <= 0)

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for label, values in sweep_cg.items():
    ax.semilogx(lams, values, marker="o", label=label)
ax.set_xlabel("penalty lambda")
ax.legend()
plt.show()

# %% [markdown]
# With 500 points and 50 Gaussian features, $H$ is well conditioned even with almost no
# penalty ($\sqrt\kappa$ about 2), so the count stays well below $p = 50$ and below its
# bound. It falls as $\lambda$ grows and $\kappa \to 1$, as $\sqrt\kappa$ does. The cell
# asserts each of these statements.
#
#
# ```{solution-end}
# ```
#
# ## References
#
# This chapter cites {cite:t}`hestenes1952methods` (conjugate gradient),
# {cite:t}`nocedal2006numerical` (its convergence rate), {cite:t}`pearlmutter1994fast`
# (Hessian-vector products) and {cite:t}`agarwal2017second` (LiSSA). The full entries are
# on the {doc}`references` page.
