"""Benchmark of the web form, as ratios measured in one run.

1. Page weight: the first page of every shipped instrument (HTML + CSS + JS, raw and gzip -9; the
   app gzips HTML itself for browsers that accept it).
2. Submissions per second with 16 concurrent clients against the real app served by gunicorn
   (``-w 2 -k sync``) on 127.0.0.1, on SQLite (WAL, synchronous=FULL) and on PostgreSQL, each as a
   ratio to a bare Flask endpoint in the same gunicorn that inserts the same row into the same
   database through the same ``storage.save_response``.  A submission is the final POST of a
   one-screen, 40-question survey (7-point scale) with its session cookie, CSRF token and signed
   submission key, answered with a 303 after the commit.  The cookies and tokens are minted ahead
   of the timed window with the app's secret (as a browser would hold them after the GET), and
   each client builds its requests before the window, as it does the bare insert's one request.
   Three submit windows alternate with four bare-insert windows; each submit window is divided by
   the mean of the bare windows either side of it, and the median of the three ratios is shown
   with all three (on a machine others load, single before/after ratios ranged 0.29-1.21).
   The bare insert goes through ``save_response`` too, so the aggregates' upsert
   (:mod:`surveykit.aggregates`) is on both sides of the ratio.
3. Pages per second for the largest page of the shipped instruments (GET, no gzip) as a ratio to a
   plain Jinja loop rendering the same questions (fieldset, legend, labelled radios) in the same
   gunicorn; p50/p95/p99 latency.
4. In-process CPU per request (Flask test client, no HTTP): where the time of a submission goes.

Load comes from 2 client processes x 8 threads (16 connections; gunicorn's sync workers close each
connection, so every request includes a loopback connect).  The clients share the 2 cores with the
server, so absolute figures are shared-CPU ceilings; ratios taken in the same run are the result.

Run: ``python benchmarks/bench_web.py [--quick] [--pg URL] [--no-pg] [--seconds S]``.
PostgreSQL runs in a throwaway schema that is dropped at the end; it is left out (with a note)
when the server does not answer.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import http.client
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.pgschema import PG_URL, PostgresSchema  # noqa: E402

SECRET = "bench-web-secret-key-0123456789abcdef"  # noqa: S105 - a throwaway key for a server on 127.0.0.1
CLIENT_PROCS, THREADS = 2, 8  # 16 concurrent clients
SUBMIT_WINDOWS = 3  # submit windows, each between two bare-insert windows: a ratio per window, the median shown
ITEMS = 40
SURVEY_40 = "bench40"
STATUS = {"bare_insert": 201, "submit": 303, "jinja": 200, "page": 200, "hello": 200}


def _questionnaire_40() -> str:
    items = "\n".join(
        f"          - {{id: i{n:02d}, type: likert, scale: agree7, text: {{zh: 第{n}题陈述。, en: Statement {n}.}}}}"
        for n in range(1, ITEMS + 1)
    )
    return (
        textwrap.dedent("""\
        survey: bench40
        version: 1
        title: {zh: 四十题, en: Forty items}
        languages: [zh, en]
        scales:
          agree7:
            points: 7
            labels:
              1: {zh: 非常不同意, en: Strongly disagree}
              7: {zh: 非常同意, en: Strongly agree}
        pages:
          - id: only
            questions:
        """)
        + items
        + "\n"
    )


def instruments() -> list[Path]:
    return sorted((ROOT / "questionnaires").glob("*.yaml"))


def largest_first_page() -> tuple[str, str, int]:
    """(survey id, screen id, inputs) of the largest first screen, and a note if a later one is larger."""
    from surveykit import load_questionnaire

    best: tuple[int, str, str, bool] = (0, "", "", False)
    for path in instruments():
        q = load_questionnaire(path)
        for i, screen in enumerate(q.screens()):
            inputs = sum(_inputs(x) for x in screen.questions)
            if inputs > best[0] and i == 0:
                best = (inputs, q.survey, screen.id, True)
    return best[1], best[2], best[0]


def _inputs(question: Any) -> int:
    if question.type == "matrix":
        return len(question.rows) * len(question.points)
    if question.type in ("likert", "nps"):
        return len(question.points)
    if question.type in ("choice", "kano", "multi", "constant_sum"):
        return len(question.options)
    return 1


# -- the WSGI app gunicorn serves: the real app, plus /bare/* endpoints in a plain Flask app -----------

PLAIN_LOOP = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><form method="post" action="/x">{% for q in questions %}<fieldset><legend>{{ q.text }}</legend>
{% for value, label in q.options %}<label><input type="radio" name="{{ q.name }}" value="{{ value }}">{{ label }}</label>{% endfor %}
</fieldset>{% endfor %}<button>Next</button></form></body></html>"""


