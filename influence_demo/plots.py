"""Figures the book shows. They serve the book; the maths lives in the other modules.

Each function draws on a given matplotlib ``Axes`` (or a new one) and returns it.
"""

import numpy as np

from .metrics import pearson, spearman


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(4.5, 4.5))
    return ax


def plot_predicted_vs_actual(
    actual, predicted, ax=None, label=None, xlabel="actual change", ylabel="predicted change",
    **scatter_kw,
):
    """Scatter predicted against actual effects, with the line y = x and both correlations.

    The legend entry reads ``label (Pearson r = ..., Spearman rho = ...)``. Call it once per
    estimator on the same axes to compare them. Used in the chapters :ref:`least_squares`
    and :ref:`digits_influence`.

    Parameters
    ----------
    actual, predicted : array_like
        The actual effects (for example from leave-one-out retraining) and their
        predictions, flattened; equal sizes.
    ax : matplotlib Axes, optional
        Where to draw; a new 4.5 x 4.5 inch figure by default.
    label : str, optional
        The estimator's name, put before the correlations in the legend.
    xlabel, ylabel : str
        The axis labels.
    **scatter_kw
        Passed to ``ax.scatter`` (``s`` defaults to 18 and ``alpha`` to 0.8).

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.
    stats : dict
        ``pearson`` and ``spearman``: the two correlations of ``predicted`` with
        ``actual`` (:func:`~influence_demo.metrics.pearson`,
        :func:`~influence_demo.metrics.spearman`).

    Raises
    ------
    ValueError
        As the correlations: different sizes, fewer than two points or a constant input.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax, stats = plot_predicted_vs_actual([1.0, 2.0, 3.0], [1.1, 1.9, 3.2], label="one step")
    >>> round(stats["spearman"], 3), ax.get_xlabel()
    (1.0, 'actual change')
    >>> plt.close("all")
    """
    actual, predicted = np.ravel(actual), np.ravel(predicted)
    ax = _axes(ax)
    stats = {"pearson": pearson(actual, predicted), "spearman": spearman(actual, predicted)}
    text = f"Pearson r = {stats['pearson']:.3f}, Spearman ρ = {stats['spearman']:.3f}"
    ax.scatter(actual, predicted, s=scatter_kw.pop("s", 18), alpha=scatter_kw.pop("alpha", 0.8),
               label=f"{label} ({text})" if label else text, **scatter_kw)
    lims = np.array([min(actual.min(), predicted.min()), max(actual.max(), predicted.max())])
    pad = 0.05 * (lims[1] - lims[0] or 1.0)
    lims = lims + [-pad, pad]
    old = [line for line in ax.lines if line.get_label() == "y = x"]
    if old:
        prev = old[0].get_xdata()
        lims = [min(lims[0], prev[0]), max(lims[1], prev[1])]
        old[0].remove()
    ax.plot(lims, lims, color="0.4", lw=1, ls="--", label="y = x", zorder=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=9, loc="upper left")
    return ax, stats


def plot_cg_residuals(residuals, ax=None, tolerance=None, labels=None):
    """Residual norm against iteration on a log scale, one line per right-hand side.

    Used in the chapter :ref:`cg_steps`.

    Parameters
    ----------
    residuals : array, shape (n_iter + 1,) or (n_iter + 1, k)
        For example ``info.residuals`` from :func:`~influence_demo.solvers.cg`. A residual
        of exactly 0 is drawn at the smallest positive float.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    tolerance : float or array of shape (k,), optional
        Drawn as dotted horizontal line(s).
    labels : sequence of str, optional
        One legend entry per column (default: ``column j`` when there are several).

    Returns
    -------
    matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = plot_cg_residuals([1.0, 1e-3, 1e-8], tolerance=1e-6)
    >>> ax.get_yscale(), len(ax.lines)
    ('log', 2)
    >>> plt.close("all")
    """
    R = np.asarray(residuals, dtype=float)
    R = R[:, None] if R.ndim == 1 else R
    ax = _axes(ax)
    its = np.arange(R.shape[0])
    floor = np.finfo(float).tiny
    for j in range(R.shape[1]):
        lab = labels[j] if labels is not None else (f"column {j}" if R.shape[1] > 1 else None)
        ax.semilogy(its, np.maximum(R[:, j], floor), marker="o", ms=3, label=lab)
    if tolerance is not None:
        for t in np.atleast_1d(tolerance):
            ax.axhline(t, color="0.5", ls=":", lw=1)
    ax.set_xlabel("CG iteration")
    ax.set_ylabel(r"residual $\|b - A x_k\|_2$")
    if R.shape[1] > 1 or labels is not None:
        ax.legend(fontsize=9)
    return ax


