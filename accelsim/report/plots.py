"""Plots of result tables (matplotlib, Agg backend: no display needed). Each function takes the
tidy tables that ``accelsim run`` and ``accelsim sweep`` write and returns a Figure; the plotted
numbers are the table's numbers (sums of its columns, divided by its MAC counts).

- :func:`energy_breakdown`: stacked bars of energy per MAC by category (ALU, RF, array, buffer,
  DRAM) or by data type, one bar per dataflow, for the whole network or per layer (the Eyeriss
  ISCA 2016 figure);
- :func:`layer_cycles`: per-layer cycles split into compute and stall, and utilization;
- :func:`sweep_scatter`: any two columns of the per-point table, with the Pareto front marked.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter, LogLocator

from accelsim.energy.pricing import CATEGORIES
from accelsim.errors import ConfigError, Problem
from accelsim.report.findings import context, differing, pareto_front, point_labels, row_labels
from accelsim.types import DATA_TYPES

STACKS = {
    "category": CATEGORIES,
    "data_type": ("mac", *(data_type.value for data_type in DATA_TYPES)),
}
STACK_TITLES = {"category": "by component", "data_type": "by data type"}
STACK_NAMES = {"mac": "MAC (ALU)"}
COLORS = {
    "ALU": "#4e79a7",
    "RF": "#59a14f",
    "array": "#edc948",
    "buffer": "#f28e2b",
    "DRAM": "#e15759",
    "mac": "#4e79a7",
    "weights": "#b07aa1",
    "inputs": "#76b7b2",
    "outputs": "#ff9da7",
}


def require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise ConfigError naming the columns a plot needs that the table lacks."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ConfigError(
            Problem("results table", ", ".join(missing), f"the columns {what} needs", "missing")
        )


def energy_table(
    layers: pd.DataFrame, *, by: str = "category", per: str = "network", bars: str = "dataflow"
) -> pd.DataFrame:
    """The numbers :func:`energy_breakdown` draws: energy per MAC of each stack part, indexed by
    (group, bar), where the group is the layer (``per="layer"``) or the network."""
    if by not in STACKS:
        raise ConfigError(Problem("plot", "by", f"one of {', '.join(STACKS)}", by))
    if per not in ("network", "layer"):
        raise ConfigError(Problem("plot", "per", "network or layer", per))
    columns = [f"energy_{part}" for part in STACKS[by]]
    group = "layer" if per == "layer" else "network"
    require(layers, [group, bars, "macs", *columns], "the energy breakdown")
    _check_unique(layers, [group, bars, "layer"], bars)
    sums = layers.groupby([group, bars], sort=False)[["macs", *columns]].sum()
    per_mac = sums[columns].div(sums["macs"], axis=0)
    per_mac.columns = list(STACKS[by])
    return per_mac


def _check_unique(layers: pd.DataFrame, keys: list[str], bars: str) -> None:
    """Raise ConfigError when several rows share ``keys``, naming the columns still varying."""
    keys = [key for key in dict.fromkeys(keys) if key in layers]
    if layers.duplicated(subset=keys).any():
        varying = differing(layers, keys)
        which = "; ".join(f"{c} ({', '.join(v[:6])})" for c, v in varying.items())
        raise ConfigError(
            Problem(
                "results table",
                bars,
                f"one result per {bars} and layer, but the rows still differ in "
                f"{which or 'some column'}: pick one value of each with --where COLUMN=VALUE, "
                "or draw one bar per point with --bars point",
                show_got=False,
            )
        )


def energy_breakdown(
    layers: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("category", "data_type"),
    per: str = "network",
    bars: str = "dataflow",
    title: str | None = None,
) -> Figure:
    """Stacked bars of energy per MAC, one bar per ``bars`` value, one panel per ``by``."""
    kinds = [by] if isinstance(by, str) else list(by)
    tables = [energy_table(layers, by=kind, per=per, bars=bars) for kind in kinds]
    names = point_labels(layers) if bars == "point" else {}
    if names:
        tables = [table.rename(index=names, level=1) for table in tables]
    groups = tables[0].index.get_level_values(0).unique()
    per_bar = 1.3 if names and len(tables[0]) <= 12 else 0.42  # room for two-line labels
    width = max(4.5, per_bar * len(tables[0]) + 1.5)
    longest = max(len(str(name)) for name in tables[0].index.get_level_values(1))
    rotated = len(groups) > 1 or len(tables[0]) > 12  # as _stacked draws them
    labels = 0.075 * longest if rotated and longest > 8 else 0.0  # inches under the axis
    figure, axes = plt.subplots(
        len(kinds), 1, figsize=(width + 2.2, (3.6 + labels) * len(kinds)), squeeze=False
    )
    unit = _unit(layers)
    for axis, kind, table in zip(axes[:, 0], kinds, tables, strict=True):
        _stacked(axis, table, groups)
        _dense_marks(axis, layers, table, groups, per, bars)
        axis.set_ylabel(unit_label("energy per MAC", unit))
        axis.set_title(f"Energy per MAC {STACK_TITLES[kind]}", fontsize=10)
        handles, labels = axis.get_legend_handles_labels()
        axis.legend(
            handles[::-1],
            labels[::-1],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            fontsize=8,
        )
    figure.suptitle(title or f"Energy breakdown per {bars}: {context(layers)}", fontsize=11)
    figure.tight_layout()
    return figure


def _dense_marks(axis, layers: pd.DataFrame, table: pd.DataFrame, groups, per: str, bars: str):
    """On designs that save work on zeros (docs/sparse.md), a black tick per bar at the energy
    per MAC the same mappings cost dense: the distance to the stack's top is what compression,
    gating and skipping save."""
    if "dense_energy" not in layers or not (layers["dense_energy"].fillna(0) > 0).any():
        return
    dense = layers["dense_energy"].where(layers["dense_energy"].fillna(0) > 0, layers["energy"])
    group = "layer" if per == "layer" else "network"
    frame = layers.assign(dense_energy=dense)
    sums = frame.groupby([group, bars], sort=False)[["macs", "dense_energy"]].sum()
    per_mac = sums["dense_energy"] / sums["macs"]
    positions, values, x = [], [], 0.0
    for name in groups:
        bars_here = table.loc[name].index
        for i, bar in enumerate(bars_here):
            positions.append(x + i)
            values.append(float(per_mac.get((name, bar), np.nan)))
        x += len(bars_here) + 0.8
    axis.scatter(positions, values, marker="_", s=400, color="black", zorder=3, label="dense")


def _stacked(axis, table: pd.DataFrame, groups: pd.Index) -> None:
    """Bars grouped by the index's first level, labelled by its second, stacked by column."""
    rotate = len(groups) > 1 or len(table) > 12
    positions: list[float] = []
    labels: list[str] = []
    centers, x = [], 0.0
    for group in groups:
        names = table.loc[group].index
        positions.extend(x + np.arange(len(names)))
        labels.extend(str(name) if rotate else wrap_label(str(name)) for name in names)
        centers.append(x + (len(names) - 1) / 2)
        x += len(names) + 0.8
    bottom = np.zeros(len(table))
    for part in table.columns:
        values = table[part].to_numpy(dtype=float)
        axis.bar(
            positions,
            values,
            0.8,
            bottom=bottom,
            label=STACK_NAMES.get(part, part),
            color=COLORS.get(part),
            edgecolor="white",
            linewidth=0.5,
        )
        bottom += values
    axis.set_xticks(positions, labels, rotation=90 if rotate else 0, fontsize=8)
    axis.set_xlim(-0.7, x - 0.8 - 0.3)
    axis.grid(axis="y", alpha=0.3)
    axis.set_axisbelow(True)
    if len(groups) > 1:
        for center, group in zip(centers, groups, strict=True):
            axis.annotate(
                str(group),
                (center, 0),
                xytext=(0, -34),
                textcoords="offset points",
                xycoords=("data", "axes fraction"),
                ha="center",
                va="top",
                fontsize=9,
                fontweight="bold",
            )


