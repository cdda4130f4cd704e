"""The store as the web form sees it: one engine per app, and the loaded survey versions.

:func:`init_app` makes the engine (:func:`surveykit.storage.make_engine`),
creates the tables, loads every questionnaire in ``QUESTIONNAIRES`` and
registers it as a survey version.  Several files may carry the same survey id
(successive versions): the last one listed is the one new respondents get, and
drafts started on an earlier one finish on it.

The few read-only queries the admin pages need beyond the storage API
(counts of drafts, versions, a user's account) are here too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.engine import Engine

from surveykit import load_questionnaire, storage
from surveykit.database import drafts, responses, survey_versions, users
from surveykit.model import Questionnaire


@dataclass
class Registry:
    engine: Engine
    current: dict[str, tuple[Questionnaire, int]] = field(default_factory=dict)  # survey id -> (q, version id)
    by_version: dict[int, Questionnaire] = field(default_factory=dict)

    def survey(self, survey_id: str) -> tuple[Questionnaire, int] | None:
        return self.current.get(survey_id)

    def version(self, version_id: int) -> Questionnaire | None:
        return self.by_version.get(version_id)


def _paths(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [p for p in str(value).split(os.pathsep) if p]
    return [str(p) for p in value]


def init_app(app: Flask) -> Registry:
    engine = storage.make_engine(app.config["DATABASE_URL"])
    storage.init_db(engine)
    registry = Registry(engine)
    for path in _paths(app.config.get("QUESTIONNAIRES")):
        q = load_questionnaire(Path(path))
        text = Path(path).read_bytes().decode("utf-8-sig")
        version_id = storage.register_version(engine, q, text)
        registry.current[q.survey] = (q, version_id)
        registry.by_version[version_id] = q
    app.extensions["surveykit"] = registry
    return registry


def registry() -> Registry:
    return current_app.extensions["surveykit"]  # type: ignore[no-any-return]


def engine() -> Engine:
    return registry().engine


def ping() -> bool:
    """True when the store answers a trivial query."""
    try:
        with engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False


def account(user_id: int) -> Any:
    """A user's name, role, department and session generation, or None when the user no longer exists.

    Read on every admin request, so that a logout elsewhere (which bumps the generation, see
    :func:`surveykit.storage.end_sessions`) ends this session too.
    """
    u = users.c
    stmt = sa.select(u.username, u.role, u.department, u.session_generation).where(u.id == user_id)
    with engine().connect() as conn:
        return conn.execute(stmt).first()


def versions(survey_id: str) -> list[dict[str, Any]]:
    """Every stored version of a survey with its response count, newest first."""
    v, r = survey_versions.c, responses.c
    stmt = (
        sa.select(v.id, v.version, v.sha256, v.created_at, sa.func.count(r.id).label("responses"))
        .select_from(survey_versions.outerjoin(responses, r.version_id == v.id))
        .where(v.survey == survey_id)
        .group_by(v.id, v.version, v.sha256, v.created_at)
        .order_by(v.created_at.desc(), v.id.desc())
    )
    with engine().connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def draft_counts(survey_id: str) -> tuple[int, int]:
    """(drafts started, drafts submitted) of a survey."""
    d = drafts.c
    stmt = sa.select(sa.func.count(), sa.func.count(d.response_id)).where(d.survey == survey_id)
    with engine().connect() as conn:
        started, submitted = conn.execute(stmt).one()
    return int(started), int(submitted)
