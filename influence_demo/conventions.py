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
:func:`book_damping` converts a damping (or "regularization") parameter. Some rows hold
only under a condition on how the library is called (``Convention.holds_when``): captum's
low-rank Hessian, dattri's batches, the loss reduction pyDVL and dattri assume, the
measurement kronfluence differentiates, and Koh & Liang's LiSSA scale.

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
    holds_when : str, default ""
        The condition on the library's settings under which the row holds ("" when
        there is none); :func:`to_book` passes it on as ``BookValue.holds_when``.

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
    holds_when: str = ""


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
    damping : float or None, default None
        This book's damping :math:`\delta` at which ``i_up_loss`` is
        ``influence_loss(..., damping=delta)``, when the library's damping was given to
        :func:`to_book`; ``None`` otherwise.
    holds_when : str, default ""
        The condition on the library's settings under which the conversion holds
        (``Convention.holds_when``).

    Examples
    --------
    >>> to_book(-0.2, "torch-influence")
    BookValue(i_up_loss=0.2, removal_effect=-0.2, damping=None, holds_when='')
    """

    i_up_loss: object
    removal_effect: object
    damping: object = None
    holds_when: str = ""


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
        "damping as given to get_inverse_hvp_cg, which adds it to H_mean; "
        "get_inverse_hvp_lissa adds damping * scale instead (book_damping(..., lissa_scale=scale))",
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
        "a mean-reduced loss: pyDVL averages the Hessians of the loss it is given over the "
        "batches, so a sum-reduced loss over batches of b points gives b * H_mean",
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
        "projection_dim=None: captum's default, projection_dim=50, keeps only the 50 largest "
        "eigenpairs of H_sum + rI, and drops the small-eigenvalue directions, which carry most "
        "of H^-1 g_test; eigenvalues below hessian_inverse_tol are dropped in any case",
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
        "compute_measurement returns the test loss: g_test is the gradient of the measurement. "
        "The repository's examples return -margin = log sum_{c != y} exp(f_c) - f_y, whose "
        "gradient is the loss gradient divided by 1 - p_y(x_test) (same sign, scaled per test "
        "point); a log-probability flips the sign",
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
        "one batch in the Hessian (cache) loader and a mean-reduced loss: "
        "IFAttributorExplicit sums the inverses (H_b + rI)^-1 of its batches, so b batches "
        "give about b times the row, and a sum-reduced loss gives (H_sum + rI)^-1, "
        "n times smaller",
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


def _check_projection(projection_dim, row):
    if projection_dim is None:
        return
    if row.name != "captum-naive":
        raise ValueError(
            f"projection_dim applies only to the 'captum-naive' convention; got it for {row.name!r}"
        )
    raise ValueError(
        f"captum's NaiveInfluenceFunction with projection_dim={projection_dim!r} keeps only the "
        f"{projection_dim} largest eigenpairs of H + rI, so its value is not a multiple of "
        "I_up,loss: the small-eigenvalue directions it drops carry most of H^-1 g_test. "
        "Construct it with projection_dim=None to compare with this book."
    )


def to_book(value, convention, n=None, damping=None, *, lissa_scale=None, projection_dim=None):
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
    damping : float, optional
        The library's damping :math:`r` (``regularization``, ``hessian_reg``, ``damp``,
        ``damping``) that ``value`` was computed with. When given, the result's ``damping``
        is this book's :math:`\delta` (:func:`book_damping`), so that ``i_up_loss`` equals
        ``influence_loss(..., damping=result.damping)``. It does not change the value.
    lissa_scale : float, optional
        Koh & Liang's LiSSA ``scale``, passed on to :func:`book_damping`.
    projection_dim : int or None, default None
        For ``"captum-naive"`` only: the ``projection_dim`` the captum object was built with.
        Only ``None`` (all eigenpairs) gives a value this function can convert.

    Returns
    -------
    BookValue
        ``i_up_loss`` (:math:`\mathcal I_{\text{up,loss}}` for the sum objective),
        ``removal_effect`` (:math:`-\mathcal I_{\text{up,loss}}`), ``damping`` (this book's
        :math:`\delta`, or ``None`` when ``damping`` was not given) and ``holds_when``, the
        condition on the library's settings under which the conversion holds.

    Raises
    ------
    ValueError
        For an unknown convention, a missing or invalid ``n``, a negative damping, a
        ``lissa_scale`` for a convention other than Koh & Liang's code, or a
        ``projection_dim`` other than ``None`` (captum's default is 50: its low-rank value
        is not a multiple of :math:`\mathcal I_{\text{up,loss}}`).

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
    :math:`n = 200` training points, a pyDVL influence of 3.0 computed with
    ``regularization=0.01`` is an :math:`\mathcal I_{\text{up,loss}}` of -0.015 (a helpful
    point) at this book's damping :math:`\delta = 200 \times 0.01 = 2`, and removing it
    raises the test loss by about 0.015.

    >>> v = to_book(3.0, "pydvl", n=200, damping=0.01)
    >>> float(v.i_up_loss), float(v.removal_effect), v.damping
    (-0.015, 0.015, 2.0)
    >>> to_book(0.5, "koh-liang-code").removal_effect
    0.5
    >>> to_book(0.5, "captum-naive").holds_when[:21]
    'projection_dim=None: '
    """
    row = _convention(convention)
    _check_projection(projection_dim, row)
    delta = None
    if damping is not None or lissa_scale is not None:
        delta = book_damping(0.0 if damping is None else damping, row, n, lissa_scale=lissa_scale)
    value = np.asarray(value, dtype=float) if np.ndim(value) else float(value)
    if row.sign is None:
        return BookValue(None, value, delta, row.holds_when)
    scale = row.sign * (_check_n(n, row) if row.n_power else 1)
    i_up = value / scale
    return BookValue(i_up, -i_up, delta, row.holds_when)


