"""``accelsim sweep FILE``: run every point of a sweep file and write one tidy table.

Finished points are stored as they complete under OUT/store/, so running the same command again
after a crash or Ctrl-C skips them and completes the rest. Exit status: 0 when every point ran,
1 when some points were invalid (they are listed; the others are in the tables), 2 for a bad
sweep file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from accelsim.config import check_output, expect_int, int_in
from accelsim.errors import ConfigError, Problem
from accelsim.sweep import EXECUTORS, load_sweep, run_sweep

OUTPUTS = ("layers.csv", "points.csv", "layers.parquet", "points.parquet", "sweep.yaml")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="run a sweep file (grid of archs, workloads, dataflows...) into one table",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="sweep YAML file (see docs/sweeps.md)")
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default reports/sweeps/<name>)"
    )
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="serial: in this process; local: a process pool (default); dask: a Dask cluster "
        "(accelsim[dask])",
    )
    parser.add_argument(
        "--scheduler", default=None, help="Dask scheduler address tcp://... (default: a local one)"
    )
    parser.set_defaults(handler=sweep)


def sweep(args: argparse.Namespace) -> int:
    if args.jobs is not None and not int_in(args.jobs, "size"):
        raise ConfigError(Problem("command line", "--jobs", expect_int(), args.jobs))
    spec = load_sweep(args.file)
    out = args.out or Path("reports") / "sweeps" / spec.name
    check_output(out, folder=True)
    for name in OUTPUTS:
        check_output(out / name)
    check_output(out / "store", folder=True)
    run = run_sweep(
        spec,
        out,
        executor=args.executor,
        jobs=args.jobs,
        scheduler=args.scheduler,
        progress=not args.quiet,
    )
    print(
        f"{spec.name}: {run.points} points, {run.ran} run now, {run.reused} already stored, "
        f"{len(run.failed)} failed"
    )
    for point, error in run.failed:
        print(f"{point.label()}:\n  {error}", file=sys.stderr)
    for path in run.written:
        print(f"wrote {path}")
    return 1 if run.failed else 0
