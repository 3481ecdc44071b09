"""Timeloop's published reference outputs, reproduced count for count (tests/data/timeloop).

Each case directory holds the exact inputs and Timeloop's own stats output, with SOURCE.md naming
the repository, commit and path. Counts per instance and cycles are compared exactly; energy
within 0.1 % (the ERT's energies are printed with 3 decimals, the per-word energies of the built-in
table with 2).
"""

from __future__ import annotations

from math import ceil
from pathlib import Path

import pytest
from timeloop_stats import Stats, read_stats

import accelsim
from accelsim.mapping.io import TIMELOOP_DATASPACES, load_mapping
from accelsim.timeloop import TimeloopResult, evaluate_case, load_case
from accelsim.workload.loaders import load_workload

DATA = Path(__file__).parent / "data" / "timeloop"


def test_eyeriss_like_vgg16_conv3_1_with_the_builtin_arch() -> None:
    """The built-in timeloop_eyeriss_like (Timeloop's multicast rule) on the 2020 reference:
    every count of every level exact, including the global buffer's input reads that the union
    rule undercounts (7,602,176 = 64 x 118,784 instead of 168 x 118,784)."""
    case = DATA / "eyeriss_like_vgg16_conv3_1"
    stats = read_stats(case / "timeloop-mapper.stats.txt")
    arch = accelsim.load_arch("timeloop_eyeriss_like")
    layer = load_workload(case / "prob.yaml").layers[0]
    mapping = load_mapping(case / "map.yaml", arch, layer)
    result = accelsim.evaluate(arch, layer, mapping, fidelity="ideal")
    checked = 0
    for level in stats.levels.values():
        for space, want in level.counts.items():
            data_type = TIMELOOP_DATASPACES[space]
            [got] = [
                t for t in result.traffic if t.level == level.name and t.data_type is data_type
            ]
            assert got.instances == level.instances
            per_instance = {
                "reads": got.reads // got.instances,
                "fills": got.fills // got.instances,
                "updates": got.updates // got.instances,
            }
            assert per_instance == want, (level.name, space)
            checked += 1
    assert checked == 8
    assert stats.levels["shared_glb"].counts["Inputs"]["reads"] == 168 * 118_784
    assert result.cycles == stats.cycles == 56 * 56 * 128 * 256 * 9 // 168
    assert result.energy == pytest.approx(stats.dynamic_energy_pj, rel=1e-3)


# ---- accelsim timeloop on Timeloop's own input files ----------------------------------------
CASES = sorted(
    path.name
    for path in DATA.iterdir()
    if path.is_dir() and path.name != "eyeriss_like_vgg16_conv3_1"
)


def run_case(name: str) -> tuple[TimeloopResult, Stats]:
    case = DATA / name
    inputs = [case / f for f in ("arch.yaml", "prob.yaml", "map.yaml", "ERT.yaml")]
    [stats_file] = case.glob("*.stats.txt")
    return evaluate_case(load_case(inputs)), read_stats(stats_file)


def test_at_least_six_designs() -> None:
    assert len(CASES) >= 6
    assert {"eyeriss_like", "simba_like", "simple_weight_stationary"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_counts_and_cycles_exact(name: str) -> None:
    result, stats = run_case(name)
    assert result.cycles == stats.cycles
    assert result.computes == stats.computes
    compared = 0
    for level in result.levels:
        if not level.dataspaces:  # a fan-out point (no storage): Timeloop prints no counts
            continue
        reference = stats.levels[level.name]
        assert level.instances == reference.instances, level.name
        assert level.dataspaces == reference.counts, level.name
        compared += 1
    assert compared == sum(1 for level in stats.levels.values() if level.counts)


@pytest.mark.parametrize("name", CASES)
def test_energy_within_0_1_percent(name: str) -> None:
    result, stats = run_case(name)
    assert result.energy_pj == pytest.approx(stats.dynamic_energy_pj, rel=1e-3)


@pytest.mark.parametrize("name", [c for c in CASES if c != "simba_like"])
def test_energy_per_level_within_0_1_percent(name: str) -> None:
    result, stats = run_case(name)
    for level in result.levels:
        if level.dataspaces:
            reference = stats.levels[level.name].energy_pj
            assert level.energy_pj == pytest.approx(reference, rel=1e-3), level.name


def test_simba_like_cluster_pricing_differs_at_the_weight_registers_only() -> None:
    # PEWeightRegs: width 512 bits of 8-bit words, cluster_size 64, 48 utilized instances in
    # 4 utilized clusters. Timeloop prices each utilized cluster at the per-instance counts with
    # vectors of 512 / 8 / 64 = 1 word; accelsim prices each utilized instance with vectors of
    # 512 / 8 = 64 words (cluster sharing is not modelled). Every other level agrees within
    # 0.1 %, the total within 0.084 % (the registers are 0.1 % of the energy).
    result, stats = run_case("simba_like")
    for level in result.levels:
        if level.dataspaces and level.name != "PEWeightRegs":
            reference = stats.levels[level.name].energy_pj
            assert level.energy_pj == pytest.approx(reference, rel=1e-3), level.name
    read_pj, write_pj = 0.259899, 0.080139  # ERT.yaml, System_top_level.PEWeightRegs[1..256]
    timeloop = 4 * (225_792 * read_pj + 32_256 * write_pj)
    assert stats.levels["PEWeightRegs"].energy_pj == pytest.approx(timeloop, rel=1e-6)
    [registers] = [level for level in result.levels if level.name == "PEWeightRegs"]
    ours = 48 * (ceil(225_792 / 64) * read_pj + ceil(32_256 / 64) * write_pj)
    assert registers.energy_pj == pytest.approx(ours, rel=1e-9)
