"""A third language (zh-Hant) end to end: form, language switch, Accept-Language, export labels, report."""

from __future__ import annotations

from pathlib import Path

import opencc
import pytest

from analysis import analyze
from analysis.report import render_report
from surveykit import load_questionnaire
from surveykit.codebook import codebook
from surveykit.simulate import simulate
from surveykit.translate import export_texts, import_texts, read_translations
from surveykit.translate.files import write_translations
from tests.support.formclient import Respondent

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def hant(tmp_path_factory) -> Path:
    """The shipped SERVQUAL survey translated into Traditional Chinese through the translation workflow."""
    from openpyxl import load_workbook

    folder = tmp_path_factory.mktemp("hant")
    sheet = folder / "sq.xlsx"
    source, entries = export_texts(ROOT / "questionnaires" / "servqual.yaml", "zh-Hant")
    write_translations(sheet, source, "zh-Hant", entries, "servqual")
    convert = opencc.OpenCC("s2t").convert
    book = load_workbook(sheet)
    for row in book["translations"].iter_rows(min_row=2):
        row[2].value = convert(row[1].value)
    book.save(sheet)
    out = folder / "servqual.yaml"
    import_texts(ROOT / "questionnaires" / "servqual.yaml", read_translations(sheet), out)
    return out


def test_the_form_negotiates_and_switches_to_the_third_language(make_app, hant):
    app = make_app(hant.read_text(encoding="utf-8"))
    taiwan = Respondent(app.test_client(), lang="zh-TW,zh;q=0.9,en;q=0.5")
    page = taiwan.get("/s/servqual")
    assert '<html lang="zh-Hant"' in page.text
    assert "售後服務質量" in page.text and "下一頁" in page.text  # the survey's text and the UI, both Traditional
    assert "售后" not in page.text and "下一页" not in page.text
    mainland = Respondent(app.test_client(), lang="zh-CN,zh;q=0.9")
    page = mainland.get("/s/servqual")
    assert '<html lang="zh-Hans"' in page.text and "下一页" in page.text
    assert 'lang="zh-Hant"' in page.text and "中文 (繁體)" in page.text  # the switch offers it by its own name
    switched = mainland.get("/s/servqual?lang=zh-Hant")
    assert '<html lang="zh-Hant"' in switched.text


def test_exports_and_report_speak_the_third_language(hant):
    q = load_questionnaire(hant)
    book = codebook(q, "zh-Hant").set_index("variable")
    assert book.loc["language", "label_zh-Hant"] == "作答語言"  # built-in wording converted
    assert book.loc["tan1_e", "question_text_zh-Hant"] == q.question("tan1_e").text["zh-Hant"]
    df = simulate(q, n=120, seed=2)
    html, _ = render_report(q, analyze(q, df), lang="zh-Hant")
    assert '<html lang="zh-Hant">' in html
    assert q.title["zh-Hant"] in html and q.title["zh"] not in html
    assert "服務" in html and "服务" not in html


def test_chart_words_are_converted_before_they_become_paths(monkeypatch):
    import matplotlib.pyplot as plt

    from analysis import plots
    from analysis.report_sections import Charts

    drawn = []

    def draw(*, lang: str) -> object:
        figure, axes = plt.subplots()
        axes.set_title("服务质量差距")
        axes.set_xlabel("期望与感知")
        return figure

    def capture(figure: object) -> str:
        drawn.append(sorted(t.get_text() for t in figure.findobj(plt.Text) if t.get_text()))
        plt.close(figure)
        return "<svg></svg>"

    monkeypatch.setattr(plots, "to_svg", capture)
    Charts("zh", script="zh-Hant")("alt", draw)
    Charts("zh")("alt", draw)
    assert drawn == [["服務質量差距", "期望與感知"], ["服务质量差距", "期望与感知"]]


def test_the_command_line_reports_and_exports_in_the_third_language(hant, tmp_path):
    from click.testing import CliRunner

    from surveykit.cli import main

    q = load_questionnaire(hant)
    data = tmp_path / "responses.csv"
    simulate(q, n=80, seed=4).to_csv(data, index=False)
    runner = CliRunner()
    report = tmp_path / "report.html"
    result = runner.invoke(main, ["report", str(hant), str(data), "-o", str(report), "--lang", "zh-Hant"])
    assert result.exit_code == 0, result.output
    assert '<html lang="zh-Hant">' in report.read_text(encoding="utf-8")
    result = runner.invoke(main, ["report", str(hant), str(data), "-o", str(report), "--lang", "ja"])
    assert result.exit_code == 2 and "'ja' is not one of the survey's languages" in result.output
    book = tmp_path / "codebook.csv"
    out = tmp_path / "out.csv"
    result = runner.invoke(
        main, ["export", str(hant), str(data), "-o", str(out), "--lang", "zh-Hant", "--codebook", str(book)]
    )
    assert result.exit_code == 0, result.output
    assert "作答語言" in book.read_text(encoding="utf-8-sig")


def test_accept_language_picks_a_declared_third_language_by_language_and_script():
    from webform.i18n import negotiate

    assert negotiate("zh-TW,zh;q=0.9", ("zh", "en", "zh-Hant"), "zh") == "zh-Hant"
    assert negotiate("zh-HK", ("zh", "zh-Hant"), "zh") == "zh-Hant"
    assert negotiate("zh-CN,zh;q=0.9", ("zh", "en", "zh-Hant"), "en") == "zh"
    assert negotiate("zh-SG", ("zh-Hant", "en"), "en") == "zh-Hant"  # same language, the other script
    assert negotiate("ja-JP,en;q=0.5", ("zh", "en", "ja"), "zh") == "ja"
    assert negotiate("fr-CA,fr;q=0.9", ("zh", "en", "ja"), "zh") == "zh"  # nothing fits: the default
