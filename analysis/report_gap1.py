"""The report's gap-1 section, beside SERVQUAL's gap 5: how well staff know what customers expect.

:func:`section` turns a :class:`~analysis.gap1.Gap1Result` into what the template shows: a bar
chart of gap 1 per dimension with its Welch interval, the dimension and item tables (staff
belief, customer expectation, gap 1, CI, Holm-adjusted p) and, when the two surveys share a
unit field, gap 1 per unit and dimension for the units with enough answers on both sides; when
the mirror asks the staff role, gap 1 per role and dimension, and managers against frontline staff.
"""

from __future__ import annotations

from typing import Any

from analysis import plots
from analysis.gap1 import COMPARED_ROLES, Gap1Result
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
        "suppressed": "{k} 个单位因任一边答卷少于 {min_n} 份、或为保护人数更少的单位而未显示（保护员工匿名，也避免小样本误读）。",
        "chart": "差距一（员工认知 − 客户期望）",
        "chart_note": "Welch 95% 置信区间",
        "axis": "差距一（员工认知 − 客户期望）",
        "under": "员工低估客户期望",
        "over": "员工高估或持平",
        "by_role": "按岗位：各岗位员工认知与客户期望（每个岗位至少 {min_n} 人才显示；Welch t，Holm 校正覆盖全表）",
        "role": "岗位",
        "roles_suppressed": "{roles} 未单独显示：人数少于 {min_n}，或其数据与合并结果相减可推算出人数更少的岗位（仍计入合并结果）。",
        "difference_title": "管理人员与一线员工的认知差异（管理人员 − 一线员工，Welch t，Holm 校正）",
        "n_roles": "n（管理/一线）",
        "mean_a": "管理人员",
        "mean_b": "一线员工",
        "difference": "差异",
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
        "suppressed": "{k} unit(s) not shown: fewer than {min_n} answers on a side, or withheld beside such a unit "
        "(staff anonymity, and no reading of tiny samples).",
        "chart": "Gap 1 (staff belief − customer expectation)",
        "chart_note": "Welch 95 % CI",
        "axis": "Gap 1 (staff belief − customer expectation)",
        "under": "staff underestimate",
        "over": "staff overestimate or match",
        "by_role": "By role: each role's belief against what customers expect (roles with at least {min_n} staff; "
        "Welch's t, Holm over the table)",
        "role": "Role",
        "roles_suppressed": "{roles}: not shown on their own, with fewer than {min_n} staff or withheld beside such a "
        "role, whose figures the pooled ones would give back (still in the pooled figures).",
        "difference_title": "Managers against frontline staff (managers − frontline, Welch's t, Holm)",
        "n_roles": "n (managers/frontline)",
        "mean_a": "Managers",
        "mean_b": "Frontline staff",
        "difference": "Difference",
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
    } | _roles(mirror, result, lang, dim_label)


def _roles(mirror: Questionnaire, result: Gap1Result, lang: str, dim_label: dict[str, str]) -> dict[str, Any]:
    """The per-role rows and the managers − frontline rows (empty without a role question)."""
    w = WORDS[lang]
    question = next((x for x in mirror.questions() if x.id == result.role_field), None)
    role_label = {o.code: o.text.best(lang) for o in question.options} if question is not None else {}
    roles = result.roles
    difference = result.role_difference
    a, b = COMPARED_ROLES
    return {
        "roles": [
            _row(dim_label.get(str(r["dimension"]), str(r["dimension"])), r)
            | {"role": role_label.get(str(r["role"]), str(r["role"]))}
            for _, r in (roles.iterrows() if roles is not None else ())
        ],
        "roles_suppressed": (
            w["roles_suppressed"].format(
                roles=", ".join(role_label.get(r, r) for r in result.suppressed_roles), min_n=result.min_n
            )
            if result.suppressed_roles
            else ""
        ),
        "difference": [
            {
                "label": dim_label.get(str(d), str(d)),
                "n": f"{int(r[f'n_{a}'])}/{int(r[f'n_{b}'])}",
                "a": f"{r[f'mean_{a}']:.2f}",
                "b": f"{r[f'mean_{b}']:.2f}",
                "diff": float(r["difference"]),
                "ci": f"[{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]" if r["ci_low"] == r["ci_low"] else "–",
                "p": f"{r['p_holm']:.3f}" if r["p_holm"] == r["p_holm"] else "–",
            }
            for d, r in (difference.iterrows() if difference is not None else ())
        ],
        "difference_title": w["difference_title"],
        "by_role": w["by_role"].format(min_n=result.min_n),
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
