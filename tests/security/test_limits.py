"""T12: size and slow-request abuse against the real server (RELIABILITY.md §4.2, §6).

* 10 concurrent 10 MiB bodies: each answered 413 within 1 s (the app refuses on
  Content-Length before reading), nothing stored, the same workers still alive.
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

import soak
import sqlalchemy as sa
from seckit import fetch, populate

from surveykit.database import responses

TEN_MIB = 10 * 1024 * 1024


def _big_post(port: int, path: str, cookie: str, results: list[tuple[float, bytes]]) -> None:
    """Headers for a 10 MiB form, then the body in 64 KiB chunks until the server answers; time to the answer."""
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {TEN_MIB}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n").encode()
    answer = b""
    stop = threading.Event()

    def send() -> None:
        chunk = b"q_note=" + b"x" * (64 * 1024 - 7)
        try:
            sock.sendall(head)
            sent = 0
            while sent < TEN_MIB and not stop.is_set():
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass          # the server answered and closed: the rest of the body is refused

    sender = threading.Thread(target=send)
    sender.start()
    try:
        while b"\r\n" not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    except OSError:
        pass
    elapsed = time.monotonic() - started
    stop.set()
    sock.close()
    sender.join(10)
    results.append((elapsed, answer.split(b"\r\n", 1)[0]))


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one()


def test_ten_concurrent_10_mib_bodies_are_413_within_a_second(live_site):
    server = live_site.server
    workers = set(server.worker_pids())
    before = _count(live_site.engine)
    forms = [fetch(live_site.transport) for _ in range(10)]
    results: list[tuple[float, bytes]] = []
    threads = [threading.Thread(target=_big_post, args=(server.port, "/s/quick/p/only", f.cookie, results))
               for f in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 10
    assert all(line.startswith(b"HTTP/1.1 413") for _, line in results), results
    slowest = max(elapsed for elapsed, _ in results)
    print(f"10 x 10 MiB: 413 each, slowest answer {1000 * slowest:.0f} ms")
    assert slowest < 1.0, results
    assert set(server.worker_pids()) == workers            # no worker died or was recycled
    assert soak.request(server.port, "GET", "/healthz")[0] == 200
    assert _count(live_site.engine) == before


def test_a_thousand_part_form_is_413(live_site):
    form = fetch(live_site.transport)
    fields = [*form.hidden.items(), ("q_sat", "3"), ("action", "next")] + [(f"x{i}", "1") for i in range(1000)]
    reply = live_site.transport.send("POST", "/s/quick/p/only", urllib.parse.urlencode(fields),
                                     {"Content-Type": "application/x-www-form-urlencoded", "Cookie": form.cookie})
    assert reply.status == 413
    body = "".join(f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields) + "--b--\r\n"
    reply = live_site.transport.send("POST", "/s/quick/p/only", body,
                                     {"Content-Type": "multipart/form-data; boundary=b", "Cookie": form.cookie})
    assert reply.status == 413


def test_gunicorn_timeout_recycles_a_stuck_worker(tmp_path):
    url = f"sqlite:///{tmp_path}/stuck.sqlite3"
    paths, _ = populate(url, tmp_path)
    server = soak.LiveServer(tmp_path, paths, url, workers=2,
                             gunicorn_args=["--timeout", "2", "--graceful-timeout", "2", "--log-level", "info"])
    with server:
        before = set(server.worker_pids())
        stuck = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        stuck.sendall(b"POST /s/quick/p/only HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 1000\r\n\r\nq_sat=3")      # 993 bytes never follow
        started = time.monotonic()
        served = 0
        while time.monotonic() - started < 15 and not (set(server.worker_pids()) - before):
            served += soak.request(server.port, "GET", "/healthz", timeout=5)[0] == 200
            time.sleep(0.2)
        recycled = time.monotonic() - started
        stuck.settimeout(5)
        try:                    # the aborted worker answers gunicorn's plain 500 or just closes
            answer = stuck.recv(4096)
            closed = answer == b"" or (answer.startswith(b"HTTP/1.1 500") and b"Traceback" not in answer)
        except OSError:
            closed = True
        stuck.close()
        replaced = set(server.worker_pids()) - before
        print(f"stuck worker recycled after {recycled:.1f} s; {served} requests served meanwhile")
        assert replaced and recycled < 10, server.log_text()[-2000:]
        assert served > 0                                          # the other worker kept serving
        assert closed
        assert "WORKER TIMEOUT" in server.log_text()
        assert soak.request(server.port, "GET", "/healthz")[0] == 200
