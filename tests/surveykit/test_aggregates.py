"""The dashboard's aggregates equal a recomputation from the raw responses, on both backends.

A seeded random walk submits responses (two questionnaire versions whose satisfaction scales
differ, so the top-2-box threshold depends on the version), starts and saves drafts (which must
not count), erases responses through :func:`surveykit.aggregates.remove_response`, replays a
submit (which must not count twice) and kills a submitting process with SIGKILL in the middle of
its stream; after each phase the table must equal what pandas computes from
:func:`surveykit.storage.responses_frame`, and :func:`surveykit.aggregates.rebuild` must write the
same table again.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from surveykit import aggregates, load_questionnaire, org, storage
from surveykit.database import response_aggregates, responses, write_transaction

V1 = """\
survey: agg_walk
version: 1
title: {zh: 聚合测试, en: Aggregate walk}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  branch: {label: {zh: 网点, en: Branch}}
scales:
  s5: {points: 5}
pages:
  - id: p
    title: {zh: 页, en: Page}
    questions:
      - {id: sat, type: likert, scale: s5, required: false, text: {zh: 满意, en: Satisfied}}
      - {id: recommend, type: nps, required: false, text: {zh: 推荐, en: Recommend}}
      - {id: comment, type: text, required: false, text: {zh: 意见, en: Comment}}
