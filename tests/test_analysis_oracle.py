"""The closed-form access analysis against a brute-force execution of the loop nest.

Hand-written cases first (expected values written as arithmetic), then Hypothesis: random small
layers, architectures and mappings, every count compared with :mod:`oracle_loopnest`.
"""

from __future__ import annotations

from math import prod
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from oracle_loopnest import Nest, OracleCounts, oracle_counts

from accelsim.analysis.counts import Analysis, _resized, analyze
from accelsim.api import evaluate
from accelsim.arch import Arch, Axis, arch_from_dict
from accelsim.errors import ConfigError
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.types import DataType, Dim
from accelsim.workload.layer import Layer, LayerKind

WEIGHTS, INPUTS, OUTPUTS = DataType.WEIGHTS, DataType.INPUTS, DataType.OUTPUTS
ALL = frozenset(DataType)
MAX_MACS = 1000  # keeps the oracle under about 0.1 s per example


# ---- building blocks -------------------------------------------------------------------------
def conv(
    n: int = 1,
    m: int = 1,
    c: int = 1,
    p: int = 1,
    q: int = 1,
    r: int = 1,
    s: int = 1,
    *,
    stride: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    groups: int = 1,
) -> Layer:
    """An unpadded convolution; ``m`` is the total of output channels, ``c`` per group."""
    return Layer(
        name="oracle",
        kind=LayerKind.CONV,
        n=n,
        m=m,
        c=c,
        p=p,
        q=q,
        r=r,
        s=s,
        h=(p - 1) * stride[0] + (r - 1) * dilation[0] + 1,
        w=(q - 1) * stride[1] + (s - 1) * dilation[1] + 1,
        stride_h=stride[0],
        stride_w=stride[1],
        dilation_h=dilation[0],
        dilation_w=dilation[1],
        groups=groups,
    )


def level_dict(name: str, kind: str, keeps: frozenset[DataType]) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "kind": kind, "keeps": sorted(d.value for d in keeps)}
    if kind != "dram":
        spec["capacity_bits"] = 1 << 20
    return spec


def make_arch(levels: list[dict[str, Any]], rows: int = 4, cols: int = 4) -> Arch:
    return arch_from_dict(
        {"name": "oracle", "pe_array": {"rows": rows, "cols": cols}, "levels": levels}
    )


def two_level_arch(keeps: frozenset[DataType] = ALL) -> Arch:
    """DRAM over one shared buffer."""
    return make_arch([level_dict("DRAM", "dram", ALL), level_dict("buffer", "sram", keeps)])


def t(dim: Dim, bound: int) -> Loop:
    return Loop(dim, bound)


def x(dim: Dim, bound: int) -> Loop:
    return Loop(dim, bound, Axis.X)


def y(dim: Dim, bound: int) -> Loop:
    return Loop(dim, bound, Axis.Y)


def level(name: str, temporal=(), spatial=(), keeps=ALL) -> LevelMapping:
    return LevelMapping(name, tuple(temporal), tuple(spatial), frozenset(keeps))


def counts(analysis: Analysis, name: str, data_type: DataType) -> tuple[int, ...]:
    item = analysis.at(name, data_type)
    return (item.instances, item.tile_elements, item.reads, item.fills, item.updates)


def assert_matches_oracle(layer: Layer, arch: Arch, mapping: Mapping) -> None:
    """Every count of every (level, data type) equals the brute-force one."""
    analysis = analyze(layer, arch, mapping)
    expected = oracle_counts(layer, mapping)
    got = {(item.level, item.data_type): item for item in analysis.traffic}
    assert set(got) == set(expected)
    for key, oracle in expected.items():
        item = got[key]
        model = (item.instances, item.tile_elements, item.reads, item.fills, item.updates)
        assert model == _fields(oracle), f"{key}: model {model} != oracle {_fields(oracle)}"
        # The model's shortcut: an instance's first arrivals are exactly what it ever holds.
        assert oracle.first_touches == oracle.held_ever, key


def _fields(oracle: OracleCounts) -> tuple[int, ...]:
    return (oracle.instances, oracle.tile_elements, oracle.reads, oracle.fills, oracle.updates)


# ---- hand-written cases ----------------------------------------------------------------------
def test_sliding_window_fetches_only_new_inputs() -> None:
    # 1-D convolution, P = 5 outputs, R = 3 taps, stride 2: the buffer holds a 3-element window
    # that moves by 2 elements per step of P.
    layer = conv(p=5, r=3, stride=(2, 1))
    mapping = Mapping((level("DRAM", [t(Dim.P, 5)]), level("buffer", [t(Dim.R, 3)])))
    analysis = analyze(layer, two_level_arch(), mapping)
    assert counts(analysis, "buffer", INPUTS) == (1, 3, 5 * 3, 3 + (5 - 1) * 2, 0)
    assert counts(analysis, "DRAM", INPUTS) == (1, (5 - 1) * 2 + 3, 3 + (5 - 1) * 2, 0, 0)
    assert_matches_oracle(layer, two_level_arch(), mapping)


