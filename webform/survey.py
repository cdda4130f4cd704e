"""The respondent pages: ``/s/<survey>`` and its screens, thanks, resume.

Flow (POST/redirect/GET throughout):

* ``GET /s/<survey>[?t=<invitation>]`` renders the first screen.  Nothing is
  stored on a GET (link scanners pre-fetch invitation links); an invitation
  that already has a draft resumes it.
* ``POST /s/<survey>/p/<screen>`` validates the screen (checks compiled once per
  screen from its WTForms class; the form itself is built only to show a refused
  post again), keeps only answers of questions that apply, and either saves
  the draft and redirects to the next screen that applies, or - on the last
  screen - stores the response with the draft's submission key and redirects to
  the thanks page.  A double-tapped or retried final submit carries the same
  key, so it returns the same thanks page and stores nothing new.
* The session cookie holds, per survey, the draft id and the link that resumes
  it, plus the id of a finished response (:mod:`webform.respondent_session`).

A one-screen survey (or one whose first screen is also its last) needs no draft:
its form carries a signed submission key instead, and the submission is one
transaction.

The views read the request and the session; which questions apply, how answers
merge and where a posted screen leads are Flask-free (:mod:`webform.skip_logic`,
:mod:`webform.answers`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.wrappers import Response as BaseResponse

from surveykit import quotas, storage
from surveykit.model import Questionnaire
from webform import db, drafts, form_photos, respondent_session
from webform.answers import Step, answers_before, declared_fields, merge_answers, next_step
from webform.errors import error_response, fail
from webform.forms import ScreenForm, build_form, screen_check
from webform.i18n import BCP47, choose_language, translate
from webform.link_tokens import open_invitation, rate_limited
from webform.respondent_session import key_serializer
from webform.screen_page import Visit, language_links, render_screen
from webform.skip_logic import applying_questions, first_screen, plan, resume_screen, visible_screens

__all__ = ["bp", "key_serializer"]  # key_serializer: benchmarks/bench_web.py signs keys with it

bp = Blueprint("survey", __name__, url_prefix="/s")

_FORM_META = frozenset({"csrf_token", "action", "k", "t"})


# -- request context -----------------------------------------------------------------------------


@bp.before_request
def _survey_context() -> BaseResponse | None:
    _resolve_survey()
    wanted = request.args.get("lang")
    if request.method == "GET" and wanted is not None:
        if wanted in g.q.languages:
            session["lang"] = wanted
        args: dict[str, Any] = {**(request.view_args or {}), **{k: v for k, v in request.args.items() if k != "lang"}}
        return redirect(url_for(request.endpoint or "survey.start", **args), 303)
    return None


def _resolve_survey() -> None:
    if "q" in g:
        return
    survey_id = (request.view_args or {}).get("survey_id")
    entry = db.registry().survey(survey_id) if isinstance(survey_id, str) else None
    if entry is None:
        fail(404, "err_404", "survey_unknown")
    g.q, g.version_id = entry
    g.lang = choose_language(g.q.languages, g.q.languages[0])


# -- navigation ------------------------------------------------------------------------------------


def _page_url(q: Questionnaire, index: int) -> str:
    return url_for("survey.page", survey_id=q.survey, screen_id=q.screens()[index].id)


def _screen_index(q: Questionnaire, screen_id: str) -> int:
    index = plan(q).index.get(screen_id)
    if index is None:
        fail(404)
    return index


def _first_index(q: Questionnaire, fields: dict[str, Any]) -> int:
    index = first_screen(q, fields)
    if index is None:
        fail(410)
    return index


def _resume(draft: storage.Draft) -> BaseResponse:
    """To the thanks page when the draft was submitted, else to the screen to come back to."""
    if draft.response_id is not None:
        return drafts.finish(draft.survey, draft.response_id)
    q = drafts.questionnaire_of(draft)
    return redirect(_page_url(q, resume_screen(q, drafts.known(q, draft.answers), draft.fields, draft.page)), 303)


def _draft_visit(q: Questionnaire, index: int, draft: storage.Draft) -> Visit | BaseResponse:
    """The draft on screen ``index``, or a redirect when that screen does not apply or was not reached yet."""
    answers = drafts.known(q, draft.answers)
    if index not in visible_screens(q, answers, draft.fields) or index > draft.page:
        return _resume(draft)
    return Visit(q, index, draft, answers, draft.fields, invitation_id=draft.invitation_id)


def _posted_visit(q: Questionnaire, index: int, draft: storage.Draft | None) -> Visit | BaseResponse:
    """Who posts screen ``index``: the draft, or - without one - the first screen with the form's token and key."""
    if draft is not None:
        return _draft_visit(q, index, draft)
    token = request.form.get("t")
    fields: dict[str, Any] = {}
    invitation_id = None
    if token is not None:
        state = open_invitation(q, token)
        fields, invitation_id = state.fields, state.id
    if index != _first_index(q, fields):
        return redirect(url_for("survey.start", survey_id=q.survey), 303)
    return Visit(q, index, None, {}, fields, token=token, key=request.form.get("k"), invitation_id=invitation_id)


