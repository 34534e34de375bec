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
# (lds)=
# # Judging an attribution
#
# Every chapter so far has judged an influence estimate by one question: does it predict
# what happens when *one* training point is removed? For a convex model that question has
# one answer, and {ref}`digits_influence` checked it against a refit per point. For a
# network, {ref}`neural_network` found that the answer depends on where retraining starts,
# and that refitting the same data from a new seed moves a test loss by more than removing
# a typical point does. A correlation with leave-one-out retraining from scratch then
# mostly measures the noise of retraining.
#
# The field has moved to another yardstick, the **linear datamodeling score** (LDS) of
# {cite:t}`ilyas2022datamodels` and {cite:t}`park2023trak`: retrain on many random
# *halves* of the training set, and ask whether the scores, added up over each half,
# rank the halves' test losses correctly. Removing half the data moves a test loss far
# more than retraining noise does, so the question can be answered even for a network.
# dattri's benchmark {cite:p}`deng2024dattri` reports three numbers for every method:
# the correlation with leave-one-out retraining, the LDS and the area under the ROC curve
# of noisy-label detection. This chapter computes all three for every method the book has,
# on the digits logistic regression of {ref}`digits_influence` and on the network of
# {ref}`neural_network`, together with the LDS of retraining itself, which shows how much
# of the distance to a perfect score is the noise of retraining.
#
# **Learning objectives.** By the end of this chapter you will be able to
#
# - define the LDS, compute it from subset refits, and say what it assumes (that removal
#   effects add up) and on what it depends (the subset fraction $\alpha$, the number of
#   subsets, the start of the refits);
# - attach a bootstrap spread to a mean LDS, print only the digits it allows, and tell two
#   methods apart by a paired comparison;
# - measure the LDS of retraining itself, and read from it how much of the gap to 1 is
#   noise;
# - explain why a ranking of methods by leave-one-out correlation and a ranking by LDS can
#   disagree.

# %%
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue
from sklearn.datasets import load_digits

from influence_demo import (
    LogisticRegression,
    MLPClassifier,
    SubsetRefits,
    add_intercept,
    arnoldi_influence,
    datainf_influence,
    detection_auc,
    flip_labels,
    grad_similarity,
    influence_loss,
    kfac_influence,
    lds,
    load_digits_pair,
    loo_correlation,
    loo_loss_change,
    loo_loss_change_onestep,
    mean_lds,
    pearson,
    retrain,
    spearman,
    subset_retrain,
    trak_influence,
)

# %% [markdown]
# ## The linear datamodeling score
#
# Write $\tau_{ji}$ for a method's score of training point $z_i$ on test point
# $z_{\text{test},j}$, oriented like $\mathcal I_{\text{up,loss}}$ ({ref}`notation`):
# positive means harmful, and $-\tau_{ji}$ is the predicted change of the test loss when
# $z_i$ is removed. Draw $K$ subsets $S_1, \dots, S_K$, each keeping a fraction $\alpha$
# of the $n$ training points, and refit the model on each. If removal effects add up, the
# method predicts for subset $S_k$ the change
#
# $$
# \Delta_{jk} = \sum_{i \notin S_k} (-\tau_{ji})
# $$
#
# of test loss $j$, and its LDS on test point $j$ is the Spearman correlation over the
# $K$ subsets between these predictions and the refitted test losses $L_{jk}$:
#
# $$
# \operatorname{LDS}_j = \rho_{\text{S}}\bigl((\Delta_{jk})_{k},\,(L_{jk})_{k}\bigr).
# $$
#
# Ilyas et al. and dattri sum the scores over the points a subset *keeps*. That gives the
# same number: $\sum_{i\in S_k}\tau_{ji} = \sum_i\tau_{ji} + \Delta_{jk}$, and the first
# term is the same for every subset, so both rank the subsets identically. For the same
# reason the LDS does not change when the scores are multiplied by a positive constant,
# such as the factor $n$ between this book's sum objective and Koh & Liang's mean
# objective.
#
# The LDS makes two assumptions. The first is **additivity**: the effect of removing a
# set is the sum of the effects of removing its points. Influence functions are additive
# by construction (they are a first-order expansion in the weights of all points at
# once); retraining is not, and {ref}`digits_influence` showed that groups of similar
# points have effects larger than their sums. The second is the **fraction**
# $\alpha$: removing $1 - \alpha$ of the data is a large step, and an estimate that is
# right for one removal ($\alpha \to 1$) need not be right for half the data. The usual
# choice is $\alpha = 0.5$.
#
# {func}`~influence_demo.lds.subset_retrain` draws the subsets (seeded) and refits the
# model on each, to the rounding floor of the gradient as the leave-one-out refits are,
# from the start chosen as in {func}`~influence_demo.retrain.retrain`;
# {func}`~influence_demo.lds.lds` computes $\operatorname{LDS}_j$ for every test point;
# {func}`~influence_demo.lds.mean_lds` averages them and attaches a bootstrap standard
# error.
#
# ## The digits logistic regression
#
# The data and model are those of {ref}`digits_influence`: 1s against 7s, 64 pixels and a
# bias, $\lambda = 10^{-3}$.

# %%
X_raw, y, X_test_raw, y_test = load_digits_pair(1, 7, test_fraction=0.3,
                                                rng=0)
X, X_test = add_intercept(X_raw), add_intercept(X_test_raw)
L2 = 1e-3
model = LogisticRegression(l2=L2).fit(X, y)
print(f"{len(y)} training and {len(y_test)} test images")

# %% [markdown]
# **The methods.** Every method is a function with the signature of
# {func}`~influence_demo.influence.influence_loss` that returns an $(m, n)$ array oriented
# like $\mathcal I_{\text{up,loss}}$, collected in one dictionary, so that a new method is
# judged by adding one entry. For a linear model the book has
#
# - **exact influence**, $-\nabla L(z_{\text{test}})^\top H^{-1}\nabla L(z_i)$;
# - the **one-step Newton** estimate of {ref}`digits_influence`, which corrects the
#   influence by the generalized leverage and predicts one removal better;
# - the approximations of {ref}`approximations` that apply to a model with one linear
#   layer: **Arnoldi**, the inverse Hessian on its 20 largest eigenpairs (about a third
#   of the $p = 65$ parameters) and on its 5 largest; **DataInf**, its sum of rank-one
#   inverses, with no damping beyond $\lambda$;
# - **gradient similarity**, $-\nabla L(z_{\text{test}})^\top\nabla L(z_i)$: the
#   influence with $H$ replaced by the identity, TracIn at one checkpoint
#   {cite:p}`pruthi2020estimating`, and the limit of the damped influence for large
#   damping; and its **cosine** form, which divides by the two gradients' norms.
#
# K-FAC, EK-FAC and TRAK need the layers of a softmax model, so they are scored on the
# network below.

