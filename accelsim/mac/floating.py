"""Floating-point MACs: fp32, fp16, bf16, tf32, each multiplying in its format, adding in fp32.

Functional model (what the unit computes, bit for bit):
1. each operand is rounded to the format (fp16 through numpy ``float16``; bf16 and tf32 by
   round-to-nearest-even of the float32 bits to 7 or 10 mantissa bits; fp32 through ``float32``);
2. each product is rounded to the format (fp16: a numpy ``float16`` multiply; bf16, tf32: the exact
   float32 product rounded as in 1; fp32: a ``float32`` multiply);
3. the products are added one after the other, in index order along the reduction axis, into a
   float32 accumulator starting at 0 (each add rounded to nearest even in float32).

Energy per MAC: the format's multiplier plus the fp32 adder (0.9 pJ). fp16 and fp32 multipliers
are the 45 nm figures (1.1 and 3.7 pJ); bf16 (8 significand bits) and tf32 (11) are estimates
scaled by significand width (rule in :mod:`accelsim.energy.components`). Storage: fp32 and tf32 take
32-bit operands (tf32 rounds fp32 data on the way in), fp16 and bf16 16-bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from accelsim.mac.base import MacUnit

# format -> (storage bits, explicit mantissa bits)
FORMATS: dict[str, tuple[int, int]] = {
    "fp32": (32, 23),
    "tf32": (32, 10),
    "fp16": (16, 10),
    "bf16": (16, 7),
}
FLOAT32_MANTISSA_BITS = 23


def round_float32_mantissa(values: ArrayLike, mantissa_bits: int) -> NDArray[np.float32]:
    """Round float32 ``values`` to ``mantissa_bits`` explicit mantissa bits, nearest even.

    Works on the bit pattern: add just under half of the dropped part (plus the kept LSB, so that
    ties go to even), then clear the dropped bits. A carry out of the mantissa correctly bumps the
    exponent (the largest values round up to infinity); NaNs are kept as they are.
    """
    x = np.asarray(values, dtype=np.float32)
    dropped = FLOAT32_MANTISSA_BITS - mantissa_bits
    if dropped == 0:
        return x
    bits = x.view(np.uint32).astype(np.uint64)
    kept_lsb = (bits >> np.uint64(dropped)) & np.uint64(1)
    half_minus_one = np.uint64((1 << (dropped - 1)) - 1)
    keep_mask = np.uint64(0xFFFFFFFF ^ ((1 << dropped) - 1))
    rounded = ((bits + half_minus_one + kept_lsb) & keep_mask).astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), x, rounded)


@dataclass(frozen=True, kw_only=True)
class FpMac(MacUnit):
    """A floating-point MAC in ``format`` (fp32, tf32, fp16 or bf16) with an fp32 accumulator."""

    kind = "fp"
    format: str = "fp32"

    @property
    def storage_bits(self) -> int:
        return FORMATS[self.format][0]

    def supported_weight_bits(self) -> Sequence[int]:
        return (self.storage_bits,)

    def supported_input_bits(self) -> Sequence[int]:
        return (self.storage_bits,)

    def describe(self) -> str:
        return f"fp {self.format}"

    def _macs_per_cycle(self, weight_bits: int, input_bits: int) -> int:
        return 1

    def _energy_per_mac_pj(self, weight_bits: int, input_bits: int) -> float:
        significand_bits = FORMATS[self.format][1] + 1
        return self.energy.fp_mult_pj(significand_bits) + self.energy.value("fp_add_32_pj")

    def _accumulator_bits(self, weight_bits: int, input_bits: int) -> int:
        return 32

    def round_to_format(self, values: ArrayLike) -> NDArray:
        """``values`` rounded to the format (float16 for fp16, float32 otherwise)."""
        if self.format == "fp16":
            return np.asarray(values, dtype=np.float16)
        return round_float32_mantissa(np.asarray(values, dtype=np.float32), FORMATS[self.format][1])

    def _product(self, w: NDArray, a: NDArray) -> NDArray[np.float32]:
        if self.format in ("fp16", "fp32"):
            return (w * a).astype(np.float32)  # numpy rounds to the operands' dtype
        return self.round_to_format(w.astype(np.float32) * a.astype(np.float32))

    def _dot(self, weights: NDArray, inputs: NDArray, weight_bits: int, input_bits: int) -> NDArray:
        products = self._product(self.round_to_format(weights), self.round_to_format(inputs))
        total = np.zeros(products.shape[:-1], dtype=np.float32)
        for k in range(products.shape[-1]):
            total = total + products[..., k]
        return total
