"""Deep Compression's sparse format: non-zeros stored with the *relative* index to the previous
non-zero in a fixed number of bits, with padding zeros when a gap overflows it.

A stream of ``n`` weights (a layer's tensor flattened in row-major order) is stored as entries;
each entry is a weight (a codebook index) and a ``b``-bit relative index ``r``: the entry sits
``r + 1`` positions after the previous one (the first after position -1). A gap ``g`` longer
than ``2**b`` is bridged by padding entries (a stored zero weight, relative index ``2**b - 1``)
every ``2**b`` positions: a gap costs ``ceil(g / 2**b)`` entries, ``floor((g - 1) / 2**b)`` of
them padding (Han et al., ICLR 2016, section 2 and figure 2).

Two ways to get the entries: from an actual mask (:func:`relative_indices`, exact) or, for
weights pruned uniformly at random to density ``d``, the expected counts per symbol
(:func:`expected_index_counts`): gaps are then geometric, ``P(g) = d (1 - d)**(g - 1)``, so a
non-zero's own relative index is ``s`` with probability ``d (1 - d)**s / (1 - q)``, ``q = (1 -
d)**(2**b)``, and it brings ``q / (1 - q)`` padding entries on average.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray


def relative_indices(mask: NDArray[np.bool_], index_bits: int) -> tuple[NDArray[np.int64], int]:
    """The relative index of every entry (non-zeros and padding, in stream order) of a flattened
    non-zero ``mask``, and how many of the entries are padding."""
    span = 1 << index_bits
    positions = np.flatnonzero(np.asarray(mask).reshape(-1))
    gaps = np.diff(positions, prepend=-1)  # >= 1
    pads = (gaps - 1) // span
    # each gap: `pads` padding entries of index span - 1, then the non-zero's own index
    own = (gaps - 1) - pads * span
    total = int(pads.sum()) + len(gaps)
    out = np.full(total, span - 1, dtype=np.int64)
    ends = np.cumsum(pads + 1) - 1  # where each non-zero's own entry lands
    out[ends] = own
    return out, int(pads.sum())


def entries_per_nonzero(density: float, index_bits: int) -> float:
    """Expected entries (the non-zero plus its padding) per non-zero for weights kept uniformly
    at random with probability ``density``: ``1 / (1 - (1 - d)**(2**b))``."""
    if density >= 1:
        return 1.0
    return -1.0 / math.expm1((1 << index_bits) * math.log1p(-density))


def expected_index_counts(nonzeros: int, density: float, index_bits: int) -> dict[int, int]:
    """Integer counts of each relative index value over all entries of ``nonzeros`` non-zeros
    kept uniformly at random with probability ``density`` (expected counts, rounded so that
    the non-zeros' own indices sum to ``nonzeros``; padding rounded to the nearest entry)."""
    span = 1 << index_bits
    q = (1.0 - density) ** span
    own = density * (1.0 - density) ** np.arange(span) / (1.0 - q)
    counts = apportion(nonzeros, own)
    counts[span - 1] += round(nonzeros * q / (1.0 - q))
    return {s: int(c) for s, c in enumerate(counts) if c}


def apportion(total: int, weights: NDArray[np.floating]) -> NDArray[np.int64]:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainders; ties to
    the lower index)."""
    share = total * weights / weights.sum()
    counts = np.floor(share).astype(np.int64)
    left = total - int(counts.sum())
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[:left]] += 1
    return counts


def stored_fraction(density: float, weight_bits: int, index_bits: int) -> float:
    """Bits a pruned tensor of ``weight_bits`` values occupies in the relative-index format, as a
    fraction of its dense size, for weights kept uniformly at random with probability
    ``density``: ``d / (1 - (1 - d)**(2**b)) * (w + b) / w`` entries' worth, or 1 when the
    dense tensor is smaller (it is then stored dense). Never rises as the density falls."""
    compressed = density * entries_per_nonzero(density, index_bits) * (weight_bits + index_bits)
    return min(1.0, compressed / weight_bits)
