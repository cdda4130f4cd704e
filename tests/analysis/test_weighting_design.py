"""A design declared in weighting.design: reaches analysis.weighting and changes the standard errors.

Responses drawn dealer by dealer are alike within a dealer; with the dealer as the PSU the
linearisation SE of a weighted mean is the between-dealer one (Lumley 2010, ch. 2-3), larger
than the simple-random-sample SE that ignores the clustering. The declared design must give
exactly what analysis.weighting computes when it is handed the same SurveyDesign directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import weighting as wt
from analysis.weighted import compute_weights
from surveykit import load_questionnaire

QUESTIONNAIRE = """\
survey: design_demo
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
      - {id: sat, type: likert, scale: a5, text: {zh: 满意, en: Satisfied}}
weighting:
  design: {ids: dealer}
  margins:
    - {fields: [region], shares: {north: 0.6, south: 0.4}}
"""


def clustered_frame(seed: int = 7) -> pd.DataFrame:
    """12 dealers (6 per region), 25 responses each, with a dealer effect of SD 0.8 on a 1-5 scale."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(12):
        effect = rng.normal(0, 0.8)
        for _ in range(25):
            rows.append(
                {
                    "dealer": f"d{d}",
                    "region": "north" if d < 6 else "south",
                    "sat": float(np.clip(np.rint(3.5 + effect + rng.normal(0, 0.7)), 1, 5)),
                }
            )
    return pd.DataFrame(rows)


def test_a_declared_cluster_design_changes_the_se_as_analysis_weighting_computes_it():
    spec = load_questionnaire(QUESTIONNAIRE).weighting
    assert spec is not None
    assert wt.design_of(spec) == wt.SurveyDesign(ids="dealer")
    df = clustered_frame()
    margin = wt.margin("region", {"north": 0.6, "south": 0.4}, shares=True)
    direct = wt.weighted_mean(df, "sat", wt.rake(df, [margin], design=wt.SurveyDesign(ids="dealer")))
    srs = wt.weighted_mean(df, "sat", wt.rake(df, [margin]))
    declared = wt.weighted_mean(df, "sat", compute_weights(spec, df))
    assert declared.estimate == pytest.approx(direct.estimate, abs=1e-12)
    assert declared.se == pytest.approx(direct.se, rel=1e-12)
    # the same point estimate; the clustered SE is the larger, by the design effect of the dealers
    assert direct.estimate == pytest.approx(srs.estimate, abs=1e-12)
    assert direct.se > 1.5 * srs.se
