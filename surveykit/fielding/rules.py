"""Contact rules: whether a contact may be sent an invitation or a message now.

:func:`admit_all` is asked twice about an invitation: when the API stores it
(a suppressed one is recorded with its reason at once, and the API's answer
says so) and by the worker just before the invitation goes out, since time,
answers and opt-outs move on in between.  :func:`admit_messages` is asked
before reminders.  Both take a whole batch and read what they need in at most
three queries (the contacts, their recent invitations, their recent messages),
whatever the batch's size; the counting is done here, in the batch's order, as
if each were admitted one by one.  A refusal is a reason string recorded on the
invitation (``suppression_reason``) or on the message:

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
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from surveykit.database import contacts, invitation_messages, invitations
from surveykit.fielding import installation, schedule
from surveykit.fielding.declared import ContactRules
from surveykit.fielding.surveys import questionnaire_of
from surveykit.model import Questionnaire

__all__ = ["Candidate", "admit", "admit_all", "admit_message", "admit_messages", "not_before", "one_of", "rules_for"]

# statuses of an invitation that went out (a failed one never reached the contact)
_WENT_OUT = ("sent", "opened", "started", "completed", "opted_out", "expired")


def one_of(conn: Connection, column: sa.ColumnElement[Any], values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """``column IN values`` for a batch's worth of values (up to 1,000) as one parameter.

    ``column.in_(values)`` made a bound parameter of each value, coerced when the statement was
    built and expanded into the SQL text when it ran (about a sixth of an API batch's time
    under the profiler, with four such lookups of 1,000), and psycopg parsed that text anew each
    time (too long for its cache).  Here the values are one JSON array read by ``json_each`` on
    SQLite, one array compared with ``= ANY`` on PostgreSQL: the same statement text every time.
    Strings and integers only (what the keys of these lookups are).
    """
    values = list(values)
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    given = sa.func.json_each(sa.bindparam(None, json.dumps(values), type_=sa.String())).table_valued("value")
    return column.in_(sa.select(given.c.value))


def rules_for(q: Questionnaire | None) -> list[ContactRules]:
    """The rules that apply to a survey: the installation's, then its own."""
    found = [installation.current().contact_rules]
    if q is not None and q.fielding is not None:
        found.append(q.fielding.contact_rules)
    return [r for r in found if r is not None]


@dataclass(frozen=True, slots=True)
class Candidate:
    """An invitation to admit: stored (``id``) or about to be stored (``id`` None: the API's batch).

    ``now`` is when it would go out; ``at`` its ``send_at`` (or ``created_at``), which
    decides whether it counts as waiting for a later candidate of the same contact
    (``now`` when not given).  ``blocked`` is a reason the caller found itself
    (``quota_full``): it is given after the contact's own refusal (opted out, erased)
    and before the rules, and such a candidate never counts against another.
    """

    contact_id: int | None
    q: Questionnaire | None
    now: dt.datetime
    id: int | None = None
    at: dt.datetime | None = None
    blocked: str | None = None


@dataclass(slots=True)
class _Waiting:
    id: int | None
    at: dt.datetime


class _Facts:
    """What the rules need to know of a batch's contacts, read in at most three queries."""

    def __init__(
        self,
        conn: Connection,
        contact_ids: set[int],
        rules: list[ContactRules],
        since: dt.datetime,
        until: dt.datetime,
        exclude: set[int],
    ) -> None:
        c = contacts.c
        ids = sorted(contact_ids)
        self.contacts = (
            {
                row.id: row
                for row in conn.execute(
                    sa.select(c.id, c.erased_at, c.optout_email_at, c.optout_sms_at).where(one_of(conn, c.id, ids))
                )
            }
            if ids
            else {}
        )
        self.went_out: dict[int, list[dt.datetime]] = defaultdict(list)
        self.waiting: dict[int, list[_Waiting]] = defaultdict(list)
        self.messages: dict[int, list[dt.datetime]] = defaultdict(list)
        per_inv = max((r.max_invitations.per for r in rules if r.max_invitations is not None), default=None)
        per_msg = max((r.max_messages.per for r in rules if r.max_messages is not None), default=None)
        if ids and per_inv is not None:
            self._read_invitations(conn, ids, since - per_inv, until + per_inv, exclude)
        if ids and per_msg is not None:
            m, i = invitation_messages.c, invitations.c
            for contact_id, sent_at in conn.execute(
                sa.select(i.contact_id, m.sent_at)
                .select_from(invitation_messages.join(invitations, m.invitation_id == i.id))
                .where(one_of(conn, i.contact_id, ids), m.status == "sent", m.sent_at > since - per_msg)
            ):
                self.messages[contact_id].append(sent_at)

    def _read_invitations(
        self, conn: Connection, ids: list[int], start: dt.datetime, end: dt.datetime, exclude: set[int]
    ) -> None:
        i = invitations.c
        at = sa.func.coalesce(i.send_at, i.created_at)
        went_out = sa.and_(i.status.in_(_WENT_OUT), i.sent_at > start)
        waiting = sa.and_(i.status == "scheduled", at > start, at < end)
        for row in conn.execute(
            sa.select(i.id, i.contact_id, i.status, i.sent_at, at.label("at")).where(
                one_of(conn, i.contact_id, ids), sa.or_(went_out, waiting)
            )
        ):
            if row.id in exclude:
                continue  # a candidate itself: counted (or not) as the batch is gone through
            if row.status == "scheduled":
                self.waiting[row.contact_id].append(_Waiting(row.id, row.at))
            else:
                self.went_out[row.contact_id].append(row.sent_at)

    def refusal(self, contact_id: int) -> str | None:
        row = self.contacts.get(contact_id)
        if row is None or row.erased_at is not None:
            return "contact_erased"
        if row.optout_email_at is not None or row.optout_sms_at is not None:
            return "opted_out"
        return None

    def messages_sent(self, contact_id: int, since: dt.datetime) -> int:
        return sum(1 for sent_at in self.messages.get(contact_id, ()) if sent_at > since)

    def invitations_counted(self, cand: Candidate, per: dt.timedelta) -> int:
        """Other invitations of the contact that went out within ``per``, or wait to go out (created earlier)."""
        assert cand.contact_id is not None
        went = sum(1 for sent_at in self.went_out.get(cand.contact_id, ()) if sent_at > cand.now - per)
        waiting = sum(
            1
            for w in self.waiting.get(cand.contact_id, ())
            if cand.now - per < w.at < cand.now + per and (cand.id is None or w.id is None or w.id < cand.id)
        )
        return went + waiting


