"""Benchmark of ``responses_frame`` on PostgreSQL against a raw ``COPY ... TO STDOUT`` into Arrow, in one run.

The store of ``bench_dashboard`` (1,000,000 responses of a 12-question survey, ``--rows``; 100,000
with ``--quick``), bulk-inserted through SQLAlchemy Core.  The baseline fetches the same three JSON
documents per response (metadata, fields, answers) with psycopg's ``COPY (SELECT ...) TO STDOUT
(FORMAT csv)`` and reads them with ``pyarrow.csv`` into an Arrow table of three string columns: the
least any reader of these rows has to do.  ``responses_frame`` goes on to parse the documents into
typed columns and a pandas frame.  The ratio is the result; the issue asks for at most 2.

Run: ``python benchmarks/bench_response_table.py [--quick] [--rows N] [--pg URL]``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

import pyarrow.csv as pa_csv  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from bench_dashboard import SURVEY, build  # noqa: E402

from surveykit import load_questionnaire, storage  # noqa: E402
from surveykit.response_table import responses_frame  # noqa: E402
from tests.support.pgschema import PG_URL, PostgresSchema  # noqa: E402


def copy_into_arrow(schema: PostgresSchema, survey: str) -> float:
    """Seconds for COPY of the three JSON documents of every response into an Arrow table."""
    import psycopg

    sql = (
        "COPY (SELECT jsonb_build_object('response_id', r.response_id, 'version', v.version, 'wave', r.wave, "
        "'language', r.language, 'started_at', r.started_at, 'submitted_at', r.submitted_at, "
        "'duration_s', r.duration_s)::text, r.fields::text, r.answers::text "
        "FROM responses r JOIN survey_versions v ON v.id = r.version_id WHERE r.survey = %s ORDER BY r.id) "
        "TO STDOUT (FORMAT csv)"
    )
    began = time.perf_counter()
    with psycopg.connect(**schema.conninfo, options=f"-csearch_path={schema.schema}") as conn:
        buffer = io.BytesIO()
        with conn.cursor().copy(sql.replace("%s", "'" + survey + "'")) as copy:
            for block in copy:
                buffer.write(block)
    table = pa_csv.read_csv(
        io.BytesIO(buffer.getvalue()),
        read_options=pa_csv.ReadOptions(column_names=["meta", "fields", "answers"]),
        convert_options=pa_csv.ConvertOptions(column_types={"meta": "string", "fields": "string", "answers": "string"}),
    )
    assert table.num_rows > 0
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", default=PG_URL)
    args = parser.parse_args()
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    schema = PostgresSchema(args.pg, prefix="sk_bench")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "network.yaml"
            path.write_text(SURVEY, encoding="utf-8")
            q = load_questionnaire(path)
            engine = storage.make_engine(schema.url)
            try:
                build(engine, q, SURVEY, rows)
                with engine.connect() as conn:
                    conn.execute(sa.text("ANALYZE responses"))
                copy_into_arrow(schema, q.survey)  # warm the server's cache for both
                raw, frame = [], []
                for _ in range(args.repeat):
                    raw.append(copy_into_arrow(schema, q.survey))
                    began = time.perf_counter()
                    df = responses_frame(engine, q)
                    frame.append(time.perf_counter() - began)
                    assert len(df) == rows
            finally:
                engine.dispose()
    finally:
        schema.drop()
    r, f = statistics.median(raw), statistics.median(frame)
    print(f"PostgreSQL, {rows:,} responses of {len(q.columns())} columns (median of {args.repeat})")
    print(f"  COPY ... TO STDOUT into Arrow   {r:7.2f} s")
    print(f"  responses_frame                 {f:7.2f} s   ({f / r:.2f}x the COPY)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
