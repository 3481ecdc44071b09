"""``accelsim timeloop``: evaluate Timeloop's own input files as Timeloop counts them.

The files (architecture v0.2-v0.4, problem, mapping, ERT; one file may hold several keys) are
merged by top-level key as timeloop-model does. Prints the per-level table (per-instance reads,
fills and updates per data space, energy per level) and writes DIR/stats.json and DIR/stats.txt.
See docs/timeloop.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.timeloop import evaluate_case, load_case, write_stats
from accelsim.timeloop.stats import summary_text


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "timeloop",
        help="evaluate Timeloop input files (arch, problem, mapping, ERT) with Timeloop's counts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="Timeloop YAML inputs")
    parser.add_argument(
        "--out", type=Path, default=Path("timeloop-out"), help="output directory (timeloop-out)"
    )
    parser.add_argument(
        "--elide-first-read",
        choices=["yes", "no"],
        default="yes",
        help="leave out outputs' zero-initialised first fills, as Timeloop builds since 2023 do "
        "(no: count them, as older outputs do)",
    )
    parser.add_argument(
        "--link-transfers",
        choices=["yes", "no"],
        default="yes",
        help="let a child take a tile its mesh neighbour fetched the step before, where that "
        "spares parent reads, as Timeloop does by default (no: TIMELOOP_DISABLE_LINK_TRANSFERS=1)",
    )
    parser.add_argument(
        "--fidelity",
        choices=["ideal", "engine"],
        default="ideal",
        help="ideal: Timeloop's cycles only; engine: also the discrete-event engine's cycles",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    case = load_case(list(args.files))
    result = evaluate_case(
        case,
        elide_first_read=args.elide_first_read == "yes",
        fidelity=args.fidelity,
        use_link_transfers=args.link_transfers == "yes",
    )
    print(summary_text(result), end="")
    path = write_stats(result, args.out)
    print(f"wrote {path}")
    return 0
