"""The Python face of accelsim: load, map, evaluate, simulate.

>>> import accelsim
>>> result = accelsim.simulate("eyeriss_isca16", "alexnet", dataflow="rs", batch=16)
>>> round(result.energy_per_mac, 2) > 0
True
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from math import ceil
from pathlib import Path

from accelsim.analysis.counts import Analysis, analyze
from accelsim.analysis.sparse import actual_view, metadata_traffic, slot_view, sparse_analyze
from accelsim.analysis.systolic import analyze_systolic
from accelsim.arch import Arch, load_arch
from accelsim.dataflow import SYSTOLIC, Dataflow, parse_dataflow
from accelsim.energy import EnergyTable, load_energy_table
from accelsim.energy.pricing import price, price_metadata
from accelsim.engine import simulate_timing
from accelsim.errors import ConfigError, Problem
from accelsim.mapper import Objective, map_layer, naming
from accelsim.mapping.model import Mapping
from accelsim.mapping.validate import check_mapping
from accelsim.results import LayerResult, NetworkResult
from accelsim.workload import Layer, Network, load_workload

ArchLike = Arch | str | Path
WorkloadLike = Network | Layer | str | Path
TableLike = EnergyTable | str | Path | None


def as_arch(arch: ArchLike) -> Arch:
    return arch if isinstance(arch, Arch) else load_arch(arch)


def as_network(workload: WorkloadLike) -> Network:
    if isinstance(workload, Network):
        return workload
    if isinstance(workload, Layer):
        return Network(workload.name, (workload,))
    return load_workload(workload)


def as_table(table: TableLike, arch: Arch) -> EnergyTable:
    if isinstance(table, EnergyTable):
        return table
    return load_energy_table(table if table is not None else arch.energy_table)


FIDELITIES = ("engine", "ideal")


def evaluate(
    arch: ArchLike,
    layer: Layer,
    mapping: Mapping,
    *,
    energy_table: TableLike = None,
    dataflow: str = "manual",
    fidelity: str = "engine",
) -> LayerResult:
    """Cost of one layer under a given mapping (checked first: factors, array, capacities).

    Raises ConfigError if the mapping does not fit the layer or the architecture.
    """
    arch = as_arch(arch)
    layer = arch.apply_precision(layer)
    check_mapping(layer, arch, mapping)
    table = as_table(energy_table, arch)
    return _result(layer, arch, analyze(layer, arch, mapping), table, dataflow, fidelity)


def simulate(
    arch: ArchLike,
    workload: WorkloadLike,
    *,
    dataflow: Dataflow | str = Dataflow.RS,
    batch: int | None = None,
    objective: Objective | str = Objective.ENERGY,
    energy_table: TableLike = None,
    weight_bits: int | None = None,
    input_bits: int | None = None,
    fidelity: str = "engine",
) -> NetworkResult:
    """Map every layer of ``workload`` on ``arch`` with ``dataflow`` and cost it.

    ``batch`` replaces the workload's batch size; ``weight_bits``/``input_bits`` override every
    layer's precision (a fixed-precision architecture overrides both). ``fidelity`` ``engine``
    times each layer with the discrete-event engine (bandwidth, buffering, stalls); ``ideal``
    takes the temporal steps at the MAC unit's throughput (unlimited bandwidth). Raises
    ConfigError for bad names, files, or a layer the dataflow cannot map.
    """
    _check_fidelity(fidelity)
    flow = parse_dataflow(dataflow)
    arch = as_arch(arch).for_dataflow(flow.value)
    network = as_network(workload)
    if batch is not None:
        network = network.with_batch(batch)
    if weight_bits is not None or input_bits is not None:
        network = network.with_precision(weight_bits, input_bits)
    table = as_table(energy_table, arch)
    results = []
    for layer in network:
        layer = arch.apply_precision(layer)
        if flow in SYSTOLIC:
            analysis = analyze_systolic(layer, arch, flow)
            results.append(_result(layer, arch, analysis, table, flow.value, fidelity))
            continue
        try:
            costed = _mapped_layer(replace(layer, name=""), arch, flow, objective, table, fidelity)
        except ConfigError as error:
            raise naming(error, layer.name) from None
        results.append(replace(costed, layer=layer.name))
    return NetworkResult(network.name, flow.value, network.batch, tuple(results))


@lru_cache(maxsize=8192)
def _mapped_layer(
    layer: Layer,
    arch: Arch,
    flow: Dataflow,
    objective: Objective | str,
    table: EnergyTable,
    fidelity: str,
) -> LayerResult:
    """Map, analyse, price and time one (nameless) layer; cached, so a network with repeated
    shapes, or a second run, does the work once per shape."""
    found = map_layer(layer, arch, flow, objective, table)
    return _result(layer, arch, found.analysis, table, flow.value, fidelity)


def clear_caches() -> None:
    """Forget every cached mapping, analysis term and layer result (for cold-start timing)."""
    from accelsim import analysis, mapper

    _mapped_layer.cache_clear()
    mapper.clear_caches()
    analysis.clear_caches()


def _check_fidelity(fidelity: str) -> None:
    if fidelity not in FIDELITIES:
        raise ConfigError(Problem("", "fidelity", f"one of {', '.join(FIDELITIES)}", fidelity))


def _result(
    layer: Layer,
    arch: Arch,
    analysis: Analysis,
    table: EnergyTable,
    dataflow: str,
    fidelity: str = "engine",
) -> LayerResult:
    _check_fidelity(fidelity)
    spec = arch.sparse_spec(layer) if isinstance(analysis.mapping, Mapping) else None
    if spec is not None:
        return _sparse_result(layer, arch, analysis, table, dataflow, fidelity, spec)
    peak, ideal, cycles, stalls = _timing(layer, arch, analysis, fidelity)
    return LayerResult(
        layer=layer.name,
        dataflow=dataflow,
        arch=arch.name,
        energy_table=table.name,
        energy_unit=table.unit,
        macs=layer.macs,
        padded_macs=analysis.padded_macs,
        used_pes=analysis.used_pes,
        total_pes=analysis.total_pes,
        peak_macs_per_pe=peak,
        ideal_cycles=ideal,
        cycles=cycles,
        stall_cycles=sum(count for _, count in stalls),
        stalls_by_cause=tuple(stalls),
        clock_mhz=arch.clock_mhz,
        weight_bits=layer.weight_bits,
        input_bits=layer.input_bits,
        traffic=analysis.traffic,
        energy_items=price(analysis, arch, table),
        mapping=str(analysis.mapping),
    )


def _sparse_result(layer, arch, analysis, table, dataflow, fidelity, spec) -> LayerResult:
    """A design with formats, gating or skipping (docs/sparse.md): the actual counts priced (and
    the formats' metadata), timed with the accesses and computes that keep their slots; the
    dense figures of the same mapping beside them."""
    sparse = sparse_analyze(analysis, spec)
    dense_arch = replace(arch, levels=_dense_levels(arch))
    dense = _result(layer, dense_arch, analysis, table, dataflow, fidelity)
    fraction = Fraction(sparse.compute_slots or 0, max(1, sparse.algorithmic_computes))
    peak, ideal, cycles, stalls = _timing(layer, arch, slot_view(sparse), fidelity, fraction)
    metadata = metadata_traffic(sparse)
    actual = actual_view(sparse)
    items = price(actual, arch, table) + price_metadata(metadata, arch, table)
    return replace(
        dense,
        ideal_cycles=ideal,
        cycles=cycles,
        stall_cycles=sum(count for _, count in stalls),
        stalls_by_cause=tuple(stalls),
        traffic=actual.traffic,
        energy_items=items,
        dense_energy_items=dense.energy_items,
        dense_cycles=dense.cycles,
        metadata_traffic=metadata,
        peak_macs_per_pe=peak,
    )


def _dense_levels(arch: Arch):
    return tuple(replace(level, compression=(), sparse=()) for level in arch.levels)


def _timing(
    layer: Layer, arch: Arch, analysis: Analysis, fidelity: str, slots: Fraction = Fraction(1)
) -> tuple[int, int, int, tuple[tuple[str, int], ...]]:
    """(peak MACs per PE per cycle, ideal cycles, cycles, stall cycles by cause). ``slots``: the
    fraction of the MACs that keep their time (skipping on zeros frees the others)."""
    if not isinstance(analysis.mapping, Mapping):  # a systolic schedule: its steps are cycles
        steps, stalls = analysis.temporal_steps, analysis.mapping.dram_stall_cycles
        if fidelity != "engine" or not stalls:
            return 1, steps, steps, ()
        return 1, steps, steps + stalls, (("DRAM", stalls),)
    unit = arch.mac_unit
    peak = unit.macs_per_cycle(layer.weight_bits, layer.input_bits)
    # A PE issues its lane loops' MACs together: one temporal step is one cycle, or a fraction
    # of one for a unit that skips zero weights in time.
    busy = unit.busy_fraction(
        layer.weight_bits, layer.input_bits, weight_density=layer.weight_density
    )
    busy = float(Fraction(str(busy)) * slots) if slots != 1 else busy
    ideal = ceil(analysis.temporal_steps * Fraction(str(busy)))
    if fidelity != "engine":
        return peak, ideal, ideal, ()
    timing = simulate_timing(
        layer, arch, analysis.mapping, analysis, macs_per_cycle=1, compute_fraction=busy
    )
    return peak, ideal, timing.cycles, tuple(timing.stalls_by_cause)
