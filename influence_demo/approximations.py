r"""What the influence libraries compute: Arnoldi, DataInf, TRAK and gradient similarity.

Each function has the signature of :func:`~influence_demo.influence.influence_loss` and
returns an (m, n) array oriented like :math:`\mathcal I_{\text{up,loss}}` in this book's
**sum** convention (positive = harmful; the model's :math:`\lambda` is part of the
curvature; ``damping`` :math:`\delta` is added to it), so that each can be compared with
the exact influence entry by entry. Each replaces the exact

.. math::

    \mathcal I = -G_{\text{test}}\,(C + \delta I)^{-1}G^\top,

    C = \sum_i \nabla^2 L(z_i) + \lambda I \ \text{(or the Gauss–Newton matrix)},

by something cheaper:

* :func:`arnoldi_influence`: :math:`C` by its ``rank`` largest eigenpairs, found from
  curvature-vector products alone (Schioppa et al. 2022);
* :func:`~influence_demo.kfac.kfac_influence` (module :mod:`~influence_demo.kfac`): the
  layer blocks of :math:`C`, each a Kronecker product (K-FAC, EK-FAC);
* :func:`datainf_influence`: the inverse of the empirical Fisher's sum swapped for a sum
  of rank-one inverses, layer by layer (Kwon et al. 2023);
* :func:`trak_influence`: the Gauss–Newton matrix of the margins, without penalty, on
  randomly projected gradients (Park et al. 2023);
* :func:`grad_similarity`: no curvature at all (TracIn at one checkpoint).

Used in the chapter "Influence at scale: what the libraries approximate".
"""

import numpy as np

from ._validation import check_data, check_fitted, check_nonnegative
from .exceptions import NotPositiveDefiniteError
from .kfac import check_network, network_layers
from .solvers import curvature_operator

KINDS = ("dot", "cos")


def _gradients(model, X, y, X_test, y_test, stacklevel=4, check=True):
    """Validated data, training gradients (at an optimum, else a warning) and test gradients.

    ``check=False`` skips the optimality check, as ``influence_loss`` does for the GGN.
    """
    check_fitted(model)
    X, y = check_data(model, X, y)
    X_test, y_test = check_data(model, X_test, y_test, names=("X_test", "y_test"))
    G = model.grad(X, y)
    if check:
        model.check_optimality(X, y, G=G, stacklevel=stacklevel)
    return X, y, X_test, y_test, G, model.grad(X_test, y_test)


def _check_int(value, name, low, high=None):
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be an integer {span}; got {value!r}")
    return int(value)


def arnoldi_eigenpairs(op, n_iter, seed=0):
    r"""Ritz pairs of a symmetric operator after ``n_iter`` Arnoldi steps, largest first.

    Arnoldi (Lanczos, for a symmetric operator) builds an orthonormal basis :math:`Q_k` of
    the Krylov space :math:`\{v, Cv, \dots, C^{k-1}v\}` from a random start, reorthogonalised
    twice at every step, and :math:`T = Q_k^\top C Q_k`. The eigenpairs
    :math:`(\theta_j, Q_k w_j)` of :math:`T` approximate the extreme eigenpairs of
    :math:`C`; with :math:`k = p` they are exact. A breakdown (an invariant subspace) is
    continued with a new random direction, so :math:`k = p` always spans the space.

    Parameters
    ----------
    op : callable
        :math:`v \mapsto Cv` for a symmetric :math:`C`, with an attribute ``p``.
    n_iter : int
        Steps :math:`k`, ``1 <= n_iter <= p``.
    seed : int, default 0
        Seeds the start vector.

    Returns
    -------
    values : ndarray, shape (n_iter,)
        Ritz values, by decreasing absolute value.
    vectors : ndarray, shape (p, n_iter)
        Orthonormal Ritz vectors, in the same order.

    Examples
    --------
    >>> A = np.diag([5.0, -3.0, 1.0, 0.5])
    >>> op = lambda v: A @ v; op.p = 4
    >>> values, _ = arnoldi_eigenpairs(op, 4)
    >>> np.round(values, 12)
    array([ 5. , -3. ,  1. ,  0.5])
    """
    p = int(op.p)
    rng = np.random.default_rng(seed)
    Q = np.zeros((p, n_iter))
    T = np.zeros((n_iter, n_iter))
    v = rng.normal(size=p)
    Q[:, 0] = v / np.linalg.norm(v)
    scale = 0.0
    for k in range(n_iter):
        w = op(Q[:, k])
        scale = max(scale, float(np.linalg.norm(w)))
        for _ in range(2):  # classical Gram-Schmidt, twice
            coef = Q[:, : k + 1].T @ w
            w -= Q[:, : k + 1] @ coef
            T[: k + 1, k] += coef
        if k + 1 == n_iter:
            break
        beta = float(np.linalg.norm(w))
        if beta <= 1e-12 * scale:  # invariant subspace: restart orthogonally to it
            w = rng.normal(size=p)
            for _ in range(2):
                w -= Q[:, : k + 1] @ (Q[:, : k + 1].T @ w)
            beta = 0.0
            Q[:, k + 1] = w / np.linalg.norm(w)
        else:
            Q[:, k + 1] = w / beta
        T[k + 1, k] = beta
    values, W = np.linalg.eigh(0.5 * (T + T.T))
    order = np.argsort(-np.abs(values), kind="stable")
    return values[order], Q @ W[:, order]


