"""Fixtures for the web form: an app on a SQLite file per test, a test client, a respondent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.formclient import ALL_TYPES, ONE_PAGE, Respondent, write
from webform import create_app


@pytest.fixture
def make_app(tmp_path: Path) -> Any:
    made = []

    def _make(*yaml_texts: str, **config: Any) -> Any:
        paths = [write(tmp_path, f"q{i}.yaml", text) for i, text in enumerate(yaml_texts or (ALL_TYPES, ONE_PAGE))]
        settings = {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path}/t.sqlite3",
            "QUESTIONNAIRES": paths,
            "SECRET_KEY": "test-secret-key-0123456789",
        }
        settings.update(config)
        app = create_app(settings)
        made.append(app)
        return app

    yield _make
    for app in made:
        pool = app.extensions.get("dashboard_jobs")  # background reports (webform/dashboard/jobs.py) end first
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        app.extensions["surveykit"].engine.dispose()


@pytest.fixture
def app(make_app: Any) -> Any:
    return make_app()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def respondent(client: Any) -> Respondent:
    return Respondent(client)


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()
