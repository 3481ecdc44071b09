"""A layer as a GEMM, and how a GEMM is folded onto an R x C systolic array.

A convolution is lowered with im2col to ``O = A @ B``: ``A`` is (ofmap pixels x window), one row
per output pixel holding the inputs under the filter window; ``B`` is (window x filters), one column
per filter; ``O`` is (ofmap pixels x filters). The window is ``R * S * C`` (filter height x filter
width x input channels), so the GEMM has exactly the layer's MACs.

A dataflow decides which two GEMM dimensions are spread over the array's rows and columns (the
spatial dimensions ``Sr``, ``Sc``) and which one runs over time (``T``):

========  ====================  ====================  ===============
dataflow  array rows (Sr)       array columns (Sc)    time (T)
========  ====================  ====================  ===============
os        ofmap pixels          filters               window
ws        window                filters               ofmap pixels
is        window                ofmap pixels          filters
========  ====================  ====================  ===============

When ``Sr > R`` or ``Sc > C`` the GEMM is cut into ``ceil(Sr / R) x ceil(Sc / C)`` folds, each run
to completion before the next (the last fold of a row or column may be partial).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from accelsim.errors import ConfigError, Problem
from accelsim.workload.layer import Layer


class SystolicDataflow(str, Enum):
    """What stays in the PEs while the other operands stream: outputs, weights or inputs."""

    OS = "os"
    WS = "ws"
    IS = "is"


@dataclass(frozen=True)
class Gemm:
    """``O[m x n] = A[m x k] @ B[k x n]``: m ofmap pixels, k window size, n filters."""

    m: int
    k: int
    n: int

    @property
    def macs(self) -> int:
        return self.m * self.k * self.n


@dataclass(frozen=True)
class FoldGrid:
    """A GEMM folded onto an ``array_rows x array_cols`` array (see the module docstring)."""

    array_rows: int
    array_cols: int
    spatial_rows: int  # Sr: GEMM extent mapped on the array rows
    spatial_cols: int  # Sc: GEMM extent mapped on the array columns
    temporal: int  # T: GEMM extent streamed over time within one fold

    @property
    def row_folds(self) -> int:
        return -(-self.spatial_rows // self.array_rows)

    @property
    def col_folds(self) -> int:
        return -(-self.spatial_cols // self.array_cols)

    @property
    def folds(self) -> int:
        return self.row_folds * self.col_folds

    def rows_used(self, row_fold: int) -> int:
        """Array rows holding data in row fold ``row_fold`` (0-based)."""
        return min(self.array_rows, self.spatial_rows - row_fold * self.array_rows)

    def cols_used(self, col_fold: int) -> int:
        """Array columns holding data in column fold ``col_fold`` (0-based)."""
        return min(self.array_cols, self.spatial_cols - col_fold * self.array_cols)


def fold_grid(gemm: Gemm, dataflow: SystolicDataflow, rows: int, cols: int) -> FoldGrid:
    """The fold grid of ``gemm`` on a ``rows x cols`` array under ``dataflow``."""
    spatial_rows, spatial_cols, temporal = {
        SystolicDataflow.OS: (gemm.m, gemm.n, gemm.k),
        SystolicDataflow.WS: (gemm.k, gemm.n, gemm.m),
        SystolicDataflow.IS: (gemm.k, gemm.m, gemm.n),
    }[dataflow]
    return FoldGrid(rows, cols, spatial_rows, spatial_cols, temporal)


def gemm_from_layer(layer: Layer) -> Gemm:
    """The im2col GEMM of an ungrouped layer (the batch is folded into the ofmap pixels).

    Raises ConfigError for a grouped layer: SCALE-Sim has no groups, and a grouped layer is one
    GEMM per group.
    """
    if layer.groups != 1:
        raise ConfigError(
            Problem(
                layer.name, "groups", "1 (lower a grouped layer one group at a time)", layer.groups
            )
        )
    return Gemm(m=layer.n * layer.p * layer.q, k=layer.r * layer.s * layer.c, n=layer.m)


def im2col(ifmap: np.ndarray, layer: Layer) -> np.ndarray:
    """Lower an input tensor of shape (h, w, channels) to ``A`` (p*q x r*s*c), no padding.

    Row ``p * q_size + q`` holds the window of output pixel (p, q), ordered (r, s, c) like the
    weight matrix from :func:`weights_matrix`.
    """
    rows = [
        ifmap[
            p * layer.stride_h : p * layer.stride_h + layer.r,
            q * layer.stride_w : q * layer.stride_w + layer.s,
            :,
        ].reshape(-1)
        for p in range(layer.p)
        for q in range(layer.q)
    ]
    return np.stack(rows)


def weights_matrix(weights: np.ndarray) -> np.ndarray:
    """Lower weights of shape (r, s, c, filters) to ``B`` (r*s*c x filters)."""
    return weights.reshape(-1, weights.shape[-1])
