"""The admin pages: login, surveys and versions, response counts, completion, CSV download.

Every page needs a login; every state change (login, logout) is a POST with a
CSRF token (CSRFProtect).  Logins are rate-limited per client address and per
user name in the database (shared by all workers).  The session is cleared on
login (a new cookie) and records the user's session generation; logout bumps
that generation (:func:`surveykit.storage.end_sessions`), so a copied cookie
stops working too.  Sessions also end after an idle time and a maximum age.
"""
from __future__ import annotations

import io
import math
import time
import warnings
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse
from flask_wtf.csrf import CSRFError, generate_csrf

from surveykit import export, storage
from surveykit.model import Questionnaire
from webform import db
from webform.errors import error_response, fail
from webform.i18n import BCP47, LANGUAGE_NAMES, UI_LANGUAGES, choose_language, translate

bp = Blueprint("admin", __name__, url_prefix="/admin")

_PUBLIC = {"admin.login", "admin.login_post"}
_MAX_FIELD = 1024


@bp.before_request
def _admin_context() -> BaseResponse | None:
    g.lang = choose_language(UI_LANGUAGES, "en")
    wanted = request.args.get("lang")
    if request.method == "GET" and wanted is not None:
        if wanted in UI_LANGUAGES:
            session["lang"] = wanted
        return redirect(url_for(request.endpoint or "admin.index", **(request.view_args or {})), 303)
    if request.endpoint in _PUBLIC:
        return None
    user = _current_user()
    if user is None:
        return redirect(url_for("admin.login"), 303)
    g.admin = user
    return None


def _current_user() -> dict[str, Any] | None:
    info = session.get("admin")
    if not isinstance(info, dict):
        return None
    try:
        uid, generation, login_at, seen_at = int(info["uid"]), int(info["gen"]), float(info["at"]), float(info["seen"])
    except (KeyError, TypeError, ValueError):
        session.pop("admin", None)
        return None
    now = time.time()
    config = current_app.config
    if now - seen_at > 60 * float(config["ADMIN_IDLE_MINUTES"]) or now - login_at > 3600 * float(config["ADMIN_MAX_HOURS"]):
        session.pop("admin", None)
        return None
    if db.session_generation(uid) != generation:
        session.pop("admin", None)
        return None
    if now - seen_at > 60:
        session["admin"] = {**info, "seen": now}
    return {"uid": uid, "name": info.get("name", ""), "role": info.get("role")}


def _page(template: str, status: int = 200, **context: Any) -> BaseResponse:
    lang = g.lang
    switch = [(BCP47[c], LANGUAGE_NAMES[c], url_for(request.endpoint or "admin.index", **(request.view_args or {}), lang=c))
              for c in UI_LANGUAGES if c != lang] if request.method == "GET" else []
    body = render_template(template, lang=lang, lang_tag=BCP47.get(lang, lang), ui=_ui(lang), csrf=generate_csrf(),
                           user=g.get("admin"), switch=switch, switch_label=translate("lang_switch", lang), **context)
    return Response(body, status=status, mimetype="text/html")


def _ui(lang: str) -> Any:
    class _Catalogue(dict):   # type: ignore[type-arg]
        def __missing__(self, key: str) -> str:
            return translate(key, lang)
    return _Catalogue()


# -- login / logout ------------------------------------------------------------------------------------

@bp.get("/login")
def login() -> BaseResponse:
    if _current_user() is not None:
        return redirect(url_for("admin.index"), 303)
    return _page("admin/login.html")


@bp.post("/login")
def login_post() -> BaseResponse:
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    if len(username) > _MAX_FIELD or len(password) > _MAX_FIELD:
        return _page("admin/login.html", status=422, error=translate("bad_login", g.lang), username="")
    limit, window = current_app.config["LOGIN_RATE_LIMIT"]
    engine = db.engine()
    ip = request.remote_addr or "unknown"
    over_ip = storage.hit_rate_limit(engine, f"login:ip:{ip}", limit=int(limit), window_s=int(window))
    over_user = storage.hit_rate_limit(engine, f"login:user:{username.casefold()}", limit=int(limit), window_s=int(window))
    if over_ip or over_user:
        current_app.logger.warning("admin login rate-limited")
        fail(429)
    user = storage.verify_login(engine, username, password) if username and password else None
    if user is None:
        current_app.logger.info("admin login failed")
        return _page("admin/login.html", status=422, error=translate("bad_login", g.lang), username=username)
    current_app.logger.info("admin login succeeded: user id %s", user.id)
    lang = session.get("lang")
    session.clear()                     # a fresh session (and CSRF secret) after login
    if lang in UI_LANGUAGES:
        session["lang"] = lang
    now = time.time()
    session["admin"] = {"uid": user.id, "gen": user.session_generation, "name": user.username, "role": user.role,
                        "at": now, "seen": now}
    return redirect(url_for("admin.index"), 303)


@bp.post("/logout")
def logout() -> BaseResponse:
    name = db.username_of(g.admin["uid"])
    if name is not None:
        storage.end_sessions(db.engine(), name)
    lang = session.get("lang")
    session.clear()
    if lang in UI_LANGUAGES:
        session["lang"] = lang
    return redirect(url_for("admin.login"), 303)


