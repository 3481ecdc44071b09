"""Density models: how many non-zeros a tile of a tensor holds (Sparseloop's density models).

A model answers, for a tile of ``tile`` elements of a tensor of ``tensor`` elements:

* ``expected_density(tile)``: the expected fraction of non-zeros (scales actual accesses);
* ``occupancy_probability(tile, k)``: the probability that the tile holds exactly ``k`` non-zeros
  (``k = 0``: the tile is empty, the probability that gating or skipping conditioned on this
  tensor saves an access);
* ``worst_occupancy(tile)``: the most non-zeros a tile can hold (what a buffer must be able to
  store, the load of the busiest PE).

The models, as Sparseloop v3.0.3 defines them (src/workload/density-models):

* :class:`Uniform` (Sparseloop's ``hypergeometric``): ``ceil(density x tensor)`` non-zeros placed
  uniformly at random; a tile's occupancy is hypergeometric (draws without replacement), so
  ``P(empty) = C(tensor - nnz, tile) / C(tensor, tile)``; the worst case is ``min(tile, nnz)``.
* :class:`FixedStructured` (``fixed_structured``): every tile holds ``tile x density`` non-zeros,
  rounded down or up with the probabilities that keep the mean exact (so a one-element tile is
  empty with probability ``1 - density``); worst case the rounded-up count.
* :class:`NM` (N:M structured, as SCALE-Sim v3 and sparse tensor cores): N non-zeros in every
  block of M consecutive elements; a tile of whole blocks holds exactly ``tile x N / M``, a
  one-element tile is empty with probability ``1 - N / M``.
* :class:`Actual`: a numpy array of real values; occupancy measured on the array's tiles of a
  given shape (C-order blocks), so the distribution is the empirical one.

Densities outside [0, 1] are a ConfigError naming where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil, exp, floor, lgamma
from typing import Any

import numpy as np

from accelsim.errors import ConfigError, Problem


def check_density(value: Any, source: str, path: str) -> float:
    """``value`` as a density in [0, 1]. Raises ConfigError (source, path, value, expected)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not 0.0 <= float(value) <= 1.0:
        raise ConfigError(Problem(source, path, "a density between 0 and 1", value))
    return float(value)


@dataclass(frozen=True)
class FixedStructured:
    """Every tile holds ``tile x density`` non-zeros (floor or ceil, mean exact)."""

    density: float

    def expected_density(self, tile: int) -> float:
        return self.density if tile else 0.0

    def occupancy_probability(self, tile: int, occupancy: int) -> float:
        exact = tile * self.density
        prob_ceil = exact - floor(exact)
        if occupancy == floor(exact):
            return 1.0 - prob_ceil
        if occupancy == ceil(exact):
            return prob_ceil
        return 0.0

    def worst_occupancy(self, tile: int) -> int:
        return ceil(tile * self.density)

    def expected_occupancy(self, tile: int) -> float:
        return tile * self.density


def _log_comb(n: int, k: int) -> float:
    return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)


@dataclass(frozen=True)
class Uniform:
    """``ceil(density x tensor)`` non-zeros placed uniformly at random in ``tensor`` elements."""

    density: float
    tensor: int

    @property
    def nonzeros(self) -> int:
        return ceil(self.density * self.tensor)

    def expected_density(self, tile: int) -> float:
        return self.density if tile else 0.0

    def occupancy_probability(self, tile: int, occupancy: int) -> float:
        """Hypergeometric: ``occupancy`` of the tile's ``tile`` draws are among the non-zeros (a
        tile larger than the tensor, padding included, is drawn from a tensor of its own size)."""
        if tile > self.tensor:
            return Uniform(self.density, tile).occupancy_probability(tile, occupancy)
        nnz, total = self.nonzeros, self.tensor
        if occupancy > min(tile, nnz) or tile - occupancy > total - nnz:
            return 0.0
        if tile == 1:  # exactly, not through logs (a scalar condition's probability)
            return (nnz if occupancy else total - nnz) / total
        log = _log_comb(nnz, occupancy) + _log_comb(total - nnz, tile - occupancy)
        return exp(log - _log_comb(total, tile))  # in logs: tensors of 10^6 elements stay fast

    def worst_occupancy(self, tile: int) -> int:
        return min(tile, self.nonzeros)

    def expected_occupancy(self, tile: int) -> float:
        return tile * self.density


