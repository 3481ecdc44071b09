"""Per-layer cost tables over (weight bits, activation bits) pairs, for mixed-precision search.

:func:`cost_table` prices every layer of a network at every requested bit pair and returns a
:class:`CostTable`: dense arrays of shape (layers, len(weight_bits), len(input_bits)) for cycles,
seconds, energy (total and its compute / on-chip / DRAM split) and the memory-bandwidth bound, and
a long-form DataFrame (``to_frame``). See docs/precision.md for the model and its assumptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Mapping as ByName
from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from accelsim.api import (
    FIDELITIES,
    ArchLike,
    TableLike,
    WorkloadLike,
    as_arch,
    as_network,
    as_table,
)
from accelsim.compress.csr import stored_fraction
from accelsim.config import LIMITS, expect_int, int_in
from accelsim.dataflow import Dataflow, parse_dataflow
from accelsim.energy.pricing import mac_energy_per_mac
from accelsim.errors import ConfigError, Problem, Problems
from accelsim.mac import MacUnit
from accelsim.mapper import Objective
from accelsim.mapping.model import Mapping
from accelsim.precision.evaluate import Context, PairCost, Report, Sweep, evaluate_sweeps
from accelsim.workload.layer import Layer, Network

MAX_BITS = int(LIMITS["bits"].high)  # the widest precision a layer may carry
ARRAYS = (
    "cycles",
    "ideal_cycles",
    "stall_cycles",
    "memory_cycles",
    "seconds",
    "energy",
    "energy_compute",
    "energy_onchip",
    "energy_dram",
    "run_weight_bits",
    "run_input_bits",
    "macs_per_cycle",
)
OBJECTIVE_FOR_METRIC = {
    "cycles": Objective.CYCLES,
    "energy": Objective.ENERGY,
    "both": Objective.EDP,
}


class Unsupported(str, Enum):
    """What to do with a bit pair the MAC unit cannot run.

    ``promote``: run it at the nearest wider pair the unit supports (as a unit that runs 1-bit
    operands at 2-bit speed would); ``nan``: leave NaN in the table (search helpers skip it);
    ``error``: raise ConfigError.
    """

    PROMOTE = "promote"
    NAN = "nan"
    ERROR = "error"


class Remap(str, Enum):
    """How mappings are chosen across bit pairs.

    ``shared`` (the default): the mapper runs once per layer shape and group of pairs (pairs
    where the MAC unit issues the same MACs per cycle along each operand, so the same lane
    loops), at the group's widest pair. Walking the pairs from widest to narrowest, each pair
    takes the best, by the objective, of its group's mapping and the mappings chosen at its wider
    neighbours (next wider w, and next wider a) that are valid there. A narrower pair runs a wider
    pair's mapping with the same temporal steps and less traffic, so the table's objective never
    rises as bits fall (monotone by construction). ``best``: the mapper's own pick at every
    distinct (layer shape, bits), what :func:`accelsim.simulate` returns there; since the mapper
    ranks candidates by a bandwidth bound rather than engine cycles, it is not monotone, and it is
    several times slower cold (a mapper run per pair instead of per group).
    """

    BEST = "best"
    SHARED = "shared"


@dataclass(frozen=True, eq=False)
class CostTable:
    """Costs of every layer at every (weight bits, activation bits) pair.

    ``arrays[name]`` has shape (layers, len(weight_bits), len(input_bits)); entry ``[i, j, k]``
    is layer ``i`` at ``weight_bits[j]`` x ``input_bits[k]``. Cycles are the clock cycles
    ``accelsim.evaluate``
    reports for the entry's mapping (engine cycles with stalls, or ideal cycles, as the table's
    fidelity says); seconds at the clock of the
    architecture; energies in ``energy_unit``; ``memory_cycles`` is the bandwidth lower bound
    (the slowest level's traffic over its bandwidth). NaN marks unsupported pairs (``nan``
    policy). ``run_*_bits`` give the precision each pair ran at (after promotion or a
    fixed-precision architecture's override). ``mappings[i][j][k]`` is the mapping the entry
    was costed with (``accelsim.evaluate`` of it gives the entry; ``None`` for NaN pairs).
    ``weight_densities`` (one per layer; empty when not given) are the pruning densities the
    table was priced at, with ``index_bits``-bit relative indices (see :func:`cost_table`).
    """

    network: str
    arch: str
    dataflow: str
    objective: str
    batch: int
    energy_unit: str
    layers: tuple[str, ...]
    macs: tuple[int, ...]
    weight_bits: tuple[int, ...]
    input_bits: tuple[int, ...]
    arrays: dict[str, NDArray[np.float64]] = field(repr=False)
    mappings: tuple[tuple[tuple[Mapping | None, ...], ...], ...] = field(repr=False, default=())
    weight_densities: tuple[float, ...] = ()
    index_bits: int | None = None

    def array(self, name: str = "cycles") -> NDArray[np.float64]:
        """The dense (layers, w, a) array of one quantity (see :data:`ARRAYS`); a copy."""
        if name not in self.arrays:
            raise ConfigError(Problem("cost table", "metric", f"one of {', '.join(ARRAYS)}", name))
        return self.arrays[name].copy()

    def index(self, weight_bits: int, input_bits: int) -> tuple[int, int]:
        """Positions of a bit pair along the table's w and a axes (ConfigError if absent)."""
        found = Problems("cost table")
        if weight_bits not in self.weight_bits:
            found.add("weight_bits", f"one of {list(self.weight_bits)}", weight_bits)
        if input_bits not in self.input_bits:
            found.add("input_bits", f"one of {list(self.input_bits)}", input_bits)
        found.raise_if_any()
        return self.weight_bits.index(weight_bits), self.input_bits.index(input_bits)

    def total(self, name: str, weight_bits: Iterable[int], input_bits: Iterable[int]) -> float:
        """Network total of ``name`` with per-layer bits: the sum over layers (additivity)."""
        values = self.arrays[name]
        pairs = zip(weight_bits, input_bits, strict=True)
        return float(sum(values[(i, *self.index(w, a))] for i, (w, a) in enumerate(pairs)))

    def to_frame(self) -> pd.DataFrame:
        """Long form: one row per (layer, weight_bits, input_bits) with every quantity as a
        column."""
        count, nw, na = len(self.layers), len(self.weight_bits), len(self.input_bits)
        frame = pd.DataFrame(
            {
                "layer_index": np.repeat(np.arange(count), nw * na),
                "layer": np.repeat(np.array(self.layers, dtype=object), nw * na),
                "weight_bits": np.tile(np.repeat(self.weight_bits, na), count),
                "input_bits": np.tile(np.array(self.input_bits), count * nw),
                "macs": np.repeat(np.array(self.macs, dtype=np.int64), nw * na),
            }
        )
        for name in ARRAYS:
            frame[name] = self.arrays[name].reshape(-1)
        if self.weight_densities:
            frame["weight_density"] = np.repeat(np.array(self.weight_densities), nw * na)
        frame["mapping"] = [
            "" if m is None else str(m) for layer in self.mappings for row in layer for m in row
        ]
        for column, value in (
            ("network", self.network),
            ("arch", self.arch),
            ("dataflow", self.dataflow),
            ("batch", self.batch),
        ):
            frame.insert(0, column, value)
        return frame


def cost_table(
    arch: ArchLike,
    network: WorkloadLike,
    weight_bits: Iterable[int] = range(1, 9),
    input_bits: Iterable[int] = range(1, 9),
    *,
    batch: int | None = None,
    dataflow: Dataflow | str = Dataflow.RS,
    metric: str = "cycles",
    objective: Objective | str | None = None,
    energy_table: TableLike = None,
    unsupported: Unsupported | str = Unsupported.PROMOTE,
    remap: Remap | str = Remap.SHARED,
    fidelity: str = "engine",
    workers: int | None = None,
    progress: Report | None = None,
    weight_density: Densities = None,
    index_bits: int = 4,
) -> CostTable:
    """Cost of every layer of ``network`` on ``arch`` at every (w, a) bit pair.

    ``metric`` (``cycles``, ``energy`` or ``both``) picks the mapper's objective (fewest cycles,
    least energy, least energy-delay product) unless ``objective`` is given; every quantity is
    in the table either way. ``unsupported`` and ``remap`` are described by :class:`Unsupported`
    and :class:`Remap`. ``fidelity`` is passed to :func:`accelsim.simulate` (``engine``: cycles
    with bandwidth stalls; ``ideal``: temporal steps at the MAC unit's throughput). Work is
    shared: each distinct layer shape is swept once (the mapper once per group of pairs, each
    distinct (mapping, bits) costed once), a fixed-precision architecture costs each shape once
    for all pairs, results are cached in the process, and ``workers`` processes (default: up to
    2 when there is enough work) share a cold run; ``progress(done, total)``, if given, is
    called as the layer shapes are costed.

    ``weight_density`` (one value, one per layer, or a mapping by layer name, each in (0, 1];
    ``None``: the layers' own, weights stored dense) prices pruned weights: in DRAM they are
    stored in Deep Compression's relative-index format with ``index_bits``-bit indices (or
    dense, when that is smaller), so every DRAM weight read moves
    :func:`accelsim.compress.csr.stored_fraction` of its dense bits; a MAC unit that gates or
    skips zero weights (ternary) spends its energy at that density. Each cell keeps the
    mapping, cycles and other energies of the layer's own density (timing is not sped up by
    pruning here), so lower density never costs more energy.

    Raises ConfigError for bits outside 1..32, an unknown metric, policy or dataflow, an
    unsupported pair under the ``error`` policy, a layer the dataflow cannot map, or a
    density outside (0, 1], a density list of the wrong length or naming an unknown layer.
    """
    flow = parse_dataflow(dataflow)
    w_list, a_list = _bits("weight_bits", weight_bits), _bits("input_bits", input_bits)
    goal = _objective(metric, objective)
    policy = _enum(Unsupported, unsupported, "unsupported")
    mode = _enum(Remap, remap, "remap")
    if fidelity not in FIDELITIES:
        expected = f"one of {', '.join(FIDELITIES)}"
        raise ConfigError(Problem("cost_table", "fidelity", expected, fidelity))
    base = as_arch(arch).for_dataflow(flow.value)
    net = as_network(network)
    if batch is not None:
        if not int_in(batch, "batch"):
            raise ConfigError(Problem("cost_table", "batch", expect_int("batch"), batch))
        net = net.with_batch(batch)
    densities = _densities(net, weight_density)
    index = _index_bits(index_bits)
    table = as_table(energy_table, base)
    grid = _run_bits(base, net, w_list, a_list, policy)
    sweeps = _sweeps(net, grid, mode, base.mac_unit)
    context = Context(base, flow, goal, table, fidelity)
    costs = evaluate_sweeps(context, sweeps, workers=workers, progress=progress)
    done = _assemble(net, base, flow, goal, table.unit, w_list, a_list, grid, costs)
    if densities is None:
        return done
    return _pruned(done, net, context, grid, costs, (densities, index))


def density_tables(
    arch: ArchLike,
    network: WorkloadLike,
    densities: Iterable[float],
    weight_bits: Iterable[int] = range(1, 9),
    input_bits: Iterable[int] = range(1, 9),
    **options,
) -> tuple[CostTable, ...]:
    """A density axis: one :func:`cost_table` per weight density (the same for every layer),
    in the order given. The simulations are shared (cached), so each further density costs
    only its pricing. ``options`` are :func:`cost_table`'s."""
    values = tuple(densities)
    if not values:
        raise ConfigError(Problem("cost_table", "densities", "at least one density", []))
    return tuple(
        cost_table(arch, network, weight_bits, input_bits, weight_density=d, **options)
        for d in values
    )


# ---- validation ------------------------------------------------------------------------------
def _bits(name: str, values: Iterable[int]) -> tuple[int, ...]:
    try:
        bits = tuple(values)
    except TypeError:
        bits = (values,)  # type: ignore[assignment]
    ok = bits and all(
        isinstance(b, (int, np.integer)) and not isinstance(b, bool) and 1 <= b <= MAX_BITS
        for b in bits
    )
    if not ok or len(set(bits)) != len(bits):
        expected = f"distinct integers from 1 to {MAX_BITS} (bit widths)"
        raise ConfigError(Problem("cost_table", name, expected, list(bits)))
    return tuple(int(b) for b in bits)


def _enum(kind: type[Enum], value: object, name: str):
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(item.value) for item in kind)
        raise ConfigError(Problem("cost_table", name, f"one of {allowed}", value)) from None


