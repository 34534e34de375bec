"""The harness every coursework checker runs on: cases, comparison, hints and the report.

A checker builds a list of :class:`Case` (the inputs of the student's function and the
package's answer), then calls :func:`run`, which calls the student's function on fresh
copies of each case's inputs, compares the answer with :func:`compare` (or a checker's own
comparison), and prints ``PASS`` or a :class:`Report` of the first counterexample. A wrong
answer of the right shape is explained when it equals one of the case's *suspects* (the
typical wrong answers, each with a hint) or a constant multiple of the expected answer
(a sign, a factor 2 or ``n``).

Examples
--------
>>> import numpy as np
>>> case = Case("two numbers", {"x": np.array([1.0, 2.0])}, np.array([2.0, 4.0]),
...             ratio_hints={0.5: "Double it."})
>>> run("check_double", lambda x: 2 * x, [case])
check_double: PASS (1 cases)
True
>>> run("check_double", lambda x: x, [case])
check_double: FAIL on case 1 of 1 (two numbers)
  inputs: x of shape (2,)
      x = [1., 2.]
  expected = [2., 4.]
  got = [1., 2.]
  largest difference at index (1,): expected 4, got 2
  hint: your answer is 0.5 times the expected one. Double it.
False
"""

import os
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["RTOL", "Case", "Report", "close", "ratio", "as_array", "compare", "run"]

RTOL = 1e-6  # relative agreement asked of every answer (check_cg asks its own)
_INDENT = "    "
_HERE = os.path.dirname(os.path.abspath(__file__))  # frames from here are the checkers'


@dataclass
class Case:
    """One input for the student's function and the answer it must return.

    Parameters
    ----------
    label : str
        What the case is, printed in the report (``"random data, n=6, p=3"``).
    args : dict
        Argument name to value, passed positionally in this order.
    expected : ndarray
        The right answer, computed by the package.
    suspects : list of (ndarray, str), optional
        Typical wrong answers, each with the hint printed when the student's answer
        equals it.
    ratio_hints : dict, optional
        Factor ``c`` to the hint printed when the answer is ``c`` times the expected one.
    base : ndarray, optional
        For leave-one-out checkers, the full-data fit: the changes ``answer - base`` are
        compared as well, so that a factor in the change is recognised.
    shown : dict, optional
        How to print the inputs, when not as ``args`` (for example a matrix rather than
        the function that multiplies by it).
    n : int, optional
        The number of examples, for the "mean instead of sum" hints of a factor ``n``.
    error_hint : str, optional
        Printed if the student's function raises on this case.

    Examples
    --------
    >>> Case("a scalar", {"a": 1.0}, np.array(2.0)).label
    'a scalar'
    """

    label: str
    args: dict
    expected: np.ndarray
    suspects: list = field(default_factory=list)
    ratio_hints: dict = field(default_factory=dict)
    base: np.ndarray = None
    shown: dict = None
    n: int = None
    error_hint: str = None


