"""T1: the hostile questionnaire corpus (RELIABILITY.md §4.1).

Every file either loads (legal content that must stay inert) or raises
QuestionnaireError with a position and the expected message; no other
exception, within 64 MiB of allocations per file.  How long each file takes
(aim: under 2 s; an oversized file refused in under 0.5 s) is measured by
``benchmarks/bench_hostile.py``, not asserted here: a loaded machine would
make such an assertion flaky.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from surveykit import QuestionnaireError, load_questionnaire

HERE = Path(__file__).resolve().parent / "hostile"
CASES = [line.split("\t") for line in (HERE / "expected.tsv").read_text(encoding="utf-8").splitlines() if line]


def test_corpus_has_at_least_sixty_hostile_files():
    assert len([c for c in CASES if c[1] != "-"]) >= 60


@pytest.mark.parametrize(("name", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_hostile_file(name, fragment):
    tracemalloc.start()
    try:
        if fragment == "-":
            q = load_questionnaire(HERE / name)
            assert q.survey == "hostile"
        else:
            with pytest.raises(QuestionnaireError) as info:
                load_questionnaire(HERE / name)
            error = info.value
            assert fragment in str(error), str(error)
            assert error.line >= 1 and error.column >= 1
            assert str(error).startswith(f"{HERE / name}:{error.line}:{error.column}: ")
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"{name} allocated {peak / 2**20:.0f} MiB"


def test_oversized_files_are_refused_before_parsing(tmp_path):
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"survey: " + b"a" * 700_000 + b"\n")
    tracemalloc.start()
    try:
        with pytest.raises(QuestionnaireError, match="the limit is 524,288"):
            load_questionnaire(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 700_000  # read up to the limit and refused: never parsed into nodes


def test_inert_content_is_kept_verbatim():
    q = load_questionnaire(HERE / "xss_in_text.yaml")
    assert q.question("q1").text["zh"] == "<script>alert(1)</script>"
    q = load_questionnaire(HERE / "template_in_text.yaml")
    assert q.question("q1").text["zh"] == "{{7*7}}"


@pytest.mark.parametrize(
    ("name", "line", "column"),
    [
        ("nul_byte_line_3.yaml", 3, 14),  # once reported at 1:1
        ("c1_control_raw.yaml", 3, 23),
        ("bom_in_the_middle.yaml", 7, 1),
        ("invalid_utf8_late.yaml", 10, 40),
        (
            "bom_then_invalid_utf8.yaml",
            1,
            3,
        ),  # once a UnicodeDecodeError traceback         # a character column, not a byte column
        ("duplicate_scale_label_01.yaml", 10, 7),  # the second key; once a TypeError from sorting
        ("duplicate_hex_key_deep.yaml", 10, 111),
    ],
)
def test_hostile_file_position(name, line, column):
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(HERE / name)
    assert (info.value.line, info.value.column) == (line, column), str(info.value)
