"""The outbox of new and overdue cases and the `surveykit notify` worker, against a local SMTP sink.

The sink is a few lines of SMTP on a socketserver thread (aiosmtpd is not a dependency).  It can
answer a message with an error, and it can SIGKILL the worker after it has taken a message in and
before it replies: the crash between send and record, which is the one case where a message may
go out twice, with the same Message-ID.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from surveykit import cases, load_questionnaire, notify, storage
from surveykit.database import outbox, utcnow

YAML = """\
survey: notify_me
version: 1
title: {zh: 通知, en: Notify}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  department: {label: {zh: 部门, en: Department}}
scales:
  sat5: {points: 5}
pages:
  - id: p
    title: {zh: 问题, en: Questions}
    questions:
      - {id: sat, type: likert, scale: sat5, text: {zh: 满意吗, en: Satisfied}}
alerts:
  - id: unhappy
    label: {zh: 不满意, en: Unhappy}
    when: sat <= 2
    department: {field: department}
    priority: high
    first_contact_hours: 24
"""


class Sink:
    """Messages received: (envelope sender, recipients, parsed message)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Any]] = []
        self.lock = threading.Lock()
        self.reply: Callable[[int, Any], bytes] = lambda n, msg: b"250 OK queued"
        self.after_data: Callable[[int], None] = lambda n: None

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for _, _, m in self.messages]


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        sink: Sink = self.server.sink  # type: ignore[attr-defined]
        sender, recipients = "", []
        try:
            self.wfile.write(b"220 sink ESMTP\r\n")
            while line := self.rfile.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    self.wfile.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                elif verb == b"MAIL":
                    sender, recipients = line.decode().split(":", 1)[1].strip(), []
                    self.wfile.write(b"250 OK\r\n")
                elif verb == b"RCPT":
                    recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                    self.wfile.write(b"250 OK\r\n")
                elif verb == b"DATA":
                    self.wfile.write(b"354 go ahead\r\n")
                    data = b""
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    message = email.message_from_bytes(data, policy=email.policy.default)
                    with sink.lock:
                        sink.messages.append((sender, recipients, message))
                        n = len(sink.messages)
                    sink.after_data(n)
                    self.wfile.write(sink.reply(n, message) + b"\r\n")
                elif verb == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                elif verb in (b"RSET", b"NOOP", b"HELO"):
                    self.wfile.write(b"250 OK\r\n")
                else:
                    self.wfile.write(b"502 not implemented\r\n")
        except OSError:  # the worker was killed mid-conversation
            return


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.sink = Sink()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.sink, server.server_address[1]  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


@pytest.fixture
def q(tmp_path: Path) -> Any:
    path = tmp_path / "notify_me.yaml"
    path.write_text(YAML, encoding="utf-8")
    return load_questionnaire(path)


@pytest.fixture
def store(engine: Any, q: Any) -> Any:
    storage.register_version(engine, q, YAML)
    return engine


def open_cases(engine: Any, q: Any, n: int, department: str = "workshop") -> None:
    for _ in range(n):
        storage.save_response(
            engine,
            q,
            {"sat": 1},
            key=uuid.uuid4().hex,
            language="en",
            fields={"dealer": "D01", "department": department},
        )


def rows(engine: Any) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.select(outbox).order_by(outbox.c.id)).all()


ROUTING = notify.Routing(("care@example.com",), {"workshop": ("workshop@example.com", "boss@example.com")})


def settings(port: int) -> notify.SmtpSettings:
    return notify.SmtpSettings("127.0.0.1", port, "none", sender="surveykit@example.com", timeout=5)


def test_each_new_case_writes_one_message(store, q):
    open_cases(store, q, 3)
    got = rows(store)
    assert [(r.kind, r.status, r.attempts, r.department) for r in got] == [("new_case", "pending", 0, "workshop")] * 3
    assert len({r.message_id for r in got}) == 3
    assert all(r.message_id.startswith("<") and r.message_id.endswith("@surveykit.invalid>") for r in got)
    assert "New case #1 (high): 不满意 / Unhappy" in got[0].subject
    assert "First contact due" in got[0].body


