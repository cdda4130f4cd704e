"""atheris fuzz target for the questionnaire loader (T2).

Any input must end in a clean load or a QuestionnaireError; any other
exception, a crash or an input slower than libFuzzer's -timeout is a finding.

    python tests/fuzz/fuzz_loader.py -max_total_time=600 -timeout=2 CORPUS_DIR

CI runs it for a bounded time from tests/surveykit/test_fuzz.py, seeded with
the hostile corpus and the shipped instruments.
"""

from __future__ import annotations

import sys

import atheris
import numpy  # noqa: F401  (imported uninstrumented: instrumenting them costs half a minute)
import pandas  # noqa: F401
import yaml  # noqa: F401

with atheris.instrument_imports(include=["surveykit"]):
    from surveykit.errors import QuestionnaireError
    from surveykit.loader import loads


def test_one_input(data: bytes) -> None:
    try:
        loads(data, name="fuzz.yaml", max_bytes=256 * 1024)
    except QuestionnaireError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
