"""Energy tables: exact values at their defining points, log-log interpolation between points and
extrapolation along the nearest segment (expected values worked by hand), user table files, and
matched errors for bad tables.

Sources of the numbers: ../shared/reference/README.md (Horowitz ISSCC 2014 45 nm; the Eyeriss
ISCA 2016 normalized model; the Timeloop + Accelergy 45 nm per-word energies).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import accelsim
from accelsim.energy import load_energy_table
from accelsim.errors import ConfigError

KB = 1024 * 8  # bits in a kilobyte


def per_access(table: str, kind: str, capacity_bits: int | None, access_bits: int) -> float:
    """Energy of one access of ``access_bits`` bits to a ``kind`` of ``capacity_bits``."""
    return load_energy_table(table).kind(kind).per_bit(capacity_bits) * access_bits


def test_builtin_tables() -> None:
    assert accelsim.builtin_tables() == ["eyeriss_normalized", "horowitz45", "timeloop45"]
    for name in accelsim.builtin_tables():
        table = load_energy_table(name)
        assert table.name == name and table.source


# ---- values at the defining points ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"), [("dram", 200), ("sram", 6), ("regfile", 1), ("network", 2)]
)
def test_eyeriss_normalized_per_16_bit_access(kind: str, expected: float) -> None:
    # a constant whatever the capacity: the normalized model has one cost per level kind
    for capacity in (None, 0, 512 * 8, 128 * KB):
        assert per_access("eyeriss_normalized", kind, capacity, 16) == pytest.approx(expected)


def test_eyeriss_normalized_mac_is_one() -> None:
    mac = load_energy_table("eyeriss_normalized").mac
    assert mac is not None and (mac.per_mac, mac.reference_bits) == (1.0, 16)


@pytest.mark.parametrize(
    ("words", "expected_pj"),
    [(12, 0.237), (16, 0.251), (192, 1.586)],  # ifmap, psum, weights scratchpads
)
def test_timeloop45_scratchpads(words: int, expected_pj: float) -> None:
    assert per_access("timeloop45", "regfile", words * 16, 16) == pytest.approx(expected_pj)


def test_timeloop45_buffer_dram_mac() -> None:
    table = load_energy_table("timeloop45")
    assert per_access("timeloop45", "sram", 128 * KB, 16) == pytest.approx(18.8038)
    assert per_access("timeloop45", "dram", None, 16) == pytest.approx(128.0)  # 8 pJ/bit
    assert per_access("timeloop45", "network", None, 16) == 0.0
    assert table.mac is not None and (table.mac.per_mac, table.mac.reference_bits) == (2.20, 16)


def test_timeloop45_one_point_buffer_is_a_constant() -> None:
    for capacity in (8 * KB, 128 * KB, 1024 * KB):
        assert per_access("timeloop45", "sram", capacity, 16) == pytest.approx(18.8038)


@pytest.mark.parametrize(("kilobytes", "expected_pj"), [(8, 10.0), (32, 20.0), (1024, 100.0)])
def test_horowitz45_sram_points_per_64_bits(kilobytes: int, expected_pj: float) -> None:
    assert per_access("horowitz45", "sram", kilobytes * KB, 64) == pytest.approx(expected_pj)


def test_horowitz45_dram_register_network() -> None:
    assert per_access("horowitz45", "dram", None, 64) == pytest.approx(1300.0)  # 1.3 nJ / 64 b
    assert per_access("horowitz45", "regfile", 1024, 1) == pytest.approx(0.009)
    assert per_access("horowitz45", "regfile", 1024, 16) == pytest.approx(16 * 0.009)
    assert per_access("horowitz45", "network", None, 1) == pytest.approx(2 * 0.009)
    assert load_energy_table("horowitz45").mac is None  # the MAC unit's own 45 nm energy


# ---- interpolation and extrapolation, by hand ----------------------------------------------


def test_horowitz45_interpolates_log_log() -> None:
    # 16 KB is halfway (in log) from 8 KB to 32 KB; the energy doubles over that segment:
    # slope = log(20 / 10) / log(32 / 8) = 1/2, so E(16 KB) = 10 * 2 ** 0.5
    assert per_access("horowitz45", "sram", 16 * KB, 64) == pytest.approx(10 * 2**0.5)
    # 128 KB: segment 32 KB..1 MB, slope log(5) / log(32); 128 KB = 32 KB * 32 ** (2/5)
    assert per_access("horowitz45", "sram", 128 * KB, 64) == pytest.approx(20 * 5 ** (2 / 5))


def test_horowitz45_extrapolates_along_the_nearest_segment() -> None:
    # below 8 KB: the first segment's slope 1/2; 2 KB = 8 KB / 4
    assert per_access("horowitz45", "sram", 2 * KB, 64) == pytest.approx(10 * 4**-0.5)
    # above 1 MB: the last segment's slope log(5) / log(32); 2 MB = 1 MB * 32 ** (1/5)
    assert per_access("horowitz45", "sram", 2048 * KB, 64) == pytest.approx(100 * 5 ** (1 / 5))


def test_timeloop45_regfile_between_and_beyond_points() -> None:
    # 64 words = 128 bytes, between 32 B (0.251) and 384 B (1.586)
    s = math.log(1.586 / 0.251) / math.log(384 / 32)
    assert per_access("timeloop45", "regfile", 64 * 16, 16) == pytest.approx(
        0.251 * (128 / 32) ** s
    )
    # 4 words = 8 bytes, below the first point: along the 24 B..32 B segment
    s0 = math.log(0.251 / 0.237) / math.log(32 / 24)
    assert per_access("timeloop45", "regfile", 4 * 16, 16) == pytest.approx(0.237 * (8 / 24) ** s0)


def test_unbounded_and_empty_components() -> None:
    # no capacity (DRAM): the last point; zero capacity (an RF an NLR variant removes): the first
    assert per_access("horowitz45", "sram", None, 64) == pytest.approx(100.0)
    assert per_access("horowitz45", "sram", 0, 64) == pytest.approx(10.0)


# ---- a user's own table --------------------------------------------------------------------

USER_TABLE: dict[str, Any] = {
    "name": "mine",
    "unit": "pJ",
    "source": "made up for a test",
    "mac": {"per_mac": 0.5, "reference_bits": 8},
    "dram": {"per_access": 640.0, "access_bits": 64},
    "sram": {"access_bits": 32, "points": [[1024, 1.0], [4096, 4.0]]},
    "regfile": {"per_access": 0.08, "access_bits": 8},
    "network": {"per_access": 0.0, "access_bits": 8},
}


def write_table(
    tmp_path: Path, change: Callable[[dict[str, Any]], object] = lambda table: None
) -> Path:
    raw = copy.deepcopy(USER_TABLE)
    change(raw)
    path = tmp_path / "table.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), "utf-8")
    return path


def test_user_table_file_loads(tmp_path: Path) -> None:
    table = load_energy_table(write_table(tmp_path))
    assert (table.name, table.unit) == ("mine", "pJ")
    assert table.kind("dram").per_bit(None) == 640 / 64
    # slope log(4) / log(4) = 1: linear; 2 KB -> 2 pJ per 32 bits
    assert table.kind("sram").per_bit(2048 * 8) * 32 == pytest.approx(2.0)


def test_user_table_prices_a_simulation(tmp_path: Path) -> None:
    path = write_table(tmp_path)
    mine = accelsim.simulate("tiny", "tiny", dataflow="ws", energy_table=path)
    default = accelsim.simulate("tiny", "tiny", dataflow="ws")
    assert {layer.energy_table for layer in mine.layers} == {"mine"}
    # same counts, other prices: DRAM bits x 10 pJ/bit
    dram_bits = sum(
        traffic.read_bits + traffic.write_bits
        for layer in mine.layers
        for traffic in layer.traffic
        if traffic.level == "DRAM"
    )
    assert mine.energy_by("category")["DRAM"] == pytest.approx(dram_bits * 640 / 64)
    assert mine.cycles == default.cycles


def test_unknown_table_name_lists_the_builtins() -> None:
    with pytest.raises(ConfigError) as info:
        load_energy_table("nosuch")
    assert str(info.value) == (
        "nosuch: expected an existing energy table file or a built-in energy table name "
        "(eyeriss_normalized, horowitz45, timeloop45)"
    )


# ---- bad tables ----------------------------------------------------------------------------

POINTS = "expected a list of [capacity_bytes, energy] with positive values and rising capacity"
BAD_TABLES: dict[str, tuple[Callable[[dict[str, Any]], object], str]] = {
    "missing kind": (
        lambda t: t.pop("regfile"),
        "regfile: expected a value (this field is required)",
    ),
    "equal capacities": (
        lambda t: t["sram"].update(points=[[1024, 1.0], [1024, 4.0]]),
        f"sram.points: {POINTS}, got [[1024, 1.0], [1024, 4.0]]",
    ),
    "falling capacities": (
        lambda t: t["sram"].update(points=[[4096, 4.0], [1024, 1.0]]),
        f"sram.points: {POINTS}, got [[4096, 4.0], [1024, 1.0]]",
    ),
    "negative energy at a point": (
        lambda t: t["sram"].update(points=[[1024, -1.0], [4096, 4.0]]),
        f"sram.points: {POINTS}, got [[1024, -1.0], [4096, 4.0]]",
    ),
    "negative per-access energy": (
        lambda t: t["dram"].update(per_access=-640.0),
        "dram.per_access: expected a non-negative number (at most 1,000,000,000), got -640.0",
    ),
    "negative MAC energy": (
        lambda t: t["mac"].update(per_mac=-0.5),
        "mac.per_mac: expected a non-negative number (at most 1,000,000,000), got -0.5",
    ),
    "zero access bits": (
        lambda t: t["regfile"].update(access_bits=0),
        "regfile.access_bits: expected a positive integer (1 to 4,096 bits), got 0",
    ),
    "missing access bits": (
        lambda t: t["regfile"].pop("access_bits"),
        "regfile.access_bits: expected a value (this field is required)",
    ),
    "unknown key": (
        lambda t: t.update(leakage=1.0),
        "leakage: expected one of the keys name, unit, source, mac, dram, sram, regfile, network",
    ),
    "kind as a number": (
        lambda t: t.update(dram=640),
        "dram: expected a mapping {access_bits, per_access} or {access_bits, points}, got 640",
    ),
    "neither per_access nor points": (
        lambda t: t["sram"].pop("points"),
        f"sram.points: {POINTS}, got None",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TABLES))
def test_bad_table_message(tmp_path: Path, case: str) -> None:
    change, expected = BAD_TABLES[case]
    path = write_table(tmp_path, change)
    with pytest.raises(ConfigError) as info:
        load_energy_table(path)
    assert str(info.value).splitlines() == [f"{path}: {expected}"]


def test_truncated_table(tmp_path: Path) -> None:
    path = tmp_path / "table.yaml"
    path.write_text("name: t\nsram: {access_bits: 64, points: [[8192, 10.0]\n", "utf-8")
    with pytest.raises(ConfigError, match=r"table\.yaml: line \d+: expected valid YAML"):
        load_energy_table(path)


@pytest.mark.parametrize("points", [[[0, 1.0], [4096, 4.0]], [[1024, 0.0], [4096, 4.0]]])
def test_zero_in_points_is_a_config_error(tmp_path: Path, points: list) -> None:
    path = write_table(tmp_path, lambda t: t["sram"].update(points=points))
    with pytest.raises(ConfigError, match=r"sram\.points"):
        load_energy_table(path).kind("sram").per_bit(2048 * 8)
