"""The README's example code runs and means what it says."""

import pathlib
import re

import numpy as np

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_an_example():
    assert len(python_blocks()) >= 1


def test_readme_example_runs_and_predicts_retraining():
    namespace = {}
    for block in python_blocks():
        exec(compile(block, str(README), "exec"), namespace)
    predicted, actual = namespace["predicted"], namespace["actual"]
    assert predicted.shape == actual.shape == (5, 200)
    # the claim of the example: -I_up,loss predicts the retraining effect
    assert np.corrcoef(predicted.ravel(), actual.ravel())[0, 1] > 0.95


def test_readme_sklearn_example_finds_the_most_harmful_points():
    from influence_demo import influence_loss

    namespace = {}
    for block in python_blocks():
        exec(compile(block, str(README), "exec"), namespace)
    adapted, top = namespace["adapted"], namespace["top"]
    X_test, y_test = namespace["X_test"], namespace["y_test"]
    full = influence_loss(adapted.model, adapted.X, adapted.y, X_test, y_test)
    np.testing.assert_array_equal(top.harmful, np.argsort(-full, axis=1, kind="stable")[:, :3])


def test_readme_installs_what_running_the_tests_needs():
    import tomllib

    root = README.parent
    text = README.read_text(encoding="utf-8")
    extras = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["optional-dependencies"]
    installs = re.findall(r"pip install[^\n]*?\[([a-z,]+)\]", text)
    named = [e for group in installs for e in group.split(",")]
    assert installs and set(named) <= set(extras), named
    # The tests need pytest and hypothesis, which only the test extra brings (not book) ...
    assert any(r.startswith("pytest") for r in extras["test"])
    assert not any(r.startswith("pytest") for r in extras["book"])
    # ... so the README's command that runs them follows an install of that extra, and is
    # the command of `make test-package`.
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    runs = [b for b in blocks if "-m pytest" in b]
    assert len(runs) == 1
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    install, run = runs[0].strip().splitlines()  # those of `make install` and `make test-package`
    quiet = "python -m pip install --quiet --disable-pip-version-check"
    assert install.replace(".venv/bin/pip install", f"$(BIN)/{quiet}") in makefile
    assert run.replace(".venv/bin/", "$(BIN)/") in makefile
