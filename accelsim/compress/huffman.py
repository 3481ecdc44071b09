"""Huffman codes from symbol counts: code lengths, exact coded sizes, and the entropy bound.

The code is built with a binary heap (:mod:`heapq`). Ties are broken deterministically: nodes of
equal weight are merged in the order they were created, leaves first in the order of their
symbols (sorted), so the same counts always give the same code lengths.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable, Mapping

from accelsim.errors import ConfigError, Problem


def code_lengths(counts: Mapping[Hashable, int]) -> dict[Hashable, int]:
    """Length in bits of each symbol's Huffman codeword, for the symbols with a positive count.

    A single symbol gets a 1-bit code (a decoder needs one bit to count it). Raises ConfigError
    for a negative count.
    """
    used = sorted(((s, c) for s, c in counts.items() if c), key=lambda item: repr(item[0]))
    if any(c < 0 for _, c in used):
        raise ConfigError(Problem("huffman", "counts", "non-negative counts", dict(counts)))
    if len(used) == 1:
        return {used[0][0]: 1}
    lengths = {symbol: 0 for symbol, _ in used}
    # heap entries: (weight, creation order, symbols under the node)
    heap: list[tuple[int, int, tuple[Hashable, ...]]] = [
        (count, order, (symbol,)) for order, (symbol, count) in enumerate(used)
    ]
    heapq.heapify(heap)
    order = len(heap)
    while len(heap) > 1:
        w1, _, left = heapq.heappop(heap)
        w2, _, right = heapq.heappop(heap)
        for symbol in left + right:
            lengths[symbol] += 1  # every merge puts its symbols one level deeper
        heapq.heappush(heap, (w1 + w2, order, left + right))
        order += 1
    return lengths


def coded_bits(counts: Mapping[Hashable, int]) -> int:
    """Exact size in bits of a message with these symbol counts under its Huffman code."""
    lengths = code_lengths(counts)
    return sum(counts[symbol] * length for symbol, length in lengths.items())


def entropy_bits(counts: Mapping[Hashable, int]) -> float:
    """The entropy bound: total count times the entropy (bits per symbol) of the counts."""
    total = sum(counts.values())
    return -sum(c * math.log2(c / total) for c in counts.values() if c)
