"""surveykit preview in Chromium: a save shows in the open page by itself, a broken file shows its problem.

Debian's /usr/bin/chromium through Playwright, as tests/webform/test_browser.py; without it the tests
skip, except under CI=true, where they fail.  The page's own script polls /preview/state (same CSP as
the form: script-src 'self'), so no test code reloads the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import browser as chromium
from tests.webform.test_preview import SURVEY
from webform.preview import create_preview_app

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    path = tmp_path / "pv.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    app = create_preview_app(str(path), {"TESTING": True})
    try:
        with chromium.served(app, threaded=False) as base:  # one thread, as `surveykit preview` runs
            yield base, path
    finally:
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
    chromium.check_axe(page)  # the preview's own chrome meets WCAG 2.2 AA like the form
    page.goto(f"{url}/preview/p/more?all=1&lang=zh")
    chromium.check_axe(page)
    page.close()