def plot_ranking(scores, ax=None, top=None, names=None):
    """Compare how several scores rank the same points (a "bump chart").

    Used in the chapter :ref:`least_squares`.

    Parameters
    ----------
    scores : dict of str -> array, shape (n,)
        Larger score = higher rank (rank 1). Each score is one column of the chart.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    top : int, optional
        Only label the ``top`` points of the first score.
    names : sequence of str, optional
        Point labels (default: the indices).

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on; rank 1 is at the top.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = plot_ranking({"influence": [3.0, 1.0, 2.0], "refit": [2.0, 1.0, 3.0]})
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['influence', 'refit']
    >>> plt.close("all")
    """
    keys = list(scores)
    arrays = [np.ravel(scores[k]) for k in keys]
    n = arrays[0].size
    ranks = np.array([np.argsort(np.argsort(-a, kind="stable"), kind="stable") + 1 for a in arrays])
    ax = _axes(ax)
    names = [str(i) for i in range(n)] if names is None else list(names)
    shown = range(n) if top is None else np.argsort(ranks[0])[:top]
    for i in shown:
        ax.plot(range(len(keys)), ranks[:, i], marker="o")
        ax.annotate(names[i], (0, ranks[0, i]), xytext=(-8, 0), textcoords="offset points",
                    ha="right", va="center", fontsize="small")
        ax.annotate(names[i], (len(keys) - 1, ranks[-1, i]), xytext=(8, 0),
                    textcoords="offset points", ha="left", va="center", fontsize="small")
    ax.set_xticks(range(len(keys)), keys)
    ax.set_xlim(-0.5, len(keys) - 0.5)
    ax.set_ylim(n + 0.5, 0.5)
    ax.set_ylabel("rank (1 = largest)")
    return ax


def plot_images(images, titles=None, ncols=5, shape=(8, 8), axes=None, cmap="gray_r"):
    """Show flattened images (for example 8x8 digits) in a grid, with optional titles.

    Used in the chapters :ref:`digits_influence` and :ref:`mislabeled`.

    Parameters
    ----------
    images : array_like, shape (k, rows * columns)
        One flattened image per row, with values in [0, 1].
    titles : sequence of str, optional
        One title per image.
    ncols : int, default 5
        Images per row of the grid, when the axes are made here.
    shape : tuple of int, default (8, 8)
        The shape each image is reshaped to.
    axes : array of matplotlib Axes, optional
        Where to draw (at least ``k``); a new grid by default.
    cmap : str, default "gray_r"
        The colour map (0 is white, 1 black by default).

    Returns
    -------
    ndarray of matplotlib Axes
        The axes, flattened; those beyond ``k`` are left empty.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> axes = plot_images(np.eye(64)[:3], titles=["a", "b", "c"], ncols=2)
    >>> len(axes), axes[0].get_title(), axes[3].has_data()
    (4, 'a', False)
    >>> plt.close("all")
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images, dtype=float)
    k = images.shape[0]
    if axes is None:
        nrows = int(np.ceil(k / ncols))
        width = min(1.6, 6.8 / ncols)  # at most the book's 6.8 in column
        _, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, 1.2 * width * nrows),
                               squeeze=False)
    axes = np.ravel(axes)
    for j, ax in enumerate(axes):
        ax.set_axis_off()
        if j < k:
            ax.imshow(images[j].reshape(shape), cmap=cmap, vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(titles[j], fontsize=9)
    return axes


def plot_helpful_harmful(test_image, helpful, harmful, test_title=None, helpful_titles=None,
                         harmful_titles=None, shape=(8, 8), width=6.8):
    """A test image beside rows of its most helpful and most harmful training images.

    The picture of "which training points made this prediction": the test image on the
    left, the helpful images in the top row and the harmful ones below, sized for the
    book's column. Used in the chapter :ref:`digits_influence` and on the book's first page.

    Parameters
    ----------
    test_image : array_like, shape (rows * columns,)
        The flattened test image, values in [0, 1].
    helpful, harmful : array_like, shape (k, rows * columns)
        The flattened training images of each row (the same ``k`` for both).
    test_title : str, optional
        The title above the test image.
    helpful_titles, harmful_titles : sequence of str, optional
        One title per training image (for example the digit and its influence).
    shape : tuple of int, default (8, 8)
        The shape each image is reshaped to.
    width : float, default 6.8
        The figure's width in inches.

    Returns
    -------
    matplotlib Figure
        The figure, not shown; glue it or close it.

    Raises
    ------
    ValueError
        If the two rows hold different numbers of images.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_helpful_harmful(np.zeros(64), np.eye(64)[:3], np.eye(64)[3:6])
    >>> len(fig.axes)  # the test image and two rows of three
    7
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    helpful, harmful = np.atleast_2d(helpful), np.atleast_2d(harmful)
    if helpful.shape[0] != harmful.shape[0]:
        raise ValueError(f"the rows hold {helpful.shape[0]} helpful and {harmful.shape[0]} "
                         "harmful images; give the same number of each")
    k = helpful.shape[0]
    fig = plt.figure(figsize=(width, 3.9))
    grid = fig.add_gridspec(2, k + 2, width_ratios=[1.3, 0.3] + [1] * k)
    plot_images(np.atleast_2d(test_image), None if test_title is None else [test_title],
                shape=shape, axes=[fig.add_subplot(grid[:, 0])])
    rows = [(helpful, helpful_titles, "helpful"), (harmful, harmful_titles, "harmful")]
    for row, (images, titles, name) in enumerate(rows):
        axes = [fig.add_subplot(grid[row, 2 + c]) for c in range(k)]
        plot_images(images, titles, shape=shape, axes=axes)
        axes[0].text(-0.35, 0.5, name, transform=axes[0].transAxes, rotation=90,
                     ha="center", va="center", fontsize="medium")
    fig.tight_layout()
    return fig
