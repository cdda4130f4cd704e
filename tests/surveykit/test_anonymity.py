"""surveykit.anonymity: primary and complementary suppression, the masked respondent table, the CLI export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from surveykit import anonymity, load_questionnaire
from surveykit.cli import main

ES = "questionnaires/employee_satisfaction.yaml"


@pytest.mark.parametrize(
    ("cells", "always", "hidden"),
    [
        ({"a": 3, "b": 6, "c": 9}, [], {"a", "b"}),  # 3 alone would be total - b - c
        ({"a": 3, "b": 6}, [], {"a", "b"}),
        ({"a": 6, "b": 7}, [], set()),
        ({"a": 1, "b": 1, "c": 1, "d": 2, "e": 50}, [], {"a", "b", "c", "d"}),  # the small ones pool to 5
        ({"a": 3, "b": 0, "c": 8}, [], {"a", "c"}),  # an empty cell hides nobody
        ({"a": 6, "b": 8, "rest": 2}, ["rest"], {"rest", "a"}),  # responses no child holds count too
        ({"a": 6, "b": 8, "rest": 0}, ["rest"], {"rest"}),
        ({"a": 2}, [], {"a"}),  # nothing to pool with: the total is the unit's, and also below min_n
    ],
)
def test_hidden_cells(cells: dict[str, int], always: list[str], hidden: set[str]) -> None:
    got = anonymity.hidden_cells(cells, 5, always)
    assert got == hidden
    pooled = sum(cells[k] for k in got)
    assert pooled == 0 or pooled >= 5 or got == set(cells)


def test_mask_units_keeps_every_row_and_no_small_unit() -> None:
    q = load_questionnaire(ES)
    dealers = ["D3"] * 3 + ["D6"] * 6 + ["D9"] * 9
    departments = ["sales"] * 3 + ["sales"] * 6 + ["sales"] * 5 + ["support"] * 4
    df = pd.DataFrame(
        {
            "dealer": dealers,
            "department": departments,
            "submitted_at": pd.to_datetime(["2026-12-01 14:03:11"] * 18),
            "x": range(18),
        }
    )
    out = anonymity.mask_units(q, df, 5)
    assert len(out) == 18 and out["x"].tolist() == list(range(18))
    # D3 is below 5, D6 goes with it; D9 stays, but its 4 in support pool with its 5 in sales
    assert out["dealer"].isna().sum() == 9 and set(out["dealer"].dropna()) == {"D9"}
    assert out["department"].isna().all()
    # every unit and dealer x department shown holds at least 5 rows
    shown = out.dropna(subset=["dealer"]).groupby("dealer").size()
    assert (shown >= 5).all()
    assert (out["submitted_at"] == pd.Timestamp("2026-12-01")).all()
    assert df["dealer"].iloc[0] == "D3"  # the input is not changed


def test_cli_export_of_an_anonymous_survey(tmp_path: Path) -> None:
    q = load_questionnaire(ES)
    runner = CliRunner()
    sim = tmp_path / "es.csv"
    assert runner.invoke(main, ["simulate", ES, "-n", "40", "-o", str(sim), "--seed", "3"]).exit_code == 0
    frame = pd.read_csv(sim, dtype=str)
    frame.loc[:2, "dealer"] = "TINY"  # three answers of one dealer
    frame.to_csv(sim, index=False)
    out = tmp_path / "out.csv"
    result = runner.invoke(main, ["export", ES, str(sim), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "left blank" in result.output
    exported = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert len(exported) == 40 and "TINY" not in set(exported["dealer"].dropna())
    counts = exported["dealer"].value_counts()
    assert (counts >= q.anonymous.min_n).all()
