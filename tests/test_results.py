"""Result records: every breakdown sums to its total; pricing is separate from counting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_cases import small_conv_layers

import accelsim
from accelsim.analysis.counts import analyze
from accelsim.energy import load_energy_table
from accelsim.energy.pricing import price
from accelsim.mapper import map_layer
from accelsim.mapping.validate import tile_bits

KEYS = ("category", "data_type", "component", "action")


@pytest.fixture(scope="module")
def runs() -> list[accelsim.NetworkResult]:
    return [
        accelsim.simulate("eyeriss_isca16", "alexnet", dataflow=flow, batch=4)
        for flow in ("rs", "ws", "os", "nlr")
    ]


def test_every_breakdown_sums_to_the_total(runs):
    for network in runs:
        for layer in network.layers:
            for key in KEYS:
                assert sum(layer.energy_by(key).values()) == pytest.approx(layer.energy)
            assert sum(layer.energy_by_level_and_type().values()) == pytest.approx(layer.energy)
        for key in KEYS:
            assert sum(network.energy_by(key).values()) == pytest.approx(network.energy)
        assert network.energy == pytest.approx(sum(layer.energy for layer in network.layers))


def test_frames_carry_the_same_numbers(runs):
    frame = runs[0].to_frame()
    assert list(frame["layer"]) == [layer.layer for layer in runs[0].layers]
    assert frame["energy"].sum() == pytest.approx(runs[0].energy)
    categories = ["energy_ALU", "energy_RF", "energy_array", "energy_buffer", "energy_DRAM"]
    assert frame[categories].sum(axis=1).to_numpy() == pytest.approx(frame["energy"].to_numpy())
    # the engine's cycles are the compute (ideal) cycles plus stalls, and the stall causes add up
    assert (frame["cycles"] == frame["ideal_cycles"] + frame["stall_cycles"]).all()
    for layer in runs[0].layers:
        assert sum(cycles for _, cycles in layer.stalls_by_cause) == layer.stall_cycles
    summary = runs[0].summary()
    assert summary["macs"] == 4 * 724_406_816


def test_the_same_counts_priced_with_another_table():
    arch = accelsim.load_arch("timeloop_eyeriss_like")
    layer = arch.apply_precision(accelsim.load_workload("alexnet")["CONV1"])
    analysis = map_layer(layer, arch, "rs").analysis
    normalized = price(analysis, arch, load_energy_table("eyeriss_normalized"))
    picojoules = price(analysis, arch, load_energy_table("timeloop45"))
    mac_n = next(item.energy for item in normalized if item.component == "mac")
    mac_pj = next(item.energy for item in picojoules if item.component == "mac")
    assert mac_n == pytest.approx(layer.macs * 1.0)  # normalized: one unit per 16-bit MAC
    assert mac_pj == pytest.approx(layer.macs * 2.20)  # Timeloop 45 nm int16 MAC
    dram_n = sum(i.energy for i in normalized if i.category == "DRAM")
    dram_pj = sum(i.energy for i in picojoules if i.category == "DRAM")
    assert dram_pj / dram_n == pytest.approx(128 / 200)  # same words, other price per word


@settings(max_examples=40, deadline=None)
@given(layer=small_conv_layers(max_stride=3), flow=st.sampled_from(("rs", "ws", "osb", "nlr")))
def test_capacity_check_tiles_equal_the_analysis_tiles(layer, flow):
    """The mapper's fast tile sizes equal the exact analysis' tiles at every level."""
    arch = accelsim.load_arch("tiny")
    mapping = map_layer(layer, arch, flow).mapping
    analysis = analyze(layer, arch, mapping)
    for index, level in enumerate(arch.levels):
        held = tile_bits(layer, mapping, index)
        for data_type, bits in held.items():
            traffic = analysis.at(level.name, data_type)
            per_element = layer.psum_bits if data_type.value == "outputs" else traffic.element_bits
            assert bits == traffic.tile_elements * per_element


def test_a_lut_unit_pays_its_table_load_once_per_layer_in_every_used_pe():
    # tiny with a 4x4 LUT unit, horowitz45 (no mac entry: the unit's own pJ): the ALU energy is
    # MACs x (8 product bits x 0.009 pJ read + 32-bit add 0.1 pJ) plus, per used PE, the
    # 2^(4+4)-entry table of 8-bit products written once at 0.009 pJ per bit
    from pathlib import Path

    from accelsim.arch import arch_from_dict
    from accelsim.config import read_yaml

    raw = read_yaml(Path(accelsim.load_arch("tiny").source))
    arch = arch_from_dict({**raw, "mac": {"type": "lut"}, "energy_table": "horowitz45"})
    layer = accelsim.load_workload("tiny")[0].with_precision(4, 4)
    result = accelsim.simulate(arch, layer, dataflow="ws", fidelity="ideal").layers[0]
    alu = {item.action: item.energy for item in result.energy_items if item.category == "ALU"}
    assert alu["compute"] == pytest.approx(result.macs * (8 * 0.009 + 0.1))
    assert alu["setup"] == pytest.approx(result.used_pes * 2 ** (4 + 4) * 8 * 0.009)
    assert result.energy_by("category")["ALU"] == pytest.approx(sum(alu.values()))
