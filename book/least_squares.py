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
# (least_squares)=
# # Least squares: influence against exact leave-one-out
#
# This chapter rebuilds the first source notebook, a short Japanese notebook written after a
# post on the blog *Dropout* {cite:p}`dropout2021influence`. It fits ordinary least squares
# to ten points, removes each point in turn and refits (brute-force leave-one-out, LOO), and
# compares the change in the parameters with the influence function of
# {cite:t}`koh2017understanding`. It ranks the points by both and finds that the two
# rankings differ.
#
# We reproduce every number of the notebook first, then explain what it leaves open: which
# sign its influence has, why the rankings differ, and a factor of 2 that its
# `influence_loss` loses. For least squares the influence function is one factor away from
# exact: the leverage $1/(1-h_{ii})$. With that factor it *is* LOO, which makes least squares
# the right place to see what the influence function approximates and how well. The
# conventions (sum objective, up-weighting against removal, signs) are those of
# {ref}`notation`; the problems of the source are listed in {ref}`errata`.
#
# **Learning objectives.** By the end of this chapter you will be able to
#
# - derive the gradient, the Hessian and both influence functions,
#   $\mathcal I_{\text{up,params}}$ and $\mathcal I_{\text{up,loss}}$, for least squares;
# - say whether a number is an up-weighting derivative or a removal effect, and convert one
#   into the other;
# - explain why ranking points by the influence function differs from ranking them by LOO,
#   and correct the influence function to exact LOO with the leverage $h_{ii}$;
# - compute DFBETA and Cook's distance from LOO refits and in closed form, and relate them to
#   the influence function;
# - read a predicted-against-actual plot for parameters and for a test loss.

# %%
import textwrap
import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.linalg
from myst_nb import glue

from influence_demo import (
    LinearRegression,
    influence_loss,
    influence_params,
    leverage,
    loo_loss_change,
    loo_params,
    loo_params_ols,
    ols_seed_data,
    pearson,
    spearman,
)
from influence_demo.coursework import check_loo_ols
from influence_demo.plots import plot_predicted_vs_actual, plot_ranking

# %% [markdown]
# ## The model and its derivatives
#
# A training point is $z_i = (x_i, y_i)$ with $x_i \in \mathbb R^p$; $X$ stacks the
# $x_i^\top$ as rows. The source uses the squared error with no factor $\tfrac12$ and a
# **sum** objective with no penalty:
#
# $$
# \begin{aligned}
# L(z, \theta) &= (y - x^\top\theta)^2, \\
# R(\theta) &= \sum_{i=1}^n L(z_i, \theta) \\
# &= (y - X\theta)^\top (y - X\theta).
# \end{aligned}
# $$ (eq-ls-objective)
#
# Write $e_i = y_i - x_i^\top\hat\theta$ for the residual of point $i$ at the fit. Then
#
# $$
# \begin{aligned}
# \nabla_\theta L(z_i, \theta) &= -2\,(y_i - x_i^\top\theta)\, x_i, \\
# \nabla_\theta L(z_i, \hat\theta) &= -2\, e_i\, x_i ,
# \end{aligned}
# $$ (eq-ls-grad)
#
# $$
# \begin{aligned}
# H &= \nabla^2_\theta R(\theta) = 2 X^\top X, \\
# \hat\theta &= (X^\top X)^{-1} X^\top y .
# \end{aligned}
# $$ (eq-ls-hessian)
#
# The Hessian does not depend on $\theta$: the objective is quadratic. Put {eq}`eq-ls-grad`
# and {eq}`eq-ls-hessian` into the definitions of {ref}`notation`. The factors 2 cancel in
# the influence on the parameters,
#
# $$
# \begin{aligned}
# \mathcal I_{\text{up,params}}(z_i) &= -H^{-1}\nabla_\theta L(z_i, \hat\theta) \\
# &= (X^\top X)^{-1} x_i\, e_i ,
# \end{aligned}
# $$ (eq-ls-iup-params)
#
# but not in the influence on the loss at a test point $z_t = (x_t, y_t)$ with residual
# $e_t = y_t - x_t^\top\hat\theta$:
#
# $$
# \begin{aligned}
# &\mathcal I_{\text{up,loss}}(z_i, z_t) \\
# &\quad= -\nabla_\theta L(z_t, \hat\theta)^\top H^{-1} \nabla_\theta L(z_i, \hat\theta) \\
# &\quad= -2\, e_t\, e_i\; x_t^\top (X^\top X)^{-1} x_i .
# \end{aligned}
# $$ (eq-ls-iup-loss)
#
# Both are derivatives with respect to a weight $\epsilon$ added to $z_i$. Removing $z_i$ from
# the sum {eq}`eq-ls-objective` is $\epsilon = -1$, so the influence function *predicts*
#
# $$
# \begin{aligned}
# \hat\theta_{-i} - \hat\theta &\approx -\mathcal I_{\text{up,params}}(z_i) \\
# &= -(X^\top X)^{-1} x_i\, e_i .
# \end{aligned}
# $$ (eq-ls-removal)
#
# For least squares we can also remove the point exactly. With $A = X^\top X$, removing $z_i$
# turns $A$ into $A - x_i x_i^\top$ and $X^\top y$ into $X^\top y - x_i y_i$. The
# Sherman–Morrison formula
# $(A - x_i x_i^\top)^{-1} = A^{-1} + A^{-1}x_i x_i^\top A^{-1}/(1 - h_{ii})$ then gives,
# after two lines of algebra,
#
# $$
# \begin{aligned}
# \hat\theta_{-i} - \hat\theta
# &= -\frac{(X^\top X)^{-1} x_i\, e_i}{1 - h_{ii}} \\
# &= -\frac{\mathcal I_{\text{up,params}}(z_i)}{1 - h_{ii}}, \\
# h_{ii} &= x_i^\top (X^\top X)^{-1} x_i ,
# \end{aligned}
# $$ (eq-ls-loo-exact)
#
# where $h_{ii}$, the **leverage** of point $i$, is the $i$-th diagonal entry of the hat
# matrix $X(X^\top X)^{-1}X^\top$. It lies in $[0, 1)$ (for a point whose removal leaves
# $X^\top X$ invertible) and the leverages sum to $p$. So the first-order prediction
# {eq}`eq-ls-removal` is exact up to the factor $1/(1-h_{ii}) \ge 1$: it always
# *underestimates* the size of the change, and most for the points of highest leverage.
#
# The package computes all of this. On the source's data (loaded below), its gradient and
# Hessian equal {eq}`eq-ls-grad` and {eq}`eq-ls-hessian` and its influence equals
# {eq}`eq-ls-iup-params` to rounding: a hidden cell after the next one asserts all three.

