"""analysis.priorities: each rule of the report's first section, when it fires and when it must not.

The analysis results are built by hand (only the fields the rules read), so every expected
severity is worked out in the comments from the rule in the module docstring; the questionnaire
is real, since labels come from it. Every scale has 7 points, so "scaled to the scale" divides by 6.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis.priorities import Priority, improvement_priorities
from surveykit import load_questionnaire

SURVEY = """\
survey: prio
version: 1
title: {en: Priorities, zh: 重点}
languages: [en, zh]
scales:
  agree7: {points: 7}
dimensions:
  reliability: {en: Reliability, zh: 可靠性}
pages:
  - type: servqual
    id: sq
    scale: agree7
    items:
      - {id: rel1, dimension: reliability, label: {en: On time, zh: 准时}, expectation: {en: E1, zh: 期望1},
         perception: {en: P1, zh: 感受1}}
      - {id: rel2, dimension: reliability, expectation: {en: E2, zh: 期望2},
         perception: {en: Kept the promise, zh: 守约}}
      - {id: rel3, dimension: reliability, expectation: {en: E3, zh: 期望3}, perception: {en: P3, zh: 感受3}}
      - {id: rel4, dimension: reliability, expectation: {en: E4, zh: 期望4}, perception: {en: P4, zh: 感受4}}
      - {id: rel5, dimension: reliability, expectation: {en: E5, zh: 期望5}, perception: {en: P5, zh: 感受5}}
      - {id: rel6, dimension: reliability, expectation: {en: E6, zh: 期望6}, perception: {en: P6, zh: 感受6}}
      - {id: rel7, dimension: reliability, expectation: {en: E7, zh: 期望7}, perception: {en: P7, zh: 感受7}}
      - {id: rel8, dimension: reliability, expectation: {en: E8, zh: 期望8}, perception: {en: P8, zh: 感受8}}
  - type: kano
    id: kano
    attributes:
      - {id: loaner, label: {en: Loaner car, zh: 代步车}, functional: {en: Offered, zh: 提供},
         dysfunctional: {en: Not offered, zh: 不提供}}
      - {id: wifi, functional: {en: Wi-Fi, zh: 无线网}, dysfunctional: {en: No Wi-Fi, zh: 没有无线网}}
      - {id: coffee, functional: {en: Coffee, zh: 咖啡}, dysfunctional: {en: No coffee, zh: 没有咖啡}}
  - type: importance_performance
    id: ipa
    scale: agree7
    items:
      - {id: speed, label: {en: Speed, zh: 速度}, importance: {en: I1, zh: 重要1}, performance: {en: P1, zh: 表现1}}
      - {id: price, importance: {en: I2, zh: 重要2}, performance: {en: Fair price, zh: 价格合理}}
      - {id: clean, importance: {en: I3, zh: 重要3}, performance: {en: P3, zh: 表现3}}
      - {id: wait, importance: {en: I4, zh: 重要4}, performance: {en: P4, zh: 表现4}}