def arnoldi_influence(
    model, X, y, X_test, y_test, rank, *, curvature="ggn", damping=0.0, seed=0, n_iter=None
):
    r"""Influence through the ``rank`` largest eigenpairs of the curvature, shape (m, n).

    Schioppa et al. (2022): run ``n_iter`` Arnoldi steps on curvature-vector products
    (:func:`arnoldi_eigenpairs`; the matrix is never formed), keep the ``rank`` Ritz pairs
    :math:`(\theta_k, u_k)` of largest :math:`|\theta_k|` and invert on their span only:

    .. math::

        \mathcal I_{ji} \approx -\sum_{k=1}^{\text{rank}}
            \frac{(u_k^\top g_{\text{test},j})(u_k^\top g_i)}{\theta_k + \delta}.

    What it gives up: the directions of small curvature, where :math:`(C+\delta I)^{-1}`
    is largest. At ``rank = n_iter = p`` it is the exact influence.

    Parameters
    ----------
    model : fitted Model
        At an optimum on ``X, y``.
    X, y : arrays, shape (n, d) and (n,)
        The training data; one column per point.
    X_test, y_test : arrays, shape (m, d) and (m,)
        The test points; one row each.
    rank : int
        Eigenpairs kept, ``1 <= rank <= p``.
    curvature : {"ggn", "hessian"}, default "ggn"
        :math:`C`: the Gauss–Newton matrix of a network, or the Hessian (the only choice
        for a model whose GGN is its Hessian).
    damping : float, default 0
        :math:`\delta \ge 0`, added to every kept eigenvalue.
    seed : int, default 0
        Seeds Arnoldi's start vector.
    n_iter : int, optional
        Arnoldi steps, ``rank <= n_iter <= p``; by default ``min(p, 2 * rank)``.

    Returns
    -------
    ndarray, shape (m, n)

    Raises
    ------
    ValueError
        For ``rank`` or ``n_iter`` out of range, negative damping or an unknown curvature.
    NotPositiveDefiniteError
        If a kept eigenvalue plus damping is not positive (an indefinite Hessian); it
        names the damping that fixes it.

    Warns
    -----
    NotAtOptimumWarning
        If ``theta_`` is not a minimiser on ``X, y``, for ``curvature="hessian"`` only: the
        GGN influence is the derivative of the PBRF, defined at any ``theta_``
        (:func:`~influence_demo.influence.influence_loss`).

    Examples
    --------
    At full rank it is the exact influence:

    >>> from influence_demo import MLPClassifier, influence_loss
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 2)); y = np.arange(20) % 3
    >>> model = MLPClassifier(n_hidden=3, l2=0.5).fit(X, y)
    >>> approx = arnoldi_influence(model, X, y, X[:2], y[:2], rank=model.n_params_)
    >>> np.allclose(approx, influence_loss(model, X, y, X[:2], y[:2], curvature="ggn"))
    True
    """
    damping = check_nonnegative(damping, "damping")
    X, y, X_test, y_test, G, G_test = _gradients(
        model, X, y, X_test, y_test, check=curvature != "ggn"
    )
    op = curvature_operator(model, X, y, curvature)
    p = int(op.p)
    rank = _check_int(rank, "rank", 1, p)
    n_iter = min(p, 2 * rank) if n_iter is None else _check_int(n_iter, "n_iter", rank, p)
    values, U = arnoldi_eigenpairs(op, n_iter, seed)
    values, U = values[:rank] + damping, U[:, :rank]
    if values.min() <= 0:
        worst = float(values.min() - damping)
        raise NotPositiveDefiniteError(
            f"a kept eigenvalue of the {curvature} plus damping is {values.min():.4g} <= 0: "
            f"the curvature is indefinite (eigenvalue {worst:.4g}), so damping must exceed "
            f"{-worst:.4g} (got damping={damping:g}). Or use curvature='ggn'."
        )
    return -((G_test @ U) / values) @ (G @ U).T


