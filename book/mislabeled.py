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
# by training loss or at random. Other scores of a training point's worth serve the same
# purpose; Data Shapley {cite:p}`ghorbani2019data`, for example, values each point by its
# average contribution to the test performance over subsets of the data, and also finds
# mislabeled points. This chapter stays with self-influence.
#
# We repeat the experiment on the handwritten digits of {ref}`digits_influence`. We flip
# 10% of the training labels, rank the points three ways, and measure two things: the
# fraction of the flipped labels found after checking a given fraction of the data, and the
# test accuracy regained by fixing them. On these digits, self-influence and training loss
# turn out to be almost equally good. We show why with one identity that links
# self-influence, training loss and the generalized leverage, check self-influence against
# retraining, and build a variant of the data on which self-influence wins.
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
import functools

import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

from influence_demo import (
    LogisticRegression,
    add_intercept,
    add_private_features,
    check_orders,
    detection_curves,
    flip_labels,
    fraction_found,
    generalized_leverage,
    influence_loss,
    load_digits_pair,
    loo_params_onestep,
    make_logistic_data,
    pearson,
    self_influence,
    self_influence_vs_retraining,
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

rng = np.random.default_rng(0)
y_noisy, flipped = flip_labels(y_clean, FLIP, rng=rng)
is_flipped = np.isin(np.arange(n), flipped)
clean_model = LogisticRegression(l2=L2).fit(X, y_clean)
noisy_model = LogisticRegression(l2=L2).fit(X, y_noisy)
acc_clean = float(np.mean(clean_model.predict(X_test) == y_test))
acc_noisy = float(np.mean(noisy_model.predict(X_test) == y_test))
pred_flipped = noisy_model.predict(X[flipped])
fit_to_wrong = float(np.mean(pred_flipped == y_noisy[flipped]))
print(f"{len(flipped)} of {n} labels flipped")
print(f"test accuracy: clean labels {acc_clean:.3f}, "
      f"noisy labels {acc_noisy:.3f}")
print("flipped points that the noisy model classifies as their "
      f"wrong label: {fit_to_wrong:.2f}")

# %% tags=["remove-input"]
ml_data = {"ml-n": n, "ml-n-flipped": len(flipped),
           "ml-acc-clean": acc_clean, "ml-acc-noisy": acc_noisy,
           "ml-fit-to-wrong": fit_to_wrong}
for key, value in ml_data.items():
    glue(key, value, display=False)

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
#
# {func}`~influence_demo.experiments.check_orders` returns the three orders.

# %%
orders = check_orders(noisy_model, X, y_noisy, rng)
si = -self_influence(noisy_model, X, y_noisy)  # |I_up,loss(z_i, z_i)|
top = orders["self-influence"][:10]
print("flipped among the ten largest self-influences:",
      int(is_flipped[top].sum()))

# %% tags=["hide-input"]
titles = [f"label {7 if y_noisy[i] else 1}\n"
          + ("FLIPPED" if is_flipped[i] else "correct") for i in top]
axes = plot_images(X_raw[top], titles, ncols=5)
fig = axes[0].figure
glue("fig-ml-top", fig, display=False)
plt.close(fig)

# %% tags=["remove-input"]
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
rho_si_loss = spearman(si, loss_noisy)
print("Spearman correlation of self-influence and training loss: "
      f"{rho_si_loss:.3f}")
print(f"median leverage: flipped {np.median(h[flipped]):.3f}, "
      f"correct {np.median(h[~is_flipped]):.3f}")

# %% tags=["remove-input"]
np.testing.assert_allclose(si, h * np.expm1(loss_noisy),
                           rtol=1e-8, atol=1e-14)

# %% tags=["remove-input"]
ml_si = {"ml-rho-si-loss": rho_si_loss,
         "ml-h-flipped": float(np.median(h[flipped])),
         "ml-h-correct": float(np.median(h[~is_flipped]))}
for key, value in ml_si.items():
    glue(key, value, display=False)

# %% tags=["hide-input"]
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
ax.legend(fontsize=9)
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
# e-mail. They do not say why; our hypothesis, not theirs, is that bag-of-words features
# contain many rare words, which make points of this kind. We build such a case at the end
# of the chapter.
#
# ## Self-influence against retraining
#
# Self-influence is a prediction: removing $z_i$ from the training set should raise its own
# loss by about $|\mathcal I_{\text{up,loss}}(z_i, z_i)|$. We check it the way
# {ref}`digits_influence` checks the influence on a test point, by refitting without each
# training point in turn.
# {func}`~influence_demo.experiments.self_influence_vs_retraining` returns the measured rise
# $L(z_i, \hat\theta_{-i}) - L(z_i, \hat\theta)$ beside self-influence and the one-step
# Newton estimate of {ref}`digits_influence`.

# %%
own = self_influence_vs_retraining(noisy_model, X, y_noisy)  # n refits
rise, predicted_rise = own["actual"], own["influence"]
k = len(flipped)
top_si = set(np.argsort(-predicted_rise)[:k].tolist())
top_rise = set(np.argsort(-rise)[:k].tolist())
own_stats = {
    "spearman": spearman(rise, predicted_rise),
    "pearson": pearson(rise, predicted_rise),
    "pearson-onestep": pearson(rise, own["onestep"]),
    "ratio-max": float(np.max(rise / predicted_rise)),
    "top-overlap": len(top_si & top_rise),
}
print(f"self-influence against the refits: Spearman {own_stats['spearman']:.3f},")
print(f"  Pearson {own_stats['pearson']:.3f} "
      f"(one-step: {own_stats['pearson-onestep']:.3f})")
print(f"actual / predicted rise: at least 1, at most "
      f"{own_stats['ratio-max']:.1f}")
print(f"the {k} largest by self-influence and by refit share "
      f"{own_stats['top-overlap']} points")

# %% tags=["remove-input"]
assert np.all(rise >= predicted_rise)  # every rise is underestimated

# %% tags=["remove-input"]
for key, value in own_stats.items():
    glue(f"ml-own-{key}", value, display=False)
glue("ml-own-k", k, display=False)

# %% [markdown]
# Self-influence ranks the points almost exactly as retraining does: Spearman
# {glue:text}`ml-own-spearman:.3f`, and the {glue:text}`ml-own-k` points with the largest
# self-influence and the {glue:text}`ml-own-k` with the largest measured rise share
# {glue:text}`ml-own-top-overlap`. It underestimates every rise, by a factor of up to
# {glue:text}`ml-own-ratio-max:.1f`, so the Pearson correlation is only
# {glue:text}`ml-own-pearson:.3f`; the one-step estimate, which carries the leverage factor
# $1/(1-h_i)$, reaches {glue:text}`ml-own-pearson-onestep:.3f`. For finding flipped labels
# only the ranking matters.
#
# ## Detection curves and accuracy regained
#
# One flip pattern is one draw. {func}`~influence_demo.experiments.detection_curves` repeats
# the experiment for ten seeds of {func}`~influence_demo.datasets.flip_labels`. For each seed
# and each ranking it checks the points in order; after checking a fraction $x$ of the data
# it records the fraction of the flipped labels found
# ({func}`~influence_demo.experiments.fraction_found`), then fixes those labels, refits, and
# records the test accuracy.

# %%
n_seeds = 10
checked = np.linspace(0, 0.5, 21)  # fraction of the training data checked
curves = detection_curves(LogisticRegression(l2=L2), X, y_clean, FLIP,
                          checked, range(n_seeds), X_test, y_test)
names = ["self-influence", "training loss", "random"]
pcts = (0.1, 0.2, 0.3)
print(f"{'':15}{'flips found':>21}  {'test accuracy':>21}")
print(f"{'checked:':15}" + "".join(f"{q:7.0%}" for q in pcts) * 2)
for name in names:
    print(f"{name:15s}"
          + "".join(f"{curves.at(quantity, name, q):7.3f}"
                    for quantity in ("found", "accuracy") for q in pcts))
acc_noisy_mean = curves.at("accuracy", "random", 0.0)
print(f"\nmean test accuracy before any fix: {acc_noisy_mean:.3f}; "
      f"with clean labels: {acc_clean:.3f}")

# %%
dip = 1  # the second grid point: 2.5% of the data checked
norm_si = curves.mean("theta_norm", "self-influence")
acc_dip = curves.mean("accuracy", "self-influence")[dip]
norm_clean = np.linalg.norm(clean_model.theta_)
print(f"self-influence ranking, {checked[dip]:.1%} checked: "
      f"test accuracy {acc_dip:.3f},")
print(f"  |theta| {norm_si[0]:.1f} -> {norm_si[dip]:.1f} "
      f"(clean-label model: {norm_clean:.1f})")

# %% tags=["remove-input"]
tags = {"self-influence": "si", "training loss": "loss",
        "random": "random"}
ml_curves = {}
for name, tag in tags.items():
    for q in pcts:
        pct = round(100 * q)
        ml_curves[f"ml-found-{tag}-{pct}"] = curves.at("found", name, q)
        ml_curves[f"ml-acc-{tag}-{pct}"] = curves.at("accuracy", name, q)
ml_curves.update({
    "ml-acc-noisy-mean": acc_noisy_mean,
    "ml-dip-pct": float(100 * checked[dip]),
    "ml-dip-acc-si": float(acc_dip),
    "ml-dip-acc-loss": float(curves.mean("accuracy",
                                         "training loss")[dip]),
    "ml-norm-0": float(norm_si[0]), "ml-norm-dip": float(norm_si[dip]),
    "ml-norm-end": float(norm_si[-1]), "ml-norm-clean": float(norm_clean),
    "ml-n-test": len(y_test), "ml-one-error": 1 / len(y_test),
    "ml-n-seeds": n_seeds,
})
for key, value in ml_curves.items():
    glue(key, value, display=False)
# the claims of the prose: the two informed rankings are within 0.05 of each
# other and far ahead of random checking; fixing the first flips lowers the
# accuracy and raises the norm; by 30% most of the accuracy lost is back
for q in pcts:
    si_q, loss_q = (curves.at("found", name, q) for name in names[:2])
    assert abs(si_q - loss_q) < 0.05
    assert min(si_q, loss_q) > 2 * curves.at("found", "random", q)
assert max(acc_dip, ml_curves["ml-dip-acc-loss"]) < acc_noisy_mean
assert norm_si[dip] > norm_si[0] > norm_si[-1]
assert min(ml_curves["ml-acc-si-30"], ml_curves["ml-acc-loss-30"]) > (
    acc_noisy_mean + 0.5 * (acc_clean - acc_noisy_mean))

# %% tags=["hide-input"]
fig, axes = plt.subplots(2, 1, figsize=(6.8, 8.0))
styles = {"self-influence": ("C0", "o"), "training loss": ("C1", "s"),
          "random": ("0.5", "^")}
for name in names:
    col, mk = styles[name]
    for ax, quantity in zip(axes, ["found", "accuracy"]):
        ax.plot(100 * checked, curves.mean(quantity, name), marker=mk,
                color=col, label=name)
axes[0].plot(100 * checked, np.minimum(1, checked / FLIP), color="0.3",
             ls=":", lw=1, label="perfect ranking")
axes[0].set_ylabel("fraction of flipped labels found")
axes[1].axhline(acc_clean, color="k", ls="--", lw=1,
                label="trained on clean labels")
axes[1].set_ylabel("test accuracy after fixing the labels found")
for ax in axes:
    ax.set_xlabel("training data checked (%)")
    ax.legend(fontsize=9, loc="lower right")
fig.tight_layout()
glue("fig-ml-curves", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-ml-curves
# :alt: Two line plots against the percentage of training data checked, from 0 to 50. Top, the fraction of flipped labels found: the self-influence and training-loss curves rise steeply and almost on top of each other towards 1, close to the dotted perfect-ranking line, while the random curve rises slowly along a straight line. Bottom, test accuracy after fixing the labels found: the self-influence and training-loss curves climb quickly to the dashed clean-label line, the random curve slowly.
# :name: fig-ml-curves
#
# Top: fraction of the flipped labels found against the fraction of the training data
# checked, in the order of each ranking (the analogue of Fig. 6 of
# {cite:t}`koh2017understanding`); the dotted line is a ranking that puts every flipped
# label first. Bottom: test accuracy after fixing the flipped labels found and refitting; the
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
# training loss. The bottom panel shows what fixing buys. Starting from a mean test accuracy
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
# large. We build that situation into the digits.
# {func}`~influence_demo.experiments.add_private_features` gives each of a random half of the
# training images one extra feature of its own, an indicator that is 1 for that image and 0
# for all others, like a word that occurs in only one e-mail. The model can now fit any of
# these images with any label by moving one weight, at the price of the penalty on that
# weight. `detection_curves` draws a new half for every seed, after flipping its labels.

# %%
private = functools.partial(add_private_features, X, 0.5)  # design(rng)
rare = detection_curves(LogisticRegression(l2=L2), X, y_clean, FLIP,
                        checked, range(n_seeds), design=private)
print(f"{'':15}{'flips found':>21}")
print(f"{'checked:':15}" + "".join(f"{q:7.0%}" for q in pcts))
for name in names:
    print(f"{name:15s}"
          + "".join(f"{rare.at('found', name, q):7.3f}" for q in pcts))

# %% tags=["remove-input"]
ml_rare = {f"ml-rare-{tag}-{round(100 * q)}": rare.at("found", name, q)
           for name, tag in tags.items() for q in pcts}
for key, value in ml_rare.items():
    glue(key, value, display=False)
# the claims of the prose: with private features self-influence finds more
# flips than the training loss, and both find fewer than on the plain digits
for q in pcts:
    assert rare.at("found", "self-influence", q) > rare.at(
        "found", "training loss", q)
    for name in names[:2]:
        assert rare.at("found", name, q) < curves.at("found", name, q)

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(6, 4.5))
for name in names:
    col, mk = styles[name]
    ax.plot(100 * checked, rare.mean("found", name), marker=mk, color=col,
            label=name)
ax.plot(100 * checked, np.minimum(1, checked / FLIP), color="0.3", ls=":",
        lw=1, label="perfect ranking")
ax.set_xlabel("training data checked (%)")
ax.set_ylabel("fraction of flipped labels found")
ax.legend(fontsize=9, loc="lower right")
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
# than on the plain digits: a memorised flip is fitted well at $\hat\theta$, so its own
# loss and gradient are small. A score that asks how well the *rest* of the data predicts
# each label sees it again: the leave-one-out loss of exercise {ref}`ex-ml-3`, computed from
# $\hat\theta$ by one Newton step, finds more flips than either ranking.
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
# - Refitting without each point confirms the self-influence ranking (Spearman
#   {glue:text}`ml-own-spearman:.3f` with the measured rise of each point's own loss),
#   while the size of every rise is underestimated, as the leverage factor predicts.
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
# ```{solution-start} ex-ml-1
# :class: dropdown
# ```
#
# $|\mathcal I_{\text{up,loss}}(z_i,z_i)| = \nabla L^\top H^{-1}\nabla L = g_i^2\,x_i^\top
# H^{-1}x_i = (g_i^2/w_i)\,h_i$. For $y_i = 1$: $g_i = p_i - 1$, so
# $g_i^2/w_i = (1-p_i)^2/(p_i(1-p_i)) = (1-p_i)/p_i = e^{L} - 1$ with $L = -\log p_i$.
# For $y_i = 0$: $g_i = p_i$, $g_i^2/w_i = p_i/(1-p_i) = e^{L} - 1$ with
# $L = -\log(1-p_i)$.
#
# $h_i < 1$ was shown in {ref}`digits_influence` (Exercise on Sherman–Morrison). Since
# $H \succeq \lambda I$, $x_i^\top H^{-1}x_i \le \lVert x_i\rVert^2/\lambda$, so
# $h_i \le w_i\lVert x_i\rVert^2/\lambda$. Then
# $|\mathcal I_{\text{up,loss}}(z_i,z_i)| = h_i(e^{L} - 1) \le e^{L} - 1 \approx L$ for a
# small loss: a confidently right point has tiny self-influence. We check each step on the
# noisy digits, for both labels.

# %%
prob = noisy_model.predict_proba(X)
g, w = prob - y_noisy, prob * (1 - prob)
for label in (0, 1):
    mask = y_noisy == label
    np.testing.assert_allclose(g[mask] ** 2 / w[mask],
                               np.expm1(loss_noisy[mask]), rtol=1e-8)
bound = np.minimum(1, w * np.sum(X**2, axis=1) / L2)
assert np.all(h <= bound * (1 + 1e-12))
assert np.all(si <= np.expm1(loss_noisy))
print(f"largest h_i / bound: {np.max(h / bound):.3f}")

# %% [markdown]
# ```{solution-end}
# ```
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
# ```{solution-start} ex-ml-2
# :class: dropdown
# ```
#
# With $H = LL^\top$, $g^\top H^{-1}g = \lVert L^{-1}g\rVert^2$, so one triangular solve per
# column suffices.

# %%
from influence_demo.coursework import check_self_influence
from influence_demo.timing import best_time


def my_self_influence(X, y, theta, l2):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    prob = 0.5 * (1 + np.tanh((X @ theta) / 2))  # sigmoid, no overflow
    G = (prob - y)[:, None] * X          # per-example gradients, (n, p)
    w = prob * (1 - prob)
    H = X.T @ (w[:, None] * X) + l2 * np.eye(X.shape[1])
    L = np.linalg.cholesky(H)
    V = np.linalg.solve(L, G.T)          # L^{-1} G^T, (p, n)
    return -np.einsum("ij,ij->j", V, V)  # -g_i^T H^{-1} g_i


assert check_self_influence(my_self_influence)
mine = -my_self_influence(X, y_noisy, noisy_model.theta_, L2)
np.testing.assert_allclose(mine, h * np.expm1(loss_noisy), rtol=1e-8)


Xb, yb, _, _ = make_logistic_data(2000, 49, rng=0)
Xb = add_intercept(Xb)  # n = 2000, p = 50
big = LogisticRegression(l2=1.0).fit(Xb, yb)
np.testing.assert_allclose(
    my_self_influence(Xb, yb, big.theta_, 1.0),
    np.diag(influence_loss(big, Xb, yb, Xb, yb)), rtol=1e-8)
t_rows, _ = best_time(my_self_influence, Xb, yb, big.theta_, 1.0, repeats=3)
t_full, _ = best_time(lambda: np.diag(influence_loss(big, Xb, yb, Xb, yb)),
                      repeats=3)
print(f"row-wise: {1e3 * t_rows:.1f} ms; diagonal of the n x n matrix: "
      f"{1e3 * t_full:.1f} ms, and {Xb.shape[0] ** 2 * 8 / 1e6:.0f} MB")

# %% [markdown]
# The diagonal of the full matrix costs $O(n^2 p)$ time and $O(n^2)$ memory; the row-wise
# version costs $O(np^2 + p^3)$ and $O(np)$. The measured times depend on the machine and
# its BLAS threads; the memory of the full matrix grows with $n^2$ on every machine.
#
# ```{solution-end}
# ```
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
# ```{solution-start} ex-ml-3
# :class: dropdown
# ```
#
# From {eq}`eq-di-onestep`, $x_i^\top\tilde\theta_{-i} = s_i + g_i\,x_i^\top H^{-1}x_i/(1-h_i)$
# and $x_i^\top H^{-1}x_i = h_i/w_i$. The seeds, flips and private features below are those
# of `detection_curves`, drawn in the same order.

# %%
def loo_loss_order(model, X, y):
    """Points by decreasing loss under their one-step leave-one-out fit."""
    margin_loo = np.einsum("ij,ij->i", X, loo_params_onestep(model, X, y))
    loo_loss = np.logaddexp(0.0, (1 - 2 * y) * margin_loo)
    return np.argsort(-loo_loss, kind="stable"), margin_loo


s = X @ noisy_model.theta_
_, margin_loo = loo_loss_order(noisy_model, X, y_noisy)
np.testing.assert_allclose(margin_loo, s + g * (h / w) / (1 - h),
                           rtol=1e-8, atol=1e-10)

found_loo = {"plain": [], "private features": []}
for seed in range(n_seeds):
    for kind in found_loo:
        rng = np.random.default_rng(seed)
        y_s, flipped_s = flip_labels(y_clean, FLIP, rng=rng)
        X_s = X if kind == "plain" else add_private_features(X, 0.5, rng)
        model_s = LogisticRegression(l2=L2).fit(X_s, y_s)
        order, _ = loo_loss_order(model_s, X_s, y_s)
        found_loo[kind].append(fraction_found(order, flipped_s, checked))
at_10 = int(np.argmin(np.abs(checked - 0.1)))
for kind, result in [("plain", curves), ("private features", rare)]:
    loo_10 = np.mean(found_loo[kind], axis=0)[at_10]
    others = {name: result.at("found", name, 0.1)
              for name in ("self-influence", "training loss")}
    print(f"{kind}, 10% checked: leave-one-out loss {loo_10:.3f}, "
          + ", ".join(f"{k} {v:.3f}" for k, v in others.items()))
    if kind == "plain":
        assert all(abs(loo_10 - v) < 0.05 for v in others.values())
    else:
        assert all(loo_10 > v + 0.1 for v in others.values())

# %% [markdown]
# On the plain digits this ranking finds about as many flips as the other two (within 0.05
# at 10% checked). With private features it beats both clearly: it asks how well the rest of
# the data predicts each label, which is what a human checker does, and a memorised flip is
# predicted badly by the rest.
#
# ```{solution-end}
# ```
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
# ```{solution-start} ex-ml-4
# :class: dropdown
# ```
#
# We call `detection_curves` on the grid, with three seeds and two fractions checked (0 and
# 20%) to keep it fast.

# %%
flips, penalties = [0.05, 0.1, 0.2, 0.3], [1e-3, 1e-2, 1e-1, 1.0]
grid = {}
for flip in flips:
    for l2 in penalties:
        c = detection_curves(LogisticRegression(l2=l2), X, y_clean, flip,
                             [0.0, 0.2], range(3), X_test, y_test)
        clean = LogisticRegression(l2=l2).fit(X, y_clean)
        grid[flip, l2] = {
            "before": c.at("accuracy", "self-influence", 0.0),
            "after": c.at("accuracy", "self-influence", 0.2),
            "found": c.at("found", "self-influence", 0.2),
            "clean": float(np.mean(clean.predict(X_test) == y_test)),
            "clean loss": float(clean.loss(X_test, y_test).mean()),
        }
restored = [key for key, v in grid.items() if v["after"] == v["clean"]]
print("test accuracy back to the clean-label value after checking 20%:")
print("  " + ", ".join(f"{f:.0%} flipped at l2 = {l:g}"
                       for f, l in restored))
for flip in flips:
    row = [grid[flip, l2] for l2 in penalties]
    assert row[-1]["before"] > row[0]["before"]  # robust before any fix
    assert all(a["found"] <= b["found"] for a, b in zip(row, row[1:]))
losses = [grid[0.1, l2]["clean loss"] for l2 in penalties]
assert np.all(np.diff(losses) > 0)  # the cost: bias
print("mean test loss with clean labels, by penalty: "
      + ", ".join(f"{v:.4f}" for v in losses))
# with 30% flipped, even a perfect ranking finds at most 2/3 by 20% checked;
# self-influence finds a smaller share of that than with 10% flipped
for l2 in penalties:
    assert grid[0.3, l2]["found"] / (2 / 3) < grid[0.1, l2]["found"]

# %% [markdown]
# A larger penalty limits how far any one point can bend the boundary: each flipped label
# then moves $\hat\theta$ less, so at every flipped fraction the test accuracy before any
# fix is higher with $\lambda = 1$ than with $\lambda = 10^{-3}$. The flipped points that
# the model no longer bends towards keep a large loss, and self-influence finds at least as
# many of them at each larger penalty. The cost is bias: the test loss of the clean-label
# model grows with $\lambda$. With 30% of the labels flipped the wrong labels no longer look
# unusual, and self-influence finds a smaller share of what a perfect ranking could.
#
# ```{solution-end}
# ```
#
# ## References
#
# The bibliography of the whole book is on the {doc}`references` page. This chapter cites
# {cite:t}`koh2017understanding` (self-influence for finding mislabeled points, §5.4) and
# {cite:t}`ghorbani2019data` (Data Shapley, another way to value training points).
