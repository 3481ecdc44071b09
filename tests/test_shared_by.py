"""Per-PE levels shared by a group of PEs (``shared_by``, ZigZag's served dimensions): the
architecture format and its errors, the mapping check, the counts by hand and against the
brute-force nest (tests/oracle_loopnest.py), and both engines on such a design."""

from __future__ import annotations

from dataclasses import replace
from math import prod
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from oracle_loopnest import oracle_counts
from test_analysis_oracle import assert_matches_oracle, conv, prime_factors, small_layers

from accelsim.analysis.counts import _resized, analyze
from accelsim.arch import Arch, Axis, arch_from_dict, load_arch
from accelsim.engine import simulate_timing
from accelsim.engine.plan import bandwidths
from accelsim.engine.reference import simulate_reference
from accelsim.errors import ConfigError
from accelsim.mapper import map_layer
from accelsim.mapping.io import dump_mapping, mapping_from_dict
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.mapping.validate import check_mapping
from accelsim.types import RELEVANT, DataType, Dim
from accelsim.workload.layer import Layer

WEIGHTS, INPUTS, OUTPUTS = DataType.WEIGHTS, DataType.INPUTS, DataType.OUTPUTS
ALL = frozenset(DataType)


def grouped_arch(
    shared_by: dict[str, int] | None = None,
    *,
    rows: int = 4,
    cols: int = 4,
    inner: str = "",
    bandwidth: int | None = None,
) -> Arch:
    """DRAM, a shared buffer, a weight register (``shared_by``) and, with ``inner`` "above" or
    "below", a per-PE output register above or below it."""
    register: dict[str, Any] = {
        "name": "rf_w",
        "kind": "regfile",
        "keeps": ["weights"],
        "capacity_bits": 1 << 16,
        "word_bits": 8,
    }
    if shared_by is not None:
        register["shared_by"] = shared_by
    levels: list[dict[str, Any]] = [
        {"name": "DRAM", "kind": "dram", "word_bits": 8},
        {"name": "buffer", "kind": "sram", "keeps": ["inputs", "outputs", "weights"],
         "capacity_bits": 1 << 20, "word_bits": 8},
        register,
    ]  # fmt: skip
    output_register = {
        "name": "rf_o", "kind": "regfile", "keeps": ["outputs"], "capacity_bits": 1 << 16
    }  # fmt: skip
    if inner == "below":
        levels.append(output_register)
    elif inner == "above":
        levels.insert(2, output_register)
    if bandwidth is not None:
        for level in levels:
            level["bandwidth_bits_per_cycle"] = bandwidth
    return arch_from_dict(
        {"name": "grouped", "pe_array": {"rows": rows, "cols": cols}, "levels": levels}
    )


def problems(raw_shared_by: Any, *, kind: str = "regfile", **extra: Any) -> str:
    levels = [
        {"name": "DRAM", "kind": "dram"},
        {"name": "reg", "kind": kind, "capacity_bits": 64, "shared_by": raw_shared_by, **extra},
    ]
    with pytest.raises(ConfigError) as error:
        arch_from_dict({"name": "bad", "pe_array": {"rows": 4, "cols": 6}, "levels": levels})
    return str(error.value)


# ---- the architecture format -----------------------------------------------------------------
def test_shared_by_sets_the_group_and_the_instances() -> None:
    arch = grouped_arch({"x": 4})
    assert arch.level("rf_w").shared_by == (4, 1)
    assert (arch.level("rf_w").group(Axis.X), arch.level("rf_w").group(Axis.Y)) == (4, 1)
    assert grouped_arch().level("rf_w").shared_by == (1, 1)


