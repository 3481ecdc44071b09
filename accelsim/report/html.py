"""A self-contained HTML report of a results folder: the findings first (what was swept, the best
point per objective with its margins, the Pareto set), then the plots and the tables. Images are
embedded and the sorting script is inline, so the page needs no network when viewed."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd

from accelsim.atomic import write_text
from accelsim.errors import ConfigError, Problem
from accelsim.report import plots, sweep_plots
from accelsim.report.findings import (
    Axis,
    Best,
    Findings,
    cell,
    effect_axes,
    effects,
    findings,
    parameter_columns,
    short,
)
from accelsim.report.tables import Results
from accelsim.report.text import constants_line, energy_unit, format_cell, header, number

LAYER_COLUMNS = (
    "point", "network", "dataflow", "layer", "macs", "cycles", "stall_cycles", "utilization",
    "energy", "energy_per_mac", "energy_ALU", "energy_RF", "energy_array", "energy_buffer",
    "energy_DRAM",
)  # fmt: skip
POINT_COLUMNS_HIDDEN = ("key", "network", "energy_unit", "status", "error")
STYLE = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1200px; padding: 0 1em;
       color: #222; }
p.context { font-size: 15px; color: #444; }
.box { max-width: 100%; max-height: 30em; overflow: auto; border: 1px solid #ccc;
       margin-bottom: 2em; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 8px; text-align: right;
         white-space: nowrap; }
th { background: #f3f3f3; position: sticky; top: 0; cursor: pointer; }
td.text, th.text { text-align: left; }
ul.findings li { margin-bottom: .3em; }
img { max-width: 100%; margin-bottom: 2em; }
"""
# Click a header to sort by it (numbers by value, text alphabetically); click again to reverse.
SCRIPT = """
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var column = th.cellIndex, body = th.closest('table').tBodies[0], up = th.dataset.up !== '1';
    th.dataset.up = up ? '1' : '0';
    var rows = Array.from(body.rows), key = function (row) {
      var c = row.cells[column], v = c.dataset.v;
      return v === undefined ? c.textContent : parseFloat(v);
    };
    rows.sort(function (a, b) {
      var x = key(a), y = key(b), r = x < y ? -1 : x > y ? 1 : 0;
      return up ? r : -r;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""


def write_report(results: Results, out_dir: str | Path, *, baseline: int | None = None) -> Path:
    """Write ``out_dir/index.html`` (atomically) and return its path. ``baseline`` is the
    ``point`` the margins are taken against (default: the first point that ran). Raises
    ConfigError for a baseline that is not a point that ran (nothing is written then)."""
    return write_text(Path(out_dir) / "index.html", build_page(results, baseline=baseline))


def build_page(results: Results, *, baseline: int | None = None) -> str:
    """The report as one HTML page."""
    title = f"accelsim report: {Path(results.source).name}"
    found = _findings(results, baseline)
    sections = [f"<h1>{html.escape(title)}</h1>"]
    if found is not None:
        run = _per_dataflow(results.layers)
        sections += [_context(found), _findings_section(found), _sweep_plots(found, run)]
    elif results.points is not None:
        sections.append("<p id='findings'>No point of the table ran; see the errors below.</p>")
    sections += _layer_plots(results.layers)
    if results.points is not None:
        errors = _has_errors(results.points)
        hidden = [c for c in POINT_COLUMNS_HIDDEN if c != "error" or not errors]
        constant = list(found.constants) if found is not None else []
        sections.append("<h2>Points</h2>" + _table(results.points, hidden + constant))
    if results.layers is not None:
        sections.append("<h2>Layers</h2>" + _table(_layer_columns(results.layers), []))
    sections.append(f"<p>Results: {html.escape(results.source)}</p>")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(sections)}<script>{SCRIPT}</script></body></html>"
    )


def _findings(results: Results, baseline: int | None) -> Findings | None:
    if results.points is None or not {"energy", "cycles"} <= set(results.points.columns):
        return None
    try:
        return findings(results.points, results.layers, baseline=baseline)
    except ValueError as error:
        if baseline is None:
            return None
        raise ConfigError(
            Problem(results.source, "--baseline", "the number of a point that ran", baseline)
        ) from error


def _has_errors(points: pd.DataFrame) -> bool:
    return "error" in points and points["error"].notna().any()


def _context(found: Findings) -> str:
    return f"<p class='context'>{html.escape(constants_line(found.constants, found.points))}</p>"


def _findings_section(found: Findings) -> str:
    unit = energy_unit(found.points)
    items = [
        f"<li><b>{html.escape(axis.name)}</b>{' (together)' if len(axis.columns) > 1 else ''}: "
        f"{html.escape(', '.join('×'.join(cell(v) for v in value) for value in axis.values))}</li>"
        for axis in found.axes
    ]
    items += [_effect_item(found, axis) for axis in effect_axes(found)]
    ran = f"{len(found.points)} point{'s' if len(found.points) != 1 else ''} ran"
    failed = f", {found.failed} failed" if found.failed else ""
    base = html.escape(_name(found, found.baseline))
    against = f"; margins are taken against the baseline, {base}" if len(found.points) > 1 else ""
    items.append(f"<li>{ran}{failed}{against}.</li>")
    parts = ["<section id='findings'><h2>Findings</h2>",
             "<h3>Swept parameters (changes: best over the other parameters)</h3>",
             f"<ul class='findings'>{''.join(items)}</ul>"]  # fmt: skip
    if len(found.points) > 1:
        rows = "".join(_best_row(found, best, unit) for best in found.best)
        parts.append(
            "<h3>Best point per objective</h3><div class='box'><table id='best'><thead><tr>"
            "<th class='text'>objective</th><th class='text'>best point</th><th>value</th>"
            "<th class='text'>runner-up</th><th>runner-up / best</th><th>baseline / best</th>"
            f"</tr></thead><tbody>{rows}</tbody></table></div>"
        )
        parts.append(
            f"<h3>Pareto set (cycles against energy): {len(found.pareto)} of "
            f"{len(found.points)} points</h3>" + _pareto_table(found)
        )
    parts.append(f"<p>Energies in {html.escape(unit)}; EDP is energy × cycles.</p></section>")
    return "".join(parts)


def _effect_item(found: Findings, axis: Axis) -> str:
    """``capacity_kb 64 → 256: energy rs -7.5 %, ws -4.3 %; cycles rs +12.7 %, ws -1.2 %``."""
    first, last = ("×".join(cell(v) for v in value) for value in (axis.values[0], axis.values[-1]))
    measures = "; ".join(
        f"{measure} " + ", ".join(f"{flow} {change * 100:+.1f} %" for flow, change in by.items())
        for measure, by in effects(found, axis).items()
    )
    return f"<li>{html.escape(f'{axis.name} {first} → {last}: {measures}')}</li>"


def _name(found: Findings, row: pd.Series) -> str:
    point = f"point {cell(row['point'])}: " if "point" in row else ""
    return point + found.label(row)


def _best_row(found: Findings, best: Best, unit: str) -> str:
    runner = best.runner_up
    ties = f" (and {best.ties} more with the same value)" if best.ties else ""
    cells = [
        f"<td class='text'>{best.objective}</td>",
        f"<td class='text'>{html.escape(_name(found, best.row) + ties)}</td>",
        f"<td>{number(best.value, best.column, unit)}</td>",
        f"<td class='text'>{html.escape(_name(found, runner)) if runner is not None else '-'}</td>",
        f"<td>{_ratio(best.ratio(runner))}</td>",
        f"<td>{_ratio(best.ratio(best.baseline))}</td>",
    ]
    return f"<tr>{''.join(cells)}</tr>"


def _ratio(ratio: float | None) -> str:
    """``1.081× (+8.1 %)``: how much more the other point needs than the best."""
    if ratio is None:
        return "-"
    return f"{ratio:.3f}× (+{(ratio - 1) * 100:.1f} %)"


def _pareto_table(found: Findings) -> str:
    pareto = found.pareto.copy()
    pareto.insert(0, "parameters", [found.label(row) for _, row in pareto.iterrows()])
    columns = ["point", "parameters", "energy", "cycles", "edp", "energy_per_mac", "utilization"]
    return _table(pareto[[c for c in columns if c in pareto]], [])


def _sweep_plots(found: Findings, run: bool) -> str:
    """The scatter, the parameter effects and, for a sweep (``run`` False: the run's own energy
    breakdown shows every dataflow already), the Pareto points' energy breakdown."""
    if len(found.points) < 2:
        return ""
    parts = ["<h2>Plots</h2>", _figure(plots.sweep_scatter(found.points), "energy against cycles")]
    effects = sweep_plots.parameter_effects(found)
    if effects is not None:
        parts.append(_figure(effects, "energy and cycles against each swept parameter"))
    if not run:
        breakdown = sweep_plots.pareto_breakdown(found)
        parts.append(_figure(breakdown, "energy per MAC of the Pareto points"))
    return "".join(parts)


