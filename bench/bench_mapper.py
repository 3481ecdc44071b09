"""Seconds to map and evaluate whole networks under the four dataflows, cold and warm cache.

Prints the median of several runs for AlexNet (batch 16) and ResNet-50 (batch 1) on
eyeriss_isca16 with RS, WS, OS and NLR, mapping search and engine timing included. "cold" clears
every cache first; "warm" repeats the run with the caches filled. Targets (DESIGN.md, 2-core
machine): ResNet-50 x 4 dataflows cold under 10 s, warm under 1 s. Also prints the process's
peak resident memory (it stays flat in layer size: no per-MAC or per-cycle arrays).

    python bench/bench_mapper.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import accelsim
from accelsim.api import clear_caches

FLOWS = ("rs", "ws", "os", "nlr")
CASES = (("alexnet", 16), ("resnet50", 1))


def run_all(workload: str, batch: int, fidelity: str) -> int:
    layers = 0
    for flow in FLOWS:
        result = accelsim.simulate(
            "eyeriss_isca16", workload, dataflow=flow, batch=batch, fidelity=fidelity
        )
        layers += len(result.layers)
    return layers


def measure(workload: str, batch: int, fidelity: str, repeats: int) -> tuple[float, float, int]:
    cold, warm = [], []
    layers = 0
    for _ in range(repeats):
        clear_caches()
        start = time.perf_counter()
        layers = run_all(workload, batch, fidelity)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        run_all(workload, batch, fidelity)
        warm.append(time.perf_counter() - start)
    return statistics.median(cold), statistics.median(warm), layers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'workload':<10}{'fidelity':<9}{'layers x flows':>15}{'cold s':>9}{'warm s':>9}")
    for workload, batch in CASES:
        for fidelity in ("ideal", "engine"):
            cold, warm, layers = measure(workload, batch, fidelity, args.repeats)
            print(f"{workload:<10}{fidelity:<9}{layers:>15}{cold:>9.2f}{warm:>9.3f}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(f"peak resident memory of this process: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
