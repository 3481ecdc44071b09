"""``accelsim report RESULTS --out DIR [--baseline POINT]``: a self-contained HTML page
(DIR/index.html) of the output of ``accelsim run`` or ``accelsim sweep``. It opens with the
findings: the swept parameters and their values, the best point for energy, cycles and EDP with
its margin over the runner-up and over the baseline (the first point unless ``--baseline``
names another), and the Pareto set; then the plots and the tables."""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.config import check_output
from accelsim.report.tables import load_results


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write an HTML report of a results folder: findings, plots, tables",
        description=__doc__,
    )
    parser.add_argument("results", type=Path, help="folder or CSV from accelsim run / sweep")
    parser.add_argument("--out", type=Path, required=True, help="folder for index.html")
    parser.add_argument(
        "--baseline",
        type=int,
        default=None,
        metavar="POINT",
        help="the point (its number in points.csv) the margins are taken against (default: 0)",
    )
    parser.set_defaults(handler=report)


def report(args: argparse.Namespace) -> int:
    from accelsim.report.html import write_report

    check_output(args.out, folder=True)
    check_output(args.out / "index.html")
    path = write_report(load_results(args.results), args.out, baseline=args.baseline)
    print(f"wrote {path}")
    return 0
