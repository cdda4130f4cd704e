"""Benchmark of the dashboard at national volume, as ratios measured in one run.

A dealer network of 1,000 dealers in 10 regions (:mod:`surveykit.org`) with 1,000,000 responses over
the last 365 days (``--rows``; 100,000 with ``--quick``) on SQLite (WAL, synchronous=FULL) and on
PostgreSQL:

1. Building the store: the responses bulk-inserted through SQLAlchemy Core (the submit path is for
   people), then the aggregates by ``surveykit.aggregates.rebuild`` (one INSERT ... SELECT).
2. The size of the aggregate table with its indexes, against the responses table.
3. Dashboard latency, p50/p95, for a unit and a period (the whole network, a region, a dealer;
   last 30 days, 90 days, a month, a quarter): the real page (``GET /admin/dashboard/s/<survey>``
   through the Flask test client, every query, the template and the 390 px markup), against a bare
   ``SELECT dealer, count(*), avg(sat) ... GROUP BY dealer`` over the raw responses of the same
   period in the same run.  *Cold*: the first request of each page in a fresh app (new engine and
   connection pool, nothing cached by the app); *warm*: the same pages again (the whole network's
   figures then come from the 60 s cache, ``DASHBOARD_CACHE_S``); *nocache*: warm with that cache
   off, every page computed afresh.  The improvement
   priorities (which read raw rows, in the background) are switched off here
   (``DASHBOARD_PRIORITIES=False``) so that their thread does not compete for the GIL while
   latency is measured.
4. The cost of the aggregates on a submit: ``storage.save_response`` with and without
   ``aggregates.add_response`` on the full store, alternated in blocks.

Run: ``python benchmarks/bench_dashboard.py [--quick] [--rows N] [--pg URL] [--no-pg] [--keep DIR]``.
``--keep DIR`` builds the store once (SQLite ``DIR/bench-N.sqlite3``, PostgreSQL schema
``sk_bench_keep_N``) and reuses it in later runs, so that a change can be measured again at 1M
without the build; the submit measurement adds a few hundred responses to it each run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from surveykit import aggregates, load_questionnaire, storage  # noqa: E402
from surveykit.database import responses, utcnow, write_transaction  # noqa: E402
from surveykit.org import Unit  # noqa: E402
from surveykit.orgfile import apply_org  # noqa: E402
from tests.support.pgschema import PG_URL, PostgresSchema  # noqa: E402

PASSWORD = "a long enough passphrase 42"  # noqa: S105 - a throwaway account in a throwaway store
REGIONS, DEALERS_PER_REGION, DAYS = 10, 100, 365
ITEMS = 8
SURVEY = (
    """\
survey: network
version: 1
title: {zh: 全国售后满意度, en: National after-sales CSI}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
scales:
  s7: {points: 7}
pages:
  - id: p
    title: {zh: 页, en: Page}
    questions:
      - {id: sat, type: likert, scale: s7, text: {zh: 满意, en: Satisfied}}
      - {id: recommend, type: nps, text: {zh: 推荐, en: Recommend}}
