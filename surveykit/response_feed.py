"""The responses feed: completed responses in commit order, paged by an opaque cursor.

A BI tool polls ``GET /api/v1/responses?survey=ID&since=CURSOR&limit=N`` and must see every
response exactly once, including one that commits while it pages.  Ordering by the row id is
not enough on PostgreSQL: ids are drawn from a sequence when a row is inserted, not when its
transaction commits, so a response with id 41 may commit after one with id 42 has been served,
and a cursor at 42 would skip it for ever.

So each row records the id of the transaction that wrote it (``txid``, set by a trigger), rows
are served in ``(txid, id)`` order, and only rows whose transaction is older than the oldest
transaction still running (``pg_snapshot_xmin(pg_current_snapshot())``).  Every transaction
below that bound has ended, and every transaction that commits later has a txid at or above
it, so nothing can appear behind a cursor.  The price: a response shows up once every
transaction that began before it has ended (a long-open transaction elsewhere in the cluster
delays the feed, never loses a row).

SQLite has one writer at a time and its row ids never go back (``AUTOINCREMENT``): a row with a
larger id always committed later, so the id alone orders the feed.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from surveykit.database import responses, survey_versions
from surveykit.model import Questionnaire

__all__ = ["MAX_LIMIT", "FeedPage", "decode_cursor", "encode_cursor", "read_page"]

MAX_LIMIT = 1000
_CURSOR = re.compile(r"(\d{1,19})\.(\d{1,19})")


@dataclass(frozen=True, slots=True)
class FeedPage:
    records: list[dict[str, Any]]
    next_cursor: str  # where the next call starts (the same cursor again when nothing new was served)
    more: bool  # a full page was read: ask again at once


def encode_cursor(txid: int, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{txid}.{row_id}".encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, int]:
    """``(txid, id)`` of a cursor; ValueError for anything we did not hand out."""
    if not cursor:
        return (0, 0)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("since is not a cursor this server handed out") from None
    match = _CURSOR.fullmatch(text)
    if not match or len(cursor) > 60:
        raise ValueError("since is not a cursor this server handed out")
    return int(match.group(1)), int(match.group(2))


def read_page(
    engine: Engine,
    q: Questionnaire,
    since: str | None,
    limit: int,
    *,
    allowed: Callable[[Mapping[str, Any]], bool] = lambda fields: True,
) -> FeedPage:
    """Up to ``limit`` responses of ``q.survey`` after the cursor ``since``, as codebook records.

    A record holds the metadata columns, the segment fields and the answer
    variables of ``q.variables()`` (missing answers are null) and
    ``over_quota``; never contact data.  Rows for which ``allowed(fields)``
    is False (outside a token's scope) are skipped but still move the cursor.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    after_txid, after_id = decode_cursor(since)
    r, v = responses.c, survey_versions.c
    postgres = engine.dialect.name == "postgresql"
    # the page is cut from responses alone, in index order, and joined to its versions after: a
    # join inside would let the planner sort every remaining row for each page
    page = sa.select(r.id).where(r.survey == q.survey)
    if postgres:
        horizon = sa.cast(sa.cast(sa.func.pg_snapshot_xmin(sa.func.pg_current_snapshot()), sa.Text), sa.BigInteger)
        page = page.where(
            sa.tuple_(r.txid, r.id) > sa.tuple_(sa.literal(after_txid), sa.literal(after_id)), r.txid < horizon
        ).order_by(r.txid, r.id)
    else:
        page = page.where(r.id > after_id).order_by(r.id)
    ids = page.limit(limit).cte("page")
    stmt = (
        sa.select(
            r.id,
            sa.func.coalesce(r.txid, 0).label("txid"),
            r.response_id,
            v.version,
            r.wave,
            r.language,
            r.started_at,
            r.submitted_at,
            r.duration_s,
            r.fields,
            r.answers,
            r.over_quota,
        )
        .select_from(ids.join(responses, r.id == ids.c.id).join(survey_versions, v.id == r.version_id))
        .order_by(sa.func.coalesce(r.txid, 0), r.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    answer_names = [x.name for x in q.variables() if x.type not in ("metadata", "field")]
    field_names = [f.id for f in q.fields]
    records = []
    # built from each row's tuple, not its named attributes, with the keys' lists made once: this
    # loop is most of what a page costs beyond the SELECT itself
    for _id, _txid, response_id, version, wave, language, started, submitted, duration, fields, answers, over in rows:
        if not allowed(fields):
            continue
        record: dict[str, Any] = {
            "response_id": response_id,
            "survey": q.survey,
            "version": version,
            "wave": wave,
            "language": language,
            "started_at": started.isoformat() + "Z" if started is not None else None,
            "submitted_at": submitted.isoformat() + "Z" if submitted is not None else None,
            "duration_s": duration,
        }
        record.update(zip(field_names, map(fields.get, field_names), strict=True))
        record.update(zip(answer_names, map(answers.get, answer_names), strict=True))
        record["over_quota"] = bool(over)
        records.append(record)
    if rows:
        last = rows[-1]
        cursor = encode_cursor(int(last.txid) if postgres else 0, last.id)
    else:
        cursor = encode_cursor(after_txid, after_id)
    return FeedPage(records, cursor, len(rows) == limit)
