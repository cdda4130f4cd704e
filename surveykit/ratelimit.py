"""A rate-limit counter shared by every worker process, kept in the database.

:func:`hit_rate_limit` counts hits per bucket (logins per address and per user, token guesses per
address) in the ``rate_limits`` table. It is apart from :mod:`surveykit.storage` because it stores
nothing of a survey and changes with the limiting rule alone; :mod:`surveykit.storage` re-exports it.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from surveykit.database import rate_limits, write_transaction

__all__ = ["hit_rate_limit"]


def _insert(conn: Connection, table: sa.Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def hit_rate_limit(engine: Engine, bucket: str, *, limit: int, window_s: int, count: bool = True) -> bool:
    """Count one hit in ``bucket``; True when the bucket is over ``limit`` hits per ``window_s`` seconds.

    The counter lives in the database, so every worker process shares it.
    Sliding-window estimate: the current fixed window's hits plus the previous
    window's, weighted by how much of it still overlaps the last ``window_s``
    seconds.  Older windows of the bucket are deleted as it goes.  With
    ``count=False`` the bucket is only read (is it over the limit already?).
    """
    if limit < 0 or window_s <= 0:
        raise ValueError("limit must be >= 0 and window_s > 0")
    now = time.time()
    window = int(now // window_s) * window_s
    if len(bucket) > 200 or not bucket.isprintable():
        # NUL (PostgreSQL refuses it) or lone surrogates in a login name must not reach the insert
        bucket = "sha256:" + hashlib.sha256(bucket.encode("utf-8", "surrogatepass")).hexdigest()
    t = rate_limits.c
    if not count:
        with engine.connect() as conn:
            hits, previous = (
                conn.execute(sa.select(t.hits).where(t.bucket == bucket, t.window_start == w)).scalar()
                for w in (window, window - window_s)
            )
        return (hits or 0) + (previous or 0) * (1 - (now - window) / window_s) > limit
    with write_transaction(engine) as conn:
        stmt = (
            _insert(conn, rate_limits)
            .values(bucket=bucket, window_start=window, hits=1)
            .on_conflict_do_update(index_elements=["bucket", "window_start"], set_={"hits": t.hits + 1})
            .returning(t.hits)
        )
        hits = conn.execute(stmt).scalar_one()
        previous = conn.execute(
            sa.select(t.hits).where(t.bucket == bucket, t.window_start == window - window_s)
        ).scalar()
        conn.execute(sa.delete(rate_limits).where(t.bucket == bucket, t.window_start < window - window_s))
    estimate = hits + (previous or 0) * (1 - (now - window) / window_s)
    return estimate > limit