def book_damping(regularization, convention, n=None, *, lissa_scale=None):
    r"""This book's damping :math:`\delta` (on the sum Hessian) for a library's damping :math:`r`.

    Libraries with a mean-objective Hessian add :math:`r I` to :math:`H/n`, which is
    :math:`\delta = n r` on this book's scale; captum adds it to the sum Hessian.

    Koh & Liang's code adds its ``damping`` to the mean Hessian on its CG path
    (``get_inverse_hvp_cg``), but its LiSSA recursion
    ``v + (1 - damping) * estimate - H_mean estimate / scale``, divided by ``scale`` at the
    end, has the fixed point :math:`(H_{\text{mean}} + r s I)^{-1} v`: the damping on the
    mean Hessian is :math:`r s`, so :math:`\delta = n r s`. Pass ``lissa_scale`` for it.

    Parameters
    ----------
    regularization : float
        The library's damping (``regularization``, ``hessian_reg``, ``damp``,
        ``damping_factor``).
    convention : str or Convention
    n : int, optional
        Number of training points (needed for the mean-objective conventions).
    lissa_scale : float, optional
        For ``"koh-liang-code"`` only: the ``scale`` of its ``get_inverse_hvp_lissa``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For an unknown convention, a missing or invalid ``n``, a negative damping, or a
        ``lissa_scale`` that is not positive or is given for another convention.

    Examples
    --------
    >>> book_damping(1e-3, "pydvl", n=500), book_damping(1e-3, "captum-naive")
    (0.5, 0.001)
    >>> book_damping(0.01, "koh-liang-code", n=100, lissa_scale=10.0)  # LiSSA path
    10.0
    """
    row = _convention(convention)
    r = float(regularization)
    if not np.isfinite(r) or r < 0:
        raise ValueError(f"regularization must be a finite number >= 0; got {regularization!r}")
    if lissa_scale is not None:
        if row.name != "koh-liang-code":
            raise ValueError(
                "lissa_scale applies only to the 'koh-liang-code' convention (its LiSSA adds "
                f"damping * scale); got it for {row.name!r}"
            )
        s = float(lissa_scale)
        if not np.isfinite(s) or s <= 0:
            raise ValueError(f"lissa_scale must be a finite number > 0; got {lissa_scale!r}")
        r *= s
    return r * (_check_n(n, row) if row.damping_n_power else 1)
