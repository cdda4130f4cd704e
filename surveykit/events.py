"""Invitations from the dealer's events: checked one by one, deduplicated by ``event_id``, stored in one go.

What ``POST /api/v1/invitations`` does with each posted item, without any HTTP in it (so the
benchmark and the tests can call it directly as well)::

    {"survey": "dealer_aftersales_csi", "event_id": "RO-2026-000123",
     "contact": {"customer_id": "C88", "name": "王先生", "email": "...", "phone": "...", "language": "zh"},
     "fields": {"dealer": "DE01"}, "send_at": "2026-12-04T10:00:00+08:00", "channel": "sms"}

Each item gets an :class:`Outcome`: 201 (stored), 200 (this ``event_id`` was stored before with
the same content: the first invitation is returned, nothing new is made), 409 (stored before
with other content: both SHA-256 hashes are given), 422 (the item is wrong: the reason and
the field) or 403 (outside the token's scope).  Valid items of a batch are stored even when
others are refused.

An invitation is stored ``scheduled`` (the worker sends it at ``send_at``, default now) or
``suppressed`` with its reason, which the answer gives: ``opted_out`` (the contact opted out),
``quota_full`` (its quota cell is full) or a contact rule (``contact_rule:max_invitations``,
``contact_rule:max_messages``: :mod:`surveykit.fielding.rules`, asked as of ``send_at`` for the
whole batch at once; an earlier item of the batch counts against a later one of the same
customer).  The worker asks the rules again when it sends, since answers, opt-outs and rules
move on in between.  Its link token is not made here: the worker makes the short link when it
sends, so the stored ``token_hash`` is the hash of a random value nobody holds and the
invitation cannot be opened before it is sent.

The cost of a batch is a few statements whatever its size (the event_id lookup, the contact
upsert and its ids, the rules' three reads, the quota cells, the insert and its ids); the
inserts are executemany without RETURNING (handed to the driver bound as SQLAlchemy binds them:
:func:`_insert_many`), which PostgreSQL's driver pipelines, and the ids are read back by key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from surveykit import quotas
from surveykit.contacts import ContactProblem, check_contact
from surveykit.database import as_utc, contacts, invitations, utcnow, write_transaction
from surveykit.fielding import rules
from surveykit.invitations import check_fields
from surveykit.model import Questionnaire

__all__ = ["CHANNELS", "MAX_BATCH", "Outcome", "event_hash", "ingest"]

MAX_BATCH = 1000
CHANNELS = ("email", "sms")
_ITEM_KEYS = {"survey", "event_id", "contact", "fields", "send_at", "channel"}
MAX_EVENT_ID = 200


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one posted item (``status`` is the HTTP status it would have alone)."""

    index: int
    status: int
    invitation_id: int | None = None
    state: str | None = None  # the invitation's status: scheduled or suppressed
    reason: str | None = None
    field: str | None = None  # the key that is wrong, as a dotted path
    hashes: dict[str, str] | None = None  # 409: {"stored": ..., "posted": ...}


@dataclass(frozen=True, slots=True)
class _Event:
    index: int
    q: Questionnaire
    event_id: str
    contact: dict[str, str | None]
    fields: dict[str, str]
    send_at: dt.datetime | None
    channel: str
    hash: str


def event_hash(canonical: Mapping[str, Any]) -> str:
    """SHA-256 of an event's canonical JSON (sorted keys, no spaces, UTF-8).

    The bytes are ``json.dumps(canonical, sort_keys=True, ensure_ascii=False,
    separators=(",", ":")).encode("utf-8")`` (what stored hashes were made of), written by orjson
    in about a sixth of the standard library's CPU: for the strings, None and objects of an event
    the two agree byte for byte (orjson sorts keys by UTF-8 bytes, the code point order; escapes
    the same characters the same way; tests/surveykit/test_events_store.py compares them).
    """
    return hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()


