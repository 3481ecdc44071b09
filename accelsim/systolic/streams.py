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


@dataclass(frozen=True)
class Streams:
    """Demand streams (cycles x lanes) and prefetch orders of one layer."""

    grid: FoldGrid
    ifmap_demand: np.ndarray
    filter_demand: np.ndarray
    ofmap_demand: np.ndarray
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
    layer: Layer, dataflow: SystolicDataflow, rows: int, cols: int, offsets: Offsets
) -> Streams:
    """The demand streams and prefetch orders of ``layer`` on a ``rows x cols`` array."""
    ifmap, filters, ofmap = operand_addresses(layer, offsets)
    builder = {
        SystolicDataflow.OS: _output_stationary,
        SystolicDataflow.WS: _weight_stationary,
        SystolicDataflow.IS: _input_stationary,
    }[SystolicDataflow(dataflow)]
    gemm = Gemm(m=ifmap.shape[0], k=ifmap.shape[1], n=filters.shape[1])
    grid = fold_grid(gemm, SystolicDataflow(dataflow), rows, cols)
    return Streams(grid, *builder(grid, ifmap, filters, ofmap))


def _pad(block: np.ndarray, height: int, width: int) -> np.ndarray:
    """``block`` in the top-left corner of a ``height x width`` array of NULL."""
    out = np.full((height, width), NULL, dtype=np.int64)
    out[: block.shape[0], : block.shape[1]] = block
    return out


def _skew(block: np.ndarray) -> np.ndarray:
    """Delay lane j by j cycles: (t x lanes) -> (t + lanes - 1 x lanes)."""
    height, lanes = block.shape
    out = np.full((height + lanes - 1, lanes), NULL, dtype=np.int64)
    # (t + j, j) is flat index t * lanes + j * (lanes + 1): a strided view, written in one copy.
    step = out.itemsize
    view = np.lib.stride_tricks.as_strided(
        out, shape=(height, lanes), strides=(lanes * step, (lanes + 1) * step), writeable=True
    )
    view[...] = block
    return out


def _gap(height: int, lanes: int) -> np.ndarray:
    return np.full((height, lanes), NULL, dtype=np.int64)


def _slices(extent: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, extent)) for start in range(0, extent, size)]


def _output_stationary(grid: FoldGrid, a: np.ndarray, b: np.ndarray, o: np.ndarray):
    rows, cols, t = grid.array_rows, grid.array_cols, grid.temporal
    row_tiles, col_tiles = _slices(grid.spatial_rows, rows), _slices(grid.spatial_cols, cols)
    ifmap, filters, ofmap = [], [], []
    for col_tile in col_tiles:
        for row_tile in row_tiles:
            ifmap.append(_skew(np.vstack([_pad(a[row_tile].T, t, rows), _gap(cols - 1, rows)])))
            filters.append(_skew(np.vstack([_pad(b[:, col_tile], t, cols), _gap(rows - 1, cols)])))
            outputs = _pad(o[row_tile, col_tile], rows, cols)[::-1]
            ofmap.append(_skew(np.vstack([_gap(t - 1, cols), outputs])))
    ifmap_pre = PrefetchOrder(
        np.vstack([_pad(a[tile].T, t, rows) for tile in row_tiles]), diagonal=True
    )
    filter_pre = PrefetchOrder(
        np.vstack([_pad(b[:, tile], t, cols) for tile in col_tiles]), diagonal=True
    )
    return np.vstack(ifmap), np.vstack(filters), np.vstack(ofmap), ifmap_pre, filter_pre


def _weight_stationary(grid: FoldGrid, a: np.ndarray, b: np.ndarray, o: np.ndarray):
    rows, cols, t = grid.array_rows, grid.array_cols, grid.temporal
    row_tiles, col_tiles = _slices(grid.spatial_rows, rows), _slices(grid.spatial_cols, cols)
    ifmap, filters, ofmap = [], [], []
    for col_tile in col_tiles:
        for row_tile in row_tiles:
            stream = _pad(a[:, row_tile], t, rows)
            ifmap.append(_skew(np.vstack([_gap(rows, rows), stream, _gap(cols - 1, rows)])))
            tile = _pad(b[row_tile, col_tile], rows, cols)[::-1]
            filters.append(np.vstack([tile, _gap(rows + cols + t - 2, cols)]))
            outputs = _pad(o[:, col_tile], t, cols)
            ofmap.append(_skew(np.vstack([_gap(2 * rows - 1, cols), outputs])))
    ifmap_pre = PrefetchOrder(
        np.vstack([_pad(a[:, tile], t, rows) for tile in row_tiles]), diagonal=True
    )
    filter_pre = PrefetchOrder(
        np.vstack([_pad(b[:, tile], b.shape[0], cols) for tile in col_tiles]), diagonal=False
    )
    return np.vstack(ifmap), np.vstack(filters), np.vstack(ofmap), ifmap_pre, filter_pre


def _input_stationary(grid: FoldGrid, a: np.ndarray, b: np.ndarray, o: np.ndarray):
    rows, cols, t = grid.array_rows, grid.array_cols, grid.temporal
    row_tiles, col_tiles = _slices(grid.spatial_rows, rows), _slices(grid.spatial_cols, cols)
    ifmap, filters, ofmap = [], [], []
    for col_tile in col_tiles:
        for row_tile in row_tiles:
            tile = _pad(a.T[row_tile, col_tile], rows, cols)[::-1]
            ifmap.append(np.vstack([tile, _gap(rows + cols + t - 2, cols)]))
            stream = _pad(b[row_tile].T, t, rows)
            filters.append(_skew(np.vstack([_gap(rows, rows), stream, _gap(cols - 1, rows)])))
            outputs = _pad(o[col_tile].T, t, cols)
            ofmap.append(_skew(np.vstack([_gap(2 * rows - 1, cols), outputs])))
    ifmap_pre = PrefetchOrder(
        np.vstack([_pad(a.T[:, tile], a.shape[1], cols) for tile in col_tiles]), diagonal=False
    )
    filter_pre = PrefetchOrder(
        np.vstack([_pad(b[tile].T, t, rows) for tile in row_tiles]), diagonal=True
    )
    return np.vstack(ifmap), np.vstack(filters), np.vstack(ofmap), ifmap_pre, filter_pre
