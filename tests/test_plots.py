"""Plots render without a display, and the numbers they draw are the table's numbers."""

from __future__ import annotations

import re

import matplotlib
import pandas as pd
import pytest

import accelsim
from accelsim.cli import main
from accelsim.report import plots
from accelsim.report.findings import findings

matplotlib.use("Agg")
UNIT = "MAC energy (normalized; 1 = one 16-bit MAC)"  # the eyeriss_normalized table's unit
CONTEXT = "tiny, batch 2, tiny, eyeriss_normalized table"  # workload, batch, arch, table


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
    tops: dict[float, float] = {}
    for patch in axis.patches:
        x = round(patch.get_x() + patch.get_width() / 2, 6)
        tops[x] = max(tops.get(x, 0.0), patch.get_y() + patch.get_height())
    # each bar, left to right, is its dataflow's total energy over its MACs, from the CSV
    expected = [
        layers.loc[layers["dataflow"] == flow, "energy"].sum()
        / layers.loc[layers["dataflow"] == flow, "macs"].sum()
        for flow in ("rs", "ws", "nlr")
    ]
    assert [tops[x] for x in sorted(tops)] == pytest.approx(expected)
    assert [t.get_text() for t in axis.get_xticklabels()] == ["rs", "ws", "nlr"]
    assert figure._suptitle.get_text() == f"Energy breakdown per dataflow: {CONTEXT}"
    # the unit stays whole on its own line, never wrapped inside its parentheses
    assert axis.get_ylabel().split("\n") == ["energy per MAC", f"({UNIT})"]
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
    utilization = figure.axes[1]
    by_flow = [layers[layers["dataflow"] == flow]["utilization"] for flow in ("rs", "ws", "nlr")]
    assert [p.get_height() for p in utilization.patches] == pytest.approx(pd.concat(by_flow))
    assert [t.get_text() for t in utilization.get_xticklabels()] == list(layers["layer"].unique())
    assert CONTEXT in figure._suptitle.get_text()
    plots.plt.close(figure)


def test_summary_csv_has_the_screens_columns_and_clean_names(run_dir, capsys):
    summary = pd.read_csv(run_dir / "summary.csv")
    layers = pd.read_csv(run_dir / "layers.csv")
    for frame in (summary, layers):
        bad = [c for c in frame.columns if not re.fullmatch(r"[A-Za-z0-9_.]+", c)]
        assert bad == []
    assert "energy_mac_compute" in layers.columns
    # utilization: useful MACs over 16 PEs (tiny's 4 x 4) x 1 MAC per cycle (8-bit unit)
    for flow in ("rs", "ws", "nlr"):
        rows = layers[layers["dataflow"] == flow]
        row = summary[summary["dataflow"] == flow].iloc[0]
        assert row["utilization"] == pytest.approx(rows["macs"].sum() / (rows["cycles"].sum() * 16))
        assert (row["arch"], row["energy_table"], row["weight_bits"], row["input_bits"]) == (
            "tiny", "eyeriss_normalized", 8, 8
        )  # fmt: skip
    # and the screen prints the same utilization
    assert main(["run", "--arch", "tiny", "--workload", "tiny", "--batch", "2",
                 "--dataflows", "rs,ws,nlr", "--out", str(run_dir)]) == 0  # fmt: skip
    screen = {line.split()[0]: line.split()[-1] for line in capsys.readouterr().out.splitlines()}
    for _, row in summary.iterrows():
        assert screen[row["dataflow"]] == f"{row['utilization']:.2f}"


def test_pareto_front():
    assert plots.pareto_front([1, 2, 3, 2], [3, 1, 2, 5]) == [0, 1]


TITLES = {
    "energy": f"Energy breakdown per dataflow: {CONTEXT}",
    "cycles": f"Cycles and utilization per layer: {CONTEXT}",
    "scatter": f"energy against cycles over 3 points: {CONTEXT}",
}


@pytest.mark.parametrize("kind", ["energy", "cycles", "scatter"])
def test_plot_cli_writes_png_and_svg(run_dir, tmp_path, kind):
    for suffix in ("png", "svg"):
        out = tmp_path / f"{kind}.{suffix}"
        assert main(["plot", str(run_dir), "--kind", kind, "--out", str(out)]) == 0
    # the SVG keeps each text drawn as a comment: the title and every dataflow are there
    texts = re.findall(r"<!-- (.*?) -->", (tmp_path / f"{kind}.svg").read_text("utf-8"))
    assert TITLES[kind] in texts
    assert {"rs", "ws", "nlr"} <= set(texts)
    image = matplotlib.image.imread(tmp_path / f"{kind}.png")
    assert image.shape[0] > 300 and image.shape[1] > 300
    assert image[..., :3].std() > 0.05  # something is drawn, not a blank canvas


def test_plot_cli_bad_input(run_dir, tmp_path, capsys):
    assert main(["plot", str(tmp_path / "nothing"), "--out", str(tmp_path / "x.png")]) == 2
    assert main(["plot", str(run_dir), "--out", str(tmp_path / "x.pdf")]) == 2
    assert main(["plot", str(run_dir), "--where", "dataflow=zz",
                 "--out", str(tmp_path / "x.png")]) == 2  # fmt: skip
    errors = capsys.readouterr().err
    assert f"{tmp_path / 'nothing'}: expected an existing results CSV file" in errors
    assert "--out: expected a .png or .svg file" in errors
    assert "--where: expected conditions some rows meet" in errors
    assert not (tmp_path / "x.png").exists()


def test_report_is_self_contained(run_dir, tmp_path):
    assert main(["report", str(run_dir), "--out", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text("utf-8")
    # scatter, the run's energy breakdown and cycles per layer, all embedded
    assert page.count("<img alt=") == page.count("src='data:image/png;base64,") == 3
    assert "src='http" not in page and "href='http" not in page
    summary = pd.read_csv(run_dir / "summary.csv")
    best = summary.loc[summary["energy"].idxmin()]
    row = re.search(r"<tr><td class='text'>energy</td><td class='text'>(.*?)</td>", page)
    assert row.group(1) == best["dataflow"]
    runner_up = sorted(summary["energy"])[1] / best["energy"]
    assert f"{runner_up:.3f}× (+{(runner_up - 1) * 100:.1f} %)" in page
    assert findings(summary).best[0].row["dataflow"] == best["dataflow"]
