"""The response store: survey versions, submitted responses and drafts.

A submission is acknowledged only after its transaction has committed, and a
submission key makes a retried or double-tapped submit harmless: the table
``responses`` has a unique constraint on ``(survey, key)``, the insert is an
``INSERT ... ON CONFLICT DO NOTHING`` on both backends, and a conflict is
answered by reading the winner's row and comparing the hash of the canonical
answers (same answers: the original response; different answers:
:class:`DuplicateSubmission`).  Everything a submission changes (the response,
the invitation it uses up, the draft it closes, the follow-up cases its
answers call for) happens in :func:`_record`, inside that one transaction.

The engine settings (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``...) live
in :mod:`surveykit.database`; invitations and admin users in
:mod:`surveykit.invitations` and :mod:`surveykit.accounts`; the canonical
form and hash of answers in :mod:`surveykit.canonical`; the response table
read back for analysis in :mod:`surveykit.response_table`; the shared
rate-limit counter in :mod:`surveykit.ratelimit`.  This module re-exports
their functions so that callers need one import.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import secrets
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from surveykit import aggregates, cases, quotas
from surveykit.accounts import User, create_user, end_sessions, verify_login
from surveykit.canonical import answers_hash, canonical_answers
from surveykit.database import (
    as_utc,
    check_text,
    drafts,
    init_db,
    invitations,
    make_engine,
    responses,
    survey_versions,
    utcnow,
    write_transaction,
)
from surveykit.errors import StorageError
from surveykit.fielding import hooks as fielding_hooks
from surveykit.invitations import (
    Invitation,
    InvitationState,
    check_fields,
    create_invitations,
    lookup_invitation,
)
from surveykit.model import Questionnaire
from surveykit.ratelimit import hit_rate_limit
from surveykit.response_table import responses_frame

__all__ = [
    "Draft",
    "DuplicateSubmission",
    "Invitation",
    "InvitationState",
    "InvitationUnavailable",
    "SaveResult",
    "User",
    "answers_hash",
    "canonical_answers",
    "create_invitations",
    "create_user",
    "end_sessions",
    "hit_rate_limit",
    "init_db",
    "load_draft",
    "lookup_invitation",
    "make_engine",
    "new_submission_key",
    "register_version",
    "responses_frame",
    "save_draft",
    "save_frame",
    "save_response",
    "start_draft",
    "verify_login",
]

MAX_KEY_LENGTH = 128


class DuplicateSubmission(StorageError):
    """A submission key that was already used with different answers."""


class InvitationUnavailable(StorageError):
    """The invitation of a submission is unknown, already used or expired."""


@dataclass(frozen=True, slots=True)
class SaveResult:
    """``created`` is False when the key had been stored before with the same answers."""

    response_id: str
    created: bool


@dataclass(frozen=True, slots=True)
class Draft:
    """A respondent's answers so far, kept server-side page by page.

    ``resume_token`` is only set on the draft :func:`start_draft` returns (it is
    stored hashed); ``key`` is the submission key of the final submit;
    ``response_id`` is set once that submit has been stored.
    """

    id: str
    key: str
    survey: str
    version_id: int
    language: str
    fields: dict[str, str]
    answers: dict[str, Any]
    page: int
    started_at: dt.datetime
    updated_at: dt.datetime
    invitation_id: int | None = None
    response_id: str | None = None
    resume_token: str | None = None


def new_submission_key() -> str:
    """A fresh submission key (192 random bits) for a form to carry."""
    return secrets.token_urlsafe(24)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def _statements(dialect: str) -> SimpleNamespace:
    """The statements of a submission, built once per dialect (building one costs more than running it)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    r, v, i, d, p = responses.c, survey_versions.c, invitations.c, drafts.c, sa.bindparam
    return SimpleNamespace(
        version_id=sa.select(v.id).where(v.survey == p("p_survey"), v.sha256 == p("p_sha256")),
        register=insert(survey_versions).on_conflict_do_nothing(index_elements=["survey", "sha256"]),
        insert_response=(
            insert(responses).on_conflict_do_nothing(index_elements=["survey", "key"]).returning(r.response_id)
        ),
        replay=sa.select(r.response_id, r.answers_hash).where(r.survey == p("p_survey"), r.key == p("p_key")),
        invitation_fields=sa.select(i.fields).where(i.id == p("p_invitation")),
        use_invitation=sa.update(invitations)
        .where(
            i.id == p("p_invitation"),
            i.survey == p("p_survey"),
            i.used_at.is_(None),
            sa.or_(i.expires_at.is_(None), i.expires_at > p("p_now")),
        )
        .values(used_at=p("p_now"), response_id=p("p_response")),
        close_draft=sa.update(drafts)
        .where(d.survey == p("p_survey"), d.key == p("p_key"), d.response_id.is_(None))
        .values(response_id=p("p_response"), updated_at=p("p_now")),
    )


