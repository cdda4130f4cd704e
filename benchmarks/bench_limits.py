"""How fast the real server refuses oversized bodies (RELIABILITY.md §4.2, §6, T12's timing half).

Ten clients at once each declare a 10 MiB form body and start streaming it to ``surveykit
serve`` (gunicorn, 2 sync workers) on 127.0.0.1.  The app refuses on ``Content-Length``
before reading, so each should get its 413 within 1 s.  That every answer is a 413, that
nothing is stored and that no worker dies is checked by tests/security/test_limits.py; the
time is measured here, where a loaded machine cannot make the suite flaky.  Prints the
slowest and median answer per round; the exit status says whether the target was met.

Run: ``python benchmarks/bench_limits.py [--quick]`` (5 rounds; ``--quick`` 2).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.liveserver import LiveServer, post_declared_body  # noqa: E402
from tests.support.seckit import LiveTransport, fetch, populate  # noqa: E402

TEN_MIB = 10 * 1024 * 1024
CLIENTS = 10
TARGET_S = 1.0  # RELIABILITY.md §6: each 413 within 1 s


def one_round(server: LiveServer) -> list[tuple[float, bytes]]:
    """Ten concurrent 10 MiB declarations; (seconds to the answer, status line) of each."""
    forms = [fetch(LiveTransport(server.port)) for _ in range(CLIENTS)]
    results: list[tuple[float, bytes]] = []
    lock = threading.Lock()

    def big_post(cookie: str) -> None:
        outcome = post_declared_body(server.port, "/s/quick/p/only", cookie, TEN_MIB)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=big_post, args=(form.cookie,)) for form in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds instead of 5")
    args = parser.parse_args()
    rounds = 2 if args.quick else 5
    missed = []
    with tempfile.TemporaryDirectory(prefix="sk-limits-") as tmp:
        url = f"sqlite:///{tmp}/limits.sqlite3"
        paths, _ = populate(url, Path(tmp))
        with LiveServer(Path(tmp), paths, url, workers=2) as server:
            for n in range(1, rounds + 1):
                results = one_round(server)
                times = [elapsed for elapsed, _ in results]
                refused = sum(line.startswith(b"HTTP/1.1 413") for _, line in results)
                slowest = max(times) if times else float("nan")
                print(
                    f"round {n}: {refused}/{CLIENTS} answered 413; slowest {1000 * slowest:.0f} ms, "
                    f"median {1000 * statistics.median(times):.0f} ms",
                    flush=True,
                )
                if refused != CLIENTS or not slowest < TARGET_S:
                    missed.append(n)
    print("  target met (each 413 within 1 s)" if not missed else f"  NOT MET in rounds {missed}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