"""
    + "".join(
        f"      - {{id: item{i}, type: likert, scale: s7, dimension: d, text: {{zh: 题{i}, en: Item {i}}}}}\n"
        for i in range(ITEMS)
    )
    + "      - {id: comment, type: text, required: false, text: {zh: 意见, en: Comment}}\n"
    + "dimensions:\n  d: {zh: 维度, en: Dimension}\n"
)


def dealers() -> list[str]:
    return [f"D{r:02d}{d:03d}" for r in range(REGIONS) for d in range(DEALERS_PER_REGION)]


def org_units() -> list[Unit]:
    units = [Unit(f"R{r:02d}", None, "region", {"zh": f"大区{r}", "en": f"Region {r}"}) for r in range(REGIONS)]
    for code in dealers():
        units.append(Unit(code, f"R{code[1:3]}", "dealer", {"zh": f"经销商{code}", "en": f"Dealer {code}"}))
    return units


def build(engine: Any, q: Any, yaml_text: str, rows: int) -> dict[str, float]:
    """The organisation, the version and ``rows`` responses (bulk, Core), then the aggregates (rebuild)."""
    storage.init_db(engine)
    version_id = storage.register_version(engine, q, yaml_text)
    apply_org(engine, org_units())
    rng = np.random.default_rng(13)
    codes = np.array(dealers())
    dealer_quality = rng.normal(0, 0.6, len(codes))
    now = utcnow()
    began = time.perf_counter()
    chunk = 50_000
    for first in range(0, rows, chunk):
        n = min(chunk, rows - first)
        which = rng.integers(0, len(codes), n)
        base = np.clip(np.round(rng.normal(5.0, 1.2, n) + dealer_quality[which]), 1, 7).astype(int)
        nps = np.clip(np.round(base * 1.5 + rng.normal(0, 1.5, n) - 0.5), 0, 10).astype(int)
        items = np.clip(base[:, None] + rng.integers(-1, 2, (n, ITEMS)), 1, 7).astype(int)
        seconds = rng.integers(0, DAYS * 86400, n)
        batch = []
        for i in range(n):
            answers = {"sat": int(base[i]), "recommend": int(nps[i])}
            answers.update({f"item{k}": int(items[i, k]) for k in range(ITEMS)})
            if i % 10 == 0:
                answers["comment"] = "服务很好" if base[i] >= 5 else "等待时间太长"
            at = now - dt.timedelta(seconds=int(seconds[i]))
            rid = uuid.uuid4().hex
            batch.append(
                dict(
                    response_id=rid,
                    survey=q.survey,
                    version_id=version_id,
                    key=rid,
                    answers_hash=rid + rid,
                    language="zh",
                    submitted_at=at,
                    fields={"dealer": str(codes[which[i]])},
                    answers=answers,
                )
            )
        with write_transaction(engine) as conn:
            conn.execute(sa.insert(responses), batch)
    inserted = time.perf_counter() - began
    if engine.dialect.name == "postgresql":  # as autovacuum would after a bulk load, before either is measured
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE responses"))
            conn.commit()
    began = time.perf_counter()
    written = aggregates.rebuild(engine, q.survey)
    return {"insert_s": inserted, "rebuild_s": time.perf_counter() - began, "aggregate_rows": written}


def sizes(engine: Any) -> tuple[int, int]:
    """Bytes of (response_aggregates, responses), each with its indexes."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            get = "SELECT pg_total_relation_size(CAST(:t AS regclass))"
            return tuple(
                int(conn.execute(sa.text(get), {"t": t}).scalar_one()) for t in ("response_aggregates", "responses")
            )  # type: ignore[return-value]
        out = []
        for table in ("response_aggregates", "responses"):
            names = [table] + [
                r[0]
                for r in conn.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE tbl_name = :t AND type = 'index'"), {"t": table}
                )
            ]
            total = 0
            for name in names:
                total += int(
                    conn.execute(
                        sa.text("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = :n"), {"n": name}
                    ).scalar_one()
                )
            out.append(total)
        return out[0], out[1]


def bare_group_by(engine: Any, survey: str, first: dt.datetime) -> float:
    """The baseline: dealer, count and mean satisfaction over the raw responses since ``first``."""
    r = responses.c
    dealer = r.fields["dealer"].as_string()
    stmt = (
        sa.select(dealer, sa.func.count(), sa.func.avg(r.answers["sat"].as_float()))
        .where(r.survey == survey, r.submitted_at >= first)
        .group_by(dealer)
    )
    began = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(stmt).all()
    return time.perf_counter() - began


def _app(url: str, path: str, tmp: str) -> Any:
    from webform import create_app

    app = create_app(
        {
            "DATABASE_URL": url,
            "QUESTIONNAIRES": [path],
            "SECRET_KEY": "bench-dashboard-secret-0123456789abcdef",
            "DASHBOARD_PRIORITIES": False,
            "DASHBOARD_CACHE_S": 60,
            "COMPRESS_HTML": False,
        }
    )
    app.instance_path = tmp
    return app


