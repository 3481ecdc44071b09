"""Huge layers: mapping and timing work that grows with the logarithm of the sizes, with counts
that stay exact integers (timings are measured in bench/bench_scale.py, not here)."""

from __future__ import annotations

from dataclasses import replace

import pytest

import accelsim
from accelsim.analysis.counts import bandwidth_cycles
from accelsim.arch import load_arch
from accelsim.mapper import map_layer
from accelsim.types import DataType
from accelsim.workload.build import make_layer


def dram(result, data_type: DataType):
    return next(t for t in result.traffic if t.level == "DRAM" and t.data_type is data_type)


@pytest.mark.parametrize("dataflow", ["rs", "ws", "os", "nlr"])
def test_fc_with_a_trillion_inputs_maps_and_times_exactly(dataflow: str) -> None:
    layer = make_layer("huge", "fc", in_features=10**12, out_features=1000)
    result = accelsim.simulate("eyeriss_isca16", layer, dataflow=dataflow).layers[0]
    assert result.macs == result.padded_macs == 10**12 * 1000
    # batch 1: every weight meets one input only, so DRAM sends each weight exactly once
    assert dram(result, DataType.WEIGHTS).reads == 10**12 * 1000
    assert dram(result, DataType.INPUTS).reads >= 10**12
    assert dram(result, DataType.OUTPUTS).updates >= 1000
    assert result.cycles >= result.ideal_cycles >= 10**15 // (16 * 16)
    for item in result.traffic:
        assert all(type(n) is int for n in (item.reads, item.fills, item.updates))


def test_matmul_of_a_million_cubed_maps_and_times_exactly() -> None:
    layer = make_layer("huge", "matmul", rows=10**6, inner=10**6, columns=10**6)
    result = accelsim.simulate("eyeriss_isca16", layer, dataflow="rs").layers[0]
    assert result.macs == result.padded_macs == 10**18
    assert dram(result, DataType.WEIGHTS).reads >= 10**12  # each weight at least once
    assert result.ideal_cycles == 10**18 // result.used_pes


def test_the_bandwidth_bound_is_exact_beyond_a_float() -> None:
    # 2^53 + 1 steps: a float rounds it down to 2^53, one cycle short
    arch = load_arch("eyeriss_isca16").for_dataflow("rs")
    layer = make_layer("fc", "fc", in_features=64, out_features=10)
    analysis = map_layer(layer, arch, "rs").analysis
    assert bandwidth_cycles(replace(analysis, temporal_steps=2**53 + 1), arch) >= 2**53 + 1
