"""The kill -9 soak and the steady load against the real web form (RELIABILITY.md §6, T8, T9, T11).

The server is ``surveykit serve`` (gunicorn, sync workers, :class:`~tests.support.liveserver.LiveServer`)
on 127.0.0.1 with the survey below: one screen of 20 Likert items and a free-text comment, so a
submission is what a respondent does: ``GET /s/soak`` (a new session cookie, a
CSRF token and a signed submission key ``k``), then ``POST`` the answers, acknowledged
by a 303 to the thanks page only after the commit.  The 303 carries the session
cookie that names the stored response id; ``k`` names the submission key.

Each client (threads in two processes, so the client's GIL does not set the pace)
submits new respondents until the time is up.  When a POST fails (connection
reset because its worker was killed, 502/503, timeout) the client sends the very
same request again - same cookie, same ``k``, same answers - at most
``RETRIES`` times; the store turns a retry of a committed submission into a replay
of the same response id.  A 4xx is never retried: it is counted as unexpected.

Soak (T8/T9): a random worker is killed with SIGKILL every ``kill_every``
seconds; with ``restart_at`` the master and every worker are killed at once at
that time and the server is started again.  Steady (T11): no kills.

Afterwards :meth:`RunResult.failures` lists what went wrong: an acknowledged key not stored
under the id its acknowledgement named, a key stored twice, a stored row without an
acknowledgement, a client that gave up, an unexpected 4xx, a failed SQLite
``PRAGMA integrity_check`` - and, when the caller passes them, missed latency and
throughput targets.  The tests (tests/security/test_soak.py) check the correctness half;
``benchmarks/soak.py`` runs the same code as a script with the RELIABILITY.md targets.
Every loop is bounded by time and count.
"""

from __future__ import annotations

import http.client
import multiprocessing
import random
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.liveserver import (
    REQUEST_TIMEOUT_S,
    LiveServer,
    acknowledged_id,
    fetch_form,
    post_form,
)

SURVEY = "soak"
ITEMS = 20
RETRIES = 20  # attempts per submission (with backoff) before the client gives up on it


def soak_yaml(survey: str = SURVEY) -> str:
    item = "          - {{id: i{n:02d}, type: likert, scale: agree5, text: {{zh: 第{n}题。, en: Statement {n}.}}}}"
    items = "\n".join(item.format(n=n) for n in range(1, ITEMS + 1))
    return (
        textwrap.dedent(f"""\
        survey: {survey}
        version: 1
        title: {{zh: 耐久测试, en: Soak survey}}
        languages: [en, zh]
        scales:
          agree5:
            points: 5
            labels:
              1: {{zh: 非常不同意, en: Strongly disagree}}
              5: {{zh: 非常同意, en: Strongly agree}}
        pages:
          - id: only
            questions:
        """)
        + items
        + ("\n          - {id: comment, type: text, required: false, max: 500, text: {zh: 意见, en: Comment}}\n")
    )


def answers(rng: random.Random, marker: str) -> dict[str, str]:
    values = {f"q_i{n:02d}": str(rng.randint(1, 5)) for n in range(1, ITEMS + 1)}
    # free text that must reach the database and never a log: an answer marker and an e-mail address
    values["q_comment"] = f"soak answer {marker}, reach me at {marker}@example.org"
    return values


def backoff(attempt: int) -> float:
    """Seconds before the next try: 0.05 s doubling up to 1 s, so 20 tries outlast a server restart (~15 s)."""
    return min(1.0, 0.05 * 2 ** min(attempt, 5))


