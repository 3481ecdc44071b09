"""Closed-form cycle and SRAM counts of a GEMM on a systolic array, physical or SCALE-Sim's.

Both models cost O(1) in the GEMM size (the SCALE-Sim averages cost O(folds)), never O(MACs).

*Physical* (:func:`physical_result`) is the exact cycle count of the schedule the per-cycle
reference (:mod:`accelsim.systolic.reference`) executes. A fold with r used rows and c used
columns of an R x C array, streaming T values per lane, takes ``T + R + r + c - 2`` cycles in every
dataflow: the skew to reach the last used PE is ``(r - 1) + (c - 1)``, the stream is T long, and
the data cross the whole array height once more (os: the accumulators drain through the bottom
edge in R cycles; ws / is: the r-row preload, and partial sums descending all R rows).
Summed over the fold grid::

    cycles = folds * (T + R - 2) + col_folds * Sr + row_folds * Sc

*SCALE-Sim v3.0.0 compatible* (:func:`scalesim_result`) reproduces what SCALE-Sim reports in
CALC bandwidth mode; see docs/systolic.md for each of its conventions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from accelsim.systolic.gemm import FoldGrid, Gemm, SystolicDataflow, fold_grid
from accelsim.systolic.sparsity import SparseFilters
from accelsim.systolic.user_reference import MemoryRun


class Mode(str, Enum):
    """Which cycle model to use."""

    COMPAT = "compat"  # SCALE-Sim v3.0.0's reported numbers
    PHYSICAL = "physical"  # accelsim's schedule, equal to the per-cycle reference


@dataclass(frozen=True)
class SystolicResult:
    """One layer on a systolic array: raw counts, with the utilizations as properties.

    ``cycles`` is what the mode reports: the number of cycles (physical) or SCALE-Sim's
    "Total Cycles" (compat: the index of the last cycle, one less). Utilizations are fractions;
    the ``*_pct`` properties repeat SCALE-Sim's arithmetic so that the floats match it.
    """

    layer_name: str
    dataflow: SystolicDataflow
    mode: Mode
    array_rows: int
    array_cols: int
    macs: int
    cycles: int
    stall_cycles: int
    folds: int
    mapping_efficiency: float  # mean over folds of the used fraction of the array
    compute_utilization: float  # mean over folds of MACs / (PEs x fold cycles)
    input_sram_reads: int  # words
    weight_sram_reads: int  # words
    output_sram_writes: int  # words
    memory: MemoryRun | None = None  # DRAM timing and traffic (SCALE-Sim's memory model)
    sparse: SparseFilters | None = None  # N:M filter sparsity (SCALE-Sim's SparsitySupport)

    @property
    def overall_utilization(self) -> float:
        """MACs / (cycles x PEs), stalls included."""
        return self.overall_util_pct / 100

    @property
    def overall_util_pct(self) -> float:
        return (self.macs * 100) / (self.cycles * self.array_rows * self.array_cols)

    @property
    def mapping_efficiency_pct(self) -> float:
        return self.mapping_efficiency * 100

    @property
    def compute_util_pct(self) -> float:
        return self.compute_utilization * 100


def simulate_gemm(
    gemm: Gemm,
    dataflow: SystolicDataflow,
    rows: int,
    cols: int,
    mode: Mode = Mode.PHYSICAL,
    name: str = "",
) -> SystolicResult:
    """Cycles and SRAM counts of ``gemm`` on a ``rows x cols`` array (no DRAM stalls)."""
    grid = fold_grid(gemm, dataflow, rows, cols)
    if mode is Mode.COMPAT:
        return scalesim_result(grid, dataflow, gemm.macs, name)
    return physical_result(grid, dataflow, gemm.macs, name)


def physical_cycles(grid: FoldGrid) -> int:
    """Cycles of the physical schedule: the sum over folds of ``T + R + r + c - 2``."""
    return (
        grid.folds * (grid.temporal + grid.array_rows - 2)
        + grid.col_folds * grid.spatial_rows
        + grid.row_folds * grid.spatial_cols
    )


def sram_counts(grid: FoldGrid, dataflow: SystolicDataflow) -> tuple[int, int, int]:
    """(input reads, weight reads, output writes) in words: each fold reads its operands once.

    A streamed operand is re-read for every fold across the other spatial dimension; the
    stationary tiles are read once in all; outputs are written once per fold along the reduction.
    """
    left_stream = grid.temporal * grid.spatial_rows * grid.col_folds
    if dataflow is SystolicDataflow.OS:
        top_stream = grid.temporal * grid.spatial_cols * grid.row_folds
        return left_stream, top_stream, grid.spatial_rows * grid.spatial_cols
    stationary = grid.spatial_rows * grid.spatial_cols
    outputs = grid.temporal * grid.spatial_cols * grid.row_folds
    if dataflow is SystolicDataflow.WS:
        return left_stream, stationary, outputs
    return stationary, left_stream, outputs


def physical_result(
    grid: FoldGrid, dataflow: SystolicDataflow, macs: int, name: str = ""
) -> SystolicResult:
    """The physical model's result; with no stalls, compute utilization = overall utilization."""
    cycles = physical_cycles(grid)
    pes = grid.array_rows * grid.array_cols
    mapping = Fraction(grid.spatial_rows * grid.spatial_cols, grid.folds * pes)
    reads_in, reads_w, writes = sram_counts(grid, dataflow)
    return SystolicResult(
        name, dataflow, Mode.PHYSICAL, grid.array_rows, grid.array_cols, macs, cycles, 0,
        grid.folds, float(mapping), float(Fraction(macs, cycles * pes)),
        reads_in, reads_w, writes,
    )  # fmt: skip


