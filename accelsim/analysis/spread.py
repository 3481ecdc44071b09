"""Uneven spatial unrolling with temporal loops of the dimension above it, counted exactly.

A spatial loop of bound B over dimension D (size Z) whose loops below it span I, with temporal
loops of D above it whose index o (their mixed-radix value, in steps of B x I) runs 0 ... o_max,
o_max = (Z - 1) // (B I): PE b holds D-indices o B I + b I + [0, I), clipped to Z. With
rem = (Z - 1) mod (B I), the PEs fall into at most three classes: ``rem + 1 // I`` full PEs
(busy at every o), at most one partial PE (busy at every o, with the last strip of
(rem + 1) mod I at o_max), and idle PEs (busy for o < o_max only; an idle PE keeps its last tile
and neither fills nor is read). A class is busy for o < K and holds a strip of length I except
at o = K - 1, where it holds its ``last`` length: each PE's own tile sequence is a clipped
temporal nest with D of size (K - 1) I + last (:mod:`accelsim.analysis.clipped`).

The parent of the fan-out serves, at each step, the union over the busy PEs of what they lack.
A PE's last busy step before an advance of a temporal loop j has every loop inside j at its last
running value (the lexicographic maximum under the PE's residual rule), so the PEs differ only
in D: in their strip length and in how far o moved (each class wraps to its own last busy o).
Every other coordinate is common, so the count stays a product over coordinates
(:func:`~accelsim.analysis.nest.union_delta`), the coordinate holding D being the union over the
classes of their strips translated by their PEs' offsets, computed on interval lists whose
length grows with the number of PEs, not with D. The advances of o split, per carry, into a few
cases over the classes' breakpoints: the cost grows with the number of loops, never with sizes.

Refused (``uneven_spread``): a temporal loop of D between the spread loop and the level below
it keeping a data type (a PE's strip would then come and go inside its tile).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache
from math import prod

import numpy as np

from accelsim.analysis.clipped import carry_combos, clipped_dim, clipped_form_steps
from accelsim.analysis.nest import Form, PlacedLoop, reshaped_delta, tile_steps
from accelsim.progressions import (
    Steps,
    interval_length,
    normalized,
    progression_size,
    progression_sum,
)
from accelsim.types import Dim

Intervals = tuple[tuple[int, int], ...]  # sorted disjoint half-open intervals
ClassStep = tuple[int, int, int] | None  # (length before, length after, move of o) or idle


@dataclass(frozen=True)
class SpreadClass:
    """PEs ``first`` ... ``first + pes - 1`` of the spread loop: busy while o < ``busy``, each
    holding a strip of I elements of D, ``last`` of them at o = busy - 1."""

    pes: int
    first: int
    busy: int
    last: int

    def length(self, o: int, inner: int) -> int:
        return self.last if o == self.busy - 1 else inner

    def size(self, inner: int) -> int:
        """The D-indices one PE of the class runs over the whole layer."""
        return (self.busy - 1) * inner + self.last


@dataclass(frozen=True)
class Spread:
    """The overshooting spatial loop at nest position ``at`` and its PE classes."""

    at: int
    dim: Dim
    size: int
    bound: int
    inner: int
    outer: tuple[int, ...]  # nest positions of the temporal loops of ``dim`` above ``at``
    classes: tuple[SpreadClass, ...]

    @property
    def busiest(self) -> int:
        return max(c.busy for c in self.classes)


def spread_of(placed: tuple[PlacedLoop, ...], at: int, size: int) -> Spread:
    """The classes of the PEs of the spatial loop at ``at`` over a dimension of ``size``."""
    loop = placed[at]
    dim, bound, inner = loop.loop.dim, loop.loop.bound, loop.stride
    outer = tuple(k for k in range(at) if placed[k].loop.dim is dim)
    o_max, rem = divmod(size - 1, bound * inner)
    full, partial = divmod(rem + 1, inner)
    classes = []
    if full:
        classes.append(SpreadClass(full, 0, o_max + 1, inner))
    if partial:
        classes.append(SpreadClass(1, full, o_max + 1, partial))
    idle = bound - full - (1 if partial else 0)
    if idle and o_max:
        classes.append(SpreadClass(idle, bound - idle, o_max, inner))
    return Spread(at, dim, size, bound, inner, outer, tuple(classes))


def _segments(cuts: set[int], low: int, high: int) -> list[tuple[int, int]]:
    """[low, high) cut at ``cuts``: consecutive half-open pieces."""
    points = sorted({low, high} | {c for c in cuts if low < c < high})
    return list(itertools.pairwise(points))


def spread_cases(
    spread: Spread, placed: tuple[PlacedLoop, ...], carry: int
) -> list[tuple[int, tuple[ClassStep, ...]]]:
    """[(how many times, per class: (length before, length after, move of o) or None when the
    class is idle after the advance)] as the temporal loop at ``carry`` advances, counting only
    the values of the loops of D above the spread loop (the other loops multiply as usual)."""
    inside = prod(placed[k].loop.bound for k in spread.outer if k > carry)
    top = spread.busiest
    found: list[tuple[int, tuple[ClassStep, ...]]] = []
    if placed[carry].loop.dim is not spread.dim:
        # o goes from the class's last busy value under the prefix u back to u x inside
        breaks = {(c.busy - 1) // inside for c in spread.classes}
        cuts = breaks | {b + 1 for b in breaks}
        for low, high in _segments(cuts, 0, -(-top // inside)):
            steps: list[ClassStep] = []
            for c in spread.classes:
                start = low * inside
                if start >= c.busy:
                    steps.append(None)
                    continue
                back = min(inside, c.busy - start) - 1
                length = c.length(start + back, spread.inner), c.length(start, spread.inner)
                steps.append((*length, -back))
            found.append((high - low, tuple(steps)))
        return found
    # a loop of D: o goes to x = o + 1 for every x in [1, top) whose lowest nonzero digit is j's
    bound = placed[carry].loop.bound

    def advances(n: int) -> int:  # such x in [1, n]
        return n // inside - n // (inside * bound)

    cuts = {c.busy - 1 for c in spread.classes} | {c.busy for c in spread.classes}
    for low, high in _segments(cuts, 1, top):
        times = advances(high - 1) - advances(low - 1)
        steps = []
        for c in spread.classes:
            if low >= c.busy:
                steps.append(None)
                continue
            length = c.length(low - 1, spread.inner), c.length(low, spread.inner)
            steps.append((*length, 1))
        found.append((times, tuple(steps)))
    return found


def spread_mac_served(
    forms: tuple[Form, ...],
    placed: tuple[PlacedLoop, ...],
    start: int,
    sizes: dict[Dim, int],
    spread: Spread,
) -> int:
    """Elements one instance of the level at nest position ``start`` sends to the MACs below
    it (which keep nothing) over a run: at every step, the distinct elements its busy PEs use.
    Every loop of the spread dimension is a step here: at o_max, step i of the I inner ones
    has the PEs b with b I + i <= rem busy."""
    fan_out = _fan_out(placed, start, len(placed), spread)
    offsets = tuple(tile_steps(form, fan_out) for form in forms)
    home = next((k for k, form in enumerate(forms) if any(d is spread.dim for d, _ in form)), None)
    other = prod(p.loop.bound for p in placed if not p.loop.spatial and p.loop.dim not in sizes)
    other *= prod(size for dim, size in sizes.items() if dim is not spread.dim)
    common = prod(progression_size(offsets[k]) for k in range(len(forms)) if k != home)
    inner, bound = spread.inner, spread.bound
    o_max, rem = divmod(spread.size - 1, bound * inner)
    groups = (
        (o_max * inner, bound),
        (rem % inner + 1, rem // inner + 1),
        (inner - rem % inner - 1, rem // inner),
    )
    total = 0
    for steps, busy in groups:
        if steps and busy:
            distinct = 1
            if home is not None:
                coef = sum(c for d, c in forms[home] if d is spread.dim)
                distinct = progression_size(((coef * inner, busy), *offsets[home]))
            total += steps * distinct
    return other * common * total


# ---- the parent's count ----------------------------------------------------------------------
def spread_served(
    forms: tuple[Form, ...],
    placed: tuple[PlacedLoop, ...],
    start: int,
    child_start: int,
    sizes: dict[Dim, int],
    spread: Spread,
) -> int:
    """Elements one instance of the level at nest position ``start`` sends over a run to its
    children at ``child_start`` (below the spread loop, no loop of its dimension between): the
    first fill, then at every advance of the temporal loops above the children the union over
    the busy PEs of what they lack."""
    others = {dim: size for dim, size in sizes.items() if dim is not spread.dim}
    infos = {dim: clipped_dim(placed, child_start, dim, size) for dim, size in others.items()}
    first_lengths = tuple(
        (dim, info.length(all(info.digits[at] == 0 for at in info.positions if at < child_start)))
        for dim, info in infos.items()
    )
    fan_out = _fan_out(placed, start, child_start, spread)
    offsets = tuple(tile_steps(form, fan_out) for form in forms)
    below = placed[child_start:]
    home = next((k for k, form in enumerate(forms) if any(d is spread.dim for d, _ in form)), None)
    first = tuple((0, c.length(0, spread.inner), 0) for c in spread.classes)
    total = _union_count(
        forms,
        below,
        offsets,
        spread,
        home,
        first_lengths,
        first_lengths,
        tuple(0 for _ in forms),
        first,
        fill=True,
    )
    for carry in range(child_start):
        if placed[carry].loop.spatial:
            continue
        cases = spread_cases(spread, placed, carry)
        for count, before, after, moves in carry_combos(
            forms, placed, child_start, sizes, carry, infos
        ):
            for times, steps in cases:
                if times and any(steps):
                    total += (
                        count
                        * times
                        * _union_count(
                            forms, below, offsets, spread, home, before, after, moves, steps
                        )
                    )
    return total


def _union_count(forms, below, offsets, spread, home, before, after, moves, steps, fill=False):
    """Elements new to at least one busy PE (all of its tile when ``fill``): the product formula
    of :func:`~accelsim.analysis.nest.union_delta`, the coordinate holding the spread dimension
    (``home``) taken as the union over the classes."""
    whole = gone = 1
    for k, form in enumerate(forms):
        if k == home:
            continue
        old = clipped_form_steps(form, below, before)
        new = clipped_form_steps(form, below, after)
        a = progression_size(new + offsets[k])
        b = a if fill else reshaped_delta((old,), (new,), (offsets[k],), (moves[k],))
        whole, gone = whole * a, gone * (a - b)
    if home is not None:
        form = forms[home]
        coef = sum(c for d, c in form if d is spread.dim)
        pitch = coef * spread.inner  # the offset between neighbouring PEs' strips
        jump = coef * spread.inner * spread.bound  # one step of o
        classes = []
        for c, step in zip(spread.classes, steps, strict=True):
            if step is None:
                continue
            length_before, length_after, move_o = step
            old = clipped_form_steps(form, below, (*before, (spread.dim, length_before)))
            new = clipped_form_steps(form, below, (*after, (spread.dim, length_after)))
            move = None if fill else moves[home] + jump * move_o
            classes.append((old, new, move, c.first * pitch, ((pitch, c.pes),)))
        a, b = _home_terms(tuple(classes), offsets[home])
        whole, gone = whole * a, gone * (a - (a if fill else b))
    return whole - gone


@lru_cache(maxsize=65536)
def _home_terms(classes, offsets: Steps) -> tuple[int, int]:
    """(a, b) of the coordinate holding the spread dimension: a = |union over the classes of
    their new tiles at their PEs' offsets|, b = the same for what they lack (new minus the old
    tile moved back by the class's move; ``move`` None: nothing held)."""
    shared = _elements(offsets)
    held, lacking = [], []
    for old, new, move, base, pes in classes:
        at = sorted({base + e + s for e in _elements(pes) for s in shared})
        tile = _intervals(new)
        missing = tile if move is None else _difference(tile, _translated(_intervals(old), -move))
        held.append(_dilated(tile, at))
        lacking.append(_dilated(missing, at))
    return _size(_merged(sum(held, ()))), _size(_merged(sum(lacking, ())))