def layer_slices(model):
    """The slices of ``theta`` that hold each layer (the whole vector for a linear model).

    Parameters
    ----------
    model : fitted Model
        A network (its layers) or any other model (one block).

    Returns
    -------
    list of slice

    Examples
    --------
    >>> from influence_demo import MLPClassifier
    >>> X = np.eye(3); model = MLPClassifier(n_hidden=2).fit(X, [0, 1, 2])
    >>> layer_slices(model)
    [slice(0, 8, None), slice(8, 17, None)]
    """
    check_fitted(model)
    try:
        check_network(model, "layer_slices")
    except TypeError:
        return [slice(0, int(model.n_params_))]
    X0 = np.zeros((1, model.n_features_))
    return [slice(L.offset, L.offset + L.size) for L in network_layers(model, X0)]


def datainf_influence(model, X, y, X_test, y_test, *, damping):
    r"""DataInf (Kwon et al. 2023): a sum of rank-one inverses per layer, shape (m, n).

    DataInf replaces each layer block of the curvature by its empirical Fisher and swaps
    the inverse of the mean for the mean of inverses, each one closed by Sherman–Morrison:

    .. math::

        \Bigl(\frac1n\sum_i g_ig_i^\top + \rho I\Bigr)^{-1} \approx
        \frac1n\sum_i \bigl(g_ig_i^\top + \rho I\bigr)^{-1}
        = \frac1{n\rho}\sum_i\Bigl(I - \frac{g_ig_i^\top}{\rho + \lVert g_i\rVert^2}\Bigr).

    In the sum convention the curvature is :math:`\sum_i g_ig_i^\top + \mu I =
    n(\frac1n\sum_i g_ig_i^\top + \rho I)` with :math:`\mu = \lambda + \delta` and
    :math:`\rho = \mu / n`, so, per layer :math:`l` (:math:`v = g_{\text{test},jl}`),

    .. math::

        \mathcal I_{ji} \approx -\sum_l \frac1\mu\Bigl(v^\top g_{il} - \frac1n\sum_k
            \frac{(v^\top g_{kl})(g_{kl}^\top g_{il})}{\mu/n + \lVert g_{kl}\rVert^2}\Bigr).

    **The scale of λ.** Kwon et al.'s :math:`\lambda_l` is :math:`\rho` on the mean scale;
    this function's ``damping`` is the book's :math:`\delta`, added to the model's
    :math:`\lambda` on the sum scale, so DataInf's :math:`\lambda_l = (\lambda + \delta)/n`.
    What it gives up: the cross-layer blocks, the Gauss–Newton curvature (for the
    empirical Fisher of the observed labels) and, in the swap, every interaction between
    training points; it is exact for one training point and one layer.

    Parameters
    ----------
    model : fitted Model
        At an optimum on ``X, y``; a network's layers are its blocks, another model is one.
    X, y : arrays, shape (n, d) and (n,)
        The training data; one column per point.
    X_test, y_test : arrays, shape (m, d) and (m,)
        The test points; one row each.
    damping : float
        :math:`\delta \ge 0` (required: DataInf is most sensitive to it). The model's
        :math:`\lambda` plus :math:`\delta` must be positive.

    Returns
    -------
    ndarray, shape (m, n)

    Raises
    ------
    ValueError
        For negative damping, or :math:`\lambda + \delta = 0` (Sherman–Morrison divides by
        it).

    Examples
    --------
    For one training point it is exact with the empirical Fisher
    :math:`gg^\top + \mu I`:

    >>> from influence_demo import LinearRegression
    >>> X, y = np.array([[1.0, 2.0]]), np.array([3.0])
    >>> model = LinearRegression(l2=1.0).fit(X, y)
    >>> g, t = model.grad(X, y)[0], model.grad([[0.0, 1.0]], [1.0])[0]
    >>> exact = -t @ np.linalg.solve(np.outer(g, g) + 1.5 * np.eye(2), g)
    >>> np.allclose(datainf_influence(model, X, y, [[0.0, 1.0]], [1.0], damping=0.5), exact)
    True
    """
    damping = check_nonnegative(damping, "damping")
    check_fitted(model)
    mu = float(model.l2) + damping
    if mu <= 0:
        raise ValueError(
            "DataInf divides by l2 + damping, which is 0 here: pass damping > 0 (Kwon et "
            "al. use 0.1 times the mean squared gradient norm of the layer, divided by n)."
        )
    X, y, X_test, y_test, G, G_test = _gradients(model, X, y, X_test, y_test)
    n = X.shape[0]
    out = np.zeros((X_test.shape[0], n))
    for sl in layer_slices(model):
        Gl, Tl = G[:, sl], G_test[:, sl]
        c = mu / n + np.einsum("ip,ip->i", Gl, Gl)
        A = Tl @ Gl.T  # (m, n): v^T g_i
        if Gl.shape[1] <= n:  # the (p_l, p_l) sum of rank-one terms is the smaller
            correction = Tl @ ((Gl.T / c) @ Gl) @ Gl.T
        else:
            correction = (A / c) @ (Gl @ Gl.T)
        out -= (A - correction / n) / mu
    return out


