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
# (own_model)=
# # Influence for your own model
#
# The other chapters build their models with the package. A reader with a problem of their
# own usually has a model fitted already, most often with scikit-learn
# {cite:p}`pedregosa2011scikit`, and wants to know which training points made a prediction.
# This chapter starts from such a model, a scikit-learn `LogisticRegression` fitted on the
# breast-cancer data that scikit-learn ships, and answers four questions with the public
# API of `influence_demo` only:
#
# 1. which training points are most harmful, or most helpful, to a chosen prediction;
# 2. what removing one of them would change;
# 3. how much to trust that, with a one-step estimate and a few real refits;
# 4. what to do when the data are large.
#
# By the end of this chapter you will be able to:
#
# - translate a fitted scikit-learn linear model into a package model with exactly the same
#   objective (`from_sklearn`), and say why the penalty and the intercept must be
#   translated, not guessed;
# - list the $k$ most harmful and most helpful training points of a prediction, without
#   the $m\times n$ influence matrix, on data read from disk in batches;
# - check the list against a one-step estimate and against refits of a few chosen points;
# - convert a score reported by another library into this book's convention.

# %%
import tempfile
import textwrap
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    NotAtOptimumWarning,
    from_sklearn,
    influence_loss,
    loo_loss_change,
    loo_loss_change_onestep,
    self_influence,
    self_influence_batched,
    to_book,
    top_influences,
)

# %% [markdown]
# ## A model fitted with scikit-learn
#
# The data are 569 tumours described by 30 measurements, labelled malignant (0) or benign
# (1). We hold out 169 of them as a test set, standardise the measurements with the
# training set's means and deviations, and fit scikit-learn's default logistic regression
# with a fairly strong penalty, `C = 0.1`.

# %%
X_all, y_all = load_breast_cancer(return_X_y=True)
rng = np.random.default_rng(0)
order = rng.permutation(len(y_all))
train, test = order[:400], order[400:]
scaler = StandardScaler().fit(X_all[train])
X_train, X_test = scaler.transform(X_all[train]), scaler.transform(X_all[test])
y_train, y_test = y_all[train], y_all[test]

C = 0.1
sk_model = SkLogisticRegression(C=C).fit(X_train, y_train)
print(f"training points n = {len(y_train)}, test points m = {len(y_test)}, "
      f"features d = {X_train.shape[1]}")
print(f"test accuracy {sk_model.score(X_test, y_test):.3f}")

# %% [markdown]
# scikit-learn minimises $C\sum_i \ell_i(\theta) + \frac12\lVert w\rVert^2$, where $w$ are
# the weights *without* the intercept. Divided by $C$, that is this book's sum objective
# {eq}`nt-objective` with $\lambda = 1/C$ and an intercept left out of the penalty.
# `from_sklearn` makes exactly that translation, appends the intercept column, maps the
# labels to {0, 1}, and checks that scikit-learn's coefficients minimise the objective. Its
# solvers stop at a loose tolerance (`tol = 1e-4`), so the adapter polishes the
# coefficients by Newton's method and reports how far that moved them.

# %%
adapted = from_sklearn(sk_model, X_train, y_train)
model, X, y = adapted.model, adapted.X, adapted.y
Xt, yt = adapted.transform(X_test, y_test)
print(model)
print(f"relative gradient norm at scikit-learn's coefficients: "
      f"{adapted.grad_norm_sklearn:.0e}")
print(f"after polishing: below 1e-12: {adapted.grad_norm < 1e-12}")
print(f"polishing moved theta by {adapted.polish_shift:.0e} of its norm")

# %% tags=["remove-input"]
glue_sk = {
    "om-n": len(y_train),
    "om-m": len(y_test),
    "om-l2": float(model.l2),
    "om-grad-sk": float(f"{adapted.grad_norm_sklearn:.0e}"),
    "om-shift": float(f"{adapted.polish_shift:.0e}"),
}
for key, value in glue_sk.items():
    glue(key, value, display=False)

