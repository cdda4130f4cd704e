"""An invitation's status as it moves on: sent, opened, started, completed, opted out, expired.

Each step stamps its own time once (``opened_at``...) and moves ``status`` only
forward, so a late or repeated event (a second click, a reminder's click after
the answer) never takes an invitation back.  ``status`` NULL is an invitation of
``surveykit invite`` (a link handed out when made); it moves on like ``sent``.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from surveykit.database import invitations

__all__ = ["STATUSES", "advance"]

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


def advance(conn: Connection, invitation_id: int, status: str, now: dt.datetime) -> bool:
    """Stamp ``<status>_at`` (once, where the table has it) and move to ``status`` if that is forward; True when the status moved."""
    if status not in _FROM:
        raise ValueError(f"{status!r} is not a step (steps: {', '.join(_FROM)})")
    i = invitations.c
    if f"{status}_at" in i:  # expiry has no stamp of its own: expires_at says when
        stamp = i[f"{status}_at"]
        conn.execute(sa.update(invitations).where(i.id == invitation_id, stamp.is_(None)).values({stamp.key: now}))
    allowed = [s for s in _FROM[status] if s is not None]
    moved = sa.or_(i.status.in_(allowed), i.status.is_(None)) if None in _FROM[status] else i.status.in_(allowed)
    result = conn.execute(sa.update(invitations).where(i.id == invitation_id, moved).values(status=status))
    return bool(result.rowcount)
