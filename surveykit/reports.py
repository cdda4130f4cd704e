"""What a report of a stored survey reads from the store: the responses and the service-recovery inputs.

The store-reading half of a report; :func:`analysis.report.report_from_store`
is the other half (analyse and render), and the ``report --db`` command, the
demo and the admin's report page all go through both.  It lives here rather
than in :mod:`surveykit.cases` because it reads responses too, and
:mod:`surveykit.storage` imports :mod:`surveykit.cases` (a submission opens its
cases in the same transaction): dependencies stay one-way.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from surveykit.cases import UnitScope, cases_frame
from surveykit.database import survey_versions
from surveykit.loader import load_questionnaire
from surveykit.model import Questionnaire
from surveykit.org import rows_in_units
from surveykit.scenario import satisfaction_question
from surveykit.storage import responses_frame

__all__ = ["LOST_SURVEY", "ReportData", "report_data"]

LOST_SURVEY = "lost_customer"


@dataclass(frozen=True, slots=True)
class ReportData:
    """The tables a report of one stored survey is drawn from.

    ``responses``: :func:`surveykit.storage.responses_frame` of the survey;
    ``cases``: its follow-up cases (:func:`surveykit.cases.cases_frame`), None
    for a store from before cases; ``lost``: the latest stored version of the
    lost-customer survey and its responses, None when there are none or the
    survey is that one (whose own report draws the reasons already);
    ``mirror``: the latest stored staff mirror survey of this one (``mirror_of:``,
    for gap 1) and its responses, None when there is none or it has no responses;
    ``customers``: for a process audit (checklists), the stored customer survey that rates its
    steps, with its responses (:func:`customer_survey`); ``linked``: for an employee survey whose
    department field declares ``links:``, the latest stored version of each linked customer survey
    with its responses (:func:`linked_surveys`).
    """

    responses: pd.DataFrame = field(compare=False)
    cases: pd.DataFrame | None = field(compare=False)
    lost: tuple[Questionnaire, pd.DataFrame] | None = field(compare=False)
    mirror: tuple[Questionnaire, pd.DataFrame] | None = field(default=None, compare=False)
    customers: tuple[Questionnaire, pd.DataFrame] | None = field(default=None, compare=False)
    linked: tuple[tuple[Questionnaire, pd.DataFrame], ...] = field(default=(), compare=False)


def report_data(engine: Engine, q: Questionnaire, *, units: Collection[str] | None = None) -> ReportData:
    """Read the responses of ``q`` and what the report's service-recovery section needs besides them.

    ``units``: only what belongs to these units (a manager's scope, :func:`surveykit.org.scope_units`):
    every table keeps the rows whose dealer or branch is one of them, the cases those whose dealer
    or response's branch is (:class:`surveykit.cases.UnitScope`).  None: everything.
    """
    responses = rows_in_units(responses_frame(engine, q), units)
    mirror = _within_pair(_mirror(engine, q), units)
    customers = _within_pair(customer_survey(engine, q), units)
    linked = tuple(p for p in (_within_pair(p, units) for p in linked_surveys(engine, q)) if p is not None)
    if not sa.inspect(engine).has_table("cases"):  # a store from before cases: nothing to add, nothing written
        return ReportData(responses, None, None, mirror, customers, linked)
    lost = None
    if q.survey != LOST_SURVEY:
        v = survey_versions.c
        with engine.connect() as conn:
            text = conn.execute(
                sa.select(v.yaml_text).where(v.survey == LOST_SURVEY).order_by(v.id.desc()).limit(1)
            ).scalar()
        if text is not None:
            lost_q = load_questionnaire(text)
            df = rows_in_units(responses_frame(engine, lost_q), units)
            lost = (lost_q, df) if len(df) else None
    scope = None if units is None else UnitScope(frozenset(units))
    return ReportData(responses, cases_frame(engine, survey=q.survey, scope=scope), lost, mirror, customers, linked)


def linked_surveys(engine: Engine, q: Questionnaire) -> list[tuple[Questionnaire, pd.DataFrame]]:
    """The stored customer surveys a field of ``q`` declares ``links:`` to (latest version each), with responses."""
    wanted = {link.survey for f in q.fields for link in f.links}
    if not wanted:
        return []
    v = survey_versions.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(v.survey, v.yaml_text).where(v.survey.in_(sorted(wanted))).order_by(v.id.desc())
        ).all()
    out, seen = [], set()
    for survey, text in rows:
        if survey in seen:
            continue
        seen.add(survey)
        other = load_questionnaire(text)
        df = responses_frame(engine, other)
        if len(df):
            out.append((other, df))
    return out


def _within_pair(
    pair: tuple[Questionnaire, pd.DataFrame] | None, units: Collection[str] | None
) -> tuple[Questionnaire, pd.DataFrame] | None:
    if pair is None or units is None:
        return pair
    df = rows_in_units(pair[1], units)
    return (pair[0], df) if len(df) else None


def customer_survey(engine: Engine, q: Questionnaire) -> tuple[Questionnaire, pd.DataFrame] | None:
    """For an audit or an employee survey: the stored customer survey of the same dealers, with its responses.

    A step (a checklist) is rated when the customer survey has a numeric rating named after it
    (``<step>_p`` of an importance-performance item, or ``<step>``) and both surveys carry the
    same first segment field (the dealer); for an anonymous (employee) survey, the latest stored
    customer survey of the same dealers with an overall satisfaction question. None for any other
    survey, or when no stored survey qualifies or has responses.
    """
    steps = [question.id for question in q.questions() if question.type == "checklist"]
    if not (steps or q.anonymous) or not q.fields:
        return None
    v = survey_versions.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(v.survey, v.yaml_text).order_by(v.id.desc())).all()
    best: tuple[int, Questionnaire] | None = None
    seen: set[str] = {q.survey}
    for survey, text in rows:
        if survey in seen:
            continue
        seen.add(survey)
        other = load_questionnaire(text)
        if q.fields[0].id not in {f.id for f in other.fields} or other.anonymous or other.mirror_of:
            continue
        numeric = {var.name for var in other.answer_variables() if var.kind == "numeric"}
        if steps:
            rated = sum(1 for step in steps if f"{step}_p" in numeric or step in numeric)
        else:  # an employee survey: a customer survey with an overall satisfaction question
            rated = int(satisfaction_question(other) is not None)
        if rated and (best is None or rated > best[0]):
            best = (rated, other)
    if best is None:
        return None
    df = responses_frame(engine, best[1])
    return (best[1], df) if len(df) else None


def _mirror(engine: Engine, q: Questionnaire) -> tuple[Questionnaire, pd.DataFrame] | None:
    """The latest stored survey whose ``mirror_of:`` names ``q``, with its responses (None without any).

    Only a servqual survey has a gap 1; the stored texts are filtered on the key before any is loaded.
    """
    if not q.blocks("servqual"):
        return None
    v = survey_versions.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(v.survey, v.yaml_text).where(v.yaml_text.contains("mirror_of")).order_by(v.id.desc())
        ).all()
    seen: set[str] = set()
    for survey, text in rows:
        if survey in seen:
            continue
        seen.add(survey)
        staff_q = load_questionnaire(text)
        if staff_q.mirror_of is not None and staff_q.mirror_of.survey == q.survey:
            df = responses_frame(engine, staff_q)
            return (staff_q, df) if len(df) else None
    return None
