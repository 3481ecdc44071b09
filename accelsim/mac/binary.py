"""Binary (XNOR-popcount): +-1 weights and inputs packed one per bit, ``lanes`` MACs per cycle.

Encoding: +1 is bit 1, -1 is bit 0. Two values differ exactly when their bits XOR to 1, and then
their product is -1, so a dot product of K elements is ``K - 2 * popcount(xor(w, a))``; a 64-bit
word does 64 binary MACs in one XOR (XNOR) and one popcount.

Energy per binary MAC, from the 45 nm table (derivation in docs/mac_units.md):
one XNOR gate, priced as a 1x1 multiplier by the multiplier rule (1 * 1 / 64 * 0.2 pJ);
one full adder of the popcount tree (an n-input popcount tree has about n full adders), priced as
one marginal adder bit ((0.1 - 0.03) / 24 pJ); and a ``1 / lanes`` share of the accumulator add.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accelsim.errors import ConfigError, Problem
from accelsim.mac.base import MacUnit, accumulator_problems
from accelsim.mac.intops import wrap

# popcount of every byte value: the 8-bit lookup a bit-counting tree is equivalent to.
_BYTE_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


def pack_signs(values: NDArray, *, name: str = "operands") -> NDArray[np.uint8]:
    """Pack +-1 values along the last axis into bits (+1 -> 1), 8 per byte, zero-padded.

    Raises ConfigError if a value is not -1 or +1.
    """
    array = np.asarray(values)
    bad = (array != 1) & (array != -1)
    if np.any(bad):
        raise ConfigError(Problem("", name, "binary values -1 or +1", array[bad].flat[0].item()))
    return np.packbits(array > 0, axis=-1)


def popcount(packed: NDArray[np.uint8]) -> NDArray[np.int64]:
    """Number of 1 bits along the last axis of a packed array."""
    return _BYTE_POPCOUNT[packed].sum(axis=-1)


@dataclass(frozen=True, kw_only=True)
class BinaryMac(MacUnit):
    """XNOR-popcount unit doing ``lanes`` binary MACs per cycle into one accumulator."""

    kind = "binary"
    lanes: int = 64
    accumulator_width: int = 16

    def invariant_problems(self) -> list[Problem]:
        # one word's sum, -lanes..lanes, must fit
        return accumulator_problems(self.accumulator_width, self.lanes.bit_length() + 1)

    def supported_weight_bits(self) -> Sequence[int]:
        return (1,)

    def supported_input_bits(self) -> Sequence[int]:
        return (1,)

    def describe(self) -> str:
        return f"binary {self.lanes}-lane XNOR-popcount"

    def _macs_per_cycle(self, weight_bits: int, input_bits: int) -> int:
        return self.lanes

    def _energy_per_mac_pj(self, weight_bits: int, input_bits: int) -> float:
        xnor = self.energy.int_mult_pj(1, 1)
        popcount_tree = self.energy.int_add_pj_per_bit
        accumulate = self.energy.int_add_pj(self.accumulator_width) / self.lanes
        return xnor + popcount_tree + accumulate

    def energy_per_skipped_mac_pj(self, weight_bits: int, input_bits: int) -> float:
        """+-1 operands are never zero: nothing is skipped, so this is the full energy."""
        return self.energy_per_mac_pj(weight_bits, input_bits)

    def _accumulator_bits(self, weight_bits: int, input_bits: int) -> int:
        return self.accumulator_width

    def _dot(self, weights: NDArray, inputs: NDArray, weight_bits: int, input_bits: int) -> NDArray:
        length = weights.shape[-1]
        packed_weights = pack_signs(weights, name="weights")
        packed_inputs = pack_signs(inputs, name="inputs")
        differing = popcount(np.bitwise_xor(packed_weights, packed_inputs))
        return wrap(length - 2 * differing, self.accumulator_width)