# %% [markdown]
# The package model is `LogisticRegression(l2=10, unpenalized=[-1])`: $\lambda = 1/C$ =
# {glue:text}`om-l2`, and the last coordinate, the intercept, is not penalised.
# scikit-learn's coefficients had a relative gradient norm of about
# {glue:text}`om-grad-sk:.0e`; polishing moved them by about {glue:text}`om-shift:.0e` of
# their norm. That is small, but the influence function is a derivative *at* the optimum,
# and the next section shows what a model that is not at its optimum does to it.
#
# ## Which training points made this prediction?
#
# We pick the test tumour with the largest loss, the prediction the model gets most wrong.

# %%
test_loss = model.loss(Xt, yt)
j = int(np.argmax(test_loss))
p_benign = model.predict_proba(Xt[j : j + 1])[0]
print(f"test point {j}: label {int(yt[j])}, predicted P(benign) = {p_benign:.3f}, "
      f"loss {test_loss[j]:.3f}")

# %% [markdown]
# `top_influences` returns, for each test point, the $k$ training points with the largest
# $\mathcal I_{\text{up,loss}}$ (harmful: removing them would lower the test loss) and the
# $k$ with the smallest (helpful). It never forms the $m \times n$ matrix of
# `influence_loss`; here the data are small, so we can check that it returns exactly the
# ends of a sort of that matrix.

# %%
k = 5
top = top_influences(model, X, y, Xt[j : j + 1], yt[j : j + 1], k=k)
I = influence_loss(model, X, y, Xt[j : j + 1], yt[j : j + 1])[0]
print(f"{'':>9}{'train index':>12}{'label':>7}{'I_up,loss':>12}")
for name, idx, vals in (("harmful", top.harmful[0], top.harmful_values[0]),
                        ("helpful", top.helpful[0], top.helpful_values[0])):
    for i, v in zip(idx, vals):
        print(f"{name:>9}{i:>12}{int(y[i]):>7}{v:>12.4f}")

# %% tags=["remove-input"]
assert np.array_equal(top.harmful[0], np.argsort(-I, kind="stable")[:k])
assert np.array_equal(top.helpful[0], np.argsort(I, kind="stable")[:k])

# %% tags=["remove-input"]
h0 = int(top.harmful[0, 0])
glue_top = {
    "om-j": j,
    "om-label-j": int(yt[j]),
    "om-h0": h0,
    "om-h0-label": int(y[h0]),
    "om-h-other": int(np.sum(y[top.harmful[0]] != yt[j])),
    "om-l-same": int(np.sum(y[top.helpful[0]] == yt[j])),
}
assert yt[j] == 0 and p_benign > 0.5  # malignant, and called benign by the model
for key, value in glue_top.items():
    glue(key, value, display=False)

# %% [markdown]
# Test point {glue:text}`om-j` is malignant (label {glue:text}`om-label-j`), and the model
# calls it benign. {glue:text}`om-h-other` of its five most harmful training points carry
# the other label, benign, and {glue:text}`om-l-same` of its five most helpful carry its
# own. For a malignant test point, "harmful" means that up-weighting the training point
# would raise its predicted probability of benign further.
#
# ## What would removing one change?
#
# Removing $z_i$ from the sum is up-weighting it by $\epsilon = -1$ ({eq}`nt-removal`), so
# the predicted change in the test loss is $-\mathcal I_{\text{up,loss}}$. Two better
# estimates are available. The one-step Newton estimate of {cite:t}`pregibon1981logistic`
# (`loo_loss_change_onestep`, {ref}`digits_influence`) adds a leverage correction. A refit
# without the point (`loo_loss_change` with `indices=`) is the exact answer, and it is
# affordable for the ten points we care about.

