"""The report's comments section: one block per text question coded with a codeframe.

What it shows (from :class:`analysis.text_themes.CommentThemesResult`): a bar chart of the
share of comments mentioning each theme (labels in the report's language, CJK glyphs through
the chart style of :mod:`analysis.plots`); a table of each theme's share with its Wilson
95 % interval, its comments by sentiment, and its impact (mean satisfaction and detractor
share with and without the theme, Holm-adjusted p values, * below 0.05); and up to five
example comments per theme.  The examples are the analysis result's masked texts (phone
numbers, e-mail addresses, licence plates and ID numbers replaced); the template escapes
them like every other text.
"""

from __future__ import annotations

import math
from typing import Any

from analysis import plots
from analysis.text_themes import CommentThemesResult
from surveykit.model import Questionnaire

MAX_EXAMPLES = 5

WORDS = {
    "zh": {
        "title": "开放题评论：{question}",
        "intro": "共 {n} 条评论按编码框架“{codeframe}”归入主题（一条评论可属多个主题；无主题者为“其他”）。"
        "占比附 Wilson 95% 置信区间；情感为评论对该主题的语气。影响一栏比较提到与未提到该主题的评论者："
        "满意度均值用 Welch t 检验，差评者比例（{detractors}）用两比例 z 检验，p 值经 Holm 校正，* 表示 p < 0.05。"
        "这是相关而非因果。示例评论已隐去电话、邮箱、车牌和证件号。",
        "weighted": "占比、均值和差评者比例均已加权；标准误按线性化（泰勒展开）计算并计入校准（R survey 的 calibrate()），"
        "占比区间为按该标准误折算的有效样本量上的 Wilson 区间，差异检验用差值本身的标准误（含两组的协方差）；计数仍为评论条数。",
        "chart": "提到各主题的评论占比",
        "axis": "评论占比（%）",
        "theme": "主题",
        "impact": "主题对满意度的影响",
        "share": "占比",
        "ci": "95% CI",
        "neg": "负面",
        "neu": "中性",
        "pos": "正面",
        "mixed": "褒贬兼有",
        "mean_with": "满意度（提到）",
        "mean_without": "满意度（未提到）",
        "p_holm": "p（Holm）",
        "det_with": "差评者（提到）",
        "det_without": "差评者（未提到）",
        "examples": "示例评论",
        "none": "没有可编码的评论。",
    },
    "en": {
        "title": "Open comments: {question}",
        "intro": "{n} comments coded with the codeframe '{codeframe}' (a comment may have several themes; one with "
        "none is 'other'). Shares carry Wilson 95 % intervals; sentiment is the comment's tone on that theme. "
        "Impact compares commenters who mention the theme with those who do not: mean satisfaction by "
        "Welch's t test, the share of detractors ({detractors}) by the two-proportion z test, p adjusted by Holm, "
        "* for p < 0.05. This is association, not cause. Example comments have phone numbers, e-mail "
        "addresses, licence plates and ID numbers masked.",
        "weighted": "Shares, means and detractor shares are weighted; their standard errors are linearised with "
        "the calibration (as R survey's calibrate()), a share's interval is Wilson's on the effective n its SE "
        "implies, and each difference is tested with the SE of the difference (covariance included); counts "
        "are comments.",
        "chart": "Share of comments mentioning each theme",
        "axis": "Share of comments (%)",
        "theme": "Theme",
        "impact": "Impact on satisfaction",
        "share": "Share",
        "ci": "95 % CI",
        "neg": "Negative",
        "neu": "Neutral",
        "pos": "Positive",
        "mixed": "Mixed",
        "mean_with": "Satisfaction (mentioned)",
        "mean_without": "Satisfaction (not)",
        "p_holm": "p (Holm)",
        "det_with": "Detractors (mentioned)",
        "det_without": "Detractors (not)",
        "examples": "Example comments",
        "none": "No comment to code.",
    },
}


def _num(value: Any, pattern: str) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else pattern.format(value)


def _p(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = "< .001" if value < 0.001 else f"{value:.3f}"
    return text + (" *" if value < 0.05 else "")


def sections(q: Questionnaire, results: dict[str, CommentThemesResult], lang: str, charts: Any) -> list[dict[str, Any]]:
    """What the template shows, one entry per coded text question (empty when there is none)."""
    words = WORDS.get(lang, WORDS["en"])
    return [_section(q, result, lang, words, charts) for result in results.values()]


def _section(
    q: Questionnaire, result: CommentThemesResult, lang: str, words: dict[str, str], charts: Any
) -> dict[str, Any]:
    question = next(x for x in q.questions() if x.id == result.question)
    codeframe = question.codeframe
    assert codeframe is not None  # analyze() codes only questions with a codeframe
    label = (question.label or question.text).best(lang)
    intro = words["intro"].format(
        n=result.n_comments, codeframe=result.codeframe, detractors=result.detractor_rule or "–"
    )
    if result.weighted and result.n_comments:
        intro += " " + words["weighted"]
    out: dict[str, Any] = {
        "id": result.question,
        "title": words["title"].format(question=label),
        "intro": intro,
        "w": words,
    }
    if not result.n_comments:
        out.update(rows=[], charts=[], examples=[])
        return out
    freq = result.frequencies
    shown = freq[freq["n"] > 0]
    labels = [codeframe.theme(str(t)).label(lang) for t in shown.index]
    out["charts"] = [
        charts(
            words["chart"],
            plots.bar,
            labels,
            (100 * shown["share"]).tolist(),
            axis_label=words["axis"],
            sort=True,
            fmt="{:.0f}%",
        )
    ]
    rows = []
    for theme, row in freq.iterrows():
        counts = result.sentiment.loc[theme]
        impact = result.impact.loc[theme] if theme in result.impact.index else None
        rows.append(
            {
                "theme": codeframe.theme(str(theme)).label(lang),
                "n": int(row["n"]),
                "share": _num(100 * row["share"], "{:.1f} %"),
                "ci": f"[{_num(100 * row['ci_low'], '{:.1f}')}, {_num(100 * row['ci_high'], '{:.1f}')}]",
                "sentiment": [int(counts[s]) for s in ("neg", "neu", "pos", "mixed")],
                "mean_with": _num(impact.get("mean_with") if impact is not None else None, "{:.2f}"),
                "mean_without": _num(impact.get("mean_without") if impact is not None else None, "{:.2f}"),
                "p": _p(impact.get("p_holm") if impact is not None else None),
                "det_with": _num(100 * impact["detractors_with"], "{:.0f} %")
                if impact is not None and "detractors_with" in impact
                else "–",
                "det_without": _num(100 * impact["detractors_without"], "{:.0f} %")
                if impact is not None and "detractors_without" in impact
                else "–",
                "p_share": _p(impact.get("p_share_holm") if impact is not None else None),
            }
        )
    out["rows"] = rows
    examples = []
    for theme in freq.index[freq["n"] > 0]:
        mentioning = result.coded[result.coded["themes"].map(lambda themes, t=theme: t in themes)]
        picked = mentioning.drop_duplicates("text").head(MAX_EXAMPLES)  # five different comments
        examples.append(
            {
                "theme": codeframe.theme(str(theme)).label(lang),
                "comments": [
                    (text, words[sentiment])
                    for text, sentiment in zip(picked["text"], picked["sentiment"], strict=True)
                ],
            }
        )
    out["examples"] = examples
    return out
