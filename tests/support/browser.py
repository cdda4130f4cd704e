"""Chromium for the browser tests: the launch, a phone's context, the checks every page passes, a served app.

Debian's ``/usr/bin/chromium`` through Playwright; ``playwright install`` (a browser download) is
never run.  Without it a browser test skips, except under ``CI=true``, where it fails: CI must
drive the real browser.  The ``browser`` fixture of tests/conftest.py launches one Chromium per
test module with :func:`chromium`; the modules share the page checks (no sideways scroll, 44 px
targets, named radio groups, axe-core's WCAG A/AA rules) and :func:`served`, the app on a port.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it under ``CI=true``."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI=true: {reason}")
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium, closed on exit."""
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium); playwright install is not used")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover
        unavailable(f"playwright is not installed: {exc}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def phone(browser: Any, viewport: dict[str, int], accept_language: str, **extra: Any) -> Any:
    """A new context as a phone shows pages: the viewport, 2x pixels, touch, and the Accept-Language."""
    return browser.new_context(
        viewport=viewport,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        extra_http_headers={"Accept-Language": accept_language},
        **extra,
    )


def check_layout(page: Any) -> None:
    """No sideways scroll, tap targets of 44 px and more, every radio and checkbox in a named group."""
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width}"
    small = page.evaluate("""() => [...document.querySelectorAll(
            'label:has(input[type=radio]), label:has(input[type=checkbox]), button, .lang a')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.getBoundingClientRect().height, e.textContent.trim().slice(0, 30)])
        .filter(([h]) => h < 44)""")
    assert not small, f"{page.url}: tap targets under 44 px: {small[:5]}"
    orphans = page.evaluate("""() => [...document.querySelectorAll('input[type=radio], input[type=checkbox]')]
        .filter(i => { const f = i.closest('fieldset'); const l = f && f.querySelector(':scope > legend');
                       return !l || !l.textContent.trim() || !i.labels.length || !i.labels[0].textContent.trim(); })
        .map(i => i.id)""")
    assert not orphans, f"{page.url}: inputs without a named group or label: {orphans[:5]}"


def check_axe(page: Any) -> None:
    """axe-core finds no violation of WCAG 2.0/2.1 A and AA or 2.2 AA on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


@contextmanager
def served(app: Any, *, threaded: bool = True) -> Iterator[str]:
    """``app`` on a free port of 127.0.0.1 in a thread of this process; yields its base URL."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=threaded)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(10)
        httpd.server_close()