@pytest.mark.parametrize(
    ("value", "extra", "field", "expected"),
    [
        ({"x": 4}, {}, "levels[1].shared_by.x", "a divisor of the array's 6 cols"),
        ({"y": 3}, {}, "levels[1].shared_by.y", "a divisor of the array's 4 rows"),
        ({"x": 0}, {}, "levels[1].shared_by.x", "a positive integer"),
        ({"x": 2.5}, {}, "levels[1].shared_by.x", "a positive integer"),
        ({"z": 2}, {}, "levels[1].shared_by", "a mapping {x, y} of positive integers"),
        ([2, 2], {}, "levels[1].shared_by", "a mapping {x, y} of positive integers"),
        ({"x": 2}, {"per_pe": False}, "levels[1].shared_by", "only on a per-PE level"),
    ],
)
def test_bad_shared_by_is_one_clear_error(value, extra, field, expected) -> None:
    message = problems(value, **extra)
    assert field in message and expected in message
    assert message.count("shared_by") >= 1 and "Traceback" not in message


def test_shared_by_is_refused_beside_zeros() -> None:
    message = problems({"x": 2}, keeps=["weights"], compression={"weights": ["B"]})
    assert "levels[1].shared_by" in message and "compression or sparse" in message


# ---- the mapping check -----------------------------------------------------------------------
def test_loops_within_a_group_must_fit_it_and_those_above_the_groups() -> None:
    arch = grouped_arch({"x": 2})
    layer = conv(m=4, p=4)
    too_wide = Mapping(
        (
            LevelMapping("DRAM", (), (), ALL),
            LevelMapping("buffer", (Loop(Dim.M, 4),), (), ALL),
            LevelMapping("rf_w", (), (Loop(Dim.P, 4, Axis.X),), frozenset({WEIGHTS})),
        )
    )
    with pytest.raises(ConfigError, match=r"rf_w.spatial.*at most 2, the PEs one instance"):
        check_mapping(layer, arch, too_wide)
    all_above = Mapping(
        (
            LevelMapping("DRAM", (), (), ALL),
            LevelMapping("buffer", (Loop(Dim.M, 4),), (Loop(Dim.P, 4, Axis.X),), ALL),
            LevelMapping("rf_w", (), (), frozenset({WEIGHTS})),
        )
    )
    with pytest.raises(ConfigError, match=r"spatial-X not served by rf_w.*at most 2, its inst"):
        check_mapping(layer, arch, all_above)
    weights_differ = Mapping(
        (
            LevelMapping("DRAM", (), (), ALL),
            LevelMapping("buffer", (Loop(Dim.P, 4),), (Loop(Dim.M, 2, Axis.X),), ALL),
            LevelMapping("rf_w", (Loop(Dim.M, 2),), (Loop(Dim.M, 1, Axis.X),), frozenset()),
        )
    )
    check_mapping(layer, arch, weights_differ)
    serving_m = replace_level(weights_differ, 2, spatial=(Loop(Dim.M, 2, Axis.X),))
    serving_m = replace_level(serving_m, 2, temporal=(), keeps=frozenset({WEIGHTS}))
    with pytest.raises(ConfigError, match=r"index nothing rf_w keeps \(M indexes weights"):
        check_mapping(layer, arch, serving_m)
    split = Mapping(
        (
            LevelMapping("DRAM", (), (), ALL),
            LevelMapping("buffer", (Loop(Dim.M, 4),), (Loop(Dim.P, 2, Axis.X),), ALL),
            LevelMapping("rf_w", (), (Loop(Dim.P, 2, Axis.X),), frozenset({WEIGHTS})),
        )
    )
    check_mapping(layer, arch, split)
    bypassed = Mapping((*all_above.levels[:2], LevelMapping("rf_w", (), (), frozenset())))
    check_mapping(layer, arch, bypassed)  # a level that keeps nothing has no instances to fit


