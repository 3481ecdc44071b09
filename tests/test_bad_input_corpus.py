"""The bad-input corpus: every file type accelsim reads and every command-line flag, spoiled in
the ways a user spoils them (truncated, wrong types, negative, zero, huge, infinite, NaN,
duplicate keys, unknown keys, deep nesting, non-UTF-8, empty, paths of the wrong kind).

Each case runs the CLI in-process (``accelsim.cli.main``) in a fresh folder and asserts: exit
status 2, no traceback, a message naming the file (or the command line) and the field, and no
file or folder created or changed. The base inputs are accelsim's builtin ``tiny`` architecture
and workload, its horowitz45 energy table, and the SCALE-Sim inputs of tests/test_scalesim_errors.
"""

from __future__ import annotations

import copy
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from test_scalesim_errors import GOOD_CFG

import accelsim
from accelsim.cli import main

BUILTIN = Path(accelsim.__file__).parent / "builtin"
ARCH = yaml.safe_load((BUILTIN / "arch_configs" / "tiny.yaml").read_text())
WORKLOAD = yaml.safe_load((BUILTIN / "workloads" / "tiny.yaml").read_text())
ENERGY = yaml.safe_load((Path(accelsim.__file__).parent / "energy" / "horowitz45.yaml").read_text())
MAPPING = {
    "mapping": [
        {"level": "DRAM", "temporal": [["M", 10], ["C", 8]]},
        {"level": "buffer", "temporal": [["C", 16]]},
    ]
}
TIMELOOP_MAPPING = {
    "mapping": [{"target": "DRAM", "type": "temporal", "factors": "C=8 M=10", "permutation": "CM"}]
}
PROBLEM = {
    "problem": {
        "shape": {"name": "CNN-Layer"},
        "instance": {"C": 3, "M": 4, "P": 6, "Q": 6, "R": 3, "S": 3, "N": 1},
    }
}
SWEEP = {"name": "s", "arch": "tiny", "workloads": ["tiny"], "dataflows": ["ws"]}
# Sparseloop's dot product (tests/data/sparseloop/01.2.3-SCDU-dot-product) in one file
SPARSE = {
    "architecture": {
        "version": 0.3,
        "subtree": [
            {
                "name": "PE",
                "local": [
                    {
                        "name": "Buffer",
                        "class": "regfile_metadata",
                        "attributes": {"depth": 64, "width": 8, "datawidth": 8},
                    },
                    {"name": "mac", "class": "intmac", "attributes": {"datawidth": 8}},
                ],
            }
        ],
    },
    "problem": {
        "shape": {
            "name": "DotProduct",
            "dimensions": ["K", "M"],
            "data_spaces": [
                {"name": "A", "projection": [[["K"]]]},
                {"name": "B", "projection": [[["K"]]]},
                {"name": "Z", "projection": [[["M"]]], "read_write": True},
            ],
        },
        "instance": {
            "M": 1,
            "K": 16,
            "densities": {"A": {"distribution": "fixed_structured", "density": 0.25}},
        },
    },
    "mapping": [{"target": "Buffer", "type": "temporal", "factors": "K16 M1", "permutation": "KM"}],
    "sparse_optimizations": {
        "targets": [
            {
                "name": "Buffer",
                "representation_format": {
                    "data_spaces": [{"name": "A", "ranks": [{"format": "CP"}]}]
                },
                "action_optimization": [
                    {"type": "skipping", "options": [{"target": "B", "condition_on": ["A"]}]}
                ],
            }
        ]
    },
}
CFG = GOOD_CFG  # the valid SCALE-Sim cfg of test_scalesim_errors, broken one field at a time
TOPOLOGY = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
    "Strides,\nConv1, 16, 16, 3, 3, 3, 10, 1,\n"
)
TABLE_CSV = "layer,weight_bits,input_bits,cycles\nl,4,4,10\nl,4,8,20\nl,8,4,20\nl,8,8,40\n"
DIR = object()  # a file entry that is a folder
INF, NAN, HUGE = math.inf, math.nan, 10**30

TIMELOOP_SPARSE = ["timeloop", "i.yaml", "--out", "out"]
SPARSE_SPOILS = {
    "problem.instance.densities.A.density": [1.5, -0.1, INF, NAN, "x", True],
    "problem.instance.densities.A.distribution": ["gaussian"],
    "problem.instance.densities.Q": [0.5],
    "sparse_optimizations.targets.0.name": ["nowhere"],
    "sparse_optimizations.targets.0.compute_optimization": [[]],
    "sparse_optimizations.targets.0.action_optimization.0.type": ["pruning"],
}

