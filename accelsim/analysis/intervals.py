"""One-dimensional sets as sorted lists of disjoint half-open intervals: the union of a few
translates of a tile (PEs' strips, a spatial fan-out's offsets) at a cost that grows with the
number of translates and pieces, not with the span of the set."""

from __future__ import annotations

import numpy as np

from accelsim.progressions import Steps, interval_length, normalized, progression_sum

Intervals = tuple[tuple[int, int], ...]  # sorted disjoint half-open intervals


def elements(steps: Steps) -> tuple[int, ...]:
    """The elements of a small progression sum (offsets of PEs: at most the array's size)."""
    values = {0}
    for step, count in steps:
        values = {v + k * step for v in values for k in range(count)}
    return tuple(sorted(values))


def pieces(steps: Steps) -> Intervals:
    """The progression sum ``steps`` as intervals (on its bitmap unless it is one interval)."""
    length = interval_length(steps)
    if length is not None:
        return ((0, length),)
    bitmap = progression_sum(normalized(steps)).astype(np.int8)
    edges = np.diff(np.concatenate(([0], bitmap, [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return tuple((int(lo), int(hi)) for lo, hi in zip(starts, stops, strict=True))


def shifted(items: Intervals, by: int) -> Intervals:
    """The set moved by ``by``."""
    return tuple((lo + by, hi + by) for lo, hi in items)


def joined(items: Intervals) -> Intervals:
    """The union of any intervals, as sorted disjoint ones."""
    found: list[tuple[int, int]] = []
    for lo, hi in sorted(items):
        if found and lo <= found[-1][1]:
            found[-1] = (found[-1][0], max(found[-1][1], hi))
        else:
            found.append((lo, hi))
    return tuple(found)


def dilated(items: Intervals, at: list[int] | tuple[int, ...]) -> Intervals:
    """The union of the set's translates by each element of ``at``."""
    return joined(tuple((lo + o, hi + o) for o in at for lo, hi in items))


def minus(a: Intervals, b: Intervals) -> Intervals:
    """The elements of ``a`` not in ``b`` (both sorted and disjoint)."""
    found = []
    for lo, hi in a:
        for cut_lo, cut_hi in b:
            if cut_hi <= lo or cut_lo >= hi:
                continue
            if cut_lo > lo:
                found.append((lo, cut_lo))
            lo = max(lo, cut_hi)
            if lo >= hi:
                break
        if lo < hi:
            found.append((lo, hi))
    return tuple(found)


def total(items: Intervals) -> int:
    """The number of elements."""
    return sum(hi - lo for lo, hi in items)