def test_sliding_window_without_overlap_fetches_every_tile() -> None:
    # Stride 3 > R = 2: consecutive windows share nothing (and skip one element between them).
    layer = conv(p=4, r=2, stride=(3, 1))
    mapping = Mapping((level("DRAM", [t(Dim.P, 4)]), level("buffer", [t(Dim.R, 2)])))
    analysis = analyze(layer, two_level_arch(), mapping)
    assert counts(analysis, "buffer", INPUTS) == (1, 2, 4 * 2, 4 * 2, 0)
    assert counts(analysis, "DRAM", INPUTS)[1] == 4 * 2
    assert_matches_oracle(layer, two_level_arch(), mapping)


def test_irrelevant_loop_above_relevant_one_forces_refetch() -> None:
    # The buffer keeps a C-tile of weights (3 elements); above it P (irrelevant to weights) and
    # M (relevant). With P outside M every P step walks M again and reloads every weight tile.
    layer = conv(m=2, c=3, p=4)
    p_outer = Mapping((level("DRAM", [t(Dim.P, 4), t(Dim.M, 2)]), level("buffer", [t(Dim.C, 3)])))
    m_outer = Mapping((level("DRAM", [t(Dim.M, 2), t(Dim.P, 4)]), level("buffer", [t(Dim.C, 3)])))
    arch = two_level_arch()
    assert analyze(layer, arch, p_outer).at("buffer", WEIGHTS).fills == 4 * 2 * 3
    assert analyze(layer, arch, m_outer).at("buffer", WEIGHTS).fills == 2 * 3
    assert_matches_oracle(layer, arch, p_outer)
    assert_matches_oracle(layer, arch, m_outer)


def test_multicast_counts_once_at_the_source() -> None:
    # M spread over 4 PEs: the 4 register files all need the same inputs, read once per step.
    layer = conv(m=4, c=2, p=3)
    arch = make_arch(
        [
            level_dict("DRAM", "dram", ALL),
            level_dict("buffer", "sram", ALL),
            level_dict("rf", "regfile", ALL),
        ]
    )
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.P, 3)]),
            level("buffer", spatial=[x(Dim.M, 4)]),
            level("rf", [t(Dim.C, 2)]),
        )
    )
    analysis = analyze(layer, arch, mapping)
    assert counts(analysis, "rf", INPUTS) == (4, 2, 4 * 3 * 2, 4 * 3 * 2, 0)
    assert analysis.at("buffer", INPUTS).reads == 3 * 2
    # Weights do not depend on P: each PE loads its 2 weights once, no weight is shared.
    assert counts(analysis, "rf", WEIGHTS) == (4, 2, 4 * 3 * 2, 4 * 2, 0)
    assert analysis.at("buffer", WEIGHTS).reads == 4 * 2
    assert_matches_oracle(layer, arch, mapping)


def test_spatial_reduction_counts_once() -> None:
    # C spread over 4 PEs, each PE adds one term into the same output: one update per output.
    layer = conv(c=4, p=3)
    arch = make_arch(
        [
            level_dict("DRAM", "dram", ALL),
            level_dict("buffer", "sram", ALL),
            level_dict("rf", "regfile", ALL),
        ]
    )
    mapping = Mapping(
        (level("DRAM", [t(Dim.P, 3)]), level("buffer", spatial=[y(Dim.C, 4)]), level("rf"))
    )
    analysis = analyze(layer, arch, mapping)
    # Every output arrives at each register file once and is never read back: reads 4*3 - 4*3.
    assert counts(analysis, "rf", OUTPUTS) == (4, 1, 0, 4 * 3, 4 * 3)
    assert counts(analysis, "buffer", OUTPUTS) == (1, 1, 0, 3, 3)
    assert counts(analysis, "DRAM", OUTPUTS) == (1, 3, 0, 0, 3)
    assert_matches_oracle(layer, arch, mapping)


def test_partial_sums_are_read_back_after_the_first_pass() -> None:
    # C between the two P loops at DRAM: the buffer's 2-output tile leaves at every P step and
    # comes back at every later C step; the first pass (C = 0) starts from zero, the other two
    # read the partial sums back from DRAM.
    layer = conv(c=3, p=4)
    mapping = Mapping((level("DRAM", [t(Dim.C, 3), t(Dim.P, 2)]), level("buffer", [t(Dim.P, 2)])))
    analysis = analyze(layer, two_level_arch(), mapping)
    assert counts(analysis, "buffer", OUTPUTS) == (1, 2, 3 * 4 - 4, 3 * 2 * 2, 3 * 4)
    assert counts(analysis, "DRAM", OUTPUTS) == (1, 4, (3 - 1) * 4, 0, 3 * 4)
    assert_matches_oracle(layer, two_level_arch(), mapping)


