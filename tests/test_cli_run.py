"""``accelsim run`` defaults and behaviour: the workload's batch, the dataflows the architecture
can run, the fixed-precision warning, -v/--quiet after the subcommand, progress and Ctrl-C."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pandas as pd
import pytest

from accelsim.cli import main
from accelsim.progress import Progress

# MACs of the builtin tiny network per image: conv1 8x8 outputs x 4 x 3 x 3x3, conv2 4x4 x 8 x 4
# x 3x3, fc 128 x 10.
TINY_MACS = 8 * 8 * 4 * 3 * 9 + 4 * 4 * 8 * 4 * 9 + 128 * 10


def test_default_dataflows_skip_those_the_arch_cannot_run(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    assert main(["run", "-q", "--arch", "tpu_like", "--workload", "tiny", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "accelsim run: skipped dataflow rs: " in captured.err
    assert (
        "nothing the rs dataflow allows fits: the closest candidate overflows weight_reg"
        in captured.err
    )
    summary = pd.read_csv(out / "summary.csv")
    assert "rs" not in set(summary["dataflow"]) and "ws" in set(summary["dataflow"])
    assert sorted(path.name for path in out.iterdir()) == [
        "energy_breakdown.png",
        "layers.csv",
        "summary.csv",
    ]


def test_a_chosen_dataflow_that_cannot_run_is_an_error(tmp_path: Path, capsys) -> None:
    argv = ["run", "--arch", "tpu_like", "--workload", "tiny", "--dataflows", "rs"]
    assert main([*argv, "--out", str(tmp_path / "r")]) == 2
    # rs keeps a whole filter row (S = 3 weights of 8 bits) where tpu_like has 2 x 8 bits
    assert "overflows weight_reg: it needs 24 bits (weights 24), the level has 16" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(("batch", "expected"), [([], 3), (["--batch", "2"], 2)])
def test_batch_is_the_workload_files_unless_given(tmp_path: Path, batch, expected) -> None:
    source = Path(__file__).parent.parent / "accelsim" / "builtin" / "workloads" / "tiny.yaml"
    workload = tmp_path / "tiny3.yaml"
    workload.write_text(source.read_text().replace("batch: 1", "batch: 3"))
    argv = ["run", "--arch", "tiny", "--workload", str(workload), "--dataflows", "ws", *batch]
    assert main([*argv, "--out", str(tmp_path / "r"), "--quiet"]) == 0
    summary = pd.read_csv(tmp_path / "r" / "summary.csv")
    assert summary["batch"].tolist() == [expected]
    assert summary["macs"].tolist() == [expected * TINY_MACS]


def test_precision_flags_on_a_fixed_precision_arch_warn(tmp_path: Path, capsys) -> None:
    argv = ["run", "--arch", "eyeriss_isca16", "--workload", "tiny", "--dataflows", "ws"]
    assert main([*argv, "--w-bits", "4", "--out", str(tmp_path / "r"), "-q"]) == 0
    err = capsys.readouterr().err
    assert "warning: eyeriss_isca16 runs every layer at fixed precision (input_bits 16, " in err
    assert "weight_bits 16); --weight-bits and --input-bits have no effect on it" in err


@pytest.mark.parametrize("flag", ["-v", "--verbose", "-q", "--quiet"])
def test_common_flags_work_after_the_subcommand(tmp_path: Path, flag: str) -> None:
    argv = ["run", "--arch", "tiny", "--workload", "tiny", "--dataflows", "ws", flag]
    assert main([*argv, "--out", str(tmp_path / "r")]) == 0


def test_ctrl_c_exits_130_with_no_output(tmp_path: Path, capsys, monkeypatch) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("accelsim.cli.run.simulate", interrupted)
    out = tmp_path / "r"
    assert main(["run", "--arch", "tiny", "--workload", "tiny", "--out", str(out)]) == 130
    assert "accelsim run: interrupted; no partial output written" in capsys.readouterr().err
    assert not out.exists() or not list(out.iterdir())


def test_progress_prints_periodic_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(3, "accelsim run", "layer", stream=stream, every_s=0.05) as progress:
        progress.note("ws conv1")
        progress.update()
        time.sleep(0.3)  # one long step: the lines keep coming
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 2
    assert all(line.startswith("accelsim run: 1/3 layers, ") for line in lines)
    assert lines[0].endswith(" s (now: ws conv1)")


def test_quiet_progress_prints_nothing() -> None:
    stream = io.StringIO()
    with Progress(3, "accelsim run", "layer", stream=stream, every_s=0.01, quiet=True) as bar:
        bar.update()
        time.sleep(0.1)
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    ("argv", "expected"),
    [([], 16), (["--workload", "alexnet"], 1), (["--batch", "4"], 4)],
)
def test_the_default_study_runs_at_batch_16(tmp_path: Path, monkeypatch, argv, expected) -> None:
    """No --workload: AlexNet at the Eyeriss study's batch 16; a named workload: its file's."""
    seen = []

    def record(arch, network, **kwargs):
        seen.append((network.name, network.batch))
        raise KeyboardInterrupt  # stop after the first layer: the batch is what is checked

    monkeypatch.setattr("accelsim.cli.run.simulate", record)
    assert main(["run", "-q", *argv, "--out", str(tmp_path / "r")]) == 130
    assert seen == [("alexnet", expected)]


def test_summary_columns_widen_for_huge_values(tmp_path: Path, capsys) -> None:
    """An FC layer of 10^12 inputs runs for 2.5 x 10^14 cycles (19 characters with commas): the
    cycles column widens so the table still reads as separate columns (at the fixed width of 14
    the number ran into the DRAM column)."""
    workload = tmp_path / "huge.yaml"
    workload.write_text(
        "name: huge\nlayers:\n"
        "  - {name: fc, type: fc, in_features: 1000000000000, out_features: 1000}\n"
    )
    argv = ["run", "--workload", str(workload), "--dataflows", "rs", "--out", str(tmp_path / "o")]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("dataflow"))
    row = next(line for line in lines if line.startswith("rs "))
    columns = ["dataflow", "total", "ALU", "RF", "array", "buffer", "DRAM", "cycles", "util"]
    assert header.split() == columns
    assert len(row.split()) == len(header.split())
    assert len(row) == len(header)  # right-aligned columns end where their headers end
    cycles = int(row.split()[7].replace(",", ""))
    assert cycles > 10**14
