"""Contact data in a response export: only when an admin asks for it, and every time recorded.

Answers and contacts are stored apart (:mod:`surveykit.contacts`), and a response export
(``surveykit export``, the admin download, the responses API) holds no name, e-mail or
phone number.  An admin who needs them (to call back a customer, say) asks explicitly:
``surveykit export --db URL --include-contacts --by NAME`` or the admin-only download
form.  :func:`add_contacts` then joins each response to its invitation's contact and writes
one ``audit_log`` row (action :data:`ACTION`: who, when, survey, columns, rows, format,
destination) **in the transaction that reads the contacts**, so no contact data leaves
the store without its record; if writing the file fails afterwards, the record names an
export that did not happen, the safe side of the error.

An erased contact never reappears: erasure cuts the invitation's link to the contact and
blanks the contact's columns (:func:`surveykit.contacts.erase`), and the join below also
skips any contact marked erased.  :func:`audit_records` reads the log back for
``surveykit audit-log``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from surveykit.contacts import audit
from surveykit.database import audit_log, contacts, invitations, responses, utcnow, write_transaction

__all__ = ["ACTION", "CONTACT_COLUMNS", "AuditRecord", "add_contacts", "audit_records", "format_records"]

ACTION = "export_contacts"
# export column -> contacts column; prefixed so they can never clash with a questionnaire's variables
CONTACT_COLUMNS = {
    "contact_customer_id": "customer_id",
    "contact_name": "name",
    "contact_email": "email",
    "contact_phone": "phone",
}


def add_contacts(
    engine: Engine,
    frame: pd.DataFrame,
    survey: str,
    *,
    actor: str,
    via: str,
    fmt: str,
    destination: str,
    extra: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """``frame`` (a response table with ``response_id``) with the :data:`CONTACT_COLUMNS` after its own; audited.

    A response that came through no invitation, or whose contact was erased, gets empty
    contact columns.  ``actor`` says who (``cli:NAME``, ``user:ID``), ``via`` the path
    (``cli``, ``admin``), ``destination`` where the file goes; ``extra`` adds to the record.
    """
    r, i, c = responses.c, invitations.c, contacts.c
    stmt = (
        sa.select(r.response_id, *(c[column].label(name) for name, column in CONTACT_COLUMNS.items()))
        .join(invitations, i.id == r.invitation_id)
        .join(contacts, c.id == i.contact_id)
        .where(r.survey == survey, c.erased_at.is_(None))
    )
    with write_transaction(engine) as conn:
        found = pd.DataFrame(conn.execute(stmt).all(), columns=["response_id", *CONTACT_COLUMNS], dtype="str")
        found = found[found["response_id"].isin(frame["response_id"])] if len(frame) else found.iloc[:0]
        detail = dict(
            via=via,
            survey=survey,
            columns=list(CONTACT_COLUMNS),
            rows=len(frame),
            with_contact=len(found),
            format=fmt,
            destination=destination,
            **(extra or {}),
        )
        audit(conn, actor, ACTION, detail, now=now or utcnow())
    joined = frame[["response_id"]].merge(found, on="response_id", how="left")
    return pd.concat([frame.reset_index(drop=True), joined[list(CONTACT_COLUMNS)].astype("str")], axis=1)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One ``audit_log`` row: when (UTC), who, what action, and its details."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    detail: dict[str, Any]


def audit_records(engine: Engine, *, action: str | None = None, limit: int | None = None) -> list[AuditRecord]:
    """The audit log oldest first (the last ``limit`` records), of one ``action`` when given."""
    a = audit_log.c
    stmt = sa.select(a.id, a.at, a.actor, a.action, a.detail).order_by(a.id.desc())
    if action is not None:
        stmt = stmt.where(a.action == action)
    if limit is not None:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [AuditRecord(row.id, row.at, row.actor, row.action, dict(row.detail)) for row in reversed(rows)]


def format_records(records: list[AuditRecord], fmt: str = "text") -> str:
    """``text``: one line a record (time, who, action, details as JSON); ``json``: a JSON array."""
    if fmt == "json":
        items = [dict(id=x.id, at=x.at.isoformat(), actor=x.actor, action=x.action, detail=x.detail) for x in records]
        return json.dumps(items, ensure_ascii=False, indent=1) + "\n"
    lines = [
        f"{x.at:%Y-%m-%d %H:%M:%S} UTC  {x.actor}  {x.action}  {json.dumps(x.detail, ensure_ascii=False, sort_keys=True)}"
        for x in records
    ]
    return "".join(line + "\n" for line in lines)
