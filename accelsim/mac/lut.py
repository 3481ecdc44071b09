"""LUT multiply: products read from a table of ``2 ** (weight_bits + input_bits)`` entries.

The table is indexed by the concatenated operand codes (weight code in the high bits) and holds
their products in ``weight_bits + input_bits`` bits. A lookup replaces the multiplier.

Energy of a MAC: one table read (``weight_bits + input_bits`` register bits at the 1-bit register
read figure, the same for every table size within the limit) plus one add at the accumulator
width. Loading the table writes every bit of it once: :meth:`LutMac.table_load_energy_pj`, which
the cost model counts once per layer in every PE the mapping uses (:meth:`setup_energy_pj`). A
table larger than ``max_entries`` is rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accelsim.errors import Problem
from accelsim.mac.base import MacUnit, accumulator_problems
from accelsim.mac.intops import as_int_operand, int_range, wrap


@dataclass(frozen=True, kw_only=True)
class LutMac(MacUnit):
    """Table-lookup MAC for small ``weight_bits`` x ``input_bits`` integers."""

    kind = "lut"
    weight_bits: int = 4
    input_bits: int = 4
    accumulator_width: int = 32
    signed: bool = True
    max_entries: int = 256

    def invariant_problems(self) -> list[Problem]:
        problems = accumulator_problems(self.accumulator_width, self.product_bits)
        if self.table_entries > self.max_entries:
            limit = self.max_entries.bit_length() - 1
            expected = (
                f"a table of at most max_entries = {self.max_entries} entries "
                f"(weight_bits + input_bits <= {limit}); {self.weight_bits}-bit weights x "
                f"{self.input_bits}-bit inputs need 2**{self.product_bits} entries"
            )
            problems.append(Problem("", "mac (lut)", expected, self.table_entries))
        return problems

    @property
    def table_entries(self) -> int:
        return 1 << (self.weight_bits + self.input_bits)

    @property
    def product_bits(self) -> int:
        """Bits of one table entry: a w-bit by a-bit product fits in w + a bits."""
        return self.weight_bits + self.input_bits

    def supported_weight_bits(self) -> Sequence[int]:
        return range(1, self.weight_bits + 1)

    def supported_input_bits(self) -> Sequence[int]:
        return range(1, self.input_bits + 1)

    def describe(self) -> str:
        return f"lut {self.weight_bits}x{self.input_bits}-bit ({self.table_entries} entries)"

    def _macs_per_cycle(self, weight_bits: int, input_bits: int) -> int:
        return 1

    def _energy_per_mac_pj(self, weight_bits: int, input_bits: int) -> float:
        read = self.product_bits * self.energy.value("register_bit_read_pj")
        return read + self.energy.int_add_pj(self.accumulator_width)

    def table_load_energy_pj(self) -> float:
        """Energy of writing the whole table once (entries x product bits register writes), pJ."""
        bits = self.table_entries * self.product_bits
        return bits * self.energy.value("register_bit_write_pj")

    def setup_energy_pj(self) -> float:
        return self.table_load_energy_pj()

    def _accumulator_bits(self, weight_bits: int, input_bits: int) -> int:
        return self.accumulator_width

    def product_table(self) -> NDArray[np.int64]:
        """The table contents: entry ``(w_code << input_bits) | a_code`` is the product of the
        values those codes stand for (two's complement codes when ``signed``)."""
        w_low, w_high = int_range(self.weight_bits, self.signed)
        a_low, a_high = int_range(self.input_bits, self.signed)
        w_values = np.arange(w_low, w_high + 1, dtype=np.int64)
        a_values = np.arange(a_low, a_high + 1, dtype=np.int64)
        table = np.zeros(self.table_entries, dtype=np.int64)
        index = self._index(w_values[:, np.newaxis], a_values[np.newaxis, :])
        table[index] = w_values[:, np.newaxis] * a_values[np.newaxis, :]
        return table

    def _index(self, w: NDArray[np.int64], a: NDArray[np.int64]) -> NDArray[np.int64]:
        w_code = w & ((1 << self.weight_bits) - 1)
        a_code = a & ((1 << self.input_bits) - 1)
        return (w_code << self.input_bits) | a_code

    def _dot(self, weights: NDArray, inputs: NDArray, weight_bits: int, input_bits: int) -> NDArray:
        w = as_int_operand(weights, weight_bits, self.signed, name="weights")
        a = as_int_operand(inputs, input_bits, self.signed, name="inputs")
        products = self.product_table()[self._index(w, a)]
        return wrap(products.sum(axis=-1), self.accumulator_width)
