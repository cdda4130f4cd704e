"""An invitation's status as it moves on: sent, opened, started, completed, opted out, expired.

Each step stamps its own time once (``opened_at``...) and moves ``status`` only
forward, so a late or repeated event (a second click, a reminder's click after
the answer) never takes an invitation back.  ``status`` NULL is an invitation of
``surveykit invite`` (a link handed out when made); it moves on like ``sent``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from surveykit.database import invitations

__all__ = ["STATUSES", "advance", "step"]

STATUSES = ("scheduled", "suppressed", "sent", "failed", "opened", "started", "completed", "opted_out", "expired")

# the statuses a step may move an invitation from (None: a link invitation of `surveykit invite`)
_FROM: dict[str, tuple[str | None, ...]] = {
    "sent": ("scheduled", "failed"),
    "failed": ("scheduled",),
    "opened": (None, "sent", "failed"),
    "started": (None, "sent", "failed", "opened"),
    "completed": (None, "scheduled", "sent", "failed", "opened", "started", "opted_out", "expired"),
    "opted_out": (None, "scheduled", "sent", "failed", "opened", "started"),
    "expired": (None, "sent", "failed", "opened", "started"),
}


def advance(conn: Connection, invitation_id: int, status: str, now: dt.datetime, **extra: Any) -> None:
    """Stamp ``<status>_at`` (once, where the table has it) and move to ``status`` if that is forward.

    One UPDATE; ``extra`` columns are set only where still NULL (``expires_at`` when sent).
    """
    conn.execute(step(status, now, **extra).where(invitations.c.id == invitation_id))


def step(status: str, now: dt.datetime | sa.ColumnElement[dt.datetime], **extra: Any) -> sa.Update:
    """The UPDATE of :func:`advance` without its WHERE, for a caller that picks the rows itself.

    ``now`` (and ``extra``) may be bound parameters, for a statement built once and run often.
    """
    if status not in _FROM:
        raise ValueError(f"{status!r} is not a step (steps: {', '.join(_FROM)})")
    i = invitations.c
    allowed = [s for s in _FROM[status] if s is not None]
    forward = sa.or_(i.status.in_(allowed), i.status.is_(None)) if None in _FROM[status] else i.status.in_(allowed)
    values: dict[str, Any] = {"status": sa.case((forward, status), else_=i.status)}
    stamps = {f"{status}_at": now, **extra} if f"{status}_at" in i else dict(extra)  # expiry: expires_at says when
    for name, value in stamps.items():
        values[name] = sa.func.coalesce(i[name], value)
    return sa.update(invitations).values(values)
