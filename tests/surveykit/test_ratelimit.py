"""The API's per-token rate limit, counted in steps: the bound it keeps and what reaches the table."""

from __future__ import annotations

import sqlalchemy as sa

from surveykit import ratelimit
from surveykit.database import rate_limits


def _stored(engine: sa.Engine, bucket: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.sum(rate_limits.c.hits)).where(rate_limits.c.bucket == bucket)).scalar() or 0
        )


def test_a_small_limit_is_counted_at_every_hit(engine: sa.Engine) -> None:
    hits = [ratelimit.hit_rate_limit_batched(engine, "api:token:1", limit=3, window_s=3600) for _ in range(5)]
    assert hits == [False, False, False, True, True]
    assert _stored(engine, "api:token:1") == 5


def test_hits_reach_the_table_in_steps_of_a_hundredth_of_the_limit(engine: sa.Engine, monkeypatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    for _ in range(9):  # the first hit is written (it reads the shared count), then every fifth
        assert not ratelimit.hit_rate_limit_batched(engine, "api:token:2", limit=500, window_s=3600)
    assert _stored(engine, "api:token:2") == 6
    clock[0] += ratelimit.FLUSH_S  # and whatever is left after a second
    assert not ratelimit.hit_rate_limit_batched(engine, "api:token:2", limit=500, window_s=3600)
    assert _stored(engine, "api:token:2") == 10


def test_the_limit_holds_within_a_step_per_process(db_url: str, engine: sa.Engine, monkeypatch) -> None:
    """Another process's hits count once written; a process lets through at most a step more than the limit."""
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: 1000.0)  # no writes by the clock
    with engine.begin() as conn:  # another process wrote 195 hits of this window
        window = int(ratelimit.time.time() // 3600) * 3600
        conn.execute(sa.insert(rate_limits).values(bucket="api:token:3", window_start=window, hits=195))
    allowed = 0
    while not ratelimit.hit_rate_limit_batched(engine, "api:token:3", limit=200, window_s=3600):
        allowed += 1
    assert 5 <= allowed <= 5 + 2  # the limit, plus at most a step (2 hits)
    assert _stored(engine, "api:token:3") >= 200 - 2  # the others see all but this process's last step


def test_an_address_under_the_limit_is_read_again_after_a_second_or_a_local_failure(
    engine: sa.Engine, monkeypatch
) -> None:
    clock = [2000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    assert not ratelimit.over_limit(engine, "api:ip:1", limit=2, window_s=3600)
    with engine.begin() as conn:  # failures counted by another process
        window = int(ratelimit.time.time() // 3600) * 3600
        conn.execute(sa.insert(rate_limits).values(bucket="api:ip:1", window_start=window, hits=5))
    assert not ratelimit.over_limit(engine, "api:ip:1", limit=2, window_s=3600)  # within the second
    clock[0] += ratelimit.FLUSH_S
    assert ratelimit.over_limit(engine, "api:ip:1", limit=2, window_s=3600)
    # a failure counted here is seen at once
    assert not ratelimit.over_limit(engine, "api:ip:2", limit=1, window_s=3600)
    ratelimit.hit_rate_limit(engine, "api:ip:2", limit=1, window_s=3600)
    ratelimit.hit_rate_limit(engine, "api:ip:2", limit=1, window_s=3600)
    assert ratelimit.over_limit(engine, "api:ip:2", limit=1, window_s=3600)