def _fan_out(
    placed: tuple[PlacedLoop, ...], start: int, stop: int, spread: Spread
) -> tuple[PlacedLoop, ...]:
    """The spatial loops at nest positions ``start`` ... ``stop - 1`` but the spread loop."""
    return tuple(
        p for k, p in enumerate(placed[start:stop], start) if p.loop.spatial and k != spread.at
    )


def _elements(steps: Steps) -> tuple[int, ...]:
    """The elements of a small progression sum (offsets of PEs: at most the array's size)."""
    values = {0}
    for step, count in steps:
        values = {v + k * step for v in values for k in range(count)}
    return tuple(sorted(values))


def _intervals(steps: Steps) -> Intervals:
    length = interval_length(steps)
    if length is not None:
        return ((0, length),)
    bitmap = progression_sum(normalized(steps)).astype(np.int8)
    edges = np.diff(np.concatenate(([0], bitmap, [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return tuple((int(lo), int(hi)) for lo, hi in zip(starts, stops, strict=True))


def _translated(intervals: Intervals, by: int) -> Intervals:
    return tuple((lo + by, hi + by) for lo, hi in intervals)


def _merged(intervals: Intervals) -> Intervals:
    found: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        if found and lo <= found[-1][1]:
            found[-1] = (found[-1][0], max(found[-1][1], hi))
        else:
            found.append((lo, hi))
    return tuple(found)


def _dilated(intervals: Intervals, at: list[int]) -> Intervals:
    return _merged(tuple((lo + o, hi + o) for o in at for lo, hi in intervals))


def _difference(a: Intervals, b: Intervals) -> Intervals:
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


def _size(intervals: Intervals) -> int:
    return sum(hi - lo for lo, hi in intervals)
