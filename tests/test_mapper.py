"""The mapper: valid, covering, deterministic, cached; clear errors when a dataflow cannot map."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_cases import small_conv_layers

import accelsim
from accelsim.arch import arch_from_dict, load_arch
from accelsim.mapper import _cached, map_layer
from accelsim.mapping.validate import check_mapping

FLOWS = ("rs", "ws", "os", "osa", "osb", "osc", "nlr")


def _tiny_layers() -> list[accelsim.Layer]:
    return list(accelsim.load_workload("tiny"))


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("layer", _tiny_layers(), ids=lambda layer: layer.name)
def test_mapping_is_valid_and_covers_the_layer_exactly(flow, layer):
    arch = load_arch("tiny")
    found = map_layer(layer, arch, flow)
    check_mapping(layer, arch, found.mapping)  # raises if anything overflows or is missing
    for dim, size in layer.loop_bounds.items():
        assert found.mapping.bound(dim) == size
    assert found.analysis.padded_macs == layer.macs


def test_every_alexnet_layer_maps_under_the_four_dataflows():
    arch = load_arch("eyeriss_isca16")
    for flow in ("rs", "ws", "os", "nlr"):
        variant = arch.for_dataflow(flow)
        for layer in accelsim.load_workload("alexnet").with_batch(16):
            layer = variant.apply_precision(layer)
            check_mapping(layer, variant, map_layer(layer, variant, flow).mapping)


def test_search_is_deterministic_and_cached():
    arch = load_arch("eyeriss_isca16")
    layer = arch.apply_precision(accelsim.load_workload("alexnet")["CONV3"])
    first = map_layer(layer, arch, "rs")
    _cached.cache_clear()
    again = map_layer(layer, arch, "rs")
    assert again.mapping == first.mapping and again.energy == first.energy
    assert map_layer(layer, arch, "rs") is again  # served from the cache


def test_objectives_trade_energy_for_cycles():
    arch = load_arch("eyeriss_isca16")
    layer = arch.apply_precision(accelsim.load_workload("alexnet")["CONV2"])
    by_energy = map_layer(layer, arch, "ws", "energy")
    by_cycles = map_layer(layer, arch, "ws", "cycles")
    assert by_cycles.analysis.temporal_steps <= by_energy.analysis.temporal_steps
    assert by_energy.energy <= by_cycles.energy


def test_unknown_dataflow_lists_the_known_ones():
    with pytest.raises(accelsim.ConfigError, match=r"dataflow: expected one of rs, ws, os"):
        accelsim.simulate("tiny", "tiny", dataflow="xs")


def _arch(rf_bits: int | None, buffer_bits: int = 8192) -> accelsim.Arch:
    levels = [
        {"name": "DRAM", "kind": "dram", "keeps": ["weights", "inputs", "outputs"]},
        {"name": "buffer", "kind": "sram", "capacity_bits": buffer_bits},
    ]
    if rf_bits is not None:
        levels.append({"name": "rf", "kind": "regfile", "capacity_bits": rf_bits})
    return arch_from_dict({"name": "t", "pe_array": {"rows": 2, "cols": 2}, "levels": levels})


def test_a_dataflow_that_needs_register_files_says_so():
    layer = accelsim.load_workload("tiny")[0]
    with pytest.raises(
        accelsim.ConfigError,
        match="dataflow rs: expected an architecture with per-PE register files",
    ):
        map_layer(layer, _arch(rf_bits=None), "rs")
    map_layer(layer, _arch(rf_bits=None), "nlr")  # NLR needs none


def test_a_buffer_too_small_for_any_tile_is_reported():
    layer = accelsim.load_workload("tiny")[0]
    needed = 8 + 8 + 32  # one weight, one input, one 32-bit partial sum
    with pytest.raises(
        accelsim.ConfigError,
        match=rf"mapping of layer conv1 within every capacity \(nothing the ws dataflow allows "
        rf"fits: the closest candidate overflows buffer: it needs {needed} bits \(weights 8, "
        rf"inputs 8, outputs 32\), the level has 8\)",
    ):
        map_layer(layer, _arch(rf_bits=4096, buffer_bits=8), "ws")


def test_a_dataflow_whose_spread_cannot_fit_the_array_says_why():
    # RS spreads the filter rows (R = 3 on tiny's layers) down the array: 2 rows cannot hold 3
    arch = replace(accelsim.load_arch("tiny"), pe_array=accelsim.arch.PEArray(2, 4))
    with pytest.raises(accelsim.ConfigError, match="R = 3 has no factor that fits the 2 rows"):
        accelsim.simulate(arch, "tiny", dataflow="rs")


@settings(max_examples=40, deadline=None)
@given(layer=small_conv_layers(max_stride=2), flow=st.sampled_from(FLOWS))
def test_random_layers_map_within_capacity(layer, flow):
    arch = load_arch("tiny")
    found = map_layer(layer, arch, flow)
    check_mapping(layer, arch, found.mapping)
    assert found.analysis.temporal_steps * found.analysis.used_pes == layer.macs