def _plain_questions(q: Any, screen_id: str, lang: str) -> list[dict[str, Any]]:
    screen = next(s for s in q.screens() if s.id == screen_id)
    out = []
    for question in screen.questions:
        groups = (
            [(r.id, r.text.best(lang)) for r in question.rows]
            if question.type == "matrix"
            else [(question.id, question.text.best(lang))]
        )
        for name, text in groups:
            if question.options:
                options = [(o.code, o.text.best(lang)) for o in question.options]
            else:
                labels = dict(question.scale.labels) if question.scale is not None else {}
                options = [(str(p), f"{p} {labels[p].best(lang)}" if p in labels else str(p)) for p in question.points]
            out.append({"name": name, "text": text, "options": options})
    return out


def wsgi_app() -> Any:
    """The app under test (gunicorn ``bench_web:wsgi_app()``), configured from BENCH_* variables."""
    import flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from surveykit import storage
    from webform import create_app

    url = os.environ["BENCH_DB_URL"]
    paths = os.environ["BENCH_QUESTIONNAIRES"].split(os.pathsep)
    real = create_app({"DATABASE_URL": url, "QUESTIONNAIRES": paths, "SECRET_KEY": SECRET})
    q40 = real.extensions["surveykit"].current[SURVEY_40][0]
    engine = storage.make_engine(url)
    names = [x.id for x in q40.questions()]

    bare = flask.Flask("bare")
    survey_id, screen_id, _ = largest_first_page()
    big = real.extensions["surveykit"].current[survey_id][0]
    lang = big.languages[0]
    questions = _plain_questions(big, screen_id, lang)
    template = bare.jinja_env.from_string(PLAIN_LOOP)

    @bare.get("/hello")
    def hello() -> str:
        return "hello"

    @bare.post("/insert")
    def insert() -> tuple[str, int]:
        form = flask.request.form
        answers = {name: int(form[name]) for name in names}
        storage.save_response(engine, q40, answers, key=secrets.token_urlsafe(16), language="zh")
        return "", 201

    @bare.get("/jinja")
    def jinja() -> str:
        return template.render(lang="zh-Hans", title=big.title.best(lang), questions=questions)

    # as webform.server does in each worker after create_app: the apps' long-lived objects out of the
    # collector's sweeps (both apps share the process, so the bare endpoint gains as much)
    gc.collect()
    gc.freeze()
    return DispatcherMiddleware(real, {"/bare": bare})


# -- minted credentials for the real submit ------------------------------------------------------------


def mint(n: int) -> list[tuple[str, str, str]]:
    """n distinct (session cookie, CSRF token, signed submission key), as the GET of the page would give."""
    import flask
    from flask_wtf.csrf import generate_csrf

    from surveykit import storage
    from webform.session_cookie import SessionInterface
    from webform.survey import key_serializer

    app = flask.Flask("mint")
    app.config["SECRET_KEY"] = SECRET
    signer = SessionInterface().get_signing_serializer(app)  # the real app's session cookie
    keys = key_serializer(SECRET)
    out = []
    with app.test_request_context():
        for _ in range(n):
            flask.session.clear()
            flask.g.pop("csrf_token", None)
            token = generate_csrf()
            out.append((signer.dumps(dict(flask.session)), token, keys.dumps(storage.new_submission_key())))
    return out


# -- load generation ---------------------------------------------------------------------------------------


