"""``static_url(name)`` for templates: a static file's URL with a content hash, so it can be cached for long."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask

__all__ = ["register_static_urls"]


def register_static_urls(app: Flask) -> None:
    """Hash every file of the static folder once, at start-up, and give templates ``static_url``.

    The hash changes with the file, so a browser that cached an old stylesheet or script for
    ``STATIC_MAX_AGE`` fetches the new one after a deployment.
    """
    versions = {}
    folder = Path(app.static_folder or "")
    for path in folder.glob("*"):
        if path.is_file():
            versions[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]

    def static_url(name: str) -> str:
        return f"{app.static_url_path}/{name}?v={versions.get(name, '0')}"

    app.jinja_env.globals["static_url"] = static_url
