"""A level's ``ports:`` (docs/arch_format.md, "Ports"): a valid list loads into Port records;
each wrong field gets one message naming the file, the field path, the value and what was
expected, and the CLI exits with status 2 writing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_arch_errors import error_lines, write_arch

from accelsim.arch import load_arch
from accelsim.arch.model import Port, PortType
from accelsim.cli import main
from accelsim.types import DataType

FILTER = {"name": "filter", "type": "read", "data_types": ["weights"],
          "bandwidth_bits_per_cycle": 64}  # fmt: skip
PSUM = {"name": "psum", "type": "read_write", "data_types": ["outputs"],
        "bandwidth_bits_per_cycle": 32}  # fmt: skip


def with_ports(*ports: Any, level: int = 1):
    def change(raw: dict[str, Any]) -> None:
        raw["levels"][level]["ports"] = list(ports) if len(ports) != 1 else ports[0]

    return change


def test_ports_load_and_answer_per_data_type_and_direction(tmp_path: Path) -> None:
    arch = load_arch(write_arch(tmp_path, with_ports([FILTER, PSUM])))
    buffer = arch.level("buffer")
    filter_port = Port("filter", PortType.READ, frozenset({DataType.WEIGHTS}), 64)
    psum_port = Port("psum", PortType.READ_WRITE, frozenset({DataType.OUTPUTS}), 32)
    assert buffer.ports == (filter_port, psum_port)
    assert buffer.port(DataType.WEIGHTS, write=False) == filter_port
    assert buffer.port(DataType.WEIGHTS, write=True) is None  # the level's own write port
    assert buffer.port(DataType.INPUTS, write=False) is None
    assert buffer.port(DataType.OUTPUTS, write=False) == psum_port
    assert buffer.port(DataType.OUTPUTS, write=True) == psum_port
    assert arch.level("rf").ports == ()


PORT = "levels[1].ports"
CASES: dict[str, tuple[Any, list[str]]] = {
    "not a list": (
        {"filter": 64},
        [f"{PORT}: expected a list of {{name, type, data_types, bandwidth_bits_per_cycle}}, "
         "got {'filter': 64}"],
    ),
    "an item that is not a mapping": (
        ["filter"],
        [f"{PORT}[0]: expected a mapping {{name, type, data_types, bandwidth_bits_per_cycle}}, "
         "got 'filter'"],
    ),
    "a missing bandwidth": (
        [{k: v for k, v in FILTER.items() if k != "bandwidth_bits_per_cycle"}],
        [f"{PORT}[0].bandwidth_bits_per_cycle: expected a value (this field is required)"],
    ),
    "an unknown key": (
        [{**FILTER, "latency_cycles": 2}],
        [f"{PORT}[0].latency_cycles: expected one of the keys name, type, data_types, "
         "bandwidth_bits_per_cycle"],
    ),
    "an unknown type": (
        [{**FILTER, "type": "rw"}],
        [f"{PORT}[0].type: expected one of read, write, read_write, got 'rw'"],
    ),
    "a data type the level does not keep": (
        [{**FILTER, "data_types": ["weights", "psums"]}],
        [f"{PORT}[0].data_types: expected a non-empty list of data types the level keeps "
         "(['weights', 'inputs', 'outputs']), got ['weights', 'psums']"],
    ),
    "no data type": (
        [{**FILTER, "data_types": []}],
        [f"{PORT}[0].data_types: expected a non-empty list of data types the level keeps "
         "(['weights', 'inputs', 'outputs']), got []"],
    ),
    "a zero bandwidth": (
        [{**FILTER, "bandwidth_bits_per_cycle": 0}],
        [f"{PORT}[0].bandwidth_bits_per_cycle: expected a positive number (at most 16,777,216 bits "
         "per cycle), got 0"],
    ),
    "the name of the level's own read port": (
        [{**FILTER, "name": "read"}],
        [f"{PORT}[0].name: expected a name other than read, write and the level's other ports, "
         "got 'read'"],
    ),
    "two ports of one name": (
        [FILTER, {**PSUM, "name": "filter"}],
        [f"{PORT}[1].name: expected a name other than read, write and the level's other ports, "
         "got 'filter'"],
    ),
    "a data type read through two ports": (
        [FILTER, {**PSUM, "data_types": ["outputs", "weights"]}],
        [f"{PORT}[1].data_types: expected data types whose reads no earlier port carries, "
         "got ['weights']"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_ports_message(tmp_path: Path, case: str) -> None:
    ports, expected = CASES[case]
    path = write_arch(tmp_path, with_ports(ports))
    assert error_lines(path) == [f"{path}: {line}" for line in expected]


def test_a_read_port_and_a_write_port_may_share_a_data_type(tmp_path: Path) -> None:
    write = {**FILTER, "name": "filter_in", "type": "write"}
    arch = load_arch(write_arch(tmp_path, with_ports([FILTER, write])))
    assert arch.level("buffer").port(DataType.WEIGHTS, write=True).name == "filter_in"


def test_ports_on_a_level_keeping_only_inputs(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["levels"][2].update(keeps=["inputs"], ports=[FILTER])

    path = write_arch(tmp_path, change)
    assert error_lines(path) == [
        f"{path}: levels[2].ports[0].data_types: expected a non-empty list of data types the "
        "level keeps (['inputs']), got ['weights']"
    ]


def test_cli_bad_ports_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_arch(tmp_path, with_ports([{**FILTER, "type": "rw"}]))
    out = tmp_path / "out"
    assert main(["run", "--arch", str(bad), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"accelsim run: error:\n{bad}: {PORT}[0].type: expected one of read, write, read_write, "
        "got 'rw'\n"
    )
    assert not out.exists()