def _objective(metric: str, objective: Objective | str | None) -> Objective:
    if metric not in OBJECTIVE_FOR_METRIC:
        raise ConfigError(Problem("cost_table", "metric", "one of cycles, energy, both", metric))
    if objective is None:
        return OBJECTIVE_FOR_METRIC[metric]
    return _enum(Objective, objective, "objective")


Densities = float | Sequence[float] | ByName[str, float] | None


def _densities(network: Network, given: Densities) -> tuple[float, ...] | None:
    """One density per layer (ConfigError for a bad value, length or name)."""
    if given is None:
        return None
    names = [layer.name for layer in network]
    if isinstance(given, ByName):
        unknown = sorted(set(given) - set(names))
        if unknown:
            expected = f"layer names of {network.name}"
            raise ConfigError(Problem("cost_table", "weight_density", expected, unknown))
        values = [given.get(name, 1.0) for name in names]
    elif isinstance(given, Sequence) and not isinstance(given, str):
        values = list(given)
        if len(values) != len(names):
            expected = f"one density per layer ({len(names)})"
            raise ConfigError(Problem("cost_table", "weight_density", expected, len(values)))
    else:
        values = [given] * len(names)  # type: ignore[list-item]
    for name, value in zip(names, values, strict=True):
        ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
        if not ok or not 0 < value <= 1:
            path = f"weight_density.{name}"
            raise ConfigError(Problem("cost_table", path, "a number in (0, 1]", value))
    return tuple(float(v) for v in values)


