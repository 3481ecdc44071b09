"""Run points: one point in any process (:func:`run_point`), many on an executor (:func:`execute`).

Executors: ``serial`` (this process), ``local`` (a process pool, the default) and ``dask`` (a
Dask distributed scheduler, from the optional extra ``accelsim[dask]``). Each yields outcomes as
points finish, in completion order; the caller stores them as they arrive.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from typing import Any

from accelsim.api import simulate
from accelsim.arch import arch_from_dict
from accelsim.errors import ConfigError, Problem
from accelsim.sweep.points import Point
from accelsim.workers import worker_pool

EXECUTORS = ("serial", "local", "dask")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What running one point gave: its layer rows and summary, or its error.

    ``final`` is False for an unexpected failure (a bug, a lost worker), which is reported but
    not stored, so the next run tries the point again; a ConfigError is final.
    """

    key: str
    error: str = ""
    layers: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    summary: dict[str, Any] = field(default_factory=dict, repr=False)
    final: bool = True

    @property
    def ok(self) -> bool:
        return not self.error

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "error": self.error,
            "layers": list(self.layers),
            "summary": self.summary,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        return cls(data["key"], data["error"], tuple(data["layers"]), data["summary"])


def run_point(point: Point) -> Outcome:
    """Simulate one point. A ConfigError or any other failure becomes an error outcome, so one
    bad point never stops a sweep."""
    if point.error:
        return Outcome(point.key, point.error)
    try:
        arch = arch_from_dict(point.arch_raw, source=point.source)
        result = simulate(
            arch,
            point.workload,
            dataflow=point.dataflow,
            batch=point.batch,
            objective=point.objective,
            energy_table=point.energy_table,
            weight_bits=point.weight_bits,
            input_bits=point.input_bits,
        )
    except ConfigError as error:
        return Outcome(point.key, str(error))
    except Exception as error:
        log.exception("%s failed", point.label())
        return Outcome(point.key, f"{type(error).__name__}: {error}", final=False)
    rows = tuple(
        {"network": result.network, "batch": result.batch, **layer.row()} for layer in result.layers
    )
    first = result.layers[0] if result.layers else None
    context = {"arch": first.arch, "energy_table": first.energy_table} if first else {}
    return Outcome(point.key, layers=rows, summary={**context, **result.summary()})


def execute(
    points: Sequence[Point],
    *,
    executor: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
) -> Iterator[Outcome]:
    """Run ``points``, yielding each outcome as it finishes.

    ``jobs`` is the number of local processes (default: every core); ``scheduler`` the address
    of a Dask scheduler (default: a local Dask cluster with ``jobs`` workers). Raises ConfigError
    for an unknown executor or a bad ``jobs``.
    """
    if executor not in EXECUTORS:
        raise ConfigError(Problem("", "executor", f"one of {', '.join(EXECUTORS)}", executor))
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise ConfigError(Problem("", "jobs", "a positive integer", jobs))
    jobs = jobs or os.cpu_count() or 1
    if executor == "dask":
        yield from _dask(points, scheduler, jobs)
    elif executor == "serial" or jobs == 1 or len(points) <= 1:
        yield from map(run_point, points)
    else:
        yield from _pool(points, min(jobs, len(points)))


def _pool(points: Sequence[Point], jobs: int) -> Iterator[Outcome]:
    pool = worker_pool(jobs)  # workers exit if this process is killed
    try:
        futures = [pool.submit(run_point, point) for point in points]
        for future in as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(points: Sequence[Point], scheduler: str | None, jobs: int) -> Iterator[Outcome]:
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise ConfigError(
            Problem("", "executor", "dask installed (pip install 'accelsim[dask]')", "dask")
        ) from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, dashboard_address=None)
    try:
        with Client(scheduler or cluster) as client:
            futures = client.map(run_point, list(points), pure=False)
            for future in dask_completed(futures):
                yield future.result()
    finally:
        if cluster is not None:
            cluster.close()
