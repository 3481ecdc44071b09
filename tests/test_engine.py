"""The timing engine: invariants on random small mappings (Hypothesis) and hand-computed cases."""

from __future__ import annotations

import itertools
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from math import ceil, prod

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.analysis.counts import analyze
from accelsim.arch import Axis, arch_from_dict
from accelsim.engine import simulate_timing
from accelsim.engine.plan import NETWORK, make_plan, read_port, write_port
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.types import DIMS, DataType, Dim
from accelsim.workload.layer import Layer, LayerKind

ALL = frozenset(DataType)


def small_arch(*, dram=None, buffer=None, rf=None, network=None, buffer_kb=64, rf_bits=4096):
    """DRAM -> buffer -> 2 x 2 PEs with a register file; bandwidths in bits per cycle or None."""

    def level(name, kind, bandwidth, **extra):
        found = {"name": name, "kind": kind, "word_bits": 8, **extra}
        if bandwidth is not None:
            found["bandwidth_bits_per_cycle"] = bandwidth
        return found

    raw = {
        "name": "engine_test",
        "pe_array": {"rows": 2, "cols": 2},
        "levels": [
            level("DRAM", "dram", dram),
            level("buffer", "sram", buffer, capacity_bits=buffer_kb * 8192),
            level("rf", "regfile", rf, capacity_bits=rf_bits),
        ],
        "network": {} if network is None else {"bandwidth_bits_per_cycle": network},
    }
    return arch_from_dict(raw)


def conv(n=1, m=1, c=1, p=1, q=1, r=1, s=1, bits=8):
    return Layer(
        "test", LayerKind.CONV, n=n, m=m, c=c, p=p, q=q, r=r, s=s, h=p + r - 1, w=q + s - 1,
        weight_bits=bits, input_bits=bits, output_bits=bits, psum_bits=bits,
    )  # fmt: skip


def loops(*pairs, axis=None):
    return tuple(Loop(dim, bound, axis) for dim, bound in pairs if bound > 1)


# ---- random small layers and mappings --------------------------------------------------------
@st.composite
def layers_and_mappings(draw):
    bounds = {dim: draw(st.integers(1, 3)) for dim in DIMS if dim is not Dim.G}
    bounds[Dim.P] = draw(st.integers(1, 7))  # long enough loops to be stepped in bulk
    layer = conv(*(bounds[d] for d in (Dim.N, Dim.M, Dim.C, Dim.P, Dim.Q, Dim.R, Dim.S)))
    places = {name: [] for name in ("DRAM", "buffer", "X", "Y", "rf")}
    for dim, bound in bounds.items():
        if bound > 1:
            places[draw(st.sampled_from(["DRAM", "buffer", "X", "Y", "rf"]))].append((dim, bound))
    for name in places:
        places[name] = draw(st.permutations(places[name]))
    spatial = places["X"][:1]
    places["DRAM"] += places["X"][1:] + places["Y"][1:]
    keeps = frozenset(draw(st.sets(st.sampled_from(list(DataType)))))
    mapping = Mapping(
        (
            LevelMapping("DRAM", loops(*places["DRAM"]), (), ALL),
            LevelMapping(
                "buffer",
                loops(*places["buffer"]),
                loops(*spatial, axis=Axis.X) + loops(*places["Y"][:1], axis=Axis.Y),
                keeps,
            ),
            LevelMapping("rf", loops(*places["rf"]), (), ALL),
        )
    )
    return layer, mapping


bandwidths = st.one_of(st.none(), st.sampled_from([4, 8, 12, 64]))


@settings(max_examples=150, deadline=None)
@given(layers_and_mappings(), st.integers(1, 3), st.sampled_from([1, Fraction(1, 2), 0.3]))
def test_unlimited_bandwidth_gives_ideal_cycles(case, macs_per_cycle, fraction):
    layer, mapping = case
    arch = small_arch()
    timing = simulate_timing(
        layer, arch, mapping, macs_per_cycle=macs_per_cycle, compute_fraction=fraction
    )
    inner = prod(loop.bound for loop in mapping.levels[2].temporal)
    per_step = ceil(inner * Fraction(str(fraction)) / macs_per_cycle)
    assert timing.cycles == timing.ideal_cycles
    assert timing.ideal_cycles == mapping.temporal_steps // inner * per_step
    assert timing.stall_cycles == 0