def scalesim_fold_cycles(grid: FoldGrid, dataflow: SystolicDataflow) -> int:
    """SCALE-Sim's cycles per fold, the same for a partial fold as for a full one.

    os: ``T + R + C - 2`` (skew, stream; no drain: one array height short of its paper's
    ``2R + C + T - 2``); ws / is: ``2R + C + T - 2`` (preload R, skew, stream, drain).
    """
    rows, cols, temporal = grid.array_rows, grid.array_cols, grid.temporal
    if dataflow is SystolicDataflow.OS:
        return temporal + rows + cols - 2
    return temporal + 2 * rows + cols - 2


def _scalesim_util_cycles(grid: FoldGrid, dataflow: SystolicDataflow) -> int:
    """The fold length SCALE-Sim divides by for Compute Util: ws / is count C - 1 cycles more."""
    extra = 0 if dataflow is SystolicDataflow.OS else grid.array_cols - 1
    return scalesim_fold_cycles(grid, dataflow) + extra


def scalesim_result(
    grid: FoldGrid, dataflow: SystolicDataflow, macs: int, name: str = ""
) -> SystolicResult:
    """What SCALE-Sim v3.0.0 reports for this fold grid in CALC bandwidth mode."""
    cycles = grid.folds * scalesim_fold_cycles(grid, dataflow) - 1  # last cycle's index
    mapping, compute = _scalesim_fold_means(grid, _scalesim_util_cycles(grid, dataflow))
    reads_in, reads_w, writes = sram_counts(grid, dataflow)
    if dataflow is SystolicDataflow.OS:
        writes += grid.folds * (grid.array_rows + grid.array_cols)  # its double count
    return SystolicResult(
        name, dataflow, Mode.COMPAT, grid.array_rows, grid.array_cols, macs, cycles, 0,
        grid.folds, mapping, compute, reads_in, reads_w, writes,
    )  # fmt: skip


def _scalesim_fold_means(grid: FoldGrid, util_cycles: int) -> tuple[float, float]:
    """Mean mapping efficiency and compute utilization over folds, as SCALE-Sim sums them.

    The per-fold floats are added in SCALE-Sim's order (column folds outer, row folds inner) so
    that the rounding, and so every digit of the report, is the same as its own.
    """
    pes = grid.array_rows * grid.array_cols
    mapping_sum = compute_sum = 0.0
    for col_fold in range(grid.col_folds):
        cols_used = grid.cols_used(col_fold)
        for row_fold in range(grid.row_folds):
            used = grid.rows_used(row_fold) * cols_used
            mapping_sum += used / pes
            compute_sum += (used * grid.temporal) / (pes * util_cycles)
    return mapping_sum / grid.folds, compute_sum / grid.folds