def test_a_served_dimension_may_be_clipped_but_not_twice() -> None:
    # P = 3 over a served P 4: the fourth PE of the group idles; the register still serves one
    # weight per value of M to the three busy MACs
    layer = conv(m=4, p=3)
    mapping = Mapping(
        (
            LevelMapping("DRAM", (), (), ALL),
            LevelMapping("buffer", (Loop(Dim.M, 4),), (), ALL),
            LevelMapping("rf_w", (), (Loop(Dim.P, 4, Axis.X),), frozenset({WEIGHTS})),
        )
    )
    arch = grouped_arch({"x": 4})
    check_mapping(layer, arch, mapping)
    register = analyze(layer, arch, mapping).at("rf_w", WEIGHTS)
    assert (register.instances, register.fills, register.reads) == (1, 4, 4)
    assert_matches_served_oracle(layer, arch, mapping)
    # P = 7 over P 2 across the groups and P 4 served: two overshooting loops of P
    layer = conv(m=4, p=7)
    arch = grouped_arch({"x": 4}, cols=8)
    twice = replace_level(mapping, 1, spatial=(Loop(Dim.P, 2, Axis.X),))
    expected = "spatial factors of P dividing its size 7, or: one overshooting spatial loop"
    with pytest.raises(ConfigError, match=expected):
        check_mapping(layer, arch, twice)
    with pytest.raises(ConfigError, match=r"rf_w.spatial for P in \[0:4\).*one overshooting"):
        analyze(layer, arch, twice)


def test_the_mapping_file_takes_spatial_loops_at_a_shared_register() -> None:
    arch = grouped_arch({"x": 4})
    entries = {
        "mapping": [
            {"level": "buffer", "temporal": [["M", 4]]},
            {"level": "rf_w", "spatial": [["P", 4, "X"]], "keeps": ["weights"]},
        ]
    }
    mapping = mapping_from_dict(entries, arch)
    assert mapping.levels[2].spatial == (Loop(Dim.P, 4, Axis.X),)
    with pytest.raises(ConfigError, match="no spatial loops at rf_w, a per-PE level"):
        mapping_from_dict(entries, grouped_arch())


def replace_level(mapping: Mapping, index: int, **changes: Any) -> Mapping:
    levels = list(mapping.levels)
    levels[index] = replace(levels[index], **changes)
    return Mapping(tuple(levels))


def assert_matches_served_oracle(layer: Layer, arch: Arch, mapping: Mapping) -> None:
    """Every count equals the brute-force nest's with the shared levels' loops served."""
    serving = tuple(i for i, level in enumerate(arch.levels) if level.shared_by != (1, 1))
    expected = oracle_counts(layer, mapping, serving=serving, top=arch.first_pe_level - 1)
    got = {(item.level, item.data_type): item for item in analyze(layer, arch, mapping).traffic}
    assert set(got) == set(expected)
    for key, oracle in expected.items():
        item = got[key]
        model = (item.instances, item.tile_elements, item.reads, item.fills, item.updates)
        fields = (oracle.instances, oracle.tile_elements, oracle.reads, oracle.fills)
        assert model == (*fields, oracle.updates), f"{key}: model {model} != oracle"


# ---- counts ----------------------------------------------------------------------------------
# A 4 x 4 array: output channels M 4 down the rows (at the buffer: one weight register per row),
# output columns P 4 across the columns inside the group of 4 that shares the weight register;
# C 2 then Q 3 in time at DRAM.
HAND_LAYER = conv(m=4, c=2, p=4, q=3)


def hand_mapping(shared: bool) -> Mapping:
    spread = (Loop(Dim.P, 4, Axis.X),)
    return Mapping(
        (
            LevelMapping("DRAM", (Loop(Dim.C, 2), Loop(Dim.Q, 3)), (), ALL),
            LevelMapping("buffer", (), (Loop(Dim.M, 4, Axis.Y), *(() if shared else spread)), ALL),
            LevelMapping("rf_w", (), spread if shared else (), frozenset({WEIGHTS})),
        )
    )


