"""Per-cycle reference of an R x C systolic array: every PE, every cycle, real integers.

This is the oracle the analytic model (:mod:`accelsim.systolic.model`) is checked against. It is
slow (Python loops over PEs and cycles): use it on small GEMMs only.

The physical schedule, one fold at a time (folds do not overlap):

* **os** (outputs stay): array row i holds one ofmap pixel, column j one filter. Inputs enter
  at the left edge of row i, weights at the top of column j, each delayed by its row / column
  index (the skew), and move one PE per cycle. A PE multiplies what it holds and adds to its
  accumulator. When every MAC of the fold is done, the accumulators shift down one row per cycle
  and leave through the bottom edge: R cycles, whatever the number of used rows.
* **ws / is** (weights / inputs stay): the stationary tile is shifted down from the top edge, one
  row per cycle (r cycles for r used rows). Then the streaming operand enters row i at the left
  edge, skewed by i, and moves right; partial sums move down one PE per cycle, through every row of
  the array, and leave through the bottom edge into the output buffer, where folds along the
  reduction are accumulated.

Operand reads count values injected at an edge; output writes count values leaving the array.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from accelsim.systolic.gemm import Gemm, SystolicDataflow, fold_grid

Cell = int | None  # a register: a value, or None when it holds nothing valid


@dataclass(frozen=True)
class ReferenceRun:
    """What the per-cycle simulation produced: the output matrix and what it counted."""

    outputs: np.ndarray  # (m x n) int64, the GEMM result as drained from the array
    cycles: int  # number of cycles, all folds
    macs: int  # multiplications done by the PEs
    input_sram_reads: int
    weight_sram_reads: int
    output_sram_writes: int


@dataclass(frozen=True)
class _FoldRun:
    result: np.ndarray  # os: (r x c) accumulators; ws/is: (T x c) outputs
    cycles: int
    macs: int
    stationary_reads: int  # ws/is: the preloaded tile; os: 0
    stream_reads: int  # values entering at the left edge
    top_reads: int  # os: values entering at the top edge; ws/is: 0
    writes: int


def simulate_reference(
    a: np.ndarray, b: np.ndarray, dataflow: SystolicDataflow, rows: int, cols: int
) -> ReferenceRun:
    """Run ``a @ b`` (integer matrices) on a ``rows x cols`` array, cycle by cycle."""
    gemm = Gemm(m=a.shape[0], k=a.shape[1], n=b.shape[1])
    grid = fold_grid(gemm, dataflow, rows, cols)
    outputs = np.zeros((gemm.m, gemm.n), dtype=np.int64)
    totals = {"cycles": 0, "macs": 0, "input": 0, "weight": 0, "output": 0}
    for row_span, col_span in _fold_spans(grid.spatial_rows, grid.spatial_cols, rows, cols):
        fold = _run_fold(a, b, dataflow, row_span, col_span, rows, cols, outputs)
        totals["cycles"] += fold.cycles
        totals["macs"] += fold.macs
        totals["output"] += fold.writes
        if dataflow is SystolicDataflow.OS:
            totals["input"] += fold.stream_reads
            totals["weight"] += fold.top_reads
        elif dataflow is SystolicDataflow.WS:
            totals["input"] += fold.stream_reads
            totals["weight"] += fold.stationary_reads
        else:
            totals["input"] += fold.stationary_reads
            totals["weight"] += fold.stream_reads
    return ReferenceRun(
        outputs,
        totals["cycles"],
        totals["macs"],
        totals["input"],
        totals["weight"],
        totals["output"],
    )


def _fold_spans(
    spatial_rows: int, spatial_cols: int, rows: int, cols: int
) -> Iterator[tuple[slice, slice]]:
    for col_start in range(0, spatial_cols, cols):
        for row_start in range(0, spatial_rows, rows):
            yield (
                slice(row_start, min(row_start + rows, spatial_rows)),
                slice(col_start, min(col_start + cols, spatial_cols)),
            )


def _run_fold(
    a: np.ndarray,
    b: np.ndarray,
    dataflow: SystolicDataflow,
    row_span: slice,
    col_span: slice,
    rows: int,
    cols: int,
    outputs: np.ndarray,
) -> _FoldRun:
    """Run one fold and accumulate its results into ``outputs`` (m x n)."""
    if dataflow is SystolicDataflow.OS:
        fold = _output_stationary_fold(a[row_span, :], b[:, col_span], rows, cols)
        outputs[row_span, col_span] += fold.result
    elif dataflow is SystolicDataflow.WS:
        fold = _stationary_fold(b[row_span, col_span], a[:, row_span], rows, cols)
        outputs[:, col_span] += fold.result
    else:
        fold = _stationary_fold(a.T[row_span, col_span], b.T[:, row_span], rows, cols)
        outputs[col_span, :] += fold.result.T
    return fold


def _output_stationary_fold(
    a_tile: np.ndarray, b_tile: np.ndarray, rows: int, cols: int
) -> _FoldRun:
    """os: ``a_tile`` (r x T) streams in from the left, ``b_tile`` (T x c) from the top."""
    used_rows, temporal = a_tile.shape
    used_cols = b_tile.shape[1]
    left: list[list[Cell]] = [[None] * cols for _ in range(rows)]  # input registers
    top: list[list[Cell]] = [[None] * cols for _ in range(rows)]  # weight registers
    acc = [[0] * cols for _ in range(rows)]
    macs = cycle = left_reads = top_reads = 0
    while macs < used_rows * used_cols * temporal:
        left_edge = [_skewed(a_tile, i, cycle - i) for i in range(rows)]
        top_edge = [_skewed(b_tile.T, j, cycle - j) for j in range(cols)]
        left_reads += sum(v is not None for v in left_edge)
        top_reads += sum(v is not None for v in top_edge)
        # Bottom-right first, so that every PE reads its neighbours' values of the last cycle.
        for i in reversed(range(rows)):
            for j in reversed(range(cols)):
                a_in = left_edge[i] if j == 0 else left[i][j - 1]
                b_in = top_edge[j] if i == 0 else top[i - 1][j]
                left[i][j], top[i][j] = a_in, b_in
                if a_in is not None and b_in is not None:
                    acc[i][j] += a_in * b_in
                    macs += 1
        cycle += 1
    result, drain_cycles, writes = _drain_down(acc, used_rows, used_cols)
    return _FoldRun(result, cycle + drain_cycles, macs, 0, left_reads, top_reads, writes)


def _drain_down(
    acc: list[list[int]], used_rows: int, used_cols: int
) -> tuple[np.ndarray, int, int]:
    """Shift the accumulators out of the bottom edge, one row per cycle (as many cycles as rows)."""
    rows = len(acc)
    column = [row[:] for row in acc]
    result = np.zeros((used_rows, used_cols), dtype=np.int64)
    writes = 0
    for cycle in range(rows):
        leaving_row = rows - 1 - cycle  # where the values now at the bottom came from
        if leaving_row < used_rows:
            result[leaving_row, :] = column[-1][:used_cols]
            writes += used_cols
        column = [[0] * len(acc[0]), *column[:-1]]
    return result, rows, writes


def _stationary_fold(tile: np.ndarray, stream: np.ndarray, rows: int, cols: int) -> _FoldRun:
    """ws / is: ``tile`` (r x c) stays in the PEs; ``stream`` (T x r) flows through them.

    Returns ``stream @ tile`` (T x c) as it leaves the bottom edge.
    """
    used_rows, used_cols = tile.shape
    temporal = stream.shape[0]
    held, load_cycles = _load_from_top(tile, rows, cols)
    left: list[list[Cell]] = [[None] * cols for _ in range(rows)]  # streaming registers
    psum: list[list[Cell]] = [[None] * cols for _ in range(rows)]  # partial-sum registers
    result = np.zeros((temporal, used_cols), dtype=np.int64)
    macs = cycle = reads = writes = 0
    while writes < temporal * used_cols:
        left_edge = [
            _skewed(stream.T, i, cycle - i) if i < used_rows else None for i in range(rows)
        ]
        reads += sum(v is not None for v in left_edge)
        for i in reversed(range(rows)):
            for j in reversed(range(cols)):
                x_in = left_edge[i] if j == 0 else left[i][j - 1]
                p_in: Cell = (0 if x_in is not None else None) if i == 0 else psum[i - 1][j]
                left[i][j] = x_in
                weight = held[i][j]
                if x_in is not None and weight is not None and p_in is not None:
                    p_in += x_in * weight
                    macs += 1
                psum[i][j] = p_in
        for j in range(used_cols):  # the bottom row's partial sums reach the output buffer
            out = psum[rows - 1][j]
            if out is not None:
                result[cycle - (rows - 1) - j, j] = out
                writes += 1
        cycle += 1
    return _FoldRun(result, load_cycles + cycle, macs, used_rows * used_cols, reads, 0, writes)


def _load_from_top(tile: np.ndarray, rows: int, cols: int) -> tuple[list[list[Cell]], int]:
    """Shift a tile into the PEs from the top edge, last row first: one cycle per used row."""
    used_rows, used_cols = tile.shape
    held: list[list[Cell]] = [[None] * cols for _ in range(rows)]
    for cycle in range(used_rows):
        entering = tile[used_rows - 1 - cycle]
        held = [[int(entering[j]) if j < used_cols else None for j in range(cols)], *held[:-1]]
    return held, used_rows


def _skewed(matrix: np.ndarray, lane: int, step: int) -> Cell:
    """Element ``step`` of lane ``lane`` (a row of ``matrix``), or None outside it."""
    if lane < matrix.shape[0] and 0 <= step < matrix.shape[1]:
        return int(matrix[lane, step])
    return None
