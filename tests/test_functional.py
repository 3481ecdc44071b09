"""run_layer against numpy: every MAC unit, every dataflow, random small layers (Hypothesis).

Integer units (int4, int8, binary, ternary, LUT, BitFusion) must equal the numpy convolution
exactly. Floating-point units (fp16, bf16) are compared with numpy doing the same rounding: the
same rounded operands and products, summed exactly; the difference left is the float32
accumulation, bounded by gamma_K = K * 2**-24 / (1 - K * 2**-24) times the sum of |products|.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.arch import arch_from_dict
from accelsim.errors import ConfigError
from accelsim.functional import input_patches, reference_conv, run_layer
from accelsim.mac import FpMac, make_mac_unit, round_float32_mantissa
from accelsim.mac.intops import int_range
from accelsim.mapper import map_layer
from accelsim.workload.build import make_layer
from accelsim.workload.layer import Layer

TINY = Path(__file__).parents[1] / "accelsim/builtin/arch_configs/tiny.yaml"
DATAFLOWS = ("rs", "ws", "os", "osa", "osb", "osc", "nlr")


@dataclass(frozen=True)
class Case:
    """A MAC unit, the layer precision it runs at and how to draw its operands."""

    name: str
    mac: dict
    weight_bits: int
    input_bits: int
    data: str = "int"  # int, sign (+-1), ternary, dyadic (exact in the float format), float
    signed: bool = True

    @property
    def unit(self):
        return make_mac_unit(self.mac, source=self.name)


CASES = [
    Case("int8", {"type": "int"}, 8, 8),
    Case("int8 unsigned", {"type": "int", "signed": False}, 8, 8, signed=False),
    Case("int4", {"type": "int", "weight_bits": 4, "input_bits": 4}, 4, 4),
    Case("int8 acc16", {"type": "int", "accumulator_bits": 16}, 8, 8),
    Case("binary", {"type": "binary", "lanes": 64}, 1, 1, data="sign"),
    Case("ternary", {"type": "ternary"}, 2, 8, data="ternary"),
    Case("lut 4x4", {"type": "lut"}, 4, 4),
    Case("lut 3x2", {"type": "lut", "weight_bits": 3, "input_bits": 2}, 3, 2),
    Case("bitfusion 8/8", {"type": "bitfusion"}, 8, 8),
    Case("bitfusion 4/4", {"type": "bitfusion"}, 4, 4),
    Case("bitfusion 2/2", {"type": "bitfusion"}, 2, 2),
    Case("bitfusion 8a/2w", {"type": "bitfusion"}, 2, 8),
    Case("bitfusion 3/5 unsigned", {"type": "bitfusion", "signed": False}, 3, 5, signed=False),
    Case("fp16", {"type": "fp", "format": "fp16"}, 16, 16, data="float"),
    Case("bf16", {"type": "fp", "format": "bf16"}, 16, 16, data="float"),
    Case("fp16 exact", {"type": "fp", "format": "fp16"}, 16, 16, data="dyadic"),
    Case("bf16 exact", {"type": "fp", "format": "bf16"}, 16, 16, data="dyadic"),
]


def arch_with(mac: dict):
    raw = yaml.safe_load(TINY.read_text())
    return arch_from_dict({**raw, "mac": mac}, source=f"tiny with {mac}")


ARCHS = {case.name: arch_with(case.mac) for case in CASES}


def operands(case: Case, layer: Layer, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    w_shape = (layer.m, layer.c, layer.r, layer.s)
    a_shape = (layer.n, layer.input_channels, layer.h, layer.w)
    if case.data == "sign":
        return rng.choice([-1, 1], w_shape), rng.choice([-1, 1], a_shape)
    if case.data == "ternary":
        low, high = int_range(case.input_bits, case.signed)
        return rng.integers(-1, 2, w_shape), rng.integers(low, high + 1, a_shape)
    if case.data == "dyadic":  # k / 4 with |k| <= 15: products and sums exact in fp16 and bf16
        return rng.integers(-15, 16, w_shape) / 4, rng.integers(-15, 16, a_shape) / 4
    if case.data == "float":
        return rng.normal(size=w_shape), rng.normal(size=a_shape)
    w_low, w_high = int_range(case.weight_bits, case.signed)
    a_low, a_high = int_range(case.input_bits, case.signed)
    return rng.integers(w_low, w_high + 1, w_shape), rng.integers(a_low, a_high + 1, a_shape)


def wrapped(values: np.ndarray, bits: int) -> np.ndarray:
    """Two's complement wrap, written independently of accelsim.mac.intops."""
    return (values + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1))


