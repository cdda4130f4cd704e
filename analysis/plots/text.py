"""The charts' own wording in Chinese and English, and wrapping of mixed CJK and Latin labels.

Domain terms (expectation, the IPA quadrants, the Kano categories, the NPS groups, the cells of
the loyalty matrix...) come from :mod:`surveykit.terms`, so that a chart says what the report's
tables and the web pages say; only the charts' own phrases (axis explanations, legend notes)
are written here.
"""

from __future__ import annotations

import unicodedata

from surveykit.terms import LANGUAGES, term

__all__ = ["kano_category_name", "quadrant_name"]

_LANGS = LANGUAGES
# Chart keys whose wording is a domain term, by the term's name.
_TERM_KEYS = {
    "expectation": "expectation",
    "perception": "perception",
    "concentrate": "ipa_concentrate",
    "keep": "ipa_keep",
    "low": "ipa_low",
    "overkill": "ipa_overkill",
    "A": "kano_A",
    "O": "kano_O",
    "M": "kano_M",
    "I": "kano_I",
    "R": "kano_R",
    "Q": "kano_Q",
    "nps_title": "nps",
    "loyalty_title": "loyalty_matrix",
    "loyalists": "loyalists",
    "mercenaries": "mercenaries",
    "hostages": "hostages",
    "defectors": "defectors",
    "satisfaction": "satisfaction",
    "profile_title": "self_test",
}


def _paren(main: str, inner: str, lang: str) -> str:
    """``main (inner)``, with full-width parentheses in Chinese."""
    return f"{main}（{inner}）" if lang == "zh" else f"{main} ({inner})"


def _catalogue(lang: str) -> dict[str, str]:
    """The chart wording in ``lang``: the domain terms, phrases built from them, and the charts' own."""
    t = {
        concept: term(concept, lang)
        for concept in set(_TERM_KEYS.values())
        | {
            "gap",
            "gap_formula",
            "ipa",
            "importance",
            "performance",
            "promoters",
            "passives",
            "detractors",
            "loyalty",
            "unit_comparison",
            "funnel_plot",
            "lost_reasons",
            "pareto_chart",
            "wave",
        }
    }
    built = {
        "gap_axis": _paren(t["gap"], t["gap_formula"], lang),
        "ipa_title": t["ipa"] if lang == "en" else _paren(t["ipa"], "IPA", lang),
        "importance": _paren(t["importance"], "均值" if lang == "zh" else "mean", lang),
        "performance": _paren(t["performance"], "均值" if lang == "zh" else "mean", lang),
        "detractors": _paren(t["detractors"], "0–6", lang),
        "passives": _paren(t["passives"], "7–8", lang),
        "promoters": _paren(t["promoters"], "9–10", lang),
        "loyalty": _paren(t["loyalty"], "推荐/再次光顾" if lang == "zh" else "recommend / return", lang),
        "funnel_title": _paren(t["unit_comparison"], t["funnel_plot"].lower(), lang),
        "pareto_title": _paren(t["lost_reasons"], t["pareto_chart"], lang),
    }
    if lang == "zh":
        own = {
            "radar_title": f"SERVQUAL：{t['expectation']}与{t['perception']}",
            "gap_title": f"SERVQUAL {t['gap']}（{t['gap_formula']}）",
            "gap_negative": f"负{t['gap']}：{t['perception']}低于{t['expectation']}",
            "gap_positive": f"{t['gap']}为零或正",
            "ci": "{level}% 置信区间",
            "ci_zero": "置信区间含 0（浅色）",
            "kano_title": "Kano 模型：Better–Worse 系数",
            "kano_x": "|Worse|：不具备时的不满意影响",
            "kano_y": "Better：具备时的满意提升",
            "not_plotted": "未绘出（无 A、O、M、I 回答）：{items}",
            "overall": "总体",
            "share": "受访者占比（%）",
            "loyalists_sub": "满意且忠诚",
            "mercenaries_sub": "满意但不忠诚",
            "hostages_sub": "忠诚但不满意",
            "defectors_sub": "既不满意也不忠诚",
            "lo": "低",
            "hi": "高",
            "funnel_x": "回答数（n）",
            "mean": "均值",
            "centre": "中心线",
            "limits": "{level}% 控制限",
            "within": "在控制限内",
            "outside": "超出 {level}% 控制限",
            "waves_title": f"各{t['wave']}指数变化",
            "index": "指数",
            "pct_max": "占满分的百分比",
            "count": "次数",
            "cumulative": "累计百分比",
        }
    else:
        own = {
            "radar_title": f"SERVQUAL: {t['expectation'].lower()} vs {t['perception'].lower()}",
            "gap_title": f"SERVQUAL gaps ({t['gap_formula']})",
            "gap_negative": f"Negative gap: {t['perception'].lower()} below {t['expectation'].lower()}",
            "gap_positive": "Gap of zero or above",
            "ci": "{level}% CI",
            "ci_zero": "CI includes 0 (lighter)",
            "kano_title": "Kano: Better vs |Worse|",
            "kano_x": "|Worse|: dissatisfaction if absent",
            "kano_y": "Better: satisfaction if present",
            "not_plotted": "Not plotted (no A, O, M or I answer): {items}",
            "overall": "Overall",
            "share": "Share of respondents (%)",
            "loyalists_sub": "satisfied and loyal",
            "mercenaries_sub": "satisfied, not loyal",
            "hostages_sub": "loyal, not satisfied",
            "defectors_sub": "neither",
            "lo": "low",
            "hi": "high",
            "funnel_x": "Number of responses (n)",
            "mean": "Mean",
            "centre": "Centre line",
            "limits": "{level}% limits",
            "within": "Within limits",
            "outside": "Outside {level}%",
            "waves_title": "Index over waves",
            "index": "Index",
            "pct_max": "Percent of the maximum score",
            "count": "Count",
            "cumulative": "Cumulative %",
        }
    return {key: t[concept] for key, concept in _TERM_KEYS.items()} | built | own


