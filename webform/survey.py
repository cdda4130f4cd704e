"""The respondent pages: ``/s/<survey>`` and its screens, thanks, resume.

Flow (POST/redirect/GET throughout):

* ``GET /s/<survey>[?t=<invitation>]`` renders the first screen.  Nothing is
  stored on a GET (link scanners pre-fetch invitation links); an invitation
  that already has a draft resumes it.
* ``POST /s/<survey>/p/<screen>`` validates the screen (WTForms classes built
  from the model), keeps only answers of questions that apply, and either saves
  the draft and redirects to the next screen that applies, or - on the last
  screen - stores the response with the draft's submission key and redirects to
  the thanks page.  A double-tapped or retried final submit carries the same
  key, so it returns the same thanks page and stores nothing new.
* The session cookie holds, per survey, the draft id and the link that resumes
  it (a resume or invitation link), plus the id of a finished response; the
  answers themselves stay on the server.

A one-screen survey (or one whose first screen is also its last) needs no draft:
its form carries a signed submission key instead, and the submission is one
transaction.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse
from flask_wtf.csrf import CSRFError, generate_csrf
from itsdangerous import BadData, URLSafeTimedSerializer

from surveykit import storage
from surveykit.model import Questionnaire
from webform import db
from webform.errors import error_response, fail
from webform.forms import AnswerField, ConstantSumAnswer, MultiAnswer, ScreenForm, build_form
from webform.i18n import BCP47, LANGUAGE_NAMES, MESSAGES, choose_language, translate
from webform.skip_logic import (
    applies, clean_answers, condition_json, missing_required, plan, question_variables, visible_screens,
)
from webform.presenters import screen_view

bp = Blueprint("survey", __name__, url_prefix="/s")

KEY_MAX_AGE_S = 7 * 24 * 3600
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


def _engine() -> Any:
    return db.engine()


@lru_cache(maxsize=4)
def _ui(lang: str) -> dict[str, str]:
    return {key: translate(key, lang) for key in MESSAGES["en"]}


KEY_SALT = "surveykit-submission-key"


def key_serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    """Signs the submission key a draft-less form carries (``k``); the timestamp is the render time."""
    return URLSafeTimedSerializer(secret_key, salt=KEY_SALT)


def _serializer() -> URLSafeTimedSerializer:
    return key_serializer(current_app.config["SECRET_KEY"])


# -- the session: draft id + resume link per survey, finished response ids ------------------------

def _session_entry(survey_id: str) -> tuple[str, str] | None:
    entry = session.get("d", {}).get(survey_id)
    if (isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)
            and len(entry[0]) <= 64):
        return entry[0], entry[1]
    return None


def _remember(survey_id: str, draft_id: str, resume_url: str) -> None:
    drafts = dict(session.get("d", {}))
    drafts[survey_id] = [draft_id, resume_url]
    session["d"] = drafts


def _forget(survey_id: str) -> None:
    drafts = dict(session.get("d", {}))
    if drafts.pop(survey_id, None) is not None:
        session["d"] = drafts


def _done(survey_id: str) -> str | None:
    value = session.get("done", {}).get(survey_id)
    return value if isinstance(value, str) else None


def _finish(survey_id: str, response_id: str) -> BaseResponse:
    _forget(survey_id)
    done = dict(session.get("done", {}))
    done[survey_id] = response_id
    session["done"] = done
    return redirect(url_for("survey.thanks", survey_id=survey_id), 303)


def _session_draft(survey_id: str) -> storage.Draft | None:
    entry = _session_entry(survey_id)
    if entry is None:
        return None
    draft = storage.load_draft(_engine(), draft_id=entry[0])
    if draft is None or draft.survey != survey_id:
        _forget(survey_id)
        return None
    return draft


def _questionnaire(draft: storage.Draft | None) -> Questionnaire:
    if draft is not None:
        q = db.registry().version(draft.version_id)
        if q is not None:
            return q
        g.draft_on_other_version = True
    return g.q  # type: ignore[no-any-return]


def _known(q: Questionnaire, answers: dict[str, Any]) -> dict[str, Any]:
    """Draft answers restricted to the variables of ``q``.

    A draft whose own version is no longer loaded finishes on the current one: its answers
    are kept only where they still fit (same variable, a value the new version accepts).
    """
    names = _answer_names(q)
    kept = {k: v for k, v in answers.items() if k in names}
    if not g.get("draft_on_other_version"):
        return kept
    fitting = {}
    for name, value in kept.items():
        try:
            fitting.update(storage.canonical_answers(q, {name: value}))
        except ValueError:
            continue
    return fitting


def _segment(q: Questionnaire, fields: dict[str, Any]) -> dict[str, Any]:
    """Segment fields restricted to those ``q`` declares (an invitation may predate a version)."""
    declared = {f.id for f in q.fields}
    return {k: v for k, v in fields.items() if k in declared}


def _save_draft(draft: storage.Draft, answers: dict[str, Any], page: int) -> BaseResponse | None:
    """Save a page into the draft; a draft submitted meanwhile (a race with a double tap) ends at thanks."""
    try:
        storage.save_draft(_engine(), draft.id, _delta(draft.answers, answers), page)
    except storage.StorageError:
        current = storage.load_draft(_engine(), draft_id=draft.id)
        if current is not None and current.response_id is not None:
            return _finish(draft.survey, current.response_id)
        _forget(draft.survey)
        fail(409)
    return None


_NAMES: dict[int, tuple[Questionnaire, frozenset[str]]] = {}


def _answer_names(q: Questionnaire) -> frozenset[str]:
    hit = _NAMES.get(id(q))
    if hit is None or hit[0] is not q:
        hit = (q, frozenset(v.name for v in q.answer_variables()))
        _NAMES[id(q)] = hit
    return hit[1]


# -- invitations ---------------------------------------------------------------------------------

def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _rate_limited(kind: str, count: bool = True) -> bool:
    limit, window = current_app.config["TOKEN_RATE_LIMIT"]
    return storage.hit_rate_limit(_engine(), f"{kind}:{_client_ip()}", limit=int(limit), window_s=int(window),
                                  count=count)


def _invitation(q: Questionnaire, token: str) -> storage.InvitationState:
    """An open invitation of this survey, or an error page (404 unknown, 410 used/expired, 429).

    Once an address is over the guessing limit every token is 429, a real one too: otherwise a
    guesser would still tell a hit (200) from a miss (429).
    """
    state = storage.lookup_invitation(_engine(), token)
    if state.status == "unknown" or state.survey != q.survey:
        if _rate_limited("token"):
            fail(429)
        fail(404, "err_404", "invitation_unknown")
    if _rate_limited("token", count=False):
        fail(429)
    if state.status == "used":
        fail(410, "err_410", "invitation_used")
    if state.status == "expired":
        fail(410, "err_410", "invitation_expired")
    return state


# -- navigation ------------------------------------------------------------------------------------

def _page_url(survey_id: str, q: Questionnaire, index: int) -> str:
    return url_for("survey.page", survey_id=survey_id, screen_id=q.screens()[index].id)


def _resume_index(q: Questionnaire, draft: storage.Draft) -> int:
    """The screen to come back to: the one reached, or the next that applies, or the last that applies."""
    visible = visible_screens(q, _known(q, draft.answers), draft.fields)
    if not visible:
        return 0
    for index in visible:
        if index >= draft.page:
            return index
    return visible[-1]


def _neighbour(q: Questionnaire, index: int, answers: dict[str, Any], fields: dict[str, Any], step: int) -> int | None:
    visible = visible_screens(q, answers, fields)
    if step > 0:
        return next((i for i in visible if i > index), None)
    return next((i for i in reversed(visible) if i < index), None)


# -- rendering ---------------------------------------------------------------------------------------

def _values_from_answers(q: Questionnaire, index: int, answers: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for question in q.screens()[index].questions:
        qid = question.id
        if question.type == "multi":
            values[qid] = [o.code for o in question.options if answers.get(f"{qid}_{o.code}") == 1]
        elif question.type == "constant_sum":
            total = 0.0
            for o in question.options:
                value = answers.get(f"{qid}_{o.code}")
                if value is not None:
                    values[f"{qid}_{o.code}"] = _num(value)
                    total += value
            if any(f"{qid}_{o.code}" in values for o in question.options):
                values[f"{qid}__total"] = _num(total)
        elif question.type == "matrix":
            for row in question.rows:
                if row.id in answers:
                    values[row.id] = str(answers[row.id])
        elif qid in answers:
            value = answers[qid]
            values[qid] = _num(value) if isinstance(value, (int, float)) else value
    return values


def _values_from_form(form: ScreenForm) -> tuple[dict[str, Any], set[str]]:
    values: dict[str, Any] = {}
    bad: set[str] = set()
    for fld in form:
        if not isinstance(fld, AnswerField):
            continue
        var = fld.short_name[2:]
        if fld.errors:
            bad.add(var)
        if isinstance(fld, MultiAnswer):
            values[var] = list(fld.raw_data or ())
        elif isinstance(fld, ConstantSumAnswer):
            total, any_number = 0.0, False
            for code in fld.codes:
                raw = fld.raw_value(code)
                values[f"{var}_{code}"] = raw
                if fld.data is not None:
                    total += fld.data.get(code, 0)
                    any_number = True
            if any_number:
                values[f"{var}__total"] = _num(total)
        else:
            values[var] = fld.raw_data[0] if fld.raw_data else ""
    return values, bad


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _summary(form: ScreenForm, q: Questionnaire, index: int, lang: str, view: Any) -> list[tuple[str, str]]:
    items = []
    views = {qv.id: qv for qv in view.questions}
    for question in q.screens()[index].questions:
        messages = []
        href = None
        for fld in form.answer_fields(question.id):
            if fld.errors:
                if href is None:
                    qv = views[question.id]
                    if question.type == "matrix":
                        row = next(r for r in qv.rows if r.var == fld.short_name[2:])
                        href = row.options[0].id
                    else:
                        href = qv.first_input
                for message in fld.errors:
                    if message not in messages:
                        messages.append(message)
        if messages and href:
            label = (question.label or question.text).best(lang)
            if len(label) > 80:
                label = label[:78] + "…"
            items.append((href, f"{label} – {' '.join(messages)}"))
    return items


def _switch_links(q: Questionnaire, lang: str) -> list[tuple[str, str, str]]:
    links = []
    args: dict[str, Any] = {**(request.view_args or {}), **{k: v for k, v in request.args.items() if k != "lang"}}
    endpoint = request.endpoint or "survey.start"
    for code in q.languages:
        if code != lang:
            links.append((BCP47.get(code, code), LANGUAGE_NAMES.get(code, code), url_for(endpoint, **args, lang=code)))
    return links


def _render(q: Questionnaire, index: int, *, draft: storage.Draft | None, answers: dict[str, Any],
            fields: dict[str, Any], form: ScreenForm | None = None, status: int = 200, notice: str | None = None,
            token: str | None = None, key: str | None = None) -> BaseResponse:
    lang = g.lang
    survey_id = q.survey
    screen = q.screens()[index]
    view = screen_view(q, screen, lang)
    dynamic = plan(q).dynamic
    context = {**fields, **answers}
    shown: set[str] = set()
    conds: dict[str, str] = {}
    for question in screen.questions:
        if question.id in dynamic and question.visible_if is not None:
            shown.add(question.id)
            conds[question.id] = condition_json(question.visible_if, context)
        elif applies(question.visible_if, context):
            shown.add(question.id)
    ready: dict[str, Any] = {}
    if form is not None:
        values, bad = _values_from_form(form)
        errors = form.errors_by_question()
        summary = _summary(form, q, index, lang, view)
    else:
        values, bad, errors, summary = _values_from_answers(q, index, answers), set(), {}, []
        # questions without errors come ready-made from the view, rendered once by the same macros
        for qv, question in zip(view.questions, screen.questions):
            if qv.id in shown:
                answered = any(v in answers for v in question_variables(question))
                html = view.ready(qv, answered, values.get(qv.id))
                if html is not None:
                    ready[qv.id] = html
    visible = visible_screens(q, answers, fields)
    position = visible.index(index) + 1 if index in visible else 1
    is_last = _neighbour(q, index, answers, fields, +1) is None
    ui = _ui(lang)
    resume_url = None
    if draft is not None:
        entry = _session_entry(survey_id)
        if entry is not None:
            resume_url = request.host_url.rstrip("/") + entry[1]
    if draft is None:
        # keep the key the form carried (a retry of the same submission), if it is genuine
        key = _valid_key(key) or _serializer().dumps(storage.new_submission_key())
    title = view.title or q.title.best(lang)
    body = render_template(
        "survey/page.html", lang=lang, lang_tag=BCP47.get(lang, lang), ui=ui, view=view, shown=shown, conds=conds,
        values=values, errors=errors, bad=bad, summary=summary, notice=notice, ready=ready,
        survey_title=q.title.best(lang), page_title=title,
        description=q.description.best(lang) if (q.description and position == 1) else "",
        progress=translate("progress", lang, n=position, m=max(len(visible), position)),
        action=url_for("survey.page", survey_id=survey_id, screen_id=screen.id),
        csrf=generate_csrf(), k=key if draft is None else None, t=token if draft is None else None,
        next_label=ui["submit"] if is_last else ui["next"], back=bool(visible) and index > visible[0],
        resume_url=resume_url, switch=_switch_links(q, lang), switch_label=ui["lang_switch"],
    )
    return Response(body, status=status, mimetype="text/html")


def _first_index(q: Questionnaire, fields: dict[str, Any]) -> int:
    visible = visible_screens(q, {}, fields)
    if not visible:
        fail(410)
    return visible[0]


# -- views -------------------------------------------------------------------------------------------

@bp.get("/<survey_id>")
def start(survey_id: str) -> BaseResponse:
    q = g.q
    token = request.args.get("t")
    if token is not None:
        state = _invitation(q, token)
        draft = storage.load_draft(_engine(), invitation_id=state.id)
        if draft is not None and draft.response_id is None and draft.survey == survey_id:
            _remember(survey_id, draft.id, url_for("survey.start", survey_id=survey_id, t=token))
            q = _questionnaire(draft)
            return redirect(_page_url(survey_id, q, _resume_index(q, draft)), 303)
        # this invitation's respondent starts afresh, whoever used this browser before
        _forget(survey_id)
        done = dict(session.get("done", {}))
        if done.pop(survey_id, None) is not None:
            session["done"] = done
        return _render(q, _first_index(q, state.fields), draft=None, answers={}, fields=state.fields, token=token)
    if _done(survey_id):
        return redirect(url_for("survey.thanks", survey_id=survey_id), 303)
    draft = _session_draft(survey_id)
    if draft is not None:
        if draft.response_id is not None:
            return _finish(survey_id, draft.response_id)
        q = _questionnaire(draft)
        return redirect(_page_url(survey_id, q, _resume_index(q, draft)), 303)
    return _render(q, _first_index(q, {}), draft=None, answers={}, fields={})


@bp.get("/<survey_id>/p/<screen_id>")
def page(survey_id: str, screen_id: str) -> BaseResponse:
    draft = _session_draft(survey_id)
    q = _questionnaire(draft)
    index = plan(q).index.get(screen_id)
    if index is None:
        fail(404)
    if draft is None:
        if _done(survey_id):
            return redirect(url_for("survey.thanks", survey_id=survey_id), 303)
        if index != _first_index(q, {}):
            return redirect(url_for("survey.start", survey_id=survey_id), 303)
        return _render(q, index, draft=None, answers={}, fields={})
    if draft.response_id is not None:
        return _finish(survey_id, draft.response_id)
    answers = _known(q, draft.answers)
    if index not in visible_screens(q, answers, draft.fields) or index > draft.page:
        return redirect(_page_url(survey_id, q, _resume_index(q, draft)), 303)
    return _render(q, index, draft=draft, answers=answers, fields=draft.fields)


@bp.post("/<survey_id>/p/<screen_id>")
def page_post(survey_id: str, screen_id: str) -> BaseResponse:
    draft = _session_draft(survey_id)
    if draft is not None and draft.response_id is not None:
        return _finish(survey_id, draft.response_id)           # a replayed final submit
    if draft is None and _done(survey_id):
        return redirect(url_for("survey.thanks", survey_id=survey_id), 303)
    q = _questionnaire(draft)
    p = plan(q)
    index = p.index.get(screen_id)
    if index is None:
        fail(404)
    token = None
    invitation_id = None
    if draft is None:
        token = request.form.get("t")
        fields: dict[str, Any] = {}
        if token is not None:
            state = _invitation(q, token)
            fields, invitation_id = state.fields, state.id
        answers: dict[str, Any] = {}
        if index != _first_index(q, fields):
            return redirect(url_for("survey.start", survey_id=survey_id), 303)
    else:
        fields, invitation_id = draft.fields, draft.invitation_id
        answers = _known(q, draft.answers)
        if index not in visible_screens(q, answers, fields) or index > draft.page:
            return redirect(_page_url(survey_id, q, _resume_index(q, draft)), 303)

    screen = q.screens()[index]
    form = build_form(q, screen, g.lang)()
    action = request.form.get("action", "next")
    posted_key = request.form.get("k") if draft is None else None
    render: dict[str, Any] = dict(draft=draft, answers=answers, fields=fields, token=token, key=posted_key)
    posted = set(request.form.keys()) | set(request.files.keys())
    repeated = any(len(request.form.getlist(name)) > 1 for name in _FORM_META)   # parameter pollution
    if posted - _FORM_META - form.input_names() or request.files or action not in ("next", "back") or repeated:
        return _render(q, index, form=form, status=400, notice=translate("unexpected", g.lang), **render)

    # which questions of this screen apply, given earlier answers and the answers on this screen
    before = {k: v for k, v in answers.items() if k not in p.screen_variables[index]}
    context = {**fields, **before}
    applying: set[str] = set()
    for question in screen.questions:
        if applies(question.visible_if, context):
            applying.add(question.id)
            context.update(form.question_answers(question.id))
    valid = form.validate_visible(applying)
    page_answers: dict[str, Any] = {}
    for qid in applying:
        for fld in form.answer_fields(qid):
            if not fld.errors:
                page_answers.update(fld.answers())
    merged = clean_answers(q, {**before, **page_answers}, fields)

    if action == "back":
        if draft is not None:
            stopped = _save_draft(draft, merged, draft.page)
            if stopped is not None:
                return stopped
        previous = _neighbour(q, index, merged, fields, -1)
        if previous is None:
            return redirect(url_for("survey.start", survey_id=survey_id), 303)
        return redirect(_page_url(survey_id, q, previous), 303)
    if not valid:
        return _render(q, index, form=form, status=422, **render)

    following = _neighbour(q, index, merged, fields, +1)
    if following is not None:
        if draft is None:
            draft = _start_draft(q, fields, invitation_id, token)
        stopped = _save_draft(draft, merged, max(draft.page, following))
        return stopped or redirect(_page_url(survey_id, q, following), 303)

    incomplete = missing_required(q, merged, fields)
    if incomplete is not None and incomplete != index:
        # an earlier screen lacks a required answer (a crafted request): send the respondent there
        if draft is not None:
            stopped = _save_draft(draft, merged, draft.page)
            if stopped is not None:
                return stopped
        return redirect(_page_url(survey_id, q, incomplete), 303)
    if draft is not None:
        key, started = draft.key, draft.started_at
    else:
        signed = _valid_key(posted_key, with_time=True)
        if signed is None:
            return _render(q, index, form=form, status=400, notice=translate("expired_form", g.lang),
                           **{**render, "key": None})
        key, started = signed
    try:
        result = storage.save_response(
            _engine(), q, merged, key=key, language=g.lang,
            fields=_segment(q, draft.fields) if draft is not None else None,
            wave=current_app.config.get("WAVE"), started_at=started, invitation_id=invitation_id)
    except storage.DuplicateSubmission:
        # the same submission key with other answers (a tampered or replayed form): refused, nothing stored
        fail(422)
    except storage.InvitationUnavailable:
        fail(410, "err_410", "invitation_used")
    except ValueError:
        # validation above makes every answer canonical; this is a bug, reported without a traceback page
        current_app.logger.exception("a validated submission was refused by the store")
        fail(422)
    return _finish(survey_id, result.response_id)


def _valid_key(signed: str | None, with_time: bool = False) -> Any:
    """The submission key of a signed ``k`` field (and when the form was rendered), or None."""
    if not signed or len(signed) > 200:
        return None
    try:
        key, stamp = _serializer().loads(signed, max_age=KEY_MAX_AGE_S, return_timestamp=True)
    except BadData:
        return None
    if not isinstance(key, str):
        return None
    if with_time:
        return key, stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return signed


def _start_draft(q: Questionnaire, fields: dict[str, Any], invitation_id: int | None, token: str | None) -> storage.Draft:
    engine = _engine()
    if invitation_id is not None:
        existing = storage.load_draft(engine, invitation_id=invitation_id)
        if existing is not None and existing.response_id is None and existing.survey == q.survey:
            _remember(q.survey, existing.id, url_for("survey.start", survey_id=q.survey, t=token))
            return existing
    # with an invitation the store takes its fields itself
    draft = storage.start_draft(engine, q, language=g.lang, fields=None if invitation_id is not None else fields or None,
                                invitation_id=invitation_id)
    if token is not None:
        link = url_for("survey.start", survey_id=q.survey, t=token)
    else:
        link = url_for("survey.resume", survey_id=q.survey, token=draft.resume_token)
    _remember(q.survey, draft.id, link)
    return draft


def _delta(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What :func:`storage.save_draft` must merge to turn ``old`` into ``new`` (None removes)."""
    delta: dict[str, Any] = {k: v for k, v in new.items() if old.get(k) != v or type(old.get(k)) is not type(v)}
    delta.update({k: None for k in old if k not in new})
    return delta


