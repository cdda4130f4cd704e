"""analysis.text_themes and the report's comments section.

The statistics are checked against statsmodels (Wilson interval, pooled two-proportion z test,
Holm) and scipy plus the Welch–Satterthwaite formula by hand; analyze() is run on responses
whose comments about repairs were planted with low satisfaction, and the report is read back.
"""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from analysis import analyze
from analysis import weighting as wt
from analysis.priorities import improvement_priorities
from analysis.report import render_report
from analysis.text_themes import (
    comment_themes,
    two_proportion_z,
    welch_t,
    wilson_interval,
)
from surveykit import load_questionnaire
from surveykit.text import coder_for
from surveykit.weights import load_weights

SURVEY = """\
survey: comments
version: 1
title: {zh: 售后意见, en: Service comments}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
scales:
  a5: {points: 5}
pages:
  - id: p1
    title: {zh: 第一页, en: First}
    questions:
      - {id: sat_overall, type: likert, scale: a5, text: {zh: 满意吗, en: Satisfied?}}
      - {id: recommend, type: nps, text: {zh: 推荐吗, en: Recommend?}}
      - {id: comment, type: text, required: false, codeframe: default, label: {zh: 意见, en: Comment}, text: {zh: 意见, en: Comments}}
"""
REPAIR = ["修完还是有异响", "上次修的漏油又漏了", "钣金做得很粗糙", "空调没修好", "刹车片换完还是响"]
OTHERS = ["服务顾问态度很好", "价格公道", "休息区很舒服", "预约很方便", "等了两个小时", "洗车很干净", ""]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("q") / "comments.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    q = load_questionnaire(path)
    rng = np.random.default_rng(7)
    n = 300
    repair = rng.random(n) < 0.2
    comments = np.where(repair, rng.choice(REPAIR, n), rng.choice(OTHERS, n)).astype(object)
    comments[comments == ""] = None
    comments[5] = "车牌京A·12345的车，电话13800138000，<script>alert(1)</script>钣金做得很粗糙"
    repair[5] = True
    sat = np.clip(np.round(np.where(repair, 2.2, 3.9) + rng.normal(0, 0.8, n)), 1, 5)
    recommend = np.clip(np.round(sat * 2 + rng.normal(0, 1, n)), 0, 10)
    frame = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(n)],
            "survey": "comments",
            "version": 1,
            "wave": None,
            "language": "zh",
            "started_at": pd.Timestamp("2026-01-01"),
            "submitted_at": pd.Timestamp("2026-01-01 00:05"),
            "duration_s": 300.0,
            "dealer": rng.choice(["D1", "D2"], n),
            "sat_overall": sat,
            "recommend": recommend,
            "comment": comments,
        }
    )
    for column in q.columns():
        if column not in frame.columns:
            frame[column] = None
    return q, frame


def test_wilson_interval_matches_statsmodels():
    for k, n in [(0, 10), (3, 10), (50, 120), (7, 7)]:
        assert wilson_interval(k, n) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-12)


def test_two_proportion_z_matches_statsmodels():
    z, p = two_proportion_z(30, 80, 45, 200)
    z_ref, p_ref = proportions_ztest([30, 45], [80, 200])
    assert (z, p) == pytest.approx((z_ref, p_ref), rel=1e-10)


def test_welch_t_matches_scipy_and_takes_a_constant_group():
    a, b = np.array([1.0, 2, 2, 3, 1]), np.array([4.0, 5, 3, 4, 5, 5])
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert welch_t(a, b)[0] == pytest.approx(ref.statistic) and welch_t(a, b)[2] == pytest.approx(ref.pvalue)
    t, df, p = welch_t(np.array([1.0, 1, 1, 1]), b)  # all equal: the SE comes from b alone, df = n_b - 1
    assert df == pytest.approx(len(b) - 1) and t == pytest.approx((1 - b.mean()) / np.sqrt(b.var(ddof=1) / len(b)))
    assert p == pytest.approx(2 * stats.t.sf(abs(t), len(b) - 1))
    assert all(np.isnan(welch_t(np.array([2.0, 2]), np.array([3.0, 3, 3]))))