def test_the_worker_sends_and_records(store, q, sink):
    box, port = sink
    open_cases(store, q, 2)
    open_cases(store, q, 1, department="sales")  # no addresses of its own: the default ones
    stats = notify.send_pending(store, settings(port), ROUTING, base_url="https://cx.example.com")
    assert (stats.sent, stats.retried, stats.failed) == (3, 0, 0)
    got = rows(store)
    assert [r.status for r in got] == ["sent"] * 3 and all(r.sent_at is not None for r in got)
    assert [r.recipients for r in got] == ["workshop@example.com, boss@example.com"] * 2 + ["care@example.com"]
    assert box.message_ids() == [r.message_id for r in got]
    _, recipients, message = box.messages[0]
    assert recipients == ["workshop@example.com", "boss@example.com"]
    assert message["Subject"] == got[0].subject and message["Auto-Submitted"] == "auto-generated"
    assert message["X-Surveykit-Case"] == "1"
    assert "Case page: https://cx.example.com/admin/cases/1" in message.get_content()
    assert notify.send_pending(store, settings(port), ROUTING).sent == 0  # nothing left
    assert notify.counts(store) == {"pending": 0, "sent": 3, "failed": 0}


def test_overdue_cases_are_mailed_once(store, q, sink):
    box, port = sink
    open_cases(store, q, 1)
    notify.send_pending(store, settings(port), ROUTING)
    later = utcnow() + dt.timedelta(hours=25)
    assert cases.mark_overdue(store, now=later) == [1]
    assert cases.mark_overdue(store, now=later) == []
    notify.send_pending(store, settings(port), ROUTING)
    assert [m["Subject"].split(" #")[0] for _, _, m in box.messages] == [
        "[surveykit] 新回访案件",
        "[surveykit] 超时未联系",
    ]


def test_a_temporary_error_is_retried_with_the_same_message_id(store, q, sink):
    box, port = sink
    open_cases(store, q, 1)
    box.reply = lambda n, msg: b"451 try again later" if n == 1 else b"250 OK"
    t0 = utcnow()
    stats = notify.send_pending(store, settings(port), ROUTING, now=lambda: t0)
    assert (stats.sent, stats.retried) == (0, 1)
    [row] = rows(store)
    assert row.status == "pending" and "451 try again later" in row.last_error
    assert row.lease_until == t0 + dt.timedelta(minutes=1)  # back-off
    assert notify.send_pending(store, settings(port), ROUTING, now=lambda: t0).sent == 0
    assert notify.send_pending(store, settings(port), ROUTING, now=lambda: t0 + dt.timedelta(minutes=2)).sent == 1
    assert box.message_ids() == [row.message_id, row.message_id]


def test_a_permanent_error_fails_the_message(store, q, sink):
    box, port = sink
    open_cases(store, q, 2)
    box.reply = lambda n, msg: b"550 mailbox unavailable" if n == 1 else b"250 OK"
    stats = notify.send_pending(store, settings(port), ROUTING)
    assert (stats.sent, stats.failed) == (1, 1)
    assert [(r.status, (r.last_error or "")[:38]) for r in rows(store)] == [
        ("failed", "SMTPDataError: 550 mailbox unavailable"),
        ("sent", ""),
    ]


def test_an_unreachable_server_loses_nothing(store, q, sink):
    box, port = sink
    open_cases(store, q, 3)
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as closed:
        dead = closed.server_address[1]
    t0 = utcnow()
    stats = notify.send_pending(store, settings(dead), ROUTING, now=lambda: t0)
    assert (stats.sent, stats.retried) == (0, 3)
    assert all(r.status == "pending" and r.last_error.startswith("ConnectionRefusedError") for r in rows(store))
    stats = notify.send_pending(store, settings(port), ROUTING, now=lambda: t0 + dt.timedelta(minutes=5))
    assert stats.sent == 3 and len(box.messages) == 3


def test_a_message_whose_lease_ran_out_is_claimed_again(store, q):
    open_cases(store, q, 2)
    t0 = utcnow()
    first = notify.claim(store, "w1", batch=10, lease_s=60, now=t0)
    assert [m.attempts for m in first] == [1, 1]
    assert notify.claim(store, "w2", batch=10, lease_s=60, now=t0 + dt.timedelta(seconds=30)) == []
    again = notify.claim(store, "w2", batch=1, lease_s=60, now=t0 + dt.timedelta(seconds=61))
    assert [(m.id, m.message_id, m.attempts) for m in again] == [(first[0].id, first[0].message_id, 2)]


def test_concurrent_workers_claim_each_message_once(store, q):
    from concurrent.futures import ThreadPoolExecutor

    open_cases(store, q, 30)
    t0 = utcnow()
    with ThreadPoolExecutor(6) as pool:
        claimed = list(pool.map(lambda w: notify.claim(store, f"w{w}", batch=2, lease_s=60, now=t0), range(12)))
    ids = [m.id for batch in claimed for m in batch]
    assert sorted(ids) == list(range(1, 25)) and len(set(ids)) == len(ids)


