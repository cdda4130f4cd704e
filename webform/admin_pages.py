"""The frame of every admin and case page: the interface language, its ``?lang=`` switch, rendering.

Both blueprints (:mod:`webform.admin`, :mod:`webform.cases`) register
:func:`language_context` before their views and render through :func:`render_page`,
which gives every template the catalogue (``ui``), the CSRF token, the logged-in user
and the links to the other interface languages.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response as BaseResponse

from webform.i18n import BCP47, LANGUAGE_NAMES, UI_LANGUAGES, choose_language, translate

__all__ = ["language_context", "render_page"]


def language_context() -> BaseResponse | None:
    """``g.lang`` for the page; a ``GET ?lang=xx`` stores the choice and redirects to the same page without it."""
    g.lang = choose_language(UI_LANGUAGES, "en")
    wanted = request.args.get("lang")
    if request.method == "GET" and wanted is not None:
        if wanted in UI_LANGUAGES:
            session["lang"] = wanted
        return redirect(url_for(request.endpoint or "admin.index", **(request.view_args or {})), 303)
    return None


def render_page(template: str, status: int = 200, **context: Any) -> BaseResponse:
    """An admin or case page in ``g.lang`` (language links only on GET pages, where they lead back here)."""
    lang = g.lang
    switch: list[tuple[str, str, str]] = []
    if request.method == "GET":
        endpoint, args = request.endpoint or "admin.index", request.view_args or {}
        switch = [(BCP47[c], LANGUAGE_NAMES[c], url_for(endpoint, **args, lang=c)) for c in UI_LANGUAGES if c != lang]
    body = render_template(
        template,
        lang=lang,
        lang_tag=BCP47.get(lang, lang),
        ui=_ui(lang),
        csrf=generate_csrf(),
        user=g.get("admin"),
        switch=switch,
        switch_label=translate("lang_switch", lang),
        **context,
    )
    return Response(body, status=status, mimetype="text/html")


def _ui(lang: str) -> Any:
    class _Catalogue(dict):  # type: ignore[type-arg]
        def __missing__(self, key: str) -> str:
            return translate(key, lang)

    return _Catalogue()
