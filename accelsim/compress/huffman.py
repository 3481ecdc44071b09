"""Huffman codes from symbol counts: code lengths, exact coded sizes, and the entropy bound.

The code is built with a binary heap (:mod:`heapq`). Ties are broken deterministically: nodes of
equal weight are merged in the order they were created, leaves first in the order of their
symbols (sorted by ``repr``), so the same counts always give the same code lengths.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable, Mapping

from accelsim.errors import ConfigError, Problem


def code_lengths(counts: Mapping[Hashable, int]) -> dict[Hashable, int]:
    """Length in bits of each symbol's Huffman codeword, for the symbols with a positive count.

    A single symbol gets a 1-bit code (a decoder needs one bit to count it). O(n log n) in the
    number of symbols. Raises ConfigError for a negative count.
    """
    if any(c < 0 for c in counts.values()):
        raise ConfigError(Problem("huffman", "counts", "non-negative counts", dict(counts)))
    used = sorted(((s, c) for s, c in counts.items() if c), key=lambda item: repr(item[0]))
    if len(used) == 1:
        return {used[0][0]: 1}
    # nodes 0..n-1 are the leaves; each merge makes the next node, the parent of the two it
    # takes off the heap (weight, node); a node's number is also its creation order
    heap = [(count, node) for node, (_, count) in enumerate(used)]
    heapq.heapify(heap)
    parent: list[int] = [0] * (2 * len(used) - 1)
    node = len(used)
    while len(heap) > 1:
        w1, left = heapq.heappop(heap)
        w2, right = heapq.heappop(heap)
        parent[left] = parent[right] = node
        heapq.heappush(heap, (w1 + w2, node))
        node += 1
    depth = [0] * len(parent)  # the root is the last node; parents come after their children
    for child in range(len(parent) - 2, -1, -1):
        depth[child] = depth[parent[child]] + 1
    return {symbol: depth[leaf] for leaf, (symbol, _) in enumerate(used)}


def coded_bits(counts: Mapping[Hashable, int]) -> int:
    """Exact size in bits of a message with these symbol counts under its Huffman code."""
    lengths = code_lengths(counts)
    return sum(counts[symbol] * length for symbol, length in lengths.items())


def entropy_bits(counts: Mapping[Hashable, int]) -> float:
    """The entropy bound: total count times the entropy (bits per symbol) of the counts."""
    total = sum(counts.values())
    return -sum(c * math.log2(c / total) for c in counts.values() if c)
