"""Sets of sums of arithmetic progressions, as bitmaps: the one piece of arithmetic that tile
sizes (:mod:`accelsim.mapping.validate`) and access counts (:mod:`accelsim.analysis.nest`) share."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=65536)
def progression_sum(steps: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Bitmap of {sum_i k_i * step_i : 0 <= k_i < count_i} for ``steps`` = ((step, count), ...).

    Work grows with the bitmap's length times the logarithm of the counts (a run of ones grows
    in one step; any other set by doubling), never with the product of a length and a count.
    """
    bitmap = np.ones(1, dtype=bool)
    for step, count in steps:
        if count <= 1 or step == 0:
            continue
        if step <= len(bitmap) and bitmap.all():  # a run of ones stays a run
            bitmap = np.ones(len(bitmap) + (count - 1) * step, dtype=bool)
        else:
            bitmap = _shifted_union(bitmap, step, count)
    bitmap.flags.writeable = False
    return bitmap


def _shifted_union(bitmap: np.ndarray, step: int, count: int) -> np.ndarray:
    """The union of ``bitmap`` shifted by 0, step, ..., (count - 1) * step."""
    covered = 1  # shifts 0 .. covered - 1 are in ``union``
    union = bitmap
    while 2 * covered <= count:
        union = _or_shifted(union, union, covered * step)
        covered *= 2
    if covered < count:  # [0, covered) and [count - covered, count) together cover [0, count)
        union = _or_shifted(union, union, (count - covered) * step)
    return union


def _or_shifted(base: np.ndarray, other: np.ndarray, shift: int) -> np.ndarray:
    """``base`` OR ``other`` shifted right by ``shift``."""
    result = np.zeros(max(len(base), shift + len(other)), dtype=bool)
    result[: len(base)] = base
    result[shift : shift + len(other)] |= other
    return result
