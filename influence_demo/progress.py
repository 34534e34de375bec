"""Progress bars for the package's slow loops: refits, sweeps, retraining, timings.

Every function of the package that loops over something slow takes ``progress=None`` and
passes it to :func:`progress_bar` as ``show``, so one rule holds everywhere:

* ``show=True`` shows a bar (on ``sys.stderr``, drawn by tqdm);
* ``show=False`` shows nothing;
* ``show=None``, the default, shows a bar only on an interactive terminal, and only once
  the loop has run for :data:`LONG_RUN_SECONDS`, so a quick call prints nothing.

Under pytest, nbval and Jupyter, ``sys.stderr`` is not a terminal, so the default prints
nothing there and a notebook's stored outputs never hold a bar.

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
        ``sys.stderr`` is an interactive terminal, and only after the loop has run for
        :data:`LONG_RUN_SECONDS`.

    Returns
    -------
    iterable
        ``iterable`` itself when no bar can show; otherwise a :class:`tqdm.tqdm` over it
        (``leave=False``: the bar disappears when the loop ends, so nested loops do not
        pile up lines).

    Examples
    --------
    >>> bar = progress_bar(iter("abc"), total=3, desc="letters", show=False)
    >>> list(bar)
    ['a', 'b', 'c']
    """
    if show is None:
        if not sys.stderr.isatty():
            return iterable
        delay = LONG_RUN_SECONDS
    elif show:
        delay = 0.0
    else:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, delay=delay, file=sys.stderr)
