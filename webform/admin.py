"""The admin pages: login, surveys and versions, response counts, completion, CSV download.

Every page but the login needs a login; which roles may open which page, and the units a
manager sees on it, are decided in one place, :mod:`webform.scope` (the survey pages: admins,
analysts and managers, each page narrowed to the manager's units).  Every state change (login,
logout) is a POST with a CSRF token (CSRFProtect).  Unit codes are shown as names
(:mod:`webform.names`).
"""

from __future__ import annotations

import io
import json
import math
import warnings
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as BaseResponse

from surveykit import aggregates_org, anonymity, contact_export, export, org, rates, storage
from surveykit.model import Questionnaire
from surveykit.org import with_unit_names
from webform import auth, db, scope
from webform.admin_pages import language_context
from webform.admin_pages import render_page as _page
from webform.auth import login_required
from webform.errors import error_response, fail
from webform.i18n import UI_LANGUAGES, choose_language, translate
from webform.names import field_label, tree

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_app_request(scope.enforce)  # the app's one access check, for every route (webform.scope)
bp.before_request(language_context)

_MAX_FIELD = 1024
MIN_RESPONSES = 3  # analysis.report.MIN_RESPONSES, without importing the analysis for a page


# -- login / logout ------------------------------------------------------------------------------------


@bp.get("/login")
def login() -> BaseResponse:
    if auth.current_user() is not None:
        return redirect(url_for("admin.index"), 303)
    return _page("admin/login.html")


@bp.post("/login")
def login_post() -> BaseResponse:
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    if len(username) > _MAX_FIELD or len(password) > _MAX_FIELD:
        return _page("admin/login.html", status=422, error=translate("bad_login", g.lang), username="")
    if auth.login_rate_limited(username):
        current_app.logger.warning("admin login rate-limited")
        fail(429)
    user = storage.verify_login(db.engine(), username, password) if username and password else None
    if user is None:
        current_app.logger.info("admin login failed")
        return _page("admin/login.html", status=422, error=translate("bad_login", g.lang), username=username)
    current_app.logger.info("admin login succeeded: user id %s", user.id)
    auth.log_in(user)
    return redirect(url_for("admin.index"), 303)


@bp.post("/logout")
@login_required
def logout() -> BaseResponse:
    auth.log_out(g.admin)
    return redirect(url_for("admin.login"), 303)


@bp.errorhandler(CSRFError)
def csrf_failed(exc: CSRFError) -> BaseResponse:
    g.lang = choose_language(UI_LANGUAGES, "en")
    if request.endpoint == "admin.login_post":
        return _page("admin/login.html", status=400, error=translate("expired_form", g.lang), username="")
    return error_response(400)


# -- pages ---------------------------------------------------------------------------------------------------


def _survey(survey_id: str) -> Questionnaire:
    """The survey whose responses a page shows; its views are for admins (a department user sees cases, not answers)."""
    entry = db.registry().survey(survey_id)
    if entry is None:
        fail(404)
    return entry[0]


@bp.get("/")
@login_required
def index() -> BaseResponse:
    lang = g.lang
    surveys = []
    for survey_id, (q, _version_id) in sorted(db.registry().current.items()):
        started, _submitted = scope.draft_counts(survey_id) or db.draft_counts(survey_id)
        scoped = scope.response_counts(survey_id)
        total = sum(scoped.values()) if scoped is not None else sum(v["responses"] for v in db.versions(survey_id))
        surveys.append(
            {"id": survey_id, "title": q.title.best(lang), "version": q.version, "responses": total, "started": started}
        )
    return _page("admin/index.html", surveys=surveys)


def _duration(seconds: float | None, lang: str) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return translate("none", lang)
    if seconds >= 90:
        return translate("minutes", lang, m=f"{seconds / 60:.1f}")
    return translate("seconds", lang, s=f"{seconds:.0f}")


