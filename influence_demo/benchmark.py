"""The timing helpers under their earlier module name; they live in :mod:`influence_demo.timing`.

``from influence_demo.benchmark import best_time`` keeps working. The baselines that only
``make bench`` needs (the bare-numpy floor, the naive loop and the comparisons) live in
``benchmarks/baselines.py``, outside the package.

Examples
--------
>>> from influence_demo import benchmark, timing
>>> benchmark.best_time is timing.best_time
True
"""

from .timing import best_time, format_ratio, format_time, solver_scaling

__all__ = ["best_time", "format_time", "format_ratio", "solver_scaling"]
