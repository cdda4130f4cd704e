"""Invitations: single-use links that carry a respondent's segment fields.

A token is ``secrets.token_urlsafe(32)`` (256 random bits).  Only its SHA-256
is stored, and it is looked up by that hash, so a copy of the database gives
no working links.  Looking a token up never uses it (link scanners pre-fetch
URLs); :func:`surveykit.storage.save_response` uses it up in the submission's
own transaction.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from surveykit.database import check_text, invitations, utcnow, write_transaction
from surveykit.model import Questionnaire

_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
MAX_FIELD_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Invitation:
    """A new invitation; ``token`` is the plain token, which is never stored."""

    id: int
    token: str
    fields: dict[str, str]
    expires_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class InvitationState:
    """What a token is worth: ``unknown`` (also for malformed tokens), ``used``, ``expired`` or ``open``."""

    status: Literal["unknown", "used", "expired", "open"]
    id: int | None = None
    survey: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    response_id: str | None = None

    @property
    def open(self) -> bool:
        return self.status == "open"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def check_fields(q: Questionnaire, fields: Mapping[str, str | None]) -> dict[str, str]:
    """Segment fields checked against ``q.fields``: known ids, text values; empty and None are dropped."""
    known = [f.id for f in q.fields]
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise ValueError(f"unknown segment fields for survey {q.survey!r}: {', '.join(map(repr, unknown))} "
                         f"(fields: {', '.join(known) or 'none declared'})")
    out = {}
    for name, value in fields.items():
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise ValueError(f"{name}: a segment field holds text, got {value!r}")
        if len(value) > MAX_FIELD_LENGTH:
            raise ValueError(f"{name}: longer than {MAX_FIELD_LENGTH} characters")
        check_text(name, value)
        out[name] = value
    return out


def create_invitations(engine: Engine, q: Questionnaire, contacts: Iterable[Mapping[str, str]], *,
                       expires_days: int | None = None) -> list[Invitation]:
    """One single-use invitation per contact, carrying its segment fields; all in one transaction.

    Each contact maps field ids of ``q.fields`` to values (an unknown id is a
    ValueError).  The plain tokens are returned once and never stored.
    """
    if expires_days is not None and expires_days <= 0:
        raise ValueError("expires_days must be positive")
    now = utcnow()
    expires = now + dt.timedelta(days=expires_days) if expires_days is not None else None
    made = [(secrets.token_urlsafe(32), check_fields(q, contact)) for contact in contacts]
    if not made:
        return []
    rows = [dict(survey=q.survey, token_hash=token_hash(token), fields=seg, created_at=now, expires_at=expires)
            for token, seg in made]
    with write_transaction(engine) as conn:
        ids = conn.execute(sa.insert(invitations).returning(invitations.c.id, sort_by_parameter_order=True),
                           rows).scalars().all()
    return [Invitation(id, token, seg, expires) for id, (token, seg) in zip(ids, made)]


def lookup_invitation(engine: Engine, token: str) -> InvitationState:
    """The state of a token, without using it up.  Malformed tokens are ``unknown``, with no query."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return InvitationState("unknown")
    i = invitations.c
    with engine.connect() as conn:
        found = conn.execute(sa.select(i.id, i.survey, i.fields, i.expires_at, i.used_at, i.response_id)
                             .where(i.token_hash == token_hash(token))).first()
    if found is None:
        return InvitationState("unknown")
    status: Literal["used", "expired", "open"]
    if found.used_at is not None:
        status = "used"
    elif found.expires_at is not None and found.expires_at <= utcnow():
        status = "expired"
    else:
        status = "open"
    return InvitationState(status, found.id, found.survey, dict(found.fields), found.response_id)
