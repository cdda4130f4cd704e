"""Database fixtures shared by the store, invitation, account and web tests, and the test tiers.

``db_url`` runs a test twice: on a SQLite file in ``tmp_path`` and on
PostgreSQL (``SURVEYKIT_TEST_PG_URL``, default the development server on
127.0.0.1:5432, database ``test``), in a schema of its own that is dropped
afterwards.  Without a reachable PostgreSQL the PostgreSQL half skips with the
reason, except under ``CI=true``, where it fails: CI must test both backends.

Tiers (markers in pyproject.toml): a test that uses a live-server fixture is marked
``server`` and one that uses a browser fixture ``browser`` here, by fixture name, so
``make test-fast`` can leave them out without a marker in every test file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pgschema import PG_URL, PostgresSchema

# Fixture name -> the tier of every test that uses it: ``live_site`` (tests/security) runs
# ``surveykit serve``; ``server`` (the browser tests) serves the app on a port; ``browser`` (below)
# launches Chromium.
TIER_FIXTURES = {"live_site": "server", "server": "server", "browser": "browser"}

# A survey with every question type and paired block, and two segment fields.
SURVEY_YAML = """\
survey: dealer_service
version: 3
title: {zh: 售后服务满意度调查, en: After-sales service survey}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  advisor: {label: {zh: 服务顾问, en: Service advisor}}
scales:
  agree7: {points: 7, labels: {1: {zh: 非常不同意, en: Strongly disagree}, 7: {zh: 非常同意, en: Strongly agree}}}
dimensions:
  reliability: {zh: 可靠性, en: Reliability}
  tangibles: {zh: 有形性, en: Tangibles}
pages:
  - id: visit
    title: {zh: 您的来店经历, en: Your visit}
    questions:
      - {id: sat_overall, type: likert, scale: agree7, text: {zh: 总体满意, en: Overall satisfied}}
      - id: channel
        type: choice
        text: {zh: 预约方式, en: Booking}
        options: {phone: {zh: 电话, en: Phone}, app: {zh: 应用, en: App}}
      - id: extras
        type: multi
        required: false
        text: {zh: 其他服务, en: Extras}
        options: {wash: {zh: 洗车, en: Wash}, coffee: {zh: 咖啡, en: Coffee}}
      - id: premises
        type: matrix
        scale: agree7
        text: {zh: 门店环境, en: Premises}
        rows:
          - {id: fac_clean, dimension: tangibles, text: {zh: 干净, en: Clean}}
          - {id: fac_crowded, reverse: true, text: {zh: 拥挤, en: Crowded}}
      - id: weights
        type: constant_sum
        total: 100
        text: {zh: 分配 100 分, en: Share 100 points}
        options: {reliability: {zh: 可靠性, en: Reliability}, tangibles: {zh: 有形性, en: Tangibles}}
      - {id: recommend, type: nps, text: {zh: 推荐, en: Recommend}}
      - {id: visit_date, type: date, required: false, text: {zh: 日期, en: Date}}
      - {id: km, type: number, required: false, text: {zh: 里程, en: Mileage}}
      - id: comment
        type: text
        required: false
        visible_if: sat_overall <= 3
        text: {zh: 哪里不好, en: What went wrong}
  - type: servqual
    id: sq
    scale: agree7
    items:
      - {id: rel1, dimension: reliability, expectation: {zh: 期望, en: Expect}, perception: {zh: 感受, en: Perceive}}
  - type: kano
    id: kano
    attributes:
      - {id: courtesy_car, functional: {zh: 提供, en: Offered}, dysfunctional: {zh: 不提供, en: Not offered}}
  - type: importance_performance
    id: ipa
    scale: agree7
    items:
      - {id: speed, importance: {zh: 重要, en: Important}, performance: {zh: 表现, en: Performance}}
