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

from dataclasses import dataclass
from functools import lru_cache
from math import prod

import numpy as np

from accelsim.mapping.model import Loop, Mapping
from accelsim.progressions import progression_sum
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
        ((Dim.G, mapping.bound(Dim.C)), (Dim.C, 1)),
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
    """(a, b) of :func:`union_delta` for one coordinate."""
    t = progression_sum(tile)
    o = progression_sum(offsets)
    a = _dilate(t, o)
    if delta == 0:
        return a, 0
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
) -> list[tuple[int, tuple[int, ...]]]:
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
    result = []
    outer = 1
    for j, carry in enumerate(loops):
        moves = tuple(d - w for d, w in zip(shifts[j], wraps[j], strict=True))
        result.append((outer * (carry.loop.bound - 1), moves))
        outer *= carry.loop.bound
    return result