def _unit(frame: pd.DataFrame) -> str:
    units = frame["energy_unit"].dropna().unique() if "energy_unit" in frame else []
    if len(units) > 1:
        raise ConfigError(
            Problem(
                "results table",
                "energy_unit",
                "one energy unit (filter with --where)",
                ", ".join(map(str, units)),
            )
        )
    return str(units[0]) if len(units) else "table units"


def unit_label(quantity: str, unit: str) -> str:
    """An axis label with its unit kept whole: on the same line when short, else below."""
    text = f"{quantity} ({unit})"
    return text if len(text) <= 32 else f"{quantity}\n({unit})"


def wrap_label(text: str) -> str:
    """A point's parameters (``rs, capacity_kb=64``), one per line under a bar."""
    return text.replace(", ", "\n")


def layer_cycles(
    layers: pd.DataFrame, *, bars: str = "dataflow", title: str | None = None
) -> Figure:
    """Per layer: cycles as compute (solid) plus stall (hatched), and utilization; one bar per
    ``bars`` value in each layer's group."""
    require(layers, ["layer", bars, "cycles", "stall_cycles", "utilization"], "the cycles plot")
    _check_unique(layers, ["layer", bars, "network"], bars)
    names = list(layers[bars].unique())
    shown = point_labels(layers) if bars == "point" else {}
    layer_names = list(layers["layer"].unique())
    width = 0.8 / len(names)
    figure, (top, bottom) = plt.subplots(
        2, 1, sharex=True, figsize=(max(6, 0.9 * len(layer_names) + 3), 6.5)
    )
    colors = plt.get_cmap("tab10")
    x = np.arange(len(layer_names))
    for index, name in enumerate(names):
        rows = layers[layers[bars] == name].set_index("layer").reindex(layer_names)
        where = x - 0.4 + width * (index + 0.5)
        stall = rows["stall_cycles"].to_numpy(dtype=float)
        compute = rows["cycles"].to_numpy(dtype=float) - stall
        color = colors(index % 10)
        top.bar(where, compute, width, color=color, label=shown.get(name, f"{name}"))
        top.bar(
            where,
            stall,
            width,
            bottom=compute,
            color=color,
            alpha=0.45,
            hatch="///",
            edgecolor="white",
        )
        bottom.bar(where, rows["utilization"].to_numpy(dtype=float), width, color=color)
    stall = Patch(facecolor="grey", alpha=0.45, hatch="///", edgecolor="white", label="stall")
    top.set_ylabel("cycles")
    top.set_title("Cycles per layer (solid: compute, hatched: stall)", fontsize=10)
    top.legend(
        handles=[*top.get_legend_handles_labels()[0], stall],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=8,
        title=bars,
        title_fontsize=8,
    )
    bottom.set_ylabel("utilization (fraction of PEs)")
    bottom.set_ylim(0, 1.05)
    bottom.set_title("PE utilization per layer", fontsize=10)
    bottom.set_xticks(x, layer_names, rotation=45 if len(layer_names) > 6 else 0, fontsize=8)
    for axis in (top, bottom):
        axis.grid(axis="y", alpha=0.3)
        axis.set_axisbelow(True)
    figure.suptitle(title or f"Cycles and utilization per layer: {context(layers)}", fontsize=11)
    figure.tight_layout()
    return figure


