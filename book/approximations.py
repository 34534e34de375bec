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
# (approximations)=
# # Influence at scale: what the libraries approximate
#
# Every chapter so far computed the influence exactly, with the curvature formed and
# factored. No practitioner does: for a network of millions of parameters the
# $p\times p$ matrix does not fit in memory, let alone its $O(p^3)$ factorisation. Every
# library a reader will use next replaces the inverse curvature by something cheaper.
# kronfluence and the study of large language models by {cite:t}`grosse2023studying` use
# EK-FAC; dattri offers Arnoldi {cite:p}`schioppa2022scaling`, DataInf
# {cite:p}`kwon2023datainf`, EK-FAC, TRAK {cite:p}`park2023trak` and gradient similarity
# {cite:p}`pruthi2020estimating`; pyDVL adds Arnoldi and Nyström. None of them can tell
# its user how far its answer is from the exact influence, because none of them can
# compute the exact one. On the network of {ref}`neural_network` this book can.
#
# **Learning objectives.** By the end of this chapter you will be able to
#
# - derive each approximation (low rank, layer blocks, Kronecker factors, the
#   eigenvalue correction, DataInf's swap of inverse and sum, TRAK's projected margins,
#   gradient similarity) in a few lines from the exact formula, and name what it gives up;
# - measure how far each is from the exact influence and from the PBRF, on the same
#   network, by correlation, rank correlation, the overlap of the top-10 lists and size;
# - say what each costs in time and memory as the network widens, and which knob (rank,
#   projection dimension, damping) buys back accuracy;
# - tell which library computes which method, and what a check against the exact solve
#   catches in them.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue
from sklearn.datasets import load_digits

from influence_demo import (
    MLPClassifier,
    arnoldi_influence,
    datainf_influence,
    grad_similarity,
    influence_loss,
    kfac_influence,
    pbrf,
    pearson,
    spearman,
    trak_influence,
)
from influence_demo.approximations import layer_slices

# %% [markdown]
# ## The network, and the exact answer
#
# The network, data and penalty of {ref}`neural_network`: 200 training digits, 64 pixels
# → 8 tanh units → 10 classes, $\lambda = 1$. The exact answer is the damped Gauss–Newton
# influence $\mathcal I = -G_{\text{test}}(G + \delta I)^{-1}G_{\text{train}}^\top$ (here
# $G$ is the Gauss–Newton matrix, penalty included, and $\delta = 0$), the derivative of
# the PBRF {eq}`eq-nn-pbrf`. We compute it for 50 test digits: a $(50, 200)$ matrix,
# positive where a training point is harmful, in the convention of {ref}`notation`.

# %%
digits = load_digits()
X_all, y_all = digits.data / 16.0, digits.target
order = np.random.default_rng(0).permutation(len(y_all))
X, y = X_all[order[:200]], y_all[order[:200]]
X_test, y_test = X_all[order[200:]], y_all[order[200:]]
Xq, yq = X_test[:50], y_test[:50]

model = MLPClassifier(n_hidden=8, l2=1.0, seed=0).fit(X, y)
exact = influence_loss(model, X, y, Xq, yq, curvature="ggn")
print(f"p = {model.n_params_} parameters; exact influence of shape {exact.shape}")