def test_analyze_codes_comments_and_finds_the_planted_theme(data):
    q, frame = data
    result = analyze(q, frame, exclude=())
    comments = result.comments["comment"]
    answered = frame["comment"].dropna()
    assert comments.n_comments == len(answered)
    coder = coder_for(next(x for x in q.questions() if x.id == "comment").codeframe)
    expected = sum("repair_quality" in coder.code(text).themes for text in answered)
    assert comments.frequencies.loc["repair_quality", "n"] == expected
    assert comments.sentiment.loc["all"].sum() == len(answered)
    impact = comments.impact.loc["repair_quality"]
    assert impact["diff"] < -1 and impact["p_holm"] < 0.001
    # Welch's test by hand on the same groups
    mentions = comments.coded["themes"].map(lambda t: "repair_quality" in t)
    sat = frame.loc[comments.coded.index, "sat_overall"]
    a, b = sat[mentions], sat[~mentions]
    va, vb = a.var() / len(a), b.var() / len(b)
    assert impact["df"] == pytest.approx((va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)))
    assert impact["t"] == pytest.approx((a.mean() - b.mean()) / np.sqrt(va + vb))
    assert impact["p"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    tested = comments.impact["p"].dropna()
    holm = multipletests(tested.to_numpy(), method="holm")[1]
    assert comments.impact.loc[tested.index, "p_holm"].to_numpy() == pytest.approx(holm)
    # detractors are NPS 0-6 here
    assert comments.detractor_rule == "recommend 0-6"
    d = frame.loc[comments.coded.index, "recommend"] <= 6
    z_ref, p_ref = proportions_ztest([d[mentions].sum(), d[~mentions].sum()], [mentions.sum(), (~mentions).sum()])
    assert (impact["z"], impact["p_share"]) == pytest.approx((z_ref, p_ref))
    # the personal data never reaches the result
    assert "13800138000" not in comments.coded["text"].str.cat()
    assert "京A·12345" not in comments.coded["text"].str.cat()


def test_significant_theme_enters_the_priorities(data):
    q, frame = data
    result = analyze(q, frame, exclude=())
    found = [p for p in improvement_priorities(q, result, lang="zh") if p.kind == "comment"]
    # repair_quality leads; the learned complement also codes 修完还是有异响 as competence (a fault
    # not found), so competence, on the same low-rated comments, may follow it
    assert found[0].subject == "repair_quality"
    assert {p.subject for p in found} <= {"repair_quality", "competence"}
    assert found[0].label == "维修质量"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_comments_section(data, lang):
    q, frame = data
    html, _ = render_report(q, analyze(q, frame, exclude=()), lang=lang)
    section = re.search(r'<section id="comments-comment">(.*?)</section>', html, re.S)
    assert section is not None
    body = section.group(1)
    assert ("维修质量" if lang == "zh" else "Repair quality") in body
    assert "13800138000" not in html and "京A·12345" not in html
    assert "[phone]" in body and "[plate]" in body
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    for theme_examples in re.findall(r'<ul class="comments">(.*?)</ul>', body, re.S):
        assert theme_examples.count("<li>") <= 5
    chart = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', body)
    assert chart is not None
    svg = base64.b64decode(chart.group(1)).decode("utf-8")
    assert "<svg" in svg
    assert ("评论提到“维修质量”" if lang == "zh" else "Comments on Repair quality go with lower satisfaction") in html


def test_no_codeframe_no_section(data, tmp_path):
    _, frame = data
    path = tmp_path / "plain.yaml"
    path.write_text(SURVEY.replace("codeframe: default, ", ""), encoding="utf-8")
    plain = load_questionnaire(path)
    result = analyze(plain, frame, exclude=())
    assert result.comments == {}
    html, _ = render_report(plain, result, lang="en")
    assert 'id="comments-' not in html


def _comment_question(q):
    return next(x for x in q.questions() if x.id == "comment")


def _domain_u(y, member, w):
    """Influence values of the weighted domain mean of y over ``member`` (Lumley 2010, 2.4): w δ (y − ȳ)/Σ_D w."""
    mean = (w * y)[member].sum() / w[member].sum()
    return np.where(member, w * (y - mean) / w[member].sum(), 0.0), mean


def _poststratum_residual(u, cells, w):
    """Deville & Särndal's residual after post-stratification: u − w·(mean of u/w in its cell)."""
    r = u / w
    means = pd.Series(r).groupby(cells).transform("mean").to_numpy()
    return w * (r - means)


def _srs_var(u):
    return len(u) / (len(u) - 1) * ((u - u.mean()) ** 2).sum()


def test_comment_themes_without_calibration_have_the_textbook_domain_se(data):
    q, frame = data
    question, sat = _comment_question(q), next(x for x in q.questions() if x.id == "sat_overall")
    result = comment_themes(q, frame, question, sat, weighting=wt.design_weights(frame))
    plain = comment_themes(q, frame, question, sat)
    big_n, commented = len(frame), frame["comment"].notna().to_numpy()
    n = int(commented.sum())
    row = result.frequencies.loc["repair_quality"]
    p = plain.frequencies.loc["repair_quality", "share"]
    # a domain proportion of a simple random sample: SE² = N/(N − 1) · p(1 − p)/n (Cochran 1977, 2.13)
    assert (row["share"], row["se"]) == pytest.approx((p, np.sqrt(big_n / (big_n - 1) * p * (1 - p) / n)), rel=1e-12)
    assert row["n_eff"] == pytest.approx(n * (big_n - 1) / big_n)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson_interval(p * row["n_eff"], row["n_eff"]))
    # the difference of two domain means: its SE by hand, t on n − 2 df (R svyttest on an SRS)
    mentions = frame["comment"].isin(REPAIR).to_numpy() | (np.arange(len(frame)) == 5)
    y = frame["sat_overall"].to_numpy(float)
    u1, m1 = _domain_u(y, commented & mentions, np.ones(big_n))
    u0, m0 = _domain_u(y, commented & ~mentions, np.ones(big_n))
    se = np.sqrt(_srs_var(u1 - u0))
    impact = result.impact.loc["repair_quality"]
    assert (impact["mean_with"], impact["mean_without"]) == pytest.approx((m1, m0), rel=1e-12)
    assert (impact["t"], impact["df"]) == pytest.approx(((m1 - m0) / se, n - 2), rel=1e-12)
    assert impact["p"] == pytest.approx(2 * stats.t.sf(abs(impact["t"]), n - 2), rel=1e-9)
    # nearly Welch's t of the unweighted analysis (the same estimate; the variance differs by O(1/n))
    assert impact["t"] == pytest.approx(plain.impact.loc["repair_quality", "t"], rel=0.02)


