"""The baselines and comparisons of ``make bench`` (benchmarks/baselines.py) at tiny sizes.

They check shapes, keys and that the bare-numpy floor, the naive loop and the package give
the same numbers, and they run the module's doctests. They never assert anything about
timings (the machine may be loaded).
"""

import doctest
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from influence_demo import influence_loss
from influence_demo.datasets import logistic_problem

BASELINES = Path(__file__).resolve().parents[1] / "benchmarks" / "baselines.py"


def load_baselines():
    # benchmarks/ is a folder of scripts beside the package, not an installed module.
    spec = importlib.util.spec_from_file_location("benchmark_baselines", BASELINES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


baselines = load_baselines()


@pytest.fixture(scope="module")
def problem():
    return logistic_problem(60, 4, m=7, l2=0.5, rng=1)


def test_doctests_of_the_baselines():
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(baselines, optionflags=flags)
    assert result.attempted >= 5 and result.failed == 0


def test_floor_and_loop_agree_with_the_package(problem):
    model, X, y, X_test, y_test = problem
    args = (X, y, X_test, y_test, model.theta_, model.l2)
    expected = influence_loss(model, X, y, X_test, y_test)
    floor = baselines.influence_loss_floor(*args)
    loop = baselines.influence_loss_loop(*args)
    assert floor.shape == loop.shape == (7, 60)
    np.testing.assert_allclose(floor, expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(loop, expected, rtol=1e-10, atol=1e-14)


def test_compare_influence_loss_reports_a_ratio():
    r = baselines.compare_influence_loss(n=50, m=4, p=3, repeats=2)
    assert (r["n"], r["m"], r["p"]) == (50, 4, 3)
    assert r["package"] > 0 and r["floor"] > 0
    assert r["ratio"] == pytest.approx(r["package"] / r["floor"])
    assert r["max_abs_diff"] < 1e-12


def test_compare_loop_reports_a_speedup():
    r = baselines.compare_loop(n=30, m=3, p=2, repeats=1)
    assert r["speedup"] == pytest.approx(r["loop"] / r["package"])
    assert r["max_abs_diff"] < 1e-12


def test_comparisons_fail_when_the_results_disagree():
    with pytest.raises(AssertionError, match="Not equal to tolerance"):
        baselines._max_abs_diff(np.array([1.0, 2.0]), np.array([1.0, 2.1]), rtol=1e-8)
    assert baselines._max_abs_diff(np.array([1.0, 2.0]), np.array([1.0, 2.0]), 1e-8) == 0.0


def test_compare_loo_ols_agrees_with_refits():
    r = baselines.compare_loo_ols(n=25, p=3, repeats=1)
    assert r["speedup"] == pytest.approx(r["refits"] / r["closed_form"])
    assert r["max_abs_diff"] < 1e-10