@settings(max_examples=150, deadline=None)
@given(
    layers_and_mappings(), bandwidths, bandwidths, bandwidths, bandwidths, st.sampled_from([1, 4])
)
def test_finite_bandwidth_bounds_and_bulk_equals_step_by_step(case, dram, buffer, rf, net, kb):
    layer, mapping = case
    arch = small_arch(dram=dram, buffer=buffer, rf=rf, network=net, buffer_kb=kb, rf_bits=64)
    analysis = analyze(layer, arch, mapping)
    timing = simulate_timing(layer, arch, mapping, analysis, macs_per_cycle=1)
    step_by_step = simulate_timing(layer, arch, mapping, analysis, macs_per_cycle=1, bulk=False)
    assert replace(timing, sections=0) == replace(step_by_step, sections=0)
    assert timing.cycles >= timing.ideal_cycles == mapping.temporal_steps
    assert timing.cycles == timing.compute_cycles + timing.stall_cycles
    for item in analysis.traffic:
        level = arch.level(item.level)
        if level.read_bandwidth_bits:
            assert timing.cycles * level.read_bandwidth_bits * item.instances >= item.read_bits
            assert timing.cycles * level.write_bandwidth_bits * item.instances >= item.write_bits
    if net:
        assert timing.cycles * net >= sum(link.bits for link in analysis.links)
    assert all(0 <= share <= 1 for share in timing.busy_fraction.values())


@settings(max_examples=150, deadline=None)
@given(layers_and_mappings())
def test_steps_carry_exactly_the_analysis_counts(case):
    layer, mapping = case
    assert_steps_carry_the_counts(layer, small_arch(), mapping)


def test_psums_crossing_the_array_inside_a_step_carry_the_counts():
    # The RF keeps no outputs: within the step (C = 4 in the RF), every partial sum goes up to
    # the buffer, and comes back down except at its first MAC (4 up + 3 down per output).
    layer = conv(m=2, c=4, p=3)
    mapping = Mapping(
        (
            LevelMapping("DRAM", loops((Dim.P, 3)), (), ALL),
            LevelMapping("buffer", (), loops((Dim.M, 2), axis=Axis.X), ALL),
            LevelMapping(
                "rf", loops((Dim.C, 4)), (), frozenset({DataType.WEIGHTS, DataType.INPUTS})
            ),
        )
    )
    arch = small_arch()
    links = {link.data_type: link.elements for link in analyze(layer, arch, mapping).links}
    assert links[DataType.OUTPUTS] == 3 * 2 * (4 + 3)
    assert_steps_carry_the_counts(layer, arch, mapping)


def assert_steps_carry_the_counts(layer, arch, mapping):
    """Summed over every step's fetch, inner and drain jobs, each port's bits (and the network's)
    equal the analysis' counts."""
    analysis = analyze(layer, arch, mapping)
    plan = make_plan(layer, arch, mapping, analysis, 1)
    carried = {}
    steps = list(itertools.product(*(range(b) for b in plan.bounds)))
    for k, digits in enumerate(steps):
        key = (_carry(steps[k - 1], digits) if k else -1, plan.zeros(digits))
        after = None
        if k + 1 < len(steps):
            after = (_carry(digits, steps[k + 1]), plan.zeros(steps[k + 1]))
        drains = tuple((level, job) for level, job, _ in plan.drain(after))
        parts = (*plan.fetch(key), (None, plan.inner(key)), *drains)
        for _, job in parts:
            for name, bits in job.bits:
                carried[name] = carried.get(name, 0) + bits
    expected = {}
    for item in analysis.traffic:
        expected[read_port(item.level)] = expected.get(read_port(item.level), 0) + item.read_bits
        expected[write_port(item.level)] = expected.get(write_port(item.level), 0) + item.write_bits
    expected[NETWORK] = sum(link.bits for link in analysis.links)
    assert carried == {name: bits for name, bits in expected.items() if bits}


