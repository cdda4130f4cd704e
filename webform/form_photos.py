"""Photo evidence attached inside the audit form: one optional photo per checklist item, while filling it in.

An auditor (or admin) logged in to the admin pages who fills an audit instrument on the respondent
pages gets, under each checklist of the screen, a file input per standard. The form is then
``multipart/form-data`` and works without JavaScript; nobody else (a respondent, an anonymous visitor)
gets the inputs, and a file posted by them is refused as an unexpected field, as before.

* :func:`allow_body` runs before CSRFProtect reads the body: only for that form and that user, it
  raises the request's size cap from the app's 64 KB to ``EVIDENCE_FORM_PHOTOS`` photos of
  ``EVIDENCE_MAX_BYTES`` each (4 x 8 MB by default). A larger body is refused with 413 before it is
  read; every other form keeps the small cap.
* :func:`take` (called by the screen's POST) cleans every photo of the post with
  :func:`surveykit.evidence.clean_image` (JPEG/PNG only, size cap, no decompression bomb, no polyglot,
  re-encoded without metadata). If any is refused, none is kept and the screen comes back with 400,
  the answers as posted and the photo's field marked with the reason; else each is kept
  (:func:`surveykit.evidence.keep`) under the form's submission key, which the response will carry.
  The photos live in the evidence folder outside the web root and are shown on the audit's evidence
  page (:mod:`webform.evidence`) to users whose units hold the dealer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request
from werkzeug.datastructures import FileStorage

from surveykit import evidence
from surveykit.model import Questionnaire, Screen
from webform import auth, db, drafts, respondent_session
from webform.screen_page import Visit
from webform.skip_logic import plan

__all__ = ["FORM_MEMORY", "allow_body", "context", "default_folder", "folder", "input_names", "take"]

UPLOADERS = frozenset({"admin", "auditor"})
FORM_PHOTOS = 4  # photos one post may carry (EVIDENCE_FORM_PHOTOS)
_SLACK = 64 * 1024  # the answers beside the photos
# Werkzeug's multipart parser refuses a body once its unparsed buffer (up to two 64 KiB reads) passes
# MAX_FORM_MEMORY_SIZE, even inside a file part: with the app's 64 KiB no photo above ~64 KiB gets
# through. Text parts are still capped, at this size.
FORM_MEMORY = 256 * 1024

WORDS = {
    "en": {
        "legend": "Photos (optional)",
        "photo": "Photo",
        "hint": "JPEG or PNG, at most 8 MB",
        "kept": "A photo is attached; choose another to replace it.",
        "refused": "The photo was not kept",
    },
    "zh": {
        "legend": "照片（可选）",
        "photo": "照片",
        "hint": "JPEG 或 PNG，不超过 8 MB",
        "kept": "已附照片；再选一张即可替换。",
        "refused": "照片未保存",
    },
}


def folder() -> Path:
    """The app's evidence folder: ``EVIDENCE_DIR`` (env ``SURVEYKIT_EVIDENCE_DIR``), else the instance folder's."""
    configured = current_app.config.get("EVIDENCE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "evidence"


def default_folder() -> Path:
    """The evidence folder of an app without ``EVIDENCE_DIR``, outside a request (``surveykit evidence purge``)."""
    return Path(Flask("webform", instance_relative_config=True).instance_path) / "evidence"


def _limit() -> int:
    return int(current_app.config.get("EVIDENCE_MAX_BYTES", evidence.MAX_BYTES))


def _checklist_items(screen: Screen) -> list[str]:
    return [row.id for question in screen.questions if question.type == "checklist" for row in question.rows]


def _posted_screen() -> tuple[Questionnaire, Screen] | None:
    """The survey and screen a ``survey.page_post`` names, when the screen has checklist items."""
    args = request.view_args or {}
    entry = db.registry().survey(str(args.get("survey_id", "")))
    if entry is None:
        return None
    index = plan(entry[0]).index.get(str(args.get("screen_id", "")))
    if index is None:
        return None
    screen = entry[0].screens()[index]
    return (entry[0], screen) if _checklist_items(screen) else None


def _may_upload() -> bool:
    if "photo_uploader" not in g:
        user = auth.current_user()
        g.photo_uploader = user is not None and user.role in UPLOADERS
    return bool(g.photo_uploader)


def allow_body() -> None:
    """Raise the size cap for a multipart post of a checklist screen by an auditor (see the module docstring)."""
    if request.endpoint != "survey.page_post" or request.mimetype != "multipart/form-data":
        return
    if _posted_screen() is None or not _may_upload():
        return
    count = int(current_app.config.get("EVIDENCE_FORM_PHOTOS", FORM_PHOTOS))
    request.max_content_length = count * _limit() + _SLACK
    request.max_form_memory_size = FORM_MEMORY  # see FORM_MEMORY


def input_names(screen: Screen) -> frozenset[str]:
    """The photo inputs this request may post on ``screen`` (none for anyone but an auditor or admin)."""
    if request.endpoint not in ("survey.page_post", "survey.page", "survey.start") or not _may_upload():
        return frozenset()
    return frozenset(f"photo-{item}" for item in _checklist_items(screen))


def _owner(visit: Visit) -> str | None:
    if visit.draft is not None:
        return evidence.form_owner(visit.draft.key)
    signed = respondent_session.submission_key(visit.key)
    return evidence.form_owner(signed[0]) if signed is not None else None


def take(visit: Visit) -> str | None:
    """Clean and keep the photos of this post; the reason to show when one is refused (then none is kept).

    None also when the post carries no photo. A file that is no photo input of ours was refused
    before, by the screen's own check of unexpected fields.
    """
    names = input_names(visit.screen)
    files: dict[str, FileStorage] = {
        name: stored for name, stored in request.files.items() if name in names and stored.filename
    }
    if not files:
        return None
    owner = _owner(visit)
    if owner is None:
        return None  # an expired form: the submit path says so
    w = WORDS.get(g.lang, WORDS["en"])
    limit, cleaned, errors = _limit(), {}, {}
    for name, stored in files.items():
        try:
            cleaned[name[len("photo-") :]] = evidence.clean_image(stored.stream.read(limit + 1), max_bytes=limit)
        except evidence.EvidenceError as exc:
            errors[name[len("photo-") :]] = f"{w['refused']}: {exc}"
    if errors:
        g.photo_errors = errors
        return "; ".join(errors.values())
    for item, clean in cleaned.items():
        evidence.keep(folder(), visit.q.survey, owner, item, clean)
    return None


def _kept(survey: str, items: list[str]) -> set[str]:
    """The items of the session's draft of ``survey`` that have a photo attached."""
    draft = drafts.from_session(survey)
    signed = respondent_session.submission_key(request.form.get("k")) if request.method == "POST" else None
    if draft is not None:
        owner = evidence.form_owner(draft.key)
    elif signed is not None:  # the first screen, posted again: its photos are kept under the form's key
        owner = evidence.form_owner(signed[0])
    else:
        return set()
    return {item for item in items if evidence.find(folder(), survey, owner, item) is not None}


_ITEMS: dict[int, tuple[Questionnaire, list[str]]] = {}


def _survey_items(q: Questionnaire) -> list[str]:
    """The checklist items of the whole survey, once per loaded version (every page render asks).

    Keyed by the questionnaire's identity (hashing one walks all its text); the entry holds it, so
    its id cannot be reused while the entry lives.
    """
    hit = _ITEMS.get(id(q))
    if hit is None or hit[0] is not q:
        items = [row.id for question in q.questions() if question.type == "checklist" for row in question.rows]
        hit = _ITEMS[id(q)] = (q, items)
    return hit[1]


def context() -> dict[str, Any]:
    """What the survey page template needs for the photo inputs (nothing on any other page)."""
    if request.endpoint not in ("survey.page_post", "survey.page", "survey.start") or "q" not in g:
        return {}
    q: Questionnaire = g.q
    items = _survey_items(q)
    if not items or not _may_upload():
        return {}
    return {
        "photo_upload": True,
        "photo_words": WORDS.get(g.lang, WORDS["en"]),
        "photo_errors": g.get("photo_errors", {}),
        "photo_kept": _kept(q.survey, items),
    }
