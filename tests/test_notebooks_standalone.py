"""Each chapter runs on its own: from a copy of the notebook alone, with the package installed.

nbval (``make test-notebooks``) runs every chapter from ``book/``; these tests make sure
that nothing in a chapter depends on where it sits in the repository.
"""

import json
import re
import shutil
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))

# Things that only work from inside the repository.
RELATIVE = re.compile(r"""(sys\.path|os\.chdir|\.\./|["']book/|["']influence_demo/|__file__)""")


def code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_chapters():
    assert len(CHAPTERS) >= 5


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_uses_no_repository_paths(path):
    for source in code_cells(path):
        match = RELATIVE.search(source)
        assert match is None, f"{path.name} uses {match.group(0)!r}, which needs the repository layout"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_imports_the_package(path):
    assert any("influence_demo" in source for source in code_cells(path))


def test_a_copied_chapter_runs_outside_the_repository(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    copy = tmp_path / "least_squares.ipynb"
    shutil.copy(BOOK / "least_squares.ipynb", copy)
    nb = nbformat.read(copy, as_version=4)
    resources = {"metadata": {"path": str(tmp_path)}}  # the kernel starts in tmp_path
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources=resources)
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
