"""Benchmark of sparse evaluation (run by hand: ``python bench/bench_sparse.py``; not a test).
For every Sparseloop case in tests/data/sparseloop: the median wall time of evaluating it dense
(its densities and sparse optimizations dropped) and sparse (Sparseloop's counts, energy and
cycles), in milliseconds, cold caches each run, and the ratio (issue 14 asks at most 3x).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

from accelsim.analysis import clear_caches
from accelsim.timeloop import TimeloopCase, evaluate_case, load_case

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "sparseloop"


def median_ms(case: TimeloopCase, runs: int) -> float:
    times = []
    for _ in range(runs):
        clear_caches()
        start = time.perf_counter()
        evaluate_case(case)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="runs per case (default 7)")
    args = parser.parse_args()
    print(f"{'case':<44} {'dense ms':>9} {'sparse ms':>10} {'ratio':>6}")
    worst = 0.0
    for directory in sorted(path for path in DATA.iterdir() if path.is_dir()):
        case = load_case([directory / "input.yaml", directory / "ERT.yaml"])
        dense = median_ms(replace(case, sparse=None), args.runs)
        sparse = median_ms(case, args.runs)
        worst = max(worst, sparse / dense)
        print(f"{directory.name:<44} {dense:>9.2f} {sparse:>10.2f} {sparse / dense:>6.2f}")
    print(f"worst ratio {worst:.2f} (at most 3 asked)")


if __name__ == "__main__":
    main()
