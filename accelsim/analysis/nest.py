"""Tiles and their movement, exactly, as products of one-dimensional sets.

Every tensor coordinate is a linear form in the loop indices (for inputs,
``h = P*stride + R*dilation``), so the tile a level holds is a product over the tensor's
coordinates of one-dimensional sets, and the tiles of sibling instances are translates of it by a
product of offset sets. That makes the number of new elements a parent must send to all its
children when the temporal loops above them advance by a shift ``delta`` an exact closed form
(see :func:`union_delta`), computed on small bitmaps. The cost of the analysis therefore grows
with the number of loops, never with the number of MACs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from math import prod

import numpy as np

from accelsim.analysis.intervals import dilated, elements, minus, total
from accelsim.mapping.model import Loop, Mapping
from accelsim.progressions import (
    Steps,
    interval_length,
    normalized,
    progression_size,
    progression_sum,
)
from accelsim.types import DataType, Dim
from accelsim.workload.layer import Layer

# A tensor coordinate as a linear form: ((dim, coefficient), ...)
Form = tuple[tuple[Dim, int], ...]


def coordinate_forms(layer: Layer, mapping: Mapping, data_type: DataType) -> tuple[Form, ...]:
    """The coordinates of ``data_type`` as linear forms in the loop dimensions."""
    if data_type is DataType.WEIGHTS:
        return tuple(((dim, 1),) for dim in (Dim.G, Dim.M, Dim.C, Dim.R, Dim.S))
    if data_type is DataType.OUTPUTS:
        return tuple(((dim, 1),) for dim in (Dim.N, Dim.G, Dim.M, Dim.P, Dim.Q))
    return (
        ((Dim.N, 1),),
        ((Dim.G, layer.c), (Dim.C, 1)),
        ((Dim.P, layer.stride_h), (Dim.R, layer.dilation_h)),
        ((Dim.Q, layer.stride_w), (Dim.S, layer.dilation_w)),
    )


@dataclass(frozen=True)
class PlacedLoop:
    """A loop of the flattened nest with its stride: the extent of its dim in the loops below."""

    level: int
    loop: Loop
    stride: int


def flatten(mapping: Mapping) -> tuple[tuple[PlacedLoop, ...], tuple[int, ...]]:
    """The nest outermost first, and the position where each level's loops start."""
    loops = [(index, loop) for index, loop in mapping.loops() if loop.bound > 1]
    placed = []
    for position, (index, loop) in enumerate(loops):
        inner = prod(other.bound for _, other in loops[position + 1 :] if other.dim is loop.dim)
        placed.append(PlacedLoop(index, loop, inner))
    starts = []
    for level_index in range(len(mapping.levels)):
        starts.append(sum(1 for index, _ in loops if index < level_index))
    return tuple(placed), tuple(starts)


def shift(form: Form, placed: PlacedLoop) -> int:
    """How far coordinate ``form`` moves when ``placed`` advances by one."""
    return sum(coef for dim, coef in form if dim is placed.loop.dim) * placed.stride


def tile_steps(form: Form, loops: tuple[PlacedLoop, ...]) -> tuple[tuple[int, int], ...]:
    """The (step, count) progressions a coordinate sweeps over the given loops."""
    steps = ((shift(form, p), p.loop.bound) for p in loops)
    return tuple(sorted(step for step in steps if step[0] != 0))


def _dilate(bitmap: np.ndarray, offsets: np.ndarray) -> int:
    """|bitmap (+) offsets|: the size of the union of the translates."""
    if offsets.size == 1:
        return int(bitmap.sum())
    return int((np.convolve(bitmap, offsets) > 0).sum())


