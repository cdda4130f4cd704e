"""The report's employee-satisfaction sections: the ES index by dimension and unit, and ES against CS by unit.

:func:`section` shows an :class:`~analysis.employee.EmployeeResult` (units under the survey's
``min_n`` are not shown, only counted); :func:`link_section` an
:class:`~analysis.employee.EsCsResult` with its scatter charts and the caution of
:mod:`analysis.unit_link`.
"""

from __future__ import annotations

import math
from typing import Any

from analysis import plots
from analysis.employee import EmployeeResult, EsCsResult
from analysis.plots.units import unit_scatter
from analysis.unit_link import CAUTION
from surveykit.model import Questionnaire

WORDS = {
    "zh": {
        "title": "员工满意度",
        "basis": "员工满意度指数（0–100）= 各维度指数的平均；每个维度 = 各题 100·(x−1)/(k−1) 的平均。"
        "匿名调查：少于 {min_n} 人作答的单位不单独显示（{hidden} 个）。",
        "dimension": "维度",
        "n": "人数",
        "index": "指数",
        "es_index": "员工满意度指数",
        "enps": "员工推荐值 eNPS",
        "unit": "单位",
        "chart": "各维度员工满意度指数",
        "by_unit": "各{field}的员工满意度（至少 {min_n} 人）",
        "link_title": "员工满意与客户满意",
        "link_basis": "服务利润链（Heskett 等，1994）认为员工满意会传导到客户满意。这里按{field}比较员工满意度指数与"
        "客户（{cs}）的满意度指数、NPS 和投诉率（触发跟进规则的答卷比例）；Pearson r，Fisher z 95% 置信区间。",
        "measure": "客户指标",
        "cs_index": "客户满意度指数",
        "nps": "客户 NPS",
        "complaints": "投诉率（%）",
        "units": "单位数",
        "r": "相关系数 r",
        "ci": "95% 置信区间",
        "p": "p 值",
        "x": "员工满意度指数",
        "scatter": "员工满意度与{measure}",
        "link_title_department": "员工满意与客户满意：按经销商和部门",
        "department_note": "部门与客户调查的对应关系由问卷声明（{links}）。同一经销商的各部门并不独立，置信区间因此略窄；"
        "请同时参考上面按经销商的结果。人数不足或为保护匿名而不显示的部门不参与计算。",
        "all_of": "{survey} 的全部客户 → {ours}",
    },
    "en": {
        "title": "Employee satisfaction",
        "basis": "ES index (0-100) = mean of the dimension indices; a dimension = mean of 100·(x−1)/(k−1) over its "
        "items. Anonymous survey: units with fewer than {min_n} answers are not shown on their own ({hidden}).",
        "dimension": "Dimension",
        "n": "n",
        "index": "Index",
        "es_index": "ES index",
        "enps": "eNPS",
        "unit": "Unit",
        "chart": "Employee satisfaction index by dimension",
        "by_unit": "Employee satisfaction by {field} (at least {min_n} answers)",
        "link_title": "Employee satisfaction and customer satisfaction",
        "link_basis": "The service-profit chain (Heskett et al. 1994) holds that satisfied employees make satisfied "
        "customers. Per {field}: the ES index against the customers' ({cs}) satisfaction index, NPS and complaint "
        "rate (share of responses that open a follow-up case); Pearson r with Fisher's z 95 % interval.",
        "measure": "Customer measure",
        "cs_index": "Customer satisfaction index",
        "nps": "Customer NPS",
        "complaints": "Complaint rate (%)",
        "units": "Units",
        "r": "r",
        "ci": "95 % CI",
        "p": "p",
        "x": "ES index",
        "scatter": "Employee satisfaction and {measure}",
        "link_title_department": "Employee satisfaction and customer satisfaction by dealer and department",
        "department_note": "Which customers each department serves is declared in the questionnaire ({links}). The "
        "departments of one dealer are not independent, so the interval is somewhat too narrow; read it beside the "
        "dealer-level link above. A department withheld for anonymity or too few answers is left out.",
        "all_of": "every customer of {survey} → {ours}",
    },
}


def _field_label(q: Questionnaire, field_id: str | None, lang: str) -> str:
    """A field's label; ``dealer+department`` (the units of :func:`analysis.employee.department_link`) reads
    "Dealer × Department"."""
    if field_id is not None and "+" in field_id:
        return " × ".join(_field_label(q, part, lang) for part in field_id.split("+"))
    found = next((f for f in q.fields if f.id == field_id), None)
    return found.label.best(lang) if found is not None else (field_id or "")


