"""Functional models against numpy: every integer unit must equal the exact integer dot product."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accelsim.errors import ConfigError
from accelsim.mac import BinaryMac, BitFusionMac, IntMac, LutMac, TernaryMac, weight_density_of
from accelsim.mac.binary import pack_signs, popcount
from accelsim.mac.bitfusion import bricks
from accelsim.mac.intops import int_range

SHAPES = st.tuples(st.integers(1, 4), st.integers(1, 9), st.integers(1, 4))


@st.composite
def int_matrices(draw, bits: int, signed: bool, low: int | None = None, high: int | None = None):
    """An (M x K) weight and a (K x N) input matrix of ``bits``-bit integers."""
    m, k, n = draw(SHAPES)
    lo, hi = int_range(bits, signed)
    elements = st.integers(lo if low is None else low, hi if high is None else high)
    weights = draw(hnp.arrays(np.int64, (m, k), elements=elements))
    inputs = draw(hnp.arrays(np.int64, (k, n), elements=st.integers(lo, hi)))
    return weights, inputs


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("signed", [True, False])
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_int_matmul_equals_numpy(bits, signed, data):
    weights, inputs = data.draw(int_matrices(bits, signed))
    unit = IntMac(weight_bits=bits, input_bits=bits, signed=signed)
    assert np.array_equal(unit.matmul(weights, inputs, bits, bits), weights @ inputs)


@pytest.mark.parametrize("signed", [True, False])
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_int_dot_along_any_axis_equals_numpy(signed, data):
    weights, inputs = data.draw(int_matrices(8, signed))
    unit = IntMac(signed=signed)
    result = unit.dot(weights.T[:, :, np.newaxis], inputs[:, np.newaxis, :], 8, 8, axis=0)
    assert np.array_equal(result, weights @ inputs)
    assert np.array_equal(unit.dot(weights[0], inputs[:, 0], 8, 8), weights[0] @ inputs[:, 0])


def test_int_accumulator_wraps_in_twos_complement():
    unit = IntMac(weight_bits=4, input_bits=4, accumulator_width=8)
    # 7 * 7 + 7 * 7 + 7 * 7 = 147, which an 8-bit accumulator reads as 147 - 256
    assert unit.dot([7, 7, 7], [7, 7, 7], 4, 4) == 147 - 256


@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_binary_bit_packed_equals_plus_minus_one_numpy(data):
    m, k, n = data.draw(st.tuples(st.integers(1, 3), st.integers(1, 200), st.integers(1, 3)))
    signs = st.sampled_from([-1, 1])
    weights = data.draw(hnp.arrays(np.int64, (m, k), elements=signs))
    inputs = data.draw(hnp.arrays(np.int64, (k, n), elements=signs))
    assert np.array_equal(
        BinaryMac(accumulator_width=32).matmul(weights, inputs, 1, 1), weights @ inputs
    )


def test_binary_xnor_popcount_by_hand():
    weights = np.array([1, -1, 1, 1, -1])
    inputs = np.array([1, 1, -1, 1, -1])
    # bits 10110 and 11010 differ in 2 places: 5 - 2 * 2 = 1 = 1 - 1 - 1 + 1 + 1
    assert popcount(np.bitwise_xor(pack_signs(weights), pack_signs(inputs))) == 2
    assert BinaryMac().dot(weights, inputs, 1, 1) == 5 - 2 * 2


@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_ternary_with_scale_equals_numpy(data):
    weights, inputs = data.draw(int_matrices(8, True, low=-1, high=1))
    scale = data.draw(hnp.arrays(np.float32, weights.shape[0], elements=st.floats(-4, 4, width=32)))
    unit = TernaryMac()
    exact = weights @ inputs
    assert np.array_equal(unit.matmul(weights, inputs, 2, 8), exact)
    expected = exact.astype(np.float32) * scale[:, np.newaxis]
    assert np.array_equal(unit.matmul(weights, inputs, 2, 8, scale=scale), expected)


def test_ternary_rejects_non_ternary_weights():
    with pytest.raises(ConfigError, match=r"weights: expected ternary values -1, 0 or \+1"):
        TernaryMac().dot([-2, 1], [3, 4], 2, 8)
    with pytest.raises(ConfigError, match=r"weights: expected 2-bit signed integers in \[-2, 1\]"):
        TernaryMac().dot([2, 1], [3, 4], 2, 8)


def test_weight_density_of_counts_non_zeros():
    assert weight_density_of(np.array([[0, 1, -1], [0, 0, 1]])) == 3 / 6


@pytest.mark.parametrize("signed", [True, False])
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_lut_table_equals_direct_product(signed, data):
    weights, inputs = data.draw(int_matrices(4, signed))
    unit = LutMac(weight_bits=4, input_bits=4, signed=signed)
    assert np.array_equal(unit.matmul(weights, inputs, 4, 4), weights @ inputs)


def test_lut_table_holds_every_product():
    unit = LutMac(weight_bits=2, input_bits=2, signed=True)
    table = unit.product_table()
    assert table.size == 2 ** (2 + 2)
    for w in range(-2, 2):
        for a in range(-2, 2):
            assert table[((w & 3) << 2) | (a & 3)] == w * a


@pytest.mark.parametrize("bits", [(8, 8), (8, 4), (4, 4), (2, 2), (1, 1), (3, 5)])
@pytest.mark.parametrize("signed", [True, False])
@given(data=st.data())
@settings(max_examples=25, deadline=None)
def test_bitfusion_bricks_equal_numpy(bits, signed, data):
    weight_bits, input_bits = bits
    m, k, n = data.draw(SHAPES)
    w_lo, w_hi = int_range(weight_bits, signed)
    a_lo, a_hi = int_range(input_bits, signed)
    weights = data.draw(hnp.arrays(np.int64, (m, k), elements=st.integers(w_lo, w_hi)))
    inputs = data.draw(hnp.arrays(np.int64, (k, n), elements=st.integers(a_lo, a_hi)))
    unit = BitFusionMac(signed=signed)
    assert np.array_equal(unit.matmul(weights, inputs, weight_bits, input_bits), weights @ inputs)


def test_bricks_rebuild_the_value():
    values = np.arange(-128, 128, dtype=np.int64)
    pieces = bricks(values, 8, signed=True)
    assert np.array_equal(sum(p * 4**i for i, p in enumerate(pieces)), values)
    assert all(p.min() >= 0 and p.max() <= 3 for p in pieces[:-1])
    assert pieces[-1].min() == -2 and pieces[-1].max() == 1


def test_operands_out_of_range_are_named():
    with pytest.raises(
        ConfigError, match=r"inputs: expected 4-bit unsigned integers in \[0, 15\], got 16"
    ):
        IntMac(signed=False).dot([1], [16], 8, 4)
    with pytest.raises(ConfigError, match=r"inputs: expected binary values -1 or \+1, got 0"):
        BinaryMac().dot([1, 1], [1, 0], 1, 1)


def test_matmul_rejects_mismatched_shapes():
    with pytest.raises(ConfigError, match=r"matmul: expected an M x K weight matrix"):
        IntMac().matmul(np.ones((2, 3), int), np.ones((4, 2), int), 8, 8)