@lru_cache(maxsize=262144)
def _coordinate_terms(
    tile: tuple[tuple[int, int], ...], offsets: tuple[tuple[int, int], ...], delta: int
) -> tuple[int, int]:
    """(a, b) of :func:`union_delta` for one coordinate.

    ``a`` is the size of the progression sum of the tile's and the offsets' steps. When the tile
    is an interval [0, L) (every coordinate of one dimension is), the elements a move by
    ``delta`` brings in are an interval of min(|delta|, L) elements, so ``b`` is a progression
    size too; only a tile with holes or overlaps (a strided or dilated window) is moved on
    bitmaps, whose length is the tile's span.
    """
    a = progression_size(tile + offsets)
    if delta == 0:
        return a, 0
    length = interval_length(tile)
    if length is not None:
        return a, progression_size(((1, min(abs(delta), length)), *offsets))
    t = progression_sum(normalized(tile))
    o = progression_sum(normalized(offsets))
    length = t.size
    if abs(delta) >= length:
        return a, a
    moved = np.zeros(length + abs(delta), dtype=bool)
    still = np.zeros(length + abs(delta), dtype=bool)
    moved[max(delta, 0) : max(delta, 0) + length] = t
    still[max(-delta, 0) : max(-delta, 0) + length] = t
    return a, _dilate(moved & ~still, o)


def union_delta(
    tiles: tuple[tuple[tuple[int, int], ...], ...],
    offsets: tuple[tuple[tuple[int, int], ...], ...],
    delta: tuple[int, ...] | None,
) -> int:
    """Elements new to at least one child when the children's tiles move by ``delta``.

    The children hold translates ``T + o`` (``o`` in the offset set ``O``) of a product tile
    ``T = prod_k T_k``; after the move they need ``T + o + delta``. The union over children of
    ``(T + o + delta) minus (T + o)`` has exactly ``prod_k a_k - prod_k (a_k - b_k)`` elements with
    ``a_k = |T_k (+) O_k|`` and ``b_k = |((T_k + delta_k) minus T_k) (+) O_k|``. ``delta=None``
    means the children start empty (the first fill): ``prod_k a_k``.
    """
    terms = [
        _coordinate_terms(tile, offset, 0 if delta is None else delta[k])
        for k, (tile, offset) in enumerate(zip(tiles, offsets, strict=True))
    ]
    whole = prod(a for a, _ in terms)
    if delta is None:
        return whole
    return whole - prod(a - b for a, b in terms)


def transitions(
    forms: tuple[Form, ...], loops: tuple[PlacedLoop, ...]
) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """(how many times, shift per coordinate) for each way the temporal loops advance.

    Advancing loop j (the carry) while every loop inside it wraps from its last index to 0 happens
    ``prod(bounds outside j) * (bound_j - 1)`` times and moves each coordinate by
    ``shift_j - sum_{i inside j} (bound_i - 1) * shift_i``.
    """
    shifts = [tuple(shift(form, p) for form in forms) for p in loops]
    wraps: list[tuple[int, ...]] = [()] * len(loops)
    wrap = [0] * len(forms)  # how far the loops inside j move back when they all wrap
    for j in reversed(range(len(loops))):
        wraps[j] = tuple(wrap)
        wrap = [w + (loops[j].loop.bound - 1) * d for w, d in zip(wrap, shifts[j], strict=True)]
    result: list[tuple[int, tuple[int, ...]]] = []
    outer = 1
    for j, carry in enumerate(loops):
        moves = tuple(d - w for d, w in zip(shifts[j], wraps[j], strict=True))
        result.append((outer * (carry.loop.bound - 1), moves))
        outer *= carry.loop.bound
    return tuple(result)


def extrapolated_steps(
    forms: tuple[Form, ...], loops: tuple[PlacedLoop, ...]
) -> list[tuple[int, tuple[int, ...]]]:
    """(weight, position per coordinate) of the steps Timeloop's nest analysis evaluates.

    Timeloop (gExtrapolateUniformTemporal, on by default) runs every temporal loop at index 0,
    then at index 1 standing for the other ``bound - 1`` iterations (everything inside it is
    weighted by ``bound - 1``); outer loops vary slowest. ``loops`` outermost first.
    """
    steps: list[tuple[int, tuple[int, ...]]] = [(1, tuple(0 for _ in forms))]
    for placed in loops:
        moved = tuple(shift(form, placed) for form in forms)
        next_steps = []
        for weight, position in steps:
            next_steps.append((weight, position))
            shifted = tuple(p + m for p, m in zip(position, moved, strict=True))
            next_steps.append((weight * (placed.loop.bound - 1), shifted))
        steps = next_steps
    return steps


