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

**With survey weights** (``weights``: the calibrated weights of ``analyze()``'s weighting) every
share and mean is the weighted one over the comments (Σ w·x / Σ w), and each interval and test
takes Kish's effective n of its group, n_eff = (Σ w)² / Σ w², in place of n (Kish 1965, §11.7;
Potthoff, Woodbury & Manton 1992 for effective n and degrees of freedom in tests on weighted
data; Korn & Graubard 1998 for a score interval on the effective n of a weighted share):
the Wilson interval at n_eff; Welch's t with the weighted variance
s²_w = Σ w (y − ȳ_w)² / (Σ w − Σ w² / Σ w) over n_eff, and n_eff − 1 in the Welch–Satterthwaite
degrees of freedom; the pooled z test with the weighted shares and n_eff.  These use the weights
as given and leave out the calibration's own variance reduction, as the weighted reliability and
Kano do.  The counts (n, theme × sentiment) stay respondents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.segments import holm
from surveykit.model import Question, Questionnaire
from surveykit.text import SENTIMENTS, coder_for, mask_personal_data

__all__ = [
    "CommentThemesResult",
    "comment_themes",
    "kish_n",
    "two_proportion_z",
    "weighted_welch_t",
    "welch_t",
    "wilson_interval",
]

MIN_GROUP = 2


@dataclass(frozen=True, slots=True)
class CommentThemesResult:
    """The coded comments of one text question and the figures over them (module docstring).

    ``frequencies``: per theme (codeframe order, ``other`` last) n, share, ci_low, ci_high, n_eff
    (Kish's effective n of the comments: n itself without weights).
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
    """The pooled two-proportion z test of k1/n1 against k0/n0: (z, two-sided p); NaN when undefined.

    With weights, k/n is the weighted share and n Kish's effective n (k = share · n_eff).
    """
    if n1 == 0 or n0 == 0:
        return math.nan, math.nan
    pooled = (k1 + k0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return math.nan, math.nan
    z = (k1 / n1 - k0 / n0) / se
    return z, float(2 * stats.norm.sf(abs(z)))


def kish_n(w: np.ndarray) -> float:
    """Kish's effective n of weights ``w``: (Σ w)² / Σ w² (NaN for none); len(w) for equal weights.

    >>> kish_n(np.array([1.0, 1.0, 2.0]))
    2.6666666666666665
    """
    total = float(w.sum())
    return total * total / float((w * w).sum()) if len(w) and total > 0 else math.nan


def weighted_welch_t(a: np.ndarray, wa: np.ndarray, b: np.ndarray, wb: np.ndarray) -> tuple[float, float, float]:
    """Welch's t of the weighted means of a and b on Kish's effective n (module docstring): (t, df, p).

    With equal weights it is :func:`welch_t`; NaN when a group has n_eff <= 1 or the SE is 0.
    """
    parts = []
    for y, w in ((a, wa), (b, wb)):
        n_eff, total = kish_n(w), float(w.sum())
        if not n_eff > 1:
            return math.nan, math.nan, math.nan
        mean = float((w * y).sum()) / total
        variance = float((w * (y - mean) ** 2).sum()) / (total - float((w * w).sum()) / total)
        parts.append((mean, variance / n_eff, n_eff))
    (ma, va, na), (mb, vb, nb) = parts
    if va + vb == 0:
        return math.nan, math.nan, math.nan
    t = (ma - mb) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    return float(t), float(df), float(2 * stats.t.sf(abs(t), df))


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
    weights: pd.Series | None = None,
) -> CommentThemesResult:
    """Code ``question``'s comments in ``df`` and compute frequencies, sentiment and impact (module docstring).

    ``weights``: a weight per row of ``df`` (same index), or None for the unweighted figures.
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
    w = (
        np.ones(n)
        if weights is None
        else weights.reindex(coded_frame.index).to_numpy(dtype=float)  # the commenters' weights
    )
    n_eff = kish_n(w) if weights is not None else float(n)
    freq = []
    for t in ids:
        k = int(mentions[t].sum()) if n else 0
        share = float(w[mentions[t].to_numpy()].sum() / w.sum()) if n else math.nan
        low, high = wilson_interval(share * n_eff, n_eff, conf_level) if n else (math.nan, math.nan)
        freq.append((t, k, share, low, high, n_eff if n else math.nan))
    frequencies = pd.DataFrame(freq, columns=["theme", "n", "share", "ci_low", "ci_high", "n_eff"]).set_index("theme")
    counts = {t: dict.fromkeys(SENTIMENTS, 0) for t in ids}
    overall = dict.fromkeys(SENTIMENTS, 0)
    for _, _, themes, sentiment, per_theme in rows:
        overall[sentiment] += 1
        for t in themes:
            counts[t][per_theme.get(t, sentiment)] += 1
    sentiment_frame = pd.DataFrame([*counts.values(), overall], index=[*ids, "all"], columns=list(SENTIMENTS))
    sat_values = pd.to_numeric(df.loc[coded_frame.index, sat.id], errors="coerce") if sat is not None else None
    detractors, rule = _detractors(q, df.loc[coded_frame.index], sat)
    impact = _impact(
        [t for t in ids if t != "other"], mentions, sat_values, detractors, pd.Series(w, index=coded_frame.index)
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
        weights is not None,
    )


