"""Generate the clustered-design weighting cases with svy, the Python survey package (svylab).

R is not installable on the development machine (CRAN is unreachable), so the cases with
clusters, strata and a finite-population correction come from a second peer: svy 0.35
(https://svylab.com/docs, the successor of samplics), whose Taylor linearisation after
raking reproduces R survey 4.1-1 on ``weighting_dev_rake`` (this script checks it first and
stops if it does not: the agreement it prints goes into each case's ``peer.agreement_with_R``).

Run in a separate virtual environment, not the project's (svy is not a project dependency):

    python -m venv /tmp/svy && /tmp/svy/bin/pip install svy==0.35.0
    /tmp/svy/bin/python generate_weighting_clustered.py      # in this folder

It writes ``data/weighting_clustered.csv`` and ``expected/weighting_clustered_{design,rake}.json``.
The data are simulated here with a fixed seed: a stratified two-stage sample of dealers
(strata = region, PSUs = dealers, fpc = the region's number of dealers) and their customers.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import polars as pl
import svy

HERE = Path(__file__).resolve().parent
SEED = 20261203
NPS_CODING = {
    "promoter": [9, 10],
    "passive": [7, 8],
    "detractor": [0, 6],
    "score": {"promoter": 100, "passive": 0, "detractor": -100},
}
VARIABLES = {
    "means": ["sat_overall", "recommend", "q_staff", "q_wait"],
    "proportions": ["sat_overall", "visit_type"],
    "nps": ["recommend"],
    "by_segment": {"visit_type": "sat_overall", "region": "q_wait"},
    "totals": ["q_staff"],
}


def simulate() -> pl.DataFrame:
    """Three regions; a simple random sample of dealers in each; every customer of a visit week."""
    rng = np.random.default_rng(SEED)
    rows = []
    regions = {"north": (14, 4), "east": (18, 5), "south": (10, 3)}  # dealers in population, sampled
    for region, (n_dealers, m_dealers) in regions.items():
        for d in rng.choice(n_dealers, m_dealers, replace=False):
            dealer = f"{region[0].upper()}{d + 1:02d}"
            customers = int(rng.integers(300, 900))  # the dealer's customers in the period
            n = int(rng.integers(18, 42))
            effect = rng.normal(0, 0.45)
            for _ in range(n):
                visit = rng.choice(["service", "repair", "sales"], p=[0.55, 0.25, 0.20])
                age = rng.choice(["18-34", "35-54", "55+"], p=[0.3, 0.45, 0.25])
                latent = 3.4 + effect + (0.3 if visit == "sales" else 0) - (0.25 if age == "18-34" else 0)
                sat = int(np.clip(np.rint(latent + rng.normal(0, 0.9)), 1, 5))
                rec = int(np.clip(np.rint(2 * latent + rng.normal(0, 1.6)), 0, 10))
                rows.append(
                    {
                        "region": region,
                        "dealer": dealer,
                        "fpc_dealers": n_dealers,
                        "base_weight": (n_dealers / m_dealers) * (customers / n),
                        "visit_type": str(visit),
                        "customer_age_band": str(age),
                        "sat_overall": None if rng.random() < 0.04 else sat,
                        "recommend": None if rng.random() < 0.03 else rec,
                        "q_staff": int(np.clip(np.rint(latent + 0.4 + rng.normal(0, 0.8)), 1, 5)),
                        "q_wait": None
                        if rng.random() < 0.02
                        else int(np.clip(np.rint(latent - 0.3 + rng.normal(0, 1.0)), 1, 5)),
                    }
                )
    df = pl.DataFrame(rows).with_row_index("resp_id", offset=1)
    # a self-weighting version of the same design (dealers drawn with probability proportional to
    # size, a fixed take per dealer): equal base weights, as the raking case starts from
    equal = round(float(df["base_weight"].sum()) / len(df), 6)
    return df.with_columns(
        pl.col("base_weight").round(6),
        pl.lit(equal).alias("equal_weight"),
        pl.when(pl.col("recommend") >= 9)
        .then(100)
        .when(pl.col("recommend") >= 7)
        .then(0)
        .when(pl.col("recommend").is_not_null())
        .then(-100)
        .alias("_nps_score"),
    )


def _level(value: object) -> str:
    """A by-level as svy returns it (a one-element tuple) written as the level itself."""
    return str(value[0] if isinstance(value, (tuple, list)) else value)


def _f(x: float) -> float:
    return float(x)


def estimates(sample: svy.Sample) -> dict:
    e = sample.estimation
    out: dict = {"means": {}, "proportions": {}, "nps": {}, "by_segment": {}, "totals": {}}
    for v in VARIABLES["means"]:
        r = e.mean(v, drop_nulls=True).to_dicts()[0]
        out["means"][v] = {"n": int(r["n"]), "mean": _f(r["est"]), "se": _f(r["se"])}
    for v in VARIABLES["proportions"]:
        # a domain proportion (svymean(~factor(v), na.rm = TRUE)): the share of each level among
        # those who answered, the ratio of the level's indicator to the answered indicator
        out["proportions"][v] = {}
        for level in sorted(sample.data[v].drop_nulls().cast(pl.Utf8).unique().to_list()):
            data = sample.data.with_columns(
                (pl.col(v).cast(pl.Utf8) == level).fill_null(False).cast(pl.Float64).alias("_num"),
                pl.col(v).is_not_null().cast(pl.Float64).alias("_den"),
            )
            r = svy.Sample(data, sample.design).estimation.ratio("_num", "_den").to_dicts()[0]
            out["proportions"][v][level] = {"p": _f(r["est"]), "se": _f(r["se"])}
    # the ratio route agrees with svy's own prop() where nobody skipped the variable
    for r in e.prop("visit_type").to_dicts():
        mine = out["proportions"]["visit_type"][str(r["y_level"])]
        assert abs(mine["p"] - r["est"]) < 1e-12 and abs(mine["se"] - r["se"]) < 1e-12, (mine, r)
    for v in VARIABLES["nps"]:
        r = e.mean("_nps_score", drop_nulls=True).to_dicts()[0]
        out["nps"][v] = {"n": int(r["n"]), "nps": _f(r["est"]), "se": _f(r["se"])}
    for segment, y in VARIABLES["by_segment"].items():
        rows = e.mean(y, by=segment, drop_nulls=True).to_dicts()
        out["by_segment"][segment] = {
            _level(r["by_level"]): {"n": int(r["n"]), "mean": _f(r["est"]), "se": _f(r["se"])} for r in rows
        }
    for v in VARIABLES["totals"]:
        r = e.total(v, drop_nulls=True).to_dicts()[0]
        out["totals"][v] = {"n": int(r["n"]), "total": _f(r["est"]), "se": _f(r["se"])}
    return out


def agreement_with_r() -> float:
    """Largest |svy − R| over the means and SEs of the R case weighting_dev_rake (raking, no clusters)."""
    case = json.loads((HERE / "expected" / "weighting_dev_rake.json").read_text())
    data = pl.read_csv(HERE / case["data_file"], null_values=[""]).with_columns(pl.lit(1.0).alias("w"))
    controls = {
        m["variables"][0]: {c["levels"][m["variables"][0]]: c["count"] for c in m["cells"]}
        for m in case["settings"]["margins"]
    }
    raked = svy.Sample(data, svy.Design(wgt="w")).weighting.rake(controls=controls, tol=1e-13, max_iter=1000)
    worst = 0.0
    for v, expected in case["means"].items():
        r = raked.estimation.mean(v, drop_nulls=True).to_dicts()[0]
        worst = max(worst, abs(r["est"] - expected["mean"]), abs(r["se"] - expected["se"]))
    return worst


def write_case(case_id: str, description: str, settings: dict, sample: svy.Sample, weights: list[float]) -> None:
    case = {
        "case_id": case_id,
        "kind": "weighting",
        "description": description,
        "data_file": "data/weighting_clustered.csv",
        "peer": {
            "svy": svy.__version__,
            "polars": pl.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "agreement_with_R": f"max |svy - R survey 4.1-1| over the means and SEs of weighting_dev_rake: {AGREEMENT:.2e}",
        },
        "peer_call": {
            "design": 'svy.Design(stratum="region", psu="dealer", wgt=<settings.design.weights>, pop_size="fpc_dealers")',
            "weights": settings.get("peer_weights", "the design weights as given"),
            "means": "sample.estimation.mean(v, drop_nulls=True)",
            "proportions": "estimation.prop(v) for a variable nobody skipped; else the ratio of the level's indicator to the answered indicator (svymean(~factor(v), na.rm = TRUE))",
            "nps": "estimation.mean(nps_score, drop_nulls=True), nps_score = +100 (9-10), 0 (7-8), -100 (0-6)",
            "by_segment": "estimation.mean(y, by=segment, drop_nulls=True)",
            "totals": "estimation.total(v, drop_nulls=True)",
            "ci": "not compared: svy's intervals use t with (PSUs - strata) df, the package's are normal as R's confint()",
        },
        "settings": {k: v for k, v in settings.items() if k != "peer_weights"}
        | {"variables": VARIABLES, "nps_coding": NPS_CODING},
        "tolerance_abs": 1e-08,
        "tolerance_abs_se": 1e-07,
        "tolerance_rel": 1e-09,
        "weights": {"values": weights},
    } | estimates(sample)
    (HERE / "expected" / f"{case_id}.json").write_text(json.dumps(case, indent=1, ensure_ascii=False) + "\n")


AGREEMENT = agreement_with_r()
if AGREEMENT > 1e-7:
    raise SystemExit(f"svy does not reproduce R survey on weighting_dev_rake (max diff {AGREEMENT:.3g})")

df = simulate()
df.drop("_nps_score").write_csv(HERE / "data" / "weighting_clustered.csv")
DESIGN = svy.Design(stratum="region", psu="dealer", wgt="base_weight", pop_size="fpc_dealers")
design_settings = {
    "design": {
        "ids": "dealer",
        "weights": "base_weight",
        "strata": "region",
        "fpc": "fpc_dealers",
        "note": "stratified one-stage cluster design as R's svydesign(ids = ~dealer, strata = ~region, weights = ~base_weight, fpc = ~fpc_dealers)",
    },
    "method": "design",
}
plain = svy.Sample(df, DESIGN)
write_case(
    "weighting_clustered_design",
    "Simulated dealership survey: 12 dealers sampled in 3 regions (strata), every customer of a week "
    "answering (dealers are the clusters), base weights (dealers in region / sampled) x (customers / "
    "respondents), fpc = dealers in the region; 2-4 % missing. The design weights as given.",
    design_settings,
    plain,
    [float(x) for x in df["base_weight"]],
)

targets = {
    "visit_type": {"service": 0.5, "repair": 0.3, "sales": 0.2},
    "customer_age_band": {"18-34": 0.35, "35-54": 0.40, "55+": 0.25},
}
total = round(float(df["base_weight"].sum()))
controls = {v: {level: share * total for level, share in shares.items()} for v, shares in targets.items()}
self_weighting = svy.Sample(df, svy.Design(stratum="region", psu="dealer", wgt="equal_weight", pop_size="fpc_dealers"))
raked = self_weighting.weighting.rake(controls=controls, tol=1e-13, max_iter=1000, wgt_name="rake_wgt")
rake_settings = {
    "design": design_settings["design"]
    | {
        "weights": "equal_weight",
        "note": "as weighting_clustered_design with equal base weights (svydesign(ids = ~dealer, strata = ~region, weights = ~equal_weight, fpc = ~fpc_dealers))",
    },
    "method": "raking",
    "population_total": total,
    "margins": [
        {
            "name": v,
            "variables": [v],
            "cells": [{"levels": {v: level}, "count": count} for level, count in cells.items()],
        }
        for v, cells in controls.items()
    ],
    "peer_weights": "sample.weighting.rake(controls=<margins>, tol=1e-13, max_iter=1000)",
}
write_case(
    "weighting_clustered_rake",
    "The clustered sample of weighting_clustered_design with equal base weights, raked to two margins "
    "(visit type, age band) as counts; SEs by linearisation that keeps strata, clusters and fpc and "
    "accounts for the calibration. Equal base weights because svy 0.35 fits the calibration residuals "
    "without the base weights, which equals R survey's design-weighted fit (regcalibrate: "
    "qr(mm * sqrt(design weights))) only when they are equal: from unequal base weights svy and R "
    "differ in the fourth decimal of the SE, and the package follows R.",
    rake_settings,
    raked,
    [float(x) for x in raked.data["rake_wgt"]],
)
print(f"agreement with R on weighting_dev_rake: {AGREEMENT:.2e}; wrote 2 cases")