def _carry(before, after):
    return next(j for j, (a, b) in enumerate(zip(before, after, strict=True)) if a != b)


# ---- hand-computed cases --------------------------------------------------------------------
FC = Layer("fc", LayerKind.FC, n=1, m=4, c=8, p=1, q=1, r=1, s=1, h=1, w=1, psum_bits=8)


def fc_case(*, dram=8, latency=0, rf_bits=4096):
    """FC 8 -> 4 at 8 bits: 4 steps (M at the buffer), each a dot product of 8 in the RF.

    Weights and inputs stream from DRAM straight into the RF; outputs collect in the buffer.
    """
    arch = small_arch(dram=dram, rf_bits=rf_bits)
    if latency:
        dram = replace(arch.levels[0], latency_cycles=latency)
        arch = replace(arch, levels=(dram, *arch.levels[1:]))
    mapping = Mapping(
        (
            LevelMapping("DRAM", (), (), ALL),
            LevelMapping("buffer", loops((Dim.M, 4)), (), frozenset({DataType.OUTPUTS})),
            LevelMapping("rf", loops((Dim.C, 8)), (), ALL),
        )
    )
    return arch, mapping


def test_dram_bound_fc_streams_weights_once():
    # DRAM reads: weights 4 * 8 * 8 bits, inputs 8 * 8 bits once, at 8 bits per cycle; a step
    # computes 8 MACs at 2 per cycle = 4 cycles, less than a weight tile's 64 / 8 = 8 cycles, so
    # DRAM never idles once started. The first tile (weights + inputs) takes 16 cycles; each
    # next weight tile is prefetched while the previous computes (the RF holds two tiles), back
    # to back on the DRAM read port; the last tile then computes (4) and the buffer writes the 4
    # outputs to DRAM (32 bits / 8). With a DRAM latency L, the last weight tile arrives L later
    # and the final write takes L more (L <= 4 keeps the prefetches back to back).
    for latency in (0, 3):
        arch, mapping = fc_case(latency=latency)
        timing = simulate_timing(FC, arch, mapping, macs_per_cycle=2)
        reads_bits = 4 * 8 * 8 + 8 * 8
        assert timing.cycles == reads_bits // 8 + latency + 8 // 2 + 4 * 8 // 8 + latency
        assert timing.compute_cycles == 4 * (8 // 2)
        assert timing.bottleneck == "DRAM.read"
        assert dict(timing.busy_cycles)["DRAM.read"] == reads_bits // 8


def test_room_beside_the_tile_decides_how_much_of_the_next_one_is_prefetched():
    # Tiles in the RF: (8 weights + 8 inputs + 1 output) * 8 bits = 136; each step brings 8 new
    # weights and 1 new output (72 bits). Two tiles fit in 4096 bits; 208 = 136 + 72 holds the
    # tile and all new elements, so it prefetches them all; 172 leaves room for half (36 bits):
    # 4 of the 8 weight-fetch cycles run during the compute before, 4 after it, so DRAM is still
    # busy back to back (8 cycles per tile against 4 of compute) and the total is the same.
    # 136 leaves no room: each weight fetch (8 cycles) waits for the step before to finish
    # computing (4 cycles), so the 3 later computes are exposed.
    arch, mapping = fc_case(rf_bits=4096)
    double = simulate_timing(FC, arch, mapping, macs_per_cycle=2)
    assert double.cycles == (4 * 8 * 8 + 8 * 8) // 8 + 8 // 2 + 4 * 8 // 8
    for rf_bits, exposed in ((136 + 72, 0), (136 + 36, 0), (136, 3 * (8 // 2))):
        arch, mapping = fc_case(rf_bits=rf_bits)
        timing = simulate_timing(FC, arch, mapping, macs_per_cycle=2)
        assert timing.cycles == double.cycles + exposed


def psum_case(rf_bits):
    """Outputs only: 8 steps (C 2, Q 4 at the buffer) of M = 4 partial sums in the RF (4 words
    of 8 bits, all new at every step), read from and drained to the buffer at 8 bits a cycle."""
    keep = frozenset({DataType.OUTPUTS})
    mapping = Mapping(
        (
            LevelMapping("DRAM", (), (), ALL),
            LevelMapping("buffer", loops((Dim.C, 2), (Dim.Q, 4)), (), keep),
            LevelMapping("rf", loops((Dim.M, 4)), (), keep),
        )
    )
    return conv(m=4, c=2, q=4), small_arch(buffer=8, rf_bits=rf_bits), mapping


def test_partial_sums_fetch_half_early_and_half_once_half_have_drained():
    # First the buffer's tile (16 outputs, 128 bits at 8 per cycle: 16 cycles); then 8 steps of
    # 4 cycles; each drains its 4 psums to the buffer (4 cycles on its write port) and the next
    # step's 4 psums come from it (4 cycles on its read port, none for the 4 first arrivals at
    # C = 0); the last drain shows.
    # 32 bits, no room: each step waits for the whole drain (3 times) and, at C = 1, the read.
    # 48 bits, room for half a tile: half the read (2 cycles) runs during the compute before, the
    # rest waits only for half the drain (2 of 4 cycles).
    # 64 bits, two tiles: a step's read starts when the step before last has drained, so at C = 1
    # every other step waits for its read.
    expected = {
        32: 16 + 8 * 4 + 3 * 4 + 4 * (4 + 4) + 4,
        48: 16 + 8 * 4 + 3 * 2 + 4 * (2 + 2) + 4,
        64: 16 + 8 * 4 + 2 * 4 + 4,
    }
    for rf_bits, cycles in expected.items():
        layer, arch, mapping = psum_case(rf_bits)
        timing = simulate_timing(layer, arch, mapping)
        step_by_step = simulate_timing(layer, arch, mapping, bulk=False)
        assert replace(timing, sections=0) == replace(step_by_step, sections=0)
        assert timing.cycles == cycles
        assert dict(timing.busy_cycles) == {"buffer.read": 4 * 4, "buffer.write": 16 + 8 * 4}


def streaming_psum_case(buffer_write):
    """psum_case with no room in the RF (32 bits), which now streams its partial sums; the
    buffer reads 8 bits a cycle and writes ``buffer_write``."""
    layer, _, mapping = psum_case(32)
    arch = arch_from_dict(
        {
            "name": "streaming",
            "pe_array": {"rows": 2, "cols": 2},
            "levels": [
                {"name": "DRAM", "kind": "dram", "word_bits": 8},
                {"name": "buffer", "kind": "sram", "word_bits": 8, "capacity_bits": 65536,
                 "read_bandwidth_bits_per_cycle": 8,
                 "write_bandwidth_bits_per_cycle": buffer_write},
                {"name": "rf", "kind": "regfile", "word_bits": 8, "capacity_bits": 32,
                 "streams_partial_sums": True},
            ],
        }
    )  # fmt: skip
    return layer, arch, mapping


def test_streamed_partial_sums_overlap_the_compute_on_both_sides():
    # psum_case without room (32 bits: 96 cycles, above) but streaming: a step starts from zero
    # and adds the 4 psums read from the buffer (at C = 1: 4 cycles) while it computes its 4
    # cycles, and its drain (4 cycles) runs during the next step. Only the buffer's first fill
    # (128 bits at 8 per cycle: 16 cycles) and the last drain (4) show.
    layer, arch, mapping = streaming_psum_case(8)
    timing = simulate_timing(layer, arch, mapping)
    assert timing.cycles == 16 + 8 * 4 + 4
    assert dict(timing.stalls_by_cause) == {"buffer.write": 16 + 4}
    assert dict(timing.busy_cycles) == {"buffer.read": 4 * 4, "buffer.write": 16 + 8 * 4}
    # A write port of 4 bits a cycle: a drain (8 cycles) outlasts the next step (4), which
    # cannot end before the tile before it has left: 4 cycles of each of steps 2..8 wait.
    layer, arch, mapping = streaming_psum_case(4)
    timing = simulate_timing(layer, arch, mapping)
    step_by_step = simulate_timing(layer, arch, mapping, bulk=False)
    assert replace(timing, sections=0) == replace(step_by_step, sections=0)
    assert timing.cycles == 128 // 4 + 4 + 7 * 8 + 8
    assert dict(timing.stalls_by_cause) == {"buffer.write": 128 // 4 + 7 * 4 + 8}


def test_compute_bound_layer_exposes_only_the_first_fill_and_last_drain():
    # DRAM at 64 bits per cycle: a weight tile (64 bits) takes 1 cycle, a step computes 8, so only
    # the first fill (128 bits: 2 cycles) and the final write of 4 outputs (32 bits: 1) show.
    arch, mapping = fc_case(dram=64)
    timing = simulate_timing(FC, arch, mapping, macs_per_cycle=1)
    assert timing.ideal_cycles == 4 * 8
    assert timing.cycles == 2 + 4 * 8 + 1
    assert dict(timing.stalls_by_cause) == {"DRAM.read": 2, "DRAM.write": 1}


def test_compute_fraction_shortens_each_step_not_the_traffic():
    # A unit skipping zero weights in time spends ceil(8 MACs * fraction / macs_per_cycle)
    # cycles per step; DRAM at 64 bits per cycle still hides every weight tile (1 cycle), so the
    # layer stays first fill (2) + 4 steps + final write (1).
    arch, mapping = fc_case(dram=64)
    for fraction, macs_per_cycle, per_step in (
        (0.5, 1, 4),  # 8 * 1/2
        (0.3, 1, 3),  # ceil(2.4)
        (0.7, 2, 3),  # ceil(5.6 / 2)
        (Fraction(1, 8), 1, 1),
    ):
        timing = simulate_timing(
            FC, arch, mapping, macs_per_cycle=macs_per_cycle, compute_fraction=fraction
        )
        assert timing.cycles_per_step == per_step
        assert timing.ideal_cycles == timing.compute_cycles == 4 * per_step
        assert timing.cycles == 2 + 4 * per_step + 1
        assert dict(timing.busy_cycles)["DRAM.read"] == (4 * 8 * 8 + 8 * 8) // 64


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_compute_fraction_outside_zero_one_is_an_error(fraction):
    arch, mapping = fc_case()
    with pytest.raises(ValueError, match=r"compute_fraction: expected a number in \[0, 1\]"):
        simulate_timing(FC, arch, mapping, compute_fraction=fraction)


def weight_prefetch_case(buffer_bits=None):
    """4 x 8 x 4 (M, C, Q) at 8 bits: 16 steps (M 2 at DRAM; M 2, Q 4 at the buffer) of
    C = 8 MACs in the RF (8 cycles at 1 MAC per cycle). The buffer keeps weights (a tile of
    2 x 8, new every 8 steps) and inputs (8 x 4, fetched once); the RF keeps inputs and outputs;
    DRAM reads and writes 8 bits per cycle, the rest is unlimited."""
    layer = conv(m=4, c=8, q=4)
    arch = small_arch(dram=8)
    if buffer_bits is not None:
        buffer = replace(arch.levels[1], capacity_bits=buffer_bits)
        arch = replace(arch, levels=(arch.levels[0], buffer, *arch.levels[2:]))
    mapping = Mapping(
        (
            LevelMapping("DRAM", loops((Dim.M, 2)), (), ALL),
            LevelMapping(
                "buffer",
                loops((Dim.M, 2), (Dim.Q, 4)),
                (),
                frozenset({DataType.WEIGHTS, DataType.INPUTS}),
            ),
            LevelMapping(
                "rf", loops((Dim.C, 8)), (), frozenset({DataType.INPUTS, DataType.OUTPUTS})
            ),
        )
    )
    return layer, arch, mapping


def test_double_buffered_level_prefetches_over_its_whole_tile_lifetime():
    # First fill: 16 weights + 32 inputs = 384 bits / 8 = 48 cycles. The second weight tile
    # (128 bits: 16 cycles, twice a step's 8) may start as soon as the buffer half it goes to is
    # free -- here at once, both halves being empty -- so it is hidden; each step's output leaves
    # the RF for DRAM (8 bits: 1 cycle) on the write port, only the last one shows.
    layer, arch, mapping = weight_prefetch_case()
    timing = simulate_timing(layer, arch, mapping, macs_per_cycle=1)
    assert timing.cycles == (16 + 32) * 8 // 8 + 16 * 8 + 8 // 8
    assert dict(timing.stalls_by_cause) == {"DRAM.read": 48, "DRAM.write": 1}
    # Single-buffered (384 bits hold one 384-bit tile and no more), the second weight tile waits
    # for step 7 to compute (the buffer holds no output, so no drain to wait for): 16 cycles.
    # With 448 bits, room for half of it (64 bits) beside the tile: 8 cycles before, 8 after.
    for buffer_bits, late_bits in ((384, 128), (384 + 64, 64)):
        layer, arch, mapping = weight_prefetch_case(buffer_bits=buffer_bits)
        single = simulate_timing(layer, arch, mapping, macs_per_cycle=1)
        assert single.cycles == timing.cycles + late_bits // 8
        assert dict(single.stalls_by_cause) == {"DRAM.read": 48 + late_bits // 8, "DRAM.write": 1}


def test_conv_with_generous_bandwidth_runs_at_ideal_cycles_but_for_fill_and_drain():
    layer = conv(m=2, c=2, p=4, q=4, r=3, s=3)
    arch = small_arch(dram=1024, buffer=1024, rf=1024, network=1024)
    mapping = Mapping(
        (
            LevelMapping("DRAM", loops((Dim.P, 4)), (), ALL),
            LevelMapping("buffer", loops((Dim.Q, 4)), loops((Dim.M, 2), axis=Axis.X), ALL),
            LevelMapping("rf", loops((Dim.C, 2), (Dim.R, 3), (Dim.S, 3)), (), ALL),
        )
    )
    timing = simulate_timing(layer, arch, mapping, macs_per_cycle=1)
    assert timing.ideal_cycles == 4 * 4 * 2 * 3 * 3
    # every transfer takes one cycle at most: one for the first fill, one to drain the last tile
    # (rf -> buffer), one for the buffer's outputs to DRAM
    assert timing.cycles == timing.ideal_cycles + timing.stall_cycles
    assert timing.stall_cycles <= 3


def test_seconds_and_breakdown():
    arch, mapping = fc_case()
    timing = simulate_timing(FC, arch, mapping, macs_per_cycle=2)
    assert timing.seconds == timing.cycles / (arch.clock_mhz * 1e6)
    assert timing.cycles == timing.compute_cycles + sum(dict(timing.stalls_by_cause).values())
    assert timing.steps == 4 and timing.cycles_per_step == 4


def test_macs_per_cycle_defaults_to_one_step_per_cycle():
    # a unit's MACs per cycle are the mapping's lane loops, so the engine takes one step a cycle
    arch, mapping = fc_case()
    assert simulate_timing(FC, arch, mapping) == simulate_timing(
        FC, arch, mapping, macs_per_cycle=1
    )


def test_timeloop_alexnet_conv1_bulk_equals_step_by_step():
    from accelsim.arch import load_arch

    arch = load_arch("timeloop_eyeriss_like")
    layer = Layer("conv1", LayerKind.CONV, n=1, m=96, c=3, p=55, q=55, r=11, s=11, h=227, w=227,
                  stride_h=4, stride_w=4, weight_bits=16, input_bits=16, output_bits=16,
                  psum_bits=16)  # fmt: skip
    spad = (
        LevelMapping("ifmap_spad", (), (), frozenset({DataType.INPUTS})),
        LevelMapping("weights_spad", loops((Dim.S, 11)), (), frozenset({DataType.WEIGHTS})),
        LevelMapping("psum_spad", loops((Dim.M, 8)), (), frozenset({DataType.OUTPUTS})),
    )
    mapping = Mapping(
        (
            LevelMapping("DRAM", loops((Dim.P, 55), (Dim.C, 3)), (), ALL),
            LevelMapping("shared_glb", loops((Dim.Q, 55)), loops((Dim.M, 12), axis=Axis.X),
                         frozenset({DataType.INPUTS, DataType.OUTPUTS})),
            LevelMapping("DummyBuffer", (), loops((Dim.R, 11), axis=Axis.Y), frozenset()),
            *spad,
        )
    )  # fmt: skip
    analysis = analyze(layer, arch, mapping)
    timing = simulate_timing(layer, arch, mapping, analysis, macs_per_cycle=1)
    assert timing.ideal_cycles == 55 * 3 * 55 * 11 * 8 == 798_600
    assert timing.steps == 55 * 3 * 55 and timing.sections < 100
    step_by_step = simulate_timing(layer, arch, mapping, analysis, macs_per_cycle=1, bulk=False)
    assert replace(timing, sections=0) == replace(step_by_step, sections=0)
    assert step_by_step.sections == timing.steps
    dram_reads = sum(t.read_bits for t in analysis.traffic if t.level == "DRAM")
    assert timing.cycles >= dram_reads / 64
    assert dict(timing.busy_cycles)["DRAM.read"] >= dram_reads / 64
    # Each (P, C) iteration (55 steps of 88 cycles = 4,840) reads 11,616 weights and 2,497 inputs
    # from DRAM at 4 words per cycle (2,904 + 625 cycles): double-buffered weights_spad and
    # shared_glb prefetch them during the whole previous iteration, so DRAM shows only in the
    # first fill and the last write of 5,280 outputs. ifmap_spad (192 bits) holds one 11-word
    # window, not two, but a Q-step slides it by the stride, 4 words, whose last use is at
    # S = 3, M = 7 (iteration 3 * 8 + 7 of 88): the 4 x 11 new inputs from shared_glb (704 bits
    # at 256 per cycle: 3 cycles) come from cycle 32 of the step before and never wait (they
    # waited 3 cycles per Q-step, 26,730 in all, before the window's dead words could be
    # refilled). What is left: shared_glb's write port serves in program order, so its prefetch
    # (157 cycles for 2,497 inputs; 487 with the 5,280 new outputs at a P-step) starts behind the
    # partial-sum drain of the step before last (1,536 bits: 6 cycles) and ends 6 + 157 - 88 = 75
    # cycles (405 at a P-step) late.
    first_fill = 11_616 * 16 // 64 + ceil(2_497 * 16 / 64)
    c_steps, p_steps = 55 * 2, 54
    glb_prefetch = ceil(2_497 * 16 / 256)
    glb_prefetch_p = ceil((2_497 + 5_280) * 16 / 256)
    assert dict(timing.stalls_by_cause) == {
        "DRAM.read": first_fill,
        "shared_glb.write": c_steps * (6 + glb_prefetch - 88) + p_steps * (6 + glb_prefetch_p - 88),
        "DRAM.write": 5_280 * 16 // 64,
    }
    assert timing.cycles == 798_600 + timing.stall_cycles == 833_569


def test_importing_the_engine_does_not_import_pandas():
    # pandas appears only at the edge (to_frame, reports); the engine is a leaf of the pipeline
    code = "import sys, accelsim.engine; assert 'pandas' not in sys.modules, 'pandas imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
