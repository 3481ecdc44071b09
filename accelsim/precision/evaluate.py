"""Price a cost table's layer shapes over their bit pairs, one *sweep* per distinct shape.

A sweep maps the shape once per group of pairs that share a mapping (the mapper runs at the
group's widest pair) and walks the pairs from widest to narrowest. With ``monotone``, a pair whose
group mapping ranks worse than what a wider neighbour, (next wider w, a) or (w, next wider a),
holds also tries those neighbours' mappings where valid, and keeps the best by the objective: a
narrower pair can always run a wider pair's mapping (same temporal steps, less traffic), so the
table cannot rise as bits fall. Each (mapping, pair) is costed once, through
:func:`accelsim.evaluate`, so a cell holds exactly what ``evaluate`` returns for the mapping it
records.

Sweeps are independent: a cold table spreads them over worker processes, each sweep (and so each
mapper run) in exactly one of them. Results are kept in a per-process cache keyed by the
architecture, dataflow, objective, energy table, fidelity and the sweep.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from accelsim.analysis.counts import traffic_cycles
from accelsim.api import evaluate
from accelsim.arch.model import Arch
from accelsim.dataflow import Dataflow
from accelsim.energy import EnergyTable
from accelsim.mapper import Objective, map_layer
from accelsim.mapping.model import Mapping
from accelsim.mapping.validate import fits
from accelsim.results import LayerResult
from accelsim.types import DataType
from accelsim.workers import worker_pool
from accelsim.workload.layer import Layer

log = logging.getLogger(__name__)

PARALLEL_MIN = 256  # fewer uncached pairs than this run in-process (forking costs ~0.1 s)
CACHE_LIMIT = 3_000  # sweeps kept before the cache is emptied (each up to 64 pairs for 8 x 8)
_CACHE: dict[tuple, tuple[PairCost, ...]] = {}

Pair = tuple[int, int]  # (weight bits, input bits) a layer runs at


@dataclass(frozen=True)
class Context:
    """Everything a sweep is priced under (hashable: part of the cache key)."""

    arch: Arch
    flow: Dataflow
    objective: Objective
    table: EnergyTable
    fidelity: str


@dataclass(frozen=True)
class Sweep:
    """One layer shape (nameless; its own bits are ignored) at ``runs``, widest first: every
    pair's wider neighbours along each axis come before it. ``runs[i]`` reuses the mapping the
    mapper finds at ``mapped_at[i]`` (the widest pair of its group, or itself); with
    ``monotone`` it also tries the mappings chosen at its wider neighbours."""

    layer: Layer
    runs: tuple[Pair, ...]
    mapped_at: tuple[Pair, ...]
    monotone: bool


@dataclass(frozen=True)
class PairCost:
    """The figures a cost table keeps for one layer at one bit pair (units as in LayerResult)."""

    cycles: int
    ideal_cycles: int
    stall_cycles: int
    memory_cycles: float  # bandwidth bound: max over levels of traffic bits / bandwidth
    seconds: float
    energy: float
    energy_compute: float
    energy_onchip: float
    energy_dram: float
    energy_dram_weights: float  # the part of energy_dram that moves weights
    run_weight_bits: int
    run_input_bits: int
    macs_per_cycle: int  # per PE, at the run bits
    mapping: Mapping  # the mapping these figures are for


def clear_cache() -> None:
    """Forget every cached result (the mapper keeps its own cache)."""
    _CACHE.clear()


Report = Callable[[int, int], None]  # (sweeps done, sweeps to do): progress for a caller


def evaluate_sweeps(
    context: Context,
    sweeps: Sequence[Sweep],
    *,
    workers: int | None = None,
    progress: Report | None = None,
) -> dict[tuple, PairCost]:
    """Costs keyed by the ``shape_key`` of each sweep's layer at each of its run pairs; cached
    sweeps are not recomputed. ``workers`` processes (default: up to 2 when there is enough
    work) share the uncached sweeps; ``progress(done, total)`` is called as they finish."""
    todo = [s for s in dict.fromkeys(sweeps) if (context, s) not in _CACHE]
    log.info("cost table: %d sweeps, %d not cached", len(set(sweeps)), len(todo))
    report = progress or (lambda done, total: None)
    for sweep, costs in zip(todo, _run(context, todo, workers, report), strict=True):
        if len(_CACHE) >= CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[(context, sweep)] = costs
    found = {}
    for sweep in sweeps:
        for run, cost in zip(sweep.runs, _CACHE[(context, sweep)], strict=True):
            found[sweep.layer.with_precision(*run).shape_key] = cost
    return found


def _run(
    context: Context, todo: list[Sweep], workers: int | None, report: Report
) -> list[tuple[PairCost, ...]]:
    count = min(workers if workers is not None else 2, os.cpu_count() or 1, len(todo))
    pairs = sum(len(sweep.runs) for sweep in todo)
    report(0, len(todo))
    if count <= 1 or (workers is None and pairs < PARALLEL_MIN):
        results = []
        for sweep in todo:
            results.append(sweep_costs(context, sweep))
            report(len(results), len(todo))
        return results
    # Largest shapes first, handed out one at a time: the workers finish close together.
    order = sorted(range(len(todo)), key=lambda i: -todo[i].layer.macs)
    fork = multiprocessing.get_context("fork")
    with worker_pool(count, mp_context=fork) as pool:
        done = pool.map(partial(sweep_costs, context), [todo[i] for i in order])
        costs = {}
        for i, cost in zip(order, done, strict=True):
            costs[i] = cost
            report(len(costs), len(todo))
    return [costs[i] for i in range(len(todo))]


def sweep_costs(context: Context, sweep: Sweep) -> tuple[PairCost, ...]:
    """The cost of ``sweep.layer`` at each of its runs (see :class:`Sweep`), in order."""
    own = {at: _mapper_mapping(context, sweep.layer, at) for at in dict.fromkeys(sweep.mapped_at)}
    wider = _wider_neighbours(sweep.runs) if sweep.monotone else {}
    chosen: dict[Pair, PairCost] = {}
    for run, at in zip(sweep.runs, sweep.mapped_at, strict=True):
        layer = context.arch.apply_precision(sweep.layer.with_precision(*run))
        key = partial(rank, context.objective)
        best = _cost(context, layer, own[at])
        neighbours = [chosen[n] for n in wider.get(run, ())]
        if any(key(best) > key(neighbour) for neighbour in neighbours):
            # only then can a wider neighbour's mapping matter: it does no worse here than there
            others = dict.fromkeys(n.mapping for n in neighbours if n.mapping != own[at])
            costs = [
                _cost(context, layer, mapping)
                for mapping in others
                if _runs_at(mapping, layer, context.arch)
            ]
            best = min([best, *costs], key=key)  # ties: own mapping
        chosen[run] = best
    return tuple(chosen[run] for run in sweep.runs)


def rank(objective: Objective, cost: PairCost) -> tuple[float, float]:
    """Sort key of a cost under the table's objective (the smaller the better), on the table's
    own cycles (engine cycles under the engine fidelity)."""
    if objective is Objective.CYCLES:
        return (cost.cycles, cost.energy)
    if objective is Objective.ENERGY:
        return (cost.energy, cost.cycles)
    return (cost.energy * cost.cycles, cost.energy)


def _wider_neighbours(runs: Sequence[Pair]) -> dict[Pair, tuple[Pair, ...]]:
    """For each pair, the next wider pair along w (same a) and along a (same w), if present."""
    out: dict[Pair, tuple[Pair, ...]] = {}
    for w, a in runs:
        next_w = min((v for v, b in runs if b == a and v > w), default=None)
        next_a = min((b for v, b in runs if v == w and b > a), default=None)
        wider_w: tuple[Pair, ...] = () if next_w is None else ((next_w, a),)
        wider_a: tuple[Pair, ...] = () if next_a is None else ((w, next_a),)
        out[(w, a)] = wider_w + wider_a
    return out


def _runs_at(mapping: Mapping, layer: Layer, arch: Arch) -> bool:
    """Whether a mapping found at other bits is valid for ``layer``: its lane loops within the
    MACs per cycle the unit does at the layer's bits, and every tile within its level."""
    unit = arch.mac_unit
    lanes = unit.macs_per_cycle(layer.weight_bits, layer.input_bits)
    return mapping.lanes <= lanes and fits(layer, arch, mapping)


