"""The package's modules meet only through public names.

No module of ``influence_demo`` may import, read or call another module's private names
(those starting with one underscore). Read from the source with :mod:`ast`, a use is one of

* ``from .x import _y`` (or ``from influence_demo.x import _y``, ``from ..x import _y``),
  unless ``_y`` is itself a module: a private module such as ``_validation`` holds
  helpers meant for the whole package, under public names;
* ``m._y`` where ``m`` names a module of the package;
* ``obj._y(...)`` where ``obj`` is not ``self``, ``cls``, ``type(self)`` or ``super()``
  and no class of the module defines a method ``_y`` (a class may call its own private
  methods on another instance of itself);
* ``getattr(obj, "_y")`` under the same conditions.

Dunder names (``__init__``) are public. A model reaches the rest of the package through
the hooks of ``influence_demo.models.Model``, never through its private methods.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "influence_demo"


def is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_name(path, root=PACKAGE):
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package_module(dotted, root=PACKAGE):
    """True if ``dotted`` (``influence_demo.x.y``) is a module or package of the package."""
    base = root.parent.joinpath(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def resolve(node, current, is_pkg):
    """The absolute module an ``ImportFrom`` node imports from, or None if not ours."""
    if node.level == 0:
        return node.module if (node.module or "").split(".")[0] == PACKAGE.name else None
    base = current.split(".")
    base = base if is_pkg else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def dotted(expr):
    """``a.b.c`` for a chain of names, ``super()`` and ``type(self)``; otherwise None."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        base = dotted(expr.value)
        return f"{base}.{expr.attr}" if base else None
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        if expr.func.id == "super" and not expr.args:
            return "super()"
        if expr.func.id == "type" and [dotted(a) for a in expr.args] == ["self"]:
            return "type(self)"
    return None


def violations(source, current, is_pkg=False, exists=is_package_module):
    """Uses of another module's private names in ``source``, the module ``current``.

    Returns a list of ``(line, text)``.
    """
    tree = ast.parse(source)
    methods = {f.name for c in ast.walk(tree) if isinstance(c, ast.ClassDef)
               for f in c.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    modules = set()  # local names bound to modules of the package
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE.name:
                    modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            origin = resolve(node, current, is_pkg)
            if origin is None:
                continue
            for alias in node.names:
                if exists(f"{origin}.{alias.name}"):
                    modules.add(alias.asname or alias.name)
                elif is_private(alias.name):
                    found.append((node.lineno, f"imports {alias.name} from {origin}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            root = dotted(node.value)
            if root and root.split(".")[0] in modules:
                found.append((node.lineno, f"reads {root}.{node.attr}"))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and is_private(func.attr):
            obj, name = func.value, func.attr
        elif (isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and is_private(node.args[1].value)):
            obj, name = node.args[0], node.args[1].value
        else:
            continue
        own = dotted(obj) in ("self", "cls", "super()", "type(self)")
        root = dotted(obj)
        if own or name in methods or (root and root.split(".")[0] in modules):
            continue  # module reads are reported above
        found.append((node.lineno, f"calls {ast.unparse(obj)}.{name}"))
    return sorted(set(found))


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_there_are_modules():
    assert len(MODULES) >= 10


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_uses_another_modules_private_names(path):
    found = violations(path.read_text(encoding="utf-8"), module_name(path),
                       is_pkg=path.name == "__init__.py")
    assert found == [], "\n".join(f"{path.name}:{line}: {text}" for line, text in found)


# The checker itself, on code written to break the rule and code that keeps it.
def fake_exists(dotted):
    return dotted in {"influence_demo.loo", "influence_demo._validation", "influence_demo.models"}


@pytest.mark.parametrize("source, expected", [
    ("from .influence import _test_data", "imports _test_data from influence_demo.influence"),
    ("from influence_demo.models import _R", "imports _R from influence_demo.models"),
    ("from ..loo import _pieces", "imports _pieces from influence_demo.loo"),
    ("from .. import loo\nloo._pieces(1)", "reads loo._pieces"),
    ("import influence_demo\ninfluence_demo.models._R", "reads influence_demo.models._R"),
    ("def f(model):\n    return model._refit(1)", "calls model._refit"),
    ("def f(m):\n    return m.inner._loss(1)", "calls m.inner._loss"),
    ("def f(m):\n    return getattr(m, '_dloss')(1)", "calls m._dloss"),
    ("def _refit(m):\n    return m\ndef f(model):\n    return model._refit(1)",
     "calls model._refit"),
])
def test_the_rule_catches(source, expected):
    current = "influence_demo.coursework.harness" if "from .." in source else "influence_demo.loo"
    found = violations(source, current, exists=fake_exists)
    assert [text for _, text in found] == [expected]


@pytest.mark.parametrize("source", [
    "from ._validation import check_Xy",
    "from . import _validation\n_validation.check_Xy(1)",
    "from .. import _validation\n_validation.check_Xy(1)",
    "from .models import Model",
    "from numpy.linalg import _umath_linalg",
    "class A:\n    def _f(self):\n        return self._g() + super()._h() + type(self)._k()",
    "class M:\n    def _fit(self):\n        return 1\n    def g(self, other):\n"
    "        return other._fit()",
    "x.__array__()",
])
def test_the_rule_allows(source):
    current = "influence_demo.coursework.harness" if "from .." in source else "influence_demo.loo"
    assert violations(source, current, exists=fake_exists) == []
