"""Notifications of new and overdue cases: an outbox table, and a worker that mails it.

Writing.  :func:`queue` adds one message per case and kind (``new_case``,
``overdue``) inside the transaction that opens the case or finds it overdue
(:mod:`surveykit.cases`), so a message exists exactly when its cause
committed; a unique constraint on ``(case_id, kind)`` keeps it to one.  The
message's Message-ID is made there and stored with it.

Sending (:func:`send_pending`, run by ``surveykit notify``).  A worker *claims*
a batch of pending messages by stamping them with its name and a lease
(``lease_until``) in one short transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's write lock serialises claims).  It then sends each one
over SMTP and records the result in a transaction of its own.  A pending
message whose lease has run out is claimed again by the next run, so a worker
killed at any moment loses nothing.  A message goes out twice only when the
worker dies after the SMTP server accepted it and before the result was
recorded; the copy carries the same Message-ID (and Date), so mail clients
fold the two.

Failures: a temporary one (an SMTP 4xx reply, a dropped connection, a
timeout) leaves the message pending with a back-off of 1, 2, 4... minutes (at
most an hour) until ``max_attempts`` claims; a permanent one (a 5xx reply,
every recipient refused) marks it failed at once.  ``last_error`` says why.
The mail names the case, its rule, dealer, department and deadline, and links
to the case page; it carries none of the customer's answers.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import smtplib
import socket
import ssl
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from surveykit.database import outbox, utcnow, write_transaction
from surveykit.org import unit_names

__all__ = [
    "KINDS",
    "Message",
    "Routing",
    "SendStats",
    "SmtpSettings",
    "claim",
    "close",
    "connect",
    "counts",
    "email_of",
    "messages_of",
    "queue",
    "send_pending",
    "smtp_error",
    "worker_name",
]

KINDS = ("new_case", "overdue")
# Message-IDs are fixed when the message is written, before anyone knows the sending host.
MESSAGE_ID_DOMAIN = "surveykit.invalid"
_MAX_BACKOFF_S = 3600


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send: ``security`` is ``starttls`` (default), ``ssl`` or ``none``."""

    host: str
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "surveykit@localhost"
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.security not in ("starttls", "ssl", "none"):
            raise ValueError(f"security must be starttls, ssl or none, not {self.security!r}")

    @classmethod
    def from_url(cls, url: str, sender: str = "surveykit@localhost", timeout: float = 30.0) -> SmtpSettings:
        """``smtp://user:pass@host:587?starttls=1`` (``starttls=0``: plain; ``smtps://``: TLS from the start).

        User and password are percent-decoded; the port defaults to 587 (465 for smtps).
        """
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("write the SMTP server as smtp://user:password@host:587?starttls=1 (or smtps://...)")
        query = urllib.parse.parse_qs(parts.query)
        starttls = query.get("starttls", ["1"])[-1] not in ("0", "false", "no")
        security = "ssl" if parts.scheme == "smtps" else ("starttls" if starttls else "none")
        unquote = urllib.parse.unquote
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 587),
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=sender,
            timeout=timeout,
        )


@dataclass(frozen=True, slots=True)
class Routing:
    """Who gets a case's mail: the addresses of its department, else the default ones."""

    default: tuple[str, ...]
    departments: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def recipients(self, department: str | None) -> tuple[str, ...]:
        return self.departments.get(department or "", ()) or self.default

    @classmethod
    def parse(cls, default: Iterable[str], pairs: Iterable[str]) -> Routing:
        """From addresses (``a@x,b@y``) and ``DEPARTMENT=ADDRESS[,ADDRESS]`` pairs."""
        departments = {}
        for pair in pairs:
            name, sep, addresses = pair.partition("=")
            if not sep or not name.strip() or not _addresses(addresses):
                raise ValueError(f"{pair!r}: write DEPARTMENT=ADDRESS[,ADDRESS]")
            departments[name.strip()] = _addresses(addresses)
        base = tuple(a for value in default for a in _addresses(value))
        if not base:
            raise ValueError("give at least one default recipient address")
        return cls(base, departments)


def _addresses(text: str) -> tuple[str, ...]:
    found = tuple(a.strip() for a in text.split(",") if a.strip())
    for address in found:
        if "@" not in address or any(ch in address for ch in '\r\n<>" '):
            raise ValueError(f"{address!r} is not an e-mail address")
    return found


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    message_id: str
    case_id: int
    kind: str
    department: str | None
    subject: str
    body: str
    created_at: dt.datetime
    attempts: int


