"""Points per second for a 64-point AlexNet sweep on 1 and 2 processes (median of runs).

The sweep: eyeriss_isca16, AlexNet at batch 16, 4 dataflows x 4 buffer sizes x 4 array heights,
engine timing. Every run starts from an empty store and cold caches in each worker process. The
rate counts the points that ran to a result; points whose architecture the dataflow cannot map
(they fail at once, with an error) are counted apart.

    python bench/bench_sweep.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from accelsim.api import clear_caches
from accelsim.sweep import run_sweep, sweep_from_dict

SWEEP = {
    "name": "bench64",
    "arch": "eyeriss_isca16",
    "workloads": "alexnet",
    "batches": 16,
    "dataflows": ["rs", "ws", "os", "nlr"],
    "grid": {
        "levels.buffer.capacity_kb": [64, 128, 192, 256],
        "pe_array.rows": [8, 12, 14, 16],
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    spec = sweep_from_dict(SWEEP, source="bench_sweep")
    for jobs in (1, 2):
        rates = []
        for _ in range(args.repeats):
            clear_caches()
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                run = run_sweep(spec, out, executor="local", jobs=jobs)
                seconds = time.perf_counter() - start
            valid = run.points - len(run.failed)
            rates.append(valid / seconds)
        print(
            f"{valid} valid points of {spec.size} ({len(run.failed)} invalid), {jobs} process(es): "
            f"{statistics.median(rates):.2f} valid points/s (median of {args.repeats})"
        )


if __name__ == "__main__":
    main()
