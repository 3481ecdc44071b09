"""Sparseloop's exercise designs, reproduced count for count (tests/data/sparseloop, SOURCE.md).

Each case holds the exact inputs Timeloop v3.0.3 (with Sparseloop) was run on, its stats output
(timeloop-model.stats.txt) and the repository's published stats (published-timeloop-mapper.stats
.txt, a newer Timeloop). Per level and data space the per-instance algorithmic, actual, gated and
skipped reads, fills and updates, the computes and the cycles are compared exactly with both, the
formats' metadata entries per rank exactly with v3.0.3's; the energy within 1 % of v3.0.3's per
level and in total (the published energies price gated and
skipped accesses at 0 where the ERT has no such action; v3.0.3 falls back to the read's energy,
as accelsim does).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sparseloop_stats import SparseStats, read_sparse_stats

from accelsim.analysis.counts import analyze
from accelsim.analysis.sparse import sparse_analyze
from accelsim.timeloop import TimeloopResult, evaluate_case, load_case, stats_dict
from accelsim.timeloop.model import _elided

DATA = Path(__file__).parent / "data" / "sparseloop"
CASES = sorted(path.name for path in DATA.iterdir() if path.is_dir())
KINDS = ("algorithmic", "actual", "gated", "skipped")


def run(name: str) -> TimeloopResult:
    case = DATA / name
    return evaluate_case(load_case([case / "input.yaml", case / "ERT.yaml"]))


def counts_of(result: TimeloopResult) -> dict[tuple[str, str, str], dict[str, int]]:
    found = {}
    for level in result.levels:
        for space, actual in level.dataspaces.items():
            kinds = {"actual": actual, **level.sparse[space]}
            for kind in KINDS:
                found[level.name, space, kind] = kinds[kind]
    return found


def expected_counts(stats: SparseStats) -> dict[tuple[str, str, str], dict[str, int]]:
    found = {}
    for level in stats.levels.values():
        for space, kinds in level.counts.items():
            for kind in KINDS:
                counts = kinds.get(kind, {})
                found[level.name, space, kind] = {
                    key: counts.get(key, 0) for key in ("reads", "fills", "updates")
                }
    return found


def test_the_exercises_are_all_here() -> None:
    assert len(CASES) == 10
    assert {"02.2.1-spMspM", "04.2.1-eyeriss-like-gating"} <= set(CASES)


@pytest.mark.parametrize(
    "stats_file", ["timeloop-model.stats.txt", "published-timeloop-mapper.stats.txt"]
)
@pytest.mark.parametrize("name", CASES)
def test_counts_exact(name: str, stats_file: str) -> None:
    result = run(name)
    stats = read_sparse_stats(DATA / name / stats_file)
    want = expected_counts(stats)
    got = counts_of(result)
    assert set(got) <= set(want)
    for key, counts in got.items():
        assert counts == want[key], key
    [compute] = [level for level in stats.levels.values() if level.computes]
    assert result.computes == compute.computes["actual"]
    assert result.algorithmic_computes == compute.computes["algorithmic"]
    assert compute.computes.get("gated", 0) == compute.computes.get("skipped", 0) == 0


@pytest.mark.parametrize("name", CASES)
def test_cycles_exact(name: str) -> None:
    stats = read_sparse_stats(DATA / name / "timeloop-model.stats.txt")
    published = read_sparse_stats(DATA / name / "published-timeloop-mapper.stats.txt")
    assert stats.cycles == published.cycles
    assert run(name).cycles == stats.cycles


@pytest.mark.parametrize("name", CASES)
def test_metadata_per_rank_exact(name: str) -> None:
    """The formats' metadata and payload entries read, filled and updated (actual, gated,
    skipped) per rank, as Timeloop's "scalar format" lines print them (rank 0 innermost)."""
    case = load_case([DATA / name / "input.yaml"])
    assert case.sparse is not None
    analysis = analyze(case.problem.layer, case.arch, case.mapping)
    analysis = _elided(case, analysis)
    blocks = {storage.name: storage.block_size for storage in case.spec.storage}
    sparse = sparse_analyze(analysis, case.sparse, case.problem.order, blocks)
    stats = read_sparse_stats(DATA / name / "timeloop-model.stats.txt")
    checked = 0
    for item in sparse.traffic:
        space = case.problem.spaces[item.data_type]
        want = stats.levels[item.level].formats.get(space, {})
        for kind in ("actual", "gated", "skipped"):
            for count in ("reads", "fills", "updates"):
                ranks = item.metadata.get(kind, {}).get(count, ())
                got = {len(ranks) - 1 - i: tuple(r) for i, r in enumerate(ranks) if any(r)}
                assert got == want.get((kind, count), {}), (item.level, space, kind, count)
                checked += len(got)
    assert checked or name == "01.2.2-SUDU-dot-product"  # the only case without a format


