"""Cost tables of a precision-scalable unit are monotone by construction, and every entry is
what ``accelsim.evaluate`` gives for the mapping the table records.

The network: three MobileNetV2 layers (batch 16, BitFusion, ws) whose group mappings alone
(one mapping per group of pairs with the same lanes, found at the group's widest pair) cost more
cycles at some narrower pair than at a wider one, under both fidelities.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from accelsim import Network, evaluate, load_workload, simulate
from accelsim.arch import load_arch
from accelsim.dataflow import Dataflow
from accelsim.energy import load_energy_table
from accelsim.mapper import Objective, map_layer
from accelsim.precision import cost_table
from accelsim.precision.evaluate import Context, Sweep, _wider_neighbours, sweep_costs
from accelsim.precision.sanity import sanity_report

MOBILENET = load_workload("mobilenet_v2")
NAMES = ("features.2.conv.0.0", "features.14.conv.1.0", "features.15.conv.1.0")
NET = Network("mbv2-part", tuple(MOBILENET[name] for name in NAMES)).with_batch(16)
ARCH = load_arch("bitfusion").for_dataflow("ws")
FIDELITIES = ("ideal", "engine")
GROUP_TOP = {1: 2, 2: 2, 3: 4, 4: 4}  # bitfusion's lanes change at 2 and 4 bits: the widest
# pair of a bit's group (5..8 bits: 8)


@pytest.fixture(scope="module", params=FIDELITIES)
def fidelity_table(request):
    fidelity = request.param
    return fidelity, cost_table(ARCH, NET, dataflow="ws", fidelity=fidelity, workers=1)


def _violations(cycles: np.ndarray) -> int:
    """Pairs costing more than the next wider pair along w or a (tables indexed by bits - 1)."""
    return int(
        (cycles[:, :-1, :] > cycles[:, 1:, :]).sum() + (cycles[:, :, :-1] > cycles[:, :, 1:]).sum()
    )


def test_table_is_monotone(fidelity_table) -> None:
    _, table = fidelity_table
    assert _violations(table.array("cycles")) == 0
    assert sanity_report(table).ok


def test_table_is_monotone_in_weight_density(fidelity_table) -> None:
    """The density counterpart: pruning further never costs more energy at any pair, and the
    cycles stay the dense table's (the same mappings, priced again; no new simulation)."""
    fidelity, table = fidelity_table
    axis = [
        cost_table(ARCH, NET, dataflow="ws", fidelity=fidelity, workers=1, weight_density=d)
        for d in (1.0, 0.5, 0.25, 0.1, 0.02)
    ]
    energies = np.stack([t.array("energy") for t in axis])
    assert (np.diff(energies, axis=0) <= 1e-9 * energies[:-1]).all()
    assert (energies[-1] < energies[0]).all()  # BitFusion layers read weights from DRAM
    np.testing.assert_array_equal(axis[0].array("energy"), table.array("energy"))
    for pruned in axis:
        np.testing.assert_array_equal(pruned.array("cycles"), table.array("cycles"))
        assert _violations(pruned.array("cycles")) == 0


@pytest.mark.parametrize("fidelity", FIDELITIES)
def test_group_mappings_alone_are_not_monotone_here(fidelity) -> None:
    # What the table held before each pair also tried its wider neighbours' mappings: the
    # layers above were picked because this is not monotone, so the test above has teeth.
    context = Context(
        ARCH, Dataflow.WS, Objective.CYCLES, load_energy_table(ARCH.energy_table), fidelity
    )
    runs = tuple((w, a) for w in range(8, 0, -1) for a in range(8, 0, -1))
    mapped_at = tuple((GROUP_TOP.get(w, 8), GROUP_TOP.get(a, 8)) for w, a in runs)
    cycles = np.zeros((len(NET), 8, 8))
    for i, layer in enumerate(NET):
        sweep = Sweep(replace(layer, name=""), runs, mapped_at, monotone=False)
        for (w, a), cost in zip(runs, sweep_costs(context, sweep), strict=True):
            cycles[i, w - 1, a - 1] = cost.cycles
    assert _violations(cycles) > 0


def test_entries_equal_evaluate_of_the_recorded_mapping(fidelity_table) -> None:
    fidelity, table = fidelity_table
    cells = [(w, a) for w in range(1, 9) for a in range(1, 9)]
    if fidelity == "engine":
        cells = cells[::7]  # the engine takes a few ms a cell
    for i, layer in enumerate(NET):
        for w, a in cells:
            j, k = table.index(w, a)
            result = evaluate(
                ARCH,
                layer.with_precision(w, a),
                table.mappings[i][j][k],
                dataflow="ws",
                fidelity=fidelity,
            )
            assert table.array("cycles")[i, j, k] == result.cycles
            assert table.array("energy")[i, j, k] == pytest.approx(result.energy, rel=1e-12)


def test_neighbour_mappings_are_taken_where_they_beat_the_group_mapping(fidelity_table) -> None:
    fidelity, table = fidelity_table
    layer = NET[0]  # features.2.conv.0.0
    taken = []
    for w, a in ((w, a) for w in range(8, 0, -1) for a in range(8, 0, -1)):
        j, k = table.index(w, a)
        group_at = (GROUP_TOP.get(w, 8), GROUP_TOP.get(a, 8))
        group = map_layer(
            ARCH.apply_precision(layer.with_precision(*group_at)), ARCH, "ws", Objective.CYCLES
        ).mapping
        if table.mappings[0][j][k] != group:
            own = evaluate(
                ARCH, layer.with_precision(w, a), group, dataflow="ws", fidelity=fidelity
            )
            assert (table.array("cycles")[0, j, k], table.array("energy")[0, j, k]) < (
                own.cycles,
                own.energy,
            )
            taken.append((w, a))
    assert taken  # some pairs run a wider neighbour's mapping


def test_widest_pair_and_best_remap_equal_simulate() -> None:
    shared = cost_table(ARCH, NET, [4, 8], [5, 8], dataflow="ws", fidelity="ideal", workers=1)
    best = cost_table(
        ARCH, NET, [4, 8], [5, 8], dataflow="ws", fidelity="ideal", remap="best", workers=1
    )
    for w, a in ((8, 8), (4, 5)):
        result = simulate(
            ARCH,
            NET,
            dataflow="ws",
            weight_bits=w,
            input_bits=a,
            objective="cycles",
            fidelity="ideal",
        )
        j, k = best.index(w, a)
        assert list(best.array("cycles")[:, j, k]) == [x.cycles for x in result.layers]
    j, k = shared.index(8, 8)
    assert list(shared.array("cycles")[:, j, k]) == list(best.array("cycles")[:, j, k])


def test_two_workers_give_the_same_table() -> None:
    from accelsim.precision import clear_cache

    bits = [2, 5, 8]
    one = cost_table(ARCH, NET, bits, bits, dataflow="ws", fidelity="ideal", workers=1)
    clear_cache()
    two = cost_table(ARCH, NET, bits, bits, dataflow="ws", fidelity="ideal", workers=2)
    for name in ("cycles", "energy", "memory_cycles"):
        assert np.array_equal(one.array(name), two.array(name))
    assert one.mappings == two.mappings


def test_wider_neighbours_skip_missing_pairs() -> None:
    # a table of bits {2, 8} x {2, 8}: the next wider w of (2, 2) is 8
    runs = [(8, 8), (8, 2), (2, 8), (2, 2)]
    assert _wider_neighbours(runs) == {
        (8, 8): (),
        (8, 2): ((8, 8),),
        (2, 8): ((8, 8),),
        (2, 2): ((8, 2), (2, 8)),
    }
