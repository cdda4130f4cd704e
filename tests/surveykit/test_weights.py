"""The weighting: section and --weights files: read into the model, every problem at its file:line:column."""

from __future__ import annotations

import pytest

from surveykit import QuestionnaireError, load_questionnaire
from surveykit.model import Weighting, WeightingDesign, WeightingMargin
from surveykit.weights import load_weights

HEAD = """\
survey: demo
version: 1
title: {zh: 演示, en: Demo}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  region:
    label: {zh: 区域, en: Region}
    values:
      north: {zh: 北, en: North}
      south: {zh: 南, en: South}
scales: {a5: {points: 5}}
description: {zh: 说明, en: About}
pages:
  - id: p1
    questions:
      - {id: visit, type: choice, text: {zh: 目的, en: Purpose},
         options: {repair: {zh: 维修, en: Repair}, service: {zh: 保养, en: Service}}}
      - {id: sat, type: likert, scale: a5, text: {zh: 满意, en: Satisfied}}
"""  # 19 lines; weighting: starts on line 20


def load(weighting: str):
    return load_questionnaire(HEAD + weighting)


def problems(weighting: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as info:
        load(weighting)
    return [str(p) for p in info.value.problems]


def test_a_full_section_is_read_into_the_model():
    q = load("""\
weighting:
  method: raking
  population_total: 1000
  trim: {upper: 4, lower: 0.25, strict: true}
  tolerance: 1.0e-9
  max_iterations: 50
  margins:
    - fields: [dealer]
      counts: {d1: 600, d2: 400}
    - name: region_visit
      fields: [region, visit]
      cells:
        - {values: [north, repair], share: 0.3}
        - {values: [north, service], share: 0.2}
        - {values: [south, repair], share: 0.1}
        - {values: [south, service], share: 0.4}
""")
    assert q.weighting == Weighting(
        method="raking",
        margins=(
            WeightingMargin("dealer", ("dealer",), ((("d1",), 600.0), (("d2",), 400.0)), False),
            WeightingMargin(
                "region_visit",
                ("region", "visit"),
                (
                    (("north", "repair"), 0.3),
                    (("north", "service"), 0.2),
                    (("south", "repair"), 0.1),
                    (("south", "service"), 0.4),
                ),
                True,
            ),
        ),
        population_total=1000.0,
        trim_upper=4.0,
        trim_lower=0.25,
        trim_strict=True,
        tolerance=1e-9,
        max_iterations=50,
        source="<string>",
    )


def test_defaults_and_no_section():
    assert load("").weighting is None
    w = load("weighting:\n  margins:\n    - {fields: [region], shares: {north: 0.5, south: 0.5}}\n").weighting
    assert (w.method, w.population_total, w.trim_upper, w.tolerance, w.max_iterations) == (
        "raking",
        None,
        None,
        1e-10,
        1000,
    )


def test_unknown_keys_get_a_suggestion_at_their_position():
    found = problems("""\
weighting:
  methd: raking
  margins:
    - fields: [dealer]
      count: {d1: 1}
""")
    assert found[0].startswith("<string>:21:3: weighting.methd: unknown key 'methd'; did you mean 'method'?")
    assert found[2].startswith("<string>:24:7: weighting.margins[0].count: unknown key 'count'; did you mean 'counts'?")


def test_unknown_field_and_undeclared_value_are_placed_with_did_you_mean():
    found = problems("""\
weighting:
  margins:
    - fields: [delaer]
      counts: {d1: 1}
    - fields: [region]
      shares: {north: 0.5, sooth: 0.5}
""")
    assert found == [
        "<string>:22:16: weighting.margins[0].fields: 'delaer' is no segment field or choice question; "
        "did you mean 'dealer'? (weightable: 'dealer', 'region', 'visit')",
        "<string>:25:28: weighting.margins[1].shares.sooth: 'sooth' is not a value of 'region'; "
        "did you mean 'south'? (values: 'north', 'south')",
    ]


def test_shares_duplicates_and_totals():
    found = problems("""\
weighting:
  population_total: 500
  margins:
    - fields: [region]
      shares: {north: 0.5, south: 0.4}
    - fields: [region, visit]
      cells:
        - {values: [north, repair], count: 250}
        - {values: [north, repair], count: 250}
    - fields: [dealer]
      counts: {d1: 300, d2: 300}
""")
    assert found == [
        "<string>:24:15: weighting.margins[0].shares: the shares sum to 0.9, not 1",
        "<string>:28:11: weighting.margins[1].cells[1]: the cell north × repair is given twice",
        "<string>:29:7: weighting.margins[2]: the counts sum to 600 but population_total to 500; every margin "
        "describes the same population (give shares to weight to proportions only)",
    ]


def test_shape_rules():
    found = problems("""\
weighting:
  method: poststratification
  trim: {upper: 1, lower: 2}
  margins:
    - fields: [region, visit]
      counts: {north: 1}
    - fields: [region]
      counts: {north: 1}
      shares: {north: 1}
    - fields: [region, visit]
      cells:
        - {values: [north], count: 1}
        - {values: [south, repair], count: 1, share: 1}
""")
    assert found == [
        "<string>:22:27: weighting.trim.lower: lower (2) must be below upper (1)",
        "<string>:25:15: weighting.margins[0].counts: counts: maps the values of one field; cross fields with cells:",
        "<string>:26:7: weighting.margins[1]: give exactly one of counts:, shares: or cells:",
        "<string>:31:20: weighting.margins[2].cells[0].values: give one value for each of the fields "
        "['region', 'visit']",
        "<string>:32:11: weighting.margins[2].cells[1]: give exactly one of count: or share:",
    ]


MARGINS = """\
method: poststratification
margins:
  - fields: [region, visit]
    cells:
      - {values: [north, repair], share: 0.25}
      - {values: [north, service], share: 0.25}
      - {values: [south, repair], share: 0.25}
      - {values: [south, service], share: 0.25}
"""


def test_a_margins_file_is_read_like_the_section(tmp_path):
    q = load("")
    path = tmp_path / "margins.yaml"
    path.write_text(MARGINS, encoding="utf-8")
    w = load_weights(path, q)
    assert (w.method, w.source, len(w.margins[0].cells), w.margins[0].shares) == (
        "poststratification",
        str(path),
        4,
        True,
    )
    path.write_text(MARGINS.replace("method:", "methods:").replace("north, service", "north, servise"), "utf-8")
    with pytest.raises(QuestionnaireError) as info:
        load_weights(path, q)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:1:1: weighting.methods: unknown key 'methods'; did you mean 'method'? "
        "(allowed: method, margins, population_total, trim, tolerance, max_iterations, design)",
        f"{path}:6:9: weighting.margins[0].cells[1]: 'servise' is not a value of 'visit'; did you mean 'service'? "
        "(values: 'repair', 'service')",
    ]
    path.write_text("margins: [\n", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=r"margins.yaml:2:1"):
        load_weights(path, q)