@pytest.mark.parametrize("name", CASES)
def test_energy_within_one_percent(name: str) -> None:
    result = run(name)
    stats = read_sparse_stats(DATA / name / "timeloop-model.stats.txt")
    for level in result.levels:
        want = stats.levels[level.name].energy_pj
        assert level.energy_pj == pytest.approx(want, rel=0.01, abs=0.01), level.name
    assert result.energy_pj == pytest.approx(stats.energy_pj, rel=0.01)


def test_dot_product_gating_by_hand() -> None:
    """01.2.2: B and Z gated on A (fixed-structured density 0.25, K = 16). A one-element tile of
    A is empty with probability 0.75: B's 16 reads split floor(16 x 0.75) = 12 gated, 4
    actual; Z's 15 reads (the first is elided) ceil(15 x 0.75) = 12 gated, 3 actual; its 16
    updates 12 and 4; the computes 16 - floor(16 x 0.75) = 4. Gating keeps the slots: 16
    cycles, and a gated read costs a read (the ERT has no gated action)."""
    result = run("01.2.2-SUDU-dot-product")
    [buffer] = result.levels
    kinds = buffer.sparse
    assert buffer.dataspaces["B"]["reads"] == 16 - 12
    assert kinds["B"]["gated"]["reads"] == 12
    assert buffer.dataspaces["Z"] == {"reads": 15 - 12, "fills": 0, "updates": 16 - 12}
    assert kinds["Z"]["gated"] == {"reads": 12, "fills": 0, "updates": 12}
    assert result.computes == 4 and result.algorithmic_computes == 16
    assert result.cycles == 16
    read, update, compute = 1.958, 1.886, 0.315  # the case's ERT, rounded to 3 decimals
    energy = 16 * read + 16 * read + 15 * read + 16 * update + 4 * compute
    assert result.energy_pj == pytest.approx(energy, rel=1e-3)


def test_skipping_shortens_the_cycles() -> None:
    """01.2.3 skips what 01.2.2 gates: 4 cycles instead of 16, the same actual counts."""
    gated, skipped = run("01.2.2-SUDU-dot-product"), run("01.2.3-SCDU-dot-product")
    assert (gated.cycles, skipped.cycles) == (16, 4)
    assert skipped.levels[0].sparse["B"]["skipped"]["reads"] == 12
    assert skipped.levels[0].dataspaces["B"] == gated.levels[0].dataspaces["B"]


def test_stats_json_carries_the_kinds_beside_the_actual_counts(tmp_path: Path) -> None:
    result = run("02.2.1-spMspM")
    stats = json.loads(json.dumps(stats_dict(result)))
    assert stats["computes"] == 64 and stats["algorithmic_computes"] == 8 * 8 * 8
    buffer = next(level for level in stats["levels"] if level["name"] == "Buffer")
    z = buffer["dataspaces"]["Z"]
    assert z["reads"] == 56 and z["skipped"] == {"reads": 392, "fills": 0, "updates": 448}
    assert set(z) == {
        "reads",
        "fills",
        "updates",
        "algorithmic",
        "gated",
        "skipped",
        "link_transfers",
    }