def survey_stats(q: Questionnaire, lang: str) -> dict[str, Any]:
    """Counts for the survey page (in the user's scope): responses, by segment field, completion rate, median duration.

    For an anonymous survey a value's count below its minimum n, and the counts complementary
    suppression adds (:func:`surveykit.anonymity.hidden_cells`), read "withheld".
    """
    df = scope.filter_frame(storage.responses_frame(db.engine(), q))
    started, submitted = scope.draft_counts(q.survey) or db.draft_counts(q.survey)
    limit = _anonymous_min_n(q)
    segments = []
    for f in q.fields:
        rows: list[tuple[str, int | str]] = []
        counts = {k: int(v) for k, v in df[f.id].value_counts(dropna=False).items()} if len(df) else {}
        hidden = anonymity.hidden_cells(counts, limit) if limit else set()
        for value, count in counts.items():
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            shown = translate("missing", lang) if missing else field_label(f.id, str(value), lang, [q])
            rows.append((shown, translate("dash_withheld", lang) if value in hidden else int(count)))
        segments.append({"label": f.label.best(lang), "rows": rows})
    median = float(df["duration_s"].median()) if len(df) and df["duration_s"].notna().any() else None
    return {
        "responses": len(df),
        "started": started,
        "submitted_drafts": submitted,
        "completion": f"{100 * submitted / started:.0f} %" if started else translate("none", lang),
        "median": _duration(median, lang),
        "segments": segments,
    }


def _anonymous_min_n(q: Questionnaire) -> int | None:
    """An anonymous survey's minimum n, never below the dashboard's (None for a survey that is not anonymous)."""
    return anonymity.min_n(q, int(current_app.config.get("DASHBOARD_MIN_N", 1))) if q.anonymous else None


def _unknown_units(q: Questionnaire) -> list[tuple[str, str, int]]:
    """(field label, code, responses) of the dealer/branch codes the organisation does not know, for an
    unscoped user once an organisation is imported (a manager's responses are all of known units)."""
    if scope.units() is not None or not len(tree()):
        return []
    labels = {f.id: f.label.best(g.lang) for f in q.fields}
    found = org.unknown_codes(db.engine(), q.survey, tree())
    return [(labels.get(f, f), code, n) for f, codes in found.items() for code, n in sorted(codes.items())]


def _versions(survey_id: str) -> list[dict[str, Any]]:
    """The survey's versions, with the responses in the user's scope for a manager."""
    found = db.versions(survey_id)
    scoped = scope.response_counts(survey_id)
    if scoped is not None:
        found = [{**v, "responses": scoped.get(v["id"], 0)} for v in found]
    return found


@bp.get("/s/<survey_id>")
@login_required
def survey(survey_id: str) -> BaseResponse:
    q = _survey(survey_id)
    lang = g.lang
    return _page(
        "admin/survey.html",
        q=q,
        title=q.title.best(lang),
        versions=_versions(survey_id),
        unknown_units=_unknown_units(q),
        stats=survey_stats(q, lang),
        rates=_rates(q),
        report_url=url_for("admin.report", survey_id=survey_id),
        respondent_url=url_for("survey.start", survey_id=survey_id, _external=True),
        formats=_FORMATS,
    )


def _rates(q: Questionnaire) -> list[dict[str, Any]] | None:
    """The invitation funnel and AAPOR rates, overall and per dealer (surveykit.rates); None without invitations.

    Left out for a manager: the rates count invitations of every unit.
    """
    if scope.units() is not None:
        return None
    by = [name for name in ("dealer",) if name in {f.id for f in q.fields}]
    rows = rates.rates(db.engine(), q, by=by)
    return rates.response_rates(rows) if rows[0].funnel["invited"] else None


_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "parquet": "application/vnd.apache.parquet",
}
# The report's own CSP: its charts are data: images and its style is inline; nothing else loads.
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def _content_language(q: Questionnaire) -> str | None:
    """The admin's interface language when the survey has it, else the survey's own first language."""
    return g.lang if g.lang in q.languages else None


@bp.get("/s/<survey_id>/responses.<fmt>")
@login_required
def responses_file(survey_id: str, fmt: str) -> BaseResponse:
    """The responses in any export format, labelled in the admin's language (see surveykit.export); the
    dealers and branches carry their names from the organisation as value labels.

    An anonymous survey's rows are exported with the unit fields of every unit below its minimum n
    left blank, complementary suppression included, and times cut to the day
    (:func:`surveykit.anonymity.mask_units`): HR keeps its respondent-level data for its own
    tables, and no row points at a group too small to hide in.
    """
    if fmt not in _FORMATS:
        fail(404)
    q = _survey(survey_id)
    df = scope.filter_frame(storage.responses_frame(db.engine(), q))
    limit = _anonymous_min_n(q)
    if limit is not None:
        df = anonymity.mask_units(q, df, limit)
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # returned as a list as well: logged, never fatal here
        warnings.simplefilter("ignore")
        notes = export.export(df, with_unit_names(q, tree()), buffer, format=fmt, lang=_content_language(q))
    for note in notes:
        current_app.logger.info("%s export of %s: %s", fmt, survey_id, note)
    headers = {"Content-Disposition": f'attachment; filename="{survey_id}-responses.{fmt}"'}
    return Response(buffer.getvalue(), headers=headers, content_type=_FORMATS[fmt])


