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
# (cluster)=
# # Influence past one machine
#
# {ref}`own_model` streams a training set from disk through one process. When the
# training rows live on a cluster, that would mean pulling every row through the one
# process that asks the question. This short chapter does the opposite with dask
# {cite:p}`rocklin2015dask`: the rows stay on the workers that hold them, each worker
# reduces its own rows to a few small arrays, and only those travel.
#
# By the end of this chapter you will be able to:
#
# - start a dask cluster and pass its rows to `top_influences`, `self_influence` and
#   `with_theta` unchanged;
# - say which arrays travel between the workers and the client, and how large they are;
# - check that the cluster's answer is the in-memory answer.

# %%
import warnings

import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from myst_nb import glue

from influence_demo import (
    LogisticRegression,
    NotAtOptimumWarning,
    add_intercept,
    make_logistic_data,
    self_influence,
    top_influences,
)

# %% [markdown]
# ## A cluster, and rows that never leave it
#
# A `LocalCluster` starts a scheduler and worker processes on this machine; on a real
# cluster one would write `Client("tcp://scheduler:8786")` instead, and nothing below would
# change. Two workers of one thread each:

# %%
cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
client = Client(cluster)

# %% [markdown]
# The training rows are drawn by the workers themselves, in chunks of 500 rows: four
# features, an intercept column, and labels from a logistic model. The client holds only a
# recipe for them.

# %%
n, chunk = 4_000, 500
rng = da.random.default_rng(0)
features = rng.normal(size=(n, 4), chunks=(chunk, 4))
X = da.concatenate([features, da.ones((n, 1), chunks=(chunk, 1))], axis=1)
w_true = np.array([1.5, -1.0, 0.5, 0.0, 0.3])
y = (rng.random(n, chunks=chunk) < 1 / (1 + da.exp(-(X @ w_true)))).astype(float)
X_test, y_test = make_logistic_data(10, 4, rng=1, n_test=6)[2:]
X_test = add_intercept(X_test)
print(f"a dask array of shape {X.shape}, in {X.numblocks[0]} chunks of {chunk} rows")

# %% [markdown]
# ## A model fitted elsewhere
#
# On a real cluster $\hat\theta$ comes from a distributed solver (dask-ml, say). Here the
# rows are few enough to fit once in memory; `with_theta(theta, X, y)` then checks on the
# cluster that $\hat\theta$ is a minimiser of the objective on the rows: the gradient
# $\nabla R(\hat\theta)$ is summed chunk by chunk on the workers.

# %%
X_mem, y_mem = client.compute([X, y], sync=True)  # only for the fit and the comparison
theta = LogisticRegression(l2=1.0).fit(X_mem, y_mem).theta_
model = LogisticRegression(l2=1.0).with_theta(theta, X, y)  # checked on the cluster
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    LogisticRegression(l2=1.0).with_theta(theta + 1e-3, X, y)
print(sorted({w.category.__name__ for w in caught}))

# %% tags=["remove-input"]
assert [w.category for w in caught] == [NotAtOptimumWarning]

# %% [markdown]
# A $\hat\theta$ moved by $10^{-3}$ is caught: the influence function is a derivative at a
# minimiser, and would mean nothing there.
#
# ## The most harmful and helpful points, on the workers
#
# The call is the one of {ref}`own_model`; only the type of `X` differs.

# %%
top = top_influences(model, X, y, X_test, y_test, k=5)
print(top.harmful[:2])

# %% [markdown]
# What happened, in order (the figure below draws it):
#
# 1. each chunk's task summed its $p\times p$ curvature $\sum_{i\in B}\nabla^2L(z_i)$ and
#    its gradient, and the sums were added pairwise on the workers;
# 2. the client added the penalty once, checked the optimality, factored
#    $H$ once and solved $W = -G_{\text{test}}H^{-1}$, an $m\times p$ matrix;
# 3. $W$ went to the workers; each chunk's task scored its rows,
#    $\mathcal I_{:,B} = W G_B^\top$, and kept the $k$ largest and smallest of each test
#    point; these $m\times k$ lists were merged pairwise, ties to the smaller index.

# %% tags=["remove-input"]
ref = top_influences(model, X_mem, y_mem, X_test, y_test, k=5)
np.testing.assert_array_equal(top.harmful, ref.harmful)
np.testing.assert_array_equal(top.helpful, ref.helpful)
np.testing.assert_allclose(top.harmful_values, ref.harmful_values, rtol=1e-10)
p, m, k = X.shape[1], X_test.shape[0], 5
n_chunks = X.numblocks[0]
sizes = {
    "cl-rows-kb": round(X.nbytes / 1e3),
    "cl-chunk-kb": round(X.nbytes / n_chunks / 1e3),
    "cl-curv-b": 8 * (p * p + 2 * p + 2),
    "cl-lists-b": 4 * 8 * m * k,
    "cl-chunks": n_chunks,
}
for key, value in sizes.items():
    glue(key, value, display=False)

