"""The API ingest's batch inserts give the driver what SQLAlchemy's executemany would: same stored rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection, Engine

from surveykit import events
from surveykit.database import contacts, invitations
from tests.support.fielding import item, registered

NOW = dt.datetime(2026, 12, 3, 21, 0, 0, 123456)


def _batches() -> list[list[dict[str, Any]]]:
    first = [
        item("E1", "C1", "de01"),
        item("E2", "C2", "de02", send_at="2026-12-04T10:00:00+08:00"),
        item("E3", "顾客-3", "de01", send_at="2026-12-05T09:30:00.250000Z", channel="sms"),
        item("E4", "C4", "de02"),
    ]
    first[3]["contact"] = {"customer_id": "C4", "name": 'Zoë "Q" \\ 李', "email": "a.b@Example.COM", "language": "en"}
    first[0]["fields"]["advisor"] = "张三 \u2028 tab\t"
    second = [
        item("E1", "C1", "de01"),  # posted before with other fields: 409
        item("E2", "C2", "de02", send_at="2026-12-04T10:00:00+08:00"),  # a repeat: 200, nothing stored
        item("E5", "C1", "de02", send_at="2026-12-04T10:00:00+08:00"),  # a known contact, updated
        item("E6", "C6", "de01", channel="email"),  # refused: no e-mail
        item("E7", "C7", "de01"),
    ]
    second[2]["contact"]["name"] = "王女士"
    return [first, second]


def _stored(conn: Connection) -> tuple[Sequence[Any], Sequence[Any]]:
    """Every stored value but the ids and the random token hash, as the driver reads it back."""
    i, c = invitations.c, contacts.c
    inv_cols = [col for col in invitations.c if col.key not in ("id", "token_hash", "contact_id")]
    inv = conn.execute(
        sa.select(*[sa.cast(col, sa.Text) for col in inv_cols], c.customer_id)
        .join_from(invitations, contacts, c.id == i.contact_id)
        .order_by(i.event_id)
    ).all()
    con = conn.execute(
        sa.select(*[sa.cast(col, sa.Text) for col in contacts.c if col.key != "id"]).order_by(c.customer_id)
    ).all()
    return inv, con


def _run(engine: Engine, q: Any) -> tuple[tuple[Sequence[Any], Sequence[Any]], list[list[events.Outcome]]]:
    outcomes = [events.ingest(engine, batch, {q.survey: q}.get, now=NOW) for batch in _batches()]
    with engine.begin() as conn:
        stored = _stored(conn)
        conn.execute(sa.delete(invitations))
        conn.execute(sa.delete(contacts))
    return stored, outcomes


def test_batch_inserts_store_what_sqlalchemy_stores(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    q = registered(engine)
    fast, fast_outcomes = _run(engine, q)
    monkeypatch.setattr(events, "_insert_many", lambda conn, stmt, rows: conn.execute(stmt, rows))
    plain, plain_outcomes = _run(engine, q)
    assert len(fast[0]) == 6 and len(fast[1]) == 5  # E1-E5 and E7; C6 refused
    assert fast == plain
    strip = [[o.status, o.state, o.reason, o.field] for batch in fast_outcomes for o in batch]
    assert strip == [[o.status, o.state, o.reason, o.field] for batch in plain_outcomes for o in batch]
    assert [o.status for o in fast_outcomes[1]] == [409, 200, 201, 422, 201]


def _stdlib_hash(canonical: dict[str, Any]) -> str:
    """How the event hash was made before orjson: the standard library's canonical JSON."""
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)  # no lone surrogates: not UTF-8
_HOSTILE = [
    "",
    '"',
    "\\",
    "/",
    "\x00",
    "\x1f",
    "\x7f",
    "\u2028\u2029",
    "\ufeff",
    "\ue000",
    "\uffff",
    "😀",
    "王先生",
    "é",
]


@settings(max_examples=500, deadline=None)
@given(
    st.dictionaries(
        st.one_of(_TEXT, st.sampled_from(_HOSTILE)),
        st.one_of(st.none(), _TEXT, st.sampled_from(_HOSTILE), st.dictionaries(_TEXT, st.one_of(st.none(), _TEXT))),
    )
)
def test_event_hash_is_the_standard_librarys_canonical_json(canonical: dict[str, Any]) -> None:
    assert events.event_hash(canonical) == _stdlib_hash(canonical)


def test_event_hash_of_a_stored_event_is_unchanged() -> None:
    """An event posted again after an upgrade must hash as it did when stored (200, not 409)."""
    canonical = dict(
        survey="visit_csi",
        event_id="RO-2026-000123",
        contact=dict(customer_id="C88", name="王先生", email=None, phone="+8613812345678", language="zh"),
        fields={"dealer": "de01", "advisor": 'Zoë "Q" \\ \t'},
        send_at="2026-12-04T02:00:00",
        channel="sms",
    )
    assert events.event_hash(canonical) == _stdlib_hash(canonical)
    assert events.event_hash(canonical) == "803462e544a1088fe8437cc32206504df6fb8c79afabdb9da7d31aa191f1bc9c"
