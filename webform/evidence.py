"""Photo evidence of a submitted audit: the auditor's upload page and the photos, for authorised users only.

``/admin/audits/<survey>/<response_id>`` lists the checklist items of one stored audit with its
answers; an ``admin`` or ``auditor`` may attach a photo to an item, anyone allowed to read the
survey's answers (admin, analyst, a manager or auditor whose units include the audit's dealer)
may see it. Who may open these pages is decided in :mod:`webform.scope` (an auditor or manager
naming an audit outside their units gets 404, as for one that does not exist).

An upload is cleaned by :func:`surveykit.evidence.store` before anything is kept: only JPEG or
PNG, at most 8 MB (``EVIDENCE_MAX_BYTES``), no decompression bomb, no polyglot, re-encoded without metadata; a refused
file gets a 400 page saying why and nothing is written. Photos live in the instance folder
(``EVIDENCE_DIR``), never under ``static/``, and are served by the view below only.

Photos attached while the audit was being filled in (:mod:`webform.form_photos`) are found too,
under the hash of the response's submission key.

The upload is one of the two forms whose body may exceed the app's 64 KB request cap, so the view raises
the cap for itself before the body is read, and checks the CSRF token itself (CSRFProtect would
read the body first, under the small cap).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, redirect, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse
from wtforms import ValidationError

from surveykit import evidence
from surveykit.database import responses
from surveykit.model import Questionnaire
from webform import db, scope
from webform.admin_pages import language_context
from webform.admin_pages import render_page as _page
from webform.csrf import validate_csrf
from webform.errors import fail
from webform.form_photos import FORM_MEMORY, folder

bp = Blueprint("evidence", __name__, url_prefix="/admin/audits")
bp.before_request(language_context)
UPLOADERS = frozenset({"admin", "auditor"})

WORDS = {
    "en": {
        "title": "Audit evidence",
        "item": "Standard",
        "answer": "Answer",
        "photo": "Photo",
        "upload": "Attach a photo",
        "choose": "Photo (JPEG or PNG, at most 8 MB)",
        "none": "none",
        "refused": "The photo was not kept",
        "saved": "The photo was kept.",
        "missing": "Choose a photo first.",
        "yes": "Yes, met",
        "no": "No, not met",
        "na": "Not applicable",
        "unit": "Dealer",
        "when": "Submitted",
        "open": "Open",
    },
    "zh": {
        "title": "检查证据照片",
        "item": "标准",
        "answer": "结果",
        "photo": "照片",
        "upload": "上传照片",
        "choose": "照片（JPEG 或 PNG，不超过 8 MB）",
        "none": "无",
        "refused": "照片未保存",
        "saved": "照片已保存。",
        "missing": "请先选择一张照片。",
        "yes": "符合",
        "no": "不符合",
        "na": "不适用",
        "unit": "经销商",
        "when": "提交时间",
        "open": "打开",
    },
}


@bp.record_once
def _exempt_upload(state: BlueprintSetupState) -> None:
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(f"{__name__}.upload")  # checked in the view, after the upload's own size cap


def _audit(survey_id: str, response_id: str) -> tuple[Questionnaire, dict[str, Any]]:
    """The audit instrument and the stored response, or 404 (also for one outside the user's units)."""
    entry = db.registry().survey(survey_id)
    if entry is None:
        fail(404)
    q = entry[0]
    if not any(question.type == "checklist" for question in q.questions()):
        fail(404)
    r = responses.c
    with db.engine().connect() as conn:
        row = conn.execute(
            sa.select(r.fields, r.answers, r.key).where(r.survey == survey_id, r.response_id == response_id)
        ).first()
    if row is None or not scope.visible(row.fields or {}):
        fail(404)
    return q, {"fields": row.fields or {}, "answers": row.answers or {}, "key": row.key}


def _find(survey_id: str, response_id: str, key: str, item: str) -> Path | None:
    """The item's photo: attached to the stored audit, else while it was filled in (webform.form_photos)."""
    root = folder()
    return evidence.find(root, survey_id, response_id, item) or evidence.find(
        root, survey_id, evidence.form_owner(key), item
    )


def _items(q: Questionnaire, audit: dict[str, Any], survey_id: str, response_id: str) -> list[dict[str, Any]]:
    w = WORDS.get(g.lang, WORDS["en"])
    out = []
    for question in q.questions():
        if question.type != "checklist":
            continue
        for row in question.rows:
            photo = _find(survey_id, response_id, audit["key"], row.id)
            out.append(
                {
                    "id": row.id,
                    "step": (question.label or question.text).best(g.lang),
                    "text": (row.label or row.text).best(g.lang),
                    "answer": w.get(str(audit["answers"].get(row.id)), w["none"]),
                    "photo": url_for(".photo", survey_id=survey_id, response_id=response_id, item=row.id)
                    if photo
                    else None,
                }
            )
    return out


def _render(survey_id: str, response_id: str, status: int = 200, **extra: Any) -> BaseResponse:
    q, audit = _audit(survey_id, response_id)
    w = WORDS.get(g.lang, WORDS["en"])
    return _page(
        "admin/evidence.html",
        status=status,
        w=w,
        title=f"{w['title']} – {q.title.best(g.lang)}",
        items=_items(q, audit, survey_id, response_id),
        can_upload=g.admin.role in UPLOADERS,
        survey_id=survey_id,
        response_id=response_id,
        **extra,
    )


@bp.get("/<survey_id>")
def audits(survey_id: str) -> BaseResponse:
    """The stored audits of an audit instrument in the user's units, newest first."""
    entry = db.registry().survey(survey_id)
    if entry is None:
        fail(404)
    r = responses.c
    is_audit = any(question.type == "checklist" for question in entry[0].questions())
    with db.engine().connect() as conn:  # a survey that is no audit lists nothing (its answers are not shown here)
        rows = (
            []
            if not is_audit
            else conn.execute(
                sa.select(r.response_id, r.fields, r.submitted_at)
                .where(r.survey == survey_id)
                .order_by(r.id.desc())
                .limit(500)
            ).all()
        )
    w = WORDS.get(g.lang, WORDS["en"])
    listed = [
        {
            "url": url_for(".audit", survey_id=survey_id, response_id=row.response_id),
            "unit": (row.fields or {}).get("dealer") or (row.fields or {}).get("branch") or "",
            "when": str(row.submitted_at)[:16],
        }
        for row in rows
        if scope.visible(row.fields or {})
    ]
    return _page("admin/audits.html", w=w, title=f"{w['title']} – {entry[0].title.best(g.lang)}", audits=listed)


@bp.get("/<survey_id>/<response_id>")
def audit(survey_id: str, response_id: str) -> BaseResponse:
    return _render(survey_id, response_id, saved=request.args.get("saved"))


@bp.post("/<survey_id>/<response_id>/<item>")
def upload(survey_id: str, response_id: str, item: str) -> BaseResponse:
    if g.admin.role not in UPLOADERS:
        fail(403)
    q, _ = _audit(survey_id, response_id)
    if item not in {row.id for question in q.questions() if question.type == "checklist" for row in question.rows}:
        fail(404)
    w = WORDS.get(g.lang, WORDS["en"])
    limit = int(current_app.config.get("EVIDENCE_MAX_BYTES", evidence.MAX_BYTES))
    request.max_content_length = limit + 64 * 1024
    request.max_form_memory_size = FORM_MEMORY  # a photo above 64 KiB is refused under the app's own
    if request.content_length is not None and request.content_length > request.max_content_length:
        # refused on the declared length: the body is never read (nor spooled to a temporary file)
        return _render(survey_id, response_id, 413, error=f"{w['refused']}: {w['choose']}")
    try:
        return _upload(survey_id, response_id, item, w, limit)
    finally:
        for stored_file in request.files.values():
            stored_file.close()


def _upload(survey_id: str, response_id: str, item: str, w: dict[str, str], limit: int) -> BaseResponse:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        raise CSRFError(str(exc)) from None
    except RequestEntityTooLarge:
        return _render(survey_id, response_id, 413, error=f"{w['refused']}: {w['choose']}")
    upload_file = request.files.get("photo")
    if upload_file is None or not upload_file.filename:
        return _render(survey_id, response_id, 400, error=w["missing"])
    data = upload_file.stream.read(limit + 1)
    try:
        evidence.store(folder(), survey_id, response_id, item, data, max_bytes=limit)
    except evidence.EvidenceError as exc:
        return _render(survey_id, response_id, 400, error=f"{w['refused']}: {exc}")
    return redirect(url_for(".audit", survey_id=survey_id, response_id=response_id, saved=item), 303)


@bp.get("/<survey_id>/<response_id>/<item>/photo")
def photo(survey_id: str, response_id: str, item: str) -> BaseResponse:
    _, audit = _audit(survey_id, response_id)
    try:
        found = _find(survey_id, response_id, audit["key"], item)
    except evidence.EvidenceError:
        found = None
    if found is None:
        fail(404)
    # read whole (a cleaned photo is at most a few MB): no file handle outlives the request
    sent = Response(found.read_bytes(), mimetype="image/jpeg" if found.suffix == ".jpg" else "image/png")
    sent.headers["Cache-Control"] = "private, no-store"
    sent.headers["X-Content-Type-Options"] = "nosniff"
    sent.headers["Content-Disposition"] = "inline"
    return sent