# %% [markdown]
# The lists equal those of `top_influences` on the same rows in memory (checked in the
# cell above, with values equal to ten digits). Each of the {glue:text}`cl-chunks` chunks
# holds {glue:text}`cl-chunk-kb` kB of rows; what left a worker for it was
# {glue:text}`cl-curv-b` bytes of sums, then {glue:text}`cl-lists-b` bytes of lists. Neither
# grows with the chunk.

# %% tags=["remove-input"]
fig, ax = plt.subplots(figsize=(6.8, 2.9))
ax.set_xlim(0, 10)
ax.set_ylim(1.25, 5.0)
ax.axis("off")


def box(x, y, text, color):
    ax.text(x, y, text, ha="center", va="center", fontsize=9,
            bbox={"boxstyle": "round,pad=0.35", "facecolor": color, "edgecolor": "0.3"})


def arrow(x0, y0, x1, y1, color="0.3"):
    ax.annotate("", (x1, y1), (x0, y0), arrowprops={"arrowstyle": "->", "color": color, "lw": 1})


rows_y = [4.0, 3.35, 2.7, 2.05]
for i, yy in enumerate(rows_y):
    box(1.0, yy, f"rows, chunk {i}", "#dbe9f6")
    arrow(1.85, yy, 3.35, 3.9, color="0.6")
    arrow(1.85, yy, 3.35, 2.2, color="0.6")
ax.text(1.0, 1.45, "(each chunk feeds both)", ha="center", fontsize=9, color="0.25")
box(4.5, 3.9, "per chunk:\n$\\sum\\nabla^2 L$, $\\sum\\nabla L$ ($p \\times p$)", "#fde4c8")
box(4.5, 2.2, "per chunk:\ntop $k$ lists ($m \\times k$)", "#d9f0d3")
box(8.4, 3.9, "+ penalty,\nfactor $H$ once", "#eeeeee")
box(8.4, 2.2, "the merged\n$k$ lists", "#eeeeee")
arrow(5.75, 3.9, 7.45, 3.9)
ax.text(6.6, 4.05, "tree sum", ha="center", fontsize=9, color="0.25")
arrow(5.6, 2.2, 7.45, 2.2)
ax.text(6.6, 2.35, "tree merge", ha="center", fontsize=9, color="0.25")
arrow(8.4, 3.4, 5.3, 2.65)
ax.text(7.15, 2.78, "$W = -G_{test} H^{-1}$ ($m \\times p$)", ha="left", fontsize=9,
        color="0.25")
