"""The engine never takes longer for one mapping at fewer bits (less traffic, same schedule).

Cost tables rely on it to be monotone by construction (docs/precision.md). Random small cases
check it with streamed partial sums and sliding windows; the named layers are the MobileNetV2
ones on which an earlier engine rule (prefetching into a level's spare room) broke it:
with in-order ports, the earlier input prefetch delayed partial-sum drains on the buffer's write
port, so features.5.conv.0.0 took 171,095 cycles at 1/1 bits against 169,433 at 1/2.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine import layers_and_mappings
from test_engine_reference import ALL, archs

import accelsim
from accelsim.arch import Axis
from accelsim.engine import simulate_timing
from accelsim.mapper import map_layer
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.types import DataType, Dim

ARCH = accelsim.load_arch("bitfusion")
NETWORK = accelsim.load_workload("mobilenet_v2").with_batch(16)
LAYERS = ("features.3.conv.1.0", "features.5.conv.0.0")


def cycles(layer, mapping, w: int, a: int) -> int:
    return accelsim.evaluate(
        ARCH, layer.with_precision(w, a), mapping, dataflow="ws", fidelity="engine"
    ).cycles


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("top", [2, 4, 8])
def test_one_mapping_never_slows_down_at_fewer_bits(name, top):
    layer = NETWORK[name]
    mapping = map_layer(layer.with_precision(top, top), ARCH, "ws", "cycles").mapping
    bits = [b for b in (8, 6, 4, 3, 2, 1) if b <= top]  # widest first
    wider = dict(zip(bits[1:], bits, strict=False))  # each width's next wider one
    table = {(w, a): cycles(layer, mapping, w, a) for w in bits for a in bits}
    for (w, a), value in table.items():
        for neighbour in ((wider.get(w), a), (w, wider.get(a))):
            if neighbour in table:
                assert value <= table[neighbour], ((w, a), neighbour)


def test_the_mapping_that_exposed_the_anomaly():
    # a cost table's entry for features.5.conv.0.0 (a wider pair's mapping reused at 1/2 and 1/1)
    layer = NETWORK["features.5.conv.0.0"]
    everything = frozenset(DataType)
    mapping = Mapping(
        (
            LevelMapping("DRAM", (Loop(Dim.N, 16), Loop(Dim.P, 4), Loop(Dim.M, 6)), (), everything),
            LevelMapping(
                "buffer",
                (Loop(Dim.P, 7), Loop(Dim.Q, 28)),
                (Loop(Dim.C, 16, Axis.Y), Loop(Dim.M, 32, Axis.X)),
                frozenset({DataType.INPUTS, DataType.OUTPUTS}),
            ),
            LevelMapping("wbuf", (), (Loop(Dim.C, 2, Axis.LANE),), frozenset({DataType.WEIGHTS})),
        )
    )
    assert cycles(layer, mapping, 1, 1) <= cycles(layer, mapping, 1, 2)
    assert cycles(layer, mapping, 1, 2) <= cycles(layer, mapping, 2, 2)


@settings(max_examples=200, deadline=None)
@given(
    layers_and_mappings(),
    archs(),
    st.sampled_from([ALL, frozenset({DataType.INPUTS}), ALL - {DataType.OUTPUTS}]),
    st.sampled_from([(4, 8), (8, 4), (4, 4), (2, 1)]),
)
def test_random_mappings_never_slow_down_at_fewer_bits(case, arch, rf, narrow):
    # Random small layers, mappings and architectures (the reference test's), the register file
    # streaming partial sums or not and keeping all data types or only inputs (a sliding window):
    # 8-bit weights and inputs against fewer. 1,500 such cases (4/4 against 8/8) showed none.
    layer, mapping = case
    mapping = Mapping((*mapping.levels[:-1], replace(mapping.levels[-1], keeps=rf)))
    weight_bits, input_bits = narrow
    wide = simulate_timing(layer, arch, mapping).cycles
    fewer = replace(layer, weight_bits=weight_bits, input_bits=input_bits)
    assert simulate_timing(fewer, arch, mapping).cycles <= wide
