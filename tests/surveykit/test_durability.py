"""SIGKILL under load loses no acknowledged response (RELIABILITY.md T8/T9, short form).

A small WSGI endpoint that calls ``storage.save_response`` runs under gunicorn
(2 sync workers) on 127.0.0.1.  Client threads submit, retrying the same key on
any failure, and record a key as acknowledged only when a 2xx arrived.  During
the run one worker is killed with SIGKILL, then the master and every worker at
once; the server is restarted and the clients carry on.  Afterwards every
acknowledged key is stored under the id its acknowledgement named, no key is
stored twice, no client gave up, and SQLite's ``integrity_check`` is ok.
Bounded: about 5 s per backend.  The hardening issue scales this into a soak.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from surveykit import storage
from surveykit.database import responses

APP = '''
import json, os
from surveykit import load_questionnaire, storage

QUESTIONNAIRE = load_questionnaire(os.environ["SK_QUESTIONNAIRE"])
_engine = None


def app(environ, start_response):
    global _engine
    if _engine is None:          # created in the worker, after the fork
        _engine = storage.make_engine(os.environ["SK_DATABASE_URL"])
    if environ["REQUEST_METHOD"] == "GET":
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]
    body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    result = storage.save_response(_engine, QUESTIONNAIRE, body["answers"], key=body["key"], language="en")
    # the commit has returned: only now is the submission acknowledged
    payload = json.dumps({"id": result.response_id, "created": result.created}).encode()
    start_response("201 Created" if result.created else "200 OK",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
'''
CLIENTS = 8
KILL_WORKER_AT = 1.0
KILL_SERVER_AT = 2.0
AFTER_RESTART_S = 1.0  # new keys are started until this long after the restart
GIVE_UP_S = 20.0       # a key still unacknowledged after this long counts as given up


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


class Server:
    def __init__(self, directory: Path, port: int, env: dict[str, str]) -> None:
        self.directory, self.port, self.env = directory, port, env
        self.proc: subprocess.Popen | None = None
        self.log = directory / "gunicorn.log"

    def start(self) -> None:
        # --preload: the app is imported once in the master, so a killed worker is replaced by a
        # fork in milliseconds; each worker still opens its own connections (the engine is lazy).
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync", "--preload",
                 "--bind", f"127.0.0.1:{self.port}", "--chdir", str(self.directory), "--timeout", "30",
                 "--log-level", "warning", "--no-control-socket", "durability_app:app"],
                env=self.env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/")
                if conn.getresponse().status == 200 and len(_children(self.proc.pid)) == 2:
                    conn.close()
                    return
                conn.close()
            except (OSError, http.client.HTTPException):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not come up within 30 s: {self.log.read_text()[-2000:]}")

    def kill_worker(self) -> int:
        victim = _children(self.proc.pid)[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    def kill_all(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)   # master and workers at once
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def _post(port: int, key: str, answers: dict) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("POST", "/", body=json.dumps({"key": key, "answers": answers}),
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}") if response.status < 300 else {}
    finally:
        conn.close()


def test_sigkill_under_load_loses_no_acknowledged_response(engine, db_url, registered, survey_path, tmp_path):
    (tmp_path / "durability_app.py").write_text(APP, encoding="utf-8")
    env = {**os.environ, "SK_QUESTIONNAIRE": str(survey_path), "SK_DATABASE_URL": db_url}
    server = Server(tmp_path, _free_port(), env)
    acked: dict[str, str] = {}
    attempts = {"retries": 0, "replays": 0}
    gave_up: list[str] = []
    unexpected: list[str] = []
    lock = threading.Lock()
    stop_at = [float("inf")]

    def client(slot: int) -> None:
        i = 0
        while time.monotonic() < stop_at[0]:
            key = f"c{slot}-{i}"
            answers = {"sat_overall": 1 + (slot + i) % 7, "comment": key}
            started = time.monotonic()
            while True:
                try:
                    status, body = _post(server.port, key, answers)
                except (OSError, http.client.HTTPException):
                    status, body = 0, {}
                if 200 <= status < 300:
                    with lock:
                        acked[key] = body["id"]
                        attempts["replays"] += not body["created"]
                    break
                if 400 <= status < 500:
                    unexpected.append(f"{key}: HTTP {status}")
                    return
                if time.monotonic() - started > GIVE_UP_S:
                    gave_up.append(key)
                    return
                with lock:
                    attempts["retries"] += 1
                time.sleep(0.02)      # same key again: the store makes it safe
            i += 1

    server.start()
    try:
        threads = [threading.Thread(target=client, args=(slot,)) for slot in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(KILL_WORKER_AT)
        server.kill_worker()
        time.sleep(KILL_SERVER_AT - KILL_WORKER_AT)
        with lock:
            acked_before_crash = len(acked)
        server.kill_all()
        server.start()
        stop_at[0] = time.monotonic() + AFTER_RESTART_S
        for t in threads:
            t.join(timeout=GIVE_UP_S + 10)
        assert not any(t.is_alive() for t in threads)
    finally:
        server.stop()

    with engine.connect() as conn:
        stored = dict(conn.execute(sa.select(responses.c.key, responses.c.response_id)).all())
        rows = conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one()
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    lost = sorted(k for k in acked if k not in stored)
    mismatched = sorted(k for k in acked if k in stored and stored[k] != acked[k])
    summary = (f"{engine.dialect.name}: acked {len(acked)} ({acked_before_crash} before the crash), stored {rows}, "
               f"retries {attempts['retries']}, replays {attempts['replays']}")
    print(summary)
    assert not unexpected, f"{unexpected[:5]} ({summary})"
    assert not lost, f"acknowledged but not stored: {lost[:10]} ({summary})"
    assert not mismatched, f"acknowledged under another id: {mismatched[:10]} ({summary})"
    assert not gave_up, f"clients gave up on {gave_up[:10]} ({summary})"
    assert rows == len(stored) == len(acked), summary     # every key once: none duplicated, none left dangling
    assert acked_before_crash >= 20 and len(acked) >= acked_before_crash + 10, f"too little load ({summary})"
    assert attempts["retries"] > 0, f"the kills hit no request in flight ({summary})"
    assert storage.responses_frame(engine, registered)["comment"].notna().all()
