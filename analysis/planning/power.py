"""Power by simulation: how often the report finds each planted effect of a scenario.

Each replicate is a data set of ``n_per_dealer`` responses for every dealer, simulated from the
questionnaire with the scenario's planted effects (:func:`surveykit.simulate.simulate`).  On
each, the rule the report uses decides whether the effect is found:

=============  =====================================================================  ===================
effect         found when                                                             report's function
=============  =====================================================================  ===================
dealer         its satisfaction index lies beyond the funnel's 99.8 % limit on the    segments.funnel_limits,
               planted side (the improvement-priority rule, Spiegelhalter 2005)       priorities
change         the last wave's change of the index has the planted sign and Welch's   segments.over_waves
               p < 1 - conf_level
servqual_gap   the dimension's mean gap P - E has the planted sign and its Holm-      servqual.gaps
               adjusted paired-t p (over the block's dimensions) < 1 - conf_level
kano_mix       the attribute's dominant category (ties M > O > A > I > R > Q) is the  kano.evaluate
               planted mix's largest
=============  =====================================================================  ===================

A planted effect of 0 accepts a finding on either side, so that its "power" is the rule's
false-positive rate.  The same rules also give each effect's false-alarm rate: how often another dealer or another
dimension is flagged although nothing was planted there.

:func:`power` simulates all replicates in one call and applies the rules to every replicate at
once (grouped sums over replicate x unit); ``method="loop"`` runs the report's own functions on
each replicate in turn, on the same data.  Both give the same decisions (checked in the tests),
so the vectorised path is the report's rule, not an approximation of it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis import kano, segments, servqual
from analysis.quality import numeric_columns
from surveykit.model import KanoBlock, Questionnaire
from surveykit.scenario import Scenario, satisfaction_question
from surveykit.simulate import simulate

__all__ = ["EFFECTS", "PowerResult", "power"]

EFFECTS = ("dealer", "change", "servqual_gap", "kano_mix")
METHODS = ("vectorised", "loop")
POWER_TARGET = 0.8  # the conventional target power (Cohen 1988), named in the summary of a grid


@dataclass(frozen=True, slots=True)
class PowerResult:
    """Detection rates of a scenario's planted effects (see :func:`power`)."""

    reps: int
    seed: int
    conf_level: float
    funnel_coverage: float
    method: str
    seconds: float
    table: pd.DataFrame = field(compare=False)  # per effect x n: planted, rule, detected, power, CI, false_alarm

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        lines = [
            f"Power by simulation: {self.reps} replicates per n (seed {self.seed}, {self.method}, {self.seconds:.2f} s)"
        ]
        for _, r in self.table.iterrows():
            alarm = "" if np.isnan(r["false_alarm"]) else f"  false alarms {100 * r['false_alarm']:.1f} %"
            lines.append(
                f"  {r['effect']:<13} {r['subject']!s:<16} {r['planted']:<12} n/dealer {int(r['n_per_dealer']):>5}"
                f"  power {100 * r['power']:5.1f} % [{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}]{alarm}"
            )
        if self.table["n_per_dealer"].nunique() > 1:
            for (effect, subject), rows in self.table.groupby(["effect", "subject"], sort=False):
                enough = rows.loc[rows["power"] >= POWER_TARGET, "n_per_dealer"]
                reached = (
                    f"reached at n = {int(enough.min())} per dealer"
                    if len(enough)
                    else f"not reached up to n = {int(rows['n_per_dealer'].max())} per dealer"
                )
                lines.append(f"  {100 * POWER_TARGET:g} % power for {effect} {subject}: {reached}")
        return "\n".join(lines)