def department_section(
    es: Questionnaire, surveys: list[Questionnaire], link: EsCsResult, lang: str, charts: Any
) -> dict[str, Any]:
    """:func:`link_section` of the dealer x department link, with its own title and the declared mapping."""
    w = WORDS[lang]
    out = link_section(es, surveys[0], link, lang, charts)
    titles = " + ".join(cs.title.best(lang) for cs in surveys)
    field = next(f for f in es.fields if f.links)
    value_label = dict(field.values)
    names = {cs.survey: cs for cs in surveys}
    parts = []
    for k in field.links:
        cs = names.get(k.survey)
        if cs is None:
            continue
        if k.field is None:
            ours = value_label[k.values[0][1]].best(lang) if k.values[0][1] in value_label else k.values[0][1]
            parts.append(w["all_of"].format(survey=cs.title.best(lang), ours=ours))
        else:
            theirs = next((f for f in cs.fields if f.id == k.field), None)
            label = dict(theirs.values) if theirs is not None else {}
            for t, o in k.values:
                mine = value_label[o].best(lang) if o in value_label else o
                parts.append(f"{label[t].best(lang) if t in label else t} → {mine}")
    out["basis"] = w["link_basis"].format(field=_field_label(es, link.unit_field, lang), cs=titles)
    out["title"] = w["link_title_department"]
    out["note"] = w["department_note"].format(links="; ".join(parts))
    out["anchor"] = "employee-link-department"
    return out


def _num(value: float, pattern: str = "{:.1f}") -> str:
    return "–" if value is None or math.isnan(value) else pattern.format(value)


def section(q: Questionnaire, result: EmployeeResult, lang: str, charts: Any) -> dict[str, Any]:
    """The template's view of the ES results, labels in ``lang``."""
    w = WORDS[lang]
    dim_label = {d.id: d.label.best(lang) for d in q.dimensions}
    dims = list(result.dimensions.index)
    chart = charts(
        w["chart"],
        plots.bar,
        [dim_label.get(str(d), str(d)) for d in dims],
        result.dimensions["mean"].fillna(0).tolist(),
        title=w["chart"],
        axis_label=w["index"],
        fmt="{:.0f}",
    )
    units = []
    for unit, r in result.units.iterrows():
        units.append(
            {
                "unit": str(unit),
                "n": int(r["n"]),
                "cells": [_num(r[d]) for d in dims],
                "es_index": _num(r["es_index"]),
                "enps": _num(r["enps"], "{:+.0f}") if "enps" in r else "–",
            }
        )
    return {
        "w": w,
        "basis": w["basis"].format(min_n=result.min_n, hidden=result.hidden_units),
        "chart": chart,
        "dimensions": [
            {"label": dim_label.get(str(d), str(d)), "n": int(r["n"]), "mean": _num(r["mean"])}
            for d, r in result.dimensions.iterrows()
        ],
        "es_index": _num(result.es_index),
        "enps": (
            f"{result.enps.nps:+.1f} [{result.enps.adjusted_ci[0]:+.1f}, {result.enps.adjusted_ci[1]:+.1f}]"
            if result.enps is not None
            else "–"
        ),
        "dim_labels": [dim_label.get(str(d), str(d)) for d in dims],
        "by_unit_title": w["by_unit"].format(field=_field_label(q, result.unit_field, lang), min_n=result.min_n),
        "units": units,
    }


def link_section(es: Questionnaire, cs: Questionnaire, link: EsCsResult, lang: str, charts: Any) -> dict[str, Any]:
    """The template's view of ES against customer measures across units, with the caution."""
    w = WORDS[lang]
    column = {"cs_index": "cs_index", "nps": "nps", "complaints": "complaint"}
    rows, figures = [], []
    for measure, r in link.links.iterrows():
        row = {
            "label": w[str(measure)],
            "units": int(r["n_units"]),
            "r": _num(r["r"], "{:+.2f}"),
            "ci": "–" if math.isnan(r["ci_low"]) else f"[{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]",
            "p": _num(r["p"], "{:.3f}"),
        }
        rows.append(row)
        pts = link.points[link.points[column[str(measure)]].notna()]
        if len(pts) >= 3:
            title = w["scatter"].format(measure=w[str(measure)])
            figures.append(
                charts(
                    title,
                    unit_scatter,
                    [str(u) for u in pts.index],
                    pts["es_index"].tolist(),
                    pts[column[str(measure)]].tolist(),
                    xlabel=w["x"],
                    ylabel=w[str(measure)],
                    title=title,
                    note=f"r = {row['r']}, 95% CI {row['ci']}, n = {row['units']}",
                )
            )
    return {
        "w": w,
        "title": w["link_title"],
        "note": "",
        "anchor": "employee-link",
        "basis": w["link_basis"].format(field=_field_label(es, link.unit_field, lang), cs=cs.title.best(lang)),
        "rows": rows,
        "charts": figures,
        "caution": CAUTION[lang],
    }