def test_outputs_stay_while_an_irrelevant_loop_runs_above() -> None:
    # C (irrelevant to outputs) is the only loop above the buffer: its 4 outputs stay put.
    layer = conv(c=3, p=4)
    mapping = Mapping((level("DRAM", [t(Dim.C, 3)]), level("buffer", [t(Dim.P, 4)])))
    analysis = analyze(layer, two_level_arch(), mapping)
    assert counts(analysis, "buffer", OUTPUTS) == (1, 4, 3 * 4 - 4, 4, 3 * 4)
    assert counts(analysis, "DRAM", OUTPUTS) == (1, 4, 0, 0, 4)
    assert_matches_oracle(layer, two_level_arch(), mapping)


def test_grouped_dilated_convolution() -> None:
    layer = conv(m=4, c=2, p=2, q=2, r=2, s=2, dilation=(2, 1), groups=2)
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.G, 2), t(Dim.Q, 2)]),
            level("buffer", [t(Dim.C, 2), t(Dim.M, 2), t(Dim.R, 2), t(Dim.P, 2), t(Dim.S, 2)]),
        )
    )
    analysis = analyze(layer, two_level_arch(), mapping)
    # Inputs per (group, Q step): 2 channels x rows {0, 1, 2, 3} x columns {q, q+1}.
    assert analysis.at("buffer", INPUTS).tile_elements == 2 * 4 * 2
    assert analysis.at("buffer", INPUTS).fills == 2 * (2 * 4 * 2 + 2 * 4 * 1)
    assert_matches_oracle(layer, two_level_arch(), mapping)


def test_timeloop_alexnet_conv1_scaled_down() -> None:
    # The Eyeriss-like CONV1 mapping of Timeloop's exercises with every bound shrunk:
    # P 55 -> 5, C 3 -> 2, Q 55 -> 4, M 12 x 8 -> 4 x 2, R = S 11 -> 3, stride 4 -> 2.
    layer = conv(m=8, c=2, p=5, q=4, r=3, s=3, stride=(2, 2))
    arch = make_arch(
        [
            level_dict("DRAM", "dram", ALL),
            level_dict("shared_glb", "sram", frozenset({INPUTS, OUTPUTS})),
            level_dict("DummyBuffer", "sram", frozenset()),
            level_dict("ifmap_spad", "regfile", frozenset({INPUTS})),
            level_dict("weights_spad", "regfile", frozenset({WEIGHTS})),
            level_dict("psum_spad", "regfile", frozenset({OUTPUTS})),
        ],
        rows=12,
        cols=14,
    )
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.P, 5), t(Dim.C, 2)]),
            level("shared_glb", [t(Dim.Q, 4)], [x(Dim.M, 4)], {INPUTS, OUTPUTS}),
            level("DummyBuffer", [], [y(Dim.R, 3)], ()),
            level("ifmap_spad", keeps={INPUTS}),
            level("weights_spad", [t(Dim.S, 3)], keeps={WEIGHTS}),
            level("psum_spad", [t(Dim.M, 2)], keeps={OUTPUTS}),
        )
    )
    analysis = analyze(layer, arch, mapping)
    pes = 4 * 3
    # Weights (S x M-inner = 6 per PE) are reloaded at every (P, C) step; Q inside is irrelevant.
    assert counts(analysis, "weights_spad", WEIGHTS) == (pes, 3 * 2, layer.macs, pes * 5 * 2 * 6, 0)
    # Each PE's input row of S = 3 elements slides by stride 2 along Q: 3 + 2 + 2 + 2 per pass.
    assert analysis.at("ifmap_spad", INPUTS).fills == pes * 5 * 2 * (3 + (4 - 1) * 2)
    # Outputs: C = 2 passes over each output; the first pass reads nothing back.
    assert counts(analysis, "DRAM", OUTPUTS) == (1, 8 * 5 * 4, 0, 0, 8 * 5 * 4)
    assert analysis.at("shared_glb", OUTPUTS).reads == (2 - 1) * 8 * 5 * 4
    assert_matches_oracle(layer, arch, mapping)


