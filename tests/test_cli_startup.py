"""The command starts quickly: only the named subcommand's module is imported, and the help that
`accelsim --help` lists for each command is the one its own parser carries."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from accelsim.cli import COMMANDS, build_parser


def imported_after(argv: list[str]) -> set[str]:
    code = (
        "import sys\nfrom accelsim.cli import main\n"
        f"main({argv!r})\nprint(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_version_and_help_load_no_command_module_and_no_pandas():
    loaded = imported_after(["--version"]) | imported_after(["--help"])
    assert "pandas" not in loaded
    assert not {module for module, _ in COMMANDS.values()} & loaded


def test_a_command_loads_its_own_module_only():
    loaded = imported_after(["search", "--help"])
    assert "accelsim.cli.search" in loaded
    assert not {module for name, (module, _) in COMMANDS.items() if name != "search"} & loaded


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_listed_help_is_the_commands_own(name):
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    importlib.import_module(COMMANDS[name][0]).register(subparsers)
    (action,) = subparsers._choices_actions
    assert (action.dest, action.help) == (name, COMMANDS[name][1])
    assert name in build_parser([name]).format_help()
