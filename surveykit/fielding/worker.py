"""The fielding worker: plans what is due, sends it, and records what happened.

One pass (:func:`run_pass`, what ``surveykit worker --once`` does):

1. **Plan** (one write transaction; on PostgreSQL one planner at a time, by a
   transaction-level advisory lock that the others wait for): invitations whose
   link has expired are marked ``expired``; the scheduled invitations that are
   due are checked against the contact rules (:func:`surveykit.fielding.rules.admit_all`:
   the whole plan in three queries) and each is either suppressed with its reason
   or given its message row (seq 0); each invitation that was sent and neither
   completed, opted out nor expired gets its next reminder's row once the
   reminder is due, on the invitation's channel.  A row's ``due_at`` is pushed
   past the quiet hours.
2. **Send**: due message rows are claimed in small batches with a lease
   (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock lets one
   writer claim at a time), checked against the invitation and contact as read
   with the claim (answered, opted out, erased, expired; the contact rules again,
   for the whole batch at once, for an invitation planned in an earlier pass;
   the quiet hours), rendered in the contact's language, sent, and recorded on
   its own (see :func:`send_due`).
3. **Webhooks** and the **case notifications** of the outbox, then the
   contact-data purge of the retention rule when :mod:`surveykit.contacts`
   provides it, and the purge of audit photos no row needs
   (:mod:`surveykit.evidence_purge`, when ``SURVEYKIT_EVIDENCE_DIR`` is set).

A message is written (with its Message-ID) before it is sent and marked sent
after, so a worker killed between the two leaves it pending; when its lease
runs out another worker sends it again with the same Message-ID (and an SMS
with the same id).  That is the only duplicate possible; a worker that sends several messages at
once (``Settings.senders``, ``surveykit worker --senders N``) may repeat up to ``2 * N`` of them
(:func:`_send_concurrently`).  On PostgreSQL the
"sent" of a message is handed to the server before the next message goes out
and its answer read while that one is sent (:class:`_PgResults`): a worker
killed in between leaves the server a complete statement it still commits.  ``stop()`` (SIGTERM)
is checked between messages: the message in hand is finished and recorded,
the rest of the batch is released at once.

Temporary failures are retried after 1, 2, 4... minutes (at most an hour) up to
``max_attempts``; permanent ones, and the last attempt, mark the message
failed (and an invitation's first message failing marks the invitation
``failed``), with the error kept in ``last_error``.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
import queue
import secrets
import select
import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

import sqlalchemy as sa
from psycopg import pq
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.engine import Connection, Engine

from surveykit import evidence_purge, notify
from surveykit.database import contacts, invitation_messages, invitations, write_connection, write_transaction
from surveykit.fielding import links, rules, tracking, webhooks
from surveykit.fielding.delivery import DeliveryError, EmailSender, SmsGateway, compose_email
from surveykit.fielding.surveys import questionnaire_of
from surveykit.fielding.templates import render
from surveykit.model import Questionnaire

__all__ = ["PassStats", "Settings", "plan", "run_pass", "send_due"]

_PLAN_LOCK = 4242012
_MAX_BACKOFF_S = 3600
_PLAN_LIMIT = 1000
# a pass's first plan takes at most this many invitations (a full claim; see run_pass)
_FIRST_PLAN = 200
_ACTIVE = ("sent", "opened", "started")
_CLOSED = ("completed", "opted_out", "expired", "suppressed")
# the plan checked the contact rules when it wrote the message; a message older than this is checked again
_RECHECK_AFTER = dt.timedelta(minutes=1)
# a claim grows to at most this many times Settings.batch while a backlog goes fast (see _ClaimSize)
_GROWTH = 10


@dataclass
class Settings:
    """What the worker sends with; a channel without its adapter is left waiting, not failed."""

    base_url: str
    secret: bytes
    mailer: EmailSender | None = None
    sender: str = "surveykit@localhost"
    sms: SmsGateway | None = None
    batch: int = 20  # a claim's size; up to _GROWTH times as many while a backlog goes fast (_ClaimSize)
    senders: int = 1  # messages sent at once, each by a thread of its own (see send_due)
    lease_s: float = 300.0
    max_attempts: int = 8
    webhook_timeout: float = 10.0
    smtp: notify.SmtpSettings | None = None
    routing: notify.Routing | None = None  # case notifications, when given

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(c for c, adapter in (("email", self.mailer), ("sms", self.sms)) if adapter is not None)


@dataclass
class PassStats:
    expired: int = 0
    planned: int = 0
    suppressed: int = 0
    reminders: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    postponed: int = 0
    webhooks: tuple[int, int, int] = (0, 0, 0)
    notifications: tuple[int, int, int] = (0, 0, 0)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"planned {self.planned} invitation(s) and {self.reminders} reminder(s), suppressed {self.suppressed}, "
            f"expired {self.expired}; sent {self.sent}, to retry {self.retried}, failed {self.failed}, "
            f"cancelled {self.cancelled}, waiting for quiet hours {self.postponed}; webhooks delivered "
            f"{self.webhooks[0]}, to retry {self.webhooks[1]}, failed {self.webhooks[2]}; case mails sent "
            f"{self.notifications[0]}, to retry {self.notifications[1]}, failed {self.notifications[2]}"
        )


def _message_id(sender: str, invitation_id: int, seq: int) -> str:
    domain = sender.rpartition("@")[2].strip(" >") or notify.MESSAGE_ID_DOMAIN
    return f"<{secrets.token_hex(8)}.inv{invitation_id}.{seq}@{domain}>"


_MESSAGE_KEYS = (
    "invitation_id",
    "seq",
    "channel",
    "message_id",
    "status",
    "due_at",
    "attempts",
    "created_at",
    "reason",
)


def _insert_message(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Message rows (with the keys of ``_MESSAGE_KEYS``) in one statement.

    A statement of up to 1,000 VALUES rows was compiled anew for every plan (1.3 s of a plan of
    1,000, profiled); an executemany runs a statement per row.  On PostgreSQL the rows go as one
    JSON array (:func:`_from_json`), one statement compiled once; on SQLite an executemany.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(_messages_from_json(), {"rows": _json_rows(rows)})
        return
    insert = sqlite.insert(invitation_messages).on_conflict_do_nothing(index_elements=["invitation_id", "seq"])
    conn.execute(insert, rows)


def _from_arrays(name: str, columns: Sequence[sa.Column[Any]]) -> Any:
    """``unnest($1, $2...) AS name(...)`` on PostgreSQL: one array parameter ``a_<column>`` per column.

    Many rows in one statement of fixed text (compiled and prepared once), for a plan's batch
    of rows or a group of results.
    """
    arrays = [sa.bindparam(f"a_{c.name}", value=None, type_=postgresql.ARRAY(c.type)) for c in columns]
    return sa.func.unnest(*arrays).table_valued(*[sa.column(c.name, c.type) for c in columns]).render_derived(name=name)


def _from_json(name: str, columns: Sequence[sa.Column[Any]]) -> Any:
    """``json_to_recordset($1) AS name(column type, ...)`` on PostgreSQL: rows as one JSON parameter ``rows``.

    A plan's rows (up to 1,000 of 9 columns) as arrays took psycopg's array dumper, Python for
    each value, about 14 ms a plan of 1,000 (timed); :func:`_json_rows` encodes them in 2-3 ms.
    """
    rows = sa.func.json_to_recordset(sa.cast(sa.bindparam("rows", value=None, type_=sa.Text()), postgresql.JSON))
    return rows.table_valued(*[sa.column(c.name, c.type) for c in columns]).render_derived(name=name, with_types=True)


def _json_rows(rows: list[dict[str, Any]]) -> str:
    """Rows for :func:`_from_json`: a datetime as its ISO text, which PostgreSQL reads as the same timestamp."""
    return json.dumps(rows, default=_iso, ensure_ascii=False)


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a value of a row")


@functools.cache
def _messages_from_json() -> Any:
    given = _from_json("given", [invitation_messages.c[k] for k in _MESSAGE_KEYS])
    return (
        postgresql.insert(invitation_messages)
        .from_select(list(_MESSAGE_KEYS), sa.select(*[given.c[k] for k in _MESSAGE_KEYS]))
        .on_conflict_do_nothing(index_elements=["invitation_id", "seq"])
    )


@functools.cache
def _short_codes_from_json() -> sa.Update:
    i = invitations.c
    given = _from_json("given", [i.id, i.short_code_hash])
    return sa.update(invitations).where(i.id == given.c.id).values(short_code_hash=given.c.short_code_hash)


# -- planning -------------------------------------------------------------------------------------


def plan(engine: Engine, settings: Settings, now: dt.datetime, stats: PassStats, limit: int = _PLAN_LIMIT) -> bool:
    """Expire, admit or suppress due invitations, and queue due reminders (see the module docstring).

    At most ``limit`` invitations, and ``limit`` reminders of each kind; True when a limit was
    reached: more may be due.
    """
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            # keyed by the schema too: advisory locks are per database, and stores in other schemas
            # of it (the test suite's, a benchmark's) must not make this one wait.  Waited for, not
            # skipped: a worker that skipped found nothing planned yet to send and ended its pass,
            # leaving a backlog (a morning's invitations) to the planner alone; after the wait it
            # plans what is left (usually nothing) and sends beside it
            lock = sa.text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))")
            conn.execute(lock, {"key": _PLAN_LOCK})
        _expire(conn, now, stats)
        more = _plan_invitations(conn, settings, now, stats, limit) >= limit
        return _plan_reminders(conn, settings, now, stats, limit) >= limit or more


def _expire(conn: Connection, now: dt.datetime, stats: PassStats) -> None:
    i, m = invitations.c, invitation_messages.c
    ids = list(
        conn.execute(
            sa.select(i.id).where(
                i.status.in_((*_ACTIVE, "failed")), i.channel.in_(("email", "sms")), i.expires_at <= now
            )
        ).scalars()
    )
    for invitation_id in ids:
        tracking.advance(conn, invitation_id, "expired", now)
    stats.expired += len(ids)
    if ids:
        conn.execute(
            sa.update(invitation_messages)
            .where(m.invitation_id.in_(ids), m.status == "pending")
            .values(status="cancelled", reason="expired", lease_until=None)
        )


def _suppression(reason: str) -> sa.Update:
    """Suppress a scheduled invitation (the caller adds which one)."""
    i = invitations.c
    return (
        sa.update(invitations)
        .where(i.status == "scheduled")
        .values(status="suppressed", suppression_reason=reason[:100])
    )


def _suppress(conn: Connection, invitation_id: int, reason: str) -> None:
    conn.execute(_suppression(reason).where(invitations.c.id == invitation_id))


def _template_missing(q: Questionnaire | None, channel: str, seq: int = 0) -> bool:
    if q is None or q.fielding is None or q.fielding.invitation is None:
        return True
    messages = q.fielding.messages(seq)
    return (messages.email if channel == "email" else messages.sms) is None


def _cached(conn: Connection, surveys: dict[str, Questionnaire | None], survey: str) -> Questionnaire | None:
    if survey not in surveys:
        surveys[survey] = questionnaire_of(conn, survey)
    return surveys[survey]


def _plan_invitations(conn: Connection, settings: Settings, now: dt.datetime, stats: PassStats, limit: int) -> int:
    surveys: dict[str, Questionnaire | None] = {}
    i, m = invitations.c, invitation_messages.c
    first = sa.select(m.id).where(m.invitation_id == i.id, m.seq == 0).exists()
    due = conn.execute(
        sa.select(i.id, i.survey, i.contact_id, i.channel)
        .where(
            i.status == "scheduled",
            i.channel.in_(("email", "sms")),
            sa.func.coalesce(i.send_at, i.created_at) <= now,
            ~first,
        )
        .order_by(i.id)
        .limit(limit)
    ).all()
    codes: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    qs = [_cached(conn, surveys, inv.survey) for inv in due]
    # the contact rules of the whole plan in three queries, in id order (the earlier invitation goes first)
    candidates = [
        rules.Candidate(
            inv.contact_id,
            q,
            now,
            id=inv.id,
            blocked=f"no_template:{inv.channel}" if _template_missing(q, inv.channel) else None,
        )
        for inv, q in zip(due, qs, strict=True)
    ]
    for inv, q, reason in zip(due, qs, rules.admit_all(conn, candidates), strict=True):
        if reason is not None:
            _suppress(conn, inv.id, reason)
            stats.suppressed += 1
            continue
        codes.append({"p_id": inv.id, "p_hash": links.code_hash(links.short_code(settings.secret, inv.id))})
        rows.append(_message_row(settings, inv.id, 0, inv.channel, rules.not_before(q, inv.channel, now), now))
        stats.planned += 1
    # the admitted ones in two statements (an invitation still scheduled counts in admit() all the same)
    if rows:
        if conn.dialect.name == "postgresql":  # one statement, not one a row
            given = [{"id": c["p_id"], "short_code_hash": c["p_hash"]} for c in codes]
            conn.execute(_short_codes_from_json(), {"rows": _json_rows(given)})
        else:
            update = sa.update(invitations).where(i.id == sa.bindparam("p_id"))
            conn.execute(update.values(short_code_hash=sa.bindparam("p_hash")), codes)
        _insert_message(conn, rows)
    return len(due)


def _message_row(
    settings: Settings, invitation_id: int, seq: int, channel: str, due: dt.datetime, now: dt.datetime
) -> dict[str, Any]:
    return dict(
        invitation_id=invitation_id,
        seq=seq,
        channel=channel,
        message_id=_message_id(settings.sender, invitation_id, seq),
        status="pending",
        due_at=due,
        attempts=0,
        created_at=now,
        reason=None,
    )


def _plan_reminders(conn: Connection, settings: Settings, now: dt.datetime, stats: PassStats, limit: int) -> int:
    """Queue the reminders that are due: per survey and reminder, only invitations whose turn it is.

    Returns the most candidates one query found (the plan runs again when that reached the limit).
    """
    surveys: dict[str, Questionnaire | None] = {}
    i, m = invitations.c, invitation_messages.c
    last = sa.select(m.invitation_id, sa.func.max(m.seq).label("seq")).group_by(m.invitation_id).subquery("last_seq")
    latest = invitation_messages.alias("latest")
    names = conn.execute(sa.select(i.survey).where(i.status.in_(_ACTIVE)).distinct()).scalars().all()
    most = 0
    for survey in names:
        q = _cached(conn, surveys, survey)
        if q is None or q.fielding is None:
            continue
        for seq, reminder in enumerate(q.fielding.reminders, start=1):
            rows = conn.execute(
                sa.select(i.id, i.contact_id, i.channel)
                .join(last, last.c.invitation_id == i.id)
                .join(latest, sa.and_(latest.c.invitation_id == i.id, latest.c.seq == last.c.seq))
                .where(
                    i.survey == survey,
                    i.status.in_(_ACTIVE),
                    i.channel.in_(("email", "sms")),
                    i.sent_at <= now - reminder.after,
                    sa.or_(i.expires_at.is_(None), i.expires_at > now),
                    last.c.seq == seq - 1,
                    latest.c.status.in_(("sent", "suppressed")),
                )
                .order_by(i.sent_at)
                .limit(limit)
            ).all()
            most = max(most, len(rows))
            admitted = rules.admit_messages(conn, [(inv.contact_id, q) for inv in rows], now)
            planned = []
            for inv, refusal in zip(rows, admitted, strict=True):
                row = _message_row(settings, inv.id, seq, inv.channel, rules.not_before(q, inv.channel, now), now)
                reason = "no_template" if _template_missing(q, inv.channel, seq) else refusal
                if reason is not None:
                    row.update(status="suppressed", reason=reason[:100])
                    stats.suppressed += 1
                else:
                    stats.reminders += 1
                planned.append(row)
            if planned:
                _insert_message(conn, planned)
    return most


# -- sending -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    invitation_id: int
    seq: int
    channel: str
    message_id: str
    created_at: dt.datetime
    attempts: int
    invitation: Any = None  # the invitation and its contact as they were when claimed
    rechecked: bool = False  # planned in an earlier pass: the contact rules were asked again with the claim
    rule: str | None = None  # what they answered


def _claim(
    engine: Engine,
    settings: Settings,
    worker: str,
    now: dt.datetime,
    surveys: dict[str, Questionnaire | None],
    conn: Connection | None = None,
    size: int | None = None,
) -> list[_Claimed]:
    """Claim a batch of due messages (``size``, else ``settings.batch``), with the state each is checked against.

    On PostgreSQL (``conn``: the worker's autocommitted results connection) the claim is one
    statement, an UPDATE of the rows its subquery locks ``FOR UPDATE SKIP LOCKED``, and the reads
    follow on the same connection (a connection checkout, its ping and a transaction's three
    round trips a batch less); on SQLite a write transaction.
    """
    m = invitation_messages.c
    ready = sa.and_(
        m.status == "pending",
        m.due_at <= now,
        m.channel.in_(settings.channels),
        sa.or_(m.lease_until.is_(None), m.lease_until <= now),
    )
    pick = sa.select(m.id).where(ready).order_by(m.due_at, m.id).limit(size or settings.batch)
    claim = (
        sa.update(invitation_messages)
        .values(
            claimed_by=worker[:100],
            lease_until=now + dt.timedelta(seconds=settings.lease_s),
            attempts=m.attempts + 1,
        )
        .returning(m.id, m.invitation_id, m.seq, m.channel, m.message_id, m.created_at, m.attempts)
    )
    if conn is not None:
        with conn.begin():  # under AUTOCOMMIT no BEGIN or COMMIT is sent: each statement on its own
            # materialised: as a plain IN subquery PostgreSQL may run it again for each row it
            # updates (a nested-loop semi-join), each run locking the next rows: a batch of 5 took 12.
            # The rows are joined by key alone: the locked rows were checked against `ready` as
            # locked, and `ready` again here let a table without statistics (a bulk of new rows)
            # be scanned by status once per claimed row (4.8 ms a claim of 20 of 1,000, 0.5 without)
            picked = pick.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
            rows = conn.execute(claim.where(m.id == picked.c.id)).all()
            return _with_state(conn, rows, now, surveys) if rows else []
    with write_transaction(engine) as conn:
        ids = list(conn.execute(pick).scalars())
        if not ids:
            return []
        rows = conn.execute(claim.where(m.id.in_(ids), ready)).all()
        return _with_state(conn, rows, now, surveys)


def _with_state(
    conn: Connection, rows: Sequence[Any], now: dt.datetime, surveys: dict[str, Questionnaire | None]
) -> list[_Claimed]:
    """The claimed rows with their invitation and contact, and the contact rules asked again where due."""
    # read with the claim: the state a message is checked against is seconds old when it is sent
    state = {row.id: row for row in conn.execute(_state_query([r.invitation_id for r in rows]))}
    for survey in sorted({inv.survey for inv in state.values()}):
        _cached(conn, surveys, survey)
    # an invitation planned in an earlier pass (it waited for quiet hours or a retry) meets the
    # contact rules again: the whole batch in three queries, the earlier invitation first
    recheck = sorted(
        r.invitation_id
        for r in rows
        if _recheck(r.seq, r.created_at, now)
        and r.invitation_id in state
        and state[r.invitation_id].status not in _CLOSED
    )
    candidates = [rules.Candidate(state[iid].contact_id, surveys[state[iid].survey], now, id=iid) for iid in recheck]
    verdicts = dict(zip(recheck, rules.admit_all(conn, candidates), strict=True))
    claimed = (
        _Claimed(
            **r._mapping,
            invitation=state.get(r.invitation_id),
            rechecked=r.invitation_id in verdicts,
            rule=verdicts.get(r.invitation_id),
        )
        for r in rows
    )
    return sorted(claimed, key=lambda c: c.id)


class _ClaimSize:
    """How many messages the next claim takes: ``settings.batch``, more while a backlog goes fast.

    A claim costs a few round trips and some server time whatever its size (the claim, the
    state read with it, the contact rules asked again): with claims of 20 that was about 0.3 ms
    of each message's time (2,000 SMS to a local sink, profiled).  While claims come back full, the
    next takes as many messages as the last ones went out in a tenth of the lease, between
    ``settings.batch`` and ``_GROWTH`` times it, so a claimed message still goes out long before
    its lease runs out (a slow or hanging gateway keeps the claims at ``settings.batch``, as before).
    The repeat bound of a SIGKILL is not about the claim: claimed messages not sent yet stay
    leased and go once, after the lease, from another worker.  Should the gateway slow down
    after a claim grew (one timing out at every message), the messages of a claim still unsent
    half a lease after it are given back (:func:`_release`) and claimed again, the first of a claim
    always sent, so none goes out after its lease ran out while another worker may have it.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.size = settings.batch
        self._last: tuple[float, int] | None = None  # when the last full claim came back, and its size

    def claimed(self, count: int) -> None:
        """Note a claim of ``count`` messages and size the next one."""
        at = monotonic()
        batch = self.settings.batch
        if count < self.size:  # the backlog is taken: back to the usual size
            self.size, self._last = batch, None
            return
        if self._last is not None:
            started, taken = self._last
            per_message = max(at - started, 1e-6) / taken
            self.size = max(batch, min(batch * _GROWTH, int(self.settings.lease_s / 10 / per_message)))
        self._last = (at, count)


def _release(engine: Engine, left: list[_Claimed]) -> None:
    """Give claimed messages back at once (a stopping worker), without counting the attempt."""
    if not left:
        return
    m = invitation_messages.c
    with write_transaction(engine) as conn:
        conn.execute(
            sa.update(invitation_messages)
            .where(m.id.in_([c.id for c in left]), m.status == "pending")
            .values(lease_until=None, attempts=m.attempts - 1)
        )


def send_due(
    engine: Engine,
    settings: Settings,
    worker: str,
    clock: Callable[[], dt.datetime],
    stats: PassStats,
    stop: Callable[[], bool],
) -> None:
    """Send every message due at ``clock()``, batch by batch, until none is left or ``stop()``.

    Each message's result is recorded on its own, before the next message is sent (one
    autocommitted statement on PostgreSQL, a write transaction on SQLite), on one connection
    kept for the whole loop.  On PostgreSQL a sent message's statement is sent to the server
    before the next message goes out, and its answer read only when the next result is due
    (:class:`_PgResults`): the round trip overlaps the next message's sending instead of
    preceding it.  The claims go on the same connection (:func:`_claim`).

    On PostgreSQL those results and claims are committed with ``synchronous_commit`` off: the
    server has them when the statement returns (a worker killed after it is not asked to send
    the message again), but does not wait for the disk; a flush of the write-ahead log per
    message cost more than the sending itself.  Should the database server itself crash, the
    results and claims of its last fraction of a second (at most three ``wal_writer_delay``,
    0.6 s by default) may be lost, and those messages go again with the same Message-ID or SMS
    id, as a message in flight at a worker's SIGKILL does.  The plan stays synchronous.

    With ``settings.senders`` above 1 the messages are sent that many at once
    (:func:`_send_concurrently`): a real gateway or mail server answers in 50-300 ms, so a worker
    that waits for each answer before the next message is bound by that latency, not by its own
    work.  The price is the bound on repeats: a worker killed with SIGKILL sends again (with the
    same Message-ID or SMS id) at most ``2 * senders`` messages instead of one: those in flight and
    those finished whose record was not yet written (:func:`_send_concurrently`).
    """
    if not settings.channels:
        return
    surveys: dict[str, Questionnaire | None] = {}
    try:
        with write_connection(engine) as conn:  # the results' connection (and the claims', on PostgreSQL)
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                conn.execution_options(isolation_level="AUTOCOMMIT")  # each result is one statement
                with conn.begin():
                    conn.execute(sa.text("SET synchronous_commit TO off"))
            results = _PgResults(conn) if postgres and settings.senders == 1 else None
            size = _ClaimSize(settings)
            try:
                if settings.senders > 1:
                    _send_concurrently(engine, conn, settings, worker, clock, surveys, stats, stop, size)
                    return
                while not stop():
                    if results is not None:
                        results.wait()  # the claim goes on the same connection
                    claimed = _claim(engine, settings, worker, clock(), surveys, conn if postgres else None, size.size)
                    size.claimed(len(claimed))
                    if not claimed:
                        return
                    stale = monotonic() + settings.lease_s / 2
                    for n, message in enumerate(claimed):
                        if stop() or (n and monotonic() > stale):  # see _ClaimSize
                            _release(engine, claimed[n:])
                            break
                        _send_one(conn, results, surveys, settings, message, clock(), stats)
            finally:
                if results is not None:
                    results.wait()  # the last message's result, before the connection is used or returned
                if postgres and not conn.invalidated:
                    if results is not None:
                        results.close()
                    with conn.begin():  # the pooled connection as it was
                        conn.execute(sa.text("RESET synchronous_commit"))
    finally:
        if settings.mailer is not None:
            settings.mailer.close()
        if settings.sms is not None:
            settings.sms.close()


_SKIPPED = "skipped"  # a sender's outcome for a message it gave back unsent (the worker is stopping)


def _send_concurrently(
    engine: Engine,
    conn: Connection,
    settings: Settings,
    worker: str,
    clock: Callable[[], dt.datetime],
    surveys: dict[str, Questionnaire | None],
    stats: PassStats,
    stop: Callable[[], bool],
    size: _ClaimSize,
) -> None:
    """:func:`send_due` with ``settings.senders`` messages sent at once, by as many threads.

    This thread claims, checks each message as :func:`_send_one` does (refusals and postponements
    are recorded here, at once) and queues it for the senders, which render and send it, each on
    its own connection (the adapters keep one per thread).  Whatever the senders have finished is
    recorded together, in one statement on PostgreSQL and one write transaction on SQLite
    (:func:`_record_sent`), once ``senders`` of them have finished (or all that are out, when
    fewer are), and always before the next claim: a group of ``senders`` results is one
    statement where recording whatever had finished made groups of about three of four.

    The bound on repeats: a sender takes one of ``2 * senders`` permits before it sends, and a
    permit comes back only when its message is recorded; at any moment at most ``2 * senders``
    messages have gone out (or are going) unrecorded, ``senders`` in flight and as many
    finished and waiting for the statement, and that is what a SIGKILL may send twice, each
    with its own Message-ID or SMS id as before.  Twice as many permits as senders lets a
    sender go on while the previous results are written, instead of waiting for every write.
    ``stop()`` (asked by each sender before it sends, too) lets the messages in flight finish and
    be recorded and gives the rest back at once.
    """
    postgres = conn.dialect.name == "postgresql"
    window = 2 * settings.senders
    permits = threading.Semaphore(window)
    halt = threading.Event()  # stopping: a message not started yet is given back
    finished: queue.SimpleQueue[tuple[_Claimed, Questionnaire, dt.datetime, BaseException | str | None]]
    finished = queue.SimpleQueue()

    def send(message: _Claimed, q: Questionnaire, stale: float) -> None:
        permits.acquire()
        if halt.is_set() or stop() or monotonic() > stale:
            permits.release()
            finished.put((message, q, clock(), _SKIPPED))
            return
        now = clock()
        outcome: BaseException | None = None
        try:
            _deliver(settings, q, message.invitation, message)
        except BaseException as exc:  # noqa: BLE001 - a DeliveryError is recorded, anything else raised by the caller
            outcome = exc
        finished.put((message, q, now, outcome))

    outstanding = 0  # queued for the senders and not yet reported back
    exhausted = False
    left: list[_Claimed] = []
    with futures.ThreadPoolExecutor(settings.senders, thread_name_prefix="surveykit-sender") as pool:
        try:
            while True:
                if stop():
                    halt.set()
                if outstanding and (halt.is_set() or exhausted or outstanding >= window or not finished.empty()):
                    least = min(settings.senders, outstanding)
                    outstanding -= _record_finished(conn, settings, finished, permits, left, stats, least)
                    continue
                if halt.is_set() or exhausted:
                    break
                _release(engine, left)  # given back as stale (see _ClaimSize): claimable again now
                left.clear()
                claimed = _claim(engine, settings, worker, clock(), surveys, conn if postgres else None, size.size)
                size.claimed(len(claimed))
                exhausted = not claimed
                stale = monotonic() + settings.lease_s / 2
                for n, message in enumerate(claimed):
                    q = _cleared(conn, None, surveys, message, clock(), stats)
                    if q is not None:
                        pool.submit(send, message, q, stale if n else float("inf"))  # the first always goes
                        outstanding += 1
        except BaseException:
            halt.set()  # the senders give back what they have not started
            permits.release(window)  # and none waits for a permit this thread would never return
            raise
    _release(engine, left)


def _record_finished(
    conn: Connection,
    settings: Settings,
    finished: queue.SimpleQueue[tuple[_Claimed, Questionnaire, dt.datetime, BaseException | str | None]],
    permits: threading.Semaphore,
    left: list[_Claimed],
    stats: PassStats,
    least: int = 1,
) -> int:
    """Wait for ``least`` senders' messages, then record them and every other finished by then; how many.

    ``least`` must not exceed the messages queued for the senders and not reported back: each of
    those reports back (sent, failed or given back), so the wait ends.

    Sent messages are recorded together, failures one by one (:func:`_failed`), and messages
    given back unsent are added to ``left``.  Their permits are returned once they are recorded.
    An error other than a :class:`DeliveryError` is raised after the rest is recorded.
    """
    group = [finished.get() for _ in range(least)]
    while not finished.empty():
        group.append(finished.get())
    sent = [(message, q, now) for message, q, now, outcome in group if outcome is None]
    _record_sent(conn, sent)
    stats.sent += len(sent)
    crash = None
    for message, _, now, outcome in group:
        if isinstance(outcome, DeliveryError):
            _failed(conn, settings, message, str(outcome), outcome.permanent, now, stats)
        elif outcome == _SKIPPED:
            left.append(message)
        elif isinstance(outcome, BaseException):
            crash = outcome
    skipped = sum(1 for *_, outcome in group if outcome == _SKIPPED)  # their permits are back already
    if len(group) > skipped:
        permits.release(len(group) - skipped)
    if crash is not None:
        raise crash
    return len(group)


def _record_sent(conn: Connection, sent: list[tuple[_Claimed, Questionnaire, dt.datetime]]) -> None:
    """Record sent messages (each at its own time) and step a first message's invitation to ``sent``.

    On PostgreSQL one statement for them all (:func:`_sent_group`); on SQLite one write
    transaction of :func:`_finish`'s statements, so one commit.
    """
    if not sent:
        return
    if conn.dialect.name == "postgresql":
        expiry = [q.fielding.expires if q.fielding is not None else None for _, q, _ in sent]
        params = {
            "a_id": [message.id for message, _, _ in sent],
            "a_sent_at": [now for _, _, now in sent],
            "a_expires_at": [None if e is None else now + e for (_, _, now), e in zip(sent, expiry, strict=True)],
        }
        with conn.begin():  # under AUTOCOMMIT no BEGIN or COMMIT is sent
            conn.execute(_sent_group(), params)
        return
    with conn.begin():
        for message, q, now in sent:
            expires = q.fielding.expires if q.fielding is not None else None
            then = None
            if message.seq == 0:
                then = tracking.step("sent", now, **({"expires_at": now + expires} if expires is not None else {}))
            _record(conn, message, dict(status="sent", sent_at=now, lease_until=None, last_error=None), then)


@functools.cache
def _sent_group() -> sa.Update:
    """Sent messages recorded in one PostgreSQL statement: arrays of ids, times and expiries.

    The messages still pending are marked sent and the invitations of the first messages among
    them stepped to ``sent`` (a data-modifying WITH, as :func:`_finish` does for one message);
    an expiry of NULL (a survey without ``expires:``) leaves ``expires_at`` as it is.
    """
    m = invitation_messages.c
    given = _from_arrays("given", [m.id, m.sent_at, invitations.c.expires_at])
    done = (
        sa.update(invitation_messages)
        .where(
            m.id == given.c.id,
            # the ids again, as a condition on the table alone: on a table without statistics yet
            # PostgreSQL joined the given rows to every message row (10 ms for 10 of 2,000; 0.8 ms
            # with it, and the primary key's index once the table is analysed)
            m.id == sa.any_(sa.bindparam("a_id", value=None, type_=postgresql.ARRAY(sa.Integer()))),
            (m.status + "") == "pending",  # the primary key's index: see _finish
        )
        .values(status="sent", sent_at=given.c.sent_at, lease_until=None, last_error=None)
        .returning(m.invitation_id, m.seq, given.c.sent_at.label("at"), given.c.expires_at.label("expires"))
        .cte("done")
    )
    return tracking.step("sent", done.c.at, expires_at=done.c.expires).where(
        invitations.c.id == done.c.invitation_id, done.c.seq == 0
    )


def _state_query(invitation_ids: list[int]) -> Any:
    i, c = invitations.c, contacts.c
    return (
        sa.select(
            i.id,
            i.survey,
            i.status,
            i.fields,
            i.contact_id,
            i.channel,
            c.name,
            c.email,
            c.phone,
            c.language,
            c.erased_at,
            c.optout_email_at,
            c.optout_sms_at,
        )
        .select_from(invitations.outerjoin(contacts, c.id == i.contact_id))
        .where(i.id.in_(invitation_ids))
    )


def _finish(conn: Connection, message: _Claimed, values: dict[str, Any], then: sa.Update | None = None) -> None:
    """Record a message's result and, only if it was still pending, ``then`` on its invitation.

    On PostgreSQL both are one statement (a data-modifying WITH) in autocommit: one round trip;
    on SQLite a write transaction of two.
    """
    if conn.dialect.name != "postgresql":
        with conn.begin():
            _record(conn, message, values, then)
        return
    m = invitation_messages.c
    # the status compared as an expression, so that the primary key is the only index that fits: with
    # the statistics of a table just filled (before autovacuum has analysed it) PostgreSQL chose the
    # (status, due_at) index and read every pending row for each message (3.7 ms a message of 2,000)
    still_pending = (m.status + "") == "pending"
    record = sa.update(invitation_messages).where(m.id == message.id, still_pending).values(values)
    with conn.begin():  # under AUTOCOMMIT no BEGIN or COMMIT is sent
        if then is None:
            conn.execute(record)
        else:
            done = record.returning(m.invitation_id).cte("done")
            conn.execute(then.where(invitations.c.id.in_(sa.select(done.c.invitation_id))))


def _record(conn: Connection, message: _Claimed, values: dict[str, Any], then: sa.Update | None) -> None:
    """:func:`_finish`'s two statements on SQLite, in the caller's transaction."""
    m = invitation_messages.c
    record = sa.update(invitation_messages).where(m.id == message.id, (m.status + "") == "pending").values(values)
    if conn.execute(record).rowcount and then is not None:
        conn.execute(then.where(invitations.c.id == message.invitation_id))


def _cleared(
    conn: Connection,
    results: _PgResults | None,
    surveys: dict[str, Questionnaire | None],
    message: _Claimed,
    now: dt.datetime,
    stats: PassStats,
) -> Questionnaire | None:
    """The message's questionnaire when it may go now; else None, its refusal or postponement recorded."""
    inv = message.invitation
    q = surveys[inv.survey] if inv is not None else None  # read with the claim
    # an invitation gone (an erasure that removes them) is cancelled like a refused one
    refusal = _refusal(inv, message, q) if inv is not None else "invitation_removed"
    when = rules.not_before(q, message.channel, now) if refusal is None and q is not None else now
    if refusal is None and when <= now:
        assert q is not None and q.fielding is not None  # _refusal checked the template
        return q
    if results is not None:
        results.wait()  # the previous message's answer first: this one is recorded at once, on the same connection
    if refusal is not None:
        suppress = _suppression(refusal) if message.seq == 0 else None
        _finish(conn, message, dict(status="cancelled", reason=refusal[:100], lease_until=None), suppress)
        stats.cancelled += 1
    else:
        _finish(conn, message, dict(due_at=when, lease_until=None, attempts=message.attempts - 1))
        stats.postponed += 1
    return None


def _send_one(
    conn: Connection,
    results: _PgResults | None,
    surveys: dict[str, Questionnaire | None],
    settings: Settings,
    message: _Claimed,
    now: dt.datetime,
    stats: PassStats,
) -> None:
    q = _cleared(conn, results, surveys, message, now, stats)
    if q is None:
        return
    inv = message.invitation
    try:
        _deliver(settings, q, inv, message)  # meanwhile the previous message's statement runs
    except DeliveryError as exc:
        if results is not None:
            results.wait()
        _failed(conn, settings, message, str(exc), exc.permanent, now, stats)
        return
    assert q.fielding is not None
    expires = q.fielding.expires
    if results is not None:
        results.send(
            message.seq == 0,
            expires is not None,
            m_id=message.id,
            m_now=now,
            m_expires=now + (expires or dt.timedelta()),
        )
    else:
        sent = None
        if message.seq == 0:
            sent = tracking.step("sent", now, **({"expires_at": now + expires} if expires is not None else {}))
        _finish(conn, message, dict(status="sent", sent_at=now, lease_until=None, last_error=None), sent)
    stats.sent += 1


@functools.cache
def _sent_sql(first: bool, expires: bool) -> tuple[bytes, tuple[bytes | None, ...], tuple[tuple[int, str], ...]]:
    """:func:`_finish` of a sent message on PostgreSQL as SQL with ``$n`` parameters, built once.

    (SQL text, every ``$n``'s value in PostgreSQL's text format with the message's own left
    None, and where those go: (index, ``m_id`` / ``m_now`` / ``m_expires``)).  Building and
    cache-keying the statement anew took about as long as the server took to run it (profiled:
    ~1 ms a message); the statement's eight fixed values ("sent", "pending"...) are converted here
    once instead of once a message.
    """
    m = invitation_messages.c
    now = sa.bindparam("m_now", value=None, type_=sa.DateTime())
    record = (
        sa.update(invitation_messages)
        .where(m.id == sa.bindparam("m_id", value=0, type_=sa.Integer()), (m.status + "") == "pending")
        .values(status="sent", sent_at=now, lease_until=None, last_error=None)
    )
    statement: sa.Update = record
    if first:
        extra = {"expires_at": sa.bindparam("m_expires", value=None, type_=sa.DateTime())} if expires else {}
        done = record.returning(m.invitation_id).cte("done")
        statement = tracking.step("sent", now, **extra).where(invitations.c.id.in_(sa.select(done.c.invitation_id)))
    compiled = statement.compile(
        dialect=pg_psycopg.dialect(paramstyle="numeric_dollar"), compile_kwargs={"render_postcompile": True}
    )
    assert compiled.positiontup is not None
    own = ("m_id", "m_now", "m_expires")
    fixed = tuple(None if name in own else _param(compiled.params[name]) for name in compiled.positiontup)
    where = tuple((n, name) for n, name in enumerate(compiled.positiontup) if name in own)
    return compiled.string.encode(), fixed, where


def _param(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text format (the SQL casts each to its column's type)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ").encode()
    return str(value).encode("utf-8")


class _PgResults:
    """The "sent" statements of one worker on PostgreSQL, one in flight while the next message goes out.

    :meth:`send` hands the statement to the server through libpq's asynchronous API
    (``PQsendQueryPrepared`` on the connection's :mod:`psycopg.pq` handle: an implicit transaction,
    committed by the server on its own) and returns without waiting; :meth:`wait` reads the
    answer, which has usually arrived while the next message was sent.  The statement is written
    to the socket before the next message is sent, so a worker killed during that next message
    has left the server a complete statement, which it runs and commits all the same: the only
    message sent twice is still the one in flight.  A failed statement raises in :meth:`wait`,
    one message later, as it would have raised at once before (the message stays pending, and
    its lease expires).  Nothing else may use the connection between the two.

    Each of the (at most four) statements is prepared on the server the first time it is needed
    and deallocated by :meth:`close`: parsed and planned anew for every message, it cost the
    server about as much as running it (PostgreSQL's CPU per SMS 0.48-0.58 ms, 2,000 to a local sink).
    """

    def __init__(self, conn: Connection) -> None:
        self._pgconn: pq.abc.PGconn = conn.connection.driver_connection.pgconn  # type: ignore[union-attr]
        self._in_flight = False
        self._prepared: dict[tuple[bool, bool], bytes] = {}

    def _statement(self, first: bool, expires: bool) -> bytes:
        """The prepared statement's name, prepared now (a round trip, once) if it is not yet."""
        name = self._prepared.get((first, expires))
        if name is None:
            name = f"surveykit_sent_{int(first)}{int(expires)}".encode()
            result = self._pgconn.prepare(name, _sent_sql(first, expires)[0])  # blocking, even on this connection
            if result.status != pq.ExecStatus.COMMAND_OK:
                error = (result.error_message or b"").decode("utf-8", "replace").strip()
                raise sa.exc.DBAPIError("preparing the sent statement", None, RuntimeError(error))
            self._prepared[first, expires] = name
        return name

    def send(self, first: bool, expires: bool, **values: Any) -> None:
        self.wait()
        name = self._statement(first, expires)
        _, fixed, where = _sent_sql(first, expires)
        params = list(fixed)
        for n, key in where:
            params[n] = _param(values[key])
        self._pgconn.send_query_prepared(name, params)
        self._in_flight = True
        while self._pgconn.flush():  # a non-blocking connection: wait until the statement is all out
            select.select([], [self._pgconn.socket], [])

    def wait(self) -> None:
        if not self._in_flight:
            return
        self._in_flight = False
        error = None
        while True:
            while self._pgconn.is_busy():
                select.select([self._pgconn.socket], [], [])
                self._pgconn.consume_input()
            result = self._pgconn.get_result()
            if result is None:
                break
            if result.status != pq.ExecStatus.COMMAND_OK and error is None:
                error = (result.error_message or b"").decode("utf-8", "replace").strip()
        if error is not None:
            raise sa.exc.DBAPIError("recording a sent message", None, RuntimeError(error))

    def close(self) -> None:
        """Deallocate the prepared statements: the pooled connection as it was (a next worker prepares anew)."""
        while self._prepared:
            self._pgconn.exec_(b"DEALLOCATE " + self._prepared.popitem()[1])


def _refusal(inv: Any, message: _Claimed, q: Questionnaire | None) -> str | None:
    """Why this message must not go now (answered, opted out, erased, expired, a rule), or None."""
    if inv.status in _CLOSED:
        return inv.status
    if _template_missing(q, message.channel, message.seq):
        return "no_template"
    if inv.erased_at is not None:
        return "contact_erased"
    if inv.optout_email_at is not None or inv.optout_sms_at is not None:
        return "opted_out"
    return message.rule if message.rechecked else None


def _recheck(seq: int, created_at: dt.datetime, now: dt.datetime) -> bool:
    """A first message planned over a minute ago meets the contact rules again before it goes."""
    return seq == 0 and created_at < now - _RECHECK_AFTER


def _field_values(q: Questionnaire, fields: dict[str, Any], lang: str) -> dict[str, str]:
    """Each declared field as the customer should read it: its label when the field declares one."""
    out = {}
    for f in q.fields:
        value = str(fields.get(f.id, "") or "")
        label = dict(f.values).get(value)
        out[f.id] = label.best(lang) if label is not None else value
    return out


def _deliver(settings: Settings, q: Questionnaire, inv: Any, message: _Claimed) -> None:
    assert q.fielding is not None
    lang = inv.language if inv.language in q.languages else q.languages[0]
    optout = links.optout_url(settings.base_url, links.optout_token(settings.secret, inv.contact_id, message.channel))
    values = {
        **_field_values(q, inv.fields or {}, lang),
        "name": inv.name or "",
        "link": links.short_url(settings.base_url, links.short_code(settings.secret, inv.id)),
        "optout": optout,
    }
    templates = q.fielding.messages(message.seq)
    if message.channel == "email":
        email = templates.email
        assert email is not None and settings.mailer is not None
        if not inv.email:
            raise DeliveryError("the contact has no e-mail address", permanent=True)
        mail = compose_email(
            message_id=message.message_id,
            created_at=message.created_at,
            sender=settings.sender,
            to=inv.email,
            subject=render(email.subject.best(lang), values),
            text=render(email.text.best(lang), values),
            html=render(email.html.best(lang), values, escape_html=True) if email.html is not None else None,
            optout_url=optout,
            language=lang,
        )
        settings.mailer.send(mail, inv.email)
    else:
        sms = templates.sms
        assert sms is not None and settings.sms is not None
        if not inv.phone:
            raise DeliveryError("the contact has no phone number", permanent=True)
        settings.sms.send(inv.phone, render(sms.best(lang), values), message.message_id)


def _failed(
    conn: Connection,
    settings: Settings,
    message: _Claimed,
    error: str,
    permanent: bool,
    now: dt.datetime,
    stats: PassStats,
) -> None:
    give_up = permanent or message.attempts >= settings.max_attempts
    values: dict[str, Any] = dict(last_error=error[:1000], lease_until=None)
    if give_up:
        values["status"] = "failed"
        stats.failed += 1
    else:
        values["due_at"] = now + dt.timedelta(seconds=min(_MAX_BACKOFF_S, 60 * 2 ** max(0, message.attempts - 1)))
        stats.retried += 1

    _finish(conn, message, values, tracking.step("failed", now) if give_up and message.seq == 0 else None)


# -- one pass -------------------------------------------------------------------------------------------


def run_pass(
    engine: Engine,
    settings: Settings,
    *,
    worker: str,
    clock: Callable[[], dt.datetime],
    stop: Callable[[], bool] = lambda: False,
) -> PassStats:
    """Plan, send, deliver webhooks and case mail, purge expired contact data; what happened.

    Planning and sending go in rounds of at most ``_PLAN_LIMIT`` invitations, the first of at most
    ``_FIRST_PLAN``: a plan of 1,000 takes the planner over 0.1 s (PostgreSQL, 2,000 SMS), during
    which nothing went out and a second worker waited for the plan's lock with nothing to send;
    after a small first plan the first messages go at once, and a second worker plans the next
    round while the first sends.
    """
    stats = PassStats()
    more, limit = True, _FIRST_PLAN
    while more and not stop():
        more = plan(engine, settings, clock(), stats, limit)
        send_due(engine, settings, worker, clock, stats, stop)
        limit = _PLAN_LIMIT
    if not stop():
        stats.webhooks = webhooks.deliver_due(
            engine, worker, clock(), batch=settings.batch, timeout=settings.webhook_timeout, stop=stop
        )
    if not stop() and settings.smtp is not None and settings.routing is not None:
        from surveykit import cases

        cases.mark_overdue(engine, now=clock())
        case_mail = notify.send_pending(engine, settings.smtp, settings.routing, worker=worker, now=clock)
        stats.notifications = (case_mail.sent, case_mail.retried, case_mail.failed)
    if not stop():
        _purge(engine, clock(), stats)
        stats.notes.extend(evidence_purge.purge_configured(engine, clock()))  # audit photos no row needs
    return stats


def _purge(engine: Engine, now: dt.datetime, stats: PassStats) -> None:
    """The retention purge of :mod:`surveykit.contacts`, when that module provides it."""
    try:
        contacts_module = importlib.import_module("surveykit.contacts")
    except ImportError:
        return
    purge = getattr(contacts_module, "purge_expired", None)
    if purge is not None:
        purged = purge(engine, now)
        if purged:
            stats.notes.append(f"purged contact data: {purged}")
