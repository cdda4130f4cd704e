"""The sections of the management report: each turns a part of an analysis into what the template shows.

:mod:`analysis.report` assembles them into one page (and writes, prints and reads from the store);
these functions decide, per section, which rows, words and charts a reader gets.  Each takes the
questionnaire (for labels in the report's language) and what :func:`analysis.analyze` computed,
and returns plain dicts and lists for ``templates/report.html``; a chart is drawn through
:class:`Charts`, which keeps it an inline SVG and times the drawing.  The section of the path
model is :mod:`analysis.report_pls`.
"""

from __future__ import annotations

import base64
import math
import time
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import plots
from analysis.analyze import AnalysisResult
from analysis.analyze import _frequencies as _choice_counts
from analysis.labels import field_label, value_labels
from analysis.recovery import service_recovery
from analysis.report_language import figure_in
from analysis.report_text import WORDS
from analysis.report_weighted import weighted_tables
from surveykit.model import Questionnaire


class Charts:
    """Draws figures through :mod:`analysis.plots` and turns them into data URIs, timing it."""

    def __init__(self, lang: str, script: str | None = None) -> None:
        self.lang = lang
        self.script = script  # a third language drawn with lang's wording (analysis.report_language)
        self.seconds = 0.0

    def __call__(self, alt: str, draw: Any, *args: Any, **kwargs: Any) -> dict[str, str]:
        began = time.perf_counter()
        figure = draw(*args, lang=self.lang, **kwargs)
        if self.script is not None:
            figure_in(figure, self.script)
        svg = plots.to_svg(figure)
        self.seconds += time.perf_counter() - began
        return {"alt": alt, "src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")}


def _fmt(value: float, pattern: str = "{:.3f}") -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else pattern.format(value)


def _p(value: float) -> str:
    return "–" if value is None or math.isnan(value) else ("< .001" if value < 0.001 else f"{value:.3f}")


