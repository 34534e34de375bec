r"""Convert influence scores from other libraries' conventions into this book's.

Libraries differ in three choices: a **sum** or a **mean** objective (a factor :math:`n`),
an **up-weighting** derivative or a **removal** effect (a sign), and whether their damping
is added to the sum or to the mean Hessian. In this book's notation (a sum objective, the
Hessian :math:`H` of the sum including the penalty,
:math:`\mathcal I = \mathcal I_{\text{up,loss}}(z_i, z_{\text{test}})
= -g_{\text{test}}^\top H^{-1} g_i`), each library's value is one of

.. math::

    \mathcal I, \qquad -\mathcal I, \qquad n\,\mathcal I, \qquad -n\,\mathcal I,

and the predicted change in test loss from *removing* :math:`z_i` is always
:math:`-\mathcal I`. :data:`CONVENTIONS` records which, with the file and function of each
library where the value is computed; :func:`to_book` converts a value, and
:func:`book_damping` converts a damping (or "regularization") parameter.

The book's notation page prints the same table.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["Convention", "BookValue", "CONVENTIONS", "to_book", "book_damping"]


@dataclass(frozen=True)
class Convention:
    r"""How one library reports the influence of a training point on a test loss.

    Parameters
    ----------
    name : str
        The key in :data:`CONVENTIONS`.
    reports : str
        What the library's value is, in its own words.
    sign : int or None
        ``+1`` or ``-1``: the value is ``sign * n**n_power * I_up,loss``. ``None`` when the
        value is not a multiple of :math:`\mathcal I_{\text{up,loss}}` (TracIn).
    n_power : int
        0 for a sum-objective Hessian, 1 for a mean-objective Hessian.
    damping_n_power : int
        The library's damping :math:`r` is this book's :math:`\delta = n^k r`: it is added
        to the mean Hessian (``k = 1``) or to the sum Hessian (``k = 0``).
    positive_means : str
        "harmful" or "helpful".
    source : str
        File and function (or class) where the library computes the value.

    Examples
    --------
    >>> row = CONVENTIONS["pydvl"]
    >>> row.sign, row.n_power, row.positive_means
    (-1, 1, 'helpful')
    """

    name: str
    reports: str
    sign: object
    n_power: int
    damping_n_power: int
    positive_means: str
    source: str


@dataclass(frozen=True)
class BookValue:
    r"""A value in this book's convention, as returned by :func:`to_book`.

    Parameters
    ----------
    i_up_loss : float or ndarray or None
        :math:`\mathcal I_{\text{up,loss}}(z_i, z_{\text{test}})` for the sum objective
        (``None`` for TracIn, which has no Hessian).
    removal_effect : float or ndarray
        Predicted change in the test loss from removing :math:`z_i` and retraining,
        :math:`-\mathcal I_{\text{up,loss}}` (for TracIn: from removing :math:`z_i`'s
        gradient steps).

    Examples
    --------
    >>> to_book(-0.2, "captum-naive")
    BookValue(i_up_loss=0.2, removal_effect=-0.2)
    """

    i_up_loss: object
    removal_effect: object


_ROWS = [
    Convention(
        "influence_demo",
        "I_up,loss for the sum objective (influence_loss)",
        1,
        0,
        0,
        "harmful",
        "influence_demo/influence.py, influence_loss",
    ),
    Convention(
        "koh-liang-paper",
        "I_up,loss for the mean objective (Koh & Liang 2017, eq. 2)",
        1,
        1,
        1,
        "harmful",
        "Koh & Liang (2017), section 2.1, eq. 2",
    ),
    Convention(
        "koh-liang-code",
        "predicted_loss_diffs: the change in test loss from removing z_i, "
        "g_test^T H_mean^-1 g_i / n",
        -1,
        0,
        1,
        "helpful",
        "kohpangwei/influence-release, influence/genericNeuralNet.py, "
        "GenericNeuralNet.get_influence_on_test_loss",
    ),
    Convention(
        "pydvl",
        "influences: <(H_mean + r I)^-1 g_test, g_i>",
        -1,
        1,
        1,
        "helpful",
        "aai-institute/pyDVL, src/pydvl/influence/base_influence_function_model.py, "
        "ComposableInfluence.influences_by_block; Hessian averaged over the data in "
        "src/pydvl/influence/torch/functional.py, hessian",
    ),
    Convention(
        "captum-naive",
        "NaiveInfluenceFunction.influence: g_test^T (H_sum + r I)^-1 g_i "
        "(the test loss change when z_i is down-weighted)",
        -1,
        0,
        0,
        "helpful",
        "pytorch/captum, captum/influence/_core/influence_function.py, "
        "InfluenceFunctionBase and NaiveInfluenceFunction; per-batch losses summed in "
        "captum/influence/_utils/common.py, _compute_batch_loss_influence_function_base",
    ),
    Convention(
        "captum-tracincp",
        "TracInCP.influence: sum over checkpoints t of eta_t * g_test(w_t) . g_i(w_t)",
        None,
        0,
        0,
        "helpful",
        "pytorch/captum, captum/influence/_core/tracincp.py, TracInCP._influence_batch_tracincp",
    ),
    Convention(
        "torch-influence",
        "influences: the change in mean test loss from removing z_i, "
        "g_i^T (H_mean + r I)^-1 g_test / n",
        -1,
        0,
        1,
        "helpful",
        "alstonlo/torch-influence, torch_influence/base.py, BaseInfluenceModule.influences; "
        "Hessian in torch_influence/modules.py, AutogradInfluenceModule",
    ),
    Convention(
        "kronfluence",
        "pairwise scores: g_test^T (G_mean + r I)^-1 g_i with an EK-FAC curvature",
        -1,
        1,
        1,
        "helpful",
        "pomonam/kronfluence, kronfluence/module/tracker/pairwise_score.py, "
        "_compute_pairwise_score_with_gradient; covariances divided by the number of "
        "examples in kronfluence/factor/eigen.py",
    ),
    Convention(
        "dattri",
        "IFAttributorExplicit.attribute: g_i^T (H_mean + r I)^-1 g_test, shape (n_train, n_test)",
        -1,
        1,
        1,
        "helpful",
        "TRAIS-Lab/dattri, dattri/algorithm/influence_function.py, IFAttributorExplicit; "
        "dattri/algorithm/base.py, BaseInnerProductAttributor.attribute",
    ),
]

#: The conventions :func:`to_book` knows, by name.
CONVENTIONS = {row.name: row for row in _ROWS}


def _convention(convention):
    if isinstance(convention, Convention):
        return convention
    if convention not in CONVENTIONS:
        raise ValueError(
            f"Unknown convention {convention!r}; choose one of {', '.join(map(repr, CONVENTIONS))}"
        )
    return CONVENTIONS[convention]


def _check_n(n, row):
    if n is None:
        raise ValueError(
            f"The {row.name!r} convention scales with the number of training points: pass n"
        )
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1; got {n!r}")
    return int(n)


def to_book(value, convention, n=None):
    r"""Convert a library's influence value into this book's I_up,loss and removal effect.

    Parameters
    ----------
    value : float or array
        The library's value(s) for training point(s) :math:`z_i` and a test point. (dattri
        returns shape (n_train, n_test); transpose it for this book's (n_test, n_train).)
    convention : str or Convention
        A key of :data:`CONVENTIONS`: ``"influence_demo"``, ``"koh-liang-paper"``,
        ``"koh-liang-code"``, ``"pydvl"``, ``"captum-naive"``, ``"captum-tracincp"``,
        ``"torch-influence"``, ``"kronfluence"`` or ``"dattri"``.
    n : int, optional
        Number of training points; needed by the mean-objective conventions.

    Returns
    -------
    BookValue
        ``i_up_loss`` (:math:`\mathcal I_{\text{up,loss}}` for the sum objective, with the
        library's damping converted by :func:`book_damping`) and ``removal_effect``
        (:math:`-\mathcal I_{\text{up,loss}}`).

    Raises
    ------
    ValueError
        For an unknown convention, or a missing or invalid ``n``.

    Notes
    -----
    The value is :math:`s\,n^k\,\mathcal I_{\text{up,loss}}` with the ``sign`` :math:`s` and
    ``n_power`` :math:`k` of the convention, so
    :math:`\mathcal I_{\text{up,loss}} = \text{value} / (s\,n^k)`. TracIn has no Hessian and
    no :math:`\mathcal I_{\text{up,loss}}`; its value is the first-order decrease of the
    test loss caused by :math:`z_i`'s gradient steps, so removing them changes the test loss
    by about **+value**.

    Koh & Liang's code and torch-influence take :math:`g_i` as the gradient of the
    *regularised* per-example loss (weight decay included), so with weight decay their
    values differ from the conversion of ours by one constant for all :math:`i`.

    Examples
    --------
    pyDVL's value for a point is :math:`-n\,\mathcal I_{\text{up,loss}}`: with
    :math:`n = 200` training points, a pyDVL influence of 3.0 is an
    :math:`\mathcal I_{\text{up,loss}}` of -0.015 (a helpful point), and removing it raises
    the test loss by about 0.015.

    >>> v = to_book(3.0, "pydvl", n=200)
    >>> float(v.i_up_loss), float(v.removal_effect)
    (-0.015, 0.015)
    >>> to_book(0.5, "koh-liang-code").removal_effect
    0.5
    """
    row = _convention(convention)
    value = np.asarray(value, dtype=float) if np.ndim(value) else float(value)
    if row.sign is None:
        return BookValue(i_up_loss=None, removal_effect=value)
    scale = row.sign * (_check_n(n, row) if row.n_power else 1)
    i_up = value / scale
    return BookValue(i_up_loss=i_up, removal_effect=-i_up)


def book_damping(regularization, convention, n=None):
    r"""This book's damping :math:`\delta` (on the sum Hessian) for a library's damping :math:`r`.

    Libraries with a mean-objective Hessian add :math:`r I` to :math:`H/n`, which is
    :math:`\delta = n r` on this book's scale; captum adds it to the sum Hessian.

    Parameters
    ----------
    regularization : float
        The library's damping (``regularization``, ``hessian_reg``, ``damp``,
        ``damping_factor``).
    convention : str or Convention
    n : int, optional
        Number of training points (needed for the mean-objective conventions).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For an unknown convention, a missing or invalid ``n``, or a negative damping.

    Examples
    --------
    >>> book_damping(1e-3, "pydvl", n=500), book_damping(1e-3, "captum-naive")
    (0.5, 0.001)
    """
    row = _convention(convention)
    r = float(regularization)
    if not np.isfinite(r) or r < 0:
        raise ValueError(f"regularization must be a finite number >= 0; got {regularization!r}")
    return r * (_check_n(n, row) if row.damping_n_power else 1)
