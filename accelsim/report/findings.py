"""What a results table says, before any drawing: which parameters were swept and over which
values, what stayed constant, the best point for each objective with its margins, and the
Pareto set of cycles against energy. Pure pandas (no matplotlib), so it is cheap to test.

The per-point table is ``points.csv`` of ``accelsim sweep`` or ``summary.csv`` of
``accelsim run``. Its *design* columns (the parameters of a point) are every column that is not
a measured result; the *swept* ones are those that take more than one value over the points
that ran. Parameters that advance together (a sweep's ``zip``) form one axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from accelsim.energy.pricing import CATEGORIES

# Columns that identify a row or are measured, never a parameter of the design.
IDENTITY = ("point", "key", "status", "error")
MEASURED = (
    "network", "layers", "macs", "cycles", "stall_cycles", "utilization", "seconds", "energy",
    "energy_per_mac", "energy_unit", "edp", *(f"energy_{category}" for category in CATEGORIES),
)  # fmt: skip
# Objectives, as (column, name); EDP is energy x cycles.
OBJECTIVES = (("energy", "energy"), ("cycles", "cycles"), ("edp", "EDP"))
# Relative difference under which two values count as a tie (float sums in another order).
TIE = 1e-9


@dataclass(frozen=True)
class Axis:
    """One swept axis: its columns (several when they advance together) and its values in the
    increasing order (numbers) or the order the table first shows them (names), each value a
    tuple with one entry per column."""

    columns: tuple[str, ...]
    values: tuple[tuple[object, ...], ...]

    @property
    def name(self) -> str:
        return " × ".join(self.columns)

    def label(self, value: tuple[object, ...]) -> str:
        """A short text for one value: ``rs``, ``capacity_kb=256``, ``rows×cols=16×16``."""
        text = "×".join(cell(v) for v in value)
        if self.columns == ("dataflow",):
            return text
        return "×".join(short(c) for c in self.columns) + "=" + text


@dataclass(frozen=True)
class Best:
    """The best point for one objective: its row, the runner-up's and the baseline's values."""

    objective: str
    column: str
    row: pd.Series
    ties: int  # other points with the same value
    runner_up: pd.Series | None  # the best point with a strictly worse value
    baseline: pd.Series

    @property
    def value(self) -> float:
        return float(self.row[self.column])

    def ratio(self, other: pd.Series | None) -> float | None:
        """``other``'s value over the best's (1.25: the other needs 25 % more)."""
        if other is None or self.value == 0:
            return None
        return float(other[self.column]) / self.value


@dataclass(frozen=True)
class Findings:
    """Everything the report's first section states about a per-point table."""

    points: pd.DataFrame  # the points that ran, with an ``edp`` column
    failed: int
    constants: dict[str, object]
    axes: tuple[Axis, ...]
    best: tuple[Best, ...]
    pareto: pd.DataFrame  # the Pareto set of cycles and energy, sorted by cycles
    baseline: pd.Series

    def label(self, row: pd.Series) -> str:
        """A point named by its swept parameters: ``rs, capacity_kb=256, rows×cols=16×16``."""
        parts = [axis.label(tuple(row[c] for c in axis.columns)) for axis in self.axes]
        return ", ".join(parts) if parts else "the only point"


def short(column: str) -> str:
    """A parameter's column without its path: ``levels.buffer.capacity_kb`` -> ``capacity_kb``."""
    return column.rsplit(".", 1)[-1]