@dataclass(slots=True)
class SendStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def worker_name() -> str:
    """A name for this worker process, recorded on the messages it claims."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


# -- writing -------------------------------------------------------------------------------------------


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())[:200]


def _compose(case: Mapping[str, Any], kind: str) -> tuple[str, str]:
    number, label = case["id"], case.get("label") or {}
    rule = " / ".join(dict.fromkeys(_one_line(v) for v in label.values())) or case["alert"]
    due = f"{case['first_contact_due']:%Y-%m-%d %H:%M} UTC"
    if kind == "new_case":
        subject = f"[surveykit] 新回访案件 #{number} / New case #{number} ({case['priority']}): {rule}"
        opening = (
            f"一位客户的答卷触发了回访规则，需要在 {due} 之前首次联系客户。\n"
            f"A customer's answers met a follow-up rule; the first contact is due by {due}."
        )
    elif kind == "overdue":
        subject = f"[surveykit] 超时未联系 #{number} / Overdue: no first contact on case #{number}"
        opening = (
            f"案件 #{number} 的首次联系期限（{due}）已过，仍未记录与客户的联系。\n"
            f"The first-contact deadline of case #{number} ({due}) has passed with no contact recorded."
        )
    else:
        raise ValueError(f"unknown message kind {kind!r} (kinds: {', '.join(KINDS)})")
    lines = [
        opening,
        "",
        f"案件 Case: #{number}",
        f"规则 Rule: {case['alert']} – {rule}",
        f"优先级 Priority: {case['priority']}",
        f"问卷 Survey: {case['survey']}",
        f"经销商 Dealer: {_dealer(case)}",
        f"部门 Department: {_one_line(case.get('department') or '–')}",
        f"首次联系期限 First contact due: {due}",
    ]
    return subject, "\n".join(lines) + "\n"


def _insert(conn: Connection) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(outbox)


def _dealer(case: Mapping[str, Any]) -> str:
    """The dealer's code and, when the organisation knows it, its names (``DE01 北京安达汽车服务 / Anda Motors Beijing``)."""
    code = _one_line(case.get("dealer") or "–")
    given = case.get("dealer_names") or {}
    # Chinese first, as every line of the mail (JSONB does not keep the order of the keys)
    names = " / ".join(dict.fromkeys(_one_line(given[k]) for k in ("zh", "en", *sorted(given)) if given.get(k)))
    return f"{code} {names}" if names else code


def queue(conn: Connection, case: Mapping[str, Any], kind: str) -> None:
    """Write the ``kind`` message of ``case`` (a case row as a mapping) to the outbox, once, in ``conn``'s transaction."""
    if case.get("dealer"):
        case = {**case, "dealer_names": unit_names(conn, str(case["dealer"]))}
    subject, body = _compose(case, kind)
    # short enough that the header is never folded; unique by (case, kind) already, the random part across stores
    message_id = f"<{secrets.token_hex(8)}.case{case['id']}.{kind}@{MESSAGE_ID_DOMAIN}>"
    values = dict(
        message_id=message_id,
        case_id=case["id"],
        kind=kind,
        department=case.get("department"),
        subject=subject,
        body=body,
        created_at=utcnow(),
        status="pending",
        attempts=0,
    )
    conn.execute(_insert(conn).values(values).on_conflict_do_nothing(index_elements=["case_id", "kind"]))


# -- sending -------------------------------------------------------------------------------------------


def claim(
    engine: Engine, worker: str, *, batch: int = 20, lease_s: float = 300, now: dt.datetime | None = None
) -> list[Message]:
    """Claim up to ``batch`` sendable messages (pending, lease free or run out) for ``lease_s`` seconds."""
    now = now or utcnow()
    o = outbox.c
    ready = sa.and_(o.status == "pending", sa.or_(o.lease_until.is_(None), o.lease_until <= now))
    with write_transaction(engine) as conn:
        # ids first, then the update: PostgreSQL may re-run an IN (... LIMIT n) subquery per row,
        # seeing its own stamps, and so claim more than n
        pick = sa.select(o.id).where(ready).order_by(o.id).limit(batch)
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = list(conn.execute(pick).scalars())
        if not ids:
            return []
        rows = conn.execute(
            sa.update(outbox)
            .where(o.id.in_(ids), ready)
            .values(claimed_by=worker[:100], lease_until=now + dt.timedelta(seconds=lease_s), attempts=o.attempts + 1)
            .returning(o.id, o.message_id, o.case_id, o.kind, o.department, o.subject, o.body, o.created_at, o.attempts)
        ).all()
    return sorted((Message(**r._mapping) for r in rows), key=lambda m: m.id)


def email_of(message: Message, sender: str, recipients: Iterable[str], base_url: str | None = None) -> EmailMessage:
    """The mail of an outbox message: the same Message-ID and Date on every attempt."""
    mail = EmailMessage()
    mail["Message-ID"] = message.message_id
    mail["Date"] = format_datetime(message.created_at.replace(tzinfo=dt.UTC))
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Subject"] = message.subject
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    mail["X-Surveykit-Case"] = str(message.case_id)
    where = (
        f"{base_url.rstrip('/')}/admin/cases/{message.case_id}"
        if base_url
        else f"surveykit cases show {message.case_id} --db ..."
    )
    mail.set_content(f"{message.body}\n案件页面 Case page: {where}\n")
    return mail