def test_a_weight_register_shared_over_four_columns_by_hand() -> None:
    macs = 4 * 2 * 4 * 3
    assert HAND_LAYER.macs == macs
    shared = analyze(HAND_LAYER, grouped_arch({"x": 4}), hand_mapping(True)).at("rf_w", WEIGHTS)
    # 4 registers (one per row); each serves the 4 MACs of its row one weight per step: one
    # read per step for 4 MACs; each is filled with its row's weight once per value of C
    assert shared.instances == 4
    assert shared.reads == 4 * (2 * 3) * 1 == macs // 4
    assert shared.fills == 4 * 2
    per_pe = analyze(HAND_LAYER, grouped_arch(), hand_mapping(False)).at("rf_w", WEIGHTS)
    assert per_pe.instances == 16
    assert per_pe.reads == macs
    assert per_pe.fills == 16 * 2
    # the buffer multicasts a row's weight to its register (or its 4 PEs' registers): 8 reads
    for shared_by, mapping in (({"x": 4}, hand_mapping(True)), (None, hand_mapping(False))):
        buffer = analyze(HAND_LAYER, grouped_arch(shared_by), mapping).at("buffer", WEIGHTS)
        assert buffer.reads == 4 * 2
    assert_matches_served_oracle(HAND_LAYER, grouped_arch({"x": 4}), hand_mapping(True))
    assert_matches_oracle(HAND_LAYER, grouped_arch(), hand_mapping(False))


def test_an_output_register_above_a_shared_weight_register_by_hand() -> None:
    # ZigZag's meta_prototype in small: the weight register serves the P 4 columns of its row and
    # the per-PE output register sits above it, holding one partial sum over C 2 x R 3 (a
    # linear nest would need P 4 both below the weight register and above the output one).
    layer = conv(m=2, c=2, p=4, r=3)
    arch = grouped_arch({"x": 4}, rows=2, cols=4, inner="above")
    mapping = Mapping(
        (
            LevelMapping("DRAM", (), (), ALL),
            LevelMapping("buffer", (), (Loop(Dim.M, 2, Axis.Y),), ALL),
            LevelMapping("rf_o", (Loop(Dim.C, 2), Loop(Dim.R, 3)), (), frozenset({OUTPUTS})),
            LevelMapping("rf_w", (), (Loop(Dim.P, 4, Axis.X),), frozenset({WEIGHTS})),
        )
    )
    check_mapping(layer, arch, mapping)
    one_psum = arch_from_dict(
        {
            "name": "one_psum",
            "pe_array": {"rows": 2, "cols": 4},
            "levels": [
                {"name": "DRAM", "kind": "dram"},
                {"name": "buffer", "kind": "sram", "capacity_bits": 1 << 20},
                {"name": "rf_o", "kind": "regfile", "keeps": ["outputs"],
                 "capacity_bits": layer.psum_bits},
                {"name": "rf_w", "kind": "regfile", "keeps": ["weights"],
                 "capacity_bits": layer.weight_bits,
                 "shared_by": {"x": 4}},
            ],
        }
    )  # fmt: skip
    check_mapping(layer, one_psum, mapping)  # each holds one: the served P 4 is above rf_o
    found = analyze(layer, arch, mapping)
    macs = 2 * 2 * 4 * 3
    weights, outputs = found.at("rf_w", WEIGHTS), found.at("rf_o", OUTPUTS)
    # 2 weight registers, each refilled with a new weight at each of the 6 steps, read once per
    # step for its 4 MACs
    assert (weights.instances, weights.fills, weights.reads) == (2, 2 * 6, 2 * 6) == (2, 12, 12)
    assert weights.reads == macs // 4
    # 8 output registers, each accumulating its output over the 6 steps: 6 updates, the first
    # from zero, and one drain to the buffer
    assert (outputs.instances, outputs.updates, outputs.reads) == (8, 8 * 6, 8 * 6 - 8)
    assert found.at("buffer", OUTPUTS).updates == 8
    assert_matches_served_oracle(layer, arch, mapping)


