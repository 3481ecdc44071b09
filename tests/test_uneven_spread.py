"""Uneven spatial unrolling in general (accelsim.analysis.spread) against the brute-force nest:
temporal loops of the spread dimension above the spread loop (PEs idle in the last pass keep
their tile), input windows overlapping across PEs of different widths, and a hand case."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from oracle_loopnest import oracle_counts
from test_analysis_oracle import (
    ALL,
    INPUTS,
    MAX_MACS,
    OUTPUTS,
    WEIGHTS,
    _nest_loops,
    assert_matches_oracle,
    clipped_cases,
    conv,
    counts,
    cut_cases,
    level,
    level_dict,
    make_arch,
    t,
    x,
    y,
)
from test_eyeriss_chip import latency_ms, measured
from test_timeloop_counting import three_level_arch

import accelsim
from accelsim.analysis.counts import _resized, analyze
from accelsim.api import evaluate
from accelsim.arch import Arch, Axis
from accelsim.errors import ConfigError
from accelsim.mapping.model import Loop, Mapping
from accelsim.mapping.validate import uneven_spread
from accelsim.types import DataType, Dim
from accelsim.workload.layer import Layer


def _spreadable(layer: Layer, mapping: Mapping) -> list[tuple[Dim, int]]:
    """(dim, loop extent) of the dimensions with exactly one array-axis spatial loop."""
    nest = _nest_loops(mapping)
    found = []
    for dim, bound in layer.loop_bounds.items():
        spatial = [loop for loop in nest if loop.dim is dim and loop.spatial]
        if len(spatial) == 1 and spatial[0].axis is not Axis.LANE:
            found.append((dim, bound))
    return found


def spread_cases() -> st.SearchStrategy[tuple[Layer, Arch, Mapping]]:
    """A random case (:func:`clipped_cases`) whose layer is cut, in one dimension spread over
    the array by one spatial loop, below its loops' extent: whatever else the nest holds
    (temporal loops of it above or below the spread loop, windows across the PEs)."""
    return cut_cases(_spreadable)


def _keeps_below(mapping: Mapping, index: int, data_type: DataType) -> int:
    """The first level below ``index`` keeping ``data_type`` (0 when none: the MACs)."""
    below = range(index + 1, len(mapping.levels))
    return next((i for i in below if data_type in mapping.levels[i].keeps), 0)


def _shape(layer: Layer, mapping: Mapping) -> str:
    """The event of a case: its spread loop with passes above ("outer"), with a loop of its
    dimension between it and a level below keeping a data type ("between"), with overlapping
    windows ("window") or a plain strip."""
    nest = [(i, loop) for i, lv in enumerate(mapping.levels) for loop in lv.loops if loop.bound > 1]
    for at, (index, loop) in enumerate(nest):
        if loop.spatial and layer.loop_bounds[loop.dim] < mapping.bound(loop.dim):
            outer = any(other.dim is loop.dim for _, other in nest[:at])
            partners = {Dim.P: Dim.R, Dim.R: Dim.P, Dim.Q: Dim.S, Dim.S: Dim.Q}
            partner = partners.get(loop.dim)
            window = partner is not None and layer.loop_bounds[partner] > 1
            between = any(
                other.dim is loop.dim and _keeps_below(mapping, index, data_type) > level
                for level, other in nest[at + 1 :]
                for data_type in ALL
                if level > index
            )
            return (
                ("outer " if outer else "")
                + ("between " if between else "")
                + ("window" if window else "strip")
            )
    return "even"


def assert_counted_or_refused(layer: Layer, arch: Arch, mapping: Mapping) -> None:
    """An uneven mapping the analysis refuses raises the clear error; one it counts issues at
    least the layer's MACs and equals the brute-force nest count for count."""
    spread = uneven_spread(layer, arch, mapping)
    if spread is not None and spread[2]:
        event("refused: " + spread[2][0].split(" (")[0])
        with pytest.raises(ConfigError, match="expected spatial factors of"):
            analyze(layer, arch, mapping)
        return
    event(_shape(layer, mapping))
    assert analyze(layer, arch, mapping).padded_macs >= layer.macs
    assert_matches_oracle(layer, arch, mapping)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spread_cases())
def test_uneven_unrolling_in_general_matches_the_nest(case: tuple[Layer, Arch, Mapping]) -> None:
    assert_counted_or_refused(*case)