def _mapper_mapping(context: Context, layer: Layer, at: Pair) -> Mapping:
    arch = context.arch
    found = map_layer(
        arch.apply_precision(layer.with_precision(*at)),
        arch,
        context.flow,
        context.objective,
        context.table,
    )
    return found.mapping


def _cost(context: Context, layer: Layer, mapping: Mapping) -> PairCost:
    result = evaluate(
        context.arch,
        layer,
        mapping,
        energy_table=context.table,
        dataflow=context.flow.value,
        fidelity=context.fidelity,
    )
    return pair_cost(result, context.arch, mapping)


def pair_cost(result: LayerResult, arch: Arch, mapping: Mapping) -> PairCost:
    """The cost-table figures of one layer result on ``arch`` under ``mapping``."""
    by = result.energy_by("category")
    unit = arch.mac_unit
    return PairCost(
        cycles=result.cycles,
        ideal_cycles=result.ideal_cycles,
        stall_cycles=result.stall_cycles,
        memory_cycles=memory_cycles(result, arch),
        seconds=result.seconds,
        energy=result.energy,
        energy_compute=by["ALU"],
        energy_onchip=by["RF"] + by["array"] + by["buffer"],
        energy_dram=by["DRAM"],
        energy_dram_weights=sum(
            item.energy
            for item in result.energy_items
            if item.category == "DRAM" and item.data_type is DataType.WEIGHTS
        ),
        run_weight_bits=result.weight_bits,
        run_input_bits=result.input_bits,
        macs_per_cycle=unit.macs_per_cycle(result.weight_bits, result.input_bits),
        mapping=mapping,
    )


def memory_cycles(result: LayerResult, arch: Arch) -> float:
    """The bandwidth lower bound on cycles: the largest per-instance read or write traffic of any
    level over that port's bandwidth (separate read and write ports, as the engine times them;
    :func:`accelsim.analysis.counts.traffic_cycles`); 0 if no level has a bandwidth."""
    return traffic_cycles(result.traffic, arch)
