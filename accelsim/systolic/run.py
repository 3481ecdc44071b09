"""A network through the systolic model, and SCALE-Sim's report files.

With SCALE-Sim's memory model (compat mode, USER or CALC bandwidth) the reports are its three,
with its file and column names: ``COMPUTE_REPORT.csv`` (LayerID, Total Cycles (incl. prefetch),
Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %),
``BANDWIDTH_REPORT.csv`` (average SRAM and DRAM words per cycle per operand) and
``DETAILED_ACCESS_REPORT.csv`` (first cycle, last cycle and words for the SRAM and DRAM traffic
of each operand). Without it (physical mode, or CALC with ``dram=False``) the COMPUTE_REPORT has
no prefetch column and the SRAM counts go to ``SRAM_ACCESS_REPORT.csv``. Files are written whole
or not at all (a temporary file, then an atomic rename).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from accelsim.atomic import write_text
from accelsim.systolic.gemm import Gemm, SystolicDataflow, fold_grid, gemm_from_layer
from accelsim.systolic.memory import DramInterface, calc_memory_run, layer_memory_run
from accelsim.systolic.model import Mode, SystolicResult, simulate_gemm
from accelsim.systolic.scalesim_config import ScaleSimConfig
from accelsim.systolic.sparsity import kept_positions, sparse_filters, ws_ifmap_reads
from accelsim.systolic.streams import Offsets
from accelsim.workload.layer import Network

COMPUTE_REPORT = "COMPUTE_REPORT.csv"
BANDWIDTH_REPORT = "BANDWIDTH_REPORT.csv"
DETAILED_REPORT = "DETAILED_ACCESS_REPORT.csv"
SRAM_REPORT = "SRAM_ACCESS_REPORT.csv"
COMPUTE_COLUMNS = (
    "LayerID",
    "Total Cycles (incl. prefetch)",
    "Total Cycles",
    "Stall Cycles",
    "Overall Util %",
    "Mapping Efficiency %",
    "Compute Util %",
)
BANDWIDTH_COLUMNS = (
    "LayerID",
    "Avg IFMAP SRAM BW",
    "Avg FILTER SRAM BW",
    "Avg OFMAP SRAM BW",
    "Avg IFMAP DRAM BW",
    "Avg FILTER DRAM BW",
    "Avg OFMAP DRAM BW",
)
DETAILED_COLUMNS = (
    "LayerID",
    *(
        f"{memory} {operand} {what}"
        for memory in ("SRAM", "DRAM")
        for operand, access in (("IFMAP", "Reads"), ("Filter", "Reads"), ("OFMAP", "Writes"))
        for what in ("Start Cycle", "Stop Cycle", access)
    ),
)
SRAM_COLUMNS = ("LayerID", "SRAM IFMAP Reads", "SRAM Filter Reads", "SRAM OFMAP Writes")
SPARSE_REPORT = "SPARSE_REPORT.csv"
SPARSE_COLUMNS = (
    "LayerID",
    "Sparsity Representation",
    "Original Filter Storage",
    "New Storage (Filter+Metadata)",
    "Filter Metadata Storage",
    "Avg FILTER Metadata SRAM BW",
)
METADATA_COLUMN = "Avg FILTER Metadata SRAM BW"  # BANDWIDTH_REPORT, after the filter SRAM column


def simulate_network(
    network: Network,
    config: ScaleSimConfig,
    mode: Mode = Mode.COMPAT,
    dram: bool = True,
    ratios: Sequence[tuple[int, int]] = (),
    traces: Path | None = None,
) -> tuple[SystolicResult, ...]:
    """Every layer of ``network`` on the configured array and dataflow, in order.

    In compat mode with ``dram`` (the default), each result carries SCALE-Sim's memory run (USER
    or CALC interface bandwidth, as the config says) and its cycles and stalls are the memory
    run's. ``dram=False`` skips the address-level memory model in CALC mode (closed form only:
    no DRAM columns, O(1) per layer); USER mode always needs it. With ``config.sparsity``,
    ``ratios`` gives each layer's N:M (missing: 1:1; see :mod:`accelsim.systolic.sparsity`).
    With ``traces`` (and the memory model), SCALE-Sim's SRAM traces go to ``traces/layer<N>/``.
    Raises ConfigError for a grouped layer (see :func:`~accelsim.systolic.gemm.gemm_from_layer`).
    """
    interface = DramInterface(
        config.sram_words,
        config.dram_rates if config.user_bandwidth else (1, 1, 1),
        Offsets(config.ifmap_offset, config.filter_offset, config.ofmap_offset),
    )
    memory_run = layer_memory_run if config.user_bandwidth else calc_memory_run
    with_memory = mode is Mode.COMPAT and (dram or config.user_bandwidth)
    dense = [gemm_from_layer(layer) for layer in network]  # every error before any output
    results = []
    for index, layer in enumerate(network):
        rows, cols = config.array_rows, config.array_cols
        gemm, kept, sparse = dense[index], None, None
        if config.sparsity:
            ratio = ratios[index] if index < len(ratios) else (1, 1)
            kept = kept_positions(gemm.k, *ratio)
            sparse = sparse_filters(gemm.k, gemm.n, *ratio, config.sparse_representation)
            gemm = Gemm(gemm.m, kept.size, gemm.n)
        result = simulate_gemm(gemm, config.dataflow, rows, cols, mode, layer.name)
        if sparse is not None:
            reads = float(result.input_sram_reads)
            if config.dataflow is SystolicDataflow.WS:
                grid = fold_grid(gemm, config.dataflow, rows, cols)
                reads = ws_ifmap_reads(grid, sparse.kept, sparse.block)
            sparse = replace(sparse, ifmap_sram_reads=reads)
            result = replace(result, macs=dense[index].macs, sparse=sparse)
        if with_memory:
            folder = None if traces is None else Path(traces) / f"layer{index}"
            memory = memory_run(layer, config.dataflow, rows, cols, interface, kept, folder)
            result = replace(
                result, cycles=memory.total_cycles, stall_cycles=memory.stall_cycles, memory=memory
            )
        results.append(result)
    return tuple(results)


def compute_report_rows(results: Sequence[SystolicResult]) -> list[tuple]:
    rows = []
    for layer_id, result in enumerate(results):
        prefetch = () if result.memory is None else (result.memory.cycles_with_prefetch,)
        rows.append(
            (
                layer_id,
                *prefetch,
                result.cycles,
                result.stall_cycles,
                result.overall_util_pct,
                result.mapping_efficiency_pct,
                result.compute_util_pct,
            )
        )
    return rows


def _sram_words(result: SystolicResult) -> tuple[float, int, int]:
    """SRAM ifmap reads, filter reads, ofmap writes as SCALE-Sim reports them."""
    ifmap = result.sparse.ifmap_sram_reads if result.sparse else result.input_sram_reads
    return ifmap, result.weight_sram_reads, result.output_sram_writes


def bandwidth_report_rows(results: Sequence[SystolicResult]) -> list[tuple]:
    """SRAM words / Total Cycles, DRAM words / (last - first DRAM cycle + 1), as SCALE-Sim; with
    sparsity, the filter metadata / Total Cycles after the filter SRAM column."""
    rows = []
    for layer_id, r in enumerate(results):
        assert r.memory is not None
        dram = [
            words / (last - first + 1)
            for words, (first, last) in zip(r.memory.dram_words, r.memory.dram_cycles, strict=True)
        ]
        sram = [words / r.cycles for words in _sram_words(r)]
        if r.sparse is not None:
            sram.insert(2, r.sparse.metadata_storage / r.cycles)
        rows.append((layer_id, *sram, *dram))
    return rows


def detailed_report_rows(results: Sequence[SystolicResult]) -> list[tuple]:
    rows = []
    for layer_id, r in enumerate(results):
        assert r.memory is not None
        cells: list[float] = [layer_id]
        for (first, last), words in zip(r.memory.sram_cycles, _sram_words(r), strict=True):
            cells += [first, last, words]
        for (first, last), words in zip(r.memory.dram_cycles, r.memory.dram_words, strict=True):
            cells += [first, last, words]
        rows.append(tuple(cells))
    return rows


def sparse_report_rows(results: Sequence[SystolicResult]) -> list[tuple]:
    rows = []
    for layer_id, r in enumerate(results):
        assert r.sparse is not None
        s = r.sparse
        rows.append((layer_id, s.representation, s.original_storage, s.new_storage,
                     s.metadata_storage, s.metadata_storage / r.cycles))  # fmt: skip
    return rows


def sram_report_rows(results: Sequence[SystolicResult]) -> list[tuple]:
    return [
        (layer_id, r.input_sram_reads, r.weight_sram_reads, r.output_sram_writes)
        for layer_id, r in enumerate(results)
    ]


def write_reports(results: Sequence[SystolicResult], out_dir: str | Path) -> tuple[Path, ...]:
    """Write the reports into ``out_dir`` (created if needed); returns their paths."""
    with_memory = all(result.memory is not None for result in results)
    if with_memory:
        texts = {
            COMPUTE_REPORT: _csv_text(COMPUTE_COLUMNS, compute_report_rows(results)),
            BANDWIDTH_REPORT: _csv_text(
                _bandwidth_columns(results), bandwidth_report_rows(results)
            ),
            DETAILED_REPORT: _csv_text(DETAILED_COLUMNS, detailed_report_rows(results)),
        }
        if all(result.sparse is not None for result in results):
            texts[SPARSE_REPORT] = _csv_text(SPARSE_COLUMNS, sparse_report_rows(results))
    else:
        compute_columns = tuple(c for c in COMPUTE_COLUMNS if "prefetch" not in c)
        texts = {
            COMPUTE_REPORT: _csv_text(compute_columns, compute_report_rows(results)),
            SRAM_REPORT: _csv_text(SRAM_COLUMNS, sram_report_rows(results)),
        }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return tuple(write_text(out_dir / name, text) for name, text in texts.items())


def _bandwidth_columns(results: Sequence[SystolicResult]) -> tuple[str, ...]:
    if all(result.sparse is not None for result in results):
        return (*BANDWIDTH_COLUMNS[:3], METADATA_COLUMN, *BANDWIDTH_COLUMNS[3:])
    return BANDWIDTH_COLUMNS


def _csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
