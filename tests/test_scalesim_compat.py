"""SCALE-Sim v3.0.0 compatibility: every reference row reproduced exactly, and by-hand cases.

Golden source: tests/data/reference/scalesim_v3_sample_8x8.csv (SCALE-Sim 3.0.0, CALC mode, 8x8),
whose percentages are rounded to 4 decimals: those are compared after the same rounding, every
count exactly. One full-precision row comes from SCALE-Sim's own regression test
(scalesim-project/scale-sim-v3, test/general/golden_trace_calc: AlexNet CONV1, 32x32, ws).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from accelsim.cli import main
from accelsim.systolic.gemm import Gemm, SystolicDataflow, gemm_from_layer
from accelsim.systolic.model import Mode, simulate_gemm
from accelsim.workload.scalesim_csv import load_scalesim_topology

REFERENCE = Path(__file__).resolve().parent / "data" / "reference"  # copies: SOURCE.md there
SAMPLE = REFERENCE / "scalesim_v3_sample_8x8.csv"
HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,"
    " Strides,"
)
TOPOLOGY_COLUMNS = ("ifmap_h", "ifmap_w", "filt_h", "filt_w", "channels", "num_filters", "stride")


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(newline="") as file:
        return list(csv.DictReader(file))


def _cfg_text(rows: int, cols: int, dataflow: str) -> str:
    return (
        "[general]\nrun_name = sample\n\n[architecture_presets]\n"
        f"ArrayHeight: {rows}\nArrayWidth: {cols}\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\n"
        "OfmapSramSzkB: 64\nIfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\n"
        f"Bandwidth : 10\nDataflow : {dataflow}\n\n[run_presets]\nInterfaceBandwidth: CALC\n"
    )


def _topology_line(row: dict[str, str]) -> str:
    return ", ".join([row["layer_name"], *(row[c] for c in TOPOLOGY_COLUMNS)]) + ","


@pytest.mark.parametrize("row", _sample_rows(), ids=lambda r: f"{r['dataflow']}-{r['layer_name']}")
def test_reference_row_reproduced(row, tmp_path):
    topology = tmp_path / "topology.csv"
    topology.write_text(f"{HEADER}\n{_topology_line(row)}\n")
    layer = load_scalesim_topology(topology).layers[0]
    result = simulate_gemm(
        gemm_from_layer(layer),
        SystolicDataflow(row["dataflow"]),
        int(row["array_rows"]),
        int(row["array_cols"]),
        Mode.COMPAT,
    )
    assert result.cycles == int(row["total_cycles"])
    assert result.stall_cycles == int(row["stall_cycles"])
    assert round(result.compute_util_pct, 4) == float(row["compute_util_pct"])
    assert round(result.mapping_efficiency_pct, 4) == float(row["mapping_eff_pct"])
    assert result.input_sram_reads == int(row["sram_ifmap_reads"])
    assert result.weight_sram_reads == int(row["sram_filter_reads"])
    assert result.output_sram_writes == int(row["sram_ofmap_writes"])


def test_scalesim_regression_row_alexnet_conv1_full_precision():
    # GEMM: 55*55 ofmap pixels x (11*11*3) window x 96 filters, ws on 32x32.
    result = simulate_gemm(Gemm(55 * 55, 11 * 11 * 3, 96), SystolicDataflow.WS, 32, 32, Mode.COMPAT)
    assert result.cycles == 112283
    assert result.overall_util_pct == 91.68309650614964
    assert result.mapping_efficiency_pct == 94.53125
    assert result.compute_util_pct == 90.78000992063485
    assert (result.input_sram_reads, result.weight_sram_reads, result.output_sram_writes) == (
        3294225,
        34848,
        3484800,
    )


def test_os_by_hand():
    # 56x56x64 input, 3x3x64 filters, 64 of them, stride 1 -> 54x54 = 2916 ofmap pixels.
    # os on 8x8: ceil(2916/8) = 365 row folds x 64/8 = 8 column folds; T = 3*3*64 = 576.
    result = simulate_gemm(Gemm(2916, 576, 64), SystolicDataflow.OS, 8, 8, Mode.COMPAT)
    folds = 365 * 8
    assert result.cycles == folds * (576 + 8 + 8 - 2) - 1
    assert result.input_sram_reads == 2916 * 576 * 8
    assert result.weight_sram_reads == 64 * 576 * 365
    assert result.output_sram_writes == 2916 * 64 + folds * (8 + 8)  # SCALE-Sim's double count
    assert result.mapping_efficiency == pytest.approx((364 + 4 / 8) / 365)
    assert result.overall_util_pct == 2916 * 576 * 64 * 100 / (result.cycles * 8 * 8)
    physical = simulate_gemm(Gemm(2916, 576, 64), SystolicDataflow.OS, 8, 8, Mode.PHYSICAL)
    # Physical: each fold pays T + R + r + c - 2, the drain of R included; r = 4 in the last row.
    assert physical.cycles == 8 * (364 * (576 + 8 + 8 + 8 - 2) + (576 + 8 + 4 + 8 - 2))
    assert physical.output_sram_writes == 2916 * 64


def test_ws_and_is_by_hand():
    # 16x16x3 input, 3x3x3 filters, 10 of them: 14*14 = 196 pixels, window 27.
    ws = simulate_gemm(Gemm(196, 27, 10), SystolicDataflow.WS, 8, 8, Mode.COMPAT)
    assert ws.folds == 4 * 2  # window 27 on 8 rows, 10 filters on 8 columns
    assert ws.cycles == 8 * (2 * 8 + 8 + 196 - 2) - 1
    assert ws.compute_utilization == pytest.approx(
        ((3 + 3 / 8) / 4) * ((1 + 2 / 8) / 2) * 196 / (2 * 8 + 2 * 8 + 196 - 3)
    )
    is_ = simulate_gemm(Gemm(196, 27, 10), SystolicDataflow.IS, 8, 8, Mode.COMPAT)
    assert is_.folds == 4 * 25  # window 27 on 8 rows, 196 pixels on 8 columns
    assert is_.cycles == 100 * (2 * 8 + 8 + 10 - 2) - 1
    assert (is_.input_sram_reads, is_.weight_sram_reads, is_.output_sram_writes) == (
        27 * 196,
        10 * 27 * 25,
        10 * 196 * 4,
    )


def test_topology_loader_output_size_and_fields(tmp_path):
    topology = tmp_path / "net.csv"
    topology.write_text(
        f"{HEADER}\nconv, 56, 56, 3, 3, 64, 128, 2,\n\nfc, 1, 1, 1, 1, 1024, 1000, 1,\n"
    )
    network = load_scalesim_topology(topology)
    conv, fc = network.layers
    assert network.name == "net"
    assert (conv.p, conv.q) == (28, 28)  # ceil((56 - 3 + 2) / 2)
    assert (conv.h, conv.r, conv.c, conv.m, conv.stride_h, conv.n) == (56, 3, 64, 128, 2, 1)
    assert fc.macs == 1024 * 1000


def test_cli_end_to_end_compat_matches_reference(tmp_path, capsys):
    rows = [row for row in _sample_rows() if row["dataflow"] == "ws"]
    (tmp_path / "ws.cfg").write_text(_cfg_text(8, 8, "ws"))
    lines = [HEADER, *(_topology_line(row) for row in rows)]
    (tmp_path / "topo.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    arguments = ["--config", str(tmp_path / "ws.cfg"), "--topology", str(tmp_path / "topo.csv")]
    status = main(["scalesim", *arguments, "--out", str(out)])
    assert status == 0
    with (out / "COMPUTE_REPORT.csv").open(newline="") as file:
        compute = list(csv.DictReader(file))
    with (out / "DETAILED_ACCESS_REPORT.csv").open(newline="") as file:
        sram = list(csv.DictReader(file))
    for row, got, counts in zip(rows, compute, sram, strict=True):
        assert int(got["Total Cycles"]) == int(row["total_cycles"])
        assert round(float(got["Compute Util %"]), 4) == float(row["compute_util_pct"])
        assert round(float(got["Mapping Efficiency %"]), 4) == float(row["mapping_eff_pct"])
        assert int(counts["SRAM Filter Reads"]) == int(row["sram_filter_reads"])
    assert "S3_fc1024_1000_as_1x1" in capsys.readouterr().out
    assert not list(out.glob(".*tmp"))  # no temporary file left behind


def test_cli_physical_mode(tmp_path):
    (tmp_path / "os.cfg").write_text(_cfg_text(4, 4, "os"))
    (tmp_path / "topo.csv").write_text(f"{HEADER}\nL, 4, 4, 1, 1, 6, 4,1,\n")
    arguments = ["--config", str(tmp_path / "os.cfg"), "--topology", str(tmp_path / "topo.csv")]
    status = main(["scalesim", *arguments, "--out", str(tmp_path), "--mode", "physical"])
    assert status == 0
    report = (tmp_path / "COMPUTE_REPORT.csv").read_text().splitlines()
    # 16 pixels x 6 window x 4 filters on 4x4: 4 full folds of 6 + 4 + 4 + 4 - 2 cycles.
    assert report[1].split(",")[:3] == ["0", str(4 * (6 + 4 + 4 + 4 - 2)), "0"]


def test_cli_no_dram_is_the_closed_form(tmp_path):
    (tmp_path / "ws.cfg").write_text(_cfg_text(8, 8, "ws"))
    (tmp_path / "topo.csv").write_text(f"{HEADER}\nL, 16, 16, 3, 3, 3, 10, 1,\n")
    arguments = ["--config", str(tmp_path / "ws.cfg"), "--topology", str(tmp_path / "topo.csv")]
    status = main(["scalesim", *arguments, "--out", str(tmp_path / "out"), "--no-dram"])
    assert status == 0
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "COMPUTE_REPORT.csv",
        "SRAM_ACCESS_REPORT.csv",
    ]
    report = (tmp_path / "out" / "COMPUTE_REPORT.csv").read_text().splitlines()
    # 196 pixels, window 27 on 8 rows (4 folds), 10 filters on 8 columns (2 folds).
    assert report[1].split(",")[:3] == ["0", str(8 * (2 * 8 + 8 + 196 - 2) - 1), "0"]
