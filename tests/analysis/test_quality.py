"""analysis.quality: response-quality flags and the input checks every analysis runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import quality


def _responses() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "q1": [4, 5, 3, 3, 4, np.nan],
            "q2": [4, 5, 2, 3, 4, np.nan],
            "q3": [4, 5, 5, 3, 4, 2],
            "q4": [4, 1, 5, 3, 4, np.nan],
            "email": ["a@x", "b@x", "a@x", None, "c@x", None],
            "duration_s": [400, 380, 90, 410, 400, np.nan],
        }
    )


def test_straightlining():
    got = quality.straightlining(_responses(), ["q1", "q2", "q3", "q4"])
    # Rows 0, 3, 4 give one answer throughout; row 5 answered a single item, too few to judge.
    assert got.tolist() == [True, False, False, True, True, False]


def test_long_string():
    got = quality.long_string(_responses(), ["q1", "q2", "q3", "q4"])
    # Johnson (2005): the longest run of identical consecutive answers; a missing answer breaks it.
    assert got.tolist() == [4, 3, 2, 4, 4, 1]


def test_speeders_under_a_third_of_the_median():
    got = quality.speeders(_responses()["duration_s"])
    # median of 400, 380, 90, 410, 400 is 400; a third is 133.3; missing durations are not flagged.
    assert got.tolist() == [False, False, True, False, False, False]
    assert quality.speeders(_responses()["duration_s"], fraction=0.99).sum() == 2
    with pytest.raises(ValueError, match="fraction must be between 0 and 1"):
        quality.speeders(_responses()["duration_s"], fraction=1.5)


def test_duplicates_keep_the_first():
    df = _responses()
    assert quality.duplicates(df, ["email"]).tolist() == [False, False, True, False, False, False]
    # Rows 0 and 4 answer q1..q4 alike; rows whose answers are all missing are never duplicates.
    assert quality.duplicates(df, ["q1", "q2", "q4"]).tolist() == [False, False, False, False, True, False]


def test_flags_frame_and_counts():
    result = quality.flags(
        _responses(),
        batteries={"grid": ["q1", "q2", "q3", "q4"]},
        duration="duration_s",
        answers=["q1", "q2", "q3", "q4"],
        key="email",
    )
    assert list(result.flags.columns) == [
        "straightlining_grid",
        "long_string_grid",
        "speeder",
        "duplicate_answers",
        "duplicate_key",
        "any",
    ]
    assert result.flags.dtypes.eq(bool).all()
    assert result.long_string_min == {"grid": 4}  # default: half the battery, at least 5, at most its length
    counts = result.counts()
    assert counts.to_dict() == {
        "straightlining_grid": 3,
        "long_string_grid": 3,
        "speeder": 1,
        "duplicate_answers": 1,
        "duplicate_key": 1,
        "any": 4,
    }
    assert result.speed_cutoff_s == pytest.approx(400 / 3)
    assert "speeder" in result.summary()
    assert result.to_frame().set_index("flag").loc["any", "pct"] == pytest.approx(400 / 6)


def test_long_string_threshold_per_battery():
    result = quality.flags(_responses(), batteries={"grid": ["q1", "q2", "q3", "q4"]}, long_string_min={"grid": 2})
    assert result.flags["long_string_grid"].tolist() == [True, True, True, True, True, False]
    with pytest.raises(ValueError, match="battery 'one' needs at least 2 columns"):
        quality.flags(_responses(), batteries={"one": ["q1"]})


@pytest.mark.parametrize(
    ("frame", "columns", "message"),
    [
        (
            pd.DataFrame({"score": [1, 2]}),
            ["scroe"],
            r"column 'scroe' not found in the data \(did you mean 'score'\?\)",
        ),
        (
            pd.DataFrame({"score": ["1", "two"]}),
            ["score"],
            "column 'score' holds a non-numeric value 'two' \\(row 1\\)",
        ),
        (pd.DataFrame({"score": [True, False]}), ["score"], "column 'score' holds True/False values"),
        (pd.DataFrame({"score": [np.nan, np.nan]}), ["score"], "column 'score' has no values"),
        (pd.DataFrame({"score": [1.0, np.inf]}), ["score"], "column 'score' holds an infinite value"),
    ],
)
def test_numeric_columns_bad_input(frame, columns, message):
    with pytest.raises(ValueError, match=message):
        quality.numeric_columns(frame, columns)


def test_numeric_columns_converts_numeric_text_and_keeps_missing():
    got = quality.numeric_columns(pd.DataFrame({"s": ["1", None, "2.5"]}, index=[7, 8, 9]), ["s"])
    assert got["s"].tolist()[0] == 1.0 and np.isnan(got["s"].tolist()[1]) and got.index.tolist() == [7, 8, 9]
    with pytest.raises(ValueError, match="has 2 value"):
        quality.numeric_columns(pd.DataFrame({"s": [1, 2, None]}), ["s"], min_rows=3)
    with pytest.raises(TypeError, match="expected a pandas DataFrame"):
        quality.numeric_columns({"s": [1]}, ["s"])  # type: ignore[arg-type]


def test_require_variance_names_the_column():
    with pytest.raises(ValueError, match=r"column 'b' is constant \(every value is 3\); a regression needs"):
        quality.require_variance(pd.DataFrame({"a": [1, 2], "b": [3, 3]}), "a regression")


def test_duplicates_need_enough_answers_to_count():
    # two honest customers who both gave the follow-up call a 5 are not copies of each other
    ratings = pd.DataFrame({"call": [5, 5, 4, 5]})
    assert quality.duplicates(ratings, ["call"]).tolist() == [False, True, False, True]
    assert not quality.duplicates(ratings, ["call"], min_answered=10).any()
    # over ten answers an exact repeat still counts, and a row with too few answered does not
    wide = pd.DataFrame(
        [[3] * 10, [3] * 10, [3] * 9 + [np.nan], [3] * 9 + [np.nan]], columns=[f"q{i}" for i in range(10)]
    )
    assert quality.duplicates(wide, list(wide.columns), min_answered=10).tolist() == [False, True, False, False]
    flagged = quality.flags(wide, answers=list(wide.columns), duplicate_min_answers=10).flags["duplicate_answers"]
    assert flagged.tolist() == [False, True, False, False]


def test_analyze_keeps_the_one_rating_survey_whole():
    from pathlib import Path

    from analysis import analyze
    from surveykit import load_questionnaire
    from surveykit.simulate import simulate

    q = load_questionnaire(Path(__file__).resolve().parents[2] / "questionnaires" / "recovery.yaml")
    df = simulate(q, 60, seed=3)
    result = analyze(q, df)  # the default exclusions
    assert result.n_analysed == len(df)
