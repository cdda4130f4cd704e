"""Importance-performance analysis: the Martilla & James grid.

:func:`grid` places attributes on the importance-performance grid (scale- or data-centred crosshairs)
and :func:`quadrants` names each attribute's quadrant. The importance measures that can stand in
for stated importance live apart, each with its own reason to change: :mod:`analysis.importance`
(OLS of overall satisfaction with standardized betas, Pratt, Johnson's relative weights and exact
LMG/Shapley, and :func:`derived_importance`) and :mod:`analysis.penalty_reward` (Brandt's
penalty-reward contrast analysis and its factor labels). Their public names are re-exported here,
so ``ipa.regression``, ``ipa.derived_importance`` and ``ipa.penalty_reward`` keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.importance import (
    LMG_MAX_ATTRIBUTES,
    ImportanceResult,
    RegressionResult,
    derived_importance,
    regression,
)
from analysis.penalty_reward import PenaltyRewardResult, brandt_label, penalty_reward
from analysis.quality import numeric_columns

__all__ = [
    "LMG_MAX_ATTRIBUTES",
    "QUADRANT_LABELS",
    "IPAResult",
    "ImportanceResult",
    "PenaltyRewardResult",
    "RegressionResult",
    "brandt_label",
    "derived_importance",
    "grid",
    "penalty_reward",
    "quadrants",
    "regression",
]

# Martilla & James (1977): (high importance, high performance) -> label.
QUADRANT_LABELS = {
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}


def quadrants(importance: pd.Series, performance: pd.Series, crosshair: tuple[float, float]) -> pd.Series:
    """Martilla & James quadrant per attribute; ``crosshair`` is (importance, performance).

    An attribute is high on an axis if its value is >= the crosshair (points on a line count as
    high).

    Examples
    --------
    >>> quadrants(pd.Series({"a": 6.0, "b": 3.0}), pd.Series({"a": 4.0, "b": 8.0}), (5, 5)).tolist()
    ['Concentrate here', 'Possible overkill']
    """
    imp_c, perf_c = crosshair
    perf = performance.reindex(importance.index)
    return pd.Series(
        [QUADRANT_LABELS[(bool(i >= imp_c), bool(p >= perf_c))] for i, p in zip(importance, perf, strict=True)],
        index=importance.index,
        name="quadrant",
    )


@dataclass(frozen=True, slots=True)
class IPAResult:
    """Importance-performance grid (see :func:`grid`)."""

    crosshair: tuple[float, float]  # (importance, performance) used for the quadrants
    crosshair_rule: str
    scale_crosshair: tuple[float, float] | None
    data_crosshair: tuple[float, float]  # mean of the attribute means
    attributes: pd.DataFrame = field(compare=False)  # per attribute: means, sds, n, quadrant

    def to_frame(self) -> pd.DataFrame:
        return self.attributes.reset_index()

    def summary(self) -> str:
        imp_c, perf_c = self.crosshair
        lines = [
            f"Importance-performance grid (crosshair {self.crosshair_rule}: importance {imp_c:.2f}, "
            f"performance {perf_c:.2f})"
        ]
        for attr, r in self.attributes.iterrows():
            lines.append(
                f"  {attr!s:<16} importance {r['mean_importance']:6.2f}  performance "
                f"{r['mean_performance']:6.2f}  {r['quadrant']}"
            )
        return "\n".join(lines)


def grid(
    df: pd.DataFrame,
    attributes: Mapping[str, tuple[str, str]],
    *,
    crosshair: str | tuple[float, float] = "data_mean",
    performance_scale: tuple[float, float] | None = None,
    importance_scale: tuple[float, float] | None = None,
) -> IPAResult:
    """Importance-performance grid of attribute means with Martilla & James quadrants.

    Parameters
    ----------
    df : DataFrame
    attributes : mapping of attribute -> (performance column, importance column)
        E.g. ``{"speed": ("speed_p", "speed_i")}``.
    crosshair : {"data_mean", "data_median", "scale"} or (importance, performance)
        ``data_mean`` (default): the mean of the attribute means; ``data_median``: their median;
        ``scale``: the scale midpoints (needs both scales); or explicit values.
    performance_scale, importance_scale : (low, high), optional
        Scale ranges, e.g. (1, 10) and (1, 7); the scale-centred crosshair is their midpoint.

    Returns
    -------
    IPAResult

    Notes
    -----
    Means use every available answer of each column. High means >= the crosshair. Scale-centred
    crosshairs put most attributes in "Keep up the good work" because ratings cluster above the
    midpoint; data-centred ones spread them but are relative (Bacon 2003; Azzopardi & Nash 2013).

    References
    ----------
    .. [1] Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. Journal of
           Marketing, 41(1), 77-79. https://doi.org/10.1177/002224297704100112
    .. [2] Bacon, D. R. (2003). A comparison of approaches to importance-performance analysis.
           International Journal of Market Research, 45(1), 55-71.
    .. [3] Azzopardi, E., & Nash, R. (2013). A critical evaluation of importance-performance
           analysis. Tourism Management, 35, 222-233. https://doi.org/10.1016/j.tourman.2012.07.007
    """
    if not attributes:
        raise ValueError("attributes is empty: give at least one attribute -> (performance, importance) columns")
    perf_cols = [p for p, _ in attributes.values()]
    imp_cols = [i for _, i in attributes.values()]
    values = numeric_columns(df, perf_cols + imp_cols)
    names = list(attributes)
    perf = values[perf_cols].set_axis(names, axis=1)
    imp = values[imp_cols].set_axis(names, axis=1)
    table = pd.DataFrame(
        {
            "mean_performance": perf.mean(),
            "sd_performance": perf.std(),
            "n_performance": perf.notna().sum(),
            "mean_importance": imp.mean(),
            "sd_importance": imp.std(),
            "n_importance": imp.notna().sum(),
        }
    )
    table.index.name = "attribute"
    data_c = (float(table["mean_importance"].mean()), float(table["mean_performance"].mean()))
    scale_c = None
    if performance_scale is not None and importance_scale is not None:
        scale_c = (float(np.mean(importance_scale)), float(np.mean(performance_scale)))
    if crosshair == "data_mean":
        chosen = data_c
    elif crosshair == "data_median":
        chosen = (float(table["mean_importance"].median()), float(table["mean_performance"].median()))
    elif crosshair == "scale":
        if scale_c is None:
            raise ValueError("crosshair='scale' needs performance_scale and importance_scale")
        chosen = scale_c
    elif isinstance(crosshair, tuple) and len(crosshair) == 2:
        chosen = (float(crosshair[0]), float(crosshair[1]))
    else:
        raise ValueError(
            f"crosshair must be 'data_mean', 'data_median', 'scale' or (importance, performance), got {crosshair!r}"
        )
    table["quadrant"] = quadrants(table["mean_importance"], table["mean_performance"], chosen)
    rule = crosshair if isinstance(crosshair, str) else "fixed"
    return IPAResult(
        crosshair=chosen, crosshair_rule=rule, scale_crosshair=scale_c, data_crosshair=data_c, attributes=table
    )
