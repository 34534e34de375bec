"""tools/check_docstrings.py (``make lint``) finds what it promises, and passes a good docstring."""

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "check_docstrings.py"
spec = importlib.util.spec_from_file_location("check_docstrings", TOOL)
check_docstrings = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_docstrings)

SOURCE = '''
def bare(x, y):
    """Add two numbers."""
    if x is None:
        raise ValueError("x is None")
    return x + y


def good(x):
    """Halve a number.

    Parameters
    ----------
    x : float
        The number.

    Returns
    -------
    float
        ``x / 2``.

    Raises
    ------
    ValueError
        If ``x`` is None.

    Examples
    --------
    >>> good(3.0)
    1.5
    """
    if x is None:
        raise ValueError("x is None")
    return x / 2


def reraises(x):
    """Pass errors on.

    Parameters
    ----------
    x : float
        Anything.

    Returns
    -------
    float
        ``x``.

    Examples
    --------
    >>> reraises(1.0)
    1.0
    """
    try:
        return float(x)
    except TypeError:
        raise

    def inner():
        raise ValueError("not this function's")
'''


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lintcase")
    (folder / "lintcase_module.py").write_text(textwrap.dedent(SOURCE), encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        yield __import__("lintcase_module")
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("lintcase_module", None)


def codes(module, name):
    obj = getattr(module, name)
    found = check_docstrings.errors_of(f"lintcase_module.{name}", obj, check_docstrings.CHECKS)
    return sorted(code for code, _ in found)


def test_a_bare_docstring_is_reported(module):
    assert codes(module, "bare") == ["EX01", "PR01", "RA01", "RT01"]


def test_a_complete_docstring_passes(module):
    assert codes(module, "good") == []


def test_a_bare_raise_and_a_nested_function_do_not_need_a_raises_section(module):
    assert codes(module, "reraises") == []


def test_every_public_name_of_the_package_is_collected():
    import influence_demo

    targets = check_docstrings.collect()
    for name in influence_demo.__all__:
        obj = getattr(influence_demo, name)
        if callable(obj):
            assert check_docstrings.canonical_path(obj) in targets, name
    # Names of public submodules, and the methods of public classes, under their home.
    for path in ("influence_demo.coursework.solvers.check_hvp",
                 "influence_demo.coursework.harness.run",
                 "influence_demo.timing.best_time",
                 "influence_demo.models.LogisticRegression.fit"):
        assert path in targets, path
