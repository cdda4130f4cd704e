"""The demo's planted effects: the shipped scenarios load, and the report's priorities find what they plant.

An end-to-end check of the analysis: responses simulated as ``surveykit demo`` simulates them
(the scenario's levels and effects, careless and missing answers included), at the demo's 400,
must come out of analyze() with the planted dealer below the funnel plot's 99.8 % limit and the
planted SERVQUAL dimension's items as the significant negative gaps, and with no other dealer
or dimension named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.analyze import analyze
from analysis.priorities import improvement_priorities
from surveykit import demo, load_questionnaire

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires"
SCENARIOS = sorted((SHIPPED / "scenarios").glob("demo_*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_demo_scenario_loads_for_its_survey(path):
    q = load_questionnaire(SHIPPED / f"{path.stem.removeprefix('demo_')}.yaml")
    scenario = demo.demo_scenario(q)
    assert scenario is not None and scenario.dealer is not None
    assert scenario.dealers == ("DE01", "DE02", "DE03", "DE04", "DE05") and scenario.waves == tuple(demo.WAVES)


def test_the_demo_report_priorities_name_the_planted_dealer_and_servqual_dimension():
    q = load_questionnaire(SHIPPED / "servqual.yaml")
    scenario = demo.demo_scenario(q)
    assert scenario is not None and scenario.dealer is not None and scenario.servqual_gap is not None
    result = analyze(q, demo.demo_responses(q, 400))  # surveykit demo's default -n
    priorities = improvement_priorities(q, result, lang="en")
    assert [p.subject for p in priorities if p.kind == "funnel"] == [scenario.dealer.dealer]
    gaps = [p for p in priorities if p.kind == "servqual"]
    assert gaps and {p.evidence["dimension"] for p in gaps} == {scenario.servqual_gap.dimension}
