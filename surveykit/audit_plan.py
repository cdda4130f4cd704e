"""The audit planner: spot checks and mystery shops of dealers, planned, assigned, sampled and followed up.

The training material (seed 000, "standard processes") names *random spot checks* among the ways a
network checks that its dealers keep the process standards; issue 17 adds the mystery shop. A plan is
one audit of one unit (a dealer or branch) with an audit instrument (a survey with ``checklist``
questions), ``covert`` (a mystery shop, filled in after the visit with its date and time) or ``open``
(a spot check), due by a date (optionally within a window from a start date), optionally assigned to
an auditor, optionally in a wave (``2026-Q1``).

Its status is read, never stored: ``cancelled`` when cancelled; ``done`` when a response came in
through the plan's invitation (made the first time the auditor opens the plan, :func:`open_plan`, so
the response is linked to the plan and carries the dealer); else ``overdue`` after the due date and
``planned`` until then. So a submit needs no hook here, and a status cannot go stale.

:func:`sample_units` draws the units of a random spot check: stratified (by region), seeded (the same
seed draws the same units), leaving out the units audited recently (:func:`recently_audited`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from surveykit import org, storage
from surveykit.database import audit_plans, invitations, responses, survey_versions, users, utcnow, write_transaction
from surveykit.errors import QuestionnaireError, SurveykitError
from surveykit.invitations import check_fields, token_hash
from surveykit.loader import load_questionnaire
from surveykit.model import Questionnaire

__all__ = [
    "CSV_COLUMNS",
    "KINDS",
    "STATUSES",
    "Completion",
    "Plan",
    "PlanError",
    "PlanFile",
    "PlanRequest",
    "audit_instruments",
    "cancel_plan",
    "completion",
    "create_plans",
    "is_audit",
    "list_plans",
    "open_plan",
    "read_plan_csv",
    "recently_audited",
    "sample_units",
    "unit_strata",
]

KINDS = ("covert", "open")
STATUSES = ("planned", "done", "overdue", "cancelled")
CSV_COLUMNS = ("survey", "unit", "kind", "from", "due", "auditor", "wave")
_REQUIRED = ("survey", "unit", "kind", "due")
MAX_PLANS = 5_000  # one file or one draw: a quarter's schedule of a large network fits
_AUDITORS = frozenset({"auditor", "admin"})


class PlanError(SurveykitError, ValueError):
    """Plans refused; ``problems`` lists (request index, field, message), every one found."""

    def __init__(self, problems: Sequence[tuple[int, str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"plan {i + 1}: {name}: {message}" for i, name, message in self.problems))


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """A plan to create, as a form or a CSV row gives it (checked by :func:`create_plans`)."""

    survey: str
    unit: str
    kind: str
    due: dt.date
    window_from: dt.date | None = None
    auditor: str | None = None
    wave: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A stored plan with its status on ``today`` and, once done, the response that did it."""

    id: int
    survey: str
    unit: str
    kind: str
    window_from: dt.date | None
    due: dt.date
    auditor: str | None
    wave: str | None
    created_by: str
    status: str
    response_id: str | None
    done_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Completion:
    """The plans of one unit by status; ``rate`` = done / (planned + done + overdue), cancelled left out."""

    unit: str
    planned: int
    done: int
    overdue: int
    cancelled: int

    @property
    def rate(self) -> float | None:
        live = self.planned + self.done + self.overdue
        return self.done / live if live else None


def is_audit(q: Questionnaire) -> bool:
    """Whether ``q`` is an audit instrument: it has at least one ``checklist`` question."""
    return any(question.type == "checklist" for question in q.questions())


def audit_instruments(engine: Engine) -> dict[str, Questionnaire]:
    """The audit instruments registered in the store (their latest version), by survey id."""
    sv = survey_versions.c
    latest = sa.select(sv.survey, sa.func.max(sv.id).label("id")).group_by(sv.survey).subquery()
    with engine.connect() as conn:
        texts = conn.execute(sa.select(sv.survey, sv.yaml_text).join(latest, latest.c.id == sv.id)).all()
    found: dict[str, Questionnaire] = {}
    for survey, text in texts:
        try:
            q = load_questionnaire(text)
        except QuestionnaireError:  # a version this surveykit no longer reads is no instrument to plan with
            continue
        if is_audit(q):
            found[survey] = q
    return found


