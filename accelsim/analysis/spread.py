"""Uneven spatial unrolling with temporal loops of the dimension above it, counted exactly.

A spatial loop of bound B over dimension D (size Z) whose loops below it span I, with temporal
loops of D above it whose index o (their mixed-radix value, in steps of B x I) runs 0 ... o_max,
o_max = (Z - 1) // (B I): PE b holds D-indices o B I + b I + [0, I), clipped to Z. With
rem = (Z - 1) mod (B I), the PEs fall into at most three classes: (rem + 1) // I full PEs
(busy at every o), at most one partial PE (busy at every o, with the last strip of
(rem + 1) mod I at o_max), and idle PEs (busy for o < o_max only; an idle PE keeps its last tile
and neither fills nor is read). A class is busy for o < K and holds a strip of length I except
at o = K - 1, where it holds its ``last`` length: each PE's own tile sequence is a clipped
temporal nest with D of size (K - 1) I + last (:mod:`accelsim.analysis.clipped`; when passes
sit above the spread loop and I = 1, the layer's stride or dilation along D times B keeps its
input windows where they are).

The parent of the fan-out serves, at each step, the union over the busy PEs of what they lack.
A PE's last busy step before an advance of a temporal loop j has every loop inside j at its last
running value (the lexicographic maximum under the PE's residual rule), so the PEs differ only
in D: in their strip length and in how far o moved (each class wraps to its own last busy o).
Every other coordinate is common, so the count stays a product over coordinates
(:func:`~accelsim.analysis.nest.union_delta`), the coordinate holding D being the union over the
classes of their strips translated by their PEs' offsets, computed on interval lists whose
length grows with the number of PEs, not with D. The advances of o split, per carry, into a few
cases over the classes' breakpoints: the cost grows with the number of loops, never with sizes.

Seen from a child level with loops of D between it and the spread loop, v (the value of every
loop of D above the child but the spread loop) takes the place of o: a PE's share of D is
counted in strips of the child's extent, so a PE may be busy for part of a pass only.

With passes above, overlapping input windows and I > 1, a PE's windows (o B I + [0, I)) are no
layer's, so its own input fills and reads are counted here too, as a single PE of the parent's
count (``analysis.counts``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from functools import lru_cache
from math import prod

from accelsim.analysis.clipped import carry_combos, clipped_dim, clipped_form_steps
from accelsim.analysis.intervals import dilated, elements, joined, minus, pieces, shifted, total
from accelsim.analysis.nest import Form, PlacedLoop, reshaped_delta, tile_steps
from accelsim.progressions import Steps, progression_size
from accelsim.types import Dim

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
    """The overshooting spatial loop at nest position ``at`` and its PE classes, seen from a
    level whose loops of the dimension above it (but the spread loop) are at ``loops``: their
    mixed-radix value v counts strips of ``unit`` elements (the extent of the dimension at that
    level), a class is busy while v < its ``busy``. Seen from the spread loop itself, v is the
    passes' index o and ``unit`` is I."""

    at: int
    dim: Dim
    size: int
    bound: int
    inner: int  # I: the extent of the dimension below the spread loop (a PE's strip)
    loops: tuple[int, ...]
    unit: int
    classes: tuple[SpreadClass, ...]

    @property
    def busiest(self) -> int:
        return max(c.busy for c in self.classes)

    def seen_from(self, placed: tuple[PlacedLoop, ...], start: int) -> Spread:
        """The same classes seen from the level at nest position ``start`` below the loop."""
        dim = self.dim
        loops = tuple(k for k in range(start) if placed[k].loop.dim is dim and k != self.at)
        unit = prod(p.loop.bound for p in placed[start:] if p.loop.dim is dim)
        classes = []
        for c in self.classes:
            share = c.size(self.inner)  # a PE's D-indices, counted inside its strips
            busy = -(-share // unit)
            classes.append(replace(c, busy=busy, last=share - (busy - 1) * unit))
        return replace(self, loops=loops, unit=unit, classes=tuple(classes))

    def length(self, c: SpreadClass, v: int) -> int:
        return c.length(v, self.unit)


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
    return Spread(at, dim, size, bound, inner, outer, inner, tuple(classes))


def _segments(cuts: set[int], low: int, high: int) -> list[tuple[int, int]]:
    """[low, high) cut at ``cuts``: consecutive half-open pieces."""
    points = sorted({low, high} | {c for c in cuts if low < c < high})
    return list(itertools.pairwise(points))


def _offset(placed: tuple[PlacedLoop, ...], loops: list[int], value: int) -> int:
    """How far (in indices of the dimension) the loops at ``loops`` (outermost first) place a
    tile when their mixed-radix value is ``value``."""
    moved = 0
    for k in reversed(loops):
        value, digit = divmod(value, placed[k].loop.bound)
        moved += digit * placed[k].stride
    return moved


def spread_cases(
    spread: Spread, placed: tuple[PlacedLoop, ...], carry: int
) -> list[tuple[int, tuple[ClassStep, ...]]]:
    """[(how many times, per class: (length before, length after, move of the tile in indices
    of the dimension) or None when the class is idle after the advance)] as the temporal loop at
    ``carry`` advances, counting only the values of the loops of the dimension (``spread.loops``;
    the other loops multiply as usual)."""
    inner_loops = [k for k in spread.loops if k > carry]
    inside = prod(placed[k].loop.bound for k in inner_loops)
    top = spread.busiest
    found: list[tuple[int, tuple[ClassStep, ...]]] = []
    if placed[carry].loop.dim is not spread.dim:
        # v goes from the class's last busy value under the prefix u back to u x inside
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
                length = spread.length(c, start + back), spread.length(c, start)
                steps.append((*length, -_offset(placed, inner_loops, back)))
            found.append((high - low, tuple(steps)))
        return found
    # a loop of the dimension: v goes to x = v + 1 for every x in [1, top) whose lowest nonzero
    # digit is the carry's, the loops inside it wrapping from their last values
    bound = placed[carry].loop.bound
    move = placed[carry].stride - _offset(placed, inner_loops, inside - 1)

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
            steps.append((spread.length(c, low - 1), spread.length(c, low), move))
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
    spread = spread.seen_from(placed, child_start)
    first = tuple((0, spread.length(c, 0), 0) for c in spread.classes)
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
        classes = []
        for c, step in zip(spread.classes, steps, strict=True):
            if step is None:
                continue
            length_before, length_after, moved = step
            old = clipped_form_steps(form, below, (*before, (spread.dim, length_before)))
            new = clipped_form_steps(form, below, (*after, (spread.dim, length_after)))
            move = None if fill else moves[home] + coef * moved
            classes.append((old, new, move, c.first * pitch, ((pitch, c.pes),)))
        a, b = _home_terms(tuple(classes), offsets[home])
        whole, gone = whole * a, gone * (a - (a if fill else b))
    return whole - gone


@lru_cache(maxsize=65536)
def _home_terms(classes, offsets: Steps) -> tuple[int, int]:
    """(a, b) of the coordinate holding the spread dimension: a = |union over the classes of
    their new tiles at their PEs' offsets|, b = the same for what they lack (new minus the old
    tile moved back by the class's move; ``move`` None: nothing held)."""
    shared = elements(offsets)
    held, lacking = [], []
    for old, new, move, base, pes in classes:
        at = sorted({base + e + s for e in elements(pes) for s in shared})
        tile = pieces(new)
        missing = tile if move is None else minus(tile, shifted(pieces(old), -move))
        held.append(dilated(tile, at))
        lacking.append(dilated(missing, at))
    return total(joined(sum(held, ()))), total(joined(sum(lacking, ())))


def _fan_out(
    placed: tuple[PlacedLoop, ...], start: int, stop: int, spread: Spread
) -> tuple[PlacedLoop, ...]:
    """The spatial loops at nest positions ``start`` ... ``stop - 1`` but the spread loop."""
    return tuple(
        p for k, p in enumerate(placed[start:stop], start) if p.loop.spatial and k != spread.at
    )