def test_a_clipped_served_loop_by_hand() -> None:
    # P = 13 on P 2 at DRAM (passes) x P 4 served by each row's weight register x P 2 in time
    # inside the PE: P index 8 p + 2 l + i. Pass 0 covers P 0..7 on all 4 PEs of a group; pass 1
    # covers P 8..12: PEs 0 and 1 run 2 steps, PE 2 one, PE 3 idles. The register serves its
    # busy MACs one weight per step while any of them runs: the first PE's 2 steps each pass.
    layer = conv(m=4, c=2, p=13)
    arch = grouped_arch({"x": 4})
    mapping = Mapping(
        (
            LevelMapping("DRAM", (Loop(Dim.C, 2), Loop(Dim.P, 2)), (), ALL),
            LevelMapping("buffer", (), (Loop(Dim.M, 4, Axis.Y),), ALL),
            LevelMapping(
                "rf_w", (Loop(Dim.P, 2),), (Loop(Dim.P, 4, Axis.X),), frozenset({WEIGHTS})
            ),
        )
    )
    check_mapping(layer, arch, mapping)
    found = analyze(layer, arch, mapping)
    register = found.at("rf_w", WEIGHTS)
    assert layer.macs == 4 * 2 * 13 == 104
    # 4 registers (one per row) x C 2 x passes 2 x 2 steps; the weight changes with C only
    assert (register.instances, register.reads, register.fills) == (4, 4 * 2 * 2 * 2, 4 * 2)
    assert register.reads != layer.macs // 4  # not the MACs over the group: 26
    assert found.at("buffer", WEIGHTS).reads == 4 * 2  # one new weight per row per C
    assert_matches_served_oracle(layer, arch, mapping)
    # P = 9: pass 1 covers P 8 only, one step of the first PE
    short = conv(m=4, c=2, p=9)
    register = analyze(short, arch, mapping).at("rf_w", WEIGHTS)
    assert (register.reads, register.fills) == (4 * 2 * (2 + 1), 4 * 2)
    assert_matches_served_oracle(short, arch, mapping)
    timed = grouped_arch({"x": 4}, bandwidth=8)  # both engines time the padded nest alike
    production = simulate_timing(layer, timed, mapping)
    reference = simulate_reference(layer, timed, mapping)
    assert (production.cycles, production.stall_cycles) == (
        reference.cycles,
        reference.stall_cycles,
    )


@st.composite
def grouped_cases(draw: st.DrawFn, *, serve: bool = False) -> tuple[Layer, Arch, Mapping]:
    """A small layer on DRAM, a buffer, a register shared by a random group of a small array
    and maybe a per-PE output register above or below it; keeps drawn first, then each bound's
    prime factors go to a level in time, across the array at the buffer, or, where its
    dimension indexes nothing the shared register keeps, served by it, while the axes have
    room; with ``serve`` the register keeps weights and is given a factor to serve first."""
    layer = draw(small_layers())
    rows, cols = draw(st.sampled_from([1, 2, 4])), draw(st.sampled_from([2, 4, 6]))
    group = {"x": draw(st.sampled_from([d for d in (1, 2, 3, 6) if cols % d == 0]))}
    group["y"] = draw(st.sampled_from([d for d in (1, 2, 4) if rows % d == 0]))
    arch = grouped_arch(
        group, rows=rows, cols=cols, inner=draw(st.sampled_from(["", "above", "below"]))
    )
    keeps = {
        level.name: frozenset(draw(st.sets(st.sampled_from(sorted(level.keeps)))))
        for level in arch.levels
    }
    keeps["DRAM"] = ALL
    keeps["rf_w"] = draw(st.sampled_from([frozenset({WEIGHTS})] * 3 + [frozenset()]))
    if serve:
        keeps["rf_w"] = frozenset({WEIGHTS})
    room = {
        ("buffer", Axis.X): cols // group["x"],
        ("buffer", Axis.Y): rows // group["y"],
        ("rf_w", Axis.X): group["x"],
        ("rf_w", Axis.Y): group["y"],
    }
    slots: dict[tuple[str, Axis | None, Dim], int] = {}
    for dim, bound in layer.loop_bounds.items():
        servable = not any(dim in RELEVANT[d] for d in keeps["rf_w"])
        for factor in prime_factors(bound):
            name = draw(st.sampled_from([level.name for level in arch.levels] + ["rf_w"]))
            axis = draw(st.sampled_from([None, Axis.X, Axis.Y]))
            free = [a for a in (Axis.X, Axis.Y) if room["rf_w", a] % factor == 0]
            if serve and servable and free and not any(at == "rf_w" and a for at, a, _ in slots):
                name, axis = "rf_w", draw(st.sampled_from(free))
            if axis is not None and (
                room.get((name, axis), 1) % factor or (name == "rf_w" and not servable)
            ):
                axis = None  # no room left along the axis there, or not servable: in time
            if axis is not None:
                room[name, axis] //= factor
            slots[name, axis, dim] = slots.get((name, axis, dim), 1) * factor
    levels = []
    for arch_level in arch.levels:
        name = arch_level.name
        here = [Loop(dim, b, axis) for (at, axis, dim), b in slots.items() if at == name]
        here = draw(st.permutations(here))
        temporal = tuple(loop for loop in here if not loop.spatial)
        spatial = tuple(loop for loop in here if loop.spatial)
        levels.append(LevelMapping(name, temporal, spatial, keeps[name]))
    return layer, arch, Mapping(tuple(levels))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grouped_cases())
