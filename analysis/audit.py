"""Process audits (spot checks and mystery shops): compliance per step, dealer and wave, and the link to customers.

An audit instrument is a questionnaire whose process steps are ``checklist`` questions
(:mod:`surveykit.checklist`): every standard answered ``yes`` (met), ``no`` (not met) or ``na``
(not applicable), with a weight and an optional ``critical`` flag.

* :func:`step_scores` scores every audit: per step the met share of the applicable weight, capped
  when a critical standard is not met, and overall;
* :func:`compliance` summarises them: per step, per standard (the most often failed first), per
  dealer and step, per dealer and wave (the trend), and covert against open audits;
* :func:`csi_link` sets a step's compliance beside the customers' rating of the same step in a
  CSI survey, dealer by dealer (:func:`analysis.unit_link.unit_correlation`).

The scoring is the weighted checklist score of mystery-shopping practice (Wilson 2001; the
compliance percentage of applicable weight); the caps follow the "knock-out" items of brand
standards audits, where one failed critical standard fails the step whatever else was done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.unit_link import unit_correlation, unit_means
from surveykit.model import Question, Questionnaire

__all__ = ["ComplianceResult", "CsiLinkResult", "checklists", "compliance", "csi_link", "step_scores"]


def checklists(q: Questionnaire) -> list[Question]:
    """The checklist questions (process steps) of ``q``, in order."""
    return [question for question in q.questions() if question.type == "checklist" and question.checklist]


def step_scores(q: Questionnaire, df: pd.DataFrame) -> pd.DataFrame:
    r"""Per audit (row of ``df``): the compliance of every step, in percent, and ``overall``.

    Notes
    -----
    For step s with items i of weight :math:`w_i`, :math:`a_i = 1` when the item was answered
    ``yes`` or ``no`` (applicable) and :math:`m_i = 1` when ``yes``:

    .. math::
        C_s = 100\,\frac{\sum_i w_i m_i}{\sum_i w_i a_i},\qquad
        C_s \leftarrow \min(C_s,\ \mathrm{cap}_s)\ \text{if a critical item is } \texttt{no},

        C = \frac{\sum_s W_s C_s}{\sum_s W_s},\quad W_s = \sum_i w_i a_i .

    A step with no applicable answered item is missing (NaN) and does not count in the overall
    score; ``na`` and unanswered items leave the denominator. The cap (default 0) is the
    checklist's ``cap:``.

    References
    ----------
    .. [1] Wilson, A. M. (2001). Mystery shopping: Using deception to measure service performance.
           Psychology & Marketing, 18(7), 721-734. https://doi.org/10.1002/mar.1027
    """
    steps = checklists(q)
    if not steps:
        raise ValueError(f"survey {q.survey!r} has no checklist question (no process step to score)")
    out = {}
    applicable_weight = {}
    for step in steps:
        assert step.checklist is not None  # checklists() keeps only these
        met = np.zeros(len(df))
        applicable = np.zeros(len(df))
        failed_critical = np.zeros(len(df), bool)
        for item in step.checklist.items:
            if item.id not in df.columns:
                raise ValueError(f"the audits have no column {item.id!r} (an item of step {step.id!r})")
            answer = df[item.id].astype("string")
            is_yes = (answer == "yes").fillna(False).to_numpy(bool)
            is_no = (answer == "no").fillna(False).to_numpy(bool)
            met += item.weight * is_yes
            applicable += item.weight * (is_yes | is_no)
            if item.critical:
                failed_critical |= is_no
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(applicable > 0, 100 * met / np.where(applicable > 0, applicable, 1), np.nan)
        score = np.where(failed_critical, np.minimum(score, step.checklist.cap), score)
        out[step.id] = score
        applicable_weight[step.id] = applicable
    scores = pd.DataFrame(out, index=df.index)
    weights = pd.DataFrame(applicable_weight, index=df.index)
    total = weights.where(scores.notna()).sum(axis=1)
    scores["overall"] = (scores.fillna(0) * weights).sum(axis=1) / total.where(total > 0)
    return scores


@dataclass(frozen=True, slots=True)
class ComplianceResult:
    """Compliance of the audits (see :func:`compliance`)."""

    scores: pd.DataFrame = field(compare=False)  # per audit: each step and overall, in percent
    steps: pd.DataFrame = field(compare=False)  # per step: n, mean, sd, pct_not_met, pct_critical_failed
    items: pd.DataFrame = field(compare=False)  # per standard: step, weight, critical, n_applicable, pct_not_met
    by_unit: pd.DataFrame | None = field(compare=False)  # unit x (n, each step, overall)
    waves: pd.DataFrame | None = field(compare=False)  # unit x wave: mean overall compliance
    by_mode: pd.DataFrame | None = field(compare=False)  # audit type (covert, open) x (n, overall)
    unit_field: str | None

    def to_frame(self) -> pd.DataFrame:
        """One row per step: audits, mean compliance, share of checks not met, critical failures."""
        return self.steps.reset_index()

    def summary(self) -> str:
        lines = ["Process compliance (% of applicable weight met; critical failures capped)"]
        for step, r in self.steps.iterrows():
            lines.append(
                f"  {step!s:<20} n={int(r['n']):>4}  {r['mean']:6.1f}%  not met {r['pct_not_met']:5.1f}%  "
                f"critical failed {r['pct_critical_failed']:5.1f}%"
            )
        overall = self.scores["overall"].dropna()
        lines.append(f"  overall              n={len(overall):>4}  {overall.mean():6.1f}%")
        return "\n".join(lines)


def compliance(
    q: Questionnaire, df: pd.DataFrame, *, by: str | None = None, mode: str | None = "audit_mode"
) -> ComplianceResult:
    """Compliance per step, per standard, per unit and step, per unit and wave, and per audit type.

    Parameters
    ----------
    q, df : the audit instrument and its responses (one row per audit).
    by : a segment field (default the first one the instrument declares), e.g. ``dealer``.
    mode : a choice question telling covert from open audits (default ``audit_mode`` when present).

    Notes
    -----
    Step and overall scores as :func:`step_scores`; their means are over the audits in which the
    step applied. ``pct_not_met`` counts applicable checks (unweighted) that were ``no``: the
    standards most often failed lead the ``items`` table. The trend is the mean overall
    compliance of each unit in each wave (``wave`` column), shown when there are two waves or more.
    """
    scores = step_scores(q, df)
    step_rows, item_rows = [], []
    for step in checklists(q):
        assert step.checklist is not None
        s = scores[step.id].dropna()
        answers = {item.id: df[item.id].astype("string") for item in step.checklist.items}
        applicable = sum(((a == "yes") | (a == "no")).fillna(False).astype(int) for a in answers.values())
        not_met = sum((a == "no").fillna(False).astype(int) for a in answers.values())
        critical = pd.Series(False, index=df.index)
        for item in step.checklist.items:
            a = answers[item.id]
            n_app = int(((a == "yes") | (a == "no")).sum())
            n_no = int((a == "no").sum())
            item_rows.append(
                {
                    "item": item.id,
                    "step": step.id,
                    "weight": item.weight,
                    "critical": item.critical,
                    "n_applicable": n_app,
                    "pct_not_met": 100 * n_no / n_app if n_app else np.nan,
                    "pct_na": 100 * int((a == "na").sum()) / max(int(a.notna().sum()), 1),
                }
            )
            if item.critical:
                critical |= (a == "no").fillna(False)
        total_applicable = int(np.sum(applicable))
        step_rows.append(
            {
                "step": step.id,
                "n": len(s),
                "mean": float(s.mean()) if len(s) else np.nan,
                "sd": float(s.std(ddof=1)) if len(s) > 1 else np.nan,
                "pct_not_met": 100 * int(np.sum(not_met)) / total_applicable if total_applicable else np.nan,
                "pct_critical_failed": 100 * float(critical[scores[step.id].notna()].mean()) if len(s) else np.nan,
            }
        )
    steps = pd.DataFrame(step_rows).set_index("step")
    items = pd.DataFrame(item_rows).set_index("item").sort_values("pct_not_met", ascending=False, kind="stable")
    unit_field = by if by is not None else (q.fields[0].id if q.fields else None)
    by_unit = waves = None
    if unit_field is not None:
        if unit_field not in df.columns:
            raise ValueError(f"the audits have no column {unit_field!r}")
        units = df[unit_field].astype("string")
        by_unit = scores.groupby(units, sort=True).mean()
        by_unit.insert(0, "n", scores["overall"].groupby(units, sort=True).count())
        if "wave" in df.columns and df["wave"].dropna().nunique() >= 2:
            waves = scores["overall"].groupby([units, df["wave"].astype("string")]).mean().unstack("wave")
    by_mode = None
    if mode is not None and mode in df.columns and df[mode].notna().any():
        kinds = df[mode].astype("string")
        by_mode = pd.DataFrame(
            {"n": scores["overall"].groupby(kinds).count(), "overall": scores["overall"].groupby(kinds).mean()}
        )
    return ComplianceResult(scores, steps, items, by_unit, waves, by_mode, unit_field)


@dataclass(frozen=True, slots=True)
class CsiLinkResult:
    """Step compliance against the customers' rating of the step, across units (see :func:`csi_link`)."""

    links: pd.DataFrame = field(compare=False)  # per linked step: csi_variable, n_units, r, ci_low, ci_high, p
    points: pd.DataFrame = field(compare=False)  # per step and unit: compliance, rating, n_audits, n_customers
    unit_field: str
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        return self.links.reset_index()

    def summary(self) -> str:
        lines = [f"Step compliance vs customer rating across {self.unit_field} units (Pearson r, Fisher z CI)"]
        for step, r in self.links.iterrows():
            lines.append(
                f"  {step!s:<18} vs {r['csi_variable']:<16} units={int(r['n_units']):>3}  r={r['r']:+.2f}  "
                f"CI [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]"
            )
        return "\n".join(lines)


