"""analysis.plots: chart contents in both languages, Chinese glyphs, embedding, bad input.

Contents are checked through the artists (texts, bars, points, lines), not pixels. Figures use the
Agg canvas; pytest turns every warning into an error, and the glyph tests also say so explicitly.
"""

from __future__ import annotations

import base64
import io
import re
import warnings
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from PIL import Image

from analysis import fonts, ipa, kano, loyalty, plots, segments, servqual
from analysis.plots.text import _wrap

LANGS = ["zh", "en"]
DIMS = {
    "zh": ["有形性", "可靠性", "响应性", "保证性", "移情性"],
    "en": ["Tangibles", "Reliability", "Responsiveness", "Assurance", "Empathy"],
}
ATTRS = {
    "zh": ["维修速度", "价格透明", "代步车", "免费洗车", "预约便捷", "休息区Wi-Fi"],
    "en": ["Repair speed", "Transparent prices", "Courtesy car", "Free car wash", "Easy booking", "Lounge Wi-Fi"],
}
ITEM_TEXT = {
    "zh": {
        "tan": "有形性",
        "rel": "可靠性",
        "t1": "门店干净整洁。",
        "t2": "设备现代化。",
        "r1": "这家经销商一次修好了问题。",
        "r2": "按承诺的时间完成维修。",
    },
    "en": {
        "tan": "Tangibles",
        "rel": "Reliability",
        "t1": "The premises are clean.",
        "t2": "The equipment is modern.",
        "r1": "This dealer fixed the problem right the first time.",
        "r2": "Repairs are finished when promised.",
    },
}
# The fixed wording each chart must show, per language (quadrant names, legends, titles).
WORDS = {
    "zh": {
        "radar": "SERVQUAL：期望与感知",
        "expectation": "期望",
        "perception": "感知",
        "quadrants": ["重点改进", "继续保持", "低优先级", "可能过度投入"],
        "kano": ["魅力属性", "一维属性", "必要属性", "无差异属性"],
        "loyalty": ["忠诚者", "图利者", "人质", "叛离者"],
    },
    "en": {
        "radar": "SERVQUAL: expectation vs perception",
        "expectation": "Expectation",
        "perception": "Perception",
        "quadrants": ["Concentrate here", "Keep up the good work", "Low priority", "Possible overkill"],
        "kano": ["Attractive", "One-dimensional", "Must-be", "Indifferent"],
        "loyalty": ["Loyalists", "Mercenaries", "Hostages", "Defectors"],
    },
}


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]


def joined(fig: Figure) -> str:
    return "\n".join(texts(fig))


