"""Real-browser tests: Playwright driving Debian's Chromium against the app on 127.0.0.1.

Every shipped instrument in ``questionnaires/`` is filled in and submitted at 390x844 (Chinese) and
320x640 (English).  On every page: nothing scrolls sideways, every radio/checkbox label and button is
at least 44 CSS px tall, every radio sits in a fieldset with a legend, and axe-core finds no
violation of WCAG 2.0/2.1 A and AA or 2.2 AA.  The stored row is compared with what was entered.

Browser downloads are blocked here: ``playwright install`` is never run; ``/usr/bin/chromium`` is
used.  Without it the tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from surveykit import load_questionnaire, storage
from surveykit.model import Question, Questionnaire
from tests.support.browser import check_axe, check_layout, phone, served
from tests.support.formclient import ALL_TYPES, ONE_PAGE, write
from webform import create_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENTS = sorted((ROOT / "questionnaires").glob("*.yaml"))
VIEWPORTS = [
    ({"width": 390, "height": 844}, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ({"width": 320, "height": 640}, "en-US,en;q=0.9", "en"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    folder = tmp_path_factory.mktemp("browser")
    paths = [str(p) for p in INSTRUMENTS] + [
        write(folder, "alltypes.yaml", ALL_TYPES),
        write(folder, "quick.yaml", ONE_PAGE),
    ]
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder}/b.sqlite3",
            "QUESTIONNAIRES": paths,
            "SECRET_KEY": "browser-test-secret-key-0123456789",
        }
    )
    try:
        with served(app) as base:
            yield base, app
    finally:
        app.extensions["surveykit"].engine.dispose()


# -- filling a page from the model -----------------------------------------------------------------


def _number(question: Question) -> int | float:
    low = question.min if question.min is not None else 0
    value = max(low, 3)
    if question.max is not None:
        value = min(value, question.max)
    return int(value) if question.integer or float(value).is_integer() else value


def _tick(page: Any, group: str, value: object) -> None:
    """Tap the label (the whole row) of one option."""
    page.locator(f'#f-{group} label:has(> input[value="{value}"])').click()


def fill(page: Any, q: Questionnaire, screen_id: str, expected: dict[str, Any], js: bool = True) -> None:
    """Answer every question the page shows, through its labels, and note the expected values."""
    screen = next(s for s in q.screens() if s.id == screen_id)
    for question in screen.questions:
        fieldset = page.locator(f"#f-{question.id}")
        if fieldset.count() == 0 or not fieldset.is_visible():
            continue
        qid, kind = question.id, question.type
        if kind in ("likert", "nps"):
            points = question.points
            value = points[len(points) // 2] if kind == "likert" else 8
            _tick(page, qid, value)
            expected[qid] = value
        elif kind == "matrix":
            for n, row in enumerate(question.rows):
                value = question.points[(n + 1) % len(question.points)]
                _tick(page, row.id, value)
                expected[row.id] = value
        elif kind == "checklist":  # yes, no, n.a. in turn
            for n, row in enumerate(question.rows):
                code = question.options[n % len(question.options)].code
                _tick(page, row.id, code)
                expected[row.id] = code
        elif kind in ("choice", "kano"):
            option = question.options[-1] if kind == "kano" else question.options[0]
            _tick(page, qid, option.code)
            expected[qid] = option.code
        elif kind == "multi":
            ticks = max(int(question.min or 1), 1)
            for n, option in enumerate(question.options):
                if n < ticks:
                    _tick(page, qid, option.code)
                expected[f"{qid}_{option.code}"] = int(n < ticks)
        elif kind == "number":
            value = _number(question)
            page.fill(f"#i-{qid}", str(value))
            expected[qid] = value
        elif kind == "text":
            if not (question.required or question.visible_if is not None):
                pass  # an optional text is left empty, as most respondents leave it
            elif question.pattern:  # a time of day, a code: the first sample the pattern takes
                value = next(s for s in ("14:30", "A1234", "AB123", "12345") if re.fullmatch(question.pattern, s))
                page.fill(f"#i-{qid}", value)
                expected[qid] = value
            else:
                page.fill(f"#i-{qid}", "服务很好 <ok> & thanks")
                expected[qid] = "服务很好 <ok> & thanks"
        elif kind == "date":
            value = question.min or "2024-05-31"
            page.fill(f"#i-{qid}", value)
            expected[qid] = value
        elif kind == "constant_sum":
            total = int(question.total or 0)
            share = total // len(question.options)
            for n, option in enumerate(question.options):
                value = share + (total - share * len(question.options) if n == 0 else 0)
                page.fill(f"#i-{qid}-{option.code}", str(value))
                expected[f"{qid}_{option.code}"] = value
            if js:
                shown = page.locator(f"#f-{qid} output").text_content()
                assert shown == str(total), f"running total shows {shown!r}"


def complete(page: Any, base: str, q: Questionnaire, *, checks: bool = True) -> dict[str, Any]:
    expected: dict[str, Any] = {}
    page.goto(f"{base}/s/{q.survey}")
    for _ in range(len(q.screens()) + 1):
        if "/thanks" in page.url:
            return expected
        screen_id = page.locator("form[novalidate]").get_attribute("action").rsplit("/", 1)[-1]
        if checks:
            check_layout(page)
            check_axe(page)
        fill(page, q, screen_id, expected, js=checks)
        with page.expect_navigation():
            page.locator('button[value="next"]').click()
        assert 'role="alert"' not in page.content(), f"{q.survey}/{screen_id} was refused: {page.content()[:2000]}"
    raise AssertionError(f"{q.survey}: did not reach the thanks page")


def check_row(app: Any, q: Questionnaire, expected: dict[str, Any], lang: str) -> None:
    df = storage.responses_frame(app.extensions["surveykit"].engine, q)
    row = df.iloc[-1]
    assert row["language"] == lang
    for var in q.answer_variables():
        got = row[var.name]
        if var.name in expected:
            assert got == expected[var.name], f"{q.survey}.{var.name}: stored {got!r}, entered {expected[var.name]!r}"
        else:
            assert pd.isna(got), f"{q.survey}.{var.name}: stored {got!r} for a question not answered"


# -- tests ---------------------------------------------------------------------------------------------


def test_shipped_instruments_exist():
    assert INSTRUMENTS, "no questionnaire in questionnaires/"


@pytest.mark.parametrize(("viewport", "accept", "lang"), VIEWPORTS, ids=["390x844-zh", "320x640-en"])
@pytest.mark.parametrize("path", INSTRUMENTS, ids=[p.stem for p in INSTRUMENTS])
def test_fill_in_and_submit_every_instrument(browser, server, path, viewport, accept, lang):
    base, app = server
    q = load_questionnaire(path)
    context = phone(browser, viewport, accept)
    try:
        page = context.new_page()
        expected = complete(page, base, q)
        assert page.locator("h1").is_visible()
        check_layout(page)
        check_axe(page)
    finally:
        context.close()
    check_row(app, app.extensions["surveykit"].current[q.survey][0], expected, lang)


def test_every_question_type_and_error_state(browser, server):
    """The inline fixture has every type: errors, running totals, same-page show/hide, dark mode."""
    base, app = server
    q = app.extensions["surveykit"].current["alltypes"][0]
    for viewport, accept, _lang in VIEWPORTS:
        for scheme in ("light", "dark"):
            context = phone(browser, viewport, accept, color_scheme=scheme)
            try:
                page = context.new_page()
                page.goto(f"{base}/s/alltypes")
                with page.expect_navigation():
                    page.locator('button[value="next"]').click()
                summary = page.locator(".error-summary")
                assert summary.is_visible()
                assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
                assert page.locator("[aria-invalid=true]").count() > 0
                check_layout(page)
                check_axe(page)
                summary.locator("a").first.click()
                assert page.evaluate("() => document.activeElement.id") == "i-sat-1"
                expected: dict[str, Any] = {}
                fill(page, q, "p1", expected)
                with page.expect_navigation():
                    page.locator('button[value="next"]').click()
                why = page.locator("#f-why_young")
                page.fill("#i-age", "25")
                assert why.is_visible()  # same-page condition: age < 30
                page.fill("#i-age", "40")
                assert not why.is_visible()
                page.fill("#i-weights-speed", "30")
                page.fill("#i-weights-price", "45")
                assert page.locator("#f-weights output").text_content() == "75"
                check_layout(page)
                check_axe(page)
            finally:
                context.close()


def test_no_javascript_needed(browser, server):
    base, app = server
    q = app.extensions["surveykit"].current["alltypes"][0]
    context = phone(browser, *VIEWPORTS[1][:2], java_script_enabled=False)
    try:
        page = context.new_page()
        expected = complete(page, base, q, checks=False)
        assert "/thanks" in page.url
    finally:
        context.close()
    check_row(app, q, expected, "en")


def test_first_page_weight_is_small(browser, server):
    """HTML + CSS + JS of each instrument's first page, as transferred (HTML gzipped by the app)."""
    base, _app = server
    context = phone(browser, *VIEWPORTS[0][:2])
    try:
        for path in INSTRUMENTS:
            q = load_questionnaire(path)
            page = context.new_page()
            requests: list[Any] = []
            page.on("requestfinished", lambda request, seen=requests: seen.append(request))
            page.goto(f"{base}/s/{q.survey}", wait_until="load")
            transferred = sum(r.sizes()["responseBodySize"] for r in requests)
            page.close()
            assert {r.resource_type for r in requests} == {"document", "stylesheet", "script"}
            assert transferred < 30 * 1024, f"{q.survey}: first page transfers {transferred} bytes"
    finally:
        context.close()


def test_admin_pages_and_language_switch(browser, server):
    base, app = server
    engine = app.extensions["surveykit"].engine
    storage.create_user(engine, "browser-admin", "a long enough passphrase 42")
    context = phone(browser, *VIEWPORTS[1][:2])
    try:
        page = context.new_page()
        page.goto(f"{base}/s/quick")
        with page.expect_navigation():
            page.get_by_role("link", name="中文").click()
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        assert page.locator("button[value=next]").text_content() == "提交"
        with page.expect_navigation():
            page.get_by_role("link", name="English").click()
        page.goto(f"{base}/admin/")
        assert page.url.endswith("/admin/login")
        check_layout(page)
        check_axe(page)
        page.fill("#username", "browser-admin")
        page.fill("#password", "a long enough passphrase 42")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        assert page.url.endswith("/admin/")
        check_layout(page)
        check_axe(page)
        with page.expect_navigation():
            page.get_by_role("link", name="Every question type").click()
        assert "Completion rate" in page.content()
        check_layout(page)
        check_axe(page)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign out").click()
        page.goto(f"{base}/admin/")
        assert page.url.endswith("/admin/login")
    finally:
        context.close()