@bp.errorhandler(CSRFError)
def csrf_failed(exc: CSRFError) -> BaseResponse:
    g.lang = choose_language(UI_LANGUAGES, "en")
    if request.endpoint == "admin.login_post":
        return _page("admin/login.html", status=400, error=translate("expired_form", g.lang), username="")
    return error_response(400)


# -- pages ---------------------------------------------------------------------------------------------------

def _survey(survey_id: str) -> Questionnaire:
    """The survey whose responses a page shows: admins only (a department user sees its cases, not answers)."""
    if g.admin.get("role") != "admin":
        fail(403)
    entry = db.registry().survey(survey_id)
    if entry is None:
        fail(404)
    return entry[0]


@bp.get("/")
def index() -> BaseResponse:
    lang = g.lang
    surveys = []
    for survey_id, (q, _version_id) in sorted(db.registry().current.items()):
        started, submitted = db.draft_counts(survey_id)
        total = sum(v["responses"] for v in db.versions(survey_id))
        surveys.append({"id": survey_id, "title": q.title.best(lang), "version": q.version, "responses": total,
                        "started": started})
    return _page("admin/index.html", surveys=surveys)


def _duration(seconds: float | None, lang: str) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return translate("none", lang)
    if seconds >= 90:
        return translate("minutes", lang, m=f"{seconds / 60:.1f}")
    return translate("seconds", lang, s=f"{seconds:.0f}")


def survey_stats(q: Questionnaire, lang: str) -> dict[str, Any]:
    """Counts for the survey page: responses, by segment field, completion rate, median duration."""
    df = storage.responses_frame(db.engine(), q)
    started, submitted = db.draft_counts(q.survey)
    segments = []
    for f in q.fields:
        labels = {code: text.best(lang) for code, text in f.values}
        rows = []
        for value, count in (df[f.id].value_counts(dropna=False).items() if len(df) else ()):
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            shown = translate("missing", lang) if missing else labels.get(value, str(value))
            rows.append((shown, int(count)))
        segments.append({"label": f.label.best(lang), "rows": rows})
    median = float(df["duration_s"].median()) if len(df) and df["duration_s"].notna().any() else None
    return {
        "responses": len(df), "started": started, "submitted_drafts": submitted,
        "completion": f"{100 * submitted / started:.0f} %" if started else translate("none", lang),
        "median": _duration(median, lang), "segments": segments,
    }


@bp.get("/s/<survey_id>")
def survey(survey_id: str) -> BaseResponse:
    q = _survey(survey_id)
    lang = g.lang
    return _page("admin/survey.html", q=q, title=q.title.best(lang), versions=db.versions(survey_id),
                 stats=survey_stats(q, lang), report_url=url_for("admin.report", survey_id=survey_id),
                 respondent_url=url_for("survey.start", survey_id=survey_id, _external=True), formats=_FORMATS)


_FORMATS = {"csv": "text/csv; charset=utf-8",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "sav": "application/x-spss-sav", "dta": "application/x-stata-dta",
            "parquet": "application/vnd.apache.parquet"}
# The report's own CSP: its charts are data: images and its style is inline; nothing else loads.
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def _content_language(q: Questionnaire) -> str | None:
    """The admin's interface language when the survey has it, else the survey's own first language."""
    return g.lang if g.lang in q.languages else None


@bp.get("/s/<survey_id>/responses.<fmt>")
def responses_file(survey_id: str, fmt: str) -> BaseResponse:
    """The responses in any export format, labelled in the admin's language (see surveykit.export)."""
    if fmt not in _FORMATS:
        fail(404)
    q = _survey(survey_id)
    df = storage.responses_frame(db.engine(), q)
    buffer = io.BytesIO()
    with warnings.catch_warnings():          # returned as a list as well: logged, never fatal here
        warnings.simplefilter("ignore")
        notes = export.export(df, q, buffer, format=fmt, lang=_content_language(q))
    for note in notes:
        current_app.logger.info("%s export of %s: %s", fmt, survey_id, note)
    headers = {"Content-Disposition": f'attachment; filename="{survey_id}-responses.{fmt}"'}
    return Response(buffer.getvalue(), headers=headers, content_type=_FORMATS[fmt])


@bp.get("/s/<survey_id>/report")
def report(survey_id: str) -> BaseResponse:
    """The management report of the stored responses, in the admin's language (analysis.report)."""
    from analysis.report import TooFewResponses, report_from_store

    q = _survey(survey_id)
    try:
        html = report_from_store(db.engine(), q, lang=_content_language(q)).html
    except TooFewResponses:
        return _page("admin/survey.html", status=409, q=q, title=q.title.best(g.lang), versions=db.versions(survey_id),
                     stats=survey_stats(q, g.lang), report_url=None, error=translate("report_needs_data", g.lang),
                     respondent_url=url_for("survey.start", survey_id=survey_id, _external=True), formats=_FORMATS)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response
