"""Follow-up cases: from an unhappy response to a win-back survey.

A response that meets one of its questionnaire's ``alerts`` opens a case in the
transaction that stores the response (:func:`on_submit`, called from
:func:`surveykit.storage.save_response`): if the submit commits, the case and
its first notification are there; if it rolls back, neither is.  A replayed or
double-tapped submit stores nothing new, so it opens nothing new either, and a
unique constraint on ``(response_id, alert)`` backs that up.

The states are the steps of the complaint process in the dealer training
material (记录投诉内容 → 判断投诉是否成立 → 确定处理投诉的部门 → 责任部门分析投诉原因 →
提出处理方案 → 实施方案并总结评价)::

    open → verified → assigned → root_cause_found → solution_agreed → done_evaluated
    any state but the two final ones → closed_without_action (a reason is required)

Every other move is refused with :class:`TransitionRefused`.  Moving to
``assigned`` needs a department, to ``root_cause_found`` a root-cause category
(:data:`ROOT_CAUSES`), to ``solution_agreed`` and ``done_evaluated`` a note (the
solution, the evaluation), to ``closed_without_action`` the reason.

Every change is an event in ``case_events`` (who, when, from-state, to-state,
note).  That table is append-only: this module has no statement that updates
or deletes it, and database triggers refuse UPDATE and DELETE on both SQLite
and PostgreSQL.

First contact.  A case's first contact is due ``first_contact_hours`` (from the
rule) after it was opened.  ``first_contact_at`` is the time of the first event
that records speaking to the customer: a contact note (:func:`add_note` with
``contact=True``) or the move from ``open`` to ``verified`` (verifying a
complaint means hearing the customer out), whichever comes first.  A case is
*overdue* while it is in neither final state, has no first contact and its
deadline has passed; :func:`mark_overdue` (run by ``surveykit notify``) stamps
``overdue_at`` once, records an event and writes the overdue message.

Win-back.  Once a case is closed, :func:`send_recovery` creates a single-use
invitation to the one-question recovery survey (``questionnaires/recovery.yaml``)
carrying the case number; the answer is recorded on the case by
:func:`on_submit` when it arrives.  Recovered means satisfied after the recovery
survey: a top-2-box answer on its satisfaction scale (9–10 for a 0–10 question).

Department users see the cases of their department only: every function that
reads or changes one case takes ``scope`` (the user's department, None for an
admin) and answers :class:`CaseNotFound` for a case outside it.  A manager's scope is a
:class:`UnitScope` (the unit codes of :func:`surveykit.org.scope_units`): the cases whose
dealer, or whose response's branch, is one of them.

Why one module of about 880 lines (660 before ruff format spread the long calls
over several lines): the state machine, the history, overdue
marking and the win-back all lock and record a case through the same private
helpers (:func:`_select_case`, :func:`_event`) inside one transaction each;
split apart, the parts would import each other's private functions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from surveykit import notify
from surveykit.cells import escape_formula
from surveykit.database import (
    case_events,
    cases,
    check_text,
    invitations,
    responses,
    survey_versions,
    utcnow,
    write_transaction,
)
from surveykit.errors import SurveykitError
from surveykit.invitations import Invitation, check_fields, token_hash
from surveykit.model import Alert, Questionnaire, Text, text_of
from surveykit.terms import TERMS

__all__ = [
    "CASE_COLUMNS",
    "FINAL_STATES",
    "NEXT_STATE",
    "ROOT_CAUSES",
    "STATES",
    "STATE_LABELS",
    "Case",
    "CaseConflict",
    "CaseError",
    "CaseEvent",
    "CaseNotFound",
    "CaseResponse",
    "TransitionRefused",
    "add_note",
    "allowed_moves",
    "case_response",
    "cases_frame",
    "check_move",
    "csv_text",
    "events_of",
    "filter_values",
    "get_case",
    "labelled_answers",
    "list_cases",
    "mark_overdue",
    "move",
    "on_submit",
    "recovery_questionnaire_path",
    "send_recovery",
]

STATES = (
    "open",
    "verified",
    "assigned",
    "root_cause_found",
    "solution_agreed",
    "done_evaluated",
    "closed_without_action",
)
FINAL_STATES = frozenset({"done_evaluated", "closed_without_action"})
NEXT_STATE = {
    "open": "verified",
    "verified": "assigned",
    "assigned": "root_cause_found",
    "root_cause_found": "solution_agreed",
    "solution_agreed": "done_evaluated",
}
CLOSE = "closed_without_action"
STATE_LABELS = {state: TERMS[f"state_{state}"] for state in STATES}  # the steps' names: surveykit.terms
# Root-cause categories a dealer's after-sales complaints fall into (the reasons customers give for
# leaving in the training material, plus the usual workshop causes).
ROOT_CAUSES = {
    "repair_quality": text_of(zh="维修质量（未一次修好、返修）", en="Repair quality (not fixed first time)"),
    "staff_attitude": text_of(zh="服务态度与关怀", en="Staff attitude and care"),
    "communication": text_of(zh="沟通与解释不到位", en="Communication and explanation"),
    "waiting_time": text_of(zh="等待时间与交车延误", en="Waiting time and late delivery"),
    "price_billing": text_of(zh="价格与收费", en="Price and billing"),
    "booking_reception": text_of(zh="预约与接待", en="Booking and reception"),
    "parts": text_of(zh="配件供应", en="Parts availability"),
    "facilities": text_of(zh="环境与设施", en="Premises and facilities"),
    "product": text_of(zh="车辆本身的质量", en="The car itself (product quality)"),
    "policy_warranty": text_of(zh="政策与保修", en="Policy and warranty"),
    "expectation": text_of(zh="客户期望与实际不符（无过错）", en="Customer expectation (no fault found)"),
    "other": text_of(zh="其他", en="Other"),
}
# After a paired item's shared label: which half it is, by its domain term.
ROLE_WORDS = {
    role: TERMS[concept]
    for role, concept in (
        ("expectation", "expectation"),
        ("perception", "perception"),
        ("importance", "importance"),
        ("performance", "performance"),
        ("functional", "kano_functional"),
        ("dysfunctional", "kano_dysfunctional"),
        ("self_importance", "importance"),
    )
}
PRIORITY_RANK = {"urgent": 3, "high": 2, "normal": 1, "low": 0}
MAX_NOTE = 4000
SYSTEM = "system"
CUSTOMER = "customer"
CASE_COLUMNS = (
    "case_id",
    "survey",
    "response_id",
    "alert",
    "label",
    "dealer",
    "department",
    "priority",
    "state",
    "created_at",
    "first_contact_due",
    "first_contact_at",
    "overdue_at",
    "closed_at",
    "overdue",
    "root_cause",
    "recovery_sent_at",
    "recovery_answered_at",
    "recovery_score",
    "recovery_points",
    "recovered",
)


class CaseError(SurveykitError):
    """A case operation that cannot be done (the message says why)."""


class CaseNotFound(CaseError, LookupError):
    """No such case, or one outside the caller's department."""


