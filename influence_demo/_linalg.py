"""One Cholesky factorization, reused for every right-hand side."""

import numpy as np

from .exceptions import NotPositiveDefiniteError

# Reciprocal condition number (estimated from the Cholesky diagonal) below which a
# matrix is treated as singular: its inverse would be dominated by rounding error.
_RCOND = 1e3 * np.finfo(float).eps


class Cholesky:
    """Cholesky factor ``A = L L^T`` of a symmetric positive definite matrix.

    Raises :class:`NotPositiveDefiniteError` if ``A`` is indefinite or numerically
    singular, with a message that says how to fix it.
    """

    def __init__(self, A, what="Hessian"):
        A = np.asarray(A, dtype=float)
        try:
            self.L = np.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            raise NotPositiveDefiniteError(
                f"The {what} is not positive definite, so it cannot be inverted. "
                "Add damping (damping > 0) or an L2 penalty (l2 > 0)."
            ) from None
        d = np.diag(self.L)
        rcond = (d.min() / d.max()) ** 2
        if not np.isfinite(rcond) or rcond < _RCOND:
            raise NotPositiveDefiniteError(
                f"The {what} is numerically singular (estimated reciprocal condition "
                f"number {rcond:.1e}). Add damping (damping > 0) or an L2 penalty (l2 > 0)."
            )

    def solve(self, B):
        """Return ``A^{-1} B`` by two triangular solves (``B`` of shape (p,) or (p, k))."""
        W = np.linalg.solve(self.L, B)
        return np.linalg.solve(self.L.T, W)
