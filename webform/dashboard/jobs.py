"""Long computations of the dashboard (the full report, a selection's priorities) run off the request.

A job is identified by a key that hashes everything its result depends on: the kind, the survey,
the questionnaire version (its sha256), a fingerprint of the data (:func:`data_fingerprint`) and
the filters.  The same request again finds the finished result (the cache); a request after new
responses arrived gets a new key, so a stale result is never shown as current.

Jobs run in a thread pool of the web process (``DASHBOARD_JOB_THREADS``, default 1), so no request
waits for one: the view submits and answers at once with the job's state.  The state and the
result are files in the instance folder (``dashboard_jobs/<database>/<key>.json`` and the result beside it),
written atomically, so every worker process of the site sees the same state; a job marked running
for longer than ``DASHBOARD_JOB_TIMEOUT_S`` (its process died) may be started again.  Files not
written for ``DASHBOARD_JOB_KEEP_S`` (a week) are removed when a job starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.engine import Engine

from surveykit.aggregates import RESPONSES, TOTAL
from surveykit.database import response_aggregates, responses

__all__ = ["Job", "data_fingerprint", "job_key", "latest", "read_result", "start", "state", "wait"]

_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Job:
    """``status`` is queued, running, done or failed; times are epoch seconds."""

    key: str
    status: str
    queued_at: float
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None

    @property
    def elapsed(self) -> float:
        end = self.finished_at or time.time()
        return max(0.0, end - (self.started_at or self.queued_at))


def data_fingerprint(engine: Engine, survey: str) -> str:
    """What changes whenever the survey's data does: its response count and latest submit time.

    Read from the aggregates' totals and the ``(survey, submitted_at)`` index: a few hundred rows,
    not the responses.  An erasure lowers the count, a submit raises it and moves the time.
    """
    a, r = response_aggregates.c, responses.c
    with engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(a.n), 0)).where(
                a.survey == survey, a.unit_field == TOTAL, a.variable == RESPONSES
            )
        ).scalar_one()
        latest = conn.execute(sa.select(sa.func.max(r.submitted_at)).where(r.survey == survey)).scalar()
    return f"{int(count)}:{latest.isoformat() if latest else '-'}"


def job_key(kind: str, *parts: str) -> str:
    """A job's key: the kind's first letter and the SHA-256 of everything its result depends on."""
    return kind[0] + hashlib.sha256("\x1f".join((kind, *parts)).encode("utf-8")).hexdigest()[:31]


def _folder(app: Flask) -> Path:
    """The jobs' folder of this site's database (two sites may share an instance folder, tests do)."""
    store = hashlib.sha256(str(app.config["DATABASE_URL"]).encode("utf-8")).hexdigest()[:16]
    path = Path(app.instance_path) / "dashboard_jobs" / store
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _save(app: Flask, job: Job) -> None:
    record = {k: getattr(job, k) for k in ("key", "status", "queued_at", "started_at", "finished_at", "error")}
    _write(_folder(app) / f"{job.key}.json", json.dumps(record).encode("utf-8"))


def state(key: str) -> Job | None:
    """The job's state as any process of the site sees it, or None when it was never started."""
    path = _folder(current_app) / f"{key}.json"
    try:
        return Job(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def wait(key: str, seconds: float) -> Job | None:
    """The job's state once it is done or failed, or after ``seconds`` (a request's normal time) at most.

    Lets a view answer with a small survey's report at once and with the progress page for a
    large one; polled from the state file, so it sees a job run by any process of the site.
    """
    deadline = time.monotonic() + seconds
    while True:
        found = state(key)
        if found is None or found.status in ("done", "failed") or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


def read_result(key: str) -> bytes | None:
    """A finished job's result, or None."""
    try:
        return (_folder(current_app) / f"{key}.out").read_bytes()
    except OSError:
        return None


def _prune(app: Flask) -> None:
    """Remove states and results not written for ``DASHBOARD_JOB_KEEP_S`` seconds (default a week)."""
    limit = time.time() - float(app.config.get("DASHBOARD_JOB_KEEP_S", 7 * 86400))
    for path in _folder(app).iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:  # removed by another process meanwhile
            continue


def _executor(app: Flask) -> ThreadPoolExecutor:
    with _lock:
        pool = app.extensions.get("dashboard_jobs")
        if pool is None:
            threads = int(app.config.get("DASHBOARD_JOB_THREADS", 1))
            pool = app.extensions["dashboard_jobs"] = ThreadPoolExecutor(threads, thread_name_prefix="dashboard-job")
        return pool  # type: ignore[no-any-return]


def latest(name: str) -> str | None:
    """The key of the last job that finished under ``name`` (see :func:`start`), or None."""
    try:
        return (_folder(current_app) / f"latest-{name}").read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def start(key: str, compute: Callable[[], bytes], *, name: str | None = None, max_age: float | None = None) -> Job:
    """Start ``compute`` for ``key`` unless it is done, queued or running (and not stale); return the state.

    With ``max_age`` (seconds) a job that finished or failed longer ago than that is started again
    (its last result stays readable meanwhile); without, a finished job is kept and a failed one
    retried.

    ``compute`` runs in the pool, inside the app's context; its bytes are the result.  An
    exception makes the job ``failed`` with the exception's class name and message (logged in full).
    A ``name`` (e.g. ``report-<survey>-<lang>``) remembers the key of the latest finished job of that
    name for :func:`latest`, so an older result stays reachable after the data moved on.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    timeout = float(app.config.get("DASHBOARD_JOB_TIMEOUT_S", 1800))
    with _lock:
        found = state(key)
        if found is not None:
            fresh = max_age is None or time.time() - (found.finished_at or 0) < max_age
            if (found.status == "done" and fresh) or (found.status == "failed" and max_age is not None and fresh):
                return found
            if found.status in ("queued", "running") and found.elapsed < timeout:
                return found
        job = Job(key, "queued", time.time())
        _save(app, job)
        _prune(app)

    def run() -> None:
        with app.app_context():
            began = time.time()
            _save(app, Job(key, "running", job.queued_at, began))
            try:
                result = compute()
            except Exception as exc:  # a failed job is shown as failed, never kills the pool
                app.logger.exception("dashboard job %s failed", key)
                _save(app, Job(key, "failed", job.queued_at, began, time.time(), f"{type(exc).__name__}: {exc}"))
                return
            _write(_folder(app) / f"{key}.out", result)
            _save(app, Job(key, "done", job.queued_at, began, time.time()))
            if name is not None:
                _write(_folder(app) / f"latest-{name}", key.encode("ascii"))

    _executor(app).submit(run)
    return job
