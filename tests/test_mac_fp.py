"""Floating-point MACs: rounding to the format and the documented fp32 accumulation order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accelsim.mac import FpMac, round_float32_mantissa

BF16, TF32 = 7, 10  # explicit mantissa bits


def sequential_fp32_sum(products: np.ndarray) -> np.float32:
    """The documented accumulation: float32, one add after the other, in index order."""
    total = np.float32(0)
    for value in products.astype(np.float32):
        total = np.float32(total + value)
    return total


@given(
    st.integers(1, 12).flatmap(
        lambda k: st.tuples(
            hnp.arrays(np.float32, k, elements=st.floats(-100, 100, width=32)),
            hnp.arrays(np.float32, k, elements=st.floats(-100, 100, width=32)),
        )
    )
)
@settings(max_examples=80, deadline=None)
def test_fp16_equals_float16_products_accumulated_in_fp32(operands):
    weights, inputs = operands
    products = weights.astype(np.float16) * inputs.astype(np.float16)  # rounded to fp16
    expected = sequential_fp32_sum(products)
    assert FpMac(format="fp16").dot(weights, inputs, 16, 16) == expected


def test_fp32_matmul_equals_sequential_float32_sums():
    rng = np.random.default_rng(5)
    weights = rng.standard_normal((3, 7)).astype(np.float32)
    inputs = rng.standard_normal((7, 2)).astype(np.float32)
    result = FpMac(format="fp32").matmul(weights, inputs, 32, 32)
    for m in range(3):
        for n in range(2):
            assert result[m, n] == sequential_fp32_sum(weights[m] * inputs[:, n])


@pytest.mark.parametrize(
    ("value", "mantissa_bits", "expected"),
    [
        (np.pi, BF16, 3.140625),  # 0x40490FDB -> 0x4049: dropped 0x0FDB is below half
        (1 + 2**-8, BF16, 1.0),  # exactly half an ulp, kept LSB 0: stays (even)
        (1 + 3 * 2**-8, BF16, 1 + 2**-6),  # exactly half, kept LSB 1: up to even
        (-(1 + 3 * 2**-8), BF16, -(1 + 2**-6)),  # the same with the sign set
        (1 + 2**-8 + 2**-20, BF16, 1 + 2**-7),  # just above half: up
        (1 + 2**-11, TF32, 1.0),  # tf32 tie, kept LSB 0
        (1 + 3 * 2**-11, TF32, 1 + 2**-9),  # tf32 tie, kept LSB 1
        (2 - 2**-23, BF16, 2.0),  # the carry out of the mantissa bumps the exponent
        (3.4e38, BF16, np.inf),  # above the largest bf16 (about 3.39e38): infinity
        (2**-130, BF16, 2**-130),  # a subnormal that bf16 holds exactly
    ],
)
def test_mantissa_rounding_to_nearest_even(value, mantissa_bits, expected):
    assert round_float32_mantissa(np.float32(value), mantissa_bits) == np.float32(expected)


def test_mantissa_rounding_keeps_nan():
    assert np.isnan(round_float32_mantissa(np.float32(np.nan), BF16))


def test_bf16_dot_by_hand():
    # 1/3 in bf16 is 0x3EAB = 0.333984375; 3 * 0.333984375 = 1 + 2**-9, below half a bf16 ulp
    # (2**-8) above 1, so each product rounds to 1.0 and the sum is exactly 2.0.
    unit = FpMac(format="bf16")
    assert unit.round_to_format(1 / 3) == np.float32(0.333984375)
    assert unit.dot([3.0, 1 / 3], [1 / 3, 3.0], 16, 16) == np.float32(2.0)


def test_accumulation_order_is_index_order():
    # 2**24 + 1 is lost in float32 but 1 + 1 + 2**24 is not: the order is part of the model.
    unit = FpMac(format="fp32")
    assert unit.dot([2.0**24, 1.0, 1.0], [1.0, 1.0, 1.0], 32, 32) == np.float32(2**24)
    assert unit.dot([1.0, 1.0, 2.0**24], [1.0, 1.0, 1.0], 32, 32) == np.float32(2**24 + 2)
