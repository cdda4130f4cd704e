"""Weighting in ``analyze()``: the weights of a declared ``weighting:`` and the estimates that honour them.

The weights are computed once, on the analysed frame (after the quality exclusions), with
:mod:`analysis.weighting` (raking or post-stratification to the declared margins, then trimming
if bounds are given). What the result keeps is what a reader needs to judge them: the target of
every margin cell against what the weights achieve, Kish's design effect, the effective sample
size and the weighting efficiency (Kish 1965, section 11.7).

Every weighted figure is a domain estimate over those who answered with the calibration-aware
linearisation SE of :mod:`analysis.weighting.estimates` (R survey's ``svymean(..., na.rm = TRUE)``
after ``calibrate()``): the overall-satisfaction mean, top-2-box and 0-100 index and every NPS
(:attr:`WeightingSection.estimates`); the SERVQUAL item, dimension and overall scores with the
test of the weighted mean gap (:func:`servqual_weighted`); the satisfaction mean, top-2-box and
NPS in every segment (:func:`segments_weighted`) and the Wald test of equal segment means with
their full covariance (:func:`segment_tests`); the funnel plot of unit means
(:func:`funnel_weighted`); the index per wave with the change test (:func:`waves_weighted`); the
IPA performance and importance means (:func:`ipa_weighted`). The unweighted figure stands beside
each, computed by the same estimator with equal weights, and a row is flagged (``differs``) when
the unweighted estimate falls outside the weighted estimate's confidence interval.

``analyze()`` also passes the weights to the sections that are not means: reliability (alpha and
omega from the weighted covariance and correlation matrices, :func:`analysis.covariance.weighted_moments`),
Kano (weighted category shares), derived importance and penalty-reward (weighted correlations and
weighted least squares), the loyalty matrix (weighted shares of the four types), the path
model (:func:`analysis.pls.fit` with weights), the category scores, the answer percents and the
comment themes. Counts stay counts of respondents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis import weighting as wt
from analysis.quality import numeric_columns
from surveykit.model import Question, Questionnaire, Weighting
from surveykit.weights import WEIGHT_COLUMN

__all__ = [
    "FUNNEL_COVERAGE",
    "WeightedEstimate",
    "WeightingSection",
    "compute_weights",
    "domain_wald",
    "effective_n",
    "funnel_weighted",
    "ipa_weighted",
    "segment_tests",
    "segments_weighted",
    "servqual_weighted",
    "waves_weighted",
    "weigh",
]

FUNNEL_COVERAGE = (0.95, 0.998)  # as analysis.segments.funnel_limits: Spiegelhalter's 2 and 3 sigma


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
    n_eff: float = float("nan")  # Kish's effective n of those who answered (:func:`effective_n`)
    shares: tuple[float, float] | None = None  # weighted promoter and detractor shares of an NPS


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
    servqual: dict[str, pd.DataFrame] = field(default_factory=dict, compare=False)  # block -> servqual_weighted
    segments: pd.DataFrame | None = field(default=None, compare=False)  # segments_weighted
    segment_tests: pd.DataFrame | None = field(default=None, compare=False)  # segment_tests
    funnel: pd.DataFrame | None = field(default=None, compare=False)  # funnel_weighted
    waves: pd.DataFrame | None = field(default=None, compare=False)  # waves_weighted
    ipa: dict[str, pd.DataFrame] = field(default_factory=dict, compare=False)  # block -> ipa_weighted
    notes: tuple[str, ...] = ()  # weighted tables that could not be estimated (a domain nobody answered)
    weights: pd.Series = field(default_factory=lambda: pd.Series(dtype=float), compare=False, repr=False)
    # the calibration itself, for estimates made after weigh() (the comment themes' linearised SEs)
    result: wt.WeightingResult | None = field(default=None, compare=False, repr=False, metadata={"export": False})

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
        for block, table in self.servqual.items():
            for r in table[table["kind"] != "item"].itertuples():
                lines.append(
                    f"  servqual {block} {r.name} {r.measure}: weighted {r.weighted:+.3f} (SE {r.se:.3f}), "
                    f"unweighted {r.unweighted:+.3f}"
                )
        if self.waves is not None:
            for r in self.waves.itertuples():
                lines.append(
                    f"  wave {r.wave}: weighted index {r.weighted:.2f} (SE {r.se:.2f}), unweighted {r.unweighted:.2f}"
                )
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
        result = wt.poststratify(df, margins[0], design=wt.design_of(spec), population_total=spec.population_total)
    else:
        result = wt.rake(
            df,
            margins,
            design=wt.design_of(spec),
            population_total=spec.population_total,
            tol=spec.tolerance,
            max_iter=spec.max_iterations,
        )
    if spec.trim_upper is not None or spec.trim_lower is not None:
        result = wt.trim_weights(
            result,
            upper=spec.trim_upper if spec.trim_upper is not None else np.inf,
            lower=spec.trim_lower if spec.trim_lower is not None else -np.inf,
            strict=spec.trim_strict,
        )
    return result


def effective_n(weights: pd.Series, answered: pd.Series) -> float:
    r"""Kish's effective sample size of the rows that answered: n_eff = (Σ_D w)² / Σ_D w².

    The number of equally weighted respondents that would give a mean the same variance as the
    weighted one under simple random sampling (Kish 1965, section 11.7); shown beside every n of
    a weighted figure, for the domain that figure uses (its respondents, a dealer, a wave).

    References
    ----------
    .. [1] Kish, L. (1965). *Survey Sampling*. Wiley, section 11.7.
    """
    w = weights[answered.reindex(weights.index, fill_value=False).to_numpy(bool)]
    total = float(w.sum())
    return total * total / float((w * w).sum()) if len(w) and total > 0 else float("nan")


def _pair(
    statistic: str,
    variable: str,
    weighted: wt.WeightedEstimateResult | wt.WeightedNpsResult,
    unweighted: wt.WeightedEstimateResult | wt.WeightedNpsResult,
    n_eff: float,
) -> WeightedEstimate:
    def point(r: Any) -> float:
        return float(r.nps if isinstance(r, wt.WeightedNpsResult) else r.estimate)

    est, raw = point(weighted), point(unweighted)
    shares = None
    if isinstance(weighted, wt.WeightedNpsResult):
        shares = (float(weighted.promoters_share), float(weighted.detractors_share))
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
        n_eff,
        shares,
    )


def _row(weighted: wt.WeightedEstimateResult, unweighted: wt.WeightedEstimateResult, n_eff: float) -> dict[str, Any]:
    """One table row: the weighted estimate with SE and CI, the equal-weight one beside it, the flag."""
    low, high = weighted.ci
    return {
        "n": weighted.n,
        "n_eff": n_eff,
        "weighted": weighted.estimate,
        "se": weighted.se,
        "ci_low": low,
        "ci_high": high,
        "unweighted": unweighted.estimate,
        "unweighted_se": unweighted.se,
        "differs": bool(not low <= unweighted.estimate <= high),
    }


def _means(
    columns: dict[Any, pd.Series], index: pd.Index, result: wt.WeightingResult, conf_level: float
) -> dict[Any, dict[str, Any]]:
    """Weighted and equal-weight means of every series in ``columns`` (each aligned to ``index``)."""
    frame = pd.DataFrame({f"c{i}": values.reindex(index) for i, values in enumerate(columns.values())}, index=index)
    equal = wt.design_weights(frame)
    return {
        key: _row(
            wt.weighted_mean(frame, f"c{i}", result, ci=conf_level),
            wt.weighted_mean(frame, f"c{i}", equal, ci=conf_level),
            effective_n(result.weights, frame[f"c{i}"].notna()),
        )
        for i, key in enumerate(columns)
    }


def _by(
    values: pd.Series, groups: pd.Series, result: wt.WeightingResult, conf_level: float
) -> list[tuple[Any, dict[str, Any]]]:
    """(level, row) for the weighted mean of ``values`` in every level of ``groups`` (domains, svyby)."""
    frame = pd.DataFrame({"y": values, "g": groups}, index=result.weights.index)
    weighted = wt.weighted_means_by(frame, "y", "g", result, ci=conf_level)
    equal = wt.weighted_means_by(frame, "y", "g", wt.design_weights(frame), ci=conf_level)
    answered = frame["y"].notna()
    return [
        (level, _row(w, u, effective_n(result.weights, answered & (frame["g"] == level))))
        for level, w, u in zip(weighted.levels, weighted.rows, equal.rows, strict=True)
        if w.n > 0
    ]


def _z_test(table: pd.DataFrame, tested: pd.Series) -> pd.DataFrame:
    """z = estimate / SE and its two-sided normal p where ``tested``, for weighted and equal weights."""
    for prefix, est, se in (("", "weighted", "se"), ("unweighted_", "unweighted", "unweighted_se")):
        z = (table[est] / table[se]).where(tested & (table[se] > 0))
        table[f"{prefix}z"] = z
        table[f"{prefix}p"] = 2 * stats.norm.sf(np.abs(z))
    return table


def servqual_weighted(
    q: Questionnaire,
    data: pd.DataFrame,
    block: str,
    scores: pd.DataFrame,
    result: wt.WeightingResult,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    r"""Weighted SERVQUAL means: E, P and P − E per item and dimension, and the overall scores.

    Rows (``kind``, ``name``, ``measure``): per item the weighted mean of E and of P over those who
    answered each, and of the gap G = P − E over the complete pairs; per dimension the weighted
    mean of the respondent's mean E, mean P (SERVPERF) and dimension gap; the overall unweighted
    and 100-point weighted SERVQUAL scores of :func:`analysis.servqual.gap_scores` (its ``scores``,
    one row per respondent). Each is ȳ_w = Σ_D w y / Σ_D w with the calibration-aware
    linearisation SE (:func:`analysis.weighting.weighted_mean`).

    The paired test of P against E becomes, under the weights, the test of the weighted mean
    difference: z = ḡ_w / SE_lin(ḡ_w), two-sided normal p (``z``, ``p``), for every gap and score.
    The paired t of the unweighted analysis assumes independent, equally weighted pairs; with
    calibrated weights the mean difference is a domain mean whose variance is the linearisation
    one (Lumley 2010, sections 2.3 and 7.4; R ``svymean(~I(P - E), design, na.rm = TRUE)``), and a
    normal reference is used as for every weighted interval here. ``unweighted_z``/``unweighted_p``
    are the same test with equal weights (close to the paired t for large n).

    References
    ----------
    .. [1] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
    .. [2] Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1988). SERVQUAL. *Journal of
           Retailing*, 64(1), 12-40.
    """
    items = next(b for b in q.blocks("servqual") if b.id == block).items
    e_cols, p_cols = [f"{i.id}_e" for i in items], [f"{i.id}_p" for i in items]
    values = numeric_columns(data, e_cols + p_cols)
    e = values[e_cols].set_axis([i.id for i in items], axis=1)
    p = values[p_cols].set_axis([i.id for i in items], axis=1)
    columns: dict[tuple[str, str, str], pd.Series] = {}
    for item in e.columns:
        columns |= {
            ("item", item, "E"): e[item],
            ("item", item, "P"): p[item],
            ("item", item, "gap"): p[item] - e[item],
        }
    dimensions: dict[str, list[str]] = {}
    for item in items:
        if item.dimension:
            dimensions.setdefault(item.dimension, []).append(item.id)
    for d, members in dimensions.items():
        columns[("dimension", d, "E")] = e[members].mean(axis=1)
        columns[("dimension", d, "P")] = p[members].mean(axis=1)
        columns[("dimension", d, "gap")] = scores[d]
    for score in ("unweighted_servqual", "weighted_servqual"):
        if score in scores:
            columns[("score", score, "gap")] = scores[score]
    rows = _means(columns, data.index, result, conf_level)
    table = pd.DataFrame([{"kind": k, "name": n, "measure": m} | row for (k, n, m), row in rows.items()])
    return _z_test(table, table["measure"] == "gap")


def segments_weighted(
    data: pd.DataFrame,
    fields: list[str],
    sat: Question | None,
    nps_questions: list[Question],
    result: wt.WeightingResult,
    conf_level: float = 0.95,
) -> pd.DataFrame | None:
    """Weighted satisfaction mean, top-2-box (%) and NPS in every level of every segment field.

    Each level is a domain (R ``svyby(~y, ~field, svymean, na.rm = TRUE)``,
    :func:`analysis.weighting.weighted_means_by`): the mean of y, of 100·1[y ≥ k − 1] on a k-point
    scale, and of the NPS score s = +100/0/−100 (promoters 9-10, detractors 0-6; Reichheld 2003),
    whose weighted mean is the weighted NPS. Levels where nobody answered are left out. None when
    there is nothing to compare.
    """
    outcomes: list[tuple[str, str, pd.Series]] = []
    if sat is not None and sat.scale is not None:
        y = pd.to_numeric(data[sat.id], errors="coerce").astype(float)
        outcomes += [("mean", sat.id, y), ("top2", sat.id, (100.0 * (y >= sat.scale.points - 1)).where(y.notna()))]
    for question in nps_questions:
        x = pd.to_numeric(data[question.id], errors="coerce").astype(float)
        outcomes.append(
            (
                "nps",
                question.id,
                pd.Series(np.where(x >= 9, 100.0, np.where(x <= 6, -100.0, 0.0)), x.index).where(x.notna()),
            )
        )
    rows = [
        {"field": f, "level": level, "statistic": statistic, "variable": variable} | row
        for f in fields
        for statistic, variable, values in outcomes
        for level, row in _by(values, data[f], result, conf_level)
    ]
    return pd.DataFrame(rows) if rows else None


def domain_wald(means: np.ndarray, covariance: np.ndarray, df: int) -> tuple[float, int, int, float]:
    r"""Wald test that G weighted segment means are equal, with their full covariance: (X², G − 1, df₂, p).

    With ȳ the vector of the segment means and V̂ their linearisation covariance matrix
    (:attr:`analysis.weighting.WeightedSegmentsResult.covariance`), C the (G − 1) × G contrasts
    ȳ_g − ȳ_1 (any full set of contrasts gives the same statistic),

    .. math:: X^2 = (Car y)^	op (C\hat V C^	op)^{-1} (Car y),

    referred, as R survey's ``regTermTest(svyglm(y ~ g, design), ~g)`` does, to F = X²/(G − 1)
    on G − 1 and df₂ = ``df`` − (G − 1) degrees of freedom, ``df`` being the design degrees of
    freedom of the respondents (:func:`analysis.weighting.design.design_df`; the residual df
    of the regression on G levels is df − G + 1). The covariance carries the dependence that
    a calibration to margins crossing the segments creates (R ``svyby(..., covmat = TRUE)``
    then ``svycontrast``); without calibration, disjoint domains of a simple random sample are
    uncorrelated and X² is Cochran's (1954) homogeneity statistic Σ (ȳ_g − ȳ*)²/s_g². Levels
    without a finite mean and positive variance are left out. It replaces the ANOVA, Welch and
    Kruskal-Wallis tests of the unweighted report, which assume equally weighted independent
    observations.

    References
    ----------
    .. [1] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, sections 5.2 and 6.2.
    .. [2] Korn, E. L., & Graubard, B. I. (1990). Simultaneous testing of regression coefficients with
           complex survey data: use of Bonferroni t statistics. *The American Statistician*, 44(4), 270-276.
    .. [3] Cochran, W. G. (1954). The combination of estimates from different experiments.
           Biometrics, 10(1), 101-129. https://doi.org/10.2307/3001666
    """
    y, v = np.asarray(means, dtype=float), np.asarray(covariance, dtype=float)
    ok = np.isfinite(y) & np.isfinite(np.diag(v)) & (np.diag(v) > 0)
    y, v = y[ok], v[np.ix_(ok, ok)]
    g = len(y)
    if g < 2:
        raise ValueError("a test of equal segment means needs at least 2 segments with a standard error")
    df2 = df - (g - 1)
    if df2 < 1:
        raise ValueError(f"the design has {df} degrees of freedom, too few to compare {g} segments")
    c = np.hstack([-np.ones((g - 1, 1)), np.eye(g - 1)])
    diff = c @ y
    x2 = float(diff @ np.linalg.solve(c @ v @ c.T, diff))
    return x2, g - 1, df2, float(stats.f.sf(x2 / (g - 1), g - 1, df2))


def segment_tests(
    data: pd.DataFrame, fields: list[str], sat: Question, result: wt.WeightingResult
) -> pd.DataFrame | None:
    """Per segment field, :func:`domain_wald` of equal weighted satisfaction means (field, x2, df, df2, p).

    None when no field has two segments with a standard error.
    """
    rows = []
    frame = pd.DataFrame({"y": pd.to_numeric(data[sat.id], errors="coerce").astype(float)}, index=data.index)
    for f in fields:
        by = wt.weighted_means_by(frame.assign(g=data[f]), "y", "g", result)
        try:
            x2, df1, df2, p = domain_wald(np.array([r.estimate for r in by.rows]), by.covariance, by.df)
        except ValueError:
            continue
        rows.append({"field": f, "variable": sat.id, "x2": x2, "df": df1, "df2": df2, "p": p})
    return pd.DataFrame(rows) if rows else None


def funnel_weighted(
    index: pd.Series,
    units: pd.Series,
    result: wt.WeightingResult,
    coverage: tuple[float, ...] = FUNNEL_COVERAGE,
) -> pd.DataFrame:
    r"""Funnel plot of weighted unit means against the weighted overall mean.

    Per unit u (a domain): ȳ_u,w with its linearisation SE s_u; the centre θ = the weighted mean
    of all respondents; z = (ȳ_u,w − θ)/s_u and the limits θ ± z_c s_u for each coverage c, the
    ``position`` read as in :func:`analysis.segments.funnel_limits` (Spiegelhalter 2005). Under
    the weights the unit's SE is its own linearisation SE instead of the pooled s/√n_u, so the
    limits follow both the unit's size and its weights. Units with fewer than 2 respondents
    (no SE) are left out. ``ci_low``/``ci_high`` are the unit mean's own 95 % interval, and
    ``unweighted``/``differs`` the equal-weight unit mean and whether it falls outside it.

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
           Statistics in Medicine, 24(8), 1185-1202. https://doi.org/10.1002/sim.1970
    """
    frame = pd.DataFrame({"y": index}, index=result.weights.index)
    centre = wt.weighted_mean(frame, "y", result).estimate
    rows = []
    for unit, row in _by(index, units, result, 0.95):
        if row["n"] < 2 or not row["se"] > 0:
            continue
        z = (row["weighted"] - centre) / row["se"]
        out = {
            "unit": unit,
            "n": row["n"],
            "n_eff": row["n_eff"],
            "mean": row["weighted"],
            "se": row["se"],
            "target": centre,
            "z": z,
        }
        position = "within"
        for c in sorted(coverage):
            q = float(stats.norm.ppf(0.5 + c / 2))
            out[f"lower_{100 * c:g}"], out[f"upper_{100 * c:g}"] = centre - q * row["se"], centre + q * row["se"]
            if abs(z) > q:
                position = f"{'above' if z > 0 else 'below'} {100 * c:g} %"
        rows.append(out | {"position": position} | {k: row[k] for k in ("ci_low", "ci_high", "unweighted", "differs")})
    return pd.DataFrame(rows)


def waves_weighted(
    index: pd.Series, waves: pd.Series, result: wt.WeightingResult, conf_level: float = 0.95
) -> pd.DataFrame:
    r"""Weighted 0-100 index per wave with its SE, and the test of the change from the previous wave.

    Each wave is a domain (weighted mean and linearisation SE). The change Δ = ȳ_b − ȳ_a of two
    consecutive waves is a difference of two domain means; its linearisation is the weighted
    total of t_i = δ_b,i (y_i − ȳ_b)/Ŵ_b − δ_a,i (y_i − ȳ_a)/Ŵ_a (Ŵ the weighted size of each
    wave), whose influence values, after the calibration residual, are those of Δ, so
    SE(Δ) = SE_lin(Σ w t) of :func:`analysis.weighting.weighted_total` (Lumley 2010, section 2.4:
    contrasts of domain means, R ``svycontrast(svyby(...), c(-1, 1))``). ``change_p`` is the
    two-sided normal p of Δ / SE(Δ); it replaces the Welch test of the unweighted waves, which
    assumes independent, equally weighted samples.
    """
    y = index.reindex(result.weights.index)
    g = waves.reindex(result.weights.index)
    rows = [{"wave": level} | row for level, row in _by(y, g, result, conf_level)]
    w = result.weights
    for previous, current in pairwise(rows):
        t = pd.Series(0.0, index=w.index)
        for row, sign in ((current, 1.0), (previous, -1.0)):
            member = (g == row["wave"]) & y.notna()
            t[member] += sign * (y[member] - row["weighted"]) / w[member].sum()
        change = wt.weighted_total(pd.DataFrame({"t": t}), "t", result)
        current["change"] = current["weighted"] - previous["weighted"]
        current["change_se"] = change.se
        current["change_p"] = float(2 * stats.norm.sf(abs(current["change"]) / change.se)) if change.se > 0 else np.nan
    return pd.DataFrame(rows)


def ipa_weighted(
    data: pd.DataFrame, attributes: dict[str, tuple[str, str]], result: wt.WeightingResult, conf_level: float = 0.95
) -> pd.DataFrame:
    """Weighted performance and importance mean of every IPA attribute (``{id: (perf column, imp column)}``).

    Domain means over those who answered each with the linearisation SE
    (:func:`analysis.weighting.weighted_mean`). The report's grid places the attributes by these
    weighted means (:func:`analysis.headline.weighted_headline`); derived importance (the
    regression of overall satisfaction) is not weighted.
    """
    values = numeric_columns(data, [c for pair in attributes.values() for c in pair])
    columns = {
        (a, measure): values[column]
        for a, pair in attributes.items()
        for measure, column in zip(("performance", "importance"), pair, strict=True)
    }
    rows = _means(columns, data.index, result, conf_level)
    return pd.DataFrame([{"attribute": a, "measure": m} | row for (a, m), row in rows.items()])


def weigh(
    spec: Weighting,
    data: pd.DataFrame,
    sat: Question | None,
    nps_questions: list[Question],
    conf_level: float,
    *,
    q: Questionnaire | None = None,
    servqual_scores: dict[str, pd.DataFrame] | None = None,
    funnel_field: str | None = None,
) -> WeightingSection:
    """Weights for the analysed frame ``data`` and the weighted estimates beside the unweighted ones.

    With ``q``: the segment comparisons of every segment field, the funnel plot of
    ``funnel_field``, the waves (a ``wave`` column with 2 or more waves), the IPA means of every
    importance-performance block and the SERVQUAL means of every block in ``servqual_scores``
    (block -> the per-respondent ``scores`` of its :class:`analysis.servqual.ServqualResult`).

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
                    effective_n(result.weights, frame[column].notna()),
                )
            )
    for question in nps_questions:
        estimates.append(
            _pair(
                "nps",
                question.id,
                wt.weighted_nps(data, question.id, result, ci=conf_level),
                wt.weighted_nps(data, question.id, equal, ci=conf_level),
                effective_n(result.weights, pd.to_numeric(data[question.id], errors="coerce").notna()),
            )
        )
    sections: dict[str, Any] = {}
    notes: list[str] = []

    def attempt(what: str, compute: Any) -> Any:
        # as analyze()'s own sections: a table that cannot be estimated is a note, not a failed analysis
        try:
            return compute()
        except ValueError as exc:
            notes.append(f"weighting: {what} not weighted: {exc}")
            return None

    if q is not None:
        for block, scores in (servqual_scores or {}).items():
            table = attempt(f"servqual {block}", partial(servqual_weighted, q, data, block, scores, result, conf_level))
            if table is not None:
                sections.setdefault("servqual", {})[block] = table
        fields = [f.id for f in q.fields if data[f.id].nunique() >= 2]
        sections["segments"] = attempt(
            "segments", partial(segments_weighted, data, fields, sat, nps_questions, result, conf_level)
        )
        if sat is not None:
            sections["segment_tests"] = attempt("segment tests", partial(segment_tests, data, fields, sat, result))
        if sat is not None and sat.scale is not None:
            index = 100 * (pd.to_numeric(data[sat.id], errors="coerce").astype(float) - 1) / (sat.scale.points - 1)
            if funnel_field is not None:
                sections["funnel"] = attempt("funnel", partial(funnel_weighted, index, data[funnel_field], result))
            if "wave" in data.columns and data["wave"].nunique() >= 2:
                sections["waves"] = attempt("waves", partial(waves_weighted, index, data["wave"], result, conf_level))
        sections["ipa"] = {}
        for ipa_block in q.blocks("importance_performance"):
            pairs = {i.id: (f"{i.id}_p", f"{i.id}_i") for i in ipa_block.items}
            table = attempt(f"ipa {ipa_block.id}", partial(ipa_weighted, data, pairs, result, conf_level))
            if table is not None:
                sections["ipa"][ipa_block.id] = table
    return WeightingSection(
        **sections,
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
        notes=tuple(notes),
        result=result,
    )