def fp_reference(unit: FpMac, layer: Layer, weights, inputs) -> tuple[np.ndarray, np.ndarray]:
    """(exact sum of the format-rounded products, gamma_K * sum |products|), both (N, M, P, Q)."""
    if unit.format == "fp16":
        w, a = np.float16(weights), np.float16(inputs)
        multiply = np.multiply  # float16 x float16 rounds the product to float16
    else:
        w = round_float32_mantissa(np.float32(weights), 7)
        a = round_float32_mantissa(np.float32(inputs), 7)

        def multiply(x, y):
            return round_float32_mantissa(np.multiply(x, y, dtype=np.float32), 7)

    patches = input_patches(layer, a)[:, :, np.newaxis]  # n, g, 1, p, q, k
    kernels = w.reshape(layer.groups, layer.m // layer.groups, 1, 1, -1)
    products = multiply(patches, kernels).astype(np.float64)  # n, g, m, p, q, k
    shape = (layer.n, layer.m, layer.p, layer.q)
    k = products.shape[-1]
    gamma = k * 2.0**-24 / (1 - k * 2.0**-24)
    exact = products.sum(axis=-1).reshape(shape)
    return exact, gamma * np.abs(products).sum(axis=-1).reshape(shape)


def check(case: Case, layer: Layer, mapping, seed: int) -> None:
    weights, inputs = operands(case, layer, seed)
    unit = case.unit
    if case.data == "float":
        got = run_layer(layer, mapping, unit, weights, inputs)
        exact, bound = fp_reference(unit, layer, weights, inputs)
        assert np.all(np.abs(got - exact) <= bound)
        return
    if case.data == "ternary":
        scale = np.random.default_rng(seed).uniform(0.01, 2.0, layer.m).astype(np.float32)
        got = run_layer(layer, mapping, unit, weights, inputs, scale=scale)
        expected = reference_conv(layer, weights, inputs).astype(np.float32)
        assert np.array_equal(got, expected * scale[np.newaxis, :, np.newaxis, np.newaxis])
        return
    got = run_layer(layer, mapping, unit, weights, inputs)
    expected = reference_conv(layer, weights, inputs)
    if case.data != "dyadic":
        expected = wrapped(expected, unit.accumulator_bits(case.weight_bits, case.input_bits))
    assert np.array_equal(got, expected)


def at_precision(layer: Layer, case: Case) -> Layer:
    return replace(layer, weight_bits=case.weight_bits, input_bits=case.input_bits)


# ---- fixed cases: every unit x every dataflow ----------------------------------------------
FIXED = make_layer(
    "fixed",
    "conv",
    in_channels=4,
    out_channels=6,
    input_size=7,
    kernel_size=3,
    stride=2,
    padding=1,
    groups=2,
).with_batch(2)
DILATED = make_layer(
    "dilated", "conv", in_channels=2, out_channels=4, input_size=[6, 7], kernel_size=[2, 3],
    dilation=2, padding=[2, 1],
)  # fmt: skip


@pytest.mark.parametrize("dataflow", DATAFLOWS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
@pytest.mark.parametrize("shape", [FIXED, DILATED], ids=lambda layer: layer.name)
def test_every_dataflow_maps_and_computes_the_fixed_layers(shape, case, dataflow):
    layer = at_precision(shape, case)
    mapping = map_layer(layer, ARCHS[case.name], dataflow).mapping  # must map: no skipping here
    check(case, layer, mapping, seed=7)


# ---- random small layers -------------------------------------------------------------------
@st.composite
def small_layers(draw) -> Layer:
    groups = draw(st.integers(1, 2))
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    dilation = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    padding = draw(st.tuples(st.integers(0, 2), st.integers(0, 2)))
    low = [(k - 1) * d + 1 - 2 * p for k, d, p in zip(kernel, dilation, padding, strict=True)]
    size = [draw(st.integers(max(1, lo), 7)) for lo in low]
    layer = make_layer(
        "random",
        "conv",
        in_channels=groups * draw(st.integers(1, 3)),
        out_channels=groups * draw(st.integers(1, 3)),
        input_size=size,
        kernel_size=list(kernel),
        stride=[draw(st.integers(1, 2)), draw(st.integers(1, 2))],
        padding=list(padding),
        dilation=list(dilation),
        groups=groups,
    )
    return layer.with_batch(draw(st.integers(1, 2)))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
@given(shape=small_layers(), dataflow=st.sampled_from(DATAFLOWS), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_functional_output_equals_numpy(case, shape, dataflow, seed):
    layer = at_precision(shape, case)
    try:
        mapping = map_layer(layer, ARCHS[case.name], dataflow).mapping
    except ConfigError:
        return  # this dataflow cannot map this layer on tiny; the fixed cases cover every one
    check(case, layer, mapping, seed)