def _wilson(k: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    r"""Wilson score interval of a binomial share (Wilson 1927): the Monte Carlo error of a power.

    :math:`\frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}`.
    """
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    # at k = 0 or k = n a bound is exactly 0 or 1; rounding would put it a hair inside
    return (0.0 if k == 0 else float(centre - half)), (1.0 if k == n else float(centre + half))


def _holm_rows(p: np.ndarray) -> np.ndarray:
    r"""Holm's adjustment along each row of a (replicates x family) array, as :func:`segments.holm` per row.

    :math:`\tilde p_{(i)} = \max_{j \le i} \min\{1, (m - j + 1) p_{(j)}\}`; a row holding NaN is
    adjusted over its non-NaN values (NaN sorts last and keeps NaN), as ``holm`` does.
    """
    m_row = (~np.isnan(p)).sum(axis=1, keepdims=True)
    order = np.argsort(p, axis=1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=1)
    factor = m_row - np.arange(p.shape[1])[None, :]
    with np.errstate(invalid="ignore"):
        adjusted = np.minimum(1.0, np.fmax.accumulate(factor * ranked, axis=1))
    adjusted[np.isnan(ranked)] = np.nan
    out = np.empty_like(p)
    np.put_along_axis(out, order, adjusted, axis=1)
    return out


@dataclass(frozen=True, slots=True)
class _Design:
    """What the rules need from the questionnaire and the scenario."""

    satisfaction: str | None
    points: int
    dealer_field: str | None
    dealers: tuple[str, ...]
    waves: tuple[str, ...]
    servqual_block: str | None
    dimensions: dict[str, list[str]]  # dimension -> items (ids as written) of the first SERVQUAL block
    kano_attribute: str | None

    @classmethod
    def of(cls, q: Questionnaire, scenario: Scenario) -> _Design:
        sat = satisfaction_question(q)
        field0 = q.fields[0] if q.fields else None
        dealers = (
            scenario.dealers
            or (tuple(c for c, _ in field0.values) if field0 else ())
            or ((tuple(f"{field0.id}_{i}" for i in range(1, 6))) if field0 else ())
        )
        dims: dict[str, list[str]] = {}
        blocks = q.blocks("servqual")
        if blocks:
            for item in blocks[0].items:
                if item.dimension:
                    dims.setdefault(item.dimension, []).append(item.id)
        return cls(
            satisfaction=sat.id if sat is not None else None,
            points=sat.scale.points if sat is not None and sat.scale is not None else 5,
            dealer_field=field0.id if field0 else None,
            dealers=tuple(dealers),
            waves=scenario.waves,
            servqual_block=blocks[0].id if blocks else None,
            dimensions=dims,
            kano_attribute=scenario.kano_mix.attribute if scenario.kano_mix else None,
        )


def _effects(scenario: Scenario) -> list[tuple[str, str, str]]:
    """(effect, subject, what was planted) of each planted effect, in the order of :data:`EFFECTS`."""
    out = []
    if scenario.dealer is not None:
        out.append(("dealer", scenario.dealer.dealer, f"{scenario.dealer.index:+g} index"))
    if scenario.change is not None:
        out.append(("change", scenario.waves[-1], f"{scenario.change.index:+g} index"))
    if scenario.servqual_gap is not None:
        out.append(("servqual_gap", scenario.servqual_gap.dimension, f"gap {scenario.servqual_gap.gap:+g}"))
    if scenario.kano_mix is not None:
        out.append(("kano_mix", scenario.kano_mix.attribute, f"dominant {scenario.kano_mix.planted}"))
    return out


RULES = {
    "dealer": "beyond the funnel limit",
    "change": "Welch p < alpha",
    "servqual_gap": "paired t, Holm p < alpha",
    "kano_mix": "dominant category",
}


def power(
    q: Questionnaire,
    scenario: Scenario,
    *,
    n_per_dealer: int | Sequence[int],
    reps: int = 500,
    seed: int = 0,
    conf_level: float = 0.95,
    funnel_coverage: float = 0.998,
    method: str = "vectorised",
) -> PowerResult:
    r"""How often the report's rules detect each planted effect, by simulation.

    Parameters
    ----------
    q : the questionnaire.
    scenario : planted levels and effects (:func:`surveykit.scenario.load_scenario`); a
        scenario with no effect gives an empty table.
    n_per_dealer : int or sequence of int
        Responses per dealer in the whole study (spread evenly over the waves, so a multiple of
        the number of waves); a sequence gives power against n.
    reps : int
        Replicates per n.
    seed : int
        The i-th value of ``n_per_dealer`` (from 0) is simulated with seed ``seed + i``.
    conf_level : float
        1 - alpha of the change and gap tests (the report's 0.95).
    funnel_coverage : float
        The funnel limit a dealer must pass (the report's priorities use 99.8 %).
    method : {"vectorised", "loop"}
        Apply the rules to all replicates at once, or run the report's functions replicate by
        replicate (the reference; same decisions, much slower).

    Returns
    -------
    PowerResult
        ``table`` per effect and n: ``effect``, ``subject``, ``planted``, ``rule``,
        ``n_per_dealer``, ``reps``, ``detected``, ``power`` with its Wilson 95 % interval
        (``ci_low``, ``ci_high``: Monte Carlo error) and ``false_alarm``, the share of the other
        dealers (or dimensions) flagged by the same rule, per dealer and replicate.

    Notes
    -----
    The rules are those of the module docstring. Responses are not screened for quality first
    (the simulation has no careless respondents), and the waves are compared in the report's
    order, sorted by label, so the scenario must list them in that order. One simulation call
    draws all replicates of an n, so the instrument's item parameters (loadings, item means) are
    those of one instrument across replicates, while the respondents differ.

    Under the null, the funnel's centre line is the mean of all dealers, the unit included, so
    with k equal dealers of equal n a dealer's z has SD :math:`\sqrt{1 - 1/k}` and the false-alarm
    rate on one side is :math:`\Phi(-z_c/\sqrt{1 - 1/k})`, below the nominal
    :math:`(1 - c)/2` (Spiegelhalter 2005 discusses this conservatism). Conversely a planted
    dealer pulls the centre line towards itself, so the other dealers' false alarms (on the
    other side) rise with its effect: they are what the report would show.

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
           Statistics in Medicine, 24(8), 1185-1202. https://doi.org/10.1002/sim.1970
    .. [2] Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
           Journal of Statistics, 6(2), 65-70.
    .. [3] Berger, C., Blauth, R., Boger, D., et al. (1993). Kano's methods for understanding
           customer-defined quality. Center for Quality of Management Journal, 2(4), 3-36.
    .. [4] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
           inference. Journal of the American Statistical Association, 22(158), 209-212.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps!r}")
    if not 0 < funnel_coverage < 1 or not 0 < conf_level < 1:
        raise ValueError("conf_level and funnel_coverage must lie between 0 and 1")
    grid = [n_per_dealer] if isinstance(n_per_dealer, (int, np.integer)) else list(n_per_dealer)
    design = _Design.of(q, scenario)
    waves = max(len(design.waves), 1)
    for n in grid:
        if n < 2 * waves or n % waves:
            raise ValueError(
                f"n per dealer must be a multiple of the {waves} wave(s) and give each wave at least "
                f"2 responses per dealer, got {n}"
            )
    if list(design.waves) != sorted(design.waves):
        raise ValueError(f"the report compares waves in label order; list them sorted: {sorted(design.waves)}")
    effects = _effects(scenario)
    started = time.perf_counter()
    rows = []
    for position, n in enumerate(grid if effects else []):  # nothing planted: nothing to simulate
        size = n * max(len(design.dealers), 1)
        frame = simulate(q, size * reps, seed=seed + position, scenario=scenario)
        decide = _vectorised if method == "vectorised" else _loop
        found = decide(q, design, scenario, frame, reps, size, conf_level, funnel_coverage)
        for effect, subject, planted in effects:
            hits, alarms = found[effect]
            low, high = _wilson(int(hits.sum()), reps)
            rows.append(
                {
                    "effect": effect,
                    "subject": subject,
                    "planted": planted,
                    "rule": RULES[effect],
                    "n_per_dealer": n,
                    "reps": reps,
                    "detected": int(hits.sum()),
                    "power": float(hits.mean()),
                    "ci_low": low,
                    "ci_high": high,
                    "false_alarm": float(alarms.mean()) if alarms is not None and alarms.size else np.nan,
                }
            )
    columns = [
        "effect",
        "subject",
        "planted",
        "rule",
        "n_per_dealer",
        "reps",
        "detected",
        "power",
        "ci_low",
        "ci_high",
        "false_alarm",
    ]
    return PowerResult(
        reps=reps,
        seed=seed,
        conf_level=conf_level,
        funnel_coverage=funnel_coverage,
        method=method,
        seconds=time.perf_counter() - started,
        table=pd.DataFrame(rows, columns=columns),
    )


_Found = dict[str, tuple[np.ndarray, np.ndarray | None]]


def _index(frame: pd.DataFrame, design: _Design) -> np.ndarray:
    """The satisfaction index 100 (x - 1)/(k - 1) of each response, as analysis.analyze computes it."""
    column = design.satisfaction or ""  # the scenario loader refused index effects without the question
    values = numeric_columns(frame, [column])[column].to_numpy()
    return 100 * (values - 1) / (design.points - 1)


def _z(coverage: float) -> float:
    return float(stats.norm.ppf(1 - (1 - coverage) / 2))


def _vectorised(
    q: Questionnaire,
    design: _Design,
    scenario: Scenario,
    frame: pd.DataFrame,
    reps: int,
    size: int,
    conf_level: float,
    coverage: float,
) -> _Found:
    """Every rule on every replicate at once: sums over replicate x unit with ``np.bincount``."""
    rep = np.arange(len(frame)) // size
    found: _Found = {}
    alpha = 1 - conf_level
    if scenario.dealer is not None:
        y = _index(frame, design)
        ok = ~np.isnan(y)
        codes = {d: i for i, d in enumerate(design.dealers)}
        unit = frame[design.dealer_field].map(codes).to_numpy(dtype=np.intp)
        k = len(design.dealers)
        cell = rep * k + unit
        cnt = np.bincount(cell[ok], minlength=reps * k).reshape(reps, k)
        total = np.bincount(cell[ok], y[ok], minlength=reps * k).reshape(reps, k)
        n_rep, sum_rep = cnt.sum(axis=1), total.sum(axis=1)
        centre = sum_rep / n_rep
        sq = np.bincount(rep[ok], (y[ok] - centre[rep[ok]]) ** 2, minlength=reps)
        sd = np.sqrt(sq / (n_rep - 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = total / cnt
            half = _z(coverage) * sd[:, None] / np.sqrt(cnt)
        below, above = mean < centre[:, None] - half, mean > centre[:, None] + half
        flagged = below if scenario.dealer.index < 0 else above if scenario.dealer.index > 0 else below | above
        planted = codes[scenario.dealer.dealer]
        others = np.delete(below | above, planted, axis=1)
        found["dealer"] = (flagged[:, planted], others.ravel())
    if scenario.change is not None:
        y = _index(frame, design)
        ok = ~np.isnan(y)
        order = sorted(design.waves)
        codes = {w: i for i, w in enumerate(order)}
        wave = frame["wave"].map(codes).to_numpy(dtype=np.intp)
        w = len(order)
        cell = rep * w + wave
        cnt = np.bincount(cell[ok], minlength=reps * w).reshape(reps, w).astype(float)
        mean = np.bincount(cell[ok], y[ok], minlength=reps * w).reshape(reps, w) / cnt
        var = np.bincount(cell[ok], (y[ok] - mean.ravel()[cell[ok]]) ** 2, minlength=reps * w).reshape(reps, w) / (
            cnt - 1
        )
        p = _welch_p(mean[:, -1], var[:, -1], cnt[:, -1], mean[:, -2], var[:, -2], cnt[:, -2])
        diff = mean[:, -1] - mean[:, -2]
        found["change"] = (_signed(diff, scenario.change.index) & (p < alpha), None)
    if scenario.servqual_gap is not None:
        names = list(design.dimensions)
        gaps = np.column_stack([_row_mean(frame, items) for items in design.dimensions.values()])
        p_values = np.empty((reps, len(names)))
        means = np.empty((reps, len(names)))
        for j in range(len(names)):
            g = gaps[:, j]
            ok = ~np.isnan(g)
            cnt = np.bincount(rep[ok], minlength=reps).astype(float)
            mean = np.bincount(rep[ok], g[ok], minlength=reps) / cnt
            sd = np.sqrt(np.bincount(rep[ok], (g[ok] - mean[rep[ok]]) ** 2, minlength=reps) / (cnt - 1))
            with np.errstate(divide="ignore", invalid="ignore"):
                t = mean / (sd / np.sqrt(cnt))
            p = 2 * stats.t.sf(np.abs(t), cnt - 1)
            p[sd == 0] = np.nan
            p_values[:, j], means[:, j] = p, mean
        adjusted = _holm_rows(p_values)
        j = names.index(scenario.servqual_gap.dimension)
        hit = _signed(means[:, j], scenario.servqual_gap.gap) & (adjusted[:, j] < alpha)
        found["servqual_gap"] = (hit, np.delete(adjusted < alpha, j, axis=1).ravel())
    if scenario.kano_mix is not None:
        attr = scenario.kano_mix.attribute
        # classify each distinct answer pair once (at most 36) with kano.categories, then map back
        f, d = frame[f"{attr}_f"], frame[f"{attr}_d"]
        row_code = pd.factorize(f.astype(str) + "\x1f" + d.astype(str))[0]
        first = np.unique(row_code, return_index=True)[1]  # the first row of each pair, in code order
        distinct = kano.categories(f.iloc[first].reset_index(drop=True), d.iloc[first].reset_index(drop=True))
        order = list(kano.TIE_ORDER)
        code = np.array([order.index(c) if c is not None else -1 for c in distinct], dtype=np.intp)[row_code]
        ok = code >= 0
        counts = np.bincount(rep[ok] * len(order) + code[ok], minlength=reps * len(order)).reshape(reps, len(order))
        dominant = counts.argmax(axis=1)  # the first maximum in tie order wins the tie, as kano.evaluate ranks
        found["kano_mix"] = (dominant == order.index(scenario.kano_mix.planted), None)
    return found


def _signed(estimate: np.ndarray, planted: float) -> np.ndarray:
    """The estimate lies on the planted side; a planted 0 (the null) accepts either side."""
    return np.full(estimate.shape, True) if planted == 0 else np.sign(estimate) == np.sign(planted)


def _row_mean(frame: pd.DataFrame, items: list[str]) -> np.ndarray:
    """A respondent's dimension gap: the mean of the item gaps P - E present (NaN if none), as servqual."""
    columns = [f"{i}_{role}" for i in items for role in ("e", "p")]
    values = numeric_columns(frame, columns)
    g = np.column_stack([values[f"{i}_p"].to_numpy() - values[f"{i}_e"].to_numpy() for i in items])
    present = ~np.isnan(g)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present, g, 0.0).sum(axis=1) / present.sum(axis=1)


