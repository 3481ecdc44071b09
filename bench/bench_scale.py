"""Seconds to map and time one huge layer, against its size: the cost grows with the logarithm
of the sizes, not with them.

Two sweeps on eyeriss_isca16, each point a cold run (every cache cleared) of accelsim.simulate
with the engine's timing, median of several runs (wall time, and this process's CPU time, which
a machine shared with other jobs inflates less): an FC layer with 1000 outputs and 10^3 to
10^12 input features, and a square matrix multiply of side 10^1 to 10^6 (10^3 to 10^18 MACs).
Target (DESIGN.md, 2-core machine): under one second for the FC with 10^12 inputs and for the
10^6 x 10^6 x 10^6 matrix multiply.

    python bench/bench_scale.py [--repeats 3] [--dataflow rs]
"""

from __future__ import annotations

import argparse
import statistics
import time

import accelsim
from accelsim.api import clear_caches
from accelsim.workload.build import make_layer
from accelsim.workload.layer import Layer


def seconds(layer: Layer, dataflow: str, repeats: int) -> tuple[float, float, int]:
    """(median wall seconds of a cold simulate, median CPU seconds of this process, cycles)."""
    times, cpu_times, cycles = [], [], 0
    for _ in range(repeats):
        clear_caches()
        start, cpu = time.perf_counter(), time.process_time()
        result = accelsim.simulate("eyeriss_isca16", layer, dataflow=dataflow)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
        cycles = result.layers[0].cycles
    return statistics.median(times), statistics.median(cpu_times), cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dataflow", default="rs")
    args = parser.parse_args()
    accelsim.simulate("eyeriss_isca16", "tiny", dataflow=args.dataflow)  # imports, arch load
    print(f"{'layer':<34}{'MACs':>10}{'wall s':>9}{'CPU s':>8}{'cycles':>28}")
    for exponent in range(3, 13):
        layer = make_layer("fc", "fc", in_features=10**exponent, out_features=1000)
        median, cpu, cycles = seconds(layer, args.dataflow, args.repeats)
        name = f"fc 10^{exponent} -> 1000"
        print(f"{name:<34}{layer.macs:>10.1e}{median:>9.3f}{cpu:>8.3f}{cycles:>28,}")
    for exponent in range(1, 7):
        side = 10**exponent
        layer = make_layer("mm", "matmul", rows=side, inner=side, columns=side)
        median, cpu, cycles = seconds(layer, args.dataflow, args.repeats)
        name = f"matmul 10^{exponent} x 10^{exponent} x 10^{exponent}"
        print(f"{name:<34}{layer.macs:>10.1e}{median:>9.3f}{cpu:>8.3f}{cycles:>28,}")


if __name__ == "__main__":
    main()
