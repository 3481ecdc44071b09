"""The production engine (max-plus recurrences, bulk stepping) against the discrete-event
reference (accelsim.engine.reference: ports as simpy resources, jobs and steps as processes,
every step simulated): the same cycles, stall cycles by cause and busy cycles per resource, on
random small layers, mappings and architectures (Hypothesis) and on hand-computed cases."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from math import ceil

from hypothesis import Phase, event, given, settings
from hypothesis import strategies as st
from test_engine import (
    FC,
    conv,
    fc_case,
    layers_and_mappings,
    loops,
    psum_case,
    streaming_psum_case,
    weight_prefetch_case,
)

from accelsim.analysis.counts import analyze
from accelsim.arch import Axis, arch_from_dict
from accelsim.engine import Timing, simulate_timing
from accelsim.engine.plan import exact_fraction, make_plan
from accelsim.engine.reference import Port, simulate_reference
from accelsim.mapping.model import LevelMapping, Mapping
from accelsim.types import DataType, Dim
from accelsim.workload.layer import Layer, LayerKind

ALL = frozenset(DataType)


def same(production: Timing, reference: Timing) -> bool:
    """Equal but for ``sections`` (the steps each simulated one by one)."""
    return replace(production, sections=0) == replace(reference, sections=0)


@st.composite
def archs(draw):
    """DRAM -> buffer -> 2 x 2 PEs with a register file: each port's bandwidth (bits per cycle,
    or unlimited), the latencies, the buffer's and register file's capacities (none, part or all
    of a next tile beside the current one) and whether the register file streams its partial
    sums drawn at random."""
    bandwidth = st.one_of(st.none(), st.sampled_from([3, 8, 12, 64]))

    def level(name, kind, **extra):
        found = {"name": name, "kind": kind, "word_bits": 8, **extra}
        for action in ("read", "write"):
            value = draw(bandwidth)
            if value is not None:
                found[f"{action}_bandwidth_bits_per_cycle"] = value
        return found

    raw = {
        "name": "reference_test",
        "pe_array": {"rows": 2, "cols": 2},
        "levels": [
            level("DRAM", "dram", latency_cycles=draw(st.sampled_from([0, 0, 2, 5]))),
            level(
                "buffer",
                "sram",
                capacity_bits=draw(st.sampled_from([256, 512, 1024, 65536])),
                latency_cycles=draw(st.sampled_from([0, 0, 1])),
            ),
            level(
                "rf",
                "regfile",
                capacity_bits=draw(st.sampled_from([24, 48, 64, 96, 4096])),
                streams_partial_sums=draw(st.booleans()),
            ),
        ],
    }
    network = draw(bandwidth)
    raw["network"] = {} if network is None else {"bandwidth_bits_per_cycle": network}
    return arch_from_dict(raw)


@settings(max_examples=200, deadline=None, phases=tuple(set(Phase) - {Phase.explain}))
@given(
    layers_and_mappings(),
    archs(),
    st.integers(1, 2),
    st.sampled_from([1, Fraction(1, 2), 0.3, 0]),
    st.sampled_from([ALL, frozenset({DataType.INPUTS}), frozenset(ALL - {DataType.OUTPUTS})]),
)
def test_production_engine_equals_the_discrete_event_reference(case, arch, macs, fraction, rf):
    # ``rf``: what the register file keeps (the rest bypasses it): without outputs its tile can
    # slide (a window refilled once its dead elements are used, before the step ends)
    layer, mapping = case
    levels = mapping.levels
    mapping = Mapping((*levels[:-1], replace(levels[-1], keeps=rf)))
    analysis = analyze(layer, arch, mapping)
    options = {"macs_per_cycle": macs, "compute_fraction": fraction}
    production = simulate_timing(layer, arch, mapping, analysis, **options)
    reference = simulate_reference(layer, arch, mapping, analysis, **options)
    event("stepped in bulk" if production.sections < production.steps else "step by step")
    event("stalls" if reference.stall_cycles else "no stall")
    event("streaming" if arch.level("rf").streams_partial_sums else "not streaming")
    plan = make_plan(layer, arch, mapping, analysis, macs, exact_fraction(fraction))
    sliding = any(plan.freed("rf", j) is not None for j in range(len(plan.bounds)))
    event("sliding window" if sliding else "no sliding window")
    assert same(production, reference)
    assert reference.sections == reference.steps
    assert reference.cycles == reference.compute_cycles + reference.stall_cycles


def test_bulk_stepping_equals_the_reference_on_a_long_loop():
    # P 7 at DRAM and Q 6 at the buffer: 42 steps, the Q loop's iterations 3..6 and the P loop's
    # 3..7 stepped in bulk; weights prefetched into half-room RF, inputs through a narrow network.
    layer = conv(m=2, c=2, p=7, q=6, r=3)
    arch = arch_from_dict(
        {
            "name": "bulk",
            "pe_array": {"rows": 2, "cols": 2},
            "levels": [
                {"name": "DRAM", "kind": "dram", "word_bits": 8, "bandwidth_bits_per_cycle": 8,
                 "latency_cycles": 3},
                {"name": "buffer", "kind": "sram", "word_bits": 8, "capacity_bits": 4096,
                 "read_bandwidth_bits_per_cycle": 16, "write_bandwidth_bits_per_cycle": 12},
                {"name": "rf", "kind": "regfile", "word_bits": 8, "capacity_bits": 96},
            ],
            "network": {"bandwidth_bits_per_cycle": 8},
        }
    )  # fmt: skip
    mapping = Mapping(
        (
            LevelMapping("DRAM", loops((Dim.P, 7)), (), ALL),
            LevelMapping("buffer", loops((Dim.Q, 6)), loops((Dim.M, 2), axis=Axis.X), ALL),
            LevelMapping("rf", loops((Dim.C, 2), (Dim.R, 3)), (), ALL),
        )
    )
    production = simulate_timing(layer, arch, mapping)
    reference = simulate_reference(layer, arch, mapping)
    assert production.steps == 42 and production.sections < 30
    assert reference.stall_cycles > 0
    assert same(production, reference)


def test_reference_reproduces_the_hand_computed_cases():
    # The arithmetic is in tests/test_engine.py; the reference gets there its own way.
    for latency in (0, 3):
        arch, mapping = fc_case(latency=latency)
        timing = simulate_reference(FC, arch, mapping, macs_per_cycle=2)
        assert timing.cycles == (4 * 8 * 8 + 8 * 8) // 8 + latency + 8 // 2 + 4 * 8 // 8 + latency
    for rf_bits, exposed in ((4096, 0), (136 + 72, 0), (136 + 36, 0), (136, 3 * (8 // 2))):
        arch, mapping = fc_case(rf_bits=rf_bits)
        timing = simulate_reference(FC, arch, mapping, macs_per_cycle=2)
        assert timing.cycles == (4 * 8 * 8 + 8 * 8) // 8 + 8 // 2 + 4 * 8 // 8 + exposed
    expected = {
        32: 16 + 8 * 4 + 3 * 4 + 4 * (4 + 4) + 4,
        48: 16 + 8 * 4 + 3 * 2 + 4 * (2 + 2) + 4,
        64: 16 + 8 * 4 + 2 * 4 + 4,
    }
    for rf_bits, cycles in expected.items():
        timing = simulate_reference(*psum_case(rf_bits))
        assert timing.cycles == cycles
        assert dict(timing.busy_cycles) == {"buffer.read": 4 * 4, "buffer.write": 16 + 8 * 4}
    for write, cycles in ((8, 16 + 8 * 4 + 4), (4, 128 // 4 + 4 + 7 * 8 + 8)):
        assert simulate_reference(*streaming_psum_case(write)).cycles == cycles
    layer, arch, mapping = weight_prefetch_case()
    timing = simulate_reference(layer, arch, mapping)
    assert timing.cycles == (16 + 32) * 8 // 8 + 16 * 8 + 8 // 8
    assert dict(timing.stalls_by_cause) == {"DRAM.read": 48, "DRAM.write": 1}
    for buffer_bits, late_bits in ((384, 128), (384 + 64, 64)):
        layer, arch, mapping = weight_prefetch_case(buffer_bits=buffer_bits)
        single = simulate_reference(layer, arch, mapping)
        assert dict(single.stalls_by_cause) == {"DRAM.read": 48 + late_bits // 8, "DRAM.write": 1}


class SetupPort(Port):
    """A new kind of resource (docs/engine.md): a port paying 2 cycles of set-up per transfer."""

    def cycles(self, bits: int) -> int:
        moving = super().cycles(bits)
        return moving + 2 if moving else 0


def test_a_new_kind_of_port_plugs_into_the_reference():
    # fc_case at 64 bits per cycle: 4 compute-bound steps of 8 cycles. The first fill (128 bits:
    # 2 cycles) and the final write (32 bits: 1 cycle) each pay 2 cycles of set-up; the weight
    # prefetches (1 + 2 cycles) still hide behind the 8-cycle steps.
    arch, mapping = fc_case(dram=64)
    plain = simulate_reference(FC, arch, mapping)
    timing = simulate_reference(FC, arch, mapping, port=SetupPort)
    assert plain.cycles == 2 + 4 * 8 + 1
    assert timing.cycles == (2 + 2) + 4 * 8 + (1 + 2)
    assert dict(timing.stalls_by_cause) == {"DRAM.read": 2 + 2, "DRAM.write": 1 + 2}
    assert dict(timing.busy_cycles)["DRAM.read"] == (2 + 2) + 3 * (ceil(64 / 64) + 2)


def test_timeloop_alexnet_conv1_mapping_on_four_output_rows_equals_the_reference():
    # Timeloop's AlexNet CONV1 mapping on timeloop_eyeriss_like (tests/test_engine.py) with P cut
    # from 55 to 4 rows (4 x 3 x 55 = 660 steps): the same ports, latencies and rooms, the
    # sliding-window ifmap_spad refilled once its dead words are used, and the shared_glb
    # prefetch queued behind partial-sum drains.
    # The whole layer (9,075 steps) agrees too: 833,569 cycles, same stalls by cause
    # (bench/bench_engine_dataflows.py --reference; about 14 s).
    from accelsim.arch import load_arch

    arch = load_arch("timeloop_eyeriss_like")
    layer = Layer("conv1", LayerKind.CONV, n=1, m=96, c=3, p=4, q=55, r=11, s=11,
                  h=(4 - 1) * 4 + 11, w=227, stride_h=4, stride_w=4, weight_bits=16,
                  input_bits=16, output_bits=16, psum_bits=16)  # fmt: skip
    mapping = Mapping(
        (
            LevelMapping("DRAM", loops((Dim.P, 4), (Dim.C, 3)), (), ALL),
            LevelMapping("shared_glb", loops((Dim.Q, 55)), loops((Dim.M, 12), axis=Axis.X),
                         frozenset({DataType.INPUTS, DataType.OUTPUTS})),
            LevelMapping("DummyBuffer", (), loops((Dim.R, 11), axis=Axis.Y), frozenset()),
            LevelMapping("ifmap_spad", (), (), frozenset({DataType.INPUTS})),
            LevelMapping("weights_spad", loops((Dim.S, 11)), (), frozenset({DataType.WEIGHTS})),
            LevelMapping("psum_spad", loops((Dim.M, 8)), (), frozenset({DataType.OUTPUTS})),
        )
    )  # fmt: skip
    analysis = analyze(layer, arch, mapping)
    production = simulate_timing(layer, arch, mapping, analysis)
    reference = simulate_reference(layer, arch, mapping, analysis)
    assert production.steps == 4 * 3 * 55 and production.sections < 100
    assert {"DRAM.read", "shared_glb.write"} <= set(dict(reference.stalls_by_cause))
    assert same(production, reference)


def test_eyeriss_chip_conv3_mapping_on_two_channel_tiles_equals_the_reference():
    # The mapper's AlexNet CONV3 mapping on eyeriss_chip (docs/eyeriss_chip.md) cut to one image,
    # 64 output channels and 2 x 2 x 4 input channels (52 steps of 192 cycles): psums streamed by
    # psum_spad, whose reads at C > 0 run during the step and whose drains overlap the next one,
    # and the 12-word ifmap window refilled from cycle 160 of each Q-step.
    from accelsim.arch import load_arch

    arch = load_arch("eyeriss_chip")
    layer = Layer("conv3", LayerKind.CONV, n=1, m=64, c=16, p=13, q=13, r=3, s=3, h=15, w=15,
                  weight_bits=16, input_bits=16, output_bits=16, psum_bits=16)  # fmt: skip
    mapping = Mapping(
        (
            LevelMapping("DRAM", loops((Dim.C, 2)), (), ALL),
            LevelMapping("buffer", loops((Dim.C, 2), (Dim.Q, 13)),
                         loops((Dim.R, 3), (Dim.M, 4), axis=Axis.Y)
                         + loops((Dim.P, 13), axis=Axis.X), ALL),
            LevelMapping("ifmap_spad", (), (), frozenset({DataType.INPUTS})),
            LevelMapping("weights_spad", (), (), frozenset({DataType.WEIGHTS})),
            LevelMapping("psum_spad", loops((Dim.C, 4), (Dim.S, 3), (Dim.M, 16)), (),
                         frozenset({DataType.OUTPUTS})),
        )
    )  # fmt: skip
    analysis = analyze(layer, arch, mapping)
    production = simulate_timing(layer, arch, mapping, analysis)
    reference = simulate_reference(layer, arch, mapping, analysis)
    plan = make_plan(layer, arch, mapping, analysis, 1, Fraction(1))
    assert plan.streaming == {"psum_spad"}
    assert plan.freed("ifmap_spad", len(plan.bounds) - 1) == 3 * 48 + 0 * 16 + 15 + 1
    assert production.steps == 2 * 2 * 13 and production.cycles_per_step == 4 * 3 * 16
    assert same(production, reference)
    # Without streaming each psum tile waits for room in the 24 words: slower, and still equal.
    levels = tuple(replace(level, streams_partial_sums=False) for level in arch.levels)
    waiting = replace(arch, levels=levels, variants=())
    plain = simulate_timing(layer, waiting, mapping, analysis)
    assert same(plain, simulate_reference(layer, waiting, mapping, analysis))
    assert production.cycles < plain.cycles
