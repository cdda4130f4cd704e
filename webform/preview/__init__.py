"""``surveykit preview q.yaml``: the form as the author saves the file, on localhost.

:func:`create_preview_app` is the web form itself (:func:`webform.create_app`) on an
in-memory SQLite store, plus the author's pages under ``/preview/``: the screen with a
page navigator, a switch that shows every conditional question with its condition, a
button that fills the form with one simulated response, and the loader's problems
(``file:line:col`` with the offending line quoted) in place of the form while the file
does not load.

The file is watched by polling (:class:`Watched`): each request of a preview page, and
the page's own poll of ``/preview/state`` (a small script, no external code, the site's
CSP), compares the file's size, modification time and content hash; a change reloads
the questionnaire, registers it as a new survey version in the store (so ``/s/<survey>``
serves it) and bumps a generation number, on which the page reloads itself.  The server
runs one thread, because the in-memory SQLite database lives in one connection.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, redirect, url_for

from webform import create_app
from webform.preview.watch import Watched

__all__ = ["Watched", "create_preview_app"]


def create_preview_app(path: str, config: dict[str, Any] | None = None) -> Flask:
    """The web form on an in-memory store with the preview pages, watching ``path``."""
    settings: dict[str, Any] = {
        "DATABASE_URL": "sqlite://",
        "QUESTIONNAIRES": [],
        "SECRET_KEY": secrets.token_urlsafe(32),  # a fresh key per run: nothing outlives the preview
    }
    settings.update(config or {})
    app = create_app(settings)
    from webform.preview import views

    app.extensions["surveykit_preview"] = Watched(path, app)
    app.register_blueprint(views.bp)
    # the address an author types or shortens the printed one to: the preview, not a 404
    app.add_url_rule("/", "preview_root", lambda: redirect(url_for("preview.index"), 303))
    with app.app_context():
        app.extensions["surveykit_preview"].refresh()
    return app
