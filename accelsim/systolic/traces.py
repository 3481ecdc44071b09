"""SCALE-Sim's SRAM trace files: what each array edge asks for, at the cycle it is served.

``<dir>/layer<N>/IFMAP_SRAM_TRACE.csv``, ``FILTER_SRAM_TRACE.csv`` and ``OFMAP_SRAM_TRACE.csv``:
one line per demand cycle, the cycle the request is served then the address of every lane (-1:
none), integers separated by commas, as SCALE-Sim 3.0.0 writes them. They hold cycles x lanes
numbers, so they are written only when asked for (``accelsim scalesim --traces DIR``). SCALE-Sim's
DRAM traces are not written.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from accelsim.atomic import write_atomic
from accelsim.systolic.streams import Streams
from accelsim.systolic.user_reference import MemoryRun

TRACE_FILES = ("IFMAP_SRAM_TRACE.csv", "FILTER_SRAM_TRACE.csv", "OFMAP_SRAM_TRACE.csv")


def write_sram_traces(directory: str | Path, streams: Streams, run: MemoryRun) -> list[Path]:
    """Write the three SRAM traces of one layer into ``directory`` (created if needed)."""
    assert run.served is not None
    demands = (streams.ifmap_demand, streams.filter_demand, streams.ofmap_demand)
    paths = []
    for name, demand, served in zip(TRACE_FILES, demands, run.served, strict=True):
        table = np.column_stack((served, demand.matrix))
        paths.append(write_atomic(Path(directory) / name, partial(_save, table=table)))
    return paths


def _save(path: Path, table: np.ndarray) -> None:
    np.savetxt(path, table, fmt="%d", delimiter=",")
