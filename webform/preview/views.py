"""The preview pages: ``/preview/p/<screen>``, ``/preview/state``, ``/preview/simulate``, ``/preview/clear``."""

from __future__ import annotations

import math
import secrets
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response as BaseResponse

from surveykit import storage
from surveykit.expressions import Condition
from surveykit.languages import html_lang
from surveykit.model import Questionnaire, Screen
from surveykit.piping import has_pipes, pipe_screen
from surveykit.simulate import simulate
from webform.errors import fail
from webform.i18n import translate
from webform.presenters import build_screen_view, screen_view, values_from_answers
from webform.preview.watch import Watched
from webform.skip_logic import applies

__all__ = ["bp"]

bp = Blueprint("preview", __name__, url_prefix="/preview")


def _watched() -> Watched:
    watched: Watched = current_app.extensions["surveykit_preview"]
    watched.refresh()
    return watched


@bp.get("/")
def index() -> BaseResponse:
    watched = _watched()
    if watched.q is None or watched.problems:
        return _page(watched, None)
    return redirect(url_for("preview.screen", screen_id=watched.q.screens()[0].id, **_args()), 303)


@bp.get("/state")
def state() -> Response:
    """The generation of the file: the page reloads when it changes."""
    return jsonify(generation=_watched().generation)


@bp.get("/p/<screen_id>")
def screen(screen_id: str) -> BaseResponse:
    watched = _watched()
    if watched.q is None or watched.problems:
        return _page(watched, None)
    index = next((i for i, s in enumerate(watched.q.screens()) if s.id == screen_id), None)
    if index is None:  # renamed by the last save: back to the first screen
        return redirect(url_for("preview.index", **_args()), 303)
    return _page(watched, index)


@bp.post("/simulate")
def fill() -> BaseResponse:
    """Fill the pages with one simulated response (and store it, as ``simulate --db`` does)."""
    watched = _watched()
    if watched.q is None or watched.problems:
        fail(409)
    q = watched.q
    frame = simulate(q, n=1, seed=secrets.randbelow(2**31))
    frame["response_id"] = secrets.token_hex(8)
    storage.save_frame(current_app.extensions["surveykit"].engine, q, frame)
    row = frame.iloc[0]
    kinds = {v.name: v.type for v in q.variables()}
    values = {name: _plain(row[name]) for name in kinds if name in row.index}
    watched.answers = {k: v for k, v in values.items() if v is not None and kinds[k] not in ("metadata", "field")}
    watched.fields = {k: v for k, v in values.items() if v is not None and kinds[k] == "field"}
    return redirect(request.form.get("back") or url_for("preview.index"), 303)


@bp.post("/clear")
def clear() -> BaseResponse:
    watched = _watched()
    watched.answers, watched.fields = {}, {}
    return redirect(request.form.get("back") or url_for("preview.index"), 303)


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return str(value) if not isinstance(value, (int, float, str)) else value


def _args() -> dict[str, Any]:
    return {k: v for k, v in request.args.items() if k in ("lang", "all")}


def _condition(cond: Condition | None) -> str:
    return cond.source if cond is not None else ""


def _page(watched: Watched, index: int | None) -> Response:
    q = watched.q
    lang = request.args.get("lang", "")
    if q is not None and lang not in q.languages:
        lang = q.languages[0]
    show_all = request.args.get("all") == "1"
    context: dict[str, Any] = {
        "watched": watched,
        "path": watched.path,
        "lang": lang or "en",
        "lang_tag": html_lang(lang or "en"),
        "show_all": show_all,
        "args": _args(),
        "csrf": generate_csrf(),
        "back": request.full_path.rstrip("?"),
    }
    status = 200
    if q is not None and index is not None and not watched.problems:
        context.update(_screen_context(q, index, lang, show_all, watched))
    elif watched.problems:
        status = 200  # the page itself is fine: it reports the file's problems
    body = render_template("preview/page.html", **context)
    return Response(body, status=status, mimetype="text/html")


def _screen_context(q: Questionnaire, index: int, lang: str, show_all: bool, watched: Watched) -> dict[str, Any]:
    screen: Screen = q.screens()[index]
    answers = {**watched.fields, **watched.answers}
    if has_pipes(screen):
        screen = pipe_screen(screen, q, watched.answers, watched.fields)
        view = build_screen_view(q, screen, lang)
    else:
        view = screen_view(q, screen, lang)
    shown = {
        x.id
        for x in screen.questions
        if show_all or (applies(x.visible_if, answers) and applies(screen.visible_if, answers))
    }
    navigator = [
        {
            "id": s.id,
            "title": (s.title.best(lang) if s.title else s.id),
            "condition": _condition(s.visible_if),
            "current": i == index,
            "skipped": bool(watched.answers) and not applies(s.visible_if, answers),
            "url": url_for("preview.screen", screen_id=s.id, **_args()),
        }
        for i, s in enumerate(q.screens())
    ]
    return {
        "q": q,
        "title": q.title.best(lang),
        "view": view,
        "shown": shown,
        "conditions": {x.id: _condition(x.visible_if) for x in screen.questions if x.visible_if is not None},
        "screen_condition": _condition(screen.visible_if),
        "randomised": screen.shuffle is not None or any(x.shuffle is not None for x in screen.questions),
        "values": values_from_answers(screen, watched.answers),
        "navigator": navigator,
        "languages": [
            (code, url_for("preview.screen", screen_id=screen.id, **{**_args(), "lang": code})) for code in q.languages
        ],
        "toggle_url": url_for("preview.screen", screen_id=screen.id, **{**_args(), "all": "0" if show_all else "1"}),
        "form_url": url_for("survey.start", survey_id=q.survey),
        "optional": translate("optional", lang),
        "sum_label": translate("sum_label", lang),
    }