def test_comment_themes_with_integer_weights_give_the_repeated_rows_estimates(data):
    q, frame = data
    question, sat = _comment_question(q), next(x for x in q.questions() if x.id == "sat_overall")
    frame = frame.assign(w=np.random.default_rng(11).integers(1, 4, len(frame)).astype(float))
    weighted = comment_themes(q, frame, question, sat, weighting=wt.design_weights(frame, wt.SurveyDesign(weights="w")))
    repeated = frame.loc[frame.index.repeat(frame["w"].astype(int))].reset_index(drop=True)
    plain = comment_themes(q, repeated, question, sat)
    assert weighted.weighted and not plain.weighted
    assert weighted.frequencies["share"].to_numpy() == pytest.approx(plain.frequencies["share"].to_numpy())
    for column in ("mean_with", "mean_without", "diff", "detractors_with", "detractors_without", "share_diff"):
        assert weighted.impact[column].to_numpy() == pytest.approx(plain.impact[column].to_numpy(), nan_ok=True)
    # counts stay respondents, not the repeated rows
    assert weighted.frequencies["n"].sum() < plain.frequencies["n"].sum()
    assert weighted.impact.loc["repair_quality", "p_holm"] < 0.001


def test_calibrated_comment_themes_take_the_calibration_residuals(data):
    q, frame = data
    question, sat = _comment_question(q), next(x for x in q.questions() if x.id == "sat_overall")
    calibration = wt.poststratify(frame, wt.margin("dealer", {"D1": 0.8, "D2": 0.2}, shares=True))
    result = comment_themes(q, frame, question, sat, weighting=calibration)
    w, cells = calibration.weights.to_numpy(), frame["dealer"].to_numpy()
    commented = frame["comment"].notna().to_numpy()
    mentions = frame["comment"].isin(REPAIR).to_numpy() | (np.arange(len(frame)) == 5)
    # the theme's share: a domain mean of the 0/1 mention over the commenters, residuals within the poststrata
    u, p = _domain_u(mentions.astype(float), commented, w)
    se = np.sqrt(_srs_var(_poststratum_residual(u, cells, w)))
    row = result.frequencies.loc["repair_quality"]
    assert (row["share"], row["se"]) == pytest.approx((p, se), rel=1e-10)
    n_star = p * (1 - p) / se**2  # Korn & Graubard 1998
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson_interval(p * n_star, n_star), rel=1e-10)
    # the detractor shares (NPS 0-6): the difference's influence u1 − u0 carries the covariance of the two means
    rec = frame["recommend"].to_numpy(float)
    det = (rec <= 6).astype(float)
    u1, d1 = _domain_u(det, commented & mentions, w)
    u0, d0 = _domain_u(det, commented & ~mentions, w)
    r1, r0 = _poststratum_residual(u1, cells, w), _poststratum_residual(u0, cells, w)
    se_diff = np.sqrt(_srs_var(r1 - r0))
    impact = result.impact.loc["repair_quality"]
    assert (impact["detractors_with"], impact["detractors_without"]) == pytest.approx((d1, d0), rel=1e-12)
    assert impact["z"] == pytest.approx((d1 - d0) / se_diff, rel=1e-10)
    assert impact["p_share"] == pytest.approx(2 * stats.norm.sf(abs(impact["z"])), rel=1e-9)
    # ignoring the covariance would give another SE: the test is of the difference, not of two independent means
    cov = len(w) / (len(w) - 1) * ((r1 - r1.mean()) * (r0 - r0.mean())).sum()
    assert abs(cov) > 1e-12
    assert se_diff != pytest.approx(np.sqrt(_srs_var(r1) + _srs_var(r0)), rel=1e-6)


