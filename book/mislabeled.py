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
# (mislabeled)=
# # Finding mislabeled training points
#
# Real training sets contain wrong labels. Checking every label by hand is expensive, so
# one wants a ranking: which points should a person look at first? {cite:t}`koh2017understanding`
# (§5.4, Fig. 6) propose ranking by **self-influence**, the influence of a training point on
# its own loss, and show on a spam data set that it finds flipped labels faster than ranking
# by training loss or at random.
#
# This chapter repeats the experiment on the handwritten digits of {ref}`digits_influence`.
# We flip 10% of the training labels, rank the points three ways, and measure two things:
# the fraction of the flipped labels found after checking a given fraction of the data, and
# the test accuracy regained by fixing them. On these digits, self-influence and training
# loss turn out to be almost equally good. We show why with one identity that links
# self-influence, training loss and the generalized leverage, and we build a variant of the
# data on which self-influence wins.
#
# **Learning objectives.** By the end of this chapter you will be able to
#
# - compute the self-influence $\mathcal I_{\text{up,loss}}(z_i, z_i)$ of every training point
#   without forming an $n\times n$ matrix, and use it to rank points for label checking;
# - draw and read a detection curve (fraction of flipped labels found against fraction of
#   data checked) and a curve of the test accuracy regained;
# - derive $|\mathcal I_{\text{up,loss}}(z_i, z_i)| = h_i\,(e^{L(z_i)} - 1)$ for logistic
#   regression, and use it to explain why self-influence finds flipped labels and when the
#   training loss does just as well.

# %%
import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

from influence_demo import (
    LogisticRegression,
    add_intercept,
    flip_labels,
    generalized_leverage,
    load_digits_pair,
    self_influence,
    spearman,
)
from influence_demo.plots import plot_images

# %% [markdown]
# ## Flipping labels
#
# We use the digits 1 against 7 of {ref}`digits_influence`, with the same split, and the
# penalty $\lambda = 10^{-2}$ on the sum objective of {ref}`notation`.
# {func}`~influence_demo.datasets.flip_labels` flips a random 10% of the training labels,
# with its seed in the open. We fit once on the clean labels, as a reference, and once on
# the noisy labels.

# %%
X_raw, y_clean, X_test_raw, y_test = load_digits_pair(1, 7, rng=0)
X, X_test = add_intercept(X_raw), add_intercept(X_test_raw)
n = len(y_clean)
L2, FLIP = 1e-2, 0.10


def fit(labels, theta0=None):
    return LogisticRegression(l2=L2).fit(X, labels, theta0=theta0)


def test_accuracy(model):
    return float(np.mean(model.predict(X_test) == y_test))


rng = np.random.default_rng(0)
y_noisy, flipped = flip_labels(y_clean, FLIP, rng=rng)
is_flipped = np.zeros(n, dtype=bool)
is_flipped[flipped] = True
clean_model, noisy_model = fit(y_clean), fit(y_noisy)
acc_clean = test_accuracy(clean_model)
acc_noisy = test_accuracy(noisy_model)
pred_flipped = noisy_model.predict(X[flipped])
fit_to_wrong = float(np.mean(pred_flipped == y_noisy[flipped]))
print(f"{len(flipped)} of {n} labels flipped")
print(f"test accuracy: clean labels {acc_clean:.3f}, "
      f"noisy labels {acc_noisy:.3f}")
print("flipped points that the noisy model classifies as their "
      f"wrong label: {fit_to_wrong:.2f}")
glue("ml-n", n, display=False)
glue("ml-n-flipped", len(flipped), display=False)
glue("ml-acc-clean", acc_clean, display=False)
glue("ml-acc-noisy", acc_noisy, display=False)
glue("ml-fit-to-wrong", fit_to_wrong, display=False)

