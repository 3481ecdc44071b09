"""BitFusion (ISCA 2018): a fusion unit of 2-bit bricks, scaling throughput with precision.

Throughput: ``floor(8 / max(a, 2)) * floor(8 / max(w, 2))`` MACs per cycle (8/8 -> 1, 4/4 -> 4,
2/2 -> 16; 1-bit runs at 2-bit speed, 3-bit at 4-bit speed). Operands wider than 8 bits are
rejected: this model does not run them as several passes (temporal fusion).

Energy: the fusion unit draws the same energy every cycle (0.560 pJ at 45 nm, 500 MHz, from the
BitFusion synthesis), so a MAC costs ``0.560 / macs_per_cycle`` pJ.

Functional model: as the hardware does it, each operand is split into 2-bit bricks (the top brick
signed for signed operands), every weight brick is multiplied by every input brick (2b x 2b), and
the brick products are shifted by ``2 * (i + j)`` and added; then accumulated (wrapping at the
accumulator width).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accelsim.errors import Problem
from accelsim.mac.base import MacUnit, accumulator_problems
from accelsim.mac.intops import as_int_operand, wrap

MAX_BITS = 8
BRICK_BITS = 2


def fused_macs_per_cycle(weight_bits: int, input_bits: int) -> int:
    """The BitFusion throughput rule for one fusion unit."""
    return (MAX_BITS // max(input_bits, BRICK_BITS)) * (MAX_BITS // max(weight_bits, BRICK_BITS))


def bricks(values: NDArray[np.int64], bits: int, signed: bool) -> list[NDArray[np.int64]]:
    """2-bit pieces of ``values``, least significant first: ``values == sum(b * 4**i)``.

    Lower bricks are unsigned (0..3); the top brick is signed (-2..1) for signed operands.
    """
    count = max(1, -(-bits // BRICK_BITS))
    pieces = []
    for i in range(count):
        shifted = values >> (BRICK_BITS * i)  # arithmetic shift: keeps the sign
        top_signed = signed and i == count - 1
        pieces.append(shifted if top_signed else shifted & ((1 << BRICK_BITS) - 1))
    return pieces


@dataclass(frozen=True, kw_only=True)
class BitFusionMac(MacUnit):
    """A BitFusion fusion unit (one per PE), weights and inputs both ``signed`` or both not."""

    kind = "bitfusion"
    accumulator_width: int = 32
    signed: bool = True
    energy_per_cycle_pj: float | None = None

    def invariant_problems(self) -> list[Problem]:
        return accumulator_problems(self.accumulator_width, 2 * MAX_BITS)

    def supported_weight_bits(self) -> Sequence[int]:
        return range(1, MAX_BITS + 1)

    def supported_input_bits(self) -> Sequence[int]:
        return range(1, MAX_BITS + 1)

    def describe(self) -> str:
        return "bitfusion 2-bit-brick"

    def _macs_per_cycle(self, weight_bits: int, input_bits: int) -> int:
        return fused_macs_per_cycle(weight_bits, input_bits)

    def cycle_energy_pj(self) -> float:
        """Energy of the fusion unit per cycle (pJ)."""
        if self.energy_per_cycle_pj is not None:
            return self.energy_per_cycle_pj
        return self.energy.value("bitfusion_fusion_unit_cycle_pj")

    def _energy_per_mac_pj(self, weight_bits: int, input_bits: int) -> float:
        return self.cycle_energy_pj() / fused_macs_per_cycle(weight_bits, input_bits)

    def _accumulator_bits(self, weight_bits: int, input_bits: int) -> int:
        return self.accumulator_width

    def _dot(self, weights: NDArray, inputs: NDArray, weight_bits: int, input_bits: int) -> NDArray:
        w = as_int_operand(weights, weight_bits, self.signed, name="weights")
        a = as_int_operand(inputs, input_bits, self.signed, name="inputs")
        total = np.zeros(w.shape[:-1], dtype=np.int64)
        for i, w_brick in enumerate(bricks(w, weight_bits, self.signed)):
            for j, a_brick in enumerate(bricks(a, input_bits, self.signed)):
                shift = BRICK_BITS * (i + j)
                total = total + (w_brick * a_brick).sum(axis=-1) * (1 << shift)
        return wrap(total, self.accumulator_width)
