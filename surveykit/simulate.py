"""Simulated responses from a latent-variable model of the instrument.

Why a model and not uniform noise: the analysis needs data with structure to
find — dimensions that hang together, expectations above perceptions, Kano
attributes with a dominant category, loyalty that follows satisfaction, and a
few careless respondents for the quality checks to catch.

The model, per respondent *r*:

* overall satisfaction ``S_r ~ N(0, 1)`` plus a segment effect (one shift per
  value of the first segment field, so that dealers differ) and a small trend
  over waves;
* a factor per dimension ``F_dr = 0.7 S_r + 0.71 e_dr``;
* a rating item loads on its dimension's factor (or on ``S``):
  ``y = l F + sqrt(1 - l^2) u`` with ``l ~ U(0.6, 0.85)``, then cut into
  the scale's points at fixed thresholds around an item-specific mean; a
  reverse-keyed item loads on ``-F``;
* SERVQUAL expectations sit about one scale step above perceptions, so the
  gaps P - E are negative on average, as in most published studies;
* a Kano attribute draws each respondent's category from an attribute-specific
  mix (one dominant category) and then an answer pair that the Berger et al.
  table classifies into that category;
* NPS and choice answers follow ``S`` (NPS) or an attribute-specific mix.

Conditions (``visible_if``) are applied in questionnaire order, so answers of
questions that would not have been shown are missing, exactly as the web form
stores them.  Everything is vectorised: a million rows take seconds.  The same
seed gives the same data.

A :class:`~surveykit.scenario.Scenario` replaces the random segment shifts and
the wave trend by planted effects in the units the report uses (see
:func:`_Planted.build`): respondents are spread evenly over the dealer x wave
cells, the satisfaction question sits at the scenario's index level, one dealer
and each later wave are shifted on ``S`` by the amount that moves the expected
index by the planted points, SERVQUAL expectations match perceptions except on
the planted dimension, and one Kano attribute draws from the planted mix.
Without a scenario nothing changes: the same seed gives the same bytes as before.

A questionnaire with a path model (``model:``) has that model's items drawn from it, with
planted paths, by :mod:`surveykit.structural` (not under a scenario, which plants its own
levels on the satisfaction question).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from surveykit import structural
from surveykit.model import Question, Questionnaire
from surveykit.randomize import ORDER_SEED, order_seed
from surveykit.scenario import Scenario, satisfaction_question

_KANO_PAIRS = {  # category -> (functional, dysfunctional) answer pairs that classify into it
    "A": [("like", "must_be"), ("like", "neutral"), ("like", "live_with")],
    "O": [("like", "dislike")],
    "M": [("must_be", "dislike"), ("neutral", "dislike"), ("live_with", "dislike")],
    "I": [("neutral", "neutral"), ("must_be", "neutral"), ("neutral", "live_with"), ("live_with", "live_with")],
    "R": [("dislike", "like"), ("neutral", "like")],
    "Q": [("like", "like"), ("dislike", "dislike")],
}
# Sample answers of text questions with a pattern: times of day, plate-like codes, numbers.
_PATTERNED = ("09:15", "10:40", "11:05", "14:30", "15:50", "16:45", "A1234", "B5678", "12345", "2026")
# In a scenario the satisfaction question loads on S with this fixed loading, so that its
# expected index can be solved for exactly (elsewhere loadings are drawn from U(0.6, 0.85)).
SATISFACTION_LOADING = 0.8
_COMMENTS = {
    "zh": [
        "等待时间太长了。",
        "服务顾问态度很好。",
        "价格不够透明。",
        "希望能提前告知维修进度。",
        "车辆交付时很干净。",
    ],
    "en": [
        "The wait was too long.",
        "The advisor was friendly.",
        "The price was not clear.",
        "Please keep me informed about the repair.",
        "The car was clean on delivery.",
    ],
}


def simulate(
    q: Questionnaire,
    n: int,
    *,
    seed: int = 0,
    missing: float = 0.0,
    fields: Mapping[str, Sequence[str]] | None = None,
    waves: Sequence[str] | None = None,
    careless: float = 0.0,
    start: dt.datetime | None = None,
    scenario: Scenario | None = None,
    unit_shift: Mapping[str, float] | None = None,
    cell_shift: tuple[str, Mapping[tuple[str, str], float]] | None = None,
) -> pd.DataFrame:
    """Simulate ``n`` responses with exactly the columns of ``q.variables()``.

    Parameters
    ----------
    q : the questionnaire.
    n : number of responses.
    seed : random seed; the same seed gives the same frame.
    missing : share of answers left unanswered at random (item nonresponse),
        applied per question (a matrix row, multi or constant-sum group as a whole).
    fields : values to draw each segment field from, e.g. ``{"dealer": ["A", "B"]}``;
        a field not given uses its declared values, else ``<field>_1`` … ``<field>_5``.
    waves : wave labels; respondents are spread evenly, and satisfaction rises a
        little from wave to wave.
    careless : share of careless respondents: half straight-line every rating
        item, half are speeders (a fifth of the usual duration).
    start : timestamp of the first response (default 2026-01-05 09:00).
    scenario : planted levels and effects (see the module docstring); its dealers and
        waves, when it lists them, replace ``fields`` of the first segment field and ``waves``.
        Row ``r`` belongs to dealer x wave cell ``r % (dealers * waves)``, so that every block
        of rows whose length is a multiple of the number of cells is balanced.
    unit_shift : the shift of ``S`` per value of the first segment field, replacing the random
        shifts, so that surveys simulated for the same dealers (customers, staff, audits) share
        planted dealer levels (:mod:`surveykit.linked`); a value not in it is not shifted.
    cell_shift : ``(field, {(first field value, field value): shift})``, added to ``S`` on top of
        the dealer's: the level of a department within its dealer (:func:`surveykit.linked.cell_levels`),
        so that an employee and a customer survey share levels by dealer and department.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    for name, value in (("missing", missing), ("careless", careless)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} is a share between 0 and 1, got {value}")
    rng = np.random.default_rng(seed)
    fields = dict(fields or {})
    unknown = set(fields) - {f.id for f in q.fields}
    if unknown:
        raise ValueError(
            f"unknown segment field(s) {', '.join(sorted(unknown))}; the questionnaire declares "
            f"{', '.join(f.id for f in q.fields) or 'none'}"
        )
    columns: dict[str, np.ndarray] = {}

    # segments, waves and the latent satisfaction
    segment_shift = np.zeros(n)
    if scenario is not None and scenario.dealers and q.fields:
        fields[q.fields[0].id] = list(scenario.dealers)
    if scenario is not None and scenario.waves:
        waves = scenario.waves
    wave_labels: list[str | None] = list(waves) if waves else [None]
    dealer_index = np.zeros(n, np.intp)
    dealer_values: list[str] = []
    for index, field in enumerate(q.fields):
        values = list(
            fields.get(field.id) or [code for code, _ in field.values] or [f"{field.id}_{i}" for i in range(1, 6)]
        )
        if index == 0 and scenario is not None:
            dealer_values = values
            dealer_index = np.arange(n) % (len(values) * len(wave_labels)) // len(wave_labels)
            columns[field.id] = np.array(values, dtype=object)[dealer_index]
            continue
        draw = rng.integers(0, len(values), n)
        columns[field.id] = np.array(values, dtype=object)[draw]
        if index == 0:
            shifts = rng.normal(0, 0.35, len(values))  # drawn either way: a seed keeps its stream
            if unit_shift is not None:
                shifts = np.array([float(unit_shift.get(v, 0.0)) for v in values])
            segment_shift = shifts[draw]
    if cell_shift is not None and q.fields:
        name, by_cell = cell_shift
        if name not in columns:
            raise ValueError(f"cell_shift names {name!r}, not a segment field of {q.survey!r}")
        pairs = zip(columns[q.fields[0].id], columns[name], strict=True)
        segment_shift = segment_shift + np.array([float(by_cell.get((a, b), 0.0)) for a, b in pairs])
    planted = None
    if scenario is None:
        wave_index = np.sort(rng.integers(0, len(wave_labels), n))
        satisfaction = rng.standard_normal(n) + segment_shift + 0.12 * wave_index
    else:
        planted = _Planted.build(q, scenario, rng, dealer_values, len(wave_labels))
        wave_index = np.arange(n) % len(wave_labels)
        satisfaction = rng.standard_normal(n) + planted.shift[dealer_index, wave_index]
    factors = {d.id: 0.7 * satisfaction + 0.71 * rng.standard_normal(n) for d in q.dimensions}
    if planted is not None:
        planted.expectation_factors = {d.id: 0.7 * satisfaction + 0.71 * rng.standard_normal(n) for d in q.dimensions}

    straight = np.zeros(n, bool)
    speeder = np.zeros(n, bool)
    if careless > 0:
        chosen = rng.random(n) < careless
        coin = rng.random(n) < 0.5
        straight, speeder = chosen & coin, chosen & ~coin
    straight_point = rng.random(n)  # position on the scale each straight-liner picks

    for question in q.questions():
        columns.update(_answer(question, q, rng, n, satisfaction, factors, straight, straight_point, planted))
    if q.model is not None and planted is None:  # the items of a path model follow its planted paths
        columns.update(structural.draw(q, rng, satisfaction, straight, straight_point))

    # item nonresponse, question by question
    if missing > 0:
        for question in q.questions():
            hole = rng.random(n) < missing
            for name in _columns_of(question):
                _blank(columns, name, hole)

    # metadata
    languages = np.array(q.languages, dtype=object)
    language = languages[np.where(rng.random(n) < 0.7, 0, rng.integers(0, len(languages), n))]
    expected_s = 20.0 + 6.0 * len(q.answer_variables())
    duration = np.round(rng.lognormal(np.log(expected_s), 0.35, n))
    duration[speeder] = np.round(duration[speeder] / 5)
    start = start or dt.datetime(2026, 1, 5, 9, 0, 0)
    if planted is None:
        offsets = np.sort(rng.uniform(0, 86400 * 30 * len(wave_labels), n))
    else:  # rows cycle through the waves: each wave keeps its own month
        offsets = 86400 * 30 * wave_index + rng.uniform(0, 86400 * 30, n)
    started = (pd.Timestamp(start) + pd.to_timedelta(np.floor(offsets), unit="s")).as_unit("s")
    meta = {
        "response_id": np.array([f"sim-{seed}-{i:07d}" for i in range(n)], dtype=object),
        "survey": np.full(n, q.survey, dtype=object),
        "version": np.full(n, float(q.version)),
        "wave": np.array(wave_labels, dtype=object)[wave_index],
        "language": language,
        "started_at": started,
        "submitted_at": started + pd.to_timedelta(duration, unit="s"),
        "duration_s": duration,
    }
    if ORDER_SEED in q.columns():  # the seed save_frame's key (the response id) gives
        meta[ORDER_SEED] = np.array([float(order_seed(key)) for key in meta["response_id"]])
    frame = pd.DataFrame({**meta, **{k: v for k, v in columns.items()}}, columns=list(q.columns()))
    _apply_conditions(q, frame)
    _comment_language(q, frame)
    return frame


