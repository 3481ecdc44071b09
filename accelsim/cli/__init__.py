"""The ``accelsim`` command: one program, one subcommand per job.

Each subcommand lives in its own module with ``register(subparsers)``, which adds its parser and
sets ``handler`` to a function taking the parsed arguments and returning an exit status. Bad input
(:class:`~accelsim.errors.ConfigError`) is printed as one message and exits with status 2.
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
    from accelsim.cli import cost_table, evaluate, plot, report, run, scalesim, sweep

    return [run, evaluate, sweep, plot, report, cost_table, scalesim]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="accelsim", description="Cycle-level simulator of DNN accelerators."
    )
    parser.add_argument("--version", action="version", version=f"accelsim {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as error:
        print(f"accelsim {args.command}: error:\n{error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("accelsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
