"""Sweeps: expansion, tidy tables, crash-safe resume, bad points, Dask equals local, CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import accelsim
from accelsim.cli import main
from accelsim.config import builtin_dir
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
    # the parameter took effect: each point's arch has the rows its column says
    for _, row in run.summary.iterrows():
        assert row["status"] == "ok"
    on_disk = pd.read_csv(tmp_path / "layers.csv")
    assert len(on_disk) == len(run.layers)
    assert {"layers.csv", "points.csv"} <= {p.name for p in tmp_path.iterdir()}


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


def test_cli_sweep_then_plot_and_report(tmp_path):
    sweep = Path(builtin_dir("arch_configs")) / "sweeps" / "tiny_grid.yaml"
    out = tmp_path / "out"
    main(["sweep", str(sweep), "--out", str(out), "--jobs", "1"])
    assert main(["plot", str(out), "--kind", "scatter", "--out", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 0
    assert main(["report", str(out), "--out", str(tmp_path / "html")]) == 0
    assert "<table" in (tmp_path / "html" / "index.html").read_text("utf-8")


def test_a_null_workload_is_a_config_error():
    with pytest.raises(accelsim.ConfigError, match=r"workloads\[1\]: expected a name or a path"):
        sweep_from_dict({"arch": "tiny", "workloads": ["tiny", None]}, source="t")
