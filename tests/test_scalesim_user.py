"""SCALE-Sim v3.0.0's memory model (USER and CALC bandwidth) and sparsity, against SCALE-Sim.

Golden data: tests/data/scalesim/<case>/ holds the exact inputs (arch.cfg, topology.csv,
layout.csv) and the report CSVs SCALE-Sim 3.0.0 wrote for them (see each SOURCE.md). Every
column of every report (COMPUTE, BANDWIDTH, DETAILED_ACCESS and, for sparse runs, SPARSE) is
compared exactly (floats as SCALE-Sim computes them). The fast event-level model is checked
against the per-cycle reference on random layers.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.cli import main
from accelsim.systolic.calc_model import simulate_calc
from accelsim.systolic.gemm import Gemm, SystolicDataflow
from accelsim.systolic.memory import DramInterface, gemm_memory_run, layer_memory_run
from accelsim.systolic.model import scalesim_fold_cycles
from accelsim.systolic.sparsity import kept_positions, sparse_filters
from accelsim.systolic.streams import NULL, Offsets, PrefetchOrder, build_streams
from accelsim.systolic.user_model import simulate_user
from accelsim.systolic.user_reference import (
    calc_reads_reference,
    set_layout,
    simulate_user_reference,
)
from accelsim.workload.layer import Layer, LayerKind

DATA = Path(__file__).parent / "data" / "scalesim"
CASES = sorted(path.name for path in DATA.iterdir() if (path / "arch.cfg").is_file())


def _value(cell: str) -> float | str:
    try:
        return float(cell)
    except ValueError:
        return cell  # SPARSE_REPORT's representation


def _read_report(path: Path) -> tuple[list[str], list[list[float | str]]]:
    """Header and rows of a report, SCALE-Sim's (', ' and a trailing comma) or ours."""
    with path.open(newline="") as file:
        rows = [[cell.strip() for cell in row] for row in csv.reader(file) if row]
    rows = [row[:-1] if row[-1] == "" else row for row in rows]
    return rows[0], [[_value(cell) for cell in row] for row in rows[1:]]


def _run_case(case: str, out: Path) -> None:
    folder = DATA / case
    arguments = ["--config", str(folder / "arch.cfg"), "--topology", str(folder / "topology.csv")]
    assert main(["scalesim", *arguments, "--out", str(out)]) == 0


@pytest.mark.parametrize("case", CASES)
def test_every_column_of_every_report_equals_scalesim(case, tmp_path):
    _run_case(case, tmp_path)
    reports = sorted(path.name for path in (DATA / case / "scalesim").iterdir())
    assert sorted(path.name for path in tmp_path.iterdir()) == reports
    for report in reports:
        header, rows = _read_report(tmp_path / report)
        golden_header, golden_rows = _read_report(DATA / case / "scalesim" / report)
        assert header == golden_header, report
        assert rows == golden_rows, report  # exact, floats included