def cell(value: object) -> str:
    """A parameter value as text: integers without a trailing ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def design_columns(points: pd.DataFrame) -> list[str]:
    """The columns that describe a point rather than identify or measure it."""
    return [c for c in points.columns if c not in IDENTITY and c not in MEASURED]


def pareto_front(x: Sequence[float], y: Sequence[float]) -> list[int]:
    """Indices of the points no other point beats on both ``x`` and ``y`` (both minimized),
    sorted by ``x``. Of equal points, the first is kept."""
    order = sorted(range(len(x)), key=lambda i: (x[i], y[i], i))
    front, best_y = [], float("inf")
    for index in order:
        if y[index] < best_y:
            front.append(index)
            best_y = y[index]
    return front


def findings(
    points: pd.DataFrame, layers: pd.DataFrame | None = None, *, baseline: int | None = None
) -> Findings:
    """Read a per-point table. ``layers`` (the per-layer table) fills parameters the points
    table leaves empty with the values the layers used (a precision not swept is the
    architecture's); ``baseline`` is a value of the ``point`` column (default: the first point
    that ran, normally the first value of every axis). Raises ValueError when no point ran or
    the baseline is not one of those that ran."""
    ran = points[points["status"] == "ok"] if "status" in points else points
    ran = _effective(ran.reset_index(drop=True), layers)
    if ran.empty:
        raise ValueError("no point of the table ran")
    ran["edp"] = ran["energy"] * ran["cycles"]
    design = design_columns(ran)
    swept = [c for c in design if ran[c].astype(str).nunique() > 1]
    constants = {c: ran[c].iloc[0] for c in design if c not in swept and ran[c].notna().all()}
    base = _baseline(ran, baseline)
    front = pareto_front(ran["cycles"].tolist(), ran["energy"].tolist())
    return Findings(
        points=ran,
        failed=len(points) - len(ran),
        constants=constants,
        axes=_axes(ran, swept),
        best=tuple(_best(ran, column, name, base) for column, name in OBJECTIVES),
        pareto=ran.iloc[front],
        baseline=base,
    )


def _effective(points: pd.DataFrame, layers: pd.DataFrame | None) -> pd.DataFrame:
    """Fill empty parameter cells with the one value the point's layers used."""
    points = points.copy()
    if layers is None or "point" not in points or "point" not in layers:
        return points
    for column in ("weight_bits", "input_bits", "batch", "energy_table", "arch"):
        if column not in points or column not in layers or points[column].notna().all():
            continue
        used = layers.groupby("point")[column].agg(
            lambda v: v.iloc[0] if v.nunique() == 1 else None
        )
        points[column] = points[column].fillna(points["point"].map(used))
    return points


def _baseline(ran: pd.DataFrame, baseline: int | None) -> pd.Series:
    if baseline is None:
        return ran.iloc[0]
    if "point" not in ran or not (ran["point"] == baseline).any():
        raise ValueError(f"point {baseline} is not one of the points that ran")
    return ran[ran["point"] == baseline].iloc[0]


def _axes(ran: pd.DataFrame, swept: list[str]) -> tuple[Axis, ...]:
    """Group the swept columns that determine each other (a sweep's zip) into one axis."""
    groups: list[list[str]] = []
    text = ran[swept].astype(str)
    for column in swept:
        for group in groups:
            pairs = text[[group[0], column]].drop_duplicates()
            if len(pairs) == text[group[0]].nunique() == text[column].nunique():
                group.append(column)
                break
        else:
            groups.append([column])
    axes = []
    for group in groups:
        first = ran.loc[~text[group].duplicated(), group]
        values = [tuple(row) for row in first.itertuples(index=False)]
        if all(isinstance(v, (int, float)) for value in values for v in value):
            values.sort()  # numbers in increasing order, names in the sweep's order
        axes.append(Axis(tuple(group), tuple(values)))
    return tuple(axes)


def _best(ran: pd.DataFrame, column: str, name: str, base: pd.Series) -> Best:
    ordered = ran.sort_values(column, kind="stable")
    best = ordered.iloc[0]
    close = (ordered[column] - best[column]).abs() <= TIE * abs(best[column])
    worse = ordered[~close]
    return Best(
        objective=name,
        column=column,
        row=best,
        ties=int(close.sum()) - 1,
        runner_up=worse.iloc[0] if len(worse) else None,
        baseline=base,
    )


def context(frame: pd.DataFrame) -> str:
    """What a table's rows share, as a title line: ``alexnet, batch 16, eyeriss_isca16,
    eyeriss_normalized table``; a column whose rows differ is left out."""
    parts = []
    for column, text in (
        ("network", "{}"),
        ("workload", "{}"),
        ("batch", "batch {}"),
        ("arch", "{}"),
        ("energy_table", "{} table"),
    ):
        if column in frame and frame[column].notna().all() and frame[column].nunique() == 1:
            value = cell(frame[column].iloc[0])
            if column != "workload" or value not in parts:
                parts.append(text.format(value))
    return ", ".join(parts)


