r"""Automatic checkers for the book's coursework exercises.

Each checker takes the student's function, runs it on a fixed set of random and edge-case
inputs (seeded, so every run is the same), compares each answer with the package's own
result, and prints ``PASS`` or ``FAIL``. On a failure it prints the first counterexample:
the case, the shapes and values of the inputs, the expected and the actual output, where
they differ most and, when the mistake is a common one (a sign, a factor 2 or n, a
transposed array, a missing penalty or leverage term), a hint. It prints values, never
code. Each checker returns ``True`` or ``False``, so it can also be used in an ``assert``.

- :func:`check_loo_ols`: ``fn(X, y)`` returns the exact least-squares LOO parameters,
  shape (n, p) (chapter :ref:`least_squares`);
- :func:`check_logistic_grad`: ``fn(X, y, theta)`` returns the per-example gradients of the
  logistic loss, shape (n, p) (chapter :ref:`logistic_cg`);
- :func:`check_cg`: ``fn(matvec, b, rtol, maxiter)`` returns ``x`` with ``A x = b``
  (chapter :ref:`cg_steps`);
- :func:`check_loo_onestep`: ``fn(X, y, theta, l2)`` returns the one-step Newton LOO
  parameters of logistic regression, shape (n, p) (chapter :ref:`digits_influence`);
- :func:`check_self_influence`: ``fn(X, y, theta, l2)`` returns the self-influences,
  shape (n,) (chapter :ref:`mislabeled`);
- :func:`check_hvp`: ``fn(X, y, theta, l2, V)`` returns ``H @ V`` (chapter :ref:`solvers`);
- :func:`check_lissa`: ``fn(matvec, V, scale, damping, depth)`` returns the LiSSA estimate
  of ``(H + damping I)^{-1} V`` after ``depth`` full-batch steps (chapter :ref:`sol-lissa`);
- :func:`check_ridge_removal`: ``fn(X, y, X_test, y_test, l2)`` returns the exact change in
  each test loss when each training point of ridge regression is removed, shape (m, n)
  (chapter :ref:`own_model`);
- :func:`check_mlp_hvp`: ``fn(X, y, theta, n_hidden, l2, V)`` returns the exact ``H @ V`` of a
  one-hidden-layer network, by the R-operator (chapter :ref:`neural_network`);
- :func:`check_lds`: ``fn(scores, masks, losses)`` returns the linear datamodeling score of
  every test point, shape (m,) (chapter :ref:`lds`);
- :func:`check_datainf`: ``fn(G, G_test, mu)`` returns DataInf's (m, n) influence for one
  block of parameters (chapter :ref:`approximations`);
- :func:`check_chunked_hessian`: ``fn(chunks, theta, l2)`` returns the Hessian of L2
  logistic regression as a sum over chunks of rows (chapter :ref:`cluster`).

The checkers of a chapter live in the module of that name (``coursework.least_squares``,
...); all of them run on :mod:`influence_demo.coursework.harness`, and draw their random
problems from :mod:`influence_demo.coursework.problems`. The conventions are the
package's: the objective is the **sum**
:math:`R(\theta)=\sum_i L(z_i,\theta)+\frac\lambda2\lVert\theta\rVert^2`, labels are in
{0, 1}, the least-squares loss is :math:`(y-x^\top\theta)^2` and :math:`H` includes
:math:`\lambda I`.

Examples
--------
A wrong answer is caught and explained:

>>> import numpy as np
>>> from influence_demo.coursework import check_logistic_grad
>>> def grad_wrong_sign(X, y, theta):
...     p = 1 / (1 + np.exp(-X @ theta))
...     return (y - p)[:, None] * X
>>> check_logistic_grad(grad_wrong_sign)
check_logistic_grad: FAIL on case 1 of 7 (random data, n=6, p=3)
...
  hint: your answer is -1 times the expected one. The gradient of the negative ...
False
"""

from .approximations import check_datainf
from .cluster import check_chunked_hessian
from .digits_influence import check_loo_onestep
from .lds import check_lds
from .least_squares import check_loo_ols
from .lissa import check_lissa
from .logistic_cg import check_cg, check_logistic_grad
from .mislabeled import check_self_influence
from .neural_network import check_mlp_hvp
from .own_model import check_ridge_removal
from .solvers import check_hvp

__all__ = [
    "check_loo_ols",
    "check_logistic_grad",
    "check_hvp",
    "check_lissa",
    "check_cg",
    "check_self_influence",
    "check_loo_onestep",
    "check_mlp_hvp",
    "check_lds",
    "check_datainf",
    "check_chunked_hessian",
    "check_ridge_removal",
]