AXIS_LABELS = {
    "cycles": "cycles",
    "stall_cycles": "stall cycles",
    "seconds": "latency (s)",
    "macs": "MACs",
    "utilization": "utilization (fraction of PEs)",
}


def axis_label(column: str, unit: str) -> str:
    """A readable axis label with the unit: energies in the table's unit, counts as such."""
    if column in AXIS_LABELS:
        return AXIS_LABELS[column]
    if column == "energy_per_mac":
        return unit_label("energy per MAC", unit)
    if column.startswith("energy"):
        return unit_label(column.replace("_", " "), unit)
    return column


def sweep_scatter(
    points: pd.DataFrame,
    *,
    x: str = "cycles",
    y: str = "energy",
    color: str | None = "dataflow",
    title: str | None = None,
    labels: Sequence[str] | None = None,
) -> Figure:
    """Scatter of ``y`` against ``x`` over the points (failed points left out), colored by a
    column, with the Pareto front (lowest ``x`` and ``y``) drawn as a line of ringed points,
    each labelled by ``labels`` (default: the parameters that differ between the points). An
    axis whose values span a factor of 10 or more is logarithmic."""
    require(points, [x, y], "the scatter plot")
    mask = points[[x, y]].notna().all(axis=1)
    if "status" in points:
        mask &= points["status"] == "ok"
    keep = mask.to_numpy()
    if labels is not None:
        labels = [text for text, kept in zip(labels, keep, strict=True) if kept]
    points = points[keep].reset_index(drop=True)
    labels = row_labels(points) if labels is None else labels
    figure, axis = plt.subplots(figsize=(8, 5.2))
    groups = points.groupby(color, sort=False) if color in points else [("all", points)]
    for name, group in groups:
        axis.scatter(group[x], group[y], s=28, alpha=0.8, label=f"{name}")
    front = pareto_front(points[x].tolist(), points[y].tolist())
    fx, fy = points[x].iloc[front], points[y].iloc[front]
    axis.plot(fx, fy, color="black", linewidth=1, drawstyle="steps-post", zorder=1)
    axis.scatter(
        fx, fy, s=90, facecolors="none", edgecolors="black", linewidths=1.2,
        label=f"Pareto front ({len(front)})", zorder=3,
    )  # fmt: skip
    unit = _unit(points)
    axis.set_xlabel(axis_label(x, unit))
    axis.set_ylabel(axis_label(y, unit))
    for column, which in ((x, axis.xaxis), (y, axis.yaxis)):
        _scale(axis, which, points[column])
    axis.grid(alpha=0.3, which="both")
    axis.legend(
        loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8,
        title=color if color in points else None, title_fontsize=8,
    )  # fmt: skip
    _label_front(axis, fx.to_numpy(float), fy.to_numpy(float), [labels[i] for i in front])
    axis.set_title(
        title or f"{y} against {x} over {len(points)} points: {context(points)}", fontsize=10
    )
    figure.tight_layout()
    return figure