def _client_proc(port: int, kind: str, seconds: float, creds: list[tuple[str, str, str]], out: Any) -> None:
    """8 client threads on raw sockets: one pre-built request each, read to EOF (sync workers close)."""
    answers = "&".join(f"q_i{n:02d}={(n % 7) + 1}" for n in range(1, ITEMS + 1))
    bare_body = "&".join(f"i{n:02d}={(n % 7) + 1}" for n in range(1, ITEMS + 1))
    page_path = os.environ.get("BENCH_PAGE_PATH", "/")
    expect = b"HTTP/1.1 %d" % STATUS[kind]
    lock = threading.Lock()
    cursor = [0]
    results: list[tuple[int, list[float], int, int]] = []
    start = threading.Barrier(THREADS)

    def build(method: str, path: str, body: str = "", extra: str = "") -> bytes:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{extra}"
        if method == "POST":
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        return (head + "\r\n" + body).encode()

    fixed = {
        "bare_insert": build("POST", "/bare/insert", bare_body),
        "hello": build("GET", "/bare/hello"),
        "jinja": build("GET", "/bare/jinja"),
        "page": build("GET", page_path),
    }

    def submit(cookie: str, csrf: str, key: str) -> bytes:
        body = f"csrf_token={urllib.parse.quote(csrf)}&k={urllib.parse.quote(key)}&action=next&" + answers
        return build("POST", f"/s/{SURVEY_40}/p/only", body, f"Cookie: session={cookie}\r\n")

    # built before the window, as the fixed requests are: the clients' CPU (shared with the server)
    # is then the same per request on both sides of the ratio
    submits = [submit(*cred) for cred in creds] if kind == "submit" else []

    def request() -> bytes:
        if kind in fixed:
            return fixed[kind]
        with lock:
            i = cursor[0]
            cursor[0] += 1
        return submits[i % len(submits)]

    def run() -> None:
        latencies: list[float] = []
        ok = bad = errors = 0
        start.wait()
        deadline = time.perf_counter() + seconds
        while True:
            data = request()
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                    sock.sendall(data)
                    first = sock.recv(65536)
                    while sock.recv(65536):
                        pass
            except OSError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - t0)
            if first.startswith(expect):
                ok += 1
            else:
                bad += 1
        with lock:
            results.append((ok, latencies, bad, errors))

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(
        (
            sum(r[0] for r in results),
            [x for r in results for x in r[1]],
            sum(r[2] for r in results),
            sum(r[3] for r in results),
            cursor[0],
        )
    )


def load(port: int, kind: str, seconds: float, creds: list[list[tuple[str, str, str]]] | None = None) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_client_proc, args=(port, kind, seconds, creds[i] if creds else [], out))
        for i in range(CLIENT_PROCS)
    ]
    for p in procs:
        p.start()
    parts = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    ok = sum(p[0] for p in parts)
    latencies = sorted(x for p in parts for x in p[1])
    used = max((p[4] for p in parts), default=0)
    pool = min((len(c) for c in creds), default=0) if creds else 0

    def pct(f: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(f * len(latencies)))] if latencies else float("nan")

    return {
        "rps": ok / seconds,
        "ok": ok,
        "bad": sum(p[2] for p in parts),
        "errors": sum(p[3] for p in parts),
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "reused": max(0, used - pool),
    }