# %% [markdown]
# {glue:text}`ml-n-flipped` of the {glue:text}`ml-n` training labels are now wrong. Test
# accuracy (on correct test labels) drops from {glue:text}`ml-acc-clean:.3f` to
# {glue:text}`ml-acc-noisy:.3f`. The model does not simply ignore the wrong labels: it
# classifies a fraction {glue:text}`ml-fit-to-wrong:.2f` of the flipped points as their
# *wrong* label, so it has bent its boundary to fit them.
#
# ## Three rankings
#
# - **Self-influence.** {func}`~influence_demo.influence.self_influence` returns
#   $\mathcal I_{\text{up,loss}}(z_i, z_i) = -\nabla L(z_i)^\top H^{-1}\nabla L(z_i)$ for
#   every $i$: the diagonal of the $n\times n$ matrix of
#   {func}`~influence_demo.influence.influence_loss`, from one block solve and a row-wise
#   dot product. It is never positive, since $H$ is positive definite: up-weighting a point
#   always lowers its own loss. A large $|\mathcal I_{\text{up,loss}}(z_i, z_i)|$ marks a
#   point that the fit bends towards, so we check the points in decreasing order of it.
# - **Training loss** $L(z_i, \hat\theta)$, largest first.
# - **Random order**, the baseline.

# %%
def rankings(model, labels, rng):
    """Orders in which to check the points: most suspicious first."""
    score_si = -self_influence(model, X, labels)  # |I_up,loss(z_i, z_i)|
    score_loss = model.loss(X, labels)
    return {
        "self-influence": np.argsort(-score_si, kind="stable"),
        "training loss": np.argsort(-score_loss, kind="stable"),
        "random": rng.permutation(len(labels)),
    }


orders = rankings(noisy_model, y_noisy, rng)
si = -self_influence(noisy_model, X, y_noisy)
top = orders["self-influence"][:10]
titles = [f"label {7 if y_noisy[i] else 1}\n"
          + ("FLIPPED" if is_flipped[i] else "correct") for i in top]
axes = plot_images(X_raw[top], titles, ncols=10)
fig = axes[0].figure
fig.suptitle("the ten training images with the largest self-influence",
             y=1.02)
glue("fig-ml-top", fig, display=False)
plt.close(fig)
glue("ml-top10-flipped", int(is_flipped[top].sum()), display=False)

# %% [markdown]
# ```{glue:figure} fig-ml-top
# :alt: A row of ten small 8 by 8 digit images, each titled with the label it carries in the noisy training set and whether that label was flipped. All or nearly all are marked flipped: ones labelled 7 and sevens labelled 1.
# :name: fig-ml-top
#
# The ten training images with the largest $|\mathcal I_{\text{up,loss}}(z_i, z_i)|$ under
# the noisy labels. Each title gives the label the image carries and whether it is one of
# the flipped labels.
# ```
#
# {glue:text}`ml-top10-flipped` of the ten images at the top of the self-influence ranking
# carry a flipped label ({numref}`fig-ml-top`): a person checking them would fix that many
# labels with ten looks.
#
# ## Why self-influence finds flipped labels
#
# For logistic regression the self-influence has a closed form. With
# $\nabla L(z_i) = g_i x_i$, $g_i = p_i - y_i$, the curvature $w_i = p_i(1 - p_i)$ and the
# generalized leverage $h_i = w_i\, x_i^\top H^{-1} x_i$ of {ref}`digits_influence`,
#
# $$
# |\mathcal I_{\text{up,loss}}(z_i, z_i)| = g_i^2\, x_i^\top H^{-1} x_i
# = \frac{g_i^2}{w_i}\, h_i = h_i \left(e^{L(z_i, \hat\theta)} - 1\right).
# $$ (eq-ml-si)
#
# The last step is a one-line identity of the logistic loss: for $y_i = 1$,
# $g_i^2/w_i = (1-p_i)/p_i = 1/p_i - 1$ and $L = -\log p_i$; the case $y_i = 0$ is the same
# with $p_i$ and $1 - p_i$ exchanged. So self-influence is the training loss, passed through
# the increasing function $e^{L} - 1$, times the generalized leverage. A flipped label has a
# large loss (the model disagrees with it) and, because the fit bends towards it, a large
# leverage; both factors point the same way. We check {eq}`eq-ml-si` against the package.

