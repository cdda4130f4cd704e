"""The form, the report and the paper version set each CJK language in its own font.

Chinese, Japanese and Traditional Chinese share code points whose glyphs differ (直 骨 角 ・), so a
Japanese or Traditional Chinese page set in the Simplified Chinese font shows the wrong forms.
The pages name the font by their ``lang``; Chromium's own account of the font it used for a
node's text (the DevTools call ``CSS.getPlatformFontsForNode``) says whether it took effect.
Needs fonts-noto-cjk, as the Chinese chart tests do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import analyze
from analysis.report import render_report
from surveykit import load_questionnaire
from surveykit.simulate import simulate
from tests.support import browser as chromium
from webform.paper import paper_html
from webform.preview import create_preview_app

pytestmark = pytest.mark.browser

SURVEY = """\
survey: glyphs
version: 1
title: {zh: 直角骨科满意度, en: Satisfaction, zh-Hant: 直角骨科滿意度, ja: 直角・骨科の満足度}
languages: [zh, en, zh-Hant, ja]
scales:
  a5: {points: 5, labels: {1: {zh: 差, en: Bad, zh-Hant: 差, ja: 悪い}, 5: {zh: 好, en: Good, zh-Hant: 好, ja: 良い}}}
dimensions:
  care: {zh: 直角, en: Care, zh-Hant: 直角, ja: 直角}
pages:
  - id: p1
    title: {zh: 直角骨科, en: Visit, zh-Hant: 直角骨科, ja: 直角・骨科}
    questions:
      - {id: s1, type: likert, scale: a5, dimension: care, text: {zh: 直角一, en: One, zh-Hant: 直角一, ja: 直角一}}
      - {id: s2, type: likert, scale: a5, dimension: care, text: {zh: 直角二, en: Two, zh-Hant: 直角二, ja: 直角二}}
      - {id: s3, type: likert, scale: a5, dimension: care, text: {zh: 直角三, en: Three, zh-Hant: 直角三, ja: 直角三}}
"""
FONTS = {"zh": "Noto Sans CJK SC", "zh-Hant": "Noto Sans CJK TC", "ja": "Noto Sans CJK JP"}


def _fonts(page, selector: str) -> set[str]:
    """The families Chromium drew the text of the first node matching ``selector`` with."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, f"{selector} is not on the page"
    return {font["familyName"] for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}


@pytest.fixture(scope="module")
def glyphs(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("glyphs") / "glyphs.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def form(glyphs):
    app = create_preview_app(str(glyphs), {"TESTING": True})
    try:
        with chromium.served(app) as base:
            yield base
    finally:
        app.extensions["surveykit"].engine.dispose()


@pytest.mark.parametrize("lang", list(FONTS))
def test_the_form_page_uses_its_languages_font(browser, form, lang):
    page = browser.new_page()
    page.goto(f"{form}/s/glyphs?lang={lang}")
    assert _fonts(page, "h1") == {FONTS[lang]}
    page.close()


@pytest.mark.parametrize("lang", list(FONTS))
def test_the_paper_version_uses_its_languages_font(browser, glyphs, lang):
    page = browser.new_page()
    page.set_content(paper_html(load_questionnaire(glyphs), lang))
    assert _fonts(page, "h1") == {FONTS[lang]}
    page.close()


def test_the_report_uses_its_languages_font(browser, glyphs):
    q = load_questionnaire(glyphs)
    result = analyze(q, simulate(q, n=40, seed=1))
    page = browser.new_page()
    for lang, font in FONTS.items():
        html, _ = render_report(q, result, lang=lang)
        page.set_content(html)
        assert _fonts(page, "h1") == {font}, lang
    page.close()