@st.composite
def outer_cases(draw: st.DrawFn) -> tuple[Layer, Arch, Mapping]:
    """A random case whose mapping spreads a dimension D over the array with a temporal loop of
    D above the spread loop (the passes), maybe one below it, and its layer's D cut so that the
    last pass leaves some PEs idle or short; D is drawn among P, Q, R, S half the time
    (overlapping input windows when the partner dimension is above 1)."""
    layer, arch, mapping = draw(clipped_cases())
    shared = arch.first_pe_level
    assume(shared >= 1)  # a shared level to spread from
    dim = draw(st.sampled_from([Dim.P, Dim.Q, Dim.R, Dim.S] if draw(st.booleans()) else list(Dim)))
    passes, pes, inner = draw(st.integers(2, 3)), draw(st.integers(2, 4)), draw(st.integers(1, 2))
    extent = passes * pes * inner
    assume(layer.macs // layer.loop_bounds[dim] * extent <= 2 * MAX_MACS)
    assume(all(layer.loop_bounds[d] <= mapping.bound(d) for d in Dim if d is not dim))
    spread_level = draw(st.integers(0, shared - 1))
    axis = draw(st.sampled_from([Axis.X, Axis.Y]))
    levels = [
        replace(
            lv,
            temporal=tuple(loop for loop in lv.temporal if loop.dim is not dim),
            spatial=tuple(loop for loop in lv.spatial if loop.dim is not dim),
        )
        for lv in mapping.levels
    ]
    placements = [
        (draw(st.integers(0, spread_level)), Loop(dim, passes)),
        (spread_level, Loop(dim, pes, axis)),
        (draw(st.integers(spread_level, len(levels) - 1)), Loop(dim, inner)),
    ]
    for index, loop in placements:
        lv = levels[index]
        if loop.spatial:
            spatial = list(lv.spatial)
            spatial.insert(draw(st.integers(0, len(spatial))), loop)
            levels[index] = replace(lv, spatial=tuple(spatial))
        else:
            temporal = list(lv.temporal)
            temporal.insert(draw(st.integers(0, len(temporal))), loop)
            levels[index] = replace(lv, temporal=tuple(temporal))
    size = draw(st.integers((passes - 1) * pes * inner + 1, extent - 1))
    return _resized(layer, dim, size), arch, Mapping(tuple(levels))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(outer_cases())
def test_idle_pes_of_the_last_pass_keep_their_tiles(case: tuple[Layer, Arch, Mapping]) -> None:
    layer, arch, mapping = case
    assert uneven_spread(layer, arch, mapping) is not None
    assert_counted_or_refused(layer, arch, mapping)


# ---- by hand ---------------------------------------------------------------------------------


def test_windows_of_a_pe_holding_two_rows_per_pass() -> None:
    # P = 10 as 3 passes x 2 PEs x 2 rows in the PE, R = 3: PE b holds rows 4 o + 2 b + [0, 4)
    # per pass (no layer's stride gives that sequence), PE 1 idles in the last pass. Its input
    # fills: PE 0 4 + 4 + 4 (its windows 4 rows apart never overlap), PE 1 4 + 4.
    layer = conv(p=10, r=3)
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.P, 3)]),
            level("buffer", spatial=[x(Dim.P, 2)]),
            level("rf", [t(Dim.P, 2), t(Dim.R, 3)]),
        )
    )
    analysis = analyze(layer, three_level_arch(), mapping)
    assert counts(analysis, "rf", INPUTS)[3] == 3 * 4 + 2 * 4
    # the buffer sends rows 0-3 and 2-5 (6), then PE 0's 4-7 and PE 1's 6-9 (6), then PE 0's
    # 8-11 alone (4)
    assert counts(analysis, "buffer", INPUTS)[2] == 6 + 6 + 4
    assert_matches_oracle(layer, three_level_arch(), mapping)


