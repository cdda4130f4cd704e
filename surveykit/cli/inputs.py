"""What the commands read: questionnaire files and response stores."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from surveykit.loader import DEFAULT_MAX_BYTES, load_questionnaire
from surveykit.model import Questionnaire


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