def test_analyze_weights_the_comment_themes_and_the_report_says_so(data, tmp_path):
    q, frame = data
    # customers who write about repairs are mostly at D1; weighting D1 up must raise the theme's share
    frame = frame.copy()
    repair = frame["comment"].isin(REPAIR).to_numpy()
    frame["dealer"] = np.where(repair, np.where(np.arange(len(frame)) % 4 == 0, "D2", "D1"), "D2")
    frame.loc[frame.index[~repair][::4], "dealer"] = "D1"
    margins = tmp_path / "margins.yaml"
    margins.write_text("margins:\n  - fields: [dealer]\n    shares: {D1: 0.8, D2: 0.2}\n", encoding="utf-8")
    weighted = analyze(q, frame, exclude=(), weighting=load_weights(margins, q))
    plain = analyze(q, frame, exclude=())
    w_share = weighted.comments["comment"].frequencies.loc["repair_quality", "share"]
    p_share = plain.comments["comment"].frequencies.loc["repair_quality", "share"]
    assert weighted.comments["comment"].weighted and w_share > p_share + 0.05
    assert "comment themes" in " ".join(weighted.notes)
    html, _ = render_report(q, weighted, lang="en")
    section = re.search(r'<section id="comments-comment">(.*?)</section>', html, re.S)
    assert section is not None and "linearised" in section.group(1)
    plain_html, _ = render_report(q, plain, lang="en")
    assert "linearised" not in re.search(r'<section id="comments-comment">(.*?)</section>', plain_html, re.S).group(1)