RUN_ARCH = ["run", "--workload", "tiny", "--dataflows", "ws", "--out", "out", "--arch", "a.yaml"]
RUN_WORKLOAD = ["run", "--arch", "tiny", "--dataflows", "ws", "--out", "out", "--workload"]
EVALUATE = ["evaluate", "--arch", "tiny", "--layer", "tiny:fc", "--mapping", "m.yaml"]
RUN_TABLE = [*RUN_WORKLOAD[:-1], "--workload", "tiny", "--energy-table", "e.yaml"]
SWEEP_ARGV = ["sweep", "s.yaml", "--out", "out", "--executor", "serial"]
SCALESIM = ["scalesim", "--config", "c.cfg", "--topology", "t.csv", "--out", "out"]
COST_TABLE = ["cost-table", "--arch", "tiny", "--workload", "tiny", "--dataflow", "ws"]


@dataclass
class Case:
    name: str
    argv: list[str]
    expected: list[str]  # parts of the message: the file (or "command line"), the field, ...
    files: dict[str, Any] = field(default_factory=dict)


def dumped(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def spoil(base: dict, path: str, value: Any) -> dict:
    """A copy of ``base`` with the dotted ``path`` (list indices as numbers) set to ``value``;
    the value ``...`` deletes the key."""
    data = copy.deepcopy(base)
    *steps, last = path.split(".")
    node = data
    for step in steps:
        node = node[int(step)] if isinstance(node, list) else node[step]
    key = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return data


def shown(path: str) -> str:
    """How messages write a dotted path: ``levels.1.kind`` -> ``levels[1].kind``; an element of
    a list item (``temporal.0.1``, a loop's bound) is reported at the item (``temporal[0]``)."""
    steps = path.split(".")
    if len(steps) > 2 and steps[-1].isdigit() and steps[-2].isdigit():
        steps = steps[:-1]
    out = ""
    for step in steps:
        out += f"[{step}]" if step.isdigit() else (f".{step}" if out else step)
    return out


def deep(depth: int) -> str:
    return "x: " + "[" * depth + "]" * depth + "\n"


def raw_cases(kind: str, argv: list[str], file: str, base_text: str, dup: str) -> list[Case]:
    """The file-level spoils every YAML input shares."""
    return [
        Case(f"{kind}-empty", argv, [file, "a YAML mapping at the top level"], {file: ""}),
        Case(f"{kind}-truncated", argv, [file, "line"], {file: base_text[:-1] + "\n  - {a: ["}),
        Case(f"{kind}-not-utf8", argv, [file, "UTF-8"], {file: b"name: \xff\xfe\x00bad\n"}),
        Case(f"{kind}-binary", argv, [file, "UTF-8"], {file: bytes(range(256))}),
        Case(f"{kind}-list", argv, [file, "a YAML mapping at the top level"], {file: "- a\n"}),
        Case(f"{kind}-duplicate", argv, [file, "line", "appears twice"], {file: dup}),
        Case(f"{kind}-deep-5000", argv, [file, "nested at most 32 levels"], {file: deep(5000)}),
        Case(
            f"{kind}-deep-300",
            argv,
            [file, "nested at most 32 levels"],
            {file: "description: " + "{a: " * 300 + "1" + "}" * 300 + "\n"},
        ),
        Case(f"{kind}-folder", argv, [file], {file: DIR}),
        Case(f"{kind}-5000-digits", argv, [file, "valid YAML values"], {file: "x: " + "9" * 5000}),
        Case(f"{kind}-bad-date", argv, [file, "valid YAML values"], {file: "x: 2001-02-30\n"}),
        Case(f"{kind}-bad-tag", argv, [file, "valid YAML values"], {file: "x: !!int seven\n"}),
        Case(
            f"{kind}-python-tag",
            argv,
            [file, "valid YAML"],
            {file: "x: !!python/object/apply:os.system ['true']\n"},
        ),
    ]


def field_cases(kind: str, argv: list[str], file: str, base: dict, spoils: dict) -> list[Case]:
    cases = []
    for path, values in spoils.items():
        for value in values:
            text = dumped(spoil(base, path, value))
            label = f"{kind}-{path}={value!r}"[:80]
            cases.append(Case(label, argv, [file, shown(path)], {file: text}))
    return cases


ARCH_SPOILS = {
    "pe_array.rows": [0, -4, HUGE, 1e30, INF, NAN, "4", True, 70000, None],
    "pe_array.cols": [0, 1e30, [4]],
    "clock_mhz": [0, -1, INF, NAN, 1e30, "fast"],
    "area_mm2": [0, INF, 1e30],
    "levels.1.capacity_kb": [0, -1, INF, NAN, 1e30, "big"],
    "levels.2.capacity_bits": [-1, 1.5, HUGE, INF],
    "levels.1.word_bits": [0, 10**6, 8.5],
    "levels.1.bandwidth_bits_per_cycle": [0, -3, INF, NAN, 1e30],
    "levels.0.latency_cycles": [-1, 10**9, "slow"],
    "levels.2.energy": [-1, INF, NAN, "x", 1e30],
    "levels.1.kind": ["flash", 3],
    "levels.1.keeps": ["weights", ["bias"]],
    "levels.1.per_pe": ["yes"],
    "levels.1.name": [{"a": 1}],
    "network": [[1]],
    "network.bandwidth_bits_per_cycle": [0, 1e30, INF],
    "network.energy_pj_per_bit": [-1, NAN],
    "network.multicast": ["yes"],
    "description": [{"a": {"b": 1}}, ["x"], 5],
    "name": [{"x": 1}, ""],
    "levels.0.compression": [{"bias": ["RLE"]}, {"inputs": ["XYZ"]}, {"inputs": ["RLE"] * 5}],
    "levels.0.sparse": [[{"action": "skipping", "target": "weights", "condition_on": ["bias"]}]],
    "fixed_precision": [{"weight_bits": 0}, {"weight_bits": 33}, {"psum_bits": 65}],
    "mac": ["int"],
    "energy_table": [5],
    "bogus": [1],
}
WORKLOAD_SPOILS = {
    "layers.0.in_channels": [0, -3, 1e30, HUGE, INF, NAN, "3", True],
    "layers.0.kernel_size": [0, [3], [3, -1], 10**20],
    "layers.0.padding": [-1, 10**9],
    "layers.0.stride": [0, 1.5],
    "layers.0.weight_bits": [0, 33, 4.5, INF],
    "layers.0.psum_bits": [65],
    "layers.0.weight_density": [0, 1.5, NAN, INF],
    "layers.2.in_features": [0, 10**13],
    "layers.0.bogus": [1],
    "layers.0.type": ["dense"],
    "layers": [[], "conv"],
    "batch": [0, -1, 10**9, 1.5, INF],
    "description": [{"a": 1}, [1]],
    "name": [{"x": 1}],
    "defaults.weight_bits": [0, 99],
    "bogus": [1],
}
PROBLEM_SPOILS = {
    "problem.instance.C": [0, -1, 1e30, HUGE, "x", ...],
    "problem.instance.K": [3],
    "problem.instance": [[1]],
}
MAPPING_SPOILS = {
    "mapping.0.temporal.0.1": [0, -1, 1e30, HUGE, INF, "x"],
    "mapping.0.temporal.0.0": ["Z"],
    "mapping.0.level": ["nowhere"],
    "mapping.0.bogus": [1],
    "mapping.0.temporal": ["M10"],
    "mapping": [[]],
    "description": [{"a": 1}],
}
TIMELOOP_MAPPING_SPOILS = {
    "mapping.0.factors": ["C=0 M=10", "C=99999999999999999999 M=10", "C=x", 5],
    "mapping.0.permutation": [7],
}
ENERGY_SPOILS = {
    "dram.per_access": [-1, INF, NAN, 1e30, "x"],
    "dram.access_bits": [0, 1.5, 10**6],
    "sram.points": [[[8192, -1]], [[0, 1]], [[8192, INF]], [[64, 2], [8, 3]]],
    "regfile": [..., 3],
    "name": [{"a": 1}],
    "bogus": [1],
}
SWEEP_SPOILS = {
    "grid": [{}, {"pe_array.rows": 5}],
    "zip": [{}, {"pe_array.rows": [4, 8], "pe_array.cols": [4]}],
    "batches": [[0], [-1], [1e30], [10**9], ["x"]],
    "precisions": [[{"weight_bits": 0}], [{"weight_bits": 99}], [{"input_bits": INF}]],
    "dataflows": [["xx"]],
    "objectives": [["fast"]],
    "workloads": [[]],
    "description": [{"a": 1}],
    "arch": ["nosuch"],
    "bogus": [1],
}


def sparse_deep_cases() -> list[tuple[str, str, str]]:
    """Spoils deep in sparse_optimizations, whose paths are too long for field_cases' labels."""
    target = "sparse_optimizations.targets.0."
    ranks = target + "representation_format.data_spaces.0.ranks"
    option = target + "action_optimization.0.options.0."
    spoils = [
        ("ranks-too-many", ranks, [{"format": "UOP"}, {"format": "UOP"}, {"format": "CP"}]),
        ("ranks-unknown", ranks, [{"format": "XYZ"}]),
        ("ranks-empty", ranks, []),
        ("format-space-unknown", target + "representation_format.data_spaces.0.name", "Q"),
        ("target-unknown", option + "target", "Q"),
        ("condition-unknown", option + "condition_on", ["Q"]),
        ("condition-empty", option + "condition_on", []),
    ]
    return [(label, path, dumped(spoil(SPARSE, path, value))) for label, path, value in spoils]


def file_cases() -> list[Case]:
    arch = dumped(ARCH)
    workload = dumped(WORKLOAD)
    cases = [
        *field_cases("arch", RUN_ARCH, "a.yaml", ARCH, ARCH_SPOILS),
        *raw_cases("arch", RUN_ARCH, "a.yaml", arch, arch + "pe_array: {rows: 2, cols: 2}\n"),
        Case(
            "arch-duplicate-nested",
            RUN_ARCH,
            ["a.yaml", "'rows' appears twice"],
            {"a.yaml": arch.replace("rows: 4", "rows: 4\n  rows: 3")},
        ),
        *field_cases("workload", [*RUN_WORKLOAD, "w.yaml"], "w.yaml", WORKLOAD, WORKLOAD_SPOILS),
        *raw_cases(
            "workload",
            [*RUN_WORKLOAD, "w.yaml"],
            "w.yaml",
            workload,
            "layers:\n  - {name: a, name: b, type: fc, in_features: 2, out_features: 2}\n",
        ),
        Case(
            "workload-wrong-suffix",
            [*RUN_WORKLOAD, "w.txt"],
            ["w.txt", "a file ending in .yaml"],
            {"w.txt": workload},
        ),
        *field_cases(
            "timeloop-problem", [*RUN_WORKLOAD, "p.yaml"], "p.yaml", PROBLEM, PROBLEM_SPOILS
        ),
        *field_cases("mapping", EVALUATE, "m.yaml", MAPPING, MAPPING_SPOILS),
        *raw_cases(
            "mapping",
            EVALUATE,
            "m.yaml",
            dumped(MAPPING),
            "mapping:\n  - {level: DRAM, level: buffer}\n",
        ),
        *field_cases(
            "timeloop-mapping", EVALUATE, "m.yaml", TIMELOOP_MAPPING, TIMELOOP_MAPPING_SPOILS
        ),
        *field_cases("energy", RUN_TABLE, "e.yaml", ENERGY, ENERGY_SPOILS),
        *field_cases("sparseloop", TIMELOOP_SPARSE, "i.yaml", SPARSE, SPARSE_SPOILS),
        *[
            Case(f"sparseloop-{label}", TIMELOOP_SPARSE, ["i.yaml", shown(path)], {"i.yaml": text})
            for label, path, text in sparse_deep_cases()
        ],
        *raw_cases(
            "energy",
            RUN_TABLE,
            "e.yaml",
            dumped(ENERGY),
            "dram: {per_access: 1, per_access: 2, access_bits: 8}\n",
        ),
        *field_cases("sweep", SWEEP_ARGV, "s.yaml", SWEEP, SWEEP_SPOILS),
        *raw_cases(
            "sweep",
            SWEEP_ARGV,
            "s.yaml",
            dumped(SWEEP),
            dumped(SWEEP) + "grid:\n  pe_array.rows: [2]\n  pe_array.rows: [4]\n",
        ),
    ]
    for name, topology, expected in [
        ("empty", "", "a header line"),
        ("not-utf8", b"Layer name\n\xff\xfe", "UTF-8"),
        ("negative", TOPOLOGY.replace("16, 16", "-16, 16"), "line 2"),
        ("huge", TOPOLOGY.replace("16, 16", f"{HUGE}, 16"), "line 2"),
        ("text", TOPOLOGY.replace("16, 16", "sixteen, 16"), "line 2"),
        ("zero-filters", TOPOLOGY.replace("3, 10, 1", "3, 0, 1"), "line 2"),
        ("missing-column", TOPOLOGY.replace("Strides,", ""), "column"),
        ("folder", DIR, "t.csv"),
    ]:
        cases.append(
            Case(
                f"topology-{name}", SCALESIM, ["t.csv", expected], {"c.cfg": CFG, "t.csv": topology}
            )
        )
    for name, cfg, expected in [
        ("array-height-text", CFG.replace("ArrayHeight:    32", "ArrayHeight: 3x2"), "ArrayHeight"),
        ("array-height-zero", CFG.replace("ArrayHeight:    32", "ArrayHeight: 0"), "ArrayHeight"),
        ("no-section", CFG.replace("[run_presets]", "[run]"), "[run]"),
        ("empty", "", "c.cfg"),
        ("not-utf8", b"[general]\nrun_name = \xff\xfe\n", "UTF-8"),
        (
            "array-height-huge",
            CFG.replace("ArrayHeight:    32", f"ArrayHeight: {HUGE}"),
            "ArrayHeight",
        ),
        (
            "array-width-negative",
            CFG.replace("ArrayWidth:     32", "ArrayWidth: -32"),
            "ArrayWidth",
        ),
    ]:
        cases.append(
            Case(
                f"scalesim-cfg-{name}",
                SCALESIM,
                ["c.cfg", expected],
                {"c.cfg": cfg, "t.csv": TOPOLOGY},
            )
        )
    return cases


def flag_cases() -> list[Case]:
    run = ["run", "--arch", "tiny", "--workload", "tiny", "--dataflows", "ws"]
    cmd = "command line"
    cases = [
        Case("run-batch-zero", [*run, "--batch", "0"], [cmd, "--batch"]),
        Case("run-batch-negative", [*run, "--batch", "-1"], [cmd, "--batch"]),
        Case("run-batch-huge", [*run, "--batch", str(10**12)], [cmd, "--batch"]),
        Case("run-batch-text", [*run, "--batch", "x"], ["--batch", "invalid int value"]),
        Case("run-batch-float", [*run, "--batch", "2.5"], ["--batch", "invalid int value"]),
        Case("run-dataflows-comma", [*run[:-2], "--dataflows", ","], [cmd, "--dataflows"]),
        Case("run-dataflows-unknown", [*run[:-2], "--dataflows", "xx"], [cmd, "--dataflows"]),
        Case("run-dataflows-one-bad", [*run[:-2], "--dataflows", "ws,,zz"], [cmd, "--dataflows"]),
        Case("run-w-bits-zero", [*run, "--w-bits", "0"], [cmd, "--weight-bits"]),
        Case("run-w-bits-huge", [*run, "--w-bits", "99"], [cmd, "--weight-bits"]),
        Case("run-a-bits-negative", [*run, "--a-bits", "-1"], [cmd, "--input-bits"]),
        Case("run-objective", [*run, "--objective", "fast"], ["--objective", "invalid choice"]),
        Case("run-density-above-1", [*run, "--densities", "inputs=1.5"], [cmd, "--densities"]),
        Case("run-density-zero", [*run, "--densities", "weights=0"], [cmd, "--densities"]),
        Case("run-density-type", [*run, "--densities", "bias=0.5"], [cmd, "--densities"]),
        Case("run-density-text", [*run, "--densities", "inputs=half"], [cmd, "--densities"]),
        Case("run-fidelity", [*run, "--fidelity", "fast"], ["--fidelity", "invalid choice"]),
        Case("run-unknown-flag", [*run, "--bogus"], ["unrecognized arguments: --bogus"]),
        Case("run-arch-missing", ["run", "--arch", "nosuch"], ["nosuch", "architecture"]),
        Case("run-workload-missing", ["run", "--workload", "nosuch"], ["nosuch", "workload"]),
        Case(
            "run-energy-table-missing",
            [*run, "--energy-table", "nosuch"],
            ["nosuch", "energy table"],
        ),
        Case(
            "run-out-is-a-file",
            [*run, "--out", "f"],
            [cmd, "--out", "not an existing file"],
            {"f": "x"},
        ),
        Case(
            "run-out-inside-a-file",
            [*run, "--out", "f/sub"],
            [cmd, "--out", "is a file"],
            {"f": "x"},
        ),
        Case(
            "run-out-holds-a-folder",
            [*run, "--out", "r"],
            [cmd, "--out", "summary.csv"],
            {"r/summary.csv": DIR},
        ),
        Case("run-arch-is-a-folder", ["run", "--arch", "d"], ["d", "is a directory"], {"d": DIR}),
        Case(
            "evaluate-layer",
            ["evaluate", "--arch", "tiny", "--layer", "tiny:nope", "--mapping", "m"],
            [cmd, "--layer"],
        ),
        Case(
            "evaluate-layer-form",
            ["evaluate", "--arch", "tiny", "--layer", "nope", "--mapping", "m"],
            [cmd, "--layer"],
        ),
        Case(
            "evaluate-mapping-missing",
            ["evaluate", "--arch", "tiny", "--layer", "tiny:fc", "--mapping", "nosuch"],
            ["nosuch", "mapping"],
        ),
        Case("evaluate-fidelity", [*EVALUATE, "--fidelity", "x"], ["--fidelity"]),
        Case("cost-table-out-suffix", [*COST_TABLE, "--out", "t.txt"], [cmd, "--out"]),
        Case(
            "cost-table-out-folder",
            [*COST_TABLE, "--out", "adir.csv"],
            [cmd, "--out", "not an existing folder"],
            {"adir.csv": DIR},
        ),
        Case(
            "cost-table-out-inside-file",
            [*COST_TABLE, "--out", "f/t.csv"],
            [cmd, "--out", "is a file"],
            {"f": "x"},
        ),
        Case(
            "cost-table-bits-range",
            [*COST_TABLE, "--bits", "0-99", "--out", "t.csv"],
            [cmd, "--bits"],
        ),
        Case(
            "cost-table-bits-text", [*COST_TABLE, "--bits", "a", "--out", "t.csv"], [cmd, "--bits"]
        ),
        Case(
            "cost-table-bits-reversed",
            [*COST_TABLE, "--bits", "8-1", "--out", "t.csv"],
            [cmd, "--bits"],
        ),
        Case(
            "cost-table-bits-vast",
            [*COST_TABLE, "--bits", f"1-{10**12}", "--out", "t.csv"],
            [cmd, "--bits"],
        ),
        Case(
            "cost-table-w-bits",
            [*COST_TABLE, "--w-bits", "0", "--out", "t.csv"],
            [cmd, "--weight-bits"],
        ),
        Case("cost-table-batch", [*COST_TABLE, "--batch", "0", "--out", "t.csv"], [cmd, "--batch"]),
        Case(
            "cost-table-metric",
            [*COST_TABLE, "--metric", "x", "--out", "t.csv"],
            ["--metric", "invalid choice"],
        ),
        Case("cost-table-no-out", COST_TABLE, ["--out"]),
        Case(
            "plot-out-folder",
            ["plot", "r", "--out", "adir.png"],
            [cmd, "--out", "not an existing folder"],
            {"adir.png": DIR},
        ),
        Case("plot-out-suffix", ["plot", "r", "--out", "p.txt"], [cmd, "--out"]),
        Case(
            "plot-out-inside-file",
            ["plot", "r", "--out", "f/p.png"],
            [cmd, "--out", "is a file"],
            {"f": "x"},
        ),
        Case("plot-results-missing", ["plot", "nosuch", "--out", "p.png"], ["nosuch"]),
        Case("plot-kind", ["plot", "r", "--kind", "pie", "--out", "p.png"], ["--kind"]),
        Case("report-out-file", ["report", "r", "--out", "f"], [cmd, "--out"], {"f": "x"}),
        Case(
            "report-out-inside-file", ["report", "r", "--out", "f/rep"], [cmd, "--out"], {"f": "x"}
        ),
        Case("report-results-missing", ["report", "nosuch", "--out", "rep"], ["nosuch"]),
        Case(
            "scalesim-out-file",
            [*SCALESIM[:-1], "f"],
            [cmd, "--out"],
            {"c.cfg": CFG, "t.csv": TOPOLOGY, "f": "x"},
        ),
        Case(
            "scalesim-out-inside-file",
            [*SCALESIM[:-1], "f/o"],
            [cmd, "--out", "is a file"],
            {"c.cfg": CFG, "t.csv": TOPOLOGY, "f": "x"},
        ),
        Case(
            "scalesim-mode",
            [*SCALESIM, "--mode", "fast"],
            ["--mode", "invalid choice"],
            {"c.cfg": CFG, "t.csv": TOPOLOGY},
        ),
        Case("sweep-missing", ["sweep", "nosuch.yaml"], ["nosuch.yaml", "a readable file"]),
        Case(
            "sweep-out-file",
            ["sweep", "s.yaml", "--out", "f"],
            [cmd, "--out"],
            {"s.yaml": dumped(SWEEP), "f": "x"},
        ),
        Case(
            "sweep-jobs-zero",
            [*SWEEP_ARGV, "--jobs", "0"],
            [cmd, "--jobs"],
            {"s.yaml": dumped(SWEEP)},
        ),
        Case(
            "sweep-jobs-negative",
            [*SWEEP_ARGV, "--jobs", "-2"],
            [cmd, "--jobs"],
            {"s.yaml": dumped(SWEEP)},
        ),
        Case(
            "sweep-executor",
            ["sweep", "s.yaml", "--executor", "cloud"],
            ["--executor"],
            {"s.yaml": dumped(SWEEP)},
        ),
        Case(
            "search-budget-zero",
            ["search", "t.csv", "--budget", "0"],
            [cmd, "--budget"],
            {"t.csv": TABLE_CSV},
        ),
        Case(
            "search-budget-nan",
            ["search", "t.csv", "--budget", "nan"],
            [cmd, "--budget"],
            {"t.csv": TABLE_CSV},
        ),
        Case(
            "search-budget-text",
            ["search", "t.csv", "--budget", "cheap"],
            [cmd, "--budget"],
            {"t.csv": TABLE_CSV},
        ),
        Case(
            "search-objective-absent",
            ["search", "t.csv", "--budget", "50%", "--objective", "energy"],
            ["t.csv", "--objective"],
            {"t.csv": TABLE_CSV},
        ),
        Case("search-table-missing", ["search", "nosuch.csv", "--budget", "1"], ["nosuch.csv"]),
        Case(
            "search-table-not-utf8",
            ["search", "t.csv", "--budget", "1"],
            ["t.csv", "UTF-8"],
            {"t.csv": b"\xff\xfe"},
        ),
        Case("search-table-empty", ["search", "t.csv", "--budget", "1"], ["t.csv"], {"t.csv": ""}),
        Case(
            "search-out-suffix",
            ["search", "t.csv", "--budget", "1", "--out", "c.txt"],
            [cmd, "--out"],
            {"t.csv": TABLE_CSV},
        ),
        Case(
            "search-method",
            ["search", "t.csv", "--budget", "1", "--method", "annealing"],
            ["--method"],
            {"t.csv": TABLE_CSV},
        ),
        Case(
            "evaluate-workload-missing",
            [
                "evaluate",
                "--arch",
                "tiny",
                "--layer",
                "fc",
                "--workload",
                "nosuch",
                "--mapping",
                "m",
            ],
            ["nosuch", "workload"],
        ),
        Case(
            "evaluate-energy-table-missing",
            [*EVALUATE, "--energy-table", "nosuch"],
            ["nosuch", "energy table"],
            {"m.yaml": dumped(MAPPING)},
        ),
        Case(
            "evaluate-arch-missing",
            ["evaluate", "--arch", "nosuch", "--layer", "tiny:fc", "--mapping", "m"],
            ["nosuch", "architecture"],
        ),
        Case(
            "cost-table-dataflow",
            [*COST_TABLE[:-1], "xx", "--out", "t.csv"],
            [cmd, "--dataflow", "xx"],
        ),
        Case(
            "cost-table-a-bits",
            [*COST_TABLE, "--a-bits", "40", "--out", "t.csv"],
            [cmd, "--input-bits"],
        ),
        Case("cost-table-remap", [*COST_TABLE, "--remap", "x", "--out", "t.csv"], ["--remap"]),
        Case(
            "cost-table-unsupported",
            [*COST_TABLE, "--unsupported", "x", "--out", "t.csv"],
            ["--unsupported"],
        ),
        Case(
            "cost-table-fidelity",
            [*COST_TABLE, "--fidelity", "x", "--out", "t.csv"],
            ["--fidelity"],
        ),
        Case(
            "cost-table-arch-missing",
            ["cost-table", "--arch", "nosuch", "--workload", "tiny", "--out", "t.csv"],
            ["nosuch", "architecture"],
        ),
        Case("plot-by", ["plot", "r", "--by", "colour", "--out", "p.png"], ["--by"]),
        Case("plot-per", ["plot", "r", "--per", "point", "--out", "p.png"], ["--per"]),
        Case(
            "scalesim-config-missing",
            ["scalesim", "--config", "no.cfg", "--topology", "t.csv"],
            ["no.cfg"],
            {"t.csv": TOPOLOGY},
        ),
        Case(
            "scalesim-topology-missing",
            ["scalesim", "--config", "c.cfg", "--topology", "no.csv"],
            ["no.csv"],
            {"c.cfg": CFG},
        ),
        Case("no-command", [], ["COMMAND"]),
        Case("unknown-command", ["simulate"], ["invalid choice: 'simulate'"]),
    ]
    if Path("/proc").is_dir():
        cases.append(
            Case(
                "run-out-read-only",
                [*run, "--out", "/proc/accelsim-out"],
                [cmd, "--out", "writable location"],
            )
        )
    return cases


def onnx_cases() -> list[Case]:
    argv = [*RUN_WORKLOAD, "n.onnx"]
    return [
        Case("onnx-garbage", argv, ["n.onnx", "an ONNX model"], {"n.onnx": b"garbage\x00\xff"}),
        Case("onnx-empty", argv, ["n.onnx", "an ONNX model"], {"n.onnx": b""}),
        Case("onnx-text", argv, ["n.onnx", "an ONNX model"], {"n.onnx": "layers: []\n"}),
        Case(
            "onnx-compress-weights-garbage",
            ["compress", "--workload", "tiny", "--weights", "w.onnx"],
            ["w.onnx", "an ONNX model"],
            {"w.onnx": b"garbage\x00\xff"},
        ),
    ]


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def compress_cases() -> list[Case]:
    """accelsim compress: densities, bits, the weights file (missing layer, truncated, wrong
    size) and the output file."""
    argv = ["compress", "--workload", "tiny"]
    good = {"conv1": np.ones(108), "conv2": np.ones(288), "fc": np.ones(1280)}
    line = "command line"
    return [
        Case("compress-density-zero", [*argv, "--density", "0"], [line, "density", "(0, 1]"]),
        Case("compress-density-above-one", [*argv, "--density", "1.5"], [line, "(0, 1]", "1.5"]),
        Case(
            "compress-density-one-layer",
            [*argv, "--density", "0.5,fc=-0.1"],
            [line, "layers.fc.density", "-0.1"],
        ),
        Case("compress-density-text", [*argv, "--density", "half"], [line, "--density", "half"]),
        Case(
            "compress-density-unknown-layer",
            [*argv, "--density", "0.5,conv9=0.5"],
            [line, "density", "layer names of tiny", "conv9"],
        ),
        Case("compress-density-missing", argv, [line, "--density", "no --weights"]),
        Case(
            "compress-weight-bits-zero",
            [*argv, "--density", "0.5", "--weight-bits", "0"],
            [line, "weight_bits", "from 1 to 16", "0"],
        ),
        Case(
            "compress-index-bits-33",
            [*argv, "--density", "0.5", "--index-bits", "33"],
            [line, "index_bits", "from 1 to 16", "33"],
        ),
        Case(
            "compress-bits-fraction",
            [*argv, "--density", "0.5", "--weight-bits", "4.5"],
            [line, "--weight-bits", "an integer"],
        ),
        Case(
            "compress-weights-missing-layer",
            [*argv, "--weights", "w.npz"],
            ["w.npz", "fc", "an array for layer fc"],
            {"w.npz": _npz(conv1=good["conv1"], conv2=good["conv2"])},
        ),
        Case(
            "compress-weights-wrong-size",
            [*argv, "--weights", "w.npz"],
            ["w.npz", "conv2", "288 weights"],
            {"w.npz": _npz(**{**good, "conv2": np.ones((3, 3))})},
        ),
        Case(
            "compress-weights-truncated-npz",
            [*argv, "--weights", "w.npz"],
            ["w.npz", "truncated"],
            {"w.npz": _npz(**good)[:100]},
        ),
        Case(
            "compress-weights-truncated-npy",
            [*argv, "--weights", "w", "--density", "0.5"],
            ["conv1.npy", "truncated"],
            {"w/conv1.npy": _npy(good["conv1"])[:-40]},
        ),
        Case(
            "compress-weights-nan",
            [*argv, "--weights", "w.npz"],
            ["w.npz", "conv1", "finite numbers"],
            {"w.npz": _npz(**{**good, "conv1": np.full(108, np.nan)})},
        ),
        Case(
            "compress-weights-all-zero",
            [*argv, "--weights", "w.npz"],
            ["w.npz", "conv1", "at least one non-zero"],
            {"w.npz": _npz(**{**good, "conv1": np.zeros(108)})},
        ),
        Case(
            "compress-weights-not-found",
            [*argv, "--weights", "no.npz"],
            ["no.npz", "an existing weights file"],
        ),
        Case(
            "compress-weights-suffix",
            [*argv, "--weights", "w.txt"],
            ["w.txt", ".npz, .npy, .onnx"],
            {"w.txt": "1 2 3\n"},
        ),
        Case(
            "compress-out-suffix",
            [*argv, "--density", "0.5", "--out", "r.npy"],
            [line, "--out", ".csv, .json"],
        ),
    ]


def density_cases() -> list[Case]:
    """accelsim cost-table with pruned weights: --weight-density, --densities, --index-bits."""
    argv = [*COST_TABLE, "--bits", "8", "--out", "t.csv"]
    line = "command line"
    return [
        Case("cost-table-density-zero", [*argv, "--weight-density", "0"], [line, "(0, 1]"]),
        Case(
            "cost-table-density-layer",
            [*argv, "--weight-density", "fc=1.5"],
            [line, "--weight-density", "fc=1.5"],
        ),
        Case(
            "cost-table-density-unknown-layer",
            [*argv, "--weight-density", "conv9=0.5"],
            ["weight_density", "layer names of tiny", "conv9"],
        ),
        Case("cost-table-densities-text", [*argv, "--densities", "1,half"], ["--densities"]),
        Case("cost-table-densities-two", [*argv, "--densities", "1,2"], [line, "(0, 1]"]),
        Case(
            "cost-table-densities-npy",
            [*COST_TABLE, "--bits", "1-8", "--densities", "1,0.5", "--out", "t.npy"],
            [line, "--out", ".csv or .json"],
        ),
        Case(
            "cost-table-densities-and-density",
            [*argv, "--densities", "1,0.5", "--weight-density", "0.5"],
            [line, "not both"],
        ),
        Case(
            "cost-table-index-bits",
            [*argv, "--weight-density", "0.5", "--index-bits", "0"],
            ["index_bits", "from 1 to 16", "0"],
        ),
    ]


CASES = file_cases() + flag_cases() + onnx_cases() + compress_cases() + density_cases()


def test_the_corpus_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 150
    assert len({case.name for case in CASES}) == len(CASES)


def snapshot(root: Path) -> dict[str, tuple[bool, int, int]]:
    return {
        str(path.relative_to(root)): (path.is_dir(), path.stat().st_size, path.stat().st_mtime_ns)
        for path in root.rglob("*")
    }


def write_files(root: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is DIR:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case: Case, tmp_path: Path, monkeypatch, capsys) -> None:
    if case.name.startswith("onnx"):
        pytest.importorskip("onnx", reason="ONNX files need the extra accelsim[onnx]")
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, case.files)
    before = snapshot(tmp_path)
    status = main(case.argv)
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    for part in case.expected:
        assert part in captured.err, captured.err
    assert snapshot(tmp_path) == before
