"""Sets of sums of arithmetic progressions, as bitmaps: the one piece of arithmetic that tile
sizes (:mod:`accelsim.mapping.validate`) and access counts (:mod:`accelsim.analysis.nest`) share."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=65536)
def progression_sum(steps: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Bitmap of {sum_i k_i * step_i : 0 <= k_i < count_i} for ``steps`` = ((step, count), ...)."""
    bitmap = np.ones(1, dtype=bool)
    for step, count in steps:
        if count <= 1 or step == 0:
            continue
        stamp = np.zeros((count - 1) * step + 1, dtype=bool)
        stamp[::step] = True
        bitmap = np.convolve(bitmap, stamp) > 0
    bitmap.flags.writeable = False
    return bitmap