# %%
def one_step(model, X, y, X_test, y_test):
    return -loo_loss_change_onestep(model, X, y, X_test, y_test)


methods = {
    "exact influence": influence_loss,
    "one-step Newton": one_step,
    "Arnoldi, rank 20": partial(arnoldi_influence, rank=20,
                                curvature="hessian"),
    "Arnoldi, rank 5": partial(arnoldi_influence, rank=5, curvature="hessian"),
    "DataInf": partial(datainf_influence, damping=0.0),
    "gradient similarity": grad_similarity,
    "gradient cosine": partial(grad_similarity, kind="cos"),
}
scores = {name: f(model, X, y, X_test, y_test) for name, f in methods.items()}

# %% [markdown]
# **The ground truths.** One refit without each training point, and 100 refits on random
# halves, warm-started from $\hat\theta$. The objective is convex, so a cold start reaches
# the same minimum; the cell after the next checks it.

# %%
loo = loo_loss_change(model, X, y, X_test, y_test)  # (m, n), n refits
halves = subset_retrain(model, X, y, X_test, y_test, fraction=0.5,
                        n_subsets=100, seed=0)
print(halves.masks.shape, halves.losses.shape)

# %% [markdown]
# **Noisy-label detection.** We flip 10% of the training labels, refit, and rank the
# training points by each method's self-score $-\tau_{ii}$ (for exact influence, the
# self-influence of {ref}`mislabeled`); the area under the ROC curve is the probability
# that a flipped point is ranked above a clean one
# ({func}`~influence_demo.lds.detection_auc`).

# %%
y_noisy, flipped = flip_labels(y, 0.1, rng=1)
noisy = LogisticRegression(l2=L2).fit(X, y_noisy)


def self_suspicion(f, model, X, y):
    s = -np.diag(f(model, X, y, X, y))
    return np.round(s / np.abs(s).max(), 12)  # equal in exact arithmetic: tied


auc = {name: detection_auc(self_suspicion(f, noisy, X, y_noisy), flipped)
       for name, f in methods.items()}

# %% [markdown]
# The three numbers side by side. The LDS is printed with its standard error from a
# bootstrap over the subsets, and with only the digits that error allows.

