r"""Simulated answers drawn from the questionnaire's path model (``model:``), with known paths.

When a questionnaire declares a satisfaction-index model, :func:`surveykit.simulate.simulate`
draws the model's items from it, so that a fit of the simulated data recovers paths that were
planted. The planted model, for n respondents:

* constructs in an order where every predecessor comes first (the paths are recursive);
* an exogenous construct is :math:`\xi = 0.6 s + 0.8 e`, with :math:`s` the simulator's
  latent satisfaction standardised over the sample (so that dealer and wave differences
  reach the model) and :math:`e \sim N(0, 1)`;
* an endogenous construct is :math:`\eta_k = \sum_{j \in P(k)} \beta_{kj} \eta_j + \zeta_k`
  with :math:`\beta_{kj} = c_k v_j`, :math:`v_j = 1/r_j` for the predecessor listed :math:`r_j`-th
  under ``paths:`` (the first-listed driver weighs most, the second half as much, ...), and
  :math:`c_k = \sqrt{R^2 / v'\Sigma_P v}`, :math:`\Sigma_P` the model-implied correlation matrix
  of its predecessors, so that the construct's :math:`R^2` is :data:`PLANTED_R2` and
  :math:`\operatorname{var}\zeta_k = 1 - R^2` keeps it standardised. The :math:`\beta` are
  therefore the standardised paths that a fit estimates (:func:`planted_paths`);
* an item is :math:`y = \lambda \eta + \sqrt{1 - \lambda^2} u + m`, cut into the scale's
  points as the rest of the simulator does (cut points evenly spaced on [-1.9, 1.9]), with
  :math:`m = 0.35 + N(0, 0.2^2)` per item (ratings skewed to the good end, as CSAT data are).
  :math:`\lambda` is :data:`LOADING` in a block of two or more items; a single-item construct
  is measured by its item alone (:math:`\lambda = 1`), as PLS assumes for it. A reverse-keyed
  item loads on :math:`-\eta`.

Composites of items with measurement error estimate the latent paths with a bias (Dijkstra &
Henseler 2015, "consistency at large"): with loadings of 0.89 the composite reliability of
three items is about .92, the largest planted paths come out about .05 to .08 low (a more
reliable predictor, such as a single item, takes a little from a less reliable one), and a
fit on 2,000 responses lands within 0.1 of every planted path (tests/surveykit/test_pathmodel).
"""

from __future__ import annotations

import numpy as np

from surveykit.model import PathModel, Questionnaire

PLANTED_R2 = 0.4
LOADING = 0.89
EXOGENOUS_LOADING_ON_S = 0.6


def order(model: PathModel) -> list[str]:
    """The constructs with every predecessor before its successors (Kahn's topological sort)."""
    names = [c.id for c in model.constructs]
    pending = {name: {f for f, t in model.paths if t == name} for name in names}
    out: list[str] = []
    while pending:
        ready = [name for name in names if name in pending and not pending[name]]
        if not ready:
            raise ValueError("the paths form a cycle")  # the loader refuses such a model
        for name in ready:
            out.append(name)
            del pending[name]
        for rest in pending.values():
            rest.difference_update(ready)
    return out


def planted_paths(model: PathModel) -> tuple[dict[tuple[str, str], float], np.ndarray]:
    """The standardised path (from, to) -> beta that :func:`draw` plants, and the implied correlations.

    The correlation matrix (constructs in the model's order) follows from the exogenous
    correlations :data:`EXOGENOUS_LOADING_ON_S` squared and, for each endogenous k in
    topological order, :math:`\\Sigma_{kj} = \\sum_{i \\in P(k)} \\beta_{ki} \\Sigma_{ij}`.
    """
    names = [c.id for c in model.constructs]
    index = {name: k for k, name in enumerate(names)}
    sigma = np.eye(len(names))
    done: list[int] = []
    beta: dict[tuple[str, str], float] = {}
    for name in order(model):
        k = index[name]
        preds = [index[f] for f, t in model.paths if t == name]
        if not preds:
            for j in done:
                if not any(t == names[j] for _, t in model.paths):
                    sigma[k, j] = sigma[j, k] = EXOGENOUS_LOADING_ON_S**2
        else:
            v = 1.0 / np.arange(1, len(preds) + 1)
            b = v * float(np.sqrt(PLANTED_R2 / (v @ sigma[np.ix_(preds, preds)] @ v)))
            for j in done:
                sigma[k, j] = sigma[j, k] = float(b @ sigma[preds, j])
            for p, coefficient in zip(preds, b, strict=True):
                beta[(names[p], name)] = float(coefficient)
        done.append(k)
    return beta, sigma


def draw(
    q: Questionnaire,
    rng: np.random.Generator,
    satisfaction: np.ndarray,
    straight: np.ndarray,
    straight_point: np.ndarray,
) -> dict[str, np.ndarray]:
    """Answers to every indicator of ``q.model``, drawn from the planted model (module docstring).

    ``satisfaction`` is the simulator's latent satisfaction, ``straight`` and
    ``straight_point`` its straight-liners and the point each one picks.
    """
    model = q.model
    if model is None:
        return {}
    n = satisfaction.shape[0]
    spread = satisfaction.std()
    s = (satisfaction - satisfaction.mean()) / spread if n > 1 and spread > 0 else np.zeros(n)
    beta, _ = planted_paths(model)
    latent: dict[str, np.ndarray] = {}
    for name in order(model):
        preds = [f for f, t in model.paths if t == name]
        if not preds:
            latent[name] = EXOGENOUS_LOADING_ON_S * s + np.sqrt(1 - EXOGENOUS_LOADING_ON_S**2) * rng.standard_normal(n)
        else:
            systematic = sum(beta[(f, name)] * latent[f] for f in preds)
            latent[name] = systematic + np.sqrt(1 - PLANTED_R2) * rng.standard_normal(n)
    out: dict[str, np.ndarray] = {}
    for construct in model.constructs:
        loading = LOADING if len(construct.items) > 1 else 1.0
        for item in construct.items:
            variable = q.variable(item)
            low, high = int(variable.min or 1), int(variable.max or 10)
            points = high - low + 1
            sign = -1.0 if variable.reverse else 1.0
            mean = 0.35 + rng.normal(0, 0.2)
            y = sign * (loading * latent[construct.id] + mean) + np.sqrt(1 - loading**2) * rng.standard_normal(n)
            values = (np.searchsorted(np.linspace(-1.9, 1.9, points - 1), y) + low).astype(float)
            values[straight] = low + np.floor(straight_point[straight] * points)
            out[item] = values
    return out
