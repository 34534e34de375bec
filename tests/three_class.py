"""Three-class data for the tests of the networks, their curvature and their ground truths."""

import numpy as np


def three_class(n=30, d=3, seed=0):
    """``n`` Gaussian points in ``d`` dimensions, labelled by a noisy random linear rule."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.argmax(X @ rng.normal(size=(d, 3)) + rng.normal(size=(n, 3)), axis=1)
    return X, y