def _index_bits(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= 16:
        raise ConfigError(Problem("cost_table", "index_bits", "an integer from 1 to 16", value))
    return int(value)


# ---- which precision each pair runs at -------------------------------------------------------
Grid = dict[tuple[int, int], tuple[int, int] | None]  # requested (w, a) -> run (w, a) or None


def _run_bits(arch, network: Network, w_list, a_list, policy: Unsupported) -> Grid:
    """The (w, a) each requested pair runs at; ``None`` when it cannot run (``nan`` policy)."""
    unit = arch.mac_unit
    probe = network.layers[0]
    grid: Grid = {}
    found = Problems(arch.source or arch.name)
    for w in w_list:
        for a in a_list:
            layer = arch.apply_precision(probe.with_precision(w, a))  # fixed precision wins
            asked = (layer.weight_bits, layer.input_bits)
            run = (
                _promoted(asked[0], unit.supported_weight_bits()),
                _promoted(asked[1], unit.supported_input_bits()),
            )
            if run == asked or (policy is Unsupported.PROMOTE and None not in run):
                grid[(w, a)] = run  # type: ignore[assignment]
            elif policy is Unsupported.NAN:
                grid[(w, a)] = None
            else:
                with found.collecting():
                    unit.check_precision(*asked, source=found.source)
    found.items = list(dict.fromkeys(found.items))  # one line per distinct unsupported width
    found.raise_if_any()
    return grid


def _promoted(bits: int, supported: Iterable[int]) -> int | None:
    wider = [b for b in supported if b >= bits]
    return min(wider) if wider else None


def _sweeps(network: Network, grid: Grid, mode: Remap, unit: MacUnit) -> list[Sweep]:
    """One sweep per distinct layer shape over the distinct run pairs, widest first; with
    ``shared``, each pair names the pair whose mapping it starts from (see :func:`_shared_at`)
    and tries its wider neighbours' too."""
    runs = sorted({run for run in grid.values() if run is not None}, reverse=True)
    shared_at = _shared_at(runs, unit) if mode is Remap.SHARED else {}
    mapped_at = tuple(shared_at.get(run, run) for run in runs)
    monotone = mode is Remap.SHARED
    sweeps = (
        Sweep(replace(layer.with_precision(*runs[0]), name=""), tuple(runs), mapped_at, monotone)
        for layer in network
        if runs
    )
    return list(dict.fromkeys(sweeps))


def _shared_at(runs: list[tuple[int, int]], unit: MacUnit) -> dict[tuple[int, int], tuple]:
    """For each run pair, the pair whose mapping it may reuse: the widest pair of its group, the
    pairs where the MAC unit issues the same MACs per cycle along each operand (its lane loops
    are part of the mapping). A pair whose group has no widest member is mapped on its own."""
    top_w = max(w for w, _ in runs)
    top_a = max(a for _, a in runs)
    groups: dict[tuple, list[tuple[int, int]]] = {}
    for w, a in runs:
        key = (
            unit.macs_per_cycle(w, a),
            unit.macs_per_cycle(w, top_a),
            unit.macs_per_cycle(top_w, a),
        )
        groups.setdefault(key, []).append((w, a))
    shared = {}
    for members in groups.values():
        widest = (max(w for w, _ in members), max(a for _, a in members))
        if widest in members:
            shared.update(dict.fromkeys(members, widest))
    return shared


def _key(layer: Layer) -> tuple:
    return layer.shape_key


# ---- assembling the arrays -------------------------------------------------------------------
def _assemble(network, arch, flow, goal, unit, w_list, a_list, grid, costs) -> CostTable:
    shape = (len(network), len(w_list), len(a_list))
    arrays = {name: np.full(shape, np.nan) for name in ARRAYS}
    mappings: list = [[[None] * len(a_list) for _ in w_list] for _ in network.layers]
    for i, layer in enumerate(network):
        for j, w in enumerate(w_list):
            for k, a in enumerate(a_list):
                run = grid[(w, a)]
                if run is None:
                    continue
                cost: PairCost = costs[_key(layer.with_precision(*run))]
                for name in ARRAYS:
                    arrays[name][i, j, k] = getattr(cost, name)
                mappings[i][j][k] = cost.mapping
    return CostTable(
        network=network.name,
        arch=arch.name,
        dataflow=flow.value,
        objective=goal.value,
        batch=network.batch,
        energy_unit=unit,
        layers=tuple(layer.name for layer in network),
        macs=tuple(layer.macs for layer in network),
        weight_bits=w_list,
        input_bits=a_list,
        arrays=arrays,
        mappings=tuple(tuple(tuple(row) for row in layer) for layer in mappings),
    )


# ---- pruned weights --------------------------------------------------------------------------
def _pruned(done: CostTable, network: Network, context: Context, grid: Grid, costs, pruning):
    """``done`` priced at ``densities``: DRAM weight reads at the stored fraction, the MAC
    energy at the density (same mappings, cycles and other energies)."""
    densities, index = pruning
    arrays = {name: values.copy() for name, values in done.arrays.items()}
    arch, table = context.arch, context.table
    for i, (layer, density) in enumerate(zip(network, densities, strict=True)):
        for j, w in enumerate(done.weight_bits):
            for k, a in enumerate(done.input_bits):
                run = grid[(w, a)]
                if run is None:
                    continue
                ran = arch.apply_precision(layer.with_precision(*run))
                weights_pj = costs[_key(layer.with_precision(*run))].energy_dram_weights
                dram = weights_pj * (1 - stored_fraction(density, ran.weight_bits, index))
                pruned = replace(ran, weight_density=density)
                per_mac = mac_energy_per_mac(ran, arch, table)
                mac = ran.macs * (per_mac - mac_energy_per_mac(pruned, arch, table))
                arrays["energy_dram"][i, j, k] -= dram
                arrays["energy_compute"][i, j, k] -= mac
                arrays["energy"][i, j, k] -= dram + mac
    return replace(done, arrays=arrays, weight_densities=densities, index_bits=index)