def test_only_final_outputs_reach_dram_at_the_output_width() -> None:
    # The layer's outputs are 8-bit, its partial sums 32-bit (Layer's defaults). With the whole
    # reduction (C) inside the buffer, DRAM receives each output once, final, at 8 bits; with C
    # at DRAM, partial sums go out and come back: every DRAM output access is 32 bits.
    layer = conv(m=2, c=3, p=4)
    assert (layer.output_bits, layer.psum_bits) == (8, 32)
    final = Mapping((level("DRAM", [t(Dim.M, 2)]), level("buffer", [t(Dim.C, 3), t(Dim.P, 4)])))
    analysis = analyze(layer, two_level_arch(), final)
    dram, buffer = analysis.at("DRAM", OUTPUTS), analysis.at("buffer", OUTPUTS)
    assert (dram.reads, dram.updates, dram.element_bits) == (0, 2 * 4, 8)
    assert dram.write_bits == 2 * 4 * 8
    assert buffer.element_bits == 32
    spill = Mapping((level("DRAM", [t(Dim.C, 3), t(Dim.M, 2)]), level("buffer", [t(Dim.P, 4)])))
    dram = analyze(layer, two_level_arch(), spill).at("DRAM", OUTPUTS)
    assert (dram.reads, dram.updates, dram.element_bits) == ((3 - 1) * 2 * 4, 3 * 2 * 4, 32)
    assert_matches_oracle(layer, two_level_arch(), spill)


def test_lanes_inside_a_pe_count_as_macs_not_as_array_traffic() -> None:
    # 2 PEs along X (one output channel each), 2 lanes per PE summing C = 2, P = 4 steps in time.
    layer = conv(m=2, c=2, p=4)
    arch = make_arch(
        [
            level_dict("DRAM", "dram", ALL),
            level_dict("buffer", "sram", ALL),
            level_dict("rf", "regfile", frozenset({WEIGHTS})),
        ]
    )
    lanes = Loop(Dim.C, 2, Axis.LANE)
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.P, 4)]),
            level("buffer", [], [x(Dim.M, 2)]),
            level("rf", [], [lanes], {WEIGHTS}),
        )
    )
    analysis = analyze(layer, arch, mapping)
    assert (analysis.temporal_steps, analysis.used_pes, analysis.lanes) == (4, 2, 2)
    assert analysis.padded_macs == 4 * 2 * 2 == layer.macs
    # each lane reads its weight at every MAC; each PE is filled with its 2 weights once
    assert counts(analysis, "rf", WEIGHTS)[1:] == (2, 4 * 2 * 2, 2 * 2, 0)
    links = {link.data_type: link.elements for link in analysis.links}
    assert links[WEIGHTS] == 2 * 2  # once per PE
    assert links[INPUTS] == 2 * 2 * 4  # each PE its 2 inputs per step (multicast at the buffer)
    # the lanes' products meet in one psum inside the PE: one output per PE per step goes up,
    # and nothing comes down (C is complete inside the PE)
    assert links[OUTPUTS] == 2 * 4 + 0


# ---- random cases ----------------------------------------------------------------------------
@st.composite
def small_layers(draw: st.DrawFn) -> Layer:
    """A layer of at most MAX_MACS MACs; sizes drawn in a random order so none is favoured."""
    names = draw(st.permutations(["n", "groups", "m", "c", "p", "q", "r", "s"]))
    sizes: dict[str, int] = {}
    for name in names:
        room = MAX_MACS // prod(sizes.values())
        top = 2 if name == "groups" else (5 if name in "pq" else 4)
        sizes[name] = draw(st.integers(1, max(1, min(top, room))))
    return conv(
        n=sizes["n"],
        m=sizes["m"] * sizes["groups"],
        c=sizes["c"],
        p=sizes["p"],
        q=sizes["q"],
        r=sizes["r"],
        s=sizes["s"],
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        groups=sizes["groups"],
    )


@st.composite
def small_archs(draw: st.DrawFn) -> Arch:
    """DRAM, 0-2 shared buffers, 0-3 per-PE register files; keeps drawn at random."""
    keeps = st.frozensets(st.sampled_from(list(DataType)))
    levels = [level_dict("DRAM", "dram", ALL)]
    for i in range(draw(st.integers(0, 2))):
        levels.append(level_dict(f"buffer{i}", "sram", draw(keeps)))
    for i in range(draw(st.integers(0, 3))):
        levels.append(level_dict(f"rf{i}", "regfile", draw(keeps)))
    return make_arch(levels, rows=draw(st.integers(1, 4)), cols=draw(st.integers(1, 4)))


def prime_factors(value: int) -> list[int]:
    factors, divisor = [], 2
    while value > 1:
        while value % divisor == 0:
            factors.append(divisor)
            value //= divisor
        divisor += 1
    return factors