@bp.post("/s/<survey_id>/responses-with-contacts")
@login_required
def responses_with_contacts(survey_id: str) -> BaseResponse:
    """The responses with each respondent's contact data: admins only (webform.scope), asked for by an
    explicit checkbox in a CSRF-protected form, and recorded in the audit log with the admin's user id
    before the file is sent (surveykit.contact_export).  The plain downloads never hold contact data."""
    fmt = request.form.get("format", "")
    if fmt not in _FORMATS or request.form.get("include_contacts") != "1":
        fail(400)
    q = _survey(survey_id)
    if q.anonymous is not None:  # no contacts by design; its units leave only through the masked download
        fail(404)
    engine = db.engine()
    df = contact_export.add_contacts(
        engine,
        storage.responses_frame(engine, q),
        q.survey,
        actor=f"user:{g.admin.id}",
        via="admin",
        fmt=fmt,
        destination=f"download to {request.remote_addr or 'unknown'}",
        extra={"username": g.admin.name},
    )
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the contact columns have no labels: a note, logged below
        warnings.simplefilter("ignore")
        notes = export.export(df, with_unit_names(q, tree()), buffer, format=fmt, lang=_content_language(q))
    for note in notes:
        current_app.logger.info("%s export with contacts of %s: %s", fmt, survey_id, note)
    headers = {
        "Content-Disposition": f'attachment; filename="{survey_id}-responses-contacts.{fmt}"',
        "Cache-Control": "no-store",
    }
    return Response(buffer.getvalue(), headers=headers, content_type=_FORMATS[fmt])


@bp.get("/s/<survey_id>/report")
@login_required
def report(survey_id: str) -> BaseResponse:
    """The management report of the stored responses, in the admin's language (analysis.report), units by name;
    a manager's holds their units' responses and cases only, and says so in its footer.

    Made in the background (:mod:`webform.dashboard.jobs`), never in the request: the click starts
    it, waits ``REPORT_WAIT_S`` seconds at most (default 2: a small survey's report opens at once)
    and otherwise answers with its progress page, which refreshes itself until the report is served.
    Cached by survey, version, data, organisation, language and the user's units: the same click
    again serves the made report.
    """
    from webform.dashboard import jobs

    q = _survey(survey_id)
    engine, units, lang = db.engine(), scope.units(), _content_language(q)
    source = "database"
    if units is not None:
        given = org.user_unit_ids(engine, g.admin.id)
        source = "database, units " + ", ".join(f"{tree().name(u, g.lang)} ({u})" for u in given)
    named = with_unit_names(q, tree())
    with engine.connect() as conn:
        org_version = aggregates_org.org_version(conn)
    data = jobs.data_fingerprint(engine, q.survey)  # "<responses>:<latest submit>"
    key = jobs.job_key(
        "report",
        q.survey,
        q.sha256,
        data,
        org_version,
        lang or "",
        "all" if units is None else json.dumps(sorted(units)),
        source,
    )

    def compute() -> bytes:
        from analysis.report import TooFewResponses, report_from_store

        try:  # a manager's units may hold too few
            return report_from_store(engine, named, lang=lang, units=units, source=source).html.encode("utf-8")
        except TooFewResponses:
            return b""  # kept as the answer for this data: too few responses

    if int(data.split(":", 1)[0]) < MIN_RESPONSES:  # too few in the whole survey: said at once
        html: bytes | None = b""
    else:
        job = jobs.start(key, compute)
        job = jobs.wait(key, float(current_app.config.get("REPORT_WAIT_S", 2.0))) or job
        html = jobs.read_result(key) if job.status == "done" else None
    if html is None:
        url = url_for("admin.report", survey_id=survey_id)
        return _page("dashboard/report.html", q=q, title=q.title.best(g.lang), job=job, key=key, here=url)
    if not html:
        return _page(
            "admin/survey.html",
            status=409,
            q=q,
            title=q.title.best(g.lang),
            versions=_versions(survey_id),
            stats=survey_stats(q, g.lang),
            report_url=None,
            error=translate("report_needs_data", g.lang),
            respondent_url=url_for("survey.start", survey_id=survey_id, _external=True),
            formats=_FORMATS,
        )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response
