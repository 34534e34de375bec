"""Input that users have: each mistake gets a message that says what to do."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    influence_loss,
    make_logistic_data,
    top_influences,
)


@pytest.fixture(scope="module")
def problem():
    X, y, X_test, y_test = make_logistic_data(30, 3, rng=0, n_test=4)
    return LogisticRegression(l2=1.0).fit(X, y), X, y, X_test, y_test


def test_a_column_of_targets_gets_a_hint_to_ravel(problem):
    _, X, y, _, _ = problem
    for Model in (LinearRegression, LogisticRegression):
        with pytest.raises(
            ValueError,
            match=r"y must be 1-D with shape \(n_samples,\); got shape \(30, 1\)\. "
            r"Pass y\.ravel\(\)\.",
        ):
            Model().fit(X, y[:, None])


def test_a_single_test_row_gets_a_hint_for_one_sample(problem):
    model, X, y, X_test, y_test = problem
    with pytest.raises(
        ValueError,
        match=r"X_test must be 2-D .* got shape \(3,\)\. Use X_test\.reshape\(1, -1\) for a single "
        r"test point \(one row of 3 features\)",
    ):
        influence_loss(model, X, y, X_test[0], y_test[:1])
    # A 1-D training X may be one feature or one sample: both hints.
    with pytest.raises(
        ValueError,
        match=r"Use X\.reshape\(-1, 1\) for a single feature, "
        r"or X\.reshape\(1, -1\) for a single sample",
    ):
        LinearRegression().fit(X[:, 0], y)


def test_multi_class_labels_point_to_a_multi_class_model(problem):
    _, X, _, _, _ = problem
    y3 = np.arange(30) % 3
    with pytest.raises(
        ValueError,
        match=r"found \[2\.0\]\. These look like the class labels 0\.\.2 of a 3-class problem: "
        r"LogisticRegression is binary; use the multi-class SoftmaxRegression\.",
    ):
        LogisticRegression().fit(X, y3)
    # {-1, +1} labels still get the mapping hint.
    with pytest.raises(ValueError, match=r"Map \{-1, \+1\} labels with \(y \+ 1\) / 2\."):
        LogisticRegression().fit(X, 2.0 * (y3 > 0) - 1)


def test_a_sparse_matrix_gets_a_clear_error(problem):
    model, X, y, X_test, y_test = problem
    msg = (
        r"X is a scipy sparse matrix \(csr_matrix, shape \(30, 3\)\); "
        r"the models work with dense arrays\. Pass X\.toarray\(\)"
    )
    with pytest.raises(TypeError, match=msg):
        LogisticRegression().fit(sparse.csr_matrix(X), y)
    with pytest.raises(TypeError, match=r"X_test is a scipy sparse matrix"):
        influence_loss(model, X, y, sparse.csr_matrix(X_test), y_test)


def test_a_scikit_learn_model_is_named_and_the_adapter_suggested(problem):
    _, X, y, X_test, y_test = problem
    sk = SkLogisticRegression().fit(X, y)
    msg = (
        r"LogisticRegression is a scikit-learn estimator, not an influence_demo model\. "
        r"Convert the fitted estimator with influence_demo\.from_sklearn\(estimator, X, y\)"
    )
    with pytest.raises(TypeError, match=msg) as info:
        influence_loss(sk, X, y, X_test, y_test)
    assert "not fitted" not in str(info.value)
    with pytest.raises(TypeError, match=msg):
        top_influences(sk, X, y, X_test, y_test)


def test_two_labels_other_than_0_1_get_a_binary_hint(problem):
    _, X, _, _, _ = problem
    y12 = 1.0 + (np.arange(30) % 2)
    with pytest.raises(ValueError, match=r"Map the two labels \[1\.0, 2\.0\] to 0 and 1, for example with \(y == 2\)"):
        LogisticRegression().fit(X, y12)


def test_string_labels_get_a_hint_to_transform_them(problem):
    model, X, y, X_test, y_test = problem
    raw = np.where(y_test == 1, "spam", "ham")
    msg = (
        r"^y_test holds labels that are strings \(such as '(spam|ham)'\), not numbers\. Map them "
        r"the way the training labels were mapped: for a model from from_sklearn, pass them "
        r"through adapted\.transform\(X_test, y_test\), which turns the estimator's classes "
        r"into 0 \.\. K-1\.$"
    )
    with pytest.raises(ValueError, match=msg):
        influence_loss(model, X, y, X_test, raw)
    with pytest.raises(ValueError, match=msg):
        top_influences(model, X, y, X_test, list(raw))
    with pytest.raises(ValueError, match=r"^y holds labels that are strings \(such as b'no'\)"):
        LogisticRegression().fit(X, np.where(y == 1, b"yes", b"no").astype(object))
    # The same labels through the adapter's transform are accepted.
    sk = SkLogisticRegression().fit(X, np.where(y == 1, "spam", "ham"))
    from influence_demo import from_sklearn

    adapted = from_sklearn(sk, X, np.where(y == 1, "spam", "ham"))
    Xt, yt = adapted.transform(X_test, raw)
    np.testing.assert_array_equal(yt, y_test)
    assert influence_loss(adapted.model, adapted.X, adapted.y, Xt, yt).shape == (4, 30)
