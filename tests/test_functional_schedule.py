"""The schedule run_layer executes, by hand: visit order, digit weights, coverage errors."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.arch.model import Axis
from accelsim.errors import ConfigError
from accelsim.functional import MAX_ITERATIONS, reference_conv, run_layer, schedule
from accelsim.mac import FpMac, IntMac
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.types import DATA_TYPES, Dim
from accelsim.workload.build import make_layer

ALL = frozenset(DATA_TYPES)
# 1x1 convolution: 2 input channels, 6 output channels, 1 x 2 pixels
LAYER = make_layer("hand", "conv", in_channels=2, out_channels=6, input_size=[1, 2], kernel_size=1)


def nest(dram: tuple[Loop, ...], spatial: tuple[Loop, ...] = (), pe: tuple[Loop, ...] = ()):
    return Mapping(
        (
            LevelMapping("DRAM", dram, (), ALL),
            LevelMapping("buffer", (), spatial, ALL),
            LevelMapping("rf", pe, (), ALL),
        )
    )


def test_steps_then_pes_and_mixed_radix_digits():
    # M split 2 (DRAM) x 3 (spatial): m = outer * 3 + pe; C and Q run inside the PE
    mapping = nest((Loop(Dim.M, 2),), (Loop(Dim.M, 3, Axis.X),), (Loop(Dim.C, 2), Loop(Dim.Q, 2)))
    found = schedule(LAYER, mapping)
    assert len(found.step) == LAYER.macs == 6 * 2 * 2
    assert found.step.tolist() == [s for s in range(2 * 2 * 2) for _ in range(3)]
    assert found.pe.tolist() == [0, 1, 2] * (2 * 2 * 2)
    # step 5 = (m outer 1, c 0, q 1): PEs 0, 1, 2 do m = 3, 4, 5
    at_step_5 = found.step == 5
    assert found.column(Dim.M)[at_step_5].tolist() == [3, 4, 5]
    assert found.column(Dim.C)[at_step_5].tolist() == [0, 0, 0]
    assert found.column(Dim.Q)[at_step_5].tolist() == [1, 1, 1]


def test_float_products_accumulate_in_step_order():
    # one output, C = 3 in time: ((1e8 + 1) - 1e8) in float32 is 0, the other order keeps the 1
    layer = make_layer(
        "sum", "conv", in_channels=3, out_channels=1, input_size=1, kernel_size=1,
        weight_bits=32, input_bits=32,
    )  # fmt: skip
    weights = np.array([1e8, 1.0, -1e8], dtype=np.float32).reshape(1, 3, 1, 1)
    inputs = np.ones((1, 3, 1, 1), dtype=np.float32)
    forward = run_layer(layer, nest((Loop(Dim.C, 3),)), FpMac(), weights, inputs)
    assert forward.item() == np.float32(0.0)
    reordered = weights[:, [0, 2, 1]]
    assert run_layer(layer, nest((Loop(Dim.C, 3),)), FpMac(), reordered, inputs).item() == 1.0


def test_overshooting_factors_idle_and_still_cover_every_mac_once():
    mapping = nest((Loop(Dim.M, 2), Loop(Dim.C, 2)), (Loop(Dim.M, 4, Axis.X), Loop(Dim.Q, 2)))
    found = schedule(LAYER, mapping)  # 2 x 4 = 8 > 6 output channels: 2 PEs idle half the time
    assert len(found.step) == LAYER.macs
    weights = np.arange(12).reshape(6, 2, 1, 1) - 6
    inputs = np.array([[[[3, -4]], [[5, 7]]]])
    got = run_layer(LAYER, mapping, IntMac(), weights, inputs)
    assert np.array_equal(got, reference_conv(LAYER, weights, inputs))


def test_a_mapping_that_misses_macs_is_an_error():
    mapping = nest((Loop(Dim.M, 2), Loop(Dim.C, 2), Loop(Dim.Q, 2)))  # M covers 2 of 6
    with pytest.raises(ConfigError) as error:
        schedule(LAYER, mapping)
    assert str(error.value) == (
        "mapping: expected a schedule visiting every MAC exactly once, got '16 MACs missed, 0 "
        "visited more than once (first: N=0, G=0, M=2, C=0, P=0, Q=0, R=0, S=0, visited 0 times)'"
    )


def test_big_layers_are_refused():
    layer = make_layer("big", "conv", in_channels=64, out_channels=64, input_size=16, kernel_size=3)
    mapping = nest(tuple(Loop(dim, bound) for dim, bound in layer.loop_bounds.items()))
    with pytest.raises(ConfigError, match=f"at most {MAX_ITERATIONS} iterations"):
        schedule(layer, mapping)


def test_operand_shapes_and_scale_are_checked():
    mapping = nest((Loop(Dim.M, 6), Loop(Dim.C, 2), Loop(Dim.Q, 2)))
    with pytest.raises(ConfigError) as error:
        run_layer(LAYER, mapping, IntMac(), np.zeros((6, 2, 1)), np.zeros((1, 2, 1, 3)))
    assert str(error.value).splitlines() == [
        "weights: expected an array of shape (6, 2, 1, 1), got (6, 2, 1)",
        "inputs: expected an array of shape (1, 2, 1, 2), got (1, 2, 1, 3)",
    ]
    with pytest.raises(ConfigError, match="a scale only with a ternary unit, got 'int'"):
        run_layer(LAYER, mapping, IntMac(), np.zeros((6, 2, 1, 1)), np.zeros((1, 2, 1, 2)), scale=1)


def test_operands_outside_the_precision_are_rejected_by_the_unit():
    mapping = nest((Loop(Dim.M, 6), Loop(Dim.C, 2), Loop(Dim.Q, 2)))
    weights = np.full((6, 2, 1, 1), 8)  # does not fit 4-bit signed
    with pytest.raises(ConfigError, match=r"weights: expected 4-bit signed integers in \[-8, 7\]"):
        run_layer(
            LAYER.with_precision(4, 4), mapping, IntMac(), weights, np.zeros((1, 2, 1, 2), int)
        )
