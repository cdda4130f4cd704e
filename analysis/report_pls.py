"""The report's section on the satisfaction-index path model: diagram, paths, quality, HTMT, IPMA.

:func:`section` turns an :class:`~analysis.pathmodel.PathModelResult` into what the template
shows. A value that misses the usual threshold of PLS-SEM practice (AVE >= .50; rho_c and
rho_A between .70 and .95; HTMT below .85, or .90 for conceptually close constructs; Hair et
al. 2022, ch. 4; Henseler, Ringle & Sarstedt 2015) is marked, and the table's caption states
the thresholds. The IPMA rows carry the quadrant of the IPA grid, with the lines at the mean
importance and performance of the drivers (Ringle & Sarstedt 2016).
"""

from __future__ import annotations

import math
from typing import Any

from analysis import plots
from analysis.ipa import quadrants
from analysis.pathmodel import AVE_MIN, HTMT_LENIENT, HTMT_STRICT, RELIABILITY_RANGE, PathModelResult
from analysis.plots.pls import stars
from analysis.plots.text import quadrant_name
from surveykit.model import Questionnaire
from surveykit.terms import term

_CONCEPTS = (
    "path_model",
    "construct",
    "indicator",
    "path_coefficient",
    "r_squared",
    "total_effect",
    "measurement_quality",
    "ave",
    "composite_reliability",
    "htmt",
    "ipma",
    "importance",
    "performance",
)
_OWN = {
    "zh": {
        "path": "路径",
        "se": "标准误",
        "p": "p 值",
        "ci": "95% 置信区间",
        "rho_c": "组合信度 ρc",
        "rho_a": "信度 ρA",
        "alpha": "Cronbach α",
        "quadrant": "象限",
        "pair": "潜变量对",
        "basis": "n = {n}（模型题项全部作答），{scheme} 内部加权，{boot}；反向题已反向计分：{rev}",
        "boot": "自助法 {n_boot} 次（种子 {seed}）",
        "no_boot": "未做自助法",
        "thresholds": f"阈值：AVE ≥ {AVE_MIN:.2f}；ρc、ρA 在 "
        f"{RELIABILITY_RANGE[0]:.2f}–{RELIABILITY_RANGE[1]:.2f} 之间；"
        f"HTMT < {HTMT_STRICT:.2f}（概念相近时 < {HTMT_LENIENT:.2f}）。"
        "未达阈值者标红；单题项潜变量不评估信度。",
        "ipma_basis": "重要性：对“{target}”的非标准化总效应；表现：0–100 分；目标表现 {perf:.1f}",
        "none": "无",
    },
    "en": {
        "path": "Path",
        "se": "SE",
        "p": "p",
        "ci": "95 % CI",
        "rho_c": "ρc",
        "rho_a": "ρA",
        "alpha": "Cronbach's α",
        "quadrant": "Quadrant",
        "pair": "Constructs",
        "basis": "n = {n} (every model item answered), {scheme} scheme, {boot}; reverse-keyed items recoded: {rev}",
        "boot": "bootstrap with {n_boot} resamples (seed {seed})",
        "no_boot": "no bootstrap",
        "thresholds": f"Thresholds: AVE ≥ {AVE_MIN:.2f}; ρc and ρA between {RELIABILITY_RANGE[0]:.2f} and "
        f"{RELIABILITY_RANGE[1]:.2f}; HTMT < {HTMT_STRICT:.2f} (< {HTMT_LENIENT:.2f} for conceptually close "
        "constructs). "
        "Values that miss are marked; single-item constructs have no reliability to assess.",
        "ipma_basis": "Importance: unstandardised total effect on “{target}”; performance on 0–100; "
        "target performance {perf:.1f}",
        "none": "none",
    },
}


def words(lang: str) -> dict[str, str]:
    """The section's wording in ``lang``: domain terms from :mod:`surveykit.terms`, and its own phrases."""
    return {concept: term(concept, lang) for concept in _CONCEPTS} | _OWN[lang]


def construct_labels(q: Questionnaire, lang: str) -> dict[str, str]:
    """Each construct's name: its label, else its dimension's label, else its id."""
    model = q.model
    out = {}
    for c in model.constructs if model else ():
        if c.label is not None:
            out[c.id] = c.label.best(lang)
        elif c.dimension is not None:
            out[c.id] = q.dimension(c.dimension).label.best(lang)
        else:
            out[c.id] = c.id
    return out


