"""``accelsim report RESULTS --out DIR``: a self-contained HTML page (DIR/index.html) with the
tables and plots of the output of ``accelsim run`` or ``accelsim sweep``."""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.config import check_output
from accelsim.report.tables import load_results


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write an HTML report of a results folder", description=__doc__
    )
    parser.add_argument("results", type=Path, help="folder or CSV from accelsim run / sweep")
    parser.add_argument("--out", type=Path, required=True, help="folder for index.html")
    parser.set_defaults(handler=report)


def report(args: argparse.Namespace) -> int:
    from accelsim.report.html import write_report

    check_output(args.out, folder=True)
    check_output(args.out / "index.html")
    path = write_report(load_results(args.results), args.out)
    print(f"wrote {path}")
    return 0
