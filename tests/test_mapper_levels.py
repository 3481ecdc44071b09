"""The mapper's loops at every storage level, parallel per-operand memories, partial sums kept in
a PE's register, and what the error says when nothing maps (issue #15 items 2, 3, 4, 8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_loopnest import oracle_counts

import accelsim
from accelsim.analysis.counts import analyze
from accelsim.arch import arch_from_dict, load_arch
from accelsim.mapper import map_layer
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.mapping.validate import check_mapping
from accelsim.types import DataType, Dim
from accelsim.workload.layer import Layer, LayerKind

# ZigZag's eyeriss_like memories as accelsim levels (sizes and operands from ZigZag 3.x
# inputs/hardware/eyeriss_like.yaml; see the file's source field).
PARALLEL = Path(__file__).parent / "data" / "archs" / "zigzag_eyeriss_parallel.yaml"
DRAM = {"name": "DRAM", "kind": "dram", "keeps": ["weights", "inputs", "outputs"]}


def conv(m: int, c: int, p: int, q: int, r: int = 1, s: int = 1) -> Layer:
    """An unpadded, unit-stride convolution at batch 1 (8-bit operands, 32-bit partial sums)."""
    return Layer(
        name="t", kind=LayerKind.CONV, n=1, m=m, c=c, p=p, q=q, r=r, s=s, h=p + r - 1, w=q + s - 1
    )


def make_arch(levels: list[dict[str, Any]], rows: int = 4, cols: int = 4) -> accelsim.Arch:
    return arch_from_dict({"name": "t", "pe_array": {"rows": rows, "cols": cols}, "levels": levels})


def dram_counts(result) -> dict[DataType, tuple[int, int, int]]:
    return {
        t.data_type: (t.reads, t.fills, t.updates)
        for t in result.analysis.traffic
        if t.level == "DRAM"
    }


# ---- item 2: loops at every level ----------------------------------------------------------
@pytest.mark.parametrize("flow", ["rs", "ws", "os", "nlr"])
def test_an_outer_buffer_holds_loops_of_its_own(flow: str) -> None:
    # 16 KB outer SRAM over a 1 KB inner one: the whole layer (weights 16 x 16 x 3 x 3 = 2304
    # and inputs 16 x 10 x 10 = 1600 of 8 bits, outputs 16 x 8 x 8 = 1024 of 32 bits: 64,000
    # bits) fits the outer one, so DRAM moves each element once: reads 2304 weights and 1600
    # inputs, takes 1024 final outputs. Loops only at DRAM and the inner buffer could not.
    arch = make_arch(
        [
            DRAM,
            {"name": "outer", "kind": "sram", "capacity_kb": 16},
            {"name": "inner", "kind": "sram", "capacity_kb": 1},
            {"name": "rf", "kind": "regfile", "capacity_bits": 1024},
        ]
    )
    layer = conv(m=16, c=16, p=8, q=8, r=3, s=3)
    found = map_layer(layer, arch, flow)
    check_mapping(layer, arch, found.mapping)
    assert 2304 * 8 + 1600 * 8 + 1024 * 32 == 64_000 <= 16 * 1024 * 8
    assert dram_counts(found) == {
        DataType.WEIGHTS: (2304, 0, 0),
        DataType.INPUTS: (1600, 0, 0),
        DataType.OUTPUTS: (0, 0, 1024),
    }
    assert found.mapping.levels[1].temporal and not found.mapping.levels[0].temporal


def test_an_outer_per_pe_buffer_holds_loops_of_its_own() -> None:
    # Simba-like PE: a 4096-bit per-PE buffer over a 256-bit register file. Row stationary puts
    # C, S and M in the PE; the register file bounds the innermost tile and the PE buffer runs
    # more of the PE's loops around it.
    arch = make_arch(
        [
            DRAM,
            {"name": "buffer", "kind": "sram", "capacity_kb": 64},
            {"name": "pe_buffer", "kind": "regfile", "capacity_bits": 4096},
            {"name": "rf", "kind": "regfile", "capacity_bits": 256},
        ]
    )
    layer = conv(m=16, c=16, p=8, q=8, r=3, s=3)
    found = map_layer(layer, arch, "rs")
    check_mapping(layer, arch, found.mapping)
    assert found.mapping.levels[2].temporal  # loops at the PE buffer
    assert found.mapping.levels[3].temporal  # and at the register file


# ---- item 3: parallel per-operand memories -------------------------------------------------
def test_parallel_levels_form_one_depth() -> None:
    arch = load_arch(PARALLEL)
    names = [[arch.levels[i].name for i in group] for group in arch.depths]
    assert names == [
        ["dram"],
        ["sram_1M", "sram_64KB"],
        ["sram_8KB"],
        ["rf_64B_A", "rf_64B_W", "rf_16B"],
    ]


@pytest.mark.parametrize("network", ["alexnet", "vgg16", "resnet50", "mobilenet_v2"])
@pytest.mark.parametrize("flow", ["rs", "ws"])
def test_every_layer_maps_on_zigzags_eyeriss_like_memories(network: str, flow: str) -> None:
    # Issue #15: the FC layers found no mapping here under rs and ws ("R = 1 has no factor that
    # fits the 12 rows"). Every mapping must fit every level and keep its group's loops on the
    # group's last member.
    arch = load_arch(PARALLEL)
    for layer in accelsim.load_workload(network):
        layer = arch.apply_precision(layer)
        found = map_layer(layer, arch, flow)
        check_mapping(layer, arch, found.mapping)
        for group in arch.depths:
            assert all(not found.mapping.levels[i].loops for i in group[:-1])


def _parallel_raw() -> dict[str, Any]:
    return yaml.safe_load(PARALLEL.read_text("utf-8"))


@pytest.mark.parametrize("weights_first", [False, True])
@pytest.mark.parametrize("flow", ["rs", "ws"])
def test_alexnets_fc_layers_map_with_the_srams_chained_in_either_order(weights_first, flow):
    # The same memories without groups: 1 MB then 64 KB (or 64 KB then 1 MB) then 8 KB, each
    # level's loops inside the tiles of those above it; the FC layers failed here too.
    raw = _parallel_raw()
    for level in raw["levels"]:
        level.pop("parallel_with", None)
    if weights_first:
        raw["levels"][1:3] = raw["levels"][2:0:-1]
    arch = arch_from_dict(raw)
    assert len(arch.depths) == len(arch.levels)
    for name in ("FC1", "FC2", "FC3"):
        layer = arch.apply_precision(accelsim.load_workload("alexnet")[name])
        check_mapping(layer, arch, map_layer(layer, arch, flow).mapping)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda levels: levels[2].update(parallel_with="dram"),
            "levels[2].parallel_with: expected the name of the level just above (sram_1M), "
            "got 'dram'",
        ),
        (
            lambda levels: levels[1].update(parallel_with="dram"),
            "levels[1].parallel_with: expected on-chip levels side by side (DRAM is a depth of "
            "its own), got 'dram'",
        ),
        (
            lambda levels: levels[2].update(keeps=["weights", "outputs"]),
            "levels[2].keeps: expected data types no other level of its parallel group keeps "
            "(sram_1M), got ['outputs']",
        ),
        (
            lambda levels: levels[4].update(parallel_with="sram_8KB"),
            "levels[4].parallel_with: expected a level of the same kind and per_pe as sram_8KB, "
            "got 'regfile, per_pe True'",
        ),
        (
            lambda levels: levels[2].update(parallel_with=3),
            "levels[2].parallel_with: expected the name of the level just above, got 3",
        ),
    ],
)
def test_bad_parallel_groups_are_named(change, message: str) -> None:
    raw = _parallel_raw()
    change(raw["levels"])
    with pytest.raises(accelsim.ConfigError) as error:
        arch_from_dict(raw, source="eyeriss.yaml")
    assert str(error.value) == f"eyeriss.yaml: {message}"


def test_a_mapping_with_loops_on_a_groups_outer_member_is_refused() -> None:
    arch = load_arch(PARALLEL)
    layer = arch.apply_precision(accelsim.load_workload("alexnet")["FC3"])
    mapping = map_layer(layer, arch, "ws").mapping
    levels = list(mapping.levels)
    levels[1] = LevelMapping(levels[1].level, (Loop(Dim.M, 1),), (), levels[1].keeps)
    with pytest.raises(accelsim.ConfigError, match="sram_1M: expected no loops: it is parallel"):
        check_mapping(layer, arch, Mapping(tuple(levels)))


# ---- item 4: partial sums kept in a PE register --------------------------------------------
def _psum_arch(psum_bits: int) -> accelsim.Arch:
    # One weight register (8 bits) per PE under a partial-sum register; a 64 KB buffer.
    return make_arch(
        [
            DRAM,
            {"name": "buffer", "kind": "sram", "capacity_kb": 64},
            {
                "name": "psum_reg",
                "kind": "regfile",
                "capacity_bits": psum_bits,
                "keeps": ["outputs"],
            },
            {"name": "weight_reg", "kind": "regfile", "capacity_bits": 8, "keeps": ["weights"]},
        ],
        rows=2,
        cols=2,
    )


def test_weight_stationary_keeps_the_reduction_in_the_psum_register() -> None:
    # 1x1 conv, M = 2, C = 8, 4 x 4 outputs: 2 x 4 x 4 = 32 outputs. ws spreads C over the 2
    # rows and M over the 2 columns; the other 8 / 2 = 4 channel steps run in the PE, summed in
    # its 32-bit register, so each output reaches the buffer once: 32 updates (the spatial
    # reduction over the rows counts once). Without the register every one of the 4 steps
    # sends each partial sum to the buffer: 32 x 4 updates.
    layer = conv(m=2, c=8, p=4, q=4)
    found = map_layer(layer, _psum_arch(32), "ws", "cycles")
    assert found.analysis.temporal_steps == 2 * 8 * 4 * 4 // 4  # all 4 PEs busy
    assert found.mapping.levels[2].temporal == (Loop(Dim.C, 4),)
    assert found.analysis.at("buffer", DataType.OUTPUTS).updates == 32 * 1
    without = map_layer(layer, _psum_arch(0), "ws", "cycles")  # no room: nothing kept
    assert without.analysis.at("buffer", DataType.OUTPUTS).updates == 32 * 4
    assert found.energy < without.energy


def _zigzag_tpu(psum_bits: int) -> accelsim.Arch:
    # ZigZag 3.x inputs/hardware/tpu_like.yaml's memories: 32 x 32 PEs, each with a 128-byte
    # weight register (rf_128B) and a 2-byte partial-sum register (rf_2B); a 2 MB SRAM keeping
    # inputs and outputs; weights come from DRAM. 8-bit operands, 16-bit partial sums.
    levels = [
        {"name": "dram", "kind": "dram", "keeps": ["weights", "inputs", "outputs"]},
        {
            "name": "sram_2MB",
            "kind": "sram",
            "capacity_bits": 16_777_216,
            "keeps": ["inputs", "outputs"],
        },
        {"name": "rf_2B", "kind": "regfile", "capacity_bits": psum_bits, "keeps": ["outputs"]},
        {"name": "rf_128B", "kind": "regfile", "capacity_bits": 1024, "keeps": ["weights"]},
    ]
    raw = {
        "name": "zigzag_tpu",
        "pe_array": {"rows": 32, "cols": 32},
        "fixed_precision": {"weight_bits": 8, "input_bits": 8, "output_bits": 8, "psum_bits": 16},
        "energy_table": "horowitz45",
        "levels": levels,
    }
    return arch_from_dict(raw)


def test_resnet18_partial_sums_stay_in_the_pe_as_in_zigzag() -> None:
    # Issue #15: on ResNet-18 layer1.0.conv1 (64 -> 64 channels, 3 x 3, 56 x 56 outputs) ws sent
    # every partial sum to the SRAM at each reduction step: C = 64 spread 32 down the rows leaves
    # 2 channel steps, times R x S = 9: 200,704 outputs x 18 = 3,612,672 updates. With the 2-byte
    # register keeping the sum, the 18 steps run in the PE (their 2 x 9 = 18 weights in its
    # 128-byte register) and each output reaches the SRAM once.
    outputs = 64 * 56 * 56
    arch = _zigzag_tpu(16)
    layer = arch.apply_precision(accelsim.load_workload("resnet18")["layer1.0.conv1"])
    kept = map_layer(layer, arch, "ws")
    assert kept.analysis.at("sram_2MB", DataType.OUTPUTS).updates == outputs * 1 == 200_704
    assert kept.mapping.levels[3].temporal == (Loop(Dim.C, 2), Loop(Dim.R, 3), Loop(Dim.S, 3))
    sent = map_layer(layer, _zigzag_tpu(0), "ws")  # no register: every step goes to the SRAM
    assert sent.analysis.at("sram_2MB", DataType.OUTPUTS).updates == outputs * 2 * 9
    assert kept.analysis.temporal_steps == sent.analysis.temporal_steps == 2 * 56 * 56 * 2 * 9
    assert kept.energy < sent.energy
    timed = accelsim.evaluate(arch, layer, kept.mapping)
    assert timed.cycles >= kept.analysis.temporal_steps


# ---- item 8: what fails when nothing maps --------------------------------------------------
def test_when_nothing_maps_the_error_names_level_data_type_and_bits() -> None:
    # rs keeps partial sums in the PE; a psum register of 8 bits cannot hold one 16-bit sum.
    raw = _parallel_raw()
    raw["levels"][6]["capacity_bits"] = 8
    arch = arch_from_dict(raw, source="eyeriss.yaml")
    layer = arch.apply_precision(accelsim.load_workload("alexnet")["FC1"])
    with pytest.raises(accelsim.ConfigError) as error:
        map_layer(layer, arch, "rs")
    message = str(error.value)
    assert message == (
        "eyeriss.yaml: dataflow rs: expected a mapping of layer FC1 within every capacity "
        "(nothing the rs dataflow allows fits: the closest candidate overflows rf_16B: it "
        "needs 16 bits (outputs 16), the level has 8)"
    )
    assert "no factor" not in message


# ---- the mappings found on such designs, counted by brute force ---------------------------
ORACLE_ARCH = [
    DRAM,
    {"name": "io_sram", "kind": "sram", "capacity_bits": 4096, "keeps": ["inputs", "outputs"]},
    {
        "name": "w_sram",
        "kind": "sram",
        "capacity_bits": 2048,
        "keeps": ["weights"],
        "parallel_with": "io_sram",
    },
    {"name": "psum_sram", "kind": "sram", "capacity_bits": 1024, "keeps": ["outputs"]},
    {"name": "psum_reg", "kind": "regfile", "capacity_bits": 32, "keeps": ["outputs"]},
    {"name": "w_reg", "kind": "regfile", "capacity_bits": 80, "keeps": ["weights"]},
]


@settings(max_examples=15, deadline=None)
@given(
    m=st.integers(1, 4),
    c=st.integers(1, 4),
    size=st.integers(3, 6),
    kernel=st.sampled_from([1, 3]),
    flow=st.sampled_from(["ws", "rs", "os"]),
)
def test_mappings_on_parallel_memories_count_as_the_brute_force_nest(m, c, size, kernel, flow):
    # Every (level, data type) count of the mapper's choice equals the loop nest executed step by
    # step over sets of coordinates (tests/oracle_loopnest.py), whatever the mapper put where.
    arch = make_arch(ORACLE_ARCH, rows=3, cols=2)
    out = size - kernel + 1
    layer = conv(m=m, c=c, p=out, q=out, r=kernel, s=kernel)
    found = map_layer(layer, arch, flow)
    check_mapping(layer, arch, found.mapping)
    analysis = analyze(layer, arch, found.mapping)
    expected = oracle_counts(layer, found.mapping)
    got = {(item.level, item.data_type): item for item in analysis.traffic}
    assert set(got) == set(expected)
    for key, oracle in expected.items():
        item = got[key]
        model = (item.instances, item.tile_elements, item.reads, item.fills, item.updates)
        want = (oracle.instances, oracle.tile_elements, oracle.reads, oracle.fills, oracle.updates)
        assert model == want, key
