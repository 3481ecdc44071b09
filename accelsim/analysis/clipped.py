"""Clipped edge tiles: tile factors that do not divide a dimension, counted exactly.

A dimension of size D whose factors multiply to more than D runs only the indices below D
(Timeloop's residual ends): write D - 1 in the mixed radix of the dimension's loops, outermost
digit first, e_1 ... e_k. A loop whose outer loops of the dimension all sit at their digits
e_i ("tight") runs 0 ... e_j, and only at e_j do the loops inside it stay tight; any other loop
runs its whole bound. So no step is empty, and the tile a level holds in that dimension is the
interval [0, S) of its loops' extent S, or [0, (D - 1) mod S + 1) while every loop above it is
tight. Each carry of the temporal loops above a level therefore splits, per dimension, into a
few cases (is the prefix outside the carry tight, is this advance the one into the last index),
each with a count, a tile length before and after and a move; the cases of the dimensions
combine as a product. The cost grows with the number of loops, never with the sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from accelsim.analysis.nest import Form, PlacedLoop, reshaped_delta, shift, union_delta
from accelsim.mapping.model import Mapping
from accelsim.progressions import Steps
from accelsim.types import Dim
from accelsim.workload.layer import Layer

Lengths = tuple[tuple[Dim, int], ...]  # tile length of each clipped dimension


def clipped_sizes(layer: Layer, mapping: Mapping) -> dict[Dim, int]:
    """{dim: size} of the dimensions whose factors overshoot the layer's size."""
    covered = dict.fromkeys(Dim, 1)
    for level in mapping.levels:
        for loop in level.loops:
            covered[loop.dim] *= loop.bound
    return {dim: size for dim, size in layer.loop_bounds.items() if covered[dim] > size}


def clipped_form_steps(form: Form, loops: tuple[PlacedLoop, ...], lengths: Lengths) -> Steps:
    """:func:`tile_steps` where each clipped dimension's loops among ``loops`` are replaced by
    one progression of its tile length (its index runs over [0, length))."""
    clipped = {dim for dim, _ in lengths}
    steps = [(shift(form, p), p.loop.bound) for p in loops if p.loop.dim not in clipped]
    for dim, length in lengths:
        coef = sum(c for d, c in form if d is dim)
        steps.append((coef, length))
    return tuple(sorted(step for step in steps if step[0] != 0 and step[1] > 1))


@dataclass(frozen=True)
class ClippedDim:
    """One clipped dimension seen from a level whose loops start at nest position ``start``."""

    size: int
    positions: tuple[int, ...]  # nest positions of the dimension's loops, outermost first
    digits: dict[int, int]  # position -> digit of size - 1 at that loop
    inner: int  # the extent of its loops at or below ``start``

    @property
    def residual(self) -> int:
        return (self.size - 1) % self.inner + 1

    def length(self, tight: bool) -> int:
        return self.residual if tight else self.inner