# survey version ids by engine and (survey, sha256): versions are never deleted
_version_ids: weakref.WeakKeyDictionary[Engine, dict[tuple[str, str], int]] = weakref.WeakKeyDictionary()


# -- survey versions ---------------------------------------------------------------------------


def register_version(engine: Engine, q: Questionnaire, yaml_text: str) -> int:
    """Store a questionnaire version, keyed by ``(survey, sha256 of the YAML)``; returns its id.

    Idempotent: registering the same file again returns the same id.
    """
    with write_transaction(engine) as conn:
        return _register(conn, q, yaml_text)


def _register(conn: Connection, q: Questionnaire, yaml_text: str) -> int:
    sql = _statements(conn.dialect.name)
    conn.execute(
        sql.register,
        dict(survey=q.survey, version=q.version, sha256=q.sha256, yaml_text=yaml_text, created_at=utcnow()),
    )
    return conn.execute(sql.version_id, dict(p_survey=q.survey, p_sha256=q.sha256)).scalar_one()


def _version_id(conn: Connection, q: Questionnaire) -> int:
    known = _version_ids.setdefault(conn.engine, {})
    found = known.get((q.survey, q.sha256))
    if found is None:
        found = conn.execute(
            _statements(conn.dialect.name).version_id, dict(p_survey=q.survey, p_sha256=q.sha256)
        ).scalar()
    if found is not None:
        known[q.survey, q.sha256] = int(found)
        return int(found)
    path = Path(q.source)
    if path.is_file():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == q.sha256:
            return _register(conn, q, data.decode("utf-8-sig"))
    raise StorageError(
        f"questionnaire {q.survey!r} (sha256 {q.sha256[:12]}...) is not registered; "
        "call register_version() with its YAML first"
    )


# -- checks of a submission --------------------------------------------------------------------


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValueError(f"a submission key is a string of 1..{MAX_KEY_LENGTH} characters")
    check_text("key", key)


def _check_language(q: Questionnaire, language: str) -> None:
    if language not in q.languages:
        raise ValueError(f"language {language!r} is not one of the survey's ({', '.join(q.languages)})")


# -- responses ---------------------------------------------------------------------------------


def save_response(
    engine: Engine,
    q: Questionnaire,
    answers: Mapping[str, Any],
    *,
    key: str,
    language: str,
    fields: Mapping[str, str] | None = None,
    wave: str | None = None,
    started_at: dt.datetime | None = None,
    submitted_at: dt.datetime | None = None,
    invitation_id: int | None = None,
) -> SaveResult:
    """Store one submission in one transaction; return only after it has committed.

    Parameters
    ----------
    answers
        Canonical values keyed by the answer variables of ``q.variables()``
        (see :func:`canonical_answers`); absent or None means missing.
    key
        The submission key the form carried.  The same key with the same
        answers returns the original response (``created=False``) and stores
        nothing; the same key with different answers raises
        :class:`DuplicateSubmission`.  Safe under concurrency on both backends.
    fields
        Segment fields (ids of ``q.fields``); by default those of the invitation.
    started_at, submitted_at
        Aware datetimes, or naive ones in UTC; ``submitted_at`` defaults to now.
    invitation_id
        The invitation this submission uses up, in the same transaction;
        :class:`InvitationUnavailable` if it is used or expired.
    """
    canonical = canonical_answers(q, answers)
    _check_key(key)
    _check_language(q, language)
    seg = check_fields(q, fields) if fields is not None else None
    submitted = as_utc(submitted_at) if submitted_at is not None else utcnow()
    started = as_utc(started_at) if started_at is not None else None
    digest = answers_hash(canonical)
    row: dict[str, Any] = dict(
        response_id=uuid.uuid4().hex,
        survey=q.survey,
        key=key,
        answers_hash=digest,
        language=language,
        wave=wave,
        started_at=started,
        submitted_at=submitted,
        answers=canonical,
        invitation_id=invitation_id,
        duration_s=(submitted - started).total_seconds() if started is not None else None,
    )
    try:
        with write_transaction(engine) as conn:
            return _record(conn, q, row, seg)
    except sa.exc.IntegrityError as exc:
        # ON CONFLICT covers the key; the other constraints land here: the invitation is unknown
        # (foreign key) or already answered under another key (unique invitation_id).  Re-read
        # once in case the key was the cause after all.
        with engine.connect() as conn:
            replay = _replay(conn, q.survey, key, digest)
        if replay is not None:
            return replay
        if invitation_id is not None:
            raise InvitationUnavailable("this invitation is unknown or has already been used") from exc
        raise StorageError(f"the response could not be stored: {exc.orig.__class__.__name__}") from exc