# -- views -------------------------------------------------------------------------------------------


@bp.get("/<survey_id>")
def start(survey_id: str) -> BaseResponse:
    q = g.q
    token = request.args.get("t")
    if token is not None:
        state = open_invitation(q, token)
        # a unit's open link has no invitation: nobody's draft to resume, each visit starts afresh
        draft = storage.load_draft(db.engine(), invitation_id=state.id) if state.id is not None else None
        if draft is not None and draft.response_id is None and draft.survey == survey_id:
            respondent_session.remember(survey_id, draft.id, url_for("survey.start", survey_id=survey_id, t=token))
            return _resume(draft)
        if q.quotas and state.open:
            closed = _quota_closed(q, state.fields)
            if closed is not None:
                return closed
        # this invitation's respondent starts afresh, whoever used this browser before
        respondent_session.forget(survey_id)
        respondent_session.clear_done(survey_id)
        return render_screen(Visit(q, _first_index(q, state.fields), None, {}, state.fields, token=token))
    if respondent_session.done(survey_id):
        return redirect(url_for("survey.thanks", survey_id=survey_id), 303)
    draft = drafts.from_session(survey_id)
    if draft is not None:
        return _resume(draft)
    return render_screen(Visit(q, _first_index(q, {}), None, {}, {}))


def _quota_closed(q: Questionnaire, fields: dict[str, Any]) -> BaseResponse | None:
    """The polite closing page when the link's quota cell is full (surveykit.quotas); None while it has room."""
    with db.engine().connect() as conn:
        full = quotas.full_quota(conn, q, fields, current_app.config.get("WAVE"))
    if full is None:
        return None
    lang = g.lang
    body = render_template(
        "survey/thanks.html",
        lang=lang,
        lang_tag=BCP47.get(lang, lang),
        title=quotas.CLOSED_TITLE.best(lang),
        text=(full.closed or quotas.CLOSED).best(lang),
        survey_title=q.title.best(lang),
        switch=language_links(q, lang),
        switch_label=translate("lang_switch", lang),
    )
    return Response(body, mimetype="text/html")


@bp.get("/<survey_id>/p/<screen_id>")
def page(survey_id: str, screen_id: str) -> BaseResponse:
    draft = drafts.from_session(survey_id)
    q = drafts.questionnaire_of(draft)
    index = _screen_index(q, screen_id)
    if draft is None:
        if respondent_session.done(survey_id):
            return redirect(url_for("survey.thanks", survey_id=survey_id), 303)
        if index != _first_index(q, {}):
            return redirect(url_for("survey.start", survey_id=survey_id), 303)
        return render_screen(Visit(q, index, None, {}, {}))
    if draft.response_id is not None:
        return drafts.finish(survey_id, draft.response_id)
    visit = _draft_visit(q, index, draft)
    return render_screen(visit) if isinstance(visit, Visit) else visit


