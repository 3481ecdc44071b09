"""Mutation check of the core: flip one operator at a time and see whether the tests notice.

Targets: accelsim/analysis/, accelsim/engine/ and accelsim/energy/pricing.py (the pricing, was
cost.py). Every operator site of those files is found by walking their syntax trees (never by
line number, so the script keeps working while the code changes); a fixed-seed sample of them,
spread over the files in proportion to their sites, is mutated one at a time:

    a + b -> a - b, a - b -> a + b, a * b -> a // b, a / b and a // b -> a * b, a % b -> a // b,
    < -> <=, <= -> <, > -> >=, >= -> >, == -> !=, != -> ==, and -> or, or -> and,
    max( -> min(, min( -> max(, x += y -> x -= y, x -= y -> x += y,
    a small integer constant k (0 <= k <= 2) in arithmetic or a comparison -> k + 1.

Each mutant is written into a temporary copy of the package and of tests/ (never into the source
tree), and the targeted subset of tests runs against the copy (``-x``, Hypothesis derandomized);
a mutant is *killed* when the subset fails or exceeds the time limit, *survived* when it passes.
The score is killed / mutants. A survivor is either a missing test or an equivalent mutant (one
that cannot change any result); the printout names its file, line and code to judge which.

    python bench/mutation_check.py [--count 36] [--seed 16] [--examples 25] [--timeout S] [--list]
                                   [--only TEXT,TEXT]

Hypothesis tests run at most ``--examples`` examples each in the copy (25: a cheaper check than the
suite's 150-200). Measured on the project's 2-core machine shared by several jobs (load 7): the
unmutated subset 45-55 s, a killed mutant usually 10-30 s, a survivor the whole subset, a hang the
limit (twice the unmutated run); 33 mutants took 25 minutes. Use ``--count 16`` for a quick look
and ``--only`` to re-run the survivors after adding a test.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ("accelsim/analysis", "accelsim/engine", "accelsim/energy/pricing.py")
TESTS = (  # about 30 s alone on the loaded 2-core machine
    "tests/test_analysis_oracle.py",
    "tests/test_engine.py",
    "tests/test_engine_monotone.py",
    "tests/test_energy_tables.py",
    "tests/test_cli_evaluate.py",
    "tests/test_reference.py::test_timeloop_counts_exact",
    "tests/test_reference.py::test_timeloop_cycles_macs_utilization",
    "tests/test_reference.py::test_timeloop_energy_within_0_1_percent",
)
BINARY = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
}
COMPARE = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}
BOOLEAN = {ast.And: ast.Or, ast.Or: ast.And}
SWAPPED_CALLS = {"max": "min", "min": "max"}
SYMBOL = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.And: "and",
    ast.Or: "or",
}


@dataclass(frozen=True)
class Mutant:
    path: str  # relative to the repository
    site: int  # index of the node among the file's mutable sites, in ast.walk order
    line: int
    change: str  # "+ -> -", "max -> min", "1 -> 2"


def sites(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """Every mutable node of ``tree`` in ast.walk order, with the change it would get."""
    numeric_parents = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp | ast.Compare | ast.AugAssign)
        for child in ast.iter_child_nodes(node)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            yield node, f"{SYMBOL[type(node.op)]} -> {SYMBOL[BINARY[type(node.op)]]}"
        elif isinstance(node, ast.AugAssign) and type(node.op) in (ast.Add, ast.Sub):
            new = BINARY[type(node.op)]
            yield node, f"{SYMBOL[type(node.op)]}= -> {SYMBOL[new]}="
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE:
            yield node, f"{SYMBOL[type(node.ops[0])]} -> {SYMBOL[COMPARE[type(node.ops[0])]]}"
        elif isinstance(node, ast.BoolOp):
            yield node, f"{SYMBOL[type(node.op)]} -> {SYMBOL[BOOLEAN[type(node.op)]]}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in SWAPPED_CALLS
        ):
            yield node, f"{node.func.id} -> {SWAPPED_CALLS[node.func.id]}"
        elif (
            isinstance(node, ast.Constant)
            and type(node.value) is int
            and 0 <= node.value <= 2
            and id(node) in numeric_parents
        ):
            yield node, f"{node.value} -> {node.value + 1}"


def mutate(node: ast.AST) -> None:
    """Apply the change :func:`sites` announced for ``node``, in place."""
    if isinstance(node, ast.BinOp | ast.AugAssign):
        node.op = BINARY[type(node.op)]()
    elif isinstance(node, ast.Compare):
        node.ops = [COMPARE[type(node.ops[0])]()]
    elif isinstance(node, ast.BoolOp):
        node.op = BOOLEAN[type(node.op)]()
    elif isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        node.func.id = SWAPPED_CALLS[node.func.id]
    elif isinstance(node, ast.Constant):
        node.value += 1


def target_files() -> list[str]:
    files = []
    for target in TARGETS:
        path = ROOT / target
        found = sorted(path.glob("*.py")) if path.is_dir() else [path]
        files += [str(f.relative_to(ROOT)) for f in found]
    return files


def all_mutants() -> dict[str, list[Mutant]]:
    by_file = {}
    for name in target_files():
        tree = ast.parse((ROOT / name).read_text("utf-8"))
        by_file[name] = [
            Mutant(name, index, getattr(node, "lineno", 0), change)
            for index, (node, change) in enumerate(sites(tree))
        ]
    return by_file


def sample(by_file: dict[str, list[Mutant]], count: int, seed: int) -> list[Mutant]:
    """``count`` mutants spread over the files in proportion to their sites (at least one each)."""
    total = sum(len(found) for found in by_file.values())
    rng = random.Random(seed)
    chosen = []
    for found in by_file.values():
        if found:
            share = max(1, math.floor(count * len(found) / total + 0.5))
            chosen += rng.sample(found, min(share, len(found)))
    return chosen


def mutated_source(mutant: Mutant) -> str:
    tree = ast.parse((ROOT / mutant.path).read_text("utf-8"))
    node, _ = list(sites(tree))[mutant.site]
    mutate(node)
    return ast.unparse(ast.fix_missing_locations(tree))


def code_at(mutant: Mutant) -> str:
    lines = (ROOT / mutant.path).read_text("utf-8").splitlines()
    return lines[mutant.line - 1].strip() if 0 < mutant.line <= len(lines) else ""


def make_copy(scratch: Path, examples: int) -> None:
    """The package and the tests, with Hypothesis at ``examples`` examples per test (the copy's
    conftest only: the tests in the repository keep their own settings)."""
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", "*.pyc")
    shutil.copytree(ROOT / "accelsim", scratch / "accelsim", ignore=ignore)
    shutil.copytree(ROOT / "tests", scratch / "tests", ignore=ignore)
    with (scratch / "tests" / "conftest.py").open("a", encoding="utf-8") as conftest:
        conftest.write(CAP_EXAMPLES.format(examples=examples))


# Appended to the copy's conftest: every Hypothesis test, whatever its own @settings, runs at
# most ``examples`` examples (through Hypothesis's per-test settings attribute).
CAP_EXAMPLES = """

