"""Sweeps: expansion, tidy tables, crash-safe resume, bad points, Dask equals local, CLI."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

import accelsim
from accelsim.arch import arch_from_dict
from accelsim.cli import main
from accelsim.config import builtin_dir, read_yaml
from accelsim.sweep import load_sweep, run_sweep, runner, sweep_from_dict

GRID = {
    "name": "grid",
    "arch": "tiny",
    "workloads": "tiny",
    "dataflows": ["ws", "os"],
    "grid": {"pe_array.rows": [2, 4, 8], "levels.buffer.capacity_kb": [4, 8, 16, 32]},
}
LAYERS = len(accelsim.load_workload("tiny"))


def sorted_table(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("point", "layer") if c in frame.columns]
    return frame.sort_values(keys).reset_index(drop=True)


def test_a_2_x_3_x_4_sweep_gives_one_row_per_point_and_layer(tmp_path):
    spec = sweep_from_dict(GRID, source="test")
    assert spec.size == 2 * 3 * 4
    run = run_sweep(spec, tmp_path, executor="serial")
    assert (run.points, run.ran, run.reused, run.failed) == (24, 24, 0, ())
    assert len(run.layers) == 2 * 3 * 4 * LAYERS
    assert len(run.summary) == 2 * 3 * 4
    for column in ("dataflow", "pe_array.rows", "levels.buffer.capacity_kb", "energy", "cycles"):
        assert column in run.layers.columns
    combos = run.summary[["dataflow", "pe_array.rows", "levels.buffer.capacity_kb"]]
    assert len(combos.drop_duplicates()) == 24
    assert (run.summary["status"] == "ok").all()
    check_each_point_ran_its_arch(run.layers)
    on_disk = pd.read_csv(tmp_path / "layers.csv")
    assert len(on_disk) == len(run.layers)
    assert {"layers.csv", "points.csv"} <= {p.name for p in tmp_path.iterdir()}


def tiny_by_hand(rows: int, buffer_kb: float) -> accelsim.Arch:
    """tiny.yaml with its array height and buffer size edited in the raw mapping, not through
    the sweep's override paths."""
    raw = copy.deepcopy(read_yaml(builtin_dir("arch_configs") / "tiny.yaml"))
    raw["pe_array"]["rows"] = rows
    [buffer] = [level for level in raw["levels"] if level["name"] == "buffer"]
    buffer["capacity_kb"] = buffer_kb
    return arch_from_dict(raw, source="tiny, edited by hand")


def check_each_point_ran_its_arch(layers: pd.DataFrame) -> None:
    rows_column, buffer_column = "pe_array.rows", "levels.buffer.capacity_kb"
    for (dataflow, rows, buffer_kb), point in layers.groupby(
        ["dataflow", rows_column, buffer_column]
    ):
        # the array the point ran: utilization = MACs / (cycles x PEs x 1 MAC per cycle at 8/8)
        pes = point["macs"] / (point["utilization"] * point["cycles"])
        assert pes.round().tolist() == [rows * 4] * LAYERS
        assert (point["used_pes"] <= rows * 4).all()
        expected = accelsim.simulate(tiny_by_hand(rows, buffer_kb), "tiny", dataflow=dataflow)
        assert point["cycles"].tolist() == [layer.cycles for layer in expected.layers]
        assert point["energy"].tolist() == pytest.approx([x.energy for x in expected.layers])
    # and the swept rows change what they should: more PEs, fewer cycles in total
    by_rows = layers.groupby(rows_column)["cycles"].sum()
    assert by_rows[2] > by_rows[4] > by_rows[8]


def test_a_smaller_buffer_refetches_from_dram(tmp_path):
    # tiny's buffer (8 KB) holds what the layers reuse, so DRAM moves each tensor once; from
    # 1 KB down the ws mappings re-fetch: DRAM energy grows as the swept buffer shrinks
    grid = {"levels.buffer.capacity_kb": [0.25, 0.5, 1, 8]}
    spec = sweep_from_dict({**GRID, "dataflows": ["ws"], "grid": grid}, source="t")
    layers = run_sweep(spec, tmp_path, executor="serial").layers
    dram = layers.groupby("levels.buffer.capacity_kb")["energy_DRAM"].sum()
    # each tensor once, 8-bit words at 200 per 16 bits; inputs padded (conv1: 3 x 10 x 10;
    # conv2, stride 2: 4 x 9 x 9, its last padded row and column never read)
    once = (108 + 3 * 10 * 10 + 256) + (288 + 4 * 9 * 9 + 128) + (1280 + 128 + 10)
    assert dram[0.25] > dram[0.5] > dram[1] == dram[8] == once * 200 / 2