def points(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def annotations(ax) -> list[str]:
    return [c.get_text() for c in ax.get_children() if isinstance(c, Annotation)]


def gap_frame() -> pd.DataFrame:  # the columns of ServqualResult.to_frame()
    return pd.DataFrame(
        {
            "item": ["t1", "t2", "r1", "r2"],
            "dimension": ["tan", "tan", "rel", "rel"],
            "mean": [-0.4, 0.3, -1.1, -0.05],
            "ci_low": [-0.6, 0.1, -1.4, -0.3],
            "ci_high": [-0.2, 0.5, -0.8, 0.2],
        }
    )


# ---------------------------------------------------------------------------------------------------------------
# each chart, both languages


@pytest.mark.parametrize("lang", LANGS)
def test_radar(lang):
    fig = plots.radar(DIMS[lang], [6.2, 6.5, 6.1, 6.0, 5.8], [5.6, 5.3, 5.4, 5.8, 5.9], lang=lang, scale=(1, 7))
    assert isinstance(fig, Figure) and isinstance(fig.canvas, FigureCanvasAgg)
    ax = fig.axes[0]
    assert ax.name == "polar"
    assert fig.get_suptitle() == WORDS[lang]["radar"]
    assert [len(line.get_xdata()) for line in ax.lines] == [6, 6]  # 5 dimensions, closed
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert [t.split("\n")[0] for t in ticks] == DIMS[lang]
    assert ticks[1].endswith("-1.20")  # the gap P - E under the dimension
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [WORDS[lang]["expectation"], WORDS[lang]["perception"]]
    assert ax.get_ylim() == (1, 7)


@pytest.mark.parametrize("lang", LANGS)
def test_gap_bars(lang):
    fig = plots.gap_bars(gap_frame(), lang=lang, labels=ITEM_TEXT[lang], note="n = 120")
    ax = fig.axes[0]
    bars = ax.containers[0]
    assert len(bars) == 4
    negative = mpl.colors.to_rgba(plots.COLORS["vermillion"])
    assert [mpl.colors.same_color(b.get_facecolor()[:3], negative[:3]) for b in bars] == [True, False, True, True]
    assert [b.get_alpha() for b in bars] == [None, None, None, 0.45]  # only the last interval includes 0
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert len(ticks) == 6  # two dimension headings and four items
    assert ticks[0] == ITEM_TEXT[lang]["tan"] and ticks[3] == ITEM_TEXT[lang]["rel"]
    assert [t.get_fontweight() for t in ax.get_yticklabels()][:2] == ["bold", "normal"]
    words = joined(fig)
    for value in ("-0.40", "+0.30", "-1.10", "-0.05", "n = 120"):
        assert value in words
    assert ("负差距" if lang == "zh" else "Negative gap") in words
    assert "95" in words


def test_gap_bars_per_dimension_and_nan_interval():
    frame = pd.DataFrame(
        {"dimension": ["tan", "rel"], "mean": [0.2, -0.6], "ci_low": [np.nan, -0.9], "ci_high": [np.nan, -0.3]}
    )
    fig = plots.gap_bars(frame, lang="en", labels=ITEM_TEXT["en"])
    ax = fig.axes[0]
    assert len(ax.containers[0]) == 2
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Tangibles", "Reliability"]


@pytest.mark.parametrize("lang", LANGS)
def test_ipa_grid(lang):
    imp = [6.5, 6.2, 5.0, 4.1, 5.6, 4.0]
    perf = [5.1, 5.5, 5.8, 6.0, 5.9, 4.2]
    fig = plots.ipa_grid(imp, perf, ATTRS[lang], (5.2, 5.4), lang=lang)
    ax = fig.axes[0]
    words = texts(fig)
    for quadrant in WORDS[lang]["quadrants"]:
        assert quadrant in words
    assert points(ax) == 6
    assert sorted(annotations(ax)) == sorted(ATTRS[lang])
    crosshair = sorted((tuple(line.get_xdata()), tuple(line.get_ydata())) for line in ax.lines)
    assert ((0, 1), (5.2, 5.2)) in crosshair and ((5.4, 5.4), (0, 1)) in crosshair
    # Repair speed: important, below the crosshair on performance -> concentrate-here colour.
    first = next(c for c in ax.collections if isinstance(c, PathCollection) and [5.1, 6.5] in c.get_offsets().tolist())
    assert mpl.colors.same_color(first.get_facecolor()[0][:3], mpl.colors.to_rgb(plots.COLORS["vermillion"]))


def test_ipa_labels_do_not_overlap():
    # Four points close together: the labels are moved apart rather than printed on top of each other.
    labels = ["Alpha attribute", "Beta attribute", "Gamma attribute", "Delta attribute"]
    fig = plots.ipa_grid([5.0, 5.02, 5.04, 5.01], [5.0, 5.01, 5.0, 5.03], labels, (4.0, 4.0), lang="en")
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    # Text's extent: an Annotation's own includes its leader line.
    boxes = [Text.get_window_extent(c, renderer) for c in ax.get_children() if isinstance(c, Annotation)]
    assert len(boxes) == 4
    for i in range(4):
        for j in range(i + 1, 4):
            overlap = boxes[i].intersection(boxes[i], boxes[j])
            area = 0 if overlap is None else overlap.width * overlap.height
            assert area < 0.1 * boxes[i].width * boxes[i].height


@pytest.mark.parametrize("lang", LANGS)
def test_kano_scatter(lang):
    fig = plots.kano_scatter(
        [0.3, 0.45, 0.72, 0.68, 0.4, np.nan],
        [-0.82, -0.7, -0.2, -0.1, -0.42, np.nan],
        ATTRS[lang],
        ["M", "O", "A", "A", "I", "Q"],
        lang=lang,
    )
    ax = fig.axes[0]
    words = joined(fig)
    for name in WORDS[lang]["kano"]:
        assert name in words
    assert points(ax) == 5  # the attribute with no A/O/M/I answer is listed, not plotted
    assert ATTRS[lang][5] in fig.get_supxlabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [entry.split()[0] for entry in legend] == ["A", "O", "M", "I"]
    assert {tuple(line.get_xdata()) for line in ax.lines} >= {(0.5, 0.5)}
    assert sorted(annotations(ax)) == sorted(ATTRS[lang][:5])
    # |Worse| on the x axis: Berger's negative Worse is flipped.
    assert all(0 <= x <= 1 for c in ax.collections for x, _ in c.get_offsets())


def test_kano_accepts_absolute_worse():
    fig = plots.kano_scatter([0.3, 0.6], [0.8, 0.2], ["a", "b"], ["M", "A"], lang="en")
    assert points(fig.axes[0]) == 2


@pytest.mark.parametrize("lang", LANGS)
def test_nps_bars(lang):
    names = ["北京店", "上海店"] if lang == "zh" else ["Beijing", "Shanghai"]
    fig = plots.nps_bars([120, 80], [60, 50], [40, 70], names, lang=lang)
    ax = fig.axes[0]
    assert len(ax.containers) == 3 and all(len(c) == 2 for c in ax.containers)
    words = joined(fig)
    # Beijing: 120/220 promoters - 40/220 detractors = 36.4; Shanghai: 80/200 - 70/200 = 5.
    assert "NPS +36\nn=220" in words and "NPS +5\nn=200" in words
    assert ("推荐者" if lang == "zh" else "Promoters") in words
    widths = [b.get_width() for b in ax.containers[2]]
    assert widths == pytest.approx([100 * 120 / 220, 40.0])


def test_nps_bars_overall_from_result():
    r = loyalty.nps(pd.Series([10, 9, 9, 8, 7, 6, 3, 10]))
    fig = plots.nps_bars(r.n_promoters, r.n_passives, r.n_detractors, lang="zh")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["总体"]
    assert f"NPS {r.nps:+.0f}" in joined(fig)


@pytest.mark.parametrize("lang", LANGS)
def test_loyalty_matrix(lang):
    fig = plots.loyalty_matrix(220, 90, 35, 55, lang=lang, thresholds=(6, 9))
    words = joined(fig)
    for name in WORDS[lang]["loyalty"]:
        assert name in words
    assert "55.0%  (n=220)" in words and "8.8%  (n=35)" in words  # 220/400, 35/400
    assert "≥ 9" in words
    assert len(fig.axes[0].patches) == 4


@pytest.mark.parametrize("lang", LANGS)
def test_funnel(lang):
    rng = np.random.default_rng(7)
    groups = pd.Series(np.repeat([f"D{k}" for k in range(8)], [60, 60, 50, 50, 40, 30, 20, 10]))
    values = pd.Series(rng.normal(5.5, 0.8, len(groups)))
    values[groups == "D1"] += 1.2  # far above: outside 99.8 %
    result = segments.funnel_limits(values, groups)
    u = result.units
    fig = plots.funnel(u["mean"], u["n"], result.target, result.limits, list(u.index), lang=lang)
    ax = fig.axes[0]
    assert points(ax) == 8
    assert len(ax.lines) == 1 + 2 * 2  # centre line, two limits on each side
    flagged = [unit for unit, pos in u["position"].items() if pos != "within"]
    assert "D1" in flagged
    assert sorted(annotations(ax)) == sorted(flagged)
    words = joined(fig)
    assert "99.8%" in words and "95%" in words


@pytest.mark.parametrize("lang", LANGS)
def test_waves_line(lang):
    fig = plots.waves_line(
        ["2024Q1", "2024Q2", "2024Q3"],
        [71.2, 72.5, 74.0],
        [69.5, 70.9, 72.1],
        [72.9, 74.1, 75.9],
        n=[400, 380, 410],
        lang=lang,
    )
    ax = fig.axes[0]
    assert len(ax.lines) == 1 and len(ax.lines[0].get_xdata()) == 3
    assert any(isinstance(c, PolyCollection) for c in ax.collections)  # the CI band
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2024Q1\nn=400", "2024Q2\nn=380", "2024Q3\nn=410"]
    assert "74.0" in joined(fig)
    assert fig.get_suptitle() == ("各轮次指数变化" if lang == "zh" else "Index over waves")


def test_waves_line_from_result():
    rng = np.random.default_rng(3)
    waves = pd.Series(np.repeat(["w1", "w2", "w3"], 30))
    result = segments.over_waves(pd.Series(rng.integers(1, 8, 90).astype(float)), waves, scale=(1, 7))
    f = result.to_frame()
    fig = plots.waves_line(f["wave"], f["mean"], f["ci_low"], f["ci_high"], n=f["n"], lang="en")
    assert len(fig.axes[0].lines[0].get_xdata()) == 3


@pytest.mark.parametrize("lang", LANGS)
def test_profile_bars(lang):
    bands = (
        [(80, "优秀"), (60, "良好"), (0, "需改进")]
        if lang == "zh"
        else [(80, "Excellent"), (60, "Good"), (0, "Needs work")]
    )
    names = ["与客户为伍", "倾听客户", "解决问题"] if lang == "zh" else ["Partnering", "Listening", "Solving problems"]
    fig = plots.profile_bars(names, [82, 64, 45], bands, lang=lang)
    ax = fig.axes[0]
    assert len(ax.containers[0]) == 3
    words = joined(fig)
    assert f"82%  {bands[0][1]}" in words and f"45%  {bands[2][1]}" in words
    thresholds = sorted(line.get_xdata()[0] for line in ax.lines)
    assert thresholds == [60, 80]


@pytest.mark.parametrize("lang", LANGS)
def test_pareto(lang):
    reasons = (
        ["价格", "等待", "态度", "质量", "其他"] if lang == "zh" else ["Price", "Waiting", "Staff", "Quality", "Other"]
    )
    fig = plots.pareto(reasons, [9, 45, 20, 38, 3], lang=lang)
    ax, cum = fig.axes
    heights = [b.get_height() for b in ax.containers[0]]
    assert heights == [45, 38, 20, 9, 3]
    assert [t.get_text() for t in ax.get_xticklabels()] == [reasons[i] for i in (1, 3, 2, 0, 4)]
    cumulative = cum.lines[0].get_ydata()
    assert cumulative[-1] == pytest.approx(100) and cumulative[0] == pytest.approx(100 * 45 / 115)
    assert any(tuple(line.get_ydata()) == (80, 80) for line in cum.lines)
    # The vital few: bars up to the first to reach 80 % (45 + 38 + 20 = 103 of 115 = 89.6 %) are dark.
    dark = [
        mpl.colors.same_color(b.get_facecolor()[:3], mpl.colors.to_rgb(plots.COLORS["blue"])) for b in ax.containers[0]
    ]
    assert dark == [True, True, True, False, False]


@pytest.mark.parametrize("lang", LANGS)
def test_bar_and_line(lang):
    fig = plots.bar(
        ["电话", "应用", "到店"] if lang == "zh" else ["Phone", "App", "Walk-in"],
        [42.0, 31.5, 18.2],
        lang=lang,
        title="预约方式" if lang == "zh" else "Booking",
        fmt="{:.1f}%",
        sort=True,
    )
    assert len(fig.axes[0].containers[0]) == 3
    assert "42.0%" in joined(fig) and fig.get_suptitle() in ("预约方式", "Booking")
    fig = plots.line(["W1", "W2", "W3"], {"北京": [70, 72, np.nan], "上海": [68, 69, 73]}, lang=lang, ylabel="指数")
    assert len(fig.axes[0].lines) == 2
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["北京", "上海"]


def test_title_override_and_drop():
    assert plots.radar(DIMS["en"][:3], [1, 2, 3], [2, 3, 4], lang="en", title="Mine").get_suptitle() == "Mine"
    assert plots.radar(DIMS["en"][:3], [1, 2, 3], [2, 3, 4], lang="en", title="").get_suptitle() == ""


def test_wrap_counts_cjk_as_two_columns_and_keeps_punctuation():
    assert _wrap("这家经销商一次修好了问题。", 10) == "这家经销商\n一次修好了\n问题。"
    assert _wrap("一二三四。", 8) == "一二三四。"  # the full stop never starts a line
    assert _wrap("Staff respond promptly to requests.", 20) == "Staff respond\npromptly to\nrequests."


def test_public_names_stay_importable_from_the_package():
    # the names analysis.plots had as one module, before it became a package by chart family
    before = {
        "COLORS",
        "KANO_COLORS",
        "bar",
        "funnel",
        "gap_bars",
        "ipa_grid",
        "kano_category_name",
        "kano_scatter",
        "line",
        "loyalty_matrix",
        "nps_bars",
        "pareto",
        "profile_bars",
        "quadrant_name",
        "radar",
        "to_png_base64",
        "to_svg",
        "waves_line",
    }
    assert before <= set(plots.__all__)  # later chart families add names; none of these may go
    assert all(callable(getattr(plots, name)) for name in before - {"COLORS", "KANO_COLORS"})
    assert plots.pareto.__module__ == "analysis.plots.recovery"  # the function, not a submodule of that name


# ---------------------------------------------------------------------------------------------------------------
# built from the analysis results


def test_charts_from_analysis_results():
    rng = np.random.default_rng(11)
    n = 60
    df = pd.DataFrame({f"{i}_{r}": rng.integers(1, 8, n).astype(float) for i in ("t1", "t2", "r1", "r2") for r in "ep"})
    sq = servqual.gap_scores(
        df, {i: (f"{i}_e", f"{i}_p") for i in ("t1", "t2", "r1", "r2")}, {"tan": ["t1", "t2"], "rel": ["r1", "r2"]}
    )
    fig = plots.gap_bars(sq.to_frame(), lang="zh", labels=ITEM_TEXT["zh"])
    assert len(fig.axes[0].containers[0]) == 4
    dims = sq.dimensions
    fig = plots.radar(
        ["有形性", "可靠性", "响应性"],
        [*dims["mean_E_score"], 5.0],
        [*dims["mean_P_score"], 4.5],
        lang="zh",
    )
    assert len(fig.axes[0].lines) == 2

    answers = ["like", "must_be", "neutral", "live_with", "dislike"]
    kdf = pd.DataFrame({c: rng.choice(answers, n) for c in ("a_f", "a_d", "b_f", "b_d")})
    kr = kano.evaluate_pairs(kdf, {"a": ("a_f", "a_d"), "b": ("b_f", "b_d")}).to_frame()
    fig = plots.kano_scatter(kr["better"], kr["worse"], kr["attribute"], kr["dominant"], lang="en")
    assert points(fig.axes[0]) == 2

    idf = pd.DataFrame({c: rng.integers(1, 8, n).astype(float) for c in ("s_p", "s_i", "p_p", "p_i", "c_p", "c_i")})
    grid = ipa.grid(idf, {"speed": ("s_p", "s_i"), "price": ("p_p", "p_i"), "car": ("c_p", "c_i")})
    f = grid.to_frame()
    fig = plots.ipa_grid(f["mean_importance"], f["mean_performance"], f["attribute"], grid.crosshair, lang="en")
    assert points(fig.axes[0]) == 3

    seg = loyalty.nps_by_segment(pd.Series(rng.integers(0, 11, n)), pd.Series(rng.choice(["x", "y"], n)))
    c = seg.counts
    fig = plots.nps_bars(c["promoter"], c["passive"], c["detractor"], c.index, lang="en")
    assert len(fig.axes[0].containers[0]) == 2

    m = loyalty.satisfaction_loyalty_matrix(
        pd.Series(rng.integers(1, 8, n)), pd.Series(rng.integers(0, 11, n)), satisfied_if_ge=6, loyal_if_ge=9
    )
    fig = plots.loyalty_matrix(
        m.loyalists, m.mercenaries, m.hostages, m.defectors, lang="zh", thresholds=(m.satisfied_if_ge, m.loyal_if_ge)
    )
    assert f"(n={m.loyalists})" in joined(fig)


# ---------------------------------------------------------------------------------------------------------------
# Chinese glyphs, fonts, global state


def _chinese_figures() -> list[Figure]:
    return [
        plots.gap_bars(gap_frame(), lang="zh", labels=ITEM_TEXT["zh"], note="基数：n = 120；配对 t 检验"),
        plots.ipa_grid(
            [6.5, 6.2, 5.0, 4.1, 5.6, 4.0], [5.1, 5.5, 5.8, 6.0, 5.9, 4.2], ATTRS["zh"], (5.2, 5.4), lang="zh"
        ),
        plots.pareto(["价格太高", "等待太久", "服务态度差（前台）"], [45, 38, 20], lang="zh"),
    ]


def test_chinese_charts_render_without_missing_glyphs():
    assert fonts.cjk_family() is not None, f"no CJK font installed: {fonts.INSTALL_HINT}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error")
        figs = _chinese_figures()
        svgs = [plots.to_svg(f) for f in figs]
        pngs = [plots.to_png_base64(f) for f in figs]
        for f in figs:  # a plain savefig too, as a notebook or the lead's PDF would call it
            f.savefig(io.BytesIO(), format="pdf")
    assert not [w for w in caught if "Glyph" in str(w.message) and "missing" in str(w.message)]
    assert not caught
    for svg in svgs:
        assert "LastResort" not in svg  # matplotlib's box glyphs for missing characters
        assert re.search(r'id="(NotoSansCJK|SourceHanSans|NotoSansSC|WenQuanYi)[^"]*"', svg)
    assert all(len(p) > 1000 for p in pngs)