# %% [markdown]
# ## Seven ways around the inverse
#
# All the methods below have the signature of
# {func}`~influence_demo.influence.influence_loss` and return a matrix oriented like it,
# so that each can be compared with `exact` entry by entry. Write $g_i$ for the gradient
# of training point $i$, $v$ for that of a test point and $C$ for the curvature (here the
# Gauss–Newton matrix, penalty included), so that
# $\mathcal I = -v^\top (C + \delta I)^{-1} g_i$.
#
# **Low rank (Arnoldi).** Write $C = \sum_k \theta_k u_ku_k^\top$. Keeping the $r$
# largest eigenpairs gives
# $\mathcal I \approx -\sum_{k\le r}(u_k^\top v)(u_k^\top g_i)/(\theta_k + \delta)$.
# {cite:t}`schioppa2022scaling` find them by the Arnoldi iteration, from
# curvature-vector products alone ({func}`~influence_demo.approximations.arnoldi_influence`).
# *Gives up* the directions of small curvature, which are exactly where $C^{-1}$ is
# largest.
#
# **Layer blocks, Kronecker factors, corrected eigenvalues (K-FAC, EK-FAC).** Keep only the
# diagonal block $C_{ll}$ of each layer. A layer's per-example gradient is an outer
# product $\delta_i\tilde a_i^\top$ (output gradient times input, the bias a last input
# 1), so $C_{ll} = \sum_i \mathbb E[\delta_i\delta_i^\top]\otimes\tilde a_i\tilde a_i^\top
# + \lambda I$. K-FAC {cite:p}`martens2015optimizing` replaces the sum of Kronecker
# products by the Kronecker product of sums, $\frac1n S\otimes A$, whose inverse needs only
# the eigendecompositions of the small factors $S$ and $A$. EK-FAC
# {cite:p}`george2018fast` keeps that eigenbasis but refits the eigenvalues to the
# per-example gradients ({func}`~influence_demo.kfac.kfac_influence`). *Gives up* the
# blocks between layers; then the correlation between $\delta_i$ and $\tilde a_i$ across
# examples (K-FAC); EK-FAC buys back the eigenvalues, not the eigenvectors. The
# expectation over labels is the Gauss–Newton matrix; kronfluence samples one label per
# example instead, and the *empirical* Fisher uses the observed label.
#
# **The inverse of a sum as a sum of inverses (DataInf).** With the empirical Fisher in
# each layer, $\bigl(\frac1n\sum_i g_ig_i^\top + \rho I\bigr)^{-1} \approx
# \frac1n\sum_i(g_ig_i^\top + \rho I)^{-1}$, and each term is closed by Sherman–Morrison
# ({func}`~influence_demo.approximations.datainf_influence`; $\rho = (\lambda+\delta)/n$ on
# their mean scale). *Gives up* the layer cross terms, the Gauss–Newton curvature and,
# in the swap, every interaction between training points: it is exact for one point.
#
# **Margins, no penalty, a projection (TRAK).** TRAK uses the gradient $\phi_i$ of the
# margin $\log p_y - \log(1 - p_y)$ instead of the loss, the Gauss–Newton matrix of the
# margins without penalty, $\Phi^\top\Phi$ (a pseudo-inverse: here $n < p$), a random
# projection of the gradients to $k$ dimensions, and a weight $1 - p_{y_i}$
# ({func}`~influence_demo.approximations.trak_influence`). *Gives up* the penalty and the
# loss's curvature, and with a projection the directions it misses.
#
# **No curvature (gradient similarity).** $-v^\top g_i$ is TracIn at one checkpoint and
# the limit $\delta\,\mathcal I_\delta$ as $\delta\to\infty$; its cosine form divides by
# the norms ({func}`~influence_demo.approximations.grad_similarity`). *Gives up*
# everything the curvature says.
#
# Between the exact answer and K-FAC sits the plain block-diagonal curvature, with exact
# blocks. It is no library's method, but it separates what K-FAC loses by dropping the
# cross-layer blocks from what it loses by factoring, so we write it from scratch:

# %%
def block_diagonal(model, X, y, X_q, y_q):
    """Exact influence with the cross-layer blocks of G set to zero."""
    C = model.ggn(X, y)
    G, T = model.grad(X, y), model.grad(X_q, y_q)
    out = np.zeros((len(y_q), len(y)))
    for sl in layer_slices(model):  # hidden layer, output layer
        out -= T[:, sl] @ np.linalg.solve(C[sl, sl], G[:, sl].T)
    return out


# %% [markdown]
# Each method at its library's default knob (Arnoldi at two ranks, TRAK with and without
# a projection to 128 dimensions); DataInf and TRAK take no damping here beyond
# $\lambda = 1$.

# %%
methods = {
    "block-diagonal (exact blocks)": block_diagonal,
    "K-FAC": kfac_influence,
    "EK-FAC": lambda *a: kfac_influence(*a, eigencorrect=True),
    "EK-FAC, sampled labels": lambda *a: kfac_influence(
        *a, eigencorrect=True, fisher="sampled"),
    "EK-FAC, empirical Fisher": lambda *a: kfac_influence(
        *a, eigencorrect=True, fisher="empirical"),
    "Arnoldi, rank 50": lambda *a: arnoldi_influence(*a, 50),
    "Arnoldi, rank 100": lambda *a: arnoldi_influence(*a, 100),
    "DataInf": lambda *a: datainf_influence(*a, damping=0.0),
    "TRAK": trak_influence,
    "TRAK, 128 dimensions": lambda *a: trak_influence(*a, proj_dim=128),
    "gradient dot product": grad_similarity,
    "gradient cosine": lambda *a: grad_similarity(*a, kind="cos"),
}
approx = {name: f(model, X, y, Xq, yq) for name, f in methods.items()}

# %% [markdown]
# ## Each against the exact influence
#
# For each of the 50 test digits we compare a method's row with the exact row: the
# Pearson and Spearman correlations, how many of the 10 most harmful (and of the 10 most
# helpful) training points the two lists share, and the *size*, the least-squares slope
# of the method's values on the exact ones (1 when the sizes agree). The table reports the
# mean over the 50 digits.

# %%
def agreement(A, E, k=10):
    """Mean over the rows: Pearson, Spearman, top-k overlaps, size."""
    def top(M, sign):
        return np.argsort(-sign * M, axis=1, kind="stable")[:, :k]

    harm = [len(np.intersect1d(a, e)) for a, e in zip(top(A, 1), top(E, 1))]
    help_ = [len(np.intersect1d(a, e)) for a, e in zip(top(A, -1), top(E, -1))]
    return {"pearson": np.mean([pearson(a, e) for a, e in zip(A, E)]),
            "spearman": np.mean([spearman(a, e) for a, e in zip(A, E)]),
            "harmful": np.mean(harm), "helpful": np.mean(help_),
            "size": np.sum(A * E) / np.sum(E * E)}


