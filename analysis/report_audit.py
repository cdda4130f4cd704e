"""The report's process-audit sections: compliance by step, standard, dealer and wave, and the link to customers.

:func:`section` turns a :class:`~analysis.audit.ComplianceResult` into what the template shows;
:func:`link_section` a :class:`~analysis.audit.CsiLinkResult` (with its scatter charts and the
ecological-inference caution of :mod:`analysis.unit_link`).
"""

from __future__ import annotations

import math
from typing import Any

from analysis import plots
from analysis.audit import ComplianceResult, CsiLinkResult, checklists
from analysis.labels import field_label
from analysis.plots.units import unit_scatter
from analysis.unit_link import CAUTION
from surveykit.model import Questionnaire

WORDS = {
    "zh": {
        "title": "流程执行检查：合规率",
        "basis": "合规率 = 符合项权重 ÷ 适用项权重（不适用项不计）；关键项不符合时，该环节得分封顶为 {cap}。共 {n} 次检查。",
        "step": "环节",
        "n": "检查次数",
        "mean": "平均合规率",
        "not_met": "不符合比例",
        "critical": "关键项失分",
        "chart": "各环节平均合规率（%）",
        "by_unit": "各{field}的合规率（%）",
        "unit": "单位",
        "overall": "总体",
        "trend": "各{field}总体合规率的变化（按调查波次）",
        "failed": "最常不符合的标准",
        "item": "标准",
        "weight": "权重",
        "is_critical": "关键",
        "yes": "是",
        "no": "",
        "by_mode": "按检查方式",
        "mode": "方式",
        "link_title": "流程执行与客户评价",
        "link_basis": "每个{field}的环节合规率均值与客户对该环节评分（{csi}）均值的相关；Pearson r，Fisher z 95% 置信区间。",
        "rating": "客户评分",
        "units": "单位数",
        "r": "相关系数 r",
        "ci": "95% 置信区间",
        "p": "p 值",
        "x": "环节合规率（%）",
        "y": "客户对该环节的评分",
        "scatter": "{step}：合规率与客户评分",
    },
    "en": {
        "title": "Process audits: compliance",
        "basis": "Compliance = weight of the standards met ÷ weight of the applicable ones (n.a. left out); "
        "a failed critical standard caps the step at {cap}. {n} audits.",
        "step": "Step",
        "n": "Audits",
        "mean": "Mean compliance",
        "not_met": "Checks not met",
        "critical": "Critical failed",
        "chart": "Mean compliance per step (%)",
        "by_unit": "Compliance by {field} (%)",
        "unit": "Unit",
        "overall": "Overall",
        "trend": "Overall compliance by {field} and wave",
        "failed": "Standards most often not met",
        "item": "Standard",
        "weight": "Weight",
        "is_critical": "Critical",
        "yes": "yes",
        "no": "",
        "by_mode": "By audit type",
        "mode": "Type",
        "link_title": "Process compliance and what customers say",
        "link_basis": "Per {field}: mean compliance on the step against the customers' mean rating of the step "
        "({csi}); Pearson r with Fisher's z 95 % interval.",
        "rating": "Customer rating",
        "units": "Units",
        "r": "r",
        "ci": "95 % CI",
        "p": "p",
        "x": "Compliance on the step (%)",
        "y": "Customers' rating of the step",
        "scatter": "{step}: compliance and customer rating",
    },
}


def _pct(value: float) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}%"


