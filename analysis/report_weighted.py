"""The report's tables of weighted results: SERVQUAL, segments, funnel, waves and IPA.

Each table puts the weighted estimate (with its 95 % CI) of :mod:`analysis.weighted` beside the
unweighted one where the unweighted figure falls outside the weighted CI (the issue's rule: side by
side where they differ by more than the CI); the report's own sections show the weighted figures. Kept out
of :mod:`analysis.report_sections` so that module stays within its size; only
:func:`analysis.report_sections.weighting` uses it.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analysis.labels import field_label, unit_label, value_label
from analysis.report_text import WORDS
from analysis.weighted import WeightingSection
from surveykit.model import Questionnaire

__all__ = ["weighted_tables"]


def _weighted_rows(table: pd.DataFrame, name: Any, detail: Any = None) -> list[dict[str, Any]]:
    """Rows of a weighted table for the template: name, n and n_eff, weighted with CI, unweighted, an extra cell.

    Only the rows whose unweighted estimate falls outside the weighted CI (``differs``): the report's
    sections show the weighted figures, and the unweighted one stands beside where the weighting moved
    it by more than its sampling error.
    """
    return [
        {
            "name": name(r),
            "n": int(r["n"]),
            "n_eff": float(r["n_eff"]),
            "w": r["weighted"],
            "w_ci": (r["ci_low"], r["ci_high"]),
            "u": r["unweighted"],
            "extra": detail(r) if detail else "",  # (a call named extra() reads to bandit as Django SQL)
            "differs": True,
        }
        for r in table.to_dict("records")
        if r["differs"]
    ]


def _question_label(q: Questionnaire, question_id: str, lang: str) -> str:
    question = q.question(question_id)
    return (question.label or question.text).best(lang)


def _dimension_label(q: Questionnaire, dimension_id: str, lang: str) -> str:
    try:
        return q.dimension(dimension_id).label.best(lang)
    except KeyError:
        return dimension_id


def _p(value: float) -> str:
    return "" if math.isnan(value) else ("< .001" if value < 0.001 else f"{value:.3f}")


def weighted_tables(q: Questionnaire, wg: WeightingSection, lang: str) -> list[dict[str, Any]]:
    """The weighted SERVQUAL, segment, funnel, wave and IPA tables: the rows where weighted and unweighted differ.

    One entry per table: ``title``, ``extra`` (the heading of the extra column: the p of the
    weighted gap test, the funnel position, the change from the previous wave) and ``rows``.
    Segment fields with more than 10 levels (advisors) are left to the funnel plot and the
    result's table, as the unweighted comparisons leave their pairwise tests; a SERVQUAL block of
    more than 40 rows shows its dimensions and scores only. A table without a differing row is left out.
    """
    w = WORDS[lang]
    out: list[dict[str, Any]] = []
    measures = {"E": w["expectation"], "P": w["perception"], "gap": w["gap"]}
    scores = {"unweighted_servqual": w["unweighted"], "weighted_servqual": w["weighted"]}

    def servqual_name(r: dict[str, Any]) -> str:
        if r["kind"] == "score":
            return scores[r["name"]]
        if r["kind"] == "dimension":
            return f"{_dimension_label(q, r['name'], lang)} · {measures[r['measure']]}"
        return f"{_question_label(q, r['name'] + '_p', lang)} · {measures[r['measure']]}"

    for block, table in wg.servqual.items():
        rows = table[table["kind"] != "item"] if len(table) > 40 else table  # long blocks: dimensions and scores
        out.append(
            {
                "title": f"{w['servqual']} · {block}",
                "extra": w["p"],
                "rows": _weighted_rows(rows, servqual_name, lambda r: _p(r["p"])),
            }
        )
    segments = (
        None if wg.segments is None else wg.segments.groupby("field").filter(lambda g: g["level"].nunique() <= 10)
    )
    if segments is not None and len(segments):
        names = {"mean": f"{w['satisfaction']} · {w['mean']}", "top2": w["top2"], "nps": w["nps"]}
        out.append(
            {
                "title": w["segments"],
                "extra": "",
                "rows": _weighted_rows(
                    segments,
                    lambda r: (
                        f"{field_label(q, r['field'], lang)} = {value_label(q, r['field'], r['level'], lang)} "
                        f"· {names[r['statistic']]}"
                    ),
                ),
            }
        )
    if wg.funnel is not None and len(wg.funnel):
        positions = {"within": w["position_within"]}
        funnel = wg.funnel.rename(columns={"mean": "weighted"})
        out.append(
            {
                "title": f"{w['funnel']} · {w['index']}",
                "extra": w["position"],
                "rows": _weighted_rows(
                    funnel,
                    lambda r: unit_label(q, r["unit"], lang),
                    lambda r: positions.get(
                        r["position"], w["position_above"] if r["position"].startswith("above") else w["position_below"]
                    ),
                ),
            }
        )
    if wg.waves is not None:
        out.append(
            {
                "title": w["waves"],
                "extra": w["change"],
                "rows": _weighted_rows(
                    wg.waves,
                    lambda r: str(r["wave"]),
                    lambda r: (
                        "" if math.isnan(r.get("change", math.nan)) else f"{r['change']:+.2f} (p {_p(r['change_p'])})"
                    ),
                ),
            }
        )
    for block, table in wg.ipa.items():

        def ipa_name(r: dict[str, Any]) -> str:
            return f"{_question_label(q, r['attribute'] + '_p', lang)} · {w[r['measure']]}"

        out.append({"title": f"{w['ipa']} · {block}", "extra": "", "rows": _weighted_rows(table, ipa_name)})
    return [t for t in out if t["rows"]]