def parameter_columns(layers: pd.DataFrame) -> list[str]:
    """The parameter columns of a sweep's per-layer table: those between ``key`` and
    ``network`` (the order :func:`accelsim.sweep.runner.tables` writes)."""
    columns = list(layers.columns)
    if "key" not in columns or "network" not in columns:
        return []
    return columns[columns.index("key") + 1 : columns.index("network")]


def point_labels(layers: pd.DataFrame) -> dict[object, str]:
    """Each sweep point of a per-layer table named by the parameters that differ between
    points (``{3: "rs, capacity_kb=128"}``); empty when the table has no ``point`` column."""
    if "point" not in layers:
        return {}
    per_point = layers.drop_duplicates("point").reset_index(drop=True)
    labels = row_labels(per_point, parameter_columns(layers))
    return dict(zip(per_point["point"], labels, strict=True))


def row_labels(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[str]:
    """Each row named by those of ``columns`` (default: the design columns) that differ
    between the rows, in the order of ``frame``."""
    columns = design_columns(frame) if columns is None else columns
    swept = [c for c in columns if frame[c].astype(str).nunique() > 1]
    axes = _axes(frame.reset_index(drop=True), swept)
    labels = []
    for index, (_, row) in enumerate(frame.iterrows()):
        parts = [axis.label(tuple(row[c] for c in axis.columns)) for axis in axes]
        labels.append(", ".join(parts) or f"row {index}")
    return labels


def differing(frame: pd.DataFrame, keys: list[str]) -> dict[str, list[str]]:
    """The parameter columns whose values differ between rows sharing ``keys``, with their
    values: what a ``--where`` must still fix."""
    columns = parameter_columns(frame) or [
        c for c in frame.columns if c not in keys and not pd.api.types.is_numeric_dtype(frame[c])
    ]
    found = {}
    for column in columns:
        if column in keys:
            continue
        if frame.groupby(keys, sort=False)[column].nunique(dropna=False).max() > 1:
            found[column] = [cell(v) for v in frame[column].drop_duplicates()]
    return found


def effect_table(found: Findings, axis: Axis, measure: str) -> pd.DataFrame:
    """The numbers :func:`parameter_effects` draws for one axis and measure: rows are the axis's
    values (in sweep order), columns ``(dataflow, "min" | "max")`` over the other axes."""
    points = found.points
    key = points[list(axis.columns)].astype(str).agg("×".join, axis=1)
    order = ["×".join(str(v) for v in value) for value in axis.values]
    flows = points["dataflow"] if "dataflow" in points else pd.Series("all", index=points.index)
    grouped = points[measure].groupby([key, flows], sort=False).agg(["min", "max"])
    table = (
        grouped.unstack(level=1).swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
    )
    flows_order = list(dict.fromkeys(flows))
    return table.reindex(order)[[(flow, stat) for flow in flows_order for stat in ("min", "max")]]


def effect_axes(found: Findings) -> list[Axis]:
    """The swept axes other than the dataflow (the dataflow is the lines of each panel)."""
    return [axis for axis in found.axes if axis.columns != ("dataflow",)]


def effects(found: Findings, axis: Axis) -> dict[str, dict[object, float]]:
    """How each measure changes from the axis's first value to its last, per dataflow, as a
    fraction of the first (best over the other axes at both ends): ``{"energy": {"rs": -0.075}}``.
    """
    changes: dict[str, dict[object, float]] = {}
    for measure in ("energy", "cycles"):
        table = effect_table(found, axis, measure)
        flows = dict.fromkeys(flow for flow, _ in table.columns)
        first, last = table.iloc[0], table.iloc[-1]
        changes[measure] = {
            flow: last[(flow, "min")] / first[(flow, "min")] - 1
            for flow in flows
            if first[(flow, "min")] > 0 and pd.notna(last[(flow, "min")])
        }
    return changes
