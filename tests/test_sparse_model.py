"""The sparse model's pieces, each against a hand calculation or a brute-force count: density
models (tile occupancy), rank formats (metadata entries), and the counting of gated and skipped
accesses (accelsim.analysis.sparse)."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from math import comb
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.analysis.counts import analyze
from accelsim.analysis.sparse import sparse_analyze
from accelsim.errors import ConfigError
from accelsim.sparse import (
    NM,
    Action,
    Actual,
    FixedStructured,
    Optimization,
    SparseSpec,
    Uniform,
    make_density,
    parse_format,
    rank_units,
)
from accelsim.sparse.formats import fiber_shapes
from accelsim.timeloop import load_case
from accelsim.types import DataType

SPARSELOOP = Path(__file__).parent / "data" / "sparseloop"


# ---- density models ------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.data())
def test_uniform_occupancy_is_the_count_of_placements(tensor: int, data) -> None:
    """Hypergeometric occupancy against enumerating every placement of the non-zeros: the tile
    is the first ``tile`` positions (placements are uniform, so any fixed tile will do)."""
    density = data.draw(st.sampled_from([0.1, 0.25, 0.5, 0.75, 1.0]))
    tile = data.draw(st.integers(1, tensor))
    model = Uniform(density, tensor)
    placements = list(combinations(range(tensor), model.nonzeros))
    for occupancy in range(tile + 1):
        hits = sum(1 for p in placements if sum(1 for i in p if i < tile) == occupancy)
        assert model.occupancy_probability(tile, occupancy) == pytest.approx(hits / len(placements))
    assert model.worst_occupancy(tile) == max(sum(1 for i in p if i < tile) for p in placements)


def test_uniform_empty_tile_by_hand() -> None:
    """8 elements, density 3/8: a 2-element tile is empty in C(5, 2) / C(8, 2) = 10 / 28."""
    assert Uniform(3 / 8, 8).occupancy_probability(2, 0) == pytest.approx(10 / 28)
    assert comb(5, 2) == 10 and comb(8, 2) == 28


def test_fixed_structured_rounds_with_the_mean_exact() -> None:
    model = FixedStructured(0.43)
    # 3 x 0.43 = 1.29 non-zeros: 1 with probability 0.71, 2 with 0.29; a single element is
    # empty with probability 0.57
    assert model.occupancy_probability(3, 1) == pytest.approx(0.71)
    assert model.occupancy_probability(3, 2) == pytest.approx(0.29)
    assert model.occupancy_probability(1, 0) == pytest.approx(0.57)
    assert model.worst_occupancy(3) == 2
    assert FixedStructured(0.25).occupancy_probability(16, 4) == 1.0


def test_n_of_m() -> None:
    model = NM(2, 4)
    assert model.occupancy_probability(8, 4) == 1.0  # whole blocks: exactly 2 per 4
    assert model.occupancy_probability(1, 0) == pytest.approx(0.5)
    assert model.worst_occupancy(6) == 2 + 2
    assert model.density == 0.5


def test_actual_data_measured_per_tile() -> None:
    values = np.array([[1, 0, 0, 0], [0, 0, 3, 4], [0, 0, 0, 0]])
    model = Actual(values)
    assert model.density == pytest.approx(3 / 12)
    # 2 x 2 tiles, C-order blocks: [1,0;0,0] [0,0;3,4] [0,0;pad] [0,0;pad] -> 1, 2, 0, 0
    assert sorted(model.tile_occupancies((2, 2))) == [0, 0, 1, 2]
    assert model.occupancy_probability((2, 2), 0) == pytest.approx(2 / 4)
    assert model.worst_occupancy((2, 2)) == 2
    # a tile given as a count runs along the last axis: rows of 4 hold 1, 2, 0
    assert model.occupancy_probability(4, 0) == pytest.approx(1 / 3)


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan"), "x", True])
def test_a_density_outside_0_1_is_a_config_error(value) -> None:
    with pytest.raises(ConfigError, match=r"w\.yaml: layers\[0\]\.density: expected a density"):
        make_density(value, 100, "w.yaml", "layers[0].density")


# ---- formats ---------------------------------------------------------------------------------
def test_rank_units_by_hand() -> None:
    """Sparseloop's printed capacities: an 8 x 8 tile at density 0.25 in UOP-CP is 8 + 1
    offsets and 16 coordinates; RLE over 3 elements at 0.43: 0.71 x 1 + 0.29 x 2 run lengths;
    a bitmask over 16: 16 bits whatever the density."""
    uop_cp = parse_format([{"format": "UOP"}, {"format": "CP"}], "f", "ranks")
    assert rank_units(uop_cp, (8, 8), FixedStructured(0.25)) == ((0.0, 9.0), (16.0, 0.0))
    rle = parse_format(["RLE"], "f", "ranks")
    [(metadata, payload)] = rank_units(rle, (3,), FixedStructured(0.43))
    assert metadata == pytest.approx(0.71 * 1 + 0.29 * 2) and payload == 0.0
    bitmask = parse_format(["B"], "f", "ranks")
    assert rank_units(bitmask, (16,), FixedStructured(0.1)) == ((16.0, 0.0),)


def test_fiber_shapes_one_loop_per_outer_rank() -> None:
    uop_cp = parse_format(["UOP", "CP"], "f", "ranks")
    assert fiber_shapes(uop_cp, (8, 8), 64) == (8, 8)
    assert fiber_shapes(uop_cp, (64, 4, 3), 3600 * 64) == (64, 3600)
    with pytest.raises(ValueError, match="at most 1 ranks"):
        fiber_shapes(uop_cp, (), 64)
    with pytest.raises(ConfigError, match=r"ranks\[0\]: expected a rank format"):
        parse_format(["CSR"], "f", "ranks")


# ---- counting ------------------------------------------------------------------------------
def dot_product():
    case = load_case([SPARSELOOP / "01.2.2-SUDU-dot-product" / "input.yaml"])
    return analyze(case.problem.layer, case.arch, case.mapping), case


def test_no_sparsity_leaves_the_counts_alone() -> None:
    analysis, _ = dot_product()
    sparse = sparse_analyze(analysis, SparseSpec())
    for item in sparse.traffic:
        assert item.actual == item.algorithmic
        assert (
            item.gated.as_dict() == item.skipped.as_dict() == dict.fromkeys(item.gated.as_dict(), 0)
        )
    assert sparse.actual_computes == sparse.algorithmic_computes == analysis.macs


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=16, max_size=16))
def test_gating_on_actual_data_saves_the_reads_a_brute_force_count_saves(mask) -> None:
    """B's reads gated on A, A given as real data: a one-element tile of A is empty with the
    measured zero fraction, so floor(16 x zeros / 16) = zeros reads are gated, exactly the
    reads of B whose A is zero, counted one by one; the computes are those with A non-zero."""
    analysis, case = dot_product()
    values = np.array([1.0 if keep else 0.0 for keep in mask])
    a = next(t for t, name in case.problem.spaces.items() if name == "A")
    b = next(t for t, name in case.problem.spaces.items() if name == "B")
    spec = SparseSpec(
        densities={a: Actual(values)},
        optimizations=(Optimization("Buffer", Action.GATING, b, (a,)),),
    )
    sparse = sparse_analyze(analysis, spec, case.problem.order)
    zeros = sum(1 for value in values if value == 0)
    assert sparse.at("Buffer", b).gated.reads == zeros
    assert sparse.at("Buffer", b).actual.reads == 16 - zeros
    assert sparse.actual_computes == 16 - zeros


def test_skipping_below_a_skip_takes_the_remaining_probability() -> None:
    """Two levels skipping the same data type: the inner level applies 1 - (1 - p') / (1 - p)
    of what the outer one left (Sparseloop's effective probability)."""
    case = load_case([SPARSELOOP / "02.2.1-spMspM" / "input.yaml"])
    analysis = analyze(case.problem.layer, case.arch, case.mapping)
    b = DataType.WEIGHTS  # B of A[m][k] x B[k][n]
    a = DataType.INPUTS
    both = SparseSpec(
        densities={a: FixedStructured(0.25), b: FixedStructured(0.5)},
        optimizations=(
            Optimization("BackingStorage", Action.SKIPPING, b, (a,)),
            Optimization("Buffer", Action.SKIPPING, b, (a,)),
        ),
    )
    sparse = sparse_analyze(analysis, both, case.problem.order)
    outer, inner = sparse.at("BackingStorage", b), sparse.at("Buffer", b)
    # BackingStorage reads 64 B: 64 - floor(64 x 0.75) = 16 actual, 48 skipped
    assert (outer.actual.reads, outer.skipped.reads) == (16, 48)
    # the Buffer's 512 reads and 64 fills first lose floor(x 0.75): 128 and 16 remain; its own
    # probability 0.75 then leaves 1 - 0.25 / 0.25 = 0 to skip
    assert (inner.actual.reads, inner.skipped.reads, inner.actual.fills) == (128, 0, 16)


def test_compute_cycles_balance_the_computes_over_the_used_pes() -> None:
    """The load-balance model: the actual and gated computes spread evenly over the PEs the
    mapping uses (the expected occupancy, as Sparseloop): Eyeriss-like CONV3 with weights gated
    on inputs (04.2.1), 164,472,423 computes on 13 x 12 = 156 PEs."""
    case = load_case([SPARSELOOP / "04.2.1-eyeriss-like-gating" / "input.yaml"])
    analysis = analyze(case.problem.layer, case.arch, case.mapping)
    assert case.sparse is not None
    sparse = sparse_analyze(analysis, case.sparse, case.problem.order)
    assert analysis.used_pes == 13 * 12
    assert sparse.actual_computes == 598_081_536 - int(598_081_536 * 0.725)
    assert sparse.compute_cycles == -(-sparse.actual_computes // 156) == 1_054_311
    gating_only = replace(sparse, actual_computes=sparse.algorithmic_computes)
    assert gating_only.compute_cycles == 598_081_536 // 156


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["BackingStorage", "Buffer"]),
            st.sampled_from(list(Action)),
            st.sampled_from(list(DataType)),
            st.sets(st.sampled_from(list(DataType)), min_size=1, max_size=2),
        ),
        max_size=4,
    ),
    st.sampled_from([0.1, 0.25, 0.5, 1.0]),
    st.sampled_from([0.1, 0.5, 1.0]),
)
def test_savings_never_exceed_the_dense_counts(options, density_a, density_b) -> None:
    """Any set of gating/skipping options on the spMspM design: at every level the actual,
    gated and skipped counts are non-negative and add up to at most the algorithmic ones (to
    exactly them where no optimization above takes accesses away), the computes only shrink,
    and uniform densities of 1 save nothing."""
    case = load_case([SPARSELOOP / "02.2.1-spMspM" / "input.yaml"])
    analysis = analyze(case.problem.layer, case.arch, case.mapping)
    a, b = DataType.INPUTS, DataType.WEIGHTS
    spec = SparseSpec(
        densities={a: FixedStructured(density_a), b: FixedStructured(density_b)},
        optimizations=tuple(
            Optimization(level, action, target, tuple(sorted(on - {target})))
            for level, action, target, on in options
            if on - {target}
        ),
    )
    sparse = sparse_analyze(analysis, spec, case.problem.order)
    for item in sparse.traffic:
        for key in ("reads", "fills", "updates"):
            parts = [getattr(getattr(item, kind), key) for kind in ("actual", "gated", "skipped")]
            assert min(parts) >= 0
            assert sum(parts) <= getattr(item.algorithmic, key)
    assert 0 <= sparse.actual_computes <= sparse.algorithmic_computes
    assert sparse.actual_computes <= (sparse.compute_slots or 0) <= sparse.algorithmic_computes
    if density_a == density_b == 1.0:
        assert sparse.actual_computes == sparse.algorithmic_computes
        for item in sparse.traffic:
            assert item.actual == item.algorithmic
