"""Influence at scale: streamed top-k against the full matrix, block CG against direct solves.

Two measurements, each the best of a few repeats timed with time.perf_counter; peak
memory is the largest allocation traced by tracemalloc during the call (numpy reports its
buffers to it). Memory-mapped training data are read from disk by the operating system and
are not counted; the arrays the functions allocate are.

1. ``top_influences`` (k = 10) on n = 1,000,000 training points with p = 50 parameters and
   m = 1,000 test points, the training data in a .npy file read as a memmap. Then, at a size
   where the full (m, n) matrix still fits (n = 300,000, p = 30, m = 200), ``influence_loss``
   followed by ``np.argpartition`` (both lists) against ``top_influences`` on the same data,
   timed alternately, with a check that the lists agree, for k = 10 and k = 100 and for rows
   in random order and sorted by a feature (where many more blocks improve the lists).
2. ``inverse_hvp`` against 1,000 test gradients with p = 101, and against 50 with p = 401:
   the direct solve, CG with one recurrence per column, and block CG (one Krylov space
   shared by the columns), all to the same tolerance (rtol = 1e-8), with their errors
   against the direct solve.

pyDVL's block CG is the peer comparison the second measurement was asked for; it is not
installed here, so no figure for it is claimed.

Run ``python benchmarks/scale.py`` (a few minutes, about 2 GB of memory and 400 MB of disk)
or ``python benchmarks/scale.py --quick`` for a smoke run.
"""

import argparse
import importlib.util
import os
import platform
import tempfile
import time
import tracemalloc

import numpy as np

import influence_demo
from influence_demo import (
    LogisticRegression,
    add_intercept,
    cg,
    influence_loss,
    inverse_hvp,
    make_logistic_data,
    top_influences,
)
from influence_demo.timing import format_time

# CG cases (n, features, right-hand sides): many more right-hand sides than parameters, as
# in the influence of 1,000 test points, and fewer, where the shared space has to grow.
FULL = {"n_big": 1_000_000, "n_full": 300_000, "p_full": 30, "m_full": 200, "p": 50,
        "m": 1_000, "k": 10,
        "cg": [(20_000, 100, 1_000), (10_000, 400, 50)]}
QUICK = {"n_big": 50_000, "n_full": 5_000, "p_full": 20, "m_full": 50, "p": 20, "m": 200,
         "k": 10,
         "cg": [(2_000, 30, 200), (2_000, 60, 10)]}


def measure(fn, repeats):
    """(best time in seconds, peak traced memory in bytes, value) over ``repeats`` calls."""
    best, peak, value = np.inf, 0, None
    for _ in range(repeats):
        tracemalloc.start()
        t0 = time.perf_counter()
        value = fn()
        t = time.perf_counter() - t0
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        best = min(best, t)
    return best, peak, value


def mb(nbytes):
    return f"{nbytes / 2**20:,.0f} MB"


def fitted_problem(n, p, m, seed):
    X, y, X_test, y_test = make_logistic_data(n, p - 1, rng=seed, n_test=m)
    X, X_test = add_intercept(X), add_intercept(X_test)
    return LogisticRegression(l2=1.0).fit(X, y), X, y, X_test, y_test


def topk_at_scale(s, repeats, workdir):
    n, p, m, k = s["n_big"], s["p"], s["m"], s["k"]
    model, X, y, X_test, y_test = fitted_problem(n, p, m, seed=0)
    path = os.path.join(workdir, "X.npy")
    np.save(path, X)
    del X
    Xm = np.load(path, mmap_mode="r")
    t, peak, top = measure(
        lambda: top_influences(model, Xm, y, X_test, y_test, k=k, batch_size=10_000), repeats
    )
    print(f"1a. top_influences, k = {k}: n = {n:,} training points (memmap on disk), p = {p}, "
          f"m = {m:,} test points")
    print(f"    time {format_time(t):>10}   peak traced memory {mb(peak):>9}   "
          f"(the full matrix would be {mb(8 * m * n)})")
    assert top.harmful.shape == (m, k) and top.n_train == n
    return {"n": n, "time": t, "peak": peak, "full_matrix": 8 * m * n}


