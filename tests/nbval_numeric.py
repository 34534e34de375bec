"""nbval plugin: compare the numbers in a cell's output to a relative tolerance.

nbval compares each stored output with the fresh one as text. Text is the right test for
words, but not for numbers: ``0.5`` computed as ``0.49999999999999994`` on another CPU is
the same number, while ``0.9762`` against ``0.9767`` is not. Before nbval compares a cell,
this plugin pairs the numbers of the stored and the fresh output, token by token, and where
the text around them is identical and two numbers agree to

    |fresh - stored| <= RTOL * max(|fresh|, |stored|) + ATOL,

it writes the stored number into the fresh output. Every other difference, in a number or
in the text, is left for nbval to report as usual.

RTOL = 1e-7 is far above rounding (the chapters' numbers agree to about 1e-11 between BLAS
kernels) and far below any printed claim (a number changed in its fourth significant digit
still fails). ATOL = 1e-12 treats values below 1e-12, which in this book are rounding
residue, as zero. Integers, such as iteration counts, are compared exactly.

Load it with ``-p tests.nbval_numeric`` (``make test-notebooks`` does).
"""

import copy
import re

from nbval import plugin as nbval_plugin

RTOL = 1e-7
ATOL = 1e-12

# a decimal number with an optional exponent; integers are matched too, and compared exactly
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _close(stored, fresh):
    if not any(c in token for token in (stored, fresh) for c in ".eE"):
        return stored == fresh  # integers: exact
    a, b = float(stored), float(fresh)
    return abs(a - b) <= RTOL * max(abs(a), abs(b)) + ATOL


def align_numbers(stored, fresh):
    """Return ``fresh`` with each number that agrees with its stored counterpart replaced by it.

    The texts are split into numbers and the text between them; if the text between differs,
    ``fresh`` is returned unchanged (nbval then reports the difference).

    >>> align_numbers("ratio 0.5, count 74", "ratio 0.49999999999999994, count 74")
    'ratio 0.5, count 74'
    >>> align_numbers("spearman 0.9762", "spearman 0.9767")
    'spearman 0.9767'
    """
    if not isinstance(stored, str) or not isinstance(fresh, str) or stored == fresh:
        return fresh
    stored_text, fresh_text = NUMBER.split(stored), NUMBER.split(fresh)
    if stored_text != fresh_text:
        return fresh
    stored_nums, fresh_nums = NUMBER.findall(stored), NUMBER.findall(fresh)
    merged = [s if _close(s, f) else f for s, f in zip(stored_nums, fresh_nums)]
    out = [fresh_text[0]]
    for number, text in zip(merged, fresh_text[1:]):
        out += [number, text]
    return "".join(out)


def _align_output(fresh, stored):
    if fresh.get("output_type") != stored.get("output_type") or fresh.get("name") != stored.get("name"):
        return fresh
    fresh = copy.deepcopy(fresh)
    if "text" in fresh and "text" in stored:
        fresh["text"] = align_numbers(stored["text"], fresh["text"])
    for mime, value in fresh.get("data", {}).items():
        if mime in stored.get("data", {}):
            fresh["data"][mime] = align_numbers(stored["data"][mime], value)
    return fresh


_compare_outputs = getattr(nbval_plugin.IPyNbCell.compare_outputs, "nbval_original", None) or (
    nbval_plugin.IPyNbCell.compare_outputs
)


def compare_outputs(self, test, ref, skip_compare=None):
    """nbval's comparison, after the numbers of each fresh output are aligned with the stored ones."""
    test = [_align_output(t, r) for t, r in zip(test, ref)] + list(test[len(ref):])
    return _compare_outputs(self, test, ref, skip_compare)


compare_outputs.nbval_original = _compare_outputs
nbval_plugin.IPyNbCell.compare_outputs = compare_outputs