def covering_factors(draw: st.DrawFn, bound: int) -> list[int]:
    """Two factors whose product covers ``bound`` without dividing it in general: f and
    ceil(bound / f), so the last tile of the dimension is clipped."""
    first = draw(st.integers(1, bound))
    return [first, -(-bound // first)]


@st.composite
def small_mappings(
    draw: st.DrawFn,
    layer: Layer,
    arch: Arch,
    *,
    imperfect: bool = False,
    spatial_clips: bool = True,
) -> Mapping:
    """Each bound's prime factors spread over random (level, temporal or spatial axis) slots.

    Spatial slots exist only at shared levels, and only while the axis has room; the loops of a
    level come in a random order, with the odd bound-1 loop thrown in (the nest ignores them).
    ``imperfect``: some dimensions get covering factors instead (see :func:`covering_factors`),
    while the nest stays under ``4 * MAX_MACS`` iterations; ``spatial_clips=False`` keeps such
    dimensions off the array (temporal loops only).
    """
    shared = arch.first_pe_level
    slots: dict[tuple[int, Axis | None, int, Dim], int] = {}
    extent = {Axis.X: 1, Axis.Y: 1}
    iterations = layer.macs
    for dim, bound in layer.loop_bounds.items():
        factors = prime_factors(bound)
        clipped = False
        if imperfect and bound > 2 and draw(st.booleans()):
            covering = covering_factors(draw, bound)
            if iterations // bound * prod(covering) <= 4 * MAX_MACS:
                factors, iterations = covering, iterations // bound * prod(covering)
                clipped = prod(covering) > bound
        for factor in factors:
            index = draw(st.integers(0, len(arch.levels) - 1))
            axes = [None, Axis.X, Axis.Y] if index < shared else [None]
            if clipped and not spatial_clips:
                axes = [None]
            axis = draw(st.sampled_from(axes))
            if axis is not None and extent[axis] * factor > arch.pe_array.size(axis):
                axis = None
            if axis is not None:
                extent[axis] *= factor
            key = (index, axis, draw(st.integers(0, 1)), dim)
            slots[key] = slots.get(key, 1) * factor
    levels = []
    for index, arch_level in enumerate(arch.levels):
        loops = [Loop(dim, bound, axis) for (i, axis, _, dim), bound in slots.items() if i == index]
        if draw(st.integers(0, 4)) == 0:
            loops.append(Loop(draw(st.sampled_from(list(Dim))), 1))
        loops = draw(st.permutations(loops))
        allowed = sorted(arch_level.keeps)
        keeps = ALL if index == 0 else draw(st.sets(st.sampled_from(allowed))) if allowed else ()
        levels.append(
            LevelMapping(
                arch_level.name,
                tuple(loop for loop in loops if not loop.spatial),
                tuple(loop for loop in loops if loop.spatial),
                frozenset(keeps),
            )
        )
    return Mapping(tuple(levels))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Layer, Arch, Mapping]:
    layer = draw(small_layers())
    arch = draw(small_archs())
    return layer, arch, draw(small_mappings(layer, arch))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_analysis_matches_brute_force_nest(case: tuple[Layer, Arch, Mapping]) -> None:
    assert_matches_oracle(*case)


# ---- factors that do not divide: the oracle clips ---------------------------------------------
@st.composite
def imperfect_cases(draw: st.DrawFn) -> tuple[Layer, Arch, Mapping]:
    layer = draw(small_layers())
    arch = draw(small_archs())
    return layer, arch, draw(small_mappings(layer, arch, imperfect=True))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imperfect_cases())
def test_the_oracle_clips_non_dividing_factors(case: tuple[Layer, Arch, Mapping]) -> None:
    # The clipped nest runs the layer's MACs exactly, and the outermost level's tile is each
    # whole tensor exactly (sizes by direct enumeration of the layer, not of the nest).
    layer, _, mapping = case
    assert Nest(layer, mapping).macs() == layer.macs
    found = oracle_counts(layer, mapping)
    top = mapping.levels[0].level
    h, w = (layer.stride_h, layer.dilation_h), (layer.stride_w, layer.dilation_w)
    rows = {p * h[0] + r * h[1] for p in range(layer.p) for r in range(layer.r)}
    cols = {q * w[0] + s * w[1] for q in range(layer.q) for s in range(layer.s)}
    channels = layer.groups * layer.c
    outputs = layer.n * layer.m * layer.p * layer.q
    assert found[top, WEIGHTS].tile_elements == layer.m * layer.c * layer.r * layer.s
    assert found[top, INPUTS].tile_elements == layer.n * channels * len(rows) * len(cols)
    assert found[top, OUTPUTS].tile_elements == outputs
    assert found[top, OUTPUTS].updates >= outputs  # every output arrives at least once


