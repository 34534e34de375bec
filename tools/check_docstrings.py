"""Check the numpydoc docstrings of every public name of ``influence_demo`` (``make lint``).

A public name is one listed in ``influence_demo.__all__`` or in the ``__all__`` of a public
module of the package (a module whose dotted path has no part starting with ``_``; a
module without ``__all__`` contributes the functions and classes it defines). The public
methods and properties of a public class are checked too. Each object is checked once,
under the module that defines it, with :func:`numpydoc.validate.validate` and these codes:

======  =========================================================================
GL08    the object has no docstring
SS01    no one-line summary
GL06    an unknown section (a misspelt heading is not rendered)
GL07    sections out of the numpydoc order
PR01    a parameter is not documented
PR02    a documented parameter does not exist
PR03    the parameters are documented in another order than the signature's
PR10    no space before the colon of ``name : type``
RT01    no Returns section (functions and methods that return something)
YD01    no Yields section (generators)
EX01    no Examples section (module-level functions and classes; not methods, and
        not exceptions or warnings)
RA01    the body has a ``raise`` statement but the docstring no Raises section
======  =========================================================================

RA01 is ours: numpydoc does not look at the code. It reads the function's own body (not
nested functions), so an error raised by a called helper does not count.

Run ``python tools/check_docstrings.py`` from the repository root (``make lint`` does).
It prints one line per error and a count per module, and exits with status 1 when any
error is found. ``--summary`` prints only the counts.
"""

import argparse
import ast
import importlib
import inspect
import pkgutil
import sys
import textwrap
from collections import Counter

from numpydoc.docscrape import NumpyDocString
from numpydoc.validate import validate

PACKAGE = "influence_demo"
CHECKS = {"GL08", "SS01", "GL06", "GL07", "PR01", "PR02", "PR03", "PR10", "RT01", "YD01", "EX01"}
METHOD_CHECKS = CHECKS - {"EX01"}


def public_modules(package=PACKAGE):
    """Import the package and every public submodule; return them, package first."""
    root = importlib.import_module(package)
    modules = [root]
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            modules.append(importlib.import_module(info.name))
    return modules


def public_names(module):
    """The public objects of ``module``: its ``__all__``, or what it defines."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name for name, obj in vars(module).items()
            if not name.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module.__name__
        ]
    return [getattr(module, name) for name in names]


def canonical_path(obj):
    """``module.qualname`` of the place that defines ``obj``."""
    return f"{obj.__module__}.{obj.__qualname__}"


def public_members(cls):
    """The public methods and properties of ``cls`` that the package defines, by name."""
    members = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        member = inspect.getattr_static(cls, name)
        func = member.fget if isinstance(member, property) else getattr(cls, name)
        if inspect.isfunction(func) and func.__module__.startswith(PACKAGE):
            members[name] = member  # not what object, Exception, ... provide
    return members


def raises_without_section(obj):
    """True if ``obj`` (a function, or a class's ``__init__``) raises but documents no Raises."""
    func = obj.__init__ if inspect.isclass(obj) else obj
    func = func.fget if isinstance(func, property) else func
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):  # generated (a dataclass's __init__) or built in
        return False
    stack, raises = list(ast.parse(source).body[0].body), False
    while stack and not raises:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        raises = isinstance(node, ast.Raise) and node.exc is not None
        stack.extend(ast.iter_child_nodes(node))
    return raises and not NumpyDocString(inspect.getdoc(obj) or "")["Raises"]


def errors_of(path, obj, codes):
    """The selected numpydoc errors of ``obj``, found at ``path``, as (code, message) pairs."""
    found = [(code, msg) for code, msg in validate(path)["errors"] if code in codes]
    if raises_without_section(obj):
        found.append(("RA01", "The body raises an exception but there is no Raises section"))
    return found


def collect():
    """Every object to check: ``{path: (module name, object, codes)}``, sorted by path."""
    targets = {}
    for module in public_modules():
        for obj in public_names(module):
            is_class = inspect.isclass(obj)
            if not (is_class or inspect.isfunction(obj)) or not obj.__module__.startswith(PACKAGE):
                continue  # constants, and names re-exported from elsewhere
            path = canonical_path(obj)
            exception = is_class and issubclass(obj, BaseException)
            codes = CHECKS - {"EX01"} if exception else CHECKS
            targets.setdefault(path, (obj.__module__, obj, codes))
            if is_class:
                for name, member in public_members(obj).items():
                    targets.setdefault(f"{path}.{name}", (obj.__module__, member, METHOD_CHECKS))
    return dict(sorted(targets.items()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", action="store_true", help="print only the counts")
    args = parser.parse_args(argv)
    targets = collect()
    per_module = Counter()
    for path, (module, obj, codes) in targets.items():
        for code, message in errors_of(path, obj, codes):
            per_module[module] += 1
            if not args.summary:
                print(f"{path}: {code} {message}")
    total = sum(per_module.values())
    for module, count in sorted(per_module.items()):
        print(f"{count:5d}  {module}")
    print(f"{total} numpydoc error(s) in {len(targets)} public names checked")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