def topk_against_full(s, repeats):
    n, p, m = s["n_full"], s["p_full"], s["m_full"]
    model, X, y, X_test, y_test = fitted_problem(n, p, m, seed=1)
    order = np.argsort(X[:, 0], kind="stable")
    print(f"1b. n = {n:,}, p = {p}, m = {m:,}: influence_loss + argpartition (both lists) "
          "against top_influences, data in memory, timed alternately")
    out = []
    for arrangement, (Xa, ya) in (("random", (X, y)), ("sorted", (X[order], y[order]))):
        for k in (10, 100):

            def full(Xa=Xa, ya=ya, k=k):
                I = influence_loss(model, Xa, ya, X_test, y_test)
                return (np.argpartition(I, n - k, axis=1)[:, n - k:],
                        np.argpartition(I, k - 1, axis=1)[:, :k], I)

            def top(Xa=Xa, ya=ya, k=k):
                return top_influences(model, Xa, ya, X_test, y_test, k=k, batch_size=10_000)

            t_full = t_top = np.inf
            for _ in range(repeats):
                t, peak_full, (h, _, I) = measure(full, 1)
                t_full = min(t_full, t)
                t, peak_top, res = measure(top, 1)
                t_top = min(t_top, t)
            same = np.array_equal(np.sort(h, axis=1), np.sort(res.harmful, axis=1))
            print(f"    rows {arrangement}, k = {k:>3}: influence_loss + argpartition "
                  f"{format_time(t_full):>9} (peak {mb(peak_full)}), top_influences "
                  f"{format_time(t_top):>9} (peak {mb(peak_top)}): ratio {t_top / t_full:.2f}; "
                  f"same lists: {same}")
            out.append({"rows": arrangement, "k": k, "time_full": t_full, "time_top": t_top,
                        "same": same})
    return out


def block_cg(n, p, m, repeats):
    model, X, y, X_test, y_test = fitted_problem(n, p + 1, m, seed=2)
    V = model.grad(X_test, y_test).T  # (p + 1, m)
    op = model.hvp_operator(X, y)
    t_dir, _, U = measure(lambda: inverse_hvp(model, X, y, V), repeats)
    scale = np.linalg.norm(U, axis=0)
    rows = [("direct (Cholesky)", t_dir, None, 0.0)]
    for label, block in (("CG, one recurrence per column", False), ("block CG", True)):
        t, _, (Uc, info) = measure(lambda b=block: cg(op, V, rtol=1e-8, block=b), repeats)
        err = float(np.max(np.linalg.norm(Uc - U, axis=0) / scale))
        rows.append((label, t, info.n_iter, err))
    print(f"2. inverse_hvp against m = {m:,} test gradients, p = {p + 1}, n = {n:,} "
          "(L2 logistic, rtol = 1e-8)")
    for label, t, it, err in rows:
        its = "" if it is None else f"{it:>4} iterations"
        print(f"    {label:<31}{format_time(t):>10}  {its:>15}  rel. error {err:.1e}")
    return {label: (t, it, err) for label, t, it, err in rows}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs (default 3)")
    args = parser.parse_args(argv)
    s = QUICK if args.quick else FULL
    print(f"influence_demo {influence_demo.__version__}  |  numpy {np.__version__}  |  Python "
          f"{platform.python_version()}  |  {platform.machine()}  |  best of {args.repeats}")
    with tempfile.TemporaryDirectory() as workdir:
        topk_at_scale(s, args.repeats, workdir)
    topk_against_full(s, args.repeats)
    for n, p, m in s["cg"]:
        block_cg(n, p, m, args.repeats)
    peer = importlib.util.find_spec("pydvl") is not None
    print("pyDVL's block CG: " + ("installed, not timed here" if peer else
                                  "not installed, so no peer figure is claimed"))


if __name__ == "__main__":
    main()