# %%
chosen = np.concatenate([top.harmful[0], top.helpful[0]])
first_order = -I[chosen]
one_step = loo_loss_change_onestep(model, X, y, Xt[j : j + 1], yt[j : j + 1])[0][chosen]
refit = loo_loss_change(model, X, y, Xt[j : j + 1], yt[j : j + 1], indices=chosen)[0]
print(f"{'train index':>12}{'-I_up,loss':>12}{'one-step':>12}{'refit':>12}")
for i, a, b, c in zip(chosen, first_order, one_step, refit):
    print(f"{i:>12}{a:>12.4f}{b:>12.4f}{c:>12.4f}")
err_first = np.max(np.abs(first_order - refit) / np.abs(refit))
err_one = np.max(np.abs(one_step - refit) / np.abs(refit))

# %% tags=["remove-input"]
assert np.all(np.sign(first_order) == np.sign(refit)) and err_one < err_first

# %% tags=["remove-input"]
fig, ax = plt.subplots(figsize=(6.8, 5.0))
rows = np.arange(len(chosen))
bars = ((-0.27, first_order, r"first order, $-\mathcal{I}_{\mathrm{up,loss}}$"),
        (0.0, one_step, "one-step Newton"), (0.27, refit, "refit (exact)"))
for offset, values, label in bars:
    ax.barh(rows + offset, values, height=0.26, label=label)
ax.set_yticks(rows, [f"{'harmful' if r < k else 'helpful'}: point {i}"
                     for r, i in enumerate(chosen)])