def _columns_of(question: Question) -> list[str]:
    if question.type in ("matrix", "checklist"):
        return [row.id for row in question.rows]
    if question.type in ("multi", "constant_sum"):
        return [f"{question.id}_{o.code}" for o in question.options]
    return [question.id]


def _blank(columns: dict[str, np.ndarray], name: str, mask: np.ndarray) -> None:
    values = columns[name]
    if values.dtype == object:
        values[mask] = None
    else:
        values[mask] = np.nan


def _rating(
    rng: np.random.Generator,
    points: int,
    latent: np.ndarray,
    mean: float,
    straight: np.ndarray,
    straight_point: np.ndarray,
    loading: float | None = None,
) -> np.ndarray:
    """Cut a latent normal into 1..points, skewed to the positive end as CSAT data are."""
    n = latent.shape[0]
    lam = rng.uniform(0.6, 0.85) if loading is None else loading
    y = lam * latent + np.sqrt(1 - lam**2) * rng.standard_normal(n) + mean
    cuts = np.linspace(-1.9, 1.9, points - 1)
    values = (np.searchsorted(cuts, y) + 1).astype(float)
    values[straight] = 1 + np.floor(straight_point[straight] * points)
    return values


def _answer(
    question: Question,
    q: Questionnaire,
    rng: np.random.Generator,
    n: int,
    satisfaction: np.ndarray,
    factors: dict[str, np.ndarray],
    straight: np.ndarray,
    straight_point: np.ndarray,
    planted: _Planted | None = None,
) -> dict[str, np.ndarray]:
    def factor(dimension: str | None, reverse: bool) -> np.ndarray:
        base = factors.get(dimension or "", satisfaction)
        return -base if reverse else base

    qtype = question.type
    if planted is not None and question.scale is not None:
        if question.id == planted.satisfaction_id:
            return {
                question.id: _rating(
                    rng,
                    question.scale.points,
                    satisfaction,
                    planted.satisfaction_mean,
                    straight,
                    straight_point,
                    loading=SATISFACTION_LOADING,
                )
            }
        if question.pair is not None and (question.block, question.pair) in planted.servqual:
            loading, mean, shift = planted.servqual[(question.block, question.pair)]
            expected = question.role == "expectation"
            latent = (planted.expectation_factors if expected else factors).get(question.dimension or "", satisfaction)
            sign = -1.0 if question.reverse else 1.0
            return {
                question.id: _rating(
                    rng,
                    question.scale.points,
                    sign * latent,
                    sign * mean + (shift if expected else 0.0),
                    straight,
                    straight_point,
                    loading=loading,
                )
            }
    if qtype == "likert" and question.scale is not None:
        points = question.scale.points
        if question.role == "expectation":
            latent = 0.3 * satisfaction + 0.95 * rng.standard_normal(n)
            return {question.id: _rating(rng, points, latent, 1.3 + rng.normal(0, 0.15), straight, straight_point)}
        if question.role == "importance":
            latent = rng.standard_normal(n)
            return {question.id: _rating(rng, points, latent, rng.uniform(0.3, 1.4), straight, straight_point)}
        if question.role == "self_importance":
            return {
                question.id: _rating(
                    rng, points, rng.standard_normal(n), rng.uniform(0.2, 1.2), straight, straight_point
                )
            }
        mean = 0.35 + rng.normal(0, 0.2)
        return {
            question.id: _rating(
                rng,
                points,
                factor(question.dimension, question.reverse),
                -mean if question.reverse else mean,
                straight,
                straight_point,
            )
        }
    if qtype == "matrix" and question.scale is not None:
        out = {}
        for row in question.rows:
            mean = 0.35 + rng.normal(0, 0.2)
            out[row.id] = _rating(
                rng,
                question.scale.points,
                factor(row.dimension or question.dimension, row.reverse),
                -mean if row.reverse else mean,
                straight,
                straight_point,
            )
        return out
    if qtype == "checklist" and question.checklist is not None:
        # each standard is met with a probability that rises with S (and so with the dealer's
        # level): compliance and customer ratings go together; 5 % of visits find it not applicable
        out = {}
        for row, item in zip(question.rows, question.checklist.items, strict=True):
            base = 1.4 + (0.8 if item.critical else 0.0) + rng.normal(0, 0.4)
            met = rng.random(n) < 1 / (1 + np.exp(-(base + 0.9 * satisfaction)))
            applicable = rng.random(n) >= 0.05
            out[row.id] = np.where(applicable, np.where(met, "yes", "no"), "na").astype(object)
        return out
    if qtype == "nps":
        score = np.clip(np.rint(7.6 + 2.0 * (0.8 * satisfaction + 0.6 * rng.standard_normal(n))), 0, 10)
        return {question.id: score.astype(float)}
    if qtype == "choice":
        probs = rng.dirichlet(np.full(len(question.options), 2.0))
        codes = np.array([o.code for o in question.options], dtype=object)
        return {question.id: codes[rng.choice(len(codes), n, p=probs)]}
    if qtype == "kano":
        if question.role != "functional":
            return {}  # the dysfunctional half is drawn with the functional one
        mix = planted.kano_mix if planted is not None and planted.kano_attribute == question.pair else None
        functional, dysfunctional = _draw_kano(rng, n, mix)
        return {question.id: functional, f"{question.pair}_d": dysfunctional}
    if qtype == "multi":
        k = len(question.options)
        ticked = rng.random((n, k)) < rng.uniform(0.1, 0.5, k)
        fewest = int(question.min or 0)
        most = int(question.max or k)
        ticked = _bound_ticks(rng, ticked, max(fewest, 1 if question.required else 0), most)
        return {f"{question.id}_{o.code}": ticked[:, j].astype(float) for j, o in enumerate(question.options)}
    if qtype == "constant_sum":
        total = float(question.total or 100)
        shares = rng.dirichlet(np.full(len(question.options), 3.0), n) * total
        allocated = _largest_remainder(shares, total)
        return {f"{question.id}_{o.code}": allocated[:, j] for j, o in enumerate(question.options)}
    if qtype == "number":
        low = question.min if question.min is not None else 0
        high = question.max if question.max is not None else max(low + 100, 100)
        values = rng.uniform(low, high, n)
        return {question.id: np.floor(values) if question.integer else np.round(values, 2)}
    if qtype == "date":
        first = dt.date.fromisoformat(question.min) if isinstance(question.min, str) else dt.date(2025, 10, 1)
        last = dt.date.fromisoformat(question.max) if isinstance(question.max, str) else first + dt.timedelta(days=90)
        days = rng.integers(0, max((last - first).days, 0) + 1, n)
        return {question.id: np.array([(first + dt.timedelta(days=int(d))).isoformat() for d in days], dtype=object)}
    if qtype == "text":
        answered = rng.random(n) < (1.0 if question.required else 0.6)
        # a text with a pattern (a time, a code) gets the sample answers that match it, or none
        pool = [s for s in _PATTERNED if re.fullmatch(question.pattern, s)] if question.pattern else _COMMENTS["en"]
        if not pool:
            return {question.id: np.full(n, None, dtype=object)}
        pick = rng.integers(0, len(pool), n)
        values = np.array(pool, dtype=object)[pick]
        values[~answered] = None
        return {question.id: values}
    return {question.id: np.full(n, np.nan)}


