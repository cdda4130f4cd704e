"""Benchmark of the response store, as ratios measured in one run.

1. Submissions per second with 16 concurrent clients (processes) through
   ``storage.save_response`` (validation, canonical hash, version lookup,
   ``INSERT ... ON CONFLICT`` under ``BEGIN IMMEDIATE``, draft update, one
   durable commit each), against a bare driver-level INSERT of the same row
   into a table of the same shape in the same database (autocommit, one commit
   each, same durability settings), on SQLite (WAL, synchronous=FULL) and on
   PostgreSQL.  Bare runs before and after the store run; the ratio uses their
   mean.
2. ``storage.responses_frame`` on 100,000 stored responses (20,000 with
   ``--quick``): the time, and the ratio to fetching the same rows raw.

Run: ``python benchmarks/bench_store.py [--quick] [--pg URL]``.  PostgreSQL
runs in a throwaway schema that is dropped at the end; it is left out (with a
note) when the server does not answer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from surveykit import load_questionnaire, storage  # noqa: E402
from surveykit.database import responses, utcnow, write_transaction  # noqa: E402
from surveykit.simulate import simulate  # noqa: E402
from tests.support.pgschema import PG_URL, PostgresSchema  # noqa: E402

QUESTIONNAIRE = ROOT / "questionnaires" / "servqual.yaml"
CLIENTS = 16
BARE_COLUMNS = (
    "response_id",
    "survey",
    "version_id",
    "key",
    "answers_hash",
    "language",
    "wave",
    "started_at",
    "submitted_at",
    "duration_s",
    "fields",
    "answers",
)
BARE_DDL = """CREATE TABLE bare_responses (id {serial} PRIMARY KEY, response_id VARCHAR(32) NOT NULL,
  survey VARCHAR(100) NOT NULL, version_id INTEGER NOT NULL, key VARCHAR(128) NOT NULL,
  answers_hash VARCHAR(64) NOT NULL, language VARCHAR(16) NOT NULL, wave VARCHAR(100), started_at TIMESTAMP,
  submitted_at TIMESTAMP NOT NULL, duration_s FLOAT, fields {json} NOT NULL, answers {json} NOT NULL)"""


def _submissions(q: Any, n: int) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """n distinct (answers, fields) pairs from the simulator, in canonical form."""
    df = simulate(q, n, seed=7, missing=0.05)
    answer_cols = [v.name for v in q.answer_variables()]
    field_cols = [f.id for f in q.fields]
    out = []
    for record in df.to_dict("records"):
        answers = storage.canonical_answers(q, {c: record[c] for c in answer_cols})
        out.append((answers, {c: record[c] for c in field_cols if isinstance(record[c], str)}))
    return out


def _run_clients(seconds: float, make_worker: Callable[[], Callable[[int], None]]) -> tuple[float, int]:
    """CLIENTS processes call their worker in a loop for ``seconds``; returns (completed calls per second, errors).

    Processes, not threads, as gunicorn's sync workers are: with threads, the one holding
    SQLite's write lock waits for the GIL behind the others, which measures Python, not the
    store.  Each process builds its worker (its own connections) after the fork.  A failed
    call (SQLite's busy timeout expiring, say) is counted and the client carries on.
    """
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(CLIENTS + 1)
    results = ctx.Queue()

    def client(slot: int) -> None:
        work = make_worker()
        start.wait()
        deadline = time.monotonic() + seconds
        i = ok = 0
        first_error = ""
        while time.monotonic() < deadline:
            try:
                work(slot * 10_000_000 + i)
                ok += 1
            except Exception as exc:  # noqa: BLE001 - any failure is counted in the table, not fatal
                first_error = first_error or repr(exc)
            i += 1
        results.put((ok, i - ok, first_error))

    procs = [ctx.Process(target=client, args=(slot,)) for slot in range(CLIENTS)]
    for proc in procs:
        proc.start()
    start.wait()
    t0 = time.monotonic()
    outcomes = [results.get(timeout=seconds + 120) for _ in procs]
    elapsed = time.monotonic() - t0
    for proc in procs:
        proc.join()
    failed = sum(o[1] for o in outcomes)
    if failed:
        print(f"  {failed} failed calls, first: {next(o[2] for o in outcomes if o[2])}", file=sys.stderr)
    return sum(o[0] for o in outcomes) / elapsed, failed


class Backend:
    name = ""
    url = ""

    def bare_worker(self, row_for: Callable[[int], dict[str, Any]]) -> Callable[[], Callable[[int], None]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SQLiteBackend(Backend):
    name = "SQLite (WAL, FULL)"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "bench.sqlite3"
        self.url = f"sqlite:///{self.path}"

    def create_bare(self) -> None:
        with sqlite3.connect(self.path) as conn:
            conn.execute(BARE_DDL.format(serial="INTEGER", json="TEXT"))

    def bare_worker(self, row_for: Callable[[int], dict[str, Any]]) -> Callable[[], Callable[[int], None]]:
        # the column names are this module's constants; the values are bound parameters
        sql = f"INSERT INTO bare_responses ({', '.join(BARE_COLUMNS)}) VALUES ({', '.join('?' * len(BARE_COLUMNS))})"  # noqa: S608

        def make() -> Callable[[int], None]:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=5, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")

            def work(i: int) -> None:
                row = row_for(i)
                conn.execute(sql, [row[c] for c in BARE_COLUMNS])

            return work

        return make


class PostgresBackend(Backend):
    name = "PostgreSQL"

    def __init__(self, url: str) -> None:
        self.scratch = PostgresSchema(url, prefix="sk_bench")
        self.conninfo, self.schema, self.url = self.scratch.conninfo, self.scratch.schema, self.scratch.url

    def create_bare(self) -> None:
        with self._connect() as conn:
            conn.execute(BARE_DDL.format(serial="SERIAL", json="JSONB"))

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(**self.conninfo, autocommit=True, options=f"-csearch_path={self.schema}")

    def bare_worker(self, row_for: Callable[[int], dict[str, Any]]) -> Callable[[], Callable[[int], None]]:
        # the column names are this module's constants; the values are bound parameters
        sql = f"INSERT INTO bare_responses ({', '.join(BARE_COLUMNS)}) VALUES ({', '.join(['%s'] * len(BARE_COLUMNS))})"  # noqa: S608

        def make() -> Callable[[int], None]:
            conn = self._connect()

            def work(i: int) -> None:
                row = row_for(i)
                conn.execute(sql, [row[c] for c in BARE_COLUMNS], prepare=True)

            return work

        return make

    def close(self) -> None:
        self.scratch.drop()


def bench_submissions(backend: Backend, q: Any, yaml_text: str, pool: list, seconds: float) -> dict[str, Any]:
    engine = storage.make_engine(backend.url)
    storage.init_db(engine)
    version_id = storage.register_version(engine, q, yaml_text)
    engine.dispose()  # no connection may cross the fork into the clients
    backend.create_bare()

    def bare_row(i: int) -> dict[str, Any]:
        answers, fields = pool[i % len(pool)]
        now = utcnow()
        return dict(
            response_id=uuid.uuid4().hex,
            survey=q.survey,
            version_id=version_id,
            key=f"bare-{i}",
            answers_hash=storage.answers_hash(answers),
            language=q.languages[0],
            wave=None,
            started_at=None,
            submitted_at=now,
            duration_s=None,
            fields=json.dumps(fields, ensure_ascii=False),
            answers=json.dumps(answers, ensure_ascii=False),
        )

    def store_worker() -> Callable[[int], None]:
        own = storage.make_engine(backend.url)  # in the client process

        def work(i: int) -> None:
            answers, fields = pool[i % len(pool)]
            storage.save_response(own, q, answers, key=f"store-{i}", language=q.languages[0], fields=fields)

        return work

    bare1, e1 = _run_clients(seconds, backend.bare_worker(bare_row))
    store, e2 = _run_clients(seconds, store_worker)
    bare2, e3 = _run_clients(seconds, backend.bare_worker(bare_row))
    return {
        "bare": (bare1 + bare2) / 2,
        "bare_spread": abs(bare1 - bare2) / max(bare1, bare2),
        "store": store,
        "errors": f"{e1 + e3} / {e2}",
    }


def bench_frame(backend: Backend, q: Any, yaml_text: str, pool: list, n: int) -> dict[str, float]:
    engine = storage.make_engine(backend.url)
    storage.init_db(engine)
    version_id = storage.register_version(engine, q, yaml_text)
    now = utcnow()
    rows = []
    for i in range(n):
        answers, fields = pool[i % len(pool)]
        rows.append(
            dict(
                response_id=uuid.uuid4().hex,
                survey=q.survey,
                version_id=version_id,
                key=f"frame-{i}",
                answers_hash=hashlib.sha256(str(i).encode()).hexdigest(),
                language=q.languages[i % 2],
                wave=None,
                started_at=now,
                submitted_at=now,
                duration_s=300.0,
                fields=fields,
                answers=answers,
            )
        )
    with write_transaction(engine) as conn:  # loading only: one bulk transaction, not the timed path
        for start in range(0, n, 5000):
            conn.execute(responses.insert(), rows[start : start + 5000])
    frame_times, raw_times = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT * FROM responses").fetchall()
        raw_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        df = storage.responses_frame(engine, q)
        frame_times.append(time.perf_counter() - t0)
    assert len(df) >= n and list(df.columns) == list(q.columns())
    engine.dispose()
    return {"frame": statistics.median(frame_times), "raw": statistics.median(raw_times), "cols": len(df.columns)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s per run, 20,000 rows for the frame")
    parser.add_argument("--pg", default=PG_URL, help="PostgreSQL URL")
    args = parser.parse_args(argv)
    seconds, frame_rows = (3.0, 20_000) if args.quick else (10.0, 100_000)
    q = load_questionnaire(QUESTIONNAIRE)
    yaml_text = QUESTIONNAIRE.read_text(encoding="utf-8")
    pool = _submissions(q, 2000)
    results = []
    with tempfile.TemporaryDirectory(prefix="sk-bench-") as tmp:
        backends: list[Backend] = [SQLiteBackend(Path(tmp))]
        try:
            backends.append(PostgresBackend(args.pg))
        except psycopg.OperationalError as exc:
            print(f"note: PostgreSQL left out, not reachable: {exc}".strip(), file=sys.stderr)
        try:
            for backend in backends:
                sub = bench_submissions(backend, q, yaml_text, pool, seconds)
                frame = bench_frame(backend, q, yaml_text, pool, frame_rows)
                results.append((backend.name, sub, frame))
        finally:
            for backend in backends:
                backend.close()
    print(
        f"\nresponse store, {q.survey} ({len(q.answer_variables())} answer variables), {CLIENTS} client processes, "
        f"{seconds:g} s per run\n"
    )
    print(
        f"| backend | bare insert /s | save_response /s | ratio | bare spread | failed bare / store "
        f"| responses_frame {frame_rows:,} rows | raw fetch | frame / raw |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, sub, frame in results:
        print(
            f"| {name} | {sub['bare']:,.0f} | {sub['store']:,.0f} | **{sub['store'] / sub['bare']:.2f}** "
            f"| {sub['bare_spread']:.0%} | {sub['errors']} | {frame['frame']:.2f} s | {frame['raw']:.2f} s "
            f"| {frame['frame'] / frame['raw']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