# -- servers ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gunicorn:
    def __init__(self, url: str, paths: list[str], workers: int) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "BENCH_DB_URL": url,
            "BENCH_QUESTIONNAIRES": os.pathsep.join(paths),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(__file__).parent)]),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-k",
                "sync",
                "-b",
                f"127.0.0.1:{self.port}",
                "--backlog",
                "256",
                "--log-level",
                "warning",
                "bench_web:wsgi_app()",
            ],
            cwd=str(Path(__file__).parent),
            env=env,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited at start")
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _load() -> str:
    """The 1, 5 and 15-minute load averages: the machine is shared, every figure is read beside them."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _mean(windows: list[dict[str, Any]]) -> dict[str, Any]:
    """Windows of one endpoint as one row: mean req/s and latencies, summed counts."""
    out = {k: statistics.fmean(w[k] for w in windows) for k in ("rps", "p50", "p95", "p99")}
    return {**out, **{k: sum(w[k] for w in windows) for k in ("ok", "bad", "errors", "reused")}}


def _rows(url: str) -> int:
    import sqlalchemy as sa

    from surveykit import storage

    engine = storage.make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM responses")).scalar_one())
    finally:
        engine.dispose()


# -- the parts -------------------------------------------------------------------------------------------


def page_weights(paths: list[str]) -> list[tuple[str, int, int, int, int]]:
    from webform import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp}/w.sqlite3", "QUESTIONNAIRES": paths})
        client = app.test_client()
        static = Path(app.static_folder or "")
        assets = (static / "surveykit.css").read_bytes() + (static / "surveykit.js").read_bytes()
        assets_gz = len(gzip.compress((static / "surveykit.css").read_bytes(), 9)) + len(
            gzip.compress((static / "surveykit.js").read_bytes(), 9)
        )
        out = []
        for survey_id in sorted(app.extensions["surveykit"].current):
            if survey_id == SURVEY_40:
                continue
            html = client.get(f"/s/{survey_id}", headers={"Accept-Language": "zh-CN"}).get_data()
            out.append(
                (
                    survey_id,
                    len(html),
                    len(gzip.compress(html, 9)),
                    len(html) + len(assets),
                    len(gzip.compress(html, 9)) + assets_gz,
                )
            )
        app.extensions["surveykit"].engine.dispose()
    return out


def _answered_page(client: Any, page_path: str) -> str:
    """Answer the first page through the real flow and return its URL: revisiting it renders every answer."""
    import re

    from surveykit import load_questionnaire

    survey_id = page_path.rsplit("/", 1)[-1]
    q = next(load_questionnaire(p) for p in instruments() if load_questionnaire(p).survey == survey_id)
    screen = q.screens()[0]
    text = client.get(page_path).get_data(as_text=True)
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', text))
    for question in screen.questions:
        for name in [r.id for r in question.rows] if question.type == "matrix" else [question.id]:
            if question.options:
                data[f"q_{name}"] = question.options[0].code
            elif question.points:
                data[f"q_{name}"] = str(question.points[-1])
    response = client.post(f"/s/{survey_id}/p/{screen.id}", data={**data, "action": "next"})
    assert response.status_code == 303, response.status_code
    return f"/s/{survey_id}/p/{screen.id}"


def in_process(paths: list[str], page_path: str, rounds: int) -> dict[str, float]:
    """Microseconds of CPU per request through the Flask test client (no HTTP, no load generator)."""
    from unittest import mock

    import flask

    from surveykit import storage

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BENCH_DB_URL"] = f"sqlite:///{tmp}/p.sqlite3"
        os.environ["BENCH_QUESTIONNAIRES"] = os.pathsep.join(paths)
        app = wsgi_app()
        environ_base = {"REMOTE_ADDR": "127.0.0.1"}
        creds = mint(rounds * 3 + 20)
        answers = {f"q_i{n:02d}": str((n % 7) + 1) for n in range(1, ITEMS + 1)}
        bare = {f"i{n:02d}": str((n % 7) + 1) for n in range(1, ITEMS + 1)}
        from werkzeug.test import Client

        client = Client(app)
        it = iter(creds)

        def submit() -> None:
            cookie, csrf, key = next(it)
            client.set_cookie("session", cookie)
            r = client.post(
                f"/s/{SURVEY_40}/p/only",
                data={**answers, "csrf_token": csrf, "k": key, "action": "next"},
                environ_base=environ_base,
            )
            assert r.status_code == 303, r.status_code

        def insert() -> None:
            assert client.post("/bare/insert", data=bare).status_code == 201

        def timed(fn: Any, n: int) -> float:
            """The fastest of 5 batches: the CPU cost, with as little of the other load on the box as possible."""
            fn()
            samples = []
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                samples.append((time.perf_counter() - t0) / n * 1e6)
            return min(samples)

        revisit = _answered_page(client, page_path)
        res = {
            "revisit": timed(lambda: client.get(revisit).close(), rounds),
            "page": timed(lambda: client.get(page_path).close(), rounds),
            "jinja": timed(lambda: client.get("/bare/jinja").close(), rounds),
        }
        fake = storage.SaveResult("0" * 32, True)
        with mock.patch.object(storage, "save_response", return_value=fake):
            res["insert_nodb"] = timed(insert, rounds // 2)
            res["submit_nodb"] = timed(submit, rounds // 2)
        del flask
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short windows (3 s)")
    parser.add_argument("--seconds", type=float, help="seconds per measured window")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg", default=PG_URL)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    rounds = 60 if args.quick else 200

    tmp = tempfile.TemporaryDirectory()
    q40 = Path(tmp.name) / "bench40.yaml"
    q40.write_text(_questionnaire_40(), encoding="utf-8")
    paths = [str(p) for p in instruments()] + [str(q40)]
    survey_id, screen_id, inputs = largest_first_page()
    page_path = f"/s/{survey_id}"
    os.environ["BENCH_PAGE_PATH"] = page_path

    print(
        f"web form benchmark: gunicorn -w {args.workers} -k sync on 127.0.0.1, {CLIENT_PROCS * THREADS} clients "
        f"({CLIENT_PROCS} processes x {THREADS} threads), {seconds:.0f} s per window"
    )
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {_load()}\n")

    print("1. First page of each shipped instrument (zh), bytes: HTML | HTML gzip -9 | + CSS + JS | all gzip")
    print(f"   {'survey':32} {'html':>7} {'gz':>6} {'all':>7} {'all gz':>7}")
    for sid, html, html_gz, total, total_gz in page_weights(paths):
        flag = "" if total < 30 * 1024 else "  (> 30 KB raw; the app sends HTML gzipped)"
        print(f"   {sid:32} {html:7,} {html_gz:6,} {total:7,} {total_gz:7,}{flag}")

    backends: list[tuple[str, str, Any]] = [("sqlite", f"sqlite:///{tmp.name}/bench.sqlite3", None)]
    if not args.no_pg:
        try:
            schema = PostgresSchema(args.pg, prefix="sk_bench_web")
            backends.append(("postgres", schema.url, schema))
        except Exception as exc:  # noqa: BLE001 - any failure to reach the server means: leave it out
            print(f"\n(PostgreSQL left out: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")

    table: list[tuple[str, str, dict[str, Any], str]] = []
    pages: dict[str, dict[str, Any]] = {}
    try:
        for name, url, _schema in backends:
            server = Gunicorn(url, paths, args.workers)
            try:
                load(server.port, "hello", 1.0)  # warm-up
                load(server.port, "bare_insert", 1.0)
                rows0 = _rows(url)
                pool = int(seconds * 1500) + 1000
                creds = [mint(pool * SUBMIT_WINDOWS) for _ in range(CLIENT_PROCS)]
                bare = [load(server.port, "bare_insert", seconds)]
                real = []
                for i in range(SUBMIT_WINDOWS):  # bare, submit, bare, submit, ..., bare
                    part = [c[i * pool : (i + 1) * pool] for c in creds]
                    real.append(load(server.port, "submit", seconds, part))
                    bare.append(load(server.port, "bare_insert", seconds))
                rows1 = _rows(url)
                expected = sum(r["ok"] for r in bare + real)
                check = "rows ok" if rows1 - rows0 == expected else f"ROWS {rows1 - rows0} != {expected}"
                # each submit window against the mean of the bare windows either side of it
                ratios = [r["rps"] / ((bare[i]["rps"] + bare[i + 1]["rps"]) / 2) for i, r in enumerate(real)]
                spread = (
                    f"ratio {statistics.median(ratios):.2f} (median; {' '.join(f'{x:.2f}' for x in ratios)})"
                    f"  load {_load()}"
                )
                table.append((name, f"bare insert (mean of {len(bare)} windows)", _mean(bare), check))
                table.append((name, f"survey submit (mean of {len(real)} windows)", _mean(real), spread))
                if name == "sqlite":
                    jinja_a = load(server.port, "jinja", seconds)
                    page = load(server.port, "page", seconds)
                    jinja_b = load(server.port, "jinja", seconds)
                    pages = {"jinja": {**jinja_a, "rps": (jinja_a["rps"] + jinja_b["rps"]) / 2}, "page": page}
            finally:
                server.stop()
    finally:
        for _name, _url, schema in backends:
            if schema is not None:
                schema.drop()

    print(f"\n2. Submissions/s, 16 clients; a submission = final POST of a one-screen {ITEMS}-item survey")
    print(f"   {'db':9} {'endpoint':38} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'non-2xx/3xx':>11}")
    for name, label, r, note in table:
        print(
            f"   {name:9} {label:38} {r['rps']:7.0f} {r['p50']:7.1f} {r['p95']:7.1f} {r['p99']:7.1f} "
            f"{r['bad'] + r['errors']:11d}  {note}"
            + (f"  ({r['reused']} credentials reused)" if r.get("reused") else "")
        )

    if pages:
        j, p = pages["jinja"], pages["page"]
        print(f"\n3. Pages/s, largest first page: {survey_id}/{screen_id} ({inputs} inputs), GET without gzip")
        print(f"   {'endpoint':38} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
        print(
            f"   {'plain Jinja loop (mean before/after)':38} {j['rps']:7.0f} {j['p50']:7.1f} {j['p95']:7.1f} {j['p99']:7.1f}"
        )
        print(
            f"   {'survey page':38} {p['rps']:7.0f} {p['p50']:7.1f} {p['p95']:7.1f} {p['p99']:7.1f}"
            f"  ratio {p['rps'] / j['rps']:.2f}"
        )

    res = in_process(paths, page_path, rounds)
    print(f"\n4. In-process CPU per request (Flask test client, fastest of 5 batches), microseconds; load {_load()}")
    print(
        f"   render {survey_id} first page: {res['page']:8.0f}   plain Jinja loop: {res['jinja']:8.0f}   "
        f"ratio {res['jinja'] / res['page']:.2f}"
    )
    print(
        f"   the same page revisited with every question answered (draft loaded from SQLite): {res['revisit']:8.0f}"
        f"   ratio {res['jinja'] / res['revisit']:.2f}"
    )
    print(
        f"   submit, store stubbed:   {res['submit_nodb']:8.0f}   bare insert, store stubbed: {res['insert_nodb']:8.0f}"
        f"   web form layer: +{res['submit_nodb'] - res['insert_nodb']:.0f}"
    )
    print(
        "   (with the store, a submission adds one durable commit to both; its fsync time varies too much in-process"
        " to compare here: see part 2)"
    )
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
