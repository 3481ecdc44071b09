"""Timeloop's published reference outputs, reproduced count for count (tests/data/timeloop).

Each case directory holds the exact inputs and Timeloop's own stats output, with SOURCE.md naming
the repository, commit and path. Counts per instance and cycles are compared exactly; energy
within 0.1 % (the ERT's energies are printed with 3 decimals, the per-word energies of the built-in
table with 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from timeloop_stats import read_stats

import accelsim
from accelsim.mapping.io import TIMELOOP_DATASPACES, load_mapping
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
            [got] = [t for t in result.traffic if t.level == level.name and t.data_type is data_type]
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