_TEXT: dict[str, dict[str, str]] = {lang: _catalogue(lang) for lang in _LANGS}
_NO_LINE_START = set("，。、；：！？）》」』”’%")  # CJK punctuation that may not begin a wrapped line

# analysis.ipa names its quadrants in English; the chart and the report show them in the reader's language.
_QUADRANT_KEYS = {
    "Concentrate here": "concentrate",
    "Keep up the good work": "keep",
    "Low priority": "low",
    "Possible overkill": "overkill",
}


def quadrant_name(quadrant: str, lang: str) -> str:
    """An IPA quadrant (as :func:`analysis.ipa.quadrants` names it) in ``lang``, worded as on the grid."""
    return _words(lang)[_QUADRANT_KEYS[quadrant]]


def kano_category_name(category: str, lang: str) -> str:
    """A Kano category letter (A O M I R Q) in ``lang``, worded as on the scatter."""
    return _words(lang)[category]


def _words(lang: str) -> dict[str, str]:
    if lang not in _LANGS:
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    return _TEXT[lang]


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _wrap(text: str, width: int) -> str:
    """Wrap at ``width`` columns, a CJK character counting 2; Latin words are never split."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        tokens: list[str] = []
        word = ""
        for ch in paragraph:
            if ch.isspace() or _width(ch) == 2:
                if word:
                    tokens.append(word)
                    word = ""
                tokens.append(" " if ch.isspace() else ch)
            else:
                word += ch
        if word:
            tokens.append(word)
        line, used = "", 0
        for tok in tokens:
            w = sum(_width(c) for c in tok)
            if line and used + w > width and tok != " " and tok not in _NO_LINE_START:
                lines.append(line.rstrip())
                line, used = "", 0
            if not line and tok == " ":
                continue
            line, used = line + tok, used + w
        lines.append(line.rstrip())
    return "\n".join(lines)


def _fits(text: str, width: int, max_lines: int) -> bool:
    """``text`` wraps at ``width`` into at most ``max_lines`` lines, no word sticking out."""
    lines = _wrap(text, width).split("\n")
    return len(lines) <= max_lines and all(sum(_width(c) for c in line) <= width for line in lines)


def _level(conf_level: float) -> str:
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    return f"{100 * conf_level:g}"
