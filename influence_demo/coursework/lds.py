r"""The checker of the chapter :ref:`lds`: the linear datamodeling score from scratch."""

import numpy as np

from ..lds import SubsetRefits, lds
from .harness import Case, run

__all__ = ["check_lds"]


def _pearson_columns(a, b):
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    return (a * b).sum(axis=0) / np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))


def _lds_case(label, scores, masks, losses):
    refits = SubsetRefits(masks, losses, np.zeros((masks.shape[0], 1)), None, "warm")
    expected = lds(scores, refits)
    left_out = (~masks).astype(float) @ (-scores.T)
    suspects = [
        (_pearson_columns(left_out, losses),
         "this is the Pearson correlation of the values: the LDS is a Spearman "
         "correlation, the Pearson correlation of their ranks."),
    ]
    ratio_hints = {
        -1: "The sign of the prediction is reversed: removing z_i changes the test loss by "
            "-scores[j, i]; sum that over the points each subset leaves out.",
    }
    args = {"scores": scores, "masks": masks, "losses": losses}
    return Case(label, args, expected, suspects, ratio_hints,
                error_hint="masks is boolean (K, n); use ~masks for the points left out.")


def _lds_cases():
    rng = np.random.default_rng(20251)
    cases = []
    for K, n, m in [(8, 6, 2), (20, 15, 4), (40, 30, 3)]:
        masks = rng.random((K, n)) < 0.5
        masks[:, 0] = True  # no subset is empty
        scores = rng.normal(size=(m, n))
        losses = 5 + (~masks).astype(float) @ (-scores.T) + 0.5 * rng.normal(size=(K, m))
        cases.append(_lds_case(f"random, K={K} subsets, n={n}, m={m}", scores, masks, losses))
    # ties: repeated losses and repeated predictions
    masks = np.array([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 1],
                      [1, 0, 1, 0]], dtype=bool)
    losses = np.array([[1.0, 2.0], [1.0, 0.5], [3.0, 0.5], [2.0, 0.1], [0.0, 0.7], [1.0, 2.0]])
    scores = np.array([[0.1, 0.2, 0.1, 0.0], [-0.3, 0.3, 0.2, 0.1]])
    cases.append(_lds_case("ties in the losses and the predictions, K=6, n=4, m=2",
                           scores, masks, losses))
    return cases


def _lds_shape_hints(case):
    K, m = case.args["losses"].shape
    n = case.args["masks"].shape[1]
    return [((K,), f"you returned one value per subset (K = {K}): the LDS is one Spearman "
                   f"correlation per test point, shape (m,) = ({m},), computed over the "
                   "subsets."),
            ((n,), f"you returned one value per training point (n = {n}): return one per "
                   f"test point, shape ({m},).")]


def check_lds(fn):
    r"""Check the linear datamodeling score of every test point.

    The student's ``fn(scores, masks, losses)`` returns, for ``scores`` of shape (m, n)
    oriented like :math:`\mathcal I_{\text{up,loss}}`, boolean ``masks`` of shape (K, n)
    (the points each subset keeps) and refitted test ``losses`` of shape (K, m), the
    Spearman correlations, one per test point :math:`j`,

    .. math::

        \operatorname{LDS}_j = \rho_{\text{S}}\Bigl(\bigl(\textstyle\sum_{i\notin S_k}
        -\text{scores}_{ji}\bigr)_k,\ (\text{losses}_{kj})_k\Bigr),

    with tied values given their average rank. The exercise of the chapter :ref:`lds`.

    Parameters
    ----------
    fn : callable
        ``fn(scores, masks, losses) -> array of shape (m,)``.

    Returns
    -------
    bool
        True when all four problems (one with ties) were right; the checker prints PASS,
        or FAIL and the first counterexample.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import spearmanr
    >>> def my_lds(scores, masks, losses):
    ...     pred = (~masks).astype(float) @ -scores.T
    ...     return np.array([spearmanr(pred[:, j], losses[:, j])[0]
    ...                      for j in range(losses.shape[1])])
    >>> check_lds(my_lds)
    check_lds: PASS (4 cases)
    True
    """
    return run("check_lds", fn, _lds_cases(), shape_hints=_lds_shape_hints)
