"""``analyze(q, df)``: everything the questionnaire declares, computed in one call.

The questionnaire says what to compute: dimensions (reliability), paired
blocks (SERVQUAL gaps, Kano categories, importance–performance), a
``constant_sum`` over a SERVQUAL block's dimensions (the weighted score),
segment fields (comparisons and a funnel plot), waves (the index over time),
``scoring:`` (category profiles), NPS questions, the overall-satisfaction
question (loyalty) and ``model:`` (the satisfaction-index path model with its
bootstrap and importance-performance map, :mod:`analysis.pathmodel`), text questions
with a ``codeframe:`` (themes, sentiment and their impact on satisfaction,
:mod:`analysis.text_themes`).
Response quality is always reported; flagged responses are excluded by
default and the result says how many and why: speeders,
duplicate answer vectors, and straight-liners — respondents who gave one
answer throughout every rating battery of at least five items.

Overall satisfaction is the first ``likert`` question outside the paired
blocks whose id starts with ``sat`` (``sat_overall`` in every shipped
instrument), else the first such question without a dimension.

One section that cannot be computed (a constant item, too few answers) is
recorded under ``notes`` instead of stopping the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from analysis import ipa, kano, loyalty, pathmodel, quality, reliability, segments, servqual
from analysis.headline import weighted_headline
from analysis.order_effects import OrderEffectResult
from analysis.order_effects import order_effects as order_effect_check

# by name: AnalysisResult's field `reliability` shadows the module
from analysis.reliability import OmegaResult, ReliabilityResult
from analysis.text_themes import CommentThemesResult, comment_themes
from analysis.weighted import WeightingSection, compute_weights, weigh
from surveykit.model import Question, Questionnaire, Scoring, Weighting
from surveykit.randomize import ORDER_SEED, item_positions
from surveykit.weights import WEIGHT_COLUMN, weight_variable

DEFAULT_EXCLUDE = ("straightlining", "speeder", "duplicate_answers")
# a response is compared for duplicate answers over at least this many answers: on fewer, honest
# respondents match by chance (the one-rating follow-up survey lost 53 of 60 simulated answers so)
DUPLICATE_MIN_ANSWERS = 10
MAX_PAIRWISE_GROUPS = 10  # beyond this, pairwise tests are noise and cost seconds; the funnel plot takes over
_PASSIVE_ROLES = {"expectation", "importance", "functional", "dysfunctional", "self_importance"}


@dataclass(frozen=True, slots=True)
class SatisfactionResult:
    """The overall-satisfaction question: level, top-2-box, 0–100 index, segments and waves."""

    variable: str
    scale: tuple[int, int]
    n: int
    mean: float
    top_box: loyalty.TopBoxResult
    index_mean: float  # 100 (mean - min) / (max - min)
    by_field: dict[str, segments.ComparisonResult]
    funnel: segments.FunnelResult | None
    waves: segments.WaveResult | None


@dataclass(frozen=True, slots=True)
class IPABlockResult:
    grid: ipa.IPAResult
    derived: ipa.ImportanceResult | None
    penalty_reward: ipa.PenaltyRewardResult | None


@dataclass(frozen=True, slots=True)
class ScoringResult:
    """Category scores of a scored instrument, per respondent and summarised."""

    categories: pd.DataFrame = field(compare=False)  # per category: label, n, mean, maximum, percent, band
    respondents: pd.DataFrame = field(compare=False)  # per respondent: score and percent per category


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    survey: str
    version: int
    questionnaire_sha256: str
    n_total: int
    n_analysed: int
    excluded: dict[str, int]
    quality: quality.QualityResult | None
    reliability: dict[str, ReliabilityResult]
    omega: dict[str, OmegaResult]
    servqual: dict[str, servqual.ServqualResult]
    kano: dict[str, kano.KanoResult]
    ipa: dict[str, IPABlockResult]
    satisfaction: SatisfactionResult | None
    nps: dict[str, loyalty.NpsResult]
    nps_segments: dict[str, loyalty.NpsSegmentsResult]
    loyalty_matrix: loyalty.LoyaltyMatrixResult | None
    scoring: ScoringResult | None
    frequencies: dict[str, pd.DataFrame] = field(compare=False)
    path_model: pathmodel.PathModelResult | None = None
    notes: tuple[str, ...] = ()
    weighting: WeightingSection | None = None  # with a weighting: section or analyze(weighting=...)
    order_effects: OrderEffectResult | None = None  # when a page, block or matrix is randomised
    comments: dict[str, CommentThemesResult] = field(default_factory=dict)  # text questions with a codeframe

    def summary(self) -> str:
        lines = [f"{self.survey} v{self.version}: {self.n_analysed} of {self.n_total} responses analysed"]
        for reason, count in self.excluded.items():
            lines.append(f"  excluded {count} ({reason})")
        parts: list[Any] = [self.quality, *self.reliability.values(), *self.servqual.values(), *self.kano.values()]
        for block in self.ipa.values():
            parts += [block.grid, block.derived, block.penalty_reward]
        parts += [*self.nps.values(), self.loyalty_matrix, self.path_model, self.order_effects, *self.comments.values()]
        for part in parts:
            if part is not None and hasattr(part, "summary"):
                lines += ["", part.summary()]
        if self.satisfaction is not None:
            s = self.satisfaction
            lines += [
                "",
                f"Overall satisfaction ({s.variable}): mean {s.mean:.2f} on {s.scale[0]}-{s.scale[1]}, "
                f"top-2-box {s.top_box.pct:.1f} %, index {s.index_mean:.1f}",
            ]
        if self.scoring is not None:
            lines += ["", "Scores (percent of maximum)"]
            for cid, row in self.scoring.categories.iterrows():
                lines.append(f"  {cid:<24} {row['percent']:6.1f} %  {row['band'] or ''}")
        if self.weighting is not None:
            lines += ["", self.weighting.summary()]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: frames become lists of records, NaN becomes None."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    def to_frame(self) -> pd.DataFrame:
        """Every number in one tidy frame: section, key, statistic, value."""
        rows: list[tuple[str, str, str, float]] = []
        _flatten(self.to_dict(), [], rows)
        return pd.DataFrame(rows, columns=["section", "key", "statistic", "value"])


def analyze(
    q: Questionnaire,
    df: pd.DataFrame,
    *,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    conf_level: float = 0.95,
    weighting: Weighting | None = None,
) -> AnalysisResult:
    """Run every analysis the questionnaire declares on its response table.

    Parameters
    ----------
    q : the questionnaire.
    df : the response table (columns of ``q.variables()``, as ``surveykit simulate``,
        ``storage.responses_frame`` and ``surveykit export`` give it).
    exclude : quality flags whose respondents are left out (prefixes of the flag
        names of :func:`analysis.quality.flags`: ``straightlining``, ``long_string``,
        ``speeder``, ``duplicate_answers``); ``()`` keeps everyone.
    conf_level : level of every confidence interval.
    weighting : population margins to weight to (a ``--weights`` file read by
        :func:`surveykit.weights.load_weights`); default the questionnaire's
        ``weighting:``. The weights are computed once on the analysed frame
        (after the exclusions) and added to it as the labelled column ``weight``;
        ``AnalysisResult.weighting`` has them, the margins achieved, Kish's design
        effect and the weighted estimates (:mod:`analysis.weighted`). Impossible
        margins raise ``ValueError`` rather than leave the figures unweighted.
        Every section honours the weights: the satisfaction level, top-2-box and
        index, the NPS, the SERVQUAL gaps, the IPA grid, the funnel plot and the waves
        are the weighted estimates (:func:`analysis.headline.weighted_headline`), the
        other methods are given the weights; the unweighted figures stand beside the
        weighted ones in ``AnalysisResult.weighting``.
    """
    missing = [c for c in q.columns() if c not in df.columns]
    if missing:
        raise ValueError(f"the data lack {len(missing)} column(s) of {q.survey!r}: {', '.join(missing[:10])}")
    notes: list[str] = []
    quality_result = _quality(q, df, notes)
    data, excluded = _exclude(df, quality_result, exclude)
    sat = _satisfaction_question(q)
    servqual_results = _servqual(q, data, notes, conf_level)
    spec = weighting if weighting is not None else q.weighting
    weighted = None
    w: pd.Series | None = None  # the survey weights of the analysed rows, when there are any
    if spec is not None:
        weighted = weigh(
            spec,
            data,
            sat,
            _nps_questions(q),
            conf_level,
            q=q,
            servqual_scores={block: r.scores for block, r in servqual_results.items()},
            funnel_field=_first_field(q, data),
        )
        if WEIGHT_COLUMN in data.columns:
            notes.append(f"weighting: the data's own {WEIGHT_COLUMN!r} column was replaced by the weights computed now")
        w = weighted.weights
        data = data.assign(**{WEIGHT_COLUMN: w})
        data.attrs["variable_labels"] = {WEIGHT_COLUMN: weight_variable().label.as_dict()}
        notes += weighted.notes
        notes.append(
            "weighting: every estimate is weighted (means, shares, NPS, SERVQUAL, segments, funnel plot, waves, "
            "IPA, reliability, Kano, derived importance, penalty-reward, the loyalty matrix, the path model, "
            "scores and answer percents, comment themes); counts are respondents"
        )
    comments = {
        question.id: r
        for question in q.questions()
        if question.type == "text" and question.codeframe is not None
        if (
            r := _attempt(
                notes,
                f"comments {question.id}",
                partial(
                    comment_themes,
                    q,
                    data,
                    question,
                    sat,
                    conf_level=conf_level,
                    weighting=weighted.result if weighted is not None else None,
                ),
            )
        )
    }
    # with weights, the sections read the weighted estimates (the unweighted ones stay beside them in .weighting)
    return weighted_headline(
        AnalysisResult(
            survey=q.survey,
            version=q.version,
            questionnaire_sha256=q.sha256,
            n_total=len(df),
            n_analysed=len(data),
            excluded=excluded,
            quality=quality_result,
            reliability=_by_dimension(
                q,
                data,
                notes,
                lambda items, rev, scale: reliability.cronbach_alpha(
                    data[items], reverse=rev, scale=scale, ci=conf_level, weights=w
                ),
            ),
            omega=_by_dimension(
                q,
                data,
                notes,
                lambda items, rev, scale: reliability.omega(data[items], reverse=rev, scale=scale, weights=w),
                min_items=3,
            ),
            servqual=servqual_results,
            kano={
                b.id: r
                for b in q.blocks("kano")
                if (r := _attempt(notes, f"kano {b.id}", partial(kano.evaluate, q, data, block=b.id, weights=w)))
            },
            ipa=_ipa(q, data, sat, notes, w),
            satisfaction=_attempt(notes, "satisfaction", lambda: _satisfaction(q, data, sat, conf_level))
            if sat
            else None,
            nps={
                n.id: r
                for n in _nps_questions(q)
                if (r := _attempt(notes, f"nps {n.id}", partial(loyalty.nps, data[n.id], conf_level=conf_level)))
            },
            nps_segments=_nps_segments(q, data, notes, conf_level, w),
            loyalty_matrix=_loyalty_matrix(q, data, sat, notes, w),
            scoring=_attempt(notes, "scoring", partial(_scoring, q, q.scoring, data, w)) if q.scoring else None,
            frequencies=_frequencies(q, data, w),
            path_model=(
                _attempt(notes, "path model", partial(pathmodel.fit_model, q, data, conf_level=conf_level, weights=w))
                if q.model
                else None
            ),
            notes=tuple(notes),
            weighting=weighted,
            order_effects=(
                _attempt(notes, "order effects", partial(order_effect_check, q, data))
                if ORDER_SEED in q.columns() and item_positions(q, 0)
                else None
            ),
            comments=comments,
        )
    )


def weights_for(
    q: Questionnaire, df: pd.DataFrame, weighting: Weighting | None = None, *, exclude: Sequence[str] | None = None
) -> pd.Series:
    """The ``weight`` column for a whole response table, as ``analyze()`` computes it, for exports.

    The weights are those of the analysed rows (after the same quality exclusions as
    ``analyze(q, df, exclude=exclude)``, default its own); excluded rows get no weight (missing),
    because they are not part of the weighted sample. ``weighting`` defaults to the
    questionnaire's ``weighting:``.
    """
    spec = weighting if weighting is not None else q.weighting
    if spec is None:
        raise ValueError(f"{q.survey!r} declares no weighting: and no margins were given")
    notes: list[str] = []
    data, _ = _exclude(df, _quality(q, df, notes), DEFAULT_EXCLUDE if exclude is None else exclude)
    weights = compute_weights(spec, data).weights
    return weights.reindex(df.index).rename(WEIGHT_COLUMN)


def _attempt(notes: list[str], what: str, compute: Callable[[], Any]) -> Any:
    """Run one section; a ValueError (bad data for it) becomes a note, not a failure."""
    try:
        return compute()
    except ValueError as exc:
        notes.append(f"{what}: not computed ({exc})")
        return None


def _rating_questions(q: Questionnaire) -> list[tuple[str, Question]]:
    """(variable, question) for every numeric rating answer, matrix rows expanded."""
    out = []
    for question in q.questions():
        if question.type == "likert":
            out.append((question.id, question))
        elif question.type == "matrix":
            out.extend((row.id, question) for row in question.rows)
    return out


def _quality(q: Questionnaire, df: pd.DataFrame, notes: list[str]) -> quality.QualityResult | None:
    batteries = {}
    for screen in q.screens():
        items = [v for v, question in _rating_questions(q) if question in screen.questions]
        if len(items) >= 5:
            batteries[screen.id] = items
    answers = [v.name for v in q.answer_variables() if v.type != "text"]
    return _attempt(
        notes,
        "response quality",
        lambda: quality.flags(
            df,
            batteries=batteries or None,
            duration="duration_s" if df["duration_s"].notna().sum() >= 3 else None,
            answers=answers,
            duplicate_min_answers=DUPLICATE_MIN_ANSWERS,
        ),
    )


def _exclude(
    df: pd.DataFrame, result: quality.QualityResult | None, exclude: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    if result is None or not exclude:
        return df, {}
    flagged = np.zeros(len(df), bool)
    counts: dict[str, int] = {}
    for prefix in exclude:
        columns = [c for c in result.flags.columns if c != "any" and c.startswith(prefix)]
        if not columns:
            continue
        # a respondent is a straight-liner only if every battery is straight-lined:
        # one short battery answered alike is common among honest respondents
        hit = result.flags[columns].to_numpy(bool).all(axis=1)
        counts[prefix if len(columns) > 1 else columns[0]] = int(hit.sum())
        flagged |= hit
    counts = {k: v for k, v in counts.items() if v}
    return df.loc[~flagged], counts


def _by_dimension(
    q: Questionnaire, df: pd.DataFrame, notes: list[str], compute: Callable[..., Any], min_items: int = 2
) -> dict[str, Any]:
    """Per dimension, over its perception and plain rating items (not expectations or importance)."""
    results = {}
    for dimension in q.dimensions:
        variables = [
            v
            for v in q.answer_variables()
            if v.dimension == dimension.id
            and v.kind == "numeric"
            and v.scale is not None
            and v.role not in _PASSIVE_ROLES
        ]
        if len(variables) < min_items:
            continue
        items = [v.name for v in variables]
        reverse = [v.name for v in variables if v.reverse]
        scale = (min(v.min for v in variables if v.min is not None), max(v.max for v in variables if v.max is not None))
        result = _attempt(notes, f"reliability of {dimension.id}", partial(compute, items, reverse, scale))
        if result is not None:
            results[dimension.id] = result
    return results


def _servqual(q: Questionnaire, df: pd.DataFrame, notes: list[str], conf_level: float) -> dict[str, Any]:
    segment = _first_field(q, df)
    out = {}
    for block in q.blocks("servqual"):
        few = segment is not None and df[segment].nunique() <= MAX_PAIRWISE_GROUPS
        result = _attempt(
            notes,
            f"servqual {block.id}",
            partial(servqual.gaps, q, df, block=block.id, segment=segment, conf_level=conf_level, pairwise=few),
        )
        if result is not None:
            out[block.id] = result
    return out


def _first_field(q: Questionnaire, df: pd.DataFrame) -> str | None:
    for f in q.fields:
        counts = df[f.id].value_counts()
        if (counts >= 2).sum() >= 2:
            return f.id
    return None


def _ipa(
    q: Questionnaire, df: pd.DataFrame, sat: Question | None, notes: list[str], w: pd.Series | None
) -> dict[str, IPABlockResult]:
    out = {}
    for block in q.blocks("importance_performance"):
        attrs = {item.id: (f"{item.id}_p", f"{item.id}_i") for item in block.items}
        perf = block.performance_scale.points
        grid = _attempt(
            notes,
            f"ipa {block.id}",
            partial(
                ipa.grid, df, attrs, performance_scale=(1, perf), importance_scale=(1, block.importance_scale.points)
            ),
        )
        if grid is None:
            continue
        derived = penalty = None
        if sat is not None:
            performance = [p for p, _ in attrs.values()]
            derived = _attempt(
                notes,
                f"derived importance {block.id}",
                partial(
                    ipa.derived_importance,
                    df,
                    target=sat.id,
                    attributes=performance,
                    method="relative_weights",
                    weights=w,
                ),
            )
            step = (perf - 1) // 3
            penalty = _attempt(
                notes,
                f"penalty-reward {block.id}",
                partial(
                    ipa.penalty_reward, df, sat.id, performance, low_if_le=1 + step, high_if_ge=perf - step, weights=w
                ),
            )
        out[block.id] = IPABlockResult(grid, derived, penalty)
    return out


def _satisfaction_question(q: Questionnaire) -> Question | None:
    plain = [question for question in q.questions() if question.type == "likert" and question.block is None]
    named = [question for question in plain if question.id.startswith("sat")]
    undimensioned = [question for question in plain if question.dimension is None]
    candidates = named or undimensioned
    return candidates[0] if candidates else None


def _satisfaction(q: Questionnaire, df: pd.DataFrame, sat: Question, conf_level: float) -> SatisfactionResult:
    points = sat.scale.points if sat.scale else 5
    values = quality.numeric_columns(df, [sat.id], min_rows=2)[sat.id]
    index = 100 * (values - 1) / (points - 1)
    by_field = {}
    for f in q.fields:
        groups = df[f.id]
        sizes = groups[values.notna()].value_counts()
        if (sizes >= 2).sum() >= 2:
            usable = groups.isin(sizes[sizes >= 2].index) & values.notna()
            try:
                by_field[f.id] = segments.compare(
                    values[usable],
                    groups[usable],
                    conf_level=conf_level,
                    pairwise=(sizes >= 2).sum() <= MAX_PAIRWISE_GROUPS,
                )
            except ValueError:
                continue
    first = _first_field(q, df)
    funnel = segments.funnel_limits(index, df[first]) if first else None
    waves = df["wave"].dropna()
    over = (
        segments.over_waves(index, df["wave"], scale=(0, 100), conf_level=conf_level) if waves.nunique() >= 2 else None
    )
    return SatisfactionResult(
        variable=sat.id,
        scale=(1, points),
        n=int(values.notna().sum()),
        mean=float(values.mean()),
        top_box=loyalty.top_box(values, scale_max=points, boxes=2),
        index_mean=float(index.mean()),
        by_field=by_field,
        funnel=funnel,
        waves=over,
    )


def _nps_questions(q: Questionnaire) -> list[Question]:
    return [question for question in q.questions() if question.type == "nps"]


def _nps_segments(
    q: Questionnaire, df: pd.DataFrame, notes: list[str], conf_level: float, w: pd.Series | None = None
) -> dict[str, Any]:
    first = _first_field(q, df)
    if first is None:
        return {}
    out = {}
    for question in _nps_questions(q):
        result = _attempt(
            notes,
            f"nps {question.id} by {first}",
            partial(loyalty.nps_by_segment, df[question.id], df[first], conf_level=conf_level, weights=w),
        )
        if result is not None:
            out[question.id] = result
    return out


def _loyalty_matrix(
    q: Questionnaire, df: pd.DataFrame, sat: Question | None, notes: list[str], w: pd.Series | None
) -> Any:
    nps_questions = _nps_questions(q)
    if sat is None or not nps_questions or sat.scale is None:
        return None
    satisfied_if_ge = sat.scale.points - 1
    return _attempt(
        notes,
        "satisfaction-loyalty matrix",
        lambda: loyalty.satisfaction_loyalty_matrix(
            df[sat.id], df[nps_questions[0].id], satisfied_if_ge=satisfied_if_ge, loyal_if_ge=9, weights=w
        ),
    )


def _scoring(q: Questionnaire, scoring: Scoring, df: pd.DataFrame, w: pd.Series | None = None) -> ScoringResult:
    """Category scores; with survey weights ``w`` the category mean and percent are weighted means
    over the respondents who answered every item of the category (``n`` stays their count)."""
    per_respondent = {}
    rows = []
    for category in scoring.categories:
        keyed = []
        for item in category.items:
            variable = q.variable(item)
            values = quality.numeric_columns(df, [item])[item]
            if variable.reverse and variable.min is not None and variable.max is not None:
                values = variable.min + variable.max - values
            keyed.append(values)
        frame = pd.concat(keyed, axis=1)
        complete = frame.notna().all(axis=1)
        score = frame.sum(axis=1) if category.method == "sum" else frame.mean(axis=1)
        score = score.where(complete)
        percent = 100 * (score - category.minimum) / (category.maximum - category.minimum)
        per_respondent[f"{category.id}_score"] = score
        per_respondent[f"{category.id}_percent"] = percent
        weights = pd.Series(1.0, index=df.index) if w is None else w.reindex(df.index)
        mean_percent = _mean(percent, weights) if complete.any() else math.nan
        band = scoring.band(mean_percent) if not math.isnan(mean_percent) else None
        rows.append(
            {
                "category": category.id,
                "label_zh": category.label.get("zh"),
                "label_en": category.label.get("en"),
                "method": category.method,
                "n": int(complete.sum()),
                "mean": _mean(score, weights) if complete.any() else math.nan,
                "maximum": category.maximum,
                "percent": mean_percent,
                "band": band.label.best(q.languages[0]) if band else None,
            }
        )
    categories = pd.DataFrame(rows).set_index("category")
    return ScoringResult(categories, pd.DataFrame(per_respondent))


def _mean(values: pd.Series, weights: pd.Series) -> float:
    """The (weighted) mean of the values that are present: Σ w y / Σ w over them."""
    present = values.notna()
    return float((values[present] * weights[present]).sum() / weights[present].sum())


def _frequencies(q: Questionnaire, df: pd.DataFrame, w: pd.Series | None = None) -> dict[str, pd.DataFrame]:
    """Counts and percents of every choice and multi question, in declared order.

    ``count`` is respondents; ``percent`` is of those who answered, weighted with survey weights
    ``w`` (100 Σ w·1[code] / Σ w over the answerers, the weighted share of R survey's ``svymean``
    of a factor; Lumley 2010); ``answered`` is the number of respondents who answered (so that
    percent/100 × answered is a weighted count on the respondents' scale).
    """
    weights = pd.Series(1.0, index=df.index) if w is None else w.reindex(df.index).astype(float)
    out = {}
    for question in q.questions():
        if question.type == "choice":
            column = df[question.id]
            answered = column.notna()
            chosen = [column == o.code for o in question.options]
        elif question.type == "multi":
            columns = [f"{question.id}_{o.code}" for o in question.options]
            answered = df[columns].notna().all(axis=1)
            chosen = [answered & (df[c] == 1) for c in columns]
        else:
            continue
        total = float(weights[answered].sum())
        out[question.id] = pd.DataFrame(
            {
                "code": [o.code for o in question.options],
                "count": [int(c.sum()) for c in chosen],
                "percent": [100 * float(weights[c].sum()) / total if total else math.nan for c in chosen],
                "answered": int(answered.sum()),
            }
        )
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        frame = value.reset_index() if not isinstance(value.index, pd.RangeIndex) else value
        return [{str(k): _jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        # a field marked export=False holds machinery (the calibration behind the weights), not a result
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value) if f.metadata.get("export", True)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or value is pd.NA or isinstance(value, str):
        return None if value is pd.NA else value
    return str(value)


def _flatten(value: Any, path: list[str], rows: list[tuple[str, str, str, float]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, [*path, key], rows)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            label = (
                str(item.get("index", item.get("item", item.get("category", item.get("code", i)))))
                if isinstance(item, dict)
                else str(i)
            )
            _flatten(item, [*path, label], rows)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and len(path) >= 2:
        rows.append((path[0], ".".join(path[1:-1]), path[-1], float(value)))
