"""Weighting in analyze(), the report, the exports and the CLI: the same weights and estimates as
analysis.weighting called directly, a labelled weight column in every export, the report's section."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from click.testing import CliRunner

from analysis import analyze, loyalty
from analysis import weighting as wt
from analysis.analyze import weights_for
from analysis.report import render_report
from surveykit import load_questionnaire
from surveykit.cli import main
from surveykit.export import export, read_table
from surveykit.simulate import simulate
from surveykit.weights import load_weights

SOURCE = Path(__file__).resolve().parents[2] / "questionnaires" / "dealer_aftersales_csi.yaml"
DEALERS = ["dealer_1", "dealer_2", "dealer_3"]
WEIGHTING = """
weighting:
  margins:
    - fields: [department]
      shares: {mechanical: 0.5, body_paint: 0.3, express: 0.2}
    - fields: [dealer]
      counts: {dealer_1: 5000, dealer_2: 3000, dealer_3: 2000}
"""
MARGINS_FILE = """\
method: poststratification
trim: {upper: 3}
margins:
  - fields: [dealer]
    shares: {dealer_1: 0.2, dealer_2: 0.3, dealer_3: 0.5}
"""


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(SOURCE.read_text(encoding="utf-8") + WEIGHTING)


@pytest.fixture(scope="module")
def df(q):
    return simulate(q, 400, seed=11, fields={"dealer": DEALERS}, careless=0.05)


def _direct(frame: pd.DataFrame) -> wt.WeightingResult:
    return wt.rake(
        frame,
        [
            wt.margin("department", {"mechanical": 0.5, "body_paint": 0.3, "express": 0.2}, shares=True),
            wt.margin("dealer", {"dealer_1": 5000, "dealer_2": 3000, "dealer_3": 2000}),
        ],
        tol=1e-10,
    )


def test_analyze_reproduces_analysis_weighting_called_directly(q, df):
    result = analyze(q, df, exclude=())
    direct = _direct(df)
    section = result.weighting
    assert section is not None and section.weights.name == "weight"
    np.testing.assert_allclose(section.weights.to_numpy(), direct.weights.to_numpy(), rtol=0, atol=1e-9)
    assert section.weights.sum() == pytest.approx(10_000, rel=1e-12)
    assert section.kish == direct.kish
    assert (section.kish.n, round(section.kish.n_eff, 6)) == (400, round(400 / direct.kish.deff, 6))
    achieved = section.margins.set_index("cell")
    assert achieved.loc["dealer=dealer_2", "weighted_total"] == pytest.approx(3000, rel=1e-9)
    assert achieved.loc["department=express", "target"] == pytest.approx(2000)
    by = {e.statistic: e for e in section.estimates}
    assert set(by) == {"satisfaction_mean", "top2", "satisfaction_index", "nps"}
    mean = wt.weighted_mean(df, "sat_overall", direct)
    assert (by["satisfaction_mean"].weighted, by["satisfaction_mean"].weighted_se) == pytest.approx(
        (mean.estimate, mean.se), abs=1e-10
    )
    assert by["satisfaction_mean"].weighted_ci == pytest.approx(mean.ci, abs=1e-10)
    assert by["satisfaction_index"].weighted == pytest.approx(100 * (mean.estimate - 1) / 4, abs=1e-10)
    assert by["satisfaction_index"].weighted_se == pytest.approx(100 * mean.se / 4, abs=1e-10)
    top2 = df.assign(t=(df["sat_overall"] >= 4).astype(float).where(df["sat_overall"].notna()))
    assert by["top2"].weighted == pytest.approx(100 * wt.weighted_mean(top2, "t", direct).estimate, abs=1e-10)
    nps = wt.weighted_nps(df, "recommend", direct)
    assert (by["nps"].weighted, by["nps"].weighted_se) == pytest.approx((nps.nps, nps.se), abs=1e-10)
    # the unweighted figures beside them are those of the same analysis without weights; the result's own are weighted
    assert result.satisfaction.mean == by["satisfaction_mean"].weighted
    s = analyze(load_questionnaire(SOURCE), df, exclude=()).satisfaction
    assert by["satisfaction_mean"].unweighted == pytest.approx(s.mean, abs=1e-12)
    assert by["top2"].unweighted == pytest.approx(s.top_box.pct, abs=1e-12)
    assert by["satisfaction_index"].unweighted == pytest.approx(s.index_mean, abs=1e-12)
    assert by["nps"].unweighted == pytest.approx(loyalty.nps(df["recommend"]).nps, abs=1e-12)
    for e in section.estimates:
        assert e.differs == (not e.weighted_ci[0] <= e.unweighted <= e.weighted_ci[1])
    # the note says every section is weighted, comments included
    assert any(
        note.startswith("weighting: every estimate is weighted") and "comment themes" in note for note in result.notes
    )
    assert "Weighting (raking" in result.summary()
    assert result.to_dict()["weighting"]["kish"]["deff"] == pytest.approx(direct.kish.deff)


def test_weights_are_computed_on_the_analysed_frame(q, df):
    result = analyze(q, df)
    assert result.n_analysed < result.n_total  # the careless respondents are excluded
    assert len(result.weighting.weights) == result.n_analysed
    kept = df.loc[result.weighting.weights.index]
    np.testing.assert_allclose(result.weighting.weights, _direct(kept).weights, atol=1e-9)
    column = weights_for(q, df)
    assert column.index.equals(df.index) and int(column.isna().sum()) == result.n_total - result.n_analysed
    np.testing.assert_allclose(column.dropna(), result.weighting.weights, atol=1e-12)


def test_margins_given_replace_the_declared_ones_and_impossible_margins_fail(q, df, tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(MARGINS_FILE, encoding="utf-8")
    result = analyze(q, df, exclude=(), weighting=load_weights(path, q))
    direct = wt.trim_weights(
        wt.poststratify(df, wt.margin("dealer", {"dealer_1": 0.2, "dealer_2": 0.3, "dealer_3": 0.5}, shares=True)),
        upper=3,
    )
    np.testing.assert_allclose(result.weighting.weights, direct.weights, atol=1e-12)
    assert result.weighting.trim == direct.trim and result.weighting.method == "poststratification"
    assert analyze(q, df, exclude=()).weighting.method == "raking"
    path.write_text(MARGINS_FILE.replace("dealer_3: 0.5", "dealer_3: 0.4, dealer_9: 0.1"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"dealer=dealer_9 has a target of 0\.1 but no respondents"):
        analyze(q, df, exclude=(), weighting=load_weights(path, q))


def test_no_weighting_leaves_the_result_as_it_was(df):
    plain = load_questionnaire(SOURCE)
    result = analyze(plain, df)
    assert result.weighting is None and not any("weighting" in n for n in result.notes)


def test_the_report_has_the_weighting_section(q, df):
    result = analyze(q, df)
    html, _ = render_report(q, result, lang="en")
    start = html.index('<section id="weighting">')
    section = html[start : html.index("</section>", start)]
    k = result.weighting.kish
    assert "Design effect" in section and f"{k.deff:.3f}" in section
    assert f"Effective sample size<b>{k.n_eff:.1f}</b>" in section and f"{k.efficiency_pct:.1f} %" in section
    # margins table: header + 6 cells; estimates, weighted beside unweighted only where they differ by more than the CI
    differing = sum(e.differs for e in result.weighting.estimates)
    assert section.count("<tr>") == 1 + 6 + (1 + differing if differing else 0)
    assert "department=body_paint" in section and "30.0 %" in section
    if differing:
        assert "Weighted</th>" in section and "Unweighted</th>" in section
    assert "Not weighted in this report" not in section  # every section takes the weights
    assert (
        f"The figures below and the estimates of the sections that follow are weighted (effective n {k.n_eff:.0f} "
        f'of {k.n}); the unweighted ones stand beside them under <a href="#weighting">'
    ) in html
    zh, _ = render_report(q, result, lang="zh")
    assert "<h2>加权</h2>" in zh and "设计效应" in zh and "有效样本量" in zh


def test_exports_carry_the_labelled_weight_column(q, df, tmp_path):
    weights = weights_for(q, df, exclude=())
    table = df.assign(weight=weights)
    assert export(table, q, tmp_path / "w.csv", format="csv") == []  # a known column: no warning
    back = read_table(tmp_path / "w.csv", q)
    np.testing.assert_allclose(back["weight"].astype(float), weights, rtol=1e-12)
    for lang, label in (("zh", "权重"), ("en", "Weight")):
        export(table, q, tmp_path / f"w_{lang}.sav", format="sav", lang=lang)
        data, meta = pyreadstat.read_sav(tmp_path / f"w_{lang}.sav", user_missing=True)
        assert meta.column_names_to_labels["weight"] == label
        assert "weight" not in meta.missing_ranges
        np.testing.assert_allclose(data["weight"], weights, rtol=1e-12)
    export(table, q, tmp_path / "w.dta", format="dta", lang="en")
    _, meta = pyreadstat.read_dta(tmp_path / "w.dta")
    assert meta.column_names_to_labels["weight"] == "Weight"
    export(table, q, tmp_path / "w.parquet", format="parquet", lang="en")
    assert pq.read_schema(tmp_path / "w.parquet").field("weight").metadata[b"label"] == b"Weight"
    export(table, q, tmp_path / "w.xlsx", format="xlsx", lang="zh")
    book = openpyxl.load_workbook(tmp_path / "w.xlsx", read_only=True)
    last = list(book["codebook"].values)[-1]
    book.close()
    assert (last[0], "权重" in last, "Weight" in last) == ("weight", True, True)


def test_cli_weights_option(q, df, tmp_path):
    questionnaire = tmp_path / "q.yaml"
    questionnaire.write_text(SOURCE.read_text(encoding="utf-8"), encoding="utf-8")  # declares no weighting
    data = tmp_path / "d.csv"
    export(df, load_questionnaire(questionnaire), data, format="csv")
    margins = tmp_path / "m.yaml"
    margins.write_text(MARGINS_FILE, encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(main, ["analyze", str(questionnaire), str(data), "--json", "--weights", str(margins)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["weighting"]["method"] == "poststratification"
    sav = tmp_path / "o.sav"
    out = runner.invoke(main, ["export", str(questionnaire), str(data), "-o", str(sav), "--weights", str(margins)])
    assert out.exit_code == 0, out.output
    assert "have no weight" in out.output
    frame, meta = pyreadstat.read_sav(sav)
    assert meta.column_names_to_labels["weight"] == "权重" and frame["weight"].notna().sum() < len(frame)
    margins.write_text(MARGINS_FILE.replace("[dealer]", "[dealr]"), encoding="utf-8")
    out = runner.invoke(main, ["analyze", str(questionnaire), str(data), "--weights", str(margins)])
    assert out.exit_code == 1
    assert f"{margins}:4:14: weighting.margins[0].fields: 'dealr' is no segment field" in out.output
    assert "did you mean 'dealer'?" in out.output


def test_a_weighted_figure_outside_the_ci_is_flagged_in_the_report(q, df):
    # dealer_1's customers are the satisfied ones; weighting dealer_1 up to half the population moves the mean
    skewed = df.assign(sat_overall=np.where(df["dealer"] == "dealer_1", 5.0, 2.0))
    result = analyze(q, skewed, exclude=())
    by = {e.statistic: e for e in result.weighting.estimates}
    mean = by["satisfaction_mean"]
    share = (skewed["dealer"] == "dealer_1").mean()
    assert mean.unweighted == pytest.approx(2 + 3 * share, abs=1e-12)
    assert mean.weighted == pytest.approx(2 + 3 * 0.5, abs=1e-9)  # dealer_1 is 5000 of 10000
    assert mean.differs
    html, _ = render_report(q, result, lang="en")
    start = html.index('<section id="weighting">')
    section = html[start : html.index("</section>", start)]
    assert section.count('<td class="neg">differs by more than the CI</td>') == sum(e.differs for e in by.values())
    # the segment and funnel tables are weighted too: dealer_1's mean is the same weighted or not
    start = html.index('<section id="weighted-results">')
    tables = html[start : html.index("</section>", start)]
    assert "Dealer = dealer_1 · Overall satisfaction · Mean" in tables