def _layer(h: int, w: int, r: int, s: int, c: int, m: int, stride: int) -> Layer:
    p, q = -(-(h - r + stride) // stride), -(-(w - s + stride) // stride)
    return Layer(
        "L", LayerKind.CONV, n=1, m=m, c=c, p=p, q=q, r=r, s=s, h=h, w=w,
        stride_h=stride, stride_w=stride,
    )  # fmt: skip


def test_by_hand_everything_fits():
    # 10x10x4 input, 3x3 filters, 6 of them, os on 4x4, 1 KiB SRAMs, ifmap read at 2 words/cycle,
    # filter at 3, ofmap written at 4 (the user_os_4x4 golden case).
    layer = _layer(10, 10, 3, 3, 4, 6, 1)
    run = layer_memory_run(layer, SystolicDataflow.OS, 4, 4, DramInterface((1024,) * 3, (2, 3, 4)))
    # The filter prefetch order is T x C per column fold: 36 x 4 x 2 folds = 288 slots, in
    # request lines of 3: 96 lines, all fetched before cycle 0 (the active half holds 512 words).
    assert run.dram_cycles[1] == (-96, -1)
    assert run.dram_words[1] == 96 * 3
    # The ifmap order has 36 x 4 x 16 row folds = 2304 slots: 1152 lines of 2; the first fill
    # is the active half, ceil(512 / 2) = 256 lines, answered at cycles -256 .. -1.
    assert run.dram_cycles[0][0] == -256
    # Every output word is written to DRAM once: 8 x 8 pixels x 6 filters.
    assert run.dram_words[2] == 8 * 8 * 6
    # SCALE-Sim's figures for this layer (tests/data/scalesim/user_os_4x4).
    assert (run.total_cycles, run.stall_cycles, run.cycles_with_prefetch) == (2241, 898, 2592)


def test_set_layout_by_hand():
    prefetch = PrefetchOrder(np.arange(5000).reshape(50, 100), diagonal=False)
    layout = set_layout(prefetch, sram_words=1024, bandwidth=3)
    per_set = math.ceil(1024 / 100)  # 11 addresses per set
    assert layout.sets == 5000 // per_set + 1
    assert layout.active_sets == math.ceil(512 / per_set)
    assert layout.step_sets == math.ceil(512 / per_set)
    assert (layout.first_lines, layout.step_lines) == (math.ceil(512 / 3), math.ceil(512 / 3))


def test_no_stall_with_a_fast_interface():
    # The whole layer fits in the SRAMs and DRAM keeps up: no stall, CALC's cycle count.
    layer = _layer(6, 6, 3, 3, 2, 3, 1)  # 16 pixels, window 18, 3 filters
    run = layer_memory_run(layer, SystolicDataflow.WS, 4, 4, DramInterface((4096,) * 3, (8, 8, 8)))
    folds = math.ceil(18 / 4) * math.ceil(3 / 4)
    assert run.stall_cycles == 0
    assert run.total_cycles == folds * (2 * 4 + 4 + 16 - 2) - 1


def test_gemm_memory_run_equals_the_equivalent_layer():
    interface = DramInterface((256, 256, 128), (2, 3, 1))
    gemm = Gemm(m=20, k=12, n=7)
    layer = Layer("g", LayerKind.CONV, n=1, m=7, c=12, p=1, q=20, r=1, s=1, h=1, w=20)
    for dataflow in SystolicDataflow:
        assert gemm_memory_run(gemm, dataflow, 4, 4, interface) == layer_memory_run(
            layer, dataflow, 4, 4, interface
        )


@settings(max_examples=60)
@given(
    dataflow=st.sampled_from(list(SystolicDataflow)),
    rows=st.integers(1, 6),
    cols=st.integers(1, 6),
    size=st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(1, 4), st.integers(1, 6)),
    stride=st.integers(1, 3),
    words=st.tuples(*[st.sampled_from([4, 16, 50, 120, 300, 2048])] * 3),
    rates=st.tuples(*[st.integers(1, 10)] * 3),
)
def test_fast_model_equals_per_cycle_reference(dataflow, rows, cols, size, stride, words, rates):
    extent, filt, channels, filters = size
    layer = _layer(extent + filt, extent + filt, filt, filt, channels, filters, stride)
    streams = build_streams(layer, dataflow, rows, cols, Offsets())
    assert simulate_user(streams, words, rates) == simulate_user_reference(streams, words, rates)


def test_small_srams_refetch_and_stall():
    layer = _layer(9, 9, 3, 3, 5, 7, 1)
    streams = build_streams(layer, SystolicDataflow.IS, 8, 8, Offsets())
    small = simulate_user(streams, (200, 200, 100), (1, 1, 1))
    large = simulate_user(streams, (1 << 16,) * 3, (1, 1, 1))
    assert small.dram_words[0] > large.dram_words[0]  # the ifmap is fetched more than once
    assert small.stall_cycles > large.stall_cycles
    assert small.dram_words[0] >= 9 * 9 * 5  # at least every input word once


@settings(max_examples=40)
@given(
    dataflow=st.sampled_from(list(SystolicDataflow)),
    rows=st.integers(1, 6),
    cols=st.integers(1, 6),
    size=st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(1, 4), st.integers(1, 6)),
    words=st.sampled_from([100, 250, 1024]),
)
def test_calc_reads_equal_the_per_request_reference(dataflow, rows, cols, size, words):
    extent, filt, channels, filters = size
    layer = _layer(extent + filt, extent + filt, filt, filt, channels, filters, 1)
    streams = build_streams(layer, dataflow, rows, cols, Offsets())
    run = simulate_calc(streams, (words, words, 1024))
    cycles = list(range(streams.ifmap_demand.cycles))  # CALC: no stall with a large ofmap SRAM
    assert run.stall_cycles == 0
    for operand, demand in enumerate((streams.ifmap_demand, streams.filter_demand)):
        reference = calc_reads_reference(demand.matrix, words, cycles)
        assert (run.dram_cycles[operand], run.dram_words[operand]) == reference


