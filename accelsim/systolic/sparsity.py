"""SCALE-Sim v3.0.0's structured (N:M) filter sparsity, without its optimized mapping.

With ``[sparsity] SparsitySupport: true`` SCALE-Sim reads an ``N:M`` ratio per layer from the
topology's ninth column (default 1:1) and keeps, in every block of M consecutive window positions
(filter row, filter column, channel), the first N: the filters are stored compressed (their rows
at the other positions are dropped) and the inputs at those positions are never read. The array
then runs the dense GEMM over the kept positions only; utilization still counts the layer's dense
MACs, and in ws its SRAM ifmap reads are scaled back up by M / N.

The compressed filters carry metadata, whose size depends on ``SparseRep`` (for a filter matrix
of k window positions x n filters, nnz kept weights, K kept positions):

* csr: metadata ``nnz + k + 1``, storage ``2 nnz + k + 1``;
* csc: metadata ``nnz + n + 1``, storage ``2 nnz + n + 1``;
* ellpack_block: metadata ``K n ceil(log2 M) / 32``, storage ``K n`` + metadata.

The original storage is ``k n``. These go to SPARSE_REPORT.csv, and metadata / Total Cycles to the
"Avg FILTER Metadata SRAM BW" column.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accelsim.errors import Problems
from accelsim.systolic.gemm import FoldGrid


@dataclass(frozen=True)
class SparseFilters:
    """One layer's N:M filter sparsity and the storage SCALE-Sim reports for it (words)."""

    kept: int  # N
    block: int  # M
    representation: str  # csr, csc or ellpack_block
    original_storage: int
    new_storage: float  # compressed filters + metadata
    metadata_storage: float
    ifmap_sram_reads: float = 0.0  # what SCALE-Sim reports (ws: scaled by M / N)


def kept_positions(window: int, kept: int, block: int) -> np.ndarray:
    """Window positions that survive N:M pruning: the first ``kept`` of every ``block``."""
    return np.flatnonzero(np.arange(window) % block < kept)


def sparse_filters(
    window: int, filters: int, kept: int, block: int, representation: str
) -> SparseFilters:
    """The storage figures of a ``window x filters`` filter matrix pruned ``kept:block``."""
    rows = kept_positions(window, kept, block).size
    nonzeros = rows * filters
    if representation == "csr":
        metadata: float = nonzeros + window + 1
        new: float = 2 * nonzeros + window + 1
    elif representation == "csc":
        metadata, new = nonzeros + filters + 1, 2 * nonzeros + filters + 1
    else:  # ellpack_block
        metadata = (rows * filters * math.ceil(math.log2(block))) / 32
        new = rows * filters + metadata
    return SparseFilters(kept, block, representation, window * filters, new, metadata)


def topology_ratios(path: str | Path) -> list[tuple[int, int]]:
    """The N:M ratio of every layer line of a SCALE-Sim topology (its ninth column; 1:1 if none).

    Raises ConfigError naming the line for a ratio that is not ``N:M`` with 1 <= N <= M.
    """
    path = Path(path)
    found = Problems(str(path))
    lines = csv.reader(path.read_text(encoding="utf-8-sig").splitlines())
    rows = [(number, row) for number, row in enumerate(lines, 1) if any(c.strip() for c in row)]
    ratios = []
    for number, row in rows[1:]:
        text = row[8].strip() if len(row) > 8 else ""
        ratios.append(_ratio(text, f"line {number}: column 9 (N:M sparsity)", found))
    found.raise_if_any()
    return ratios


def _ratio(text: str, where: str, found: Problems) -> tuple[int, int]:
    if not text:
        return 1, 1
    parts = text.split(":")
    if len(parts) == 2 and all(part.strip().isdigit() for part in parts):
        kept, block = int(parts[0]), int(parts[1])
        if 1 <= kept <= block <= 1 << 16:
            return kept, block
    found.add(where, "a ratio N:M of integers with 1 <= N <= M, such as 2:4", text)
    return 1, 1


def ws_ifmap_reads(grid: FoldGrid, kept: int, block: int) -> float:
    """SCALE-Sim's ws SRAM ifmap reads under sparsity: each fold's reads times M / N, summed in
    its order (column folds outer) so that the float is its own."""
    reads: float = 0
    for _ in range(grid.col_folds):
        for row_fold in range(grid.row_folds):
            reads += grid.temporal * grid.rows_used(row_fold) * (block / kept)
    return reads