def _impact(
    themes: list[str], mentions: pd.DataFrame, sat: pd.Series | None, detractors: pd.Series | None, w: pd.Series
) -> pd.DataFrame:
    """Per theme, satisfaction and detractors with and without it (module docstring); ``w`` all 1 when unweighted."""
    weighted = bool((w != 1).any())
    records = []
    for t in themes:
        record: dict[str, float] = {}
        if sat is not None:
            with_, without = sat[mentions[t]].dropna(), sat[~mentions[t]].dropna()
            w1, w0 = w[with_.index].to_numpy(), w[without.index].to_numpy()
            record.update(n_with=len(with_), n_without=len(without))
            record.update(
                mean_with=float(np.average(with_, weights=w1)) if len(with_) else math.nan,
                mean_without=float(np.average(without, weights=w0)) if len(without) else math.nan,
            )
            record["diff"] = record["mean_with"] - record["mean_without"]
            record.update(t=math.nan, df=math.nan, p=math.nan)
            if len(with_) >= MIN_GROUP and len(without) >= MIN_GROUP:
                a, b = with_.to_numpy(float), without.to_numpy(float)
                test = weighted_welch_t(a, w1, b, w0) if weighted else welch_t(a, b)
                record.update(zip(("t", "df", "p"), test, strict=True))
        if detractors is not None:
            d1, d0 = detractors[mentions[t]].dropna(), detractors[~mentions[t]].dropna()
            w1, w0 = w[d1.index].to_numpy(), w[d0.index].to_numpy()
            record.update(
                detractors_with=float(np.average(d1, weights=w1)) if len(d1) else math.nan,
                detractors_without=float(np.average(d0, weights=w0)) if len(d0) else math.nan,
            )
            record["share_diff"] = record["detractors_with"] - record["detractors_without"]
            z, p = (math.nan, math.nan)
            if len(d1) >= MIN_GROUP and len(d0) >= MIN_GROUP:
                n1, n0 = (kish_n(w1), kish_n(w0)) if weighted else (len(d1), len(d0))
                z, p = two_proportion_z(record["detractors_with"] * n1, n1, record["detractors_without"] * n0, n0)
            record.update(z=z, p_share=p)
        records.append(record)
    frame = pd.DataFrame(records, index=pd.Index(themes, name="theme"))
    for column, adjusted in (("p", "p_holm"), ("p_share", "p_share_holm")):
        if column in frame.columns:
            frame[adjusted] = holm(frame[column].to_numpy(dtype=float))  # untested themes stay NaN
    return frame
