"""Evaluate the distinct (layer shape, bits) requests of a cost table, once each, in parallel.

Each request is priced through :func:`accelsim.simulate` (the mapper picks the mapping) or, when
a shared mapping is asked for, :func:`accelsim.evaluate` with the mapping found at the widest bits,
so the table holds whatever cycles those return (ideal cycles today, engine cycles with stalls
once the engine runs). Results are kept in a per-process cache keyed by the architecture, dataflow,
objective, energy table and the layer's full shape including its bits.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from accelsim.api import evaluate, simulate
from accelsim.arch.model import Arch
from accelsim.dataflow import Dataflow
from accelsim.energy import EnergyTable
from accelsim.mac import make_mac_unit
from accelsim.mapper import Objective, map_layer
from accelsim.results import LayerResult
from accelsim.workload.layer import Layer, Network

log = logging.getLogger(__name__)

PARALLEL_MIN = 256  # fewer uncached requests than this run in-process (forking costs ~0.1 s)
CACHE_LIMIT = 200_000  # entries kept before the cache is emptied (a few hundred bytes each)
_CACHE: dict[tuple, PairCost] = {}


@dataclass(frozen=True)
class Context:
    """Everything a request is priced under (hashable: part of the cache key)."""

    arch: Arch
    flow: Dataflow
    objective: Objective
    table: EnergyTable
    fidelity: str


@dataclass(frozen=True)
class Request:
    """Price ``layer`` (with its bits); with ``mapped_at``, reuse the mapping found for it."""

    layer: Layer
    mapped_at: Layer | None = None


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
    run_weight_bits: int
    run_input_bits: int
    macs_per_cycle: int  # per PE, at the run bits
    mapping: str


def clear_cache() -> None:
    """Forget every cached result (the mapper keeps its own cache)."""
    _CACHE.clear()


def evaluate_requests(
    context: Context, requests: Sequence[Request], *, workers: int | None = None
) -> dict[tuple, PairCost]:
    """Costs keyed by each request's ``layer.shape_key``; cached ones are not recomputed."""
    keys = [(context, *_request_key(r)) for r in requests]
    todo = [r for r, key in zip(requests, keys, strict=True) if key not in _CACHE]
    log.info("cost table: %d requests, %d not cached", len(requests), len(todo))
    for request, cost in zip(todo, _run(context, todo, workers), strict=True):
        if len(_CACHE) >= CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[(context, *_request_key(request))] = cost
    return {r.layer.shape_key: _CACHE[key] for r, key in zip(requests, keys, strict=True)}


def _request_key(request: Request) -> tuple:
    shared = None if request.mapped_at is None else request.mapped_at.shape_key
    return (request.layer.shape_key, shared)


def _run(context: Context, todo: list[Request], workers: int | None) -> list[PairCost]:
    count = workers if workers is not None else (min(2, os.cpu_count() or 1))
    if count <= 1 or (workers is None and len(todo) < PARALLEL_MIN):
        return _price(context, todo)
    chunks = [todo[i::count] for i in range(count)]  # interleaved: similar work per chunk
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=count, mp_context=fork) as pool:
        parts = list(pool.map(_price, [context] * count, chunks))
    costs: list[PairCost | None] = [None] * len(todo)
    for start, part in enumerate(parts):
        costs[start::count] = part
    return costs  # type: ignore[return-value]


def _price(context: Context, todo: list[Request]) -> list[PairCost]:
    free = [r.layer for r in todo if r.mapped_at is None]
    results = iter(_simulated(context, free))
    costs = []
    for request in todo:
        result = next(results) if request.mapped_at is None else _shared(context, request)
        costs.append(pair_cost(result, context.arch))
    return costs


def _simulated(context: Context, layers: list[Layer]) -> tuple[LayerResult, ...]:
    if not layers:
        return ()
    return simulate(
        context.arch,
        Network("cost-table", tuple(layers)),
        dataflow=context.flow,
        objective=context.objective,
        energy_table=context.table,
        fidelity=context.fidelity,
    ).layers


def _shared(context: Context, request: Request) -> LayerResult:
    """``request.layer`` under the mapping the mapper picks at ``request.mapped_at``."""
    arch, flow = context.arch, context.flow
    widest = arch.apply_precision(request.mapped_at)
    mapping = map_layer(widest, arch, flow, context.objective, context.table).mapping
    layer = arch.apply_precision(request.layer)
    return evaluate(
        arch,
        layer,
        mapping,
        energy_table=context.table,
        dataflow=flow.value,
        fidelity=context.fidelity,
    )


def pair_cost(result: LayerResult, arch: Arch) -> PairCost:
    """The cost-table figures of one layer result on ``arch``."""
    by = result.energy_by("category")
    unit = make_mac_unit(arch.mac, source=arch.source)
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
        run_weight_bits=result.weight_bits,
        run_input_bits=result.input_bits,
        macs_per_cycle=unit.macs_per_cycle(result.weight_bits, result.input_bits),
        mapping=result.mapping,
    )


def memory_cycles(result: LayerResult, arch: Arch) -> float:
    """The bandwidth lower bound on cycles: for every level with a bandwidth, the bits it moves
    (reads, fills and updates) per instance over its bandwidth in bits per cycle; the largest.
    Reads and writes are taken to share one port (DRAM's single interface); 0 if no level has
    a bandwidth."""
    moved: dict[str, float] = {}
    for item in result.traffic:
        moved[item.level] = moved.get(item.level, 0.0) + (
            (item.read_bits + item.write_bits) / max(item.instances, 1)
        )
    bounds = [
        bits / level.read_bandwidth_bits
        for name, bits in moved.items()
        if (level := arch.level(name)).read_bandwidth_bits
    ]
    return max(bounds, default=0.0)
