"""The report's gap-1 section, beside SERVQUAL's gap 5: how well staff know what customers expect.

:func:`section` turns a :class:`~analysis.gap1.Gap1Result` into what the template shows: a bar
chart of gap 1 per dimension with its Welch interval, the dimension and item tables (staff
belief, customer expectation, gap 1, CI, Holm-adjusted p) and, when the two surveys share a
unit field, gap 1 per unit and dimension for the units with enough answers on both sides.
"""

from __future__ import annotations

from typing import Any

from analysis import plots
from analysis.gap1 import Gap1Result
from surveykit.model import Questionnaire

WORDS = {
    "zh": {
        "title": "差距一：管理者与员工对客户期望的认知",
        "intro": "员工回答“客户期望什么”（镜像问卷 {mirror}，{n_staff} 人），与客户自己的期望（{n_customers} 人）对照。"
        "差距一 = 员工认知 − 客户期望：为负表示员工低估了客户的期望；为正表示高估。"
        "Welch t 检验，p 值经 Holm 校正。",
        "dimension": "维度",
        "item": "题项",
        "staff": "员工认知",
        "customers": "客户期望",
        "gap1": "差距一",
        "ci": "95% 置信区间",
        "p": "p（Holm）",
        "n": "n（员工/客户）",
        "unit": "单位",
        "by_unit": "按{field}：两边各至少 {min_n} 份答卷的单位",
        "suppressed": "{k} 个单位因任一边答卷少于 {min_n} 份而未显示（保护员工匿名，也避免小样本误读）。",
        "chart": "差距一（员工认知 − 客户期望）",
        "chart_note": "Welch 95% 置信区间",
        "axis": "差距一（员工认知 − 客户期望）",
        "under": "员工低估客户期望",
        "over": "员工高估或持平",
    },
    "en": {
        "title": "Gap 1: how well management and staff know what customers expect",
        "intro": "Staff answered “what do our customers expect?” (mirror survey {mirror}, n = {n_staff}); "
        "customers said what they expect (n = {n_customers}). Gap 1 = staff belief − customer expectation: "
        "negative means staff underestimate what customers expect, positive that they overestimate it. "
        "Welch's t test, p adjusted by Holm.",
        "dimension": "Dimension",
        "item": "Item",
        "staff": "Staff belief",
        "customers": "Customer expectation",
        "gap1": "Gap 1",
        "ci": "95 % CI",
        "p": "p (Holm)",
        "n": "n (staff/customers)",
        "unit": "Unit",
        "by_unit": "By {field}: units with at least {min_n} answers on both sides",
        "suppressed": "{k} unit(s) not shown: fewer than {min_n} answers on a side (staff anonymity, and no "
        "reading of tiny samples).",
        "chart": "Gap 1 (staff belief − customer expectation)",
        "chart_note": "Welch 95 % CI",
        "axis": "Gap 1 (staff belief − customer expectation)",
        "under": "staff underestimate",
        "over": "staff overestimate or match",
    },
}


def section(
    customer: Questionnaire, mirror: Questionnaire, result: Gap1Result, lang: str, charts: Any
) -> dict[str, Any]:
    """The template's view of gap 1: chart, dimension, item and unit rows, with labels in ``lang``."""
    w = WORDS[lang]
    dims = result.dimensions
    dim_label = {d.id: d.label.best(lang) for d in customer.dimensions}
    block = next(b for b in customer.blocks("servqual") if any(i.id in result.items.index for i in b.items))
    item_label = {i.id: (i.label or i.first).best(lang) for i in block.items}
    frame = dims.reset_index()
    chart = charts(
        w["chart"],
        plots.gap_bars,
        frame,
        labels={str(d): dim_label.get(str(d), str(d)) for d in dims.index},
        id_column="dimension",
        gap_column="gap",
        title=w["chart"],
        note=w["chart_note"],
        axis_label=w["axis"],
        sign_labels=(w["under"], w["over"]),
    )
    field_label = result.unit_field or ""
    if result.unit_field is not None:
        field = next((f for f in customer.fields if f.id == result.unit_field), None)
        field_label = field.label.best(lang) if field is not None else result.unit_field
    return {
        "w": w,
        "intro": w["intro"].format(
            mirror=mirror.title.best(lang),
            n_staff=int(dims["n_staff"].max()),
            n_customers=int(dims["n_customers"].max()),
        ),
        "chart": chart,
        "dimensions": [_row(dim_label.get(str(d), str(d)), r) for d, r in dims.iterrows()],
        "items": [
            _row(item_label.get(str(i), str(i)), r) | {"dimension": dim_label.get(str(r["dimension"]), "")}
            for i, r in result.items.iterrows()
        ],
        "units": [
            _row(str(r["unit"]), r) | {"dimension": dim_label.get(str(r["dimension"]), str(r["dimension"]))}
            for _, r in (result.units.iterrows() if result.units is not None else ())
        ],
        "by_unit": w["by_unit"].format(field=field_label, min_n=result.min_n),
        "suppressed": (
            w["suppressed"].format(k=len(result.suppressed_units), min_n=result.min_n)
            if result.suppressed_units
            else ""
        ),
    }


def _row(label: str, r: Any) -> dict[str, Any]:
    return {
        "label": label,
        "n": f"{int(r['n_staff'])}/{int(r['n_customers'])}",
        "staff": f"{r['mean_staff']:.2f}",
        "customers": f"{r['mean_customers']:.2f}",
        "gap": float(r["gap"]),
        "ci": f"[{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]" if r["ci_low"] == r["ci_low"] else "–",
        "p": f"{r['p_holm']:.3f}" if r["p_holm"] == r["p_holm"] else "–",
    }