@bp.get("/<survey_id>/r/<token>")
def resume(survey_id: str, token: str) -> BaseResponse:
    draft = storage.load_draft(_engine(), resume_token=token) if len(token) <= 100 else None
    if draft is None or draft.survey != survey_id:
        if _rate_limited("resume"):
            fail(429)
        fail(404, "err_404", "resume_unknown")
    if _rate_limited("resume", count=False):
        fail(429)
    if draft.response_id is not None:
        return _finish(survey_id, draft.response_id)
    _remember(survey_id, draft.id, url_for("survey.resume", survey_id=survey_id, token=token))
    q = _questionnaire(draft)
    return redirect(_page_url(survey_id, q, _resume_index(q, draft)), 303)


@bp.get("/<survey_id>/thanks")
def thanks(survey_id: str) -> BaseResponse:
    if not _done(survey_id):
        return redirect(url_for("survey.start", survey_id=survey_id), 303)
    q = g.q
    lang = g.lang
    text = q.thanks.best(lang) if q.thanks else translate("thanks_default", lang)
    body = render_template("survey/thanks.html", lang=lang, lang_tag=BCP47.get(lang, lang),
                           title=translate("thanks_title", lang), text=text, survey_title=q.title.best(lang),
                           switch=_switch_links(q, lang), switch_label=translate("lang_switch", lang))
    return Response(body, mimetype="text/html")


@bp.errorhandler(CSRFError)
def csrf_failed(exc: CSRFError) -> BaseResponse:
    """A missing, wrong or expired CSRF token: 400, nothing stored, the page again with a fresh token."""
    if request.method != "POST" or request.endpoint != "survey.page_post":
        return error_response(400)
    _resolve_survey()
    survey_id = (request.view_args or {}).get("survey_id", "")
    draft = _session_draft(survey_id)
    q = _questionnaire(draft)
    index = plan(q).index.get((request.view_args or {}).get("screen_id", ""))
    fields = draft.fields if draft is not None else {}
    if index is None or (draft is None and index != _first_index(q, fields)) or \
            (draft is not None and draft.response_id is not None):
        return error_response(400, "err_400", "expired_form")
    form = build_form(q, q.screens()[index], g.lang)()
    token = request.form.get("t") if draft is None else None
    answers = _known(q, draft.answers) if draft is not None else {}
    return _render(q, index, draft=draft, answers=answers, fields=fields, form=form, status=400,
                   notice=translate("expired_form", g.lang), token=token,
                   key=request.form.get("k") if draft is None else None)
