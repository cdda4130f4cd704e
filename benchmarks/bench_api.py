"""Benchmark of the JSON API of continuous fielding, as ratios measured in one run.

1. Ingest: invitations per second posted to ``POST /api/v1/invitations`` in batches of 1,000
   (Flask's test client in process: JSON parsing, the token check, every item's checks with
   phonenumbers, the event_id lookup, contact upsert, the contact rules and quota check, the
   inserts, one commit per batch) against a bare SQLAlchemy Core batch insert of the same contact and invitation rows
   (one ``executemany`` each, one commit per batch).  Aim: ratio >= 0.5.
2. Paging: ``GET /api/v1/responses`` through 100,000 stored responses (20,000 with ``--quick``)
   at ``limit=1000`` against one bare ``SELECT`` of the same rows (fields, answers and metadata);
   on PostgreSQL after ``ANALYZE``, as autovacuum leaves a table after a bulk load.

Both on SQLite (WAL, synchronous=FULL) and PostgreSQL (a throwaway schema, dropped at the end;
left out with a note when the server does not answer).
Run: ``python benchmarks/bench_api.py [--quick] [--pg URL]``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from surveykit.apitokens import create_token  # noqa: E402
from surveykit.database import contacts, invitations, responses, survey_versions, utcnow  # noqa: E402
from tests.support.fielding import FIELDING_YAML, item  # noqa: E402
from tests.support.pgschema import PG_URL, PostgresSchema  # noqa: E402
from webform import create_app  # noqa: E402

BATCH = 1000


def _app(url: str, folder: Path) -> Any:
    path = folder / "visit.yaml"
    path.write_text(FIELDING_YAML, encoding="utf-8")
    config = {"TESTING": True, "DATABASE_URL": url, "QUESTIONNAIRES": [str(path)], "SECRET_KEY": "b" * 32}
    config["API_RATE_LIMIT"] = [10**9, 60]
    app = create_app(config)
    gc.freeze()  # what webform.server does in each gunicorn worker once its app is made
    return app


def _bare_rows(batch: list[dict[str, Any]], now: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    people = [
        dict(
            customer_id=x["contact"]["customer_id"] + "-bare",
            name=x["contact"]["name"],
            phone="+8613812345678",
            language="zh",
            created_at=now,
            updated_at=now,
        )
        for x in batch
    ]
    invs = [
        dict(
            survey="visit_csi",
            token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
            fields=x["fields"],
            created_at=now,
            event_id=x["event_id"] + "-bare",
            event_hash="0" * 64,
            channel="sms",
            status="scheduled",
            send_at=now,
        )
        for x in batch
    ]
    return people, invs


def ingest(url: str, folder: Path, batches: int) -> tuple[float, float]:
    """(API invitations/s, bare Core invitations/s)."""
    app = _app(url, folder)
    engine = app.extensions["surveykit"].engine
    token = create_token(engine, f"bench-{uuid.uuid4().hex[:8]}")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    run = uuid.uuid4().hex[:6]
    posted = [
        [item(f"{run}-{b}-{i}", f"{run}-C{b}-{i}", "de01" if i % 2 else "de02") for i in range(BATCH)]
        for b in range(batches)
    ]
    api_s = bare_s = 0.0
    for batch in posted:  # alternate, so both see the same table sizes and machine load
        t0 = time.perf_counter()
        r = client.post("/api/v1/invitations", headers=headers, json=batch)
        api_s += time.perf_counter() - t0
        assert r.status_code == 200 and r.get_json()["stored"] == BATCH, r.get_data(as_text=True)[:300]
        people, invs = _bare_rows(batch, utcnow())
        t0 = time.perf_counter()
        with engine.begin() as conn:
            ids = (
                conn.execute(sa.insert(contacts).returning(contacts.c.id, sort_by_parameter_order=True), people)
                .scalars()
                .all()
            )
            for row, cid in zip(invs, ids, strict=True):
                row["contact_id"] = cid
            conn.execute(sa.insert(invitations), invs)
        bare_s += time.perf_counter() - t0
    engine.dispose()
    n = batches * BATCH
    return n / api_s, n / bare_s


def paging(url: str, folder: Path, n: int) -> tuple[float, float]:
    """(seconds to page GET /responses through n responses, seconds for one bare SELECT of them)."""
    app = _app(url, folder)
    engine = app.extensions["surveykit"].engine
    token = create_token(engine, f"page-{uuid.uuid4().hex[:8]}")
    with engine.connect() as conn:
        version_id = conn.execute(sa.select(survey_versions.c.id)).scalar_one()
    now = utcnow()
    chunk = 10_000
    for start in range(0, n, chunk):
        rows = [
            dict(
                response_id=uuid.uuid4().hex,
                survey="visit_csi",
                version_id=version_id,
                key=uuid.uuid4().hex,
                answers_hash="0" * 64,
                language="zh",
                submitted_at=now,
                fields={"dealer": "de01" if i % 2 else "de02"},
                answers={"sat": i % 5 + 1, "comment": "好" if i % 7 == 0 else None},
            )
            for i in range(start, min(n, start + chunk))
        ]
        with engine.begin() as conn:
            conn.execute(sa.insert(responses), rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # what autovacuum does after a bulk load this size, done now
            conn.execute(sa.text("ANALYZE responses"))
        _wait_for_horizon(engine, n)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    t0 = time.perf_counter()
    cursor, seen = "", 0
    while True:
        page = client.get(f"/api/v1/responses?survey=visit_csi&limit=1000&since={cursor}", headers=headers).get_json()
        seen += len(page["records"])
        cursor = page["next"]
        if not page["more"]:
            break
    api_s = time.perf_counter() - t0
    assert seen == n, (seen, page)
    r, v = responses.c, survey_versions.c
    t0 = time.perf_counter()
    with engine.connect() as conn:
        got = conn.execute(
            sa.select(r.response_id, v.version, r.wave, r.language, r.started_at, r.submitted_at, r.fields, r.answers)
            .join_from(responses, survey_versions)
            .where(r.survey == "visit_csi")
            .order_by(r.id)
        ).all()
    bare_s = time.perf_counter() - t0
    assert len(got) == n
    engine.dispose()
    return api_s, bare_s


def _wait_for_horizon(engine: Any, n: int) -> None:
    """Wait until the feed may serve every row: a writing transaction anywhere in the cluster that
    began before them holds the feed back (surveykit.response_feed); this is not timed."""
    visible = sa.text(
        "SELECT count(*) FROM responses WHERE txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
    )
    started = time.monotonic()
    while time.monotonic() - started < 900:
        with engine.connect() as conn:
            if conn.execute(visible).scalar() == n:
                waited = time.monotonic() - started
                if waited > 1:
                    print(f"note: the feed waited {waited:.0f} s for an older transaction to end", file=sys.stderr)
                return
        time.sleep(0.5)
    raise RuntimeError("an older transaction held the feed back for 15 minutes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 batches and 20,000 responses")
    parser.add_argument("--pg", default=PG_URL, help="PostgreSQL server URL")
    args = parser.parse_args(argv)
    batches, n = (5, 20_000) if args.quick else (10, 100_000)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        backends: list[tuple[str, str, Any]] = [("SQLite (WAL, FULL)", f"sqlite:///{folder}/bench.sqlite3", None)]
        try:
            schema = PostgresSchema(args.pg, prefix="sk_bench")
            backends.append(("PostgreSQL", schema.url, schema))
        except Exception as exc:  # noqa: BLE001 - a missing server is a note, not a failure
            print(f"note: PostgreSQL left out, not reachable: {exc}".strip(), file=sys.stderr)
        for name, url, schema in backends:
            try:
                api_rate, bare_rate = ingest(url, folder, batches)
                page_s, select_s = paging(url, folder, n)
            finally:
                if schema is not None:
                    schema.drop()
            results.append((name, api_rate, bare_rate, page_s, select_s))
    print(f"API ingest: {batches} batches of {BATCH}; paging: {n:,} responses at limit=1000\n")
    print("| backend | API invitations/s | bare Core insert/s | ratio | paging GET /responses s | bare SELECT s | x |")
    print("|---|---|---|---|---|---|---|")
    for name, api_rate, bare_rate, page_s, select_s in results:
        print(
            f"| {name} | {api_rate:,.0f} | {bare_rate:,.0f} | {api_rate / bare_rate:.2f} "
            f"| {page_s:.2f} | {select_s:.2f} | {page_s / select_s:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