# %%
# The source's data, with its legacy np.random.seed(0) kept as it was
X, y, theta_true = ols_seed_data()
n, p = X.shape
model = LinearRegression().fit(X, y)
theta_hat = model.theta_
e = y - X @ theta_hat  # residuals at the fit

I_params = influence_params(model, X, y)  # row i is I_up,params(z_i)

# %% tags=["remove-input"]
np.testing.assert_allclose(model.grad(X, y), -2 * e[:, None] * X)
np.testing.assert_allclose(model.hessian(X, y), 2 * X.T @ X)
np.testing.assert_allclose(I_params, np.linalg.solve(X.T @ X, X.T * e).T)

# %% [markdown]
# ## Reproducing the source
#
# The source draws ten points with two features and no intercept, `np.random.seed(0)`, a
# true $\theta$ of $(1, 0.8)$ and noise of standard deviation 0.1.
# {func}`~influence_demo.datasets.ols_seed_data` keeps that legacy seeding, so the numbers
# below are the source's digit for digit.

# %%
print("theta_true =", theta_true)
print("theta_hat  =", theta_hat)

# %% tags=["remove-input"]
ls_fit = {"ls-theta0": float(theta_hat[0]),
          "ls-theta1": float(theta_hat[1]), "ls-n": int(n), "ls-p": int(p)}
for key, value in ls_fit.items():
    glue(key, value, display=False)

# %% [markdown]
# The fit is $\hat\theta$ = ({glue:text}`ls-theta0:.8f`, {glue:text}`ls-theta1:.8f`), as
# in the source's `In [103]`. Next, the source's brute-force LOO: refit without each point
# and take the Euclidean norm of the change. {func}`~influence_demo.loo.loo_params` does the
# {glue:text}`ls-n` refits.

# %%
theta_loo = loo_params(model, X, y)  # row i is theta_{-i}, by refitting
delta_loo = theta_loo - theta_hat  # actual change from removing z_i
norm_loo = np.linalg.norm(delta_loo, axis=1)
print("||theta_-i - theta_hat|| =")
print(np.array2string(norm_loo, precision=8))

# %% [markdown]
# These are the source's `diffs` (`In [106]`). The source then ranks the points by this norm,
# and by the norm of its influence function, `influence_params`. Its cells print the rows
# `X[idxs]`; the indices are easier to compare, so we print those. The package's
# `influence_params` differs from the source's by a sign (next section), which a norm does not
# see.

# %%
norm_inf = np.linalg.norm(I_params, axis=1)
rank_loo = np.argsort(norm_loo)[::-1]  # the source's: argsort, reversed
rank_inf = np.argsort(norm_inf)[::-1]
print("ranking by LOO norm      :", rank_loo)
print("ranking by influence norm:", rank_inf)
print()
print("rank   LOO  influence")
for r in range(n):
    mark = "" if rank_loo[r] == rank_inf[r] else "   <- differ"
    print(f"{r + 1:>4} {rank_loo[r]:>5} {rank_inf[r]:>10}{mark}")

# %% tags=["remove-input"]
assert np.all(rank_loo[:4] != rank_inf[:4])  # the top four differ,
assert np.array_equal(rank_loo[4:], rank_inf[4:])  # the rest agree

# %% tags=["remove-input"]
ls_rankings = {"ls-rank-loo": str(rank_loo), "ls-rank-inf": str(rank_inf),
               "ls-rank-agree": int(np.sum(rank_loo == rank_inf))}
for key, value in ls_rankings.items():
    glue(key, value, display=False)

# %% [markdown]
# Both rankings are the source's: LOO gives {glue:text}`ls-rank-loo` and the influence
# function {glue:text}`ls-rank-inf`. They agree on the bottom {glue:text}`ls-rank-agree`
# places and disagree on the top four, which are the points that matter. The source stops
# here, without saying why. The rest of the chapter answers that.
#
# (ls-stale-i)=
# ### An aside: the cell that printed point 9
#
# Between the two rankings the source has a cell, `In [124]`, that prints
# `influence_params(x=X[i], y=y[i], X=X, theta=theta_hat)` as `[0.01773356, 0.00998758]`.
# There is no `i` in that cell: it is the loop variable left over from the LOO loop above
# it, so `i == 9` and the vector is point 9's. The execution counts, in the order of the
# cells, are 123, 122, 100–104, 125, 106, 107, 124 and none for the last cell: there is no
# 105, the cell numbered 125 sits eighth, and the two function definitions at the top (123
# and 122) were run after every other numbered cell except 124 and 125. The cells were
# run out of order, so a reader cannot tell from the notebook which `i` was meant. Here is
# the source's function, copied, and the same call:

# %%
# copied from the source, In [123]
def influence_params_source(x, y, X, theta):
    hessian = 2 * (X.T @ X)
    nabla_l_train = -2 * (y - x.T @ theta) * x
    return np.linalg.inv(hessian) @ nabla_l_train


i = n - 1  # the source's earlier loop over the points leaves i = 9 behind
print("i =", i)
print("source's In [124]:",
      influence_params_source(x=X[i], y=y[i], X=X, theta=theta_hat))
print("package, point 9 :", I_params[9])