"""


# With --doctest-modules pytest imports every module under tests/; the atheris fuzz target is a
# script (tests/surveykit/test_fuzz.py runs it in a subprocess) that needs atheris to import; the
# clustered weighting cases' generator runs svy in its own virtual environment (tests/reference/README.md).
collect_ignore = ["fuzz", "reference/generate_weighting_clustered.py"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-soak", action="store_true", default=False, help="run the long kill -9 soak tests (make soak)"
    )


# `make test` runs the suite on two pytest-xdist workers, a file at a time (--dist loadfile), so
# each file's module-scoped browser, server and seeded store is set up once, on one worker.  These
# files run the fielding worker on PostgreSQL, whose planning takes an advisory lock and waits for
# it when another holds it (surveykit/fielding/worker.py).  The lock is keyed by the schema, so
# two of them in two schemas do not wait on each other; they still share one scope (one worker, in
# turn), so that their plans and timings do not depend on that keying.
SHARED_SCOPES = dict.fromkeys(
    (
        "tests/surveykit/test_fielding_worker.py",
        "tests/surveykit/test_fielding_kill.py",
        "tests/webform/test_api.py",
        "tests/webform/test_fielding_links.py",
    ),
    "fielding worker on PostgreSQL",
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``--dist loadfile`` with the files of ``SHARED_SCOPES`` in one scope; other modes as xdist has them."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class _Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return SHARED_SCOPES.get(path, path)

    return _Scheduling(config, log)  # type: ignore[arg-type]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the tier of the fixtures it uses (``TIER_FIXTURES``)."""
    for item in items:
        for name in getattr(item, "fixturenames", ()):  # doctest items have none
            tier = TIER_FIXTURES.get(name)
            if tier is not None and item.get_closest_marker(tier) is None:
                item.add_marker(tier)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """argon2id at its lowest cost for the suite's own users: ~0.1 ms a hash instead of 0.1-1.5 s.

    Every account the tests create is hashed, and every login verified, with argon2id at RFC 9106's
    low-memory profile (t=3, 64 MiB, 4 lanes), which is the point in production and only a cost
    here: the suite creates and logs in hundreds of users.  The hash stays argon2id, made and
    checked by the same code (tests/surveykit/test_accounts.py, tests/security/test_admin_auth.py
    check the stored form); a live server (``surveykit serve`` in a subprocess) keeps the real
    profile and rehashes such a user's password at their first login, as it would an old hash.
    """
    from argon2 import PasswordHasher

    from surveykit import accounts

    real = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    accounts._dummy_hash.cache_clear()
    yield
    accounts._hasher = real
    accounts._dummy_hash.cache_clear()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium for the tests of one module (tests/support/browser.py); skip, or fail under CI=true, without it."""
    from tests.support.browser import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL URL, once it is known to answer; skip (fail under CI=true) otherwise."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(PG_URL)
    try:
        psycopg.connect(
            host=u.host, port=u.port or 5432, user=u.username, password=u.password, dbname=u.database, connect_timeout=3
        ).close()
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL is not reachable at {u.render_as_string(hide_password=True)}: {exc}".strip()
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the store tests must run on PostgreSQL too)", pytrace=False)
        pytest.skip(reason)
    return PG_URL


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    schema = PostgresSchema(postgres_server, prefix="sk_test")
    yield schema.url
    schema.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.sqlite3"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[object]:
    """An engine on ``db_url`` with the tables created; disposed afterwards."""
    from surveykit.storage import init_db, make_engine

    eng = make_engine(db_url)
    init_db(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def survey_path(tmp_path: Path) -> Path:
    path = tmp_path / "dealer_service.yaml"
    path.write_text(SURVEY_YAML, encoding="utf-8")
    return path


@pytest.fixture
def survey(survey_path: Path) -> object:
    """The questionnaire of ``SURVEY_YAML`` (every question type), loaded from a file."""
    from surveykit import load_questionnaire

    return load_questionnaire(survey_path)


@pytest.fixture
def registered(engine: object, survey: object, survey_path: Path) -> object:
    """``survey`` with its version registered in ``engine``."""
    from surveykit.storage import register_version

    register_version(engine, survey, survey_path.read_text(encoding="utf-8"))
    return survey
