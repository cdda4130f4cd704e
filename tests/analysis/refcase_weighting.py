"""Reference-case adapter for kind = weighting (R survey 4.1-1, svy 0.35; tests/reference/README.md).

Everything comes from the case's ``settings``: the design columns (``ids``, ``weights``,
``strata``, ``fpc``), the method (``raking``, ``poststratification`` or ``design``: the design
weights as given) with its margins or post-strata (counts), the trimming
bounds, the variables of each block and the NPS coding. The weights are computed once with
the package's own convergence rule and defaults; nothing here is tuned to a case.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import weighting as wt

# Not outputs but read by the harness as blocks (it knows only `tolerance_abs` as an input):
# the tolerances a case states for its SEs, CIs and large numbers. The harness compares every
# field at `tolerance_abs`, which is stricter than these.
TOLERANCE_KEYS = ("tolerance_abs_se", "tolerance_abs_ci", "tolerance_rel")


def _key(value: Any) -> str:
    """A category as the peer writes it (R's as.character: 1, not 1.0)."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _margin(spec: dict[str, Any]) -> wt.Margin:
    variables = spec["variables"]
    targets = {tuple(cell["levels"][v] for v in variables): cell["count"] for cell in spec["cells"]}
    return wt.margin(variables, targets, name=spec["name"])


def _design(settings: dict[str, Any], **override: str | None) -> wt.SurveyDesign:
    d = settings["design"]
    fields = {k: d.get(k) for k in ("ids", "weights", "strata", "fpc")} | override
    return wt.SurveyDesign(**fields)


def _weigh(
    df: pd.DataFrame, settings: dict[str, Any], design: wt.SurveyDesign, **rake_options: Any
) -> wt.WeightingResult:
    if settings["method"] == "design":  # the design weights as given, no calibration
        return wt.design_weights(df, design)
    if settings["method"] == "raking":
        return wt.rake(
            df,
            [_margin(m) for m in settings["margins"]],
            design=design,
            population_total=settings["population_total"],
            **rake_options,
        )
    return wt.poststratify(
        df, _margin(settings["poststrata"]), design=design, population_total=settings["population_total"]
    )


def _summary(w: wt.WeightingResult) -> dict[str, Any]:
    k = w.kish
    return {
        "values": list(w.weights),
        "summary": {
            "n": k.n,
            "min": k.min,
            "max": k.max,
            "mean": k.mean,
            "sum": k.sum,
            "deff_kish": k.deff,
            "n_eff": k.n_eff,
            "efficiency_pct": k.efficiency_pct,
        },
    }


def _mean(df: pd.DataFrame, v: str, w: wt.WeightingResult) -> dict[str, Any]:
    r = wt.weighted_mean(df, v, w)
    return {"n": r.n, "sum_weights": r.sum_weights, "mean": r.estimate, "se": r.se, "ci_95": list(r.ci)}


def _estimates(df: pd.DataFrame, settings: dict[str, Any], w: wt.WeightingResult) -> dict[str, Any]:
    variables, coding = settings["variables"], settings.get("nps_coding") or {}
    out: dict[str, Any] = {"means": {v: _mean(df, v, w) for v in variables["means"] or []}}
    out["proportions"] = {}
    for v in variables["proportions"] or []:
        p = wt.weighted_proportions(df, v, w)
        out["proportions"][v] = {_key(c): {"p": pv, "se": s} for c, pv, s in zip(p.categories, p.p, p.se, strict=True)}
    out["nps"] = None
    if variables.get("nps"):
        out["nps"] = {}
        for v in variables["nps"]:
            r = wt.weighted_nps(df, v, w, promoter_min=coding["promoter"][0], detractor_max=coding["detractor"][1])
            out["nps"][v] = {
                "n": r.n,
                "nps": r.nps,
                "se": r.se,
                "ci_95": list(r.ci),
                "promoters_share": r.promoters_share,
                "detractors_share": r.detractors_share,
            }
    out["by_segment"] = {}
    for segment, y in (variables["by_segment"] or {}).items():
        b = wt.weighted_means_by(df, y, segment, w)
        out["by_segment"][segment] = {
            _key(lv): {"n": r.n, "mean": r.estimate, "se": r.se} for lv, r in zip(b.levels, b.rows, strict=True)
        }
    out["totals"] = None
    if variables.get("totals"):
        out["totals"] = {}
        for v in variables["totals"]:
            t = wt.weighted_total(df, v, w)
            out["totals"][v] = {"n": t.n, "total": t.estimate, "se": t.se, "ci_95": list(t.ci)}
    return out


def _trimmed(df: pd.DataFrame, settings: dict[str, Any], w: wt.WeightingResult) -> dict[str, Any] | None:
    trim = settings.get("trim")
    if not trim:
        return None
    upper = math.inf if trim.get("upper") is None else trim["upper"]
    lower = -math.inf if trim.get("lower") is None else trim["lower"]
    t = wt.trim_weights(w, upper=upper, lower=lower, strict=bool(trim.get("strict")))
    # se_weights_as_given: svydesign(ids, weights = ~trimmed) forgets the calibration.
    given_df = df.assign(_trimmed_weight=t.weights)
    given = wt.design_weights(given_df, _design(settings, weights="_trimmed_weight", strata=None, fpc=None))
    means = {}
    for v in settings["variables"]["means"] or []:
        means[v] = _mean(df, v, t) | {"se_weights_as_given": wt.weighted_mean(given_df, v, given).se}
    info = t.trim
    assert info is not None
    return {
        "upper": trim.get("upper"),
        "lower": trim.get("lower"),
        "strict": info.strict,
        "n_trimmed": info.n_trimmed,
        "trimmed_excess": info.trimmed_excess,
        "added_to_each_untrimmed": info.added_to_each_untrimmed,
        "weights": _summary(t),
        "means": means,
    }


def _rake_function(
    df: pd.DataFrame, settings: dict[str, Any], design: wt.SurveyDesign, w: wt.WeightingResult, control: dict[str, Any]
) -> dict[str, Any] | None:
    """R's rake(): IPF with its stop rule (largest change of a crossed cell), tight and default control."""
    if settings["method"] != "raking":
        return None
    base = w.weights.to_numpy()
    tight = _weigh(df, settings, design, criterion="change", tol=control["epsilon"], max_iter=control["maxit"])
    default = _weigh(df, settings, design, criterion="change", tol=1, max_iter=10)
    est = _estimates(df, settings, tight)
    return {
        "control": {"maxit": control["maxit"], "epsilon": control["epsilon"]},
        "weights_max_abs_rel_diff_vs_calibrate": float(np.max(np.abs(tight.weights.to_numpy() / base - 1))),
        "default_control": {"maxit": 10, "epsilon": 1},
        "weights_max_abs_rel_diff_default_control_vs_calibrate": float(
            np.max(np.abs(default.weights.to_numpy() / base - 1))
        ),
        "means": {v: {"mean": b["mean"], "se": b["se"]} for v, b in est["means"].items()},
        "proportions": est["proportions"],
        "nps": None if est["nps"] is None else {v: {"nps": b["nps"], "se": b["se"]} for v, b in est["nps"].items()},
        "by_segment": {
            s: {lv: {"mean": b["mean"], "se": b["se"]} for lv, b in levels.items()}
            for s, levels in est["by_segment"].items()
        },
        "totals": None
        if est["totals"] is None
        else {v: {"total": b["total"], "se": b["se"]} for v, b in est["totals"].items()},
    }


def _missing_checks(df: pd.DataFrame, settings: dict[str, Any], w: wt.WeightingResult, v: str) -> dict[str, Any]:
    """The SE of one mean under R's convention (three routes) and under four other conventions."""
    answered = df[v].notna()
    flagged = df.assign(_answered=answered.astype(float), _y0=df[v].fillna(0))
    # R's subset(cal, !is.na(v)): a segment that holds exactly the answering rows.
    subset_se = wt.weighted_means_by(flagged.assign(_subset=answered.map({True: "in"})), v, "_subset", w).rows[0].se
    as_given = dict(weights="_given", strata=None, fpc=None)
    full = df.assign(_given=w.weights)
    responders = full[answered]
    # The peer re-weights the responders from svydesign(ids, weights): no strata, no fpc.
    reweighted = _weigh(df[answered], settings, _design(settings, strata=None, fpc=None))
    m_re = wt.weighted_mean(df[answered], v, reweighted)
    return {
        "variable": v,
        "se_na_rm": wt.weighted_mean(df, v, w).se,
        "se_subset_domain": subset_se,
        "se_svyratio_y0_over_answered": wt.weighted_ratio(flagged, "_y0", "_answered", w).se,
        "se_responders_only_weights_as_given": wt.weighted_mean(
            responders, v, wt.design_weights(responders, _design(settings, **as_given))
        ).se,
        "se_full_sample_weights_as_given_no_calibration": wt.weighted_mean(
            full, v, wt.design_weights(full, _design(settings, **as_given))
        ).se,
        "recalibrated_on_responders": {"mean": m_re.estimate, "se": m_re.se},
    }


def compute(case: dict[str, Any], root: Path) -> dict[str, Any]:
    settings = case["settings"]
    # Only an empty field is missing: a level called "NA" stays a level.
    df = pd.read_csv(root / case["data_file"], keep_default_na=False, na_values=[""])
    design = _design(settings)
    w = _weigh(df, settings, design)
    out: dict[str, Any] = {key: case[key] for key in TOLERANCE_KEYS if key in case}
    out["weights"] = _summary(w)
    out |= _estimates(df, settings, w)
    out["trimmed"] = _trimmed(df, settings, w)
    rake_block = case.get("rake_function") or {}
    out["rake_function"] = _rake_function(
        df, settings, design, w, rake_block.get("control") or {"maxit": 1000, "epsilon": 1e-10}
    )
    checks = case.get("missing_value_checks")
    out["missing_value_checks"] = None if checks is None else _missing_checks(df, settings, w, checks["variable"])
    return out
