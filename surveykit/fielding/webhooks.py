"""Webhooks: ``response.completed`` and ``case.opened`` told to the dealer's systems, signed.

Writing.  :func:`on_submit` runs inside the submission's transaction and writes
one delivery row per event and endpoint (the survey's ``webhooks:`` and the
installation's), so a delivery exists exactly when its response committed.  The
row holds the JSON body as it will be signed and its ``webhook_id``, derived
from the endpoint, the event and the response or case: the same on every
attempt, so a receiver de-duplicates by it.  A receiver gets the codebook's
variables of a response and its segment fields, never the contact's name,
e-mail or phone.

Sending (:func:`deliver_due`, run by the worker) is at least once: a delivery
is claimed with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), POSTed, and
marked sent only on a 2xx answer; anything else, or no answer within the
timeout, is retried after 1, 2, 4... minutes (at most an hour between tries) up
to :data:`MAX_ATTEMPTS`, then marked failed with the last error.

Signing follows the Standard Webhooks specification (v1): headers
``webhook-id``, ``webhook-timestamp`` (Unix seconds of the attempt) and
``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, the key
being the base64 part of the ``whsec_...`` secret read from the environment
variable the endpoint names.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from surveykit.database import cases, utcnow, webhook_deliveries, write_transaction
from surveykit.fielding import installation
from surveykit.fielding.declared import Webhook
from surveykit.model import Questionnaire

__all__ = ["MAX_ATTEMPTS", "Delivery", "deliver_due", "on_submit", "sign"]

MAX_ATTEMPTS = 12
_MAX_BACKOFF_S = 3600


def sign(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header value (Standard Webhooks v1) of one attempt."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def _endpoints(q: Questionnaire, event: str) -> list[Webhook]:
    hooks = list(q.fielding.webhooks) if q.fielding is not None else []
    hooks += installation.current().webhooks
    return [h for h in hooks if event in h.events]


def _webhook_id(url: str, event: str, subject: str) -> str:
    return "msg_" + hashlib.sha256(f"{url}\n{event}\n{subject}".encode()).hexdigest()[:40]


def _iso(value: Any) -> Any:
    return value.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z") if isinstance(value, dt.datetime) else value


def _queue(conn: Connection, hooks: Iterable[Webhook], event: str, subject: str, data: Mapping[str, Any]) -> None:
    now = utcnow()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for hook in hooks:
        webhook_id = _webhook_id(hook.url, event, subject)
        body = json.dumps(
            {"type": event, "timestamp": _iso(now), "data": data},
            ensure_ascii=False,
            separators=(",", ":"),
            default=_iso,
        )
        conn.execute(
            insert(webhook_deliveries)
            .values(
                webhook_id=webhook_id,
                url=hook.url,
                secret_env=hook.secret_env,
                event=event,
                subject=subject,
                payload=body,
                created_at=now,
                status="pending",
                attempts=0,
                due_at=now,
            )
            .on_conflict_do_nothing(index_elements=["webhook_id"])
        )


def on_submit(conn: Connection, q: Questionnaire, row: Mapping[str, Any], opened: Sequence[int] = ()) -> None:
    """Queue ``response.completed`` for a response just stored, and ``case.opened`` for its new cases."""
    completed = _endpoints(q, "response.completed")
    if completed:
        data = {
            "survey": row["survey"],
            "response_id": row["response_id"],
            "version": q.version,
            "language": row.get("language"),
            "wave": row.get("wave"),
            "started_at": row.get("started_at"),
            "submitted_at": row.get("submitted_at"),
            "invitation_id": row.get("invitation_id"),
            "fields": row.get("fields") or {},
            "answers": row.get("answers") or {},
        }
        _queue(conn, completed, "response.completed", row["response_id"], data)
    hooks = _endpoints(q, "case.opened") if opened else []
    if hooks:
        c = cases.c
        found = conn.execute(
            sa.select(
                c.id, c.survey, c.response_id, c.alert, c.dealer, c.department, c.priority, c.first_contact_due
            ).where(c.id.in_(list(opened)))
        ).all()
        for case in found:
            data = {"case_id": case.id, **{k: v for k, v in case._mapping.items() if k != "id"}}
            _queue(conn, hooks, "case.opened", f"case:{case.id}", data)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    webhook_id: str
    url: str
    secret_env: str
    payload: str
    attempts: int


def _claim(engine: Engine, worker: str, now: dt.datetime, batch: int, lease_s: float) -> list[Delivery]:
    d = webhook_deliveries.c
    ready = sa.and_(d.status == "pending", d.due_at <= now, sa.or_(d.lease_until.is_(None), d.lease_until <= now))
    with write_transaction(engine) as conn:
        pick = sa.select(d.id).where(ready).order_by(d.due_at, d.id).limit(batch)
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = list(conn.execute(pick).scalars())
        if not ids:
            return []
        rows = conn.execute(
            sa.update(webhook_deliveries)
            .where(d.id.in_(ids), ready)
            .values(claimed_by=worker[:100], lease_until=now + dt.timedelta(seconds=lease_s), attempts=d.attempts + 1)
            .returning(d.id, d.webhook_id, d.url, d.secret_env, d.payload, d.attempts)
        ).all()
    return sorted((Delivery(**r._mapping) for r in rows), key=lambda x: x.id)


def _post(delivery: Delivery, timeout: float) -> tuple[int | None, str | None]:
    """(HTTP status, error): (2xx, None) when delivered."""
    secret = os.environ.get(delivery.secret_env)
    if not secret:
        return None, f"the signing secret {delivery.secret_env} is not set in the environment"
    timestamp = int(time.time())  # the receiver checks it against its own clock: real time, never --now
    try:
        signature = sign(secret, delivery.webhook_id, timestamp, delivery.payload)
    except (ValueError, TypeError):
        return None, f"{delivery.secret_env} is not a whsec_<base64> secret"
    request = urllib.request.Request(  # noqa: S310 - the URL is checked to be http(s) when read
        delivery.url,
        data=delivery.payload.encode("utf-8"),
        headers={
            "Content-Type": "application/json",
            "webhook-id": delivery.webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
        },
        method="POST",
    )
    try:
        # the endpoint is the http(s) URL a survey's or the installation's webhooks: declares
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
            response.read(65536)
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(reason).__name__}: {reason}"


def deliver_due(
    engine: Engine,
    worker: str,
    now: dt.datetime,
    *,
    batch: int = 20,
    lease_s: float = 120,
    timeout: float = 10.0,
    stop: Any = None,
) -> tuple[int, int, int]:
    """POST every due delivery once; returns (delivered, to retry, failed).  ``stop()`` ends between deliveries."""
    sent = retried = failed = 0
    d = webhook_deliveries.c
    while not (stop and stop()):
        claimed = _claim(engine, worker, now, batch, lease_s)
        if not claimed:
            break
        for delivery in claimed:
            if stop and stop():
                break
            status, error = _post(delivery, timeout)
            values: dict[str, Any] = {"last_status": status, "lease_until": None}
            if error is None:
                values.update(status="sent", sent_at=utcnow(), last_error=None)
                sent += 1
            elif delivery.attempts >= MAX_ATTEMPTS:
                values.update(status="failed", last_error=error[:1000])
                failed += 1
            else:
                backoff = min(_MAX_BACKOFF_S, 60 * 2 ** (delivery.attempts - 1))
                values.update(due_at=now + dt.timedelta(seconds=backoff), last_error=error[:1000])
                retried += 1
            with write_transaction(engine) as conn:
                conn.execute(
                    sa.update(webhook_deliveries).where(d.id == delivery.id, d.status == "pending").values(values)
                )
    return sent, retried, failed