# %% mystnb={"markdown_format": "gfm"}
def table(rows, header):
    lines = ["| " + " | ".join(header) + " |",
             "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return Markdown("\n".join(lines))


lr = {}
for name in methods:
    lr[name] = {
        "loo": loo_correlation(scores[name], loo).mean(),
        "lds": mean_lds(scores[name], halves, over="subsets", n_boot=200),
        "auc": auc[name],
    }
display(table([(name, f"{r['loo']:.2f}", str(r["lds"]), f"{r['auc']:.2f}")
               for name, r in lr.items()],
              ["method", "LOO correlation", "LDS, α = 0.5", "noisy-label AUC"]))

# %% tags=["remove-input"]
cold = subset_retrain(model, X, y, X_test, y_test, masks=halves.masks[:20],
                      start="same_init")
assert np.abs(cold.losses - halves.losses[:20]).max() < 1e-9  # warm = cold
exact, onestep, dot = (lr[k] for k in ("exact influence", "one-step Newton",
                                       "gradient similarity"))
a20, a5, dinf, cos = (lr[k] for k in ("Arnoldi, rank 20", "Arnoldi, rank 5",
                                      "DataInf", "gradient cosine"))
# the package's gradient similarity is -grad_test . grad_i, positive = harmful
np.testing.assert_allclose(scores["gradient similarity"],
                           -model.grad(X_test, y_test) @ model.grad(X, y).T)


def paired_diff(a, b):
    """Difference of two mean LDS and its paired bootstrap spread."""
    return a.mean - b.mean, (a.samples - b.samples).std()


# paired bootstrap: same resamples for both methods
diff = onestep["lds"].samples - exact["lds"].samples
assert onestep["loo"] > exact["loo"] > dot["loo"]
assert exact["lds"].mean - onestep["lds"].mean > 4 * diff.std()
assert dot["lds"].mean < onestep["lds"].mean
# Arnoldi: rank 20 a little below exact, far above one-step; rank 5 in between
d, se = paired_diff(exact["lds"], a20["lds"])
assert 3 * se < d < 0.05
assert a20["lds"].mean - onestep["lds"].mean > 4 * paired_diff(a20["lds"],
                                                          onestep["lds"])[1]
assert onestep["lds"].mean - 0.15 > a5["lds"].mean > dot["lds"].mean + 0.15
# DataInf is gradient similarity here; the cosine is last and blind to flips
assert abs(dinf["lds"].mean - dot["lds"].mean) < 0.01
assert abs(dinf["loo"] - dot["loo"]) < 0.01
r_dinf_dot = np.mean([pearson(a, b) for a, b in zip(scores["DataInf"],
                                                    scores["gradient similarity"])])
assert r_dinf_dot > 0.999
d, se = paired_diff(dot["lds"], cos["lds"])
assert d > 2.5 * se and cos["loo"] < dot["loo"]
assert cos["auc"] == 0.5  # every self-score is -1: all tied
assert min(r["auc"] for k, r in lr.items() if k != "gradient cosine") > 0.9
lds_glue = {"lds-lr-loo-exact": round(float(exact["loo"]), 2),
            "lds-lr-loo-onestep": round(float(onestep["loo"]), 2),
            "lds-lr-loo-dot": round(float(dot["loo"]), 2),
            "lds-lr-lds-exact": str(exact["lds"]),
            "lds-lr-lds-onestep": str(onestep["lds"]),
            "lds-lr-lds-dot": str(dot["lds"]),
            "lds-lr-diff-se": round(float(diff.std()), 3),
            "lds-lr-auc-dot": round(float(dot["auc"]), 2),
            "lds-lr-auc-cos": round(float(cos["auc"]), 2),
            "lds-lr-lds-a20": str(a20["lds"]),
            "lds-lr-lds-a5": str(a5["lds"]),
            "lds-lr-lds-datainf": str(dinf["lds"]),
            "lds-lr-lds-cos": str(cos["lds"]),
            "lds-lr-n-flipped": len(flipped)}
for key, value in lds_glue.items():
    glue(key, value, display=False)

# %% [markdown]
# Warm and cold subset refits agree to $10^{-9}$ in every test loss (checked in the cell
# above, against cold refits of the first 20 halves), so for this model there is one ground truth.
#
# **The two yardsticks disagree.** By leave-one-out correlation the one-step Newton
# estimate is the best method ({glue:text}`lds-lr-loo-onestep` against
# {glue:text}`lds-lr-loo-exact`): it was built to predict one removal, leverage factor
# included. By LDS it is worse than plain influence ({glue:text}`lds-lr-lds-onestep`
# against {glue:text}`lds-lr-lds-exact`). The difference is far outside the noise: the
# two are scored on the same refits, and a paired bootstrap (the same resampled subsets
# for both) gives the difference a standard error of {glue:text}`lds-lr-diff-se`, less
# than a quarter of the difference.
#
# The reason is additivity. Expand the test loss after removing a set $R$ of points to
# second order in their weights: the first-order terms are the influences, one per point,
# and the second-order terms come in two kinds, one per point (its own curvature, which
# the leverage factor $1/(1-h_i)$ of the one-step estimate accounts for) and one per
# *pair* of removed points (how removing one changes the effect of the other). For one
# removal there are no pairs, and the one-step estimate wins. When half of the 253 points
# go, there are about 8,000 pairs for 126 points: correcting the per-point terms alone
# while ignoring the pairs is less balanced than correcting neither. The next section
# shows the cross-over as $\alpha$ moves.
#
# **The approximations** fall in the order of how much of the curvature they keep.
# Arnoldi at rank 20 is close to exact influence (LDS {glue:text}`lds-lr-lds-a20`, a
# little but clearly below by the paired bootstrap) and ahead of the one-step estimate;
# at rank 5 it drops to {glue:text}`lds-lr-lds-a5`. DataInf, with $\lambda = 10^{-3}$
# as its only damping, is gradient similarity in disguise (LDS
# {glue:text}`lds-lr-lds-datainf` against {glue:text}`lds-lr-lds-dot`; its scores
# correlate with the dot product's above 0.999, checked in the cell above; on the
# network of {ref}`approximations` they did above 0.99): each of its rank-one inverses
# $(g_kg_k^\top + \rho I)^{-1}$ is $1/\rho$ times the identity except along its own
# $g_k$, and their mean keeps little of the curvature that the inverse of the mean has.
# Gradient similarity, which ignores the curvature, is far behind the methods that keep
# some (LOO correlation {glue:text}`lds-lr-loo-dot`, LDS {glue:text}`lds-lr-lds-dot`), and
# its cosine form is last ({glue:text}`lds-lr-lds-cos`).
#
# Gradient similarity still finds the {glue:text}`lds-lr-n-flipped` flipped labels (AUC
# {glue:text}`lds-lr-auc-dot`): $\lVert\nabla L(z_i)\rVert^2$ is large for a point the
# model gets badly wrong, which is what a flipped label is. Noisy-label detection is a
# question about a point's own loss, not about its effect on others, and every method
# answers it except the cosine (AUC {glue:text}`lds-lr-auc-cos`, chance): dividing by
# $\lVert\nabla L(z_i)\rVert$ makes every self-score $-1$, so all points tie. (The
# self-scores are rounded to 12 digits relative to the largest before ranking, so that
# values equal in exact arithmetic tie on every machine.)
#
# ## How the LDS moves with α and with the number of subsets
#
# The fraction $\alpha$ decides what is asked. Near $\alpha = 1$ each subset leaves out a
# few points and the LDS asks about few removals at a time; at small $\alpha$ most of the
# data go and the linear prediction is stretched far. We refit 40 subsets at each of five
# fractions, and score exact influence, the one-step estimate and gradient similarity.

# %%
alphas = [0.1, 0.25, 0.5, 0.75, 0.9]
by_alpha = {name: [] for name in ("exact influence", "one-step Newton",
                                  "gradient similarity")}
for a in alphas:
    refits = subset_retrain(model, X, y, X_test, y_test, fraction=a,
                            n_subsets=40, seed=1)
    for name in by_alpha:
        by_alpha[name].append(mean_lds(scores[name], refits, over="subsets",
                                       n_boot=200))

# %% [markdown]
# The number of subsets sets the noise of the estimate, not its value: we score exact
# influence on the first $K$ of the 100 halves.

# %%
def first(refits, K):
    return SubsetRefits(refits.masks[:K], refits.losses[:K],
                        refits.params[:K], None, refits.start)


counts = [10, 20, 50, 100]
by_count = [mean_lds(scores["exact influence"], first(halves, K),
                     over="subsets", n_boot=200) for K in counts]
for K, r in zip(counts, by_count):
    print(f"K = {K:>3} subsets: mean LDS of exact influence {r}")

# %% tags=["remove-input"]
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6.5, 6.2))
for name, marker in zip(by_alpha, "osd"):
    means = [r.mean for r in by_alpha[name]]
    errs = [r.se for r in by_alpha[name]]
    ax1.errorbar(alphas, means, yerr=errs, marker=marker, capsize=3, label=name)
ax1.set_xlabel(r"fraction $\alpha$ of the training points each subset keeps")
ax1.set_ylabel("mean LDS")
ax1.set_title("(a) logistic regression, 40 subsets per fraction", fontsize=10)
ax1.legend(fontsize=9)
ax2.errorbar(counts, [r.mean for r in by_count], yerr=[r.se for r in by_count],
             marker="o", capsize=3, color="C0")
ax2.set_xscale("log")
ax2.set_xticks(counts, [str(K) for K in counts])
ax2.minorticks_off()
ax2.set_xlabel("number of subsets $K$")
ax2.set_ylabel("mean LDS, exact influence")
ax2.set_title(r"(b) logistic regression, $\alpha = 0.5$", fontsize=10)
fig.tight_layout()
glue("fig-lds-alpha", fig, display=False)
plt.close(fig)

one_a = [r.mean for r in by_alpha["one-step Newton"]]
exa = [r.mean for r in by_alpha["exact influence"]]
paired = [(by_alpha["one-step Newton"][k].samples
           - by_alpha["exact influence"][k].samples).std() for k in (0, -1)]
assert exa[0] - one_a[0] > 3 * paired[0]  # exact ahead at alpha = 0.1
assert paired[1] < one_a[-1] - exa[-1] < 3 * paired[1]  # ahead, not decisively
glue("lds-lr-gain-09", round(one_a[-1] - exa[-1], 2), display=False)
glue("lds-lr-gain-09-se", round(float(paired[1]), 3), display=False)
assert all(np.diff(exa) > 0)  # LDS rises with alpha for exact influence
assert by_count[0].se > 2 * by_count[-1].se
glue("lds-lr-lds-09", round(exa[-1], 2), display=False)
glue("lds-lr-lds-09-onestep", round(one_a[-1], 2), display=False)
glue("lds-lr-lds-01", round(exa[0], 2), display=False)

