"""Quotas: the format, suppression at ingest, and exactly max counted completes under concurrency."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from surveykit import events, quotas
from surveykit.database import responses
from surveykit.errors import QuestionnaireError
from surveykit.response_table import responses_frame
from tests.support.fielding import QUOTAS, registered, submit, survey
from tests.support.fielding import item as posted


def test_quota_declared() -> None:
    q, _ = survey("quotas:\n  - {id: cell, fields: [dealer, advisor], max: 3, per: wave}\n")
    (quota,) = q.quotas
    assert (quota.id, quota.fields, quota.max, quota.per) == ("cell", ("dealer", "advisor"), 3, "wave")
    assert quota.cell({"dealer": "de01", "advisor": "li"}) == '["de01", "li"]'
    assert quota.cell({"dealer": "de01"}) is None  # no advisor: in no cell
    assert quota.period("w1") == "w1"


@pytest.mark.parametrize(
    ("entry", "at", "message"),
    [
        ("{id: a, fields: [dealr], max: 3}", "dealr", "'dealr' is no declared field; did you mean 'dealer'?"),
        ("{id: a, fields: [dealer], max: 0}", "0", "max must be at least 1"),
        ("{id: a, fields: [dealer], max: 3, per: day}", "day", "'day' is not allowed"),
        ("{id: a, fields: [dealer]}", "{", "missing required key 'max'"),
        ("{id: a, fields: [dealer], max: 2, maxx: 3}", "maxx", "unknown key 'maxx'; did you mean 'max'?"),
    ],
)
def test_quota_problems_at_line_and_column(entry: str, at: str, message: str) -> None:
    line = survey()[1].count("\n") + 2  # the entry's line, after "quotas:"
    column = len("  - ") + entry.index(at) + 1
    with pytest.raises(QuestionnaireError) as info:
        survey(f"quotas:\n  - {entry}\n")
    text = str(info.value)
    assert f"<string>:{line}:{column}: " in text and message in text, text


def test_duplicate_quota_id() -> None:
    with pytest.raises(QuestionnaireError, match="quota 'a' is declared twice"):
        survey("quotas:\n  - {id: a, fields: [dealer], max: 1}\n  - {id: a, fields: [advisor], max: 1}\n")


def test_fifty_concurrent_completions_on_a_cell_of_ten(engine: sa.Engine) -> None:
    q = registered(engine, QUOTAS)
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def complete() -> None:
        try:
            barrier.wait()
            submit(engine, q, dealer="de01")
        except Exception as exc:  # noqa: BLE001 - any failure of a thread is reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=complete) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with engine.connect() as conn:
        flags = conn.execute(sa.select(responses.c.over_quota)).scalars().all()
        counts = quotas.cell_counts(conn, q)
    assert len(flags) == 50  # every submit stored, none lost
    assert sum(1 for f in flags if not f) == 10
    assert sum(1 for f in flags if f) == 40
    assert counts == [dict(quota="per_dealer", fields={"dealer": "de01"}, period="", count=10, max=10)]
    assert len(responses_frame(engine, q)) == 10  # over-quota responses are left out of the analysis
    assert len(responses_frame(engine, q, over_quota=True)) == 50


def test_other_cells_and_per_wave_counts(engine: sa.Engine) -> None:
    q = registered(engine, "quotas:\n  - {id: w, fields: [dealer], max: 1, per: wave}\n")
    first = [submit(engine, q, dealer="de01", wave="w1"), submit(engine, q, dealer="de01", wave="w1")]
    other = [submit(engine, q, dealer="de02", wave="w1"), submit(engine, q, dealer="de01", wave="w2")]
    with engine.connect() as conn:
        over = dict(conn.execute(sa.select(responses.c.response_id, responses.c.over_quota)).all())
    assert [bool(over[r]) for r in first] == [False, True]
    assert [bool(over[r]) for r in other] == [False, False]


def test_replayed_submit_is_counted_once(engine: sa.Engine) -> None:
    from surveykit import storage

    q = registered(engine, "quotas:\n  - {id: a, fields: [dealer], max: 2}\n")
    for _ in range(3):
        storage.save_response(
            engine, q, {"sat": 3}, key="same-key-0123456789", language="zh", fields={"dealer": "de01"}
        )
    with engine.connect() as conn:
        assert quotas.cell_counts(conn, q)[0]["count"] == 1


def test_invitations_for_a_full_cell_are_suppressed(engine: sa.Engine) -> None:
    q = registered(engine, "quotas:\n  - {id: a, fields: [dealer], max: 1}\n")
    submit(engine, q, dealer="de01")
    out = events.ingest(engine, [posted("e1", dealer="de01"), posted("e2", "C2", dealer="de02")], {"visit_csi": q}.get)
    assert [(o.status, o.state, o.reason) for o in out] == [
        (201, "suppressed", "quota_full"),
        (201, "scheduled", None),
    ]
    with engine.connect() as conn:
        assert quotas.full_quota(conn, q, {"dealer": "de01"}) is not None
        assert quotas.full_quota(conn, q, {"dealer": "de02"}) is None
