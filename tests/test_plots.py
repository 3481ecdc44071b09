"""Plots render without a display, and the numbers they draw are the table's numbers."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

import accelsim
from accelsim.cli import main
from accelsim.report import plots
from accelsim.report.tables import load_results

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["run", "--arch", "tiny", "--workload", "tiny", "--batch", "2",
                 "--dataflows", "rs,ws,nlr", "--out", str(out)]) == 0  # fmt: skip
    return out


def test_run_writes_tables_and_the_energy_plot(run_dir):
    assert {"layers.csv", "summary.csv", "energy_breakdown.png"} <= {
        p.name for p in run_dir.iterdir()
    }


def test_energy_numbers_are_the_tables(run_dir):
    layers = pd.read_csv(run_dir / "layers.csv")
    table = plots.energy_table(layers, by="category")
    for flow in ("rs", "ws", "nlr"):
        rows = layers[layers["dataflow"] == flow]
        expected = rows["energy_DRAM"].sum() / rows["macs"].sum()
        assert table.loc[("tiny", flow), "DRAM"] == pytest.approx(expected)
        assert table.loc[("tiny", flow)].sum() == pytest.approx(
            rows["energy"].sum() / rows["macs"].sum()
        )
    simulated = accelsim.simulate("tiny", "tiny", dataflow="ws", batch=2)
    assert table.loc[("tiny", "ws")].sum() == pytest.approx(simulated.energy_per_mac)


def test_the_bars_drawn_are_the_table(run_dir):
    layers = pd.read_csv(run_dir / "layers.csv")
    figure = plots.energy_breakdown(layers, by="category")
    axis = figure.axes[0]
    tops = {}
    for patch in axis.patches:
        x = round(patch.get_x() + patch.get_width() / 2, 6)
        tops[x] = max(tops.get(x, 0.0), patch.get_y() + patch.get_height())
    table = plots.energy_table(layers, by="category")
    assert sorted(tops.values()) == pytest.approx(sorted(table.sum(axis=1)))
    plots.plt.close(figure)


def test_cycles_plot_splits_compute_and_stall(run_dir):
    layers = pd.read_csv(run_dir / "layers.csv")
    figure = plots.layer_cycles(layers)
    heights = sorted(p.get_height() for p in figure.axes[0].patches if p.get_height() > 0)
    expected = sorted(
        [v for v in (layers["cycles"] - layers["stall_cycles"]) if v > 0]
        + [v for v in layers["stall_cycles"] if v > 0]
    )
    assert heights == pytest.approx(expected)
    plots.plt.close(figure)


def test_pareto_front():
    assert plots.pareto_front([1, 2, 3, 2], [3, 1, 2, 5]) == [0, 1]


@pytest.mark.parametrize("kind", ["energy", "cycles", "scatter"])
def test_plot_cli_writes_png_and_svg(run_dir, tmp_path, kind):
    for suffix in ("png", "svg"):
        out = tmp_path / f"{kind}.{suffix}"
        assert main(["plot", str(run_dir), "--kind", kind, "--out", str(out)]) == 0
        assert out.stat().st_size > 1000


def test_plot_cli_bad_input(run_dir, tmp_path, capsys):
    assert main(["plot", str(tmp_path / "nothing"), "--out", str(tmp_path / "x.png")]) == 2
    assert main(["plot", str(run_dir), "--out", str(tmp_path / "x.pdf")]) == 2
    assert main(["plot", str(run_dir), "--where", "dataflow=zz",
                 "--out", str(tmp_path / "x.png")]) == 2  # fmt: skip
    errors = capsys.readouterr().err
    assert "nothing: expected an existing results CSV file" in errors or "nothing" in errors
    assert "--out: expected a .png or .svg file" in errors
    assert "--where: expected conditions some rows meet" in errors
    assert not (tmp_path / "x.png").exists()


def test_report_is_self_contained(run_dir, tmp_path):
    assert main(["report", str(run_dir), "--out", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text("utf-8")
    assert page.count("data:image/png;base64,") >= 2 and "<table" in page
    assert load_results(run_dir).layers is not None