def test_routing_and_settings_are_checked():
    assert notify.Routing.parse(["a@x.org, b@x.org"], ["paint=p@x.org"]).recipients("paint") == ("p@x.org",)
    for default, pairs, message in (
        ([], [], "at least one default"),
        (["a@x.org"], ["paint"], "DEPARTMENT=ADDRESS"),
        (["not-an-address"], [], "not an e-mail address"),
        (["a@x.org\r\nBcc: evil@x.org"], [], "not an e-mail address"),
    ):
        with pytest.raises(ValueError, match=message):
            notify.Routing.parse(default, pairs)
    with pytest.raises(ValueError, match="starttls, ssl or none"):
        notify.SmtpSettings("h", security="tls")


def _worker(db_url: str, port: int, output: int = subprocess.PIPE) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from surveykit.cli import main; main()",
            "notify",
            "--db",
            db_url,
            "--once",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(port),
            "--smtp-security",
            "none",
            "--to",
            "care@example.com",
            "--to-department",
            "workshop=workshop@example.com",
            "--batch",
            "5",
            "--lease",
            "1",
        ],
        stdout=output,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_a_worker_killed_mid_run_loses_no_message(db_url, store, q, sink):
    """SIGKILL after the SMTP server took message 4 in and before it replied; then restart the worker.

    Messages 1-3 were sent and recorded; 4 was sent but not recorded; 5 was claimed but not sent;
    6-12 were not claimed yet.  After the restart every message is recorded as sent, only message 4
    went out twice, and both copies carry the same Message-ID.
    """
    box, port = sink
    open_cases(store, q, 12)
    first: subprocess.Popen[bytes] | None = None

    def kill_on_fourth(n: int) -> None:
        if n == 4 and first is not None:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)

    box.after_data = kill_on_fourth
    first = _worker(db_url, port, subprocess.DEVNULL)
    first.wait(60)
    assert first.returncode == -signal.SIGKILL
    before = rows(store)
    assert [r.status for r in before] == ["sent"] * 3 + ["pending"] * 9
    assert [r.attempts for r in before] == [1] * 5 + [0] * 7
    time.sleep(1.1)  # the killed worker's lease runs out
    second = _worker(db_url, port)
    out, _ = second.communicate(timeout=60)
    assert second.returncode == 0, out.decode()
    assert "sent 9, to retry 0, failed 0" in out.decode()
    after = rows(store)
    assert [r.status for r in after] == ["sent"] * 12
    assert [r.attempts for r in after] == [1, 1, 1, 2, 2] + [1] * 7
    received = box.message_ids()
    assert sorted(set(received)) == sorted(r.message_id for r in after)  # nothing lost
    assert len(received) == 13 and received.count(after[3].message_id) == 2  # one copy, same Message-ID
    assert {tuple(r) for _, r, _ in box.messages} == {("workshop@example.com",)}


def test_notify_without_smtp_only_marks_and_counts(db_url, store, q):
    from click.testing import CliRunner

    from surveykit.cli import main

    open_cases(store, q, 2)
    result = CliRunner().invoke(main, ["notify", "--db", db_url, "--once"])
    assert result.exit_code == 0 and "2 message(s) wait in the outbox" in result.output
    result = CliRunner().invoke(main, ["notify", "--db", db_url])
    assert result.exit_code == 2 and "no SMTP server" in result.output


def test_notify_reads_the_workers_smtp_url(db_url, store, q, sink):
    """One SMTP setting for both workers: ``notify`` without --smtp-host takes SURVEYKIT_SMTP_URL."""
    from click.testing import CliRunner

    from surveykit.cli import main

    box, port = sink
    open_cases(store, q, 2)
    args = ["notify", "--db", db_url, "--once", "--to", "care@example.com", "--lease", "1"]
    bad = CliRunner().invoke(main, args, env={"SURVEYKIT_SMTP_URL": "ftp://x"})
    assert bad.exit_code == 2 and "SURVEYKIT_SMTP_URL" in bad.output
    result = CliRunner().invoke(main, args, env={"SURVEYKIT_SMTP_URL": f"smtp://127.0.0.1:{port}?starttls=0"})
    assert result.exit_code == 0 and "sent 2, to retry 0, failed 0" in result.output
    assert len(box.message_ids()) == 2


def test_a_refused_starttls_closes_the_connection() -> None:
    """A server without STARTTLS refuses the upgrade; connect() raises and leaves no open socket behind
    (under filterwarnings=error an unclosed socket found by the collector fails the test)."""
    import gc
    import smtplib

    from tests.support.sinks import SmtpSink

    with SmtpSink() as sink:
        settings = notify.SmtpSettings(host="127.0.0.1", port=sink.port, security="starttls", timeout=5)
        with pytest.raises(smtplib.SMTPNotSupportedError):
            notify.connect(settings)
        gc.collect()
