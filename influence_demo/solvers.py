r"""Solvers for :math:`(H + \delta I)^{-1} V`: direct (Cholesky), conjugate gradient and LiSSA.

All three solve for every column of ``V`` at once. The direct solve factors the explicit
Hessian once; CG and LiSSA only ever touch Hessian-vector products, so they extend to
models whose Hessian is too large to form.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import solve_triangular

from ._linalg import Cholesky
from ._validation import check_finite, check_fitted, check_nonnegative
from .exceptions import ConvergenceError, ConvergenceWarning, NotPositiveDefiniteError

METHODS = ("direct", "cg", "lissa")


@dataclass
class SolverInfo:
    """How an iterative solve went.

    Parameters
    ----------
    converged, n_iter, residuals, tolerance
        The attributes below; solvers create it, users read it.

    Attributes
    ----------
    converged : bool
        True if every column reached its tolerance.
    n_iter : int
        Iterations (CG) or recursion depth (LiSSA) used.
    residuals : ndarray, shape (n_iter + 1, k)
        :math:`\\lVert b_j - A x_j\\rVert_2` for each right-hand side, after each iteration
        (CG: the recurrence residual; LiSSA: only the final residual is computed).
    tolerance : ndarray, shape (k,)
        The residual each column had to reach.

    Examples
    --------
    >>> _, info = cg(lambda P: 2.0 * P, np.ones(3))
    >>> info.converged, info.status, info.n_iter
    (True, 0, 1)
    >>> cg(lambda P: 2.0 * P, np.ones(3), maxiter=0, warn=False)[1].status
    1
    """

    converged: bool
    n_iter: int
    residuals: np.ndarray = field(repr=False)
    tolerance: np.ndarray = field(repr=False)

    @property
    def status(self):
        """0 on success, else a positive number.

        The number of iterations run, as in scipy, or 1 when no iteration was allowed
        (``maxiter=0``), so that a nonzero status always means that some column missed its
        tolerance.
        """
        return 0 if self.converged else max(int(self.n_iter), 1)

    @property
    def final_residual(self):
        """Largest final residual over the right-hand sides."""
        return float(np.max(self.residuals[-1]))


def _as_rhs(B, p=None, name="V"):
    B = np.asarray(B, dtype=float)
    if B.ndim not in (1, 2) or (p is not None and B.shape[0] != p):
        want = f"({p},) or ({p}, k)" if p is not None else "(p,) or (p, k)"
        raise ValueError(f"{name} must have shape {want}; got {B.shape}")
    check_finite(B, name)
    return B


def cg(matvec, B, *, x0=None, rtol=1e-10, atol=0.0, maxiter=None, callback=None, warn=True,
       block=False):
    r"""Conjugate gradient for :math:`A X = B` with a symmetric positive definite ``A``.

    With ``block=False`` (the default) every column of ``B`` runs its own CG recurrence
    (Hestenes & Stiefel 1952), but all columns advance together, so each iteration costs one
    call ``matvec(P)`` on a (p, k) block rather than k calls.

    With ``block=True`` the columns share one block Krylov space,
    :math:`\operatorname{span}\{R_0, AR_0, A^2R_0, \dots\}`, as in O'Leary's block CG
    (1980). Each iteration minimises the :math:`A`-norm error of every column over the
    whole block of search directions, which is kept orthonormal and rank-revealed by an SVD
    so that dependent directions are dropped instead of breaking down (the breakdown-free
    variant of Ji & Li 2017). The block never has more than ``p`` columns, so with many
    right-hand sides (``k`` much larger than the number of distinct eigenvalues) it
    converges in a few iterations, each one ``matvec`` on at most ``min(p, k)`` columns.

    Either way, column ``j`` has converged when

    .. math::

        \lVert b_j - A x_j\rVert_2 \le \max(\mathrm{rtol}\,\lVert b_j\rVert_2,\ \mathrm{atol}),

    the form of scipy's ``cg`` stopping rule, with this function's own defaults
    (``rtol=1e-10``, ``atol=0``; scipy's default ``rtol`` is ``1e-5``). The residual is the
    one the recurrence carries. In exact arithmetic CG terminates in at most :math:`p`
    iterations (at most the number of distinct eigenvalues of ``A``).

    Parameters
    ----------
    matvec : callable
        ``matvec(P)`` returns ``A @ P`` for ``P`` of shape (p, k). ``A`` is never formed.
    B : array, shape (p,) or (p, k)
    x0 : array like ``B``, optional
        Starting guess (zeros by default).
    rtol : float, default 1e-10
        Relative tolerance on each column's residual 2-norm.
    atol : float, default 0
        Absolute tolerance on each column's residual 2-norm.
    maxiter : int, optional
        Iteration cap; default ``10 * p``, as in scipy. ``maxiter=0`` runs no iteration and
        reports ``converged=False`` (``status`` 1) unless ``x0`` already meets the tolerance.
    callback : callable, optional
        Called as ``callback(xk)`` after each iteration with the current iterate.
    warn : bool, default True
        Issue a :class:`~influence_demo.exceptions.ConvergenceWarning` if a column misses
        its tolerance.
    block : bool, default False
        Share one Krylov space among the columns (block CG) instead of one recurrence per
        column. Worth it when ``B`` has many columns; with one column the two agree.

    Returns
    -------
    X : ndarray, same shape as ``B``
    info : SolverInfo
        ``info.converged``, ``info.n_iter`` and the residual history ``info.residuals``.

    Raises
    ------
    NotPositiveDefiniteError
        If a search direction (block) has :math:`P^\top A P` not positive definite, which
        proves that ``A`` is not positive definite.

    References
    ----------
    Hestenes & Stiefel (1952), *Methods of conjugate gradients for solving linear systems*,
    J. Res. Nat. Bur. Standards 49. O'Leary (1980), *The block conjugate gradient algorithm
    and related methods*, Linear Algebra Appl. 29. Ji & Li (2017), *A breakdown-free block
    conjugate gradient method*, BIT Numer. Math. 57.

    Examples
    --------
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> X, info = cg(lambda P: A @ P, np.array([1.0, 2.0]))
    >>> np.allclose(A @ X, [1.0, 2.0]), info.converged, info.n_iter
    (True, True, 2)

    Three right-hand sides in two dimensions span the whole space, so block CG is done
    after one iteration where the per-column recurrences need two:

    >>> B = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]])
    >>> Xb, info = cg(lambda P: A @ P, B, block=True)
    >>> np.allclose(A @ Xb, B), info.n_iter, cg(lambda P: A @ P, B)[1].n_iter
    (True, 1, 2)
    """
    B = _as_rhs(B, name="B")
    vector = B.ndim == 1
    Bm = B[:, None] if vector else B
    p = Bm.shape[0]
    rtol = check_nonnegative(rtol, "rtol")
    atol = check_nonnegative(atol, "atol")
    maxiter = 10 * p if maxiter is None else int(maxiter)
    if maxiter < 0:
        raise ValueError(f"maxiter must be >= 0; got {maxiter}")
    if block not in (True, False):
        raise ValueError(f"block must be True or False; got {block!r}")

    def A(P):
        Q = P[:, 0] if vector else P
        out = np.asarray(matvec(Q), dtype=float)
        if out.shape != Q.shape and not (vector and out.shape == P.shape):
            raise ValueError(f"matvec returned shape {out.shape}; expected {Q.shape}")
        return out.reshape(P.shape)

    def A_cols(P):
        # The block recurrence calls matvec on (p, r) blocks whatever the shape of B.
        if vector and P.shape[1] == 1:
            return A(P)
        out = np.asarray(matvec(P), dtype=float)
        if out.shape != P.shape:
            raise ValueError(f"matvec returned shape {out.shape}; expected {P.shape}")
        return out

    if x0 is None:
        X = np.zeros_like(Bm)
        R = Bm.copy()
    else:
        X = _as_rhs(x0, p, "x0").reshape(p, -1).copy()
        if X.shape != Bm.shape:
            raise ValueError(f"x0 must have the shape of B, {B.shape}; got {np.shape(x0)}")
        R = Bm - A(X)
    tolerance = np.maximum(rtol * np.linalg.norm(Bm, axis=0), atol)
    report = None if callback is None else (
        lambda X: callback(X[:, 0].copy() if vector else X.copy()))
    run = _block_cg if block else _column_cg
    X, history, it = run(A_cols if block else A, X, R, tolerance, maxiter, report)
    converged = bool(np.all(history[-1] <= tolerance))
    info = SolverInfo(converged, it, np.array(history), tolerance)

    def message():
        worst = int(np.argmax(history[-1] / np.maximum(tolerance, np.finfo(float).tiny)))
        return (
            f"CG did not converge in {it} iterations: residual {history[-1][worst]:.3e} "
            f"> tolerance {tolerance[worst]:.3e} (column {worst}). Raise maxiter, loosen "
            "rtol, or add damping to improve the conditioning."
        )

    return _solution(X, vector, info, warn, message)


def _solution(X, vector, info, warn, message):
    """``(x, info)`` as the solvers return it; a ConvergenceWarning with ``message()`` if needed."""
    if warn and not info.converged:
        warnings.warn(message(), ConvergenceWarning, stacklevel=3)
    return (X[:, 0] if vector else X), info


def _not_pd(value, it):
    return NotPositiveDefiniteError(
        f"CG found a direction with p^T A p = {value:.3e} <= 0 at iteration {it}: "
        "the operator is not positive definite. Add damping (damping > 0) or an "
        "L2 penalty (l2 > 0)."
    )


def _column_cg(A, X, R, tolerance, maxiter, report):
    """One CG recurrence per column, all advanced together; returns (X, history, n_iter)."""
    rs = np.einsum("ij,ij->j", R, R)
    history = [np.sqrt(rs)]
    active = np.sqrt(rs) > tolerance
    P = R.copy()
    it = 0
    while active.any() and it < maxiter:
        it += 1
        AP = A(P)
        pAp = np.einsum("ij,ij->j", P, AP)
        if np.any(pAp[active] <= 0):
            j = int(np.flatnonzero(active & (pAp <= 0))[0])
            raise _not_pd(pAp[j], it)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(active, rs / pAp, 0.0)
        X += alpha * P
        R -= alpha * AP
        rs_new = np.einsum("ij,ij->j", R, R)
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = np.where(active, rs_new / rs, 0.0)
        P = R + beta * P
        rs = np.where(active, rs_new, rs)
        history.append(np.sqrt(rs))
        active = np.sqrt(rs) > tolerance
        if report is not None:
            report(X)
    return X, history, it


def _orth(Z):
    """Orthonormal basis of the numerical column space of ``Z`` (rank revealed by an SVD)."""
    U, s, _ = np.linalg.svd(Z, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return U[:, :0]
    keep = s > s[0] * max(Z.shape) * np.finfo(float).eps
    return U[:, keep]


def _block_cg(A, X, R, tolerance, maxiter, report):
    r"""Breakdown-free block CG (Ji & Li 2017); returns (X, history, n_iter).

    With an orthonormal block :math:`P` of search directions and :math:`Q = AP`:
    :math:`X \mathrel{+}= P\alpha`, :math:`R \mathrel{-}= Q\alpha` with
    :math:`\alpha = (P^\top Q)^{-1}P^\top R`; the next block is the orthonormalised
    :math:`R + P\beta`, :math:`\beta = -(P^\top Q)^{-1}Q^\top R`, which is
    :math:`A`-conjugate to :math:`P`.
    """
    norms = np.linalg.norm(R, axis=0)
    history = [norms]
    active = norms > tolerance
    P = _orth(R[:, active])
    it = 0
    while active.any() and it < maxiter:
        if P.shape[1] == 0:  # residuals below rounding of the largest: nothing left to search
            break
        it += 1
        Q = A(P)
        PQ = P.T @ Q
        PQ = 0.5 * (PQ + PQ.T)
        try:
            L = np.linalg.cholesky(PQ)
        except np.linalg.LinAlgError:
            raise _not_pd(float(np.linalg.eigvalsh(PQ)[0]), it) from None
        alpha = _chol_solve(L, P.T @ R)
        X += P @ alpha
        R -= Q @ alpha
        norms = np.linalg.norm(R, axis=0)
        history.append(norms)
        active = norms > tolerance
        if report is not None:
            report(X)
        if not active.any():
            break
        beta = -_chol_solve(L, Q.T @ R[:, active])
        P = _orth(R[:, active] + P @ beta)
    return X, history, it


def _chol_solve(L, B):
    """Solve :math:`LL^\\top Y = B` for a lower-triangular Cholesky factor ``L``."""
    return solve_triangular(L.T, solve_triangular(L, B, lower=True), lower=False)


def _power_max_eig(matvec, p, rng, n_iter=30):
    """Estimate the largest eigenvalue of an SPD operator by power iteration."""
    v = rng.standard_normal(p)
    v /= np.linalg.norm(v)
    lam = 0.0
    for _ in range(n_iter):
        w = matvec(v)
        lam = float(np.linalg.norm(w))
        if lam == 0:
            return 0.0
        v = w / lam
    return lam


def lissa(
    model,
    X,
    y,
    V,
    *,
    damping=0.0,
    scale=None,
    depth=1000,
    repeats=1,
    batch_size=None,
    rng=None,
    rtol=1e-3,
    warn=True,
    curvature="hessian",
):
    r"""LiSSA: a truncated, optionally stochastic Neumann series for :math:`(H+\delta I)^{-1}V`.

    With :math:`A = (H + \delta I)/s`, the series :math:`A^{-1} = \sum_{j\ge0}(I - A)^j`
    converges when every eigenvalue of :math:`A` lies in :math:`(0, 2)`, that is when
    the scale :math:`s` exceeds half the largest eigenvalue of :math:`H + \delta I`.
    Agarwal et al. (2017) evaluate it by the recursion

    .. math::

        U_0 = V, \qquad U_j = V + \Bigl(I - \tfrac{1}{s}(\tilde H_j + \delta I)\Bigr) U_{j-1},
        \qquad (H+\delta I)^{-1} V \approx U_{J}/s,

    where :math:`\tilde H_j` is the full Hessian (``batch_size=None``) or an unbiased
    estimate from a random mini-batch :math:`B_j`:
    :math:`\tilde H_j = \tfrac{n}{|B_j|}\sum_{i\in B_j}\nabla^2 L(z_i) + \lambda I`.
    The ``repeats`` independent runs are averaged.

    The error after :math:`J` steps shrinks like :math:`(1 - \mu_{\min}/s)^J`, where
    :math:`\mu_{\min}` is the smallest eigenvalue of :math:`H+\delta I`: an
    ill-conditioned Hessian needs depth of order :math:`\kappa`, and damping helps.

    Parameters
    ----------
    model : fitted LinearRegression or LogisticRegression
    X, y : training data
    V : array, shape (p,) or (p, k)
    damping : float, default 0
    scale : float, optional
        :math:`s`. By default 1.1 times the largest eigenvalue of :math:`H + \delta I`,
        estimated by 30 steps of power iteration.
    depth : int, default 1000
        Recursion depth :math:`J`.
    repeats : int, default 1
    batch_size : int, optional
        Mini-batch size; ``None`` uses all ``n`` points (deterministic).
    rng : numpy.random.Generator or int, optional
        Seeds the mini-batches and the power iteration.
    rtol : float, default 1e-3
        After the recursion the relative residual
        :math:`\max_j \lVert (H+\delta I)x_j - v_j\rVert / \lVert v_j\rVert` is computed
        with one exact Hessian-vector product; above ``rtol`` a ConvergenceWarning names it.
    warn : bool, default True
        Warn with a ConvergenceWarning when the final residual is above ``rtol``.
    curvature : {"hessian", "ggn"}, default "hessian"
        See :func:`inverse_hvp`.

    Returns
    -------
    X : ndarray, same shape as ``V``
    info : SolverInfo

    Raises
    ------
    ConvergenceError
        If the recursion blows up (non-finite or growing iterates), which means ``scale``
        is too small.

    References
    ----------
    Agarwal, Bullins & Hazan (2017), *Second-order stochastic optimization for machine
    learning in linear time*, JMLR 18.

    Examples
    --------
    On a well-conditioned problem the recursion reaches the direct solve:

    >>> from influence_demo import LogisticRegression, inverse_hvp, make_logistic_data
    >>> X, y, _, _ = make_logistic_data(200, 3, rng=0)
    >>> model = LogisticRegression(l2=1.0).fit(X, y)
    >>> v = np.ones(3)
    >>> x, info = lissa(model, X, y, v, depth=200, rtol=1e-8)
    >>> info.converged, bool(np.allclose(x, inverse_hvp(model, X, y, v), rtol=1e-8))
    (True, True)
    """
    check_fitted(model)
    damping = check_nonnegative(damping, "damping")
    rng = np.random.default_rng(rng)
    op = curvature_operator(model, X, y, curvature)
    n, p = op.n, op.p
    V = _as_rhs(V, p)
    vector = V.ndim == 1
    Vm = V[:, None] if vector else V
    depth, repeats = int(depth), int(repeats)
    if depth < 1 or repeats < 1:
        raise ValueError(f"depth and repeats must be >= 1; got depth={depth}, repeats={repeats}")
    if batch_size is not None:
        batch_size = int(batch_size)
        if not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must lie in [1, n={n}]; got {batch_size}")

    def full(U):
        return op(U) + damping * U

    if scale is None:
        scale = 1.1 * _power_max_eig(full, p, rng)
    scale = float(scale)
    if not scale > 0:
        raise ValueError(f"scale must be > 0; got {scale}")
    vnorm = np.maximum(np.linalg.norm(Vm, axis=0), np.finfo(float).tiny)
    total = np.zeros_like(Vm)
    for _ in range(repeats):
        U = Vm.copy()
        # A too-small scale overflows within a few steps; the growth check below turns
        # that into a ConvergenceError rather than a stream of floating-point warnings.
        with np.errstate(over="ignore", invalid="ignore"):
            for j in range(depth):
                if batch_size is None:
                    HU = full(U)
                else:
                    idx = rng.choice(n, size=batch_size, replace=False)
                    HU = op.on_subset(idx, U, n / batch_size) + damping * U
                U = Vm + U - HU / scale
                if j % 10 == 9 or j == depth - 1:
                    growth = np.max(np.linalg.norm(U, axis=0) / vnorm)
                    if not np.isfinite(growth) or growth > 1e12:
                        raise ConvergenceError(
                            f"LiSSA diverged after {j + 1} steps (iterate norm grew by "
                            f"{growth:.1e}): scale = {scale:.4g} is too small. It must exceed "
                            "half the largest eigenvalue of H + damping*I; raise scale or leave "
                            "it None to estimate it."
                        )
        total += U / scale
    Xs = total / repeats
    resid = np.linalg.norm(full(Xs) - Vm, axis=0)
    rel = resid / vnorm
    info = SolverInfo(bool(np.all(rel <= rtol)), depth, resid[None, :], rtol * vnorm)
    return _solution(Xs, vector, info, warn, lambda: (
        f"LiSSA did not reach rtol = {rtol:.1e}: relative residual {rel.max():.3e} after "
        f"depth {depth} x {repeats} repeat(s) with scale {scale:.4g}. Raise depth, add "
        "damping, or use method='cg'."
    ))


CURVATURES = ("hessian", "ggn")


def curvature_operator(model, X, y, curvature="hessian"):
    """The map :math:`V \\mapsto CV` for the curvature :math:`C` that ``curvature`` names.

    ``"hessian"`` is ``model.hvp_operator``; ``"ggn"`` is the Gauss–Newton matrix,
    ``model.ggn_operator``, which only models with a nonlinear output layer provide (for a
    model whose loss is a function of :math:`x^\\top\\theta` the two are equal).

    Parameters
    ----------
    model : fitted model
    X, y : the training data
    curvature : {"hessian", "ggn"}

    Returns
    -------
    callable
        With attributes ``n`` and ``p``.

    Raises
    ------
    ValueError
        For an unknown ``curvature``, or ``"ggn"`` with a model that has no GGN.

    Examples
    --------
    >>> from influence_demo import LinearRegression
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]); y = np.array([1.0, 2.0, 0.0])
    >>> op = curvature_operator(LinearRegression().fit(X, y), X, y)
    >>> op(np.array([1.0, 0.0]))
    array([4., 2.])
    """
    _check_curvature(model, curvature)
    return model.hvp_operator(X, y) if curvature == "hessian" else model.ggn_operator(X, y)


def _check_curvature(model, curvature):
    if curvature not in CURVATURES:
        raise ValueError(f"curvature must be 'hessian' or 'ggn'; got {curvature!r}")
    if curvature == "ggn" and not callable(getattr(model, "ggn", None)):
        raise ValueError(
            f"{type(model).__name__} has no Gauss-Newton matrix (ggn): its loss depends on theta "
            "only through x^T theta, so the GGN is the Hessian. Use curvature='hessian'."
        )


def _curvature_cholesky(model, X, y, curvature, damping):
    """Cholesky of the explicit curvature plus damping; an indefinite one gets an error that
    names its most negative eigenvalue and the damping that would fix it."""
    _check_curvature(model, curvature)
    name = "Hessian" if curvature == "hessian" else "Gauss-Newton matrix"
    C = model.hessian(X, y) if curvature == "hessian" else model.ggn(X, y)
    A = C.copy()
    A[np.diag_indices_from(A)] += damping
    try:
        return Cholesky(A, f"{name} + damping*I")
    except NotPositiveDefiniteError as err:
        eig = np.linalg.eigvalsh(C)
        lam = float(eig[0])
        if lam + damping > 0 or lam >= -1e-10 * float(np.max(np.abs(eig))):
            raise  # positive definite after all, or singular rather than indefinite
        raise NotPositiveDefiniteError(
            f"{err} The {name} is indefinite: its most negative eigenvalue is {lam:.4g}, so "
            f"damping must exceed {-lam:.4g} (got damping={damping:g}). Or use "
            "curvature='ggn': the Gauss-Newton matrix is positive semi-definite."
        ) from None


def inverse_hvp(
    model, X, y, V, method="direct", damping=0.0, return_info=False, curvature="hessian", **options
):
    r"""Solve :math:`(H + \delta I)\,U = V` for the training Hessian of a fitted model.

    :math:`H = \nabla^2 R(\hat\theta)` includes the model's L2 penalty; ``damping``
    :math:`\delta` adds to it (a common regulariser when :math:`H` is near-singular).

    Parameters
    ----------
    model : fitted LinearRegression or LogisticRegression
    X, y : the training data that defines :math:`H`
    V : array, shape (p,) or (p, k)
    method : {"direct", "cg", "lissa"}
        ``"direct"`` factors :math:`H + \delta I` once by Cholesky (never ``inv``).
        ``"cg"`` runs :func:`cg` on Hessian-vector products only.
        ``"lissa"`` runs :func:`lissa`.
    damping : float, default 0
    return_info : bool, default False
        Also return the :class:`SolverInfo` (``None`` for ``"direct"``).
    curvature : {"hessian", "ggn"}, default "hessian"
        Solve with the Hessian, or with the Gauss–Newton matrix :math:`G` (positive
        semi-definite, the curvature of K-FAC and EK-FAC) of a model that has one
        (:class:`~influence_demo.nn.MLPClassifier`, :class:`~influence_demo.nn.SoftmaxRegression`).
    **options
        Passed to :func:`cg` (``rtol``, ``atol``, ``maxiter``, ``callback``, ``x0``,
        ``block``; ``block=True`` shares one Krylov space among many right-hand sides) or
        :func:`lissa` (``scale``, ``depth``, ``repeats``, ``batch_size``, ``rng``, ``rtol``).

    Returns
    -------
    U : ndarray, same shape as ``V``

    Raises
    ------
    NotPositiveDefiniteError
        If :math:`H + \delta I` is singular or indefinite (add damping or an L2 penalty).
        For an indefinite matrix the message names its most negative eigenvalue and the
        damping that would make it positive definite.

    Examples
    --------
    >>> from influence_demo import LinearRegression
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]); y = np.array([1.0, 2.0, 0.0])
    >>> model = LinearRegression().fit(X, y)
    >>> v = np.array([1.0, -1.0])
    >>> u_direct = inverse_hvp(model, X, y, v)
    >>> u_cg = inverse_hvp(model, X, y, v, method="cg")
    >>> np.allclose(u_direct, u_cg, atol=1e-12), np.allclose(model.hessian(X, y) @ u_direct, v)
    (True, True)
    """
    if method not in METHODS:
        choices = ", ".join(map(repr, METHODS))
        raise ValueError(f"Unknown method {method!r}; choose one of {choices}")
    damping = check_nonnegative(damping, "damping")
    check_fitted(model)
    V = _as_rhs(V, model.n_params_)
    if method == "direct":
        if options:
            raise TypeError(f"method='direct' takes no options; got {sorted(options)}")
        U = _curvature_cholesky(model, X, y, curvature, damping).solve(V)
        info = None
    elif method == "cg":
        op = curvature_operator(model, X, y, curvature)
        U, info = cg(lambda P: op(P) + damping * P, V, **options)
    else:
        U, info = lissa(model, X, y, V, damping=damping, curvature=curvature, **options)
    return (U, info) if return_info else U
