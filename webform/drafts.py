"""A respondent's draft as the views use it: found through the session, saved per screen, started, finished.

The answers of a multi-screen survey are kept in a draft on the server
(:func:`surveykit.storage.start_draft`); the session only names it
(:mod:`webform.respondent_session`).  A draft started on a version that is no
longer loaded finishes on the current one (:func:`questionnaire_of`, :func:`known`).
"""

from __future__ import annotations

from typing import Any

from flask import g, redirect, url_for
from werkzeug.wrappers import Response as BaseResponse

from surveykit import storage
from surveykit.model import Questionnaire
from webform import db, respondent_session
from webform.answers import draft_delta, known_answers
from webform.errors import fail
from webform.screen_page import Visit

__all__ = ["finish", "from_session", "known", "questionnaire_of", "save", "start"]


def from_session(survey_id: str) -> storage.Draft | None:
    """The draft this session names for the survey; a stale entry (gone, another survey) is forgotten."""
    entry = respondent_session.draft_entry(survey_id)
    if entry is None:
        return None
    draft = storage.load_draft(db.engine(), draft_id=entry[0])
    if draft is None or draft.survey != survey_id:
        respondent_session.forget(survey_id)
        return None
    return draft


def questionnaire_of(draft: storage.Draft | None) -> Questionnaire:
    """The version the draft was started on, or the current one when that is no longer loaded (or no draft)."""
    if draft is not None:
        q = db.registry().version(draft.version_id)
        if q is not None:
            return q
        g.draft_on_other_version = True
    return g.q  # type: ignore[no-any-return]


def known(q: Questionnaire, answers: dict[str, Any]) -> dict[str, Any]:
    """The draft's answers that fit ``q`` (see :func:`webform.answers.known_answers`)."""
    return known_answers(q, answers, other_version=bool(g.get("draft_on_other_version")))


def finish(survey_id: str, response_id: str) -> BaseResponse:
    """The survey is done in this session: to the thanks page."""
    respondent_session.mark_done(survey_id, response_id)
    return redirect(url_for("survey.thanks", survey_id=survey_id), 303)


def save(draft: storage.Draft, answers: dict[str, Any], page: int) -> BaseResponse | None:
    """Save a page into the draft; a draft submitted meanwhile (a race with a double tap) ends at thanks."""
    try:
        storage.save_draft(db.engine(), draft.id, draft_delta(draft.answers, answers), page)
    except storage.StorageError:
        current = storage.load_draft(db.engine(), draft_id=draft.id)
        if current is not None and current.response_id is not None:
            return finish(draft.survey, current.response_id)
        respondent_session.forget(draft.survey)
        fail(409)
    return None


def start(visit: Visit) -> storage.Draft:
    """The draft for a respondent leaving the first screen: the invitation's open draft, or a new one."""
    q, invitation_id, token = visit.q, visit.invitation_id, visit.token
    if invitation_id is not None:
        existing = storage.load_draft(db.engine(), invitation_id=invitation_id)
        if existing is not None and existing.response_id is None and existing.survey == q.survey:
            respondent_session.remember(q.survey, existing.id, url_for("survey.start", survey_id=q.survey, t=token))
            return existing
    # the draft keeps the first screen's submission key: the order of a randomised screen is drawn from it
    signed = respondent_session.submission_key(visit.key)
    # with an invitation the store takes its fields itself
    draft = storage.start_draft(
        db.engine(),
        q,
        language=g.lang,
        invitation_id=invitation_id,
        fields=None if invitation_id is not None else visit.fields or None,
        key=signed[0] if signed is not None else None,
    )
    if token is not None:
        link = url_for("survey.start", survey_id=q.survey, t=token)
    else:
        link = url_for("survey.resume", survey_id=q.survey, token=draft.resume_token)
    respondent_session.remember(q.survey, draft.id, link)
    return draft