def timeloop_steps(
    forms: tuple[Form, ...], loops: tuple[PlacedLoop, ...]
) -> Iterator[tuple[int, tuple[int, ...], tuple[int, ...] | None]]:
    """(weight, position, move) of every step Timeloop v3 evaluates (:func:`extrapolated_steps`),
    where ``move`` is the translation a tile makes to reach ``position`` and fetch only its new
    elements, or None when the tile is fetched whole: at the first step, and when the translation
    differs from the remembered one (which it then forgets). A translation is remembered after the
    first step, a reset, or a step that repeats it; a stationary tile "moves" by zeros
    (OperationSpace::SaveAndSubtractIfSameStride, v3.0.3)."""
    previous: tuple[int, ...] | None = None
    remembered: tuple[int, ...] | None = None  # None: no translation remembered
    for weight, position in extrapolated_steps(forms, loops):
        move: tuple[int, ...] | None = None
        if previous is not None:
            step = tuple(p - q for p, q in zip(position, previous, strict=True))
            if remembered is None or step == remembered:
                move = remembered = step
            else:
                remembered = None
        yield weight, position, move
        previous = position


def timeloop_moving_count(
    tile: tuple[tuple[tuple[int, int], ...], ...],
    forms: tuple[Form, ...],
    loops: tuple[PlacedLoop, ...],
) -> int:
    """Elements a level receives over a run as Timeloop v3 counts them: over its extrapolated
    steps (:func:`timeloop_steps`), a tile that moves by the same translation as the last
    move (or after a reset) fetches only its new elements, a stationary tile nothing, and a tile
    whose translation changes is fetched whole and resets the remembered translation."""
    no_offsets = tuple(() for _ in forms)
    whole = union_delta(tile, no_offsets, None)
    total = 0
    for weight, _, move in timeloop_steps(forms, loops):
        total += weight * (whole if move is None else union_delta(tile, no_offsets, move))
    return total


@lru_cache(maxsize=262144)
def _reshaped_terms(before: Steps, after: Steps, offsets: Steps, delta: int) -> tuple[int, int]:
    """(a, b) of :func:`union_delta` for one coordinate whose tile changes shape as it moves:
    ``a = |after (+) offsets|``, ``b = |((after + delta) minus before) (+) offsets|``."""
    if before == after:
        return _coordinate_terms(after, offsets, delta)
    a = progression_size(after + offsets)
    length_a, length_b = interval_length(after), interval_length(before)
    if length_a is not None and length_b is not None and not normalized(offsets):
        overlap = max(0, min(delta + length_a, length_b) - max(delta, 0))
        return a, length_a - overlap
    if length_a is not None and length_b is not None and prod(c for _, c in offsets) <= 4096:
        # two intervals and a few translates (a fan-out's children): no bitmap as long as the span
        new = minus(((delta, delta + length_a),), ((0, length_b),))
        return a, total(dilated(new, elements(offsets)))
    moved_tile = progression_sum(normalized(after))
    still_tile = progression_sum(normalized(before))
    low = min(delta, 0)
    size = max(delta + moved_tile.size, still_tile.size) - low
    moved = np.zeros(size, dtype=bool)
    still = np.zeros(size, dtype=bool)
    moved[delta - low : delta - low + moved_tile.size] = moved_tile
    still[-low : -low + still_tile.size] = still_tile
    return a, _dilate(moved & ~still, progression_sum(normalized(offsets)))


def reshaped_delta(
    before: tuple[Steps, ...],
    after: tuple[Steps, ...],
    offsets: tuple[Steps, ...],
    delta: tuple[int, ...],
) -> int:
    """:func:`union_delta` for a tile that changes shape as it moves (a clipped edge tile):
    elements new to at least one child when the children's tiles ``before`` become ``after``
    translated by ``delta``; the same product formula with ``a_k = |after_k (+) O_k|`` and
    ``b_k = |((after_k + delta_k) minus before_k) (+) O_k|``."""
    terms = [
        _reshaped_terms(old, new, offset, move)
        for old, new, offset, move in zip(before, after, offsets, delta, strict=True)
    ]
    return prod(a for a, _ in terms) - prod(a - b for a, b in terms)
