"""surveykit preview in Chromium: a save shows in the open page by itself, a broken file shows its problem.

Debian's /usr/bin/chromium through Playwright, as tests/webform/test_browser.py; without it the tests
skip, except under CI=true, where they fail.  The page's own script polls /preview/state (same CSP as
the form: script-src 'self'), so no test code reloads the page.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.webform.test_browser import check_axe
from tests.webform.test_preview import SURVEY
from webform.preview import create_preview_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    from werkzeug.serving import make_server

    path = tmp_path / "pv.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    app = create_preview_app(str(path), {"TESTING": True})
    httpd = make_server("127.0.0.1", 0, app, threaded=False)  # one thread, as `surveykit preview` runs
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", path
    finally:
        httpd.shutdown()
        thread.join(10)
        app.extensions["surveykit"].engine.dispose()


def test_a_save_shows_in_the_open_page_and_errors_replace_the_form(browser, served):
    from playwright.sync_api import expect

    url, path = served
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda msg, seen=errors: seen.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{url}/preview/")
    expect(page.locator("legend").first).to_contain_text("What was it?")
    path.write_text(SURVEY.replace("What was it?", "Why did you come?"), encoding="utf-8")
    expect(page.locator("legend").first).to_contain_text("Why did you come?", timeout=10_000)
    path.write_text(SURVEY.replace("options: {repair", "options: {{repair"), encoding="utf-8")
    expect(page.locator(".preview-problems")).to_be_visible(timeout=10_000)
    expect(page.locator(".preview-problems pre.quote").first).to_contain_text("options: {{repair")
    assert page.locator("legend").count() == 0
    path.write_text(SURVEY, encoding="utf-8")
    expect(page.locator("legend").first).to_contain_text("What was it?", timeout=10_000)
    # the buttons work in the browser too: simulated answers tick the radios, the switch shows conditions
    page.click("#simulate")
    expect(page.locator("input[name=q_sat]:checked")).to_have_count(1)
    page.goto(f"{url}/preview/p/more")
    page.click("#show-all")
    expect(page.locator("#cond-fix")).to_contain_text("Ask if kind == 'repair'")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    check_axe(page)  # the preview's own chrome meets WCAG 2.2 AA like the form
    page.goto(f"{url}/preview/p/more?all=1&lang=zh")
    check_axe(page)
    page.close()
