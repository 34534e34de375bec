"""Input checks shared by the models, solvers and influence functions."""

import numpy as np

from .exceptions import NotFittedError


def is_sparse(a):
    """True for a scipy sparse matrix or array (checked without importing scipy.sparse)."""
    return hasattr(a, "toarray") and hasattr(a, "nnz")


def is_dask_array(a):
    """True for a dask array (checked without importing dask, which is optional)."""
    return type(a).__module__.split(".")[0] == "dask" and hasattr(a, "__dask_graph__")


def as_matrix(X, name="X"):
    """Return ``X`` as a finite 2-D float array, or raise an error that says why not.

    ValueError for a wrong shape, NaN or inf; TypeError for a scipy sparse matrix.
    """
    if is_sparse(X):
        raise TypeError(
            f"{name} is a scipy sparse matrix ({type(X).__name__}, shape {X.shape}); the "
            f"models work with dense arrays. Pass {name}.toarray() (it needs "
            f"{8 * X.shape[0] * X.shape[1]:,} bytes)."
        )
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        if X.ndim == 1 and "test" in name:
            hint = (f"Use {name}.reshape(1, -1) for a single test point (one row of "
                    f"{X.shape[0]} features), or {name}.reshape(-1, 1) for a single feature.")
        else:
            hint = (f"Use {name}.reshape(-1, 1) for a single feature, or {name}.reshape(1, -1) "
                    "for a single sample.")
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features); got shape {X.shape}. {hint}"
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must not be empty; got shape {X.shape}")
    check_finite(X, name)
    return X


def as_vector(y, name="y"):
    """Return ``y`` as a finite 1-D float array; labels that are strings get a hint."""
    try:
        y = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        words = [v for v in np.ravel(np.asarray(y, dtype=object)) if isinstance(v, str | bytes)]
        if not words:
            raise
        first = words[0] if isinstance(words[0], bytes) else str(words[0])  # not np.str_
        raise ValueError(
            f"{name} holds labels that are strings (such as {first!r}), not numbers. Map "
            "them the way the training labels were mapped: for a model from from_sklearn, "
            "pass them through adapted.transform(X_test, y_test), which turns the "
            "estimator's classes into 0 .. K-1."
        ) from None
    if y.ndim != 1:
        hint = f" Pass {name}.ravel()." if y.ndim == 2 and y.shape[1] == 1 else ""
        raise ValueError(f"{name} must be 1-D with shape (n_samples,); got shape {y.shape}.{hint}")
    check_finite(y, name)
    return y


def check_finite(a, name):
    """Raise ValueError if ``a`` holds NaN or inf."""
    a = np.asarray(a)
    if not np.all(np.isfinite(a)):
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"{name} contains NaN or inf ({bad} non-finite value(s))")


def check_Xy(X, y, n_features=None, names=("X", "y")):
    """Validate a design matrix and its targets together.

    ``n_features``, when given, is the number of columns ``X`` must have (the model's ``p``).
    """
    X = as_matrix(X, names[0])
    y = as_vector(y, names[1])
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{names[0]} and {names[1]} have different lengths: "
            f"{X.shape[0]} rows against {y.shape[0]} targets"
        )
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{names[0]} has {X.shape[1]} columns but the model was fitted with {n_features} "
            "(did you forget add_intercept?)"
        )
    return X, y


def check_data(model, X, y, names=("X", "y")):
    """``X, y`` validated for a fitted ``model``: its number of features, labels it can take.

    ``names`` are the argument names that the error messages use (``("X_test", "y_test")``).
    """
    X, y = check_Xy(X, y, n_features=model.n_features_, names=names)
    model.check_targets(y)
    return X, y


def check_indices(indices, n, name="indices", allow_negative=True):
    """Validated indices into ``n`` training points, as a 1-D int array (all of them if None).

    With ``allow_negative``, negative indices count from the end, as in numpy. Repeats and
    an empty list are allowed. Floats and booleans are refused rather than truncated.
    """
    if indices is None:
        return np.arange(n)
    idx = np.asarray(indices)
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if idx.ndim != 1 or not (idx.size == 0 or np.issubdtype(idx.dtype, np.integer)):
        raise ValueError(f"{name} must be a 1-D sequence of integers; got {indices!r}")
    if not allow_negative and np.any((idx < 0) | (idx >= n)):
        raise ValueError(f"{name} indices must lie in 0 .. {n - 1}; got {idx.tolist()}")
    if np.any((idx < -n) | (idx >= n)):
        raise ValueError(f"{name} must lie in [-{n}, {n}) for {n} training points")
    return np.where(idx < 0, idx + n, idx).astype(int)


def check_binary(y, name="y"):
    """Raise ValueError unless every label is 0 or 1."""
    bad = ~np.isin(y, (0.0, 1.0))
    if np.any(bad):
        y = np.asarray(y)
        shown = np.unique(y[bad])[:5]
        labels = np.unique(y)
        if labels.size == 2 and labels.tolist() != [-1.0, 1.0]:
            hint = (f"Map the two labels {labels.tolist()} to 0 and 1, for example with "
                    f"(y == {labels[1]:g}).astype(float).")
        elif np.all(labels >= 0) and np.all(labels == np.round(labels)) and labels.max() >= 2:
            K = int(labels.max()) + 1
            hint = (f"These look like the class labels 0..{K - 1} of a {K}-class problem: "
                    "LogisticRegression is binary; use the multi-class SoftmaxRegression.")
        else:
            hint = "Map {-1, +1} labels with (y + 1) / 2."
        raise ValueError(
            f"{name} must contain only the labels 0 and 1; found {shown.tolist()}. {hint}"
        )


def check_nonnegative(value, name):
    """Raise ValueError unless ``value`` is a finite number >= 0."""
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value}")
    return value


def check_theta(theta, p):
    """Validate an explicit parameter vector of length ``p``."""
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (p,):
        raise ValueError(f"theta must have shape ({p},); got {theta.shape}")
    check_finite(theta, "theta")
    return theta


_MODEL_METHODS = ("grad", "hessian", "hvp_operator", "objective_grad", "refit")


def check_model(model):
    """Raise TypeError, saying how to adapt it, if ``model`` is not a model of this package."""
    missing = [name for name in _MODEL_METHODS if not callable(getattr(model, name, None))]
    if not missing:
        return
    kind = type(model)
    if kind.__module__.split(".")[0] == "sklearn":
        raise TypeError(
            f"{kind.__name__} is a scikit-learn estimator, not an influence_demo model. "
            "Convert the fitted estimator with influence_demo.from_sklearn(estimator, X, y), "
            "which returns a model with the same objective and parameters, and the data as "
            "that model sees them."
        )
    raise TypeError(
        f"{kind.__module__}.{kind.__name__} is not an influence_demo model: it lacks "
        f"{', '.join(missing)}. Use LinearRegression, LogisticRegression or another "
        "influence_demo.models.Model."
    )


def check_fitted(model):
    """Raise TypeError for a foreign model, and NotFittedError if ``model`` has no ``theta_``."""
    check_model(model)
    if getattr(model, "theta_", None) is None:
        raise NotFittedError(
            f"This {type(model).__name__} is not fitted yet: call fit(X, y) first "
            "(or set theta_ with with_theta)."
        )
