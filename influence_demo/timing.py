r"""Timing numerical code fairly: best-of-repeats timings, their formatting, solver scaling.

The chapter :ref:`solvers` times the solvers with :func:`best_time`, prints the results
with :func:`format_time` and :func:`format_ratio`, and draws its timing figure with
:func:`solver_scaling`. The benchmark table of ``make bench`` (``benchmarks/run.py``) uses
the same helpers. A timing is the **best** of several repeats, timed with
:func:`time.perf_counter`: the least noisy estimate of what code costs on a shared
machine.

Examples
--------
>>> t, value = best_time(sum, [1, 2, 3], repeats=2)
>>> value, t >= 0
(6, True)
>>> format_time(0.0123), format_time(2.5), format_ratio(61.04)
('12.3 ms', '2.50 s', '61.0x')
"""

import time

import numpy as np

from .datasets import logistic_problem
from .metrics import rel_error
from .progress import progress_bar
from .solvers import inverse_hvp

__all__ = ["best_time", "format_time", "format_ratio", "solver_scaling"]


def best_time(fn, *args, repeats=5, **kwargs):
    """Best wall-clock time of ``fn(*args, **kwargs)`` over ``repeats`` calls.

    Used in the chapter :ref:`solvers` to time each solver.

    Parameters
    ----------
    fn : callable
        The code to time.
    *args
        Passed to ``fn``.
    repeats : int, default 5
        Number of timed calls; the minimum is returned. The first call also serves as
        the warm-up.
    **kwargs
        Passed to ``fn``.

    Returns
    -------
    seconds : float
        The fastest of the ``repeats`` calls, timed with :func:`time.perf_counter`.
    result
        What the last call returned.

    Raises
    ------
    ValueError
        If ``repeats`` is below 1.

    Examples
    --------
    >>> seconds, result = best_time(np.ones, 3, repeats=3)
    >>> result
    array([1., 1., 1.])
    """
    repeats = int(repeats)
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1; got {repeats}")
    best = np.inf
    result = None
    for _ in range(repeats):
        result = None  # let the previous result be freed before the next call
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def format_time(seconds, unit=None):
    """Format a duration as ``"<number> ms"`` or ``"<number> s"``, with three significant digits.

    These are the forms that the book's nbval sanitizer normalises, so a timing printed
    this way can change from run to run without failing the notebook tests. Used in the
    chapter :ref:`solvers`.

    Parameters
    ----------
    seconds : float
        The duration.
    unit : {None, "ms", "s"}, default None
        ``None`` picks milliseconds below one second and seconds above. Fix the unit when
        the text must not change form from run to run (a timing near one second would
        otherwise switch between the two).

    Returns
    -------
    str
        For example ``"12.3 ms"``.

    Raises
    ------
    ValueError
        If ``unit`` is not one of the three choices.

    Examples
    --------
    >>> format_time(0.00042), format_time(0.0123), format_time(0.5), format_time(12.0)
    ('0.420 ms', '12.3 ms', '500 ms', '12.0 s')
    >>> format_time(1.5, unit="ms"), format_time(0.05, unit="s")
    ('1500 ms', '0.050 s')
    """
    seconds = float(seconds)
    if unit not in (None, "ms", "s"):
        raise ValueError(f"unit must be None, 'ms' or 's'; got {unit!r}")
    if unit is None:
        unit = "s" if seconds >= 1.0 else "ms"
    value = 1e3 * seconds if unit == "ms" else seconds
    digits = 3 if value < 1 else 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{digits}f} {unit}"


def format_ratio(ratio):
    """Format a ratio or speed-up as ``"<number>x"`` (one decimal).

    The form the book's nbval sanitizer normalises. Used in the chapter :ref:`solvers`.

    Parameters
    ----------
    ratio : float
        For example a time divided by another.

    Returns
    -------
    str
        For example ``"61.0x"``.

    Examples
    --------
    >>> format_ratio(0.93), format_ratio(120)
    ('0.9x', '120.0x')
    """
    return f"{float(ratio):.1f}x"