scores = {name: agreement(A, exact) for name, A in approx.items()}

# %% [markdown]
# The influence function is the derivative of the PBRF, so the last column asks the
# question that matters for a network: how well does each method predict the PBRF
# itself? As in {ref}`neural_network`, we take the first misclassified test digit and the
# 20 training points with the largest exact effect on it, and solve the PBRF
# ($\delta = 0$) for each.

# %%
j = int(np.flatnonzero(model.predict(X_test) != y_test)[0])
x_t, y_t = X_test[j:j + 1], y_test[j:j + 1]
exact_j = influence_loss(model, X, y, x_t, y_t, curvature="ggn")[0]
scored = np.argsort(-np.abs(exact_j))[:20]
truth = pbrf(model, X, y, x_t, y_t, scored).loss_change[0]
r_pbrf = {"exact": pearson(-exact_j[scored], truth)}
for name, f in methods.items():
    r_pbrf[name] = pearson(-f(model, X, y, x_t, y_t)[0][scored], truth)

# %% tags=["remove-input"] mystnb={"markdown_format": "gfm"}
def fmt(x, digits=2):
    return f"{x:.{digits}f}"


header = ("| method | Pearson | Spearman | top-10 harmful | top-10 helpful | size "
          "| Pearson with PBRF |\n|---|---|---|---|---|---|---|\n")
lines = [f"| exact (damped GGN) | 1 | 1 | 10 | 10 | 1 | {fmt(r_pbrf['exact'])} |"]
for name, s in scores.items():
    lines.append(f"| {name} | {fmt(s['pearson'])} | {fmt(s['spearman'])} "
                 f"| {s['harmful']:.1f} | {s['helpful']:.1f} "
                 f"| {s['size']:.2g} | {fmt(r_pbrf[name])} |")
display(Markdown(header + "\n".join(lines)))

# %% tags=["remove-input"]
S = scores


def mean_r(A, B):
    return np.mean([pearson(a, b) for a, b in zip(A, B)])


# the claims of the prose, each with a band
assert S["block-diagonal (exact blocks)"]["pearson"] > 0.93
assert 0.75 < S["K-FAC"]["pearson"] < 0.9 and 0.75 < S["EK-FAC"]["pearson"] < 0.9
assert 1.5 < S["EK-FAC"]["size"] < 2.5 and 1.5 < S["EK-FAC, sampled labels"]["size"] < 2.5
assert S["EK-FAC, empirical Fisher"]["size"] > 5
assert S["EK-FAC, empirical Fisher"]["pearson"] < S["EK-FAC"]["pearson"]
assert S["Arnoldi, rank 50"]["pearson"] < S["Arnoldi, rank 100"]["pearson"]
assert S["Arnoldi, rank 100"]["pearson"] > 0.88
low = ("DataInf", "TRAK", "TRAK, 128 dimensions", "gradient dot product")
assert max(S[m]["pearson"] for m in low) < 0.65
assert abs(S["DataInf"]["pearson"] - S["gradient dot product"]["pearson"]) < 0.05
assert S["DataInf"]["size"] > 20
assert r_pbrf["exact"] >= max(r_pbrf.values())
assert max(S[m]["size"] for m in ("Arnoldi, rank 50", "Arnoldi, rank 100")) < 1
r_datainf_dot = mean_r(approx["DataInf"], approx["gradient dot product"])
assert r_datainf_dot > 0.99
glue("apx-r-datainf-dot", fmt(r_datainf_dot, 3), display=False)
apx = {"apx-r-block": S["block-diagonal (exact blocks)"]["pearson"],
       "apx-r-kfac": S["K-FAC"]["pearson"], "apx-r-ekfac": S["EK-FAC"]["pearson"],
       "apx-r-sampled": S["EK-FAC, sampled labels"]["pearson"],
       "apx-s-ekfac": S["EK-FAC"]["spearman"],
       "apx-r-emp": S["EK-FAC, empirical Fisher"]["pearson"],
       "apx-r-a50": S["Arnoldi, rank 50"]["pearson"],
       "apx-r-a100": S["Arnoldi, rank 100"]["pearson"],
       "apx-r-datainf": S["DataInf"]["pearson"], "apx-r-trak": S["TRAK"]["pearson"],
       "apx-r-dot": S["gradient dot product"]["pearson"],
       "apx-r-pbrf-exact": r_pbrf["exact"], "apx-r-pbrf-ekfac": r_pbrf["EK-FAC"],
       "apx-r-pbrf-dot": r_pbrf["gradient dot product"]}
