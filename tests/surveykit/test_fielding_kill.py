"""``surveykit worker`` as real processes: killed with SIGKILL mid-run, stopped with SIGTERM, two at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.sinks import SmtpSink
from tests.surveykit.fielding_support import BASE, SECRET, add_invitation, invitation, messages, register

LATER = "2026-03-02T02:10:00"  # T0 + 10 minutes: the killed worker's 300 s lease has run out


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def worker(
    db_url: str,
    smtp: SmtpSink,
    now: str = "2026-03-02T02:00:00",
    *,
    once: bool = True,
    output: int = subprocess.PIPE,
    senders: int = 1,
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SURVEYKIT_SMTP_URL": smtp.url,
        "SURVEYKIT_SMTP_FROM": "survey@example.cn",
        "SURVEYKIT_LINK_SECRET": SECRET.decode(),
        "SURVEYKIT_BASE_URL": BASE,
    }
    env.pop("SURVEYKIT_SMS_URL", None)
    args = [sys.executable, "-c", "from surveykit.cli import main; main()", "worker", "--db", db_url, "--now", now]
    args += ["--batch", "5", "--interval", "1", "--senders", str(senders)] + (["--once"] if once else [])
    return subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, env=env)


def _invite(engine: Any, n: int) -> list[int]:
    register(engine)
    return [add_invitation(engine, customer=f"C{k}", email=f"c{k}@example.cn") for k in range(n)]


def test_a_worker_killed_mid_send_loses_nothing_and_resends_with_the_same_message_id(db_url, engine, smtp):
    """SIGKILL after the SMTP server took message 4 in and before it replied; then a second worker.

    Messages 1-3 were sent and recorded; 4 went out but was not recorded; 5 was claimed with it;
    the rest were not claimed.  After the second worker every invitation is sent, message 4 alone
    went out twice, both copies with one Message-ID.
    """
    ids = _invite(engine, 12)
    first: subprocess.Popen[bytes] | None = None

    def kill_on_fourth(n: int) -> None:
        if n == 4 and first is not None:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)

    smtp.after_data = kill_on_fourth
    first = worker(db_url, smtp, output=subprocess.DEVNULL)
    first.wait(60)
    assert first.returncode == -signal.SIGKILL
    before = messages(engine)
    assert [m.status for m in before] == ["sent"] * 3 + ["pending"] * 9
    assert [m.attempts for m in before] == [1] * 5 + [0] * 7
    smtp.after_data = None
    second = worker(db_url, smtp, LATER)
    out, _ = second.communicate(timeout=60)
    assert second.returncode == 0, out.decode()
    assert "sent 9, to retry 0, failed 0" in out.decode()
    after = messages(engine)
    assert [m.status for m in after] == ["sent"] * 12
    received = smtp.message_ids()
    assert sorted(set(received)) == sorted(m.message_id for m in after)  # nothing lost
    counts = Counter(received)
    assert len(received) == 13 and [mid for mid, c in counts.items() if c > 1] == [after[3].message_id]
    assert {invitation(engine, i).status for i in ids} == {"sent"}


def test_sigterm_finishes_the_message_in_hand(db_url, engine, smtp):
    _invite(engine, 10)
    proc: subprocess.Popen[bytes] | None = None
    stopped = threading.Event()

    def term_on_second(n: int) -> None:
        if n == 2 and proc is not None:
            proc.send_signal(signal.SIGTERM)  # while message 2 waits for its reply
            stopped.set()

    smtp.after_data = term_on_second
    proc = worker(db_url, smtp, once=False)
    out, _ = proc.communicate(timeout=60)
    assert stopped.is_set() and proc.returncode == 0, out.decode()
    rows = messages(engine)
    sent = [m for m in rows if m.status == "sent"]
    assert len(sent) == 2 == len(smtp.messages)  # the message in hand was finished and recorded
    # the rest of the batch was given back at once, not left to its lease
    assert all(m.lease_until is None and m.attempts == 0 for m in rows if m.status == "pending")


def test_two_workers_share_the_work_without_a_duplicate(db_url, engine, smtp):
    _invite(engine, 40)
    procs = [worker(db_url, smtp), worker(db_url, smtp)]
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    received = smtp.message_ids()
    assert len(received) == len(set(received)) == 40
    assert sorted(received) == sorted(m.message_id for m in messages(engine))
    assert {m.status for m in messages(engine)} == {"sent"}


def test_a_worker_with_three_senders_killed_mid_send_repeats_at_most_six_messages(db_url, engine, smtp):
    """``--senders 3``: SIGKILL while the SMTP server takes the tenth message in, before its reply.

    At most twice the senders (three in flight, three finished and waiting for their statement)
    went out unrecorded; a second worker sends those again, each with its one Message-ID, and
    everything else once: nothing lost, the tenth message among the repeated.
    """
    ids = _invite(engine, 30)
    first: subprocess.Popen[bytes] | None = None
    tenth: list[str] = []

    def kill_on_tenth(n: int) -> None:
        if n == 10 and first is not None:
            tenth.append(smtp.message_ids()[9])
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)

    smtp.after_data = kill_on_tenth
    first = worker(db_url, smtp, output=subprocess.DEVNULL, senders=3)
    first.wait(60)
    assert first.returncode == -signal.SIGKILL
    smtp.after_data = None
    second = worker(db_url, smtp, LATER, senders=3)
    out, _ = second.communicate(timeout=60)
    assert second.returncode == 0, out.decode()
    after = messages(engine)
    assert [m.status for m in after] == ["sent"] * 30
    received = smtp.message_ids()
    assert sorted(set(received)) == sorted(m.message_id for m in after)  # nothing lost
    repeated = [mid for mid, count in Counter(received).items() if count > 1]
    assert tenth[0] in repeated and len(repeated) <= 6
    assert len(received) == 30 + len(repeated) and max(Counter(received).values()) == 2
    assert {invitation(engine, i).status for i in ids} == {"sent"}


def test_sigterm_with_three_senders_finishes_those_in_flight(db_url, engine, smtp):
    """SIGTERM while message 2 waits for its reply: the messages in flight finish, and every message
    the server took in is recorded sent; the rest is given back at once (how many went out before
    the signal's handler ran in the main thread is up to the scheduler, not a fixed count)."""
    _invite(engine, 30)
    proc: subprocess.Popen[bytes] | None = None

    def term_on_second(n: int) -> None:
        if n == 2 and proc is not None:
            proc.send_signal(signal.SIGTERM)

    smtp.after_data = term_on_second
    proc = worker(db_url, smtp, once=False, senders=3)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out.decode()
    rows = messages(engine)
    sent = sorted(m.message_id for m in rows if m.status == "sent")
    assert 2 <= len(sent) < 30 and sorted(smtp.message_ids()) == sent
    assert all(m.lease_until is None and m.attempts == 0 for m in rows if m.status == "pending")


_SEND_THEN_DIE = """
import os, signal, sys, datetime as dt
from surveykit import storage
from surveykit.fielding import worker
engine = storage.make_engine(sys.argv[1])
with worker.write_connection(engine) as conn:
    conn.execution_options(isolation_level="AUTOCOMMIT")
    now = dt.datetime(2026, 3, 2, 2, 0)
    worker._PgResults(conn).send(True, False, m_id=int(sys.argv[2]), m_now=now, m_expires=now)
    os.kill(os.getpid(), signal.SIGKILL)  # the statement is out, its answer never read
"""


@pytest.mark.postgres
def test_a_sent_statement_handed_to_postgresql_is_committed_though_the_worker_dies_at_once(pg_url, tmp_path):
    """The narrow window of the pipelined result: killed right after the statement left, before its answer."""
    import time

    from surveykit import storage
    from surveykit.fielding.delivery import FolderMailer
    from surveykit.fielding.worker import PassStats, plan
    from tests.surveykit.fielding_support import T0, settings

    engine = storage.make_engine(pg_url)
    storage.init_db(engine)
    (inv,) = _invite(engine, 1)
    plan(engine, settings(mailer=FolderMailer(tmp_path)), T0, PassStats())  # its message row, pending
    (message,) = messages(engine)
    assert message.status == "pending"
    proc = subprocess.run([sys.executable, "-c", _SEND_THEN_DIE, pg_url, str(message.id)], check=False, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 20  # the server may run it after the client is gone
    while messages(engine)[0].status != "sent" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert messages(engine)[0].status == "sent" and invitation(engine, inv).status == "sent"
    engine.dispose()