def _fmt(a):
    """A short, readable text for a number or an array (4 decimals, long arrays elided)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{a.item():.6g}" if np.issubdtype(a.dtype, np.number) else str(a.item())
    with np.printoptions(precision=4, threshold=60, edgeitems=3, linewidth=80):
        return np.array2string(a, separator=", ")


def _block(label, value):
    """Lines ``label = value``; a multi-line array goes below its label, indented."""
    text = _fmt(value)
    if "\n" not in text and len(label) + len(text) < 90:
        return [f"{label} = {text}"]
    indent = " " * (len(label) - len(label.lstrip())) + _INDENT
    return [f"{label} ="] + [indent + line for line in text.splitlines()]


def _describe(key, value):
    if callable(value):
        return f"{key} (a function)"
    a = np.asarray(value)
    return f"{key} of shape {a.shape}" if a.ndim else f"{key} = {_fmt(a)}"


def close(actual, expected):
    """Whether ``actual`` agrees with ``expected`` to the checkers' tolerance.

    Parameters
    ----------
    actual : ndarray
        The student's answer.
    expected : ndarray
        The package's answer, of the same shape.

    Returns
    -------
    bool
        ``np.allclose`` with ``rtol=RTOL`` and an absolute tolerance of ``1e-9`` times the
        largest entry of ``expected`` (at least ``1e-9``).

    Examples
    --------
    >>> close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])), close(np.ones(2), np.zeros(2))
    (True, False)
    """
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return bool(np.allclose(actual, expected, rtol=RTOL, atol=1e-9 * scale))


def ratio(actual, expected):
    """The factor ``c`` with ``actual == c * expected``, if there is one.

    Parameters
    ----------
    actual, expected : ndarray
        Two arrays of one shape; ``expected`` may not be all zeros.

    Returns
    -------
    float or None
        The least-squares factor :math:`c = a^\\top e / e^\\top e`, when ``actual`` is
        :func:`close` to ``c * expected`` and ``c`` is not 0; otherwise None.

    Examples
    --------
    >>> ratio(np.array([-2.0, -4.0]), np.array([1.0, 2.0]))
    -2.0
    >>> ratio(np.array([1.0, 0.0]), np.array([1.0, 2.0])) is None
    True
    """
    e, a = expected.ravel(), actual.ravel()
    ee = float(e @ e)
    if ee == 0 or not np.all(np.isfinite(a)):
        return None
    c = float(a @ e) / ee
    return c if c != 0 and close(a, c * e) else None


def _factor_hint(c, hints, n):
    table = dict(hints)
    if n is not None and n > 2:
        table.setdefault(n, f"A factor n = {n} (the number of examples) is off: "
                            "the objective here is a sum, not a mean.")
        table.setdefault(1 / n, f"A factor 1/n = 1/{n} is off: "
                                "the objective here is a sum, not a mean.")
    for value, text in table.items():
        if abs(c - value) <= 1e-6 * abs(value):
            return text
    return None


def _diagnose(actual, case):
    """A hint for a wrong answer of the right shape, or None."""
    for wrong, hint in case.suspects:
        wrong = np.asarray(wrong, dtype=float)
        if wrong.shape == actual.shape and np.all(np.isfinite(wrong)) and close(actual, wrong):
            return hint
    pairs = [(actual, case.expected, "your answer")]
    if case.base is not None:
        pairs.append((actual - case.base, case.expected - case.base,
                      "your change theta_{-i} - theta"))
    for a, e, what in pairs:
        c = ratio(a, e)
        if c is not None:
            text = _factor_hint(c, case.ratio_hints, case.n)
            if text is None:
                return f"{what} is {c:.4g} times the expected one: a constant factor is off."
            return f"{what} is {c:.4g} times the expected one. {text}"
    if not np.all(np.isfinite(actual)):
        return ("your answer contains NaN or inf: look for a division by zero or an overflow "
                "(exp of a large number).")
    return None


def _shape_hint(actual, expected, shape_hints):
    for shape, hint in shape_hints:
        if actual.shape == shape:
            return hint
    if actual.ndim == 2 and actual.shape == expected.shape[::-1]:
        if actual.shape[0] == actual.shape[1]:
            return None
        return f"your array is transposed: return one with shape {expected.shape} (try .T)."
    if actual.size == expected.size:
        return f"the right number of values in the wrong shape: reshape to {expected.shape}."
    return None


class Report:
    """The lines of a FAIL message: the case and its inputs, then what went wrong.

    Parameters
    ----------
    name : str
        The checker's name.
    k, n_cases : int
        The case's number (from 1) and the number of cases.
    case : Case
        The case that failed; its inputs are listed (``case.shown`` if given).

    Examples
    --------
    >>> report = Report("check_x", 1, 2, Case("one number", {"a": 1.0}, np.array(1.0)))
    >>> report.hint("try again.")
    >>> report.print()
    check_x: FAIL on case 1 of 2 (one number)
      inputs: a = 1
      hint: try again.
    """

    def __init__(self, name, k, n_cases, case):
        self.lines = [f"{name}: FAIL on case {k} of {n_cases} ({case.label})"]
        shown = case.shown if case.shown is not None else case.args
        self.add("inputs: " + ", ".join(_describe(key, v) for key, v in shown.items()))
        for key, value in shown.items():
            if not callable(value) and np.ndim(value) > 0:
                self.add_value(_INDENT + key, value)

    def add(self, line):
        """Add one indented line.

        Parameters
        ----------
        line : str
            The text.
        """
        self.lines.append("  " + line)

    def add_value(self, label, value):
        """Add ``label = value``; a multi-line array goes below its label.

        Parameters
        ----------
        label : str
            The name shown.
        value : array_like
            Printed with 4 decimals, long arrays elided.
        """
        for line in _block(label, value):
            self.add(line)

    def hint(self, text):
        """Add ``hint: text``, if there is a hint.

        Parameters
        ----------
        text : str or None
            The hint; None adds nothing.
        """
        if text:
            self.add("hint: " + text)

    def print(self):
        """Print the report."""
        print("\n".join(self.lines))


def _location(exc):
    """The innermost frame of the student's code (not numpy's, not the checkers')."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.dirname(os.path.abspath(f.filename)) != _HERE]
    user = [f for f in frames
            if "site-packages" not in f.filename and "/numpy/" not in f.filename]
    frame = (user or frames or [None])[-1]
    if frame is None:
        return None
    where = f"line {frame.lineno} in {frame.name}"
    return f"{where}: {frame.line}" if frame.line else where