def _auditor_scopes(engine: Engine, names: Iterable[str]) -> dict[str, set[str] | bool | None]:
    """Per username: the units they may audit (None: all), or False when no auditor or admin has that name."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users.c.id, users.c.username, users.c.role).where(users.c.username.in_(wanted)))
        found = {row.username: row for row in rows}
    tree = org.load_tree(engine)
    out: dict[str, set[str] | bool | None] = {}
    for name in wanted:
        row = found.get(name)
        out[name] = False if row is None or row.role not in _AUDITORS else org.scope_units(engine, row, tree)
    return out


def create_plans(
    engine: Engine,
    requests: Sequence[PlanRequest],
    *,
    created_by: str,
    instruments: Collection[str],
    units: Collection[str] | None = None,
) -> list[int]:
    """Store the plans, all or none, and return their ids; :class:`PlanError` lists every problem.

    ``instruments``: the survey ids that are audit instruments (:func:`audit_instruments`);
    ``units``: the units the planner may plan for (a manager's scope), None for every unit. A unit
    must be known to the organisation when one is imported; an auditor must be a user with the
    ``auditor`` (or ``admin``) role whose units hold the plan's unit.
    """
    if len(requests) > MAX_PLANS:
        raise PlanError([(MAX_PLANS, "", f"at most {MAX_PLANS:,} plans at once, got {len(requests):,}")])
    tree = org.load_tree(engine)
    scopes = _auditor_scopes(engine, (r.auditor for r in requests if r.auditor))
    problems: list[tuple[int, str, str]] = []
    for i, r in enumerate(requests):
        if r.survey not in instruments:
            known = ", ".join(sorted(instruments)) or "none registered"
            problems.append((i, "survey", f"{r.survey!r} is not an audit instrument (audit instruments: {known})"))
        if r.kind not in KINDS:
            problems.append((i, "kind", f"{r.kind!r} is not a kind of audit (covert or open)"))
        if r.window_from is not None and r.window_from > r.due:
            problems.append((i, "from", f"the window starts {r.window_from} after it is due ({r.due})"))
        if units is not None and r.unit not in units:
            problems.append((i, "unit", f"{r.unit!r} is not one of your units"))
        elif len(tree) and r.unit not in tree:
            problems.append((i, "unit", f"{r.unit!r} is not a unit of the organisation"))
        if r.auditor:
            scope = scopes.get(r.auditor)
            if scope is False:
                problems.append((i, "auditor", f"{r.auditor!r} is no user with the auditor role"))
            elif isinstance(scope, set) and r.unit not in scope:
                problems.append((i, "auditor", f"{r.auditor!r} does not audit {r.unit!r}"))
        for name, value in (("unit", r.unit), ("wave", r.wave or ""), ("auditor", r.auditor or "")):
            if len(value) > 100 or "\x00" in value:
                problems.append((i, name, "at most 100 characters, no NUL"))
    if problems:
        raise PlanError(problems)
    now = utcnow()
    rows = [
        dict(
            survey=r.survey,
            unit=r.unit,
            kind=r.kind,
            window_from=r.window_from,
            due=r.due,
            auditor=r.auditor or None,
            wave=r.wave or None,
            created_by=created_by,
            created_at=now,
        )
        for r in requests
    ]
    if not rows:
        return []
    with write_transaction(engine) as conn:
        return list(
            conn.execute(sa.insert(audit_plans).returning(audit_plans.c.id, sort_by_parameter_order=True), rows)
            .scalars()
            .all()
        )


def _status(cancelled: bool, done: bool, due: dt.date, today: dt.date) -> str:
    if cancelled:
        return "cancelled"
    if done:
        return "done"
    return "overdue" if today > due else "planned"


def list_plans(
    engine: Engine,
    *,
    today: dt.date,
    units: Collection[str] | None = None,
    auditor: str | None = None,
    survey: str | None = None,
    plan_id: int | None = None,
) -> list[Plan]:
    """Plans by due date, with their status on ``today``.

    ``units``: only plans of these units (a manager's or auditor's scope), None for all;
    ``auditor``: only the plans assigned to that user or to nobody (an auditor's assignments).
    """
    p, r = audit_plans.c, responses.c
    stmt = (
        sa.select(audit_plans, r.response_id, r.submitted_at)
        .select_from(audit_plans.outerjoin(responses, r.invitation_id == p.invitation_id))
        .order_by(p.due, p.unit, p.id)
    )
    if units is not None:
        stmt = stmt.where(p.unit.in_(sorted(units)))
    if auditor is not None:
        stmt = stmt.where(sa.or_(p.auditor == auditor, p.auditor.is_(None)))
    if survey is not None:
        stmt = stmt.where(p.survey == survey)
    if plan_id is not None:
        stmt = stmt.where(p.id == plan_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt.limit(MAX_PLANS)).all()
    return [
        Plan(
            row.id,
            row.survey,
            row.unit,
            row.kind,
            row.window_from,
            row.due,
            row.auditor,
            row.wave,
            row.created_by,
            _status(row.cancelled_at is not None, row.response_id is not None, row.due, today),
            row.response_id,
            row.submitted_at,
        )
        for row in rows
    ]


def completion(plans: Iterable[Plan]) -> list[Completion]:
    """The plans counted by unit and status, units in code order."""
    counts: dict[str, dict[str, int]] = {}
    for plan in plans:
        counts.setdefault(plan.unit, dict.fromkeys(STATUSES, 0))[plan.status] += 1
    return [Completion(unit, **c) for unit, c in sorted(counts.items())]


def cancel_plan(engine: Engine, plan_id: int) -> bool:
    """Cancel a plan that is not done (nor cancelled); False when there is none such."""
    p = audit_plans.c
    done = sa.select(responses.c.id).where(responses.c.invitation_id == p.invitation_id).exists()
    with write_transaction(engine) as conn:
        changed = conn.execute(
            sa.update(audit_plans)
            .where(p.id == plan_id, p.cancelled_at.is_(None), sa.not_(done))
            .values(cancelled_at=utcnow())
        ).rowcount
    return bool(changed)


def _mode_question(q: Questionnaire) -> str | None:
    """The choice question that asks whether the audit was covert or open (``audit_mode`` in the shipped ones)."""
    for question in q.questions():
        if question.type == "choice" and set(KINDS) <= {o.code for o in question.options}:
            return question.id
    return None


def _unit_fields(engine: Engine, q: Questionnaire, unit: str) -> dict[str, str | None]:
    """The segment fields that carry ``unit``: a branch as ``branch`` with its dealer, else ``dealer``."""
    declared = {f.id for f in q.fields}
    tree = org.load_tree(engine)
    if tree.level(unit) == "branch" and "branch" in declared:
        parent = tree.units[unit].parent
        return {"branch": unit, "dealer": parent if "dealer" in declared else None}
    for name in ("dealer", "branch"):
        if name in declared:
            return {name: unit}
    raise PlanError([(0, "survey", f"{q.survey!r} has no dealer or branch field to carry the unit")])


def open_plan(engine: Engine, plan: Plan, q: Questionnaire, *, language: str) -> str:
    """A fresh invitation token that opens the plan's audit form, the dealer and the kind filled in.

    The first call makes the plan's invitation (its fields: the unit) and a draft that already
    answers the instrument's covert/open question, so the covert audit shows the visit's date and
    time at once; a later call gives the same invitation a new token (only the hash is stored, so an
    old link stops working) and the auditor goes on with the draft. Raises :class:`PlanError` for a
    plan that is done or cancelled.
    """
    if plan.status in ("done", "cancelled"):
        raise PlanError([(0, "status", f"the plan is {plan.status}")])
    fields = check_fields(q, _unit_fields(engine, q, plan.unit))
    token = secrets.token_urlsafe(32)
    p = audit_plans.c
    with write_transaction(engine) as conn:
        invitation_id = conn.execute(sa.select(p.invitation_id).where(p.id == plan.id)).scalar()
        if invitation_id is None:
            invitation_id = conn.execute(
                sa.insert(invitations)
                .values(survey=q.survey, token_hash=token_hash(token), fields=fields, created_at=utcnow())
                .returning(invitations.c.id)
            ).scalar_one()
            conn.execute(sa.update(audit_plans).where(p.id == plan.id).values(invitation_id=invitation_id))
        else:
            conn.execute(
                sa.update(invitations).where(invitations.c.id == invitation_id).values(token_hash=token_hash(token))
            )
    if storage.load_draft(engine, invitation_id=invitation_id) is None:
        draft = storage.start_draft(engine, q, language=language, invitation_id=invitation_id)
        mode = _mode_question(q)
        if mode is not None:
            storage.save_draft(engine, draft.id, {mode: plan.kind}, 0)
    return token


def recently_audited(engine: Engine, survey: str, *, since: dt.datetime, today: dt.date) -> set[str]:
    """Units with an audit of ``survey`` submitted since ``since``, or with a plan of it still to do.

    A unit's code is its response's dealer and branch (:data:`surveykit.org.UNIT_FIELDS`).
    """
    r = responses.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(r.fields).where(r.survey == survey, r.submitted_at >= since)).scalars()
        found = {str(fields[name]) for fields in rows for name in org.UNIT_FIELDS if (fields or {}).get(name)}
    pending = list_plans(engine, today=today, survey=survey)
    return found | {plan.unit for plan in pending if plan.status in ("planned", "overdue")}


def unit_strata(tree: org.OrgTree, units: Collection[str] | None, *, level: str = "dealer") -> dict[str, str]:
    """The units of ``level`` among ``units`` (None: the whole tree), each with its stratum: its parent."""
    return {u.id: u.parent or "" for u in tree if u.level == level and (units is None or u.id in units)}


def sample_units(strata: Mapping[str, str], n: int, *, seed: int, exclude: Collection[str] = ()) -> list[str]:
    """``n`` units drawn at random without replacement, stratified with proportional allocation.

    Each stratum h of N_h eligible units (``strata`` maps unit -> stratum; ``exclude`` are not
    eligible) gets n_h = floor(n N_h / N) units, and the n - sum n_h left go to the strata with
    the largest remainders n N_h / N - n_h (Hamilton's largest-remainder method; ties in a random
    order), so every n_h is within one of its proportional share n N_h / N. Within a stratum the
    units are a simple random sample. This is proportional stratified random sampling (Cochran,
    *Sampling Techniques*, 3rd ed., 1977, sections 5.1-5.3): every unit has the same chance n / N,
    and each region gets its share of the checks. The draw uses ``numpy.random.default_rng(seed)``
    over the units sorted by code, so the same seed and units give the same sample. With n >= N
    every eligible unit is returned.

    >>> strata = {"DE01": "N", "DE02": "N", "DE03": "N", "DE04": "N", "DE05": "S", "DE06": "S"}
    >>> picked = sample_units(strata, 3, seed=7)
    >>> len(picked), sum(strata[u] == "N" for u in picked)
    (3, 2)
    >>> picked == sample_units(strata, 3, seed=7)
    True
    """
    if n < 0:
        raise ValueError(f"n: a number of units is at least 0, got {n}")
    eligible = sorted(u for u in strata if u not in set(exclude))
    if n >= len(eligible):
        return eligible
    groups: dict[str, list[str]] = {}
    for unit in eligible:
        groups.setdefault(strata[unit], []).append(unit)
    names = sorted(groups)
    shares = [n * len(groups[h]) / len(eligible) for h in names]
    counts = [int(share) for share in shares]
    rng = np.random.default_rng(seed)
    tie_break = rng.random(len(names))
    order = sorted(range(len(names)), key=lambda k: (-(shares[k] - counts[k]), tie_break[k]))
    for k in order[: n - sum(counts)]:
        counts[k] += 1
    picked: list[str] = []
    for h, count in zip(names, counts, strict=True):
        picked.extend(str(u) for u in rng.choice(groups[h], size=count, replace=False))
    return sorted(picked)


@dataclass(frozen=True, slots=True)
class PlanFile:
    """The plans of a CSV and where each came from, so that a refusal points at the file's line and column."""

    name: str
    header: tuple[str, ...]
    lines: tuple[int, ...]
    requests: tuple[PlanRequest, ...]

    def located(self, exc: PlanError) -> SurveykitError:
        """``exc``'s problems as ``name:line:column: message`` lines."""
        out = []
        for i, column, message in exc.problems:
            line = self.lines[i] if i < len(self.lines) else 1
            col = self.header.index(column) + 1 if column in self.header else 1
            out.append(f"{self.name}:{line}:{col}: {column}: {message}")
        return SurveykitError("\n".join(out))


def read_plan_csv(data: bytes, name: str) -> PlanFile:
    """Plans from a CSV (UTF-8, a header naming :data:`CSV_COLUMNS`; ``from``, ``auditor``, ``wave`` may be empty).

    Every problem is reported at once as ``name:line:column: message`` in one :class:`SurveykitError`.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SurveykitError(f"{name}:1:1: the file is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = tuple(h.strip() for h in next(reader, []))
    missing = [c for c in _REQUIRED if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown:
        raise SurveykitError(
            f"{name}:1:1: the header needs {', '.join(_REQUIRED)} and may have from, auditor, wave"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    problems: list[str] = []
    plans: list[PlanRequest] = []
    lines: list[int] = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"{name}:{line}:1: {len(row)} cells where the header has {len(header)}")
            continue
        cells = {h: c.strip() for h, c in zip(header, row, strict=True)}
        dates: dict[str, dt.date | None] = {"from": None, "due": None}
        for column in ("from", "due"):
            value = cells.get(column, "")
            try:
                dates[column] = dt.date.fromisoformat(value) if value else None
            except ValueError:
                where = f"{name}:{line}:{header.index(column) + 1}"
                problems.append(f"{where}: {column}: {value!r} is not a date (YYYY-MM-DD)")
        empty = [c for c in _REQUIRED if not cells[c]]
        for column in empty:
            problems.append(f"{name}:{line}:{header.index(column) + 1}: {column} is empty")
        due = dates["due"]
        if due is not None and not empty:
            plans.append(
                PlanRequest(
                    cells["survey"],
                    cells["unit"],
                    cells["kind"],
                    due,
                    dates["from"],
                    cells.get("auditor") or None,
                    cells.get("wave") or None,
                )
            )
            lines.append(line)
    if problems:
        raise SurveykitError("\n".join(problems))
    return PlanFile(name, header, tuple(lines), tuple(plans))