# P = 5 covered by 2 x 3 (the last P-tile has 2 outputs, not 3), R = 3 taps, stride 1: the
# buffer holds rows p..p+4 of the input; the clipped second tile needs rows 3..6, of which 3
# and 4 are still held: 5 + 2 = 7 fills, every input row once. Padding would fetch row 7 too.
CLIPPED_LAYER = conv(p=5, r=3)
CLIPPED_MAPPING = Mapping(
    (level("DRAM", [t(Dim.P, 2)]), level("buffer", [t(Dim.P, 3), t(Dim.R, 3)]))
)


def test_the_oracle_clips_the_last_tile_by_hand() -> None:
    found = oracle_counts(CLIPPED_LAYER, CLIPPED_MAPPING)
    assert Nest(CLIPPED_LAYER, CLIPPED_MAPPING).macs() == 5 * 3
    assert found["buffer", INPUTS].fills == 5 + 2 == CLIPPED_LAYER.h
    assert found["buffer", INPUTS].tile_elements == 3 + 3 - 1
    assert found["buffer", OUTPUTS].fills == 3 + 2
    assert found["DRAM", OUTPUTS].updates == 5


def test_the_analysis_clips_the_last_tile() -> None:
    # Padding would count 2 x 3 x 3 = 18 MACs, 5 + 3 = 8 input fills and 6 output updates.
    analysis = analyze(CLIPPED_LAYER, two_level_arch(), CLIPPED_MAPPING)
    assert (analysis.padded_macs, analysis.temporal_steps) == (5 * 3, 5 * 3)
    assert analysis.at("buffer", INPUTS).fills == 5 + 2
    assert analysis.at("buffer", INPUTS).tile_elements == 3 + 3 - 1
    assert analysis.at("buffer", OUTPUTS).fills == 3 + 2
    assert analysis.at("DRAM", OUTPUTS).updates == 5
    assert_matches_oracle(CLIPPED_LAYER, two_level_arch(), CLIPPED_MAPPING)


def test_empty_outer_steps_do_not_happen() -> None:
    # P = 5 covered by 4 x 2: the outer P loop's index 3 would start at output 6, past the
    # layer, so it never runs: 3 steps of 2, 2 and 1 outputs. C = 3 inside the buffer as 2 x 2
    # (the second C step has 1 channel). Weights (C x R = 3 x 2) stay in the buffer: 6 fills.
    layer = conv(c=3, p=5, r=2)
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.P, 4), t(Dim.C, 2)]),
            level("buffer", [t(Dim.C, 2), t(Dim.P, 2), t(Dim.R, 2)]),
        )
    )
    analysis = analyze(layer, two_level_arch(), mapping)
    assert analysis.temporal_steps == layer.macs == 3 * 5 * 2
    # the buffer's weights: (C 2 x R 2) then (C 1 x R 2), at each of the 3 P steps
    assert analysis.at("buffer", WEIGHTS).fills == 3 * (2 * 2 + 1 * 2)
    # outputs: the buffer keeps its P-tile over both C steps (C is irrelevant to outputs), so
    # each of the 5 outputs reaches DRAM once, final; padding would send 4 x 2 = 8
    assert (analysis.at("DRAM", OUTPUTS).updates, analysis.at("DRAM", OUTPUTS).reads) == (5, 0)
    assert_matches_oracle(layer, two_level_arch(), mapping)


@st.composite
def clipped_cases(draw: st.DrawFn) -> tuple[Layer, Arch, Mapping]:
    layer = draw(small_layers())
    arch = draw(small_archs())
    return layer, arch, draw(small_mappings(layer, arch, imperfect=True, spatial_clips=False))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clipped_cases())
def test_analysis_clips_non_dividing_temporal_factors(case: tuple[Layer, Arch, Mapping]) -> None:
    layer, arch, mapping = case
    assert analyze(layer, arch, mapping).padded_macs == layer.macs
    assert_matches_oracle(layer, arch, mapping)


def test_uneven_unrolling_is_refused_with_one_clear_error() -> None:
    # P = 5 over 2 PEs along X and M = 3 over 2 along Y, both overshooting: not counted,
    # refused naming the first loop and the reason.
    layer = conv(m=3, p=5)
    arch = make_arch(
        [
            level_dict("DRAM", "dram", ALL),
            level_dict("buffer", "sram", ALL),
            level_dict("rf", "regfile", ALL),
        ]
    )
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.P, 3), t(Dim.M, 2)]),
            level("buffer", spatial=[x(Dim.P, 2), y(Dim.M, 2)]),
            level("rf"),
        )
    )
    with pytest.raises(
        ConfigError,
        match=r"buffer.spatial .*: expected spatial factors of P dividing its size 5, or: one "
        "overshooting spatial loop",
    ):
        analyze(layer, arch, mapping)


