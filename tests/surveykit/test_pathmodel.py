"""The ``model:`` section: read and checked like the rest, and simulated from with known paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from surveykit import QuestionnaireError, load_questionnaire
from surveykit.simulate import simulate
from surveykit.structural import PLANTED_R2, planted_paths

ROOT = Path(__file__).resolve().parents[2]

BODY = """\
survey: demo
version: 1
title: {zh: 演示, en: Demo}
languages: [zh, en]
scales:
  ten: {points: 10}
dimensions:
  quality: {zh: 质量, en: Quality}
  loyalty: {zh: 忠诚, en: Loyalty}
  empty: {zh: 空, en: Empty}
pages:
  - id: p1
    questions:
      - {id: pq1, type: likert, scale: ten, dimension: quality, text: {zh: 一, en: One}}
      - {id: pq2, type: likert, scale: ten, dimension: quality, reverse: true, text: {zh: 二, en: Two}}
      - {id: sat_overall, type: likert, scale: ten, text: {zh: 满意, en: Satisfied}}
      - {id: loy1, type: likert, scale: ten, dimension: loyalty, text: {zh: 三, en: Three}}
      - {id: loy2, type: likert, scale: ten, dimension: loyalty, text: {zh: 四, en: Four}}
      - {id: note, type: text, required: false, text: {zh: 备注, en: Note}}
model:
"""  # 20 lines; the model's keys start at line 21

MODEL = """\
  constructs:
    quality: {dimension: quality}
    satisfaction: {items: [sat_overall], label: {zh: 满意度, en: Satisfaction}}
    loyalty: {dimension: loyalty, mode: B}
  paths:
    satisfaction: [quality]
    loyalty: [satisfaction, quality]
  scheme: centroid
  bootstrap: 200
  seed: 7
  target: loyalty
