"""Serving the web form with gunicorn: the secret-key rules, the access log and the server itself.

``surveykit serve`` and ``surveykit demo`` start it.  A development key signs
cookies anyone could forge, so off the loopback address a real
``SURVEYKIT_SECRET_KEY`` is required (:func:`check_secret`).  Each gunicorn
worker creates its own app after the fork, so no database connection is shared
between processes.
"""

from __future__ import annotations

import gc
import ipaddress
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from surveykit.errors import SurveykitError

__all__ = ["access_logger", "check_secret", "is_loopback", "real_secret", "run", "shown_host"]

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (IPv6 in brackets or not)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def real_secret(secret: str) -> bool:
    """At least 32 characters and not a placeholder: what a session cookie's signature relies on."""
    from webform import DEV_SECRET_KEY

    return len(secret) >= 32 and len(set(secret)) >= 10 and secret != DEV_SECRET_KEY


def check_secret(host: str, secret: str) -> None:
    """Refuse a placeholder key anywhere, and no key at all off the loopback address.

    Without a key the app signs with the development key; that is only safe
    where nobody else can reach the server.
    """
    if secret and not real_secret(secret):
        raise SurveykitError("SURVEYKIT_SECRET_KEY is too short or a placeholder: use 32+ random characters")
    if not secret and not is_loopback(host):
        raise SurveykitError(
            f"refusing to serve on {host}, a non-loopback address, without SURVEYKIT_SECRET_KEY "
            "(32+ random characters); the development key would let anyone forge sessions"
        )


def shown_host(host: str) -> str:
    """The host to name in a URL to open: ``localhost`` for the all-addresses binds."""
    # naming the URL to open, not binding
    return "localhost" if host in ("0.0.0.0", "::") else host  # noqa: S104  # nosec B104


def access_logger() -> Any:
    """gunicorn's logger with control characters escaped in every access-log field.

    The logged path is decoded: ``/s/x%0AFORGED`` would otherwise write a line of the
    requester's choosing (ASVS 16.4.1).  CR, LF, ESC and the other C0/C1 controls become
    ``\\xNN``.
    """
    from gunicorn.glogging import Logger

    class AccessLogger(Logger):  # type: ignore[misc]
        def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
            return {
                name: _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", value) if isinstance(value, str) else value
                for name, value in super().atoms(resp, req, environ, request_time).items()
            }

    return AccessLogger


def run(questionnaires: Sequence[str], *, db_url: str | None, host: str, port: int, workers: int, secret: str) -> None:
    """gunicorn with one webform app per worker (created after the fork), until it is stopped."""
    from gunicorn.app.base import BaseApplication

    config: dict[str, Any] = {"QUESTIONNAIRES": [str(Path(p).resolve()) for p in questionnaires]}
    if db_url:
        config["DATABASE_URL"] = db_url
    if secret:
        config["SECRET_KEY"] = secret

    class Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints, so the base is Any
        def load_config(self) -> None:
            bind = f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"
            for key, value in {
                "bind": [bind],
                "workers": workers,
                "worker_class": "sync",
                "timeout": 30,
                "graceful_timeout": 30,
                "accesslog": "-",
                "control_socket_disable": True,  # one shared path per user: two servers clash
                # the path only: invitation tokens travel in query strings and never reach a log
                "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
                "logger_class": access_logger(),
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from webform import create_app  # in each worker, after the fork: its own connections

            app = create_app(config)
            # the app's long-lived objects (modules, questionnaires, compiled forms) out of the
            # collector's sweeps: a full collection during a request walked all of them (10-30 % of
            # an API batch of 1,000 invitations, measured by bench_api); garbage made later is collected
            gc.freeze()
            return app

    Server().run()