def _scale(axis, which, values: pd.Series) -> None:
    """Logarithmic when the positive values span a decade or more; engineering tick labels
    (``80M``, ``1.2G``) rather than an offset."""
    values = values[values > 0]
    if len(values) and values.max() / values.min() >= 10:
        getattr(axis, f"set_{which.axis_name}scale")("log")
        which.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        which.set_minor_formatter(plt.NullFormatter())
    which.set_major_formatter(EngFormatter(sep=""))


def _label_front(axis, xs: np.ndarray, ys: np.ndarray, texts: list[str]) -> None:
    """Label the Pareto points to their right, spread vertically so that no two labels overlap
    (the spacing is worked out in pixels and applied as offsets in points)."""
    axis.autoscale_view()
    pixels = axis.transData.transform(np.column_stack([xs, ys])) if len(xs) else []
    to_points = 72 / axis.figure.dpi
    spacing = 13.0 / to_points  # one 7-point line and a bit, in pixels
    placed: list[float] = []
    order = sorted(range(len(texts)), key=lambda i: pixels[i][1])
    for index in order:
        py = pixels[index][1]
        target = max(py, placed[-1] + spacing) if placed else py
        placed.append(target)
        axis.annotate(
            texts[index], (xs[index], ys[index]), xytext=(36, (target - py) * to_points),
            textcoords="offset points", fontsize=7, va="center",
            arrowprops={"arrowstyle": "-", "color": "0.4", "linewidth": 0.6, "shrinkA": 0},
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.85, "linewidth": 0},
        )  # fmt: skip


def save(figure: Figure, path) -> None:
    """Write ``figure`` (PNG or SVG by the suffix) and close it; ``path`` is replaced whole."""
    from accelsim.atomic import write_atomic

    suffix = str(path).rsplit(".", 1)[-1].lower()
    write_atomic(path, lambda tmp: figure.savefig(tmp, format=suffix, dpi=130, bbox_inches="tight"))
    plt.close(figure)