"""
V2 = V1.replace("version: 1", "version: 2").replace("s5: {points: 5}", "s5: {points: 7}")
DEALERS = ["DE01", "DE02", "DE03", "经销商04"]
BASE = dt.datetime(2026, 3, 30, 12, 0)


TREE = """\
id,parent,level,name_zh,name_en
R1,,region,一区,One
R2,,region,二区,Two
DE01,R1,dealer,甲,A
DE02,R1,dealer,乙,B
DE03,R2,dealer,丙,C
B1,DE01,branch,甲一,A1
"""
MOVED = TREE.replace("DE02,R1,", "DE02,R2,")  # three days before BASE, DE02 moves to region Two


def _setup(db_url: str, tmp_path: Path) -> tuple[Any, dict[int, Any]]:
    from surveykit.orgfile import apply_org, read_org_file

    engine = storage.make_engine(db_url)
    storage.init_db(engine)
    apply_org(engine, read_org_file("org.csv", data=TREE.encode("utf-8")))
    moved = dt.datetime.combine((BASE - dt.timedelta(days=3)).date(), dt.time())
    apply_org(engine, read_org_file("org.csv", data=MOVED.encode("utf-8")), effective=moved)
    qs = {}
    for version, text in ((1, V1), (2, V2)):
        path = tmp_path / f"v{version}.yaml"
        path.write_text(text, encoding="utf-8")
        q = load_questionnaire(path)
        storage.register_version(engine, q, text)
        qs[version] = q
    return engine, qs


def _answers(rng: random.Random, points: int) -> dict[str, Any]:
    return {
        "sat": rng.choice([None, *range(1, points + 1)]),
        "recommend": rng.choice([None, *range(11)]),
        "comment": rng.choice([None, "fine"]),
    }


def _fields(rng: random.Random) -> dict[str, str]:
    out = {}
    if rng.random() < 0.9:
        out["dealer"] = rng.choice(DEALERS)
    if rng.random() < 0.6:
        out["branch"] = rng.choice(["B1", "B2"])
    return out


def _submit(engine: Any, q: Any, rng: random.Random, key: str) -> None:
    # up to a week back, with seconds next to midnight: the day boundary must agree with SQL's
    at = BASE - dt.timedelta(days=rng.randrange(7), seconds=rng.choice([0, 43199, 43200 - 1e-6 * rng.randrange(5)]))
    storage.save_response(
        engine,
        q,
        _answers(rng, q.question("sat").scale.points),
        key=key,
        language="en",
        fields=_fields(rng),
        submitted_at=at,
    )


def _erase(engine: Any, rng: random.Random) -> None:
    """Erase one random response as the erasure code must: read it, subtract it, delete it."""
    with write_transaction(engine) as conn:
        ids = conn.execute(sa.select(responses.c.id)).scalars().all()
        if not ids:
            return
        row = conn.execute(sa.select(responses).where(responses.c.id == rng.choice(ids))).mappings().one()
        aggregates.remove_response(conn, row)
        conn.execute(sa.delete(responses).where(responses.c.id == row["id"]))


def recomputed(engine: Any, qs: dict[int, Any]) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """The aggregates computed independently, with pandas, from the raw response table."""
    df = storage.responses_frame(engine, qs[2])
    df["day"] = (df["submitted_at"].dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    df["points"] = df["version"].map({v: q.question("sat").scale.points for v, q in qs.items()})
    df["_responses"] = 1.0
    out: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for field in ("", "dealer", "branch"):
        part = df.assign(unit="") if field == "" else df[df[field].notna()].assign(unit=lambda d, f=field: d[f])
        for var in ("_responses", "sat", "recommend"):
            x = part[part[var].notna()]
            points = x["points"] if var == "sat" else pd.Series(10 if var == "recommend" else 1, index=x.index)
            for (unit, top, day), g in x.assign(top=points).groupby(["unit", "top", "day"]):
                v = g[var]
                if var == "recommend":
                    top2 = prom = int((v >= 9).sum())
                    pas, det = int(v.between(7, 8).sum()), int((v <= 6).sum())
                elif var == "sat":
                    top2, prom, pas, det = int((v >= g["points"] - 1).sum()), 0, 0, 0
                else:
                    top2 = prom = pas = det = 0
                out[field, str(unit), var, int(top), int(day)] = (
                    len(v),
                    int(v.sum()),
                    int((v * v).sum()),
                    top2,
                    prom,
                    pas,
                    det,
                )
    # the organisation's chain of each response, by the attribution (surveykit.aggregates_org)
    history = org.load_history(engine)
    current = org.DEFAULT_ATTRIBUTION == "current"
    org_rows: dict[tuple[Any, ...], list[int]] = {}
    for rec in df.to_dict("records"):
        at = dt.datetime.combine(rec["submitted_at"].date(), dt.time())
        fields = {k: rec[k] for k in ("dealer", "branch") if isinstance(rec[k], str)}
        tree = history.at(None if current else at)
        unit = tree.unit_of(fields)
        for u in [*tree.ancestors(unit), unit] if unit else []:
            for var in ("_responses", "sat", "recommend"):
                x = rec[var]
                if x != x:  # NaN: not answered
                    continue
                x = int(x)
                top = int(rec["points"]) if var == "sat" else 10 if var == "recommend" else 1
                if var == "recommend":
                    add = [1, x, x * x, int(x >= 9), int(x >= 9), int(7 <= x <= 8), int(x <= 6)]
                elif var == "sat":
                    add = [1, x, x * x, int(x >= top - 1), 0, 0, 0]
                else:
                    add = [1, 1, 1, 0, 0, 0, 0]
                counts = org_rows.setdefault(("org", u, var, top, int(rec["day"])), [0] * 7)
                for i, a in enumerate(add):
                    counts[i] += a
    out.update({k: tuple(v) for k, v in org_rows.items()})
    return out


def stored(engine: Any) -> dict[tuple[Any, ...], tuple[int, ...]]:
    a = response_aggregates.c
    with engine.connect() as conn:
        cols = (a.unit_field, a.unit, a.variable, a.points, a.day, *(a[k] for k in aggregates.COUNTS))
        # a unit-day whose responses were all erased keeps a row of zeros: the same as no row
        return {tuple(r[:5]): tuple(r[5:]) for r in conn.execute(sa.select(*cols)) if any(r[5:])}


def _check(engine: Any, qs: dict[int, Any]) -> int:
    expected = recomputed(engine, qs)
    assert stored(engine) == expected
    aggregates.rebuild(engine, "agg_walk")
    assert stored(engine) == expected
    return len(expected)


def test_random_walk_matches_raw_responses(db_url: str, tmp_path: Path) -> None:
    engine, qs = _setup(db_url, tmp_path)
    rng = random.Random(20261203)
    keys: list[str] = []
    checked = []
    try:
        for step in range(240):
            action = rng.random()
            if action < 0.6:
                key = f"k{step}"
                _submit(engine, qs[rng.choice([1, 2])], rng, key)
                keys.append(key)
            elif action < 0.75:
                draft = storage.start_draft(engine, qs[2], language="zh", fields=_fields(rng))
                storage.save_draft(engine, draft.id, {"sat": 7, "recommend": 10}, 1)
            elif action < 0.9:
                _erase(engine, rng)
            elif keys:  # a replayed submit (same key, same answers) stores nothing and adds nothing
                key = rng.choice(keys)
                with engine.connect() as conn:
                    row = conn.execute(sa.select(responses).where(responses.c.key == key)).mappings().first()
                if row is not None:
                    version = 1 if row["version_id"] == min(v for v in _version_ids(engine)) else 2
                    again = storage.save_response(
                        engine,
                        qs[version],
                        row["answers"],
                        key=key,
                        language="en",
                        fields=row["fields"],
                        submitted_at=row["submitted_at"],
                    )
                    assert again.created is False
            if step % 60 == 59:
                checked.append(_check(engine, qs))
        with engine.connect() as conn:
            n = conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one()
        assert n > 50 and min(checked) > 20  # the walk really stored and aggregated something
        units = {k[1] for k in stored(engine) if k[0] == "org"}
        assert {"R1", "R2", "DE01", "DE02", "B1"} <= units and "经销商04" not in units  # unknown: no org row
        moved_day = aggregates.day_number((BASE - dt.timedelta(days=3)).date())
        de02 = {(k[4] >= moved_day) for k in stored(engine) if k[:2] == ("org", "DE02")}
        assert de02 == {True, False}  # DE02 answered before and after its move, so the attribution is tested
    finally:
        engine.dispose()


def _version_ids(engine: Any) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT id FROM survey_versions")).scalars())


SUBMITTER = textwrap.dedent(
    """
    import datetime as dt, sys
    from surveykit import load_questionnaire, storage
    engine = storage.make_engine(sys.argv[1])
    q = load_questionnaire(sys.argv[2])
    i = 0
    while True:
        storage.save_response(engine, q, {"sat": 1 + i % 7, "recommend": i % 11}, key=f"crash{i}", language="zh",
                              fields={"dealer": "DE0" + str(i % 3)}, submitted_at=dt.datetime(2026, 3, 1 + i % 20))
        i += 1
        if i == 5:
            print("running", flush=True)
    """
)


def test_sigkill_while_submitting_leaves_aggregates_exact(db_url: str, tmp_path: Path) -> None:
    engine, qs = _setup(db_url, tmp_path)
    try:
        for attempt in range(3):
            with subprocess.Popen(
                [sys.executable, "-c", SUBMITTER, db_url, str(tmp_path / "v2.yaml")],
                stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": os.getcwd()},
            ) as proc:
                assert proc.stdout is not None and proc.stdout.readline() == b"running\n"
                time.sleep(0.2 + 0.15 * attempt)  # in the middle of a stream of transactions
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
            assert proc.returncode == -signal.SIGKILL
            with engine.connect() as conn:
                n = conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one()
            assert n >= 5
            expected = recomputed(engine, qs)
            assert stored(engine) == expected
        _check(engine, qs)
    finally:
        engine.dispose()


def test_submit_rollback_adds_nothing(engine: Any, tmp_path: Path) -> None:
    """A submission whose transaction fails (an unknown invitation) leaves no aggregate behind."""
    path = tmp_path / "v1.yaml"
    path.write_text(V1, encoding="utf-8")
    q = load_questionnaire(path)
    storage.register_version(engine, q, V1)
    with pytest.raises(storage.InvitationUnavailable):
        storage.save_response(engine, q, {"sat": 5}, key="x", language="en", invitation_id=99999)
    assert stored(engine) == {}
    storage.save_response(engine, q, {"sat": 5}, key="y", language="en", fields={"dealer": "DE01"})
    assert stored(engine)["dealer", "DE01", "sat", 5, aggregates.day_number(dt.datetime.now(dt.UTC).date())][:3] == (
        1,
        5,
        25,
    )


def test_satisfaction_question_is_the_reports(tmp_path: Path) -> None:
    """The aggregates track the question the report calls overall satisfaction, in every shipped instrument."""
    from analysis.analyze import _satisfaction_question

    shipped = sorted(Path("questionnaires").glob("*.yaml"))
    assert shipped
    for path in shipped:
        q = load_questionnaire(path)
        mine, theirs = aggregates.satisfaction_question(q), _satisfaction_question(q)
        assert (mine and mine.id) == (theirs and theirs.id), path


def test_cli_rebuild_restores_a_wiped_table(db_url: str, tmp_path: Path) -> None:
    """Responses loaded around the submit path (here: the sums wiped) are summed again by the command."""
    from click.testing import CliRunner

    from surveykit.cli import main

    engine, qs = _setup(db_url, tmp_path)
    try:
        rng = random.Random(5)
        for i in range(40):
            _submit(engine, qs[2], rng, f"c{i}")
        expected = recomputed(engine, qs)
        with write_transaction(engine) as conn:
            conn.execute(sa.delete(response_aggregates))
        assert stored(engine) == {}
        result = CliRunner().invoke(main, ["aggregates", "rebuild", "--db", db_url, "--survey", "agg_walk"])
        assert result.exit_code == 0, result.output
        assert f"{len(expected)} aggregate rows written" in result.output
        assert stored(engine) == expected
    finally:
        engine.dispose()


def test_a_response_over_its_quota_is_not_counted(engine: Any, tmp_path: Path) -> None:
    """Stored but not counted (surveykit.quotas): neither its submit nor its erasure touches the sums."""
    path = tmp_path / "v1.yaml"
    path.write_text(V1, encoding="utf-8")
    q = load_questionnaire(path)
    storage.register_version(engine, q, V1)
    row = {"survey": q.survey, "submitted_at": BASE, "fields": {"dealer": "DE01"}, "answers": {"sat": 4}}
    with write_transaction(engine) as conn:
        aggregates.add_response(conn, q, {**row, "over_quota": True})
        aggregates.remove_response(conn, {**row, "version_id": 1, "over_quota": True})
    assert stored(engine) == {}
    with write_transaction(engine) as conn:
        aggregates.add_response(conn, q, row)
    assert stored(engine)["dealer", "DE01", "sat", 5, aggregates.day_number(BASE.date())][:3] == (1, 4, 16)
