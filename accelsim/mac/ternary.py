"""Ternary weights {-1, 0, +1} (stored in 2 bits) with a scale per output channel.

No multiplier: a +1 weight adds the input to the accumulator, a -1 weight subtracts it, a 0 weight
is skipped. Skipping always saves energy (a skipped MAC costs the gated fraction); it saves cycles
only when ``skip_zero_cycles`` is set (the hardware then issues only the non-zero weights). Either
way the energy and cycle figures need the fraction of non-zero weights, from the layer
(``weight_density``) or from a weight tensor (:func:`weight_density_of`).

Energy of a MAC carried out: one add at the accumulator width (a subtraction is the same adder
with the operand inverted and a carry in). The per-output scale (one multiply per output, not per
MAC) is not priced here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from accelsim.errors import ConfigError, Problem
from accelsim.mac.base import MacUnit, accumulator_problems, check_density, matrix_operands
from accelsim.mac.intops import as_int_operand, wrap

NEEDS_DENSITY = (
    "the fraction of non-zero ternary weights in [0, 1], from the layer (weight_density) or from "
    "a weight tensor (accelsim.mac.weight_density_of)"
)


def weight_density_of(weights: ArrayLike) -> float:
    """Fraction of non-zero entries of a weight tensor."""
    array = np.asarray(weights)
    return float(np.count_nonzero(array)) / array.size if array.size else 1.0


@dataclass(frozen=True, kw_only=True)
class TernaryMac(MacUnit):
    """Add/subtract unit for ternary weights; ``signed`` says whether inputs are signed."""

    kind = "ternary"
    input_bits: int = 8
    accumulator_width: int = 32
    signed: bool = True
    skip_zero_cycles: bool = False

    def invariant_problems(self) -> list[Problem]:
        # one signed input (a subtraction negates it) must fit
        return accumulator_problems(self.accumulator_width, self.input_bits + 1)

    def supported_weight_bits(self) -> Sequence[int]:
        return (2,)

    def supported_input_bits(self) -> Sequence[int]:
        return range(1, self.input_bits + 1)

    def describe(self) -> str:
        return f"ternary x {self.input_bits}-bit"

    def _macs_per_cycle(self, weight_bits: int, input_bits: int) -> int:
        return 1

    def _energy_per_mac_pj(self, weight_bits: int, input_bits: int) -> float:
        return self.energy.int_add_pj(self.accumulator_width)

    def _accumulator_bits(self, weight_bits: int, input_bits: int) -> int:
        return self.accumulator_width

    def _weight_density(self, weight_density: float | None) -> float:
        if weight_density is None:
            raise ConfigError(Problem("", "mac (ternary): weight_density", NEEDS_DENSITY, None))
        return check_density(weight_density, name="weight_density", path="mac (ternary)")

    def active_fraction(self, input_density: float, weight_density: float | None) -> float:
        """Non-zero weights are carried out; so are non-zero inputs when zero inputs are gated
        (zeros in the two taken as independent)."""
        return super().active_fraction(input_density, None) * self._weight_density(weight_density)

    def busy_fraction(
        self, weight_bits: int, input_bits: int, *, weight_density: float | None = None
    ) -> float:
        """The weight density when zero weights are skipped in time, else 1."""
        self.check_precision(weight_bits, input_bits)
        return self._weight_density(weight_density) if self.skip_zero_cycles else 1.0

    def cycles(
        self, macs: int, weight_bits: int, input_bits: int, *, weight_density: float | None = None
    ) -> int:
        """Cycles for ``macs`` dense MACs: only the non-zero ones when ``skip_zero_cycles``."""
        self.check_precision(weight_bits, input_bits)
        if not self.skip_zero_cycles:
            return macs
        return math.ceil(macs * self._weight_density(weight_density))

    def dot(
        self,
        weights: ArrayLike,
        inputs: ArrayLike,
        weight_bits: int,
        input_bits: int,
        *,
        axis: int = -1,
        scale: ArrayLike | None = None,
    ) -> NDArray:
        """Integer sum of +-inputs; with ``scale`` (broadcast against the result), that sum
        converted to float32 times the float32 scale (one rounding each)."""
        total = super().dot(weights, inputs, weight_bits, input_bits, axis=axis)
        if scale is None:
            return total
        return total.astype(np.float32) * np.asarray(scale, dtype=np.float32)

    def matmul(
        self,
        weights: ArrayLike,
        inputs: ArrayLike,
        weight_bits: int,
        input_bits: int,
        *,
        scale: ArrayLike | None = None,
    ) -> NDArray:
        """``weights`` (M x K) times ``inputs`` (K x N), times ``scale`` (M,) per output channel."""
        w, a = matrix_operands(weights, inputs)
        column = None if scale is None else np.asarray(scale, dtype=np.float32)[:, np.newaxis]
        return self.dot(w, a, weight_bits, input_bits, axis=-1, scale=column)

    def _dot(self, weights: NDArray, inputs: NDArray, weight_bits: int, input_bits: int) -> NDArray:
        w = as_int_operand(weights, 2, True, name="weights")
        if np.any(w == -2):
            raise ConfigError(Problem("", "weights", "ternary values -1, 0 or +1", -2))
        a = as_int_operand(inputs, input_bits, self.signed, name="inputs")
        added = np.where(w == 1, a, 0).sum(axis=-1)
        subtracted = np.where(w == -1, a, 0).sum(axis=-1)
        return wrap(added - subtracted, self.accumulator_width)