def save_frame(engine: Engine, q: Questionnaire, df: pd.DataFrame) -> list[SaveResult]:
    """Store every row of a response table (columns of ``q.columns()``) through :func:`save_response`.

    One transaction per row, exactly as real submissions arrive; the row's
    ``response_id`` is its submission key, so storing the same table again
    stores nothing new.  Used by ``surveykit simulate --db``.
    """
    names = {v.name: v.type for v in q.variables()}
    missing = sorted(set(names) - set(df.columns) - {"survey", "version", "duration_s"})
    if missing:
        raise ValueError(f"the table lacks columns of {q.survey!r}: {', '.join(missing)}")
    answer_cols = [n for n, t in names.items() if t not in ("metadata", "field")]
    field_cols = [n for n, t in names.items() if t == "field"]
    results = []
    for record in df.to_dict("records"):
        results.append(
            save_response(
                engine,
                q,
                {n: _value(record[n]) for n in answer_cols},
                key=str(record["response_id"]),
                language=record["language"],
                fields={n: _value(record[n]) for n in field_cols},
                wave=_value(record["wave"]),
                started_at=_value(record["started_at"]),
                submitted_at=_value(record["submitted_at"]),
            )
        )
    return results


def _value(value: Any) -> Any:
    """A table cell as save_response takes it: missing -> None, Timestamp -> datetime."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _record(conn: Connection, q: Questionnaire, row: dict[str, Any], seg: dict[str, str] | None) -> SaveResult:
    """Everything one submission writes, inside its transaction."""
    sql = _statements(conn.dialect.name)
    invitation = row["invitation_id"]
    row["version_id"] = _version_id(conn, q)
    if seg is None:
        seg = {}
        if invitation is not None:
            seg = conn.execute(sql.invitation_fields, dict(p_invitation=invitation)).scalar() or {}
    row["fields"] = seg
    if conn.execute(sql.insert_response, row).scalar() is None:
        replay = _replay(conn, row["survey"], row["key"], row["answers_hash"])
        if replay is None:
            raise StorageError("a conflicting submission disappeared; retry")
        return replay
    binds = dict(p_survey=row["survey"], p_key=row["key"], p_response=row["response_id"], p_now=utcnow())
    if invitation is not None:
        if conn.execute(sql.use_invitation, dict(binds, p_invitation=invitation)).rowcount != 1:
            raise InvitationUnavailable("this invitation has already been used or has expired")
    conn.execute(sql.close_draft, binds)
    if q.quotas:
        quotas.on_submit(conn, q, row)  # counted in its quota cells, or marked over_quota
    if not row.get("over_quota"):
        aggregates.add_response(conn, q, row)  # the dashboard's sums commit or roll back with the response
    opened: list[int] = []
    if q.alerts or invitation is not None:
        # follow-up cases (and their outbox messages) commit or roll back with the response
        opened = cases.on_submit(conn, q, row)
    # the invitation's completed status and the webhook deliveries too (surveykit.fielding)
    fielding_hooks.on_submit(conn, q, row, opened)
    return SaveResult(row["response_id"], True)


def _replay(conn: Connection, survey: str, key: str, digest: str) -> SaveResult | None:
    found = conn.execute(_statements(conn.dialect.name).replay, dict(p_survey=survey, p_key=key)).first()
    if found is None:
        return None
    if found.answers_hash != digest:
        raise DuplicateSubmission("this submission key was already used with different answers")
    return SaveResult(found.response_id, False)


# -- drafts (save and resume) ------------------------------------------------------------------


def start_draft(
    engine: Engine,
    q: Questionnaire,
    *,
    language: str,
    fields: Mapping[str, str] | None = None,
    invitation_id: int | None = None,
    key: str | None = None,
) -> Draft:
    """Open a draft; the returned one carries the plain ``resume_token`` (shown once, stored hashed).

    ``key`` is the submission key the first screen's form carried, which the draft keeps
    (a randomised order drawn from it on that screen stays the same); by default a new one.
    """
    _check_language(q, language)
    if key is not None:
        _check_key(key)
    seg = check_fields(q, fields) if fields is not None else None
    token, now = secrets.token_urlsafe(32), utcnow()
    row: dict[str, Any] = dict(
        id=uuid.uuid4().hex,
        survey=q.survey,
        key=key if key is not None else new_submission_key(),
        resume_hash=_sha256(token),
        language=language,
        invitation_id=invitation_id,
        answers={},
        page=0,
        started_at=now,
        updated_at=now,
    )
    with write_transaction(engine) as conn:
        row["version_id"] = _version_id(conn, q)
        if seg is None and invitation_id is not None:
            seg = conn.execute(sa.select(invitations.c.fields).where(invitations.c.id == invitation_id)).scalar()
        row["fields"] = seg or {}
        conn.execute(sa.insert(drafts).values(row))
        fielding_hooks.on_draft(conn, invitation_id)
    return _draft(row, resume_token=token)


def save_draft(engine: Engine, draft_id: str, answers: Mapping[str, Any], page: int) -> None:
    """Merge a page's answers into a draft (a None value removes an answer) and record the page reached.

    Raises :class:`StorageError` for an unknown or already submitted draft.
    """
    for name, value in answers.items():
        if isinstance(value, str):
            check_text(name, value)
    with write_transaction(engine) as conn:
        stmt = sa.select(drafts.c.answers, drafts.c.response_id).where(drafts.c.id == draft_id)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        found = conn.execute(stmt).first()
        if found is None:
            raise StorageError("unknown draft")
        if found.response_id is not None:
            raise StorageError("this draft has already been submitted")
        merged = {**found.answers, **answers}
        merged = {k: v for k, v in merged.items() if v is not None}
        conn.execute(
            sa.update(drafts).where(drafts.c.id == draft_id).values(answers=merged, page=page, updated_at=utcnow())
        )


def load_draft(
    engine: Engine, *, draft_id: str | None = None, resume_token: str | None = None, invitation_id: int | None = None
) -> Draft | None:
    """A draft by id, by resume token, or the latest one of an invitation; None if there is none."""
    if sum(x is not None for x in (draft_id, resume_token, invitation_id)) != 1:
        raise ValueError("give exactly one of draft_id, resume_token, invitation_id")
    d = drafts.c
    if draft_id is not None:
        cond = d.id == draft_id
    elif resume_token is not None:
        if not isinstance(resume_token, str) or len(resume_token) > 200:
            return None
        cond = d.resume_hash == _sha256(resume_token)
    else:
        cond = d.invitation_id == invitation_id
    with engine.connect() as conn:
        found = conn.execute(sa.select(drafts).where(cond).order_by(d.updated_at.desc()).limit(1)).first()
    return _draft(found._asdict()) if found is not None else None


def _draft(row: Mapping[str, Any], resume_token: str | None = None) -> Draft:
    return Draft(
        id=row["id"],
        key=row["key"],
        survey=row["survey"],
        version_id=row["version_id"],
        language=row["language"],
        fields=dict(row["fields"]),
        answers=dict(row["answers"]),
        page=row["page"],
        started_at=row["started_at"],
        updated_at=row["updated_at"],
        invitation_id=row["invitation_id"],
        response_id=row.get("response_id"),
        resume_token=resume_token,
    )
