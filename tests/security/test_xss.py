"""T5: XSS and injection payloads stay inert end to end (RELIABILITY.md §4, ASVS 1.2).

28 payloads (markup, event handlers, ``javascript:`` URLs, template syntax such as
``{{7*7}}``, a bidi override, spreadsheet formulas) go into the questionnaire's
title, description, thanks text, page title, question texts, help, option,
scale and row labels and a segment field label; into a segment value carried by
invitations; into every respondent's free-text answer; and into URL parameters
and paths.  Every page a person sees - the form (also re-rendered with errors),
the thanks page, the error pages, the admin survey list and survey page, the
admin HTML report and the charts inside it - is parsed: no element or attribute
born from a payload (no inline or foreign script, no ``on*`` attribute, no
``javascript:`` URL, no iframe/object/base/meta refresh...), the payload visible
as text, ``{{7*7}}`` literally.  CSV and XLSX exports carry each formula-like
cell with a leading ``'`` and no formula cell.  A headless Chromium opens the
same pages and sees no dialog.
"""

from __future__ import annotations

import base64
import csv
import html
import html.parser
import io
import json
import logging
import os
import re
import threading
import urllib.parse
from pathlib import Path

import pytest

from surveykit import storage
from tests.support.reports import open_report
from tests.support.seckit import PASSWORD, SECRET, populate

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "</textarea><script>alert(4)</script>",
    "</title><script>alert(5)</script>",
    "javascript:alert(6)",
    '<a href="javascript:alert(7)">click</a>',
    "{{7*7}}",
    "{% if true %}jinja{% endif %}",
    '<iframe src="javascript:alert(10)"></iframe>',
    "<body onload=alert(11)>",
    "<style>*{background:url(https://evil.example/x)}</style>",
    "<math><mtext></p><script>alert(13)</script>",
    "<xmp><script>alert(14)</script></xmp>",
    "<!--<script>alert(15)//-->",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "<input autofocus onfocus=alert(18)>",
    "<details open ontoggle=alert(19)>",
    "\u202egnp.exe",
    '=HYPERLINK("https://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    '<object data="data:text/html,<script>alert(26)</script>"></object>',
    "${7*7}",
    '<img src="x" onerror="&#97;lert(28)">',
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BORN = {"iframe", "object", "embed", "base", "xmp", "math", "mtext", "details", "svg", "frame", "frameset", "applet"}


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def xss_yaml() -> str:
    p = PAYLOADS
    options = "\n".join(f"          o{i}: {_q(t)}" for i, t in enumerate(p[:10]))
    rows = "\n".join(f"          - {{id: r{i}, text: {_q(t)}}}" for i, t in enumerate(p[10:16]))
    return f"""survey: xss
version: 1
title: {_q(p[0] + " " + p[7])}
description: {_q(p[1] + " " + p[8])}
thanks: {_q(p[7] + " " + p[3])}
languages: [en]
fields:
  branch: {{label: {_q(p[2])}}}
scales:
  agree5:
    points: 5
    labels:
      1: {_q(p[4])}
      5: {_q(p[5])}
pages:
  - id: only
    title: {_q(p[6])}
    questions:
      - {{id: sat, type: likert, scale: agree5, text: {_q(p[16])}, help: {_q(p[17])}}}
      - id: pick
        type: choice
        text: {_q(p[18])}
        options:
{options}
      - id: grid
        type: matrix
        scale: agree5
        text: {_q(p[19])}
        rows:
{rows}
      - {{id: comment, type: text, required: false, text: {_q(p[20])}, help: {_q(p[25])}}}
"""