def _num(value: float, pattern: str = "{:.3f}") -> str:
    return "–" if value is None or not math.isfinite(value) else pattern.format(value)


def _n(pm: PathModelResult) -> str:
    """The model's n, with Kish's effective n, design effect and efficiency when it was weighted."""
    if pm.n_eff is None:
        return str(pm.n_rows)
    return (
        f"{pm.n_rows} (n_eff {pm.n_eff:.0f}, deff {pm.n_rows / pm.n_eff:.2f}, eff. {100 * pm.n_eff / pm.n_rows:.0f} %)"
    )


def section(q: Questionnaire, pm: PathModelResult | None, lang: str, charts: Any) -> dict[str, Any] | None:
    """What the template shows of the path model, or ``None`` when there is none."""
    if pm is None:
        return None
    w = words(lang)
    labels = construct_labels(q, lang)
    names = list(pm.constructs.index)
    has_p = "p_value" in pm.paths.columns
    diagram = charts(
        w["path_model"],
        plots.path_diagram,
        names,
        [labels[c] for c in names],
        pm.constructs["r2"].tolist(),
        list(zip(pm.paths["from"], pm.paths["to"], strict=True)),
        pm.paths["estimate"].tolist(),
        pm.paths["p_value"].tolist() if has_p else None,
        n_boot=pm.n_boot,
    )
    paths = [
        {
            "path": f"{labels[r['from']]} → {labels[r['to']]}",
            "estimate": f"{r['estimate']:.3f}{stars(r['p_value']) if has_p else ''}",
            "se": _num(r["se"]) if has_p else "–",
            "p": ("< 0.001" if r["p_value"] < 0.001 else _num(r["p_value"])) if has_p else "–",
            "ci": f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]" if has_p else "–",
            "weak": has_p and not r["p_value"] < 0.05,
        }
        for _, r in pm.paths.iterrows()
    ]
    low, high = RELIABILITY_RANGE
    quality = []
    for c, r in pm.constructs.iterrows():
        quality.append(
            {
                "label": labels[c],
                "mode": r["mode"],
                "indicators": r["items"],
                "r2": _num(r["r2"]),
                "ave": (_num(r["ave"]), math.isfinite(r["ave"]) and r["ave"] < AVE_MIN),
                "rho_c": (_num(r["rho_c"]), math.isfinite(r["rho_c"]) and not low <= r["rho_c"] <= high),
                "rho_a": (_num(r["rho_a"]), math.isfinite(r["rho_a"]) and not low <= r["rho_a"] <= high),
                "alpha": _num(r["alpha"]),
            }
        )
    htmt = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            value = pm.htmt.loc[a, b]
            if math.isfinite(value):
                htmt.append(
                    {"pair": f"{labels[a]} – {labels[b]}", "value": f"{value:.3f}", "bad": value >= HTMT_STRICT}
                )
    ipma = None
    if pm.ipma is not None and len(pm.ipma):
        table = pm.ipma
        crosshair = (float(table["importance"].mean()), float(table["performance"].mean()))
        quads = quadrants(table["importance"], table["performance"], crosshair)
        target = labels[pm.target] if pm.target else ""
        ipma = {
            "basis": w["ipma_basis"].format(target=target, perf=pm.target_performance),
            "chart": charts(
                w["ipma"],
                plots.ipma_map,
                table["importance"].tolist(),
                table["performance"].tolist(),
                [labels[c] for c in table.index],
                target,
            ),
            "rows": [
                {
                    "label": labels[c],
                    "importance": f"{r['importance']:.3f}",
                    "performance": f"{r['performance']:.1f}",
                    "quadrant": quadrant_name(quads[c], lang),
                }
                for c, r in table.sort_values("importance", ascending=False).iterrows()
            ],
        }
    boot = w["boot"].format(n_boot=pm.n_boot, seed=pm.seed) if pm.n_boot else w["no_boot"]
    return {
        "w": w,
        "basis": w["basis"].format(
            n=_n(pm), scheme=pm.scheme, boot=boot, rev=", ".join(pm.reversed_items) or w["none"]
        ),
        "charts": [diagram],
        "paths": paths,
        "quality": quality,
        "htmt": htmt,
        "ipma": ipma,
    }
