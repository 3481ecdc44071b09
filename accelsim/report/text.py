"""Numbers and headers as the HTML report shows them: units in the headers, thousands
separators, percentages for fractions, and a one-line summary of what every point shares."""

from __future__ import annotations

import html
import math

import pandas as pd

from accelsim.report.findings import cell

# Columns that count whole things: shown as integers with thousands separators.
COUNTS = {"point", "batch", "layers", "macs", "cycles", "stall_cycles", "ideal_cycles", "used_pes",
          "weight_bits", "input_bits"}  # fmt: skip


def energy_unit(frame: pd.DataFrame) -> str:
    """The table's energy unit: the first one given (failed points have none)."""
    if "energy_unit" not in frame:
        return ""
    units = frame["energy_unit"].dropna()
    return str(units.iloc[0]) if len(units) else ""


def short_unit(unit: str) -> str:
    """The energy unit for a column header: ``pJ``, or ``norm.`` for a long description such as
    the normalized table's (spelled out once under the findings)."""
    return unit if 0 < len(unit) <= 6 else "norm."


def header(column: str, unit: str) -> str:
    """A column header with its unit: ``energy [pJ]``, ``utilization [%]``, ``latency [ms]``."""
    energy = short_unit(unit)
    if column == "energy_per_mac":
        return f"energy/MAC [{energy}]"
    if column == "edp":
        return f"EDP [{energy}·cycles]"
    if column.startswith("energy"):
        return f"{column.replace('_', ' ')} [{energy}]"
    if column == "utilization":
        return "utilization [%]"
    if column == "seconds":
        return "latency [ms]"
    return column


def text(value: object, column: str) -> str:
    """A cell's text in the unit its :func:`header` names (empty for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return str(value)
    if column == "utilization":
        return f"{value * 100:.1f}"
    if column == "seconds":
        return f"{value * 1e3:,.3f}"
    if column == "edp":
        return f"{value:.4g}"
    if column == "energy_per_mac":
        return f"{value:.3f}"
    if column in COUNTS or column.startswith("stall_cycles") or float(value).is_integer():
        return f"{round(value):,}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def number(value: float, column: str, unit: str) -> str:
    """A value with its unit, for a sentence: ``82,779,245,920 norm.``, ``71,598,729 cycles``."""
    name = header(column, unit)
    suffix = name.rpartition("[")[2].rstrip("]") if "[" in name else column
    return f"{text(value, column)} {suffix}"


def format_cell(value: object, column: str, unit: str, numeric: bool) -> str:
    """One ``<td>``: numbers right-aligned with the raw value in ``data-v`` for sorting."""
    shown = html.escape(text(value, column))
    if not numeric:
        return f"<td class='text'>{shown}</td>"
    raw = "" if pd.isna(value) else repr(float(value))  # type: ignore[arg-type]
    return f"<td data-v='{raw}'>{shown}</td>"


def constants_line(constants: dict[str, object], points: pd.DataFrame) -> str:
    """What every point shares, as one line: ``alexnet, batch 16, eyeriss_isca16,
    eyeriss_normalized table, mapped for energy, 16-bit weights × 16-bit inputs``."""
    left = dict(constants)
    parts = []
    workload = left.pop("workload", None)
    if workload is None and "network" in points and points["network"].nunique() == 1:
        workload = points["network"].iloc[0]
    for value, form in (
        (workload, "{}"),
        (left.pop("batch", None), "batch {}"),
        (left.pop("arch", None), "{}"),
        (left.pop("energy_table", None), "{} table"),
        (left.pop("objective", None), "mapped for {}"),
    ):
        if value is not None:
            parts.append(form.format(cell(value)))
    bits = left.pop("weight_bits", None), left.pop("input_bits", None)
    if None not in bits:
        parts.append(f"{cell(bits[0])}-bit weights × {cell(bits[1])}-bit inputs")
    parts += [f"{name} = {cell(value)}" for name, value in left.items()]
    return ", ".join(parts)
