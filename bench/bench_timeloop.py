"""Benchmark of ``accelsim timeloop`` (run by hand: ``python bench/bench_timeloop.py``; not a
test). For every reference case in tests/data/timeloop: the median wall time of reading the
inputs (architecture, problem, mapping, ERT) and of evaluating them (counts, energy, cycles),
in milliseconds, over several runs; the analysis caches are cleared before each run so every
run is cold.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from accelsim.analysis.nest import _coordinate_terms, progression_sum
from accelsim.timeloop import evaluate_case, load_case

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "timeloop"
FILES = ("arch.yaml", "prob.yaml", "map.yaml", "ERT.yaml")


def time_case(directory: Path, runs: int) -> tuple[float, float]:
    """Median (load ms, evaluate ms) of ``runs`` cold runs."""
    load_ms, evaluate_ms = [], []
    for _ in range(runs):
        progression_sum.cache_clear()
        _coordinate_terms.cache_clear()
        start = time.perf_counter()
        case = load_case([directory / name for name in FILES])
        middle = time.perf_counter()
        evaluate_case(case)
        end = time.perf_counter()
        load_ms.append((middle - start) * 1e3)
        evaluate_ms.append((end - middle) * 1e3)
    return statistics.median(load_ms), statistics.median(evaluate_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="runs per case (default 7)")
    args = parser.parse_args()
    print(f"{'case':<32} {'load ms':>9} {'evaluate ms':>12}")
    for directory in sorted(DATA.iterdir()):
        if directory.is_dir():
            load, evaluate = time_case(directory, args.runs)
            print(f"{directory.name:<32} {load:>9.1f} {evaluate:>12.1f}")


if __name__ == "__main__":
    main()