def _welch_p(
    m1: np.ndarray, v1: np.ndarray, n1: np.ndarray, m2: np.ndarray, v2: np.ndarray, n2: np.ndarray
) -> np.ndarray:
    r"""Two-sided Welch p per replicate, as ``segments._welch_t_p`` (NaN when both groups are constant).

    :math:`t = (\bar a - \bar b)/\sqrt{s_a^2/n_a + s_b^2/n_b}`, Welch-Satterthwaite df.
    """
    a, b = v1 / n1, v2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (m1 - m2) / np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
        p = 2 * stats.t.sf(np.abs(t), df)
    p[(v1 + v2) == 0] = np.nan
    return p


def _loop(
    q: Questionnaire,
    design: _Design,
    scenario: Scenario,
    frame: pd.DataFrame,
    reps: int,
    size: int,
    conf_level: float,
    coverage: float,
) -> _Found:
    """The report's own functions, one replicate at a time (the reference for :func:`_vectorised`)."""
    alpha = 1 - conf_level
    label = f"{100 * coverage:g}".replace(".", "_")
    hits: dict[str, list[Any]] = {e: [] for e in EFFECTS}
    alarms: dict[str, list[Any]] = {e: [] for e in EFFECTS}
    for r in range(reps):
        part = frame.iloc[r * size : (r + 1) * size]
        if scenario.dealer is not None or scenario.change is not None:
            index = pd.Series(_index(part, design), index=part.index, name=design.satisfaction)
        if scenario.dealer is not None:
            units = segments.funnel_limits(index, part[design.dealer_field], coverage=(coverage,)).units
            below = units["mean"] < units[f"lower_{label}"]
            above = units["mean"] > units[f"upper_{label}"]
            flagged = below if scenario.dealer.index < 0 else above if scenario.dealer.index > 0 else below | above
            hits["dealer"].append(bool(flagged[scenario.dealer.dealer]))
            alarms["dealer"].extend((below | above).drop(scenario.dealer.dealer).tolist())
        if scenario.change is not None:
            waves = segments.over_waves(index, part["wave"], scale=(0, 100), conf_level=conf_level).waves
            last = waves.iloc[-1]
            hits["change"].append(
                bool(_signed(np.array([last["change"]]), scenario.change.index)[0] and last["change_p"] < alpha)
            )
        if scenario.servqual_gap is not None:
            dims = servqual.gaps(q, part, block=design.servqual_block, conf_level=conf_level, pairwise=False).dimensions
            gap = scenario.servqual_gap
            row = dims.loc[gap.dimension]
            hits["servqual_gap"].append(bool(_signed(np.array([row["mean"]]), gap.gap)[0] and row["p_holm"] < alpha))
            alarms["servqual_gap"].extend((dims["p_holm"].drop(gap.dimension) < alpha).tolist())
        if scenario.kano_mix is not None:
            block = next(
                b
                for b in q.blocks("kano")
                if isinstance(b, KanoBlock) and any(a.id == scenario.kano_mix.attribute for a in b.attributes)
            )
            attrs = kano.evaluate(q, part, block=block.id).attributes
            hits["kano_mix"].append(attrs.loc[scenario.kano_mix.attribute, "dominant"] == scenario.kano_mix.planted)
    return {e: (np.array(hits[e], bool), np.array(alarms[e], bool) if alarms[e] else None) for e in EFFECTS if hits[e]}
