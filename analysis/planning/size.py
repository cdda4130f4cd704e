"""Sample size for a target margin of error, and the margin a sample size gives.

Every measure reduces to the standard deviation of one response in the unit of the margin
(:func:`sd_proportion`, :func:`sd_nps`, :func:`sd_index`, or a rating's SD), and then to one
formula, :func:`sample_size` and its inverse :func:`margin_of_error`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.quality import numeric_columns

__all__ = [
    "SampleSizeResult",
    "margin_of_error",
    "pilot_sd",
    "sample_size",
    "sd_index",
    "sd_nps",
    "sd_proportion",
]


def _z(conf_level: float) -> float:
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must lie between 0 and 1, got {conf_level!r}")
    return float(stats.norm.ppf(1 - (1 - conf_level) / 2))


def sd_proportion(p: float) -> float:
    r"""SD of one 0/1 response (top-2-box) with share ``p``: :math:`\sqrt{p(1-p)}` (Cochran 1977, ch. 3).

    ``p = 0.5`` is the conservative choice when nothing is known.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"the proportion must lie between 0 and 1, got {p!r}")
    return math.sqrt(p * (1 - p))


def sd_nps(promoters: float, detractors: float) -> float:
    r"""SD of one response's NPS contribution (+100, 0, -100), in NPS points.

    Notes
    -----
    A response scores +1 (promoter), 0 (passive) or -1 (detractor); with shares p and d the
    variance is :math:`E[X^2] - E[X]^2 = p + d - (p - d)^2` (a trinomial), so on the NPS scale
    :math:`100\sqrt{p + d - (p - d)^2}` (Rocks 2016).

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "net promoter score". The American
           Statistician, 70(4), 365-372. https://doi.org/10.1080/00031305.2016.1158124

    Examples
    --------
    >>> round(sd_nps(0.5, 0.2), 3)  # 100 * sqrt(0.7 - 0.3**2)
    78.102
    """
    if not (0 <= promoters <= 1 and 0 <= detractors <= 1 and promoters + detractors <= 1):
        raise ValueError(f"promoters ({promoters!r}) and detractors ({detractors!r}) are shares adding up to at most 1")
    return 100 * math.sqrt(promoters + detractors - (promoters - detractors) ** 2)


def sd_index(sd: float, scale: tuple[float, float]) -> float:
    r"""SD of the 0-100 index :math:`100(x - a)/(b - a)` for a rating SD on the scale [a, b]: :math:`100\,s/(b - a)`.

    The ACSI-style index of Fornell et al. (1996) is a linear rescaling, so its SD scales alike.
    """
    low, high = scale
    if not high > low:
        raise ValueError(f"scale must be (low, high) with high > low, got {scale!r}")
    return 100 * sd / (high - low)


def pilot_sd(values: pd.Series) -> float:
    """The sample SD (n - 1) of a pilot column, the planning SD when none is known (Cochran 1977, ch. 4)."""
    name = str(values.name) if values.name is not None else "pilot"
    x = numeric_columns(values.to_frame(name), [name])[name].dropna()
    if len(x) < 2:
        raise ValueError(f"column {name!r}: a pilot SD needs at least 2 answers, got {len(x)}")
    return float(x.std(ddof=1))