class _Bad(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _check(index: int, item: Any, survey_of: Callable[[str], Questionnaire | None]) -> _Event:
    if not isinstance(item, dict):
        raise _Bad("", f"an invitation is a JSON object, got {type(item).__name__}")
    unknown = sorted(set(item) - _ITEM_KEYS)
    if unknown:
        raise _Bad(unknown[0], f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_ITEM_KEYS))})")
    survey = item.get("survey")
    if not isinstance(survey, str):
        raise _Bad("survey", "survey is required: the id of a survey served here")
    q = survey_of(survey)
    if q is None:
        raise _Bad("survey", f"unknown survey {survey[:100]!r}")
    event_id = item.get("event_id")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > MAX_EVENT_ID:
        raise _Bad("event_id", f"event_id is required: a string of 1 to {MAX_EVENT_ID} characters")
    if not event_id.isprintable():
        raise _Bad("event_id", "event_id: printable characters only")
    try:
        contact = check_contact(item.get("contact"), q.languages)
    except ContactProblem as exc:
        raise _Bad(exc.field, str(exc)) from None
    raw_fields = item.get("fields", {})
    if not isinstance(raw_fields, dict):
        raise _Bad("fields", "fields must be an object of segment field -> value")
    try:
        fields = check_fields(q, raw_fields)
    except ValueError as exc:
        raise _Bad("fields", str(exc)) from None
    for f in q.fields:
        codes = [code for code, _ in f.values]
        if codes and f.id in fields and fields[f.id] not in codes:
            raise _Bad(f"fields.{f.id}", f"{fields[f.id]!r} is not a value of {f.id} (values: {', '.join(codes)})")
    send_at = _send_at(item.get("send_at"))
    channel = item.get("channel")
    if channel is None:
        channel = "email" if contact["email"] else "sms" if contact["phone"] else None
        if channel is None:
            raise _Bad("contact", "the contact needs an email or a phone to be invited")
    elif channel not in CHANNELS:
        raise _Bad("channel", f"channel must be one of {', '.join(CHANNELS)}")
    elif not contact["email" if channel == "email" else "phone"]:
        raise _Bad("channel", f"channel {channel} needs the contact's {'email' if channel == 'email' else 'phone'}")
    canonical = dict(
        survey=q.survey,
        event_id=event_id,
        contact=contact,
        fields=fields,
        send_at=send_at.isoformat() if send_at else None,
        channel=channel,
    )
    return _Event(index, q, event_id, contact, fields, send_at, channel, event_hash(canonical))


def _send_at(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad(
            "send_at", "send_at must be an ISO-8601 date and time with its offset, e.g. 2026-12-04T10:00:00+08:00"
        )
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _Bad("send_at", f"send_at: {value[:40]!r} is not an ISO-8601 date and time") from None
    if when.tzinfo is None:
        raise _Bad("send_at", "send_at needs its UTC offset (e.g. +08:00 or Z), so the hour is not guessed")
    return as_utc(when)


def ingest(
    engine: Engine,
    items: Sequence[Any],
    survey_of: Callable[[str], Questionnaire | None],
    *,
    allowed: Callable[[Mapping[str, str]], bool] = lambda fields: True,
    wave: str | None = None,
    now: dt.datetime | None = None,
) -> list[Outcome]:
    """Check and store posted invitation items; one :class:`Outcome` per item, in order.

    ``survey_of`` finds a served questionnaire by id; ``allowed`` is the
    caller's scope check on an item's segment fields (403 when False).  The
    valid items are stored in one transaction; should a concurrent request
    store one of their ``event_id`` first, the transaction is retried and the
    item answered as a repeat.
    """
    if len(items) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} invitations a request")
    outcomes: dict[int, Outcome] = {}
    events: list[_Event] = []
    for index, item in enumerate(items):
        try:
            event = _check(index, item, survey_of)
        except _Bad as exc:
            outcomes[index] = Outcome(index, 422, reason=exc.reason, field=exc.field or None)
            continue
        if not allowed(event.fields):
            outcomes[index] = Outcome(index, 403, reason="outside this token's scope", field="fields")
            continue
        events.append(event)
    now = now or utcnow()
    for attempt in range(3):
        try:
            with write_transaction(engine) as conn:
                stored = _store(conn, events, wave, now)
            break
        except sa.exc.IntegrityError:
            if attempt == 2:
                raise
    outcomes.update(stored)
    return [outcomes[i] for i in range(len(items))]


