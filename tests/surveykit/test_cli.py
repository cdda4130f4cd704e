"""The command line: exit codes, machine-readable errors, the outline, simulation to files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from surveykit.cli import main

GOOD = """\
survey: cli
version: 1
title: {zh: 命令行, en: CLI}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
scales:
  a5: {points: 5}
pages:
  - id: p1
    title: {zh: 第一页, en: First}
    questions:
      - {id: sat, type: likert, scale: a5, text: {zh: 满意吗, en: Satisfied?}}
      - {id: rec, type: nps, text: {zh: 推荐吗, en: Recommend?}}
      - {id: why, type: text, required: false, visible_if: sat <= 2, text: {zh: 为什么, en: Why?}}
"""


def _files(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("scale: a5,", "scale: a9,"), encoding="utf-8")
    return good, bad


def test_validate_exit_codes(tmp_path):
    good, bad = _files(tmp_path)
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", str(good)])
    assert ok.exit_code == 0 and "ok (cli)" in ok.output
    failed = runner.invoke(main, ["validate", str(good), str(bad)])
    assert failed.exit_code == 1
    assert f"{bad}:13:" in failed.output and "scale 'a9' is not defined" in failed.output
    usage = runner.invoke(main, ["validate"])
    assert usage.exit_code == 2


def test_validate_json(tmp_path):
    good, bad = _files(tmp_path)
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(good), str(bad)])
    report = json.loads(result.output)
    assert [r["valid"] for r in report] == [True, False]
    problem = report[1]["problems"][0]
    assert problem["line"] == 13 and problem["key"] == "pages[0].questions[0].scale"


def test_info_outline(tmp_path):
    good, _ = _files(tmp_path)
    result = CliRunner().invoke(main, ["info", str(good), "--lang", "en"])
    assert result.exit_code == 0
    assert "CLI  [cli v1]" in result.output
    assert "page 1/1: p1  First" in result.output
    assert "[if sat <= 2]" in result.output
    assert "3 answer variables" in result.output and "estimated completion time" in result.output


def test_info_on_a_missing_file_is_a_clean_error(tmp_path):
    result = CliRunner().invoke(main, ["info", str(tmp_path / "none.yaml")])
    assert result.exit_code == 1 and "cannot read the file" in result.output


def test_simulate_to_csv_and_parquet(tmp_path):
    good, _ = _files(tmp_path)
    runner = CliRunner()
    for name in ("out.csv", "out.parquet"):
        out = tmp_path / name
        result = runner.invoke(
            main,
            [
                "simulate",
                str(good),
                "-n",
                "40",
                "--seed",
                "2",
                "--field",
                "dealer=A,B",
                "--waves",
                "w1,w2",
                "--careless",
                "0.1",
                "-o",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        df = pd.read_csv(out) if name.endswith(".csv") else pd.read_parquet(out)
        assert len(df) == 40 and set(df["dealer"]) <= {"A", "B"} and set(df["wave"]) == {"w1", "w2"}
    bad = runner.invoke(main, ["simulate", str(good), "--field", "branch=x"])
    assert bad.exit_code == 2 and "unknown segment field" in bad.output


def test_simulate_with_a_scenario_plants_its_effect(tmp_path):
    good, _ = _files(tmp_path)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "level: 60\ndealers: [A, B, C]\nwaves: [w1, w2]\neffects:\n  dealer: {dealer: C, index: -30}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["simulate", str(good), "-n", "600", "--scenario", str(scenario), "-o", str(out)])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out)
    assert set(df["dealer"]) == {"A", "B", "C"} and set(df["wave"]) == {"w1", "w2"}
    means = df.groupby("dealer")["sat"].mean()
    assert means["C"] < min(means["A"], means["B"]) - 0.8  # 30 index points are 1.2 points on a 5-point scale
    scenario.write_text("effects:\n  dealer: {dealer: Z, index: -5}\n", encoding="utf-8")
    bad = CliRunner().invoke(main, ["simulate", str(good), "--scenario", str(scenario)])
    assert bad.exit_code == 1 and f"{scenario}:2:" in bad.output


def test_schema_command(tmp_path):
    out = tmp_path / "s.json"
    result = CliRunner().invoke(main, ["schema", "-o", str(out)])
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["$schema"].endswith("2020-12/schema")


def test_demo_prepares_surveys_reports_and_a_login(tmp_path):
    from surveykit import storage
    from surveykit.loader import load_questionnaire

    runner = CliRunner()
    result = runner.invoke(main, ["demo", "--dir", str(tmp_path), "-n", "30", "--no-serve"])
    assert result.exit_code == 0, result.output
    reports = sorted(p.name for p in tmp_path.glob("report-*.html"))
    shipped = list((Path(__file__).resolve().parents[2] / "questionnaires").glob("*.yaml"))
    assert len(reports) == len(shipped) >= 6 and "report-servqual.html" in reports
    assert "admin login: demo / " in result.output
    password = (tmp_path / "admin-password.txt").read_text(encoding="utf-8").strip()
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    assert storage.verify_login(engine, "demo", password) is not None
    from surveykit import org

    manager = storage.verify_login(engine, "demo-north", password)  # the demo's regional manager
    assert org.scope_units(engine, manager) == {"R-N", "DE01", "DE02"}
    assert org.load_tree(engine).name("DE03", "zh") == "上海宏远汽车"  # the demo organisation is loaded
    q = load_questionnaire(Path(__file__).resolve().parents[2] / "questionnaires" / "servqual.yaml")
    assert len(storage.responses_frame(engine, q)) == 30
    again = runner.invoke(main, ["demo", "--dir", str(tmp_path), "-n", "30", "--no-serve"])
    assert again.exit_code == 0 and "0 new simulated responses stored (30 in all)" in again.output


def test_help_lists_every_command_once_under_its_section():
    text = CliRunner().invoke(main, ["--help"]).output
    sections = text.split("\n\n")
    listed = {}
    for title, names in [
        ("Questionnaire", ["validate", "info", "schema"]),
        ("Data", ["simulate", "analyze", "export", "audit-log", "report"]),
        ("Store", ["serve", "invite", "unit-links", "admin", "notify", "demo"]),
        ("Cases", ["cases"]),
        ("Planning", ["plan"]),
        ("Organisation", ["org"]),
        ("Writing", ["translate", "preview", "print"]),
        ("Comments", ["text"]),
        ("Authoring", ["xlsform"]),
        ("Dashboard", ["aggregates"]),
        ("Fielding", ["worker"]),
        ("Contacts and rates", ["erase", "rates"]),
        ("Audits", ["audit", "evidence"]),
    ]:
        (block,) = [s for s in sections if s.startswith(f"{title} commands:")]
        listed[title] = [line.split()[0] for line in block.splitlines()[1:]]
        assert listed[title] == names
    assert sorted(name for names in listed.values() for name in names) == sorted(main.commands)
