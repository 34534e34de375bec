"""Errors and warnings raised by :mod:`influence_demo`.

Each one names what went wrong and what to do about it, so that a bad input never turns
into a silently wrong number.
"""


class NotFittedError(ValueError, AttributeError):
    """A model was used before :meth:`fit` was called (or ``theta_`` was set).

    It subclasses both ``ValueError`` and ``AttributeError``, as scikit-learn's does.
    """


class NotPositiveDefiniteError(ValueError):
    """The (damped) Hessian is singular or indefinite, so ``H^{-1}`` does not exist.

    The influence function needs ``H`` to be positive definite. The usual cures are a
    positive ``damping`` in the solver or an L2 penalty (``l2 > 0``) in the model.
    """


class SeparableDataError(ValueError):
    """Logistic regression without a penalty on linearly separable data.

    The maximum-likelihood estimate does not exist: the loss keeps falling as ``||theta||``
    grows, so any "fit" depends on when the optimiser stopped. Use ``l2 > 0``.
    """


class ConvergenceError(RuntimeError):
    """An iterative method failed outright (for example, LiSSA diverged to inf)."""


class ConvergenceWarning(RuntimeWarning):
    """An iterative method stopped before reaching its tolerance; the warning names the residual."""


class NotAtOptimumWarning(RuntimeWarning):
    """The parameters do not minimise the objective: the influence function is not defined there."""
