"""How fast the loader refuses hostile questionnaires (RELIABILITY.md §4.1, T1's timing half).

tests/surveykit/test_hostile_corpus.py checks that every file of the hostile corpus loads
inertly or is refused with a ``file:line:col`` message and stays under 64 MiB of
allocations; the time each takes depends on the machine's load, so it is measured here:
every corpus file, the 9 x 9 alias bomb built in memory, and a 700 KB file that must be
refused on its size before parsing.  Each figure is the best of ``--repeat`` runs.  Targets:
every file within 2 s, the oversized file within 0.5 s.  Prints the five slowest files; the
exit status says whether the targets were met.

Run: ``python benchmarks/bench_hostile.py [--quick]`` (best of 3; ``--quick`` best of 1).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from surveykit import QuestionnaireError, load_questionnaire  # noqa: E402

CORPUS = ROOT / "tests" / "surveykit" / "hostile"
FILE_TARGET_S = 2.0
OVERSIZED_TARGET_S = 0.5


def best_of(action: Callable[[], object], repeat: int) -> float:
    """The shortest of ``repeat`` wall-clock times of ``action`` (a refusal counts as done)."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        try:
            action()
        except QuestionnaireError:
            pass
        best = min(best, time.perf_counter() - began)
    return best


def alias_bomb() -> str:
    """Nine levels of nine aliases each (9**9 leaves if expanded), as in test_loader.py."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="best of 1 instead of 3")
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    times = {
        path.name: best_of(lambda path=path: load_questionnaire(path), repeat) for path in sorted(CORPUS.glob("*.yaml"))
    }
    bomb = alias_bomb()
    times["(alias bomb, in memory)"] = best_of(lambda: load_questionnaire(bomb), repeat)
    with tempfile.TemporaryDirectory(prefix="sk-hostile-") as tmp:
        huge = Path(tmp) / "huge.yaml"
        huge.write_bytes(b"survey: " + b"a" * 700_000 + b"\n")
        oversized = best_of(lambda: load_questionnaire(huge), repeat)
    slowest = sorted(times.items(), key=lambda item: item[1], reverse=True)
    print(f"{len(times)} hostile inputs, best of {repeat}; the slowest:")
    for name, seconds in slowest[:5]:
        print(f"  {name:<40} {1000 * seconds:8.1f} ms")
    print(f"  {'(700 KB file, refused on size)':<40} {1000 * oversized:8.1f} ms")
    missed = [f"{name} {seconds:.2f} s" for name, seconds in slowest if seconds >= FILE_TARGET_S]
    if oversized >= OVERSIZED_TARGET_S:
        missed.append(f"oversized file {oversized:.2f} s")
    print("  targets met (each file < 2 s, oversized < 0.5 s)" if not missed else "  NOT MET: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