def _client_proc(port: int, seconds: float, threads: int, seed: int, out: Any) -> None:
    deadline = time.monotonic() + seconds
    rng_master = random.Random(seed)
    lock = threading.Lock()
    result: dict[str, Any] = {
        "acks": [],
        "post_ms": [],
        "get_ms": [],
        "ack_ms": [],
        "retries": 0,
        "replays": 0,
        "gave_up": [],
        "unexpected": [],
        "get_failures": 0,
        "errors": {},
    }

    def error(kind: str) -> None:
        with lock:
            result["errors"][kind] = result["errors"].get(kind, 0) + 1

    def run(slot: int) -> None:
        rng = random.Random(rng_master.random() + slot)
        n = 0
        while time.monotonic() < deadline:
            form = None
            for tries in range(RETRIES):
                t0 = time.monotonic()
                try:
                    form = fetch_form(port, SURVEY)
                    with lock:
                        result["get_ms"].append(1000 * (time.monotonic() - t0))
                    break
                except (OSError, http.client.HTTPException, ValueError):
                    error("get")
                    with lock:
                        result["get_failures"] += 1
                    time.sleep(backoff(tries))
                if time.monotonic() > deadline:
                    return
            if form is None:
                return
            key = form.key
            data = answers(rng, f"s{seed}t{slot}n{n}")
            n += 1
            started = time.monotonic()
            for attempt in range(1, RETRIES + 1):
                t0 = time.monotonic()
                try:
                    status, headers, _ = post_form(port, form, data)
                except (OSError, http.client.HTTPException) as exc:
                    status, headers = 0, None
                    error(type(exc).__name__)
                elapsed = 1000 * (time.monotonic() - t0)
                if headers is not None:
                    with lock:
                        result["post_ms"].append(elapsed)
                response_id = acknowledged_id(status, headers, SURVEY) if headers is not None else None
                if response_id is not None:
                    with lock:
                        result["acks"].append((key, response_id))
                        result["ack_ms"].append(1000 * (time.monotonic() - started))
                        result["retries"] += attempt - 1
                    break
                if 400 <= status < 500:
                    with lock:
                        result["unexpected"].append(f"{key}: HTTP {status}")
                    break
                if status >= 500:
                    error(f"HTTP {status}")
                if attempt == RETRIES:
                    with lock:
                        result["gave_up"].append(key)
                    break
                time.sleep(backoff(attempt))  # then the same request again: same cookie, same key, same answers

    workers = [threading.Thread(target=run, args=(slot,)) for slot in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    out.put(result)


def load(port: int, clients: int, seconds: float, seed: int = 1) -> dict[str, Any]:
    """``clients`` concurrent respondents for ``seconds`` (2 processes); the merged client records."""
    procs_n = 2 if clients >= 2 else 1
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    per = [clients // procs_n + (1 if i < clients % procs_n else 0) for i in range(procs_n)]
    procs = [
        ctx.Process(target=_client_proc, args=(port, seconds, per[i], seed * 100 + i, queue)) for i in range(procs_n)
    ]
    for p in procs:
        p.start()
    merged: dict[str, Any] = {}
    for _ in procs:
        part = queue.get(timeout=seconds + RETRIES * (REQUEST_TIMEOUT_S + 1) + 60)
        for name, value in part.items():
            if isinstance(value, list):
                merged.setdefault(name, []).extend(value)
            elif isinstance(value, dict):
                bucket = merged.setdefault(name, {})
                for k, v in value.items():
                    bucket[k] = bucket.get(k, 0) + v
            else:
                merged[name] = merged.get(name, 0) + value
    for p in procs:
        p.join(timeout=30)
    return merged


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: the ceil(q/100 * n)-th smallest value (NaN for no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


# -- checks on the store ---------------------------------------------------------------------------------


def stored(db_url: str, survey: str = SURVEY) -> dict[str, Any]:
    import sqlalchemy as sa

    from surveykit import storage
    from surveykit.database import responses

    engine = storage.make_engine(db_url)
    try:
        with engine.connect() as conn:
            r = responses.c
            rows = conn.execute(sa.select(r.key, r.response_id, r.answers).where(r.survey == survey)).all()
            integrity = (
                conn.exec_driver_sql("PRAGMA integrity_check").scalar() if engine.dialect.name == "sqlite" else "n/a"
            )
    finally:
        engine.dispose()
    return {
        "rows": len(rows),
        "by_key": {row.key: row.response_id for row in rows},
        "distinct_keys": len({row.key for row in rows}),
        "integrity": integrity,
        "comments": [row.answers.get("comment") for row in rows],
    }


# -- a run -----------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    backend: str
    mode: str
    seconds: float
    clients: int
    workers: int
    kills: int = 0
    restarts: int = 0
    acks: int = 0
    per_s: float = 0.0
    lost: int = 0
    mismatched: int = 0
    duplicates: int = 0
    unacknowledged_rows: int = 0
    gave_up: int = 0
    unexpected: int = 0
    retries: int = 0
    integrity: str = ""
    errors: dict[str, int] = field(default_factory=dict)
    post_p50_ms: float = 0.0
    post_p95_ms: float = 0.0
    post_p99_ms: float = 0.0
    ack_p95_ms: float = 0.0
    ack_p99_ms: float = 0.0
    get_p95_ms: float = 0.0
    samples: list[str] = field(default_factory=list)

    def line(self) -> str:
        errors = ", ".join(f"{k} {v}" for k, v in sorted(self.errors.items())) or "none"
        return (
            f"{self.backend} {self.mode}: {self.clients} clients x {self.seconds:.0f} s, {self.workers} workers, "
            f"kills {self.kills}, restarts {self.restarts} | acks {self.acks} ({self.per_s:.1f}/s), lost "
            f"{self.lost}, id mismatches {self.mismatched}, duplicate keys {self.duplicates}, rows without ack "
            f"{self.unacknowledged_rows}, gave up {self.gave_up}, unexpected 4xx {self.unexpected}, "
            f"integrity {self.integrity} | POST p50/p95/p99 {self.post_p50_ms:.0f}/{self.post_p95_ms:.0f}/"
            f"{self.post_p99_ms:.0f} ms, ack p95/p99 {self.ack_p95_ms:.0f}/{self.ack_p99_ms:.0f} ms (with "
            f"retries), GET p95 {self.get_p95_ms:.0f} ms | retries {self.retries}, failed requests: {errors}"
        )

    def failures(
        self,
        *,
        min_acks: int = 0,
        p95_ms: float | None = None,
        p99_ms: float | None = None,
        per_s: float | None = None,
        min_kills: int = 0,
        no_errors: bool = False,
    ) -> list[str]:
        bad = []
        for name in ("lost", "mismatched", "duplicates", "unacknowledged_rows", "gave_up", "unexpected"):
            if getattr(self, name):
                bad.append(f"{name} = {getattr(self, name)}")
        if self.integrity not in ("ok", "n/a"):
            bad.append(f"integrity_check = {self.integrity}")
        if self.acks < min_acks:
            bad.append(f"acks {self.acks} < {min_acks}")
        if self.kills < min_kills:
            bad.append(f"kills {self.kills} < {min_kills}")
        # the soak's latency is the respondent's: first POST to acknowledgement, retries included
        latency = self.ack_p95_ms if self.mode == "soak" else self.post_p95_ms
        if p95_ms is not None and latency >= p95_ms:
            bad.append(f"p95 {latency:.0f} ms >= {p95_ms:.0f}")
        if p99_ms is not None and self.post_p99_ms >= p99_ms:
            bad.append(f"p99 {self.post_p99_ms:.0f} ms >= {p99_ms:.0f}")
        if per_s is not None and self.per_s < per_s:
            bad.append(f"{self.per_s:.1f} submissions/s < {per_s}")
        if no_errors and self.errors:
            bad.append(f"failed requests {self.errors}")
        return bad


def run(
    db_url: str,
    directory: Path,
    *,
    seconds: float = 60.0,
    clients: int = 16,
    workers: int = 4,
    kill_every: float | None = 3.0,
    restart_at: float | None = None,
    seed: int = 7,
    server_env: dict[str, str] | None = None,
) -> tuple[RunResult, LiveServer]:
    """One soak (``kill_every`` set) or steady (``kill_every=None``) run; the server log stays in ``directory``."""
    path = directory / "soak.yaml"
    path.write_text(soak_yaml(), encoding="utf-8")
    backend = "postgresql" if db_url.startswith("postgres") else "sqlite"
    result = RunResult(backend, "soak" if kill_every or restart_at else "steady", seconds, clients, workers)
    server = LiveServer(directory, [str(path)], db_url, workers=workers, env=server_env)
    server.start()
    rng = random.Random(seed)
    records: dict[str, Any] = {}
    try:
        loader = threading.Thread(target=lambda: records.update(load(server.port, clients, seconds, seed)))
        t0 = time.monotonic()
        loader.start()
        next_kill = kill_every if kill_every else float("inf")
        restart = restart_at if restart_at is not None else float("inf")
        while loader.is_alive():
            now = time.monotonic() - t0
            if now >= restart:
                server.kill_all()
                result.restarts += 1
                server.start()
                restart = float("inf")
                next_kill = time.monotonic() - t0 + (kill_every or float("inf"))
            elif now >= next_kill and now < seconds:
                if server.kill_worker(rng) is not None:
                    result.kills += 1
                next_kill += kill_every or float("inf")
            loader.join(timeout=0.05)
    finally:
        server.stop()

    store = stored(db_url)
    acks = dict(records.get("acks", []))
    result.acks = len(acks)
    result.per_s = len(acks) / seconds
    result.lost = sum(1 for key in acks if key not in store["by_key"])
    result.mismatched = sum(1 for key, rid in acks.items() if key in store["by_key"] and store["by_key"][key] != rid)
    result.duplicates = store["rows"] - store["distinct_keys"]
    result.unacknowledged_rows = sum(1 for key in store["by_key"] if key not in acks)
    result.gave_up = len(records.get("gave_up", []))
    result.unexpected = len(records.get("unexpected", []))
    result.samples = records.get("unexpected", [])[:5] + records.get("gave_up", [])[:5]
    result.retries = records.get("retries", 0)
    result.integrity = str(store["integrity"])
    result.errors = records.get("errors", {})
    post, ack, get = records.get("post_ms", []), records.get("ack_ms", []), records.get("get_ms", [])
    result.post_p50_ms, result.post_p95_ms, result.post_p99_ms = (percentile(post, q) for q in (50, 95, 99))
    result.ack_p95_ms, result.ack_p99_ms = percentile(ack, 95), percentile(ack, 99)
    result.get_p95_ms = percentile(get, 95)
    return result, server
