"""The ``accelsim`` command: one program, one subcommand per job.

Each subcommand lives in its own module (listed in :data:`COMMANDS`, imported only when that
command runs) with ``register(subparsers)``, which adds its parser and sets ``handler`` to a
function taking the parsed arguments and returning an exit status; ``-v`` and ``--quiet`` are
added to every subcommand, so they work before and after it. Bad input
(:class:`~accelsim.errors.ConfigError`) is printed as one message and exits with status 2; Ctrl-C
stops with status 130 (outputs are written atomically, so nothing half-written is left).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from accelsim.errors import ConfigError
from accelsim.version import __version__

# Each command: the module that implements it, imported only when that command runs (so the
# program starts in a fraction of a second and loads pandas only for the commands that need it),
# and the one-line help that `accelsim --help` lists (the module's parser says the same).
COMMANDS: dict[str, tuple[str, str]] = {
    "run": (
        "accelsim.cli.run",
        "simulate a network under several dataflows (defaults: the Eyeriss ISCA 2016 study)",
    ),
    "evaluate": (
        "accelsim.cli.evaluate",
        "cost one layer under a given mapping (accelsim or Timeloop mapping YAML)",
    ),
    "sweep": (
        "accelsim.cli.sweep",
        "run a sweep file (grid of archs, workloads, dataflows...) into one table",
    ),
    "plot": (
        "accelsim.cli.plot",
        "draw a results table: energy breakdown, cycles per layer, sweep scatter",
    ),
    "report": (
        "accelsim.cli.report",
        "write an HTML report of a results folder: findings, plots, tables",
    ),
    "cost-table": (
        "accelsim.cli.cost_table",
        "per-layer latency/energy for every (weight bits, activation bits) pair",
    ),
    "search": (
        "accelsim.cli.search",
        "choose per-layer bits from a cost table under a cycles or energy budget",
    ),
    "scalesim": (
        "accelsim.cli.scalesim",
        "run a SCALE-Sim config and topology on accelsim's systolic model",
    ),
    "timeloop": (
        "accelsim.cli.timeloop",
        "evaluate Timeloop input files (arch, problem, mapping, ERT) with Timeloop's counts",
    ),
    "compress": (
        "accelsim.cli.compress",
        "Deep Compression of a network's weights: size, ratio, DRAM traffic and energy",
    ),
}


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option; the
    program's own options take no values)."""
    return next((word for word in argv if not word.startswith("-")), None)


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """``-v/--verbose`` and ``-q/--quiet`` (absent unless given, so the subcommand's value does
    not overwrite the main parser's)."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log what is being done to stderr",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress lines or bars on stderr (errors are still printed)",
    )


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The program's parser, with the full parser of the command ``argv`` names (the others
    listed by name and help only, their modules not imported)."""
    parser = argparse.ArgumentParser(
        prog="accelsim", description="Cycle-level simulator of DNN accelerators."
    )
    parser.add_argument("--version", action="version", version=f"accelsim {__version__}")
    add_common_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _chosen(argv)
    for name, (module, summary) in COMMANDS.items():
        if name == chosen:
            importlib.import_module(module).register(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    for command in subparsers.choices.values():
        add_common_options(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 done, 1 partly failed, 2 bad input or usage,
    130 interrupted)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error argparse printed
        return stop.code if isinstance(stop.code, int) else 2
    args.verbose = getattr(args, "verbose", False)
    args.quiet = getattr(args, "quiet", False)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as error:
        print(f"accelsim {args.command}: error:\n{error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"accelsim {args.command}: interrupted; no partial output written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
