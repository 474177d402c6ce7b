"""The long profile of the import's fuzz suite: COUNT fuzzed exports, tallied per fault kind.

    .venv/bin/python benchmarks/bench_fuzz_import.py [COUNT] [--show N]

Each export is the next night's export of a small world with one fault (``tests/fuzz_exports.py``;
the quick profile runs in ``tests/test_import_fuzz.py``). Prints, per fault kind, how many were
tried, refused cleanly, accepted (and, when judged, stored as they mean), and the failures:
crashed, accepted wrong, data lost, changed by a refusal, refused wrongly; then the seconds
(wall and CPU: the CPU time does not depend on what else the machine runs).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.fuzz_exports import FAILURES, FAULTS, Harness, cases, markdown, tally  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=10_000, help="fuzzed exports (default 10,000)")
    parser.add_argument("--show", type=int, default=5, help="failures to print in full")
    args = parser.parse_args()
    verdicts = []
    scratch = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        harness = Harness(Path(folder))

        @settings(max_examples=args.count, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def fuzz(data):
            # Every kind as often as the others; hypothesis draws the rest.
            case = data.draw(cases(harness.world, FAULTS[len(verdicts) % len(FAULTS)]))
            verdict = harness.run(case)
            if verdict.outcome in FAILURES:
                verdict.detail = f"{case.describe()}\n  {verdict.detail}"
            verdicts.append(verdict)

        started, cpu = time.perf_counter(), time.process_time()
        fuzz()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(markdown(tally(verdicts)))
    failed = [v for v in verdicts if v.outcome in FAILURES]
    for v in failed[: args.show]:
        print(f"\n{v.outcome}: {v.detail}")
    print(f"\n{len(verdicts):,} fuzzed exports in {seconds:.1f} s ({cpu:.1f} s of CPU, "
          f"{cpu / max(len(verdicts), 1) * 1000:.0f} ms each); {len(failed)} failure(s)")


if __name__ == "__main__":
    main()