def clipped_dim(placed: tuple[PlacedLoop, ...], start: int, dim: Dim, size: int) -> ClippedDim:
    positions = tuple(at for at, p in enumerate(placed) if p.loop.dim is dim)
    digits = {at: (size - 1) // placed[at].stride % placed[at].loop.bound for at in positions}
    inner = prod(placed[at].loop.bound for at in positions if at >= start)
    return ClippedDim(size, positions, digits, inner)


def dim_cases(
    placed: tuple[PlacedLoop, ...], start: int, carry: int, info: ClippedDim, dim: Dim
) -> dict[tuple[int, int, int], int]:
    """{(length before, length after, index move): how many times} for one clipped dimension
    when the loop at nest position ``carry`` (above ``start``) advances."""
    outside = [at for at in info.positions if at < carry]
    inside = [at for at in info.positions if carry < at < start]
    rest = prod(placed[at].loop.bound for at in info.positions if at >= carry)
    prefixes = (info.size - 1) // rest + 1  # valid values of the loops outside the carry
    back = sum((placed[at].loop.bound - 1) * placed[at].stride for at in inside)
    back_tight = sum(info.digits[at] * placed[at].stride for at in inside)
    zero_inside = all(info.digits[at] == 0 for at in inside)
    cases: dict[tuple[int, int, int], int] = {}

    def add(key: tuple[int, int, int], count: int) -> None:
        if count > 0:
            cases[key] = cases.get(key, 0) + count

    full = info.inner
    if placed[carry].loop.dim is not dim:
        del outside
        add((full, full, -back), prefixes - 1)  # a loose prefix: whole tiles before and after
        # the tight prefix: the loops inside wrap from their digits
        add((info.residual, info.length(zero_inside), -back_tight), 1)
        return cases
    bound, stride = placed[carry].loop.bound, placed[carry].stride
    move = stride - back
    add((full, full, move), (prefixes - 1) * (bound - 1))
    last = info.digits[carry]  # under the tight prefix the carry runs 0 ... last
    add((full, full, move), last - 1)
    if last >= 1:
        add((full, info.length(zero_inside), move), 1)  # the advance into the last index
    return cases


def clipped_transitions(
    forms: tuple[Form, ...],
    placed: tuple[PlacedLoop, ...],
    start: int,
    sizes: dict[Dim, int],
) -> tuple[Lengths, list[tuple[int, Lengths, Lengths, tuple[int, ...]]]]:
    """(first lengths, [(how many times, lengths before, lengths after, move per coordinate)])
    of the tile at nest position ``start`` as the temporal loops above it advance, with the
    clipped dimensions ``sizes`` (the clipped counterpart of :func:`transitions`)."""
    infos = {dim: clipped_dim(placed, start, dim, size) for dim, size in sizes.items()}
    first = tuple(
        (dim, info.length(all(info.digits[at] == 0 for at in info.positions if at < start)))
        for dim, info in infos.items()
    )
    result: list[tuple[int, Lengths, Lengths, tuple[int, ...]]] = []
    for carry in range(start):
        if not placed[carry].loop.spatial:
            result.extend(carry_combos(forms, placed, start, sizes, carry, infos))
    return first, result


def carry_combos(
    forms: tuple[Form, ...],
    placed: tuple[PlacedLoop, ...],
    start: int,
    sizes: dict[Dim, int],
    carry: int,
    infos: dict[Dim, ClippedDim],
) -> list[tuple[int, Lengths, Lengths, tuple[int, ...]]]:
    """The cases of :func:`clipped_transitions` for one temporal ``carry``: the dimensions of
    ``infos`` split by their own cases, the other dimensions of ``sizes`` (counted by the
    caller) left out of the count and the moves."""
    carried = placed[carry]
    # perfect dimensions: every loop outside the carry at any value, the ones inside wrap
    count = 1
    moves = [0] * len(forms)
    for at in range(carry):
        if not placed[at].loop.spatial and placed[at].loop.dim not in sizes:
            count *= placed[at].loop.bound
    if carried.loop.dim not in sizes:
        count *= carried.loop.bound - 1
        moves = [shift(form, carried) for form in forms]
    for at in range(carry + 1, start):
        p = placed[at]
        if not p.loop.spatial and p.loop.dim not in sizes:
            for k, form in enumerate(forms):
                moves[k] -= (p.loop.bound - 1) * shift(form, p)
    combos: list[tuple[int, Lengths, Lengths, tuple[int, ...]]] = [(count, (), (), tuple(moves))]
    for dim, info in infos.items():
        coefs = [sum(c for d, c in form if d is dim) for form in forms]
        extended = []
        for (before, after, move), times in dim_cases(placed, start, carry, info, dim).items():
            for total, lb, la, mv in combos:
                shifted = tuple(m + c * move for m, c in zip(mv, coefs, strict=True))
                extended.append((total * times, (*lb, (dim, before)), (*la, (dim, after)), shifted))
        combos = extended
    return [combo for combo in combos if combo[0] > 0]


def clipped_moving_count(
    forms: tuple[Form, ...],
    placed: tuple[PlacedLoop, ...],
    start: int,
    offsets: tuple[Steps, ...],
    sizes: dict[Dim, int],
) -> int:
    """Elements sent over a whole run to the tile at nest position ``start`` (translated by
    ``offsets`` for several children) with the clipped dimensions ``sizes``: the first fill
    plus every advance of the temporal loops above it, each tile clipped to the layer."""
    below = placed[start:]

    def tile(lengths: Lengths) -> tuple[Steps, ...]:
        return tuple(clipped_form_steps(form, below, lengths) for form in forms)

    first, steps = clipped_transitions(forms, placed, start, sizes)
    total = union_delta(tile(first), offsets, None)
    for times, before, after, moves in steps:
        total += times * reshaped_delta(tile(before), tile(after), offsets, moves)
    return total


def clipped_steps(placed: tuple[PlacedLoop, ...], sizes: dict[Dim, int]) -> int:
    """Iterations of the temporal loops that run (clipped dimensions have no spatial loops):
    each clipped dimension runs its size, every other temporal loop its bound."""
    steps = prod(p.loop.bound for p in placed if not p.loop.spatial and p.loop.dim not in sizes)
    return steps * prod(sizes.values())


def largest_lengths(placed: tuple[PlacedLoop, ...], start: int, sizes: dict[Dim, int]) -> Lengths:
    """The largest tile length of each clipped dimension at nest position ``start``: its loops'
    extent there, or its size when that is smaller."""
    return tuple(
        (dim, min(size, clipped_dim(placed, start, dim, size).inner)) for dim, size in sizes.items()
    )
