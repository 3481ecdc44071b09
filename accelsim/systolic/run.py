"""A network through the systolic model, and SCALE-Sim-style report files.

``COMPUTE_REPORT.csv`` has SCALE-Sim's columns (LayerID, Total Cycles, Stall Cycles, Overall Util %,
Mapping Efficiency %, Compute Util %); ``SRAM_ACCESS_REPORT.csv`` has the SRAM columns of its
DETAILED_ACCESS_REPORT (SRAM IFMAP Reads, SRAM Filter Reads, SRAM OFMAP Writes), in words. Both are
written whole or not at all (a temporary file, then an atomic rename).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from accelsim.atomic import write_text
from accelsim.systolic.gemm import gemm_from_layer
from accelsim.systolic.model import Mode, SystolicResult, simulate_gemm
from accelsim.systolic.scalesim_config import ScaleSimConfig
from accelsim.workload.layer import Network

COMPUTE_REPORT = "COMPUTE_REPORT.csv"
SRAM_REPORT = "SRAM_ACCESS_REPORT.csv"
COMPUTE_COLUMNS = (
    "LayerID",
    "Total Cycles",
    "Stall Cycles",
    "Overall Util %",
    "Mapping Efficiency %",
    "Compute Util %",
)
SRAM_COLUMNS = ("LayerID", "SRAM IFMAP Reads", "SRAM Filter Reads", "SRAM OFMAP Writes")


def simulate_network(
    network: Network, config: ScaleSimConfig, mode: Mode = Mode.COMPAT
) -> tuple[SystolicResult, ...]:
    """Every layer of ``network`` on the configured array and dataflow, in order.

    Raises ConfigError for a grouped layer (see :func:`~accelsim.systolic.gemm.gemm_from_layer`).
    """
    return tuple(
        simulate_gemm(
            gemm_from_layer(layer),
            config.dataflow,
            config.array_rows,
            config.array_cols,
            mode,
            layer.name,
        )
        for layer in network
    )


def compute_report_rows(results: Sequence[SystolicResult]) -> list[tuple]:
    return [
        (
            layer_id,
            result.cycles,
            result.stall_cycles,
            result.overall_util_pct,
            result.mapping_efficiency_pct,
            result.compute_util_pct,
        )
        for layer_id, result in enumerate(results)
    ]


def sram_report_rows(results: Sequence[SystolicResult]) -> list[tuple]:
    return [
        (layer_id, r.input_sram_reads, r.weight_sram_reads, r.output_sram_writes)
        for layer_id, r in enumerate(results)
    ]


def write_reports(results: Sequence[SystolicResult], out_dir: str | Path) -> tuple[Path, Path]:
    """Write COMPUTE_REPORT.csv and SRAM_ACCESS_REPORT.csv into ``out_dir`` (created if needed)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    compute = _csv_text(COMPUTE_COLUMNS, compute_report_rows(results))
    sram = _csv_text(SRAM_COLUMNS, sram_report_rows(results))
    return (
        write_text(out_dir / COMPUTE_REPORT, compute),
        write_text(out_dir / SRAM_REPORT, sram),
    )


def _csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