def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    """An open SMTP session (TLS and login as the settings say); shared with the invitation worker."""
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
    except BaseException:
        client.close()  # a refused STARTTLS or login must not leave the socket to the garbage collector
        raise
    return client


def _record_sent(engine: Engine, message: Message, recipients: Iterable[str], now: dt.datetime) -> None:
    o = outbox.c
    with write_transaction(engine) as conn:
        conn.execute(
            sa.update(outbox)
            .where(o.id == message.id, o.status == "pending")
            .values(status="sent", sent_at=now, lease_until=None, recipients=", ".join(recipients), last_error=None)
        )


def _record_failure(
    engine: Engine, message: Message, error: str, *, permanent: bool, max_attempts: int, now: dt.datetime
) -> bool:
    """Record a failed attempt; True when the message is given up (failed), False when it will be retried."""
    o = outbox.c
    give_up = permanent or message.attempts >= max_attempts
    values: dict[str, Any] = dict(last_error=error[:1000])
    if give_up:
        values.update(status="failed", lease_until=None)
    else:
        backoff = min(_MAX_BACKOFF_S, 60 * 2 ** max(0, message.attempts - 1))
        values.update(lease_until=now + dt.timedelta(seconds=backoff))
    with write_transaction(engine) as conn:
        conn.execute(sa.update(outbox).where(o.id == message.id, o.status == "pending").values(values))
    return give_up


def smtp_error(exc: BaseException) -> str:
    """What went wrong, for ``last_error``: the exception's type, and the SMTP code and reply if any."""
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{type(exc).__name__}: {exc.smtp_code} {detail}"
    return f"{type(exc).__name__}: {exc}"


def send_pending(
    engine: Engine,
    smtp: SmtpSettings,
    routing: Routing,
    *,
    worker: str | None = None,
    batch: int = 20,
    lease_s: float = 300,
    base_url: str | None = None,
    max_attempts: int = 8,
    now: Any = utcnow,
) -> SendStats:
    """Send every message that can be claimed now; return what happened.

    ``lease_s`` must comfortably exceed the time to send ``batch`` messages.
    ``now`` is the clock (a function), replaceable in tests.
    """
    worker = worker or worker_name()
    stats = SendStats()
    while True:
        claimed = claim(engine, worker, batch=batch, lease_s=lease_s, now=now())
        if not claimed:
            return stats
        client: smtplib.SMTP | None = None
        try:
            for n, message in enumerate(claimed):
                recipients = routing.recipients(message.department)
                mail = email_of(message, smtp.sender, recipients, base_url)
                try:
                    if client is None:
                        client = connect(smtp)
                except (smtplib.SMTPException, OSError) as exc:
                    # the server is unreachable: every message of the batch waits for the next try
                    for left in claimed[n:]:
                        given_up = _record_failure(
                            engine, left, smtp_error(exc), permanent=False, max_attempts=max_attempts, now=now()
                        )
                        stats.failed += given_up
                        stats.retried += not given_up
                    return stats
                try:
                    refused = client.send_message(mail, from_addr=smtp.sender, to_addrs=list(recipients))
                except smtplib.SMTPRecipientsRefused as exc:
                    _record_failure(
                        engine, message, smtp_error(exc), permanent=True, max_attempts=max_attempts, now=now()
                    )
                    stats.failed += 1
                except smtplib.SMTPResponseException as exc:
                    given_up = _record_failure(
                        engine,
                        message,
                        smtp_error(exc),
                        permanent=exc.smtp_code >= 500,
                        max_attempts=max_attempts,
                        now=now(),
                    )
                    stats.failed += given_up
                    stats.retried += not given_up
                except (smtplib.SMTPException, OSError) as exc:
                    given_up = _record_failure(
                        engine, message, smtp_error(exc), permanent=False, max_attempts=max_attempts, now=now()
                    )
                    stats.failed += given_up
                    stats.retried += not given_up
                    close(client)
                    client = None
                else:
                    _record_sent(engine, message, [r for r in recipients if r not in refused], now())
                    stats.sent += 1
        finally:
            close(client)


def close(client: smtplib.SMTP | None) -> None:
    """QUIT, or just drop the connection when the server is gone."""
    if client is None:
        return
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


# -- reading -------------------------------------------------------------------------------------------


def counts(engine: Engine) -> dict[str, int]:
    """Messages by status (pending, sent, failed)."""
    o = outbox.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(o.status, sa.func.count()).group_by(o.status)).all()
    return {"pending": 0, "sent": 0, "failed": 0, **{status: int(n) for status, n in rows}}


def messages_of(engine: Engine, case_id: int) -> list[dict[str, Any]]:
    """A case's messages: kind, status, when written and sent, to whom, the last error."""
    o = outbox.c
    stmt = (
        sa.select(o.kind, o.status, o.created_at, o.sent_at, o.recipients, o.attempts, o.last_error, o.message_id)
        .where(o.case_id == case_id)
        .order_by(o.id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
