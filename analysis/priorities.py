"""Improvement priorities: the short list that opens the report.

The seeds' method is survey -> analyse -> highlight what matters -> set
priorities.  Each rule below turns one established reading of a result into a
priority, with the numbers behind it, and a severity used only to order the
list:

* importance–performance: an attribute in Martilla & James's "concentrate
  here" quadrant (importance at or above the crosshair, performance below);
  severity = (importance - performance crosshair distance) scaled to the scale;
* SERVQUAL: an item whose gap P - E is negative and significant after Holm's
  adjustment; severity = |gap| / (points - 1);
* Kano: a must-be attribute (dominant M): failing it causes dissatisfaction
  whatever else is done (Kano et al. 1984); severity = |Worse|;
* penalty–reward: an attribute with a significant penalty (p < .05) and no
  significant reward, a basic factor whose low ratings pull satisfaction down
  (Brandt 1987); severity = |penalty| / scale range;
* funnel plot: a segment (dealer, branch) below the 99.8 % control limit, a
  difference unlikely to be noise (Spiegelhalter 2005); severity = |z| / 10;
* gap 1 (with a staff mirror survey): a dimension where what staff believe
  customers expect differs from what customers expect, Welch's test significant
  after Holm's adjustment: staff under- or overestimate the expectation
  (Parasuraman, Zeithaml & Berry 1985); severity = |gap 1| / (points - 1). When the mirror
  asks the staff role, a significant gap of managers or of frontline staff (Holm over the
  role-by-dimension table) names the group, and the pooled sentence is kept for a dimension
  where neither group's gap is significant on its own;
* comment themes: a theme of a coded text question whose mentions go with a lower mean
  overall satisfaction, Welch's test significant after Holm's adjustment over the themes
  (:mod:`analysis.text_themes`); severity = |difference| / (points - 1).

Labels come from the questionnaire (the item's short label, else its text).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from analysis.labels import unit_label
from surveykit.model import KanoBlock, Page

if TYPE_CHECKING:
    from analysis.analyze import AnalysisResult
    from analysis.gap1 import Gap1Result
    from analysis.text_themes import CommentThemesResult
    from surveykit.model import Questionnaire


@dataclass(frozen=True, slots=True)
class Priority:
    kind: str  # ipa, servqual, kano, penalty, funnel, gap1_under, gap1_over, comment
    subject: str  # the item, attribute or segment id
    label: str  # its label in the report's language
    severity: float  # orders the list; comparable only roughly across kinds
    evidence: dict[str, float | str]


def improvement_priorities(
    q: Questionnaire, result: AnalysisResult, *, lang: str, limit: int = 8, gap1: Gap1Result | None = None
) -> list[Priority]:
    """The most pressing improvements, most severe first (at most ``limit``); ``gap1`` from a staff mirror."""
    found: list[Priority] = []
    if gap1 is not None:
        found += _gap1(q, gap1, lang)
    for block_id, block in result.ipa.items():
        found += _ipa(q, block_id, block, lang)
    for block_id, sq in result.servqual.items():
        found += _servqual(q, block_id, sq, lang)
    for block_id, kn in result.kano.items():
        found += _kano(q, block_id, kn, lang)
    if result.satisfaction is not None and result.satisfaction.funnel is not None:
        for unit, row in result.satisfaction.funnel.units.iterrows():
            if row["mean"] < row["lower_99_8"]:
                found.append(
                    Priority(
                        "funnel",
                        str(unit),
                        unit_label(q, unit, lang),
                        abs(float(row["z"])) / 10,
                        {
                            "index": float(row["mean"]),
                            "n": int(row["n"]),
                            "lower_99_8": float(row["lower_99_8"]),
                            "z": float(row["z"]),
                        },
                    )
                )
    for comments in result.comments.values():
        found += _comment_themes(q, comments, lang)
    found.sort(key=lambda p: -p.severity)
    return found[:limit]


def _comment_themes(q: Questionnaire, comments: CommentThemesResult, lang: str) -> list[Priority]:
    question = next(x for x in q.questions() if x.id == comments.question)
    sat = next((x for x in q.questions() if x.id == comments.satisfaction), None)
    if question.codeframe is None or sat is None or sat.scale is None or "p_holm" not in comments.impact.columns:
        return []
    out = []
    for theme, row in comments.impact.iterrows():
        if row["diff"] < 0 and row["p_holm"] < 0.05:
            evidence: dict[str, float | str] = {
                "mean_with": float(row["mean_with"]),
                "mean_without": float(row["mean_without"]),
                "n_with": int(row["n_with"]),
                "p_holm": float(row["p_holm"]),
                "question": comments.question,
            }
            label = question.codeframe.theme(str(theme)).label(lang)
            out.append(
                Priority("comment", str(theme), label, abs(float(row["diff"])) / (sat.scale.points - 1), evidence)
            )
    return out


def _label(q: Questionnaire, block_id: str, item_id: str, lang: str) -> str:
    block = next(b for b in q.pages if b.id == block_id)
    if isinstance(block, Page):
        return item_id
    items = block.attributes if isinstance(block, KanoBlock) else block.items
    for item in items:
        if item.id == item_id:
            text = item.label or item.second or item.first
            return text.best(lang)
    return item_id


def _ipa(q: Questionnaire, block_id: str, block, lang: str) -> list[Priority]:
    out = []
    grid = block.grid
    imp_cross, perf_cross = grid.crosshair
    scale = next(b for b in q.blocks("importance_performance") if b.id == block_id).performance_scale.points - 1
    for attr, row in grid.attributes.iterrows():
        if row["mean_importance"] >= imp_cross and row["mean_performance"] < perf_cross:
            evidence: dict[str, float | str] = {
                "importance": float(row["mean_importance"]),
                "performance": float(row["mean_performance"]),
                "crosshair_performance": float(perf_cross),
            }
            if block.derived is not None and f"{attr}_p" in block.derived.pct.index:
                evidence["derived_importance_pct"] = float(block.derived.pct[f"{attr}_p"])
            severity = (row["mean_importance"] - imp_cross + perf_cross - row["mean_performance"]) / scale
            out.append(Priority("ipa", str(attr), _label(q, block_id, str(attr), lang), float(severity), evidence))
        if block.penalty_reward is not None and f"{attr}_p" in block.penalty_reward.attributes.index:
            pr = block.penalty_reward.attributes.loc[f"{attr}_p"]
            if pr["penalty"] < 0 and pr["penalty_p"] < 0.05 and not pr["reward_p"] < 0.05:
                out.append(
                    Priority(
                        "penalty",
                        str(attr),
                        _label(q, block_id, str(attr), lang),
                        float(abs(pr["penalty"]) / scale),
                        {
                            "penalty": float(pr["penalty"]),
                            "penalty_p": float(pr["penalty_p"]),
                            "n_low": int(pr["n_low"]),
                        },
                    )
                )
    return out


def _servqual(q: Questionnaire, block_id: str, sq, lang: str) -> list[Priority]:
    block = next(b for b in q.blocks("servqual") if b.id == block_id)
    scale = block.scale.points - 1
    out = []
    for item, row in sq.items.iterrows():
        if row["mean"] < 0 and row["p_holm"] < 0.05:
            out.append(
                Priority(
                    "servqual",
                    str(item),
                    _label(q, block_id, str(item), lang),
                    float(abs(row["mean"]) / scale),
                    {
                        "gap": float(row["mean"]),
                        "ci_low": float(row["ci_low"]),
                        "ci_high": float(row["ci_high"]),
                        "mean_E": float(row["mean_E_paired"]),
                        "mean_P": float(row["mean_P_paired"]),
                        "dimension": str(row["dimension"]),
                        "p_holm": float(row["p_holm"]),
                    },
                )
            )
    out.sort(key=lambda p: -p.severity)
    return out[:5]


def _kano(q: Questionnaire, block_id: str, kn, lang: str) -> list[Priority]:
    out = []
    for attr, row in kn.attributes.iterrows():
        if row["dominant"] == "M":
            out.append(
                Priority(
                    "kano",
                    str(attr),
                    _label(q, block_id, str(attr), lang),
                    float(abs(row["worse"])),
                    {
                        "pct_M": float(row["pct_M"]),
                        "worse": float(row["worse"]),
                        "better": float(row["better"]),
                        "n": int(row["n_valid"]),
                    },
                )
            )
    return out


def _gap1(q: Questionnaire, gap1: Gap1Result, lang: str) -> list[Priority]:
    from analysis.gap1 import ROLE_NAMES

    labels = {d.id: d.label.best(lang) for d in q.dimensions}
    points = max((b.scale.points for b in q.blocks("servqual")), default=2)
    out = []
    named: set[str] = set()
    for _i, row in gap1.roles.iterrows() if gap1.roles is not None else ():
        role, dim = str(row["role"]), str(row["dimension"])
        if role in ROLE_NAMES and row["p_holm"] < 0.05:
            named.add(dim)
            out.append(
                Priority(
                    "gap1_role_under" if row["gap"] < 0 else "gap1_role_over",
                    f"{role}:{dim}",
                    labels.get(dim, dim),
                    float(abs(row["gap"]) / (points - 1)),
                    {
                        "group": ROLE_NAMES[role].get(lang, ROLE_NAMES[role]["en"]),
                        "gap": float(row["gap"]),
                        "ci_low": float(row["ci_low"]),
                        "ci_high": float(row["ci_high"]),
                        "staff": float(row["mean_staff"]),
                        "customers": float(row["mean_customers"]),
                    },
                )
            )
    for dim, row in gap1.dimensions.iterrows():
        if row["p_holm"] < 0.05 and str(dim) not in named:
            out.append(
                Priority(
                    "gap1_under" if row["gap"] < 0 else "gap1_over",
                    str(dim),
                    labels.get(str(dim), str(dim)),
                    float(abs(row["gap"]) / (points - 1)),
                    {
                        "gap": float(row["gap"]),
                        "ci_low": float(row["ci_low"]),
                        "ci_high": float(row["ci_high"]),
                        "staff": float(row["mean_staff"]),
                        "customers": float(row["mean_customers"]),
                    },
                )
            )
    return out