def solver_scaling(
    p_values,
    n=None,
    k=1,
    l2=1.0,
    damping=0.0,
    methods=("direct", "cg"),
    rng=0,
    repeats=3,
    cg_options=None,
    lissa_options=None,
    progress=None,
):
    r"""Time :func:`~influence_demo.solvers.inverse_hvp` by each method as ``p`` grows.

    For each ``p`` a fresh L2 logistic regression is generated and fitted
    (:func:`~influence_demo.datasets.logistic_problem`), and :math:`(H + \delta I)^{-1} V`
    is solved for ``k`` right-hand sides (the gradients of ``k`` test points). Every
    method is timed from the fitted model, so the direct time includes forming :math:`H`
    (:math:`O(np^2)`) and factoring it (:math:`O(p^3)`), and the iterative times include
    every Hessian-vector product (:math:`O(npk)` each). Used in the chapter
    :ref:`solvers` for its timing figure, and by ``make bench``.

    Parameters
    ----------
    p_values : sequence of int
        The numbers of parameters.
    n : int, optional
        Training points; by default ``max(2000, 4 * p)`` for each ``p``.
    k : int, default 1
        Right-hand sides.
    l2 : float, default 1
        The model's penalty.
    damping : float, default 0
        The damping :math:`\delta` passed to every solver.
    methods : sequence of {"direct", "cg", "lissa"}
        ``"direct"`` is always run: it is the reference for the errors.
    rng : int, default 0
        Seed; problem ``j`` uses ``rng + j``.
    repeats : int, default 3
        Best of ``repeats`` for every method.
    cg_options, lissa_options : dict, optional
        Passed to the solver (for example ``{"rtol": 1e-8}`` or ``{"depth": 200}``).
        LiSSA's ``rng`` defaults to 0 so that its scale estimate is reproducible.
    progress : bool, optional
        Show a progress bar over the values of ``p``; by default only where a person is
        watching (a terminal, or a notebook open in Jupyter)
        and for a long run (:func:`~influence_demo.progress.progress_bar`).

    Returns
    -------
    list of dict
        One row per ``p`` with ``p, n, k, cond`` (the 2-norm condition number of
        :math:`H + \delta I`, from its eigenvalues), ``time_<method>`` (seconds),
        ``error_<method>`` (:func:`~influence_demo.metrics.rel_error` against direct),
        ``n_iter_cg``, ``converged_cg``, ``n_iter_lissa`` and ``converged_lissa`` for the
        methods that ran.

    Raises
    ------
    ValueError
        If a method is not one of the three.

    Examples
    --------
    >>> rows = solver_scaling([3, 5], n=80, k=2, repeats=1)
    >>> [r["p"] for r in rows], rows[0]["error_cg"] < 1e-8
    ([3, 5], True)
    """
    methods = list(dict.fromkeys(["direct", *methods]))
    unknown = set(methods) - {"direct", "cg", "lissa"}
    if unknown:
        raise ValueError(f"unknown method(s) {sorted(unknown)}")
    options = {"direct": {}, "cg": dict(cg_options or {}),
               "lissa": {"rng": 0, **(lissa_options or {})}}
    rows = []
    for j, p in enumerate(progress_bar(p_values, desc="solver scaling", show=progress)):
        p = int(p)
        n_p = max(2000, 4 * p) if n is None else int(n)
        model, X, y, X_test, y_test = logistic_problem(n_p, p, k, l2, rng + j)
        V = model.grad(X_test, y_test).T
        H = model.hessian(X, y)
        H[np.diag_indices_from(H)] += damping
        eig = np.linalg.eigvalsh(H)
        row = {"p": p, "n": n_p, "k": k, "cond": float(eig[-1] / eig[0])}
        for method in methods:
            t, (U, info) = best_time(
                inverse_hvp, model, X, y, V, method=method, damping=damping,
                return_info=True, repeats=repeats, **options[method],
            )
            row[f"time_{method}"] = t
            if method == "direct":
                U_direct = U
            else:
                row[f"n_iter_{method}"] = info.n_iter
                row[f"converged_{method}"] = info.converged
            row[f"error_{method}"] = rel_error(U, U_direct)
        rows.append(row)
    return rows