def test_a_design_is_read_into_the_model():
    w = load("""\
weighting:
  design: {ids: dealer, strata: region, weights: dealer, fpc: dealer}
  margins:
    - {fields: [visit], shares: {repair: 0.5, service: 0.5}}
""").weighting
    assert w.design == WeightingDesign(ids="dealer", weights="dealer", strata="region", fpc="dealer")
    assert load("weighting:\n  design: {strata: wave}\n  margins:\n    - {fields: [region], shares: {north: 1}}\n")
    assert load(MARGINS_SECTION).weighting.design == WeightingDesign()


MARGINS_SECTION = "weighting:\n  margins:\n    - {fields: [region], shares: {north: 0.5, south: 0.5}}\n"


def test_design_problems_are_placed():
    found = problems("""\
weighting:
  design:
    ids: delaer
    weights: visit
    strata: started_at
    fpc: dealer
  margins:
    - {fields: [region], shares: {north: 0.5, south: 0.5}}
""")
    assert found == [
        "<string>:22:10: weighting.design.ids: 'delaer' is no segment field, choice question or metadata column; "
        "did you mean 'dealer'? (possible: 'survey', 'version', 'wave', 'language', 'dealer', 'region', 'visit')",
        "<string>:23:14: weighting.design.weights: 'visit' is not a segment field or number question",
        "<string>:24:13: weighting.design.strata: 'started_at' is no segment field, choice question or metadata "
        "column (possible: 'survey', 'version', 'wave', 'language', 'dealer', 'region', 'visit')",
    ]
    found = problems("""\
weighting:
  design: {fpc: dealer, strata: region}
  margins:
    - {fields: [region], shares: {north: 0.5, south: 0.5}}
""")
    assert found == [
        "<string>:21:17: weighting.design.fpc: fpc: counts the sampled units (PSUs) of the population; name them "
        "with ids: (e.g. ids: dealer)"
    ]
    found = problems("""\
weighting:
  design: {ids: region, strata: region, wieghts: dealer}
  margins:
    - {fields: [region], shares: {north: 0.5, south: 0.5}}
""")
    assert found[0] == "<string>:21:33: weighting.design.strata: ids: and strata: both name 'region'"
    assert found[1].startswith(
        "<string>:21:41: weighting.design.wieghts: unknown key 'wieghts'; did you mean 'weights'?"
    )


def test_a_margins_file_takes_a_design(tmp_path):
    path = tmp_path / "margins.yaml"
    path.write_text(MARGINS + "design:\n  ids: dealer\n  fpc: visit\n", encoding="utf-8")
    with pytest.raises(QuestionnaireError) as info:
        load_weights(path, load(""))
    assert [str(p) for p in info.value.problems] == [
        f"{path}:11:8: weighting.design.fpc: 'visit' is not a segment field or number question"
    ]
    path.write_text(MARGINS + "design:\n  ids: dealer\n", encoding="utf-8")
    assert load_weights(path, load("")).design == WeightingDesign(ids="dealer")


def test_margin_cells_name_values_as_the_data_hold_them():
    """Dealer codes are whatever the invitations carry (the demo's DE01): a margin names them as they are."""
    spec = load(
        "weighting:\n"
        "  margins:\n"
        "    - fields: [dealer]\n"
        "      shares: {DE01: 0.6, 'DE-02': 0.4}\n"
        "    - fields: [dealer, visit]\n"
        "      cells:\n"
        "        - {values: [DE01, repair], share: 0.5}\n"
        "        - {values: ['DE-02', service], share: 0.5}\n"
    ).weighting
    assert spec.margins[0].cells == ((("DE01",), 0.6), (("DE-02",), 0.4))
    assert spec.margins[1].cells[1][0] == ("DE-02", "service")
    # a declared field still refuses a value it does not declare, whatever its case
    assert any(
        "'North' is not a value of 'region'" in p
        for p in problems("weighting:\n  margins:\n    - fields: [region]\n      shares: {North: 1.0}\n")
    )