ax.invert_yaxis()
ax.axhline(k - 0.5, color="0.6", lw=0.8, ls=":")
ax.axvline(0, color="0.3", lw=0.8)
ax.set_xlabel(f"change in the loss of test point {j} when the point is removed")
ax.legend(fontsize=9, loc="lower right")
fig.tight_layout()
glue("fig-om-removal", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-om-removal
# :alt: Horizontal bars for the five most harmful and the five most helpful training points of the test tumour, three bars per point: the first-order prediction, the one-step Newton estimate and the exact refit. The harmful points have negative bars (removing them lowers the test loss), the helpful ones positive bars; for every point the three bars have the same sign and similar lengths, the one-step bar closer to the refit.
# :name: fig-om-removal
#
# The change in the loss of the test tumour when each of its five most harmful (top) and
# five most helpful (bottom) training points is removed: the first-order prediction
# $-\mathcal I_{\text{up,loss}}$, the one-step Newton estimate and the exact refit.
# ```
#
# A refit with scikit-learn agrees. Fitted without the most harmful point by its Newton
# solver with a tight tolerance, its loss on the test point changes by the refit's amount.

# %%
keep = np.arange(len(y_train)) != h0
sk_without = SkLogisticRegression(C=C, solver="newton-cholesky", tol=1e-12)
sk_without.fit(X_train[keep], y_train[keep])
p_without = sk_without.predict_proba(X_test[j : j + 1])[0, 1]
loss_without = -np.log(p_without if yt[j] == 1 else 1 - p_without)
sk_change = loss_without - test_loss[j]
print(f"scikit-learn refit without point {h0}: loss change {sk_change:.4f}")

# %% tags=["remove-input"]
assert abs(sk_change - refit[0]) < 1e-9 * abs(refit[0])

# %% tags=["remove-input"]
glue_trust = {
    "om-err-first": float(f"{err_first:.2g}"),
    "om-err-one": float(f"{err_one:.2g}"),
    "om-refit-h0": float(f"{-refit[0]:.3f}"),
}
assert refit[0] < 0  # removing the most harmful point lowers the test loss
for key, value in glue_trust.items():
    glue(key, value, display=False)

# %% [markdown]
# Removing training point {glue:text}`om-h0` would lower this test loss by about
# {glue:text}`om-refit-h0` (the refit's number). All ten first-order predictions have the
# refit's sign; their largest relative error is {glue:text}`om-err-first`, and the one-step
# estimate's is {glue:text}`om-err-one`. That is the way to trust an influence list on your
# own model: compute it, then refit a handful of its points.
#
# ## The penalty and the intercept must be translated, not guessed
#
# Suppose we had built the package model by hand from scikit-learn's coefficients. Two
# guesses are tempting and wrong: $\lambda = C$ (the number scikit-learn shows) and a
# penalised intercept (the package's default). `with_theta` given the training data, and
# `influence_loss`, check whether the coefficients are an optimum of the model's objective,
# and warn when they are not.

# %%
theta_sk = adapted.theta_sklearn


def influence_with(guess):
    """Influences of the training points on test point j, and the warnings raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NotAtOptimumWarning)
        guessed = guess.with_theta(theta_sk, X, y)
        values = influence_loss(guessed, X, y, Xt[j : j + 1], yt[j : j + 1])[0]
    return values, [w for w in caught if w.category is NotAtOptimumWarning]


I_C, warned_C = influence_with(LogisticRegression(l2=C, unpenalized=[-1]))
I_b, warned_b = influence_with(LogisticRegression(l2=1 / C))
print(textwrap.fill("lambda = C: " + str(warned_C[0].message), 75))

# %%
top10_idx = np.argsort(-I)[:10]
top10 = set(top10_idx)


def compare(values):
    """Norm ratio, largest relative error on the true top 10, and top-10 members lost."""
    ratio = np.linalg.norm(values) / np.linalg.norm(I)
    worst = np.max(np.abs(values[top10_idx] - I[top10_idx]) / np.abs(I[top10_idx]))
    return ratio, worst, len(top10 - set(np.argsort(-values)[:10]))


rows = {"lambda = C, intercept unpenalised": compare(I_C),
        "lambda = 1/C, intercept penalised": compare(I_b)}
print(f"{'':<35}{'norm ratio':>11}{'worst error':>12}{'top 10 lost':>12}")
for name, (ratio, worst, changed) in rows.items():
    print(f"{name:<35}{ratio:>11.2f}{worst:>12.0%}{changed:>12}")

# %% tags=["remove-input"]
(ratio_C, worst_C, changed_C), (ratio_b, worst_b, changed_b) = rows.values()
glue_pitfall = {
    "om-ratio-C": float(f"{ratio_C:.2f}"),
    "om-worst-C": f"{worst_C:.0%}",
    "om-changed-C": changed_C,
    "om-worst-b": f"{worst_b:.0%}",
    "om-changed-b": changed_b,
}
assert warned_C and warned_b  # both guesses are caught
for key, value in glue_pitfall.items():
    glue(key, value, display=False)

# %% [markdown]
# With $\lambda = C$ the influences are {glue:text}`om-ratio-C` times the correct ones (in
# norm), the ten most harmful points are off by up to {glue:text}`om-worst-C`, and the top
# ten loses {glue:text}`om-changed-C` of its members. With the right $\lambda$ but a
# penalised intercept the norm is about right, yet the ten most harmful points are off by
# up to {glue:text}`om-worst-b`, and the top ten loses {glue:text}`om-changed-b`. Both
# models warned that scikit-learn's coefficients are not their optimum; without that check
# they would have produced these numbers silently. `from_sklearn` makes neither guess.
#
# ## When the data are large
#
# `influence_loss` returns all $m \times n$ values; at $n = 10^6$ training points and
# $m = 10^3$ test points that is 8 GB of memory for what one usually wants as ten indices
# per test point. `top_influences` solves once against the $m$ test gradients, then reads
# the training points in batches, scores each batch and keeps a running top $k$: its
# memory is $O((m + b)p + mk)$ for batches of $b$ rows. The training data can stay on
# disk: a `numpy.memmap` is read one batch at a time, and so is any collection of
# `(X_batch, y_batch)` pairs that can be read twice (once for the Hessian, once for the
# scores). Here we write the training data to a `.npy` file and read it back as a memmap,
# in batches of 64 rows, for all 169 test points at once.

# %%
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "X_train.npy"
    np.save(path, X)
    X_disk = np.load(path, mmap_mode="r")
    streamed = top_influences(model, X_disk, y, Xt, yt, k=k, batch_size=64)
    self_disk = self_influence_batched(model, X_disk, y, batch_size=64)
    del X_disk  # close the file before the directory goes

full = influence_loss(model, X, y, Xt, yt)
same = np.array_equal(streamed.harmful, np.argsort(-full, axis=1, kind="stable")[:, :k])
close = np.allclose(self_disk, self_influence(model, X, y), rtol=1e-10)
print(f"top-{k} lists of all {len(yt)} test points equal the sorted matrix: {same}")
print(f"streamed self-influence equals self_influence: {close}")

# %% tags=["remove-input"]
assert same and close

# %% [markdown]
# For a Hessian too large to form, `top_influences(..., method="cg")` replaces the
# Cholesky factor by block conjugate gradients on streamed Hessian-vector products: the
# $m$ test gradients share one Krylov space, so the number of iterations does not grow with
# $m$. The repository's `benchmarks/scale.py` measures both at $n = 10^6$.
#
# ## Scores from other libraries
#
# Other libraries report influence in other conventions ({ref}`notation`). pyDVL, for
# example, reports $\langle (H/n + rI)^{-1} g_{\text{test}}, g_i\rangle$, which is
# $-n\,\mathcal I_{\text{up,loss}}$ with damping $\delta = nr$: positive means helpful.
# `to_book` converts such a value into this book's $\mathcal I_{\text{up,loss}}$ and the
# removal effect. Below, the pyDVL formula is written out for the test point above.

# %%
n = len(y)
G, g_test = model.grad(X, y), model.grad(Xt[j : j + 1], yt[j : j + 1])[0]
H_mean = model.hessian(X, y) / n
pydvl_value = np.linalg.solve(H_mean, g_test) @ G.T  # r = 0
converted = to_book(pydvl_value, "pydvl", n=n)
print(f"largest pyDVL value: point {int(np.argmax(pydvl_value))} "
      f"(the most helpful: {int(top.helpful[0, 0])})")

# %% tags=["remove-input"]
np.testing.assert_allclose(converted.i_up_loss, I, rtol=1e-9)

# %% [markdown]
# ## Summary
#
# - `from_sklearn(estimator, X, y)` turns a fitted scikit-learn `LogisticRegression`
#   (binary, or multinomial without intercepts), `Ridge` or `LinearRegression` into a
#   package model with its exact objective: $\lambda = 1/C$ or $2\alpha$, the intercept
#   unpenalised. It polishes the coefficients to the optimum and refuses what it cannot
#   represent (L1 penalties, class weights, sample weights, several classes with
#   intercepts).
# - Guessing instead gives wrong numbers: with $\lambda = C$ the influences here were
#   {glue:text}`om-ratio-C` times too large, and a penalised intercept put the most harmful
#   points off by up to {glue:text}`om-worst-b`. The package warns when the coefficients
#   are not an optimum of the model's objective.
# - `top_influences` gives the most harmful and helpful points without the $m\times n$
#   matrix, equal to sorting `influence_loss` (ties go to the smaller index), on arrays,
#   memmaps or re-readable batches; `self_influence_batched` does the same for
#   self-influence.
# - Trust comes from a few refits: `loo_loss_change(..., indices=...)` refits only the
#   points you name.
#
# ## Exercises
#
# ```{exercise} Ridge regression on the diabetes data
# :label: ex-own-1
#
# Fit scikit-learn's `Ridge(alpha=10)` on the first 300 patients of
# `sklearn.datasets.load_diabetes`, and take patient 300 as the test point.
#
# 1. What `l2` does `from_sklearn` choose, and why?
# 2. Find the training point whose removal would change the test loss the most, and compare
#    the first-order prediction with a scikit-learn refit without it.
# 3. Split the difference into its two parts, as exercise {ref}`ex-ls-2` does for least
#    squares: the leverage factor $1/(1-h_i)$ of the step and the quadratic term of the
#    test loss. Is the first-order prediction too small or too large here?
# ```
#
# ```{solution-start} ex-own-1
# :class: dropdown
# ```
#
# 1. Ridge minimises $\sum_i (y_i - x_i^\top w - b)^2 + \alpha\lVert w\rVert^2$. The package's
#    objective is $\sum_i (y_i - x_i^\top\theta)^2 + \frac\lambda2\lVert\theta\rVert^2$, so
#    $\lambda = 2\alpha = 20$, with the intercept unpenalised.

# %%
Xd, yd = load_diabetes(return_X_y=True)
ridge = Ridge(alpha=10.0).fit(Xd[:300], yd[:300])
ad = from_sklearn(ridge, Xd[:300], yd[:300])
x_new, y_new = ad.transform(Xd[300:301], yd[300:301])
I_ridge = influence_loss(ad.model, ad.X, ad.y, x_new, y_new)[0]
i_max = int(np.argmax(np.abs(I_ridge)))
keep = np.arange(300) != i_max
ridge_without = Ridge(alpha=10.0).fit(Xd[:300][keep], yd[:300][keep])
exact = ((yd[300] - ridge_without.predict(Xd[300:301])[0]) ** 2
         - (yd[300] - ridge.predict(Xd[300:301])[0]) ** 2)
# the two parts of the gap: the leverage factor and the quadratic term
x_i = ad.X[i_max]
h_i = 2 * x_i @ np.linalg.solve(ad.model.hessian(ad.X, ad.y), x_i)
first = -I_ridge[i_max]
e_t = y_new[0] - x_new[0] @ ad.model.theta_
d = first / (-2 * e_t) / (1 - h_i)  # x_t^T (theta_-i - theta_hat)
print(ad.model)
print(f"point {i_max} (h = {h_i:.3f}): first-order {first:.1f}")
print(f"  / (1 - h): {first / (1 - h_i):.1f}; + d^2 = {d**2:.1f}: "
      f"{first / (1 - h_i) + d**2:.1f}")
print(f"  scikit-learn refit: {exact:.1f}")
assert isinstance(ad.model, LinearRegression) and ad.model.l2 == 20.0
np.testing.assert_allclose(first / (1 - h_i) + d**2, exact, rtol=1e-6)
assert np.sign(exact) == np.sign(first) and abs(exact) > abs(first)

# %% [markdown]
# 2. and 3. The refit changes the test loss by more than the first-order prediction, in
#    the same direction, for the two reasons of {ref}`ex-ls-2`. Removing the point moves
#    $\hat\theta$ by $1/(1-h_i)$ times the predicted step, with $h_i = 2x_i^\top H^{-1}x_i$,
#    so the linear term of the test loss grows by that factor; and the test loss is
#    quadratic in the step, which adds $d^2 \ge 0$, with $d = x_t^\top(\hat\theta_{-i} -
#    \hat\theta)$. The two together give the refit's change exactly (the cell asserts it to
#    $10^{-6}$). The quadratic term adds to a predicted increase and offsets part of a
#    predicted decrease; here the prediction is an increase, and both parts make the
#    first-order prediction too small.
#
# ```{solution-end}
# ```
#
# ```{exercise} Which sign?
# :label: ex-own-2
#
# A colleague used captum's `NaiveInfluenceFunction` on the breast-cancer model of this
# chapter, with `hessian_reg = 0`, and sends you its score for training point
# {glue:text}`om-h0` and test point {glue:text}`om-j`. captum reports
# $g_{\text{test}}^\top H^{-1} g_i$ with the sum Hessian. Is the point harmful or helpful,
# and by how much would removing it change the test loss, to first order? Use `to_book`.
# ```
#
# ```{solution-start} ex-own-2
# :class: dropdown
# ```

# %%
G_h0 = model.grad(X[h0 : h0 + 1], y[h0 : h0 + 1])[0]
captum_score = g_test @ np.linalg.solve(model.hessian(X, y), G_h0)
as_book = to_book(captum_score, "captum-naive")
print(f"captum's score {captum_score:.4f}: I_up,loss {as_book.i_up_loss:.4f}, "
      f"removal changes the test loss by {as_book.removal_effect:.4f}")
assert np.isclose(as_book.i_up_loss, I[h0], rtol=1e-9)

# %% [markdown]
# captum's score is negative, so $\mathcal I_{\text{up,loss}}$ is positive: the point is
# harmful, the first of the harmful list above, and removing it lowers the test loss by
# the amount printed.
#
# ```{solution-end}
# ```
#
# ```{exercise} Coursework: exact removal effects without refitting
# :label: ex-own-3
#
# Write `my_removal(X, y, X_test, y_test, l2)` that returns the $(m, n)$ array of exact
# changes $L(z_t, \hat\theta_{-i}) - L(z_t, \hat\theta)$ for the ridge model of
# {ref}`ex-own-1` (the intercept is the last column of `X` and is not penalised), without
# refitting: fit once, then combine the leverage factor and the quadratic term. Check it with
# `influence_demo.coursework.check_ridge_removal`. Then, on the diabetes data of
# {ref}`ex-own-1`, count the training points whose first-order prediction is off by more
# than 10% of the exact change.
# ```
#
# ```{solution-start} ex-own-3
# :class: dropdown
# ```
#
# With $A = H^{-1}X^\top$, the step of removing $z_i$ is $\hat\theta_{-i} - \hat\theta =
# H^{-1}\nabla L(z_i)/(1-h_i)$ with $\nabla L(z_i) = -2e_ix_i$ and $h_i = 2x_i^\top A_{:,i}$,
# and the exact change is $-2e_td_{ti} + d_{ti}^2$ with $d_{ti} = x_t^\top(\hat\theta_{-i} -
# \hat\theta)$.

# %%
from influence_demo.coursework import check_ridge_removal


def my_removal(X, y, X_test, y_test, l2):
    P = l2 * np.diag(np.r_[np.ones(X.shape[1] - 1), 0.0])  # the intercept is last
    H = 2 * X.T @ X + P
    theta = np.linalg.solve(H, 2 * X.T @ y)
    e, e_t = y - X @ theta, y_test - X_test @ theta
    A = np.linalg.solve(H, X.T)  # H^{-1} x_i in column i
    h = 2 * np.einsum("ij,ji->i", X, A)  # the leverages
    d = (X_test @ A) * (-2 * e) / (1 - h)  # x_t^T (theta_-i - theta_hat)
    return -2 * e_t[:, None] * d + d**2


assert check_ridge_removal(my_removal)

# %%
exact_all = my_removal(ad.X, ad.y, x_new, y_new, ad.model.l2)[0]
np.testing.assert_allclose(exact_all[i_max], exact, rtol=1e-6)
rel = np.abs(-I_ridge - exact_all) / np.abs(exact_all)
h_all = 2 * np.einsum("ij,ji->i", ad.X, np.linalg.solve(ad.model.hessian(ad.X, ad.y), ad.X.T))
print(f"first order off by more than 10%: {np.sum(rel > 0.1)} of {len(rel)} points")
print(f"median error {np.median(rel):.0%}, largest leverage {h_all.max():.3f}")
assert np.sum(rel > 0.1) == 0 and h_all.max() < 0.1

# %% [markdown]
# The closed form agrees with the scikit-learn refit of {ref}`ex-own-1` and with the
# checker's refits. On these data, 300 patients and 11 parameters, every leverage is small,
# so the first-order prediction is within 10% of the exact change for every training point.
# The gap matters where leverages are large, as for the ten points of {ref}`least_squares`;
# the closed form costs one more solve with $n$ right-hand sides, so there is no reason not
# to use it for least squares.
#
# ```{solution-end}
# ```
#
# ## References
#
# - {cite:t}`koh2017understanding` define the influence functions used here;
#   {cite:t}`pregibon1981logistic` the one-step estimate.
# - The notation page ({ref}`notation`) lists how other libraries report influence, with
#   the file and function of each.
