"""DRAM stalls of a layer on a systolic array behind a finite DRAM interface (SCALE-Sim USER mode).

The entry points for the rest of accelsim:

* :func:`layer_memory_run`: a convolution layer (im2col addresses, so overlapping windows are
  fetched once per use in the operand stream, as SCALE-Sim does);
* :func:`gemm_memory_run`: a plain GEMM ``O[m x n] = A[m x k] @ B[k x n]`` (a 1 x 1 convolution
  over m pixels), for accelsim's own systolic dataflows.

Both take the array shape, the dataflow and a :class:`DramInterface` (SRAM sizes in words, DRAM
rates in words per cycle) and return a
:class:`~accelsim.systolic.user_reference.MemoryRun`: ``total_cycles`` (SCALE-Sim's index of the
last cycle: the run takes ``total_cycles + 1`` cycles), ``stall_cycles``, the SRAM and DRAM
first / last cycles and the DRAM words. The model is event-level
(:mod:`accelsim.systolic.user_model`), checked against a per-cycle reference and SCALE-Sim 3.0.0.
Memory and time grow with the layer's cycles x array edge (address streams): meant for layers of
up to a few million cycles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from accelsim.systolic.calc_model import simulate_calc
from accelsim.systolic.gemm import Gemm, SystolicDataflow
from accelsim.systolic.streams import Offsets, Streams, build_streams
from accelsim.systolic.traces import write_sram_traces
from accelsim.systolic.user_model import simulate_user
from accelsim.systolic.user_reference import MemoryRun
from accelsim.workload.layer import Layer, LayerKind


@dataclass(frozen=True)
class DramInterface:
    """Double-buffered SRAMs in front of DRAM.

    ``sram_words``: ifmap, filter, ofmap SRAM sizes in words (each split half active, half
    prefetch / drain); ``rates``: words per cycle that the ifmap and filter SRAMs read from DRAM
    and that the ofmap SRAM writes to it; ``offsets``: the operands' base addresses.
    """

    sram_words: tuple[int, int, int]
    rates: tuple[int, int, int]
    offsets: Offsets = field(default_factory=Offsets)


def layer_memory_run(
    layer: Layer,
    dataflow: SystolicDataflow,
    rows: int,
    cols: int,
    interface: DramInterface,
    kept: np.ndarray | None = None,
    traces: Path | None = None,
) -> MemoryRun:
    """Stalls and DRAM traffic of an ungrouped, batch-1 ``layer`` on a ``rows x cols`` array
    (with ``kept``: only those window positions, N:M sparse filters; with ``traces``, the SRAM
    trace files are written into that folder)."""
    streams = build_streams(layer, dataflow, rows, cols, interface.offsets, kept)
    run = simulate_user(streams, interface.sram_words, interface.rates)
    return _with_traces(run, streams, traces)


def calc_memory_run(
    layer: Layer,
    dataflow: SystolicDataflow,
    rows: int,
    cols: int,
    interface: DramInterface,
    kept: np.ndarray | None = None,
    traces: Path | None = None,
) -> MemoryRun:
    """SCALE-Sim's CALC mode for ``layer``: no read stalls, DRAM reads derived from the requests
    (``interface.rates`` is not used: the ofmap SRAM drains ``cols`` words per cycle)."""
    streams = build_streams(layer, dataflow, rows, cols, interface.offsets, kept)
    return _with_traces(simulate_calc(streams, interface.sram_words), streams, traces)


def _with_traces(run: MemoryRun, streams: Streams, traces: Path | None) -> MemoryRun:
    """``run``, after writing its SRAM trace files into ``traces`` when a folder is given."""
    if traces is not None:
        write_sram_traces(traces, streams, run)
    return run


def gemm_memory_run(
    gemm: Gemm, dataflow: SystolicDataflow, rows: int, cols: int, interface: DramInterface
) -> MemoryRun:
    """Stalls and DRAM traffic of ``gemm`` (A row-major, B column-major, O row-major)."""
    layer = Layer(
        "gemm", LayerKind.CONV, n=1, m=gemm.n, c=gemm.k, p=1, q=gemm.m, r=1, s=1, h=1, w=gemm.m
    )
    return layer_memory_run(layer, dataflow, rows, cols, interface)
