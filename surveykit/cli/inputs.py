"""What the commands read: questionnaire files, response stores, and the outbox workers' shared options.

``surveykit worker`` (invitations, reminders, webhooks, case mail) and ``surveykit notify``
(case mail only) take their store, lease, batch and sender through the same options
(:data:`DB`, :data:`LEASE`, :data:`BATCH`, :data:`SENDER`) and read ``SURVEYKIT_SMTP_URL`` through
:func:`smtp_from_env`, so one SMTP setting serves both.  The URL carries the password, so it is
read from the environment only, never from the command line (where the process list shows it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from surveykit.errors import SurveykitError
from surveykit.loader import DEFAULT_MAX_BYTES, load_questionnaire
from surveykit.model import Questionnaire

DB = click.option(
    "--db",
    "db_url",
    required=True,
    envvar="SURVEYKIT_DATABASE_URL",
    metavar="URL",
    help="the store (env SURVEYKIT_DATABASE_URL)",
)
LEASE = click.option(
    "--lease",
    "lease_s",
    type=click.FloatRange(1),
    default=300,
    show_default=True,
    help="seconds a claimed message stays with this worker before another may take it",
)
BATCH = click.option(
    "--batch", type=click.IntRange(1, 1000), default=20, show_default=True, help="messages claimed at a time"
)
SENDER = click.option(
    "--from",
    "sender",
    envvar="SURVEYKIT_SMTP_FROM",
    default="surveykit@localhost",
    show_default=True,
    help="the sender address (env SURVEYKIT_SMTP_FROM)",
)


def smtp_from_env(sender: str) -> Any:
    """The :class:`surveykit.notify.SmtpSettings` of ``SURVEYKIT_SMTP_URL`` (``smtp://`` or ``smtps://``).

    None when it is unset or names a development folder (``file:DIR``, which only the worker
    writes to); a malformed URL is a usage error naming the variable.
    """
    from surveykit.notify import SmtpSettings

    url = os.environ.get("SURVEYKIT_SMTP_URL")
    if not url or url.startswith("file:"):
        return None
    try:
        return SmtpSettings.from_url(url, sender)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="SURVEYKIT_SMTP_URL") from None


def writable(output: str) -> Path:
    """``output`` if its folder exists; else the command's error (exit 1), before any work is done."""
    path = Path(output)
    if not path.parent.is_dir():
        raise SurveykitError(f"cannot write {output}: the folder {path.parent} does not exist")
    return path


def load(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Questionnaire:
    """A questionnaire file, loaded and validated (a QuestionnaireError ends the command with exit 1)."""
    return load_questionnaire(Path(path), max_bytes=max_bytes)


def _engine_for(db_url: str, q: Questionnaire | None = None) -> Any:
    """An engine with the tables created and, when given, the questionnaire registered."""
    from surveykit import storage

    engine = storage.make_engine(db_url)
    storage.init_db(engine)
    if q is not None:
        storage.register_version(engine, q, Path(q.source).read_bytes().decode("utf-8-sig"))
    return engine


@contextmanager
def store(db_url: str, q: Questionnaire | None = None) -> Iterator[Any]:
    """:func:`_engine_for` for one command, disposed at the end (no connection left to the garbage collector)."""
    engine = _engine_for(db_url, q)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def reading(db_url: str) -> Iterator[Any]:
    """An engine on an existing store for reading (no table created), disposed at the end."""
    from surveykit import storage

    engine = storage.make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()
