"""influence_demo.timing at tiny sizes: best_time, the formats the book's sanitizer expects,
and solver_scaling's rows. Nothing here asserts a timing (the machine may be loaded).
"""

import re

import pytest

from influence_demo.timing import best_time, format_ratio, format_time, solver_scaling

# The patterns of tests/nbval_sanitize.cfg that normalise timings and ratios in the book.
TIME_RE = re.compile(r"^\d+(\.\d+)? ?(ms|s|us|µs)$")
RATIO_RE = re.compile(r"^\d+(\.\d+)?x$")


def test_best_time_returns_result_and_nonnegative_time():
    calls = []

    def f(a, b=0):
        calls.append(1)
        return a + b

    t, result = best_time(f, 2, b=3, repeats=4)
    assert result == 5 and len(calls) == 4 and t >= 0


def test_best_time_rejects_zero_repeats():
    with pytest.raises(ValueError, match="repeats must be >= 1; got 0"):
        best_time(print, repeats=0)


@pytest.mark.parametrize("seconds", [3e-7, 4.2e-4, 0.0123, 0.5, 0.9996, 1.0, 2.5, 12.0, 345.0])
def test_format_time_matches_the_nbval_sanitizer(seconds):
    text = format_time(seconds)
    assert TIME_RE.match(text), text
    number, unit = text.split()
    assert float(number) * (1e-3 if unit == "ms" else 1.0) == pytest.approx(
        seconds, rel=0.06, abs=1e-6
    )


@pytest.mark.parametrize("seconds", [2e-4, 0.98, 1.02, 37.0])
def test_format_time_with_a_fixed_unit(seconds):
    ms, s = format_time(seconds, unit="ms"), format_time(seconds, unit="s")
    assert ms.endswith(" ms") and s.endswith(" s") and TIME_RE.match(ms) and TIME_RE.match(s)
    assert float(ms.split()[0]) == pytest.approx(1e3 * seconds, rel=0.01)
    assert float(s.split()[0]) == pytest.approx(seconds, rel=0.01, abs=1e-3)


def test_format_time_rejects_unknown_unit():
    with pytest.raises(ValueError, match="unit must be None, 'ms' or 's'; got 'min'"):
        format_time(1.0, unit="min")


@pytest.mark.parametrize("ratio", [0.93, 1.0, 52.37, 1234.5])
def test_format_ratio_matches_the_nbval_sanitizer(ratio):
    text = format_ratio(ratio)
    assert RATIO_RE.match(text), text
    assert float(text[:-1]) == pytest.approx(ratio, abs=0.05)


def test_solver_scaling_rows():
    rows = solver_scaling(
        [2, 5], n=120, k=3, l2=1.0, methods=("cg", "lissa"), repeats=1,
        cg_options={"rtol": 1e-10}, lissa_options={"depth": 400, "rtol": 1e-6},
    )
    assert [r["p"] for r in rows] == [2, 5]
    for r in rows:
        assert r["n"] == 120 and r["k"] == 3 and r["cond"] >= 1
        assert r["error_direct"] == 0.0
        assert r["converged_cg"] and 1 <= r["n_iter_cg"] <= r["p"] + 1
        assert r["error_cg"] < 1e-8
        assert r["converged_lissa"] and r["n_iter_lissa"] == 400
        assert r["error_lissa"] < 1e-4
        for method in ("direct", "cg", "lissa"):
            assert r[f"time_{method}"] > 0


def test_solver_scaling_default_n_and_direct_only():
    (row,) = solver_scaling([3], methods=(), repeats=1)
    assert row["n"] == 2000 and "time_direct" in row and "time_cg" not in row


def test_solver_scaling_rejects_unknown_method():
    with pytest.raises(ValueError, match=r"unknown method\(s\) \['qr'\]"):
        solver_scaling([2], n=20, methods=("qr",))