def test_clipped_counts_cost_no_more_than_the_loops() -> None:
    # P = 10^12 + 1 outputs of a 3-tap 1-D convolution, as 10^6 + 1 DRAM steps of 10^6 (the
    # last has 1 output): each input row (P + 3 - 1) reaches the buffer once, each output once,
    # the 3 weights stay. Per-element work would never finish; the closed forms take the loops.
    size = 10**12 + 1
    layer = conv(p=size, r=3)
    mapping = Mapping(
        (level("DRAM", [t(Dim.P, 10**6 + 1)]), level("buffer", [t(Dim.P, 10**6), t(Dim.R, 3)]))
    )
    analysis = analyze(layer, two_level_arch(), mapping)
    assert analysis.padded_macs == analysis.temporal_steps == 3 * size
    assert counts(analysis, "buffer", INPUTS) == (1, 10**6 + 3 - 1, 3 * size, size + 3 - 1, 0)
    assert counts(analysis, "buffer", OUTPUTS) == (1, 10**6, 3 * size - size, size, 3 * size)
    assert counts(analysis, "DRAM", OUTPUTS) == (1, size, 0, 0, size)
    assert analysis.at("buffer", WEIGHTS).fills == 3


def test_clipped_strided_window_keeps_what_it_holds() -> None:
    # Rows 2p + 2r (stride 2, dilation 2, R = 2), P = 5 as 2 x 3: the first tile needs rows
    # {0, 2, 4, 6}, the clipped second one (outputs 3, 4) {6, 8, 10}, of which 6 is held:
    # 4 + 2 fills, each even row once. Padding would fetch row 12 as well.
    layer = conv(p=5, r=2, stride=(2, 1), dilation=(2, 1))
    mapping = Mapping((level("DRAM", [t(Dim.P, 2)]), level("buffer", [t(Dim.P, 3), t(Dim.R, 2)])))
    analysis = analyze(layer, two_level_arch(), mapping)
    assert counts(analysis, "buffer", INPUTS)[1:4] == (4, 5 * 2, 4 + 2)
    assert_matches_oracle(layer, two_level_arch(), mapping)


# ---- uneven unrolling: a spatial factor that overshoots ----------------------------------------
def test_uneven_unrolling_last_pe_takes_a_shorter_strip() -> None:
    # P = 5 over 2 PEs (x) x 3 steps in the PE: PE 0 computes outputs 0-2, PE 1 outputs 3-4 and
    # idles in its third step. M = 2 at DRAM, C = 2 in the PE.
    arch = make_arch(
        [
            level_dict("DRAM", "dram", ALL),
            level_dict("buffer", "sram", ALL),
            level_dict("rf", "regfile", ALL),
        ]
    )
    layer = conv(p=5, m=2, c=2)
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.M, 2)]),
            level("buffer", spatial=[x(Dim.P, 2)]),
            level("rf", [t(Dim.C, 2), t(Dim.P, 3)]),
        )
    )
    analysis = analyze(layer, arch, mapping)
    # the array runs M 2 x C 2 x P 3 steps on 2 PEs: 24 MAC slots for 20 MACs (utilization as is)
    assert (analysis.temporal_steps, analysis.used_pes) == (2 * 2 * 3, 2)
    assert analysis.padded_macs == 24 > layer.macs == 2 * 2 * 5
    # each PE needs the 2 weights (C) of each M: 2 PEs x 2 x 2 fills, served once each (union)
    assert counts(analysis, "rf", WEIGHTS) == (2, 2, 20, 2 * 2 * 2, 0)
    assert counts(analysis, "buffer", WEIGHTS)[2] == 2 * 2
    # inputs (C x P): PE 0 holds 2 x 3, PE 1 2 x 2, kept over both M steps (M is irrelevant)
    assert counts(analysis, "rf", INPUTS) == (2, 2 * 3, 20, 2 * 3 + 2 * 2, 0)
    assert counts(analysis, "buffer", INPUTS)[2] == 2 * 3 + 2 * 2
    # outputs: 10 (M x P) arrive in the PEs once each, leave once each
    assert counts(analysis, "buffer", OUTPUTS)[2:] == (0, 10, 10)
    links = {link.data_type: link.elements for link in analysis.links}
    assert links == {WEIGHTS: 8, INPUTS: 10, OUTPUTS: 10 * 2 - 10}
    assert_matches_oracle(layer, arch, mapping)
    # the mapping check accepts it, and the engine (unlimited bandwidth here) takes the busiest
    # PE's 2 x 2 x 3 steps, PE 1's idle third P step included; 20 MACs on 4 x 4 PEs
    result = evaluate(arch, layer, mapping)
    assert result.cycles == 2 * 2 * 3
    assert result.utilization == 20 / (12 * 16)


