r"""K-FAC and EK-FAC influence: the layer-block curvature, factored as Kronecker products.

A layer with weights :math:`W_l` (the bias a last column, fed by a constant input 1)
has per-example gradient :math:`\nabla_{W_l}L(z_i) = \delta_{il}\tilde a_{il}^\top`: the
gradient :math:`\delta_{il}` of the loss with respect to the layer's outputs times its
input :math:`\tilde a_{il}`. In the row-by-row layout of ``theta`` that is
:math:`\delta_{il}\otimes\tilde a_{il}`, so the layer's diagonal block of the
Gauss–Newton matrix (the expected Fisher of the softmax) is

.. math::

    G_{ll} = \sum_{i=1}^n \mathbb E_{c\sim p_i}\bigl[\delta_{il}^{(c)}\delta_{il}^{(c)\top}\bigr]
        \otimes \tilde a_{il}\tilde a_{il}^\top ,

with :math:`\delta^{(c)}_{il}` backpropagated from the residual :math:`p_i - e_c`.
K-FAC (Martens & Grosse 2015) keeps only these blocks and replaces the sum of Kronecker
products by a Kronecker product of sums,

.. math::

    G_{ll} \approx \frac1n\, S_l \otimes A_l, \qquad
    S_l = \sum_i \mathbb E_c\bigl[\delta_{il}\delta_{il}^\top\bigr], \quad
    A_l = \sum_i \tilde a_{il}\tilde a_{il}^\top ,

whose inverse (plus :math:`\mu I`, :math:`\mu = \lambda + \delta`) needs only the
eigendecompositions :math:`S_l = Q_S\operatorname{diag}(s)Q_S^\top`,
:math:`A_l = Q_A\operatorname{diag}(a)Q_A^\top`. EK-FAC (George et al. 2018) keeps the
eigenbasis :math:`Q_S\otimes Q_A` and replaces the eigenvalues :math:`s_\alpha a_\beta/n`
by the exact diagonal of :math:`G_{ll}` in that basis,
:math:`\Lambda_{\alpha\beta} = \sum_i \mathbb E_c[(q_{S\alpha}^\top\delta_{il})^2]
(q_{A\beta}^\top\tilde a_{il})^2`. Used in the chapter "Influence at scale: what the
libraries approximate".

References
----------
Martens & Grosse (2015), *Optimizing neural networks with Kronecker-factored approximate
curvature*, ICML. George, Laurent, Bouthillier, Ballas & Vincent (2018), *Fast approximate
natural gradient descent in a Kronecker-factored eigenbasis*, NeurIPS. Grosse et al.
(2023), *Studying large language model generalization with influence functions*.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validation import check_data, check_fitted, check_nonnegative
from .exceptions import NotPositiveDefiniteError
from .nn import MLPClassifier, SoftmaxRegression, one_hot

FISHERS = ("expected", "empirical", "sampled")


@dataclass
class Layer:
    r"""One layer of a fitted network, as K-FAC sees it.

    Parameters
    ----------
    name, offset, shape, inputs, backprop
        The attributes below; :func:`network_layers` creates them.

    Attributes
    ----------
    name : str
        ``"output"`` or ``"hidden"``.
    offset : int
        Where the layer's weights start in ``theta``.
    shape : tuple of int
        ``(out, in)``: the weights, row by row, are ``theta[offset:offset + out * in]``.
    inputs : ndarray, shape (n, in)
        :math:`\tilde a_i`, the layer's input for each example (a last 1 for the bias).
    backprop : callable
        Maps residuals in the logits, shape (n, c, K), to :math:`\delta`, shape (n, c, out).

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1, 2])
    >>> (layer,) = network_layers(SoftmaxRegression(l2=1.0).fit(X, y), X)
    >>> layer.name, layer.shape, layer.size
    ('output', (3, 2), 6)
    """

    name: str
    offset: int
    shape: tuple
    inputs: np.ndarray
    backprop: Callable

    @property
    def size(self):
        """Number of weights, ``out * in``."""
        return self.shape[0] * self.shape[1]


def check_network(model, caller):
    """Raise TypeError unless ``model`` is a fitted SoftmaxRegression or MLPClassifier.

    Parameters
    ----------
    model : object
        The model to check.
    caller : str
        The function named in the error message.

    Raises
    ------
    TypeError
        For any other model.

    Examples
    --------
    >>> from influence_demo import LinearRegression
    >>> check_network(LinearRegression(), "kfac_influence")
    Traceback (most recent call last):
    ...
    TypeError: kfac_influence needs the layers of a SoftmaxRegression or MLPClassifier; ...
    """
    if not isinstance(model, (SoftmaxRegression, MLPClassifier)):
        raise TypeError(
            f"{caller} needs the layers of a SoftmaxRegression or MLPClassifier; got "
            f"{type(model).__name__}. For a model with one linear layer (LinearRegression, "
            "LogisticRegression) the exact influence_loss costs no more."
        )
    check_fitted(model)


def network_layers(model, X):
    r"""The layers of a fitted network on inputs ``X``: inputs and backpropagation, per layer.

    For :class:`~influence_demo.nn.SoftmaxRegression` one layer, :math:`\tilde a = x` and
    :math:`\delta = r`. For :class:`~influence_demo.nn.MLPClassifier` the hidden layer
    (:math:`\tilde a = [x, 1]`, :math:`\delta = (1 - u^2)\odot W_2^\top r`) and the output
    layer (:math:`\tilde a = [u, 1]`, :math:`\delta = r`), with :math:`r` a residual in the
    logits, such as :math:`p_i - e_{y_i}`. The weights are read in the layout the model
    documents.

    Parameters
    ----------
    model : fitted SoftmaxRegression or MLPClassifier
        The network.
    X : array, shape (n, d)
        Inputs.

    Returns
    -------
    list of Layer
        In the order of ``theta``.

    Raises
    ------
    TypeError
        For another model.

    Examples
    --------
    The per-example gradient of each layer is :math:`\delta_i\otimes\tilde a_i`:

    >>> from influence_demo import MLPClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(12, 2)); y = np.arange(12) % 3
    >>> model = MLPClassifier(n_hidden=3, l2=0.5).fit(X, y)
    >>> R = (model.predict_proba(X) - np.eye(3)[y])[:, None, :]
    >>> G = np.hstack([np.einsum("no,ni->noi", L.backprop(R)[:, 0], L.inputs).reshape(12, -1)
    ...                for L in network_layers(model, X)])
    >>> np.allclose(G, model.grad(X, y))
    True
    """
    check_network(model, "network_layers")
    X, _ = check_data(model, X, np.zeros(np.shape(X)[0]))
    theta, K, n = model.theta_, model.n_classes_, X.shape[0]
    if isinstance(model, SoftmaxRegression):
        return [Layer("output", 0, (K, X.shape[1]), X, lambda R: R)]
    h = int(model.n_hidden)
    p1 = h * (X.shape[1] + 1)
    A1 = theta[:p1].reshape(h, X.shape[1] + 1)
    W2 = theta[p1:].reshape(K, h + 1)[:, :-1]
    Xt = np.hstack([X, np.ones((n, 1))])
    U = np.tanh(Xt @ A1.T)
    slope = 1.0 - U**2
    return [
        Layer("hidden", 0, A1.shape, Xt, lambda R: (R @ W2) * slope[:, None, :]),
        Layer("output", p1, (K, h + 1), np.hstack([U, np.ones((n, 1))]), lambda R: R),
    ]


def logit_residuals(model, X, y, fisher="expected", seed=0):
    r"""Residuals :math:`p_i - e_c` in the logits and their weights, for each Fisher.

    ``"expected"``: every class :math:`c`, weighted by :math:`p_{ic}` (so that
    :math:`\sum_c p_{ic}(p_i - e_c)(p_i - e_c)^\top = \operatorname{diag}p_i - p_ip_i^\top`,
    the Gauss–Newton curvature of the softmax: deterministic). ``"empirical"``: the
    observed label, weight 1. ``"sampled"``: one label drawn from :math:`p_i` (seeded),
    weight 1, as kronfluence does by default.

    Parameters
    ----------
    model : fitted SoftmaxRegression or MLPClassifier
        The network.
    X, y : arrays, shape (n, d) and (n,)
        The training data.
    fisher : {"expected", "empirical", "sampled"}, default "expected"
        Which Fisher.
    seed : int, default 0
        Seeds the labels of ``"sampled"``.

    Returns
    -------
    R : ndarray, shape (n, c, K)
        ``c = K`` for the expected Fisher, else 1.
    weights : ndarray, shape (n, c)

    Raises
    ------
    ValueError
        For an unknown ``fisher``.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1, 2])
    >>> model = SoftmaxRegression(l2=1.0).fit(X, y)
    >>> R, w = logit_residuals(model, X, y)
    >>> P = model.predict_proba(X)
    >>> M = np.einsum("nc,nca,ncb->nab", w, R, R)
    >>> np.allclose(M[0], np.diag(P[0]) - np.outer(P[0], P[0]))
    True
    """
    if fisher not in FISHERS:
        raise ValueError(f"fisher must be one of {FISHERS}; got {fisher!r}")
    X, y = check_data(model, X, y)
    P = model.predict_proba(X)
    n, K = P.shape
    if fisher == "expected":
        return P[:, None, :] - np.eye(K)[None, :, :], P
    if fisher == "empirical":
        labels = y.astype(int)
    else:
        u = np.random.default_rng(seed).random(n)[:, None]
        labels = np.minimum((np.cumsum(P, axis=1) < u).sum(axis=1), K - 1)
    return (P - one_hot(labels, K))[:, None, :], np.ones((n, 1))


def kfac_influence(
    model, X, y, X_test, y_test, *, damping=0.0, eigencorrect=False, fisher="expected", seed=0
):
    r"""K-FAC (or EK-FAC) influence of each training point on each test loss, shape (m, n).

    Entry ``[j, i]`` approximates :math:`\mathcal I_{\text{up,loss}}(z_i, z_{\text{test},j})`
    of :func:`~influence_demo.influence.influence_loss` with ``curvature="ggn"``:

    .. math::

        \mathcal I_{ji} \approx -\sum_l g^\top_{\text{test},jl}
            \bigl(\tfrac1n S_l\otimes A_l + \mu I\bigr)^{-1} g_{il},
        \qquad \mu = \lambda + \delta,

    one term per layer (the blocks between layers are dropped), computed in the
    eigenbasis of each factor: with :math:`\tilde g = Q_S^\top g\,Q_A` (the layer's
    gradient as an ``(out, in)`` matrix), the term is
    :math:`-\sum_{\alpha\beta}\tilde g_{\text{test},\alpha\beta}\tilde g_{\alpha\beta}
    /(\Lambda_{\alpha\beta} + \mu)`, with :math:`\Lambda = s a^\top/n` (K-FAC) or the
    corrected eigenvalues of EK-FAC (module docstring).

    Parameters
    ----------
    model : fitted SoftmaxRegression or MLPClassifier
        At an optimum on ``X, y``.
    X, y : arrays, shape (n, d) and (n,)
        The training data; one column per point.
    X_test, y_test : arrays, shape (m, d) and (m,)
        The test points; one row each.
    damping : float, default 0
        :math:`\delta \ge 0`, added with the model's :math:`\lambda` to every block.
    eigencorrect : bool, default False
        EK-FAC: the eigenvalues are refitted to the per-example gradients.
    fisher : {"expected", "empirical", "sampled"}, default "expected"
        The residuals the factor :math:`S_l` (and the EK-FAC eigenvalues) are built from
        (:func:`logit_residuals`): the expected Fisher, equal to the Gauss–Newton blocks
        when the factors are exact; the empirical Fisher of the observed labels; or labels
        sampled from the model (kronfluence's default).
    seed : int, default 0
        Seeds ``fisher="sampled"``.

    Returns
    -------
    ndarray, shape (m, n)

    Raises
    ------
    TypeError
        For a model without layers (not SoftmaxRegression or MLPClassifier).
    ValueError
        For negative damping or an unknown ``fisher``.
    NotPositiveDefiniteError
        If :math:`\mu = 0` and a factor is singular; it names the damping that fixes it.

    Notes
    -----
    For one training point and one layer (softmax regression) :math:`G = M\otimes xx^\top`
    is itself a Kronecker product, so K-FAC with the expected Fisher is exact. The
    expected-Fisher K-FAC of a two-layer network is approximate in two ways: the
    cross-layer blocks, and :math:`\sum_i S_i\otimes A_i \ne \frac1n\sum_i S_i\otimes
    \sum_i A_i`. kronfluence divides both factors by :math:`n` (a mean objective), adds
    its damping on that mean scale and, by default, samples the labels
    (``fisher="sampled"``, with its own random draws); its scores are :math:`-n` times
    this function's. With ``use_empirical_fisher=True``, ``damping_factor`` =
    :math:`(\lambda + \delta)/n` and float64 throughout, kronfluence 1.0.1's EK-FAC
    pairwise scores on a torch twin of the chapter's network, divided by :math:`-n`,
    equal ``eigencorrect=True, fisher="empirical"`` to a relative :math:`3\times10^{-15}`.

    Examples
    --------
    One training point of softmax regression: K-FAC is exact.

    >>> from influence_demo import influence_loss
    >>> X = np.array([[1.0, 2.0, -1.0]]); y = np.array([1])
    >>> model = SoftmaxRegression(l2=0.5, n_classes=3).fit(X, y)
    >>> X_test, y_test = np.array([[0.5, -1.0, 2.0]]), np.array([2])
    >>> np.allclose(kfac_influence(model, X, y, X_test, y_test),
    ...             influence_loss(model, X, y, X_test, y_test))
    True
    """
    check_network(model, "kfac_influence")
    damping = check_nonnegative(damping, "damping")
    X, y = check_data(model, X, y)
    X_test, y_test = check_data(model, X_test, y_test, names=("X_test", "y_test"))
    G = model.grad(X, y)
    model.check_optimality(X, y, G=G, stacklevel=3)
    G_test = model.grad(X_test, y_test)
    R, w = logit_residuals(model, X, y, fisher, seed)
    mu = float(model.l2) + damping
    n, m = X.shape[0], X_test.shape[0]
    out = np.zeros((m, n))
    for layer in network_layers(model, X):
        A = layer.inputs.T @ layer.inputs
        D = layer.backprop(R)  # (n, c, out)
        S = np.einsum("nc,nco,ncq->oq", w, D, D)
        a, QA = np.linalg.eigh(A)
        s, QS = np.linalg.eigh(S)
        if eigencorrect:
            Lam = np.einsum("nc,nco->no", w, (D @ QS) ** 2).T @ (layer.inputs @ QA) ** 2
        else:
            Lam = np.outer(np.maximum(s, 0.0), np.maximum(a, 0.0)) / n
        denom = Lam + mu
        if denom.min() <= 1e-12 * max(float(Lam.max()), 1.0):
            raise NotPositiveDefiniteError(
                f"the {layer.name} layer's K-FAC block is singular (smallest eigenvalue "
                f"{Lam.min():.3g}) and l2 + damping = 0: add damping > 0 (or fit with l2 > 0)."
            )
        sl = slice(layer.offset, layer.offset + layer.size)
        Gt = QS.T @ G[:, sl].reshape(n, *layer.shape) @ QA
        Tt = QS.T @ G_test[:, sl].reshape(m, *layer.shape) @ QA
        out -= (Tt / denom).reshape(m, -1) @ Gt.reshape(n, -1).T
    return out


__all__ = [
    "FISHERS",
    "Layer",
    "check_network",
    "kfac_influence",
    "logit_residuals",
    "network_layers",
]