for key, value in apx.items():
    glue(key, fmt(value), display=False)
glue("apx-size-sampled", f"{S['EK-FAC, sampled labels']['size']:.1f}", display=False)
glue("apx-size-emp", f"{S['EK-FAC, empirical Fisher']['size']:.1f}", display=False)
glue("apx-size-datainf", f"{S['DataInf']['size']:.0f}", display=False)
glue("apx-harm-ekfac", f"{S['EK-FAC']['harmful']:.1f}", display=False)
glue("apx-test-j", j, display=False)

fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6.8, 7.2), sharey=True)
names = list(scores)
ypos = np.arange(len(names))
for ax, keys, labels, xlim in (
        (ax1, ("pearson", "spearman"), ("Pearson", "Spearman"), (0, 1)),
        (ax2, ("harmful", "helpful"), ("top-10 harmful", "top-10 helpful"), (0, 10))):
    for k, (key, label) in enumerate(zip(keys, labels)):
        ax.barh(ypos + (k - 0.5) * 0.38, [scores[m][key] for m in names], height=0.38,
                label=label)
    ax.set_xlim(*xlim)
    ax.legend(loc="lower right", fontsize=9)
    ax.grid(axis="x", lw=0.4)
ax1.set_yticks(ypos, names)
for ax in (ax1, ax2):
    ax.tick_params(axis="y", labelsize=9)
