"""Sweeps: many configurations from one YAML file, run locally or on Dask, stored point by point
so an interrupted sweep resumes, and written as tidy tables.

>>> from accelsim.sweep import load_sweep, run_sweep          # doctest: +SKIP
>>> run = run_sweep(load_sweep("arch_configs/sweeps/eyeriss_array.yaml"), "reports/sweep")
"""

from accelsim.sweep.execute import EXECUTORS, Outcome, execute, run_point
from accelsim.sweep.points import Point, expand
from accelsim.sweep.runner import SweepRun, run_sweep, tables
from accelsim.sweep.spec import SweepSpec, load_sweep, sweep_from_dict
from accelsim.sweep.store import PointStore

__all__ = [
    "EXECUTORS",
    "Outcome",
    "Point",
    "PointStore",
    "SweepRun",
    "SweepSpec",
    "execute",
    "expand",
    "load_sweep",
    "run_point",
    "run_sweep",
    "sweep_from_dict",
    "tables",
]