def test_idle_pe_keeps_its_tile_by_hand() -> None:
    # P = 5 over 2 PEs x 3 passes (the last pass: PE 0 alone on output row 4), R = 3 in the PE,
    # stride 1, M = 2 above the passes. PE 0 computes rows 0, 2, 4 and needs input rows
    # {0,1,2}, {2,3,4}, {4,5,6}; PE 1 rows 1, 3: {1,2,3}, {3,4,5}, then idles and keeps {3,4,5}.
    layer = conv(m=2, p=5, r=3)
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.M, 2), t(Dim.P, 3)]),
            level("buffer", spatial=[x(Dim.P, 2)]),
            level("rf", [t(Dim.R, 3)]),
        )
    )
    analysis = analyze(layer, three_level_arch(), mapping)
    # input fills: PE 0 3 + 2 + 2 in the first M, then 3 + 2 + 2 again ({4,5,6} -> {0,1,2});
    # PE 1 3 + 2, then {3,4,5} -> {1,2,3} brings 2 and {3,4,5} again 2
    assert counts(analysis, "rf", INPUTS)[3] == (3 + 2 + 2) * 2 + (3 + 2) + (2 + 2)
    # buffer reads, per pass the union of what the busy PEs lack: first M {0..3}, {3,4}+{4,5},
    # {5,6}; second M {0,1,2}+{1,2}, {3,4}+{4,5}, {5,6}
    assert counts(analysis, "buffer", INPUTS)[2] == (4 + 3 + 2) + (3 + 3 + 2)
    # the buffer holds the passes' rows {0..3}, {2..5}, {4,5,6} (the last pass is clipped)
    assert counts(analysis, "buffer", INPUTS)[3] == (4 + 2 + 1) * 2
    # weights (M x R) stay in each PE over the passes: 2 PEs x 2 M x 3; the array runs
    # M 2 x 3 passes x R 3 steps on 2 PEs (36 MAC slots for 30 MACs)
    assert counts(analysis, "rf", WEIGHTS)[3] == 2 * 2 * 3
    assert (analysis.temporal_steps, analysis.padded_macs, layer.macs) == (18, 36, 2 * 5 * 3)
    links = {link.data_type: link.elements for link in analysis.links}
    assert links[INPUTS] == counts(analysis, "rf", INPUTS)[3]
    assert_matches_oracle(layer, three_level_arch(), mapping)
    assert oracle_counts(layer, mapping)["rf", OUTPUTS].fills == 2 * 5


def _eyeriss_like(rows: int, cols: int) -> Arch:
    """DRAM, a shared buffer and the chip's three per-PE scratchpads, one per data type."""
    return make_arch(
        [
            level_dict("DRAM", "dram", ALL),
            level_dict("buffer", "sram", ALL),
            level_dict("ifmap_spad", "regfile", frozenset({INPUTS})),
            level_dict("weights_spad", "regfile", frozenset({WEIGHTS})),
            level_dict("psum_spad", "regfile", frozenset({OUTPUTS})),
        ],
        rows=rows,
        cols=cols,
    )


def _row_stationary(passes: int, columns: int, rows: int, m: tuple[int, int], c: int, q: int):
    """The row-stationary shape of the Eyeriss chip: output rows P over the columns with the
    passes above, filter rows R over the PE rows, S and M in the scratchpads."""
    keep = {"ifmap_spad": {INPUTS}, "weights_spad": {WEIGHTS}, "psum_spad": {OUTPUTS}}
    return Mapping(
        (
            level("DRAM", [t(Dim.N, 4), t(Dim.M, m[0]), t(Dim.P, passes), t(Dim.C, c)]),
            level("buffer", [t(Dim.Q, q)], [y(Dim.R, rows), x(Dim.P, columns)]),
            level("ifmap_spad", keeps=keep["ifmap_spad"]),
            level("weights_spad", keeps=keep["weights_spad"]),
            level("psum_spad", [t(Dim.S, rows), t(Dim.M, m[1])], keeps=keep["psum_spad"]),
        )
    )


def test_eyeriss_shape_scaled_down_matches_the_nest() -> None:
    # P = 7 over 3 columns x 3 passes (the last: one busy column), R = S = 3, stride 2: the
    # columns' input windows overlap (rows 2p + r) and the idle columns keep theirs.
    layer = conv(n=4, m=2, c=2, p=7, q=3, r=3, s=3, stride=(2, 2))
    assert_matches_oracle(layer, _eyeriss_like(3, 3), _row_stationary(3, 3, 3, (1, 2), 2, 3))


