"""No questionnaire gives a traceback: the shipped instruments, mutated at random, through ``surveykit validate``.

Each example takes one file of ``questionnaires/`` and applies one to four
mutations of the kinds that people and tools actually make: bytes inserted,
deleted or replaced (control and high bytes included), a key renamed, a key
written twice in a spelling that YAML reads as the same value (``1:`` and
``01:``, ``yes:`` and ``true:``), a value swapped for one of another type, a
line's indentation shifted, a line deleted, repeated or moved.  Whatever comes out, ``validate`` must exit 0 or 1
with no traceback, and on exit 1 every line it prints must start with
``<file>:<line>:<column>: ``.

The command runs in-process through click's ``CliRunner`` (fast enough for a
few hundred examples in seconds); a handful of the same mutations go through a
real ``surveykit`` process too, so that nothing the runner hides (stderr
handling, the exit code itself) escapes the check.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveykit.cli import main
from surveykit.errors import QuestionnaireError
from surveykit.loader import loads

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENTS = {path.name: path.read_bytes() for path in sorted((ROOT / "questionnaires").glob("*.yaml"))}

# bytes worth inserting: YAML's indicators, the C0/C1 controls, a BOM, bytes that are never UTF-8
_BYTES = sorted({*b":-?,[]{}#&*!|>'\"%@` \n\t\r", *range(0x00, 0x20), 0x7F, 0x85, 0xC2, 0xE2, 0xEF, 0xBB, 0xBF, 0xFF})
_KEY = re.compile(rb"^( *(?:- )?)([A-Za-z0-9_.+~'\"-]+)(:)(?= |$)", re.M)
_VALUE = re.compile(rb"^( *(?:- )?[A-Za-z0-9_]+: )(\S.*)$", re.M)


# spellings that YAML 1.1 reads as the same key as an integer key: +1, 1.0, 0x1, 1_ and (below 8) the octal 01
def _equal_numbers(key: bytes) -> list[bytes]:
    n = int(key)
    return [b"+" + key, key + b".0", hex(n).encode(), key + b"_"] + ([b"0" + key] if n < 8 else [])


_SAME_VALUE = [
    [b"yes", b"Yes", b"YES", b"true", b"True", b"on", b"ON"],
    [b"no", b"No", b"false", b"FALSE", b"off", b"Off"],
    [b"~", b"null", b"Null", b"NULL"],
]
_VALUES = [
    b"yes",
    b"no",
    b"~",
    b"null",
    b"1",
    b"01",
    b"1.0",
    b"0x1f",
    b".nan",
    b"-.inf",
    b"2024-02-30",
    b"2024-01-01",
    b"[a, b]",
    b"{a: 1}",
    b"{zh: 1, en: 2}",
    b"''",
    b'"\\0"',
    b'"\\x85"',
    b'"\\ud800"',
    b"!!str x",
    b"!!int x",
    b"*nowhere",
    b"&a x",
    b"'a{99999999999}'",
    b"'[a-'",
    b"|\n  text",
    b">-",
    b"- a",
    b"'a' in b",
    b"q1 >= 99999999999999999999",
    b"'" + b"(" * 60 + b"'",
    b"x" * 3000,
    b"1e999",
    b"99999999999999999999999999",
    b"0o17",
    b"<<",
]
_KEY_NAMES = [
    b"id",
    b"type",
    b"text",
    b"scale",
    b"points",
    b"labels",
    b"options",
    b"rows",
    b"items",
    b"dimension",
    b"visible_if",
    b"pattern",
    b"min",
    b"max",
    b"zh",
    b"en",
    b"fr",
    b"idd",
    b"<<",
    b"1",
    b"01",
    b"true",
    b"~",
    b"''",
    b"? x",
    b"-",
]


def _mutate(data: bytes, rng: random.Random, kind: str) -> bytes:
    """One mutation of ``kind`` at a random place (``rng`` picks everything)."""
    if kind == "byte":
        if rng.random() < 0.1:  # a BOM in front: error positions must not count it
            data = b"\xef\xbb\xbf" + data
        at = rng.randrange(len(data) + 1)
        op, byte = (
            rng.choice(("insert", "delete", "replace")),
            bytes([rng.choice(_BYTES) if rng.random() < 0.8 else rng.randrange(256)]),
        )
        if op == "insert":
            return data[:at] + byte + data[at:]
        return data[:at] + (byte if op == "replace" else b"") + data[at + 1 :]
    if kind == "line":  # a line deleted, repeated or moved: undefined scales, clashing ids, forward conditions
        lines = data.split(b"\n")
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        line = lines.pop(i)
        if rng.random() < 0.7:
            lines.insert(j, line)
        if rng.random() < 0.3:
            lines.insert(i, line)
        return b"\n".join(lines)
    if kind == "indent":
        lines = data.split(b"\n")
        i = rng.randrange(len(lines))
        shift = rng.choice((-4, -2, -1, 1, 2, 4))
        lines[i] = b" " * shift + lines[i] if shift > 0 else lines[i][-shift:]
        if rng.random() < 0.2:
            lines[i] = b"\t" + lines[i].lstrip(b" ")
        return b"\n".join(lines)
    if kind in ("rename", "duplicate"):
        keys = list(_KEY.finditer(data))
        if not keys:
            return data
        if kind == "rename":
            m = rng.choice(keys)
            return data[: m.start(2)] + rng.choice(_KEY_NAMES) + data[m.end(2) :]
        # half the time a number or boolean key (scale labels, option codes): the rare ones that sorting tripped on
        special = [m for m in keys if m.group(2).isdigit() or any(m.group(2) in same for same in _SAME_VALUE)]
        m = rng.choice(special if special and rng.random() < 0.5 else keys)
        key = m.group(2)
        same = next((same for same in _SAME_VALUE if key in same), [key, b"'" + key + b"'", b'"' + key + b'"'])
        spellings = _equal_numbers(key) if key.isdigit() else same
        line_end = data.find(b"\n", m.end())
        line_end = len(data) if line_end < 0 else line_end
        # a different value under the same key, as a second label would have: equal ones compared equal in the sort
        value = data[m.end(2) : line_end].replace(b"en: ", b"en: Also ", 1)
        copy = m.group(1).replace(b"- ", b"  ") + rng.choice(spellings) + value
        return data[:line_end] + b"\n" + copy + data[line_end:]
    values = list(_VALUE.finditer(data))
    if not values:
        return data
    m = rng.choice(values)
    return data[: m.start(2)] + rng.choice(_VALUES) + data[m.end(2) :]


# values and lines get drawn more often: they reach the checks behind the YAML layer
_KINDS = ("byte", "indent", "rename", "duplicate", "value", "value", "line", "line")


def _mutated(name: str, seed: int, kinds: list[str]) -> bytes:
    rng = random.Random(seed)
    data = INSTRUMENTS[name]
    for kind in kinds:
        data = _mutate(data, rng, kind)
    return data


def _check_output(paths: list[Path], code: int, out: str, err: str) -> None:
    """Exit 0 or 1, no traceback; stdout names the valid files, stderr holds only ``file:line:col: `` lines."""
    assert "Traceback" not in out + err, out + err
    assert code in (0, 1), (code, out, err)
    names = "|".join(re.escape(str(path)) for path in paths)
    assert all(re.match(rf"(?:{names}): ok \(", line) for line in out.splitlines()), out
    assert all(re.match(rf"(?:{names}):\d+:\d+: ", line) for line in err.splitlines()), err
    assert len(out.splitlines()) < len(paths) if code == 1 else (not err and len(out.splitlines()) == len(paths))
    assert code == 0 or err, "exit 1 with no problem printed"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("mutated")


def test_the_mutations_reach_every_kind_of_refusal_and_the_originals_load():
    # a mutation test whose mutations all failed to change anything would pass vacuously
    rng = random.Random(0)
    for kind in set(_KINDS):
        assert any(_mutate(data, rng, kind) != data for data in INSTRUMENTS.values()), kind
    result = CliRunner().invoke(main, ["validate", *(str(ROOT / "questionnaires" / n) for n in INSTRUMENTS)])
    assert result.exit_code == 0, result.output


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(INSTRUMENTS)),
    seed=st.integers(0, 2**32 - 1),
    kinds=st.lists(st.sampled_from(_KINDS), min_size=1, max_size=4),
)
def test_validate_never_gives_a_traceback_for_a_mutated_instrument(folder, name, seed, kinds):
    path = folder / name
    path.write_bytes(_mutated(name, seed, kinds))
    result = CliRunner().invoke(main, ["validate", str(path)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # hypothesis shrinks and shows the input that reached a traceback
    _check_output([path], result.exit_code, result.stdout, result.stderr)


@settings(max_examples=100, deadline=2000)
@given(name=st.sampled_from(sorted(INSTRUMENTS)), seed=st.integers(0, 2**32 - 1))
def test_a_key_written_twice_in_an_equal_spelling_is_refused_at_the_second(name, seed):
    data = _mutated(name, seed, ["duplicate"])
    added = (
        next(
            i for i, (a, b) in enumerate(zip(INSTRUMENTS[name].split(b"\n"), data.split(b"\n"), strict=False)) if a != b
        )
        + 1
    )
    with pytest.raises(QuestionnaireError) as info:
        loads(data, name=name)
    assert info.value.line == added and "duplicate key" in info.value.problems[0].message, str(info.value)


def test_a_real_process_gives_no_traceback_either(tmp_path):
    paths = []
    for i, name in enumerate(sorted(INSTRUMENTS)):
        path = tmp_path / f"m{i}_{name}"
        path.write_bytes(_mutated(name, i, ["value", "line", "rename", "byte", "indent"]))
        paths.append(path)
    result = subprocess.run(
        [sys.executable, "-c", "from surveykit.cli import main; main()", "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    _check_output(paths, result.returncode, result.stdout, result.stderr)
    assert result.returncode == 1  # five mutations each: at least one of the shipped files is refused