ax1.invert_yaxis()
ax1.set_xlabel("correlation with the exact influence (mean over 50 test digits)")
ax2.set_xlabel("training points shared with the exact top-10 list (mean)")
ax2.set_xticks(range(0, 11, 2))
fig.tight_layout()
glue("fig-apx-compare", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-apx-compare
# :alt: Two panels of horizontal bars, one pair per method. Block-diagonal and Arnoldi at rank 100 come closest to 1; K-FAC and EK-FAC reach about 0.8 Pearson; DataInf, TRAK and the gradient similarities reach about 0.5. The lower panel shows the top-10 overlaps on a scale of 0 to 10, in the same order.
# :name: fig-apx-compare
#
# Each method against the exact damped Gauss–Newton influence on the network of
# {ref}`neural_network`, mean over 50 test digits: correlations (top) and the number of
# the exact top-10 harmful and helpful training points the method also ranks top-10
# (bottom).
# ```
#
# What the table and {numref}`fig-apx-compare` say, method by method:
#
# - **Layer blocks cost little; factoring costs more.** The exact block-diagonal
#   curvature reaches Pearson {glue:text}`apx-r-block`; K-FAC drops to
#   {glue:text}`apx-r-kfac` and EK-FAC's eigenvalue correction barely helps here
#   ({glue:text}`apx-r-ekfac`, Spearman only {glue:text}`apx-s-ekfac`, and
#   {glue:text}`apx-harm-ekfac` of the 10 most harmful points in common). The scores are
#   about twice too large: factoring $\sum_i S_i\otimes A_i$ as a product of sums
#   underestimates the curvature in the directions the gradients take.
# - **The Fisher matters more than the factoring.** Sampling one label per example, as
#   kronfluence does by default, gives Pearson {glue:text}`apx-r-sampled` and a size of
#   {glue:text}`apx-size-sampled`. The empirical Fisher of the observed labels gives
#   {glue:text}`apx-r-emp` and scores {glue:text}`apx-size-emp` times too large: the
#   network fits its training set, its residuals $p_i - e_{y_i}$ are small, and so is the
#   curvature built from them.
# - **Low rank is accurate only at high rank.** Arnoldi keeps the top of the spectrum;
#   Pearson {glue:text}`apx-r-a50` at rank 50 and {glue:text}`apx-r-a100` at rank 100
#   (of 610), with scores too *small*: the dropped directions are the ones with the
#   largest inverse.
# - **DataInf is gradient similarity in disguise here.** Pearson
#   {glue:text}`apx-r-datainf`, against {glue:text}`apx-r-dot` for the bare dot product,
#   and the two agree with each other to Pearson {glue:text}`apx-r-datainf-dot`. Its
#   correction term, a mean over the $n$ training points of rank-one projections, is
#   small against $v^\top g_i$, so DataInf is close to $-v^\top g_i/(\lambda + \delta)$:
#   scores {glue:text}`apx-size-datainf` times too large.
# - **TRAK answers a different question.** Pearson {glue:text}`apx-r-trak` without a
#   projection: its kernel has no penalty, a margin instead of a loss, and a
#   pseudo-inverse on the 200-dimensional span of the training gradients.
#
# Against the PBRF of test digit {glue:text}`apx-test-j`, the ground truth that a
# network's influence estimates, the exact influence reaches Pearson
# {glue:text}`apx-r-pbrf-exact`, EK-FAC {glue:text}`apx-r-pbrf-ekfac` and the gradient
# dot product {glue:text}`apx-r-pbrf-dot` (last column of the table): every
# approximation inherits the error of the influence function and adds its own.
#
# ## What each costs as the network widens
#
# We widen the hidden layer to 16 and 32 units ($p$ = 1,210 and 2,410) and time each
# method on the same 50 test digits, beside the exact solve, which forms the $p\times p$
# matrix ($O(nKp^2)$) and factors it ($O(p^3)$). The figure shows the times measured when
# this page was built; they depend on the machine, so the text quotes only the memory,
# which does not.

# %%
def best_time(fn, repeats=2):
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


timed = ["K-FAC", "EK-FAC", "Arnoldi, rank 100", "DataInf",
         "TRAK, 128 dimensions", "gradient dot product"]
widths, sizes, times = (8, 16, 32), [], {m: [] for m in ["exact"] + timed}
for h in widths:
    wide = MLPClassifier(n_hidden=h, l2=1.0, seed=0).fit(X, y)
    args = (wide, X, y, Xq, yq)
    sizes.append(wide.n_params_)
    times["exact"].append(best_time(
        lambda a=args: influence_loss(*a, curvature="ggn")))
    for name in timed:
        times[name].append(best_time(lambda f=methods[name], a=args: f(*a)))

# %% [markdown]
# What each method stores beyond the $(n+m)\times p$ gradients is fixed by the sizes:
# the exact solve the $p\times p$ matrix; Arnoldi its $p\times 2r$ Krylov basis; K-FAC
# two factors per layer, $(d+1)^2 + h^2$ and $(h+1)^2 + K^2$ numbers; DataInf an
# $n\times n$ Gram matrix per layer; TRAK the $p\times k$ projection.

# %%
n, m, d, K = len(y), len(yq), X.shape[1], 10
print("megabytes stored, at 8 bytes a number")
print(f"{'hidden units':>12}{'p':>7}{'exact, p^2':>12}{'Arnoldi':>10}"
      f"{'K-FAC':>8}{'DataInf':>9}{'TRAK':>8}")
for h, p in zip(widths, sizes):
    store = {"exact": p * p, "Arnoldi": p * 200,
             "K-FAC": (d + 1) ** 2 + h * h + (h + 1) ** 2 + K * K,
             "DataInf": 2 * n * n, "TRAK": p * 128}
    print(f"{h:>12}{p:>7}" + "".join(
        f"{8 * v / 2**20:>{w}.2f}" for v, w in zip(store.values(), (12, 10, 8, 9, 8))))

# %% tags=["remove-input"]
# robust claims only: the exact solve grows fastest and is the slowest at the widest
growth_exact = times["exact"][-1] / times["exact"][0]
assert growth_exact > 5
assert growth_exact > max(times[mm][-1] / times[mm][0] for mm in
                          ("K-FAC", "EK-FAC", "DataInf", "gradient dot product"))
assert times["exact"][-1] > max(times[mm][-1] for mm in timed)
glue("apx-exact-mb-32", f"{8 * sizes[-1] ** 2 / 2**20:.0f}", display=False)
glue("apx-exact-mb-10k", f"{8 * 9985 ** 2 / 2**20:.0f}", display=False)

fig, ax = plt.subplots(figsize=(6.8, 3.8))
for name, ts in times.items():
    style = "k-o" if name == "exact" else "-o"
    ax.plot(sizes, ts, style, ms=4, label=name if name != "exact" else "exact (GGN)")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks(sizes, [f"{p:,}" for p in sizes])
ax.minorticks_off()
ax.set_xlabel("parameters p (hidden width 8, 16, 32)")
ax.set_ylabel("seconds, 50 × 200 influences")
ax.legend(fontsize=9, ncol=2, loc="upper left")
fig.tight_layout()
glue("fig-apx-cost", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-apx-cost
# :alt: Log-log plot of time against the number of parameters for the exact solve and six approximations. The exact solve's line is the steepest and ends highest; K-FAC, EK-FAC, DataInf and the dot product stay low and nearly flat; Arnoldi and TRAK lie in between.
# :name: fig-apx-cost
#
# Time to compute the $50\times 200$ influence matrix as the hidden layer widens, measured
# when this page was built (one BLAS thread). The exact solve grows as $p^3$ once the
# factorisation dominates; the approximations grow at most linearly in $p$ here.
# ```
#
# At $p$ = 2,410 the exact solve already holds a {glue:text}`apx-exact-mb-32` MB matrix;
# at $p \approx 10{,}000$ it would be {glue:text}`apx-exact-mb-10k` MB, and a billion
# parameters would need $8\times 10^{18}$ bytes. The benchmark script
# `benchmarks/approximations.py` (`make bench`) measures the same methods side by side up
# to $p$ = 9,985. The practical rule: while $p$ is in the thousands, the exact solve is
# affordable and should be used, at least to check an approximation on a subset; beyond,
# EK-FAC is the cheapest method that keeps the ranking, and Arnoldi the one whose error
# can be driven down, at a cost linear in its rank.
#
# ## Each error against its knob
#
# Each approximation has one knob that trades cost for accuracy: Arnoldi's rank, TRAK's
# projection dimension, and the damping $\delta$, which every method adds to the
# curvature (the exact answer at the same $\delta$ is the reference, so as $\delta$ grows
# every method tends to the gradient dot product, and so does the reference).

# %%
def mean_pearson(A, E):
    return np.mean([pearson(a, e) for a, e in zip(A, E)])


ranks = [10, 25, 50, 100, 200, 300]
r_rank = [mean_pearson(arnoldi_influence(model, X, y, Xq, yq, r), exact)
          for r in ranks]
dims = [16, 64, 128, 256, 512, 1024, 4096]
trak_full = approx["TRAK"]
r_dim = [mean_pearson(trak_influence(model, X, y, Xq, yq, proj_dim=k), exact)
         for k in dims]
r_dim_trak = [mean_pearson(trak_influence(model, X, y, Xq, yq, proj_dim=k), trak_full)
              for k in dims]
deltas = [0.0, 1.0, 10.0, 100.0, 1000.0]
by_delta = {"K-FAC": [], "EK-FAC": [], "DataInf": [], "gradient dot product": []}
for delta in deltas:
    ref = influence_loss(model, X, y, Xq, yq, curvature="ggn", damping=delta)
    for name, f in (("K-FAC", kfac_influence),
                    ("EK-FAC", lambda *a, **k: kfac_influence(*a, eigencorrect=True, **k)),
                    ("DataInf", datainf_influence)):
        by_delta[name].append(mean_pearson(f(model, X, y, Xq, yq, damping=delta), ref))
    by_delta["gradient dot product"].append(mean_pearson(approx["gradient dot product"], ref))

# %% tags=["remove-input"]
assert np.all(np.diff(r_rank) > 0) and r_rank[-1] > 0.99
assert r_dim_trak[-1] > 0.97 and r_dim_trak[0] < 0.5
k_worst = dims[int(np.argmin(r_dim))]  # the dip where k is close to n = 200
assert k_worst in (128, 256) and max(r_dim) < 0.6
assert all(abs(by_delta[k][-1] - 1) < 0.01 for k in by_delta)
assert by_delta["gradient dot product"][0] < 0.5 and by_delta["DataInf"][0] < 0.5
glue("apx-r-rank300", fmt(r_rank[-1], 3), display=False)
glue("apx-r-rank10", fmt(r_rank[0]), display=False)
glue("apx-r-dim16", fmt(r_dim_trak[0]), display=False)
glue("apx-r-dim4096", fmt(r_dim_trak[-1]), display=False)
glue("apx-k-worst", k_worst, display=False)
glue("apx-r-kfac-d100", fmt(by_delta["K-FAC"][3]), display=False)

fig, axes = plt.subplots(3, 1, figsize=(6.8, 8.0))
ax = axes[0]
ax.plot(ranks, r_rank, "o-")
ax.set_xlabel("Arnoldi rank r (of p = 610), 2r iterations")
ax.set_ylabel("Pearson with exact")
ax = axes[1]
ax.plot(dims, r_dim, "o-", label="against the exact influence")
ax.plot(dims, r_dim_trak, "s--", label="against TRAK without projection")
ax.set_xscale("log", base=2)
ax.set_xlabel("TRAK projection dimension k")
ax.set_ylabel("Pearson")
ax.legend(fontsize=9)
ax = axes[2]
x = [max(dl, 0.1) for dl in deltas]
for name, rs in by_delta.items():
    ax.plot(x, rs, "o-", label=name)
ax.set_xscale("log")
ax.set_xticks(x, ["0"] + [f"{dl:g}" for dl in deltas[1:]])
ax.minorticks_off()
ax.set_xlabel(r"damping $\delta$ (added to $\lambda = 1$)")
ax.set_ylabel(r"Pearson with exact at $\delta$")
ax.legend(fontsize=9)
for ax in axes:
    ax.set_ylim(0, 1.02)
    ax.grid(lw=0.4)
fig.tight_layout()
glue("fig-apx-knobs", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-apx-knobs
# :alt: Three stacked panels. Top, Pearson of Arnoldi against the exact influence rises with the rank to nearly 1 at rank 300. Middle, TRAK with a projection approaches TRAK without one as the dimension grows, but stays far from the exact influence. Bottom, as damping grows every method's agreement with the exact damped influence rises to 1.
# :name: fig-apx-knobs
#
# The knob of each method, mean Pearson over 50 test digits: Arnoldi's rank (top), TRAK's
# projection dimension (middle), and the damping, with the exact influence at the same
# damping as the reference (bottom).
# ```
#
# Arnoldi's error falls steadily with the rank, from Pearson {glue:text}`apx-r-rank10` at
# rank 10 to {glue:text}`apx-r-rank300` at rank 300 (at rank 610 it is exact: the
# package's tests check it). TRAK's projection converges to TRAK without projection, but
# only for $k$ well above the number of training points (Pearson
# {glue:text}`apx-r-dim16` at 16 dimensions, {glue:text}`apx-r-dim4096` at 4,096). Near
# $k = n = 200$ (worst here at $k$ = {glue:text}`apx-k-worst`) the projected $n\times k$
# matrix is nearly square and its pseudo-inverse amplifies the projection's error. And
# whatever $k$, TRAK stays far from the exact influence: the projection is not where
# TRAK's error comes from.
# Damping makes every method look better, but only because the reference moves: at
# $\delta = 100$ K-FAC agrees with the exact *damped* influence to
# {glue:text}`apx-r-kfac-d100`, and both have become gradient similarity. A library's
# default damping is part of its answer.
#
# ## Which library computes which method
#
# | Method | Curvature it approximates | Implemented in |
# | --- | --- | --- |
# | exact (explicit, Cholesky) | $H$ or $G$ | this book; dattri `IFAttributorExplicit`; pyDVL `DirectInfluence` |
# | CG, LiSSA | $H$ (products only) | dattri; pyDVL; this book's {ref}`solvers` |
# | Arnoldi | top-$r$ eigenpairs of $H$ or $G$ | dattri `IFAttributorArnoldi`; pyDVL `ArnoldiInfluence` |
# | Nyström | a random low-rank sketch of $H$ | pyDVL `NystroemSketchInfluence` |
# | K-FAC, EK-FAC | layer blocks of $G$, Kronecker-factored | kronfluence (sampled labels by default); dattri `IFAttributorEKFAC`; pyDVL `EkfacInfluence` |
# | DataInf | layer-wise empirical Fisher, inverse and sum swapped | dattri `IFAttributorDataInf` |
# | TRAK | $\Phi^\top\Phi$ of projected margin gradients | `trak`; dattri `TRAKAttributor` |
# | gradient dot, cosine, TracIn | none | dattri; captum `TracInCP` |
#
# Each library also has its own sign, scale ($n$ times ours for a mean objective) and
# damping scale: {ref}`notation` converts them. What a comparison with the exact solve
# catches goes beyond the approximation itself. Run beside this book's exact answer, the
# libraries showed four problems that no score reveals on its own:
#
# - pyDVL 0.10's `CgInfluence`, at its defaults, returns rows of exact zeros for every
#   test point past the $p$-th (on an 11-parameter linear model with 20 test points, rows
#   12 to 20), where `DirectInfluence` on the same model fills them;
# - dattri 0.3's `IFAttributorCG` ignores its `tol` (its CG loop has no stopping test),
#   runs `max_iter` iterations whatever the residual, and returns NaN once the residual
#   has reached exactly zero (from `max_iter` = 40 on an 11-parameter least-squares
#   problem, where 20 iterations still give a relative error of $3\times10^{-5}$);
# - dattri, like torch, computes in float32 unless model and data are cast to float64;
# - dattri's `IFAttributorExplicit` forms and inverts the full training Hessian again
#   for every pair of a training batch and a test batch.
#
# Each of these is obvious next to an exact answer. So is agreement: kronfluence 1.0.1's
# EK-FAC with the empirical Fisher reproduces
# `kfac_influence(..., eigencorrect=True, fisher="empirical")` to 15 digits on a torch
# twin of this network (its damping set to $\lambda/n$, its scores divided by $-n$). The
# cell below shows what the float32 default alone costs, on this network.

# %%
G32 = model.grad(X, y).astype(np.float32)
T32 = model.grad(Xq, yq).astype(np.float32)
C32 = model.ggn(X, y).astype(np.float32)
single = -(T32 @ np.linalg.solve(C32, G32.T)).astype(float)
err32 = np.abs(single - exact).max() / np.abs(exact).max()
same32 = agreement(single, exact)["harmful"]
print(f"float32: largest error below 1e-6 of the largest |influence|: "
      f"{err32 < 1e-6}")
print(f"top-10 harmful lists in common: {same32:.1f} of 10")

# %% tags=["remove-input"]
assert 1e-9 < err32 < 1e-6 and same32 > 9.5

# %% [markdown]
# Here float32 is harmless for the ranking: its error is far below the differences that
# separate the approximations. It matters where digits are compared, as in the checks of
# this book, and when a curvature with a condition number near $10^7$ is inverted.
#
# ## Summary
#
# - Every library approximates $(C + \delta I)^{-1}$, and each approximation gives up
#   something nameable: the small-curvature directions (Arnoldi), the cross-layer blocks
#   and the correlation inside a layer (K-FAC; EK-FAC restores only the eigenvalues), the
#   interactions between training points (DataInf), the penalty and the loss (TRAK), or
#   all of the curvature (gradient similarity).
# - On the network of {ref}`neural_network`: block-diagonal {glue:text}`apx-r-block`,
#   K-FAC {glue:text}`apx-r-kfac`, EK-FAC {glue:text}`apx-r-ekfac` with scores about
#   twice too large, Arnoldi {glue:text}`apx-r-a100` at rank 100, DataInf, TRAK and the
#   gradient dot product about 0.5 (Pearson with the exact influence). The choice of
#   Fisher moves EK-FAC's sizes by a factor {glue:text}`apx-size-emp` (empirical).
# - The exact solve costs $O(p^3)$ and $8p^2$ bytes, affordable into the thousands of
#   parameters; beyond, EK-FAC is cheapest among the methods that keep the ranking and
#   Arnoldi's error can be bought down with rank.
# - Damping hides errors by moving the reference towards gradient similarity.
# - Check an approximation against the exact solve on a model small enough to have one:
#   that is how the silent failures of CG, float32 and redundant Hessians are found.
#
# ## Exercises
#
# ```{exercise} DataInf by hand
# :label: ex-apx-1
#
# Write `datainf(G, G_test, mu)` that returns DataInf's approximation of
# $-G_{\text{test}}(G^\top G + \mu I)^{-1}G^\top$ for one block, shape $(m, n)$, in this
# book's sum convention, with the Sherman–Morrison formula and without forming any
# $p\times p$ inverse. Check it with `influence_demo.coursework.check_datainf`.
# ```
#
# ```{solution-start} ex-apx-1
# :class: dropdown
# ```
#
# The sum curvature is $n$ times the mean one, with $\rho = \mu/n$; the mean of the
# inverses gives $\frac1\mu\bigl(I - \frac1n\sum_k g_kg_k^\top/(\rho + \lVert
# g_k\rVert^2)\bigr)$.

# %%
from influence_demo.coursework import check_datainf


def datainf(G, G_test, mu):
    n = G.shape[0]
    c = mu / n + np.sum(G**2, axis=1)
    A = G_test @ G.T
    return -(A - (A / c) @ (G @ G.T) / n) / mu


assert check_datainf(datainf)

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} When K-FAC is exact
# :label: ex-apx-2
#
# Fit {class}`~influence_demo.nn.SoftmaxRegression` ($\lambda = 1$, with a column of ones)
# to one training digit and compare `kfac_influence` with `influence_loss`. Then fit it to
# two digits, then to all 200. Why is K-FAC exact for one point, and how far is it for
# more?
# ```
#
# ```{solution-start} ex-apx-2
# :class: dropdown
# ```
#
# For one point the curvature is $M\otimes xx^\top + \lambda I$, a Kronecker product
# already; with more points the sum of Kronecker products is not the product of sums.

# %%
from influence_demo import SoftmaxRegression, add_intercept

Xi, Xqi = add_intercept(X), add_intercept(Xq)
for n_pts in (1, 2, 200):
    soft = SoftmaxRegression(l2=1.0, n_classes=10).fit(Xi[:n_pts], y[:n_pts])
    ex = influence_loss(soft, Xi[:n_pts], y[:n_pts], Xqi, yq)
    kf = kfac_influence(soft, Xi[:n_pts], y[:n_pts], Xqi, yq)
    err = np.abs(kf - ex).max() / np.abs(ex).max()
    print(f"{n_pts:>3} training digits: largest K-FAC error "
          f"{'below 1e-12' if err < 1e-12 else f'{err:.2f}'} of max |exact|")

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} Which rank does Arnoldi need?
# :label: ex-apx-3
#
# Find the smallest Arnoldi rank (with the default $2r$ iterations) whose influence on the
# 50 test digits has mean Pearson above 0.95 with the exact one. How many curvature-vector
# products does it take, and how does that compare with $p$?
# ```
#
# ```{solution-start} ex-apx-3
# :class: dropdown
# ```
#
# A bisection over the rank; each step is one Arnoldi run.

# %%
lo, hi = 100, 300  # Pearson below and above 0.95 (figure above)
while hi - lo > 10:
    mid = (lo + hi) // 2
    r_mid = mean_pearson(arnoldi_influence(model, X, y, Xq, yq, mid), exact)
    lo, hi = (mid, hi) if r_mid < 0.95 else (lo, mid)
print(f"rank between {lo} and {hi}: about {2 * hi} curvature-vector "
      f"products, against p = {model.n_params_}")

# %% [markdown]
# ```{solution-end}
# ```
#
# ## References
#
# The bibliography of the whole book is on the {doc}`references` page. This chapter cites
# {cite:t}`schioppa2022scaling` (Arnoldi), {cite:t}`martens2015optimizing` (K-FAC),
# {cite:t}`george2018fast` (EK-FAC), {cite:t}`grosse2023studying` (EK-FAC influence),
# {cite:t}`kwon2023datainf` (DataInf), {cite:t}`park2023trak` (TRAK) and
# {cite:t}`pruthi2020estimating` (TracIn).