# %% [markdown]
# ```{glue:figure} fig-lds-alpha
# :alt: Top, three curves of mean LDS against alpha from 0.1 to 0.9; exact influence and one-step Newton rise from about 0.6 and 0.5 to about 0.95 and cross near alpha 0.75; gradient similarity stays near 0.3. Bottom, the mean LDS of exact influence against the number of subsets, 10 to 100, about constant with error bars that shrink.
# :name: fig-lds-alpha
#
# (a) Mean LDS of the three methods against the fraction $\alpha$ each subset keeps, with
# bootstrap standard errors over the subsets. (b) Mean LDS of exact influence scored on
# the first $K$ of the 100 subsets at $\alpha = 0.5$.
# ```
#
# Exact influence rises from {glue:text}`lds-lr-lds-01` at $\alpha = 0.1$ to
# {glue:text}`lds-lr-lds-09` at $\alpha = 0.9$: the fewer points are removed, the better
# a linear prediction. The one-step estimate crosses it: far behind at small $\alpha$,
# and ahead at $\alpha = 0.9$ ({glue:text}`lds-lr-lds-09-onestep`), where few points
# leave together and the per-point correction dominates. At $\alpha = 0.9$ the lead,
# {glue:text}`lds-lr-gain-09`, is about two paired standard errors
# ({glue:text}`lds-lr-gain-09-se`) on 40 subsets: suggestive, where the gap at small
# $\alpha$ is decisive. So an LDS is a statement about one $\alpha$,
# and a ranking of methods by LDS can change with it. The number of subsets does not move
# the mean but sets its spread, which shrinks about as $1/\sqrt K$ (panel b).
#
# ## The network
#
# The network of {ref}`neural_network` (one hidden layer of tanh units, $\lambda = 1$,
# all ten digits), made smaller so that this chapter's 130 refits stay fast: 4 hidden units
# instead of 8, and 100 training images instead of 200, with 200 other images as test
# points.

# %%
digits = load_digits()
order = np.random.default_rng(0).permutation(len(digits.target))
Xn, yn = digits.data[order[:100]] / 16.0, digits.target[order[:100]]
Xn_test = digits.data[order[100:300]] / 16.0
yn_test = digits.target[order[100:300]]
net = MLPClassifier(n_hidden=4, l2=1.0, seed=0).fit(Xn, yn)
print(f"{net.n_params_} parameters, test accuracy "
      f"{np.mean(net.predict(Xn_test) == yn_test):.2f}")

# %% [markdown]
# Its methods: exact influence with the Hessian, the Gauss–Newton (GGN) influence without
# and with damping $\delta = 10$, and every approximation of {ref}`approximations`, each
# approximating the undamped GGN influence as in that chapter: Arnoldi at rank 100
# (about a third of the $p = 310$ parameters) and at rank 10, K-FAC, EK-FAC, DataInf (no
# damping beyond $\lambda$), TRAK (one model, no projection), and gradient similarity in
# its dot and cosine forms. Leave-one-out correlations use 20 training points drawn at
# random, each refitted warm and from a new seed. The subset refits are 30 halves,
# refitted warm from $\hat\theta$ and from a new seed per subset.

# %%
net_methods = {
    "exact influence (Hessian)": influence_loss,
    "GGN": partial(influence_loss, curvature="ggn"),
    "damped GGN, δ = 10": partial(influence_loss, curvature="ggn",
                                  damping=10.0),
    "Arnoldi, rank 100": partial(arnoldi_influence, rank=100),
    "Arnoldi, rank 10": partial(arnoldi_influence, rank=10),
    "K-FAC": kfac_influence,
    "EK-FAC": partial(kfac_influence, eigencorrect=True),
    "DataInf": partial(datainf_influence, damping=0.0),
    "TRAK": trak_influence,
    "gradient similarity": grad_similarity,
    "gradient cosine": partial(grad_similarity, kind="cos"),
}
net_args = (net, Xn, yn, Xn_test, yn_test)
net_scores = {name: f(*net_args) for name, f in net_methods.items()}
refit_pts = np.random.default_rng(2).choice(100, 20, replace=False)
net_loo = {start: retrain(*net_args, refit_pts, start=start).loss_change
           for start in ("warm", "new_seed")}
net_halves = {start: subset_retrain(*net_args, n_subsets=30, seed=0,
                                    start=start)
              for start in ("warm", "new_seed")}

# %% [markdown]
# Noisy labels: 10 of the 100 labels are changed to another digit, drawn at random.

# %%
rng = np.random.default_rng(3)
flipped_n = np.sort(rng.choice(100, 10, replace=False))
yn_noisy = yn.copy()
yn_noisy[flipped_n] = (yn[flipped_n] + rng.integers(1, 10, 10)) % 10
net_noisy = MLPClassifier(n_hidden=4, l2=1.0, seed=0).fit(Xn, yn_noisy)
net_auc = {name: detection_auc(self_suspicion(f, net_noisy, Xn, yn_noisy),
                               flipped_n)
           for name, f in net_methods.items()}

# %% mystnb={"markdown_format": "gfm"}
nn = {}
for name, s in net_scores.items():
    nn[name] = {
        "loo warm": loo_correlation(s[:, refit_pts], net_loo["warm"]).mean(),
        "loo seed": loo_correlation(s[:, refit_pts], net_loo["new_seed"]).mean(),
        "lds warm": mean_lds(s, net_halves["warm"], over="subsets", n_boot=200),
        "lds seed": mean_lds(s, net_halves["new_seed"], over="subsets",
                             n_boot=200),
        "auc": net_auc[name],
    }
display(table([(name, f"{r['loo warm']:.2f}", f"{r['loo seed']:.2f}",
                str(r["lds warm"]), str(r["lds seed"]), f"{r['auc']:.2f}")
               for name, r in nn.items()],
              ["method", "LOO, warm", "LOO, new seed", "LDS, warm",
               "LDS, new seed", "AUC"]))

# %% tags=["remove-input"]
hess, ggn, damped, ndot = (nn[k] for k in ("exact influence (Hessian)", "GGN",
                                           "damped GGN, δ = 10",
                                           "gradient similarity"))
nkfac, nekfac, na100, na10, ndinf, ntrak, ncos = (
    nn[k] for k in ("K-FAC", "EK-FAC", "Arnoldi, rank 100", "Arnoldi, rank 10",
                    "DataInf", "TRAK", "gradient cosine"))
for r in nn.values():
    assert r["loo seed"] < 0.3 and r["loo seed"] < r["loo warm"]
    assert r["lds seed"].mean > r["loo seed"] + 0.15
    assert r["lds seed"].mean < r["lds warm"].mean
