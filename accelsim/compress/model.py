"""Deep Compression (Han, Mao, Dally, ICLR 2016) of a network's weights, layer by layer:
pruning to a density, weight sharing with ``k``-bit codebook indices, the relative-index sparse
format (:mod:`accelsim.compress.csr`) and Huffman coding of the indices and of the relative
indices. Sizes are exact bit counts: of the actual weights when given, else of the expected
counts under a stated distribution (pruned uniformly at random; normally distributed weights,
:func:`accelsim.compress.codebook.gaussian_index_counts`).

Counted: every entry (non-zeros and padding) at ``weight_bits + index_bits`` (the "P+Q" size),
or at its Huffman code lengths (the "P+Q+H" size), plus the codebook (``2**weight_bits`` shared
values of ``value_bits``). Not counted: the per-row pointers of CSR, the Huffman code tables.
The dense reference stores every weight at ``value_bits`` (32-bit floats, as the paper).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from accelsim.compress.codebook import gaussian_index_counts, share_weights
from accelsim.compress.csr import expected_index_counts, relative_indices
from accelsim.compress.huffman import coded_bits
from accelsim.errors import ConfigError, Problem

PADDING = -1  # the weight symbol of a padding entry (a stored zero)
MAX_SHARED_BITS = 16  # codebook indices and relative indices: at most 16 bits


@dataclass(frozen=True)
class LayerPlan:
    """How one layer is compressed: its ``weights`` (count), the fraction kept by pruning
    (``density`` in (0, 1]; ``None`` with actual weights: the fraction already non-zero), the
    codebook index bits and the relative index bits (1..16 each)."""

    name: str
    weights: int
    density: float | None
    weight_bits: int
    index_bits: int
    value_bits: int = 32

    def check(self, source: str) -> None:
        """Raise ConfigError naming ``source`` and the field for an out-of-range setting."""
        where = f"layers.{self.name}"
        if self.density is not None and not 0 < self.density <= 1:
            raise ConfigError(
                Problem(source, f"{where}.density", "a number in (0, 1]", self.density)
            )
        for field in ("weight_bits", "index_bits"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 16:
                expected = f"an integer from 1 to {MAX_SHARED_BITS}"
                raise ConfigError(Problem(source, f"{where}.{field}", expected, value))


@dataclass(frozen=True)
class LayerCompression:
    """One layer's compressed size, in bits; ``source`` says whether the counts come from the
    actual weights or from the stated distribution."""

    name: str
    weights: int
    nonzeros: int
    padding: int
    weight_bits: int
    index_bits: int
    value_bits: int
    weight_code_bits: int  # Huffman-coded codebook indices of every entry
    index_code_bits: int  # Huffman-coded relative indices of every entry
    source: str

    @property
    def entries(self) -> int:
        return self.nonzeros + self.padding

    @property
    def density(self) -> float:
        return self.nonzeros / self.weights

    @property
    def codebook_bits(self) -> int:
        return (1 << self.weight_bits) * self.value_bits

    @property
    def dense_bits(self) -> int:
        return self.weights * self.value_bits

    @property
    def quantized_bits(self) -> int:
        """Pruned and quantized ("P+Q"): fixed-width entries plus the codebook."""
        return self.entries * (self.weight_bits + self.index_bits) + self.codebook_bits

    @property
    def huffman_bits(self) -> int:
        """Pruned, quantized and Huffman coded ("P+Q+H")."""
        return self.weight_code_bits + self.index_code_bits + self.codebook_bits

    @property
    def mean_weight_code_bits(self) -> float:
        return self.weight_code_bits / self.entries

    @property
    def mean_index_code_bits(self) -> float:
        return self.index_code_bits / self.entries


def compress_layer(
    plan: LayerPlan, values: NDArray | None = None, source: str = ""
) -> LayerCompression:
    """Compress one layer: the actual ``values`` (any shape with ``plan.weights`` elements,
    flattened row-major) if given, else the stated distribution. Raises ConfigError for a bad
    plan, a wrong number of values, or a layer with no non-zero weight."""
    plan.check(source or "compression plan")
    if values is None:
        if plan.density is None:
            expected = "a density when no weights are given"
            raise ConfigError(Problem(source, f"layers.{plan.name}.density", expected, None))
        return _expected(plan)
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    if flat.size != plan.weights:
        expected = f"{plan.weights} weights (the workload's layer)"
        raise ConfigError(Problem(source, plan.name, expected, f"{flat.size} ({values.shape})"))
    return _actual(plan, flat, source)


def _expected(plan: LayerPlan) -> LayerCompression:
    density = float(plan.density)  # type: ignore[arg-type]
    nonzeros = max(1, round(density * plan.weights))
    indices = expected_index_counts(nonzeros, density, plan.index_bits)
    padding = sum(indices.values()) - nonzeros
    symbols: dict[int, int] = gaussian_index_counts(nonzeros, plan.weights, plan.weight_bits)
    if padding:
        symbols[PADDING] = padding
    return _record(plan, nonzeros, padding, symbols, indices, "uniform random, gaussian weights")


def _actual(plan: LayerPlan, flat: NDArray[np.float64], source: str) -> LayerCompression:
    mask = flat != 0
    if plan.density is not None:
        mask &= _largest(np.abs(flat), max(1, round(plan.density * flat.size)))
    if not mask.any():
        raise ConfigError(Problem(source, plan.name, "at least one non-zero weight", "all zero"))
    _, shared = share_weights(flat[mask], plan.weight_bits)
    runs, padding = relative_indices(mask, plan.index_bits)
    symbols = _counts(shared)
    if padding:
        symbols[PADDING] = padding
    indices = _counts(runs)
    return _record(plan, int(mask.sum()), padding, symbols, indices, "weights")


def _counts(symbols: NDArray[np.int64]) -> dict[int, int]:
    """How often each (non-negative) symbol occurs, for the symbols that do."""
    counts = np.bincount(symbols)
    return {int(s): int(counts[s]) for s in np.flatnonzero(counts)}


def _largest(magnitudes: NDArray[np.float64], keep: int) -> NDArray[np.bool_]:
    """Magnitude pruning: the ``keep`` largest, ties at the threshold going to the first in
    order (linear time: a partition, not a sort)."""
    if keep >= magnitudes.size:
        return np.ones(magnitudes.size, dtype=bool)
    threshold = np.partition(magnitudes, magnitudes.size - keep)[magnitudes.size - keep]
    mask = magnitudes > threshold
    ties = np.flatnonzero(magnitudes == threshold)
    mask[ties[: keep - int(mask.sum())]] = True
    return mask


def _record(plan, nonzeros, padding, symbols, indices, source) -> LayerCompression:
    return LayerCompression(
        name=plan.name,
        weights=plan.weights,
        nonzeros=nonzeros,
        padding=padding,
        weight_bits=plan.weight_bits,
        index_bits=plan.index_bits,
        value_bits=plan.value_bits,
        weight_code_bits=coded_bits(symbols),
        index_code_bits=coded_bits(indices),
        source=source,
    )