def _margin_gradients(model, X, y):
    r"""Per-example gradients of the margin :math:`\log p_y - \log(1 - p_y)`, and :math:`1 - p_y`.

    The margin is :math:`f_y - \log\sum_{c\ne y}e^{f_c}`, its gradient
    :math:`J^\top d` with :math:`d = e_y - q` (:math:`q` the softmax over the other
    classes). Since :math:`\sum_c d_c = 0`, :math:`J^\top d = -\sum_c d_c\nabla L(x, c)`:
    a combination of the loss gradients for every label, so only the model's public
    per-example gradient is needed.
    """
    P = model.predict_proba(X)
    n, K = P.shape
    rows = np.arange(n)
    Q = P.copy()
    Q[rows, y] = 0.0
    Q /= Q.sum(axis=1, keepdims=True)
    Dm = -Q
    Dm[rows, y] = 1.0
    Phi = np.zeros((n, model.n_params_))
    for c in range(K):
        Phi -= Dm[:, c : c + 1] * model.grad(X, np.full(n, c))
    return Phi, 1.0 - P[rows, y]


def _refits(model, X, y, n_models):
    if n_models == 1:
        return [model]
    params = model.get_params()
    if "seed" not in params:
        raise ValueError(
            f"n_models = {n_models} refits the model from new seeds, but "
            f"{type(model).__name__} has no seed (its objective is convex: every refit is "
            "the same model). Use n_models=1."
        )
    return [model] + [
        type(model)(**{**params, "seed": params["seed"] + k}).fit(X, y)
        for k in range(1, n_models)
    ]


def trak_influence(model, X, y, X_test, y_test, *, proj_dim=None, n_models=1, seed=0):
    r"""TRAK (Park et al. 2023), oriented as harm, shape (m, n).

    With :math:`\phi_i = P^\top\nabla_\theta f(z_i)` the (projected) gradient of the
    margin :math:`f = \log p_y - \log(1-p_y)`, :math:`\Phi` their (n, k) matrix and
    :math:`q_i = 1 - p_{y_i}(x_i)`, the TRAK score of one model is
    :math:`\tau_{ji} = \phi_{\text{test},j}^\top(\Phi^\top\Phi)^{+}\phi_i\,q_i`; for
    several models the kernels are averaged, then multiplied by the average :math:`q`.
    This function returns :math:`-\tau` (positive = harmful). Since
    :math:`\nabla L(z_i) = -q_i\nabla f(z_i)`, with ``proj_dim=None`` and one model,

    .. math::

        -\tau_{ji} = -\nabla f_{\text{test},j}^\top\Bigl(\sum_k \nabla f_k\nabla f_k^\top
            \Bigr)^{+}\nabla f_i\, q_i ,

    the influence with the Gauss–Newton matrix of the margins (no penalty; a
    pseudo-inverse where it is singular, as whenever :math:`n < p`) in place of the
    curvature, on the *margin* of the test point rather than its loss. What it gives up:
    the penalty and the loss's own curvature, and with a projection the directions
    :math:`P` misses.

    Parameters
    ----------
    model : fitted SoftmaxRegression or MLPClassifier
        The (first) model.
    X, y : arrays, shape (n, d) and (n,)
        The training data; one column per point.
    X_test, y_test : arrays, shape (m, d) and (m,)
        The test points; one row each.
    proj_dim : int, optional
        :math:`k`: project the gradients with a Gaussian :math:`P` (entries
        :math:`\mathcal N(0, 1/k)`, seeded); ``None`` keeps all :math:`p`.
    n_models : int, default 1
        Models in the ensemble: the given one and ``n_models - 1`` refits on the same data
        from the seeds ``model.seed + 1, ...`` (an MLP only).
    seed : int, default 0
        Seeds the projections (one per model).

    Returns
    -------
    ndarray, shape (m, n)

    Raises
    ------
    TypeError
        For a model that is not a SoftmaxRegression or MLPClassifier.
    ValueError
        For ``proj_dim`` or ``n_models`` below 1, or ``n_models > 1`` for a model
        without a seed.

    Examples
    --------
    With more training points than parameters, the closed form with an inverse:

    >>> from influence_demo import SoftmaxRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 2)); y = np.arange(20) % 3
    >>> model = SoftmaxRegression(l2=1.0).fit(X, y)
    >>> tau = -trak_influence(model, X, y, X[:1], y[:1])
    >>> tau.shape
    (1, 20)
    """
    check_network(model, "trak_influence")
    n_models = _check_int(n_models, "n_models", 1)
    if proj_dim is not None:
        proj_dim = _check_int(proj_dim, "proj_dim", 1)
    X, y, X_test, y_test, _, _ = _gradients(model, X, y, X_test, y_test)
    y, y_test = y.astype(int), y_test.astype(int)
    n, m = X.shape[0], X_test.shape[0]
    kernel, q_mean = np.zeros((m, n)), np.zeros(n)
    rng = np.random.default_rng(seed)
    for fitted in _refits(model, X, y, n_models):
        Phi, q = _margin_gradients(fitted, X, y)
        Phi_test, _ = _margin_gradients(fitted, X_test, y_test)
        if proj_dim is not None:
            P = rng.normal(size=(Phi.shape[1], proj_dim)) / np.sqrt(proj_dim)
            Phi, Phi_test = Phi @ P, Phi_test @ P
        # (Phi^T Phi)^+ Phi^T = V S^-1 U^T on the numerically nonzero singular values
        U, s, Vt = np.linalg.svd(Phi, full_matrices=False)
        keep = s > max(Phi.shape) * np.finfo(float).eps * s[0]
        kernel += ((Phi_test @ Vt[keep].T) / s[keep]) @ U[:, keep].T
        q_mean += q
    return -(kernel / n_models) * (q_mean / n_models)