def section(q: Questionnaire, result: ComplianceResult, lang: str, charts: Any) -> dict[str, Any]:
    """The template's view of the audits' compliance, labels in ``lang``."""
    w = WORDS[lang]
    steps = {s.id: s for s in checklists(q)}
    label = {sid: (s.label or s.text).best(lang) for sid, s in steps.items()}
    caps = sorted({f"{s.checklist.cap:g}%" for s in steps.values() if s.checklist is not None})
    item_label = {row.id: (row.label or row.text).best(lang) for s in steps.values() for row in s.rows}
    field = field_label(q, result.unit_field or "", lang)
    step_ids = list(result.steps.index)
    chart = charts(
        w["chart"],
        plots.bar,
        [label[s] for s in step_ids],
        result.steps["mean"].fillna(0).tolist(),
        title=w["chart"],
        axis_label=w["mean"],
        fmt="{:.0f}",
    )
    by_unit = []
    if result.by_unit is not None:
        for unit, r in result.by_unit.iterrows():
            by_unit.append({"unit": str(unit), "n": int(r["n"]), "cells": [_pct(r[s]) for s in [*step_ids, "overall"]]})
    trend = []
    wave_names: list[str] = []
    if result.waves is not None:
        wave_names = [str(c) for c in result.waves.columns]
        for unit, r in result.waves.iterrows():
            trend.append({"unit": str(unit), "cells": [_pct(v) for v in r.tolist()]})
    return {
        "w": w,
        "basis": w["basis"].format(cap=", ".join(caps), n=int(result.scores["overall"].notna().sum())),
        "chart": chart,
        "steps": [
            {
                "label": label[s],
                "n": int(r["n"]),
                "mean": _pct(r["mean"]),
                "not_met": _pct(r["pct_not_met"]),
                "critical": _pct(r["pct_critical_failed"]),
            }
            for s, r in result.steps.iterrows()
        ],
        "overall": _pct(float(result.scores["overall"].mean())),
        "step_labels": [label[s] for s in step_ids],
        "by_unit_title": w["by_unit"].format(field=field),
        "by_unit": by_unit,
        "trend_title": w["trend"].format(field=field),
        "waves": wave_names,
        "trend": trend,
        "failed": [
            {
                "label": item_label.get(str(i), str(i)),
                "step": label.get(str(r["step"]), str(r["step"])),
                "weight": f"{r['weight']:g}",
                "critical": w["yes"] if r["critical"] else w["no"],
                "not_met": _pct(r["pct_not_met"]),
            }
            for i, r in result.items.head(10).iterrows()
        ],
        "by_mode": [
            {"mode": _mode_label(q, str(m), lang), "n": int(r["n"]), "overall": _pct(r["overall"])}
            for m, r in (result.by_mode.iterrows() if result.by_mode is not None else ())
        ],
    }


def _mode_label(q: Questionnaire, code: str, lang: str) -> str:
    for question in q.questions():
        if question.id == "audit_mode":
            for option in question.options:
                if option.code == code:
                    return option.text.best(lang)
    return code


def link_section(
    audit: Questionnaire, csi: Questionnaire, link: CsiLinkResult, lang: str, charts: Any
) -> dict[str, Any]:
    """The template's view of compliance against customer ratings across units, with the caution."""
    w = WORDS[lang]
    label = {s.id: (s.label or s.text).best(lang) for s in checklists(audit)}
    rows, figures = [], []
    for step, r in link.links.iterrows():
        rows.append(
            {
                "label": label.get(str(step), str(step)),
                "rating": csi.variable(str(r["csi_variable"])).label.best(lang),
                "units": int(r["n_units"]),
                "r": "–" if math.isnan(r["r"]) else f"{r['r']:+.2f}",
                "ci": "–" if math.isnan(r["ci_low"]) else f"[{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]",
                "p": "–" if math.isnan(r["p"]) else f"{r['p']:.3f}",
            }
        )
        pts = link.points[link.points["step"] == step]
        if len(pts) >= 3:
            title = w["scatter"].format(step=label.get(str(step), str(step)))
            note = f"r = {rows[-1]['r']}, 95% CI {rows[-1]['ci']}, n = {int(r['n_units'])}"
            figures.append(
                charts(
                    title,
                    unit_scatter,
                    pts["unit"].tolist(),
                    pts["compliance"].tolist(),
                    pts["rating"].tolist(),
                    xlabel=w["x"],
                    ylabel=w["y"],
                    title=title,
                    note=note,
                )
            )
    return {
        "w": w,
        "basis": w["link_basis"].format(
            field=field_label(audit, link.unit_field or "", lang), csi=csi.title.best(lang)
        ),
        "rows": rows,
        "charts": figures,
        "caution": CAUTION[lang],
    }