"""


def load(model: str):
    return load_questionnaire(BODY + model)


def problems(model: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as info:
        load(model)
    return [str(p) for p in info.value.problems]


def test_model_is_read_with_constructs_paths_and_settings():
    model = load(MODEL).model
    assert model is not None
    assert [(c.id, c.items, c.mode) for c in model.constructs] == [
        ("quality", ("pq1", "pq2"), "A"),
        ("satisfaction", ("sat_overall",), "A"),
        ("loyalty", ("loy1", "loy2"), "B"),
    ]
    assert model.paths == (("quality", "satisfaction"), ("satisfaction", "loyalty"), ("quality", "loyalty"))
    assert (model.scheme, model.bootstrap, model.seed, model.target) == ("centroid", 200, 7, "loyalty")
    assert model.construct("satisfaction").label["en"] == "Satisfaction"


def test_defaults():
    model = load("  constructs: {a: {items: [pq1]}, b: {items: [loy1]}}\n  paths: {b: [a]}\n").model
    assert (model.scheme, model.bootstrap, model.seed, model.target) == ("path", 1000, 1, None)


@pytest.mark.parametrize(
    ("model", "line", "message"),
    [
        (
            MODEL.replace("[sat_overall]", "[sat_overal]"),
            23,
            "'sat_overal' is no rating item (did you mean 'sat_overall'?)",
        ),
        (MODEL.replace("[sat_overall]", "[note]"), 23, "'note' is no rating item"),
        (
            MODEL.replace("dimension: quality}", "dimension: qualty}"),
            22,
            "dimension 'qualty' is not defined (did you mean",
        ),
        (
            MODEL.replace("dimension: quality}", "dimension: empty}"),
            22,
            "'quality' has no indicators: dimension 'empty'",
        ),
        (MODEL.replace("{dimension: quality}", "{mode: A}"), 22, "give exactly one of dimension: or items:"),
        (MODEL.replace("[sat_overall]", "[]"), 23, "construct 'satisfaction' has no indicators"),
        (MODEL.replace("[sat_overall]", "[pq1]"), 23, "item 'pq1' is already an indicator of 'quality'"),
        (
            MODEL.replace("    satisfaction: [quality]", "    satisfactoin: [quality]"),
            26,
            "path to unknown construct 'satisfactoin' (did you mean 'satisfaction'?)",
        ),
        (
            MODEL.replace("[satisfaction, quality]", "[satisfaction, qualty]"),
            27,
            "path from unknown construct 'qualty'",
        ),
        (
            MODEL.replace("[satisfaction, quality]", "[satisfaction, loyalty]"),
            27,
            "construct 'loyalty' has a path onto itself",
        ),
        (
            MODEL.replace("[satisfaction, quality]", "[satisfaction, satisfaction]"),
            27,
            "satisfaction -> loyalty is listed twice",
        ),
        (MODEL.replace("satisfaction: [quality]", "satisfaction: [quality, loyalty]"), 26, "the paths form a cycle"),
        (MODEL.replace("    loyalty: [satisfaction, quality]\n", ""), 22, "construct 'loyalty' is on no path"),
        (MODEL.replace("target: loyalty", "target: quality"), 31, "target 'quality' has no path into it"),
        (
            MODEL.replace("target: loyalty", "target: loyal"),
            31,
            "target 'loyal' is no construct (did you mean 'loyalty'?)",
        ),
        (MODEL.replace("bootstrap: 200", "bootstrap: -1"), 29, "bootstrap is 0 to 100000"),
        (MODEL.replace("scheme: centroid", "scheme: centroids"), 28, "'centroids' is not allowed"),
        (MODEL.replace("mode: B", "mode: C"), 24, "'C' is not allowed"),
        (MODEL.replace("  scheme:", "  schema:"), 28, "unknown key 'schema'; did you mean 'scheme'?"),
        (
            "  constructs: {a: {items: [pq1]}}\n  paths: {a: []}\n",
            21,
            "a path model needs at least two constructs",
        ),
    ],
)
def test_model_problems_are_reported_where_written(model, line, message):
    found = problems(model)
    assert any(message in p and f":{line}:" in p for p in found), found


def test_cycle_names_the_cycle():
    found = problems(MODEL.replace("satisfaction: [quality]", "satisfaction: [quality, loyalty]"))
    assert any("satisfaction -> loyalty -> satisfaction" in p for p in found), found


def test_planted_paths_give_the_planted_r2():
    model = load_questionnaire(ROOT / "questionnaires" / "acsi_aftersales.yaml").model
    beta, sigma = planted_paths(model)
    names = [c.id for c in model.constructs]
    assert np.allclose(np.diag(sigma), 1) and np.all(np.linalg.eigvalsh(sigma) > 0)
    for target in {t for _, t in model.paths}:
        preds = [names.index(f) for f, t in model.paths if t == target]
        b = np.array([beta[(names[p], target)] for p in preds])
        assert b @ sigma[np.ix_(preds, preds)] @ b == pytest.approx(PLANTED_R2)


def _consistent_paths(fit, paths) -> dict[tuple[str, str], float]:
    """Dijkstra & Henseler's (2015) consistent paths, written here from the paper, not taken from the code.

    PLS composites carry their indicators' measurement error, so their correlations are those of
    the constructs times √(ρA_i ρA_j) and PLS paths are attenuated (the bias that made a fixed 0.1
    bound pass or fail by seed). Dividing each composite correlation by √(ρA_i ρA_j) and regressing
    on the corrected matrix gives estimates consistent for the planted latent paths (PLSc).
    """
    r = fit.lv_correlations
    names = list(r.index)
    rho = fit.constructs["rho_a"].reindex(names).to_numpy()
    corrected = r.to_numpy() / np.sqrt(np.outer(rho, rho))
    np.fill_diagonal(corrected, 1.0)
    out = {}
    for target in {t for _, t in paths}:
        preds = [f for f, t in paths if t == target]
        idx = [names.index(p) for p in preds]
        b = np.linalg.solve(corrected[np.ix_(idx, idx)], corrected[idx, names.index(target)])
        out.update({(p, target): float(v) for p, v in zip(preds, b, strict=True)})
    return out


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_simulated_model_items_follow_the_planted_paths(seed):
    """On 2,000 simulated responses every planted path lies within 4 bootstrap SEs of its consistent estimate.

    Not a fixed bound at one seed: the bound of each path is 4 x its bootstrap SE (200 resamples),
    scaled by 1/√(ρA_i ρA_j) like the estimate, and three seeds are checked. Planted paths are
    latent, so the plain PLS paths are compared through the consistency correction (PLSc); the
    plain ones must lie below the planted ones on average (the attenuation the correction removes).
    """
    from analysis import pls

    q = load_questionnaire(ROOT / "questionnaires" / "acsi_aftersales.yaml")
    df = simulate(q, 2000, seed=seed)
    model = q.model
    data = df.copy()
    for construct in model.constructs:
        for item in construct.items:
            v = q.variable(item)
            if v.reverse:
                data[item] = v.min + v.max - data[item]
    fit = pls.fit(data, {c.id: list(c.items) for c in model.constructs}, model.paths, scheme=model.scheme)
    beta, _ = planted_paths(model)
    plain = {(r["from"], r["to"]): r["estimate"] for _, r in fit.paths.iterrows()}
    assert set(plain) == set(beta)
    consistent = _consistent_paths(fit, model.paths)
    boot = pls.bootstrap(fit, n_boot=200, seed=seed, bca=False).estimates
    se = {tuple(name.split("->")): s for name, s in boot.loc[boot["kind"] == "path", ["name", "se"]].to_numpy()}
    rho = fit.constructs["rho_a"]
    bound = {p: 4 * se[p] / np.sqrt(rho[p[0]] * rho[p[1]]) for p in beta}
    misses = {p: (round(consistent[p], 3), round(beta[p], 3), round(bound[p], 3)) for p in beta}
    assert all(abs(consistent[p] - beta[p]) < bound[p] for p in beta), misses
    assert all(b < 0.12 for b in bound.values())  # the test has power: 2,000 responses pin each path down
    assert np.mean([plain[p] - beta[p] for p in beta]) < 0  # PLS attenuates; PLSc undoes it
    assert data[["exp_overall", "exp_problems"]].corr().iloc[0, 1] > 0.5  # the reverse-keyed item, recoded


def test_model_survives_dump_and_load():
    from surveykit.dump import dump_questionnaire

    q = load_questionnaire(ROOT / "questionnaires" / "acsi_aftersales.yaml")
    again = load_questionnaire(dump_questionnaire(q))
    assert again.model == q.model
    single = load(MODEL)
    assert load_questionnaire(dump_questionnaire(single)).model == single.model