def test_counts_with_a_shared_register_match_the_brute_force_nest(case) -> None:
    layer, arch, mapping = case
    check_mapping(layer, arch, mapping)
    index = [level.name for level in arch.levels].index("rf_w")
    serving = (
        mapping.levels[index].keeps
        and prod(loop.bound for loop in mapping.levels[index].spatial) > 1
    )
    event(f"serves loops: {bool(serving)}, output register at {index}")
    assert_matches_served_oracle(layer, arch, mapping)
    index = [level.name for level in arch.levels].index("rf_w")
    if WEIGHTS in mapping.levels[index].keeps:  # one instance per group in use, at most the groups
        register = analyze(layer, arch, mapping).at("rf_w", WEIGHTS)
        groups = prod(loop.bound for loop in mapping.levels[1].spatial)
        assert (
            register.instances == groups <= arch.pe_array.pes // prod(arch.level("rf_w").shared_by)
        )


# ---- timing ----------------------------------------------------------------------------------
def test_both_engines_time_a_shared_register_alike() -> None:
    # 8-bit ports: the registers' write port takes one weight per cycle per instance, so 4 shared
    # registers need 4 x 2 fills, where 16 per-PE ones would need 16 x 2 (on 16 write ports).
    for shared_by, mapping in (({"x": 4}, hand_mapping(True)), (None, hand_mapping(False))):
        arch = grouped_arch(shared_by, bandwidth=8)
        production = simulate_timing(HAND_LAYER, arch, mapping)
        reference = simulate_reference(HAND_LAYER, arch, mapping)
        assert production.cycles == reference.cycles
        assert production.stall_cycles == reference.stall_cycles
        assert production.cycles >= 2 * 3  # the temporal steps