@bp.post("/<survey_id>/p/<screen_id>")
def page_post(survey_id: str, screen_id: str) -> BaseResponse:
    draft = drafts.from_session(survey_id)
    if draft is not None and draft.response_id is not None:
        return drafts.finish(survey_id, draft.response_id)  # a replayed final submit
    if draft is None and respondent_session.done(survey_id):
        return redirect(url_for("survey.thanks", survey_id=survey_id), 303)
    q = drafts.questionnaire_of(draft)
    visit = _posted_visit(q, _screen_index(q, screen_id), draft)
    if not isinstance(visit, Visit):
        return visit
    check = screen_check(q, visit.screen, g.lang)
    action = request.form.get("action", "next")
    if not _well_formed(check.input_names, action, form_photos.input_names(visit.screen)):
        return render_screen(visit, form=_posted_form(visit), status=400, notice=translate("unexpected", g.lang))
    refused = form_photos.take(visit)  # an auditor's photos of checklist items (webform.form_photos)
    if refused is not None:  # none kept; the answers come back as posted, the photo's field marked
        return render_screen(visit, form=_posted_form(visit), status=400, notice=refused)
    context = {**visit.fields, **answers_before(q, visit.index, visit.answers)}
    # what the WTForms form would read (Flask-WTF adds the files; a file under an answer's name was refused above)
    posted = check.run(CombinedMultiDict((request.files, request.form)) if request.files else request.form)
    applying = applying_questions(visit.screen, context, posted.question_answers)
    valid = posted.valid(applying)
    merged = merge_answers(q, visit.index, visit.answers, posted.valid_answers(applying), visit.fields)
    step = next_step(q, visit.index, merged, visit.fields, action=action, valid=valid)
    return _follow(step, visit, applying, merged)


def _posted_form(visit: Visit, applying: set[str] | None = None) -> ScreenForm:
    """The screen's form over the post, to show it again: validated for the questions in ``applying`` (their errors)."""
    form = build_form(visit.q, visit.screen, g.lang)()
    if applying is not None:
        form.validate_visible(applying)
    return form


def _well_formed(names: frozenset[str], action: str, photos: frozenset[str] = frozenset()) -> bool:
    """False for a post no page of ours sends: unknown or repeated fields, files (but an auditor's photos), another action.

    ``names``: the screen's inputs.
    """
    form, files = request.form, request.files
    if action not in ("next", "back") or not form.keys() - _FORM_META <= (names | photos if photos else names):
        return False
    if files and (files.keys() - photos or any(len(files.getlist(name)) > 1 for name in photos)):
        return False
    return not any(len(form.getlist(name)) > 1 for name in _FORM_META)  # parameter pollution


def _follow(step: Step, visit: Visit, applying: set[str], answers: dict[str, Any]) -> BaseResponse:
    """Carry out :func:`webform.answers.next_step`: save the draft as needed, then redirect, re-render or submit."""
    q, draft = visit.q, visit.draft
    if step.kind == "invalid":
        return render_screen(visit, form=_posted_form(visit, applying), status=422)
    if step.kind == "submit":
        return _submit(visit, applying, answers)
    if step.kind == "next" and step.screen is not None:
        if draft is None:
            draft = drafts.start(visit)
        stopped = drafts.save(draft, answers, max(draft.page, step.screen))
        return stopped or redirect(_page_url(q, step.screen), 303)
    # back, or to an earlier screen that lacks a required answer: this screen's answers are kept
    if draft is not None:
        stopped = drafts.save(draft, answers, draft.page)
        if stopped is not None:
            return stopped
    if step.screen is None:
        return redirect(url_for("survey.start", survey_id=q.survey), 303)
    return redirect(_page_url(q, step.screen), 303)


