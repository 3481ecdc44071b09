"""The address streams of a layer on a systolic array, as SCALE-Sim v3.0.0 lays them out.

SCALE-Sim's USER bandwidth mode times DRAM traffic from addresses, so its stalls depend on which
word is asked for at which cycle and in which order the SRAMs fetch them. This module builds those
streams from the layer and the array (accelsim's own construction of the layout SCALE-Sim
documents in its code; no SCALE-Sim code is used):

* operand addresses: input ``A[m, k]`` (m ofmap pixels row-major, k = (filter row, filter
  column, channel) with the channel fastest) at ``ifmap_offset + ((p*stride + r) * W +
  q*stride + s) * C + c``, or -1 where the window leaves the input (the ceil output size);
  weights ``B[k, n]`` at ``filter_offset + n * R*S*C + k``; outputs ``O[m, n]`` at
  ``ofmap_offset + n_filters * m + n``;
* demand streams: per cycle, the address each array edge lane asks for (-1: nothing), fold after
  fold (column folds outer), with the skew and the gaps between folds that give every fold the
  length of :func:`~accelsim.systolic.model.scalesim_fold_cycles`;
* prefetch orders: the order in which each read SRAM brings operands in from DRAM (one pass over
  the operand, in anti-diagonal order for the skewed ones).

Everything here is O(cycles x array edge) memory: it is meant for the small layers where the
address-level model runs, not for whole networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from accelsim.systolic.gemm import FoldGrid, Gemm, SystolicDataflow, fold_grid
from accelsim.workload.layer import Layer

NULL = -1  # no request in this lane this cycle


@dataclass(frozen=True)
class Offsets:
    """Base addresses of the three operands (SCALE-Sim's IfmapOffset, FilterOffset, OfmapOffset)."""

    ifmap: int = 0
    filter: int = 10_000_000
    ofmap: int = 20_000_000


class PrefetchOrder:
    """The order in which a read SRAM fetches its operand: ``matrix`` read row by row, or by
    anti-diagonal (i + j ascending, bottom row first within a diagonal) when ``diagonal``.

    The order itself is built only when asked for (an SRAM that holds everything never needs it).
    """

    def __init__(self, matrix: np.ndarray, diagonal: bool):
        self.matrix = matrix
        self.diagonal = diagonal

    @property
    def size(self) -> int:
        """Slots in the order, NULL padding included."""
        return int(self.matrix.size)

    @cached_property
    def valid(self) -> int:
        """Addresses in the order (slots that are not NULL)."""
        return int(np.count_nonzero(self.matrix != NULL))

    @cached_property
    def addresses(self) -> np.ndarray:
        """The slots in fetch order (1-D)."""
        if not self.diagonal:
            return self.matrix.ravel()
        height, width = self.matrix.shape
        i, j = np.indices((height, width), dtype=np.int64)
        key = (i + j) * height + (height - 1 - i)  # by diagonal, then bottom row first
        return self.matrix.ravel()[np.argsort(key.ravel(), kind="stable")]


class Demand:
    """One operand's demand stream: per fold, a block of addresses (time x lanes) placed after
    ``before`` empty cycles and followed by ``after`` empty ones, skewed (lane j delayed by j
    cycles) or not.

    The full (cycles x lanes) matrix is built only when asked for; the busy cycles and the words
    per cycle come from the blocks directly.
    """

    def __init__(self, lanes: int):
        self.lanes = lanes
        self.cycles = 0
        self._pieces: list[tuple[int, np.ndarray, bool]] = []  # (first cycle, block, skewed)

    def add(self, block: np.ndarray, before: int, after: int, skew: bool) -> None:
        self._pieces.append((self.cycles + before, block, skew))
        self.cycles += before + block.shape[0] + after + (self.lanes - 1 if skew else 0)

    @cached_property
    def matrix(self) -> np.ndarray:
        """The address each lane asks for at each cycle (NULL: nothing)."""
        out = np.full((self.cycles, self.lanes), NULL, dtype=np.int64)
        step = out.itemsize
        for start, block, skew in self._pieces:
            height = block.shape[0]
            if not skew:
                out[start : start + height] = block
                continue
            # (t + j, j) is flat index t * lanes + j * (lanes + 1): a strided view.
            view = np.lib.stride_tricks.as_strided(
                out[start:], shape=(height, self.lanes),
                strides=(self.lanes * step, (self.lanes + 1) * step), writeable=True,
            )  # fmt: skip
            view[...] = block
        return out

    def busy_cycles(self) -> tuple[int, int]:
        """The first and the last cycle with a request."""
        firsts = (self._first(piece) for piece in self._pieces)
        lasts = (self._last(piece) for piece in reversed(self._pieces))
        return next(c for c in firsts if c is not None), next(c for c in lasts if c is not None)

    @staticmethod
    def _first(piece: tuple[int, np.ndarray, bool]) -> int | None:
        start, block, skew = piece
        valid = block != NULL
        used = valid.any(axis=0)
        if not used.any():
            return None
        rows = valid.argmax(axis=0) + (np.arange(block.shape[1]) if skew else 0)
        return start + int(rows[used].min())

    @staticmethod
    def _last(piece: tuple[int, np.ndarray, bool]) -> int | None:
        start, block, skew = piece
        valid = block[::-1] != NULL
        used = valid.any(axis=0)
        if not used.any():
            return None
        rows = (
            block.shape[0] - 1 - valid.argmax(axis=0) + (np.arange(block.shape[1]) if skew else 0)
        )
        return start + int(rows[used].max())

    @cached_property
    def words_per_cycle(self) -> np.ndarray:
        """Requests at each cycle."""
        counts = np.zeros(self.cycles, dtype=np.int64)
        for start, block, skew in self._pieces:
            span = block.shape[0] + (self.lanes - 1 if skew else 0)
            time, lane = np.nonzero(block != NULL)
            cycle = time + lane if skew else time
            counts[start : start + span] += np.bincount(cycle, minlength=span)
        return counts


@dataclass(frozen=True)
class Streams:
    """Demand streams (cycles x lanes) and prefetch orders of one layer."""

    grid: FoldGrid
    ifmap_demand: Demand
    filter_demand: Demand
    ofmap_demand: Demand
    ifmap_prefetch: PrefetchOrder
    filter_prefetch: PrefetchOrder


def operand_addresses(layer: Layer, offsets: Offsets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A, B, O) address matrices of an ungrouped, batch-1 layer (int64, -1 outside the input)."""
    pixel = np.arange(layer.p * layer.q)[:, None]
    window = np.arange(layer.r * layer.s * layer.c)[None, :]
    out_row, out_col = np.divmod(pixel, layer.q)
    row0, col0 = out_row * layer.stride_h, out_col * layer.stride_w
    filter_row, rest = np.divmod(window, layer.s * layer.c)
    filter_col, channel = np.divmod(rest, layer.c)
    inside = (row0 + filter_row < layer.h) & (col0 + filter_col < layer.w)
    address = ((row0 + filter_row) * layer.w + col0 + filter_col) * layer.c + channel
    ifmap = np.where(inside, address + offsets.ifmap, NULL).astype(np.int64)
    filters = offsets.filter + np.arange(layer.m)[None, :] * window.size + window.T
    ofmap = offsets.ofmap + layer.m * pixel + np.arange(layer.m)[None, :]
    return ifmap, filters.astype(np.int64), ofmap.astype(np.int64)


def build_streams(
    layer: Layer,
    dataflow: SystolicDataflow,
    rows: int,
    cols: int,
    offsets: Offsets,
    kept: np.ndarray | None = None,
) -> Streams:
    """The demand streams and prefetch orders of ``layer`` on a ``rows x cols`` array; with
    ``kept``, only those window positions (N:M sparse filters, see
    :mod:`accelsim.systolic.sparsity`)."""
    ifmap, filters, ofmap = operand_addresses(layer, offsets)
    if kept is not None:
        ifmap, filters = ifmap[:, kept], filters[kept, :]
    builder = {
        SystolicDataflow.OS: _output_stationary,
        SystolicDataflow.WS: _weight_stationary,
        SystolicDataflow.IS: _input_stationary,
    }[SystolicDataflow(dataflow)]
    gemm = Gemm(m=ifmap.shape[0], k=ifmap.shape[1], n=filters.shape[1])
    grid = fold_grid(gemm, SystolicDataflow(dataflow), rows, cols)
    return Streams(grid, *builder(grid, ifmap, filters, ofmap))


def _pad(block: np.ndarray, height: int, width: int) -> np.ndarray:
    """``block`` in the top-left corner of a ``height x width`` array of NULL (``block`` itself,
    not a copy, when it already has that shape)."""
    if block.shape == (height, width):
        return block
    out = np.full((height, width), NULL, dtype=np.int64)
    out[: block.shape[0], : block.shape[1]] = block
    return out


def _slices(extent: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, extent)) for start in range(0, extent, size)]


def _output_stationary(grid: FoldGrid, a: np.ndarray, b: np.ndarray, o: np.ndarray):
    rows, cols, t = grid.array_rows, grid.array_cols, grid.temporal
    row_tiles, col_tiles = _slices(grid.spatial_rows, rows), _slices(grid.spatial_cols, cols)
    ifmap, filters, ofmap = Demand(rows), Demand(cols), Demand(cols)
    for col_tile in col_tiles:
        for row_tile in row_tiles:
            ifmap.add(_pad(a[row_tile].T, t, rows), 0, cols - 1, skew=True)
            filters.add(_pad(b[:, col_tile], t, cols), 0, rows - 1, skew=True)
            ofmap.add(_pad(o[row_tile, col_tile], rows, cols)[::-1], t - 1, 0, skew=True)
    ifmap_pre = PrefetchOrder(
        np.vstack([_pad(a[tile].T, t, rows) for tile in row_tiles]), diagonal=True
    )
    filter_pre = PrefetchOrder(
        np.vstack([_pad(b[:, tile], t, cols) for tile in col_tiles]), diagonal=True
    )
    return ifmap, filters, ofmap, ifmap_pre, filter_pre


def _weight_stationary(grid: FoldGrid, a: np.ndarray, b: np.ndarray, o: np.ndarray):
    rows, cols, t = grid.array_rows, grid.array_cols, grid.temporal
    row_tiles, col_tiles = _slices(grid.spatial_rows, rows), _slices(grid.spatial_cols, cols)
    ifmap, filters, ofmap = Demand(rows), Demand(cols), Demand(cols)
    for col_tile in col_tiles:
        for row_tile in row_tiles:
            ifmap.add(_pad(a[:, row_tile], t, rows), rows, cols - 1, skew=True)
            tile = _pad(b[row_tile, col_tile], rows, cols)[::-1]
            filters.add(tile, 0, rows + cols + t - 2, skew=False)
            ofmap.add(_pad(o[:, col_tile], t, cols), 2 * rows - 1, 0, skew=True)
    ifmap_pre = PrefetchOrder(
        np.vstack([_pad(a[:, tile], t, rows) for tile in row_tiles]), diagonal=True
    )
    filter_pre = PrefetchOrder(
        np.vstack([_pad(b[:, tile], b.shape[0], cols) for tile in col_tiles]), diagonal=False
    )
    return ifmap, filters, ofmap, ifmap_pre, filter_pre


def _input_stationary(grid: FoldGrid, a: np.ndarray, b: np.ndarray, o: np.ndarray):
    rows, cols, t = grid.array_rows, grid.array_cols, grid.temporal
    row_tiles, col_tiles = _slices(grid.spatial_rows, rows), _slices(grid.spatial_cols, cols)
    ifmap, filters, ofmap = Demand(cols), Demand(rows), Demand(cols)
    for col_tile in col_tiles:
        for row_tile in row_tiles:
            tile = _pad(a.T[row_tile, col_tile], rows, cols)[::-1]
            ifmap.add(tile, 0, rows + cols + t - 2, skew=False)
            filters.add(_pad(b[row_tile].T, t, rows), rows, cols - 1, skew=True)
            ofmap.add(_pad(o[col_tile].T, t, cols), 2 * rows - 1, 0, skew=True)
    ifmap_pre = PrefetchOrder(
        np.vstack([_pad(a.T[:, tile], a.shape[1], cols) for tile in col_tiles]), diagonal=False
    )
    filter_pre = PrefetchOrder(
        np.vstack([_pad(b[tile].T, t, rows) for tile in row_tiles]), diagonal=True
    )
    return ifmap, filters, ofmap, ifmap_pre, filter_pre
