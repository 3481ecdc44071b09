"""When a sliding window's outgoing elements are dead: the last use, within one step, of the
elements a per-PE tile loses when the loops above it advance.

A per-PE level holding a window (an ifmap scratchpad under a convolution's filter loops) keeps
most of its tile when the output position advances: only the first ``stride`` columns leave and
as many new ones arrive. The PE's loops touch the leaving columns first (or at least not last),
so the new ones can come in once the leaving ones have been used for the last time, before the
step ends. This module finds that time exactly, as a count of the step's inner iterations, from
the coordinate forms: no enumeration of the iterations.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from accelsim.analysis.nest import Form, PlacedLoop, shift, tile_steps
from accelsim.progressions import progression_sum

# Tiles wider than this (in one coordinate) are taken to be used until the end of the step:
# the search below costs up to the width per loop.
MAX_WIDTH = 1 << 16


def last_use(
    forms: tuple[Form, ...],
    temporal: tuple[PlacedLoop, ...],
    spatial: tuple[PlacedLoop, ...],
    moves: tuple[int, ...],
) -> int:
    """Inner iterations of a step (the ``temporal`` loops, outermost first, in time order) up
    to and including the last one that uses an element the tile loses when each coordinate
    moves by ``moves``: the product of the bounds when it is the last iteration (or unknown),
    0 when the tile loses nothing. ``spatial``: the loops below the level across lanes (used in
    the same iteration)."""
    total = 1
    for p in temporal:
        total *= p.loop.bound
    found = 0
    for form, move in zip(forms, moves, strict=True):
        if not move:
            continue
        width = 1 + sum((count - 1) * step for step, count in tile_steps(form, temporal + spatial))
        if width > MAX_WIDTH or abs(move) >= width:  # every element leaves (or too wide)
            return total
        found = max(found, _last_use(form, temporal, spatial, move))
    return found


@lru_cache(maxsize=4096)
def _last_use(
    form: Form,
    temporal: tuple[PlacedLoop, ...],
    spatial: tuple[PlacedLoop, ...],
    move: int,
) -> int:
    """:func:`last_use` for one coordinate moving by ``move``, less than the tile's width."""
    tile = progression_sum(tile_steps(form, temporal + spatial))
    width = len(tile)
    kept = np.zeros(width, dtype=bool)  # the tile moved by ``move``, clipped to the old one
    if move > 0:
        kept[move:] = tile[: width - move]
    else:
        kept[: width + move] = tile[-move:]
    leaving = tile & ~kept
    if not leaving.any():
        return 0
    highest = int(np.flatnonzero(leaving)[-1])
    value, index = 0, 0
    for position, placed in enumerate(temporal):
        step, bound = shift(form, placed), placed.loop.bound
        digit = bound - 1
        if step:
            rest = progression_sum(tile_steps(form, temporal[position + 1 :] + spatial))
            digit = next(
                d
                for d in range(min(bound - 1, (highest - value) // step), -1, -1)
                if _meets(leaving, value + d * step, rest)
            )
        value += digit * step
        index = index * bound + digit
    return index + 1


def _meets(leaving: np.ndarray, base: int, rest: np.ndarray) -> bool:
    """Whether ``base + rest`` holds a leaving element."""
    part = leaving[base : base + len(rest)]
    return bool((part & rest[: len(part)]).any())