def test_uneven_unrolling_of_output_channels() -> None:
    # M = 10 over 4 PEs x 3 in the PE: PEs 0-2 take 3 channels, PE 3 one (docs/mapping_format.md).
    # C = 2 in the PE, P = 3 at DRAM.
    arch = make_arch(
        [
            level_dict("DRAM", "dram", ALL),
            level_dict("buffer", "sram", ALL),
            level_dict("rf", "regfile", ALL),
        ]
    )
    layer = conv(m=10, c=2, p=3)
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.P, 3)]),
            level("buffer", spatial=[x(Dim.M, 4)]),
            level("rf", [t(Dim.M, 3), t(Dim.C, 2)]),
        )
    )
    analysis = analyze(layer, arch, mapping)
    assert analysis.temporal_steps == 3 * 3 * 2
    assert analysis.padded_macs == 18 * 4 > layer.macs == 10 * 2 * 3
    # every weight (M x C) reaches its PE once: 3 x (3 x 2) + 1 x 2; the largest tile 3 x 2
    assert counts(analysis, "rf", WEIGHTS)[:4] == (4, 3 * 2, 60, 3 * 3 * 2 + 1 * 2)
    # each of the 4 PEs needs the 2 inputs of each P step; the buffer multicasts them
    assert counts(analysis, "rf", INPUTS)[3] == 4 * 2 * 3
    assert counts(analysis, "buffer", INPUTS)[2] == 2 * 3
    # the 30 outputs (M x P) arrive in the PEs once and leave once
    assert counts(analysis, "rf", OUTPUTS)[3] == counts(analysis, "buffer", OUTPUTS)[4] == 30
    assert_matches_oracle(layer, arch, mapping)


def _nest_loops(mapping: Mapping) -> list[Loop]:
    """The nest outermost first: each level's temporal loops then its spatial ones (bound > 1)."""
    return [loop for lv in mapping.levels for loop in (*lv.temporal, *lv.spatial) if loop.bound > 1]


def _unevenable(layer: Layer, mapping: Mapping) -> list[tuple[Dim, int]]:
    """(dim, loop extent) of the dimensions with one array-axis spatial loop and no temporal
    loop of theirs above it, sharing no input coordinate with a window dimension above 1."""
    partners = {Dim.P: Dim.R, Dim.R: Dim.P, Dim.Q: Dim.S, Dim.S: Dim.Q}
    nest = _nest_loops(mapping)
    found = []
    for dim, bound in layer.loop_bounds.items():
        spatial = [i for i, loop in enumerate(nest) if loop.dim is dim and loop.spatial]
        if len(spatial) != 1 or nest[spatial[0]].axis is Axis.LANE:
            continue
        if any(loop.dim is dim for loop in nest[: spatial[0]]):
            continue
        if dim in partners and layer.loop_bounds[partners[dim]] > 1:
            continue
        found.append((dim, bound))
    return found


@st.composite
def cut_cases(draw: st.DrawFn, options) -> tuple[Layer, Arch, Mapping]:
    """A random case (:func:`clipped_cases`) whose layer is cut, in one of the (dimension,
    extent) pairs ``options(layer, mapping)`` offers, below that extent; nothing is cut when it
    offers none."""
    layer, arch, mapping = draw(clipped_cases())
    found = options(layer, mapping)
    if found:
        dim, extent = draw(st.sampled_from(found))
        layer = _resized(layer, dim, draw(st.integers(1, extent - 1)))
    return layer, arch, mapping


def uneven_cases() -> st.SearchStrategy[tuple[Layer, Arch, Mapping]]:
    """A random case whose mapping spreads a dimension over the array with one spatial loop and
    nothing of it above; the layer's size of that dimension is then cut below the loops' extent
    (the last busy PE takes a shorter strip, those after it idle). Other dimensions may overshoot
    on temporal loops (:func:`clipped_cases`); nothing is cut when no dimension qualifies."""
    return cut_cases(_unevenable)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uneven_cases())
def test_analysis_counts_uneven_unrolling_exactly(case: tuple[Layer, Arch, Mapping]) -> None:
    layer, arch, mapping = case
    spread = any(
        loop.spatial and size < mapping.bound(loop.dim)
        for _, loop in mapping.loops()
        for dim, size in layer.loop_bounds.items()
        if dim is loop.dim
    )
    event("uneven" if spread else "even")
    assert analyze(layer, arch, mapping).padded_macs >= layer.macs
    assert_matches_oracle(layer, arch, mapping)
