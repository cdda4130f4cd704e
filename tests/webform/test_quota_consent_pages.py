"""The respondent's side of quotas and privacy: the closing page of a full cell, the consent sentence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from surveykit.invitations import create_invitations
from surveykit.quotas import CLOSED
from tests.support.fielding import FIELDING_YAML, PRIVACY_REMOVE, submit
from webform import create_app

EXTRA = "quotas:\n  - {id: cap, fields: [dealer], max: 1, closed: {zh: 名额已满，谢谢！, en: The places are taken - thank you!}}\n"


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Any:
    path = tmp_path / "visit.yaml"
    path.write_text(
        FIELDING_YAML + PRIVACY_REMOVE + "quotas:\n  - {id: cap, fields: [dealer], max: 1}\n", encoding="utf-8"
    )
    made = create_app({"TESTING": True, "DATABASE_URL": db_url, "QUESTIONNAIRES": [str(path)], "SECRET_KEY": "k" * 30})
    yield made
    made.extensions["surveykit"].engine.dispose()


def test_consent_on_the_first_page_only(app: Any) -> None:
    client = app.test_client()
    page = client.get("/s/visit_csi").get_data(as_text=True)
    assert '<p class="consent">我同意</p>' in page
    english = client.get("/s/visit_csi?lang=en", follow_redirects=True).get_data(as_text=True)
    assert '<p class="consent">I agree</p>' in english


def test_link_of_a_full_cell_shows_the_closing_page(app: Any) -> None:
    engine = app.extensions["surveykit"].engine
    q = app.extensions["surveykit"].survey("visit_csi")[0]
    full, room = create_invitations(engine, q, [{"dealer": "de01"}, {"dealer": "de02"}])
    client = app.test_client()
    assert "consent" in client.get(f"/s/visit_csi?t={full.token}").get_data(as_text=True)  # room: the form
    submit(engine, q, dealer="de01")  # the de01 cell fills
    closed = client.get(f"/s/visit_csi?t={full.token}")
    assert closed.status_code == 200
    text = closed.get_data(as_text=True)
    assert CLOSED["zh"] in text and "调查已结束" in text and "<form" not in text
    other = client.get(f"/s/visit_csi?t={room.token}").get_data(as_text=True)
    assert "<form" in other  # de02 still has room


def test_own_closing_text_in_the_respondents_language(tmp_path: Path) -> None:
    path = tmp_path / "visit.yaml"
    path.write_text(FIELDING_YAML + EXTRA, encoding="utf-8")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path}/s.sqlite3",
            "QUESTIONNAIRES": [str(path)],
            "SECRET_KEY": "k" * 30,
        }
    )
    engine = app.extensions["surveykit"].engine
    q = app.extensions["surveykit"].survey("visit_csi")[0]
    (inv,) = create_invitations(engine, q, [{"dealer": "de01"}])
    submit(engine, q, dealer="de01")
    client = app.test_client()
    client.get("/s/visit_csi?lang=en")
    page = client.get(f"/s/visit_csi?t={inv.token}").get_data(as_text=True)
    assert "The places are taken - thank you!" in page and "This survey is closed" in page
    engine.dispose()