def test_eyeriss_chip_conv1_on_154_pes() -> None:
    # AlexNet CONV1 (batch 4) as the chip runs it: P = 55 over the 14 columns x 4 passes (the
    # last with 13 busy columns), R = 11 over 11 of the 12 rows: 154 PEs.
    arch = accelsim.load_arch("eyeriss_chip")
    workload = accelsim.load_workload("alexnet").with_batch(4)
    layer = arch.apply_precision(next(lr for lr in workload.layers if lr.name == "CONV1"))
    mapping = _row_stationary(4, 14, 11, (8, 12), 3, 55)
    mapping = Mapping(
        tuple(
            replace(lv, level=name)
            for lv, name in zip(mapping.levels, [lv.name for lv in arch.levels], strict=True)
        )
    )
    analysis = analyze(layer, arch, mapping)
    assert analysis.used_pes == 14 * 11
    steps = 4 * 8 * 4 * 3 * 55 * 11 * 12  # N M passes C Q S M
    assert analysis.temporal_steps == steps
    assert analysis.padded_macs == steps * 154 >= layer.macs
    column_passes = 3 * 14 + 13  # busy (column, pass) pairs: 55, one per output row
    outer = 4 * 8 * 3  # N x M x C at DRAM around each pass
    # each busy PE loads its 11 x 12 weights once per pass; the rows' weights differ, the
    # columns share them (one buffer read per row)
    assert analysis.at("weights_spad", WEIGHTS).fills == outer * column_passes * 11 * 132
    assert analysis.at("buffer", WEIGHTS).reads == outer * 4 * 11 * 132
    # a PE's 11 input columns slide by the stride 4 along Q: 11 + 54 x 4 = 227 per pass
    assert analysis.at("ifmap_spad", INPUTS).fills == outer * column_passes * 11 * 227
    # the buffer sends the union of the busy PEs' rows 4 p + r: 13 x 4 + 11 = 63 of them in a
    # full pass, 12 x 4 + 11 = 59 in the last, 227 columns each
    assert analysis.at("buffer", INPUTS).reads == outer * (3 * 63 + 59) * 227
    # the engine accepts it and is never faster than the loop bounds
    ideal = evaluate(arch, layer, mapping, fidelity="ideal")
    engine = evaluate(arch, layer, mapping, fidelity="engine")
    assert ideal.cycles == steps
    assert engine.cycles >= ideal.cycles
    # and on the chip's own CONV1 shape the engine is within 15 % of the chip's measured total
    # latency (JSSC 2017; the mapper's cycles objective finds a faster 154-PE mapping, 0.837:
    # test_eyeriss_chip.py)
    ratio = latency_ms(engine) / measured()["CONV1"]["total_latency_ms"]
    assert 0.85 <= ratio <= 1.15, ratio


def test_uneven_counts_cost_no_more_than_the_loops() -> None:
    # P = 4 K - 1 output rows (K = 10^11 passes) over 4 PEs, R = 3: in the last pass PE 3
    # idles. M = 2 between the two loops of passes forces the inner one around again. A PE's
    # windows (rows 4 o + b + [0, 3)) never overlap its last ones, the 4 PEs' together cover
    # 6 rows per step, 5 in the last pass. Per-element work would never finish.
    passes = 10**11
    size = 4 * passes - 1
    layer = conv(p=size, r=3, m=2)
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.P, passes // 10**5), t(Dim.M, 2)]),
            level("buffer", [t(Dim.P, 10**5)], [x(Dim.P, 4)]),
            level("rf", [t(Dim.R, 3)]),
        )
    )
    analysis = analyze(layer, three_level_arch(), mapping)
    assert counts(analysis, "rf", INPUTS)[3] == 2 * size * 3
    assert counts(analysis, "buffer", INPUTS)[2:4] == (2 * (6 * (passes - 1) + 5), size + 3 - 1)
    assert counts(analysis, "DRAM", OUTPUTS)[4] == 2 * size
    # P = 4 x 10^12 - 5 as 10^6 passes x 4 PEs x 10^6 in the PE: in the last pass PEs 0-2 take
    # 10^6 rows, PE 3 the remaining 999,995; each input row reaches its PE once (M = 2 inside
    # the passes reuses it)
    size = 4 * 10**12 - 5
    layer = conv(p=size, m=2)
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.P, 10**6), t(Dim.M, 2)]),
            level("buffer", spatial=[x(Dim.P, 4)]),
            level("rf", [t(Dim.P, 10**6)]),
        )
    )
    analysis = analyze(layer, three_level_arch(), mapping)
    assert counts(analysis, "rf", INPUTS)[2:4] == (2 * size, size)
    assert counts(analysis, "buffer", INPUTS)[2] == size
    assert counts(analysis, "rf", OUTPUTS)[3:] == (2 * size, 2 * size)
    assert analysis.temporal_steps == 10**6 * 2 * 10**6


