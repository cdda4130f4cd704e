"""surveykit.terms: one word per domain concept in each language, used by every catalogue and in the report."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib.text import Text as MplText

from analysis import plots, report_text
from analysis.analyze import analyze
from analysis.plots import text as chart_text
from analysis.report import render_report
from surveykit import cases, load_questionnaire
from surveykit.simulate import simulate
from surveykit.terms import LANGUAGES, TERMS, term
from webform import i18n

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"


@pytest.mark.parametrize("concept", sorted(TERMS))
def test_every_term_has_every_language(concept):
    text = TERMS[concept]
    assert text.languages == LANGUAGES
    for lang in LANGUAGES:
        word = term(concept, lang)
        assert word.strip() == word and word, (concept, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_two_concepts_share_a_word(lang):
    words = [term(c, lang) for c in TERMS]
    assert sorted({w for w in words if words.count(w) > 1}) == []


def test_unknown_concept_or_language_is_refused():
    with pytest.raises(KeyError, match="no term 'pasives'"):
        term("pasives", "zh")
    with pytest.raises(ValueError, match="lang must be one of zh, en"):
        term("passives", "fr")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("name", "catalogue", "keys"),
    [
        ("report", report_text.WORDS, report_text._TERM_KEYS),
        ("charts", chart_text._TEXT, chart_text._TERM_KEYS),
        ("web form", i18n.MESSAGES, i18n._TERM_KEYS),
    ],
)
def test_catalogues_take_domain_terms_from_the_vocabulary(name, catalogue, keys, lang):
    # A catalogue's own entry under the same key would silently win over the term: none may exist.
    assert {key: catalogue[lang][key] for key in keys} == {key: term(c, lang) for key, c in keys.items()}, name


def test_case_labels_are_the_vocabulary():
    assert {s: t.as_dict() for s, t in cases.STATE_LABELS.items()} == {
        s: TERMS[f"state_{s}"].as_dict() for s in cases.STATES
    }
    assert cases.ROLE_WORDS["perception"] is TERMS["perception"]
    assert cases.ROLE_WORDS["self_importance"] is cases.ROLE_WORDS["importance"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_named_quadrants_and_kano_categories_are_the_vocabulary(lang):
    assert plots.quadrant_name("Concentrate here", lang) == term("ipa_concentrate", lang)
    assert [plots.kano_category_name(c, lang) for c in "AOMIRQ"] == [term(f"kano_{c}", lang) for c in "AOMIRQ"]


def test_shipped_servqual_dimensions_use_the_generic_names():
    q = load_questionnaire(ROOT / "servqual.yaml")
    for did in ("tangibles", "reliability", "responsiveness", "assurance", "empathy"):
        assert q.dimension(did).label.as_dict() == TERMS[did].as_dict(), did


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        self.parts += [v for k, v in attrs if k in ("alt", "aria-label") and v]


def _report_and_chart_texts(monkeypatch, name: str, lang: str) -> tuple[str, str]:
    """The visible text of a report on simulated answers, and every text drawn in its charts."""
    drawn: list[str] = []
    to_svg = plots.to_svg

    def recording(fig):
        drawn.extend(t.get_text() for t in fig.findobj(MplText))
        return to_svg(fig)

    monkeypatch.setattr(plots, "to_svg", recording)
    q = load_questionnaire(ROOT / f"{name}.yaml")
    df = simulate(q, 200, seed=5, fields={q.fields[0].id: ["D1", "D2", "D3"]}, waves=["2026Q1", "2026Q2"])
    html, _ = render_report(q, analyze(q, df), lang=lang)
    page = _Text()
    page.feed(html)
    return "\n".join(page.parts), "\n".join(drawn)


# (questionnaire, language, [(the one word, the variants the catalogues used to disagree with)])
VARIANTS = [
    ("servqual", "zh", [("中立者", ["被动者"]), ("满意度–忠诚度矩阵", ["满意–忠诚矩阵"]), ("轮次", ["调查期"])]),
    ("servqual", "en", [("Passives", []), ("Satisfaction–loyalty matrix", []), ("Net Promoter Score", [])]),
    ("dealer_aftersales_csi", "zh", [("重要性–表现分析", ["重要性–绩效分析", "绩效"]), ("中立者", ["被动者"])]),
    ("kano_dealer", "zh", [("必要属性", ["必备属性", "必备需求"]), ("一维属性", ["期望属性"])]),
]


@pytest.mark.parametrize(("name", "lang", "words"), VARIANTS, ids=[f"{n}-{lang}" for n, lang, _ in VARIANTS])
def test_report_and_its_charts_use_one_word_per_concept(monkeypatch, name, lang, words):
    page, charts = _report_and_chart_texts(monkeypatch, name, lang)
    assert charts, "no chart was drawn"
    for word, variants in words:
        assert word in page and word in charts, word
        for variant in variants:
            assert variant not in page and variant not in charts, variant
