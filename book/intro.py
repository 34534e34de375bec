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
# (intro)=
# # Influence functions, checked
#
# *Which training points made this prediction?* Influence functions answer that question
# without retraining the model once per training point. They predict how the parameters, or
# the loss on a test point, would change if one training point were up-weighted or removed
# {cite:p}`koh2017understanding`. The idea is old in statistics
# {cite:p}`hampel1974influence,cook1977detection,cook1982residuals` and became popular in
# machine learning as a way to explain predictions, find mislabeled data and debug models.

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

from influence_demo import LogisticRegression, add_intercept, influence_loss, load_digits_pair
from influence_demo.plots import plot_helpful_harmful

# the model and test image of the digits chapter: 1 against 7, lambda = 1e-3, and the
# test image the model is least sure of
X_raw, y, X_test_raw, y_test = load_digits_pair(1, 7, test_fraction=0.3, rng=0)
X, X_test = add_intercept(X_raw), add_intercept(X_test_raw)
model = LogisticRegression(l2=1e-3).fit(X, y)
p_test = model.predict_proba(X_test)
confidence = np.where(y_test == 1, p_test, 1 - p_test)
j = int(np.argmin(confidence))
I_loss = influence_loss(model, X, y, X_test[[j]], y_test[[j]])[0]
helpful, harmful = np.argsort(I_loss)[:6], np.argsort(-I_loss)[:6]
digit = np.where(y == 1, 7, 1)
fig = plot_helpful_harmful(
    X_test_raw[j], X_raw[helpful], X_raw[harmful],
    test_title=f"a test 7\nP(7) = {confidence[j]:.2f}",
    helpful_titles=[f"{digit[i]}\n{I_loss[i]:+.3f}" for i in helpful],
    harmful_titles=[f"{digit[i]}\n{I_loss[i]:+.3f}" for i in harmful],
)
glue("fig-intro-teaser", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-intro-teaser
# :alt: On the left, a handwritten 7 that the model is unsure of. On the right, two rows of six small training images with their influence values: the six that helped its prediction most, all sevens that resemble it, and the six that hurt it most.
# :name: fig-intro-teaser
#
# Which training images made this prediction? For the handwritten 7 on the left, the least
# certain prediction of a logistic regression on 1s and 7s, the six training images whose
# removal would raise its loss the most (helpful, top row) and lower it the most (harmful,
# bottom row), with their influence $\mathcal I_{\text{up,loss}}$.
# {ref}`digits_influence` draws the same picture and checks every value against retraining
# without the image.
# ```
#
# An influence estimate is a first-order approximation, and influence libraries differ in
# sign and scale. So this book checks its estimates against an exact answer wherever one
# exists, and each chapter says which: **leave-one-out retraining** (LOO) for the influence
# values of least squares, of the penalized logistic regression and of the handwritten
# digits, and for self-influence; **the labels we flipped** for the rankings that look for
# mislabeled points; **the direct solve** for the iterative solvers; and, for a neural
# network, which has no single leave-one-out answer, four ground truths side by side. Where
# no exact answer exists (a logistic fit to separable data has no optimum, so neither the
# influence function nor LOO is defined), the book says so, and shows why a number computed
# there means little. Every formula is computed by a small, tested Python package,
# `influence_demo`.
#
# ## Who this book is for
#
# - Students and practitioners who have met influence functions in a paper or a library and
#   want to know exactly what the numbers mean and when to trust them.
# - Instructors: every chapter ends with exercises with executed solutions; twelve chapters
#   have one sized for coursework, and the package ships automatic checkers for them
#   ({ref}`course`).
#
# You need linear algebra (a Hessian, a linear solve) and some NumPy. No deep-learning
# framework is used: least squares and logistic regression are enough to show most ideas,
# and small enough that the exact answer is always at hand; a one-hidden-layer network,
# written in NumPy, shows what changes when the objective is not convex.
#
# ## How to read it
#
# - **Rendered**: read these pages. Every number in the prose is inserted from the output of
#   the chapter's code (the cells that only pass numbers to the text, and most plotting code,
#   are hidden; the notebook has them all), and the project's tests re-run every chapter and
#   fail if any stored output differs from what the code now gives.
# - **In Jupyter**: each chapter is a notebook (the download button at the top of each page
#   gives the `.ipynb`). From a clone of the repository, `make lab` opens them; or
#   `pip install` the package and run a downloaded notebook anywhere. The README gives both.
# - **As coursework**: see {ref}`course`.
#
# ## Map of the book
#
# | Chapter | What it shows |
# | --- | --- |
# | {ref}`notation` | The sum objective, up-weighting against removal, what the sign means, and a table of the conventions of other sources. |
# | {ref}`least_squares` | Rebuilds the first source notebook. Checked against LOO refits: the influence function misses exact LOO by the leverage factor $1/(1-h_{ii})$; with it the two agree to rounding error. Cook's distance and DFBETA. |
# | {ref}`logistic_cg` | Rebuilds the second source notebook: a 3-point logistic regression, the Hessian inverted directly and by conjugate gradient (checked against the direct solve). The data are separable, so the fit never converges and there is nothing to retrain against; an L2 penalty and Newton's method fix it, and the penalized influences are checked against LOO refits. |
# | {ref}`cg_steps` | Why conjugate gradient needs at most $p$ iterations (the Krylov argument), how the condition number sets the count in practice and how rounding can push it past $p$, checked against 60-digit arithmetic. |
# | {ref}`errata` | What the two source notebooks get wrong, how we found it, and where the fix is shown. |
# | {ref}`digits_influence` | Handwritten digits, 1 against 7: the most helpful and harmful training images, checked against LOO retraining. The one-step Newton estimate corrects the size of the largest effects (Pearson $r$ from {glue:text}`digits_influence.ipynb::di-pearson-plain:.3f` to {glue:text}`digits_influence.ipynb::di-pearson-onestep:.4f`) but not the ranking (Spearman $\rho$ {glue:text}`digits_influence.ipynb::di-spearman-onestep:.3f` against {glue:text}`digits_influence.ipynb::di-spearman-plain:.3f`), which one image that both estimates get wrong dominates. |
# | {ref}`mislabeled` | Ranks training points for label checking by self-influence, by training loss and at random, and counts the flipped labels each ranking finds. Self-influence is checked against retraining (Spearman {glue:text}`mislabeled.ipynb::ml-own-spearman:.3f`). On the plain digits self-influence does not beat the training loss ({glue:text}`mislabeled.ipynb::ml-found-si-10:.3f` against {glue:text}`mislabeled.ipynb::ml-found-loss-10:.3f` of the flips found after checking 10%); it wins when points can be memorised through features of their own ({glue:text}`mislabeled.ipynb::ml-rare-si-10:.3f` against {glue:text}`mislabeled.ipynb::ml-rare-loss-10:.3f`). |
# | {ref}`solvers` | Direct and conjugate gradient solves of $H^{-1}v$ (with LiSSA alongside), checked against the direct solve: cost, accuracy, time, the condition number and the eigen-directions that matter, and damping. |
# | {ref}`sol-lissa` | LiSSA's Neumann series: the scale below which it diverges, the depth it needs, what damping does to the influences, and where each solver wins. |
# | {ref}`neural_network` | A small network on all ten digits: the exact Hessian by the R-operator and the Gauss–Newton matrix, and one influence estimate against four ground truths. It matches the proximal Bregman response function it is the derivative of and ranks warm-started retraining well. Every ground truth moves further than predicted when a point is removed, because removal is a finite step: for a tiny change of a point's weight they all agree with the prediction. Retraining from scratch agrees only loosely, as its noise floor exceeds a typical effect. |
# | {ref}`approximations` | What the influence libraries compute in place of the exact influence: Arnoldi, K-FAC, EK-FAC, DataInf, TRAK and gradient similarity, each derived from the exact formula, scored against the exact influence and the PBRF on the network, and timed as the network widens. Keeping the curvature's layer blocks or its leading eigenpairs keeps most of the ranking; dropping the curvature loses most of it. |
# | {ref}`lds` | How the field judges an attribution: leave-one-out correlation, the linear datamodeling score over random subsets, and noisy-label detection, for every method in the book, with the ceiling that the noise of retraining allows. |
# | {ref}`own_model` | A model fitted with scikit-learn, translated into the package with exactly its objective: the most harmful and most helpful training points of one prediction, without the $m \times n$ influence matrix and on data read from disk in batches, checked against refits of those points; and how to read another library's scores in this book's convention. |
# | {ref}`cluster` | The same calls on a dask cluster: the curvature and the top-k lists reduced where the rows live, and only small arrays sent to the client, with the in-memory answer. |
# | {ref}`course` | The exercises, their checkers and the time each takes. |
# | {ref}`api` | The package, generated from its docstrings. |
#
# The source notebooks that the first two chapters rebuild are a Japanese notebook on least
# squares, after a post on the blog *Dropout* {cite:p}`dropout2021influence`, and a small
# demonstration of {cite:t}`koh2017understanding` on logistic regression. Each chapter first
# reproduces its source's numbers, then goes beyond it.
