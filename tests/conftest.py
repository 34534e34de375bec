"""Shared data for the package tests.

Every fixture builds its data from a fixed seed with numpy, so each test sees the same
numbers on every run. Nothing here is autouse: the browser tests are unaffected.
"""

import numpy as np
import pytest

from influence_demo import LinearRegression, LogisticRegression, add_intercept, make_logistic_data


@pytest.fixture
def ls_data():
    """A small least-squares problem with an intercept column: X (12, 3), y (12,)."""
    rng = np.random.default_rng(0)
    X = add_intercept(rng.normal(size=(12, 2)))
    y = X @ np.array([1.5, -2.0, 0.5]) + rng.normal(scale=0.3, size=12)
    return X, y


@pytest.fixture
def logistic_data():
    """A small overlapping two-class problem with an intercept column: X (40, 4), y (40,)."""
    X, y, _, _ = make_logistic_data(40, 3, rng=3)
    return add_intercept(X), y


@pytest.fixture(scope="module")
def l2_logistic_problem():
    """Fitted L2 logistic regression (l2 = 1) on 50 training and 20 test points, p = 4."""
    X, y, X_test, y_test = make_logistic_data(50, 3, rng=0, n_test=20)
    X, X_test = add_intercept(X), add_intercept(X_test)
    model = LogisticRegression(l2=1.0).fit(X, y)
    return model, X, y, X_test, y_test


@pytest.fixture(params=["linear", "linear-l2", "logistic", "logistic-l2"])
def any_model(request, ls_data, logistic_data):
    """Each model, with and without an L2 penalty, with its (unfitted) data and a random theta."""
    rng = np.random.default_rng(42)
    if request.param.startswith("linear"):
        model = LinearRegression(l2=0.7 if request.param.endswith("l2") else 0.0)
        X, y = ls_data
    else:
        model = LogisticRegression(l2=0.7 if request.param.endswith("l2") else 0.0)
        X, y = logistic_data
    theta = rng.normal(size=X.shape[1])
    return model, X, y, theta