def _p_is(value: float) -> str:
    """The p-value as "p = 0.319", or "p < .001" (not "p = < .001")."""
    text = _p(value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _label_of(q: Questionnaire, block_id: str, item_id: str, lang: str) -> str:
    for section in q.pages:
        if section.id == block_id:
            for item in getattr(section, "items", ()) or getattr(section, "attributes", ()):
                if item.id == item_id:
                    return (item.label or item.second).best(lang)
    return item_id


def _dimension_label(q: Questionnaire, did: str, lang: str) -> str:
    try:
        return q.dimension(did).label.best(lang)
    except KeyError:
        return did


def satisfaction(result: AnalysisResult) -> dict[str, Any] | None:
    s = result.satisfaction
    if s is None:
        return None
    return {"mean": s.mean, "scale": f"{s.scale[0]}–{s.scale[1]}", "top2": s.top_box.pct, "index": s.index_mean}


def weighting(q: Questionnaire, result: AnalysisResult, lang: str) -> dict[str, Any] | None:
    """The weighting section: target, margins achieved, Kish deff and effective n, weighted beside unweighted."""
    wg = result.weighting
    if wg is None:
        return None
    w = WORDS[lang]
    margins = wg.margins
    names = {
        "satisfaction_mean": f"{w['satisfaction']} · {w['mean']}",
        "top2": w["top2"],
        "satisfaction_index": w["index"],
    }
    estimates = []
    for e in wg.estimates:
        if e.statistic == "nps":
            question = q.question(e.variable)
            name = f"{w['nps']} · {(question.label or question.text).best(lang)}"
        else:
            name = names[e.statistic]
        if not e.differs:
            continue  # weighted beside unweighted only where they differ by more than the CI (the main figures are weighted)
        estimates.append(
            {
                "name": name,
                "n": e.n,
                "n_eff": e.n_eff,
                "w": e.weighted,
                "w_ci": e.weighted_ci,
                "u": e.unweighted,
                "u_ci": e.unweighted_ci,
                "differs": e.differs,
            }
        )
    trim = None
    if wg.trim is not None:
        trim = w["trimmed"].format(lower=f"{wg.trim.lower:g}", upper=f"{wg.trim.upper:g}", n=wg.trim.n_trimmed)
    return {
        "target": w["weighting_target"].format(
            method=w.get(wg.method, wg.method),
            margins=", ".join(dict.fromkeys(margins["margin"])),
            total=f"{wg.population_total:,.0f}",
            source=Path(wg.source).name or wg.source,
        ),
        "trim": trim,
        "n": wg.kish.n,
        "deff": wg.kish.deff,
        "n_eff": wg.kish.n_eff,
        "efficiency": wg.kish.efficiency_pct,
        "margins": margins[["margin", "cell", "n", "target_share", "unweighted_share", "weighted_share"]].to_dict(
            "records"
        ),
        "estimates": estimates,
        "tables": weighted_tables(q, wg, lang),
    }


def nps(q: Questionnaire, result: AnalysisResult, lang: str) -> list[dict[str, Any]]:
    out = []
    weighted = (
        {e.variable: e.n_eff for e in result.weighting.estimates if e.statistic == "nps"} if result.weighting else {}
    )
    for qid, n in result.nps.items():
        question = q.question(qid)
        out.append(
            {
                "label": (question.label or question.text).best(lang),
                "n": n.n,
                "n_eff": weighted.get(qid),  # Kish's effective n of a weighted NPS
                "nps": n.nps,
                "ci": n.adjusted_ci,
                "promoters": n.pct_promoters,
                "passives": n.pct_passives,
                "detractors": n.pct_detractors,
            }
        )
    return out


def reliability(q: Questionnaire, result: AnalysisResult, lang: str) -> list[dict[str, Any]]:
    rows = []
    for did, r in result.reliability.items():
        omega = result.omega.get(did)
        rows.append(
            {
                "label": _dimension_label(q, did, lang),
                "k": r.k,
                "alpha": r.alpha,
                "ci": r.ci,
                "omega": _fmt(omega.omega_total) if omega is not None else "–",
            }
        )
    return rows


def servqual(q: Questionnaire, block_id: str, sq: Any, lang: str, charts: Charts) -> dict[str, Any]:
    w = WORDS[lang]
    dims = sq.dimensions
    labels = [_dimension_label(q, str(d), lang) for d in dims.index]
    items = sq.items
    item_labels = [_label_of(q, block_id, str(i), lang) for i in items.index]
    scale_points = next(b.scale.points for b in q.blocks("servqual") if b.id == block_id)
    scores = []
    overall = sq.overall
    for key, word in (
        ("unweighted_servqual", "unweighted"),
        ("weighted_servqual", "weighted"),
        ("servperf", "servperf"),
    ):
        if key in overall.index and not math.isnan(overall.loc[key, "mean"]):
            n_eff = overall.loc[key, "n_eff"] if "n_eff" in overall.columns else None
            # name, value, n and Kish's n_eff (weighted scores), which the template shows beside the n
            scores.append((w[word], f"{overall.loc[key, 'mean']:+.3f}", int(overall.loc[key, "n"]), n_eff))
    return {
        "id": block_id,
        "charts": [
            charts(
                w["servqual"],
                plots.radar,
                labels,
                dims["mean_E_score"].tolist(),
                dims["mean_P_score"].tolist(),
                scale=(1, scale_points),
            ),
            charts(
                w["gap"],
                plots.gap_bars,
                sq.to_frame(),
                labels={
                    **dict(zip(map(str, items.index), item_labels, strict=True)),
                    **dict(zip(map(str, dims.index), labels, strict=True)),
                },
            ),
        ],
        "dimensions": [
            {
                "label": label,
                "e": r["mean_E_score"],
                "p": r["mean_P_score"],
                "gap": r["mean"],
                "lo": r["ci_low"],
                "hi": r["ci_high"],
                "pval": _p(r["p_two_sided"]),
            }
            for label, (_, r) in zip(labels, dims.iterrows(), strict=True)
        ],
        "item_rows": [
            {
                "label": label,
                "dimension": _dimension_label(q, str(r["dimension"]), lang),
                "e": r["mean_E_paired"],
                "p": r["mean_P_paired"],
                "gap": r["mean"],
                "lo": r["ci_low"],
                "hi": r["ci_high"],
                "pval": _p(r["p_holm"]),
            }
            for label, (_, r) in zip(item_labels, items.iterrows(), strict=True)
        ],
        "scores": scores,
    }


def ipa(q: Questionnaire, block_id: str, block: Any, lang: str, charts: Charts) -> dict[str, Any]:
    w = WORDS[lang]
    grid = block.grid.attributes
    labels = [_label_of(q, block_id, str(a), lang) for a in grid.index]
    derived = block.derived.pct if block.derived is not None else None
    rows = [
        {
            "label": label,
            "importance": r["mean_importance"],
            "performance": r["mean_performance"],
            "quadrant": plots.quadrant_name(r["quadrant"], lang),
            "derived": _fmt(derived.get(f"{a}_p", math.nan), "{:.1f} %") if derived is not None else "–",
        }
        for label, (a, r) in zip(labels, grid.iterrows(), strict=True)
    ]
    return {
        "id": block_id,
        "rows": rows,
        "charts": [
            charts(
                w["ipa"],
                plots.ipa_grid,
                grid["mean_importance"].tolist(),
                grid["mean_performance"].tolist(),
                labels,
                block.grid.crosshair,
            )
        ],
    }


def kano(q: Questionnaire, block_id: str, kn: Any, lang: str, charts: Charts) -> dict[str, Any]:
    w = WORDS[lang]
    attrs = kn.attributes
    labels = [_label_of(q, block_id, str(a), lang) for a in attrs.index]
    rows = [
        {
            "label": label,
            # with survey weights (an n_eff column) the weighted shares, which the category and Better/Worse use
            "counts": [f"{r[f'pct_{c}']:.1f} %" if "n_eff" in attrs else int(r[c]) for c in "AOMIRQ"],
            "category": plots.kano_category_name(str(r["dominant"]), lang),
            "better": _fmt(r["better"]),
            "worse": _fmt(r["worse"]),
        }
        for label, (_, r) in zip(labels, attrs.iterrows(), strict=True)
    ]
    return {
        "id": block_id,
        "rows": rows,
        "charts": [
            charts(
                w["kano"],
                plots.kano_scatter,
                attrs["better"].tolist(),
                attrs["worse"].tolist(),
                labels,
                attrs["dominant"].tolist(),
            )
        ],
    }


def loyalty(q: Questionnaire, result: AnalysisResult, lang: str, charts: Charts) -> dict[str, Any] | None:
    if not result.nps and result.loyalty_matrix is None:
        return None
    w = WORDS[lang]
    drawn = []
    for qid, n in result.nps.items():
        seg = result.nps_segments.get(qid)
        if seg is None:
            drawn.append(charts(f"{w['nps']} · {qid}", plots.nps_bars, n.n_promoters, n.n_passives, n.n_detractors))
        else:
            counts = seg.counts
            drawn.append(
                charts(
                    f"{w['nps']} · {qid}",
                    plots.nps_bars,
                    counts["promoter"].tolist(),
                    counts["passive"].tolist(),
                    counts["detractor"].tolist(),
                    [str(i) for i in counts.index],
                )
            )
    matrix = None
    m = result.loyalty_matrix
    if m is not None:
        # the percent is weighted when analyze() had weights (LoyaltyMatrixResult.pct); the counts are respondents
        matrix = [
            (w[k], getattr(m, k), pct)
            for k, pct in zip(("loyalists", "mercenaries", "hostages", "defectors"), m.pct, strict=True)
        ]
        drawn.append(
            charts(
                w["loyalty_matrix"],
                plots.loyalty_matrix,
                m.loyalists,
                m.mercenaries,
                m.hostages,
                m.defectors,
                thresholds=(m.satisfied_if_ge, m.loyal_if_ge),
            )
        )
    return {"charts": drawn, "matrix": matrix}


def _weighted_tests(q: Questionnaire, table: pd.DataFrame | None, lang: str) -> list[str]:
    """Per segment field, the Wald test of equal weighted satisfaction means (:func:`analysis.weighted.domain_wald`)."""
    if table is None:
        return []
    line = WORDS[lang]["segments_wald"]
    return [
        line.format(field=field_label(q, r.field, lang), x2=f"{r.x2:.2f}", df=r.df, df2=r.df2, p=_p_is(r.p))
        for r in table.itertuples()
    ]


def segments(q: Questionnaire, result: AnalysisResult, lang: str, charts: Charts) -> dict[str, Any] | None:
    s = result.satisfaction
    if s is None or s.funnel is None:
        return None
    w = WORDS[lang]
    units = s.funnel.units
    field_id = next(iter(s.by_field), "")
    names = value_labels(q, field_id, lang)  # unit names (surveykit.org.with_unit_names) or declared labels
    if result.weighting is not None:  # ANOVA and its kin assume equal weights: the weighted means' Wald test instead
        tests = _weighted_tests(q, result.weighting.segment_tests, lang)
    else:
        tests = [
            f"{field_label(q, fid, lang)}: ANOVA F = {c.anova_F:.2f}, {_p_is(c.anova_p)}; Welch {_p_is(c.welch_p)}; "
            f"Kruskal–Wallis {_p_is(c.kruskal_p)}"
            for fid, c in s.by_field.items()
        ]
    rows = []
    for unit, r in units.iterrows():
        below = r["mean"] < r["lower_95"]
        position = (
            w["position_below"]
            if below
            else (w["position_above"] if r["mean"] > r["upper_95"] else w["position_within"])
        )
        rows.append(
            {
                "unit": names.get(str(unit), str(unit)),
                "n": int(r["n"]),
                "n_eff": r.get("n_eff"),
                "mean": r["mean"],
                "z": r["z"],
                "below": below,
                "position": position,
            }
        )
    return {
        "field": field_label(q, field_id, lang),
        "units": rows,
        "tests": tests,
        "charts": [
            charts(
                w["segments"],
                plots.funnel,
                units["mean"].tolist(),
                units.get("n_chart", units["n"]).tolist(),  # weighted: see analysis.headline._funnel
                s.funnel.target,
                s.funnel.limits,
                [names.get(str(u), str(u)) for u in units.index],
                ylabel=w["index"],
            )
        ],
    }


def waves(result: AnalysisResult, lang: str, charts: Charts) -> dict[str, Any] | None:
    s = result.satisfaction
    if s is None or s.waves is None:
        return None
    w = WORDS[lang]
    frame = s.waves.waves
    rows = [
        {
            "wave": str(i),
            "n": int(r["n"]),
            "n_eff": r.get("n_eff"),
            "mean": r["mean"],
            "lo": r["ci_low"],
            "hi": r["ci_high"],
        }
        for i, r in frame.iterrows()
    ]
    return {
        "rows": rows,
        "charts": [
            charts(
                w["waves"],
                plots.waves_line,
                [str(i) for i in frame.index],
                frame["mean"].tolist(),
                frame["ci_low"].tolist(),
                frame["ci_high"].tolist(),
                n=frame["n"].tolist(),
                ylabel=w["index"],
            )
        ],
    }


def scoring(q: Questionnaire, result: AnalysisResult, lang: str, charts: Charts) -> dict[str, Any] | None:
    if result.scoring is None or q.scoring is None:
        return None
    w = WORDS[lang]
    frame = result.scoring.categories
    labels = {c.id: c.label.best(lang) for c in q.scoring.categories}
    bands = [(b.min, b.label.best(lang)) for b in q.scoring.bands]
    rows = []
    for cid, r in frame.iterrows():
        band = q.scoring.band(r["percent"]) if not math.isnan(r["percent"]) else None
        rows.append(
            {
                "label": labels[str(cid)],
                "mean": r["mean"],
                "maximum": f"{r['maximum']:g}",
                "percent": r["percent"],
                "band": band.label.best(lang) if band else "–",
            }
        )
    return {
        "rows": rows,
        "charts": [
            charts(
                w["scoring"],
                plots.profile_bars,
                [labels[str(c)] for c in frame.index],
                frame["percent"].tolist(),
                bands,
            )
        ],
    }


def frequencies(q: Questionnaire, result: AnalysisResult, lang: str) -> list[dict[str, Any]]:
    out = []
    for qid, frame in result.frequencies.items():
        question = q.question(qid)
        texts = {o.code: o.text.best(lang) for o in question.options}
        out.append(
            {
                "label": (question.label or question.text).best(lang),
                "rows": [
                    {"label": texts[r["code"]], "count": int(r["count"]), "percent": _fmt(r["percent"], "{:.1f} %")}
                    for r in frame.to_dict(orient="records")
                ],
            }
        )
    return out


def pareto(
    q: Questionnaire,
    frequencies: dict[str, pd.DataFrame],
    lang: str,
    charts: Charts,
    note: str | None = None,
    *,
    weighted: bool = False,
) -> list[dict[str, str]]:
    """A Pareto chart for every multiple-choice question about reasons (ids containing 'reason').

    Unweighted, the bars are respondents' mentions (``count``). ``weighted`` (the frequencies
    carry survey weights): the bars are weighted mentions, percent/100 × answered rounded to
    whole mentions (the weighted share of :func:`analysis.analyze._frequencies` on the scale of
    those who answered), and the chart's note says so.
    """
    drawn = []
    for qid, frame in frequencies.items():
        question = q.question(qid)
        if question.type == "multi" and "reason" in qid and frame["count"].sum() > 0:
            texts = {o.code: o.text.best(lang) for o in question.options}
            counts = frame["count"].tolist()
            chart_note = note
            if weighted:
                answered = int(frame["answered"].iloc[0])
                counts = [round(p / 100 * answered) for p in frame["percent"].fillna(0.0)]
                chart_note = WORDS[lang]["pareto_weighted"].format(n=answered)
            if sum(counts) == 0:
                continue
            drawn.append(
                charts(WORDS[lang]["pareto"], plots.pareto, [texts[c] for c in frame["code"]], counts, note=chart_note)
            )
    return drawn


def recovery(
    q: Questionnaire,
    cases: pd.DataFrame | None,
    lost: tuple[Questionnaire, pd.DataFrame] | None,
    lang: str,
    charts: Charts,
) -> dict[str, Any] | None:
    """The service-recovery section: this survey's cases, and why lost customers left."""
    from surveykit.cases import ROOT_CAUSES

    if cases is None or "survey" not in cases.columns or not (cases["survey"] == q.survey).any():
        return None
    w = WORDS[lang]
    r = service_recovery(cases[cases["survey"] == q.survey])
    rules = {a.id: a.label.best(lang) if a.label else a.id for a in q.alerts}
    routed_by = {a.department_field for a in q.alerts if a.department_field}
    named = {code: text.best(lang) for f in q.fields if f.id in routed_by for code, text in f.values}
    roots = [
        (ROOT_CAUSES[str(c)].best(lang) if c in ROOT_CAUSES else str(c), int(n))
        for c, n in r.by_root_cause["n"].items()
    ]

    def hours(h: float) -> str:
        return "–" if math.isnan(h) else w["hours"].format(h=h)

    ci = "–" if math.isnan(r.recovered_ci[0]) else f"[{r.recovered_ci[0]:.1f}, {r.recovered_ci[1]:.1f}] %"
    lost_charts: list[dict[str, str]] = []
    lost_note = ""
    if lost is not None and lost[0].survey != q.survey and len(lost[1]):
        lost_q, lost_df = lost
        lost_note = w["lost_note"].format(n=len(lost_df))
        lost_charts = pareto(lost_q, _choice_counts(lost_q, lost_df), lang, charts, note=lost_note)
        for chart in lost_charts:
            chart["alt"] = w["lost_reasons"]
    return {
        "n": r.n_cases,
        "active": r.n_active,
        "overdue": r.n_overdue,
        "contact": hours(r.contact_hours_median),
        "on_time": _fmt(r.contacted_on_time_pct, "{:.0f} %"),
        "close": hours(r.close_hours_median),
        "not_contacted": w["not_contacted"].format(n=r.n_not_contacted) if r.n_not_contacted else "",
        "recovered": _fmt(r.recovered_pct, "{:.0f} %"),
        "recovered_detail": w["recovered_detail"].format(
            k=r.n_recovered, n=r.n_recovery_answered, ci=ci, sent=r.n_recovery_sent
        ),
        "causes": [
            {
                "label": rules.get(str(a), str(a)),
                "n": int(row["n"]),
                "active": int(row["active"]),
                "overdue": int(row["overdue"]),
                "closed": int(row["closed"]),
            }
            for a, row in r.by_cause.iterrows()
        ],
        "roots": roots,
        "root_charts": [
            charts(w["root_causes"], plots.pareto, [t for t, _ in roots], [n for _, n in roots], title=w["root_causes"])
        ]
        if roots
        else [],
        "departments": [
            {
                "label": named.get(str(d), str(d)),
                "n": int(row["n"]),
                "active": int(row["active"]),
                "overdue": int(row["overdue"]),
                "contact": hours(row["contact_hours_median"]),
                "close": hours(row["close_hours_median"]),
                "recovered": _fmt(row["recovered_pct"], "{:.0f} %"),
            }
            for d, row in r.by_department.iterrows()
        ],
        "lost_charts": lost_charts,
        "lost_note": lost_note,
    }