class TransitionRefused(CaseError, ValueError):
    """A move the state machine does not allow, or one that lacks what it needs (a reason, a category...).

    ``code`` names the reason for interfaces that word it themselves: ``not_allowed``, ``closed``,
    ``unknown_state``, ``reason_required``, ``department_required``, ``root_cause_required``,
    ``note_required``, ``note_invalid``, ``department_not_yours`` or ``department_now``.
    """

    def __init__(self, message: str, code: str = "not_allowed") -> None:
        super().__init__(message)
        self.code = code


class CaseConflict(CaseError):
    """The case changed since the caller looked at it (someone else moved it meanwhile)."""


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    survey: str
    response_id: str
    alert: str
    label: dict[str, str] | None
    dealer: str | None
    department: str | None
    priority: str
    state: str
    created_at: dt.datetime
    updated_at: dt.datetime
    first_contact_due: dt.datetime
    first_contact_at: dt.datetime | None
    overdue_at: dt.datetime | None
    closed_at: dt.datetime | None
    root_cause: str | None
    recovery_invitation_id: int | None
    recovery_sent_at: dt.datetime | None
    recovery_answered_at: dt.datetime | None
    recovery_score: float | None
    recovery_points: int | None
    recovered: bool | None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    def overdue(self, now: dt.datetime | None = None) -> bool:
        """In neither final state, no first contact, and the deadline has passed."""
        now = now or utcnow()
        return not self.final and self.first_contact_at is None and self.first_contact_due <= now

    @property
    def late_contact(self) -> bool:
        """The first contact came after the deadline."""
        return self.first_contact_at is not None and self.first_contact_at > self.first_contact_due

    def label_text(self, lang: str) -> str:
        if not self.label:
            return self.alert
        return self.label.get(lang) or next(iter(self.label.values()))

    def to_dict(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """A JSON-ready dict: timestamps as ISO 8601 UTC, plus ``overdue`` as of ``now``."""
        out = {k: (v.isoformat() + "Z" if isinstance(v, dt.datetime) else v) for k, v in asdict(self).items()}
        out["overdue"] = self.overdue(now)
        return out


@dataclass(frozen=True, slots=True)
class CaseEvent:
    id: int
    case_id: int
    at: dt.datetime
    actor: str
    kind: str  # opened, moved, contact, note, overdue, recovery_sent, recovery_answered
    from_state: str | None
    to_state: str | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() + "Z" if isinstance(v, dt.datetime) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class CaseResponse:
    """The response behind a case, and the YAML of the version it answered."""

    response_id: str
    survey: str
    language: str
    submitted_at: dt.datetime
    fields: dict[str, str]
    answers: dict[str, Any]
    version_id: int
    yaml_text: str


# -- the state machine ---------------------------------------------------------------------------------


def allowed_moves(state: str) -> tuple[str, ...]:
    """The states a case in ``state`` may move to (none from a final state)."""
    if state not in STATES:
        raise ValueError(f"unknown state {state!r} (states: {', '.join(STATES)})")
    if state in FINAL_STATES:
        return ()
    return (NEXT_STATE[state], CLOSE)


def check_move(
    state: str, to: str, *, note: str = "", root_cause: str | None = None, department: str | None = None
) -> None:
    """Raise :class:`TransitionRefused` unless a case in ``state`` may move to ``to`` with these details."""
    if to not in STATES:
        raise TransitionRefused(f"unknown state {to!r} (states: {', '.join(STATES)})", "unknown_state")
    allowed = allowed_moves(state)
    if to not in allowed:
        if not allowed:
            raise TransitionRefused(f"the case is closed ({state!r}); it cannot move to {to!r}", "closed")
        raise TransitionRefused(
            f"a case cannot move from {state!r} to {to!r}; from {state!r} it can move to "
            + " or ".join(repr(s) for s in allowed)
        )
    if to == CLOSE and not note.strip():
        raise TransitionRefused("closing a case without action needs the reason", "reason_required")
    if to == "assigned" and not department:
        raise TransitionRefused("assigning a case needs the responsible department", "department_required")
    if to == "root_cause_found" and root_cause not in ROOT_CAUSES:
        raise TransitionRefused(
            f"a root cause needs its category (one of {', '.join(ROOT_CAUSES)}), not {root_cause!r}",
            "root_cause_required",
        )
    if to in ("solution_agreed", "done_evaluated") and not note.strip():
        what = "the agreed solution" if to == "solution_agreed" else "how it was carried out and evaluated"
        raise TransitionRefused(f"moving a case to {to!r} needs a note: {what}", "note_required")


# -- opening cases at submit time ----------------------------------------------------------------------


def on_submit(conn: Connection, q: Questionnaire, row: Mapping[str, Any]) -> list[int]:
    """Open the cases a newly stored response calls for, and record a recovery answer.

    Runs inside the submission's transaction (``row`` is the response row that
    was just inserted, with its ``fields``); returns the new case ids.
    """
    opened: list[int] = []
    now = utcnow()
    if q.alerts:
        context = {**row["fields"], **row["answers"]}
        for alert in q.alerts:
            if alert.when.evaluate(context):
                opened.append(_open(conn, alert, row, now))
    if row.get("invitation_id") is not None:
        _record_recovery(conn, q, row, opened, now)
    return opened


def _open(conn: Connection, alert: Alert, row: Mapping[str, Any], now: dt.datetime) -> int:
    fields = row["fields"]
    department = fields.get(alert.department_field) if alert.department_field else alert.department_value
    values = dict(
        survey=row["survey"],
        response_id=row["response_id"],
        alert=alert.id,
        label=alert.label.as_dict() if alert.label else None,
        dealer=fields.get("dealer"),
        department=department,
        priority=alert.priority,
        state="open",
        created_at=now,
        updated_at=now,
        first_contact_due=now + dt.timedelta(hours=alert.first_contact_hours),
    )
    case_id = int(conn.execute(sa.insert(cases).values(values).returning(cases.c.id)).scalar_one())
    _event(conn, case_id, now, SYSTEM, "opened", None, "open", f"{alert.id}: {alert.when}")
    notify.queue(conn, dict(values, id=case_id), "new_case")
    return case_id


def _record_recovery(
    conn: Connection, q: Questionnaire, row: Mapping[str, Any], opened: list[int], now: dt.datetime
) -> None:
    c = cases.c
    case_id = conn.execute(sa.select(c.id).where(c.recovery_invitation_id == row["invitation_id"])).scalar()
    if case_id is None:
        return
    score, points, threshold = _recovery_answer(q, row["answers"])
    recovered = None if score is None else score >= threshold
    conn.execute(
        sa.update(cases)
        .where(c.id == case_id)
        .values(
            recovery_answered_at=now, recovery_score=score, recovery_points=points, recovered=recovered, updated_at=now
        )
    )
    if score is None:
        note = "recovery survey answered without a satisfaction rating"
    else:
        note = f"satisfaction {score:g} of {points}: " + ("recovered" if recovered else "not recovered")
    if opened:
        note += "; opened " + ", ".join(f"case #{n}" for n in opened)
    _event(conn, case_id, now, CUSTOMER, "recovery_answered", None, None, note)


def _recovery_answer(q: Questionnaire, answers: Mapping[str, Any]) -> tuple[float | None, int | None, float]:
    """(score, highest point, lowest satisfied point) of the survey's first rating question."""
    for question in q.questions():
        if question.type == "nps":
            value = answers.get(question.id)
            return (None if value is None else float(value)), 10, 9.0
        if question.type == "likert" and question.scale is not None:
            value, points = answers.get(question.id), question.scale.points
            return (None if value is None else float(value)), points, float(points - 1)
    return None, None, float("inf")


# -- reading -------------------------------------------------------------------------------------------

_CASE_FIELDS = tuple(f.name for f in dataclasses.fields(Case))
_FINAL = tuple(sorted(FINAL_STATES))


def _case(row: Any) -> Case:
    m = row._mapping
    return Case(**{name: m[name] for name in _CASE_FIELDS})


@dataclass(frozen=True, slots=True)
class UnitScope:
    """A manager's cases: those whose dealer, or whose response's branch, is one of ``codes`` (unit ids)."""

    codes: frozenset[str]


Scope = str | UnitScope | None


def _scope_clause(scope: Scope) -> list[Any]:
    """The WHERE terms that keep the cases of ``scope``: a department's, or a manager's units'."""
    if scope is None:
        return []
    c = cases.c
    if isinstance(scope, UnitScope):
        codes = sorted(scope.codes)
        by_branch = sa.select(responses.c.response_id).where(responses.c.fields["branch"].as_string().in_(codes))
        return [sa.or_(c.dealer.in_(codes), c.response_id.in_(by_branch))]
    return [c.department == scope]


def _select_case(conn: Connection, case_id: int, scope: Scope, *, lock: bool = False) -> Case:
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        raise CaseNotFound(f"no case {case_id!r}")
    stmt = sa.select(cases).where(cases.c.id == case_id, *_scope_clause(scope))
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=cases)
    found = conn.execute(stmt).first()
    # a case of another department or unit answers exactly like a missing one
    if found is None:
        raise CaseNotFound(f"no case #{case_id}" + (" in scope" if scope is not None else ""))
    return _case(found)


