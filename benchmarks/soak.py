"""Kill -9 soak and steady load against the real web form (RELIABILITY.md §6, T8, T9, T11).

The server is ``surveykit serve`` (gunicorn, sync workers) on 127.0.0.1 with the
survey below: one screen of 20 Likert items and a free-text comment, so a
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

Soak (T8/T9): a random worker is killed with SIGKILL every ``--kill-every``
seconds; with ``--restart-at`` the master and every worker are killed at once at
that time and the server is started again.  Steady (T11): no kills.

Afterwards every acknowledged key must be stored under the id its
acknowledgement named (0 lost, 0 id mismatches), no key twice, no stored row
without an acknowledgement, no client gave up, and on SQLite
``PRAGMA integrity_check`` is ok.  The figures are printed; the exit status says
whether the targets were met.

Every loop is bounded by time and count, the server binds 127.0.0.1 only and is
stopped at the end.  Run::

    python benchmarks/soak.py                         # T8 + T9: both backends, 16 clients x 60 s, a kill every 3 s
    python benchmarks/soak.py --restart-at 30         # the variant: master + workers killed at t = 30 s
    python benchmarks/soak.py --steady --backend sqlite   # T11
    python benchmarks/soak.py --seconds 5 --clients 8     # a short run

The security tests (tests/security/) use :class:`LiveServer` and the client
helpers of this module for their real-server checks.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pgschema import PG_URL, PostgresSchema  # noqa: E402,F401  (tests use soak.PostgresSchema)

SECRET = "soak-secret-" + "k3y-for-127.0.0.1-only-0123456789"
SURVEY = "soak"
ITEMS = 20
RETRIES = 20             # attempts per submission (with backoff) before the client gives up on it
REQUEST_TIMEOUT_S = 10.0
TARGETS = {            # RELIABILITY.md §6
    "soak": {"acks": 1500, "p95_ms": 1500.0},
    "steady": {"per_s": 50.0, "p95_ms": 500.0, "p99_ms": 1000.0},
}


def soak_yaml(survey: str = SURVEY) -> str:
    items = "\n".join(f"          - {{id: i{n:02d}, type: likert, scale: agree5, text: {{zh: 第{n}题。, en: Statement {n}.}}}}"
                      for n in range(1, ITEMS + 1))
    return textwrap.dedent(f"""\
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
        """) + items + "\n          - {id: comment, type: text, required: false, max: 500, text: {zh: 意见, en: Comment}}\n"


# -- the server ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            after = stat.rsplit(")", 1)[1].split()
            if int(after[1]) == pid and after[0] != "Z":
                found.append(int(entry.name))
    return found


class LiveServer:
    """``surveykit serve`` (or gunicorn with extra options) on 127.0.0.1, in its own process group.

    ``gunicorn_args`` switches from ``surveykit serve`` to ``gunicorn 'webform:create_app()'`` with
    those options (the same app factory, configured through ``SURVEYKIT_*`` variables), for the
    settings ``serve`` does not expose, such as ``--timeout``.
    """

    def __init__(self, directory: Path, questionnaires: list[str], db_url: str, *, workers: int = 4,
                 env: dict[str, str] | None = None, gunicorn_args: list[str] | None = None) -> None:
        self.directory, self.questionnaires, self.db_url, self.workers = directory, questionnaires, db_url, workers
        self.port = free_port()
        self.extra_env = env or {}
        self.gunicorn_args = gunicorn_args
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = directory / f"server-{self.port}.log"

    def command(self) -> list[str]:
        if self.gunicorn_args is None:
            return [sys.executable, "-c", "from surveykit.cli import main; main()", "serve", *self.questionnaires,
                    "--db", self.db_url, "--host", "127.0.0.1", "--port", str(self.port),
                    "--workers", str(self.workers)]
        return [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--worker-class", "sync",
                "--bind", f"127.0.0.1:{self.port}", "--no-control-socket", *self.gunicorn_args,
                "webform:create_app()"]

    def start(self, timeout_s: float = 60.0) -> None:
        env = {**os.environ, "SURVEYKIT_SECRET_KEY": SECRET, "PYTHONPATH": str(ROOT), **self.extra_env}
        if self.gunicorn_args is not None:
            env["SURVEYKIT_QUESTIONNAIRES"] = json.dumps(self.questionnaires)
            env["SURVEYKIT_DATABASE_URL"] = self.db_url
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.command(), cwd=str(self.directory), env=env, start_new_session=True,
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited at start: {self.log.read_text()[-3000:]}")
            try:
                status, _, _ = request(self.port, "GET", "/healthz", timeout=2)
                if status == 200 and len(children(self.proc.pid)) >= self.workers:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not come up in {timeout_s:.0f} s: {self.log.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        return children(self.proc.pid)

    def kill_worker(self, rng: random.Random) -> int | None:
        pids = self.worker_pids()
        if not pids:
            return None
        victim = rng.choice(pids)
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            return None
        return victim

    def kill_all(self) -> None:
        """SIGKILL to the master and every worker at once (a crash of the whole server)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# -- the client ----------------------------------------------------------------------------------------