def test_eyeriss_chip_conv2_on_140_pes() -> None:
    # AlexNet CONV2 (batch 4, 2 groups): P = 27 over the 14 columns x 2 passes (13 busy in the
    # second), R = 5 x M 2 over 10 rows: 140 PEs, 135 busy in the last pass.
    arch = accelsim.load_arch("eyeriss_chip")
    workload = accelsim.load_workload("alexnet").with_batch(4)
    layer = arch.apply_precision(next(lr for lr in workload.layers if lr.name == "CONV2"))
    outer = ((Dim.G, 2), (Dim.M, 4), (Dim.N, 4), (Dim.P, 2), (Dim.C, 4))
    names = [lv.name for lv in arch.levels]
    mapping = Mapping(
        (
            level(names[0], [t(dim, bound) for dim, bound in outer]),
            level(names[1], [t(Dim.C, 6), t(Dim.Q, 27)], [y(Dim.R, 5), y(Dim.M, 2), x(Dim.P, 14)]),
            level(names[2], keeps={INPUTS}),
            level(names[3], keeps={WEIGHTS}),
            level(names[4], [t(Dim.C, 2), t(Dim.S, 5), t(Dim.M, 16)], keeps={OUTPUTS}),
        )
    )
    analysis = analyze(layer, arch, mapping)
    steps = 2 * 4 * 4 * 2 * 4 * 6 * 27 * 2 * 5 * 16
    assert (analysis.temporal_steps, analysis.used_pes) == (steps, 140)
    around = 2 * 4 * 4 * 4 * 6  # G M N C (DRAM) x C (buffer) around each pass
    busy = (14 + 13) * 10  # (column, pass) pairs x rows
    # every busy PE loads its C 2 x S 5 x M 16 weights per C step; its 2 x 5 inputs slide by 1
    assert analysis.at("weights_spad", WEIGHTS).fills == around * busy * 160
    assert analysis.at("ifmap_spad", INPUTS).fills == around * busy * (10 + 26 * 2)
    # the buffer sends the union of rows p + r: 13 + 5 = 18 in the first pass, 17 in the second
    assert analysis.at("buffer", INPUTS).reads == around * (18 + 17) * 2 * (5 + 26)
    ideal = evaluate(arch, layer, mapping, fidelity="ideal")
    assert ideal.cycles == steps
    assert evaluate(arch, layer, mapping, fidelity="engine").cycles >= ideal.cycles


@pytest.mark.parametrize("size", [7, 9, 10, 11])
@pytest.mark.parametrize("mid_first", [True, False])
def test_passes_with_a_loop_between_the_spread_and_the_next_level(
    size: int, mid_first: bool
) -> None:
    # P over 2 passes x 3 PEs x 2 at a level keeping only weights: inputs and outputs go from
    # the buffer to the register file past that loop, so a PE's strip changes within the
    # passes' step (PE 2 of the last pass is short or idle for one of the two inner values).
    arch = make_arch(
        [
            level_dict("DRAM", "dram", ALL),
            level_dict("buffer", "sram", ALL),
            level_dict("mid", "regfile", frozenset({WEIGHTS})),
            level_dict("rf", "regfile", ALL),
        ]
    )
    layer = conv(m=2, c=2, p=size, q=2, s=2)
    inner = [t(Dim.P, 2), t(Dim.C, 2)] if mid_first else [t(Dim.C, 2), t(Dim.P, 2)]
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.P, 2), t(Dim.M, 2)]),
            level("buffer", [t(Dim.Q, 2)], [x(Dim.P, 3)]),
            level("mid", inner, keeps={WEIGHTS}),
            level("rf", [t(Dim.S, 2)]),
        )
    )
    assert uneven_spread(layer, arch, mapping) is not None
    assert_matches_oracle(layer, arch, mapping)
