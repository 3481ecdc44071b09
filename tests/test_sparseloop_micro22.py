"""The MICRO 2022 Sparseloop artifact's format comparison (Fig. 1): a 128 x 128 x 128 sparse
matrix multiply, bitmask with gating against coordinate list with skipping, at four densities
(tests/data/sparseloop_micro22, SOURCE.md), against Timeloop v3.0.3's own output on the same files.

Every algorithmic, actual, gated and skipped count, the computes and the cycles are exact. Energy
within 1 % per level and in total, but for two things: the register ``Reg`` (its ERT has only an
``access`` action, so Timeloop v3.0.3 prices its accesses with its own built-in estimate, not the
ERT: 0.009 pJ in the ERT, about 0.5 pJ in Timeloop's stats; accelsim prices them at the ERT's
``access``, so Reg is left out of the comparison), and the bitmask design's Buffer (below).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sparseloop_stats import read_sparse_stats
from test_sparseloop_reference import counts_of, expected_counts

from accelsim.timeloop import TimeloopResult, evaluate_case, load_case

DATA = Path(__file__).parent / "data" / "sparseloop_micro22"
DENSITIES = ("0.01", "0.04", "0.1", "0.4")
CASES = [f"{d}_{design}" for d in DENSITIES for design in ("bitmask", "coordinate_list")]


def run(name: str) -> TimeloopResult:
    density, design = name.split("_", 1)
    files = ("arch.yaml", f"prob.{density}.yaml", f"{name}/map.yaml", f"{design}.yaml", "ERT.yaml")
    return evaluate_case(load_case([DATA / f for f in files]))


@pytest.mark.parametrize("name", CASES)
def test_counts_computes_and_cycles_exact(name: str) -> None:
    result = run(name)
    stats = read_sparse_stats(DATA / name / "timeloop-model.stats.txt")
    want = expected_counts(stats)
    for key, counts in counts_of(result).items():
        assert counts == want[key], key
    [compute] = [level for level in stats.levels.values() if level.computes]
    assert result.computes == compute.computes["actual"]
    assert result.algorithmic_computes == 128**3
    assert result.cycles == stats.cycles


def test_skipping_beats_gating_in_time_not_in_counts() -> None:
    """The point of the figure: at density 0.1 (13 of 128 per row) both designs move the same
    actual data, but gating keeps every slot (2,097,152 cycles = 128^3 MACs) and skipping does
    not (295,152)."""
    bitmask, coordinates = run("0.1_bitmask"), run("0.1_coordinate_list")
    assert bitmask.cycles == 128**3 and coordinates.cycles == 295_152
    assert bitmask.computes == coordinates.computes
    buffer = {level.name: level for level in bitmask.levels}["Buffer"]
    assert buffer.sparse["A"]["gated"]["reads"] > 0


BITMASK_BUFFER = {  # accelsim / Timeloop - 1 of the Buffer's energy, bitmask design
    "0.01": "+1.2 %",
    "0.04": "+1.9 %",
    "0.1": "+2.5 %",
    "0.4": "+2.5 %",
}


@pytest.mark.parametrize("name", CASES)
def test_energy_within_one_percent(name: str) -> None:
    """The MACs, the Buffer and BackingStorage together (Reg left out: module docstring);
    measured within 0.41 % (bitmask) and 2e-5 (coordinate list)."""
    result = run(name)
    stats = read_sparse_stats(DATA / name / "timeloop-model.stats.txt")
    levels = {level.name: level.energy_pj or 0.0 for level in result.levels}
    total = (result.compute_energy_pj or 0.0) + levels["Buffer"] + levels["BackingStorage"]
    want = sum(stats.levels[name].energy_pj for name in ("MAC", "Buffer", "BackingStorage"))
    assert total == pytest.approx(want, rel=0.01)
    assert levels["BackingStorage"] == pytest.approx(
        stats.levels["BackingStorage"].energy_pj, rel=0.01
    )


@pytest.mark.parametrize("name", CASES)
def test_buffer_energy_within_one_percent(name: str, request: pytest.FixtureRequest) -> None:
    if name.endswith("bitmask"):
        density = name.split("_")[0]
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason=f"bitmask Buffer energy {BITMASK_BUFFER[density]}: Timeloop v3.0.3 "
                "counts no metadata access for operand B's UOP-B format at the Buffer, accelsim "
                "a 128-bit mask per tile read (operand A's, one rank, agrees)",
            )
        )
    result = run(name)
    stats = read_sparse_stats(DATA / name / "timeloop-model.stats.txt")
    buffer = {level.name: level for level in result.levels}["Buffer"]
    assert buffer.energy_pj == pytest.approx(stats.levels["Buffer"].energy_pj, rel=0.01)