assert hess["loo warm"] > ggn["loo warm"] > damped["loo warm"] > ndot["loo warm"]
for key in ("lds warm", "lds seed"):
    assert hess[key].mean > ggn[key].mean > ndot[key].mean
    assert abs(ggn[key].mean - damped[key].mean) < 0.02
    # K-FAC and EK-FAC: above the GGN they approximate, level with the Hessian
    for r in (nkfac, nekfac):
        d, se = paired_diff(r[key], ggn[key])
        assert 1.5 * se < d < 3 * se  # about two paired standard errors
        d, se = paired_diff(r[key], hess[key])
        assert abs(d) < 2.5 * se
    # Arnoldi: level with the GGN at rank 100, far below at rank 10
    d, se = paired_diff(na100[key], ggn[key])
    assert abs(d) < 3 * se and abs(d) < 0.01
    assert ggn[key].mean - na10[key].mean > 0.15
    # DataInf is about gradient similarity; TRAK last; the cosine above the dot
    assert abs(ndinf[key].mean - ndot[key].mean) < 0.03
    d, se = paired_diff(ndot[key], ntrak[key])
    assert d > 2.5 * se
    assert min(r[key].mean for r in nn.values()) == ntrak[key].mean
    d, se = paired_diff(ncos[key], ndot[key])
    assert d > 3 * se
assert ncos["auc"] == 0.5  # every self-score is -1: all tied
others = [r["auc"] for k, r in nn.items() if k != "gradient cosine"]
assert min(others) > 0.85
nn_glue = {"lds-nn-loo-warm": round(float(hess["loo warm"]), 2),
           "lds-nn-loo-seed": round(float(hess["loo seed"]), 2),
           "lds-nn-lds-warm": str(hess["lds warm"]),
           "lds-nn-lds-seed": str(hess["lds seed"]),
           "lds-nn-lds-dot": str(ndot["lds seed"]),
           "lds-nn-lds-ggn": str(ggn["lds seed"]),
           "lds-nn-lds-kfac": str(nkfac["lds seed"]),
           "lds-nn-lds-ekfac": str(nekfac["lds seed"]),
           "lds-nn-lds-a100": str(na100["lds seed"]),
           "lds-nn-lds-a10": str(na10["lds seed"]),
           "lds-nn-lds-datainf": str(ndinf["lds seed"]),
           "lds-nn-lds-trak": str(ntrak["lds seed"]),
           "lds-nn-lds-cos": str(ncos["lds seed"]),
           "lds-nn-kfac-gain": round(float(paired_diff(nkfac["lds seed"],
                                                  ggn["lds seed"])[0]), 2),
           "lds-nn-auc-min": round(min(others), 2)}
for key, value in nn_glue.items():
    glue(key, value, display=False)

# %% [markdown]
# The rows of the table tell the story of {ref}`neural_network` in three numbers each.
# Against warm-started leave-one-out refits, exact influence correlates well (Pearson
# {glue:text}`lds-nn-loo-warm` for the Hessian); against leave-one-out refits from new
# seeds, every method collapses (Pearson {glue:text}`lds-nn-loo-seed` for the Hessian),
# because the noise of retraining swamps a single removal. The LDS on subsets refitted
# from new seeds stays high ({glue:text}`lds-nn-lds-seed` for the Hessian, against
# {glue:text}`lds-nn-lds-warm` on warm-started subsets): removing half of the data moves
# every test loss further than the noise does. This is why the LDS exists.
#
# The LDS ranks the exact methods the same way on both kinds of refit: the Hessian first,
# the GGN with and without damping next and level with each other
# ({glue:text}`lds-nn-lds-ggn` from new seeds), and gradient similarity far behind
# ({glue:text}`lds-nn-lds-dot`). The LOO correlation on warm refits separates the GGN
# from its damped form, which the LDS does not; the section on damping below explains
# why.
#
# The approximations, each measured in {ref}`approximations` against the undamped GGN
# influence, fall into three groups (LDS from new seeds; every comparison below is a paired bootstrap on the
# same refits, and holds on the warm refits too):
#
# - **as good as exact.** Arnoldi at rank 100 is level with the GGN it approximates
#   ({glue:text}`lds-nn-lds-a100`). K-FAC ({glue:text}`lds-nn-lds-kfac`) and EK-FAC
#   ({glue:text}`lds-nn-lds-ekfac`) are *above* it, by {glue:text}`lds-nn-kfac-gain`,
#   about two paired standard errors (suggestive, not decisive), and level with the
#   Hessian;
# - **in between.** Arnoldi at rank 10 ({glue:text}`lds-nn-lds-a10`) and the gradient
#   cosine ({glue:text}`lds-nn-lds-cos`), which on this network beats the dot product
#   clearly;
# - **no better than gradient similarity.** DataInf ({glue:text}`lds-nn-lds-datainf`)
#   stays within a few hundredths of the dot product, as it did on the logistic
#   regression, and TRAK ({glue:text}`lds-nn-lds-trak`) is last, below the dot product by
#   more than two and a half paired standard errors. TRAK drops the penalty
#   $\lambda$, which with 100 training points and 310 parameters leaves its
#   Gauss–Newton matrix singular; {cite:t}`park2023trak` average it over many
#   independently trained models, and it is scored here with one.
#
# All methods but the cosine find the flipped labels (AUC at least
# {glue:text}`lds-nn-auc-min`); the cosine's self-scores all tie, as on the logistic
# regression.
#
# ## The ceiling: the LDS of retraining itself
#
# How much of a method's distance to 1 is noise? Refit the *same* 30 halves again from
# other new seeds and score the second set of refits against the first, as if the second
# were a method.
# {func}`~influence_demo.lds.lds` accepts a second set of refits in place of scores.

# %%
again = subset_retrain(*net_args, masks=net_halves["new_seed"].masks, seed=1,
                       start="new_seed")
ceiling = mean_lds(again, net_halves["new_seed"], over="subsets", n_boot=200)
print(f"retraining against retraining, new seeds: LDS {ceiling}")

# %% tags=["remove-input"]
best = nn["exact influence (Hessian)"]["lds seed"]
for r in nn.values():  # no method is clearly above the Hessian
    assert r["lds seed"].mean - best.mean <= 2 * paired_diff(r["lds seed"], best)[1]
gap = ceiling.mean - best.mean
gap_se = (ceiling.samples - best.samples).std()  # paired: the same subsets
assert 0 < gap < 3 * gap_se and ceiling.mean < 1  # level within the spread
glue("lds-nn-ceiling", str(ceiling), display=False)
glue("lds-nn-gap", round(gap, 2), display=False)
glue("lds-nn-gap-se", round(float(gap_se), 2), display=False)
glue("lds-nn-ceiling-sqrt", round(float(np.sqrt(ceiling.mean)), 2), display=False)