# ---- the mapper ------------------------------------------------------------------------------
def test_ws_serves_output_pixels_from_a_shared_weight_register_and_keeps_the_reduction() -> None:
    # ZigZag's meta_prototype in small (2 x 8 PEs): a weight register serving 4 columns, an
    # output register serving 2 (an adder tree), listed above the weight register.
    layer = conv(m=4, c=8, p=4, q=4, r=3, s=3)
    arch = arch_from_dict(
        {
            "name": "small_meta",
            "pe_array": {"rows": 2, "cols": 8},
            "levels": [
                {"name": "DRAM", "kind": "dram"},
                {"name": "buffer", "kind": "sram", "capacity_bits": 1 << 20,
                 "bandwidth_bits_per_cycle": 512},
                {"name": "rf_o", "kind": "regfile", "keeps": ["outputs"],
                 "capacity_bits": layer.psum_bits, "shared_by": {"x": 2}},
                {"name": "rf_w", "kind": "regfile", "keeps": ["weights"],
                 "capacity_bits": layer.weight_bits, "shared_by": {"x": 4}},
            ],
        }
    )  # fmt: skip
    for objective in ("energy", "cycles"):
        found = map_layer(layer, arch, "ws", objective)
        mapping = found.mapping
        check_mapping(layer, arch, mapping)
        # the weight register serves an output dimension (no weight differs within its group),
        # the output register a reduction dimension; the reduction's other loops stay in it
        served_w = {loop.dim for loop in mapping.levels[3].spatial}
        served_o = {loop.dim for loop in mapping.levels[2].spatial}
        assert served_w <= {Dim.N, Dim.P, Dim.Q} and served_w
        assert served_o <= {Dim.C, Dim.R, Dim.S} and served_o
        assert {loop.dim for loop in mapping.levels[2].temporal} <= {Dim.C, Dim.R, Dim.S}
        assert mapping.used_pes == 16
        macs, steps = 4 * 8 * 4 * 4 * 3 * 3, 4 * 8 * 4 * 4 * 3 * 3 // 16
        weights = found.analysis.at("rf_w", WEIGHTS)
        outputs = found.analysis.at("rf_o", OUTPUTS)
        assert (weights.instances, weights.reads) == (16 // 4, macs // 4)  # one read per 4 MACs
        assert weights.fills == 4 * steps  # a new weight at every step
        # one partial sum per 2 MACs (the adder tree), each output arrives and leaves once
        assert (outputs.instances, outputs.updates) == (16 // 2, macs // 2)
        assert outputs.fills == 4 * 4 * 4 == layer.output_elements
        assert_matches_served_oracle(layer, arch, mapping)


# ---- the shipped ZigZag designs --------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["meta_prototype", "edge_tpu_like", "ascend_like", "tesla_npu_like"]
)
def test_shipped_designs_count_one_register_per_group_and_both_engines_agree(name: str) -> None:
    arch = load_arch(f"zigzag_{name}")
    layer = arch.apply_precision(conv(m=32, c=16, p=8, q=8, r=3, s=3))
    found = map_layer(layer, arch, "ws", "cycles")
    mapping, analysis = found.mapping, found.analysis
    check_mapping(layer, arch, mapping)
    ports = bandwidths(arch, analysis)
    for index, level in enumerate(arch.levels):
        if level.shared_by == (1, 1) or not mapping.levels[index].keeps:
            continue
        served = prod(loop.bound for loop in mapping.levels[index].spatial)
        for item in analysis.traffic:
            if item.level == level.name:  # one instance per group of the PEs in use
                assert item.instances == mapping.used_pes // served
                assert item.instances <= arch.pe_array.pes // prod(level.shared_by)
                assert ports[f"{level.name}.read"] == level.read_bandwidth_bits * item.instances
    production = simulate_timing(layer, arch, mapping, analysis)
    reference = simulate_reference(layer, arch, mapping, analysis)
    assert (production.cycles, production.stall_cycles) == (
        reference.cycles,
        reference.stall_cycles,
    )
    assert production.busy_cycles == reference.busy_cycles


def test_the_cycles_objective_serves_a_7_wide_output_unevenly() -> None:
    # meta_prototype: a 1-byte weight register per 16 PEs along X. A 7 x 7 output fills 7 of
    # them with divisors (OX 7), 14 with OY 2 over OY 7 (4 passes, the last with one row):
    # 7 x 7 / 4 = 12.25 MACs a cycle per group against 7
    arch = load_arch("zigzag_meta_prototype")
    layer = arch.apply_precision(conv(m=32, c=16, p=7, q=7, r=3, s=3))
    fast = map_layer(layer, arch, "ws", "cycles")
    assert fast.mapping.levels[-1].spatial == (Loop(Dim.P, 7, Axis.X), Loop(Dim.Q, 2, Axis.X))
    # M 32 down the rows, C 2 in the output register's adder tree: per PE C 8 x R 3 x S 3 x
    # ceil(7 / 2) = 4 passes of Q, where OX 7 alone takes all 7 rows of the output in time
    assert fast.analysis.temporal_steps == 8 * 3 * 3 * 4
    frugal = map_layer(layer, arch, "ws", "energy")  # exact divisors only, as before
    assert frugal.mapping.levels[-1].spatial == (Loop(Dim.P, 7, Axis.X),)
    assert frugal.analysis.temporal_steps == 8 * 3 * 3 * 7
    assert simulate_timing(layer, arch, fast.mapping).cycles < (
        simulate_timing(layer, arch, frugal.mapping).cycles
    )
    small = arch.apply_precision(conv(m=2, c=2, p=7, q=7))
    chosen = map_layer(small, arch, "ws", "cycles").mapping
    assert Loop(Dim.Q, 2, Axis.X) in chosen.levels[-1].spatial
    assert_matches_served_oracle(small, arch, chosen)


def test_a_mapping_with_served_loops_round_trips_through_yaml() -> None:
    arch = load_arch("zigzag_meta_prototype")
    layer = arch.apply_precision(conv(m=32, c=16, p=8, q=8, r=3, s=3))
    mapping = map_layer(layer, arch, "ws", "cycles").mapping
    assert any(level.spatial for level in mapping.levels[arch.first_pe_level :])
    again = mapping_from_dict(yaml.safe_load(dump_mapping(mapping)), arch)
    assert again == mapping


@st.composite
def grouped_uneven_cases(draw: st.DrawFn, *, served: bool = False) -> tuple[Layer, Arch, Mapping]:
    """A :func:`grouped_cases` mapping on a layer cut short in the dimension of one of its array
    loops, so that loop overshoots (uneven unrolling beside a shared register); with ``served``
    one of the loops the shared register serves."""
    layer, arch, mapping = draw(grouped_cases(serve=served))
    index = [level.name for level in arch.levels].index("rf_w")
    spatial = [
        loop
        for at, level in enumerate(mapping.levels)
        for loop in level.spatial
        if loop.bound > 1 and (not served or (at == index and level.keeps))
    ]
    assume(spatial)
    loop = draw(st.sampled_from(spatial))
    size = layer.loop_bounds[loop.dim]
    assume(size > 2)
    return _resized(layer, loop.dim, draw(st.integers(size // 2 + 1, size - 1))), arch, mapping


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(grouped_uneven_cases())
def test_uneven_unrolling_beside_a_shared_register_matches_the_brute_force_nest(case) -> None:
    # an overshooting loop of the array, above the groups or served by the shared register, is
    # counted, and counted exactly
    layer, arch, mapping = case
    try:
        check_mapping(layer, arch, mapping)
    except ConfigError:
        event("refused")
        return
    event("counted")
    assert_matches_served_oracle(layer, arch, mapping)


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(grouped_uneven_cases(served=True))
def test_a_clipped_served_loop_matches_the_brute_force_nest(case) -> None:
    # the shared register's PEs idle in a short pass: its own tile sequence is its first PE's
    layer, arch, mapping = case
    try:
        check_mapping(layer, arch, mapping)
    except ConfigError as error:
        event(f"refused: {str(error).split(': ', 2)[-1][:60]}")
        with pytest.raises(ConfigError):
            analyze(layer, arch, mapping)
        return
    loops = [(at, loop) for at, loop in mapping.loops() if loop.bound > 1]
    clipped = [
        (at, loop) for at, loop in loops if layer.loop_bounds[loop.dim] < mapping.bound(loop.dim)
    ]
    dim = clipped[0][1].dim
    passes = any(loop.dim is dim and at < arch.first_pe_level for at, loop in loops)
    inner = any(loop.dim is dim and at >= arch.first_pe_level and not loop.spatial
                for at, loop in loops)  # fmt: skip
    event(f"counted: passes of {dim.value} above {passes}, inside the PE {inner}")
    assert_matches_served_oracle(layer, arch, mapping)
