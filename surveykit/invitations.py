"""Invitations: single-use links that carry a respondent's segment fields.

A token is ``secrets.token_urlsafe(32)`` (256 random bits).  Only its SHA-256
is stored, and it is looked up by that hash, so a copy of the database gives
no working links.  Looking a token up never uses it (link scanners pre-fetch
URLs); :func:`surveykit.storage.save_response` uses it up in the submission's
own transaction.

:func:`invite_contacts` is the whole of ``surveykit invite``: a contacts CSV in,
the invitations stored, and the links written once to a file only the owner
can read (with a QR code per link if asked).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from surveykit.cells import escape_formula
from surveykit.database import check_text, invitations, utcnow, write_transaction
from surveykit.errors import SurveykitError
from surveykit.model import Questionnaire

_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
_SHORT_CODE = re.compile(r"[0-9A-Za-z]{11}")
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
        raise ValueError(
            f"unknown segment fields for survey {q.survey!r}: {', '.join(map(repr, unknown))} "
            f"(fields: {', '.join(known) or 'none declared'})"
        )
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


def create_invitations(
    engine: Engine, q: Questionnaire, contacts: Iterable[Mapping[str, str]], *, expires_days: int | None = None
) -> list[Invitation]:
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
    rows = [
        dict(survey=q.survey, token_hash=token_hash(token), fields=seg, created_at=now, expires_at=expires)
        for token, seg in made
    ]
    with write_transaction(engine) as conn:
        ids = (
            conn.execute(sa.insert(invitations).returning(invitations.c.id, sort_by_parameter_order=True), rows)
            .scalars()
            .all()
        )
    return [Invitation(id, token, seg, expires) for id, (token, seg) in zip(ids, made, strict=True)]


def lookup_invitation(engine: Engine, token: str) -> InvitationState:
    """The state of a token, without using it up.  Malformed tokens are ``unknown``, with no query."""
    if not isinstance(token, str):
        return InvitationState("unknown")
    i = invitations.c
    if _TOKEN.fullmatch(token):
        match = i.token_hash == token_hash(token)
    elif _SHORT_CODE.fullmatch(token):  # the code of a short link /i/<code> (surveykit.fielding.links)
        match = i.short_code_hash == token_hash(token)
    else:
        return InvitationState("unknown")
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(i.id, i.survey, i.fields, i.expires_at, i.used_at, i.response_id).where(match)
        ).first()
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


def invite_contacts(
    engine: Engine,
    q: Questionnaire,
    contacts: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    base_url: str,
    qr_dir: str | os.PathLike[str] | None = None,
    keep: Sequence[str] = (),
    expires_days: int | None = None,
) -> list[Invitation]:
    """One invitation per row of a contacts CSV; the links go to ``output`` (and QR codes to ``qr_dir``).

    The CSV (UTF-8, with or without a byte-order mark) has one column per
    segment field of ``q``; a column named in ``keep`` is copied into the links
    file without being stored, any other column is an error.  The links are
    credentials shown only once, so ``output`` is created readable by the
    owner only and never overwritten (an existing file is an error before any
    invitation is made).  Its cells are escaped against spreadsheet formula
    injection (:mod:`surveykit.cells`).
    """
    with open(contacts, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip() for c in reader.fieldnames or []]
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    known = [f.id for f in q.fields]
    for column in columns:
        if column not in known and column not in keep:
            hint = difflib.get_close_matches(column, known, 1)
            raise SurveykitError(
                f"{contacts}: column {column!r} is no segment field of {q.survey}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; fields: {', '.join(known) or 'none'}; pass --keep {column} to copy it "
                "into the links file without storing it"
            )
    if not rows:
        raise SurveykitError(f"{contacts}: no contacts")
    if os.path.exists(output):
        raise SurveykitError(f"{output} exists: links are shown only once, so it is never overwritten")
    try:
        made = create_invitations(
            engine, q, [{k: v for k, v in row.items() if k in known} for row in rows], expires_days=expires_days
        )
    except ValueError as exc:
        raise SurveykitError(f"{contacts}: {exc}") from None
    copied = [c for c in columns if c in known] + [c for c in columns if c in keep and c not in known]
    _write_links(output, q, made, rows, copied, base_url=base_url, qr_dir=qr_dir)
    return made


def _write_links(
    output: str | os.PathLike[str],
    q: Questionnaire,
    made: list[Invitation],
    rows: list[dict[str, str]],
    copied: list[str],
    *,
    base_url: str,
    qr_dir: str | os.PathLike[str] | None,
) -> None:
    """The links file: invitation number, the copied columns, the link (and the QR code's file)."""
    if qr_dir:
        os.makedirs(qr_dir, exist_ok=True)
    # the links are credentials: readable by the owner only
    with os.fdopen(
        os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8-sig", newline=""
    ) as fh:
        writer = csv.writer(fh)
        writer.writerow(["invitation", *copied, "link"] + (["qr"] if qr_dir else []))
        for row, inv in zip(rows, made, strict=True):
            link = f"{base_url.rstrip('/')}/s/{q.survey}?t={inv.token}"
            cells = [str(inv.id), *[row.get(c, "") for c in copied], link]
            if qr_dir:
                import segno  # only for QR codes

                name = os.path.join(qr_dir, f"{q.survey}-{inv.id}.svg")
                segno.make(link, error="m").save(name, kind="svg", scale=4, border=4, title=f"{q.survey} {inv.id}")
                cells.append(name)
            writer.writerow([escape_formula(c) for c in cells])