# %% [markdown]
# Two runs on the same subsets agree to an LDS of {glue:text}`lds-nn-ceiling`, and the
# best methods are level with them: the Hessian influence is {glue:text}`lds-nn-gap` below,
# within three paired standard errors ({glue:text}`lds-nn-gap-se` each). On this
# network, the exact influence predicts a refit from a new seed about as well as another
# refit from a new seed does. For the convex model, and for warm-started refits of the
# network, the LDS of retraining is exactly 1: those refits are deterministic.
#
# How to read it: if each refitted loss is a noise-free part plus independent noise of
# the same size in each run, the correlation of two runs is the share $r$ of the variance
# that is noise-free, and a method that predicted the noise-free part exactly would reach
# a correlation of $\sqrt r$ with one run (for Pearson correlation; Spearman behaves
# alike), here about {glue:text}`lds-nn-ceiling-sqrt`. A method can therefore pass the
# LDS of retraining, up to about $\sqrt r$; what lies between $\sqrt r$ and 1 is noise
# that no method can predict.
#
# ## Damping
#
# Damping moves the GGN influence from the curvature-weighted answer ($\delta = 0$)
# towards gradient similarity ($\delta \to \infty$, up to the factor $1/\delta$, which
# the LDS ignores). The scores cost one solve each; the refits are those above.

# %%
deltas = [0.0, 1.0, 10.0, 100.0, 1000.0]
damp = {"LOO, warm": [], "LDS, warm": [], "LDS, new seed": []}
for d in deltas:
    s = influence_loss(*net_args, curvature="ggn", damping=d)
    damp["LOO, warm"].append(
        loo_correlation(s[:, refit_pts], net_loo["warm"]).mean())
    damp["LDS, warm"].append(mean_lds(s, net_halves["warm"], over="subsets",
                                      n_boot=200))
    damp["LDS, new seed"].append(mean_lds(s, net_halves["new_seed"],
                                          over="subsets", n_boot=200))

# %% tags=["remove-input"]
fig, ax = plt.subplots(figsize=(6.5, 3.4))
x = np.arange(len(deltas))
for (name, values), marker in zip(damp.items(), "osd"):
    means = [v.mean if hasattr(v, "se") else v for v in values]
    errs = [v.se if hasattr(v, "se") else 0.0 for v in values]
    ax.errorbar(x, means, yerr=errs, marker=marker, capsize=3, label=name)
ax.axhline(ndot["lds warm"].mean, color="gray", ls=":",
           label="gradient similarity, LDS, warm")
ax.set_xticks(x, [f"{d:g}" for d in deltas])
ax.set_xlabel(r"damping $\delta$ of the GGN influence")
ax.set_ylabel("mean correlation")
ax.legend(fontsize=9)
fig.tight_layout()
glue("fig-lds-damping", fig, display=False)
plt.close(fig)
loo_d = damp["LOO, warm"]
assert all(np.diff(loo_d) < 0)  # LOO correlation only falls
gain = {}
for key in ("LDS, warm", "LDS, new seed"):
    v0, v1 = damp[key][0], damp[key][1]
    paired = (v1.samples - v0.samples).std()
    assert v1.mean - v0.mean > 3 * paired  # a little damping helps the LDS
    assert damp[key][-1].mean < v0.mean
    gain[key] = round(v1.mean - v0.mean, 2)
assert abs(damp["LDS, warm"][-1].mean - ndot["lds warm"].mean) < 0.05
glue("lds-nn-damp-gain", gain["LDS, warm"], display=False)
glue("lds-nn-damp-big", round(damp["LDS, warm"][-1].mean, 2), display=False)

# %% [markdown]
# ```{glue:figure} fig-lds-damping
# :alt: Three curves of mean correlation against the damping delta from 0 to 1000 on an evenly spaced axis. The leave-one-out correlation with warm refits falls from the start; the two LDS curves first rise a little at delta 1, then fall. A dotted line marks the LDS of gradient similarity, which the warm LDS curve approaches at delta 1000.
# :name: fig-lds-damping
#
# The network: mean LOO correlation (20 warm refits) and mean LDS (30 halves, with
# bootstrap standard errors) of the GGN influence as the damping $\delta$ grows. The
# dotted line is the LDS of gradient similarity on the warm refits.
# ```
#
# The two yardsticks disagree again. The LOO correlation falls from $\delta = 0$ on: one
# removal is a small step, and the undamped influence is its derivative. The LDS first
# *rises*, by {glue:text}`lds-nn-damp-gain` at $\delta = 1$ on the warm refits (a paired
# bootstrap puts this gain beyond three standard errors, on both kinds of refit), and only
# then falls, to {glue:text}`lds-nn-damp-big` at $\delta = 1000$, about the LDS of
# gradient similarity. Removing half of the data is a large step, and the directions of
# small curvature, which $H^{-1}$ amplifies most, are where a linear prediction of a
# large step overshoots most; a little damping shrinks them. So the best damping depends
# on the question, and a damping tuned by LOO correlation is not the one an LDS would
# pick.
#
# ## Agreement with the exact answer, and the LDS
#
# {ref}`approximations` ranked the approximations by how closely they reproduce the exact
# influence; this chapter ranks them by how well they predict retraining. Do the two
# rankings agree? For each method we take its mean Pearson correlation, over the test
# points, with the exact influence that the approximations approximate: the Hessian
# influence for the logistic regression, the undamped GGN influence for the network, as
# in {ref}`approximations`.

# %%
def agreement(S, E):
    return np.mean([pearson(a, b) for a, b in zip(S, E)])


lr_agree = {k: agreement(s, scores["exact influence"]) for k, s in scores.items()}
nn_agree = {k: agreement(s, net_scores["GGN"]) for k, s in net_scores.items()}
kfac_vs = {d: agreement(net_scores["K-FAC"],
                        influence_loss(*net_args, curvature="ggn", damping=d))
           for d in (0.0, 1.0)}
print(f"K-FAC against the GGN influence at δ = 0: {kfac_vs[0.0]:.2f}, "
      f"at δ = 1: {kfac_vs[1.0]:.2f}")

# %% tags=["remove-input"]
fig, axes = plt.subplots(2, 1, figsize=(6.5, 8.0))
panels = ((axes[0], lr_agree, {k: r["lds"].mean for k, r in lr.items()},
           "(a) logistic regression: LDS, α = 0.5"),
          (axes[1], nn_agree, {k: r["lds seed"].mean for k, r in nn.items()},
           "(b) network: LDS, new-seed refits"))
offsets = {"one-step Newton": (-8, -4, "right"), "Arnoldi, rank 20": (-8, 4, "right"),
           "DataInf": (8, 6, "left"), "gradient similarity": (8, -10, "left"),
           "gradient cosine": (8, -3, "left")}
# the network's cluster of curvature methods: a marker each, named in a legend
cluster = ["exact influence (Hessian)", "K-FAC", "EK-FAC", "GGN",
           "damped GGN, δ = 10", "Arnoldi, rank 100"]