@settings(max_examples=30)
@given(
    dataflow=st.sampled_from(list(SystolicDataflow)),
    rows=st.integers(1, 6),
    cols=st.integers(1, 6),
    size=st.tuples(st.integers(1, 6), st.integers(1, 3), st.integers(1, 3), st.integers(1, 5)),
    stride=st.integers(1, 3),
)
def test_demand_summaries_equal_the_full_matrix(dataflow, rows, cols, size, stride):
    extent, filt, channels, filters = size
    layer = _layer(extent + filt, extent + filt, filt, filt, channels, filters, stride)
    streams = build_streams(layer, dataflow, rows, cols, Offsets())
    for demand in (streams.ifmap_demand, streams.filter_demand, streams.ofmap_demand):
        busy = np.flatnonzero((demand.matrix != NULL).any(axis=1))
        assert demand.busy_cycles() == (busy[0], busy[-1])
        assert np.array_equal(demand.words_per_cycle, (demand.matrix != NULL).sum(axis=1))
    # Every fold lasts as long as SCALE-Sim's fold (see model.scalesim_fold_cycles).
    assert streams.ofmap_demand.cycles == streams.grid.folds * scalesim_fold_cycles(
        streams.grid, SystolicDataflow(dataflow)
    )


def test_sparse_storage_by_hand():
    # 3x3x4 window (36 positions), 6 filters, 2:4: 18 positions kept, 108 weights.
    assert kept_positions(36, 2, 4).tolist() == [i for i in range(36) if i % 4 < 2]
    csr = sparse_filters(36, 6, 2, 4, "csr")
    assert (csr.original_storage, csr.new_storage, csr.metadata_storage) == (
        36 * 6, 2 * 108 + 36 + 1, 108 + 36 + 1,
    )  # fmt: skip
    csc = sparse_filters(36, 6, 2, 4, "csc")
    assert (csc.new_storage, csc.metadata_storage) == (2 * 108 + 6 + 1, 108 + 6 + 1)
    ellpack = sparse_filters(36, 6, 2, 4, "ellpack_block")
    assert ellpack.metadata_storage == 18 * 6 * 2 / 32  # log2(4) = 2 bits per kept weight
    assert ellpack.new_storage == 108 + 18 * 6 * 2 / 32
    assert sparse_filters(36, 6, 1, 1, "ellpack_block").metadata_storage == 0  # dense: 1:1


@pytest.mark.parametrize("case", [case for case in CASES if (DATA / case / "traces").is_dir()])
def test_sram_traces_are_scalesims_byte_for_byte(case, tmp_path):
    folder = DATA / case
    arguments = ["--config", str(folder / "arch.cfg"), "--topology", str(folder / "topology.csv")]
    status = main(["scalesim", *arguments, "--out", str(tmp_path / "out"), "--traces",
                   str(tmp_path / "traces")])  # fmt: skip
    assert status == 0
    golden = sorted(path.relative_to(folder / "traces") for path in (folder / "traces").rglob("*"))
    assert (
        sorted(path.relative_to(tmp_path / "traces") for path in (tmp_path / "traces").rglob("*"))
        == golden
    )
    for path in golden:
        if path.suffix == ".csv":
            assert (tmp_path / "traces" / path).read_bytes() == (
                folder / "traces" / path
            ).read_bytes()


def test_no_traces_by_default_and_none_without_the_memory_model(tmp_path, capsys):
    folder = DATA / "calc_os_4x4"
    arguments = ["--config", str(folder / "arch.cfg"), "--topology", str(folder / "topology.csv")]
    assert main(["scalesim", *arguments, "--out", str(tmp_path / "out")]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]
    traces = ["--traces", str(tmp_path / "traces")]
    assert main(["scalesim", *arguments, "--out", str(tmp_path / "o2"), "--no-dram", *traces]) == 2
    assert "--traces: expected compat mode with the DRAM model" in capsys.readouterr().err
    assert not (tmp_path / "traces").exists() and not (tmp_path / "o2").exists()
