"""surveykit.source: every YAML file the project reads (questionnaire, margins, scenario) is read alike."""

from __future__ import annotations

import pytest

from surveykit import QuestionnaireError, load_questionnaire
from surveykit.scenario import load_scenario
from surveykit.source import is_path, read_source
from surveykit.weights import load_weights

SURVEY = """\
survey: s
version: 1
title: {zh: 调查, en: Survey}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}, values: {d1: {zh: 一, en: One}, d2: {zh: 二, en: Two}}}
scales:
  a5: {points: 5}
pages:
  - id: p1
    questions:
      - {id: sat_overall, type: likert, scale: a5, text: {zh: 满意, en: Satisfied}}
"""


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(SURVEY)


def test_a_path_or_a_yaml_file_name_is_a_file_and_other_text_is_yaml(tmp_path):
    assert is_path(tmp_path / "x.yaml") and is_path("margins.yml")
    assert not is_path("survey: s\nversion: 1\n") and not is_path("margins.txt") and not is_path(b"a.yaml")
    assert read_source("a: 1\n", max_bytes=100).root is not None
    with pytest.raises(TypeError):
        read_source(b"a.yaml", max_bytes=100, as_file=True)


@pytest.mark.parametrize("reader", ["margins", "scenario", "questionnaire"])
def test_a_bad_byte_is_reported_at_its_line_and_column_by_every_reader(reader, q, tmp_path):
    path = tmp_path / "side.yaml"
    path.write_bytes("# 第一行\nmargins:\n  - fields: [dealer]  # x".encode() + b"\xc1\n")
    load = {
        "margins": lambda: load_weights(path, q),
        "scenario": lambda: load_scenario(path, q),
        "questionnaire": lambda: load_questionnaire(path),
    }[reader]
    with pytest.raises(QuestionnaireError) as info:
        load()
    assert str(info.value) == f"{path}:3:26: the file is not valid UTF-8; save it as UTF-8"


def test_a_margins_file_is_always_a_file_whatever_its_name(q, tmp_path):
    path = tmp_path / "margins.txt"
    path.write_text("margins:\n  - fields: [dealer]\n    shares: {d1: 0.5, d2: 0.5}\n", encoding="utf-8")
    weighting = load_weights(str(path), q)
    assert [m.name for m in weighting.margins] == ["dealer"]
    with pytest.raises(QuestionnaireError, match=r"absent\.txt:1:1: cannot read the file"):
        load_weights(str(tmp_path / "absent.txt"), q)


def test_a_file_over_the_limit_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * 200 + b"\n")
    with pytest.raises(QuestionnaireError, match=r"big\.yaml:1:1: the file has 204 bytes; the limit is 100"):
        read_source(path, max_bytes=100)