"""


@pytest.fixture(scope="module")
def q(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("prio") / "prio.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    return load_questionnaire(path)


def _ipa(derived: dict[str, float] | None = None, penalty: pd.DataFrame | None = None) -> SimpleNamespace:
    # Crosshair (importance 5, performance 5).
    attributes = pd.DataFrame(
        {"mean_importance": [6.0, 5.0, 4.9, 6.5], "mean_performance": [4.0, 4.7, 3.0, 5.0]},
        index=pd.Index(["speed", "price", "clean", "wait"], name="attribute"),
    )
    return SimpleNamespace(
        grid=SimpleNamespace(crosshair=(5.0, 5.0), attributes=attributes),
        derived=None if derived is None else SimpleNamespace(pct=pd.Series(derived)),
        penalty_reward=None if penalty is None else SimpleNamespace(attributes=penalty),
    )


def _penalty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "penalty": [-0.9, -0.5, -0.6, 0.3, -0.45],
            "penalty_p": [0.01, 0.01, 0.2, 0.01, 0.03],
            "reward_p": [0.5, 0.01, 0.5, 0.5, np.nan],
            "n_low": [12, 30, 8, 9, 5],
        },
        index=["speed_p", "price_p", "clean_p", "wait_p", "not_in_the_grid_p"],
    )


def _servqual(means: list[float], p_holm: list[float]) -> SimpleNamespace:
    ids = [f"rel{i + 1}" for i in range(len(means))]
    items = pd.DataFrame(
        {
            "mean": means,
            "p_holm": p_holm,
            "ci_low": [m - 0.2 for m in means],
            "ci_high": [m + 0.2 for m in means],
            "mean_E_paired": [6.0] * len(means),
            "mean_P_paired": [6.0 + m for m in means],
            "dimension": ["reliability"] * len(means),
        },
        index=pd.Index(ids, name="item"),
    )
    return SimpleNamespace(items=items)


def _kano() -> SimpleNamespace:
    attributes = pd.DataFrame(
        {
            "dominant": ["M", "A", "M"],
            "worse": [-0.8, -0.1, -0.35],
            "better": [0.2, 0.7, 0.1],
            "pct_M": [55.0, 10.0, 40.0],
            "n_valid": [40, 40, 38],
        },
        index=pd.Index(["loaner", "wifi", "coffee"], name="attribute"),
    )
    return SimpleNamespace(attributes=attributes)


def _funnel() -> SimpleNamespace:
    units = pd.DataFrame(
        {"n": [20, 50, 30], "mean": [60.0, 70.0, 65.0], "lower_99_8": [62.0, 65.0, 65.0], "z": [-4.2, 1.0, -3.09]},
        index=pd.Index(["D1", "D2", "D3"], name="unit"),
    )
    return SimpleNamespace(funnel=SimpleNamespace(units=units))


def _result(**parts) -> SimpleNamespace:
    blocks = {"ipa": {}, "servqual": {}, "kano": {}, "satisfaction": None, "comments": {}}
    return SimpleNamespace(**(blocks | parts))


def _listed(priorities: list[Priority]) -> list[tuple[str, str, str]]:
    return [(p.kind, p.subject, p.label) for p in priorities]


def test_nothing_to_report_gives_an_empty_list(q):
    assert improvement_priorities(q, _result(), lang="en") == []


def test_ipa_concentrate_here(q):
    found = improvement_priorities(q, _result(ipa={"ipa": _ipa()}), lang="en")
    # speed: importance 6 >= 5, performance 4 < 5 -> (6 - 5 + 5 - 4) / 6; price sits on the importance
    # crosshair (at or above counts) -> (0 + 0.3) / 6. clean is less important (4.9 < 5) and wait
    # performs at the crosshair (5 is not below 5): neither is "concentrate here".
    assert _listed(found) == [("ipa", "speed", "Speed"), ("ipa", "price", "Fair price")]
    assert [p.severity for p in found] == pytest.approx([2 / 6, 0.3 / 6])
    assert found[0].evidence == {"importance": 6.0, "performance": 4.0, "crosshair_performance": 5.0}


def test_ipa_evidence_carries_the_derived_importance_when_there_is_one(q):
    found = improvement_priorities(q, _result(ipa={"ipa": _ipa(derived={"speed_p": 40.0})}), lang="en")
    assert found[0].evidence["derived_importance_pct"] == 40.0
    assert "derived_importance_pct" not in found[1].evidence  # price has no derived importance


def test_penalty_reward_basic_factor(q):
    found = improvement_priorities(q, _result(ipa={"ipa": _ipa(penalty=_penalty())}), lang="en")
    penalties = [p for p in found if p.kind == "penalty"]
    # speed: penalty -0.9 significant, reward not -> 0.9 / 6. price has a significant reward too (a
    # performance factor), clean's penalty is not significant (p .2), wait's "penalty" is positive,
    # and a penalty row without a grid attribute is never looked at.
    assert _listed(penalties) == [("penalty", "speed", "Speed")]
    assert penalties[0].severity == pytest.approx(0.9 / 6)
    assert penalties[0].evidence == {"penalty": -0.9, "penalty_p": 0.01, "n_low": 12}
    # ordered with the IPA rule's priorities by severity: 2/6 > 0.9/6 > 0.3/6
    assert [(p.kind, p.subject) for p in found] == [("ipa", "speed"), ("penalty", "speed"), ("ipa", "price")]


def test_penalty_without_a_reward_test_still_counts_as_basic(q):
    # A reward p that could not be computed (NaN: no high ratings) is not a significant reward.
    penalty = _penalty().rename(index={"not_in_the_grid_p": "wait_p", "wait_p": "unused_p"})
    found = improvement_priorities(q, _result(ipa={"ipa": _ipa(penalty=penalty)}), lang="en")
    assert [(p.subject, round(p.severity, 6)) for p in found if p.kind == "penalty"] == [
        ("speed", round(0.9 / 6, 6)),
        ("wait", round(0.45 / 6, 6)),
    ]


def test_servqual_significant_negative_gaps_at_most_five(q):
    means = [-1.2, -0.3, -0.9, 0.5, -0.6, -0.42, -0.48, -0.36]
    p_holm = [0.001, 0.04, 0.06, 0.001, 0.01, 0.01, 0.01, 0.01]
    found = improvement_priorities(q, _result(servqual={"sq": _servqual(means, p_holm)}), lang="en")
    # significant and negative: rel1 1.2/6, rel5 .6/6, rel7 .48/6, rel6 .42/6, rel8 .36/6, rel2 .3/6;
    # rel3 is not significant after Holm (.06), rel4 is a positive gap. Only the five largest stay.
    assert [p.subject for p in found] == ["rel1", "rel5", "rel7", "rel6", "rel8"]
    assert [p.severity for p in found] == pytest.approx([0.2, 0.1, 0.08, 0.07, 0.06])
    assert found[0].label == "On time"  # the item's label
    assert found[0].evidence == {
        "gap": -1.2,
        "ci_low": pytest.approx(-1.4),
        "ci_high": pytest.approx(-1.0),
        "mean_E": 6.0,
        "mean_P": pytest.approx(4.8),
        "dimension": "reliability",
        "p_holm": 0.001,
    }


def test_servqual_label_falls_back_to_the_perception_text(q):
    found = improvement_priorities(q, _result(servqual={"sq": _servqual([-0.1, -0.3], [0.5, 0.01])}), lang="zh")
    assert _listed(found) == [("servqual", "rel2", "守约")]


def test_kano_must_be(q):
    found = improvement_priorities(q, _result(kano={"kano": _kano()}), lang="en")
    # dominant M: loaner |Worse| .8, coffee .35; wifi is attractive (A) and never a priority.
    assert _listed(found) == [("kano", "loaner", "Loaner car"), ("kano", "coffee", "No coffee")]
    assert [p.severity for p in found] == pytest.approx([0.8, 0.35])
    assert found[1].evidence == {"pct_M": 40.0, "worse": -0.35, "better": 0.1, "n": 38}


def test_funnel_outlier_below_the_99_8_limit(q):
    found = improvement_priorities(q, _result(satisfaction=_funnel()), lang="en")
    # D1 60 < 62: |z| / 10 = .42. D2 is above its limit and D3 sits exactly on it (not below).
    assert _listed(found) == [("funnel", "D1", "D1")]
    assert found[0].severity == pytest.approx(0.42)
    assert found[0].evidence == {"index": 60.0, "n": 20, "lower_99_8": 62.0, "z": -4.2}


def test_no_funnel_without_segments(q):
    result = _result(satisfaction=SimpleNamespace(funnel=None), kano={"kano": _kano()})
    assert {p.kind for p in improvement_priorities(q, result, lang="en")} == {"kano"}


def test_all_rules_together_most_severe_first_and_limited(q):
    result = _result(
        ipa={"ipa": _ipa(penalty=_penalty())},
        kano={"kano": _kano()},
        satisfaction=_funnel(),
        servqual={
            "sq": _servqual(
                [-1.2, -0.3, -0.9, 0.5, -0.6, -0.42, -0.48, -0.36], [0.001, 0.04, 0.06, 0.001, 0.01, 0.01, 0.01, 0.01]
            )
        },
    )
    everything = [
        ("kano", "loaner"),
        ("funnel", "D1"),
        ("kano", "coffee"),
        ("ipa", "speed"),
        ("servqual", "rel1"),
        ("penalty", "speed"),
        ("servqual", "rel5"),
        ("servqual", "rel7"),
        ("servqual", "rel6"),
        ("servqual", "rel8"),
        ("ipa", "price"),
    ]
    # severities .8, .42, .35, .333, .2, .15, .1, .08, .07, .06, .05
    assert [(p.kind, p.subject) for p in improvement_priorities(q, result, lang="en", limit=20)] == everything
    assert [(p.kind, p.subject) for p in improvement_priorities(q, result, lang="en")] == everything[:8]
    assert [(p.kind, p.subject) for p in improvement_priorities(q, result, lang="en", limit=3)] == everything[:3]