def _call(fn, case):
    """Call the student's function on fresh copies of the inputs.

    Returns (output, exception, warnings caught).
    """
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in case.args.values()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return fn(*args), None, caught
        except Exception as exc:  # the student's bug, reported below
            return None, exc, caught


def _report_exception(report, exc, hint=None):
    report.add(f"your function raised {type(exc).__name__}: {str(exc).strip()}")
    where = _location(exc)
    if where:
        report.add(f"{_INDENT}at {where}")
    report.hint(hint)


def as_array(report, out):
    """``out`` as an array of floats, or None after adding to ``report`` why it is not one.

    Parameters
    ----------
    report : Report
        Where the reason goes.
    out : object
        What the student's function returned.

    Returns
    -------
    ndarray or None
        The answer as floats, or None if it is None or not numbers.

    Examples
    --------
    >>> report = Report("check_x", 1, 1, Case("a case", {}, np.zeros(1)))
    >>> as_array(report, [1, 2])
    array([1., 2.])
    >>> as_array(report, None) is None, report.lines[-1]
    (True, '  your function returned None: did you forget `return`?')
    """
    if out is None:
        report.add("your function returned None: did you forget `return`?")
        return None
    try:
        return np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        report.add(f"your function returned {type(out).__name__}, "
                   "which is not an array of numbers.")
        return None


def compare(report, out, case, shape_hints=()):
    """Add the reasons ``out`` is wrong to ``report``; return True if it is right.

    A wrong shape gets a hint from ``shape_hints`` (or "transposed", "reshape"); a wrong
    value of the right shape gets the largest difference and a hint from the case's
    suspects and factors.

    Parameters
    ----------
    report : Report
        The failure report the reasons are added to.
    out : object
        The student's answer, as returned.
    case : Case
        The case, with its expected answer.
    shape_hints : sequence of (tuple, str), optional
        A wrong shape and the hint printed when the answer has it.

    Returns
    -------
    bool
        True if ``out`` has the expected shape and is :func:`close` to it.

    Examples
    --------
    >>> case = Case("a case", {}, np.array([1.0, 2.0]))
    >>> report = Report("check_x", 1, 1, case)
    >>> compare(report, [1.0, 2.0], case), compare(report, [[1.0, 2.0]], case)
    (True, False)
    >>> report.lines[-1]
    '  hint: the right number of values in the wrong shape: reshape to (2,).'
    """
    expected = case.expected
    actual = as_array(report, out)
    if actual is None:
        return False
    if actual.shape != expected.shape:
        report.add(f"expected an array of shape {expected.shape}, got shape {actual.shape}")
        report.add_value("expected", expected)
        report.add_value("got", actual)
        report.hint(_shape_hint(actual, expected, shape_hints))
        return False
    if close(actual, expected):
        return True
    report.add_value("expected", expected)
    report.add_value("got", actual)
    err = np.where(np.isfinite(actual), np.abs(actual - expected), np.inf)
    where = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
    idx = tuple(int(i) for i in where)
    report.add(
        f"largest difference at index {idx if idx else '()'}: expected {expected[where]:.6g}, "
        f"got {actual[where]:.6g}"
    )
    report.hint(_diagnose(actual, case))
    return False


def run(name, fn, cases, shape_hints=None, compare=compare):
    """Run every case; print PASS, or FAIL with the first counterexample.

    Parameters
    ----------
    name : str
        The checker's name, which starts every line it prints.
    fn : callable
        The student's function.
    cases : list of Case
        The cases, in order.
    shape_hints : callable, optional
        ``shape_hints(case)`` returns the ``shape_hints`` passed to ``compare`` for a case.
    compare : callable, default :func:`compare`
        ``compare(report, out, case, shape_hints)``: True if ``out`` is right.

    Returns
    -------
    bool
        True if every case passed. Warnings the student's function issued on a passing run
        are printed as notes (the first three).

    Examples
    --------
    >>> run("check_x", "not a function", [])
    check_x: FAIL: expected a function, got str
    False
    """
    if not callable(fn):
        print(f"{name}: FAIL: expected a function, got {type(fn).__name__}")
        return False
    notes = []
    for k, case in enumerate(cases, 1):
        report = Report(name, k, len(cases), case)
        out, exc, caught = _call(fn, case)
        if exc is not None:
            _report_exception(report, exc, case.error_hint)
            report.print()
            return False
        if not compare(report, out, case, shape_hints(case) if shape_hints else ()):
            report.print()
            return False
        for w in caught:
            note = f"case {k} ({case.label}) issued {w.category.__name__}: {w.message}"
            if note not in notes:
                notes.append(note)
    print(f"{name}: PASS ({len(cases)} cases)")
    for note in notes[:3]:
        print(f"  note: the answers were right, but {note}")
    return True