# %%
loss_noisy = noisy_model.loss(X, y_noisy)
h = generalized_leverage(noisy_model, X, y_noisy)
np.testing.assert_allclose(si, h * np.expm1(loss_noisy),
                           rtol=1e-8, atol=1e-14)
rho_si_loss = spearman(si, loss_noisy)
print("Spearman correlation of self-influence and training loss: "
      f"{rho_si_loss:.3f}")
print(f"median leverage: flipped {np.median(h[flipped]):.3f}, "
      f"correct {np.median(h[~is_flipped]):.3f}")
glue("ml-rho-si-loss", float(rho_si_loss), display=False)
glue("ml-h-flipped", float(np.median(h[flipped])), display=False)
glue("ml-h-correct", float(np.median(h[~is_flipped])), display=False)

fig, ax = plt.subplots(figsize=(6, 4.5))
ax.scatter(loss_noisy[~is_flipped], si[~is_flipped], s=14, alpha=0.6,
           label="correct label")
ax.scatter(loss_noisy[flipped], si[flipped], s=30, marker="x", color="C3",
           label="flipped label")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel(r"training loss $L(z_i, \hat\theta)$ (log scale)")
ax.set_ylabel(r"self-influence "
              r"$|\mathcal{I}_{\mathrm{up,loss}}(z_i, z_i)|$ (log scale)")
