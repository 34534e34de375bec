"""top_influences in memory, from a memmap and on a dask LocalCluster, on the same rows.

For each n (default 10^5, 10^6, 3 x 10^6 and 10^7 rows; p = 30 with the intercept, m = 200
test points, k = 10), the rows are defined once as a dask array drawn from a seeded
generator in chunks of 100,000 rows, so every path sees the same numbers:

* **in memory**: the rows computed into a numpy array (loaded from a .npy file);
* **memmap**: the same .npy file opened with ``mmap_mode="r"`` and streamed in batches;
* **LocalCluster**: two worker processes of one thread each draw the rows themselves
  (``da.random``) and keep them (``persist``), so no row ever exists in the client
  process; drawing them is timed apart, as reading them from disk is for the others.

The model is fitted once in memory (L2 logistic regression, l2 = 1) and shared. Each path
runs in a fresh Python process, timed with ``time.perf_counter`` around the call; its
memory is the process's peak resident set (``VmHWM``) and, for the record, what it held
before the call. For the memmap the pages it has read count as resident
while mapped; for the cluster only the client is measured (the workers are other
processes). All three must return the same harmful lists.

Run ``python benchmarks/cluster.py`` (about ten minutes on two cores, 3 GB of disk for
10^7 rows) or ``--sizes 100000,1000000`` for fewer.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

P, M, K, CHUNK, SEED = 30, 200, 10, 100_000, 0


def rows(n):
    """The training rows and labels as a dask array (drawn where they are computed)."""
    import dask.array as da

    rng = da.random.default_rng(SEED)
    X = da.concatenate(
        [rng.normal(size=(n, P - 1), chunks=(CHUNK, P - 1)), da.ones((n, 1), chunks=(CHUNK, 1))],
        axis=1,
    )
    w = np.linspace(-1.0, 1.0, P)
    y = (rng.random(n, chunks=CHUNK) < 1.0 / (1.0 + da.exp(-(X @ w)))).astype(float)
    return X, y


def test_points():
    from influence_demo import add_intercept, make_logistic_data

    _, _, X_test, y_test = make_logistic_data(10, P - 1, rng=1, n_test=M)
    return add_intercept(X_test), y_test


def peak_mb():
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited
    from the parent across fork and exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_path(path, n, workdir):
    """One path in this (fresh) process; print a JSON line with its numbers."""
    from influence_demo import LogisticRegression, top_influences

    theta = np.load(os.path.join(workdir, "theta.npy"))
    model = LogisticRegression(l2=1.0).with_theta(theta)
    X_test, y_test = test_points()
    if path == "cluster":
        from distributed import Client, LocalCluster, wait

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
        client = Client(cluster)
        t0 = time.perf_counter()
        X, y = client.persist(list(rows(n)))  # drawn on the workers, kept there
        wait([X, y])
        client.run(lambda: __import__("influence_demo"))  # the workers' one-off import
        draw = time.perf_counter() - t0
    else:
        mode = "r" if path == "memmap" else None
        X = np.load(os.path.join(workdir, "X.npy"), mmap_mode=mode)
        y = np.load(os.path.join(workdir, "y.npy"), mmap_mode=mode)
        draw = None
    before = current_mb()
    t0 = time.perf_counter()
    top = top_influences(model, X, y, X_test, y_test, k=K, batch_size=CHUNK)
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "draw": draw, "peak_mb": peak_mb(), "before_mb": before,
           "harmful": top.harmful.tolist()}
    if path == "cluster":
        client.close()
        cluster.close()
    print(json.dumps(out))


def prepare(n, workdir):
    """Compute the rows here (dask's threads), save them, fit the model, save theta."""
    import dask

    from influence_demo import LogisticRegression

    X, y = dask.compute(*rows(n), scheduler="threads")
    np.save(os.path.join(workdir, "X.npy"), X)
    np.save(os.path.join(workdir, "y.npy"), y)
    t0 = time.perf_counter()
    theta = LogisticRegression(l2=1.0).fit(X, y).theta_
    np.save(os.path.join(workdir, "theta.npy"), theta)
    return time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,3000000,10000000",
                        help="comma-separated numbers of rows")
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.path:
        return run_path(args.path, args.n, args.dir)
    import dask

    import influence_demo

    print(f"influence_demo {influence_demo.__version__}  |  dask {dask.__version__}  |  "
          f"numpy {np.__version__}  |  Python {platform.python_version()}  |  "
          f"{os.cpu_count()} cores")
    print(f"top_influences, p = {P}, m = {M}, k = {K}; chunks and batches of {CHUNK:,} rows; "
          "LocalCluster: 2 worker processes x 1 thread")
    print(f"{'rows':>12} {'path':<13} {'time':>9} {'client peak RSS':>16} {'held before':>12}"
          f"  same lists")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    for n in (int(float(s)) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as workdir:
            fit_seconds = prepare(n, workdir)
            results = {}
            for path in ("memory", "memmap", "cluster"):
                proc = subprocess.run(
                    [sys.executable, __file__, "--path", path, "--n", str(n), "--dir", workdir],
                    capture_output=True, text=True, env=env, check=False,
                )
                if proc.returncode != 0:
                    print(f"{n:>12,} {path:<13} failed:\n{proc.stderr[-2000:]}")
                    continue
                results[path] = json.loads(proc.stdout.strip().splitlines()[-1])
            for path, r in results.items():
                same = r["harmful"] == results["memory"]["harmful"] if "memory" in results else "?"
                note = "" if r["draw"] is None else f"  (drawing the rows: {r['draw']:.1f} s)"
                print(f"{n:>12,} {path:<13} {r['seconds']:>8.1f}s {r['peak_mb']:>13,.0f} MB "
                      f"{r['before_mb']:>9,.0f} MB  {same}{note}", flush=True)
            print(f"{'':>12} (fitting the model in memory took {fit_seconds:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