def rating_variable(csi: Questionnaire, step_id: str) -> str | None:
    """The customers' rating of a step: ``<step>_p`` (an importance-performance item) or a rating ``<step>``."""
    names = {v.name: v for v in csi.answer_variables()}
    for name in (f"{step_id}_p", step_id):
        v = names.get(name)
        if v is not None and v.kind == "numeric" and v.type in ("importance_performance", "likert", "matrix"):
            return name
    return None


def csi_link(
    audit: Questionnaire,
    audits: pd.DataFrame,
    csi: Questionnaire,
    customers: pd.DataFrame,
    *,
    by: str | None = None,
    min_audits: int = 1,
    min_customers: int = 5,
    conf_level: float = 0.95,
) -> CsiLinkResult:
    r"""Across units: does compliance on a step go with the customers' rating of that step?

    A checklist is linked to the CSI survey's rating of the step with the same id (``reception``
    ↔ ``reception_p``, see :func:`rating_variable`). Per unit (``by``, default the first field
    both surveys carry): the mean step compliance of its audits (at least ``min_audits``) and the
    mean rating of its customers (at least ``min_customers``); then Pearson's r across the units
    with Fisher's z interval (:func:`analysis.unit_link.unit_correlation`). The number of units,
    not of customers, decides how wide the interval is. This is an ecological correlation
    (Robinson 1950): it does not say that a customer served to standard is more satisfied.

    References
    ----------
    .. [1] Robinson, W. S. (1950). Ecological correlations and the behavior of individuals.
           American Sociological Review, 15(3), 351-357. https://doi.org/10.2307/2087176
    .. [2] Wilson, A. M. (2001). Mystery shopping: Using deception to measure service performance.
           Psychology & Marketing, 18(7), 721-734. https://doi.org/10.1002/mar.1027
    """
    unit_field = by or _shared_field(audit, csi)
    if unit_field is None:
        raise ValueError(f"surveys {audit.survey!r} and {csi.survey!r} share no segment field to link units by")
    for frame, name in ((audits, audit.survey), (customers, csi.survey)):
        if unit_field not in frame.columns:
            raise ValueError(f"the responses of {name!r} have no column {unit_field!r}")
    scores = step_scores(audit, audits)
    rows, points = [], []
    for step in checklists(audit):
        variable = rating_variable(csi, step.id)
        if variable is None:
            continue
        x = unit_means(scores[step.id], audits[unit_field], min_n=min_audits)
        y = unit_means(customers[variable], customers[unit_field], min_n=min_customers)
        both = x.add_suffix("_audit").join(y.add_suffix("_csi"), how="inner")
        stats_ = unit_correlation(both["mean_audit"], both["mean_csi"], conf_level=conf_level)
        rows.append({"step": step.id, "csi_variable": variable} | stats_)
        for unit, r in both.iterrows():
            points.append(
                {
                    "step": step.id,
                    "unit": str(unit),
                    "compliance": float(r["mean_audit"]),
                    "rating": float(r["mean_csi"]),
                    "n_audits": int(r["n_audit"]),
                    "n_customers": int(r["n_csi"]),
                }
            )
    if not rows:
        raise ValueError(
            f"no checklist of {audit.survey!r} has a rating of the same id in {csi.survey!r} "
            f"(steps: {', '.join(s.id for s in checklists(audit))})"
        )
    links = pd.DataFrame(rows).set_index("step")
    return CsiLinkResult(links, pd.DataFrame(points), unit_field, conf_level)


def linkable(audit: Questionnaire, csi: Questionnaire) -> Sequence[str]:
    """The steps of ``audit`` that ``csi`` rates (for choosing the customer survey of a report)."""
    return [s.id for s in checklists(audit) if rating_variable(csi, s.id) is not None]


def _shared_field(a: Questionnaire, b: Questionnaire) -> str | None:
    theirs = {f.id for f in b.fields}
    return next((f.id for f in a.fields if f.id in theirs), None)