# %% [markdown]
# The printed vector is point 9's, with the sign flipped relative to the package. The fix is
# not to loop at all: `influence_params` returns every point's influence as one
# $n \times p$ array, so no index leaks from one cell into the next.
#
# (ls-sign)=
# ## Which sign? Up-weighting against removal
#
# The source's markdown defines $\mathcal I_{\text{up,params}}(z) = -H^{-1}\nabla_\theta
# L(z, \hat\theta)$, as {cite:t}`koh2017understanding` do. Its code returns
# `np.linalg.inv(hessian) @ nabla_l_train`, that is $+H^{-1}\nabla_\theta L$: **minus** the
# quantity the text defines. The text never says which of the two it means.
#
# The two are one $\epsilon$ apart. $\mathcal I_{\text{up,params}}$ is the derivative of
# $\hat\theta$ with respect to a weight $\epsilon$ *added* to the point; removing the point
# from the sum {eq}`eq-ls-objective` is $\epsilon = -1$, so its first-order effect is
# $-\mathcal I_{\text{up,params}}$ {eq}`eq-ls-removal`. The source's function therefore
# returns the predicted change from **removing** the point, and with that name it is right.
# The next cell checks both statements: the source's function equals
# $-\mathcal I_{\text{up,params}}$ for every point, and it has the same sign as the actual
# LOO change $\hat\theta_{-i} - \hat\theta$ in every component.

# %%
I_source = np.array(
    [influence_params_source(X[i], y[i], X, theta_hat) for i in range(n)]
)
same_sign = np.sign(I_source) == np.sign(delta_loo)
print("source's influence_params == -I_up,params for every point")
print(f"same sign as the actual LOO change in {same_sign.sum()} "
      f"of {same_sign.size} components")

# %% tags=["remove-input"]
np.testing.assert_allclose(I_source, -I_params, rtol=1e-12)

# %% tags=["remove-input"]
ls_sign = {"ls-sign-agree": int(same_sign.sum()),
           "ls-sign-total": int(same_sign.size)}
for key, value in ls_sign.items():
    glue(key, value, display=False)

# %% [markdown]
# All {glue:text}`ls-sign-agree` of {glue:text}`ls-sign-total` components agree in sign.
# For least squares this always holds: by {eq}`eq-ls-loo-exact` the actual change is the
# source's value times $1/(1-h_{ii}) > 0$. In this book `influence_params` returns
# $\mathcal I_{\text{up,params}}$ as defined, and a removal is always written with its minus
# sign.
#
# (ls-rankings)=
# ## Why the rankings differ: leverage
#
# By {eq}`eq-ls-loo-exact` the norm of the actual change is
# $\lVert\mathcal I_{\text{up,params}}(z_i)\rVert / (1 - h_{ii})$. The influence function
# drops the factor $1/(1-h_{ii})$, and that factor differs from point to point. The points
# of high leverage, far from the others in feature space, are the ones it scales up most.

# %%
h = leverage(X)
factor = 1 / (1 - h)
norm_corr = norm_inf * factor
print(f"sum of leverages = {h.sum():.6f} (= p = {p})")
print()
print("  i    h_ii  1/(1-h_ii)  ||I_up||  ||I_up||/(1-h)  ||LOO change||")
for i in np.argsort(-norm_loo):
    print(f"{i:>3} {h[i]:7.4f} {factor[i]:11.4f} {norm_inf[i]:9.5f} "
          f"{norm_corr[i]:15.5f} {norm_loo[i]:15.5f}")
# the two points of highest leverage move from places 3 and 4 to 1 and 3
top2 = np.argsort(-h)[:2]

# %% tags=["remove-input"]
assert h[top2].min() > 1.5 * np.sort(h)[-3]  # by far the highest
assert [list(rank_inf).index(i) for i in top2] == [2, 3]
assert [list(rank_loo).index(i) for i in top2] == [0, 2]

# %% tags=["remove-input"]
order_h = np.argsort(-h)
ls_leverage = {
    "ls-h-top1": int(order_h[0]), "ls-h-top2": int(order_h[1]),
    "ls-h-top1-val": float(h[order_h[0]]),
    "ls-h-top2-val": float(h[order_h[1]]),
    "ls-factor-top1": float(factor[order_h[0]]),
}
for key, value in ls_leverage.items():
    glue(key, value, display=False)

# %% [markdown]
# Points {glue:text}`ls-h-top1` and {glue:text}`ls-h-top2` have by far the highest leverage
# ($h_{ii}$ = {glue:text}`ls-h-top1-val:.3f` and {glue:text}`ls-h-top2-val:.3f`), so their
# actual change is nearly twice the influence function's
# ($1/(1-h_{ii})$ = {glue:text}`ls-factor-top1:.3f` for point {glue:text}`ls-h-top1`). That
# lifts them from third and fourth place to first and third. The last column equals the one
# before it: with the leverage factor, the influence function **is** LOO.
#
# ### The influence function with the leverage factor is exact
#
# {eq}`eq-ls-loo-exact` says $\hat\theta_{-i} = \hat\theta - \mathcal
# I_{\text{up,params}}(z_i)/(1-h_{ii})$ exactly. We compare it with the
# {glue:text}`ls-n` refits, and also compare the package's closed form
# {func}`~influence_demo.loo.loo_params_ols`, which computes the same thing from one
# factorization.

# %%
# the leverage-corrected influence function
theta_loo_if = theta_hat - I_params / (1 - h)[:, None]
atol = 1e-12
rank_corr = np.argsort(norm_corr)[::-1]
print(f"theta_hat - I_up/(1-h) and loo_params_ols equal the refits "
      f"to {atol:.0e}")
print("ranking by corrected influence norm:", rank_corr, "(LOO's)")

# %% tags=["remove-input"]
np.testing.assert_allclose(theta_loo_if, theta_loo, rtol=0, atol=atol)
np.testing.assert_allclose(loo_params_ols(X, y), theta_loo, rtol=0,
                           atol=atol)
assert np.array_equal(rank_corr, rank_loo)

# %% tags=["remove-input"]
glue("ls-loo-atol", atol, display=False)

# %% [markdown]
# In every point and component, both agree with the refits to within
# {glue:text}`ls-loo-atol:.0e`, which is rounding error (a hidden cell asserts the bound).
# {numref}`fig-ls-ranking` shows the three rankings side by side.

# %% tags=["hide-input", "remove-output"]
fig, ax = plt.subplots(figsize=(6, 4.5))
plot_ranking(
    {
        "LOO refit\n" + r"$\|\hat\theta_{-i}-\hat\theta\|$": norm_loo,
        "influence\n" + r"$\|\mathcal{I}_{up,params}\|$": norm_inf,
        "influence / (1-h)\n"
        + r"$\|\mathcal{I}_{up,params}\|/(1-h_{ii})$": norm_corr,
    },
    ax=ax,
    names=[f"point {i}" for i in range(n)],
)
ax.set_title("Ten points ranked by the size of their effect "
             "on the parameters", fontsize="medium")
