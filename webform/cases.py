"""The case board and the case pages, under ``/admin/cases``: who may open them is decided in :mod:`webform.scope`.

An admin and an analyst (who reads, never changes) see every case; a department user only the
cases of their department, and a manager only those of their units (:func:`webform.scope.case_scope`):
another department's or unit's case answers 404 on every route (view, move,
note, recovery link, export), exactly as a case that does not exist, and the
board and its downloads list the cases in scope only.  Dealers, branches and departments
are shown by name (:mod:`webform.names`), never by code.  Every change
is a POST with a CSRF token, followed by a redirect (POST/redirect/GET), except
the recovery link, which is shown once on the page that made it.

When a served questionnaire has alert rules, the shipped recovery survey
(``questionnaires/recovery.yaml``) is served too (unless one with the survey
id ``recovery`` already is), so that a closed case's win-back link works.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from surveykit import cases, load_questionnaire, notify, org, storage
from surveykit.database import utcnow
from surveykit.errors import QuestionnaireError
from surveykit.model import Questionnaire
from webform import db, scope
from webform.admin_pages import language_context, render_page
from webform.auth import View, login_required
from webform.comments import comment_views, shown
from webform.errors import fail
from webform.i18n import LANGUAGE_NAMES, translate
from webform.names import field_label, unit_name

bp = Blueprint("cases", __name__, url_prefix="/admin/cases")
bp.before_request(language_context)  # the ?lang= switch, as on every admin page

RECOVERY_SURVEY = "recovery"
BOARD_LIMIT = 500
_MAX_FILTER = 200


def init_app(app: Flask) -> None:
    """Register the blueprint; serve the shipped recovery survey when any served survey has alert rules."""
    app.register_blueprint(bp)
    registry = app.extensions["surveykit"]
    if RECOVERY_SURVEY in registry.current or not any(q.alerts for q, _ in registry.current.values()):
        return
    path = cases.recovery_questionnaire_path()
    q = load_questionnaire(path)
    version_id = storage.register_version(registry.engine, q, Path(path).read_bytes().decode("utf-8-sig"))
    registry.current[q.survey] = (q, version_id)
    registry.by_version[version_id] = q


def _case_worker(view: View) -> View:
    """A logged-in user (the roles are :mod:`webform.scope`'s rules), and ``g.scope`` for the view.

    ``g.scope`` is what the case queries take (:func:`webform.scope.case_scope`): None for an
    admin or analyst, the department for a department user, the units for a manager; a
    department user without a department sees no case at all (403).
    """

    @login_required
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.admin.role == "department" and not g.admin.department:
            fail(403)
        g.scope = scope.case_scope()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _case_or_404(case_id: int) -> cases.Case:
    try:
        return cases.get_case(db.engine(), case_id, scope=g.scope)
    except cases.CaseNotFound:
        fail(404)


def _arg(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > _MAX_FILTER:
        fail(400)
    return value or None


def _filters() -> dict[str, Any]:
    """The board's filters from the query string; a department user's department is fixed."""
    state = request.args.get("state", "active")
    if state not in ("", "active", "closed", *cases.STATES):
        fail(400)
    overdue = request.args.get("overdue", "")
    if overdue not in ("", "yes", "no"):
        fail(400)
    return {
        "dealer": _arg("dealer"),
        "department": None if isinstance(g.scope, str) else _arg("department"),
        "state": state or None,
        "overdue": {"yes": True, "no": False}.get(overdue),
    }


def _state(name: str) -> str:
    return cases.STATE_LABELS[name].best(g.lang)


def _named(field: str, code: str | None) -> str:
    """A dealer's or department's name in the reader's language (the code when nothing names it)."""
    return field_label(field, code, g.lang)


def _scope_label() -> str:
    """Whose cases the board shows, when not everyone's: the department, or the manager's units by name."""
    if isinstance(g.scope, str):
        return _named("department", g.scope)
    if isinstance(g.scope, cases.UnitScope):
        return ", ".join(unit_name(u, g.lang) for u in org.user_unit_ids(db.engine(), g.admin.id))
    return ""


# -- the board -------------------------------------------------------------------------------------------


@bp.get("/")
@_case_worker
def board() -> BaseResponse:
    filters = _filters()
    engine = db.engine()
    now = utcnow()
    found = cases.list_cases(engine, scope=g.scope, limit=BOARD_LIMIT + 1, now=now, **filters)
    rows = [
        {
            "case": c,
            "state": _state(c.state),
            "rule": c.label_text(g.lang),
            "overdue": c.overdue(now),
            "dealer": _named("dealer", c.dealer),
            "department": _named("department", c.department),
        }
        for c in found[:BOARD_LIMIT]
    ]
    options = cases.filter_values(engine, scope=g.scope)
    query: dict[str, Any] = {k: v for k, v in request.args.items() if k in ("dealer", "department", "state", "overdue")}
    return render_page(
        "cases/board.html",
        rows=rows,
        more=len(found) > BOARD_LIMIT,
        limit=BOARD_LIMIT,
        scope_label=_scope_label(),
        department_fixed=isinstance(g.scope, str),
        options={name: [(code, _named(name, code)) for code in codes] for name, codes in options.items()},
        states=[(s, _state(s)) for s in cases.STATES],
        chosen={
            "dealer": filters["dealer"] or "",
            "department": filters["department"] or "",
            "state": request.args.get("state", "active"),
            "overdue": request.args.get("overdue", ""),
        },
        downloads=[(fmt, url_for("cases.export", fmt=fmt, **query)) for fmt in ("csv", "json")],
    )


@bp.get("/export.<fmt>")
@_case_worker
def export(fmt: str) -> BaseResponse:
    """The board's cases (same filters, same scope) as CSV or JSON."""
    if fmt not in ("csv", "json"):
        fail(404)
    filters = _filters()
    now = utcnow()
    found = cases.list_cases(db.engine(), scope=g.scope, now=now, **filters)
    names = [
        {"dealer_name": _named("dealer", c.dealer), "department_name": _named("department", c.department)}
        for c in found
    ]
    if fmt == "json":
        body = json.dumps(
            [{**c.to_dict(now), "label": c.label_text(g.lang), **n} for c, n in zip(found, names, strict=True)],
            ensure_ascii=False,
            indent=1,
        )
        mimetype = "application/json"
    else:
        rows = [
            {**c.to_dict(now), "case_id": c.id, "label": c.label_text(g.lang), **n}
            for c, n in zip(found, names, strict=True)
        ]
        columns = [*cases.CASE_COLUMNS, "dealer_name", "department_name"]
        body = "\ufeff" + cases.csv_text(rows, columns)  # BOM: Excel reads it as UTF-8
        mimetype = "text/csv"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="cases.{fmt}"'})


# -- one case ---------------------------------------------------------------------------------------------


def _questionnaire(response: cases.CaseResponse) -> Questionnaire | None:
    q = db.registry().version(response.version_id)
    if q is not None:
        return q
    try:
        return load_questionnaire(response.yaml_text)
    except QuestionnaireError:
        return None


def _event_text(event: cases.CaseEvent) -> str:
    if event.kind == "moved" and event.from_state and event.to_state:
        return translate("ev_moved", g.lang, from_state=_state(event.from_state), to_state=_state(event.to_state))
    return translate(f"ev_{event.kind}", g.lang)


def _render_case(case: cases.Case, status: int = 200, **extra: Any) -> BaseResponse:
    engine = db.engine()
    lang = g.lang
    response = cases.case_response(engine, case)
    q = _questionnaire(response)
    if q is not None:
        answers = cases.labelled_answers(q, response.answers, lang)
    else:
        answers = [(name, str(value), isinstance(value, str)) for name, value in response.answers.items()]
    answers = [(label, shown(value) if is_text else value, is_text) for label, value, is_text in answers]
    comments = (
        comment_views(q, response.answers, lang)
        if q is not None
        else [
            {"label": label, "pieces": [(value, None)], "themes": [], "names": {}}
            for label, value, is_text in answers
            if is_text
        ]
    )
    events = [{"event": e, "what": _event_text(e)} for e in cases.events_of(engine, case.id)]
    messages = []
    for m in notify.messages_of(engine, case.id):
        state = translate(f"msg_{m['status']}", lang, to=m["recipients"] or "")
        messages.append(
            {
                "kind": translate(f"kind_{m['kind']}", lang),
                "state": state,
                "error": m["last_error"],
                "at": m["sent_at"] or m["created_at"],
            }
        )
    nxt = cases.NEXT_STATE.get(case.state)
    recovery = db.registry().survey(RECOVERY_SURVEY)
    departments = sorted(
        set(cases.filter_values(engine)["department"]) | ({case.department} if case.department else set())
    )
    return render_page(
        "cases/case.html",
        status=status,
        case=case,
        state=_state(case.state),
        rule=case.label_text(lang),
        overdue=case.overdue(),
        response=response,
        response_lang=LANGUAGE_NAMES.get(response.language, response.language),
        comments=comments,
        answers=answers,
        events=events,
        messages=messages,
        next_state=nxt,
        next_label=_state(nxt) if nxt else None,
        department_fixed=isinstance(g.scope, str),
        dealer_name=_named("dealer", case.dealer),
        department_name=_named("department", case.department),
        departments=[(d, _named("department", d)) for d in departments],
        root_causes=[(code, text.best(lang)) for code, text in cases.ROOT_CAUSES.items()],
        root_cause=cases.ROOT_CAUSES[case.root_cause].best(lang) if case.root_cause else None,
        recovery_served=recovery is not None,
        **extra,
    )


@bp.get("/<int:case_id>")
@_case_worker
def case(case_id: int) -> BaseResponse:
    return _render_case(_case_or_404(case_id))


@bp.get("/<int:case_id>.json")
@_case_worker
def case_json(case_id: int) -> BaseResponse:
    found = _case_or_404(case_id)
    engine = db.engine()
    response = cases.case_response(engine, found)
    body = {
        **found.to_dict(),
        "response": {
            "response_id": response.response_id,
            "language": response.language,
            "submitted_at": response.submitted_at.isoformat() + "Z",
            "fields": response.fields,
            "answers": {k: shown(v) if isinstance(v, str) else v for k, v in response.answers.items()},
        },
        "events": [e.to_dict() for e in cases.events_of(engine, case_id)],
    }
    return Response(
        json.dumps(body, ensure_ascii=False, indent=1),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="case-{case_id}.json"'},
    )


def _form(name: str, limit: int = cases.MAX_NOTE + 100) -> str:
    value = request.form.get(name, "")
    if len(value) > limit:
        fail(413)
    return value


@bp.post("/<int:case_id>/move")
@_case_worker
def move(case_id: int) -> BaseResponse:
    found = _case_or_404(case_id)
    to, note = _form("to", 100), _form("note")
    department = _form("department", 200) if not isinstance(g.scope, str) else None
    try:
        cases.move(
            db.engine(),
            case_id,
            to,
            actor=g.admin.name,
            note=note,
            root_cause=_form("root_cause", 100) or None,
            department=department or None,
            expected=_form("expected", 100) or None,
            scope=g.scope,
        )
    except cases.CaseConflict:
        return _render_case(_case_or_404(case_id), status=409, error=translate("case_changed", g.lang))
    except cases.TransitionRefused as exc:
        form = "close" if to == cases.CLOSE else "next"
        return _render_case(found, status=422, error=translate(f"err_{exc.code}", g.lang), error_form=form, draft=note)
    return redirect(url_for("cases.case", case_id=case_id), 303)


@bp.post("/<int:case_id>/note")
@_case_worker
def note(case_id: int) -> BaseResponse:
    found = _case_or_404(case_id)
    text = _form("note")
    try:
        cases.add_note(
            db.engine(),
            case_id,
            actor=g.admin.name,
            note=text,
            contact=bool(request.form.get("contact")),
            scope=g.scope,
        )
    except cases.TransitionRefused as exc:
        return _render_case(
            found, status=422, error=translate(f"err_{exc.code}", g.lang), error_form="note", draft=text
        )
    return redirect(url_for("cases.case", case_id=case_id), 303)


@bp.post("/<int:case_id>/recovery")
@_case_worker
def recovery(case_id: int) -> BaseResponse:
    """A single-use link to the recovery survey, shown once on the page that made it (never stored in plain)."""
    found = _case_or_404(case_id)
    entry = db.registry().survey(RECOVERY_SURVEY)
    if entry is None:
        return _render_case(found, status=409, error=translate("recovery_not_served", g.lang))
    try:
        invitation = cases.send_recovery(db.engine(), case_id, entry[0], actor=g.admin.name, scope=g.scope)
    except cases.CaseError:
        return _render_case(_case_or_404(case_id), status=409, error=translate("recovery_after_close", g.lang))
    link = url_for("survey.start", survey_id=entry[0].survey, t=invitation.token, _external=True)
    return _render_case(_case_or_404(case_id), recovery_link=link)
