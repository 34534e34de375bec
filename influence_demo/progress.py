"""Progress bars for the package's slow loops: refits, sweeps, retraining, timings.

Every function of the package that loops over something slow takes ``progress=None`` and
passes it to :func:`progress_bar` as ``show``, so one rule holds everywhere:

* ``show=True`` shows a bar (on ``sys.stderr``, drawn by tqdm);
* ``show=False`` shows nothing;
* ``show=None``, the default, shows a bar only where a person is watching, and only once
  the loop has run for :data:`LONG_RUN_SECONDS`, so a quick call prints nothing: on an
  interactive terminal, and in a notebook open in Jupyter (JupyterLab, Notebook, VS Code),
  where it is tqdm's notebook bar if ``ipywidgets`` is installed and a text bar otherwise.

A notebook is watched when the request that runs the cell allows input (``input()``
works): a person's Jupyter front end sends ``allow_stdin=True``, while the programs that
execute notebooks unattended (nbclient, hence ``jupytext --execute``, nbconvert and
Jupyter Book; nbval; papermill) send ``allow_stdin=False``. So the default decides without
timing: a chapter executed to store its outputs, or re-run by nbval, never holds a bar,
however slow the machine. Under pytest ``sys.stderr`` is not a terminal either.

Examples
--------
>>> [k * k for k in progress_bar(range(4), desc="squares", show=False)]
[0, 1, 4, 9]
"""

import sys

from tqdm import tqdm

__all__ = ["LONG_RUN_SECONDS", "progress_bar"]

#: With ``show=None``, a loop shorter than this many seconds shows no bar.
LONG_RUN_SECONDS = 2.0


def progress_bar(iterable, *, total=None, desc, show=None):
    """Iterate over ``iterable``, with a tqdm progress bar when one is wanted.

    Parameters
    ----------
    iterable : iterable
        What the loop runs over; its items are passed on unchanged.
    total : int, optional
        Number of items, for an iterable without ``len`` (a generator).
    desc : str
        Label of the bar, naming what is counted (``"leave-one-out refits"``).
    show : bool, optional
        True shows the bar, False hides it. By default (None) it is shown only when
        ``sys.stderr`` is an interactive terminal or the call runs in a notebook open in
        Jupyter (see the module's notes), and only after the loop has run for
        :data:`LONG_RUN_SECONDS`.

    Returns
    -------
    iterable
        ``iterable`` itself when no bar can show; otherwise a :class:`tqdm.tqdm` over it
        (``leave=False``: the bar disappears when the loop ends, so nested loops do not
        pile up lines), tqdm's notebook bar in a watched notebook with ``ipywidgets``.

    Examples
    --------
    >>> bar = progress_bar(iter("abc"), total=3, desc="letters", show=False)
    >>> list(bar)
    ['a', 'b', 'c']
    """
    notebook = _watched_notebook()
    if show is None:
        if not (notebook or sys.stderr.isatty()):
            return iterable
        delay = LONG_RUN_SECONDS
    elif show:
        delay = 0.0
    else:
        return iterable
    if notebook and _has_widgets():
        from tqdm.notebook import tqdm as notebook_tqdm

        return notebook_tqdm(iterable, total=total, desc=desc, leave=False, delay=delay)
    return tqdm(iterable, total=total, desc=desc, leave=False, delay=delay, file=sys.stderr)


def _watched_notebook():
    """True in a Jupyter kernel whose current request comes from a person's front end.

    Such a request allows input (``allow_stdin``); the programs that execute notebooks
    unattended (nbclient, nbval) do not. IPython is not imported here: if no code has
    imported it, this is no kernel.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    kernel = getattr(shell, "kernel", None)  # only a kernel's shell has one
    if kernel is None or not callable(getattr(kernel, "get_parent", None)):
        return False
    parent = kernel.get_parent() or {}
    return bool(parent.get("content", {}).get("allow_stdin", False))


def _has_widgets():
    """True if tqdm's notebook bar can draw (it needs ``ipywidgets``)."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True
