"""The one progress-bar rule of the package: shown when asked, hidden when not, and by default
only on an interactive terminal and for a long run."""

import io
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