def request(port: int, method: str, path: str, *, body: bytes | str | None = None, headers: dict[str, str] | None = None,
            timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One HTTP/1.1 request on a new connection to 127.0.0.1 (gunicorn's sync workers close it anyway)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.msg, response.read()
    finally:
        conn.close()


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def session_cookie(headers: http.client.HTTPMessage) -> str | None:
    for value in headers.get_all("Set-Cookie") or ():
        name, _, rest = value.partition("=")
        if name.strip() in ("session", "__Host-session"):
            return f"{name.strip()}={rest.split(';', 1)[0]}"
    return None


def signed_payload(value: str) -> Any:
    """The JSON inside an itsdangerous token (a Flask session cookie or the form's ``k``); the signature is not checked."""
    compressed = value.startswith(".")
    data = value.lstrip(".").split(".", 1)[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


@dataclass
class Form:
    cookie: str
    hidden: dict[str, str]
    action: str

    @property
    def key(self) -> str:
        return str(signed_payload(self.hidden["k"]))


def fetch_form(port: int, survey: str = SURVEY, query: str = "") -> Form:
    status, headers, body = request(port, "GET", f"/s/{survey}{query}")
    if status != 200:
        raise http.client.HTTPException(f"GET /s/{survey}: HTTP {status}")
    text = body.decode("utf-8")
    cookie = session_cookie(headers)
    action = re.search(r'<form method="post" action="([^"]+)"', text)
    if cookie is None or action is None:
        raise http.client.HTTPException("the survey page has no session cookie or form")
    return Form(cookie, dict(_HIDDEN.findall(text)), action.group(1))


def answers(rng: random.Random, marker: str) -> dict[str, str]:
    values = {f"q_i{n:02d}": str(rng.randint(1, 5)) for n in range(1, ITEMS + 1)}
    # free text that must reach the database and never a log: an answer marker and an e-mail address
    values["q_comment"] = f"soak answer {marker}, reach me at {marker}@example.org"
    return values


def post_form(port: int, form: Form, data: dict[str, str], *, timeout: float = REQUEST_TIMEOUT_S,
              ) -> tuple[int, http.client.HTTPMessage, bytes]:
    body = urllib.parse.urlencode({**form.hidden, **data, "action": "next"})
    return request(port, "POST", form.action, body=body, timeout=timeout,
                   headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": form.cookie})


def acknowledged_id(status: int, headers: http.client.HTTPMessage, survey: str = SURVEY) -> str | None:
    """The response id a 303-to-thanks names (in its session cookie), or None for anything else."""
    if status != 303 or not (headers.get("Location") or "").endswith(f"/s/{survey}/thanks"):
        return None
    cookie = session_cookie(headers)
    if cookie is None:
        return None
    done = signed_payload(cookie.split("=", 1)[1]).get("done", {})
    value = done.get(survey)
    return value if isinstance(value, str) else None


def backoff(attempt: int) -> float:
    """Seconds before the next try: 0.05 s doubling up to 1 s, so 20 tries outlast a server restart (~15 s)."""
    return min(1.0, 0.05 * 2 ** min(attempt, 5))


def _client_proc(port: int, seconds: float, threads: int, seed: int, out: Any) -> None:
    deadline = time.monotonic() + seconds
    rng_master = random.Random(seed)
    lock = threading.Lock()
    result: dict[str, Any] = {"acks": [], "post_ms": [], "get_ms": [], "ack_ms": [], "retries": 0, "replays": 0,
                              "gave_up": [], "unexpected": [], "get_failures": 0, "errors": {}}

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
                    form = fetch_form(port)
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
                response_id = acknowledged_id(status, headers) if headers is not None else None
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
                time.sleep(backoff(attempt))   # then the same request again: same cookie, same key, same answers

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
    procs = [ctx.Process(target=_client_proc, args=(port, seconds, per[i], seed * 100 + i, queue))
             for i in range(procs_n)]
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
            integrity = (conn.exec_driver_sql("PRAGMA integrity_check").scalar()
                         if engine.dialect.name == "sqlite" else "n/a")
    finally:
        engine.dispose()
    return {"rows": len(rows), "by_key": {row.key: row.response_id for row in rows},
            "distinct_keys": len({row.key for row in rows}), "integrity": integrity,
            "comments": [row.answers.get("comment") for row in rows]}


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
        return (f"{self.backend} {self.mode}: {self.clients} clients x {self.seconds:.0f} s, {self.workers} workers, "
                f"kills {self.kills}, restarts {self.restarts} | acks {self.acks} ({self.per_s:.1f}/s), lost "
                f"{self.lost}, id mismatches {self.mismatched}, duplicate keys {self.duplicates}, rows without ack "
                f"{self.unacknowledged_rows}, gave up {self.gave_up}, unexpected 4xx {self.unexpected}, "
                f"integrity {self.integrity} | POST p50/p95/p99 {self.post_p50_ms:.0f}/{self.post_p95_ms:.0f}/"
                f"{self.post_p99_ms:.0f} ms, ack p95/p99 {self.ack_p95_ms:.0f}/{self.ack_p99_ms:.0f} ms (with "
                f"retries), GET p95 {self.get_p95_ms:.0f} ms | retries {self.retries}, failed requests: {errors}")

    def failures(self, *, min_acks: int = 0, p95_ms: float | None = None, p99_ms: float | None = None,
                 per_s: float | None = None, min_kills: int = 0, no_errors: bool = False) -> list[str]:
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


def run(db_url: str, directory: Path, *, seconds: float = 60.0, clients: int = 16, workers: int = 4,
        kill_every: float | None = 3.0, restart_at: float | None = None, seed: int = 7,
        server_env: dict[str, str] | None = None) -> tuple[RunResult, LiveServer]:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill-every", type=float, default=3.0)
    parser.add_argument("--restart-at", type=float, default=None, help="kill -9 master + workers at this second")
    parser.add_argument("--steady", action="store_true", help="T11: no kills")
    parser.add_argument("--pg", default=PG_URL)
    args = parser.parse_args()
    if not 1 <= args.clients <= 64 or not 0 < args.seconds <= 600:
        parser.error("1..64 clients, at most 600 s")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    failed = False
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="sk-soak-") as tmp:
            schema = PostgresSchema(args.pg) if backend == "postgresql" else None
            url = schema.url if schema else f"sqlite:///{tmp}/soak.sqlite3"
            try:
                result, _ = run(url, Path(tmp), seconds=args.seconds, clients=args.clients, workers=args.workers,
                                kill_every=None if args.steady else args.kill_every,
                                restart_at=None if args.steady else args.restart_at)
            finally:
                if schema:
                    schema.drop()
        print(result.line(), flush=True)
        scale = args.seconds / 60
        if result.mode == "steady":
            t = TARGETS["steady"]
            bad = result.failures(p95_ms=t["p95_ms"], p99_ms=t["p99_ms"], per_s=t["per_s"], no_errors=True)
        else:
            t = TARGETS["soak"]
            bad = result.failures(min_acks=int(t["acks"] * scale), p95_ms=t["p95_ms"],
                                  min_kills=int(args.seconds / args.kill_every * 0.75) if args.kill_every else 0)
        print("  targets met" if not bad else "  NOT MET: " + "; ".join(bad), flush=True)
        if result.samples:
            print("  e.g. " + "; ".join(result.samples), flush=True)
        failed |= bool(bad)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
