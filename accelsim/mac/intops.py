"""Integer helpers shared by the functional models: operand ranges, checks, accumulator wrap.

All functional models compute in numpy ``int64``. An accumulator of ``bits`` bits (at most 64) wraps
around in two's complement on overflow, which is what a plain hardware adder does; because wrapping
commutes with addition, wrapping the exact sum once equals wrapping after every add.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from accelsim.errors import ConfigError, Problem

MAX_ACCUMULATOR_BITS = 64


def int_range(bits: int, signed: bool) -> tuple[int, int]:
    """Smallest and largest value of a ``bits``-bit integer (two's complement when signed)."""
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def as_int_operand(values: ArrayLike, bits: int, signed: bool, *, name: str) -> NDArray[np.int64]:
    """``values`` as int64 after checking they are integers that fit ``bits`` bits.

    Raises ConfigError naming ``name`` (``weights`` or ``inputs``), the allowed range and the first
    offending value.
    """
    array = np.asarray(values)
    kind = "signed" if signed else "unsigned"
    low, high = int_range(bits, signed)
    expected = f"{bits}-bit {kind} integers in [{low}, {high}]"
    if array.dtype.kind == "f":
        fractional = ~np.isfinite(array) | (array != np.round(array))
        if np.any(fractional):
            raise ConfigError(Problem("", name, expected, _first(array, fractional)))
    elif array.dtype.kind not in "iub":
        raise ConfigError(Problem("", name, expected, _first(array, np.ones(array.shape, bool))))
    outside = (array < low) | (array > high)
    if np.any(outside):
        raise ConfigError(Problem("", name, expected, _first(array, outside)))
    return array.astype(np.int64)


def _first(array: NDArray, mask: NDArray) -> object:
    flagged = array[mask] if np.any(mask) else array
    return flagged.flat[0].item() if flagged.size else None


def wrap(values: NDArray[np.int64], bits: int) -> NDArray[np.int64]:
    """``values`` modulo ``2**bits``, read back as signed ``bits``-bit integers."""
    if bits >= MAX_ACCUMULATOR_BITS:
        return values
    modulus = np.int64(1) << np.int64(bits)
    low = values & (modulus - 1)
    return np.where(low >= modulus >> 1, low - modulus, low)
