"""The questionnaire's path model through analyze(), its charts and its report section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import analyze, plots, pls
from analysis.pathmodel import fit_model
from analysis.plots.pls import _layout, stars
from analysis.report import render_report
from surveykit import load_questionnaire
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def acsi():
    return load_questionnaire(ROOT / "questionnaires" / "acsi_aftersales.yaml")


@pytest.fixture(scope="module")
def data(acsi):
    return simulate(acsi, 400, seed=5, missing=0.01, careless=0.02, fields={"dealer": ["D1", "D2"]})


@pytest.fixture(scope="module")
def result(acsi, data):
    return analyze(acsi, data)


def test_analyze_fits_the_declared_model_with_bootstrap_and_ipma(acsi, result):
    pm = result.path_model
    assert pm is not None and not result.notes
    assert (pm.scheme, pm.n_boot, pm.seed, pm.target) == ("path", 1000, 1, "loyalty")
    assert list(zip(pm.paths["from"], pm.paths["to"], strict=True)) == list(acsi.model.paths)
    assert {"se", "p_value", "ci_low", "ci_high"} <= set(pm.paths.columns)
    assert (pm.paths["ci_low"] < pm.paths["estimate"]).all() and (pm.paths["estimate"] < pm.paths["ci_high"]).all()
    assert set(pm.ipma.index) == {"expectation", "quality", "value", "satisfaction", "complaints"}
    assert ((pm.ipma["performance"] > 0) & (pm.ipma["performance"] < 100)).all()
    assert pm.reversed_items == ("exp_problems",)
    assert np.isnan(pm.constructs.loc["expectation", "r2"])  # exogenous
    assert pm.constructs.loc["complaints", ["ave", "rho_c"]].isna().all()  # a single item is not assessed
    assert "Path model (path scheme)" in result.summary()
    assert any(row.startswith("path_model") for row in result.to_frame()["section"])


def test_fit_model_matches_pls_fit_on_recoded_items_and_ipma_uses_the_scale_ends(acsi, data):
    items = [i for c in acsi.model.constructs for i in c.items]
    frame = data[items].astype(float).copy()
    frame["exp_problems"] = 11 - frame["exp_problems"]
    blocks = {c.id: list(c.items) for c in acsi.model.constructs}
    direct = pls.fit(frame, blocks, acsi.model.paths, scheme="path")
    mine = fit_model(acsi, data, n_boot=0)
    assert np.allclose(mine.paths["estimate"], direct.paths["estimate"], atol=1e-12)
    assert "se" not in mine.paths.columns
    mapped = pls.ipma(direct, "loyalty", (1, 10))
    assert np.allclose(mine.ipma["importance"], mapped.table["importance"], atol=1e-12)
    assert mine.target_performance == pytest.approx(mapped.target_performance)


def test_bootstrap_is_seeded(acsi, data):
    a = fit_model(acsi, data, n_boot=200, seed=3)
    b = fit_model(acsi, data, n_boot=200, seed=3)
    c = fit_model(acsi, data, n_boot=200, seed=4)
    assert a.paths["se"].tolist() == b.paths["se"].tolist() != c.paths["se"].tolist()


def test_a_model_that_cannot_be_fitted_is_a_note(acsi, data):
    small = analyze(acsi, data.head(6), exclude=())
    assert small.path_model is None
    assert any(n.startswith("path model: not computed (only") for n in small.notes), small.notes


def test_questionnaires_without_a_model_have_none():
    q = load_questionnaire(ROOT / "questionnaires" / "servqual.yaml")
    assert q.model is None
    assert analyze(q, simulate(q, 60, seed=1)).path_model is None


def test_stars():
    assert [stars(p) for p in (0.0004, 0.004, 0.04, 0.2, float("nan"))] == ["***", "**", "*", "", ""]


def test_layout_keeps_straight_arrows_off_other_boxes(acsi):
    names = [c.id for c in acsi.model.constructs]
    pos = _layout(names, list(acsi.model.paths))
    xs = {name: pos[name][0] for name in names}
    assert xs["expectation"] < xs["quality"] < xs["value"] < xs["satisfaction"] < xs["complaints"] < xs["loyalty"]
    for source, target in acsi.model.paths:
        a, b = np.array(pos[source]), np.array(pos[target])
        for name in set(names) - {source, target}:
            c = np.array(pos[name])
            t = np.clip(np.dot(c - a, b - a) / np.dot(b - a, b - a), 0, 1)
            assert np.linalg.norm(a + t * (b - a) - c) > 0.4, (source, target, name)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_draw_in_both_languages(acsi, result, lang):
    """filterwarnings = error turns a missing CJK glyph into a failure."""
    pm = result.path_model
    labels = {"expectation": "客户期望", "quality": "感知质量"} if lang == "zh" else {}
    names = list(pm.constructs.index)
    fig = plots.path_diagram(
        names,
        [labels.get(c, c) for c in names],
        pm.constructs["r2"],
        list(zip(pm.paths["from"], pm.paths["to"], strict=True)),
        pm.paths["estimate"],
        pm.paths["p_value"],
        n_boot=pm.n_boot,
        lang=lang,
    )
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.endswith("***") for t in texts) and any("R²" in t for t in texts)
    spots = [t.get_position() for t in fig.axes[0].texts if "R²" not in t.get_text() and "." in t.get_text()]
    assert len(spots) == len(pm.paths)  # every coefficient drawn, none on top of another
    assert all(abs(a[0] - b[0]) > 0.4 or abs(a[1] - b[1]) > 0.25 for i, a in enumerate(spots) for b in spots[i + 1 :])
    assert plots.to_svg(fig).startswith("<svg")
    fig = plots.ipma_map(pm.ipma["importance"], pm.ipma["performance"], list(pm.ipma.index), "loyalty", lang=lang)
    assert plots.to_svg(fig)


def test_path_diagram_refuses_an_unknown_construct():
    with pytest.raises(ValueError, match="unknown construct 'c'"):
        plots.path_diagram(["a", "b"], ["A", "B"], [np.nan, 0.3], [("a", "c")], [0.5])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_has_the_path_model_section(acsi, result, lang):
    html, _ = render_report(acsi, result, lang=lang)
    section = html[html.index('<section id="path-model">') : html.index("</section>", html.index('id="path-model"'))]
    assert section.count("<img") == 2  # the path diagram and the IPMA
    assert ("测量质量" if lang == "zh" else "Measurement quality") in section
    assert "HTMT" in section and "AVE" in section and "exp_problems" in section
    assert ("客户满意度 → 客户忠诚" if lang == "zh" else "Customer satisfaction → Customer loyalty") in section