def margin_of_error(
    n: float, sd: float, *, conf_level: float = 0.95, deff: float = 1.0, population: float | None = None
) -> float:
    r"""Half-width of the confidence interval of a mean (or share, NPS, index) from n responses.

    Notes
    -----
    .. math:: e = z_{1-\alpha/2}\sqrt{\mathrm{deff}\,(1 - n/N)\,\sigma^2/n}

    with the finite-population correction :math:`1 - n/N` (Cochran 1977, ch. 2; no
    correction when N is not given) and Kish's design effect deff, the variance of the actual
    design over that of simple random sampling (Kish 1965).  Inverse of :func:`sample_size`.

    References
    ----------
    .. [1] Cochran, W. G. (1977). Sampling Techniques (3rd ed.). Wiley. Chapters 2 (the
           finite-population correction), 4 (sample size) and 5 (stratified sampling).
    .. [2] Kish, L. (1965). Survey Sampling. Wiley. The design effect (deff).

    Examples
    --------
    >>> round(margin_of_error(385, 0.5), 4)  # a share near 50 % from 385 answers: about 5 points
    0.0499
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n!r}")
    if population is not None and n > population:
        raise ValueError(f"n ({n!r}) exceeds the population ({population!r})")
    fpc = 1 - n / population if population is not None else 1.0
    return _z(conf_level) * math.sqrt(_check_deff(deff) * fpc * sd**2 / n)


def _check_deff(deff: float) -> float:
    if not deff > 0:
        raise ValueError(f"the design effect must be positive, got {deff!r}")
    return float(deff)


def _n_for(n0: float, population: float | None) -> int:
    if population is None:
        return math.ceil(n0 - 1e-9)
    return min(math.ceil(n0 / (1 + n0 / population) - 1e-9), int(population))


@dataclass(frozen=True, slots=True)
class SampleSizeResult:
    """Responses needed per dealer and in total (see :func:`sample_size`)."""

    measure: str
    margin: float
    conf_level: float
    deff: float
    sd: float  # SD of one response in the unit of the margin
    n_infinite: float  # z^2 deff sd^2 / e^2, before the fpc and rounding
    units: pd.DataFrame = field(compare=False)  # per unit: population, n, margin_at_n

    def to_frame(self) -> pd.DataFrame:
        return self.units.reset_index()

    def summary(self) -> str:
        lines = [
            f"Sample size for a {self.measure} within ±{self.margin:g} at {100 * self.conf_level:g} % "
            f"(SD {self.sd:.4g}, design effect {self.deff:g}; {self.n_infinite:.1f} before the fpc)"
        ]
        for unit, r in self.units.iterrows():
            pop = "" if np.isnan(r["population"]) else f" of {int(r['population']):,}"
            lines.append(f"  {unit!s:<24} n = {int(r['n']):>6,}{pop}  margin ±{r['margin_at_n']:.4g}")
        return "\n".join(lines)


def sample_size(
    margin: float,
    sd: float,
    *,
    measure: str = "mean",
    conf_level: float = 0.95,
    deff: float = 1.0,
    population: float | Mapping[str, float] | None = None,
) -> SampleSizeResult:
    r"""Responses needed so that the CI half-width is at most ``margin``.

    Parameters
    ----------
    margin : float
        Target half-width, in the unit of ``sd`` (scale points for a mean, a share for a
        proportion, NPS points, index points).
    sd : float
        SD of one response in that unit: a rating's SD (given, or :func:`pilot_sd`),
        :func:`sd_proportion`, :func:`sd_nps` or :func:`sd_index`.
    measure : str
        Name shown in the summary ("mean", "top-2-box", "NPS", "index").
    conf_level : float
    deff : float
        Expected design effect (Kish 1965): 1 for simple random sampling, e.g.
        :math:`1 + (\bar m - 1)\rho` for clusters of mean size :math:`\bar m` with intra-class
        correlation :math:`\rho`, or Kish's :math:`1 + CV_w^2` for weighting.
    population : float or mapping of unit -> float, optional
        Population size (customers who could answer); a mapping gives one per dealer, and then
        the result has one row per dealer plus ``total`` (the sum, with the margin of the
        network estimate from that stratified sample) and ``network`` (the n the network
        estimate alone needs).

    Returns
    -------
    SampleSizeResult

    Notes
    -----
    .. math:: n_0 = \frac{z^2_{1-\alpha/2}\,\mathrm{deff}\,\sigma^2}{e^2}, \qquad
              n = \Bigl\lceil\frac{n_0}{1 + n_0/N}\Bigr\rceil

    (Cochran 1977, ch. 4, with the fpc of ch. 2, written for a mean; the same with
    :math:`\sigma^2 = PQ` for a proportion, where Cochran has :math:`(n_0-1)/N` from the
    :math:`N/(N-1)` factor). ``margin_at_n`` is :func:`margin_of_error` at the rounded n. The
    ``total`` row's margin treats dealers as strata with weights :math:`W_h = N_h/N`:
    :math:`e = z\sqrt{\mathrm{deff}\sum_h W_h^2 (1 - n_h/N_h)\sigma^2/n_h}` (Cochran 1977, ch. 5).

    References
    ----------
    .. [1] Cochran, W. G. (1977). Sampling Techniques (3rd ed.). Wiley. Chapters 2 (the
           finite-population correction), 4 (sample size) and 5 (stratified sampling).
    .. [2] Kish, L. (1965). Survey Sampling. Wiley. The design effect (deff).

    Examples
    --------
    >>> sample_size(0.05, sd_proportion(0.5)).units.loc["all", "n"]  # the classic 385
    np.int64(385)
    """
    if not margin > 0:
        raise ValueError(f"the margin must be positive, got {margin!r}")
    if not sd >= 0:
        raise ValueError(f"the SD must be 0 or more, got {sd!r}")
    z = _z(conf_level)
    deff = _check_deff(deff)
    n0 = z**2 * deff * sd**2 / margin**2
    rows: list[dict[str, Any]] = []
    if isinstance(population, Mapping):
        if not population:
            raise ValueError("population is an empty mapping: give each dealer's population size")
        sizes = {str(k): float(v) for k, v in population.items()}
        for unit, size in sizes.items():
            if not size >= 1:
                raise ValueError(f"dealer {unit!r}: the population must be at least 1, got {size!r}")
            n = max(_n_for(n0, size), 1)
            rows.append(
                {
                    "unit": unit,
                    "population": size,
                    "n": n,
                    "margin_at_n": margin_of_error(n, sd, conf_level=conf_level, deff=deff, population=size),
                }
            )
        total_pop = sum(sizes.values())
        var = sum(
            (size / total_pop) ** 2 * (1 - r["n"] / size) * sd**2 / r["n"]
            for size, r in zip(sizes.values(), rows, strict=True)
        )
        rows.append(
            {
                "unit": "total",
                "population": total_pop,
                "n": sum(r["n"] for r in rows),
                "margin_at_n": z * math.sqrt(deff * var),
            }
        )
        n_net = max(_n_for(n0, total_pop), 1)
        rows.append(
            {
                "unit": "network",
                "population": total_pop,
                "n": n_net,
                "margin_at_n": margin_of_error(n_net, sd, conf_level=conf_level, deff=deff, population=total_pop),
            }
        )
    else:
        if population is not None and not population >= 1:
            raise ValueError(f"the population must be at least 1, got {population!r}")
        n = max(_n_for(n0, population), 1)
        rows.append(
            {
                "unit": "all",
                "population": np.nan if population is None else float(population),
                "n": n,
                "margin_at_n": margin_of_error(n, sd, conf_level=conf_level, deff=deff, population=population),
            }
        )
    units = pd.DataFrame(rows).set_index("unit")
    units["n"] = units["n"].astype(np.int64)
    return SampleSizeResult(
        measure=measure,
        margin=float(margin),
        conf_level=conf_level,
        deff=deff,
        sd=float(sd),
        n_infinite=n0,
        units=units,
    )
