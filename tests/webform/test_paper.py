"""surveykit print: the paper questionnaire, with routing written as 'ask if', printed by headless Chromium."""

from __future__ import annotations

import html
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from surveykit import load_questionnaire
from surveykit.cli import main
from webform.paper import paper_html

ROOT = Path(__file__).parents[2]
INSTRUMENTS = sorted((ROOT / "questionnaires").glob("*.yaml"))

SURVEY = textwrap.dedent("""\
    survey: paper
    version: 2
    title: {zh: 纸质, en: "Paper <b>test</b>"}
    languages: [en, zh]
    fields:
      dealer: {label: {zh: 经销商, en: Dealer}}
    scales:
      a5: {points: 5, labels: {1: {zh: 差, en: Bad}, 5: {zh: 好, en: Good}}}
    pages:
      - id: p1
        questions:
          - id: kind
            type: choice
            text: {zh: 类型, en: "<script>alert(1)</script> What was it?"}
            randomize: true
            fixed: [other]
            options: {repair: {zh: 维修, en: Repair}, service: {zh: 保养, en: Service}, other: {zh: 其他, en: Other}}
          - {id: sat, type: likert, scale: a5, text: {zh: 满意, en: Satisfied?}}
      - id: p2
        visible_if: sat <= 3 or dealer == 'd1'
        questions:
          - {id: why, type: text, text: {zh: "为什么{answer:kind}", en: "Why, about the {answer:kind} at {field:dealer}?"}}
          - {id: fixed_it, type: nps, visible_if: kind == 'repair' and sat < 3, text: {zh: 修好, en: Fixed?}}
    """)


@pytest.mark.parametrize("path", INSTRUMENTS, ids=lambda p: p.stem)
def test_every_question_is_numbered_with_every_variable(path):
    q = load_questionnaire(path)
    for lang in q.languages:
        page = paper_html(q, lang)
        numbers = re.findall(r'<span class="num">Q(\d+)\.</span>', page)
        assert numbers == [str(i) for i in range(1, sum(1 for _ in q.questions()) + 1)]
        for variable in q.answer_variables():
            assert re.search(rf"\[[^\]]*\b{variable.name}\b", page), (lang, variable.name)
        assert f'<html lang="{"zh-Hans" if lang == "zh" else lang}">' in page


def test_routing_piping_and_randomisation_are_written_out(tmp_path):
    path = tmp_path / "paper.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    page = html.unescape(paper_html(load_questionnaire(path), "en"))
    assert "Ask this page if sat [Q2] <= 3 or dealer [Dealer] == 'd1'" in page
    assert "Ask if kind [Q1] == 'repair' and sat [Q2] < 3" in page
    assert "Why, about the [answer to Q1] at [Dealer]?" in page
    assert "Options in random order per respondent. kept in place: other" in page
    assert '<p class="ask">' in page
    raw = paper_html(load_questionnaire(path), "en")
    assert "<script>" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "Paper &lt;b&gt;test&lt;/b&gt;" in raw
    zh = paper_html(load_questionnaire(path), "zh")
    assert "仅当以下条件成立时询问： kind [Q1] == &#39;repair&#39;" in zh and "为什么（Q1 的回答）" in zh


@pytest.mark.browser
def test_print_writes_a_pdf_with_the_chinese_glyphs_embedded(tmp_path):
    if shutil.which("chromium") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the PDF is printed by Chromium, which is missing")
        pytest.skip("the PDF is printed by Chromium (apt-get install chromium)")
    out = tmp_path / "servqual.pdf"
    result = CliRunner().invoke(main, ["print", str(ROOT / "questionnaires" / "servqual.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    assert re.search(rb"/FontName /[A-Z]{6}\+NotoSansCJK", data)  # the Chinese text was set in a CJK font
    result = CliRunner().invoke(
        main, ["print", str(ROOT / "questionnaires" / "servqual.yaml"), "-o", str(out), "--lang", "fr"]
    )
    assert result.exit_code == 2 and "'fr' is not one of the survey's languages" in result.output
