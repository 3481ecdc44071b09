"""The sweep report reads like a study: findings first, checked against brute-force readings of
the sweep's own table; plots that draw those numbers; tables that fit a browser window."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from accelsim.cli import main
from accelsim.report import plots, sweep_plots
from accelsim.report.findings import findings
from accelsim.report.html import build_page
from accelsim.report.tables import load_results
from accelsim.sweep import run_sweep, sweep_from_dict

# 2 dataflows x 2 buffer sizes x 3 array sizes (rows and cols advance together) = 12 points;
# rs cannot map the tiny CONV on a 2 x 2 array, so two points fail.
STUDY = {
    "name": "study",
    "arch": "tiny",
    "workloads": "tiny",
    "dataflows": ["rs", "ws"],
    "grid": {"levels.buffer.capacity_kb": [2, 8]},
    "zip": {"pe_array.rows": [2, 4, 8], "pe_array.cols": [2, 4, 8]},
}
PARAMETERS = ["dataflow", "levels.buffer.capacity_kb", "pe_array.rows", "pe_array.cols"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    run = run_sweep(sweep_from_dict(STUDY, source="test"), out, executor="serial")
    assert run.points == 12 and len(run.failed) == 2
    return out


@pytest.fixture(scope="module")
def tables(study):
    return pd.read_csv(study / "points.csv"), pd.read_csv(study / "layers.csv")


def label(row) -> str:
    """The label the report should give a point, written out from its parameters."""
    rows, cols = int(row["pe_array.rows"]), int(row["pe_array.cols"])
    return (
        f"{row['dataflow']}, capacity_kb={int(row['levels.buffer.capacity_kb'])}, "
        f"rows×cols={rows}×{cols}"
    )


def test_swept_axes_constants_and_effective_precision(tables):
    points, layers = tables
    found = findings(points, layers)
    assert [axis.columns for axis in found.axes] == [
        ("dataflow",),
        ("levels.buffer.capacity_kb",),
        ("pe_array.rows", "pe_array.cols"),
    ]
    assert found.axes[2].values == ((2, 2), (4, 4), (8, 8))
    assert found.failed == 2 and len(found.points) == 10
    # tiny's MAC unit is 8 x 8 bits and the sweep does not set a precision: 8, never NaN
    assert found.constants["weight_bits"] == 8 and found.constants["input_bits"] == 8
    assert {"workload", "arch", "objective", "batch"} <= set(found.constants)
    # a points table without the precision (an older sweep) takes it from the layers
    blank = points.assign(weight_bits=np.nan, input_bits=np.nan)
    assert findings(blank, layers).constants["weight_bits"] == 8
    assert "weight_bits" not in findings(blank).constants  # unknown: left out, not NaN


@pytest.mark.parametrize(("objective", "column"), [("energy", "energy"), ("cycles", "cycles"),
                                                   ("EDP", None)])  # fmt: skip
def test_best_point_and_margins_by_brute_force(tables, objective, column):
    points, layers = tables
    found = findings(points, layers)
    best = next(b for b in found.best if b.objective == objective)
    ran = [row for _, row in points.iterrows() if row["status"] == "ok"]

    def value(row):
        return row["energy"] * row["cycles"] if column is None else row[column]

    lowest = min(value(row) for row in ran)
    assert best.value == pytest.approx(lowest, rel=1e-12)
    tied = [row for row in ran if abs(value(row) - lowest) <= 1e-9 * lowest]
    assert best.ties == len(tied) - 1
    assert found.label(best.row) in {label(row) for row in tied}
    second = min(value(row) for row in ran if value(row) > lowest * (1 + 1e-9))
    assert best.ratio(best.runner_up) == pytest.approx(second / lowest, rel=1e-12)
    first_ran = ran[0]  # the default baseline: the first point that ran (point 1)
    assert first_ran["point"] == 1
    assert best.ratio(best.baseline) == pytest.approx(value(first_ran) / lowest, rel=1e-12)


def test_pareto_set_is_the_points_nothing_dominates(tables):
    points, layers = tables
    found = findings(points, layers)
    ran = points[points["status"] == "ok"]
    pairs = list(zip(ran["cycles"], ran["energy"], ran["point"], strict=True))
    undominated = {
        point
        for c, e, point in pairs
        if not any(c2 <= c and e2 <= e and (c2, e2) != (c, e) for c2, e2, _ in pairs)
    }
    # of exact duplicates the front keeps one: compare the distinct (cycles, energy) values
    values = {(c, e) for c, e, point in pairs if point in undominated}
    assert set(zip(found.pareto["cycles"], found.pareto["energy"], strict=True)) == values
    assert len(found.pareto) == len(values)


def test_the_page_opens_with_the_findings_and_shows_no_nan_nor_keys(study, tables):
    points, _ = tables
    page = build_page(load_results(study))
    first_table, first_image = page.index("<table"), page.index("<img")
    assert page.index("id='findings'") < min(first_table, first_image)
    context = re.search(r"<p class='context'>(.*?)</p>", page).group(1)
    assert context == (
        "tiny, batch 1, tiny, eyeriss_normalized table, mapped for energy, "
        "8-bit weights × 8-bit inputs"
    )
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)  # the images' bytes
    assert "nan" not in text.lower().replace("normalized", "")
    for key in points["key"]:
        assert key not in page  # kept in the CSV, hidden in the page
    cycles = int(points["cycles"].dropna().max())
    assert f"{cycles:,}" in page and cycles > 1000  # thousands separators
    assert "energy [norm.]" in page and "utilization [%]" in page
    assert "http://" not in page and "https://" not in page  # self-contained
    assert page.count("data:image/png;base64,") == 3  # scatter, effects, Pareto breakdown
    layers_head = re.findall(r"<th[^>]*>([^<]*)</th>", page[page.index("<h2>Layers</h2>") :])
    assert layers_head[:6] == ["point", "dataflow", "capacity_kb", "rows", "cols", "network"]


def test_effect_table_is_min_and_max_over_the_other_axes(tables):
    points, layers = tables
    found = findings(points, layers)
    buffer = found.axes[1]
    table = sweep_plots.effect_table(found, buffer, "energy")
    ran = points[points["status"] == "ok"]
    for capacity in (2, 8):
        for flow in ("rs", "ws"):
            rows = [
                row["energy"]
                for _, row in ran.iterrows()
                if row["levels.buffer.capacity_kb"] == capacity and row["dataflow"] == flow
            ]
            assert table.loc[str(capacity), (flow, "min")] == min(rows)
            assert table.loc[str(capacity), (flow, "max")] == max(rows)
    figure = sweep_plots.parameter_effects(found)
    assert [a.get_xlabel() for a in figure.axes[2:4]] == [
        "levels.buffer.capacity_kb",
        "pe_array.rows × pe_array.cols",
    ]
    rs_energy = figure.axes[0].get_lines()[0].get_ydata()
    assert list(rs_energy) == [table.loc["2", ("rs", "min")], table.loc["8", ("rs", "min")]]
    plots.plt.close(figure)


def test_pareto_breakdown_draws_each_pareto_points_components(tables):
    points, layers = tables
    found = findings(points, layers)
    figure = sweep_plots.pareto_breakdown(found)
    axis = figure.axes[0]
    tops: dict[float, float] = {}
    for patch in axis.patches:
        x = round(patch.get_x() + patch.get_width() / 2, 6)
        tops[x] = max(tops.get(x, 0.0), patch.get_y() + patch.get_height())
    expected = [row["energy"] / row["macs"] for _, row in found.pareto.iterrows()]
    assert list(tops.values()) == pytest.approx(expected)
    ticks = [t.get_text() for t in axis.get_xticklabels()]
    assert ticks == [label(row).replace(", ", "\n") for _, row in found.pareto.iterrows()]
    assert "tiny, batch 1, tiny, eyeriss_normalized table" in axis.get_title()
    plots.plt.close(figure)


def test_scatter_labels_the_pareto_points_and_goes_log_over_a_decade(tables):
    points, _ = tables
    figure = plots.sweep_scatter(points)
    axis = figure.axes[0]
    ran = points[points["status"] == "ok"]
    spans = {c: ran[c].max() / ran[c].min() for c in ("cycles", "energy")}
    assert axis.get_xscale() == ("log" if spans["cycles"] >= 10 else "linear")
    assert axis.get_yscale() == ("log" if spans["energy"] >= 10 else "linear")
    texts = sorted(t.get_text() for t in axis.texts)
    front = plots.pareto_front(ran["cycles"].tolist(), ran["energy"].tolist())
    assert texts == sorted(label(ran.iloc[i]) for i in front)
    assert axis.xaxis.get_major_formatter().__class__.__name__ == "EngFormatter"
    plots.plt.close(figure)
    decades = pd.DataFrame({"cycles": [1e3, 1e6, 5e5], "energy": [3.0, 1.0, 2.0], "p": [1, 2, 3]})
    figure = plots.sweep_scatter(decades, color=None)
    assert (figure.axes[0].get_xscale(), figure.axes[0].get_yscale()) == ("log", "linear")
    plots.plt.close(figure)


def test_bars_per_point_are_labelled_by_the_points_parameters(study, tmp_path, tables):
    points, layers = tables
    ws = layers[layers["dataflow"] == "ws"]
    figure = plots.energy_breakdown(ws, by="category", bars="point")
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    ws_points = points[points["dataflow"] == "ws"]
    # dataflow is constant in the ws rows: the labels name the buffer and the array only
    assert ticks == [
        f"capacity_kb={int(r['levels.buffer.capacity_kb'])}\nrows×cols={int(r['pe_array.rows'])}"
        f"×{int(r['pe_array.cols'])}"
        for _, r in ws_points.iterrows()
    ]
    plots.plt.close(figure)
    # rotated one-line labels (a group per layer) get room below the axis: it keeps its height
    figure = plots.energy_breakdown(layers, by="category", bars="point", per="layer")
    inches = figure.axes[0].get_position().height * figure.get_figheight()
    assert inches >= 2.5
    assert {t.get_rotation() for t in figure.axes[0].get_xticklabels()} == {90.0}
    plots.plt.close(figure)


def test_where_on_a_sweep_names_the_columns_that_still_vary(study, tmp_path, capsys):
    out = tmp_path / "x.png"
    assert main(["plot", str(study), "--where", "dataflow=ws", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "the rows still differ in levels.buffer.capacity_kb (2, 8); pe_array.rows (2, 4, 8)" in (
        error
    )
    assert "--bars point" in error and not out.exists()


def test_report_baseline_must_be_a_point_that_ran(study, tmp_path, capsys):
    assert main(["report", str(study), "--out", str(tmp_path), "--baseline", "0"]) == 2
    assert "--baseline: expected the number of a point that ran, got 0" in capsys.readouterr().err
    assert not (tmp_path / "index.html").exists()
    assert main(["report", str(study), "--out", str(tmp_path), "--baseline", "7"]) == 0
    page = (tmp_path / "index.html").read_text("utf-8")
    assert "margins are taken against the baseline, point 7: ws, capacity_kb=2, rows×cols=4×4" in (
        page
    )


CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)  # fmt: skip
# Appended to a copy of the page: measure the layout once loaded and write it into the DOM,
# which --dump-dom then prints.
PROBE = """<script>
window.addEventListener('load', function () {
  var boxes = Array.from(document.querySelectorAll('.box'));
  var images = Array.from(document.images);
  var right = function (e) { return e.getBoundingClientRect().right; };
  // the layers' table: sort it by cycles (click, click again), then scroll its box
  var layers = boxes[boxes.length - 1], table = layers.querySelector('table');
  var cycles = Array.from(table.tHead.rows[0].cells).findIndex(function (th) {
    return th.title === 'cycles';
  });
  var column = function () {
    return Array.from(table.tBodies[0].rows).map(function (r) {
      return parseFloat(r.cells[cycles].dataset.v);
    });
  };
  table.tHead.rows[0].cells[cycles].click();
  var up = column();
  table.tHead.rows[0].cells[cycles].click();
  var down = column();
  layers.scrollTop = 100;
  var probe = document.createElement('pre');
  probe.id = 'probe';
  probe.textContent = JSON.stringify({
    sorted_up: up, sorted_down: down,
    scrolled: layers.scrollTop,
    header_offset: table.tHead.rows[0].cells[0].getBoundingClientRect().top -
      layers.getBoundingClientRect().top,
    viewport: document.documentElement.clientWidth,
    page: document.documentElement.scrollWidth,
    widest_box: Math.max.apply(null, boxes.map(right)),
    findings: !!document.getElementById('findings'),
    images: images.length,
    images_drawn: images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    widest_image: Math.max.apply(null, images.map(right))
  });
  document.body.appendChild(probe);
});
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium (apt-get install chromium)")
def test_the_page_in_a_real_browser_fits_the_window(study, tmp_path):
    import json

    assert main(["report", str(study), "--out", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text("utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"), "utf-8")
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1024,768",
         "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout)
    assert found, result.stdout[-2000:]
    layout = json.loads(found.group(1).replace("&quot;", '"'))
    assert layout["findings"]
    assert layout["images"] == layout["images_drawn"] == 3
    assert layout["page"] <= layout["viewport"]  # nothing runs off the right edge
    assert layout["widest_box"] <= layout["viewport"]
    assert layout["widest_image"] <= layout["viewport"]
    # the headers sort (numbers by value, both ways) and stay in view when the box scrolls
    layers = pd.read_csv(study / "layers.csv")
    assert layout["sorted_up"] == sorted(layers["cycles"])
    assert layout["sorted_down"] == sorted(layers["cycles"], reverse=True)
    assert layout["scrolled"] == 100  # the box scrolls (its table is taller than 30em)
    assert abs(layout["header_offset"]) <= 2  # sticky: still at the top of its box


def test_each_parameters_effect_is_stated_from_the_table(study, tables):
    points, _ = tables
    page = build_page(load_results(study))
    ran = points[points["status"] == "ok"]

    def best(flow, rows, measure):
        return ran[(ran["dataflow"] == flow) & (ran["pe_array.rows"] == rows)][measure].min()

    # ws from a 2 x 2 to an 8 x 8 array; rs cannot map on 2 x 2, so it has no change to state
    energy = best("ws", 8, "energy") / best("ws", 2, "energy") - 1
    cycles = best("ws", 8, "cycles") / best("ws", 2, "cycles") - 1
    assert (
        f"<li>pe_array.rows × pe_array.cols 2×2 → 8×8: energy ws {energy * 100:+.1f} %; "
        f"cycles ws {cycles * 100:+.1f} %</li>"
    ) in page
    # the buffer does not change the tiny layers' results: no change, for both dataflows
    assert (
        "<li>levels.buffer.capacity_kb 2 → 8: energy rs +0.0 %, ws +0.0 %; "
        "cycles rs +0.0 %, ws +0.0 %</li>"
    ) in page


def test_a_one_dataflow_run_reports_without_rankings(tmp_path):
    assert main(["run", "--arch", "tiny", "--workload", "tiny", "--batch", "2",
                 "--dataflows", "ws", "--out", str(tmp_path)]) == 0  # fmt: skip
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "index.html").read_text("utf-8")
    assert "<li>1 point ran.</li>" in page and "Best point per objective" not in page
    assert "tiny, batch 2, tiny, eyeriss_normalized table, 8-bit weights × 8-bit inputs, " in page
    assert page.count("<img alt=") == 2  # the run's energy breakdown and cycles per layer