for ax, agree, score, title in panels:
    for k in agree:
        if ax is axes[1] and k in cluster:
            i = cluster.index(k)
            ax.plot(agree[k], score[k], "ovs^DP"[i], color=f"C{i + 1}",
                    mfc="none", ms=8, label=k)
            continue
        ax.plot(agree[k], score[k], "o", color="C0")
        left = {"gradient cosine": 6, "Arnoldi, rank 10": -12, "DataInf": 6,
                "gradient similarity": -12}
        if ax is axes[1] and k in left:  # the legend takes the lower right
            dx, dy, ha = -8, left[k], "right"
        else:
            dx, dy, ha = offsets.get(k, (8, -3, "left"))
        ax.annotate(k, (agree[k], score[k]), xytext=(dx, dy),
                    textcoords="offset points", ha=ha, fontsize=9)
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("mean Pearson correlation with the exact influence")
    ax.set_ylabel("mean LDS")
    ax.set_title(title, fontsize=10)
    ax.grid(lw=0.4)
axes[1].legend(fontsize=9, loc="lower right")
fig.tight_layout()
glue("fig-lds-agreement", fig, display=False)
plt.close(fig)

# the logistic regression: both orders the same
assert sorted(lr_agree, key=lr_agree.get) == sorted(lr, key=lambda k:
                                                    lr[k]["lds"].mean)
# the network: the orders agree broadly, with reversals
names = list(nn)
rho = spearman(np.array([nn_agree[k] for k in names]),
               np.array([nn[k]["lds seed"].mean for k in names]))
assert 0.5 < rho < 0.9
assert nn_agree["K-FAC"] < nn_agree["Arnoldi, rank 100"] - 0.05
assert nn_agree["K-FAC"] < nn_agree["exact influence (Hessian)"]
for key in ("lds warm", "lds seed"):
    d, se = paired_diff(nn["K-FAC"][key], nn["Arnoldi, rank 100"][key])
    assert d > 2 * se
assert kfac_vs[1.0] > kfac_vs[0.0] + 0.02
for key, dkey in (("lds warm", "LDS, warm"), ("lds seed", "LDS, new seed")):
    d, se = paired_diff(nn["K-FAC"][key], damp[dkey][1])  # the GGN at delta = 1
    assert abs(d) < 2 * se
assert nn_agree["TRAK"] > max(nn_agree["DataInf"], nn_agree["gradient similarity"])
glue("lds-rho-orders", round(float(rho), 2), display=False)
for key, k in (("lds-nn-r-kfac", "K-FAC"), ("lds-nn-r-a100", "Arnoldi, rank 100"),
               ("lds-nn-r-trak", "TRAK"), ("lds-nn-r-dot", "gradient similarity")):
    glue(key, round(float(nn_agree[k]), 2), display=False)

# %% [markdown]
# ```{glue:figure} fig-lds-agreement
# :alt: Two scatter plots of mean LDS against mean Pearson correlation with the exact influence, one labelled point per method. Top, the logistic regression: the points rise from the gradient cosine at the lower left to exact influence at the upper right, in one order. Bottom, the network: the six curvature methods, marked by symbols named in a legend, cluster at the upper right, with K-FAC, EK-FAC and the Hessian a little above the GGN and Arnoldi at rank 100; TRAK lies below DataInf and gradient similarity although a little further right.
# :name: fig-lds-agreement
#
# Each method's LDS against its agreement with the exact influence (Hessian influence for
# the logistic regression, undamped GGN influence for the network).
# ```
#
# On the logistic regression the two rankings are the same, method for method (panel a):
# the closer an approximation is to the exact influence, the higher its LDS, and the
# exact influence is on top. On the network they agree broadly (rank correlation
# {glue:text}`lds-rho-orders` over the eleven methods: the methods that keep the
# curvature are far ahead of those that drop it), but not in detail (panel b):
#
# - K-FAC is further from the exact GGN influence than Arnoldi at rank 100 (Pearson
#   {glue:text}`lds-nn-r-kfac` against {glue:text}`lds-nn-r-a100`), yet its LDS is higher,
#   by more than two paired standard errors on both kinds of refit. Its error is not
#   random: K-FAC agrees better with the GGN influence damped by $\delta = 1$ than with
#   the undamped one (the cell above), and its LDS is level with that damped influence,
#   which the previous section found above the undamped one.
# - TRAK agrees with the exact influence a little better than gradient similarity does
#   (Pearson {glue:text}`lds-nn-r-trak` against {glue:text}`lds-nn-r-dot`), and is last
#   by LDS.
#
# The reason is what each yardstick measures. Agreement with the exact influence measures
# the approximation: the right check that a method is computed correctly and of what it
# gives up. The LDS measures the answer. The two rank alike when the exact influence is
# the best predictor of retraining that the methods aim at, as for the convex model. For
# the network it is not (the Hessian and a little damping both beat the undamped GGN
# influence), so an error can move an approximation towards a better predictor, as
# K-FAC's does, or away from one by more than its correlation shows, as TRAK's does.
# An approximation is worth choosing by both numbers: its agreement with the exact
# answer on a model small enough to have one, and its LDS.
#
# ## dattri's published numbers
#
# dattri's benchmark {cite:p}`deng2024dattri` runs the same three yardsticks on MNIST-10,
# with 5,000 training and 500 test images, for a logistic regression (7,840 parameters)
# and an MLP (0.11 M parameters). We looked for its results in numbers in the repository
# (its README and benchmark code) and in the paper, and could not find them: both give
# them only as bar charts. We therefore quote no values. What the charts show
# qualitatively agrees with the tables above: on the logistic regression the exact and
# iterative influence methods are far ahead of gradient similarity in both LOO
# correlation and LDS; on the MLP every method's LOO correlation is close to zero while
# its LDS stays clearly positive; and in noisy-label detection most methods score high
# on both models, the cosine form of gradient similarity excepted, as here, where its
# self-scores all tie.
#
# Three differences of definition matter when comparing. dattri's `loo_corr` is a
# Pearson correlation per test point, as here, and its `lds` sums the scores over the
# points each subset keeps, which gives the same Spearman correlation as our sum over
# the points left out. Its retraining code (`dattri/model_util/retrain.py`) trains every
# leave-one-out model with the same seed, the same-initialisation kind of refit, and
# every subset from a seed of its own, the new-seed kind; and its benchmark models
# (`dattri/benchmark/datasets/mnist/`) train by stochastic gradient descent for a fixed
# number of epochs (20 for the logistic regression, 50 for the MLP) rather than to the
# rounding floor. So its MLP's LOO ground truth is of the kind on which our network's LOO
# correlation collapses too, its refits carry optimiser noise on top of the noise of the
# start, and even its logistic regression is scored away from an exact optimum. Its models are far
# larger than ours, and the LDS of its retraining against itself is not reported.
#
# ## Summary
#
# - The LDS scores an attribution by the Spearman correlation, over random subsets of the
#   training data, between the summed predicted removal effects and the refitted test
#   losses. Summing over kept or left-out points gives the same value.
# - It assumes that removal effects add up, and it depends on the fraction $\alpha$: a
#   method that predicts one removal best (one-step Newton, LOO correlation
#   {glue:text}`lds-lr-loo-onestep`) can lose at $\alpha = 0.5$
#   ({glue:text}`lds-lr-lds-onestep` against {glue:text}`lds-lr-lds-exact` for exact
#   influence) because it corrects the per-point terms of a removal but not those of
#   pairs.
# - For a network, the LOO correlation against new-seed refits is dominated by retraining
#   noise ({glue:text}`lds-nn-loo-seed`), while the LDS survives it
#   ({glue:text}`lds-nn-lds-seed`).
# - The LDS of retraining against itself ({glue:text}`lds-nn-ceiling` for the network
#   refitted from new seeds, 1 for deterministic refits) sets the scale: report it beside
#   a method's LDS. Here the exact influence is level with it.
# - A mean LDS carries a bootstrap spread; print the digits it allows, and compare two
#   methods by a paired bootstrap on the same refits.
# - Ranked by agreement with the exact influence ({ref}`approximations`) and by LDS, the
#   approximations fall in the same order on the logistic regression, and broadly but not
#   in detail on the network: K-FAC and EK-FAC ({glue:text}`lds-nn-lds-kfac`) are above
#   the GGN they approximate, TRAK with one model ({glue:text}`lds-nn-lds-trak`) below
#   gradient similarity, and DataInf no better than it.
#
# ## Exercises
#
# ```{exercise} Coursework: the LDS from scratch
# :label: ex-lds-1
#
# Write `my_lds(scores, masks, losses)` that returns the LDS of every test point: `scores`
# has shape $(m, n)$ and is oriented like $\mathcal I_{\text{up,loss}}$, `masks` is a
# boolean $(K, n)$ array of the points each subset keeps, and `losses` the $(K, m)$
# refitted test losses. Use only NumPy (rank with `argsort`, and give tied values their
# average rank). Check it with `influence_demo.coursework.check_lds`, then compare it with
# {func}`~influence_demo.lds.lds` on the digits refits of this chapter.
# ```
#
# ```{solution-start} ex-lds-1
# :class: dropdown
# ```
#
# Ranks with ties: sort, give positions $1..K$, and average the positions of equal
# values. Then the Spearman correlation is the Pearson correlation of the ranks.

