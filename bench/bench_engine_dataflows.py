"""Median seconds per layer of the timing engine on timeloop_eyeriss_like (hand-written mappings).

Run: python bench/bench_engine_dataflows.py [--reference]

``--reference`` also times the discrete-event reference engine (accelsim.engine.reference) once
on AlexNet CONV1 and checks that it gives the same Timing (14 to 18 s on a loaded 2-core machine).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace

from accelsim.analysis.counts import analyze
from accelsim.arch import Axis, load_arch
from accelsim.engine import simulate_timing
from accelsim.engine.reference import simulate_reference
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.types import DataType, Dim
from accelsim.workload.layer import Layer, LayerKind

ALL = frozenset(DataType)


def conv(name, m, c, p, r, stride=1, n=1):
    h = (p - 1) * stride + r
    return Layer(name, LayerKind.CONV, n=n, m=m, c=c, p=p, q=p, r=r, s=r, h=h, w=h,
                 stride_h=stride, stride_w=stride, weight_bits=16, input_bits=16,
                 output_bits=16, psum_bits=16)  # fmt: skip


def row_stationary(dram, glb, m_x, r_y, s, m_rf):
    """The shape of the Timeloop Eyeriss-like AlexNet CONV1 mapping (tests/test_reference.py)
    with the given loops."""
    return Mapping(
        (
            LevelMapping("DRAM", dram, (), ALL),
            LevelMapping("shared_glb", glb, (Loop(Dim.M, m_x, Axis.X),),
                         frozenset({DataType.INPUTS, DataType.OUTPUTS})),
            LevelMapping("DummyBuffer", (), (Loop(Dim.R, r_y, Axis.Y),), frozenset()),
            LevelMapping("ifmap_spad", (), (), frozenset({DataType.INPUTS})),
            LevelMapping("weights_spad", (Loop(Dim.S, s),), (), frozenset({DataType.WEIGHTS})),
            LevelMapping("psum_spad", (Loop(Dim.M, m_rf),), (), frozenset({DataType.OUTPUTS})),
        )
    )  # fmt: skip


CASES = [
    (
        conv("alexnet_conv1", 96, 3, 55, 11, stride=4),
        row_stationary((Loop(Dim.P, 55), Loop(Dim.C, 3)), (Loop(Dim.Q, 55),), 12, 11, 11, 8),
    ),
    (
        conv("alexnet_conv3", 384, 256, 13, 3),
        row_stationary(
            (Loop(Dim.M, 4), Loop(Dim.P, 13), Loop(Dim.C, 256)), (Loop(Dim.Q, 13),), 12, 3, 3, 8
        ),
    ),
    (
        conv("vgg16_conv2_batch4", 64, 64, 224, 3, n=4),
        row_stationary(
            (Loop(Dim.N, 4), Loop(Dim.P, 224), Loop(Dim.C, 64)),
            (Loop(Dim.Q, 224),),
            8,
            3,
            3,
            8,
        ),
    ),
]


def main(runs: int = 5) -> None:
    arch = load_arch("timeloop_eyeriss_like")
    print(f"{'layer':22s} {'median s':>9s} {'steps':>10s} {'sections':>9s} {'cycles':>12s} "
          f"{'ideal':>12s}  bottleneck")  # fmt: skip
    for layer, mapping in CASES:
        analysis = analyze(layer, arch, mapping)
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            timing = simulate_timing(layer, arch, mapping, analysis, macs_per_cycle=1)
            seconds.append(time.perf_counter() - start)
        print(f"{layer.name:22s} {statistics.median(seconds):9.4f} {timing.steps:10,d} "
              f"{timing.sections:9,d} {timing.cycles:12,d} {timing.ideal_cycles:12,d}  "
              f"{timing.bottleneck}")  # fmt: skip


def reference() -> None:
    arch = load_arch("timeloop_eyeriss_like")
    layer, mapping = CASES[0]
    analysis = analyze(layer, arch, mapping)
    start = time.perf_counter()
    found = simulate_reference(layer, arch, mapping, analysis, macs_per_cycle=1)
    seconds = time.perf_counter() - start
    timing = simulate_timing(layer, arch, mapping, analysis, macs_per_cycle=1)
    same = replace(found, sections=0) == replace(timing, sections=0)
    print(f"reference {layer.name}: {seconds:.1f} s, {found.cycles:,d} cycles, "
          f"{'same' if same else 'DIFFERENT'} Timing as the production engine")  # fmt: skip


if __name__ == "__main__":
    main()
    if "--reference" in sys.argv[1:]:
        reference()