def test_chinese_text_uses_the_cjk_font_and_latin_text_dejavu():
    fig = plots.gap_bars(gap_frame(), lang="zh", labels=ITEM_TEXT["zh"])
    families = fig.axes[0].get_yticklabels()[0].get_fontfamily()
    assert families[0] == "DejaVu Sans" and fonts.cjk_family() in families
    assert fonts.cjk_family() in fig._suptitle.get_fontfamily()


def test_minus_sign_is_ascii_in_exported_charts():
    # axes.unicode_minus is off while the chart is drawn (CJK fonts lack U+2212); the SVG keeps each
    # text as a comment before its glyph paths.
    svg = plots.to_svg(plots.gap_bars(gap_frame(), lang="zh", labels=ITEM_TEXT["zh"]))
    assert "<!-- -1.0 -->" in svg and "<!-- \u22121.0 -->" not in svg


def test_missing_cjk_font_warns_once(monkeypatch):
    monkeypatch.setattr(fonts, "_registry", fonts._FontRegistry(families=("No Such Font",), markers=()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plots.bar(["a", "b"], [1, 2], lang="en")  # nothing Chinese: no reason to warn
        assert not [w for w in caught if issubclass(w.category, fonts.MissingCJKFontWarning)]
        plots.bar(["电话", "应用"], [1, 2], lang="zh")
        plots.radar(DIMS["zh"], [6, 6, 6, 6, 6], [5, 5, 5, 5, 5], lang="zh")
    ours = [w for w in caught if issubclass(w.category, fonts.MissingCJKFontWarning)]
    assert len(ours) == 1
    assert "apt-get install fonts-noto-cjk" in str(ours[0].message)


def test_charts_leave_global_settings_alone():
    before = {
        k: mpl.rcParams[k]
        for k in ("font.family", "axes.unicode_minus", "font.size", "svg.fonttype", "text.parse_math")
    }
    fig = plots.bar(["a", "$5 off, $10 back"], [1, -2], lang="zh")
    svg = plots.to_svg(fig)
    plots.to_png_base64(fig)
    assert {k: mpl.rcParams[k] for k in before} == before
    assert "<!-- $5 off, $10 back -->" in svg  # dollar signs in a label are text, not mathtext


def test_charts_can_be_built_in_parallel_threads():
    before = list(mpl.rcParams["font.family"])

    def build(k: int) -> str:
        fig = plots.bar([f"第{k}项", "其他"], [k, 1], lang="zh", title=f"图 {k}")
        return plots.to_svg(fig)

    with ThreadPoolExecutor(max_workers=4) as pool:
        svgs = list(pool.map(build, range(8)))
    assert all(s.startswith("<svg") for s in svgs)
    assert mpl.rcParams["font.family"] == before


# ---------------------------------------------------------------------------------------------------------------
# embedding


def test_svg_is_self_contained_inline_markup():
    fig = plots.ipa_grid([6.5, 6.2, 5.0], [5.1, 5.5, 5.8], ATTRS["zh"][:3], (5.5, 5.5), lang="zh")
    svg = plots.to_svg(fig)
    assert svg.startswith('<svg role="img" aria-label="重要性–表现分析（IPA）"') and svg.endswith("</svg>")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "<metadata" not in svg
    assert 'xlink:href="http' not in svg and 'href="http' not in svg and "url(http" not in svg
    assert "<image" not in svg and "@import" not in svg
    # Every reference points inside the document.
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    refs = set(re.findall(r'href="#([^"]+)"', svg)) | set(re.findall(r"url\(#([^)]+)\)", svg))
    assert refs and refs <= ids
    ET.fromstring(svg)  # noqa: S314 -- well-formed XML? The SVG is our own output, parsed only to check it
    assert plots.to_svg(fig) == svg  # the same figure gives the same text


def test_png_base64_is_a_small_self_contained_png():
    fig = plots.radar(DIMS["zh"], [6.2, 6.5, 6.1, 6.0, 5.8], [5.6, 5.3, 5.4, 5.8, 5.9], lang="zh")
    text = plots.to_png_base64(fig)
    data = base64.b64decode(text, validate=True)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (round(5.6 * 150), round(5.8 * 150))
        assert image.mode == "P"  # palette PNG
    full = plots.to_png_base64(fig, dpi=100, colors=None)
    with Image.open(io.BytesIO(base64.b64decode(full))) as image:
        assert image.size == (560, 580) and image.mode == "RGBA"
    assert len(text) < 120_000


# ---------------------------------------------------------------------------------------------------------------
# bad input


def _limits_without_columns(n):
    return pd.DataFrame({"n": n})


BAD = [
    (
        lambda: plots.radar(["a", "b", "c"], [1, 2, 3], [1, 2], lang="en"),
        r"dimensions \(3\) and perception \(2\) differ in length",
    ),
    (lambda: plots.radar(["a", "b"], [1, 2], [1, 2], lang="en"), "at least 3 dimensions"),
    (lambda: plots.radar(["a", "b", "c"], [1, np.nan, 3], [1, 2, 3], lang="en"), r"expectation\[1\] is nan"),
    (lambda: plots.radar(["a", "b", "c"], ["x", "y", "z"], [1, 2, 3], lang="en"), "expectation must hold numbers"),
    (lambda: plots.radar(["a", "b", "c"], [1, 2, 3], [1, 2, 3], lang="fr"), "lang must be 'zh' or 'en'"),
    (lambda: plots.radar(["a", "b", "c"], [1, 2, 3], [1, 2, 3], lang="en", scale=(7, 1)), "high > low"),
    (lambda: plots.gap_bars(gap_frame().drop(columns="ci_low"), lang="en"), "lacks column.*'ci_low'"),
    (lambda: plots.gap_bars(gap_frame().iloc[:0], lang="en"), "frame is empty"),
    (lambda: plots.gap_bars(gap_frame().assign(ci_low=0.9), lang="en"), "item 't1': the interval"),
    (
        lambda: plots.ipa_grid([1, 2], [1, 2, 3], ["a", "b"], (1, 1), lang="en"),
        r"importance \(2\) and performance \(3\)",
    ),
    (lambda: plots.ipa_grid([1, 2], [1, 2], ["a"], (1, 1), lang="en"), r"labels \(1\)"),
    (lambda: plots.ipa_grid([], [], [], (1, 1), lang="en"), "importance is empty"),
    (lambda: plots.kano_scatter([0.5], [-0.5], ["a"], ["X"], lang="en"), "categories must be A, O, M, I, R or Q"),
    (lambda: plots.kano_scatter([0.5, 0.2], [-0.5, 0.3], ["a", "b"], ["A", "O"], lang="en"), "worse mixes signs"),
    (lambda: plots.kano_scatter([1.5], [-0.5], ["a"], ["A"], lang="en"), "better must lie between"),
    (lambda: plots.nps_bars([1, 2], [1, 2], [1, 2], lang="en"), "labels are needed for 2 segments"),
    (lambda: plots.nps_bars([0, 5], [0, 1], [0, 1], ["x", "y"], lang="en"), "segment 'x' has no answers"),
    (lambda: plots.nps_bars([-1], [1], [1], lang="en"), "must not be negative"),
    (lambda: plots.loyalty_matrix(0, 0, 0, 0, lang="en"), "all four counts are 0"),
    (
        lambda: plots.funnel(
            [5, 6], [10, 0], 5.5, lambda n: pd.DataFrame({"lower_95": n, "upper_95": n}), ["a", "b"], lang="en"
        ),
        "n must be positive",
    ),
    (
        lambda: plots.funnel([5, 6], [10, 20], 5.5, _limits_without_columns, ["a", "b"], lang="en"),
        "no lower_<coverage>/upper_<coverage>",
    ),
    (lambda: plots.funnel([5, 6], [10, 20], 5.5, None, ["a", "b"], lang="en"), "limits must be a function of n"),
    (lambda: plots.waves_line(["w1", "w2"], [1, 2], [0, 1], [2], lang="en"), r"waves \(2\) and ci_high \(1\)"),
    (lambda: plots.profile_bars(["a"], [120], [(0, "x")], lang="en"), "between 0 and 100"),
    (lambda: plots.profile_bars(["a"], [50], [], lang="en"), "bands is empty"),
    (lambda: plots.pareto(["a", "b"], [0, 0], lang="en"), "counts are all 0"),
    (lambda: plots.pareto(["a"], [1, 2], lang="en"), r"reasons \(1\) and counts \(2\)"),
    (lambda: plots.bar([], [], lang="en"), "labels is empty"),
    (lambda: plots.bar("ab", [1, 2], lang="en"), "labels must be a sequence of labels"),
    (lambda: plots.line(["a"], {}, lang="en"), "series is empty"),
    (lambda: plots.line(["a", "b"], {"s": [1]}, lang="en"), r"x \(2\) and series\['s'\] \(1\)"),
    (lambda: plots.to_png_base64(Figure(), dpi=0), "dpi must lie between"),
]


@pytest.mark.parametrize(("call", "message"), BAD)
def test_bad_input_is_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_gap_bars_needs_a_dataframe():
    with pytest.raises(TypeError, match="pandas DataFrame"):
        plots.gap_bars(gap_frame().to_dict(), lang="en")
