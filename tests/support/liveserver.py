"""A real web form server for the tests and benchmarks, and a client that speaks raw HTTP to it.

:class:`LiveServer` runs ``surveykit serve`` (gunicorn, sync workers) - or gunicorn itself with
extra options - on 127.0.0.1 in its own process group, so a test can kill a worker or the
whole server with SIGKILL.  The client functions do what a respondent's browser does without a
cookie jar: ``GET`` a survey page (a new session cookie, the CSRF token and the signed
submission key ``k``) and ``POST`` the answers; :func:`acknowledged_id` reads the response id
the 303-to-thanks names in its session cookie.  Everything here binds or connects to 127.0.0.1
only.  Used by tests/security (the real-server checks), the soak in :mod:`tests.support.soak`
and the scripts in ``benchmarks/``.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# The server's secret key: long enough for the app's rules, and never used outside 127.0.0.1.
SECRET = "soak-secret-" + "k3y-for-127.0.0.1-only-0123456789"
REQUEST_TIMEOUT_S = 10.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it; a race with another process is possible but harmless here)."""
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

    def __init__(
        self,
        directory: Path,
        questionnaires: list[str],
        db_url: str,
        *,
        workers: int = 4,
        env: dict[str, str] | None = None,
        gunicorn_args: list[str] | None = None,
    ) -> None:
        self.directory, self.questionnaires, self.db_url, self.workers = directory, questionnaires, db_url, workers
        self.port = free_port()
        self.extra_env = env or {}
        self.gunicorn_args = gunicorn_args
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = directory / f"server-{self.port}.log"

    def command(self) -> list[str]:
        if self.gunicorn_args is None:
            return [
                sys.executable,
                "-c",
                "from surveykit.cli import main; main()",
                "serve",
                *self.questionnaires,
                "--db",
                self.db_url,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ]
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",
            *self.gunicorn_args,
            "webform:create_app()",
        ]

    def start(self, timeout_s: float = 60.0) -> None:
        env = {**os.environ, "SURVEYKIT_SECRET_KEY": SECRET, "PYTHONPATH": str(ROOT), **self.extra_env}
        if self.gunicorn_args is not None:
            env["SURVEYKIT_QUESTIONNAIRES"] = json.dumps(self.questionnaires)
            env["SURVEYKIT_DATABASE_URL"] = self.db_url
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=str(self.directory),
                env=env,
                start_new_session=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
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


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT_S,
) -> tuple[int, http.client.HTTPMessage, bytes]:
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
    """``name=value`` of the session cookie a response sets (plain or ``__Host-`` prefixed), or None."""
    for value in headers.get_all("Set-Cookie") or ():
        name, _, rest = value.partition("=")
        if name.strip() in ("session", "__Host-session"):
            return f"{name.strip()}={rest.split(';', 1)[0]}"
    return None


def signed_payload(value: str) -> Any:
    """The JSON inside an itsdangerous token (a Flask session cookie or the form's ``k``); not verified."""
    compressed = value.startswith(".")
    data = value.lstrip(".").split(".", 1)[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


@dataclass
class Form:
    """A respondent's survey page: the session cookie, the hidden fields (CSRF token, ``k``) and the form action."""

    cookie: str
    hidden: dict[str, str]
    action: str

    @property
    def key(self) -> str:
        """The submission key the signed ``k`` field carries (the key the response is stored under)."""
        return str(signed_payload(self.hidden["k"]))


def fetch_form(port: int, survey: str, query: str = "") -> Form:
    """``GET /s/<survey>`` as a new respondent; raises ``HTTPException`` unless it is a 200 page with a form."""
    status, headers, body = request(port, "GET", f"/s/{survey}{query}")
    if status != 200:
        raise http.client.HTTPException(f"GET /s/{survey}: HTTP {status}")
    text = body.decode("utf-8")
    cookie = session_cookie(headers)
    action = re.search(r'<form method="post" action="([^"]+)"', text)
    if cookie is None or action is None:
        raise http.client.HTTPException("the survey page has no session cookie or form")
    return Form(cookie, dict(_HIDDEN.findall(text)), action.group(1))


def post_form(
    port: int,
    form: Form,
    data: dict[str, str],
    *,
    timeout: float = REQUEST_TIMEOUT_S,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """POST ``data`` with the page's hidden fields and cookie, as the page's Next/Submit button does."""
    body = urllib.parse.urlencode({**form.hidden, **data, "action": "next"})
    return request(
        port,
        "POST",
        form.action,
        body=body,
        timeout=timeout,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": form.cookie},
    )


def acknowledged_id(status: int, headers: http.client.HTTPMessage, survey: str) -> str | None:
    """The response id a 303-to-thanks names (in its session cookie), or None for anything else."""
    if status != 303 or not (headers.get("Location") or "").endswith(f"/s/{survey}/thanks"):
        return None
    cookie = session_cookie(headers)
    if cookie is None:
        return None
    done = signed_payload(cookie.split("=", 1)[1]).get("done", {})
    value = done.get(survey)
    return value if isinstance(value, str) else None


def post_declared_body(port: int, path: str, cookie: str, size: int) -> tuple[float, bytes]:
    """POST a form declaring ``Content-Length: size`` and stream the body until the server answers.

    Returns the seconds from connecting to the first line of the answer, and that line (``b""``
    if the server closed without one).  A server that checks the declared length before reading
    answers after the first chunks; the rest of the body is then refused and not sent.
    """
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {size}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    ).encode()
    answer = b""
    stop = threading.Event()

    def send() -> None:
        chunk = b"q_note=" + b"x" * (64 * 1024 - 7)
        try:
            sock.sendall(head)
            sent = 0
            while sent < size and not stop.is_set():
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server answered and closed: the rest of the body is refused

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
    return elapsed, answer.split(b"\r\n", 1)[0]
