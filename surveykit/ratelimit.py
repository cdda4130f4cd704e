"""A rate-limit counter shared by every worker process, kept in the database.

:func:`hit_rate_limit` counts hits per bucket (logins per address and per user, token guesses per
address) in the ``rate_limits`` table. It is apart from :mod:`surveykit.storage` because it stores
nothing of a survey and changes with the limiting rule alone; :mod:`surveykit.storage` re-exports it.

:func:`hit_rate_limit_batched` counts the requests of an API token the same way but writes them in
steps (a write per request was most of the cost of a page of the responses feed on PostgreSQL, with
the token lookup): each process adds its hits to the table every ``max(1, limit // 100)`` hits or
every :data:`FLUSH_S` seconds, and decides on the table's count as of its last write plus its own
hits since.  A client spread over N processes may so get about N % of the limit more than the limit,
plus what the other processes let through in their last second; refusals come as before.
:func:`over_limit` reads whether a bucket is over its limit (the API's failed token checks of an
address, before a token is looked at) and trusts a "no" for :data:`FLUSH_S` seconds unless this
process counts a hit in that bucket meanwhile: failures through other processes are seen within
that second.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from surveykit.database import rate_limits, write_transaction

__all__ = ["hit_rate_limit", "hit_rate_limit_batched", "over_limit"]

FLUSH_S = 1.0


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
    bucket = _safe(bucket)
    t = rate_limits.c
    if not count:
        with engine.connect() as conn:  # both windows in one query
            found = dict(
                conn.execute(
                    sa.select(t.window_start, t.hits).where(
                        t.bucket == bucket, t.window_start.in_((window, window - window_s))
                    )
                ).all()
            )
        return _estimate(found.get(window, 0), found.get(window - window_s, 0), now, window, window_s) > limit
    hits, previous = _add(engine, bucket, window, window_s, 1)
    with _tallies_lock:
        _not_over.pop((str(engine.url), bucket), None)
    return _estimate(hits, previous, now, window, window_s) > limit


# (database URL, bucket) -> time.monotonic() of a read that found the bucket under its limit
_not_over: dict[tuple[str, str], float] = {}


def over_limit(engine: Engine, bucket: str, *, limit: int, window_s: int) -> bool:
    """``hit_rate_limit(..., count=False)``, a "no" trusted for :data:`FLUSH_S` seconds in this process."""
    key, tick = (str(engine.url), _safe(bucket)), time.monotonic()
    with _tallies_lock:
        seen = _not_over.get(key)
    if seen is not None and tick - seen < FLUSH_S:
        return False
    if hit_rate_limit(engine, bucket, limit=limit, window_s=window_s, count=False):
        return True
    with _tallies_lock:
        if len(_not_over) >= 10_000:  # many addresses: start again
            _not_over.clear()
        _not_over[key] = tick
    return False


def _safe(bucket: str) -> str:
    if len(bucket) > 200 or not bucket.isprintable():
        # NUL (PostgreSQL refuses it) or lone surrogates in a login name must not reach the insert
        return "sha256:" + hashlib.sha256(bucket.encode("utf-8", "surrogatepass")).hexdigest()
    return bucket


def _estimate(hits: int, previous: int, now: float, window: int, window_s: int) -> float:
    """The sliding-window estimate: this window's hits and the overlapping share of the previous one's."""
    return hits + previous * (1 - (now - window) / window_s)


def _add(engine: Engine, bucket: str, window: int, window_s: int, n: int) -> tuple[int, int]:
    """Add ``n`` hits to ``bucket``'s ``window``; (its hits now, the previous window's).  Older windows go."""
    t = rate_limits.c
    with write_transaction(engine) as conn:
        stmt = (
            _insert(conn, rate_limits)
            .values(bucket=bucket, window_start=window, hits=n)
            .on_conflict_do_update(index_elements=["bucket", "window_start"], set_={"hits": t.hits + n})
            .returning(t.hits)
        )
        hits = conn.execute(stmt).scalar_one()
        previous = conn.execute(
            sa.select(t.hits).where(t.bucket == bucket, t.window_start == window - window_s)
        ).scalar()
        conn.execute(sa.delete(rate_limits).where(t.bucket == bucket, t.window_start < window - window_s))
    return int(hits), int(previous or 0)


@dataclass
class _Tally:
    """A bucket's hits in this process: the table's counts at the last write, and the hits since."""

    window: int
    written_at: float  # time.monotonic() of the last write
    hits: int = 0  # the window's hits in the table at the last write
    previous: int = 0  # the previous window's
    pending: int = 0  # counted here, not yet written


_tallies: dict[tuple[str, str], _Tally] = {}
_tallies_lock = threading.Lock()


def hit_rate_limit_batched(engine: Engine, bucket: str, *, limit: int, window_s: int) -> bool:
    """:func:`hit_rate_limit` with the hits written in steps (see the module docstring for the bound)."""
    if limit < 0 or window_s <= 0:
        raise ValueError("limit must be >= 0 and window_s > 0")
    now, tick = time.time(), time.monotonic()
    window = int(now // window_s) * window_s
    bucket = _safe(bucket)
    key = (str(engine.url), bucket)
    with _tallies_lock:
        tally = _tallies.get(key)
        if tally is None or tally.window != window:
            if tally is not None and tally.pending:  # the last window's own hits, still to be written
                _add(engine, bucket, tally.window, window_s, tally.pending)
            tally = _tallies[key] = _Tally(window, tick - FLUSH_S)
        tally.pending += 1
        if tally.pending >= max(1, limit // 100) or tick - tally.written_at >= FLUSH_S:
            tally.hits, tally.previous = _add(engine, bucket, window, window_s, tally.pending)
            tally.pending, tally.written_at = 0, tick
        return _estimate(tally.hits + tally.pending, tally.previous, now, window, window_s) > limit