def test_the_point_results_are_simulates(tmp_path):
    spec = sweep_from_dict(
        {**GRID, "grid": {"pe_array.rows": [4]}, "dataflows": ["ws"]}, source="t"
    )
    run = run_sweep(spec, tmp_path, executor="serial")
    expected = accelsim.simulate("tiny", "tiny", dataflow="ws")
    assert run.layers["energy"].tolist() == pytest.approx([r.energy for r in expected.layers])
    assert run.layers["cycles"].tolist() == [r.cycles for r in expected.layers]


def test_an_interrupted_sweep_resumes_without_duplicates_or_losses(tmp_path, monkeypatch):
    spec = sweep_from_dict(GRID, source="test")
    real_execute = runner.execute

    def crash_after(points, **options):  # the machine dies after 5 points
        for count, outcome in enumerate(real_execute(points, **options)):
            if count == 5:
                raise KeyboardInterrupt
            yield outcome

    monkeypatch.setattr(runner, "execute", crash_after)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, tmp_path, executor="serial")
    assert len(list((tmp_path / "store").glob("*.json"))) == 5
    assert not (tmp_path / "layers.csv").exists()  # no half-written table
    monkeypatch.setattr(runner, "execute", real_execute)
    run = run_sweep(spec, tmp_path, executor="serial")
    assert (run.ran, run.reused) == (24 - 5, 5)
    assert len(run.layers) == 24 * LAYERS
    assert not run.summary.duplicated(subset=["key"]).any()
    fresh = run_sweep(spec, tmp_path / "fresh", executor="serial")
    pd.testing.assert_frame_equal(sorted_table(run.layers), sorted_table(fresh.layers))


def test_a_bad_point_does_not_stop_the_others(tmp_path):
    spec = sweep_from_dict(
        {**GRID, "dataflows": ["ws"], "grid": {"levels.buffer.capacity_kb": [8, -1, 16]}},
        source="test",
    )
    run = run_sweep(spec, tmp_path, executor="serial")
    assert run.points == 3 and len(run.failed) == 1
    _, error = run.failed[0]
    assert "capacity_kb: expected a positive number (at most 274,877,906,944 KiB), got -1" in error
    assert list(run.summary["status"]) == ["ok", "error", "ok"]
    assert len(run.layers) == 2 * LAYERS


def test_dask_gives_the_same_table_as_local(tmp_path):
    pytest.importorskip("dask.distributed")
    spec = sweep_from_dict({**GRID, "grid": {"pe_array.rows": [2, 4]}}, source="test")
    local = run_sweep(spec, tmp_path / "local", executor="local", jobs=2)
    dask = run_sweep(spec, tmp_path / "dask", executor="dask", jobs=1)
    pd.testing.assert_frame_equal(sorted_table(local.layers), sorted_table(dask.layers))


@pytest.mark.parametrize(
    "path", sorted(builtin_dir("arch_configs").glob("sweeps/*.yaml")), ids=lambda p: p.stem
)
def test_every_shipped_sweep_file_loads(path):
    assert load_sweep(path).size >= 1


def test_sweep_file_errors_name_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("arch: tiny\nworkloads: tiny\ndataflows: [rs, qq]\nbogus: 1\n", "utf-8")
    with pytest.raises(accelsim.ConfigError) as error:
        load_sweep(bad)
    text = str(error.value)
    assert "bogus" in text and "qq" in text and str(bad) in text


def test_cli_sweep_writes_tables_and_exit_codes(tmp_path, capsys):
    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        "arch: tiny\nworkloads: tiny\ndataflows: [ws]\n"
        "grid: {levels.buffer.capacity_kb: [8, -1]}\n",
        "utf-8",
    )
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 1
    assert (tmp_path / "out" / "layers.csv").is_file()
    assert "1 failed" in capsys.readouterr().out
    assert main(["sweep", str(tmp_path / "missing.yaml")]) == 2


def test_cli_sweep_then_plot_and_report(tmp_path, capsys):
    sweep = Path(builtin_dir("arch_configs")) / "sweeps" / "tiny_grid.yaml"
    out = tmp_path / "out"
    # every one of the 2 x 3 x 4 points maps (arrays of at least 3 rows hold rs's 3 filter rows)
    assert main(["sweep", str(sweep), "--out", str(out), "--jobs", "1"]) == 0
    assert "24 points, 24 run now, 0 already stored, 0 failed" in capsys.readouterr().out
    assert main(["plot", str(out), "--kind", "scatter", "--out", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert main(["report", str(out), "--out", str(tmp_path / "html")]) == 0
    assert "<table" in (tmp_path / "html" / "index.html").read_text("utf-8")


def test_a_null_workload_is_a_config_error():
    with pytest.raises(accelsim.ConfigError, match=r"workloads\[1\]: expected a name or a path"):
        sweep_from_dict({"arch": "tiny", "workloads": ["tiny", None]}, source="t")
