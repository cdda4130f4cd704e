"""T2: a bounded atheris run of the loader fuzz target (longer runs by hand, see tests/fuzz)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECONDS = int(os.environ.get("SURVEYKIT_FUZZ_SECONDS", "20"))


def test_loader_survives_fuzzing(tmp_path):
    pytest.importorskip("atheris", reason="atheris is installed with the test extras")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for source in [*(ROOT / "tests/surveykit/hostile").glob("*.yaml"), *(ROOT / "questionnaires").glob("*.yaml")]:
        if source.stat().st_size < 64 * 1024:
            shutil.copy(source, corpus / source.name)
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests/fuzz/fuzz_loader.py"),
            f"-max_total_time={SECONDS}",
            "-timeout=2",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS + 120,
        cwd=ROOT,
    )
    tail = "\n".join(result.stderr.splitlines()[-30:])
    assert result.returncode == 0, f"the fuzzer found a failing input:\n{tail}"
    assert "Done" in result.stderr, tail
