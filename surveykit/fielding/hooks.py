"""What a submission and a started draft tell fielding, inside their own transactions.

:mod:`surveykit.storage` calls these so that an invitation's ``completed`` (or
``started``) status and the webhook deliveries of a response commit or roll back
with the response itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from surveykit.database import utcnow
from surveykit.fielding import tracking, webhooks
from surveykit.model import Questionnaire

__all__ = ["on_draft", "on_submit"]


def on_submit(conn: Connection, q: Questionnaire, row: Mapping[str, Any], opened: Sequence[int] = ()) -> None:
    """A response was just stored: its invitation is completed; webhooks are queued."""
    if row.get("invitation_id") is not None:
        tracking.advance(conn, row["invitation_id"], "completed", utcnow())
    webhooks.on_submit(conn, q, row, opened)


def on_draft(conn: Connection, invitation_id: int | None) -> None:
    """A respondent of an invitation saved a first page: the invitation is started."""
    if invitation_id is not None:
        tracking.advance(conn, invitation_id, "started", utcnow())