ax.legend(fontsize="small")
fig.tight_layout()
glue("fig-ml-si-loss", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-ml-si-loss
# :alt: A log-log scatter of self-influence against training loss for all training points. Points with correct labels lie along a rising band at low loss; the flipped points, marked with red crosses, sit at the upper right with both large loss and large self-influence.
# :name: fig-ml-si-loss
#
# Self-influence against training loss for every training point under the noisy labels.
# By {eq}`eq-ml-si` the vertical spread at a given loss is the spread of the generalized
# leverage $h_i$.
# ```
#
# {numref}`fig-ml-si-loss` shows why the two rankings nearly agree here: the Spearman
# correlation between self-influence and training loss is {glue:text}`ml-rho-si-loss:.3f`.
# The flipped points do have larger leverage (median {glue:text}`ml-h-flipped:.3f` against
# {glue:text}`ml-h-correct:.3f` for correct labels), but among the points with a large loss,
# which are the candidates, the leverage varies too little to reorder them much. The two
# rankings can only differ where points with similar losses have very different leverages.
# That happens when some points are unusual in feature space: a point that is the only one
# to use some feature can be fitted with its wrong label at little cost (small loss), but it
# has a leverage close to 1. {cite:t}`koh2017understanding` saw self-influence win on spam
# e-mail, whose bag-of-words features contain many rare words. We build such a case at the
# end of the chapter.
#
# ## Detection curves and accuracy regained
#
# One flip pattern is one draw. We repeat the experiment for ten seeds of
# {func}`~influence_demo.datasets.flip_labels` and average. For each seed and each ranking we
# check the points in order; after checking a fraction $x$ of the data we record the
# fraction of the flipped labels found, then fix those labels, refit, and record the test
# accuracy.

# %%
n_seeds = 10
checked = np.linspace(0, 0.5, 21)  # fraction of the training data checked
names = ["self-influence", "training loss", "random"]
found = {k: np.zeros((n_seeds, len(checked))) for k in names}
accuracy = {k: np.zeros((n_seeds, len(checked))) for k in names}
theta_norm = {k: np.zeros((n_seeds, len(checked))) for k in names}
for seed in range(n_seeds):
    rng = np.random.default_rng(seed)
    y_seed, flipped_seed = flip_labels(y_clean, FLIP, rng=rng)
    flags = np.zeros(n, dtype=bool)
    flags[flipped_seed] = True
    model_seed = fit(y_seed)
    for name, order in rankings(model_seed, y_seed, rng).items():
        for c, frac in enumerate(checked):
            seen = order[: int(round(frac * n))]
            fixed = seen[flags[seen]]  # the flipped labels found so far
            found[name][seed, c] = len(fixed) / len(flipped_seed)
            y_fixed = y_seed.copy()
            y_fixed[fixed] = y_clean[fixed]
            refit = (fit(y_fixed, theta0=model_seed.theta_) if len(fixed)
                     else model_seed)
            accuracy[name][seed, c] = test_accuracy(refit)
            theta_norm[name][seed, c] = np.linalg.norm(refit.theta_)
mean_found = {k: v.mean(axis=0) for k, v in found.items()}
mean_acc = {k: v.mean(axis=0) for k, v in accuracy.items()}

tags = {"self-influence": "si", "training loss": "loss",
        "random": "random"}
# the grid points at 10, 20 and 30% checked
cols = [int(np.argmin(np.abs(checked - q))) for q in (0.1, 0.2, 0.3)]
pcts = "".join(f"{q:>7}" for q in ("10%", "20%", "30%"))
print(f"{'':15}{'flips found':>21}  {'test accuracy':>21}")
print(f"{'checked:':15}{pcts}  {pcts}")
for name in names:
    for pct in (10, 20, 30):
        c = int(np.argmin(np.abs(checked - pct / 100)))
        key = f"{tags[name]}-{pct}"
        glue(f"ml-found-{key}", float(mean_found[name][c]), display=False)
        glue(f"ml-acc-{key}", float(mean_acc[name][c]), display=False)
    print(f"{name:15s}"
          + "".join(f"{mean_found[name][c]:7.3f}" for c in cols) + "  "
          + "".join(f"{mean_acc[name][c]:7.3f}" for c in cols))
acc_noisy_mean = float(mean_acc["random"][0])
print(f"\nmean test accuracy before any fix: {acc_noisy_mean:.3f}; "
      f"with clean labels: {acc_clean:.3f}")
glue("ml-acc-noisy-mean", acc_noisy_mean, display=False)
dip = 1  # the second grid point: 2.5% of the data checked
norm_si = theta_norm["self-influence"].mean(axis=0)
acc_dip = mean_acc["self-influence"][dip]
norm_clean = np.linalg.norm(clean_model.theta_)
print(f"self-influence ranking, {100 * checked[dip]:.1f}% checked: "
      f"test accuracy {acc_dip:.3f},")
print(f"  |theta| {norm_si[0]:.1f} -> {norm_si[dip]:.1f} "
      f"(clean-label model: {norm_clean:.1f})")
glue("ml-dip-pct", float(100 * checked[dip]), display=False)
glue("ml-dip-acc-si", float(acc_dip), display=False)
glue("ml-dip-acc-loss", float(mean_acc["training loss"][dip]),
     display=False)
glue("ml-norm-0", float(norm_si[0]), display=False)
glue("ml-norm-dip", float(norm_si[dip]), display=False)
glue("ml-norm-end", float(norm_si[-1]), display=False)
glue("ml-norm-clean", float(norm_clean), display=False)
glue("ml-n-test", len(y_test), display=False)
glue("ml-one-error", 1 / len(y_test), display=False)
glue("ml-n-seeds", n_seeds, display=False)

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
styles = {"self-influence": ("C0", "o"), "training loss": ("C1", "s"),
          "random": ("0.5", "^")}
for name in names:
    col, mk = styles[name]
    axes[0].plot(100 * checked, mean_found[name], marker=mk, color=col,
                 label=name)
    axes[1].plot(100 * checked, mean_acc[name], marker=mk, color=col,
                 label=name)
axes[0].plot(100 * checked, np.minimum(1, checked / FLIP), color="0.3",
             ls=":", lw=1, label="perfect ranking")
axes[0].set_xlabel("training data checked (%)")
axes[0].set_ylabel("fraction of flipped labels found")
axes[0].legend(fontsize="small", loc="lower right")
axes[1].axhline(acc_clean, color="k", ls="--", lw=1,
                label="trained on clean labels")
axes[1].set_xlabel("training data checked (%)")
axes[1].set_ylabel("test accuracy after fixing the labels found")
axes[1].legend(fontsize="small", loc="lower right")
fig.tight_layout()
glue("fig-ml-curves", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-ml-curves
# :alt: Two line plots against the percentage of training data checked, from 0 to 50. Left, the fraction of flipped labels found: the self-influence and training-loss curves rise steeply and almost on top of each other towards 1, close to the dotted perfect-ranking line, while the random curve rises slowly along a straight line. Right, test accuracy after fixing the labels found: the self-influence and training-loss curves climb quickly to the dashed clean-label line, the random curve slowly.
# :name: fig-ml-curves
#
# Left: fraction of the flipped labels found against the fraction of the training data
# checked, in the order of each ranking (the analogue of Fig. 6 of
# {cite:t}`koh2017understanding`); the dotted line is a ranking that puts every flipped
# label first. Right: test accuracy after fixing the flipped labels found and refitting; the
# dashed line is the accuracy of the model trained on clean labels. Means over
# {glue:text}`ml-n-seeds` random flips of 10% of the labels.
# ```
#
# After checking 10% of the data, self-influence has found a fraction
# {glue:text}`ml-found-si-10:.3f` of the flipped labels, the training loss
# {glue:text}`ml-found-loss-10:.3f` and random checking {glue:text}`ml-found-random-10:.3f`.
# At 20% the fractions are {glue:text}`ml-found-si-20:.3f`, {glue:text}`ml-found-loss-20:.3f`
# and {glue:text}`ml-found-random-20:.3f`; at 30%, {glue:text}`ml-found-si-30:.3f`,
# {glue:text}`ml-found-loss-30:.3f` and {glue:text}`ml-found-random-30:.3f`. Both informed
# rankings are far ahead of random checking and close to the perfect ranking, and they are
# within a few flips of each other: on these digits, self-influence does not beat the
# training loss. The right panel shows what fixing buys. Starting from a mean test accuracy
# of {glue:text}`ml-acc-noisy-mean:.3f`, fixing the labels found in the first 10% checked
# gives {glue:text}`ml-acc-si-10:.3f` (self-influence) and {glue:text}`ml-acc-loss-10:.3f`
# (training loss), against {glue:text}`ml-acc-random-10:.3f` for random checking; at 30% the
# values are {glue:text}`ml-acc-si-30:.3f`, {glue:text}`ml-acc-loss-30:.3f` and
# {glue:text}`ml-acc-random-30:.3f`, with {glue:text}`ml-acc-clean:.3f` for the model
# trained on clean labels.
#
# The accuracy curves do not rise at once. Fixing only the first few flips *lowers* the
# mean accuracy, to {glue:text}`ml-dip-acc-si:.3f` (self-influence) and
# {glue:text}`ml-dip-acc-loss:.3f` (training loss) after {glue:text}`ml-dip-pct:.1f`% of the
# data checked. The first points checked are the most conspicuous flips, the ones the model
# had not managed to fit. They were holding the weights down: the mean norm
# $\lVert\hat\theta\rVert$ goes from {glue:text}`ml-norm-0:.1f` to
# {glue:text}`ml-norm-dip:.1f` once they are fixed. The model becomes more confident and bends
# further towards the flips that remain, the ones it had partly fitted, and these cost
# test accuracy. Only when they too are fixed does the accuracy climb (and the norm falls
# to {glue:text}`ml-norm-end:.1f`, against {glue:text}`ml-norm-clean:.1f` for the clean-label
# model). Random checking wanders up and down for another reason: with
# {glue:text}`ml-n-test` test images, one test error is {glue:text}`ml-one-error:.3f` of
# accuracy, and ten seeds do not average that away.
#
# ## When self-influence wins: points that can be memorised
#
# {eq}`eq-ml-si` predicts when the two rankings part: when a flipped point can be fitted
# with its wrong label because it is unusual, so that its loss is small but its leverage is
# large. We build that situation into the digits. Each of a random half of the training
# images gets one extra feature of its own, an indicator that is 1 for that image and 0 for
# all others, like a word that occurs in only one e-mail. The model can now fit any of these
# images with any label by moving one weight, at the price of the penalty on that weight.

# %%
found_rare = {k: np.zeros((n_seeds, len(checked))) for k in names}
for seed in range(n_seeds):
    rng = np.random.default_rng(seed)
    y_seed, flipped_seed = flip_labels(y_clean, FLIP, rng=rng)
    flags = np.zeros(n, dtype=bool)
    flags[flipped_seed] = True
    # the images that get a feature of their own
    owners = rng.choice(n, size=n // 2, replace=False)
    rare = np.zeros((n, len(owners)))
    rare[owners, np.arange(len(owners))] = 1.0
    X_rare = add_intercept(np.hstack([X_raw, rare]))
    model_rare = LogisticRegression(l2=L2).fit(X_rare, y_seed)
    scores = {
        "self-influence": -self_influence(model_rare, X_rare, y_seed),
        "training loss": model_rare.loss(X_rare, y_seed),
    }
    orders_rare = {k: np.argsort(-v, kind="stable")
                   for k, v in scores.items()}
    orders_rare["random"] = rng.permutation(n)
    for name, order in orders_rare.items():
        for c, frac in enumerate(checked):
            seen = order[: int(round(frac * n))]
            n_found = flags[seen].sum()
            found_rare[name][seed, c] = n_found / len(flipped_seed)
mean_found_rare = {k: v.mean(axis=0) for k, v in found_rare.items()}
print(f"{'':15}{'flips found':>21}")
print(f"{'checked:':15}{pcts}")
for name in names:
    for pct in (10, 20, 30):
        c = int(np.argmin(np.abs(checked - pct / 100)))
        found_pct = float(mean_found_rare[name][c])
        glue(f"ml-rare-{tags[name]}-{pct}", found_pct, display=False)
    print(f"{name:15s}"
          + "".join(f"{mean_found_rare[name][c]:7.3f}" for c in cols))

fig, ax = plt.subplots(figsize=(6, 4.5))
for name in names:
    col, mk = styles[name]
    ax.plot(100 * checked, mean_found_rare[name], marker=mk, color=col,
            label=name)
ax.plot(100 * checked, np.minimum(1, checked / FLIP), color="0.3", ls=":",
        lw=1, label="perfect ranking")
ax.set_xlabel("training data checked (%)")
ax.set_ylabel("fraction of flipped labels found")
ax.legend(fontsize="small", loc="lower right")
fig.tight_layout()
glue("fig-ml-rare", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-ml-rare
# :alt: Detection curves for the digits with a private indicator feature on half of the images. The self-influence curve now lies clearly above the training-loss curve between about 10 and 30 percent checked; the random curve rises along a straight line.
# :name: fig-ml-rare
#
# As {numref}`fig-ml-curves` (left), for the digits in which a random half of the images
# carry a private indicator feature. Means over {glue:text}`ml-n-seeds` random flips.
# ```
#
# Now the rankings part ({numref}`fig-ml-rare`). After checking 10% of the data,
# self-influence has found {glue:text}`ml-rare-si-10:.3f` of the flipped labels and the
# training loss {glue:text}`ml-rare-loss-10:.3f`; at 20%, {glue:text}`ml-rare-si-20:.3f`
# against {glue:text}`ml-rare-loss-20:.3f`; at 30%, {glue:text}`ml-rare-si-30:.3f` against
# {glue:text}`ml-rare-loss-30:.3f`. The flipped images that own a private feature are
# partly memorised: their training loss is modest, so the loss ranking puts them late, but
# their leverage is close to 1, and {eq}`eq-ml-si` moves them up. Both rankings are worse
# than on the plain digits, because memorised flips are harder to see by any score computed
# at $\hat\theta$.
#
# The experiment is sized to run in a few seconds. A reader with more time can raise
# `n_seeds`, vary the flipped fraction `FLIP` and the penalty `L2` (a smaller penalty lets
# the model memorise more flips, and hurts both rankings), or use another digit pair with
# `load_digits_pair(a, b)`.
#
# ## Summary
#
# - Self-influence $\mathcal I_{\text{up,loss}}(z_i, z_i)$ is the diagonal of the
#   train-on-train influence matrix; it costs one block solve, not an $n\times n$ matrix.
#   Larger $|\cdot|$ means the fit bends more towards the point.
# - For logistic regression, $|\mathcal I_{\text{up,loss}}(z_i, z_i)| = h_i(e^{L(z_i)} - 1)$
#   {eq}`eq-ml-si`: training loss times generalized leverage. Self-influence and training
#   loss rank points alike unless points with similar losses differ a lot in leverage.
# - On the digits with 10% of the labels flipped, self-influence found
#   {glue:text}`ml-found-si-10:.3f`, {glue:text}`ml-found-si-20:.3f` and
#   {glue:text}`ml-found-si-30:.3f` of the flips after checking 10%, 20% and 30% of the
#   data; the training loss {glue:text}`ml-found-loss-10:.3f`,
#   {glue:text}`ml-found-loss-20:.3f` and {glue:text}`ml-found-loss-30:.3f`; random checking
#   {glue:text}`ml-found-random-10:.3f`, {glue:text}`ml-found-random-20:.3f` and
#   {glue:text}`ml-found-random-30:.3f`. Fixing the flips found restores most of the test
#   accuracy lost.
# - When points can be memorised through features of their own, self-influence beats the
#   training loss ({glue:text}`ml-rare-si-10:.3f` against {glue:text}`ml-rare-loss-10:.3f`
#   at 10% checked), as {cite:t}`koh2017understanding` found on spam.
#
# ## Exercises
#
# ```{exercise} Self-influence, loss and leverage
# :label: ex-ml-1
#
# Derive {eq}`eq-ml-si`, including the case $y_i = 0$. Then show that
# $h_i \le \min\bigl(1,\; w_i\,\lVert x_i\rVert^2/\lambda\bigr)$, and use it to explain why a
# point with a tiny loss (so $w_i \approx 0$ when it is confidently right) has tiny
# self-influence, whatever its leverage would otherwise be.
# ```
#
# ````{solution} ex-ml-1
# :class: dropdown
#
# $|\mathcal I_{\text{up,loss}}(z_i,z_i)| = \nabla L^\top H^{-1}\nabla L = g_i^2\,x_i^\top
# H^{-1}x_i = (g_i^2/w_i)\,h_i$. For $y_i = 1$: $g_i = p_i - 1$, so
# $g_i^2/w_i = (1-p_i)^2/(p_i(1-p_i)) = (1-p_i)/p_i = e^{L} - 1$ with $L = -\log p_i$.
# For $y_i = 0$: $g_i = p_i$, $g_i^2/w_i = p_i/(1-p_i) = e^{L} - 1$ with
# $L = -\log(1-p_i)$.
#
# $h_i < 1$ was shown in {ref}`digits_influence` (Exercise on Sherman–Morrison). Since
# $H \succeq \lambda I$, $x_i^\top H^{-1}x_i \le \lVert x_i\rVert^2/\lambda$, so
# $h_i \le w_i\lVert x_i\rVert^2/\lambda$. A confidently right point has $p_i$ near its label,
# so both $w_i$ and $e^{L} - 1 \approx L$ are tiny, and so is the product.
# ````
#
# ```{exercise} Coursework: self-influence for logistic regression
# :label: ex-ml-2
#
# Write a function `my_self_influence(X, y, theta, l2)` that returns the $n$ values
# $\mathcal I_{\text{up,loss}}(z_i, z_i)$ (non-positive, with the sign convention of
# {func}`~influence_demo.influence.self_influence`) for L2-penalised logistic regression
# with the sum objective, given the fitted `theta`. Use only NumPy; do not form the
# $n\times n$ influence matrix, do not form $H^{-1}$, and do not loop over the points. Then:
#
# 1. check it with the course checker:
#    `from influence_demo.coursework import check_self_influence; check_self_influence(my_self_influence)`;
# 2. check {eq}`eq-ml-si` numerically with your function;
# 3. time it against `np.diag(influence_loss(model, X, y, X, y))` for $n = 2000$, $p = 50$,
#    and explain the difference in memory and time.
# ```
#
# ````{solution} ex-ml-2
# :class: dropdown
#
# ```python
# import numpy as np
# from influence_demo.coursework import check_self_influence
#
# def my_self_influence(X, y, theta, l2):
#     X = np.asarray(X, dtype=float); y = np.asarray(y, dtype=float)
#     # sigmoid without overflow
#     prob = 0.5 * (1 + np.tanh((X @ theta) / 2))
#     G = (prob - y)[:, None] * X          # per-example gradients, (n, p)
#     w = prob * (1 - prob)
#     H = X.T @ (w[:, None] * X) + l2 * np.eye(X.shape[1])
#     L = np.linalg.cholesky(H)
#     V = np.linalg.solve(L, G.T)          # L^{-1} G^T, (p, n)
#     return -np.einsum("ij,ij->j", V, V)  # -g_i^T H^{-1} g_i
#
# check_self_influence(my_self_influence)
# ```
#
# With $H = LL^\top$, $g^\top H^{-1}g = \lVert L^{-1}g\rVert^2$, so one triangular solve per
# column suffices. The diagonal of the full matrix costs $O(n^2 p)$ time and $O(n^2)$ memory
# (32 MB for $n = 2000$); the row-wise version costs $O(np^2 + p^3)$ and $O(np)$.
# ````
#
# ```{exercise} Ranking by the leave-one-out loss
# :label: ex-ml-3
#
# A third ranking: the loss of each point under the model refitted *without* it,
# $L(z_i, \tilde\theta_{-i})$, with $\tilde\theta_{-i}$ the one-step Newton estimate of
# {ref}`digits_influence` (`loo_params_onestep`). A flipped point that the model has
# memorised should have a large leave-one-out loss. Add this ranking to the detection curves
# on the plain digits and on the digits with private features. Show that the margin under
# $\tilde\theta_{-i}$ is $x_i^\top\tilde\theta_{-i} = s_i + g_i\,(h_i/w_i)/(1-h_i)$.
# ```
#
# ````{solution} ex-ml-3
# :class: dropdown
#
# From {eq}`eq-di-onestep`, $x_i^\top\tilde\theta_{-i} = s_i + g_i\,x_i^\top H^{-1}x_i/(1-h_i)$
# and $x_i^\top H^{-1}x_i = h_i/w_i$.
#
# ```python
# from influence_demo import loo_params_onestep
# T = loo_params_onestep(model_seed, X, y_seed)  # (n, p)
# loo_loss = np.array([model_seed.loss(X[[i]], y_seed[[i]], T[i])[0]
#                      for i in range(n)])
# order_loo = np.argsort(-loo_loss, kind="stable")
# ```
#
# On the plain digits this ranking finds about as many flips as the other two. It is most
# useful where points are memorised, since it asks how well the rest of the data predicts
# each label, which is what a human checker does.
# ````
#
# ```{exercise} How many flips can be tolerated?
# :label: ex-ml-4
#
# Repeat the accuracy curve for flipped fractions of 5%, 10%, 20% and 30%, and for
# penalties $\lambda \in \{10^{-3}, 10^{-2}, 10^{-1}, 1\}$. For which settings does checking
# 20% of the data by self-influence bring the test accuracy back to the clean-label value?
# Why does a larger penalty make the model more robust to flipped labels in the first
# place, and what does it cost?
# ```
#
# ````{solution} ex-ml-4
# :class: dropdown
#
# Wrap the loop of this chapter in a function of `FLIP` and `L2` and call it on the grid.
# A larger penalty limits how far any one point can bend the boundary: each flipped label
# then moves $\hat\theta$ less, so test accuracy suffers less before any fix. The cost is
# bias (a larger test loss on clean data, visible in `clean_model.loss(X_test, y_test)`), and
# flipped points that the model no longer bends towards are, if anything, easier to find
# by loss or self-influence. With many flips (30%) the wrong labels no longer look unusual,
# and every score computed at $\hat\theta$ finds them more slowly.
# ````
#
# ## References
#
# The bibliography of the whole book is on the {doc}`references` page. This chapter cites
# {cite:t}`koh2017understanding` (self-influence for finding mislabelled points, §5.4).
