"""The one progress-bar rule of the package: shown when asked, hidden when not, and by default
only on an interactive terminal and for a long run."""

import io
import json
import sys

import pytest

from influence_demo import progress
from influence_demo.progress import LONG_RUN_SECONDS, progress_bar
from influence_demo.timing import solver_scaling


class Terminal(io.StringIO):
    """A stderr that says it is an interactive terminal."""

    def isatty(self):
        return True


def test_hidden_returns_the_iterable_itself():
    items = [3, 1, 2]
    assert progress_bar(items, desc="items", show=False) is items


def test_default_off_a_terminal_prints_nothing(capsys):
    items = iter(range(3))
    assert progress_bar(items, desc="items") is items
    assert capsys.readouterr().err == ""


def test_shown_when_asked(capsys):
    assert list(progress_bar(range(3), desc="refits", show=True)) == [0, 1, 2]
    err = capsys.readouterr().err
    assert "refits" in err and "0/3" in err  # the total, from len()


def test_on_a_terminal_only_a_long_run_shows(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bar = progress_bar(range(3), desc="refits")
    assert bar.delay == LONG_RUN_SECONDS > 0 and list(bar) == [0, 1, 2]
    monkeypatch.setattr(progress, "LONG_RUN_SECONDS", 0.0)  # every run counts as long
    assert list(progress_bar(range(3), desc="sweep")) == [0, 1, 2]
    assert "sweep" in terminal.getvalue() and "refits" not in terminal.getvalue()


def test_total_for_a_generator(capsys):
    list(progress_bar((k for k in range(4)), total=4, desc="batches", show=True))
    assert "0/4" in capsys.readouterr().err


@pytest.mark.parametrize("show", [None, False])
def test_solver_scaling_is_quiet_unless_asked(show, capsys):
    solver_scaling([2], n=20, methods=(), repeats=1, progress=show)
    assert capsys.readouterr().err == ""
    solver_scaling([2], n=20, methods=(), repeats=1, progress=True)
    assert "solver scaling" in capsys.readouterr().err


class FakeKernel:
    """The part of an ipykernel kernel that progress reads: the current request."""

    def __init__(self, allow_stdin):
        self.allow_stdin = allow_stdin

    def get_parent(self):
        return {"header": {"msg_type": "execute_request"},
                "content": {"code": "", "allow_stdin": self.allow_stdin}}


@pytest.mark.parametrize("allow_stdin", [True, False])
def test_in_a_kernel_only_a_watched_notebook_shows_a_bar(monkeypatch, capsys, allow_stdin):
    shell = type("Shell", (), {"kernel": FakeKernel(allow_stdin)})()
    fake = type(sys)("IPython")
    fake.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # no widgets: the text bar
    items = range(3)
    bar = progress_bar(items, desc="refits")
    if allow_stdin:  # a person's front end: the bar, after LONG_RUN_SECONDS
        assert bar.delay == LONG_RUN_SECONDS and list(bar) == [0, 1, 2]
    else:  # nbclient, nbval: nothing, however long the loop
        assert bar is items
    assert progress_bar(items, desc="refits", show=False) is items
    assert capsys.readouterr().err == ""


def kernel_manager(tmp_path):
    """A manager for an IPython kernel of this Python (whatever kernels are installed)."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    spec = tmp_path / "kernels" / "this-python"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "this Python", "language": "python",
    }))
    return KernelManager(kernel_name="this-python",
                         kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]))


def run_in_a_kernel(tmp_path, code, allow_stdin):
    """Run ``code`` in a real kernel, once per ``allow_stdin``; return what went to stderr."""
    km = kernel_manager(tmp_path)
    km.start_kernel()
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        out = {}
        for stdin in allow_stdin:
            msg_id = kc.execute(code, allow_stdin=stdin)
            err = ""
            while True:
                msg = kc.get_iopub_msg(timeout=60)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":
                    err += msg["content"]["text"]
                if msg["msg_type"] == "error":
                    raise AssertionError("\n".join(msg["content"]["traceback"]))
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            out[stdin] = err
        return out
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_real_kernel_shows_the_bar_to_a_front_end_and_not_to_nbclient(tmp_path, monkeypatch):
    # Every run counts as long here; what decides is who sent the request.
    code = (
        "import numpy as np\n"
        "from influence_demo import LinearRegression, loo_loss_change, progress\n"
        "progress.LONG_RUN_SECONDS = 0.0\n"
        "X = np.random.default_rng(0).normal(size=(20, 2)); y = X[:, 0]\n"
        "model = LinearRegression(l2=1.0).fit(X, y)\n"
        "_ = loo_loss_change(model, X, y, X[:2], y[:2])\n"
    )
    err = run_in_a_kernel(tmp_path, code, allow_stdin=(True, False))
    assert "leave-one-out refits" in err[True]  # JupyterLab, Notebook, VS Code
    assert err[False] == ""  # what nbclient and nbval send
    # nbclient itself (jupytext --execute, nbconvert, Jupyter Book): no output at all.
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))  # where kernel_manager put the kernel
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, kernel_name="this-python", timeout=120).execute()
    assert nb.cells[0].outputs == []
