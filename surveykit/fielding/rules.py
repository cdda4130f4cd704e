"""Contact rules: whether a contact may be sent an invitation or a message now.

:func:`admit` is asked twice about an invitation: when it is created (the API
records a suppressed one with the reason at once) and by the worker just before
the invitation goes out, since time, answers and opt-outs move on in between.
:func:`admit_message` is asked before each reminder.  A refusal is a reason
string recorded on the invitation (``suppression_reason``) or on the message:

``opted_out``
    the contact opted out on any channel: no message of any kind goes to them;
``contact_erased``
    the contact's data was erased;
``contact_rule:max_invitations``
    the contact had ``count`` invitations (any survey) sent, or already waiting to
    be sent, within ``per`` (the survey's rule and the installation's both apply);
``contact_rule:max_messages``
    the contact was sent ``count`` messages (invitations and reminders) within ``per``.

Quiet hours never refuse a message: it waits (:func:`not_before`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from surveykit.database import contacts, invitation_messages, invitations
from surveykit.fielding import installation, schedule
from surveykit.fielding.declared import ContactRules
from surveykit.fielding.surveys import questionnaire_of
from surveykit.model import Questionnaire

__all__ = ["admit", "admit_message", "not_before", "rules_for"]

# statuses of an invitation that went out (a failed one never reached the contact)
_WENT_OUT = ("sent", "opened", "started", "completed", "opted_out", "expired")


def rules_for(q: Questionnaire | None) -> list[ContactRules]:
    """The rules that apply to a survey: the installation's, then its own."""
    found = [installation.current().contact_rules]
    if q is not None and q.fielding is not None:
        found.append(q.fielding.contact_rules)
    return [r for r in found if r is not None]


def _contact_refusal(conn: Connection, contact_id: int | None) -> str | None:
    if contact_id is None:
        return None
    c = contacts.c
    row = conn.execute(sa.select(c.erased_at, c.optout_email_at, c.optout_sms_at).where(c.id == contact_id)).first()
    if row is None or row.erased_at is not None:
        return "contact_erased"
    if row.optout_email_at is not None or row.optout_sms_at is not None:
        return "opted_out"
    return None


def _messages_sent(conn: Connection, contact_id: int, since: dt.datetime) -> int:
    m, i = invitation_messages.c, invitations.c
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(invitation_messages.join(invitations, m.invitation_id == i.id))
            .where(i.contact_id == contact_id, m.status == "sent", m.sent_at > since)
        ).scalar_one()
    )


def _invitations_counted(
    conn: Connection, contact_id: int, invitation_id: int | None, now: dt.datetime, per: dt.timedelta
) -> int:
    """Other invitations of the contact that went out within ``per``, or wait to go out (created earlier)."""
    i = invitations.c
    waiting = sa.and_(
        i.status == "scheduled",
        sa.func.coalesce(i.send_at, i.created_at) > now - per,
        sa.func.coalesce(i.send_at, i.created_at) < now + per,
    )
    if invitation_id is not None:
        waiting = sa.and_(waiting, i.id < invitation_id)
    went_out = sa.and_(i.status.in_(_WENT_OUT), i.sent_at > now - per)
    stmt = sa.select(sa.func.count()).where(i.contact_id == contact_id, sa.or_(went_out, waiting))
    if invitation_id is not None:
        stmt = stmt.where(i.id != invitation_id)
    return int(conn.execute(stmt).scalar_one())


def admit(
    conn: Connection, invitation_row: Mapping[str, Any], now: dt.datetime, *, q: Questionnaire | None = None
) -> str | None:
    """None when the invitation may go out at ``now``, else the reason it is suppressed.

    ``invitation_row`` needs ``survey`` and ``contact_id`` (and ``id`` once stored:
    an invitation never counts against itself, and of two waiting for one contact
    the earlier created goes first).  ``q`` defaults to the survey's latest
    registered version.
    """
    contact_id = invitation_row.get("contact_id")
    refusal = _contact_refusal(conn, contact_id)
    if refusal is not None or contact_id is None:
        return refusal
    if q is None:
        q = questionnaire_of(conn, invitation_row["survey"])
    for rules in rules_for(q):
        limit = rules.max_invitations
        if (
            limit is not None
            and _invitations_counted(conn, contact_id, invitation_row.get("id"), now, limit.per) >= limit.count
        ):
            return "contact_rule:max_invitations"
        limit = rules.max_messages
        if limit is not None and _messages_sent(conn, contact_id, now - limit.per) >= limit.count:
            return "contact_rule:max_messages"
    return None


def admit_message(conn: Connection, contact_id: int | None, q: Questionnaire | None, now: dt.datetime) -> str | None:
    """None when one more message (a reminder) may go to the contact at ``now``, else the reason not."""
    refusal = _contact_refusal(conn, contact_id)
    if refusal is not None or contact_id is None:
        return refusal
    for rules in rules_for(q):
        limit = rules.max_messages
        if limit is not None and _messages_sent(conn, contact_id, now - limit.per) >= limit.count:
            return "contact_rule:max_messages"
    return None


def not_before(q: Questionnaire | None, channel: str, now: dt.datetime) -> dt.datetime:
    """When a message on ``channel`` may go: ``now``, or the end of the quiet hours it falls in."""
    timezone = q.fielding.timezone if q is not None and q.fielding is not None else schedule.DEFAULT_TIMEZONE
    tz = schedule.zone(timezone)
    when = now
    for rules in rules_for(q):
        quiet = rules.quiet_hours
        if quiet is not None and channel in quiet.channels:
            when = max(when, schedule.quiet_until(when, quiet.start, quiet.end, tz))
    return when
