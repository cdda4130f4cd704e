"""The weighted headline: with a weighting, the report's main figures are the weighted ones.

:func:`analysis.analyze` keeps every section as the sample gives it and puts the weighted
estimates in :attr:`AnalysisResult.weighting` (:mod:`analysis.weighted`), weighted beside
unweighted. A reader of the report, though, must not have to look in a side section to find the
figures that represent the customer base: :func:`weighted_headline` returns the result with the
weighted estimates in the places the report and the improvement priorities read, so the
satisfaction level, top-2-box and index, every NPS, the SERVQUAL item and dimension gaps (with
their tests, Holm-adjusted over the items as the unweighted ones), the IPA grid, the funnel plot
and the waves are weighted, and Kish's effective n (``n_eff``) stands beside each n.

Reliability, Kano, derived importance, penalty-reward, the loyalty matrix, the path model, the
scores and the answer percents are weighted by :func:`analysis.analyze` itself (the weights
passed to each method). Estimators, SEs and their sources are those of :mod:`analysis.weighted`
(domain means with calibration-aware linearisation SEs, Deville & Särndal 1992; Lumley 2010).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis import ipa, loyalty, segments, servqual
from analysis.segments import holm

if TYPE_CHECKING:
    from analysis.analyze import AnalysisResult, IPABlockResult, SatisfactionResult
    from analysis.weighted import WeightedEstimate, WeightingSection

__all__ = ["weighted_headline"]


def weighted_headline(result: AnalysisResult) -> AnalysisResult:
    """``result`` with its headline sections weighted (itself when nothing was weighted)."""
    wg = result.weighting
    if wg is None:
        return result
    return replace(
        result,
        servqual={b: _servqual(sq, wg.servqual[b]) if b in wg.servqual else sq for b, sq in result.servqual.items()},
        ipa={b: _ipa(block, wg.ipa[b]) if b in wg.ipa else block for b, block in result.ipa.items()},
        satisfaction=_satisfaction(result.satisfaction, wg),
        nps={qid: _nps(n, _estimate(wg.estimates, "nps", qid)) for qid, n in result.nps.items()},
    )


def _estimate(estimates: tuple[WeightedEstimate, ...], statistic: str, variable: str) -> WeightedEstimate | None:
    return next((e for e in estimates if e.statistic == statistic and e.variable == variable), None)


def _servqual(sq: servqual.ServqualResult, table: pd.DataFrame) -> servqual.ServqualResult:
    """Item and dimension E, P and gap replaced by their weighted means and tests (z, Holm over items)."""

    def measure(kind: str, name_measure: str) -> pd.DataFrame:
        rows = table[(table["kind"] == kind) & (table["measure"] == name_measure)]
        return rows.set_index("name")

    items = sq.items.copy()
    gap, e, p = measure("item", "gap"), measure("item", "E"), measure("item", "P")
    ids = items.index.astype(str)
    items["mean"] = gap["weighted"].reindex(ids).to_numpy()
    items["ci_low"] = gap["ci_low"].reindex(ids).to_numpy()
    items["ci_high"] = gap["ci_high"].reindex(ids).to_numpy()
    items["mean_E_paired"] = e["weighted"].reindex(ids).to_numpy()
    items["mean_P_paired"] = p["weighted"].reindex(ids).to_numpy()
    items["n_eff"] = gap["n_eff"].reindex(ids).to_numpy()
    pvalues = gap["p"].reindex(ids).to_numpy(dtype=float)
    items["p_two_sided"] = pvalues
    items["p_holm"] = holm(pvalues) if len(pvalues) else pvalues
    dims = sq.dimensions.copy()
    gap, e, p = measure("dimension", "gap"), measure("dimension", "E"), measure("dimension", "P")
    ids = dims.index.astype(str)
    for column, source, key in (
        ("mean", gap, "weighted"),
        ("ci_low", gap, "ci_low"),
        ("ci_high", gap, "ci_high"),
        ("p_two_sided", gap, "p"),
        ("n_eff", gap, "n_eff"),
        ("mean_E_score", e, "weighted"),
        ("mean_P_score", p, "weighted"),
    ):
        dims[column] = source[key].reindex(ids).to_numpy()
    overall = sq.overall.copy()
    scores = measure("score", "gap")
    for score, row in scores.iterrows():
        if score in overall.index:
            overall.loc[score, "mean"] = row["weighted"]
            overall.loc[score, "n_eff"] = row["n_eff"]
    # SERVPERF (the mean of all P) is not among the weighted scores: leave it out rather than unweighted
    overall = overall.drop(index=[s for s in overall.index if s not in scores.index], errors="ignore")
    return replace(sq, items=items, dimensions=dims, overall=overall)


def _ipa(block: IPABlockResult, table: pd.DataFrame) -> IPABlockResult:
    """The grid on weighted means, its crosshair recomputed by the same rule (Martilla & James 1977)."""
    grid = block.grid
    attrs = grid.attributes.copy()
    for measure in ("performance", "importance"):
        rows = table[table["measure"] == measure].set_index("attribute")
        attrs[f"mean_{measure}"] = rows["weighted"].reindex(attrs.index.astype(str)).to_numpy()
        attrs[f"n_eff_{measure}"] = rows["n_eff"].reindex(attrs.index.astype(str)).to_numpy()
    data_c = (float(attrs["mean_importance"].mean()), float(attrs["mean_performance"].mean()))
    if grid.crosshair_rule == "data_mean":
        chosen = data_c
    elif grid.crosshair_rule == "data_median":
        chosen = (float(attrs["mean_importance"].median()), float(attrs["mean_performance"].median()))
    else:  # the scale midpoints or fixed values do not depend on the data
        chosen = grid.crosshair
    attrs["quadrant"] = ipa.quadrants(attrs["mean_importance"], attrs["mean_performance"], chosen)
    return replace(block, grid=replace(grid, crosshair=chosen, data_crosshair=data_c, attributes=attrs))


def _satisfaction(s: SatisfactionResult | None, wg: WeightingSection) -> SatisfactionResult | None:
    if s is None:
        return None
    mean = _estimate(wg.estimates, "satisfaction_mean", s.variable)
    top2 = _estimate(wg.estimates, "top2", s.variable)
    index = _estimate(wg.estimates, "satisfaction_index", s.variable)
    if mean is None or top2 is None or index is None:
        return s
    return replace(
        s,
        mean=mean.weighted,
        top_box=replace(s.top_box, pct=top2.weighted),
        index_mean=index.weighted,
        funnel=_funnel(s.funnel, wg.funnel),
        waves=_waves(s.waves, wg.waves),
    )


def _funnel(funnel: segments.FunnelResult | None, table: pd.DataFrame | None) -> segments.FunnelResult | None:
    r"""The funnel plot of weighted unit means, drawn so that each unit's limits are its own.

    :func:`analysis.weighted.funnel_weighted` sets unit u's limits at θ ± z·s_u with s_u the
    linearisation SE of its weighted mean. The chart draws limits as θ ± z·σ/√n; with σ the
    weighted SD of the index and the dot at n_u = (σ/s_u)² (``n_chart``: the unit's effective n by
    its SE) the curve passes through exactly those limits, so a dot outside the curve is a flagged
    unit. ``n`` stays the number of respondents and ``n_eff`` is Kish's.
    """
    if funnel is None or table is None or table.empty:
        return funnel
    units = table.set_index("unit")
    units.index.name = funnel.units.index.name
    sd = float(np.sqrt((units["se"] ** 2 * units["n_eff"]).mean()))  # pooled: s_u² ≈ σ²/n_eff,u
    out = pd.DataFrame(index=units.index)
    out["n"] = units["n"]
    out["n_eff"] = units["n_eff"]
    out["n_chart"] = (sd / units["se"]) ** 2  # the x of the dot on the funnel chart
    out["mean"] = units["mean"]
    out["z"] = units["z"]
    for c in funnel.coverage:
        source = f"{100 * c:g}"  # funnel_weighted's column names: lower_99.8; FunnelResult's: lower_99_8
        label = source.replace(".", "_")
        out[f"lower_{label}"] = units[f"lower_{source}"]
        out[f"upper_{label}"] = units[f"upper_{source}"]
    out["position"] = units["position"]
    return replace(funnel, target=float(units["target"].iloc[0]), sd=sd, units=out)


def _waves(waves: segments.WaveResult | None, table: pd.DataFrame | None) -> segments.WaveResult | None:
    if waves is None or table is None or table.empty:
        return waves
    frame = table.set_index("wave")
    frame.index.name = waves.waves.index.name
    out = pd.DataFrame(
        {
            "n": frame["n"],
            "n_eff": frame["n_eff"],
            "mean": frame["weighted"],
            "se": frame["se"],
            "ci_low": frame["ci_low"],
            "ci_high": frame["ci_high"],
            "change": frame.get("change", pd.Series(np.nan, index=frame.index)),
            "change_p": frame.get("change_p", pd.Series(np.nan, index=frame.index)),
        }
    )
    return replace(waves, waves=out)


def _nps(n: loyalty.NpsResult, e: WeightedEstimate | None) -> loyalty.NpsResult:
    """The NPS, its shares and its interval weighted (the weighted interval replaces all three)."""
    if e is None or e.shares is None:
        return n
    promoters, detractors = 100 * e.shares[0], 100 * e.shares[1]
    return replace(
        n,
        nps=e.weighted,
        pct_promoters=promoters,
        pct_detractors=detractors,
        pct_passives=100 - promoters - detractors,
        wald_se=e.weighted_se,
        wald_ci=e.weighted_ci,
        adjusted_nps=e.weighted,
        adjusted_se=e.weighted_se,
        adjusted_ci=e.weighted_ci,
        trinomial_se=e.weighted_se,
        trinomial_ci=e.weighted_ci,
    )
