"""Weighting in ``analyze()``: the weights of a declared ``weighting:`` and the estimates that honour them.

The weights are computed once, on the analysed frame (after the quality exclusions), with
:mod:`analysis.weighting` (raking or post-stratification to the declared margins, then trimming
if bounds are given). What the result keeps is what a reader needs to judge them: the target of
every margin cell against what the weights achieve, Kish's design effect, the effective sample
size and the weighting efficiency (Kish 1965, section 11.7).

Weighted estimates here are those of the overall-satisfaction question (mean, top-2-box, the 0-100
satisfaction index) and of every NPS question, each a domain estimate over those who answered
with the calibration-aware linearisation SE of :mod:`analysis.weighting.estimates` (R survey's
``svymean(..., na.rm = TRUE)`` after ``calibrate()``). The unweighted figure stands beside each,
computed by the same estimator with equal weights, and a pair is flagged when the unweighted
estimate falls outside the weighted estimate's confidence interval. The other sections of the
analysis are not weighted yet; :data:`UNWEIGHTED_SECTIONS` names them and ``analyze()`` says so in
a note, so that no figure is weighted or unweighted silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis import weighting as wt
from surveykit.model import Question, Weighting
from surveykit.weights import WEIGHT_COLUMN

__all__ = ["UNWEIGHTED_SECTIONS", "WeightedEstimate", "WeightingSection", "compute_weights", "weigh"]

UNWEIGHTED_SECTIONS = (
    "reliability",
    "servqual",
    "kano",
    "ipa",
    "segments",
    "funnel",
    "waves",
    "nps_segments",
    "loyalty_matrix",
    "scoring",
    "frequencies",
)


@dataclass(frozen=True, slots=True)
class WeightedEstimate:
    """One estimate weighted and unweighted, both with a linearisation SE and a normal CI.

    ``differs`` is true when the unweighted estimate lies outside the weighted CI: the weighting
    moved the figure by more than its own sampling error.
    """

    statistic: str  # satisfaction_mean, top2, satisfaction_index or nps
    variable: str
    n: int
    weighted: float
    weighted_se: float
    weighted_ci: tuple[float, float]
    unweighted: float
    unweighted_se: float
    unweighted_ci: tuple[float, float]
    differs: bool


@dataclass(frozen=True, slots=True)
class WeightingSection:
    """``AnalysisResult.weighting``: how the analysed responses were weighted, and what it changed.

    ``margins`` has one row per margin cell (target count and share, respondents, weighted total
    and share: :meth:`analysis.weighting.WeightingResult.to_frame`); ``weights`` is the weight of
    every analysed response, a Series named ``weight`` on the analysed frame's index.
    """

    method: str
    source: str
    population_total: float
    iterations: int
    max_rel_error: float
    kish: wt.KishResult
    trim: wt.TrimInfo | None
    margins: pd.DataFrame = field(compare=False)
    estimates: tuple[WeightedEstimate, ...] = ()
    unweighted_sections: tuple[str, ...] = UNWEIGHTED_SECTIONS
    weights: pd.Series = field(default_factory=lambda: pd.Series(dtype=float), compare=False, repr=False)

    def summary(self) -> str:
        k = self.kish
        lines = [
            f"Weighting ({self.method}, {self.source}): population {self.population_total:.6g}; Kish deff "
            f"{k.deff:.3f}, effective n {k.n_eff:.1f} of {k.n}, efficiency {k.efficiency_pct:.1f} %"
        ]
        for e in self.estimates:
            flag = "  *differs*" if e.differs else ""
            lines.append(
                f"  {e.statistic} {e.variable}: weighted {e.weighted:.2f} [{e.weighted_ci[0]:.2f}, "
                f"{e.weighted_ci[1]:.2f}], unweighted {e.unweighted:.2f}{flag}"
            )
        lines.append(f"  not weighted: {', '.join(self.unweighted_sections)}")
        return "\n".join(lines)


def compute_weights(spec: Weighting, df: pd.DataFrame) -> wt.WeightingResult:
    """The weights of ``spec`` on ``df``: raking or post-stratification, then trimming if bounds are given.

    Raking is IPF to the margins' cell counts (Deming & Stephan 1940), post-stratification its
    one-margin case, both through :mod:`analysis.weighting` (equal base weights; shares become
    counts with the population total, else the number of rows). Impossible margins (a population
    cell without respondents, a respondent in no cell) raise ``ValueError`` naming the margin and cell.
    """
    margins = [
        wt.margin(list(m.fields), {values: target for values, target in m.cells}, shares=m.shares, name=m.name)
        for m in spec.margins
    ]
    if spec.method == "poststratification":
        result = wt.poststratify(df, margins[0], population_total=spec.population_total)
    else:
        result = wt.rake(
            df, margins, population_total=spec.population_total, tol=spec.tolerance, max_iter=spec.max_iterations
        )
    if spec.trim_upper is not None or spec.trim_lower is not None:
        result = wt.trim_weights(
            result,
            upper=spec.trim_upper if spec.trim_upper is not None else np.inf,
            lower=spec.trim_lower if spec.trim_lower is not None else -np.inf,
            strict=spec.trim_strict,
        )
    return result


def _pair(
    statistic: str,
    variable: str,
    weighted: wt.WeightedEstimateResult | wt.WeightedNpsResult,
    unweighted: wt.WeightedEstimateResult | wt.WeightedNpsResult,
) -> WeightedEstimate:
    def point(r: Any) -> float:
        return float(r.nps if isinstance(r, wt.WeightedNpsResult) else r.estimate)

    est, raw = point(weighted), point(unweighted)
    return WeightedEstimate(
        statistic,
        variable,
        weighted.n,
        est,
        weighted.se,
        weighted.ci,
        raw,
        unweighted.se,
        unweighted.ci,
        bool(not weighted.ci[0] <= raw <= weighted.ci[1]),
    )


def weigh(
    spec: Weighting,
    data: pd.DataFrame,
    sat: Question | None,
    nps_questions: list[Question],
    conf_level: float,
) -> WeightingSection:
    """Weights for the analysed frame ``data`` and the weighted estimates beside the unweighted ones.

    Formulas: satisfaction mean ȳ_w = Σ_D w y / Σ_D w over those who answered (D); top-2-box =
    100 × the weighted mean of 1[y ≥ k − 1] on a k-point scale; index = 100 (ȳ_w − 1)/(k − 1);
    NPS = the weighted mean of +100/0/−100 (:func:`analysis.weighting.weighted_nps`). SEs by
    linearisation with the calibration residuals (Deville & Särndal 1992; Lumley 2010, 7.2-7.4).
    """
    result = compute_weights(spec, data)
    equal = wt.design_weights(data)
    estimates: list[WeightedEstimate] = []
    if sat is not None and sat.scale is not None:
        points = sat.scale.points
        y = pd.to_numeric(data[sat.id], errors="coerce").astype(float)
        frame = pd.DataFrame(
            {
                "mean": y,
                "top2": (100.0 * (y >= points - 1)).where(y.notna()),
                "index": 100 * (y - 1) / (points - 1),
            },
            index=data.index,
        )
        for statistic, column in (("satisfaction_mean", "mean"), ("top2", "top2"), ("satisfaction_index", "index")):
            estimates.append(
                _pair(
                    statistic,
                    sat.id,
                    wt.weighted_mean(frame, column, result, ci=conf_level),
                    wt.weighted_mean(frame, column, equal, ci=conf_level),
                )
            )
    for question in nps_questions:
        estimates.append(
            _pair(
                "nps",
                question.id,
                wt.weighted_nps(data, question.id, result, ci=conf_level),
                wt.weighted_nps(data, question.id, equal, ci=conf_level),
            )
        )
    return WeightingSection(
        method=spec.method,
        source=spec.source,
        population_total=result.population_total,
        iterations=result.iterations,
        max_rel_error=result.max_rel_error,
        kish=result.kish,
        trim=result.trim,
        margins=result.to_frame(),
        estimates=tuple(estimates),
        weights=result.weights.rename(WEIGHT_COLUMN),
    )
