"""Run a whole sweep: expand, skip the points already stored, run the rest, store each as it
finishes, then write the tables atomically.

Output folder layout::

    layers.csv / layers.parquet   one row per point x layer: point, key, parameters, layer results
    points.csv / points.parquet   one row per point: point, key, status, parameters, network
                                  totals, error
    sweep.yaml                    the sweep file as run
    store/<key>.json              every finished point (what makes a re-run resume)
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from accelsim.atomic import write_atomic, write_csv
from accelsim.sweep.execute import Outcome, execute
from accelsim.sweep.points import Point, expand
from accelsim.sweep.spec import SweepSpec
from accelsim.sweep.store import PointStore


@dataclass(frozen=True)
class SweepRun:
    """What a sweep run did and wrote. ``failed`` lists (point, error) for every invalid point."""

    points: int
    ran: int
    reused: int
    failed: tuple[tuple[Point, str], ...]
    layers: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    written: tuple[Path, ...]


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    executor: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = False,
) -> SweepRun:
    """Run every point of ``spec`` not already stored under ``out``, then write the tables.

    ``progress``: True shows a bar, None shows it only on a terminal. Raises ConfigError for a
    bad sweep (the points' own errors are reported in the result instead).
    """
    out = Path(out)
    points = expand(spec)
    store = PointStore(out / "store")
    outcomes = {point.key: store.get(point.key) for point in points}
    todo = [point for point in points if outcomes[point.key] is None]
    bar = tqdm(
        total=len(points),
        initial=len(points) - len(todo),
        disable=_quiet(progress),
        desc=spec.name,
        unit="point",
    )
    with bar:
        for outcome in execute(todo, executor=executor, jobs=jobs, scheduler=scheduler):
            if outcome.final:
                store.put(outcome)
            outcomes[outcome.key] = outcome
            bar.update()
    layers, summary = tables(points, outcomes)
    return SweepRun(
        points=len(points),
        ran=len(todo),
        reused=len(points) - len(todo),
        failed=tuple((p, outcome.error) for p in points if not (outcome := _done(outcomes, p)).ok),
        layers=layers,
        summary=summary,
        written=_write(spec, out, layers, summary),
    )


def _done(outcomes: dict[str, Outcome | None], point: Point) -> Outcome:
    """The outcome of a point after the run (every point has one by then)."""
    outcome = outcomes[point.key]
    assert outcome is not None, point.key
    return outcome


def _quiet(progress: bool | None) -> bool | None:
    return None if progress is None else not progress


def tables(
    points: list[Point], outcomes: dict[str, Outcome | None]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy tables: one row per point x layer, and one row per point (failed ones too)."""
    layer_rows, point_rows = [], []
    for point in points:
        outcome = outcomes[point.key]
        ident = {"point": point.index, "key": point.key[:16]}
        parameters = {name: _cell(value) for name, value in point.parameters}
        for row in outcome.layers if outcome else ():
            layer_rows.append({**ident, **parameters, **row})
        status = {"status": "ok" if outcome and outcome.ok else "error"}
        error = {"error": outcome.error if outcome else "not run"}
        summary = outcome.summary if outcome else {}
        point_rows.append({**ident, **status, **parameters, **summary, **error})
    fixed = ["point", "key", *(name for name, _ in points[0].parameters)] if points else []
    return _fill(pd.DataFrame(layer_rows), fixed), pd.DataFrame(point_rows)


def _cell(value: object) -> object:
    """A parameter value as a table cell: scalars as they are, lists and mappings as JSON."""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def _fill(frame: pd.DataFrame, fixed: list[str]) -> pd.DataFrame:
    """Zero for the counts a point's architecture does not have (another point's levels)."""
    counts = [
        c for c in frame.columns if c not in fixed and pd.api.types.is_numeric_dtype(frame[c])
    ]
    frame[counts] = frame[counts].fillna(0)
    return frame


def _write(spec: SweepSpec, out: Path, layers: pd.DataFrame, summary: pd.DataFrame):
    written = [write_csv(out / "layers.csv", layers), write_csv(out / "points.csv", summary)]
    if _has_pyarrow():
        written.append(_write_parquet(out / "layers.parquet", layers))
        written.append(_write_parquet(out / "points.parquet", summary))
    if Path(spec.source).is_file():
        written.append(write_atomic(out / "sweep.yaml", _copier(Path(spec.source))))
    return tuple(written)


def _copier(source: Path) -> Callable[[Path], object]:
    return lambda tmp: shutil.copyfile(source, tmp)


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    # Parquet wants one type per column: a parameter that mixes names and numbers becomes text.
    frame = frame.copy()
    for column in frame.select_dtypes(exclude="number").columns:
        kinds = {type(value) for value in frame[column].dropna()}
        if len(kinds) > 1:
            frame[column] = frame[column].map(lambda v: v if v is None else str(v))
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
