"""Background jobs of the dashboard (webform/dashboard/jobs.py): cached, refreshed by age, failures kept."""

from __future__ import annotations

import time
from typing import Any

from webform.dashboard import jobs


def _wait(key: str) -> jobs.Job:
    for _ in range(200):
        job = jobs.state(key)
        if job is not None and job.status in ("done", "failed"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {key} never finished")


def test_a_job_runs_once_is_cached_and_refreshed_by_age(make_app: Any) -> None:
    app = make_app()
    calls: list[int] = []

    def compute() -> bytes:
        calls.append(1)
        return f"result {len(calls)}".encode()

    with app.app_context():
        key = jobs.job_key("priorities", "s", "x")
        assert key[0] == "p" and len(key) == 32
        assert jobs.start(key, compute, max_age=60).status == "queued"
        assert _wait(key).status == "done" and jobs.read_result(key) == b"result 1"
        assert jobs.start(key, compute, max_age=60).status == "done"  # cached
        time.sleep(0.05)
        assert jobs.start(key, compute, max_age=0.01).status == "queued"  # too old: again
        assert jobs.read_result(key) in (b"result 1", b"result 2")  # the last result stays readable
        _wait(key)
        time.sleep(0.05)
        assert jobs.read_result(key) == b"result 2" and len(calls) == 2


def test_a_failing_job_says_why_and_is_not_retried_while_fresh(make_app: Any) -> None:
    app = make_app()
    calls: list[int] = []

    def compute() -> bytes:
        calls.append(1)
        raise ValueError("no satisfaction question")

    with app.app_context():
        key = jobs.job_key("report", "s", "y")
        jobs.start(key, compute, max_age=60)
        job = _wait(key)
        assert job.status == "failed" and job.error == "ValueError: no satisfaction question"
        assert jobs.start(key, compute, max_age=60).status == "failed" and len(calls) == 1
        assert jobs.read_result(key) is None
