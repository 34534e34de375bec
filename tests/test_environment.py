"""environment.yml (conda) and pyproject.toml (pip) list the same dependencies, pinned the same way.

pyproject.toml is the source of truth: its runtime dependencies and every optional extra
(``test``, ``book``) must appear in environment.yml with the same version specifier, and
nothing else may (apart from ``python``, ``pip`` and the editable install ``-e .``).
"""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*?)\s*$")


def parse(requirement):
    """``"Sphinx_Book-Theme == 1.3.0"`` -> ``("sphinx-book-theme", "==1.3.0")`` (PEP 503 name)."""
    match = REQUIREMENT.match(requirement.split(";")[0])
    assert match, f"cannot parse the requirement {requirement!r}"
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    spec = ",".join(sorted(part.replace(" ", "") for part in match.group(3).split(",") if part.strip()))
    return name, spec


def collect(requirements, where):
    out = {}
    for req in requirements:
        name, spec = parse(req)
        assert name not in out, f"{name} is listed twice in {where}"
        out[name] = spec
    return out


def pyproject():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(data.get("dependencies", []))
    for extra in data.get("optional-dependencies", {}).values():
        reqs += extra
    # An extra may repeat another's requirement (dask is in `dask`, `test` and `book`), but
    # with one specifier: dict.fromkeys drops exact repeats, collect catches conflicting ones.
    return data, collect(list(dict.fromkeys(reqs)), "pyproject.toml")


def environment():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda, pip = [], []
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            assert set(entry) == {"pip"}, f"unexpected section in environment.yml: {entry}"
            pip += entry["pip"]
        else:
            conda.append(str(entry))
    return conda, pip


def environment_packages():
    conda, pip = environment()
    reqs = [r for r in conda if parse(r)[0] not in ("python", "pip")]
    reqs += [r for r in pip if not r.startswith("-e")]
    return collect(reqs, "environment.yml")


def test_environment_lists_every_dependency_of_pyproject():
    _, declared = pyproject()
    listed = environment_packages()
    missing = sorted(set(declared) - set(listed))
    extra = sorted(set(listed) - set(declared))
    assert not missing and not extra, (
        f"environment.yml lacks {missing} and has {extra} that pyproject.toml does not declare"
    )


def test_environment_pins_match_pyproject():
    _, declared = pyproject()
    listed = environment_packages()
    drift = {
        name: (declared[name], listed[name])
        for name in sorted(set(declared) & set(listed))
        if declared[name] != listed[name]
    }
    assert not drift, "version specifiers differ (pyproject.toml, environment.yml): " + ", ".join(
        f"{name}: {a!r} vs {b!r}" for name, (a, b) in drift.items()
    )


def test_environment_python_matches_requires_python():
    data, _ = pyproject()
    conda, _ = environment()
    pythons = [parse(r)[1] for r in conda if parse(r)[0] == "python"]
    assert pythons == [parse("python" + data["requires-python"])[1]]


def test_environment_installs_the_package_itself():
    _, pip = environment()
    assert "-e ." in pip


@pytest.mark.parametrize(
    "text, expected",
    [
        ("numpy>=1.24", ("numpy", ">=1.24")),
        ("Sphinx_Book.Theme == 1.3.0", ("sphinx-book-theme", "==1.3.0")),
        ("pytest", ("pytest", "")),
        ("matplotlib <4, >=3.7", ("matplotlib", "<4,>=3.7")),
        ("requests[socks]>=2; python_version<'4'", ("requests", ">=2")),
    ],
)
def test_parse(text, expected):
    assert parse(text) == expected


def test_the_wheel_holds_every_subpackage_and_the_widget_files(tmp_path):
    """`pip install <clone>` must give the coursework checkers and the figures' JavaScript."""
    import shutil
    import subprocess
    import sys
    import zipfile

    had_build = (ROOT / "build").exists()
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
             "-w", str(tmp_path), str(ROOT)],
            check=True, cwd=tmp_path,
        )
    finally:
        if not had_build:  # setuptools builds in the source tree; leave the clone as it was
            shutil.rmtree(ROOT / "build", ignore_errors=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {p.relative_to(ROOT).as_posix() for p in (ROOT / "influence_demo").rglob("*")
               if p.suffix in (".py", ".js", ".css") and "__pycache__" not in p.parts}
    assert package <= names, sorted(package - names)