@dataclass(frozen=True)
class NM:
    """N non-zeros in every block of M consecutive elements (N:M structured sparsity)."""

    kept: int  # N
    block: int  # M

    @property
    def density(self) -> float:
        return self.kept / self.block

    def expected_density(self, tile: int) -> float:
        return self.density if tile else 0.0

    def occupancy_probability(self, tile: int, occupancy: int) -> float:
        """Exact for tiles of whole blocks; a tile inside one block (aligned at its start is not
        assumed) holds between max(0, tile - (M - N)) and min(tile, N) non-zeros, each position
        kept with probability N / M: hypergeometric within the block."""
        if tile % self.block == 0:
            return 1.0 if occupancy == tile * self.kept // self.block else 0.0
        inner = Uniform(self.density, self.block)
        whole, rest = divmod(tile, self.block)
        return inner.occupancy_probability(rest, occupancy - whole * self.kept)

    def worst_occupancy(self, tile: int) -> int:
        whole, rest = divmod(tile, self.block)
        return whole * self.kept + min(rest, self.kept)

    def expected_occupancy(self, tile: int) -> float:
        return tile * self.density


def parse_nm(text: str, source: str, path: str) -> NM:
    """``"N:M"`` (0 <= N <= M, M > 0) as an :class:`NM` model. Raises ConfigError."""
    parts = str(text).split(":")
    if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
        kept, block = int(parts[0]), int(parts[1])
        if 0 <= kept <= block and block > 0:
            return NM(kept, block)
    raise ConfigError(Problem(source, path, "an N:M ratio with 0 <= N <= M, M > 0", text))


@dataclass(frozen=True)
class Actual:
    """Occupancy measured on real data: tiles of ``shape`` (a C-order block of the array)."""

    values: np.ndarray = field(compare=False, repr=False)

    @property
    def density(self) -> float:
        return float(np.count_nonzero(self.values)) / max(1, self.values.size)

    def expected_density(self, tile: int) -> float:
        return self.density if tile else 0.0

    def tile_occupancies(self, shape: tuple[int, ...]) -> np.ndarray:
        """Non-zeros of every tile of ``shape`` (the array cut into blocks; the blocks at the
        edges are cut short where the shape does not divide the array)."""
        values = np.asarray(self.values) != 0
        shape = tuple(shape) + (1,) * (values.ndim - len(shape))
        padded = [ceil(n / s) * s for n, s in zip(values.shape, shape, strict=True)]
        grid = np.zeros(padded, dtype=bool)
        grid[tuple(slice(0, n) for n in values.shape)] = values
        split: list[int] = []
        for n, s in zip(padded, shape, strict=True):
            split += [n // s, s]
        blocks = grid.reshape(split)
        return blocks.sum(axis=tuple(range(1, 2 * len(shape), 2))).ravel()

    def _shape(self, tile: int | tuple[int, ...]) -> tuple[int, ...]:
        """A tile given as an element count runs along the array's last axis."""
        if isinstance(tile, int):
            return (1,) * (self.values.ndim - 1) + (tile,)
        return tile

    def occupancy_probability(self, tile: int | tuple[int, ...], occupancy: int) -> float:
        counts = self.tile_occupancies(self._shape(tile))
        return float(np.count_nonzero(counts == occupancy)) / counts.size

    def worst_occupancy(self, tile: int | tuple[int, ...]) -> int:
        return int(self.tile_occupancies(self._shape(tile)).max())

    def expected_occupancy(self, tile: int) -> float:
        return tile * self.density


DensityModel = FixedStructured | Uniform | NM | Actual

DISTRIBUTIONS = ("fixed_structured", "hypergeometric", "uniform", "nm")


def make_density(raw: Any, tensor: int, source: str, path: str) -> DensityModel:
    """A density model from a number (uniform) or Sparseloop's mapping ``{distribution,
    density}`` (``fixed_structured``/``fixed-structured``/``fixed``, ``hypergeometric``/
    ``uniform``, or ``nm`` with ``ratio: "N:M"``). ``tensor``: the tensor's element count.
    Raises ConfigError naming ``source`` and ``path``."""
    if not isinstance(raw, dict):
        return Uniform(check_density(raw, source, path), tensor)
    kind = str(raw.get("distribution", "hypergeometric")).replace("-", "_")
    if kind == "nm":
        return parse_nm(raw.get("ratio", ""), source, f"{path}.ratio")
    density = check_density(raw.get("density"), source, f"{path}.density")
    if kind in ("fixed_structured", "fixed"):
        return FixedStructured(density)
    if kind in ("hypergeometric", "uniform"):
        return Uniform(density, int(raw.get("workload_tensor_size") or tensor))
    raise ConfigError(
        Problem(source, f"{path}.distribution", f"one of {', '.join(DISTRIBUTIONS)}", kind)
    )
