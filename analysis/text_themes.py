"""Themes of open comments: how often each is mentioned, in what tone, and whether it drags satisfaction down.

For every text question with a ``codeframe:``, :func:`comment_themes` codes each non-empty
comment (:mod:`surveykit.text`) and computes, over the n comments:

* **Frequency** of each theme, k/n, with the Wilson score interval (Wilson 1927; Agresti &
  Coull 1998 recommend it over the Wald interval for small k or n)::

      (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n),   p = k/n

* **Theme × sentiment**: the comments of each theme counted by their sentiment *on that
  theme* (neg, neu, pos, mixed).
* **Impact**: among the comments, the respondents who mention a theme against those who do
  not, on the overall-satisfaction question — the difference of means with Welch's t test,
  t = (m1 - m0) / sqrt(s1²/n1 + s0²/n0) on the Welch–Satterthwaite degrees of freedom
  (Welch 1947; ``scipy.stats.ttest_ind(equal_var=False)``) — and on the share of detractors
  (NPS 0–6 when the questionnaire has an NPS question, else the bottom two points of the
  satisfaction scale) with the pooled two-proportion z test,
  z = (p1 - p0) / sqrt(p(1-p)(1/n1 + 1/n0)), p the pooled share (Agresti 2013, §3.1.4 as the
  score test of a 2×2 table; its square is Pearson's X² without continuity correction).
  Both families of p values are adjusted over the themes by Holm's step-down method
  (Holm 1979).  A theme needs at least two comments on each side to be tested.

Mentioning a theme is observational: a significant difference says the theme goes with lower
(or higher) satisfaction, not that fixing it would raise it.

**With survey weights** (``weighting``: the :class:`analysis.weighting.WeightingResult` of
``analyze()``'s weighting, on the same frame) every share and mean is the weighted one over the
comments (Σ w·x / Σ w), and its standard error is the Taylor linearisation that accounts for
the calibration (Deville & Särndal 1992; Lumley 2010, sections 2.3-2.4 and 7.2-7.4), the
commenters being a domain (:mod:`analysis.weighting.estimates`, R ``svymean`` on
``subset(design, commented)``):

* a theme's share p has the linearised SE s, and its interval is Wilson's at the effective n
  that SE implies, n* = p(1 − p)/s² (Korn & Graubard 1998), i.e. k = p·n*; n* is the number of
  comments when p is 0 or 1 or s is 0, where p(1 − p)/s² is not defined.
* the impact on satisfaction is the difference of the domain means of mentioners and
  non-mentioners, tested with the linearised SE of the difference (influence values u₁ − u₀,
  so their covariance counts) by t on the design degrees of freedom of the commenters who
  answered minus 1 (R ``svyttest(sat ~ mentions, design)``;
  :func:`analysis.weighting.weighted_mean_difference`); ``df`` is that design df.
* the detractor shares likewise: z = (d₁ − d₀)/SE(d₁ − d₀) against the normal
  (R ``svycontrast(svyby(~detractor, ~mentions, design, svymean, covmat = TRUE), c(1, -1))``).

Holm's adjustment is unchanged. The counts (n, theme × sentiment) stay respondents, and
``n_eff`` in the frequencies is n* (n without weights).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis import weighting as wt
from analysis.segments import holm
from surveykit.model import Question, Questionnaire
from surveykit.text import SENTIMENTS, coder_for, mask_personal_data

__all__ = [
    "CommentThemesResult",
    "comment_themes",
    "two_proportion_z",
    "welch_t",
    "wilson_interval",
]

MIN_GROUP = 2


@dataclass(frozen=True, slots=True)
class CommentThemesResult:
    """The coded comments of one text question and the figures over them (module docstring).

    ``frequencies``: per theme (codeframe order, ``other`` last) n, share, ci_low, ci_high, n_eff
    (the n of the Wilson interval: the comments without weights, n* = p(1 − p)/SE² with them)
    and, with weights, se (the linearised SE of the share).
    ``sentiment``: per theme the count of each sentiment, plus an ``all`` row of the comments.
    ``impact``: per theme (``other`` excluded) n_with, n_without, mean_with, mean_without,
    diff, t, df, p, p_holm, detractors_with, detractors_without, share_diff, z, p_share,
    p_share_holm (NaN where a group is too small).
    ``coded``: per comment (indexed as the response table) its text with personal data masked
    (:func:`surveykit.text.mask_personal_data`: the result is shown and exported), themes (a
    tuple) and sentiment.
    """

    question: str
    codeframe: str
    n_comments: int
    satisfaction: str | None
    detractor_rule: str | None
    frequencies: pd.DataFrame = field(compare=False)
    sentiment: pd.DataFrame = field(compare=False)
    impact: pd.DataFrame = field(compare=False)
    coded: pd.DataFrame = field(compare=False)
    weighted: bool = False  # shares, means and tests weighted (module docstring); n_eff in frequencies

    def summary(self) -> str:
        lines = [f"comments on {self.question!r}: {self.n_comments} coded with codeframe {self.codeframe!r}"]
        for theme, row in self.frequencies.iterrows():
            lines.append(
                f"  {theme:<18} {row['n']:>5}  {100 * row['share']:5.1f}%  [{100 * row['ci_low']:.1f}, {100 * row['ci_high']:.1f}]"
            )
        return "\n".join(lines)


def wilson_interval(k: float, n: float, conf_level: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for k successes in n trials (NaN, NaN for n = 0); n may be an effective n.

    >>> tuple(round(x, 4) for x in wilson_interval(3, 10))
    (0.1078, 0.6032)
    """
    if n == 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_z(k1: float, n1: float, k0: float, n0: float) -> tuple[float, float]:
    """The pooled two-proportion z test of k1/n1 against k0/n0: (z, two-sided p); NaN when undefined."""
    if n1 == 0 or n0 == 0:
        return math.nan, math.nan
    pooled = (k1 + k0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return math.nan, math.nan
    z = (k1 / n1 - k0 / n0) / se
    return z, float(2 * stats.norm.sf(abs(z)))


def welch_t(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Welch's t test of mean(a) - mean(b): (t, Welch–Satterthwaite df, two-sided p); NaN when the SE is 0.

    Written out rather than ``scipy.stats.ttest_ind(equal_var=False)`` (which the tests compare it
    with) so that a group whose answers are all equal, common on a five-point scale, gives its
    figures without scipy's precision warning.
    """
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if va + vb == 0:
        return math.nan, math.nan, math.nan
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(t), float(df), float(2 * stats.t.sf(abs(t), df))


def _detractors(q: Questionnaire, df: pd.DataFrame, sat: Question | None) -> tuple[pd.Series | None, str | None]:
    nps = [question for question in q.questions() if question.type == "nps" and question.block is None]
    if nps:
        values = pd.to_numeric(df[nps[0].id], errors="coerce")
        return values.le(6).where(values.notna()), f"{nps[0].id} 0-6"
    if sat is not None and sat.scale is not None:
        values = pd.to_numeric(df[sat.id], errors="coerce")
        return values.le(2).where(values.notna()), f"{sat.id} 1-2"
    return None, None


def comment_themes(
    q: Questionnaire,
    df: pd.DataFrame,
    question: Question,
    sat: Question | None,
    *,
    conf_level: float = 0.95,
    weighting: wt.WeightingResult | None = None,
) -> CommentThemesResult:
    """Code ``question``'s comments in ``df`` and compute frequencies, sentiment and impact (module docstring).

    ``weighting``: the calibration of ``df`` (the frame that was weighted, same index), or None
    for the unweighted figures.
    """
    if question.codeframe is None:
        raise ValueError(f"{question.id!r} has no codeframe")
    codeframe = question.codeframe
    coder = coder_for(codeframe)
    texts = df[question.id]
    answered = texts.notna() & texts.astype(str).str.strip().ne("")
    comments = texts[answered].astype(str)
    cache: dict[str, tuple[tuple[str, ...], str, dict[str, str]]] = {}
    rows = []
    for index, text in comments.items():
        if text not in cache:
            coded = coder.code(text)
            cache[text] = (coded.themes, coded.sentiment, dict(coded.theme_sentiment))
        themes, sentiment, per_theme = cache[text]
        rows.append((index, mask_personal_data(text), themes, sentiment, per_theme))
    coded_frame = pd.DataFrame(
        [(t, th, s) for _, t, th, s, _ in rows], index=[r[0] for r in rows], columns=["text", "themes", "sentiment"]
    )
    n = len(rows)
    ids = codeframe.theme_ids()
    mentions = pd.DataFrame({t: [t in r[2] for r in rows] for t in ids}, index=coded_frame.index, dtype=bool)
    frequencies = (
        _frequencies(ids, mentions, n, conf_level)
        if weighting is None
        else _weighted_frequencies(ids, mentions, df.index, weighting, conf_level)
    )
    counts = {t: dict.fromkeys(SENTIMENTS, 0) for t in ids}
    overall = dict.fromkeys(SENTIMENTS, 0)
    for _, _, themes, sentiment, per_theme in rows:
        overall[sentiment] += 1
        for t in themes:
            counts[t][per_theme.get(t, sentiment)] += 1
    sentiment_frame = pd.DataFrame([*counts.values(), overall], index=[*ids, "all"], columns=list(SENTIMENTS))
    sat_values = pd.to_numeric(df.loc[coded_frame.index, sat.id], errors="coerce") if sat is not None else None
    detractors, rule = _detractors(q, df.loc[coded_frame.index], sat)
    tested = [t for t in ids if t != "other"]
    impact = (
        _impact(tested, mentions, sat_values, detractors)
        if weighting is None
        else _weighted_impact(tested, mentions, sat_values, detractors, df.index, weighting)
    )
    return CommentThemesResult(
        question.id,
        codeframe.name,
        n,
        sat.id if sat is not None else None,
        rule,
        frequencies,
        sentiment_frame,
        impact,
        coded_frame,
        weighting is not None,
    )


def _frequencies(ids: Sequence[str], mentions: pd.DataFrame, n: int, conf_level: float) -> pd.DataFrame:
    """Per theme k of the n comments, k/n and Wilson's interval on n (module docstring)."""
    freq = []
    for t in ids:
        k = int(mentions[t].sum()) if n else 0
        low, high = wilson_interval(k, n, conf_level) if n else (math.nan, math.nan)
        freq.append((t, k, k / n if n else math.nan, low, high, float(n) if n else math.nan))
    return pd.DataFrame(freq, columns=["theme", "n", "share", "ci_low", "ci_high", "n_eff"]).set_index("theme")


def _weighted_frequencies(
    ids: Sequence[str], mentions: pd.DataFrame, index: pd.Index, weighting: wt.WeightingResult, conf_level: float
) -> pd.DataFrame:
    """Per theme the weighted share of the commenters with its linearised SE and Wilson's interval on n*."""
    n = len(mentions)
    # one column per theme: 1/0 for a commenter, missing for the others (the domain of the commenters)
    frame = mentions.astype(float).reindex(index).set_axis([f"t{i}" for i in range(len(ids))], axis=1)
    freq = []
    for i, t in enumerate(ids):
        k = int(mentions[t].sum()) if n else 0
        if not n:
            freq.append((t, k, math.nan, math.nan, math.nan, math.nan, math.nan))
            continue
        estimate = wt.weighted_mean(frame, f"t{i}", weighting, ci=conf_level)
        p, se = estimate.estimate, estimate.se
        n_star = p * (1 - p) / se**2 if 0 < p < 1 and se > 0 else float(n)
        low, high = wilson_interval(p * n_star, n_star, conf_level)
        freq.append((t, k, p, low, high, n_star, se))
    return pd.DataFrame(freq, columns=["theme", "n", "share", "ci_low", "ci_high", "n_eff", "se"]).set_index("theme")


def _impact(
    themes: list[str], mentions: pd.DataFrame, sat: pd.Series | None, detractors: pd.Series | None
) -> pd.DataFrame:
    """Per theme, satisfaction and detractors with and without it, unweighted (module docstring)."""
    records = []
    for t in themes:
        record: dict[str, float] = {}
        if sat is not None:
            with_, without = sat[mentions[t]].dropna(), sat[~mentions[t]].dropna()
            record.update(n_with=len(with_), n_without=len(without))
            record.update(
                mean_with=float(with_.mean()) if len(with_) else math.nan,
                mean_without=float(without.mean()) if len(without) else math.nan,
            )
            record["diff"] = record["mean_with"] - record["mean_without"]
            record.update(t=math.nan, df=math.nan, p=math.nan)
            if len(with_) >= MIN_GROUP and len(without) >= MIN_GROUP:
                test = welch_t(with_.to_numpy(float), without.to_numpy(float))
                record.update(zip(("t", "df", "p"), test, strict=True))
        if detractors is not None:
            d1, d0 = detractors[mentions[t]].dropna(), detractors[~mentions[t]].dropna()
            record.update(
                detractors_with=float(d1.mean()) if len(d1) else math.nan,
                detractors_without=float(d0.mean()) if len(d0) else math.nan,
            )
            record["share_diff"] = record["detractors_with"] - record["detractors_without"]
            z, p = (math.nan, math.nan)
            if len(d1) >= MIN_GROUP and len(d0) >= MIN_GROUP:
                z, p = two_proportion_z(float(d1.sum()), len(d1), float(d0.sum()), len(d0))
            record.update(z=z, p_share=p)
        records.append(record)
    return _holm(pd.DataFrame(records, index=pd.Index(themes, name="theme")))


def _weighted_impact(
    themes: list[str],
    mentions: pd.DataFrame,
    sat: pd.Series | None,
    detractors: pd.Series | None,
    index: pd.Index,
    weighting: wt.WeightingResult,
) -> pd.DataFrame:
    """Per theme, the weighted domain means with and without it and the tests of their difference (module docstring)."""
    frame = pd.DataFrame(
        {
            "sat": (sat if sat is not None else pd.Series(math.nan, mentions.index)).astype(float),
            "det": (detractors if detractors is not None else pd.Series(math.nan, mentions.index)).astype(float),
        }
    ).reindex(index)
    records = []
    for t in themes:
        frame["mentions"] = mentions[t].reindex(index)  # missing for those who wrote no comment
        record: dict[str, float] = {}
        if sat is not None:
            record.update(_weighted_contrast(frame, "sat", weighting, ("mean_with", "mean_without", "diff")))
            n1, n0 = record.pop("n1"), record.pop("n0")
            record.update(n_with=n1, n_without=n0)
            tested = n1 >= MIN_GROUP and n0 >= MIN_GROUP and record["se"] > 0
            record.update(
                t=record["stat"] if tested else math.nan,
                df=record["dof"] if tested else math.nan,
                p=record["p_t"] if tested else math.nan,
            )
            for key in ("se", "stat", "dof", "p_t"):
                del record[key]
        if detractors is not None:
            share = _weighted_contrast(frame, "det", weighting, ("detractors_with", "detractors_without", "share_diff"))
            tested = share["n1"] >= MIN_GROUP and share["n0"] >= MIN_GROUP and share["se"] > 0
            z = share["stat"] if tested else math.nan
            p = float(2 * stats.norm.sf(abs(z))) if tested else math.nan
            record.update(
                {k: share[k] for k in ("detractors_with", "detractors_without", "share_diff")}, z=z, p_share=p
            )
        records.append(record)
    return _holm(pd.DataFrame(records, index=pd.Index(themes, name="theme")))


def _weighted_contrast(
    frame: pd.DataFrame, column: str, weighting: wt.WeightingResult, names: tuple[str, str, str]
) -> dict[str, float]:
    """The two domain means of ``column`` (mentions true, false), their difference and its test.

    A side nobody is in has a NaN mean, and the test is NaN.
    """
    answered = frame[column].notna() & frame["mentions"].notna()
    sides = (answered & frame["mentions"].eq(True), answered & frame["mentions"].eq(False))
    n1, n0 = (int(side.sum()) for side in sides)
    out = {"n1": n1, "n0": n0, "se": math.nan, "stat": math.nan, "dof": math.nan, "p_t": math.nan}
    if n1 == 0 or n0 == 0:
        w = weighting.weights
        means = [
            float(np.average(frame.loc[side, column], weights=w[side])) if side.any() else math.nan for side in sides
        ]
        return out | dict(zip(names, (*means, means[0] - means[1]), strict=True))
    d = wt.weighted_mean_difference(frame, column, "mentions", weighting)
    return (
        out
        | dict(zip(names, (*d.means, d.diff), strict=True))
        | {"se": d.se, "stat": d.t, "dof": float(d.df), "p_t": d.p}
    )


def _holm(frame: pd.DataFrame) -> pd.DataFrame:
    for column, adjusted in (("p", "p_holm"), ("p_share", "p_share_holm")):
        if column in frame.columns:
            frame[adjusted] = holm(frame[column].to_numpy(dtype=float))  # untested themes stay NaN
    return frame