def _rules_by_survey(qs: Sequence[Questionnaire | None]) -> dict[int, list[ContactRules]]:
    """The rules of each questionnaire of a batch (by ``id()``: a batch holds a few, its items many)."""
    return {id(q): rules_for(q) for q in {id(q): q for q in qs}.values()}


def admit_all(conn: Connection, candidates: Sequence[Candidate]) -> list[str | None]:
    """For each candidate, in order, None when it may go out at its ``now``, else why it is suppressed.

    The answer is the one :func:`admit` would give each candidate in turn, had the
    ones admitted before it been stored ``scheduled`` and the refused ones
    ``suppressed``: the earlier of two candidates for one contact goes first.
    """
    if not candidates:
        return []
    by_survey = _rules_by_survey([cand.q for cand in candidates])
    facts = _Facts(
        conn,
        {cand.contact_id for cand in candidates if cand.contact_id is not None},
        [r for found in by_survey.values() for r in found],
        min(cand.now for cand in candidates),
        max(cand.now for cand in candidates),
        {cand.id for cand in candidates if cand.id is not None},
    )
    out: list[str | None] = []
    for cand in candidates:
        reason = _admit(facts, cand, by_survey[id(cand.q)])
        if reason is None and cand.contact_id is not None:
            facts.waiting[cand.contact_id].append(_Waiting(cand.id, cand.at or cand.now))
        out.append(reason)
    return out


def _admit(facts: _Facts, cand: Candidate, rules: list[ContactRules]) -> str | None:
    if cand.contact_id is None:
        return cand.blocked
    refusal = facts.refusal(cand.contact_id) or cand.blocked
    if refusal is not None:
        return refusal
    for r in rules:
        limit = r.max_invitations
        if limit is not None and facts.invitations_counted(cand, limit.per) >= limit.count:
            return "contact_rule:max_invitations"
        limit = r.max_messages
        if limit is not None and facts.messages_sent(cand.contact_id, cand.now - limit.per) >= limit.count:
            return "contact_rule:max_messages"
    return None


def admit(
    conn: Connection, invitation_row: Mapping[str, Any], now: dt.datetime, *, q: Questionnaire | None = None
) -> str | None:
    """:func:`admit_all` for one stored invitation (``survey``, ``contact_id`` and ``id`` of its row).

    ``q`` defaults to the survey's latest registered version.
    """
    if q is None:
        q = questionnaire_of(conn, invitation_row["survey"])
    cand = Candidate(invitation_row.get("contact_id"), q, now, id=invitation_row.get("id"))
    return admit_all(conn, [cand])[0]


def admit_messages(
    conn: Connection, items: Sequence[tuple[int | None, Questionnaire | None]], now: dt.datetime
) -> list[str | None]:
    """For each ``(contact_id, q)``: None when one more message (a reminder) may go at ``now``, else why not."""
    if not items:
        return []
    by_survey = _rules_by_survey([q for _, q in items])
    only_messages = [ContactRules(max_messages=r.max_messages) for found in by_survey.values() for r in found]
    facts = _Facts(conn, {cid for cid, _ in items if cid is not None}, only_messages, now, now, set())
    out: list[str | None] = []
    for contact_id, q in items:
        reason = None if contact_id is None else facts.refusal(contact_id)
        if contact_id is not None and reason is None:
            for r in by_survey[id(q)]:
                limit = r.max_messages
                if limit is not None and facts.messages_sent(contact_id, now - limit.per) >= limit.count:
                    reason = "contact_rule:max_messages"
                    break
        out.append(reason)
    return out


def admit_message(conn: Connection, contact_id: int | None, q: Questionnaire | None, now: dt.datetime) -> str | None:
    """:func:`admit_messages` for one message."""
    return admit_messages(conn, [(contact_id, q)], now)[0]


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
