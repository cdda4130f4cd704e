"""The response store on SQLite and PostgreSQL: engine settings, versions, idempotent saves,
drafts, the analysis frame and the shared rate-limit counter."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from surveykit import load_questionnaire, storage
from surveykit.database import metadata, responses
from surveykit.errors import StorageError

ANSWERS = {
    "sat_overall": 5,
    "channel": "app",
    "extras_wash": 1,
    "extras_coffee": 0,
    "fac_clean": 7,
    "fac_crowded": 2,
    "weights_reliability": 60,
    "weights_tangibles": 40,
    "recommend": 9,
    "visit_date": "2026-05-01",
    "km": 12345.5,
    "rel1_e": 6,
    "rel1_p": 5,
    "courtesy_car_f": "like",
    "courtesy_car_d": "dislike",
    "speed_i": 7,
    "speed_p": 4,
}


def _count(engine: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one()


# -- engine -------------------------------------------------------------------------------------


def test_sqlite_engine_applies_durability_pragmas(tmp_path):
    engine = storage.make_engine(f"sqlite:///{tmp_path}/p.sqlite3")
    with engine.connect() as conn:
        got = {
            p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
            for p in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    engine.dispose()
    assert got == {"journal_mode": "wal", "synchronous": 2, "busy_timeout": 5000, "foreign_keys": 1}


def test_sqlite_write_transactions_begin_immediate(tmp_path):
    """A write transaction holds the write lock from its first statement (no deferred upgrade)."""
    engine = storage.make_engine(f"sqlite:///{tmp_path}/p.sqlite3")
    storage.init_db(engine)
    from surveykit.database import write_transaction

    with write_transaction(engine) as conn:
        conn.execute(sa.select(1))  # a read only, yet the lock is already taken
        import sqlite3

        other = sqlite3.connect(f"{tmp_path}/p.sqlite3", timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    engine.dispose()


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"])
def test_postgres_urls_use_psycopg3(url):
    assert storage.make_engine(url).url.drivername == "postgresql+psycopg"


@pytest.mark.postgres
def test_postgres_sessions_commit_synchronously(pg_url):
    engine = storage.make_engine(pg_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    engine.dispose()


def test_init_db_is_idempotent(engine):
    storage.init_db(engine)
    storage.init_db(engine)
    assert set(sa.inspect(engine).get_table_names()) >= set(metadata.tables)


# -- versions ------------------------------------------------------------------------------------


def test_register_version_is_idempotent_and_keyed_by_hash(engine, survey, survey_path, tmp_path):
    text = survey_path.read_text(encoding="utf-8")
    first = storage.register_version(engine, survey, text)
    assert storage.register_version(engine, survey, text) == first
    changed = tmp_path / "changed.yaml"
    changed.write_text(text.replace("Overall satisfied", "All in all satisfied"), encoding="utf-8")
    assert storage.register_version(engine, load_questionnaire(changed), changed.read_text(encoding="utf-8")) != first


def test_unregistered_file_registers_itself_on_first_save(engine, survey):
    assert storage.save_response(engine, survey, {"sat_overall": 4}, key="k", language="en").created
    assert storage.responses_frame(engine, survey)["version"].tolist() == [3]


def test_unregistered_text_questionnaire_is_refused(engine, survey_path):
    from_text = load_questionnaire(survey_path.read_text(encoding="utf-8"))
    with pytest.raises(StorageError, match="register_version"):
        storage.save_response(engine, from_text, {"sat_overall": 4}, key="k", language="en")


# -- saving and idempotency -----------------------------------------------------------------------


def test_save_response_stores_one_row_per_key(engine, registered):
    first = storage.save_response(engine, registered, ANSWERS, key="key-1", language="zh", fields={"dealer": "D1"})
    again = storage.save_response(engine, registered, dict(reversed(ANSWERS.items())), key="key-1", language="zh")
    assert first.created and not again.created and again.response_id == first.response_id
    assert _count(engine) == 1


def test_equal_values_in_another_form_are_the_same_answers(engine, registered):
    first = storage.save_response(engine, registered, {"sat_overall": 5, "comment": None}, key="k", language="en")
    again = storage.save_response(engine, registered, {"sat_overall": 5.0, "km": float("nan")}, key="k", language="en")
    assert again == storage.SaveResult(first.response_id, False)


def test_same_key_different_answers_is_refused(engine, registered):
    storage.save_response(engine, registered, ANSWERS, key="key-1", language="zh")
    with pytest.raises(storage.DuplicateSubmission):
        storage.save_response(engine, registered, {**ANSWERS, "sat_overall": 4}, key="key-1", language="zh")
    assert _count(engine) == 1


def test_keys_are_per_survey(engine, registered, survey_path, tmp_path):
    other_path = tmp_path / "other.yaml"
    other_path.write_text(
        survey_path.read_text(encoding="utf-8").replace("survey: dealer_service", "survey: other"), encoding="utf-8"
    )
    other = load_questionnaire(other_path)
    a = storage.save_response(engine, registered, ANSWERS, key="k", language="zh")
    b = storage.save_response(engine, other, ANSWERS, key="k", language="zh")
    assert a.created and b.created and a.response_id != b.response_id


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"nope": 1}, "unknown answer variables.*'nope'"),
        ({"premises": 3}, "unknown answer variables"),  # a matrix id is no column
        ({"sat_overall": 8}, "outside 1..7"),
        ({"sat_overall": 0}, "outside 1..7"),
        ({"sat_overall": 3.5}, "whole number"),
        ({"sat_overall": True}, "expected a number"),
        ({"sat_overall": "3"}, "expected a number"),
        ({"recommend": 11}, "outside 0..10"),
        ({"extras_wash": 2}, "outside 0..1"),
        ({"weights_reliability": 101}, "outside 0..100"),
        ({"km": float("inf")}, "finite"),
        ({"channel": "fax"}, "not an option"),
        ({"courtesy_car_f": "love"}, "not an option"),
        ({"comment": "a\x00b"}, "NUL"),
        ({"comment": "\ud800"}, "surrogate"),
        ({"comment": 5}, "expected text"),
        ({"visit_date": "2026-13-01"}, "not a valid date"),
        ({"visit_date": "1.5.2026"}, "YYYY-MM-DD"),
    ],
)
def test_bad_answers_raise_value_error_and_store_nothing(engine, registered, answers, message):
    with pytest.raises(ValueError, match=message):
        storage.save_response(engine, registered, answers, key="k", language="en")
    assert _count(engine) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fields": {"branch": "x"}}, "unknown segment fields.*'branch'"),
        ({"fields": {"dealer": "a\x00"}}, "NUL"),
        ({"language": "fr"}, "language 'fr'"),
        ({"key": ""}, "submission key"),
        ({"key": "k" * 129}, "submission key"),
    ],
)
def test_bad_metadata_raises_value_error(engine, registered, kwargs, message):
    with pytest.raises(ValueError, match=message):
        storage.save_response(engine, registered, ANSWERS, **{"key": "k", "language": "en", **kwargs})
    assert _count(engine) == 0


def test_timing_is_recorded_in_utc(engine, registered):
    tz = dt.timezone(dt.timedelta(hours=8))
    started = dt.datetime(2026, 5, 1, 18, 0, 0, tzinfo=tz)
    storage.save_response(
        engine,
        registered,
        ANSWERS,
        key="k",
        language="zh",
        wave="2026Q2",
        started_at=started,
        submitted_at=started + dt.timedelta(seconds=312.5),
    )
    row = storage.responses_frame(engine, registered).iloc[0]
    assert row["started_at"] == pd.Timestamp("2026-05-01 10:00:00")
    assert row["duration_s"] == 312.5 and row["wave"] == "2026Q2" and row["language"] == "zh"


# -- 200 concurrent double taps --------------------------------------------------------------------


def double_taps(submit: Callable[[str, dict], str], pairs: int = 200, threads: int = 16) -> list[tuple[str, str]]:
    """Submit every key twice at the same moment (a barrier per pair); returns the two ids per key."""
    barriers = [threading.Barrier(2, timeout=30) for _ in range(pairs)]

    def tap(i: int) -> str:
        barriers[i // 2].wait()
        return submit(f"tap-{i // 2:04d}", {**ANSWERS, "sat_overall": 1 + (i // 2) % 7})

    with ThreadPoolExecutor(threads) as pool:
        ids = list(pool.map(tap, range(2 * pairs)))
    return list(zip(ids[::2], ids[1::2], strict=True))


def test_200_concurrent_double_taps_store_200_rows(engine, registered, db_url):
    wide = storage.make_engine(db_url, pool_size=16)
    outcomes: list[bool] = []

    def submit(key: str, answers: dict) -> str:
        result = storage.save_response(wide, registered, answers, key=key, language="en")
        outcomes.append(result.created)
        return result.response_id

    pairs = double_taps(submit)
    wide.dispose()
    assert _count(engine) == 200
    assert all(a == b for a, b in pairs), "a replay must return the original response id"
    assert outcomes.count(True) == 200 and outcomes.count(False) == 200


def test_double_tap_harness_catches_a_store_without_the_unique_constraint(engine, db_url):
    """Guard: the same double taps against check-then-insert on a table without the constraint duplicate rows."""
    naive = sa.Table(
        "naive_responses",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("answers", sa.Text),
    )
    naive.create(engine)
    wide = storage.make_engine(db_url, pool_size=16)

    def submit(key: str, answers: dict) -> str:
        with wide.begin() as conn:
            found = conn.execute(sa.select(naive.c.id).where(naive.c.key == key)).scalar()
        if found is not None:
            return str(found)
        time.sleep(0.002)  # the work a real handler does between its check and its insert
        with wide.begin() as conn:
            return str(
                conn.execute(sa.insert(naive).values(key=key, answers=str(answers)).returning(naive.c.id)).scalar_one()
            )

    double_taps(submit, pairs=50)
    wide.dispose()
    with engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(naive)).scalar_one()
    assert rows > 50, "without the unique constraint the double taps must show up as duplicates"


# -- the analysis frame ------------------------------------------------------------------------------


def test_responses_frame_has_the_codebook_columns_and_keeps_missing_missing(engine, registered):
    storage.save_response(engine, registered, ANSWERS, key="a", language="zh", fields={"dealer": "D1"})
    storage.save_response(engine, registered, {"sat_overall": 2, "comment": "太慢"}, key="b", language="en")
    df = storage.responses_frame(engine, registered)
    assert list(df.columns) == list(registered.columns())
    assert len(df) == 2 and df["survey"].tolist() == ["dealer_service"] * 2
    full, sparse = df.iloc[0], df.iloc[1]
    assert full["sat_overall"] == 5 and full["channel"] == "app" and full["visit_date"] == "2026-05-01"
    assert full["extras_coffee"] == 0 and full["km"] == 12345.5 and full["dealer"] == "D1"
    assert pd.isna(full["advisor"]) and pd.isna(full["comment"]) and math.isnan(full["duration_s"])
    assert sparse["comment"] == "太慢"
    for name in (
        "recommend",
        "extras_wash",
        "extras_coffee",
        "weights_reliability",
        "km",
        "channel",
        "courtesy_car_f",
        "visit_date",
        "dealer",
        "wave",
        "started_at",
    ):
        assert pd.isna(sparse[name]), name
    kinds = {v.name: v.kind for v in registered.variables()}
    assert {name: str(dtype) for name, dtype in df.dtypes.items()} == {
        name: {"numeric": "float64", "datetime": "datetime64[us]"}.get(kind, "str") for name, kind in kinds.items()
    }
    assert not (df.select_dtypes("number").fillna(-1) == 0).loc[1, ["recommend", "km"]].any()


def test_simulated_table_round_trips_through_the_store(engine, registered):
    """simulate -> save_response row by row -> responses_frame gives the same table back."""
    from surveykit.simulate import simulate

    df = simulate(registered, 120, seed=3, missing=0.25, waves=["2026Q1", "2026Q2"], fields={"dealer": ["D1", "D2"]})
    results = storage.save_frame(engine, registered, df)
    assert all(r.created for r in results)
    back = storage.responses_frame(engine, registered)
    assert list(back.columns) == list(df.columns)
    got, want = back.drop(columns="response_id"), df.drop(columns="response_id")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert not any(r.created for r in storage.save_frame(engine, registered, df))  # the same table again
    assert _count(engine) == 120


def test_responses_frame_filters_survey_and_version(engine, registered, survey_path, tmp_path):
    storage.save_response(engine, registered, ANSWERS, key="a", language="zh")
    v4_path = tmp_path / "v4.yaml"
    v4_path.write_text(survey_path.read_text(encoding="utf-8").replace("version: 3", "version: 4"), encoding="utf-8")
    v4 = load_questionnaire(v4_path)
    storage.save_response(engine, v4, ANSWERS, key="b", language="zh")
    assert storage.responses_frame(engine, v4)["version"].tolist() == [3, 4]
    assert storage.responses_frame(engine, v4, version=4)["version"].tolist() == [4]
    other_path = tmp_path / "other.yaml"
    other_path.write_text(survey_path.read_text(encoding="utf-8").replace("dealer_service", "other"), encoding="utf-8")
    empty = storage.responses_frame(engine, load_questionnaire(other_path))
    assert empty.empty and list(empty.columns) == list(registered.columns())


def test_responses_frame_survives_a_variable_retyped_between_versions(engine, registered, survey_path, tmp_path):
    """v3 stores km as text; v4 makes it a number: the old text becomes missing, the rest stays."""
    text = survey_path.read_text(encoding="utf-8")
    v3_path = tmp_path / "v3.yaml"
    v3_path.write_text(text.replace("type: number", "type: text"), encoding="utf-8")
    v3 = load_questionnaire(v3_path)
    storage.save_response(engine, v3, {"km": "about 12000", "sat_overall": 3}, key="a", language="en")
    v4_path = tmp_path / "v4.yaml"
    v4_path.write_text(text.replace("version: 3", "version: 4"), encoding="utf-8")
    v4 = load_questionnaire(v4_path)
    storage.save_response(engine, v4, {"km": 12000, "sat_overall": 4}, key="b", language="en")
    df = storage.responses_frame(engine, v4)
    assert df["sat_overall"].tolist() == [3.0, 4.0] and df["km"].isna().tolist() == [True, False]
    assert df["km"].dtype == "float64" and df["km"].iloc[1] == 12000
    assert storage.responses_frame(engine, v3)["km"].tolist() == ["about 12000", "12000"]


# -- drafts ------------------------------------------------------------------------------------------


def test_draft_saves_page_by_page_and_resumes_by_token(engine, registered):
    draft = storage.start_draft(engine, registered, language="zh", fields={"dealer": "D9"})
    assert draft.resume_token and draft.key and draft.page == 0 and draft.answers == {}
    storage.save_draft(engine, draft.id, {"sat_overall": 2, "channel": "app"}, page=1)
    storage.save_draft(engine, draft.id, {"channel": None, "comment": "排队太久"}, page=2)
    resumed = storage.load_draft(engine, resume_token=draft.resume_token)
    assert resumed.id == draft.id and resumed.resume_token is None
    assert resumed.answers == {"sat_overall": 2, "comment": "排队太久"} and resumed.page == 2
    assert resumed.fields == {"dealer": "D9"} and resumed.key == draft.key
    assert storage.load_draft(engine, resume_token="x" * 43) is None
    assert storage.load_draft(engine, draft_id="nope") is None


def test_submitting_a_draft_closes_it(engine, registered):
    draft = storage.start_draft(engine, registered, language="en")
    storage.save_draft(engine, draft.id, {"sat_overall": 6}, page=1)
    saved = storage.save_response(engine, registered, {"sat_overall": 6}, key=draft.key, language="en")
    assert storage.load_draft(engine, draft_id=draft.id).response_id == saved.response_id
    with pytest.raises(StorageError, match="already been submitted"):
        storage.save_draft(engine, draft.id, {"sat_overall": 5}, page=1)


def test_resume_token_is_stored_hashed(engine, registered):
    draft = storage.start_draft(engine, registered, language="en")
    from surveykit.database import drafts

    with engine.connect() as conn:
        stored = conn.execute(sa.select(drafts)).one()._asdict()
    assert draft.resume_token not in {str(v) for v in stored.values()}


# -- rate limit ------------------------------------------------------------------------------------


def test_rate_limit_counts_per_bucket_across_engines(engine, db_url):
    other = storage.make_engine(db_url)  # another worker process would have its own engine
    hits = [
        storage.hit_rate_limit(e, "login:alice", limit=3, window_s=60) for e in (engine, other, engine, other, engine)
    ]
    assert hits == [False, False, False, True, True]
    assert not storage.hit_rate_limit(engine, "login:bob", limit=3, window_s=60)
    assert not storage.hit_rate_limit(engine, "x" * 500, limit=3, window_s=60)
    other.dispose()
