"""Shipped architecture configs: each loads, has the properties its file documents, applies its
per-dataflow variants, and runs the tiny workload under every dataflow it supports.

Capacities are written as arithmetic in bits (``108 * 1024 * 8`` for the Eyeriss chip's 108 KB
buffer); the source of each number is the config file's ``source:`` and comments.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from shared_cases import ALEXNET_MACS

import accelsim
from accelsim.arch import LevelKind, load_arch
from accelsim.energy import load_energy_table
from accelsim.mac import IntMac, make_mac_unit
from accelsim.types import DataType

WEIGHTS, INPUTS, OUTPUTS = DataType.WEIGHTS, DataType.INPUTS, DataType.OUTPUTS
ALL = frozenset(DataType)
IN_OUT = frozenset({INPUTS, OUTPUTS})
DATAFLOWS = ("rs", "ws", "os", "nlr")


@dataclass(frozen=True)
class Documented:
    """What a config's description promises: array, clock, table, and per level
    (capacity in bits or None, word bits, per-PE, kept data types)."""

    rows: int
    cols: int
    clock_mhz: float
    energy_table: str
    levels: tuple[tuple[str, int | None, int, bool, frozenset[DataType]], ...]
    dataflows: tuple[str, ...] = DATAFLOWS


DOCUMENTED = {
    "eyeriss_isca16": Documented(
        16,
        16,
        200,
        "eyeriss_normalized",
        (
            ("DRAM", None, 16, False, ALL),
            ("buffer", 128 * 1024 * 8, 16, False, ALL),
            ("rf", 512 * 8, 16, True, ALL),
        ),
    ),
    "eyeriss_chip": Documented(
        12,
        14,
        200,
        "eyeriss_normalized",
        (
            ("DRAM", None, 16, False, ALL),
            ("buffer", 108 * 1024 * 8, 16, False, ALL),
            ("ifmap_spad", 12 * 16, 16, True, frozenset({INPUTS})),
            ("weights_spad", 224 * 16, 16, True, frozenset({WEIGHTS})),
            ("psum_spad", 24 * 16, 16, True, frozenset({OUTPUTS})),
        ),
    ),
    "timeloop_eyeriss_like": Documented(
        12,
        14,
        200,
        "timeloop45",
        (
            ("DRAM", None, 16, False, ALL),
            ("shared_glb", 128 * 1024 * 8, 16, False, IN_OUT),
            ("DummyBuffer", 0, 16, False, frozenset()),
            ("ifmap_spad", 12 * 16, 16, True, frozenset({INPUTS})),
            ("weights_spad", 192 * 16, 16, True, frozenset({WEIGHTS})),
            ("psum_spad", 16 * 16, 16, True, frozenset({OUTPUTS})),
        ),
    ),
    "tpu_like": Documented(
        32,
        32,
        700,
        "horowitz45",
        (
            ("DRAM", None, 64, False, ALL),
            # (24 MiB unified buffer + 4 MiB accumulators) / 64
            ("unified_buffer", (24 + 4) * 1024 * 1024 * 8 // 64, 64, False, IN_OUT),
            ("weight_reg", 2 * 8, 8, True, frozenset({WEIGHTS})),
        ),
        # A PE register holds 2 weights: too small for RS, which keeps a whole filter row.
        dataflows=("ws", "os", "nlr"),
    ),
    "tiny": Documented(
        4,
        4,
        100,
        "eyeriss_normalized",
        (
            ("DRAM", None, 8, False, ALL),
            ("buffer", 8 * 1024 * 8, 8, False, ALL),
            ("rf", 1024, 8, True, ALL),
        ),
    ),
}


@pytest.mark.parametrize("name", accelsim.builtin_archs())
def test_every_builtin_arch_loads(name: str) -> None:
    arch = load_arch(name)
    assert arch.name == name
    assert arch.levels[0].kind is LevelKind.DRAM and arch.levels[0].keeps == ALL
    assert arch.pe_array.pes > 0 and arch.clock_mhz > 0
    assert arch.source.endswith(f"{name}.yaml")
    load_energy_table(arch.energy_table)  # the table it names exists and is valid
    assert arch.mac_unit.supported_weight_bits()  # its MAC unit was built at load


def test_the_shipped_configs_include_the_documented_ones() -> None:
    assert set(DOCUMENTED) <= set(accelsim.builtin_archs())


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_documented_properties(name: str) -> None:
    arch = load_arch(name)
    expected = DOCUMENTED[name]
    assert (arch.pe_array.rows, arch.pe_array.cols) == (expected.rows, expected.cols)
    assert arch.clock_mhz == expected.clock_mhz
    assert arch.energy_table == expected.energy_table
    levels = [
        (level.name, level.capacity_bits, level.word_bits, level.per_pe, level.keeps)
        for level in arch.levels
    ]
    assert levels == list(expected.levels)


def test_eyeriss_chip_pe_count_and_interfaces() -> None:
    arch = load_arch("eyeriss_chip")
    assert arch.pe_array.pes == 168 == 12 * 14
    assert arch.level("DRAM").read_bandwidth_bits == 64  # the chip's 64-bit data bus
    assert arch.level("buffer").read_bandwidth_bits == 3 * 64  # filter, ifmap, psum networks
    assert arch.mac_unit == make_mac_unit(
        {"type": "int", "weight_bits": 16, "input_bits": 16}, source=""
    )


def test_eyeriss_chip_runs_every_layer_at_16_bits() -> None:
    arch = load_arch("eyeriss_chip")
    layer = accelsim.make_layer("fc", "fc", in_features=64, out_features=10)
    assert layer.weight_bits == 8
    fixed = arch.apply_precision(layer)
    assert (fixed.weight_bits, fixed.input_bits, fixed.output_bits, fixed.psum_bits) == (16,) * 4


def test_tpu_like_is_a_systolic_int8_array() -> None:
    arch = load_arch("tpu_like")
    assert arch.pe_array.pes == 32 * 32
    assert arch.network.systolic
    assert isinstance(arch.mac_unit, IntMac)
    assert arch.mac_unit.weight_bits == arch.mac_unit.input_bits == 8
    assert arch.level("DRAM").read_bandwidth_bits == 64
    assert arch.level("unified_buffer").read_bandwidth_bits == 32 * 8 + 32 * 32


def test_eyeriss_isca16_nlr_variant_moves_the_rf_area_to_the_buffer() -> None:
    arch = load_arch("eyeriss_isca16")
    nlr = arch.for_dataflow("nlr")
    assert nlr.level("buffer").capacity_bits == 384 * 1024 * 8  # 128 KB + 256 x 512 B x 2
    assert nlr.level("rf").capacity_bits == 0
    assert nlr.level("rf").keeps == frozenset()
    assert arch.level("buffer").capacity_bits == 128 * 1024 * 8  # the original is unchanged


@pytest.mark.parametrize("dataflow", ["rs", "ws", "os"])
def test_eyeriss_isca16_other_dataflows_keep_the_rs_split(dataflow: str) -> None:
    arch = load_arch("eyeriss_isca16")
    assert arch.for_dataflow(dataflow) is arch


def test_arch_without_per_dataflow_is_its_own_variant() -> None:
    arch = load_arch("eyeriss_chip")
    assert arch.for_dataflow("nlr") is arch


SUPPORTED = [(name, flow) for name in sorted(DOCUMENTED) for flow in DOCUMENTED[name].dataflows]


@pytest.mark.parametrize(("name", "dataflow"), SUPPORTED)
def test_every_arch_runs_the_tiny_workload(name: str, dataflow: str) -> None:
    network = accelsim.load_workload("tiny")
    result = accelsim.simulate(name, network, dataflow=dataflow)
    assert [layer.layer for layer in result.layers] == [layer.name for layer in network]
    assert result.macs == sum(layer.macs for layer in network)
    for layer in result.layers:
        assert 0 < layer.used_pes <= layer.total_pes
        assert layer.cycles >= layer.ideal_cycles >= -(-layer.macs // layer.used_pes)
    assert result.energy > 0


def test_tpu_like_cannot_run_row_stationary() -> None:
    with pytest.raises(accelsim.ConfigError, match="nothing the rs dataflow allows fits"):
        accelsim.simulate("tpu_like", "tiny", dataflow="rs")


def test_eyeriss_chip_maps_every_alexnet_layer_at_batch_4() -> None:
    result = accelsim.simulate("eyeriss_chip", "alexnet", dataflow="rs", batch=4)
    assert {layer.layer: layer.macs for layer in result.layers} == {
        name: 4 * macs for name, macs in ALEXNET_MACS.items()
    }
    for layer in result.layers:
        assert layer.total_pes == 12 * 14
        assert layer.used_pes <= 12 * 14
        assert layer.weight_bits == layer.input_bits == 16


def test_tpu_like_runs_resnet18_weight_stationary() -> None:
    result = accelsim.simulate("tpu_like", "resnet18", dataflow="ws")
    assert len(result.layers) == len(accelsim.load_workload("resnet18"))
    arch = accelsim.load_arch("tpu_like")
    for layer in result.layers:  # the two bounds of every timing result (DESIGN.md, Timing)
        assert layer.cycles >= layer.ideal_cycles >= -(-layer.macs // layer.used_pes)
        assert layer.used_pes <= 32 * 32
        for level in arch.levels:  # no instance of a level moves more bits than its ports carry
            moved = [t for t in layer.traffic if t.level == level.name]
            if level.read_bandwidth_bits:
                reads = sum(t.read_bits / t.instances for t in moved)
                assert layer.cycles >= reads / level.read_bandwidth_bits, (layer.layer, level.name)
            if level.write_bandwidth_bits:
                writes = sum(t.write_bits / t.instances for t in moved)
                assert layer.cycles >= writes / level.write_bandwidth_bits, (
                    layer.layer,
                    level.name,
                )
    assert {layer.energy_unit for layer in result.layers} == {"pJ"}
