"""Weight sharing: the surviving weights of a layer replaced by ``2**k`` shared values (a
codebook) and a ``k``-bit index each, found by k-means with linear initialization (the
initialization Han et al., ICLR 2016, section 3.2 found best); and, when no weights are given,
the index counts under a stated weight distribution.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from accelsim.compress.csr import apportion

ITERATIONS = 30  # Lloyd iterations at most (one-dimensional k-means settles in a few)


def share_weights(values: NDArray, bits: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Codebook (``2**bits`` centroids, ascending) and each value's index into it: k-means in
    one dimension, centroids first spaced evenly over [min, max], then Lloyd iterations
    (assign each value to the nearest centroid, ties to the lower; move each centroid to its
    members' mean; an empty cluster keeps its centroid) until no value changes cluster, at most
    :data:`ITERATIONS`. Deterministic. The values are sorted once: a cluster is then a run of
    them, found by a binary search per boundary and averaged from prefix sums."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    prefix = np.concatenate([[0.0], np.cumsum(ordered)])
    low, high = (float(ordered[0]), float(ordered[-1])) if flat.size else (0.0, 0.0)
    centroids = np.linspace(low, high, 1 << bits)
    edges = _edges(ordered, centroids)
    for _ in range(ITERATIONS):
        sizes = np.diff(edges)
        sums = prefix[edges[1:]] - prefix[edges[:-1]]
        centroids = np.sort(np.where(sizes > 0, sums / np.maximum(sizes, 1), centroids))
        moved = _edges(ordered, centroids)
        if np.array_equal(moved, edges):
            break
        edges = moved
    index = np.empty(flat.size, dtype=np.int64)
    index[order] = np.repeat(np.arange(centroids.size), np.diff(edges))
    return centroids, index


def _edges(ordered: NDArray[np.float64], centroids: NDArray[np.float64]) -> NDArray[np.intp]:
    """Where each cluster starts and ends in the sorted values: cluster ``j`` holds the values
    in (bound ``j - 1``, bound ``j``], the bounds the midpoints between centroids."""
    bounds = (centroids[1:] + centroids[:-1]) / 2
    cuts = np.searchsorted(ordered, bounds, side="right")
    return np.concatenate([[0], cuts, [ordered.size]])


def gaussian_index_counts(nonzeros: int, weights: int, bits: int) -> dict[int, int]:
    """Index counts for a layer of ``weights`` normally distributed weights magnitude-pruned to
    ``nonzeros``: the survivors are the weights with ``|w| > t``, ``t`` the ``1 - d/2`` quantile
    (``d = nonzeros / weights``), and reach the expected largest magnitude ``m`` of ``weights``
    samples (the ``1 - 1/(2 weights)`` quantile); ``2**(bits - 1)`` cells per sign evenly span
    [t, m] (the tail beyond m joins the last). Counts are the Gaussian mass of each cell,
    apportioned to integers summing to ``nonzeros``."""
    normal = NormalDist()
    density = nonzeros / weights
    low = normal.inv_cdf(1 - density / 2) if density < 1 else 0.0
    high = max(normal.inv_cdf(1 - 1 / (2 * weights)), low)
    edges = np.linspace(low, high, (1 << (bits - 1)) + 1)
    upper = [normal.cdf(x) for x in edges[1:-1]] + [1.0]
    lower = [normal.cdf(x) for x in edges[:-1]]
    mass = np.array(upper) - np.array(lower)
    if bits == 1 or mass.sum() <= 0:
        mass = np.ones(1 << (bits - 1))
    both = np.concatenate([mass[::-1], mass])  # negative cells, then positive
    counts = apportion(nonzeros, both)
    return {s: int(c) for s, c in enumerate(counts) if c}
