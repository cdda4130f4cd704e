"""The responses feed: commit order, exactly once, even when a response commits while a client pages."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from surveykit.database import make_engine, responses, utcnow
from surveykit.response_feed import decode_cursor, encode_cursor, read_page
from tests.support.fielding import registered, submit


def _drain(engine: sa.Engine, q, cursor: str | None, limit: int = 3) -> tuple[list[str], str | None]:
    seen: list[str] = []
    while True:
        page = read_page(engine, q, cursor, limit)
        seen += [r["response_id"] for r in page.records]
        cursor = page.next_cursor
        if not page.more:
            return seen, cursor


def test_pages_in_order_with_codebook_records(engine: sa.Engine) -> None:
    q = registered(engine)
    ids = [submit(engine, q, dealer="de01" if i % 2 else "de02", sat=i % 5 + 1) for i in range(7)]
    seen, cursor = _wait_for(engine, q, None, 7)
    assert seen == ids
    page = read_page(engine, q, None, 1)
    record = page.records[0]
    assert set(record) == {*q.columns(), "over_quota"}  # the codebook's variables, and no contact data
    assert record["sat"] == 1 and record["dealer"] == "de02" and record["comment"] is None
    assert read_page(engine, q, cursor, 10).records == []  # nothing new: the same cursor comes back
    assert read_page(engine, q, cursor, 10).next_cursor == cursor
    only_de01 = read_page(engine, q, None, 10, allowed=lambda fields: fields.get("dealer") == "de01")
    assert [r["response_id"] for r in only_de01.records] == ids[1::2]


@pytest.mark.parametrize("cursor", ["x", "bm9wZQ", encode_cursor(1, 2) + "A" * 80, "%%%"])
def test_bad_cursor(cursor: str) -> None:
    with pytest.raises(ValueError, match="not a cursor"):
        decode_cursor(cursor)


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor(123456789, 42)) == (123456789, 42)
    assert decode_cursor(None) == (0, 0)


def _open_insert(engine: sa.Engine, q, version_id: int) -> tuple[sa.Connection, str]:
    """A response inserted in a transaction left open (its id drawn, not committed)."""
    conn = engine.connect()
    conn.begin()
    rid = uuid.uuid4().hex
    conn.execute(
        sa.insert(responses).values(
            response_id=rid,
            survey=q.survey,
            version_id=version_id,
            key=uuid.uuid4().hex,
            answers_hash="0" * 64,
            language="zh",
            submitted_at=utcnow(),
            fields={"dealer": "de01"},
            answers={"sat": 3},
        )
    )
    return conn, rid


def test_a_response_committing_late_is_served_once_postgresql(pg_url: str) -> None:
    """Two connections: A draws the lower id and commits after B, which committed first.

    Paging by id alone would serve B, move the cursor past A's id, and never serve A.
    """
    engine = make_engine(pg_url)
    from surveykit.storage import init_db

    init_db(engine)
    q = registered(engine)
    before = submit(engine, q)
    assert _wait_for(engine, q, None, 1)[0] == [before]  # (once older writers elsewhere in the cluster ended)
    with engine.connect() as c:
        version_id = c.execute(sa.select(responses.c.version_id)).scalar_one()
    conn_a, late = _open_insert(engine, q, version_id)
    try:
        early = submit(engine, q)  # B: a higher id, committed first
        seen, cursor = _drain(engine, q, None)
        conn_a.commit()
    finally:
        conn_a.close()
    assert seen == [before]  # B waited: an older transaction (A) was still running
    more, cursor = _wait_for(engine, q, cursor, 2)
    assert more == [late, early]  # commit order of the transactions' start: A's txid is lower
    assert read_page(engine, q, cursor, 10).records == []
    with engine.connect() as c:
        ids = dict(c.execute(sa.select(responses.c.response_id, responses.c.id)).all())
    assert ids[late] < ids[early]  # the case paging by id gets wrong
    engine.dispose()


def _wait_for(engine: sa.Engine, q, cursor: str | None, n: int) -> tuple[list[str], str | None]:
    """Page until ``n`` more records came: a writing transaction anywhere in the PostgreSQL cluster
    that began before them holds them back until it ends (the feed's documented delay)."""
    got: list[str] = []
    deadline = time.monotonic() + 600
    while len(got) < n and time.monotonic() < deadline:
        more, cursor = _drain(engine, q, cursor)
        got += more
        if len(got) < n:
            time.sleep(0.05)
    return got, cursor


def test_exactly_once_while_responses_commit(engine: sa.Engine) -> None:
    """Four writers submit while a reader pages with small pages; every response is served exactly once."""
    q = registered(engine)
    stop = threading.Event()
    written: list[str] = []
    lock = threading.Lock()

    def writer() -> None:
        for _ in range(25):
            rid = submit(engine, q)
            with lock:
                written.append(rid)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    served: list[str] = []
    cursor = None
    while any(t.is_alive() for t in threads) and not stop.is_set():
        page = read_page(engine, q, cursor, 4)
        served += [r["response_id"] for r in page.records]
        cursor = page.next_cursor
    for t in threads:
        t.join()
    rest, _ = _wait_for(engine, q, cursor, len(written) - len(served))
    served += rest
    assert len(served) == len(set(served)) == 100
    assert set(served) == set(written)
