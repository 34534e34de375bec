"""What each library's approximation costs, against the exact solve, as the network widens.

The network of the chapter "Influence in a neural network" (64 -> h tanh -> 10, l2 = 1,
200 training digits, 50 test digits), for hidden widths h = 8, 32, 64 and 133, that is
p = 610, 2,410, 4,810 and 9,985 parameters. For each width, in one run and on the same
fitted model, every method computes the (50, 200) influence matrix:

- exact: ``influence_loss(curvature="ggn")``, the explicit Gauss-Newton matrix and its
  Cholesky factor (O(n K p^2) to form, O(p^3) to factor, 8 p^2 bytes);
- Arnoldi, rank 100 from 200 Gauss-Newton-vector products (O(n_iter n p + n_iter^2 p));
- K-FAC and EK-FAC (expected Fisher), DataInf (damping 0) and TRAK (proj_dim 512);
- the gradient dot product.

Time is the best of a few repeats (time.perf_counter); memory is the peak traced by
tracemalloc during one more call (numpy reports its buffers to it). The last column is the mean
over the 50 test digits of the Pearson correlation with the exact row, so that the cost
of each method stands beside what it gives up. The fits are not timed (the widest takes
about a minute: Newton's method with the exact Hessian).

Run ``python benchmarks/approximations.py`` (several minutes, about 3 GB at the widest),
``--quick`` for a smoke run.
"""

import argparse
import platform
import time
import tracemalloc

import numpy as np
from sklearn.datasets import load_digits

import influence_demo
from influence_demo import (
    MLPClassifier,
    arnoldi_influence,
    datainf_influence,
    grad_similarity,
    influence_loss,
    kfac_influence,
    pearson,
    trak_influence,
)
from influence_demo.timing import format_time

FULL = {"widths": (8, 32, 64, 133), "n": 200, "m": 50, "rank": 100, "proj_dim": 512}
QUICK = {"widths": (4, 8), "n": 100, "m": 10, "rank": 20, "proj_dim": 64}


def measure(fn, repeats):
    """(best time in seconds, peak traced memory in bytes, value).

    The time is the best of ``repeats`` untraced calls; the memory is traced in one more
    call, since tracemalloc slows down every allocation (many small ones, for Arnoldi).
    """
    best, value = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, value


def mb(nbytes):
    return f"{nbytes / 2**20:,.1f} MB"


def methods(s):
    """name -> f(model, X, y, X_test, y_test), in the order of the table."""
    return {
        "exact (GGN, Cholesky)": lambda *a: influence_loss(*a, curvature="ggn"),
        f"Arnoldi, rank {s['rank']}": lambda *a: arnoldi_influence(*a, s["rank"]),
        "K-FAC": kfac_influence,
        "EK-FAC": lambda *a: kfac_influence(*a, eigencorrect=True),
        "DataInf": lambda *a: datainf_influence(*a, damping=0.0),
        f"TRAK, proj_dim {s['proj_dim']}": lambda *a: trak_influence(*a, proj_dim=s["proj_dim"]),
        "gradient dot product": grad_similarity,
    }


def one_width(h, s, repeats, data):
    X, y, X_test, y_test = data
    model = MLPClassifier(n_hidden=h, l2=1.0, seed=0).fit(X, y)
    args = (model, X, y, X_test, y_test)
    rows, exact = [], None
    for name, fn in methods(s).items():
        reps = 1 if (name.startswith("exact") and model.n_params_ > 5000) else repeats
        t, peak, value = measure(lambda f=fn: f(*args), reps)
        if exact is None:
            exact = value
        r = np.mean([pearson(a, e) for a, e in zip(value, exact)])
        rows.append((name, t, peak, r))
    print(f"h = {h}, p = {model.n_params_:,} (n = {len(y)}, m = {len(y_test)})")
    t_exact = rows[0][1]
    for name, t, peak, r in rows:
        print(f"    {name:<26}{format_time(t):>10}{t / t_exact:>9.3f} x exact"
              f"{mb(peak):>12}   Pearson {r:.2f}")
    return model.n_params_, rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs (default 3)")
    args = parser.parse_args(argv)
    s = QUICK if args.quick else FULL
    print(f"influence_demo {influence_demo.__version__}  |  numpy {np.__version__}  |  Python "
          f"{platform.python_version()}  |  {platform.machine()}  |  best of {args.repeats}")
    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))
    X_all, y_all = digits.data / 16.0, digits.target
    train, test = order[: s["n"]], order[s["n"] : s["n"] + s["m"]]
    data = (X_all[train], y_all[train], X_all[test], y_all[test])
    return [one_width(h, s, args.repeats, data) for h in s["widths"]]


if __name__ == "__main__":
    main()