def _login(app: Any) -> Any:
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/admin/login", data={"csrf_token": token, "username": "bench", "password": PASSWORD})
    assert response.status_code == 303, response.status_code
    return client


def pages(today: dt.date) -> list[str]:
    rng = random.Random(7)
    month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    out = []
    for period in ("period=30d", "period=90d", f"period=month&m={month}", f"period=quarter&q={quarter}"):
        out.append(f"/admin/dashboard/s/network?{period}")
        out.append(f"/admin/dashboard/s/network?{period}&unit=R{rng.randrange(REGIONS):02d}")
        out.append(f"/admin/dashboard/s/network?{period}&unit={rng.choice(dealers())}")
    return out


def _pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.array(values) * 1000, p))


def latency(url: str, path: str, rounds: int) -> dict[str, float]:
    urls = pages(utcnow().date())
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(url, path, tmp)
        client = _login(app)
        cold = []
        for u in urls:
            began = time.perf_counter()
            response = client.get(u)
            cold.append(time.perf_counter() - began)
            assert response.status_code == 200, (u, response.status_code)
        warm = []
        for _ in range(rounds):
            for u in urls:
                began = time.perf_counter()
                client.get(u)
                warm.append(time.perf_counter() - began)
        app.config["DASHBOARD_CACHE_S"] = 0  # the same app (one app per process), the cache now off
        fresh = []
        for _ in range(rounds):
            for u in urls:
                began = time.perf_counter()
                client.get(u)
                fresh.append(time.perf_counter() - began)
        app.extensions["surveykit"].engine.dispose()
    return {
        "cold_p50": _pct(cold, 50),
        "cold_p95": _pct(cold, 95),
        "warm_p50": _pct(warm, 50),
        "warm_p95": _pct(warm, 95),
        "nocache_p50": _pct(fresh, 50),
        "nocache_p95": _pct(fresh, 95),
    }


def maintenance(engine: Any, q: Any, blocks: int, per_block: int) -> tuple[float, float]:
    """Mean seconds of a submit with and without the aggregates' upsert, alternated in blocks."""
    real = aggregates.add_response
    rng = random.Random(3)
    codes = dealers()
    timing: dict[bool, list[float]] = {True: [], False: []}
    for block in range(2 * blocks):
        on = block % 2 == 0
        storage.aggregates.add_response = real if on else (lambda conn, q, row: None)  # type: ignore[assignment]
        try:
            began = time.perf_counter()
            for _ in range(per_block):
                answers = {"sat": rng.randint(1, 7), "recommend": rng.randint(0, 10)}
                answers.update({f"item{k}": rng.randint(1, 7) for k in range(ITEMS)})
                storage.save_response(
                    engine, q, answers, key=uuid.uuid4().hex, language="zh", fields={"dealer": rng.choice(codes)}
                )
            timing[on].append((time.perf_counter() - began) / per_block)
        finally:
            storage.aggregates.add_response = real  # type: ignore[assignment]
    return statistics.mean(timing[True]), statistics.mean(timing[False])