def get_case(engine: Engine, case_id: int, *, scope: Scope = None) -> Case:
    """One case; :class:`CaseNotFound` if it does not exist or lies outside ``scope`` (a department)."""
    with engine.connect() as conn:
        return _select_case(conn, case_id, scope)


def events_of(engine: Engine, case_id: int, *, scope: Scope = None) -> list[CaseEvent]:
    """A case's history, oldest first."""
    e = case_events.c
    with engine.connect() as conn:
        _select_case(conn, case_id, scope)
        rows = conn.execute(sa.select(case_events).where(e.case_id == case_id).order_by(e.id)).all()
    return [CaseEvent(**r._mapping) for r in rows]


def _filters(
    *,
    scope: Scope,
    dealer: str | None,
    department: str | None,
    state: str | None,
    overdue: bool | None,
    survey: str | None,
    now: dt.datetime,
) -> list[Any]:
    c = cases.c
    where: list[Any] = _scope_clause(scope)
    if dealer:
        where.append(c.dealer == dealer)
    if department:
        where.append(c.department == department)
    if survey:
        where.append(c.survey == survey)
    if state == "active":
        where.append(c.state.not_in(_FINAL))
    elif state == "closed":
        where.append(c.state.in_(_FINAL))
    elif state:
        if state not in STATES:
            raise ValueError(f"unknown state {state!r} (states: active, closed, {', '.join(STATES)})")
        where.append(c.state == state)
    is_overdue = sa.and_(c.state.not_in(_FINAL), c.first_contact_at.is_(None), c.first_contact_due <= now)
    if overdue is True:
        where.append(is_overdue)
    elif overdue is False:
        where.append(sa.not_(is_overdue))
    return where