class _Audit(html.parser.HTMLParser):
    """Elements and attributes a payload could have created."""

    def __init__(self, *, report: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.report = report
        self.found: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        for name, value in a.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "formaction", "data", "xlink:href") and re.sub(
                r"[\s\x00-\x1f]", "", value
            ).lower().startswith(("javascript:", "vbscript:")):
                self.found.append(f"<{tag} {name}={value[:30]}>")
        if tag in BORN:
            self.found.append(f"<{tag}>")
        if tag == "script" and not (a.get("src", "").startswith("/static/") and not self.report):
            self.found.append("<script> not from /static/")
        if tag == "meta" and "refresh" in a.get("http-equiv", "").lower():
            self.found.append("<meta refresh>")
        if tag == "style":
            if not self.report:
                self.found.append("<style>")
            self._style = True
        if tag == "input" and "autofocus" in a:
            self.found.append("<input autofocus>")
        if tag == "img" and a.get("src", "").startswith("data:image/svg+xml"):
            self.images.append(a["src"])
        elif tag == "img" and not a.get("src", "").startswith(("data:image/", "/static/")):
            self.found.append(f"<img src={a.get('src', '')[:30]}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._style = False

    def handle_data(self, data: str) -> None:
        if self._style and "evil.example" in data:
            self.found.append("payload inside <style>")
        self.text.append(data)


def audit(page: str, *, report: bool = False) -> tuple[list[str], str]:
    """Payload-born markup in ``page`` (and in the SVG charts it embeds), and the page's visible text."""
    parser = _Audit(report=report)
    parser.feed(page)
    found = list(parser.found)
    for uri in parser.images:
        header, _, data = uri.partition(",")
        svg = base64.b64decode(data).decode("utf-8") if ";base64" in header else urllib.parse.unquote(data)
        if re.search(r"<script|\son\w+\s*=|javascript:|<foreignObject", svg, re.I):
            found.append("script-capable content in an SVG chart")
    return found, "".join(parser.text)


@pytest.fixture(scope="module")
def xss(tmp_path_factory):
    """The payload survey, answered by one respondent per payload, and an admin client."""
    from webform import create_app

    folder = tmp_path_factory.mktemp("xss")
    url = f"sqlite:///{folder}/x.sqlite3"
    paths, _ = populate(url, folder)
    path = folder / "xss.yaml"
    path.write_text(xss_yaml(), encoding="utf-8")
    app = create_app(
        {
            "DATABASE_URL": url,
            "QUESTIONNAIRES": [*paths, str(path)],
            "SECRET_KEY": SECRET,
            "TOKEN_RATE_LIMIT": [100_000, 60],
        }
    )
    engine = app.extensions["surveykit"].engine
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    app.logger.addHandler(handler)
    app.logger.setLevel(logging.INFO)
    q = app.extensions["surveykit"].current["xss"][0]
    invitations = storage.create_invitations(engine, q, [{"branch": p} for p in PAYLOADS[:6]])
    pages: dict[str, str] = {}
    for i, payload in enumerate(PAYLOADS):
        client = app.test_client()
        token = f"?t={invitations[i].token}" if i < len(invitations) else ""
        page = client.get(f"/s/xss{token}").get_data(as_text=True)
        pages.setdefault("form", page)
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        data = {
            **{k: html.unescape(v) for k, v in hidden.items()},
            "q_sat": str(1 + i % 5),
            "q_pick": f"o{i % 10}",
            **{f"q_r{r}": str(1 + (i + r) % 5) for r in range(6)},
            "q_comment": payload,
            "action": "next",
        }
        if i == 0:  # a re-render with an error: the typed payload comes back in the textarea
            bad = client.post("/s/xss/p/only", data={**data, "q_sat": "9"})
            assert bad.status_code == 422
            pages["form with errors"] = bad.get_data(as_text=True)
        response = client.post("/s/xss/p/only", data=data)
        assert response.status_code == 303, (i, response.status_code)
        pages.setdefault("thanks", client.get("/s/xss/thanks").get_data(as_text=True))
    anonymous = app.test_client()
    for payload in PAYLOADS[:8]:
        quoted = urllib.parse.quote(payload, safe="")
        for probe in (
            f"/s/xss?t={quoted}",
            f"/s/{quoted}",
            f"/s/xss/p/{quoted}",
            f"/s/xss/r/{quoted}",
            f"/s/xss?lang={quoted}",
            f"/admin/login?next={quoted}",
        ):
            response = anonymous.get(probe, follow_redirects=True)
            pages[f"url {probe[:40]}"] = response.get_data(as_text=True)
    admin = app.test_client()
    login = admin.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    assert (
        admin.post("/admin/login", data={"csrf_token": token, "username": "alice", "password": PASSWORD}).status_code
        == 303
    )
    pages["admin list"] = admin.get("/admin/").get_data(as_text=True)
    pages["admin survey"] = admin.get("/admin/s/xss").get_data(as_text=True)
    report = open_report(admin, "/admin/s/xss/report")  # made in the background
    assert report.status_code == 200
    pages["admin report"] = report.get_data(as_text=True)
    exports = {fmt: admin.get(f"/admin/s/xss/responses.{fmt}").data for fmt in ("csv", "xlsx")}
    yield {
        "app": app,
        "pages": pages,
        "exports": exports,
        "admin": admin,
        "folder": folder,
        "log": log,
        "tokens": [i.token for i in invitations],
    }
    app.logger.removeHandler(handler)
    engine.dispose()


def test_logs_hold_no_answer_token_or_password(xss):
    """T15 after T5: the app logged (logins, exports), and none of what people typed or held."""
    text = xss["log"].getvalue()
    assert "admin login succeeded" in text
    for secret in [PASSWORD, *xss["tokens"], *(p for p in PAYLOADS if len(p) > 8)]:
        assert secret not in text, secret


def test_enough_payloads():
    assert len(PAYLOADS) >= 20


def test_pages_have_no_payload_born_markup(xss):
    problems = {}
    for name, page in xss["pages"].items():
        found, _ = audit(page, report=name == "admin report")
        if found:
            problems[name] = found
    assert not problems, problems


@pytest.mark.parametrize("name", ["form", "form with errors", "thanks", "admin survey", "admin report"])
def test_payloads_are_shown_as_text(xss, name):
    _, text = audit(xss["pages"][name], report=name == "admin report")
    assert "{{7*7}}" in text, "template syntax must show literally"
    assert "<script>alert(1)</script>" in text
    if name == "form":
        for payload in (PAYLOADS[4], PAYLOADS[16], PAYLOADS[17], PAYLOADS[20]):
            assert payload in text, payload
    if name == "form with errors":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in xss["pages"][name]
    if name == "thanks":
        assert PAYLOADS[3] in text


def test_the_report_keeps_its_own_csp(xss):
    page = xss["pages"]["admin report"]
    assert '<meta http-equiv="Content-Security-Policy"' in page
    assert "default-src 'none'" in page and "script-src" not in page.split("Content-Security-Policy", 1)[1][:300]


def _formula_like(value: str) -> bool:
    return value.startswith(FORMULA_START)


def test_csv_export_neutralises_formulas(xss):
    text = xss["exports"]["csv"].decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert cells, "an empty export"
    dangerous = [c for c in cells if _formula_like(c)]
    assert not dangerous, dangerous[:5]
    for payload in PAYLOADS[20:25]:
        assert "'" + payload in cells, payload
    assert "<script>alert(1)</script>" in cells  # text stays text, byte for byte


def test_xlsx_export_has_no_formula(xss):
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xss["exports"]["xlsx"]))
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    values.append(cell.value)
    assert not [v for v in values if _formula_like(v)]
    for payload in PAYLOADS[20:25]:
        assert "'" + payload in values, payload


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.browser
def test_headless_chromium_sees_no_dialog(xss):
    if not Path(CHROMIUM).exists() or os.environ.get("SURVEYKIT_NO_BROWSER"):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing under CI=true")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    app = xss["app"]
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    dialogs: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            context = browser.new_context()
            cookie = xss["admin"].get_cookie("session")
            context.add_cookies([{"name": "session", "value": cookie.value, "url": base}])
            page = context.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for path in (
                "/s/xss",
                "/admin/",
                "/admin/s/xss",
                "/admin/s/xss/report",
                "/s/xss?t=" + urllib.parse.quote(PAYLOADS[1]),
                "/s/" + urllib.parse.quote(PAYLOADS[0]),
            ):
                page.goto(base + path)
                page.wait_for_timeout(150)
            page.goto(base + "/s/xss")  # a respondent submitting a payload, then the thanks page
            page.fill("textarea", PAYLOADS[3])
            page.click("button[type=submit]")
            page.wait_for_timeout(300)
            browser.close()
    finally:
        httpd.shutdown()
        thread.join(10)
    assert dialogs == []