def _bound_ticks(rng: np.random.Generator, ticked: np.ndarray, low: int, high: int) -> np.ndarray:
    """Make every row tick between ``low`` and ``high`` options."""
    k = ticked.shape[1]
    counts = ticked.sum(axis=1)
    for row in np.flatnonzero((counts < low) | (counts > high)):
        target = min(max(counts[row], low), high)
        ticked[row] = False
        ticked[row, rng.choice(k, target, replace=False)] = True
    return ticked


def _largest_remainder(shares: np.ndarray, total: float) -> np.ndarray:
    """Round each row to whole points that still add up to ``total``."""
    floors = np.floor(shares)
    short = (total - floors.sum(axis=1)).astype(int)
    order = np.argsort(-(shares - floors), axis=1)
    rank = np.argsort(order, axis=1)
    return floors + (rank < short[:, None])


def _draw_kano(rng: np.random.Generator, n: int, mix: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Answer pairs of one attribute: categories from ``mix`` (shares in ``_KANO_PAIRS`` order), else a random one."""
    categories = list(_KANO_PAIRS)
    if mix is None:
        dominant = rng.choice(["A", "O", "M", "I"])
        weights = np.array([0.06 if c in ("R", "Q") else 0.12 for c in categories])
        weights[categories.index(dominant)] = 0.5
        weights /= weights.sum()
    else:
        weights = mix
    drawn = rng.choice(len(categories), n, p=weights)
    functional = np.empty(n, dtype=object)
    dysfunctional = np.empty(n, dtype=object)
    for index, category in enumerate(categories):
        rows = np.flatnonzero(drawn == index)
        pairs = _KANO_PAIRS[category]
        choice = rng.integers(0, len(pairs), rows.size)
        functional[rows] = np.array([p[0] for p in pairs], dtype=object)[choice]
        dysfunctional[rows] = np.array([p[1] for p in pairs], dtype=object)[choice]
    return functional, dysfunctional


def _apply_conditions(q: Questionnaire, frame: pd.DataFrame) -> None:
    """Blank what the web form would not have shown, in questionnaire order."""
    for screen in q.screens():
        shown = screen.visible_if.evaluate_frame(frame) if screen.visible_if else np.ones(len(frame), bool)
        for question in screen.questions:
            visible = shown & question.visible_if.evaluate_frame(frame) if question.visible_if else shown
            if visible.all():
                continue
            for name in _columns_of(question):
                column = frame[name]
                frame[name] = column.where(visible, None if column.dtype == object else np.nan)


def _comment_language(q: Questionnaire, frame: pd.DataFrame) -> None:
    """Free-text answers in the language the respondent answered in (a patterned answer has none)."""
    for question in q.questions():
        if question.type != "text" or question.pattern or "zh" not in q.languages:
            continue
        column = frame[question.id]
        zh = (frame["language"] == "zh").to_numpy() & column.notna().to_numpy()
        if zh.any():
            picks = np.arange(zh.sum()) % len(_COMMENTS["zh"])
            values = column.to_numpy(dtype=object).copy()
            values[zh] = np.array(_COMMENTS["zh"], dtype=object)[picks]
            frame[question.id] = values


def _cuts(points: int) -> np.ndarray:
    return np.linspace(-1.9, 1.9, points - 1)


def _expected_rating(mu: float, sd: float, points: int) -> float:
    r"""Expected rating of :func:`_rating` for a latent :math:`y \sim N(\mu, \sigma^2)`.

    The rating is 1 plus the number of cut points below y, so
    :math:`E[\text{rating}] = 1 + \sum_c \Phi((\mu - c)/\sigma)`.
    """
    from scipy.special import ndtr

    return float(1 + ndtr((mu - _cuts(points)) / sd).sum())


def _solve_mean(expected: float, sd: float, points: int) -> float:
    """The latent mean whose expected rating is ``expected`` (monotone in the mean: one root)."""
    from scipy.optimize import brentq

    return float(brentq(lambda mu: _expected_rating(mu, sd, points) - expected, -12.0, 12.0, xtol=1e-12))


@dataclasses.dataclass(slots=True)
class _Planted:
    """A scenario turned into simulator parameters (see :meth:`build`)."""

    shift: np.ndarray  # dealer x wave -> shift of S
    satisfaction_id: str | None
    satisfaction_mean: float
    servqual: dict[tuple[str | None, str], tuple[float, float, float]]  # (block, item) -> loading, mean, E shift
    kano_attribute: str | None
    kano_mix: np.ndarray | None
    expectation_factors: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    @classmethod
    def build(
        cls, q: Questionnaire, scenario: Scenario, rng: np.random.Generator, dealers: Sequence[str], n_waves: int
    ) -> _Planted:
        r"""Solve the latent parameters that give the planted effects in the report's units.

        Satisfaction: the question's latent is :math:`y = \lambda S + \sqrt{1-\lambda^2}u + m` with
        :math:`\lambda` = ``SATISFACTION_LOADING`` and S ~ N(shift of the cell, 1), so within a cell
        :math:`y \sim N(m + \lambda\,\text{shift}, 1)`.  With :math:`g(\mu)` the expected rating
        (:func:`_expected_rating`) and the index :math:`100(g - 1)/(k - 1)` on k points, m solves
        index = ``level`` and each cell's :math:`m + \lambda\,\text{shift}` solves index = level +
        dealer effect + wave number x change.  The shift moves S, so every item follows it.

        SERVQUAL: each item gets one loading and mean for both halves; the perception loads on
        its dimension's factor, the expectation on a parallel expectation factor of the same
        law, so P and E have the same distribution and a gap of 0 in every cell.  On the planted
        dimension the expectation's latent mean is raised by s solving
        :math:`g(m) - g(m + s) = \text{gap}` (latent sd
        :math:`\sqrt{\lambda^2 (0.7^2 + 0.71^2) + 1 - \lambda^2}`), exact in the reference cell
        and close (the cut is not linear) in a shifted one.
        """
        points = 5
        sat = satisfaction_question(q)
        shift = np.zeros((max(len(dealers), 1), n_waves))
        sat_mean = 0.0
        if sat is not None and sat.scale is not None:
            points = sat.scale.points
            sat_mean = _solve_mean(1 + (points - 1) * scenario.level / 100, 1.0, points)
            for d in range(shift.shape[0]):
                for w in range(n_waves):
                    target = scenario.level + (scenario.change.index * w if scenario.change else 0.0)
                    if scenario.dealer is not None and dealers and dealers[d] == scenario.dealer.dealer:
                        target += scenario.dealer.index
                    if target != scenario.level:
                        cell_mean = _solve_mean(1 + (points - 1) * target / 100, 1.0, points)
                        shift[d, w] = (cell_mean - sat_mean) / SATISFACTION_LOADING
        servqual: dict[tuple[str | None, str], tuple[float, float, float]] = {}
        for block in q.blocks("servqual"):
            for item in block.items:
                loading, mean = rng.uniform(0.6, 0.85), 0.35 + rng.normal(0, 0.2)
                gap = scenario.servqual_gap
                raise_e = 0.0
                if gap is not None and item.dimension == gap.dimension:
                    sd = float(np.sqrt(loading**2 * (0.7**2 + 0.71**2) + 1 - loading**2))
                    m = -mean if item.reverse else mean
                    raise_e = (
                        _solve_mean(_expected_rating(m, sd, block.scale.points) - gap.gap, sd, block.scale.points) - m
                    )
                servqual[(block.id, item.id)] = (loading, mean, raise_e)
        mix = None
        if scenario.kano_mix is not None:
            shares = dict(scenario.kano_mix.mix)
            mix = np.array([shares.get(c, 0.0) for c in _KANO_PAIRS])
            mix = mix / mix.sum()
        return cls(
            shift=shift,
            satisfaction_id=sat.id if sat is not None else None,
            satisfaction_mean=sat_mean,
            servqual=servqual,
            kano_attribute=scenario.kano_mix.attribute if scenario.kano_mix else None,
            kano_mix=mix,
        )
