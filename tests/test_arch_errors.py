"""Bad architecture files: every problem gets one precise message naming the file, the field path,
the value and what was expected; the CLI prints it, exits with status 2 and writes nothing.

Each case starts from a small valid architecture (``VALID``), breaks one thing, writes the file
and matches the whole message line by line.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import accelsim
from accelsim.arch import load_arch
from accelsim.cli import main
from accelsim.errors import ConfigError

VALID: dict[str, Any] = {
    "name": "small",
    "clock_mhz": 100,
    "pe_array": {"rows": 4, "cols": 4},
    "mac": {"type": "int", "weight_bits": 8, "input_bits": 8},
    "energy_table": "eyeriss_normalized",
    "levels": [
        {"name": "DRAM", "kind": "dram", "keeps": ["weights", "inputs", "outputs"]},
        {"name": "buffer", "kind": "sram", "capacity_kb": 8, "word_bits": 8},
        {"name": "rf", "kind": "regfile", "capacity_bits": 1024, "word_bits": 8},
    ],
}
LEVEL_KEYS = (
    "name, kind, keeps, capacity_bits, capacity_kb, capacity_words, word_bits, per_pe, "
    "bandwidth_bits_per_cycle, bandwidth_words_per_cycle, read_bandwidth_bits_per_cycle, "
    "write_bandwidth_bits_per_cycle, latency_cycles, energy, parallel_with, streams_partial_sums, "
    "compression, sparse, ports, shared_by"
)
TOP_KEYS = (
    "name, description, source, clock_mhz, pe_array, mac, network, energy_table, area_mm2, "
    "per_dataflow, fixed_precision, levels"
)
SHARED_ABOVE = "expected shared levels above every per-PE level, got False"


def write_arch(tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    raw = copy.deepcopy(VALID)
    change(raw)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def error_lines(path: Path | str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_arch(path)
    return str(info.value).splitlines()


def test_the_valid_base_loads(tmp_path: Path) -> None:
    arch = load_arch(write_arch(tmp_path, lambda raw: None))
    assert arch.pe_array.pes == 4 * 4
    assert arch.level("buffer").capacity_bits == 8 * 1024 * 8


CASES: dict[str, tuple[Callable[[dict[str, Any]], object], list[str]]] = {
    "unknown top-level key": (
        lambda raw: raw.update(colour="blue"),
        [f"colour: expected one of the keys {TOP_KEYS}"],
    ),
    "unknown level key": (
        lambda raw: raw["levels"][1].update(size=8),
        [f"levels[1].size: expected one of the keys {LEVEL_KEYS}"],
    ),
    "unknown pe_array key": (
        lambda raw: raw["pe_array"].update(depth=2),
        ["pe_array.depth: expected one of the keys rows, cols"],
    ),
    "missing pe_array": (
        lambda raw: raw.pop("pe_array"),
        ["pe_array: expected a value (this field is required)"],
    ),
    "missing levels": (
        lambda raw: raw.pop("levels"),
        ["levels: expected a value (this field is required)"],
    ),
    "missing pe_array.cols": (
        lambda raw: raw["pe_array"].pop("cols"),
        ["pe_array.cols: expected a value (this field is required)"],
    ),
    "missing level kind": (
        lambda raw: raw["levels"][2].pop("kind"),
        ["levels[2].kind: expected a value (this field is required)"],
    ),
    "missing capacity of an on-chip level": (
        lambda raw: raw["levels"][1].pop("capacity_kb"),
        ["levels[1]: expected a capacity (capacity_bits, capacity_kb or capacity_words)"],
    ),
    "zero rows": (
        lambda raw: raw["pe_array"].update(rows=0),
        ["pe_array.rows: expected a positive integer (1 to 65,536), got 0"],
    ),
    "negative cols": (
        lambda raw: raw["pe_array"].update(cols=-4),
        ["pe_array.cols: expected a positive integer (1 to 65,536), got -4"],
    ),
    "negative capacity in bits": (
        lambda raw: raw["levels"][2].update(capacity_bits=-1),
        [
            "levels[2].capacity_bits: expected a non-negative integer "
            "(0 to 281,474,976,710,656 bits), got -1"
        ],
    ),
    "negative capacity in KB": (
        lambda raw: raw["levels"][1].update(capacity_kb=-1),
        ["levels[1].capacity_kb: expected a positive number (at most 274,877,906,944 KiB), got -1"],
    ),
    "zero word bits": (
        lambda raw: raw["levels"][1].update(word_bits=0),
        ["levels[1].word_bits: expected a positive integer (1 to 4,096 bits), got 0"],
    ),
    "zero clock": (
        lambda raw: raw.update(clock_mhz=0),
        ["clock_mhz: expected a positive number (at most 1,000,000 MHz), got 0"],
    ),
    "two capacities": (
        lambda raw: raw["levels"][1].update(capacity_bits=1024),
        [
            "levels[1]: expected at most one of capacity_bits, capacity_kb, capacity_words, "
            "got ['capacity_bits', 'capacity_kb']"
        ],
    ),
    "rows as a string": (
        lambda raw: raw["pe_array"].update(rows="4"),
        ["pe_array.rows: expected a positive integer (1 to 65,536), got '4'"],
    ),
    "rows as a bool": (
        lambda raw: raw["pe_array"].update(rows=True),
        ["pe_array.rows: expected a positive integer (1 to 65,536), got True"],
    ),
    "fractional word bits": (
        lambda raw: raw["levels"][1].update(word_bits=8.5),
        ["levels[1].word_bits: expected a positive integer (1 to 4,096 bits), got 8.5"],
    ),
    "clock as text": (
        lambda raw: raw.update(clock_mhz="fast"),
        ["clock_mhz: expected a positive number (at most 1,000,000 MHz), got 'fast'"],
    ),
    "per_pe as text": (
        lambda raw: raw["levels"][2].update(per_pe="yes"),
        ["levels[2].per_pe: expected true or false, got 'yes'"],
    ),
    "multicast as text": (
        lambda raw: raw.update(network={"multicast": "yes"}),
        ["network.multicast: expected true or false, got 'yes'"],
    ),
    "levels as a mapping": (
        lambda raw: raw.update(levels={"DRAM": {}}),
        ["levels: expected a non-empty list of storage levels, DRAM first, got {'DRAM': {}}"],
    ),
    "energy override as text": (
        lambda raw: raw["levels"][1].update(energy="cheap"),
        ["levels[1].energy: expected pJ per word access, or {read_pj, write_pj}, got 'cheap'"],
    ),
    "mac without a type": (
        lambda raw: raw.update(mac={"weight_bits": 8}),
        [
            "mac: expected a mapping with a 'type' (int, binary, ternary, lut, fp, bitfusion), "
            "got {'weight_bits': 8}"
        ],
    ),
    "fixed precision of 0 bits": (
        lambda raw: raw.update(fixed_precision={"weight_bits": 0}),
        ["fixed_precision.weight_bits: expected a positive integer (1 to 32 bits), got 0"],
    ),
    "unknown level kind": (
        lambda raw: raw["levels"][1].update(kind="cache"),
        ["levels[1].kind: expected one of dram, sram, regfile, got 'cache'"],
    ),
    "keeps an unknown data type": (
        lambda raw: raw["levels"][1].update(keeps=["weights", "activations"]),
        [
            "levels[1].keeps: expected a list drawn from ['weights', 'inputs', 'outputs'], "
            "got ['weights', 'activations']"
        ],
    ),
    "DRAM not first": (
        lambda raw: raw["levels"].insert(0, raw["levels"].pop(1)),
        [
            "levels[0]: expected the outermost level to be DRAM keeping weights, inputs and "
            "outputs, got 'buffer'"
        ],
    ),
    "DRAM keeping only weights": (
        lambda raw: raw["levels"][0].update(keeps=["weights"]),
        [
            "levels[0]: expected the outermost level to be DRAM keeping weights, inputs and "
            "outputs, got 'DRAM'"
        ],
    ),
    "per-PE level above a shared one": (
        lambda raw: raw["levels"].insert(1, raw["levels"].pop(2)),
        [f"levels[2].per_pe: {SHARED_ABOVE}"],
    ),
    "streams_partial_sums not a boolean": (
        lambda raw: raw["levels"][2].update(streams_partial_sums="yes"),
        ["levels[2].streams_partial_sums: expected true or false, got 'yes'"],
    ),
    "streams_partial_sums on a shared level": (
        lambda raw: raw["levels"][1].update(streams_partial_sums=True),
        [
            "levels[1].streams_partial_sums: expected true only on a per-PE level keeping "
            "outputs, got True"
        ],
    ),
    "streams_partial_sums on a level without outputs": (
        lambda raw: raw["levels"][2].update(streams_partial_sums=True, keeps=["weights"]),
        [
            "levels[2].streams_partial_sums: expected true only on a per-PE level keeping "
            "outputs, got True"
        ],
    ),
    "duplicate level names": (
        lambda raw: raw["levels"][2].update(name="buffer"),
        ["levels[2].name: expected a name not used by another level, got 'buffer'"],
    ),
    "per_dataflow for an unknown dataflow": (
        lambda raw: raw.update(per_dataflow={"zz": {"levels.rf.capacity_bits": 0}}),
        [
            "per_dataflow.zz: expected a dataflow name (rs, ws, os, osa, osb, osc, nlr, "
            "systolic_ws, systolic_os, systolic_is), got 'zz'"
        ],
    ),
    "per_dataflow entry that is not a mapping": (
        lambda raw: raw.update(per_dataflow={"nlr": 5}),
        ["per_dataflow.nlr: expected a mapping of dotted paths to values, got 5"],
    ),
    "per_dataflow as a list": (
        lambda raw: raw.update(per_dataflow=["nlr"]),
        ["per_dataflow: expected a mapping from dataflow name to overrides, got ['nlr']"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_arch_message(tmp_path: Path, case: str) -> None:
    change, expected = CASES[case]
    path = write_arch(tmp_path, change)
    assert error_lines(path) == [f"{path}: {line}" for line in expected]


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    def break_three(raw: dict[str, Any]) -> None:
        raw["pe_array"]["rows"] = 0
        raw["levels"][1]["kind"] = "cache"
        raw["levels"][2]["name"] = "buffer"

    path = write_arch(tmp_path, break_three)
    assert error_lines(path) == [
        f"{path}: pe_array.rows: expected a positive integer (1 to 65,536), got 0",
        f"{path}: levels[1].kind: expected one of dram, sram, regfile, got 'cache'",
        f"{path}: levels[2].name: expected a name not used by another level, got 'buffer'",
    ]


def test_dram_last_reports_the_order(tmp_path: Path) -> None:
    path = write_arch(tmp_path, lambda raw: raw["levels"].reverse())
    assert error_lines(path) == [
        f"{path}: levels[0]: expected the outermost level to be DRAM keeping weights, inputs "
        "and outputs, got 'rf'",
        f"{path}: levels[1].per_pe: {SHARED_ABOVE}",
        f"{path}: levels[2].per_pe: {SHARED_ABOVE}",
    ]


def test_truncated_yaml(tmp_path: Path) -> None:
    text = yaml.safe_dump(VALID, sort_keys=False)
    path = tmp_path / "truncated.yaml"
    path.write_text(text[: text.index("levels:")] + "levels:\n  - {name: DRAM, kind: ", "utf-8")
    [line] = error_lines(path)
    assert line.startswith(f"{path}: line ")
    assert "expected valid YAML (" in line


def test_unclosed_bracket(tmp_path: Path) -> None:
    path = tmp_path / "bracket.yaml"
    path.write_text("name: x\npe_array: {rows: 4, cols: 4\n", "utf-8")
    assert error_lines(path) == [
        f"{path}: line 3: expected valid YAML (expected ',' or '}}', but got '<stream end>')"
    ]


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(text, "utf-8")
    assert error_lines(path) == [f"{path}: expected a YAML mapping at the top level, got None"]


def test_a_list_at_the_top_level(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- name: x\n", "utf-8")
    assert error_lines(path) == [
        f"{path}: expected a YAML mapping at the top level, got [{{'name': 'x'}}]"
    ]


def test_unknown_arch_name_lists_the_builtins() -> None:
    names = ", ".join(accelsim.builtin_archs())
    assert error_lines("eyeriss_v3") == [
        "eyeriss_v3: expected an existing architecture file or a built-in architecture name "
        f"({names})"
    ]
    assert "eyeriss_chip" in names and "tpu_like" in names


def test_yaml_is_read_safely(tmp_path: Path) -> None:
    path = tmp_path / "unsafe.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hi']\n", "utf-8")
    [line] = error_lines(path)
    assert line.startswith(f"{path}: line 1: expected valid YAML (")


def test_cli_bad_arch_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_arch(tmp_path, lambda raw: raw["pe_array"].update(rows=0))
    out = tmp_path / "out"
    status = main(["run", "--arch", str(bad), "--out", str(out)])
    assert status == 2
    err = capsys.readouterr().err
    assert (
        err == f"accelsim run: error:\n{bad}: pe_array.rows: expected a positive integer "
        "(1 to 65,536), got 0\n"
    )
    assert not out.exists()


def test_cli_unknown_arch_name_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["run", "--arch", "nosuch", "--out", str(out)]) == 2
    assert "nosuch: expected an existing architecture file or a built-in" in capsys.readouterr().err
    assert not out.exists()


# ---- bugs in code this module does not own (accelsim/arch/loader.py, accelsim/mapper.py) ----


def test_per_dataflow_path_that_does_not_exist_fails_at_load(tmp_path: Path) -> None:
    path = write_arch(
        tmp_path, lambda raw: raw.update(per_dataflow={"nlr": {"levels.nosuch.capacity_kb": 1}})
    )
    assert error_lines(path) == [
        f"{path}: per_dataflow.nlr: levels.nosuch.capacity_kb: expected a path that exists "
        "('levels.nosuch' does not), got 1"
    ]


def test_per_dataflow_bad_value_fails_at_load(tmp_path: Path) -> None:
    path = write_arch(
        tmp_path, lambda raw: raw.update(per_dataflow={"nlr": {"levels.rf.capacity_bits": -1}})
    )
    with pytest.raises(ConfigError, match=r"levels\[2\].capacity_bits: expected a non-negative"):
        load_arch(path)


def test_unknown_mac_type_fails_at_load(tmp_path: Path) -> None:
    path = write_arch(tmp_path, lambda raw: raw.update(mac={"type": "quantum"}))
    assert error_lines(path) == [
        f"{path}: mac.type: expected one of int, binary, ternary, lut, fp, bitfusion, got 'quantum'"
    ]


def test_unknown_energy_table_fails_at_load(tmp_path: Path) -> None:
    path = write_arch(tmp_path, lambda raw: raw.update(energy_table="nosuch_table"))
    with pytest.raises(ConfigError, match="nosuch_table"):
        load_arch(path)


def test_negative_bandwidth_reported_once(tmp_path: Path) -> None:
    path = write_arch(tmp_path, lambda raw: raw["levels"][1].update(bandwidth_bits_per_cycle=-3))
    assert error_lines(path) == [
        f"{path}: levels[1].bandwidth_bits_per_cycle: expected a positive number "
        "(at most 16,777,216 bits per cycle), got -3"
    ]


def test_unmappable_layer_is_named() -> None:
    with pytest.raises(ConfigError, match="a mapping of layer conv1 within every capacity"):
        accelsim.simulate("tpu_like", "tiny", dataflow="rs")
