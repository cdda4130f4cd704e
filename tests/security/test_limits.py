"""T12: size and slow-request abuse against the real server (RELIABILITY.md §4.2, §6).

* 10 concurrent 10 MiB bodies: each answered 413 (the app refuses on Content-Length
  before reading), nothing stored, the same workers still alive.  That each answer comes
  within 1 s is a timing target, measured by ``benchmarks/bench_limits.py``.
* A 1 000-part form, url-encoded or multipart: 413.
* A stuck request (headers and a body that never comes): gunicorn's ``--timeout``
  kills the blocked sync worker and forks a new one; the other worker serves on.
  This is also why slow clients (slowloris) need a buffering reverse proxy in
  front: every sync worker a slow client holds is blocked until the timeout (README,
  "Reliability").
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse

import pytest
import sqlalchemy as sa

from surveykit.database import responses
from tests.support.liveserver import LiveServer, post_declared_body, request
from tests.support.seckit import fetch, populate

TEN_MIB = 10 * 1024 * 1024


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one()


def test_ten_concurrent_10_mib_bodies_are_413(live_site):
    server = live_site.server
    workers = set(server.worker_pids())
    before = _count(live_site.engine)
    forms = [fetch(live_site.transport) for _ in range(10)]
    results: list[tuple[float, bytes]] = []

    def big_post(cookie: str) -> None:
        results.append(post_declared_body(server.port, "/s/quick/p/only", cookie, TEN_MIB))

    threads = [threading.Thread(target=big_post, args=(f.cookie,)) for f in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 10
    assert all(line.startswith(b"HTTP/1.1 413") for _, line in results), results
    assert set(server.worker_pids()) == workers  # no worker died or was recycled
    assert request(server.port, "GET", "/healthz")[0] == 200
    assert _count(live_site.engine) == before


def test_a_thousand_part_form_is_413(live_site):
    form = fetch(live_site.transport)
    fields = [*form.hidden.items(), ("q_sat", "3"), ("action", "next")] + [(f"x{i}", "1") for i in range(1000)]
    reply = live_site.transport.send(
        "POST",
        "/s/quick/p/only",
        urllib.parse.urlencode(fields),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": form.cookie},
    )
    assert reply.status == 413
    body = "".join(f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields) + "--b--\r\n"
    reply = live_site.transport.send(
        "POST", "/s/quick/p/only", body, {"Content-Type": "multipart/form-data; boundary=b", "Cookie": form.cookie}
    )
    assert reply.status == 413


@pytest.mark.server
def test_gunicorn_timeout_recycles_a_stuck_worker(tmp_path):
    url = f"sqlite:///{tmp_path}/stuck.sqlite3"
    paths, _ = populate(url, tmp_path)
    server = LiveServer(
        tmp_path,
        paths,
        url,
        workers=2,
        gunicorn_args=["--timeout", "2", "--graceful-timeout", "2", "--log-level", "info"],
    )
    with server:
        before = set(server.worker_pids())
        stuck = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        stuck.sendall(
            b"POST /s/quick/p/only HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1000\r\n\r\nq_sat=3"
        )  # 993 bytes never follow
        started = time.monotonic()
        served = 0
        while time.monotonic() - started < 15 and not (set(server.worker_pids()) - before):
            served += request(server.port, "GET", "/healthz", timeout=5)[0] == 200
            time.sleep(0.2)
        stuck.settimeout(5)
        try:  # the aborted worker answers gunicorn's plain 500 or just closes
            answer = stuck.recv(4096)
            closed = answer == b"" or (answer.startswith(b"HTTP/1.1 500") and b"Traceback" not in answer)
        except OSError:
            closed = True
        stuck.close()
        replaced = set(server.worker_pids()) - before
        assert replaced, server.log_text()[-2000:]  # within the loop's 15 s bound
        assert served > 0  # the other worker kept serving
        assert closed
        assert "WORKER TIMEOUT" in server.log_text()
        assert request(server.port, "GET", "/healthz")[0] == 200
