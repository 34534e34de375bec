r"""influence_demo: influence functions, checked against what they approximate.

Least squares, logistic and softmax regression and a small neural network, with exact
leave-one-out retraining (and, for the network, the proximal Bregman response) as the
ground truth.

Conventions (stated once; the book's notation page compares them with other libraries):

* The training objective is a **sum**,
  :math:`R(\theta)=\sum_i L(z_i,\theta)+\frac\lambda2\lVert\theta\rVert^2`,
  and :math:`H=\nabla^2 R(\hat\theta)` includes the penalty.
* :math:`\mathcal I_{\text{up,params}}(z)=-H^{-1}\nabla L(z,\hat\theta)` and
  :math:`\mathcal I_{\text{up,loss}}(z,z_{\text{test}})=
  -\nabla L(z_{\text{test}},\hat\theta)^\top H^{-1}\nabla L(z,\hat\theta)`
  (Koh & Liang 2017, eq. 1-2).
* Removing :math:`z_i` is up-weighting by :math:`\epsilon=-1`:
  :math:`\hat\theta_{-i}-\hat\theta\approx-\mathcal I_{\text{up,params}}(z_i)`.
  Under Koh & Liang's mean objective the influences are :math:`n` times ours and removal is
  :math:`\epsilon=-1/n`.
"""

from .adapters import from_sklearn
from .approximations import (
    arnoldi_influence,
    datainf_influence,
    grad_similarity,
    trak_influence,
)
from .conventions import CONVENTIONS, book_damping, to_book
from .datasets import (
    flip_labels,
    load_digits_pair,
    make_logistic_data,
    ols_seed_data,
    tiny_logistic_data,
)
from .exceptions import (
    ConvergenceError,
    ConvergenceWarning,
    NotAtOptimumWarning,
    NotFittedError,
    NotPositiveDefiniteError,
    SeparableDataError,
)
from .experiments import (
    DetectionCurves,
    GroupRemoval,
    PenaltySweep,
    add_private_features,
    check_orders,
    detection_curves,
    fraction_found,
    group_removal,
    nearest_groups,
    penalty_sweep,
    random_groups,
    refit_without,
    self_influence_vs_retraining,
    separating_theta,
)
from .gap import Comparison, compare, linearized_pbrf
from .influence import influence_loss, influence_params, self_influence
from .kfac import kfac_influence
from .lds import (
    MeanLDS,
    SubsetRefits,
    detection_auc,
    lds,
    loo_correlation,
    mean_lds,
    subset_retrain,
)
from .loo import (
    generalized_leverage,
    leverage,
    loo_loss_change,
    loo_loss_change_onestep,
    loo_params,
    loo_params_ols,
    loo_params_onestep,
)
from .metrics import pearson, rankdata, rel_error, spearman
from .models import (
    LinearRegression,
    LogisticRegression,
    Model,
    add_intercept,
    gradient_descent,
    sigmoid,
)
from .nn import MLPClassifier, SoftmaxRegression, curvature_spectrum
from .pbrf import pbrf
from .retrain import Response, retrain
from .solvers import SolverInfo, cg, inverse_hvp, lissa
from .topk import TopInfluences, self_influence_batched, top_influences
from .weighted import SampleWeighted

__version__ = "0.1.0"

__all__ = [
    "Model",
    "LinearRegression",
    "LogisticRegression",
    "SoftmaxRegression",
    "MLPClassifier",
    "curvature_spectrum",
    "pbrf",
    "linearized_pbrf",
    "compare",
    "Comparison",
    "retrain",
    "Response",
    "add_intercept",
    "sigmoid",
    "gradient_descent",
    "inverse_hvp",
    "cg",
    "lissa",
    "SolverInfo",
    "influence_params",
    "influence_loss",
    "self_influence",
    "arnoldi_influence",
    "kfac_influence",
    "datainf_influence",
    "trak_influence",
    "grad_similarity",
    "top_influences",
    "self_influence_batched",
    "TopInfluences",
    "from_sklearn",
    "SampleWeighted",
    "to_book",
    "book_damping",
    "CONVENTIONS",
    "loo_params",
    "loo_loss_change",
    "loo_params_ols",
    "loo_params_onestep",
    "loo_loss_change_onestep",
    "leverage",
    "generalized_leverage",
    "ols_seed_data",
    "tiny_logistic_data",
    "make_logistic_data",
    "load_digits_pair",
    "flip_labels",
    "pearson",
    "spearman",
    "rankdata",
    "rel_error",
    "subset_retrain",
    "SubsetRefits",
    "lds",
    "mean_lds",
    "MeanLDS",
    "loo_correlation",
    "detection_auc",
    "penalty_sweep",
    "PenaltySweep",
    "refit_without",
    "group_removal",
    "GroupRemoval",
    "random_groups",
    "nearest_groups",
    "check_orders",
    "fraction_found",
    "detection_curves",
    "DetectionCurves",
    "add_private_features",
    "self_influence_vs_retraining",
    "separating_theta",
    "NotFittedError",
    "NotAtOptimumWarning",
    "NotPositiveDefiniteError",
    "SeparableDataError",
    "ConvergenceError",
    "ConvergenceWarning",
]