def _layer_plots(layers: pd.DataFrame | None) -> list[str]:
    """The run's figures (one result per dataflow and layer); a sweep's layers have several."""
    if layers is None or not _per_dataflow(layers):
        return []
    return [
        "<h2>Energy breakdown</h2>"
        + _figure(plots.energy_breakdown(layers), "energy per MAC by component and data type"),
        "<h2>Cycles per layer</h2>"
        + _figure(plots.layer_cycles(layers), "cycles and utilization per layer"),
    ]


def _layer_columns(layers: pd.DataFrame) -> pd.DataFrame:
    """The per-layer table as shown: the point, the parameters that vary (a sweep's), then the
    network, dataflow, layer and the main results."""
    swept = [c for c in parameter_columns(layers) if layers[c].astype(str).nunique() > 1]
    columns = [c for c in LAYER_COLUMNS if c in layers.columns]
    return layers[list(dict.fromkeys([*columns[:1], *swept, *columns]))]


def _per_dataflow(layers: pd.DataFrame | None) -> bool:
    """Whether the per-layer table has one row per dataflow and layer (a run, not a sweep)."""
    return layers is not None and not layers.duplicated(subset=["layer", "dataflow"]).any()


def _table(frame: pd.DataFrame, hidden: list[str]) -> str:
    """A sortable table in a scrolling box: numbers formatted with units and thousands
    separators, the raw value kept in ``data-v`` for sorting; empty columns left out."""
    columns = [c for c in frame.columns if c not in hidden and frame[c].notna().any()]
    unit = energy_unit(frame)
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) for c in columns}
    head = "".join(
        f"<th{'' if numeric[c] else ' class=text'} title='{html.escape(c)}'>"
        f"{html.escape(header(short(c) if '.' in c else c, unit))}</th>"
        for c in columns
    )
    body = []
    for row in frame[columns].itertuples(index=False):
        cells = [format_cell(value, column, unit, numeric[column]) for column, value in
                 zip(columns, row, strict=True)]  # fmt: skip
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<div class='box'><table class='sortable'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _figure(figure, alt: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plots.plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"
