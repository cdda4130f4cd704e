r"""Importance-performance map analysis (IPMA) of a PLS path model: :func:`ipma` -> :class:`IpmaResult`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.pls.model import PlsResult

__all__ = ["IpmaResult", "ipma"]


@dataclass(frozen=True, slots=True)
class IpmaResult:
    """Importance and performance of every construct that leads to ``target``.

    ``table`` has one row per such construct (importance: the unstandardized total effect on
    the target; performance: mean rescaled score, 0-100); ``performance`` covers every
    construct; ``rescaled_weights`` are the indicator weights of the 0-100 scores (each
    block sums to 1); ``unstandardized_paths`` is [to, from] on the 0-100 scores.
    """

    target: str
    target_performance: float
    table: pd.DataFrame = field(compare=False)
    performance: pd.Series = field(compare=False)
    rescaled_weights: pd.Series = field(compare=False)
    rescaled_scores: pd.DataFrame = field(compare=False)
    unstandardized_paths: pd.DataFrame = field(compare=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per construct leading to the target: importance and performance."""
        return self.table.reset_index()

    def summary(self) -> str:
        """The map as plain text, most important construct first."""
        head = f"IPMA for {self.target} (performance {self.target_performance:.1f} on 0-100)"
        body = self.table.sort_values("importance", ascending=False).round(3).to_string()
        return f"{head}\n{body}"


def _ranges(
    scale: tuple[float, float] | Mapping[str, tuple[float, float]], items: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(scale, Mapping):
        missing = [item for item in items if item not in scale]
        if missing:
            raise ValueError(f"scale: no (min, max) for item {missing[0]!r}")
        pairs = [scale[item] for item in items]
    else:
        pairs = [scale] * len(items)
    low = np.array([float(p[0]) for p in pairs])
    high = np.array([float(p[1]) for p in pairs])
    bad = np.flatnonzero(~(high > low))
    if bad.size:
        raise ValueError(f"scale: item {items[bad[0]]!r} has min {low[bad[0]]:g} not below max {high[bad[0]]:g}")
    return low, high


def ipma(result: PlsResult, target: str, scale: tuple[float, float] | Mapping[str, tuple[float, float]]) -> IpmaResult:
    r"""Importance-performance map for a target construct (Ringle & Sarstedt 2016).

    Parameters
    ----------
    result : PlsResult
        A model fitted by :func:`analysis.pls.fit` (its rows and outer weights are used).
    target : str
        The construct whose drivers are mapped.
    scale : (min, max) or mapping item -> (min, max)
        The theoretical ends of the items' response scale (not the observed range).

    Returns
    -------
    IpmaResult

    Notes
    -----
    1. Rescale each indicator to 0-100: \tilde x_i = 100 (x_i - min_i)/(max_i - min_i).
    2. Unstandardize the outer weights on that metric and normalise them per block:
       \tilde w_i = (w_i / sd(\tilde x_i)) / \sum_{j \in b_k} (w_j / sd(\tilde x_j)) (for
       centred, unscaled indicators w_i is already on the raw metric: w_i (max_i - min_i)/100).
       With one scale for the whole block this is (w_i/sd(x_i)) / \sum_j (w_j/sd(x_j)).
    3. Rescaled scores \tilde Y_k = \sum_i \tilde w_i \tilde x_i (0-100 when the weights are
       positive); **performance** = mean(\tilde Y_k).
    4. Unstandardized paths: OLS with intercept of each endogenous \tilde Y_k on \tilde Y_P(k);
       total effects \tilde T = \tilde B + \tilde B^2 + ...; **importance**_k = \tilde T[target, k],
       the change in target performance per point of k. It equals the standardized total
       effect times sd(\tilde Y_target)/sd(\tilde Y_k).

    With survey weights (a model fitted with ``weights``) the SDs, the performance means and the
    regressions are weighted (weighted least squares), as the fit is.

    A negative weight (possible in Mode B, or in a block whose items disagree) lets \tilde Y
    leave 0-100, and a block whose unstandardized weights sum below 0 turns \tilde Y against
    Y (the identity above then changes sign); the values are still computed as defined, and a
    reader should check ``rescaled_weights``.

    References
    ----------
    .. [1] Ringle, C. M., & Sarstedt, M. (2016). Gain more insight from your PLS-SEM results: The
           importance-performance map analysis. Industrial Management & Data Systems, 116(9),
           1865-1886. https://doi.org/10.1108/IMDS-10-2015-0449

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from analysis import pls
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> g = 0.6 * f + 0.8 * rng.normal(size=(300, 1))
    >>> items = np.hstack([f + rng.normal(size=(300, 3)), g + rng.normal(size=(300, 3))])
    >>> df = pd.DataFrame(np.clip(np.round(5.5 + 1.5 * items), 1, 10), columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    >>> res = pls.fit(df, {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"]}, [("A", "B")])
    >>> ip = ipma(res, "B", (1, 10))
    >>> bool(0 < ip.table.loc["A", "importance"] < 1) and bool(0 <= ip.table.loc["A", "performance"] <= 100)
    True
    """
    spec = result.spec
    if target not in spec.constructs:
        raise ValueError(f"target {target!r} is not a construct (constructs: {', '.join(map(repr, spec.constructs))})")
    names = list(spec.constructs)
    t = names.index(target)
    reach = spec.reach()
    if not reach[t].any():
        raise ValueError(f"target {target!r} has no construct leading to it; IPMA needs an endogenous target")
    low, high = _ranges(scale, spec.items)
    x = result.data.to_numpy()
    outside = np.flatnonzero(((x < low) | (x > high)).any(axis=0))
    if outside.size:
        item = spec.items[outside[0]]
        raise ValueError(f"scale: item {item!r} has values outside [{low[outside[0]]:g}, {high[outside[0]]:g}]")
    rescaled = (x - low) / (high - low) * 100.0
    sw = result.weights  # survey weights of the rows, or None
    weights = result.outer["weight"].to_numpy()
    sd = np.sqrt(np.diag(np.atleast_2d(np.cov(rescaled, rowvar=False, aweights=sw))))
    raw_weights = weights / sd if result.scaled else weights * (high - low) / 100.0
    member = spec.membership
    block_sums = raw_weights @ member
    wr = raw_weights / block_sums[spec.block_of]
    scores = rescaled @ (wr[:, None] * member)
    performance = np.average(scores, axis=0, weights=sw)
    j = len(names)
    b = np.zeros((j, j))
    for k in range(j):
        pred = np.flatnonzero(spec.adjacency[k])
        if pred.size:
            root = np.ones(len(x)) if sw is None else np.sqrt(sw)  # weighted least squares with weights
            design = np.column_stack([np.ones(len(x)), scores[:, pred]]) * root[:, None]
            coef, *_ = np.linalg.lstsq(design, scores[:, k] * root, rcond=None)
            b[k, pred] = coef[1:]
    total = np.linalg.inv(np.eye(j) - b) - np.eye(j)
    drivers = np.flatnonzero(reach[t])
    table = pd.DataFrame(
        {"importance": total[t, drivers], "performance": performance[drivers]},
        index=pd.Index([names[k] for k in drivers], name="construct"),
    )
    return IpmaResult(
        target=target,
        target_performance=float(performance[t]),
        table=table,
        performance=pd.Series(performance, index=names, name="performance"),
        rescaled_weights=pd.Series(wr, index=list(spec.items), name="rescaled_weight"),
        rescaled_scores=pd.DataFrame(scores, index=result.data.index, columns=names),
        unstandardized_paths=pd.DataFrame(b, index=names, columns=names),
    )