# %%
from influence_demo.coursework import check_lds


def average_ranks(a):
    """Ranks of each column of a, ties given their average rank."""
    ranks = np.empty_like(a, dtype=float)
    for j in range(a.shape[1]):
        col = a[:, j]
        order = np.argsort(col, kind="mergesort")
        pos = np.empty(len(col))
        pos[order] = np.arange(1, len(col) + 1)
        _, inverse = np.unique(col, return_inverse=True)
        ranks[:, j] = (np.bincount(inverse, pos) / np.bincount(inverse))[inverse]
    return ranks


def my_lds(scores, masks, losses):
    predicted = (~masks).astype(float) @ (-scores.T)  # (K, m)
    rp, rl = average_ranks(predicted), average_ranks(losses)
    rp -= rp.mean(axis=0)
    rl -= rl.mean(axis=0)
    return (rp * rl).sum(axis=0) / np.sqrt((rp**2).sum(axis=0)
                                           * (rl**2).sum(axis=0))


assert check_lds(my_lds)
np.testing.assert_allclose(
    my_lds(scores["exact influence"], halves.masks, halves.losses),
    lds(scores["exact influence"], halves), rtol=1e-12)

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} Is a method better than chance, and better than another?
# :label: ex-lds-2
#
# Score random numbers as a method on the digits refits and compute their mean LDS with
# its bootstrap spread. Is it distinguishable from 0? Then compute the paired bootstrap
# spread of the difference between exact influence and the one-step estimate, and
# compare it with $\sqrt{s_a^2 + s_b^2}$, the spread an unpaired comparison of the two
# means would use. Why is it smaller?
# ```
#
# ```{solution-start} ex-lds-2
# :class: dropdown
# ```
#
# Random scores have an LDS near 0 per test point, and the mean over 108 test points
# stays within a few standard errors of 0. The two methods are scored on the same
# refits, so the part of the noise that moves both in the same direction (an easy or a
# hard draw of subsets) cancels in the difference: resampling the same subsets for both
# (same `seed`) measures only what is left.

# %%
noise = np.random.default_rng(5).normal(size=scores["exact influence"].shape)
chance = mean_lds(noise, halves, over="subsets", n_boot=200)
a = mean_lds(scores["exact influence"], halves, over="subsets", n_boot=200)
b = mean_lds(scores["one-step Newton"], halves, over="subsets", n_boot=200)
print(f"random scores: {chance}")
unpaired = np.hypot(a.se, b.se)
paired = (a.samples - b.samples).std()
print(f"difference {a.mean - b.mean:.2f}: unpaired spread {unpaired:.3f}, "
      f"paired {paired:.3f}")
assert abs(chance.mean) < 4 * chance.se
assert paired < 0.8 * unpaired

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} How many subsets for a ranking?
# :label: ex-lds-3
#
# On the network, score the Hessian influence and the GGN influence on the first $K$ of
# the 30 new-seed halves, for $K = 5, 10, 20, 30$. From which $K$ on does the paired
# bootstrap separate the two methods by more than three standard errors?
# ```
#
# ```{solution-start} ex-lds-3
# :class: dropdown
# ```

# %%
for K in (5, 10, 20, 30):
    sub = first(net_halves["new_seed"], K)
    h = mean_lds(net_scores["exact influence (Hessian)"], sub, over="subsets",
                 n_boot=200)
    g = mean_lds(net_scores["GGN"], sub, over="subsets", n_boot=200)
    d = h.samples - g.samples
    print(f"K = {K:>2}: Hessian {h}, GGN {g}, difference "
          f"{h.mean - g.mean:.3f} ± {d.std():.3f}")
    assert (h.mean - g.mean > 3 * d.std()) == (K >= 20)

# %% [markdown]
# The paired difference shrinks faster than either mean's own spread: from $K = 20$ on it
# exceeds three of its standard errors, although the two LDS values differ by only a few
# hundredths.
#
# ```{solution-end}
# ```
#
# ## References
#
# The bibliography of the whole book is on the {doc}`references` page. This chapter cites
# {cite:t}`ilyas2022datamodels` (datamodels), {cite:t}`park2023trak` (the LDS as used to
# judge TRAK), {cite:t}`deng2024dattri` (dattri's benchmark) and
# {cite:t}`pruthi2020estimating` (TracIn).
