"""The dashboard in Chromium at 390 px, in English and Chinese: no sideways scroll (the unit table scrolls in
its own box), 44 px targets, and axe-core finds no WCAG 2.x A/AA violation on any dashboard page.

Same browser rules as test_browser.py: Debian's chromium, no downloads; skipped without it, failed under CI=true.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import check_axe, check_layout, phone, served
from tests.support.formclient import write
from tests.webform.test_dashboard import PASSWORD, SURVEY, seed
from webform import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path}/d.sqlite3",
            "QUESTIONNAIRES": [write(tmp_path, "csi.yaml", SURVEY)],
            "SECRET_KEY": "browser-dashboard-secret-key-0123456789",
        }
    )
    seed(app)
    try:
        with served(app) as base:
            yield base, app
    finally:
        app.extensions["surveykit"].engine.dispose()


@pytest.mark.parametrize(("accept", "lang_tag"), [("en-US,en;q=0.9", "en"), ("zh-CN,zh;q=0.9", "zh-Hans")])
def test_dashboard_pages_at_390_px(browser: Any, server: tuple[str, Any], accept: str, lang_tag: str) -> None:
    base, _app = server
    context = phone(browser, {"width": 390, "height": 844}, accept)
    page = context.new_page()
    external: list[str] = []
    page.on("request", lambda r, seen=external: seen.append(r.url) if not r.url.startswith(base) else None)
    try:
        page.goto(f"{base}/admin/login")
        page.fill("#username", "alice")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.locator("form button[type=submit]").last.click()
        for path in (
            "/admin/dashboard/",
            "/admin/dashboard/s/csi",
            "/admin/dashboard/s/csi?unit=R-N",
            "/admin/dashboard/s/csi?unit=DE02",
            "/admin/dashboard/s/csi?period=quarter",
            "/admin/dashboard/s/csi/report",
        ):
            page.goto(base + path)
            assert page.locator("html").get_attribute("lang") == lang_tag
            check_layout(page)
            check_axe(page)
        # the unit table is wider than the phone: it scrolls inside its own box, not the page
        page.goto(base + "/admin/dashboard/s/csi?unit=R-N")
        box = page.evaluate(
            "() => { const b = document.querySelector('.scroll'); return [b.scrollWidth, b.clientWidth]; }"
        )
        assert box[0] > box[1]
        # drill down by tapping a unit, then back up by the breadcrumbs
        page.locator(".units-table th[scope=row] a").first.click()
        page.wait_for_load_state()
        assert "unit=DE01" in page.url
        page.locator(".crumbs a").last.click()
        page.wait_for_load_state()
        assert "unit=R-N" in page.url
        assert external == []
    finally:
        context.close()
