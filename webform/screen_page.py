"""Rendering one respondent screen: the page template with values, errors, progress and links.

A :class:`Visit` is what the respondent views know about one respondent on one
screen; :func:`render_screen` turns it (and, after a post, the form with its
errors) into the page.  The labels and fragments come from :mod:`webform.presenters`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Response, g, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response as BaseResponse

from surveykit import storage
from surveykit.model import Questionnaire, Screen
from surveykit.piping import has_pipes, pipe_screen
from surveykit.randomize import order_seed, personal_screen
from webform import respondent_session
from webform.forms import ScreenForm
from webform.i18n import BCP47, MESSAGES, language_name, translate
from webform.presenters import (
    build_screen_view,
    error_summary,
    ready_questions,
    screen_view,
    values_from_answers,
    values_from_form,
)
from webform.skip_logic import next_screen, shown_questions, visible_screens

__all__ = ["Visit", "language_links", "render_screen"]


@dataclass(frozen=True, slots=True)
class Visit:
    """One respondent on one screen: the questionnaire, the draft (None before the first save) and what is known.

    ``token`` and ``key`` are what a draft-less form carries (the invitation token and the
    signed submission key); ``invitation_id`` is the invitation the response belongs to.
    """

    q: Questionnaire
    index: int
    draft: storage.Draft | None
    answers: dict[str, Any]
    fields: dict[str, Any]
    token: str | None = None
    key: str | None = None
    invitation_id: int | None = None

    @property
    def screen(self) -> Screen:
        return self.q.screens()[self.index]


def render_screen(
    visit: Visit, *, form: ScreenForm | None = None, status: int = 200, notice: str | None = None
) -> BaseResponse:
    """The screen of ``visit``: with the posted values and errors of ``form``, else with the stored answers."""
    q, index, screen, lang = visit.q, visit.index, visit.screen, g.lang
    resume_url = key = None
    if visit.draft is None:
        # keep the key the form carried (a retry of the same submission), if it is genuine
        key = respondent_session.valid_signed_key(visit.key) or respondent_session.new_signed_key()
    screen = respondent_screen(visit, key)
    view = screen_view(q, visit.screen, lang)
    if screen is not visit.screen:
        view = build_screen_view(q, screen, lang, base=(visit.screen, view))
    shown, conds = shown_questions(q, screen, {**visit.fields, **visit.answers})
    if form is not None:
        values, bad = values_from_form(form)
        errors, summary, ready = form.errors_by_question(), error_summary(form, screen, lang, view), {}
    else:
        values, bad, errors, summary = values_from_answers(screen, visit.answers), set(), {}, []
        # questions without errors come ready-made from the view, rendered once by the same macros
        ready = ready_questions(view, screen, shown, visit.answers, values)
    visible = visible_screens(q, visit.answers, visit.fields)
    position = visible.index(index) + 1 if index in visible else 1
    is_last = next_screen(q, index, visit.answers, visit.fields) is None
    ui = _ui(lang)
    if visit.draft is not None:
        entry = respondent_session.draft_entry(q.survey)
        if entry is not None:
            resume_url = request.host_url.rstrip("/") + entry[1]
    body = render_template(
        "survey/page.html",
        lang=lang,
        lang_tag=BCP47.get(lang, lang),
        ui=ui,
        view=view,
        shown=shown,
        conds=conds,
        values=values,
        errors=errors,
        bad=bad,
        summary=summary,
        notice=notice,
        ready=ready,
        survey_title=q.title.best(lang),
        page_title=view.title or q.title.best(lang),
        description=q.description.best(lang) if (q.description and position == 1) else "",
        consent=q.privacy.consent.best(lang) if (q.privacy and q.privacy.consent and position == 1) else "",
        progress=translate("progress", lang, n=position, m=max(len(visible), position)),
        action=url_for("survey.page", survey_id=q.survey, screen_id=screen.id),
        csrf=generate_csrf(),
        k=key,
        t=visit.token if visit.draft is None else None,
        next_label=ui["submit"] if is_last else ui["next"],
        back=bool(visible) and index > visible[0],
        resume_url=resume_url,
        switch=language_links(q, lang),
        switch_label=ui["lang_switch"],
    )
    return Response(body, status=status, mimetype="text/html")


def respondent_screen(visit: Visit, signed_key: str | None) -> Screen:
    """The screen in this respondent's order and with their piped text (the model's own screen if neither applies).

    The order is drawn from the seed of the submission key: the draft's, or before the
    first save the one the form carries (the draft then takes that key over), so the
    order stays the same after Back and a resume (:mod:`surveykit.randomize`).
    """
    screen = visit.screen
    if screen.shuffle is not None or any(x.shuffle is not None for x in screen.questions):
        key = visit.draft.key if visit.draft is not None else respondent_session.submission_key(signed_key)
        if isinstance(key, tuple):
            key = key[0]
        if key is not None:
            screen = personal_screen(screen, order_seed(key))
    if has_pipes(screen):
        screen = pipe_screen(screen, visit.q, visit.answers, visit.fields)
    return screen


def language_links(q: Questionnaire, lang: str) -> list[tuple[str, str, str]]:
    """(BCP 47 tag, language name, this page's URL in it) for each other language of the survey."""
    links = []
    args: dict[str, Any] = {**(request.view_args or {}), **{k: v for k, v in request.args.items() if k != "lang"}}
    endpoint = request.endpoint or "survey.start"
    for code in q.languages:
        if code != lang:
            links.append((BCP47.get(code, code), language_name(code), url_for(endpoint, **args, lang=code)))
    return links


@lru_cache(maxsize=4)
def _ui(lang: str) -> dict[str, str]:
    return {key: translate(key, lang) for key in MESSAGES["en"]}