def _store(conn: Connection, events: list[_Event], wave: str | None, now: dt.datetime) -> dict[int, Outcome]:
    if not events:
        return {}
    i = invitations.c
    out: dict[int, Outcome] = {}
    known = {
        row.event_id: row
        for row in conn.execute(
            sa.select(i.id, i.event_id, i.event_hash, i.status).where(
                rules.one_of(conn, i.event_id, {e.event_id for e in events})
            )
        )
    }
    fresh: dict[str, _Event] = {}
    later: list[_Event] = []  # a second item with the event_id of an earlier one in this batch
    for e in events:
        first = known.get(e.event_id)
        if first is not None:
            out[e.index] = _repeat(e, first.event_hash, first.id, first.status)
        elif e.event_id in fresh:
            later.append(e)
        else:
            fresh[e.event_id] = e
    if not fresh:
        return out
    new = list(fresh.values())
    contact_ids = _contacts(conn, new, now)
    full = {q.survey: quotas.full_cells(conn, q, wave) for q in {e.q.survey: e.q for e in new}.values() if q.quotas}
    candidates = [
        rules.Candidate(
            contact_ids[str(e.contact["customer_id"])],
            e.q,
            max(now, e.send_at or now),  # asked as of when it is to go out
            at=e.send_at or now,
            blocked="quota_full" if _in_full_cell(e, full.get(e.q.survey)) else None,
        )
        for e in new
    ]
    reasons = rules.admit_all(conn, candidates)
    rows = [
        dict(
            survey=e.q.survey,
            token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),  # nobody holds this token
            fields=e.fields,
            created_at=now,
            event_id=e.event_id,
            event_hash=e.hash,
            contact_id=cand.contact_id,
            channel=e.channel,
            status="suppressed" if reason else "scheduled",
            suppression_reason=reason,
            send_at=e.send_at or now,
        )
        for e, cand, reason in zip(new, candidates, reasons, strict=True)
    ]
    _insert_many(conn, sa.insert(invitations), rows)
    ids = dict(conn.execute(sa.select(i.event_id, i.id).where(rules.one_of(conn, i.event_id, fresh))).all())
    for e, reason in zip(new, reasons, strict=True):
        out[e.index] = Outcome(e.index, 201, ids[e.event_id], "suppressed" if reason else "scheduled", reason)
    for e in later:
        stored = out[fresh[e.event_id].index]
        out[e.index] = _repeat(e, fresh[e.event_id].hash, stored.invitation_id, stored.state)
    return out


def _in_full_cell(e: _Event, full: dict[str, set[str | None]] | None) -> bool:
    """Does the item fall in a full quota cell?  Its cells are not even worked out while none is full
    (the usual case: each item's cell key, JSON per quota, was ~15 % of a batch under the profiler)."""
    if not full or not any(full.values()):
        return False
    return any(quota.cell(e.fields) in full[quota.id] for quota in e.q.quotas)


def _repeat(e: _Event, stored_hash: str | None, inv_id: int | None, status: str | None) -> Outcome:
    if stored_hash != e.hash:
        return Outcome(
            e.index,
            409,
            inv_id,
            status,
            f"event_id {e.event_id!r} was posted before with other content",
            "event_id",
            {"stored": stored_hash or "", "posted": e.hash},
        )
    return Outcome(e.index, 200, inv_id, status)


def _contacts(conn: Connection, events: list[_Event], now: dt.datetime) -> dict[str, int]:
    """Contact ids by customer id: one upsert (new contacts inserted, known ones updated), one read of the ids."""
    c = contacts.c
    latest = {e.contact["customer_id"]: e.contact for e in events}  # the last item of a customer wins
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(contacts)
    new = insert.excluded
    stmt = insert.on_conflict_do_update(
        index_elements=["customer_id"],
        set_=dict(name=new.name, email=new.email, phone=new.phone, language=new.language, updated_at=new.updated_at),
    )
    _insert_many(conn, stmt, [dict(contact, created_at=now, updated_at=now) for contact in latest.values()])
    return dict(conn.execute(sa.select(c.customer_id, c.id).where(rules.one_of(conn, c.customer_id, latest))).all())


def _insert_many(conn: Connection, stmt: sa.Insert, rows: list[dict[str, Any]]) -> None:
    """``conn.execute(stmt, rows)`` for rows with the same keys (columns of the statement's table),
    given to the driver's executemany directly.

    SQLAlchemy builds a parameter dict for every row and runs each value through its type's bind
    processor; for 1,000 invitations that was about 13 us a row on SQLite, half the insert (CPU
    time, SQLite 3.40).  Here the statement is compiled once, each column's processor is the one
    SQLAlchemy would use (``dialect_impl(...).bind_processor``: DateTime to text on SQLite, JSON
    to its text or the driver's wrapper) and a value met before in the batch (the timestamps, a
    few field values) is processed once: the same values reach the driver.
    """
    dialect = conn.dialect
    keys = list(rows[0])
    compiled = stmt.compile(dialect=dialect, column_keys=keys)
    names = compiled.positiontup if compiled.positional else keys
    assert names is not None and set(names) == set(keys), (names, keys)
    columns = stmt.table.c  # type: ignore[attr-defined]
    processors = [
        (at, process)
        for at, name in enumerate(names)
        if (process := columns[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    memo: dict[tuple[int, type, Any], Any] = {}
    params: list[Any] = []
    for row in rows:
        values = [row[name] for name in names]
        for at, process in processors:
            value = values[at]
            if isinstance(value, dict | list):  # unhashable: a JSON value
                values[at] = process(value)
                continue
            key = (at, type(value), value)  # by type too: 1 == True, but a processor may tell them apart
            if key not in memo:
                memo[key] = process(value)
            values[at] = memo[key]
        params.append(tuple(values) if compiled.positional else dict(zip(names, values, strict=True)))
    conn.exec_driver_sql(compiled.string, params)
