"""Fixtures of the security and reliability tests: the seeded web form through the test client and live.

``site`` is the data of :func:`tests.support.seckit.populate` behind the Flask test client, on a
SQLite file and on PostgreSQL (``db_url`` from tests/conftest.py).  ``live_site`` is the same data
behind ``surveykit serve`` (gunicorn, 2 sync workers) on 127.0.0.1, once per test session and
backend; tests that use it are marked ``server`` (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from surveykit import storage
from tests.support.liveserver import LiveServer
from tests.support.pgschema import PostgresSchema
from tests.support.seckit import SECRET, ClientTransport, LiveTransport, Site, populate


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    """The web form through the Flask test client on ``db_url`` (SQLite, then PostgreSQL)."""
    from webform import create_app

    paths, tokens = populate(db_url, tmp_path)
    app = create_app(
        {
            "TESTING": False,
            "DATABASE_URL": db_url,
            "QUESTIONNAIRES": paths,
            "SECRET_KEY": SECRET,
            "TOKEN_RATE_LIMIT": [100_000, 60],
            "LOGIN_RATE_LIMIT": [100_000, 60],
        }
    )
    engine = app.extensions["surveykit"].engine
    yield Site(db_url, engine, tokens, ClientTransport(app), app=app)
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The same data behind ``surveykit serve`` (2 workers) on 127.0.0.1, once per test session and backend."""
    directory = tmp_path_factory.mktemp(f"live-{request.param}")
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{directory}/live.sqlite3"
    else:
        schema = PostgresSchema(request.getfixturevalue("postgres_server"))
        url = schema.url
    paths, tokens = populate(url, directory)
    env = {"SURVEYKIT_TOKEN_RATE_LIMIT": "[100000, 60]", "SURVEYKIT_LOGIN_RATE_LIMIT": "[100000, 60]"}
    server = LiveServer(directory, paths, url, workers=2, env=env)
    server.start()
    engine = storage.make_engine(url)
    try:
        yield Site(url, engine, tokens, LiveTransport(server.port), server=server)
    finally:
        server.stop()
        engine.dispose()
        if schema is not None:
            schema.drop()
