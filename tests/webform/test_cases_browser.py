"""One case, end to end in Chromium: an unhappy customer's answers open it, an admin walks it from open to
done and evaluated on the case page, sends the win-back link, and the customer's answer shows as recovered.

The board and the case page are checked like every page (no sideways scroll, 44 px targets, axe-core
finds no WCAG 2.x A/AA violation).  Same browser rules as test_browser.py: Debian's chromium, no
downloads; skipped without it, failed under CI=true.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from surveykit import cases, storage
from tests.support.browser import check_axe, check_layout, phone, served
from tests.support.formclient import write
from webform import create_app

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase 42"
SURVEY = """\
survey: followup
version: 1
title: {zh: 售后回访, en: Service follow-up}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
scales:
  sat5:
    points: 5
    labels: {1: {zh: 很不满意, en: Very dissatisfied}, 5: {zh: 很满意, en: Very satisfied}}
pages:
  - id: p
    title: {zh: 您的来店经历, en: Your visit}
    questions:
      - {id: sat, type: likert, scale: sat5, label: {zh: 满意度, en: Satisfaction}, text: {zh: 满意吗？, en: "How satisfied are you?"}}
      - {id: comment, type: text, required: false, label: {zh: 意见, en: Comment}, text: {zh: 请告诉我们, en: Tell us more}}
alerts:
  - id: unhappy
    label: {zh: 不满意的客户, en: Unhappy customer}
    when: sat <= 2
    department: {value: service}
    priority: high
    first_contact_hours: 24
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path}/c.sqlite3",
            "QUESTIONNAIRES": [write(tmp_path, "followup.yaml", SURVEY)],
            "SECRET_KEY": "browser-cases-secret-key-0123456789",
        }
    )
    storage.create_user(app.extensions["surveykit"].engine, "manager", PASSWORD)
    try:
        with served(app) as base:
            yield base, app
    finally:
        app.extensions["surveykit"].engine.dispose()


def _answer(page: Any, base: str, url: str, group: str, value: int, comment: str | None = None) -> None:
    page.goto(url if url.startswith("http") else base + url)
    page.locator(f'#f-{group} label:has(> input[value="{value}"])').click()
    if comment is not None:
        page.fill("#i-comment", comment)
    with page.expect_navigation():
        page.locator('button[value="next"]').click()
    assert "/thanks" in page.url, page.content()[:1000]


def _step(page: Any, button: str, note: str | None = None) -> None:
    if note is not None:
        page.fill("#note", note)
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    assert page.locator(".error-summary").count() == 0, page.locator(".error-summary").text_content()


def test_walk_one_case_from_open_to_evaluated_and_win_back(browser, server):
    base, app = server
    engine = app.extensions["surveykit"].engine
    customer = phone(browser, {"width": 390, "height": 844}, "en-US,en;q=0.9")
    manager = phone(browser, {"width": 390, "height": 844}, "en-US,en;q=0.9")
    try:
        _answer(customer.new_page(), base, "/s/followup", "sat", 1, "The brakes still squeal.")
        [case] = cases.list_cases(engine)
        page = manager.new_page()
        page.goto(f"{base}/admin/login")
        page.fill("#username", "manager")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        with page.expect_navigation():
            page.get_by_role("link", name="Cases").click()
        assert page.url.endswith("/admin/cases/")
        check_layout(page)
        check_axe(page)
        with page.expect_navigation():
            page.get_by_role("link", name=f"#{case.id}").click()
        assert "The brakes still squeal." in page.locator("blockquote").text_content()
        check_layout(page)
        check_axe(page)

        _step(page, "Move to: Verified", "Called the customer; the squeal is real.")
        assert page.locator("#case-state").text_content() == "Verified"
        _step(page, "Move to: Assigned")
        page.select_option("#root_cause", "repair_quality")
        _step(page, "Move to: Root cause found", "Pads were not replaced.")
        _step(page, "Move to: Solution agreed", "Replace the pads free of charge this week.")
        _step(page, "Move to: Done and evaluated", "Pads replaced; customer test-drove and is happy.")
        assert page.locator("#case-state").text_content() == "Done and evaluated"
        assert page.get_by_text("This case is closed.").is_visible()
        history = page.locator("table").last.locator("tbody tr")
        assert history.count() == 6
        check_layout(page)
        check_axe(page)

        with page.expect_navigation():
            page.get_by_role("button", name="Create the recovery survey link").click()
        link = page.locator("#recovery-link").get_attribute("href")
        assert link and "/s/recovery?t=" in link
        _answer(customer.new_page(), base, link, "recovery_sat", 5)
        page.reload()
        assert "Recovery survey answered: 5 of 5, recovered." in page.content()
        check_axe(page)
    finally:
        customer.close()
        manager.close()
    done = cases.get_case(engine, case.id)
    assert (done.state, done.root_cause, done.recovered) == ("done_evaluated", "repair_quality", True)
    assert [e.to_state for e in cases.events_of(engine, case.id) if e.kind in ("opened", "moved")] == list(
        cases.STATES[:6]
    )