def grad_similarity(model, X, y, X_test, y_test, *, kind="dot"):
    r"""Gradient similarity, oriented as harm, shape (m, n): no curvature at all.

    .. math::

        \text{dot: } -g_{\text{test},j}^\top g_i, \qquad
        \text{cos: } -\frac{g_{\text{test},j}^\top g_i}
            {\lVert g_{\text{test},j}\rVert\,\lVert g_i\rVert}.

    The dot product is TracIn at one checkpoint (Pruthi et al. 2020) and the limit of the
    damped influence, :math:`\delta\,\mathcal I_\delta \to -g_{\text{test}}^\top g` as
    :math:`\delta\to\infty`, since :math:`\delta(C + \delta I)^{-1}\to I`. What it gives
    up: the whole curvature, so directions of large curvature (which retraining barely
    moves) count as much as flat ones. A zero gradient has cosine 0.

    Parameters
    ----------
    model : fitted Model
        At an optimum on ``X, y`` (it warns if not).
    X, y : arrays, shape (n, d) and (n,)
        The training data; one column per point.
    X_test, y_test : arrays, shape (m, d) and (m,)
        The test points; one row each.
    kind : {"dot", "cos"}, default "dot"
        Dot product or cosine (Grad-Dot and Grad-Cos in dattri).

    Returns
    -------
    ndarray, shape (m, n)

    Raises
    ------
    ValueError
        For an unknown ``kind``.

    Examples
    --------
    >>> from influence_demo import LinearRegression, influence_loss
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]); y = np.array([1.0, 0.0, 2.0])
    >>> model = LinearRegression(l2=1.0).fit(X, y)
    >>> big = 1e9 * influence_loss(model, X, y, X[:1], y[:1], damping=1e9)
    >>> np.allclose(big, grad_similarity(model, X, y, X[:1], y[:1]), rtol=1e-6)
    True
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
    *_, G, G_test = _gradients(model, X, y, X_test, y_test)
    if kind == "cos":
        G = G / np.where((norm := np.linalg.norm(G, axis=1, keepdims=True)) > 0, norm, 1.0)
        nt = np.linalg.norm(G_test, axis=1, keepdims=True)
        G_test = G_test / np.where(nt > 0, nt, 1.0)
    return -G_test @ G.T


__all__ = [
    "arnoldi_eigenpairs",
    "arnoldi_influence",
    "datainf_influence",
    "grad_similarity",
    "layer_slices",
    "trak_influence",
]
