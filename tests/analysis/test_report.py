"""The HTML report: sections the questionnaire implies, both languages, self-contained, inert, reproducible."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.report import data_sha256, write_report
from surveykit import load_questionnaire
from surveykit.cli import main
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"


class _Page(HTMLParser):
    """Collects section ids, tags, attributes and text of a report."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in ("section", "footer") and attributes.get("id"):
            self.sections.append(attributes["id"])

    def handle_data(self, data):
        self.text.append(data)


def _render(tmp_path, name: str, lang: str, n: int = 500, **sim) -> tuple[str, _Page]:
    q = load_questionnaire(ROOT / f"{name}.yaml")
    df = simulate(
        q,
        n,
        seed=3,
        careless=0.03,
        fields={q.fields[0].id: ["D1", "D2", "D3", "D4"]},
        waves=["2026Q1", "2026Q2"],
        **sim,
    )
    out = tmp_path / f"{name}-{lang}.html"
    write_report(q, df, out, lang=lang, seed=3)
    html = out.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return html, page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_servqual_report_sections(tmp_path, lang):
    html, page = _render(tmp_path, "servqual", lang)
    assert page.sections[0] == "priorities"
    for section in (
        "sample",
        "reliability",
        "servqual-sq",
        "loyalty",
        "segments",
        "waves",
        "methods",
        "reproducibility",
    ):
        assert section in page.sections, section
    assert ('<html lang="zh-Hans">' if lang == "zh" else '<html lang="en">') in html
    images = [a["src"] for tag, a in page.tags if tag == "img"]
    assert len(images) >= 6 and all(src.startswith("data:image/svg+xml;base64,") for src in images)
    svg = base64.b64decode(images[0].split(",", 1)[1]).decode("utf-8")
    assert svg.lstrip().startswith("<svg")
    text = "".join(page.text)
    assert ("改进重点" if lang == "zh" else "Improvement priorities") in text
    assert ("可靠性" if lang == "zh" else "Reliability") in text
    assert ("题数" if lang == "zh" else "Items") in text  # the reliability table's column, not dict.items
    assert "built-in method" not in html and " object at 0x" not in html  # no Python repr leaks into a page
    # the segment tests name the field by its label, not its id
    assert ("经销商: ANOVA" if lang == "zh" else "Dealer: ANOVA") in text and "dealer: ANOVA" not in text


@pytest.mark.parametrize(
    ("name", "sections"),
    [
        ("dealer_aftersales_csi", ["ipa-steps", "loyalty", "segments"]),
        ("kano_dealer", ["kano-features"]),
        ("customer_orientation_selftest", ["scoring"]),
        ("lost_customer", ["frequencies"]),
    ],
)
def test_sections_follow_the_questionnaire(tmp_path, name, sections):
    _, page = _render(tmp_path, name, "en", n=400)
    for section in sections:
        assert section in page.sections, (section, page.sections)
    assert "built-in method" not in "".join(page.text) and " object at 0x" not in "".join(page.text)
    assert "servqual-sq" not in page.sections or name == "servqual"


def test_no_external_references_and_no_script(tmp_path):
    html, page = _render(tmp_path, "dealer_aftersales_csi", "zh")
    for tag, attributes in page.tags:
        assert tag != "script"
        for key, value in attributes.items():
            assert not (key.startswith("on")), (tag, key)
            if key in ("src", "href") and value:
                assert value.startswith(("data:", "#")), value
    assert not re.search(r"https?://", html.replace("http://www.w3.org", ""))
    assert "Content-Security-Policy" in html


def test_same_inputs_same_report(tmp_path):
    first, _ = _render(tmp_path, "kano_dealer", "zh", n=300)
    second, _ = _render(tmp_path, "kano_dealer", "zh", n=300)
    assert first == second


def test_reproducibility_footer(tmp_path):
    q = load_questionnaire(ROOT / "sales_csi.yaml")
    df = simulate(q, 200, seed=1)
    out = tmp_path / "r.html"
    write_report(q, df, out, lang="en", filters="test filter", seed=7)
    html = out.read_text(encoding="utf-8")
    assert q.sha256 in html and data_sha256(df) in html and "test filter" in html
    assert data_sha256(df) != data_sha256(df.iloc[:-1])


def test_hostile_questionnaire_text_is_inert(tmp_path):
    text = (ROOT / "kano_dealer.yaml").read_text(encoding="utf-8")
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>{{7*7}}"
    assert "label: {zh: 代步车," in text
    text = text.replace("label: {zh: 代步车,", f'label: {{zh: "{payload}",')
    q = load_questionnaire(text)
    out = tmp_path / "x.html"
    write_report(q, simulate(q, 200, seed=2), out, lang="zh")
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html and "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{7*7}}" in html


def test_report_command_and_bad_language(tmp_path):
    data = tmp_path / "d.parquet"
    q = load_questionnaire(ROOT / "servqual.yaml")
    simulate(q, 150, seed=5).to_parquet(data, index=False)
    runner = CliRunner()
    result = runner.invoke(
        main, ["report", str(ROOT / "servqual.yaml"), str(data), "-o", str(tmp_path / "r.html"), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.html").read_text(encoding="utf-8").count("<section") >= 5
    neither = runner.invoke(main, ["report", str(ROOT / "servqual.yaml"), "-o", str(tmp_path / "r.html")])
    assert neither.exit_code == 2
    bad = runner.invoke(main, ["report", str(ROOT / "servqual.yaml"), str(data), "-o", "x.html", "--lang", "fr"])
    assert bad.exit_code == 2


@pytest.mark.browser
def test_pdf_of_the_same_content(tmp_path):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    q = load_questionnaire(ROOT / "kano_dealer.yaml")
    html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    write_report(q, simulate(q, 200, seed=1), html, lang="zh", pdf=pdf)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
