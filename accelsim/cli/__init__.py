"""The ``accelsim`` command: one program, one subcommand per job.

Each subcommand lives in its own module with ``register(subparsers)``, which adds its parser and
sets ``handler`` to a function taking the parsed arguments and returning an exit status; ``-v`` and
``--quiet`` are added to every subcommand, so they work before and after it. Bad input
(:class:`~accelsim.errors.ConfigError`) is printed as one message and exits with status 2; Ctrl-C
stops with status 130 (outputs are written atomically, so nothing half-written is left).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from accelsim.errors import ConfigError
from accelsim.version import __version__


def _command_modules() -> list[ModuleType]:
    # One import per subcommand module; add yours here.
    from accelsim.cli import (
        cost_table,
        evaluate,
        plot,
        report,
        run,
        scalesim,
        search,
        sweep,
        timeloop,
    )

    return [run, evaluate, sweep, plot, report, cost_table, search, scalesim, timeloop]


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accelsim", description="Cycle-level simulator of DNN accelerators."
    )
    parser.add_argument("--version", action="version", version=f"accelsim {__version__}")
    add_common_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        module.register(subparsers)
    for command in subparsers.choices.values():
        add_common_options(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 done, 1 partly failed, 2 bad input or usage,
    130 interrupted)."""
    parser = build_parser()
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
