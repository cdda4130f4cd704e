"""The questionnaire of a survey as the store knows it: its latest registered version.

The worker and the rules run apart from the web app's registry, so they read the
YAML the app registered (``survey_versions``), parsed once per version.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from surveykit.database import survey_versions
from surveykit.loader import loads
from surveykit.model import Questionnaire

__all__ = ["questionnaire_of"]


@functools.lru_cache(maxsize=256)
def _parse(sha256: str, text: str) -> Questionnaire:
    return loads(text.encode("utf-8"), name=f"survey version {sha256[:12]}")


def questionnaire_of(conn: Connection, survey: str) -> Questionnaire | None:
    """The latest registered version of ``survey``, or None when it was never registered."""
    v = survey_versions.c
    row = conn.execute(
        sa.select(v.sha256, v.yaml_text).where(v.survey == survey).order_by(v.id.desc()).limit(1)
    ).first()
    return None if row is None else _parse(row.sha256, row.yaml_text)
