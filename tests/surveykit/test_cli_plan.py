"""``surveykit plan size | power``: the command line over analysis.planning."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from click.testing import CliRunner

from surveykit.cli import main

INSTRUMENT = """\
survey: plan
version: 1
title: {zh: 规划, en: Plan}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
scales:
  a5: {points: 5}
  a7: {points: 7}
dimensions:
  emp: {zh: 移情性, en: Empathy}
pages:
  - id: p1
    questions:
      - {id: sat_overall, type: likert, scale: a5, text: {zh: a, en: b}}
  - type: servqual
    id: sq
    scale: a7
    items:
      - {id: e1, dimension: emp, expectation: {zh: a, en: b}, perception: {zh: a, en: b}}
"""

SCENARIO = """\
dealers: [D1, D2, D3]
waves: [W1, W2]
effects:
  dealer: {dealer: D2, index: -10}
  change: {index: 5}
  servqual_gap: {dimension: emp, gap: -0.4}
"""


@pytest.fixture
def files(tmp_path):
    q, s = tmp_path / "q.yaml", tmp_path / "s.yaml"
    q.write_text(INSTRUMENT, encoding="utf-8")
    s.write_text(SCENARIO, encoding="utf-8")
    return q, s


def run(*args: str):
    return CliRunner().invoke(main, ["plan", *args])


def test_size_of_a_proportion():
    # 1.96^2 * 0.25 / 0.05^2 = 384.16 -> 385
    result = run("size", "--measure", "top2", "--margin", "0.05")
    assert result.exit_code == 0, result.output
    assert "n =    385" in result.output and "top-2-box share" in result.output


def test_size_per_dealer_as_json():
    result = run(
        "size",
        "--measure",
        "nps",
        "--margin",
        "10",
        "--promoters",
        "0.5",
        "--detractors",
        "0.2",
        "--dealer",
        "D1=500",
        "--dealer",
        "D2=2000",
        "--json",
    )
    assert result.exit_code == 0, result.output
    rows = {r["unit"]: r for r in json.loads(result.output)}
    assert set(rows) == {"D1", "D2", "total", "network"}
    n0 = 1.959963984540054**2 * (100**2 * (0.7 - 0.3**2)) / 10**2  # Rocks (2016) variance
    assert rows["D1"]["n"] == math.ceil(n0 / (1 + n0 / 500))
    assert rows["total"]["n"] == rows["D1"]["n"] + rows["D2"]["n"]


def test_size_from_a_pilot_and_the_inverse(tmp_path):
    pilot = tmp_path / "pilot.csv"
    pd.DataFrame({"sat": [3, 4, 5, 4, 2, 5, 4]}).to_csv(pilot, index=False)
    result = run(
        "size",
        "--measure",
        "index",
        "--pilot",
        str(pilot),
        "--column",
        "sat",
        "--scale",
        "1,5",
        "--margin",
        "5",
        "--deff",
        "1.5",
    )
    assert result.exit_code == 0, result.output
    assert "design effect 1.5" in result.output
    inverse = run("size", "--measure", "mean", "--sd", "1.2", "--n", "100")
    # 1.96 * 1.2 / 10 = 0.2352
    assert inverse.exit_code == 0 and "within ±0.2352" in inverse.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["size", "--measure", "top2"], 2, "give --margin"),
        (["size", "--margin", "0.1", "--n", "10", "--measure", "top2"], 2, "not both"),
        (["size", "--measure", "mean", "--margin", "0.1"], 2, "needs the SD"),
        (["size", "--measure", "nps", "--margin", "5", "--promoters", "0.8", "--detractors", "0.3"], 2, "more than 1"),
        (["size", "--measure", "top2", "--margin", "0.1", "--dealer", "D1"], 2, "DEALER=POPULATION"),
        (["size", "--measure", "top2", "--n", "100", "--population", "50"], 2, "exceeds the population"),
    ],
)
def test_size_usage_errors(args, code, message):
    result = run(*args)
    assert result.exit_code == code and message in result.output


def test_power_with_a_grid_and_a_chart(files, tmp_path):
    q, s = files
    chart = tmp_path / "power.svg"
    result = run(
        "power",
        str(q),
        "--scenario",
        str(s),
        "--reps",
        "40",
        "--n-grid",
        "20,60",
        "--seed",
        "3",
        "--chart",
        str(chart),
        "--json",
    )
    assert result.exit_code == 0, result.output
    body, _, tail = result.output.rpartition("]")
    rows = json.loads(body + "]")
    assert {(r["effect"], r["n_per_dealer"]) for r in rows} == {
        (e, n) for e in ("dealer", "change", "servqual_gap") for n in (20, 60)
    }
    assert "wrote the power curve" in tail and chart.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_power_summary_and_the_loop_agree(files):
    q, s = files
    fast = run("power", str(q), "--scenario", str(s), "--reps", "20", "--n-per-dealer", "40")
    slow = run("power", str(q), "--scenario", str(s), "--reps", "20", "--n-per-dealer", "40", "--loop")
    assert fast.exit_code == 0 and slow.exit_code == 0, fast.output + slow.output
    assert "Power by simulation: 20 replicates" in fast.output

    def powers(text: str) -> list[str]:
        return [line.split("power")[1] for line in text.splitlines() if "n/dealer" in line]

    assert powers(fast.output) == powers(slow.output)


def test_power_bad_scenario_is_reported_at_its_line(files, tmp_path):
    q, _ = files
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.replace("dealer: D2", "dealer: D7"), encoding="utf-8")
    result = run("power", str(q), "--scenario", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:4:20: effects.dealer.dealer: 'D7' is not one of the dealers" in result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--n-per-dealer", "41"], 1, "multiple of the 2 wave"),
        (["--n-grid", "20,x"], 2, "whole numbers"),
        (["--chart", "power.pdf"], 2, ".svg or .png"),
    ],
)
def test_power_usage_errors(files, args, code, message):
    q, s = files
    result = run("power", str(q), "--scenario", str(s), "--reps", "5", *args)
    assert result.exit_code == code and message in result.output


def test_a_scenario_without_effects(files, tmp_path):
    q, _ = files
    empty = tmp_path / "empty.yaml"
    empty.write_text("level: 70\neffects: {}\n", encoding="utf-8")
    result = run("power", str(q), "--scenario", str(empty), "--reps", "5")
    assert result.exit_code == 1 and "plants no effect" in result.output
