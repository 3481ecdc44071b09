"""Read the tables ``accelsim run`` and ``accelsim sweep`` write, for plots and reports.

A results path is a folder (holding ``layers.csv`` and ``summary.csv`` from a run, or
``layers.csv`` and ``points.csv`` from a sweep) or one of those CSV files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from accelsim.errors import ConfigError, Problem

SUMMARY_NAMES = ("points.csv", "summary.csv")


@dataclass(frozen=True)
class Results:
    """The per-layer table and, when there is one, the per-point (or per-dataflow) table."""

    source: str
    layers: pd.DataFrame | None
    points: pd.DataFrame | None


def load_results(path: str | Path) -> Results:
    """Read a results folder or CSV file. Raises ConfigError for a missing, empty or unreadable
    file, naming it."""
    path = Path(path)
    if path.is_dir():
        layers = _read(path / "layers.csv") if (path / "layers.csv").is_file() else None
        summary = next((path / name for name in SUMMARY_NAMES if (path / name).is_file()), None)
        points = _read(summary) if summary else None
        if layers is None and points is None:
            raise ConfigError(
                Problem(
                    str(path),
                    "",
                    "a folder with layers.csv, points.csv or "
                    "summary.csv (the output of accelsim run or sweep)",
                    show_got=False,
                )
            )
        return Results(str(path), layers, points)
    table = _read(path)
    if path.name in SUMMARY_NAMES or "layer" not in table.columns:
        return Results(str(path), None, table)
    return Results(str(path), table, None)


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ConfigError(Problem(str(path), "", "an existing results CSV file", show_got=False))
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ConfigError(Problem(str(path), "", "a results CSV file", str(error))) from None
    if frame.empty:
        raise ConfigError(Problem(str(path), "", "a results CSV file with rows", "no rows"))
    return frame


def select(frame: pd.DataFrame, where: list[str], source: str) -> pd.DataFrame:
    """Rows matching every ``COLUMN=VALUE`` condition (values compared as text)."""
    for condition in where:
        column, sep, value = condition.partition("=")
        if not sep or column not in frame.columns:
            raise ConfigError(
                Problem(
                    source,
                    "--where",
                    f"COLUMN=VALUE with a column of the "
                    f"table ({', '.join(map(str, frame.columns[:12]))}, ...)",
                    condition,
                )
            )
        frame = frame[frame[column].astype(str) == value]
    if frame.empty:
        raise ConfigError(Problem(source, "--where", "conditions some rows meet", where))
    return frame