fig.tight_layout()

# %% tags=["remove-input"]
glue("fig-ls-ranking", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-ls-ranking
# :alt: A bump chart with three columns, LOO refit, influence and influence divided by one minus leverage. Each of the ten points is a line joining its rank in each column. Points 4, 5, 8 and 3 cross between the first and second columns; the first and third columns are identical.
# :name: fig-ls-ranking
#
# Rank of each training point (1 = largest parameter change) by brute-force LOO, by the
# influence function, and by the influence function divided by $1 - h_{ii}$. The plain
# influence function reorders the top four; with the leverage factor the ranking is exactly
# LOO's.
# ```
#
# (ls-drag)=
# ## Drag a point
#
# Everything in {eq}`eq-ls-loo-exact` is closed form, so a figure can recompute it while
# you move the data. The ten points below lie near a line with an intercept,
# $y \approx w x + b$: nine have $x$ in $[0, 1]$, one sits at $x = 2$, far from the others.

# %% tags=["remove-input"]
from influence_demo.interactive import interactive_ls, ls_state

# %%
rng = np.random.default_rng(0)
x_line = np.append(rng.uniform(0, 1, size=9), 2.0)  # one point far right
y_line = 1 + 0.8 * x_line + rng.normal(scale=0.2, size=10)
interactive_ls(x_line, y_line)

# %% tags=["remove-input"]
drag = ls_state(x_line, y_line, selected=9)
ls_drag = {"ls-drag-h": drag["h_ii"], "ls-drag-share": 1 - drag["h_ii"]}
for key, value in ls_drag.items():
    glue(key, float(value), display=False)

# %% [markdown]
# **Try it.** The point on the far right is selected (the ring); its leverage is
# $h_{ii}$ = {glue:text}`ls-drag-h:.2f`. Drag it upward. The fit to all ten points (solid
# blue) follows it; the exact leave-one-out fit, which is the fit to the other nine (wide
# orange band), does not move at all; the influence function's prediction (green dots) stays
# close to the fit, because it sees only the fraction $1 - h_{ii}$ =
# {glue:text}`ls-drag-share:.2f` of the change. The leverage-corrected prediction (brown
# dashes) stays on the orange band wherever you drag: it is exact. Then drag the point
# further right: $h_{ii}$ climbs towards 1, the factor $1/(1-h_{ii})$ grows, and the green
# line clings ever closer to the fit while the exact one stays put. Click a point among the
# others: its leverage is small, and all three lines nearly agree. With the keyboard, Tab
# reaches each point, Enter selects it and the arrow keys move it. The page computes every number itself, from the closed forms above;
# without JavaScript, and on paper, the figure shows its first frame.
#
# ## Cook's distance and DFBETA
#
# Statisticians measured the effect of deleting a point long before the influence function
# reached machine learning {cite:p}`cook1977detection,belsley1980regression,cook1982residuals`.
# Two of their measures are closely tied to what we computed.
#
# **DFBETA** {cite:p}`belsley1980regression` is the change in the coefficients when point $i$
# is deleted. statsmodels' `OLSInfluence.dfbeta` {cite:p}`seabold2010statsmodels` reports it
# as $\hat\theta - \hat\theta_{-i}$, the **opposite** sign to the removal change
# $\hat\theta_{-i} - \hat\theta$ of this book. By {eq}`eq-ls-loo-exact`,
#
# $$
# \text{DFBETA}_i = \hat\theta - \hat\theta_{-i} = \frac{\mathcal I_{\text{up,params}}(z_i)}{1-h_{ii}} ,
# $$ (eq-ls-dfbeta)
#
# so DFBETA has the sign of $\mathcal I_{\text{up,params}}$ (the up-weighting derivative)
# and is its leverage-corrected version. (statsmodels' `dfbetas`, with an *s*, further
# divides by a standard error.)
#
# **Cook's distance** {cite:p}`cook1977detection` measures the same change in the metric of
# the fitted values, scaled by $p$ times the residual variance $s^2 = \sum_i e_i^2/(n-p)$:
#
# $$
# \begin{aligned}
# D_i &= \frac{(\hat\theta_{-i} - \hat\theta)^\top X^\top X\, (\hat\theta_{-i} - \hat\theta)}{p\, s^2} \\
# &= \frac{e_i^2}{p\, s^2}\, \frac{h_{ii}}{(1-h_{ii})^2} .
# \end{aligned}
# $$ (eq-ls-cook)
#
# The closed form on the right follows from {eq}`eq-ls-loo-exact`: the numerator is
# $e_i^2\, x_i^\top (X^\top X)^{-1} x_i/(1-h_{ii})^2$. It needs only the residual and the
# leverage, no refit. The next cell computes DFBETA and $D_i$ from the LOO refits and from
# the closed forms, and checks that they agree.

# %%
dfbeta = theta_hat - theta_loo  # statsmodels' convention
dfbeta_closed = I_params / (1 - h)[:, None]

s2 = np.sum(e**2) / (n - p)
cook_refit = np.einsum("ij,jk,ik->i", delta_loo, X.T @ X, delta_loo)
cook_refit /= p * s2
cook_closed = e**2 / (p * s2) * h / (1 - h) ** 2
print("DFBETA == I_up,params / (1 - h)")
print("Cook's distance from refits == closed form")
print()
print("  i  DFBETA_1  DFBETA_2    Cook's D")
for i in range(n):
    print(f"{i:>3} {dfbeta[i, 0]:+9.5f} {dfbeta[i, 1]:+9.5f} "
          f"{cook_closed[i]:11.5f}")
rank_cook = np.argsort(cook_closed)[::-1]
print()
print("ranking by Cook's distance:", rank_cook)

# %% tags=["remove-input"]
np.testing.assert_allclose(dfbeta, dfbeta_closed, rtol=1e-10, atol=1e-14)
np.testing.assert_allclose(cook_refit, cook_closed, rtol=1e-10)

# %% tags=["remove-input"]
ls_cook = {
    "ls-cook-top": int(rank_cook[0]),
    "ls-cook-max": float(cook_closed[rank_cook[0]]),
    "ls-cook-4n": 4 / n, "ls-rank-cook": str(rank_cook),
    "ls-cook-over-4n": int(np.sum(cook_closed > 4 / n)),
}
for key, value in ls_cook.items():
    glue(key, value, display=False)

# %% [markdown]
# The ranking by Cook's distance, {glue:text}`ls-rank-cook`, is a third ranking: the
# Euclidean norm of the LOO change and the $X^\top X$ norm weigh the two directions of
# $\theta$ differently. Point {glue:text}`ls-cook-top` has the largest distance,
# $D$ = {glue:text}`ls-cook-max:.3f`. A common rule of thumb flags points with
# $D_i > 4/n$ = {glue:text}`ls-cook-4n:.2f`; the number of points above it here is
# {glue:text}`ls-cook-over-4n`, so with ten points no single one dominates the fit. Which
# norm is "right" depends on the question: the change in the parameters, or the change in
# the predictions. The influence function answers a third question, the change in the loss
# at chosen test points, to which we turn now.
#
# ## Predicted against actual
#
# A ranking hides how far off each estimate is. The direct check plots the influence
# function's prediction against the actual change from retraining, one dot per point (and
# per component, or per test point). On the line $y = x$ the prediction is exact.
#
# **Parameters.** The actual change is $\hat\theta_{-i} - \hat\theta$; the plain prediction
# is $-\mathcal I_{\text{up,params}}(z_i)$ {eq}`eq-ls-removal`, the corrected one
# $-\mathcal I_{\text{up,params}}(z_i)/(1-h_{ii})$ {eq}`eq-ls-loo-exact`.
#
# **Test loss.** We draw five test points from the source's model with a seeded generator.
# The actual change is $L(z_t, \hat\theta_{-i}) - L(z_t, \hat\theta)$
# ({func}`~influence_demo.loo.loo_loss_change`), the prediction
# $-\mathcal I_{\text{up,loss}}(z_i, z_t)$. The test loss is quadratic in $\theta$, so even the
# leverage-corrected first-order prediction $-\mathcal I_{\text{up,loss}}/(1-h_{ii})$ misses
# the second-order term $\bigl(x_t^\top(\hat\theta_{-i}-\hat\theta)\bigr)^2$.

# %%
rng = np.random.default_rng(0)
m = 5
X_test = rng.uniform(size=(m, p))
y_test = X_test @ theta_true + rng.normal(scale=0.1, size=m)

# I_loss[j, i] = I_up,loss(z_i, z_test_j), shape (m, n)
I_loss = influence_loss(model, X, y, X_test, y_test)
actual_loss = loo_loss_change(model, X, y, X_test, y_test,
                              loo_thetas=theta_loo)
pred_loss = -I_loss
pred_loss_corr = -I_loss / (1 - h)[None, :]

# %% [markdown]
# How close are the predictions? The Pearson correlation measures whether they follow the
# actual changes; the slope of the predicted on the actual change (through the origin)
# measures whether they have the right size.

# %%
def slope(a, b):
    """Least-squares slope of b on a, through the origin."""
    return float(np.sum(a * b) / np.sum(a * a))


pred_par, pred_par_c = -I_params, -I_params / (1 - h)[:, None]
rows = {  # label: (plain influence, with leverage, digits)
    "parameters: Pearson r": (pearson(delta_loo, pred_par),
                              pearson(delta_loo, pred_par_c), 4),
    "test loss: Pearson r": (pearson(actual_loss, pred_loss),
                             pearson(actual_loss, pred_loss_corr), 4),
    "test loss: slope of predicted on actual": (
        slope(actual_loss, pred_loss),
        slope(actual_loss, pred_loss_corr), 3),
}
print(f"{'':<39}{'influence':>10}{'with leverage':>15}")
for label, (plain, corrected, d) in rows.items():
    print(f"{label:<39}{plain:>10.{d}f}{corrected:>15.{d}f}")

# %% tags=["remove-input"]
ls_pred = {
    "ls-r-par": rows["parameters: Pearson r"][0],
    "ls-r-loss": rows["test loss: Pearson r"][0],
    "ls-r-loss-c": rows["test loss: Pearson r"][1],
    "ls-slope-loss": rows["test loss: slope of predicted on actual"][0],
    "ls-slope-loss-c": rows["test loss: slope of predicted on actual"][1],
}
for key, value in ls_pred.items():
    glue(key, float(value), display=False)

# %% tags=["hide-input", "remove-output"]
xlab_par = r"actual change $\hat\theta_{-i}-\hat\theta$ (both components)"
xlab_loss = (r"actual change in test loss "
             r"$L(z_t,\hat\theta_{-i})-L(z_t,\hat\theta)$")
ylab_loss = "predicted change in test loss"
fig, axes = plt.subplots(2, 1, figsize=(6.8, 8.0))
plot_predicted_vs_actual(
    delta_loo, pred_par, ax=axes[0], label="influence",
    xlabel=xlab_par, ylabel="predicted change",
)
plot_predicted_vs_actual(
    delta_loo, pred_par_c, ax=axes[0],
    label="influence / (1-h)", marker="x",
    xlabel=xlab_par, ylabel="predicted change",
)
axes[0].set_title("Parameters (10 points x 2 components)",
                  fontsize="medium")
plot_predicted_vs_actual(
    actual_loss, pred_loss, ax=axes[1], label="influence",
    xlabel=xlab_loss, ylabel=ylab_loss,
)
plot_predicted_vs_actual(
    actual_loss, pred_loss_corr, ax=axes[1],
    label="influence / (1-h)", marker="x",
    xlabel=xlab_loss, ylabel=ylab_loss,
)
axes[1].set_title("Test loss (10 points x 5 test points)",
                  fontsize="medium")
for ax in axes:
    ax.legend(fontsize=9, loc="upper left")
    ax.locator_params(axis="x", nbins=5)
fig.tight_layout()

# %% tags=["remove-input"]
glue("fig-ls-pred-actual", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-ls-pred-actual
# :alt: Two scatter plots of predicted against actual change with the dashed diagonal y equals x. Top, the parameter changes: the leverage-corrected crosses lie exactly on the diagonal, while the plain influence dots fall short of it, most for the largest changes. Bottom, the test-loss changes: both sets follow the diagonal, the dots fall short at the largest changes and the crosses lie closer to it.
# :name: fig-ls-pred-actual
#
# Predicted against actual effect of removing each training point. Top: the change in the
# two parameters; bottom: the change in the loss at five test points. Dots: the influence
# function; crosses: the influence function divided by $1 - h_{ii}$. On the dashed line the
# prediction is exact.
# ```
#
# For the parameters the corrected crosses lie exactly on the diagonal, and the plain
# influence undershoots ({numref}`fig-ls-pred-actual`, top), most for the high-leverage
# points. For the test loss (bottom) the influence function correlates well with the actual
# change (Pearson $r$ = {glue:text}`ls-r-loss:.3f`; {glue:text}`ls-r-loss-c:.3f` with the
# leverage factor), but its slope against the actual change is
# {glue:text}`ls-slope-loss:.2f`: it predicts changes that are systematically too small.
# With the leverage factor the slope is {glue:text}`ls-slope-loss-c:.2f`; the rest is the
# quadratic term.
#
# (ls-influence-loss-slip)=
# ## The slip in the source's `influence_loss`
#
# The source's markdown writes $\mathcal I_{\text{up,loss}}$ correctly, as in
# {eq}`eq-ls-iup-loss`. Its code computes the test-point "gradient" as
# `nabla_l_test = (y_test - x_test.T @ theta) * x_test`, without the factor $-2$ of
# {eq}`eq-ls-grad`: the variable holds $-\tfrac12\nabla_\theta L(z_t, \hat\theta)$, not the
# gradient its name promises. The function then returns
# `nabla_l_test.T @ inv(hessian) @ nabla_l_train`, with no leading minus. The two slips
# partly cancel: the missing $-2$ flips the sign and halves the size, the missing minus flips
# the sign back. So the function returns
#
# $$
# \begin{aligned}
# &\bigl(-\tfrac12 \nabla_\theta L(z_t)\bigr)^\top H^{-1}\nabla_\theta L(z_i) \\
# &\quad = \tfrac12\,\mathcal I_{\text{up,loss}}(z_i, z_t),
# \end{aligned}
# $$ (eq-ls-slip)
#
# exactly **half** of $\mathcal I_{\text{up,loss}}$, with the right sign. Put differently,
# the code follows the expanded second line of the source's formula, in which the leading
# minus is already absorbed into $-\nabla_\theta L(z_t) = 2(y_t - x_t^\top\hat\theta)\,x_t$,
# but writes that vector without its factor 2. The next cell runs
# the source's function, copied, on the test points above and compares it with the
# package's `influence_loss`.

# %%
# copied from the source, In [122]
def influence_loss_source(x, y, x_test, y_test, X, theta):
    nabla_l_test = (y_test - x_test.T @ theta) * x_test
    hessian = 2 * (X.T @ X)
    nabla_l_train = -2 * (y - x.T @ theta) * x
    return nabla_l_test.T @ np.linalg.inv(hessian) @ nabla_l_train


# %%
S = np.array([
    [influence_loss_source(X[i], y[i], X_test[j], y_test[j], X, theta_hat)
     for i in range(n)]
    for j in range(m)
])
nabla_l_test_source = (y_test - X_test @ theta_hat)[:, None] * X_test
grad_ratio = nabla_l_test_source / model.grad(X_test, y_test)
ratio = S / I_loss
rho = spearman(S.ravel(), I_loss.ravel())
print(f"over all {ratio.size} pairs of a training and a test point:")
print(f"nabla_l_test / true gradient     : "
      f"{grad_ratio.min():+.6f} .. {grad_ratio.max():+.6f}")
print(f"source influence_loss / I_up,loss: "
      f"{ratio.min():+.6f} .. {ratio.max():+.6f}")
print(f"Spearman correlation of the two  : {rho:.6f}")
print(f"slope of -source on the actual LOO change: "
      f"{slope(actual_loss, -S):.3f}"
      f"  (package: {slope(actual_loss, pred_loss):.3f})")

# %% tags=["remove-input"]
np.testing.assert_allclose(grad_ratio, -0.5, rtol=1e-12)
np.testing.assert_allclose(ratio, 0.5, rtol=1e-12)
np.testing.assert_allclose(rho, 1.0, rtol=1e-12)

# %% tags=["remove-input"]
# the two ratios are exact in mathematics (asserted above to 1e-12),
# so they are rounded before they are glued
ls_slip = {
    "ls-slip-grad-ratio": round(float(np.median(grad_ratio)), 12),
    "ls-slip-ratio": round(float(np.median(ratio)), 12),
    "ls-slip-npairs": int(ratio.size),
    "ls-slope-source": slope(actual_loss, -S),
}
for key, value in ls_slip.items():
    glue(key, value, display=False)

# %% [markdown]
# The source's `nabla_l_test` is {glue:text}`ls-slip-grad-ratio:+.1f` times the gradient,
# and its `influence_loss` is {glue:text}`ls-slip-ratio:+.1f` times
# $\mathcal I_{\text{up,loss}}$, for all {glue:text}`ls-slip-npairs` pairs of training and
# test points. A constant positive factor leaves every ranking unchanged (the Spearman
# correlation is 1), which is why the slip is easy to miss. But the *size* is wrong: read as
# a prediction of the change in test loss from removal (with the minus sign of
# $\epsilon = -1$), the source's value has a slope of
# {glue:text}`ls-slope-source:.2f` against the actual change, where the correct influence
# has {glue:text}`ls-slope-loss:.2f` and the leverage-corrected one
# {glue:text}`ls-slope-loss-c:.2f`. The fix is the package's: compute the gradient once,
# in one place ({meth}`~influence_demo.models.LinearRegression.grad`), and use it for both
# the training and the test point.
#
# ## Summary
#
# - For least squares, $\mathcal I_{\text{up,params}}(z_i) = (X^\top X)^{-1}x_i e_i$ and
#   $\mathcal I_{\text{up,loss}}(z_i, z_t) = -2 e_t e_i\, x_t^\top(X^\top X)^{-1}x_i$
#   ({eq}`eq-ls-iup-params`, {eq}`eq-ls-iup-loss`).
# - The influence functions are up-weighting derivatives. Removing a point from a sum
#   objective is $\epsilon = -1$: the predicted change is $-\mathcal I$. The source's
#   `influence_params` returns that removal prediction, $+H^{-1}\nabla L$, under the name of
#   the influence.
# - The exact LOO change is the influence function times the leverage factor
#   $1/(1-h_{ii})$ {eq}`eq-ls-loo-exact`; with it the two agree to rounding error. Without
#   it, high-leverage points are underrated, which is why the source's two rankings differ.
# - DFBETA (statsmodels' sign: $\hat\theta - \hat\theta_{-i}$) is the leverage-corrected
#   $\mathcal I_{\text{up,params}}$; Cook's distance is the same change in the metric of
#   the fitted values, and both need no refit.
# - The source's `influence_loss` returns exactly half of $\mathcal I_{\text{up,loss}}$
#   because its test gradient lacks the factor $-2$. Rankings survive such slips; the
#   predicted sizes do not, so check predictions against retraining, not only rankings.
#
# ## Exercises
#
# ```{exercise} Leverages sum to p
# :label: ex-ls-1
#
# Show that $\sum_i h_{ii} = p$ when $X$ has full column rank, and that $0 \le h_{ii} \le 1$.
# What happens to {eq}`eq-ls-loo-exact` when $h_{ii} = 1$, and what does such a point look
# like? Construct one with three points in $\mathbb R^2$ and check what
# {func}`~influence_demo.loo.loo_params_ols` does with it.
# ```
#
# ```{solution-start} ex-ls-1
# :class: dropdown
# ```
#
# The hat matrix $P = X(X^\top X)^{-1}X^\top$ is the orthogonal projection onto the column
# space of $X$, so $\sum_i h_{ii} = \operatorname{tr} P = \operatorname{tr}\bigl((X^\top
# X)^{-1}X^\top X\bigr) = p$. Since $P = P^2 = P^\top$, $h_{ii} = \sum_j P_{ij}^2 \ge
# P_{ii}^2$, so $0 \le h_{ii} \le 1$. If $h_{ii} = 1$, then $X^\top X - x_i x_i^\top$ is
# singular: without point $i$ the parameters are not identified, and $1/(1-h_{ii})$ is
# infinite. Such a point is the only one that reaches some direction of the feature space.
# In the example below only point 2 has a non-zero second feature, and its leverage is 1.

# %%
np.testing.assert_allclose(h.sum(), p)  # this chapter's data
assert np.all((h >= 0) & (h <= 1))
X1 = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
y1 = np.array([1.0, 2.0, 3.0])
h1 = leverage(X1)
np.testing.assert_allclose(h1, [0.5, 0.5, 1.0])
print("leverages:", h1.round(12))
try:
    loo_params_ols(X1, y1)
except ValueError as exc:
    print(textwrap.fill(f"ValueError: {exc}", 75))
else:
    raise AssertionError("a point of leverage 1 must raise")

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} The influence on the test loss in closed form
# :label: ex-ls-2
#
# Derive {eq}`eq-ls-iup-loss` from the definition of $\mathcal I_{\text{up,loss}}$ and check
# it numerically against `influence_loss` on the data of this chapter. Then use
# {eq}`eq-ls-loo-exact` to write the *exact* LOO change in the test loss,
# $L(z_t, \hat\theta_{-i}) - L(z_t, \hat\theta)$, in closed form, and check it against
# `loo_loss_change`.
# ```
#
# ```{solution-start} ex-ls-2
# :class: dropdown
# ```
#
# With $\nabla L(z_t) = -2e_t x_t$, $H^{-1} = \tfrac12(X^\top X)^{-1}$ and
# $\nabla L(z_i) = -2e_i x_i$,
#
# $$
# \begin{aligned}
# &-\nabla L(z_t)^\top H^{-1}\nabla L(z_i) \\
# &\quad= -(-2e_t)(-2e_i)\tfrac12\, x_t^\top(X^\top X)^{-1}x_i \\
# &\quad= -2e_te_i\,x_t^\top(X^\top X)^{-1}x_i .
# \end{aligned}
# $$
#
# For the exact change write $\Delta_i = \hat\theta_{-i}-\hat\theta$ and
# $d_i = x_t^\top\Delta_i = -e_i\,x_t^\top(X^\top X)^{-1}x_i/(1-h_{ii})$. Then
# $L(z_t,\hat\theta_{-i}) = (e_t - d_i)^2$, so the change is $-2e_t d_i + d_i^2$: the first
# term is $-\mathcal I_{\text{up,loss}}/(1-h_{ii})$, the second the quadratic term.

# %%
e_t = y_test - X_test @ theta_hat  # test residuals, shape (m,)
K = X_test @ np.linalg.solve(X.T @ X, X.T)  # x_t^T (X^T X)^{-1} x_i
np.testing.assert_allclose(-2 * e_t[:, None] * e[None, :] * K, I_loss)
d_ti = -e[None, :] * K / (1 - h)[None, :]  # x_t^T (theta_-i - theta_hat)
exact = -2 * e_t[:, None] * d_ti + d_ti**2
np.testing.assert_allclose(exact, actual_loss, rtol=1e-9, atol=1e-15)
print("closed forms == influence_loss and == loo_loss_change")

# %% [markdown]
# ```{solution-end}
# ```
#
# ```{exercise} Ridge regression
# :label: ex-ls-3
#
# Fit `LinearRegression(l2=1.0)` to the data of this chapter. Is
# $\hat\theta - \mathcal I_{\text{up,params}}(z_i)/(1-h_{ii})$ still exact LOO if $h_{ii}$ is
# the ridge leverage `leverage(X, l2=1.0)`? Check against `loo_params` and explain with
# Sherman–Morrison. How do the leverages and the disagreement between the plain influence
# ranking and the LOO ranking change as `l2` grows?
# ```
#
# ```{solution-start} ex-ls-3
# :class: dropdown
# ```
#
# Yes. The ridge objective has $H = 2(X^\top X + \tfrac\lambda2 I)$, still constant in
# $\theta$, and removing $z_i$ subtracts $2x_ix_i^\top$ from it. Sherman–Morrison with
# $A = X^\top X + \tfrac\lambda2 I$ gives the same formula with
# $h_{ii} = x_i^\top A^{-1}x_i$, which is what `leverage(X, l2)` returns. The cell checks
# the formula at four penalties and prints the largest leverage, the largest relative gap
# $h_{ii}/(1-h_{ii})$ between the plain influence and LOO, and in how many of the 10 places
# the two rankings agree.

# %%
print("   l2  max h_ii  max h/(1-h)  places agreeing")
max_h, gaps = [], []
for l2 in [0.0, 0.1, 1.0, 10.0]:
    ridge = LinearRegression(l2=l2).fit(X, y)
    h_r = leverage(X, l2=l2)
    I_r = influence_params(ridge, X, y)
    loo_r = loo_params(ridge, X, y)
    np.testing.assert_allclose(ridge.theta_ - I_r / (1 - h_r)[:, None],
                               loo_r, rtol=0, atol=1e-12)
    by_inf = np.argsort(-np.linalg.norm(I_r, axis=1))
    by_loo = np.argsort(-np.linalg.norm(loo_r - ridge.theta_, axis=1))
    max_h.append(h_r.max())
    gaps.append(np.max(h_r / (1 - h_r)))
    print(f"{l2:5.1f} {max_h[-1]:9.4f} {gaps[-1]:12.4f} "
          f"{np.sum(by_inf == by_loo):16d}")
assert np.all(np.diff(max_h) < 0) and np.all(np.diff(gaps) < 0)

# %% [markdown]
# As `l2` grows the leverages shrink, $1/(1-h_{ii}) \to 1$, and the plain influence function
# approaches LOO (the asserts check that both columns fall). The rankings need not follow
# step by step: they can still swap points whose LOO norms are close, because the factor
# still differs a little from point to point.
#
# ```{solution-end}
# ```
#
# ```{exercise} Coursework: exact leave-one-out without refitting
# :label: ex-ls-4
#
# Write a function `my_loo(X, y)` that returns the $n \times p$ array of exact LOO
# least-squares parameters $\hat\theta_{-i}$ **without** refitting $n$ times: fit once,
# compute the residuals and the leverages, and apply {eq}`eq-ls-loo-exact`. Use only NumPy
# and SciPy (no `influence_demo` inside the function), one factorization of $X^\top X$ (for
# example `scipy.linalg.cho_factor`), and no explicit inverse. Raise a `ValueError` with a
# helpful message when a point has leverage 1. Then:
#
# 1. check it with the course checker:
#    `from influence_demo.coursework import check_loo_ols; check_loo_ols(my_loo)`;
# 2. time it against brute-force refits for $n = 2000$, $p = 20$, and explain the
#    difference in cost ($O(np^2)$ against $O(n^2p^2)$);
# 3. on random data with one outlying $x$, plot $1/(1-h_{ii})$ against the ratio of the
#    actual LOO norm to the influence-function norm, and explain the plot.
# ```
#
# ```{solution-start} ex-ls-4
# :class: dropdown
# ```

# %%
def my_loo(X, y):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    chol = scipy.linalg.cho_factor(X.T @ X)  # the one factorization
    theta = scipy.linalg.cho_solve(chol, X.T @ y)
    W = scipy.linalg.cho_solve(chol, X.T)  # column i: (X^T X)^{-1} x_i
    h = np.einsum("ij,ji->i", X, W)  # leverages
    if np.any(h > 1 - 1e-12):
        i = int(np.argmax(h))
        raise ValueError(f"point {i} has leverage 1: without it "
                         "X^T X is singular")
    e = y - X @ theta
    return theta[None, :] - (W * (e / (1 - h))).T


assert check_loo_ols(my_loo)

# %% [markdown]
# Brute force costs $n$ fits of $O(np^2)$ each, $O(n^2p^2)$ in all; the closed form costs
# one fit plus $O(np^2)$ for the $n$ solves with the one factor, a factor of the order of
# $n$ less work. We time 100 of the refits and scale up. Measured times also carry each
# call's overhead, but the closed form is always much faster (the cell asserts more than 5
# times):

# %%
rng_big = np.random.default_rng(1)
X_big = rng_big.standard_normal((2000, 20))
y_big = X_big @ rng_big.standard_normal(20) + rng_big.standard_normal(2000)
some = np.arange(0, 2000, 20)  # time 100 of the 2000 refits
t0 = time.perf_counter()
fast = my_loo(X_big, y_big)
t_fast = time.perf_counter() - t0
t0 = time.perf_counter()
slow = loo_params(LinearRegression().fit(X_big, y_big), X_big, y_big,
                  indices=some)
t_slow = (time.perf_counter() - t0) * 2000 / len(some)
np.testing.assert_allclose(fast[some], slow, rtol=0, atol=1e-10)
assert t_slow > 5 * t_fast
print(f"closed form {1e3 * t_fast:.1f} ms; 2000 refits about "
      f"{t_slow:.1f} s ({t_slow / t_fast:.0f}x)")

# %% [markdown]
# By {eq}`eq-ls-loo-exact` the ratio of the LOO norm to the influence-function norm is
# exactly $1/(1-h_{ii})$, so the plot is the line $y = x$, and the outlying point sits far
# out on it:

# %%
X_out = rng_big.standard_normal((30, 2))
X_out[0] = [6.0, -5.0]  # one outlying x
y_out = X_out @ [1.0, 0.8] + rng_big.normal(scale=0.1, size=30)
fit_out = LinearRegression().fit(X_out, y_out)
norm_ratio = (np.linalg.norm(my_loo(X_out, y_out) - fit_out.theta_, axis=1)
              / np.linalg.norm(influence_params(fit_out, X_out, y_out),
                               axis=1))
factor_out = 1 / (1 - leverage(X_out))
np.testing.assert_allclose(norm_ratio, factor_out, rtol=1e-10)

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(4, 3.5))
ax.plot(factor_out, norm_ratio, "o")
ax.set_xlabel("1 / (1 - h_ii)")
ax.set_ylabel("||LOO change|| / ||I_up,params||")
plt.show()

# %% [markdown]
# ```{solution-end}
# ```
#
# ## References
#
# This chapter cites {cite:t}`dropout2021influence` (the source of the notebook),
# {cite:t}`koh2017understanding` (the influence functions),
# {cite:t}`cook1977detection`, {cite:t}`belsley1980regression` and
# {cite:t}`cook1982residuals` (deletion diagnostics: Cook's distance, DFBETA, leverage) and
# {cite:t}`seabold2010statsmodels` (statsmodels). The full entries are on the
# {doc}`references` page.