def _submit(visit: Visit, applying: set[str], answers: dict[str, Any]) -> BaseResponse:
    """Store the response under the draft's key (or the form's signed key), then the thanks page."""
    q, draft = visit.q, visit.draft
    if draft is not None:
        key, started = draft.key, draft.started_at
    else:
        signed = respondent_session.submission_key(visit.key)
        if signed is None:
            form = _posted_form(visit, applying)
            return render_screen(
                replace(visit, key=None), form=form, status=400, notice=translate("expired_form", g.lang)
            )
        key, started = signed
    try:
        result = storage.save_response(
            db.engine(),
            q,
            answers,
            key=key,
            language=g.lang,
            fields=declared_fields(q, draft.fields if draft is not None else visit.fields)
            if draft is not None or (visit.invitation_id is None and visit.fields)  # a unit link's unit
            else None,
            wave=current_app.config.get("WAVE"),
            started_at=started,
            invitation_id=visit.invitation_id,
        )
    except storage.DuplicateSubmission:
        # the same submission key with other answers (a tampered or replayed form): refused, nothing stored
        fail(422)
    except storage.InvitationUnavailable:
        fail(410, "err_410", "invitation_used")
    except ValueError:
        # validation above makes every answer canonical; this is a bug, reported without a traceback page
        current_app.logger.exception("a validated submission was refused by the store")
        fail(422)
    return drafts.finish(q.survey, result.response_id)


@bp.get("/<survey_id>/r/<token>")
def resume(survey_id: str, token: str) -> BaseResponse:
    draft = storage.load_draft(db.engine(), resume_token=token) if len(token) <= 100 else None
    if draft is None or draft.survey != survey_id:
        if rate_limited("resume"):
            fail(429)
        fail(404, "err_404", "resume_unknown")
    if rate_limited("resume", count=False):
        fail(429)
    if draft.response_id is None:
        respondent_session.remember(survey_id, draft.id, url_for("survey.resume", survey_id=survey_id, token=token))
    return _resume(draft)


@bp.get("/<survey_id>/thanks")
def thanks(survey_id: str) -> BaseResponse:
    if not respondent_session.done(survey_id):
        return redirect(url_for("survey.start", survey_id=survey_id), 303)
    q = g.q
    lang = g.lang
    text = q.thanks.best(lang) if q.thanks else translate("thanks_default", lang)
    body = render_template(
        "survey/thanks.html",
        lang=lang,
        lang_tag=BCP47.get(lang, lang),
        title=translate("thanks_title", lang),
        text=text,
        survey_title=q.title.best(lang),
        switch=language_links(q, lang),
        switch_label=translate("lang_switch", lang),
    )
    return Response(body, mimetype="text/html")


@bp.errorhandler(CSRFError)
def csrf_failed(exc: CSRFError) -> BaseResponse:
    """A missing, wrong or expired CSRF token: 400, nothing stored, the page again with a fresh token."""
    if request.method != "POST" or request.endpoint != "survey.page_post":
        return error_response(400)
    _resolve_survey()
    survey_id = (request.view_args or {}).get("survey_id", "")
    draft = drafts.from_session(survey_id)
    q = drafts.questionnaire_of(draft)
    index = plan(q).index.get((request.view_args or {}).get("screen_id", ""))
    if (
        index is None
        or (draft is None and index != _first_index(q, {}))
        or (draft is not None and draft.response_id is not None)
    ):
        return error_response(400, "err_400", "expired_form")
    if draft is None:
        visit = Visit(q, index, None, {}, {}, token=request.form.get("t"), key=request.form.get("k"))
    else:
        visit = Visit(q, index, draft, drafts.known(q, draft.answers), draft.fields)
    form = build_form(q, visit.screen, g.lang)()
    return render_screen(visit, form=form, status=400, notice=translate("expired_form", g.lang))
