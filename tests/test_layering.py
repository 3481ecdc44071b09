"""Imports run one way: a module imports only from its own layer or the layers below it, as
docs/design.md draws the pipeline. A new upward import fails here, naming the line."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "accelsim"

# Lowest first. A module belongs to the longest prefix listed (accelsim.energy.table is data,
# read with the architecture; accelsim.energy.pricing prices counts).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "types", "config", "atomic", "progress", "workers", "progressions", "version"),
    ("workload", "mac", "energy", "sparse", "compress"),
    ("arch",),
    ("dataflow", "mapping"),
    ("analysis", "engine", "systolic", "functional"),
    ("energy.pricing", "compress.dram"),
    ("mapper", "results"),
    ("api", "timeloop"),
    ("report", "sweep", "precision"),
    ("cli",),
)


def layer_of(module: str) -> int:
    """The layer of ``accelsim.x.y`` (the package itself, ``accelsim``, sits on top)."""
    parts = module.split(".")[1:]
    if not parts:
        return len(LAYERS)
    for depth in range(len(parts), 0, -1):
        prefix = ".".join(parts[:depth])
        for index, names in enumerate(LAYERS):
            if prefix in names:
                return index
    raise AssertionError(f"{module} is in no layer of tests/test_layering.py: add it")


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    """(line, module) of every accelsim import in the file, function-level ones included."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("accelsim")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = module.split(".")[: -node.level or None]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name == "accelsim":  # from accelsim import analysis, mapper
                found += [(node.lineno, f"accelsim.{a.name}") for a in node.names]
            elif name.startswith("accelsim"):
                found.append((node.lineno, name))
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_no_module_imports_from_a_layer_above_it(path: Path) -> None:
    module = module_name(path)
    own = layer_of(module)
    upward = [
        f"{path.name}:{line} imports {name} (layer {layer_of(name)} > {own})"
        for line, name in imported(ast.parse(path.read_text(encoding="utf-8")), module)
        if layer_of(name) > own
    ]
    assert not upward, upward


def test_every_package_is_in_a_layer() -> None:
    for path in SOURCES:
        layer_of(module_name(path))


def test_the_checker_sees_an_upward_import() -> None:
    tree = ast.parse("def f():\n    from accelsim.api import simulate\n")
    assert imported(tree, "accelsim.analysis.counts") == [(2, "accelsim.api")]
    assert layer_of("accelsim.api") > layer_of("accelsim.analysis.counts")


@pytest.mark.parametrize(
    ("module", "heavy"),
    [("accelsim.engine", "pandas"), ("accelsim.analysis.counts", "pandas")],
)
def test_low_layers_do_not_load_heavy_libraries(module: str, heavy: str) -> None:
    code = f"import sys, {module}; print({heavy!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