def pytest_collection_modifyitems(items):
    for item in items:
        test = getattr(item, "obj", None)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is not None:
            test._hypothesis_internal_use_settings = settings(
                own, max_examples=min(own.max_examples, {examples})
            )
"""


def run_tests(scratch: Path, timeout: float) -> tuple[str, float]:
    """'passed', 'failed' or 'timeout', and the seconds it took, for the subset on the copy."""
    env = {**os.environ, "PYTHONPATH": str(scratch), "CI": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TESTS]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=scratch, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - start
    return ("passed" if done.returncode == 0 else "failed"), time.perf_counter() - start


def check_isolation(scratch: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(scratch)}
    where = subprocess.run(
        [sys.executable, "-c", "import accelsim; print(accelsim.__file__)"],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not where.startswith(str(scratch)):
        raise SystemExit(f"the copy is not the package the tests import ({where})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=36, help="mutants to run (about)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--examples", type=int, default=25, help="Hypothesis examples per test")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds per mutant (twice the unmutated run)"
    )
    parser.add_argument("--list", action="store_true", help="list the sample, run nothing")
    parser.add_argument(
        "--only",
        default=None,
        help="run the sampled mutants whose 'path:line change' has one"
        " of these comma-separated texts",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # remove the copy when stopped
    by_file = all_mutants()
    chosen = sample(by_file, args.count, args.seed)
    if args.only:
        texts = args.only.split(",")
        chosen = [m for m in chosen if any(t in f"{m.path}:{m.line} {m.change}" for t in texts)]
    print(
        f"{sum(map(len, by_file.values()))} mutable sites in {len(by_file)} files; "
        f"{len(chosen)} mutants (seed {args.seed})"
    )
    if args.list:
        for mutant in chosen:
            print(f"  {mutant.path}:{mutant.line}  {mutant.change:10}  {code_at(mutant)}")
        return
    with tempfile.TemporaryDirectory(prefix="accelsim-mutants-") as folder:
        scratch = Path(folder)
        make_copy(scratch, args.examples)
        check_isolation(scratch)
        status, seconds = run_tests(scratch, args.timeout or 600)
        print(f"unmutated copy: {status} in {seconds:.0f} s")
        if status != "passed":
            raise SystemExit("the test subset must pass on the unmutated code")
        limit = args.timeout or max(60.0, 2 * seconds)
        survivors = []
        for number, mutant in enumerate(chosen, 1):
            target = scratch / mutant.path
            original = target.read_text("utf-8")
            target.write_text(mutated_source(mutant), "utf-8")
            try:
                status, seconds = run_tests(scratch, limit)
            finally:
                target.write_text(original, "utf-8")
            verdict = "survived" if status == "passed" else f"killed ({status})"
            print(
                f"[{number:2}/{len(chosen)}] {verdict:17} {seconds:4.0f} s  "
                f"{mutant.path}:{mutant.line}  {mutant.change:10}  {code_at(mutant)}",
                flush=True,
            )
            if status == "passed":
                survivors.append(mutant)
    killed = len(chosen) - len(survivors)
    print(f"mutation score: {killed}/{len(chosen)} killed ({100 * killed / len(chosen):.0f} %)")
    for mutant in survivors:
        print(f"  survived: {mutant.path}:{mutant.line}  {mutant.change}  {code_at(mutant)}")


if __name__ == "__main__":
    main()
