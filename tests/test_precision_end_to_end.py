"""Per-layer precision end to end: traffic and capacities in bits, MAC throughput, energy, CLI.

Architectures: ``tiny`` (int 8x8 unit, 8 KB buffer = 65536 bits, 32 / 64 bits per cycle DRAM /
buffer) and the builtin ``bitfusion`` (fusion units of 2-bit bricks, horowitz45 table).
"""

from __future__ import annotations

import pandas as pd
import pytest

from accelsim.api import evaluate, simulate
from accelsim.arch import load_arch
from accelsim.cli import main
from accelsim.errors import ConfigError
from accelsim.mac import make_mac_unit
from accelsim.mapper import map_layer
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.types import DATA_TYPES, DataType, Dim
from accelsim.workload.build import make_layer

TINY = load_arch("tiny")
BITFUSION = load_arch("bitfusion")
CONV = make_layer("conv", "conv", in_channels=4, out_channels=8, input_size=6, kernel_size=3)
FC = make_layer("fc", "fc", in_features=1024, out_features=16)


def traffic_bits(result, level: str, data_type: DataType) -> tuple[int, int]:
    (item,) = [t for t in result.traffic if t.level == level and t.data_type is data_type]
    return item.read_bits, item.write_bits


@pytest.mark.parametrize("bits", [8, 4, 2])
def test_dram_traffic_is_counted_in_bits(bits):
    # the whole layer fits the buffer, so DRAM sends each weight and input once
    (result,) = simulate(TINY, CONV, dataflow="rs", weight_bits=bits, input_bits=bits).layers
    assert traffic_bits(result, "DRAM", DataType.WEIGHTS) == (8 * 4 * 3 * 3 * bits, 0)
    assert traffic_bits(result, "DRAM", DataType.INPUTS) == (4 * 6 * 6 * bits, 0)
    assert traffic_bits(result, "DRAM", DataType.OUTPUTS) == (0, 8 * 4 * 4 * 8)  # output_bits 8


@pytest.mark.parametrize("bits", [4, 2, 1])
def test_buffer_traffic_scales_with_the_bits_under_one_mapping(bits):
    mapping = map_layer(CONV, TINY, "rs").mapping
    full = evaluate(TINY, CONV, mapping)
    low = evaluate(TINY, CONV.with_precision(bits, bits), mapping)
    for level in ("DRAM", "buffer", "rf"):
        for data_type in (DataType.WEIGHTS, DataType.INPUTS):
            read, write = traffic_bits(full, level, data_type)
            assert traffic_bits(low, level, data_type) == (read * bits // 8, write * bits // 8)
        assert traffic_bits(low, level, DataType.OUTPUTS) == traffic_bits(
            full, level, DataType.OUTPUTS
        )


WHOLE_LAYER_IN_BUFFER = Mapping(
    (
        LevelMapping("DRAM", (), (), frozenset(DATA_TYPES)),
        LevelMapping("buffer", (Loop(Dim.M, 16), Loop(Dim.C, 1024)), (), frozenset(DATA_TYPES)),
        LevelMapping("rf", (), (), frozenset()),
    )
)


def test_a_tile_that_fits_at_2_bits_does_not_fit_at_8():
    # weights 16 x 1024, inputs 1024, outputs 16 partial sums of 32 bits
    fits_2 = 16 * 1024 * 2 + 1024 * 2 + 16 * 32
    needed_8 = 16 * 1024 * 8 + 1024 * 8 + 16 * 32
    assert fits_2 <= 8 * 1024 * 8 < needed_8
    evaluate(TINY, FC.with_precision(2, 2), WHOLE_LAYER_IN_BUFFER)
    with pytest.raises(ConfigError, match=f"{needed_8} bits needed"):
        evaluate(TINY, FC, WHOLE_LAYER_IN_BUFFER)


def test_the_mapper_uses_the_room_low_precision_frees():
    at_8 = map_layer(FC, TINY, "ws").mapping
    at_2 = map_layer(FC.with_precision(2, 2), TINY, "ws").mapping
    assert at_8.levels[0].temporal  # the weights come from DRAM in pieces at 8 bits ...
    assert not at_2.levels[0].temporal  # ... and all at once at 2 bits


@pytest.mark.parametrize(
    ("weight_bits", "input_bits", "per_cycle"),
    [(8, 8, 1), (4, 8, 2), (8, 2, 4), (4, 4, 4), (2, 2, 16), (1, 1, 16), (3, 3, 4)],
)
def test_bitfusion_lanes_divide_the_ideal_cycles(weight_bits, input_bits, per_cycle):
    """A fusion unit's MACs per cycle are lane loops of the mapping: with the cycles objective
    the mapper issues more MACs per cycle (PEs x lanes) as the unit's throughput rises, and the
    ideal cycles are exactly the MACs over PEs x lanes."""
    layer = CONV.with_precision(weight_bits, input_bits)
    assert BITFUSION.mac_unit.macs_per_cycle(weight_bits, input_bits) == per_cycle
    mapping = map_layer(layer, BITFUSION, "ws", "cycles").mapping
    result = evaluate(BITFUSION, layer, mapping, fidelity="ideal")
    assert result.ideal_cycles == mapping.temporal_steps
    assert mapping.lanes <= per_cycle
    assert result.ideal_cycles * mapping.used_pes * mapping.lanes == layer.macs
    full = map_layer(CONV, BITFUSION, "ws", "cycles").mapping  # 8/8: one MAC per cycle
    if per_cycle > 1:
        assert mapping.temporal_steps < full.temporal_steps


def test_lower_precision_lowers_energy_on_bitfusion():
    results = {
        bits: simulate(BITFUSION, CONV, dataflow="ws", weight_bits=bits, input_bits=bits)
        for bits in (8, 4, 2)
    }
    energies = [results[bits].energy for bits in (8, 4, 2)]
    assert energies[0] > energies[1] > energies[2]
    # the fusion unit draws 0.560 pJ a cycle and does 1, 4, 16 MACs in it (horowitz45: pJ)
    for bits, per_cycle in ((8, 1), (4, 4), (2, 16)):
        alu = results[bits].energy_by("category")["ALU"]
        assert alu == pytest.approx(CONV.macs * 0.560 / per_cycle, rel=1e-9)


def test_bitfusion_energy_per_cycle_is_the_table_figure():
    unit = make_mac_unit({"type": "bitfusion"}, source="test")
    assert unit.cycle_energy_pj() == pytest.approx(0.560)


def test_cli_weight_bits_input_bits_override_every_layer(tmp_path, capsys):
    args = ["run", "--arch", "bitfusion", "--workload", "tiny", "--dataflows", "ws"]
    assert main([*args, "--w-bits", "4", "--a-bits", "4", "--out", str(tmp_path / "low")]) == 0
    assert main([*args, "--out", str(tmp_path / "full")]) == 0
    low = pd.read_csv(tmp_path / "low" / "layers.csv")
    full = pd.read_csv(tmp_path / "full" / "layers.csv")
    assert len(low) == 3  # the tiny workload's layers, at the CLI's default batch of 16
    assert (low["weight_bits"] == 4).all() and (low["input_bits"] == 4).all()
    assert (full["weight_bits"] == 8).all() and (full["input_bits"] == 8).all()
    expected = simulate(BITFUSION, "tiny", dataflow="ws", batch=16, weight_bits=4, input_bits=4)
    assert low["cycles"].tolist() == [layer.cycles for layer in expected.layers]
    assert (low["ideal_cycles"] < full["ideal_cycles"]).all()
    assert "wrote" in capsys.readouterr().out
