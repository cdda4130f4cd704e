"""The auditor's pages in Chromium on a phone (390x844, Chinese): log in, open an audit, attach a photo, see it.

Every page: no sideways scroll and axe-core finds no WCAG 2.0/2.1 A/AA or 2.2 AA violation; a bad
file is refused with its reason on the page. Skips without /usr/bin/chromium, except under CI=true.
"""

from __future__ import annotations

import io
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from surveykit import storage
from surveykit.orgfile import apply_org, read_org_file
from tests.support.formclient import engine_of, questionnaire, write
from webform import create_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "a long enough passphrase 42"
AUDIT = """\
survey: mini_audit
version: 1
title: {zh: 售后流程检查, en: After-sales audit}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
pages:
  - id: p
    questions:
      - id: reception
        type: checklist
        label: {zh: 接待, en: Reception}
        text: {zh: 客户到店, en: Arrival}
        items:
          - {id: greet, critical: true, label: {zh: 迅速问候, en: Greeted quickly}, text: {zh: 客户到店后很快有人问候。, en: Someone greets promptly.}}
          - {id: door, label: {zh: 告知流程, en: Told where to go}, text: {zh: 告诉客户到哪里办理。, en: The customer is told where to go.}}
"""
ORG = "id,parent,level,name_zh,name_en\nNET,,network,全国,Network\nDE01,NET,dealer,北京安达,Anda Beijing\n"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("evidence")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder}/e.sqlite3",
            "QUESTIONNAIRES": [write(folder, "audit.yaml", AUDIT)],
            "SECRET_KEY": "browser-test-secret-key-0123456789",
            "EVIDENCE_DIR": str(folder / "evidence"),
        }
    )
    engine = engine_of(app)
    apply_org(engine, read_org_file("org.csv", data=ORG.encode("utf-8")))
    storage.create_user(engine, "olga", PASSWORD, role="auditor", units=["DE01"])
    saved = storage.save_response(
        engine,
        questionnaire(app, "mini_audit"),
        {"greet": "no", "door": "yes"},
        key=uuid.uuid4().hex,
        language="zh",
        fields={"dealer": "DE01"},
    )
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", saved.response_id, folder
    finally:
        httpd.shutdown()
        thread.join(10)
        engine.dispose()


def check_page(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width}"
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def test_auditor_attaches_a_photo_on_a_phone(browser, server, tmp_path):
    base, response_id, folder = server
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
    )
    try:
        page = context.new_page()
        page.goto(f"{base}/admin/login")
        page.fill("input[name=username]", "olga")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.locator("button[type=submit]").last.click()
        page.goto(f"{base}/admin/audits/mini_audit")
        check_page(page)
        with page.expect_navigation():
            page.locator("table a").first.click()
        assert response_id in page.url and "不符合" in page.content()
        check_page(page)
        bad = tmp_path / "note.png"
        bad.write_bytes(b"<html><script>alert(1)</script></html>")
        page.set_input_files("#photo-greet", str(bad))
        with page.expect_navigation():
            page.locator("#item-greet button[type=submit]").click()
        assert page.locator("[role=alert]").is_visible() and "照片未保存" in page.content()
        check_page(page)
        assert not list((folder / "evidence").rglob("*.*")) if (folder / "evidence").exists() else True
        good = tmp_path / "desk.png"
        out = io.BytesIO()
        Image.new("RGB", (120, 90), (200, 200, 30)).save(out, format="PNG")
        good.write_bytes(out.getvalue())
        page.set_input_files("#photo-greet", str(good))
        with page.expect_navigation():
            page.locator("#item-greet button[type=submit]").click()
        assert "照片已保存" in page.content()
        check_page(page)
        shown = context.request.get(base + page.locator("#item-greet a").get_attribute("href"))
        assert shown.status == 200 and shown.headers["content-type"] == "image/png"
    finally:
        context.close()


def _login(context: Any, base: str, username: str) -> Any:
    page = context.new_page()
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("button[type=submit]").last.click()
    return page


def test_a_manager_plans_an_audit_and_the_auditor_opens_it_on_a_phone(browser, server):
    """The audit planner (webform/audits.py) at 390 px in Chinese: plan, a field to fix, the assignment, the form."""
    base, _, folder = server
    engine = storage.make_engine(f"sqlite:///{folder}/e.sqlite3")
    try:
        storage.create_user(engine, "mona", PASSWORD, role="manager", units=["DE01"])
    finally:
        engine.dispose()
    phone = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    manager = browser.new_context(**phone, extra_http_headers=zh)
    auditor = browser.new_context(**phone, extra_http_headers=zh)
    try:
        page = _login(manager, base, "mona")
        page.goto(f"{base}/admin/plans/")
        assert "安排一次检查" in page.content()
        check_page(page)
        page.fill("#p-due", "下周")
        with page.expect_navigation():
            page.locator("form[action$='/admin/plans/'] button[type=submit]").click()
        assert page.locator("[role=alert]").is_visible() and page.locator("#p-due-err").is_visible()
        check_page(page)
        page.fill("#p-due", "2030-01-31")
        page.fill("#p-auditor", "olga")
        with page.expect_navigation():
            page.locator("form[action$='/admin/plans/'] button[type=submit]").click()
        assert "检查已安排" in page.content() and "北京安达" in page.content()
        check_page(page)
        page = _login(auditor, base, "olga")
        page.goto(f"{base}/admin/plans/")
        assert "我的检查任务" in page.content() and "待检查" in page.content()
        check_page(page)
        with page.expect_navigation():
            page.locator(".plan button[type=submit]").first.click()
        assert "/s/mini_audit/" in page.url or "/s/mini_audit?" in page.url
        assert "客户到店后很快有人问候" in page.content()
        check_page(page)  # with a photo input per standard (webform/form_photos.py)
        page.check("input[name=q_greet][value=no]")
        page.check("input[name=q_door][value=yes]")
        bad = folder / "note.png"
        bad.write_bytes(b"<html><script>alert(1)</script></html>")
        page.set_input_files("#photo-greet", str(bad))
        with page.expect_navigation():
            page.locator("button[value=next]").click()
        assert (
            page.locator("#photo-greet-err").is_visible() and page.locator("input[name=q_greet][value=no]").is_checked()
        )
        check_page(page)
    finally:
        manager.close()
        auditor.close()
