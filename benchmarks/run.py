"""The benchmark table of the package (``make bench``).

Prints four comparisons, each the best of several repeats timed with time.perf_counter:

1. influence_loss(method="direct") against a bare-numpy floor (target: ratio <= 1.3);
2. the same against the source notebooks' Python loop, one solve per point (target: >= 50x);
3. loo_params_ols (closed form) against loo_params (n refits);
4. CG iterations and time against the direct solve as p grows.

Timings depend on the machine and on its load; rerun to see the spread. Sizes can be
changed on the command line, for example ``python benchmarks/run.py --quick`` for a smoke run.
"""

import argparse
import platform
import sys
import time

import numpy as np

import influence_demo
from influence_demo.timing import format_ratio, format_time, solver_scaling

from baselines import compare_influence_loss, compare_loo_ols, compare_loop  # benchmarks/

FULL = {
    "floor": dict(n=20_000, m=1_000, p=100),
    "loop": dict(n=2_000, m=1_000, p=100),
    "ols": dict(n=2_000, p=20),
    "scaling": dict(p_values=(10, 100, 1_000), n=5_000),
}
QUICK = {
    "floor": dict(n=2_000, m=100, p=20),
    "loop": dict(n=200, m=100, p=20),
    "ols": dict(n=200, p=5),
    "scaling": dict(p_values=(10, 50, 100), n=500),
}
L2 = 1.0
CG_RTOL = 1e-8


def rule(char="-", width=92):
    print(char * width)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--repeats", type=int, default=5, help="best of this many runs (default 5)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    reps = args.repeats
    start = time.perf_counter()

    rule("=")
    print(f"influence_demo {influence_demo.__version__} benchmark  |  numpy {np.__version__}  |  "
          f"Python {platform.python_version()}  |  {platform.machine()}")
    print(f"L2 logistic regression (l2 = {L2}) on make_logistic_data unless stated; "
          f"best of {reps} runs (time.perf_counter).")
    rule("=")

    # 1. package against the bare-numpy floor --------------------------------------------
    s = sizes["floor"]
    r = compare_influence_loss(**s, l2=L2, repeats=reps)
    print(f"1. influence_loss(method='direct'), n = {r['n']:,} train, m = {r['m']:,} test, "
          f"p = {r['p']}  ->  ({r['m']:,} x {r['n']:,}) matrix")
    print(f"   package {format_time(r['package']):>10}   "
          f"bare-numpy floor {format_time(r['floor']):>10}"
          f"   ratio package/floor {r['ratio']:.2f}x   (target <= 1.3x)"
          f"   max |diff| {r['max_abs_diff']:.1e}")
    rule()

    # 2. package against the source notebooks' loop ------------------------------------------
    s = sizes["loop"]
    print("2. the same, source notebooks' way: H built once, then a Python loop with one solve "
          f"per training point, n = {s['n']:,}, p = {s['p']}")
    for m in (s["m"], 1):
        r = compare_loop(**{**s, "m": m}, l2=L2, repeats=reps)
        what = "as in item 1" if m > 1 else "one test point, as in source notebook 001"
        print(f"   m = {m:>5,} {'(' + what + ')':<43} package {format_time(r['package']):>10}   "
              f"loop {format_time(r['loop']):>10}   speed-up {format_ratio(r['speedup']):>8}   "
              f"(target >= 50x)   max |diff| {r['max_abs_diff']:.1e}")
    rule()

    # 3. closed-form LOO against refits ---------------------------------------------------------
    s = sizes["ols"]
    r = compare_loo_ols(**s, repeats=reps)
    print(f"3. least-squares leave-one-out parameters, n = {r['n']:,}, p = {r['p']}")
    print(f"   loo_params_ols (closed form) {format_time(r['closed_form']):>10}   "
          f"loo_params ({r['n']:,} refits) {format_time(r['refits']):>10}   "
          f"speed-up {format_ratio(r['speedup']):>8}   max |diff| {r['max_abs_diff']:.1e}")
    rule()

    # 4. CG against direct as p grows -----------------------------------------------------------
    s = sizes["scaling"]
    print(f"4. inverse_hvp for one right-hand side (a test gradient), n = {s['n']:,}, l2 = {L2}; "
          f"CG to rtol = {CG_RTOL:g}")
    rows = solver_scaling(s["p_values"], n=s["n"], k=1, l2=L2, methods=("direct", "cg"),
                          repeats=min(reps, 3), cg_options={"rtol": CG_RTOL})
    print(f"   {'p':>6} {'cond(H)':>9} {'direct':>10} {'CG':>10} {'CG iters':>9} "
          f"{'direct/CG':>10} {'CG rel. error':>14}")
    for row in rows:
        print(f"   {row['p']:>6} {row['cond']:>9.1f} {format_time(row['time_direct']):>10} "
              f"{format_time(row['time_cg']):>10} {row['n_iter_cg']:>9} "
              f"{format_ratio(row['time_direct'] / row['time_cg']):>10} {row['error_cg']:>14.1e}")
    rule("=")
    print(f"total {format_time(time.perf_counter() - start)}. "
          "Timings vary with the machine's load; "
          "rerun to see the spread.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