def _built(engine: Any) -> bool:
    """Whether a kept store (``--keep``) already holds the benchmark's data and user."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("response_aggregates"):
            return False
        return conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one() > 0


def run(label: str, url: str, rows: int, rounds: int, tmp: Path) -> dict[str, Any]:
    path = tmp / "network.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    q = load_questionnaire(path)
    engine = storage.make_engine(url)
    try:
        out: dict[str, Any]
        if _built(engine):
            out = {"insert_s": float("nan"), "rebuild_s": float("nan"), "aggregate_rows": -1}
        else:
            out = build(engine, q, SURVEY, rows)
            storage.create_user(engine, "bench", PASSWORD)
        out["agg_bytes"], out["resp_bytes"] = sizes(engine)
        first = utcnow() - dt.timedelta(days=30)
        bare_group_by(engine, q.survey, first)  # warm the cache like the warm pages
        bare = [bare_group_by(engine, q.survey, first) for _ in range(5)]
        out["bare_p50"], out["bare_p95"] = _pct(bare, 50), _pct(bare, 95)
        out.update(latency(url, str(path), rounds))
        out["submit_with"], out["submit_without"] = maintenance(engine, q, 4, 50)
    finally:
        engine.dispose()
    print(f"\n{label}: {rows:,} responses, {len(dealers()):,} dealers in {REGIONS} regions over {DAYS} days")
    print(f"  bulk insert                {out['insert_s']:8.1f} s   ({rows / out['insert_s']:,.0f} rows/s)")
    print(f"  aggregates rebuild         {out['rebuild_s']:8.1f} s   ({out['aggregate_rows']:,} rows)")
    print(
        f"  aggregate table            {out['agg_bytes'] / 2**20:8.1f} MiB against responses {out['resp_bytes'] / 2**20:.1f} MiB "
        f"({out['agg_bytes'] / out['resp_bytes']:.2f}x)"
    )
    print(f"  bare GROUP BY dealer, 30 d p50 {out['bare_p50']:7.1f} ms  p95 {out['bare_p95']:7.1f} ms")
    for kind in ("cold", "warm", "nocache"):
        p50, p95 = out[f"{kind}_p50"], out[f"{kind}_p95"]
        print(
            f"  dashboard page {kind:<4}       p50 {p50:7.1f} ms  p95 {p95:7.1f} ms   "
            f"p95 / bare p50 = {p95 / out['bare_p50']:.2f}"
        )
    w, wo = out["submit_with"], out["submit_without"]
    print(
        f"  submit with aggregates     {w * 1000:8.2f} ms, without {wo * 1000:.2f} ms ({w / wo:.2f}x, +{(w - wo) * 1000:.2f} ms)"
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pg", default=PG_URL)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--keep", default=None, help="build the store once into this folder and reuse it")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    if args.backend is None:  # each backend in a process of its own: one app per process, memory returned
        failed = 0
        for backend in ("sqlite", *(() if args.no_pg else ("postgresql",))):
            command = [
                sys.executable,
                __file__,
                "--backend",
                backend,
                "--rows",
                str(rows),
                "--rounds",
                str(args.rounds),
            ]
            command += ["--keep", args.keep] if args.keep else []
            failed |= subprocess.run([*command, "--pg", args.pg], check=False).returncode
        return failed
    if args.keep:
        return _run_kept(args.backend, Path(args.keep), args.pg, rows, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "sqlite":
            run("SQLite", f"sqlite:///{tmp}/bench.sqlite3", rows, args.rounds, Path(tmp))
            return 0
        try:
            schema = PostgresSchema(args.pg, prefix="sk_bench")
        except Exception as exc:  # noqa: BLE001 - any connection failure: the PostgreSQL half is skipped
            print(f"\nPostgreSQL left out: {exc}")
            return 0
        try:
            run("PostgreSQL", schema.url, rows, args.rounds, Path(tmp))
        finally:
            schema.drop()
    return 0


def _run_kept(backend: str, folder: Path, pg: str, rows: int, rounds: int) -> int:
    """One backend on a store kept in ``folder`` (SQLite) or a fixed schema (PostgreSQL), built once."""
    folder.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        run("SQLite", f"sqlite:///{folder}/bench-{rows}.sqlite3", rows, rounds, folder)
        return 0
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"sk_bench_keep_{rows}"
    u = make_url(pg)
    with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, dbname=u.database, autocommit=True) as c:
        c.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    url = u.set(drivername="postgresql+psycopg").update_query_dict({"options": f"-csearch_path={schema}"})
    run("PostgreSQL", url.render_as_string(False), rows, rounds, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
