"""Plots that answer a sweep's question, drawn from its :class:`~accelsim.report.findings.Findings`:

- :func:`parameter_effects`: small multiples, one column per swept axis (other than the dataflow)
  and one row per measure (energy, cycles): the measure at each value of the axis, one line per
  dataflow, as the best over the other axes (solid) and their range (shaded);
- :func:`pareto_breakdown`: the energy per MAC of each Pareto point, stacked by component.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from accelsim.energy.pricing import CATEGORIES
from accelsim.report.findings import Findings, cell, effect_axes, effect_table
from accelsim.report.plots import COLORS, _scale, _unit, context, plt, unit_label, wrap_label

MEASURES = (("energy", "energy"), ("cycles", "cycles"))


def parameter_effects(findings: Findings, *, title: str | None = None) -> Figure | None:
    """Energy and cycles against each swept axis, one line per dataflow; None when the sweep
    has no axis besides the dataflow."""
    axes = effect_axes(findings)
    if not axes:
        return None
    figure, grid = plt.subplots(
        len(MEASURES), len(axes), figsize=(3.2 * len(axes) + 1.8, 5.6), squeeze=False
    )
    colors = plt.get_cmap("tab10")
    unit = _unit(findings.points)
    for column, axis in enumerate(axes):
        for row, (measure, name) in enumerate(MEASURES):
            panel = grid[row, column]
            table = effect_table(findings, axis, measure)
            x = np.arange(len(table))
            for index, flow in enumerate(dict.fromkeys(f for f, _ in table.columns)):
                color = colors(index % 10)
                low, high = table[(flow, "min")], table[(flow, "max")]
                panel.plot(x, low, marker="o", markersize=4, color=color, label=str(flow))
                panel.fill_between(x, low, high, color=color, alpha=0.15, linewidth=0)
            values = [cell(v) for v in table.index]
            panel.set_xticks(x, values, fontsize=8)
            panel.set_xlim(-0.3, len(x) - 0.7)
            _scale(panel, panel.yaxis, findings.points[measure])
            panel.grid(alpha=0.3, which="both")
            if column == 0:
                panel.set_ylabel(unit_label(name, unit) if name == "energy" else name, fontsize=9)
            if row == len(MEASURES) - 1:
                panel.set_xlabel(axis.name, fontsize=9)
    grid[0, -1].legend(
        loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8,
        title="dataflow\n(line: best over the\nother axes; band:\ntheir range)", title_fontsize=7,
    )  # fmt: skip
    figure.suptitle(
        title or f"Effect of each swept parameter: {context(findings.points)}", fontsize=10
    )
    figure.tight_layout()
    return figure


def breakdown_table(findings: Findings) -> pd.DataFrame:
    """Energy per MAC of each Pareto point by component, indexed by the point's label."""
    pareto = findings.pareto
    columns = [f"energy_{category}" for category in CATEGORIES if f"energy_{category}" in pareto]
    table = pareto[columns].div(pareto["macs"], axis=0)
    table.columns = [column.removeprefix("energy_") for column in columns]
    table.index = [findings.label(row) for _, row in pareto.iterrows()]
    return table


def pareto_breakdown(findings: Findings, *, title: str | None = None) -> Figure:
    """Stacked bars of energy per MAC by component, one bar per Pareto point (cycles against
    energy), labelled by its parameters."""
    table = breakdown_table(findings)
    figure, axis = plt.subplots(figsize=(max(5.0, 1.5 * len(table) + 2.5), 4.2))
    bottom = np.zeros(len(table))
    x = np.arange(len(table))
    for part in table.columns:
        values = table[part].to_numpy(dtype=float)
        axis.bar(x, values, 0.7, bottom=bottom, label=part, color=COLORS.get(part),
                 edgecolor="white", linewidth=0.5)  # fmt: skip
        bottom += values
    axis.set_xticks(x, [wrap_label(name) for name in table.index], fontsize=8)
    axis.set_ylabel(unit_label("energy per MAC", _unit(findings.points)), fontsize=9)
    axis.grid(axis="y", alpha=0.3)
    axis.set_axisbelow(True)
    handles, labels = axis.get_legend_handles_labels()
    axis.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0),
                frameon=False, fontsize=8)  # fmt: skip
    axis.set_title(
        title or f"Energy per MAC of the Pareto points: {context(findings.points)}", fontsize=10
    )
    figure.tight_layout()
    return figure
