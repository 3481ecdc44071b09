"""INT-k: a fixed ``weight_bits`` x ``input_bits`` integer multiplier and an accumulator adder.

One MAC per cycle at any precision up to the built widths (narrower operands are sign- or
zero-extended; they neither speed the unit up nor, in this model, save energy). Energy per MAC,
unless ``energy_per_mac_pj`` overrides it: the multiplier at the built widths plus an adder at the
accumulator width (rules in :mod:`accelsim.energy.components`); 8x8 with a 32-bit accumulator is
0.2 + 0.1 = 0.3 pJ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from numpy.typing import NDArray

from accelsim.errors import Problem
from accelsim.mac.base import MacUnit, accumulator_problems
from accelsim.mac.intops import as_int_operand, wrap


@dataclass(frozen=True, kw_only=True)
class IntMac(MacUnit):
    """Integer MAC. ``signed`` applies to weights and inputs alike (two's complement)."""

    kind = "int"
    weight_bits: int = 8
    input_bits: int = 8
    accumulator_width: int = 32
    signed: bool = True
    fixed_energy_per_mac_pj: float | None = None

    def invariant_problems(self) -> list[Problem]:
        return accumulator_problems(self.accumulator_width, self.weight_bits + self.input_bits)

    def supported_weight_bits(self) -> Sequence[int]:
        return range(1, self.weight_bits + 1)

    def supported_input_bits(self) -> Sequence[int]:
        return range(1, self.input_bits + 1)

    def describe(self) -> str:
        sign = "signed" if self.signed else "unsigned"
        return f"int {self.weight_bits}x{self.input_bits}-bit {sign}"

    def _macs_per_cycle(self, weight_bits: int, input_bits: int) -> int:
        return 1

    def _energy_per_mac_pj(self, weight_bits: int, input_bits: int) -> float:
        if self.fixed_energy_per_mac_pj is not None:
            return self.fixed_energy_per_mac_pj
        multiply = self.energy.int_mult_pj(self.weight_bits, self.input_bits)
        return multiply + self.energy.int_add_pj(self.accumulator_width)

    def _accumulator_bits(self, weight_bits: int, input_bits: int) -> int:
        return self.accumulator_width

    def _dot(self, weights: NDArray, inputs: NDArray, weight_bits: int, input_bits: int) -> NDArray:
        w = as_int_operand(weights, weight_bits, self.signed, name="weights")
        a = as_int_operand(inputs, input_bits, self.signed, name="inputs")
        return wrap((w * a).sum(axis=-1), self.accumulator_width)