ax.text(3.0, 4.75, "tasks on the workers", ha="center", fontsize=9, weight="bold")
ax.text(8.4, 4.75, "the client", ha="center", fontsize=9, weight="bold")
glue("fig-cluster-flow", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-cluster-flow
# :name: fig-cluster-flow
#
# What travels when `top_influences` meets a dask array. Rows stay in their chunks on
# the workers; the curvature sums ($p\times p$) and the per-chunk lists ($m\times k$) are
# reduced on the workers, and the client factors $H$ once and sends back the small matrix
# $W$.
# ```
#
# ## Self-influence stays on the cluster too
#
# `self_influence` returns a dask array with the chunks of `X`: one value per row, computed
# where the row is. The ten most negative values, the points the fit bends towards most,
# are found there as well (`da.argtopk` with $-k$ keeps the smallest).

# %%
s = self_influence(model, X, y)
most = da.argtopk(s, -10).compute()
print(s.chunks[0][:3], np.sort(most))

# %% tags=["remove-input"]
s_mem = self_influence(model, X_mem, y_mem)
np.testing.assert_allclose(s.compute(), s_mem, rtol=1e-10)
assert set(most) == set(np.argsort(s_mem)[:10])

# %% [markdown]
# These are the ten most negative self-influences of the in-memory computation too
# (checked in the cell above).
#
# ## What it costs
#
# The cluster buys memory, not speed, on one machine: starting workers takes seconds, the
# rows are read twice (once for the curvature, once for the scores; `X.persist()` keeps
# rows that are expensive to read), and each task costs milliseconds of scheduling. The
# package's benchmark (`make bench`) times the in-memory, memory-mapped and cluster paths on
# the same rows from $10^5$ to $10^7$; what it shows is that the client's memory stays
# flat as the rows grow, since no row reaches it.
#
# ## Summary
#
# - A dask array of training rows goes to `top_influences`, `self_influence`,
#   `influence_loss` and `with_theta` unchanged; the work runs as tasks on the active
#   scheduler.
# - Per chunk, only the $p\times p$ curvature sums and the $m\times k$ lists travel; $H$ is
#   factored once, on the client.
# - The answer is the in-memory answer: the same lists, the same tie rule.


# %% [markdown]
# ## Exercises
#
# ```{exercise} Chunks do not change the answer
# :label: ex-cluster-1
#
# Rechunk `X` and `y` to chunks of 300 rows (`X.rechunk((300, -1))`) and compute the
# harmful lists again on the cluster. Are they the same? How many tasks score the rows now?
# ```
#
# ```{solution-start} ex-cluster-1
# :class: dropdown
# ```

# %%
X300, y300 = X.rechunk((300, -1)), y.rechunk(300)
top300 = top_influences(model, X300, y300, X_test, y_test, k=5)
print(np.array_equal(top300.harmful, top.harmful), X300.numblocks[0])

# %% [markdown]
# The same lists: the per-chunk lists are merged in index order with the same tie rule,
# whatever the chunks. One task scores each of the 14 chunks (13 of 300 rows and one
# of 100).
#
# ```{solution-end}
# ```
#
# ```{exercise} How much travels for a billion rows?
# :label: ex-cluster-2
#
# For $n = 10^9$ rows of $p = 30$ parameters in chunks of $10^5$ rows, with $m = 200$ test
# points and $k = 10$, how many bytes leave the workers in total, against the size of the
# rows? Count one $p\times p$ curvature, two $p$-vectors and two numbers per chunk, and four
# $m\times k$ arrays (values and indices of both lists).
# ```
#
# ```{solution-start} ex-cluster-2
# :class: dropdown
# ```

# %%
n_big, p_big, chunk_big, m_big, k_big = 10**9, 30, 10**5, 200, 10
chunks_big = n_big // chunk_big
travels = chunks_big * 8 * ((p_big * p_big + 2 * p_big + 2) + 4 * m_big * k_big)
print(f"{travels / 1e9:.1f} GB travel, against {8 * n_big * p_big / 1e9:.0f} GB of rows")

# %% [markdown]
# About 0.7 GB in all, spread over the tree reductions, against 240 GB of rows: the
# reductions move 0.3 percent of the data, and never to the client at once
# (the client receives one $p\times p$ sum and one set of lists).
#
# ```{solution-end}
# ```
#
# ```{exercise} The helpful lists, with damping
# :label: ex-cluster-3
#
# With `damping=0.5`, are the most helpful points of test point 0 the same with dask's
# threaded scheduler (in this process, no workers) as in memory? Pick it with
# `dask.config.set(scheduler="threads")`.
# ```
#
# ```{solution-start} ex-cluster-3
# :class: dropdown
# ```

# %%
Xc = da.from_array(X_mem, chunks=(chunk, -1))  # in-memory rows, cut into dask chunks
with dask.config.set(scheduler="threads"):
    top_d = top_influences(model, Xc, y_mem, X_test, y_test, k=5, damping=0.5)
top_m = top_influences(model, X_mem, y_mem, X_test, y_test, k=5, damping=0.5)
print(top_d.helpful[0], np.array_equal(top_d.helpful, top_m.helpful))

# %% [markdown]
# The same: dask runs the same tasks on a thread pool in this process, and the damping
# enters the one factorization on the client.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} The reduction the workers run
# :label: ex-cluster-4
#
# Write `chunked_hessian(chunks, theta, l2)`, which takes a list of chunks `(X_b, y_b)`
# and returns the Hessian of L2 logistic regression,
# $H = \sum_b X_b^\top \operatorname{diag}(c_b)\,X_b + \lambda I$ with
# $c_i = \sigma(x_i^\top\theta)(1-\sigma(x_i^\top\theta))$: the part each worker computes,
# and the part the client adds once. Check it with
# `influence_demo.coursework.check_chunked_hessian`, then on this chapter's rows, cut
# into chunks of 1,000.
# ```
#
# ```{solution-start} ex-cluster-4
# :class: dropdown
# ```

# %%
from influence_demo import sigmoid
from influence_demo.coursework import check_chunked_hessian


def chunked_hessian(chunks, theta, l2):
    total = 0.0
    for Xb, _ in chunks:  # on a cluster, one task per chunk (labels unused)
        s = sigmoid(Xb @ theta)
        total = total + Xb.T @ ((s * (1 - s))[:, None] * Xb)
    return total + l2 * np.eye(len(theta))  # the penalty once, on the client


check_chunked_hessian(chunked_hessian)

# %%
pieces = [(X_mem[i:i + 1000], y_mem[i:i + 1000]) for i in range(0, len(y_mem), 1000)]
H_chunks = chunked_hessian(pieces, model.theta_, model.l2)
print(len(pieces), "chunks;", np.allclose(H_chunks, model.hessian(X_mem, y_mem), rtol=1e-12))

# %% [markdown]
# The sums of the chunks add up to the Hessian of all the rows: a sum does not care how
# its terms are grouped (up to rounding, far below the check's tolerance). Adding
# $\lambda I$ once per chunk instead is the mistake the checker names.
#
# ```{solution-end}
# ```

# %% tags=["remove-input"]
client.close()
cluster.close()

# %% [markdown]
# ## References
#
# - {cite:t}`rocklin2015dask` describes dask's task graphs and schedulers.
# - {cite:t}`koh2017understanding` define the influence functions used here.