def list_cases(
    engine: Engine,
    *,
    scope: Scope = None,
    dealer: str | None = None,
    department: str | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    survey: str | None = None,
    limit: int | None = None,
    now: dt.datetime | None = None,
) -> list[Case]:
    """Cases matching every filter given, the most urgent first.

    ``state`` is a state, ``active`` (not final) or ``closed`` (final);
    ``overdue`` True or False filters on :meth:`Case.overdue` at ``now``.
    Order: active before closed, then higher priority, then the earliest
    first-contact deadline.
    """
    c = cases.c
    now = now or utcnow()
    where = _filters(
        scope=scope, dealer=dealer, department=department, state=state, overdue=overdue, survey=survey, now=now
    )
    rank = sa.case(PRIORITY_RANK, value=c.priority, else_=1)
    closed = sa.case((c.state.in_(_FINAL), 1), else_=0)
    stmt = sa.select(cases).where(*where).order_by(closed, rank.desc(), c.first_contact_due, c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        return [_case(r) for r in conn.execute(stmt)]


def filter_values(engine: Engine, *, scope: Scope = None) -> dict[str, list[str]]:
    """The dealers and departments that occur in the cases visible in ``scope`` (for the board's filters)."""
    c = cases.c
    out = {}
    with engine.connect() as conn:
        for name, column in (("dealer", c.dealer), ("department", c.department)):
            stmt = sa.select(column).distinct().where(column.is_not(None)).order_by(column)
            stmt = stmt.where(*_scope_clause(scope))
            out[name] = [str(v) for v in conn.execute(stmt).scalars()]
    return out


def case_response(engine: Engine, case: Case) -> CaseResponse:
    """The response that opened ``case`` (the caller has checked the case is in scope)."""
    r, v = responses.c, survey_versions.c
    stmt = (
        sa.select(r.response_id, r.survey, r.language, r.submitted_at, r.fields, r.answers, r.version_id, v.yaml_text)
        .join_from(responses, survey_versions)
        .where(r.response_id == case.response_id)
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).one()
    return CaseResponse(
        row.response_id,
        row.survey,
        row.language,
        row.submitted_at,
        dict(row.fields),
        dict(row.answers),
        row.version_id,
        row.yaml_text,
    )


def labelled_answers(q: Questionnaire, answers: Mapping[str, Any], lang: str) -> list[tuple[str, str, bool]]:
    """(question label, answer in words, is free text) for every answer given, in questionnaire order."""
    out = []
    for var in q.answer_variables():
        if var.name not in answers:
            continue
        value = answers[var.name]
        if var.type == "multi":
            if not value:
                continue
            shown = var.label.best(lang)
            out.append((shown, "✓", False))
            continue
        words = {code: text for code, text in var.value_labels}
        text = words.get(value)
        shown_value = (
            f"{value} – {text.best(lang)}"
            if isinstance(text, Text) and var.kind == "numeric"
            else (text.best(lang) if isinstance(text, Text) else str(value))
        )
        label = var.label.best(lang)
        if var.role in ROLE_WORDS:  # the two halves of a paired item share their label
            label = f"{label} ({ROLE_WORDS[var.role].best(lang)})"
        out.append((label, shown_value, var.type == "text"))
    return out


# -- changing ------------------------------------------------------------------------------------------


def _clean(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise TransitionRefused(f"a note may have at most {MAX_NOTE} characters (got {len(note)})", "note_invalid")
    try:
        check_text("note", note)
    except ValueError as exc:
        raise TransitionRefused(str(exc), "note_invalid") from None
    return note


def _event(
    conn: Connection,
    case_id: int,
    at: dt.datetime,
    actor: str,
    kind: str,
    from_state: str | None,
    to_state: str | None,
    note: str,
) -> None:
    # the only statement that touches case_events: an INSERT
    conn.execute(
        sa.insert(case_events).values(
            case_id=case_id, at=at, actor=actor[:150], kind=kind, from_state=from_state, to_state=to_state, note=note
        )
    )


def move(
    engine: Engine,
    case_id: int,
    to: str,
    *,
    actor: str,
    note: str = "",
    root_cause: str | None = None,
    department: str | None = None,
    expected: str | None = None,
    scope: Scope = None,
    now: dt.datetime | None = None,
) -> Case:
    """Move a case to the state ``to`` and record who did it, when, and the note.

    Parameters
    ----------
    expected
        The state the caller saw; if the case is in another one by now,
        :class:`CaseConflict` (two people working on it, or a form sent twice).
    root_cause
        With ``to="root_cause_found"``: a key of :data:`ROOT_CAUSES`.
    department
        With ``to="assigned"``: hand the case to this department (by default it
        keeps the one its rule gave it).  A department user (``scope``) cannot
        hand a case to another department.

    Raises
    ------
    TransitionRefused, CaseNotFound, CaseConflict
    """
    note = _clean(note)
    department = (department or "").strip() or None
    now = now or utcnow()
    with write_transaction(engine) as conn:
        case = _select_case(conn, case_id, scope, lock=True)
        if expected is not None and case.state != expected:
            raise CaseConflict(f"case #{case_id} is now {case.state!r}, not {expected!r}: someone moved it meanwhile")
        if department is not None and to != "assigned" and department != case.department:
            raise TransitionRefused("the department is chosen when the case is assigned", "department_now")
        if department is not None and isinstance(scope, str) and department != scope:
            raise TransitionRefused(
                "a department user cannot hand a case to another department", "department_not_yours"
            )
        if department is not None and len(department) > 100:
            raise TransitionRefused("a department name has at most 100 characters", "department_required")
        check_move(case.state, to, note=note, root_cause=root_cause, department=department or case.department)
        values: dict[str, Any] = dict(state=to, updated_at=now)
        details = []
        if case.state == "open" and to == "verified" and case.first_contact_at is None:
            values["first_contact_at"] = now
        if to == "assigned" and department is not None and department != case.department:
            values["department"] = department
            details.append(f"department: {case.department or '–'} → {department}")
        if to == "root_cause_found":
            values["root_cause"] = root_cause
            details.append(f"root cause: {root_cause}")
        if to in FINAL_STATES:
            values["closed_at"] = now
        c = cases.c
        done = conn.execute(sa.update(cases).where(c.id == case_id, c.state == case.state).values(values))
        if done.rowcount != 1:
            raise CaseConflict(f"case #{case_id} changed meanwhile; reload it")
        _event(conn, case_id, now, actor, "moved", case.state, to, "\n".join([*details, note]).strip())
        return _select_case(conn, case_id, None)


def add_note(
    engine: Engine,
    case_id: int,
    *,
    actor: str,
    note: str,
    contact: bool = False,
    scope: Scope = None,
    now: dt.datetime | None = None,
) -> Case:
    """Add a note to a case's history; ``contact=True`` records a contact with the customer.

    The first contact note sets ``first_contact_at`` (see the module notes).
    """
    note = _clean(note)
    if not note:
        raise TransitionRefused(
            "a note cannot be empty" if not contact else "say how the customer was contacted", "note_required"
        )
    now = now or utcnow()
    with write_transaction(engine) as conn:
        case = _select_case(conn, case_id, scope, lock=True)
        values: dict[str, Any] = dict(updated_at=now)
        if contact and case.first_contact_at is None:
            values["first_contact_at"] = now
        conn.execute(sa.update(cases).where(cases.c.id == case_id).values(values))
        _event(conn, case_id, now, actor, "contact" if contact else "note", case.state, case.state, note)
        return _select_case(conn, case_id, None)


def mark_overdue(engine: Engine, *, now: dt.datetime | None = None) -> list[int]:
    """Stamp every case whose first contact is overdue, once, with an event and an overdue message.

    Returns the ids stamped by this call (so a second call right after returns []).
    """
    now = now or utcnow()
    c = cases.c
    with write_transaction(engine) as conn:
        rows = conn.execute(
            sa.update(cases)
            .where(
                c.overdue_at.is_(None), c.first_contact_at.is_(None), c.state.not_in(_FINAL), c.first_contact_due <= now
            )
            .values(overdue_at=now)
            .returning(*cases.c)
        ).all()
        for r in sorted(rows, key=lambda r: r.id):
            hours = (now - r.first_contact_due).total_seconds() / 3600
            _event(
                conn,
                r.id,
                now,
                SYSTEM,
                "overdue",
                r.state,
                r.state,
                f"no first contact by {r.first_contact_due:%Y-%m-%d %H:%M} UTC ({hours:.1f} h ago)",
            )
            notify.queue(conn, dict(r._mapping), "overdue")
    return sorted(r.id for r in rows)


# -- win-back ------------------------------------------------------------------------------------------


def recovery_questionnaire_path() -> Path:
    """The shipped recovery survey: questionnaires/ of a checkout, or the copy inside the wheel."""
    here = Path(__file__).resolve().parent
    for path in (here.parent / "questionnaires" / "recovery.yaml", here / "questionnaires" / "recovery.yaml"):
        if path.is_file():
            return path
    raise SurveykitError("the shipped recovery questionnaire (recovery.yaml) is not installed")


def send_recovery(
    engine: Engine,
    case_id: int,
    q: Questionnaire,
    *,
    actor: str,
    scope: Scope = None,
    expires_days: int = 30,
    now: dt.datetime | None = None,
) -> Invitation:
    """A single-use invitation to the recovery survey ``q`` for a closed case; the token is returned once.

    The invitation carries the case number (field ``case_id``) and the case's
    dealer and department, as far as ``q`` declares those fields.  Sending
    again while unanswered replaces the earlier link (it expires at once).
    """
    if expires_days <= 0:
        raise ValueError("expires_days must be positive")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(days=expires_days)
    with write_transaction(engine) as conn:
        case = _select_case(conn, case_id, scope, lock=True)
        if not case.final:
            raise CaseError(f"case #{case_id} is still {case.state!r}: the recovery survey follows the closing")
        if case.recovery_answered_at is not None:
            raise CaseError(f"the customer of case #{case_id} has already answered the recovery survey")
        declared = {f.id for f in q.fields}
        wanted = {"case_id": str(case.id), "dealer": case.dealer, "department": case.department}
        fields = check_fields(q, {k: v for k, v in wanted.items() if k in declared})
        if case.recovery_invitation_id is not None:
            i = invitations.c
            conn.execute(
                sa.update(invitations)
                .where(i.id == case.recovery_invitation_id, i.used_at.is_(None))
                .values(expires_at=now)
            )
        invitation_id = int(
            conn.execute(
                sa.insert(invitations)
                .values(
                    survey=q.survey, token_hash=token_hash(token), fields=fields, created_at=now, expires_at=expires
                )
                .returning(invitations.c.id)
            ).scalar_one()
        )
        conn.execute(
            sa.update(cases)
            .where(cases.c.id == case_id)
            .values(recovery_invitation_id=invitation_id, recovery_sent_at=now, updated_at=now)
        )
        again = " (replaces the earlier link)" if case.recovery_invitation_id is not None else ""
        _event(
            conn,
            case_id,
            now,
            actor,
            "recovery_sent",
            case.state,
            case.state,
            f"recovery survey {q.survey!r}: invitation #{invitation_id}, valid until {expires:%Y-%m-%d}{again}",
        )
    return Invitation(invitation_id, token, fields, expires)


# -- for the report and for scripts --------------------------------------------------------------------


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """CSV of ``rows`` (None as empty) with spreadsheet formula injection defused, as the exports do."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([escape_formula("" if row.get(c) is None else str(row.get(c))) for c in columns])
    return out.getvalue()


def cases_frame(
    engine: Engine,
    *,
    survey: str | None = None,
    lang: str = "en",
    scope: Scope = None,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """Every case (of ``survey``, in ``scope``) as a table with the columns :data:`CASE_COLUMNS`.

    Timestamps are naive UTC; ``label`` is the rule's label in ``lang`` (else
    its first language); ``overdue`` is :meth:`Case.overdue` at ``now``;
    ``recovered`` is a nullable boolean (missing until the recovery survey is
    answered); text columns are pandas strings, missing as NaN.  This is
    what ``analysis.recovery`` reads.
    """
    now = now or utcnow()
    where = _filters(scope=scope, dealer=None, department=None, state=None, overdue=None, survey=survey, now=now)
    with engine.connect() as conn:
        found = [_case(r) for r in conn.execute(sa.select(cases).where(*where).order_by(cases.c.id))]
    records = []
    for case in found:
        record = {name: getattr(case, name) for name in CASE_COLUMNS if name not in ("case_id", "label", "overdue")}
        records.append(dict(record, case_id=case.id, label=case.label_text(lang), overdue=case.overdue(now)))
    df = pd.DataFrame.from_records(records, columns=list(CASE_COLUMNS))
    for name in (
        "created_at",
        "first_contact_due",
        "first_contact_at",
        "overdue_at",
        "closed_at",
        "recovery_sent_at",
        "recovery_answered_at",
    ):
        df[name] = pd.to_datetime(df[name]).astype("datetime64[us]")
    for name in ("survey", "response_id", "alert", "label", "dealer", "department", "priority", "state", "root_cause"):
        df[name] = df[name].astype("str")
    df["recovery_score"] = pd.to_numeric(df["recovery_score"]).astype("float64")
    df["case_id"] = df["case_id"].astype("int64")
    df["recovery_points"] = df["recovery_points"].astype("Int64")
    df["recovered"] = df["recovered"].astype("boolean")
    df["overdue"] = df["overdue"].astype(bool)
    return df
