"""Cost tables with pruned weights: each cell's DRAM weight reads at the relative-index format's
stored fraction (checked by hand against the DRAM traffic ``accelsim.evaluate`` counts for the
cell's mapping), lower density never costs more energy, cycles and mappings do not move, and a
ternary unit that skips zero weights spends its MAC energy at the density."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import yaml

import accelsim
from accelsim import evaluate, load_workload
from accelsim.arch.loader import arch_from_dict
from accelsim.errors import ConfigError
from accelsim.precision import cost_table
from accelsim.precision.search import search_pruning
from accelsim.precision.table import density_tables
from accelsim.types import DataType

TINY = load_workload("tiny")
DENSITIES = (1.0, 0.9, 0.75, 0.5, 0.3, 0.2, 0.1, 0.05)
BITS = (2, 4, 8)
ARCHS = Path(accelsim.__file__).parent / "builtin" / "arch_configs"
DRAM_PER_BIT = 200 / 16  # eyeriss_normalized (tiny's table): DRAM 200 per 16-bit access


@pytest.fixture(scope="module")
def axis():
    return density_tables("tiny", TINY, DENSITIES, BITS, BITS, dataflow="ws", metric="energy")


def _dram_weight_read_bits(table, i: int, j: int, k: int) -> int:
    layer = TINY.layers[i].with_precision(table.weight_bits[j], table.input_bits[k])
    result = evaluate("tiny", layer, table.mappings[i][j][k], dataflow="ws")
    return sum(
        t.reads * t.element_bits
        for t in result.traffic
        if t.level == "DRAM" and t.data_type is DataType.WEIGHTS
    )


def test_pruned_weights_save_the_compressed_fraction_by_hand(axis) -> None:
    dense, pruned = axis[0], axis[DENSITIES.index(0.3)]
    d, w, b = 0.3, 8, 4
    # entries per non-zero 1 / (1 - 0.7**16); each entry 8 + 4 bits against 8 dense
    fraction = d / (1 - (1 - d) ** 16) * (w + b) / w
    j = k = BITS.index(8)
    for i in range(len(TINY.layers)):
        saved = dense.array("energy")[i, j, k] - pruned.array("energy")[i, j, k]
        expected = _dram_weight_read_bits(dense, i, j, k) * DRAM_PER_BIT * (1 - fraction)
        assert saved == pytest.approx(expected, rel=1e-12)
        assert expected > 0


def test_lower_density_never_costs_more_energy(axis) -> None:
    energies = np.stack([table.array("energy") for table in axis])  # density falls along axis 0
    assert (np.diff(energies, axis=0) <= 1e-9 * energies[:-1]).all()
    assert (energies[-1] < energies[0]).any()
    for table in axis[1:]:  # timing and mappings are the dense table's
        np.testing.assert_array_equal(table.array("cycles"), axis[0].array("cycles"))
        assert table.mappings == axis[0].mappings


def test_full_density_is_the_plain_table(axis) -> None:
    plain = cost_table("tiny", TINY, BITS, BITS, dataflow="ws", metric="energy")
    for name in ("energy", "energy_dram", "energy_compute", "cycles"):
        np.testing.assert_array_equal(plain.array(name), axis[0].array(name))
    assert plain.weight_densities == () and axis[0].weight_densities == (1.0, 1.0, 1.0)
    assert set(axis[1].to_frame()["weight_density"]) == {0.9}


def test_ternary_unit_spends_mac_energy_at_the_density() -> None:
    raw = yaml.safe_load((ARCHS / "tiny.yaml").read_text())
    raw["mac"] = {"type": "ternary"}
    arch = arch_from_dict(raw, source="tiny-ternary")
    tables = density_tables(arch, TINY, (1.0, 0.5), [2], [8], dataflow="ws", metric="energy")
    full, half = (t.array("energy_compute")[:, 0, 0] for t in tables)
    assert (half < full).all()
    per_mac_full = arch.mac_unit.average_energy_per_mac_pj(2, 8, weight_density=1.0)
    per_mac_half = arch.mac_unit.average_energy_per_mac_pj(2, 8, weight_density=0.5)
    np.testing.assert_allclose(half / full, per_mac_half / per_mac_full)


def test_per_layer_densities_and_bad_ones() -> None:
    table = cost_table("tiny", TINY, [8], [8], dataflow="ws", weight_density={"fc": 0.1})
    assert table.weight_densities == (1.0, 1.0, 0.1)
    bad = {
        "0": (0.0, r"weight_density\.conv1: expected a number in \(0, 1\], got 0\.0"),
        "above": ([1.0, 1.5, 1.0], r"weight_density\.conv2: expected a number in \(0, 1\]"),
        "length": ([0.5, 0.5], r"weight_density: expected one density per layer \(3\)"),
        "name": ({"conv9": 0.5}, r"weight_density: expected layer names of tiny"),
    }
    for given, message in bad.values():
        with pytest.raises(ConfigError, match=message):
            cost_table("tiny", TINY, [8], [8], dataflow="ws", weight_density=given)
    with pytest.raises(ConfigError, match=r"index_bits: expected an integer from 1 to 16"):
        cost_table("tiny", TINY, [8], [8], dataflow="ws", weight_density=0.5, index_bits=0)


def test_search_trades_bits_against_pruning_as_brute_force_does() -> None:
    pytest.importorskip("scipy", reason="method='milp' needs scipy (accelsim[search])")
    densities, bits = (1.0, 0.5, 0.1), (2, 4, 8)
    tables = density_tables("tiny", TINY, densities, bits, [8], dataflow="ws", metric="energy")
    d = np.array(densities)[:, None, None, None]
    w = np.array(bits, dtype=float)[None, None, :, None]
    layer = np.arange(1, 4, dtype=float)[None, :, None, None]
    penalty = np.broadcast_to(4.0**-w + 0.01 * layer * (1 - d), (3, 3, 3, 1))  # d, layer, w, a
    cost = np.stack([t.array("energy") for t in tables])
    cells = [(t, j) for t in range(3) for j in range(3)]
    low = sum(cost[:, i].min() for i in range(3))
    high = sum(cost[:, i].max() for i in range(3))
    budget = low + 0.3 * (high - low)
    best = min(
        sum(penalty[t, i, j, 0] for i, (t, j) in enumerate(pick))
        for pick in itertools.product(cells, repeat=3)
        if sum(cost[t, i, j, 0] for i, (t, j) in enumerate(pick)) <= budget
    )
    exact = search_pruning(tables, budget, penalty, metric="energy")
    assert exact.penalty == pytest.approx(best) and exact.cost <= budget
    assert set(exact.weight_densities) <= set(densities)
    assert list(exact.to_frame().columns)[-1] == "weight_density"
    greedy = search_pruning(tables, budget, penalty, metric="energy", method="greedy")
    assert greedy.cost <= budget and greedy.penalty >= best - 1e-12
    with pytest.raises(ConfigError, match=r"penalty: expected finite numbers of shape"):
        search_pruning(tables, budget, penalty[:2], metric="energy")
