"""Evaluate Timeloop inputs: architecture, problem, mapping and ERT in, Timeloop's counts out.

The architecture becomes an accelsim :class:`~accelsim.arch.model.Arch` whose network uses
Timeloop's multicast rule (``identical``), the problem a Layer, the mapping a Mapping; the counts
come from :func:`accelsim.analysis.counts.analyze`. Then, as Timeloop does: outputs' first fills
are elided (builds since 2023; ``elide_first_read=False`` for older outputs), accesses are priced
per vector of ``block_size`` words from the ERT, and the cycles are the compute steps slowed by
the worst level's bandwidth throttling.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import pairwise
from math import ceil, floor
from pathlib import Path

from accelsim.analysis.counts import Analysis, analyze, first_arrivals
from accelsim.analysis.links import LinkTransfers, link_transfers
from accelsim.analysis.sparse import SparseAnalysis, sparse_analyze
from accelsim.arch.model import (
    Arch,
    Level,
    LevelKind,
    MulticastRule,
    Network,
    PEArray,
    TemporalReuse,
)
from accelsim.mac import make_mac_unit
from accelsim.mapping.model import Mapping
from accelsim.sparse.formats import RankFormat
from accelsim.sparse.spec import SparseSpec
from accelsim.timeloop.arch import StorageSpec, TimeloopArch, read_arch
from accelsim.timeloop.ert import Ert, read_ert
from accelsim.timeloop.inputs import Inputs, merge_inputs, require
from accelsim.timeloop.mapping import read_mapping
from accelsim.timeloop.problem import TimeloopProblem, read_problem
from accelsim.timeloop.sparse import read_sparse
from accelsim.types import DATA_TYPES, DataType
from accelsim.workload.layer import Layer

COUNTS = ("reads", "fills", "updates")
_ACTION = {"reads": "read", "fills": "fill", "updates": "update"}


@dataclass(frozen=True)
class LevelStats:
    """One storage level: its instances in the architecture, per-instance counts per data space
    (named as in the problem; an instance the mapping leaves unused counts nothing) and the
    energy of all instances, in pJ (None without an ERT)."""

    name: str
    instances: int
    dataspaces: dict[str, dict[str, int]]
    energy_pj: float | None
    # per data space: elements its children took from a mesh neighbour, per instance (the
    # "Link transfers" of the level's network in Timeloop's stats); absent when none
    link_transfers: dict[str, int] = field(default_factory=dict)
    # sparse cases: per data space, {"algorithmic"|"gated"|"skipped": {reads, fills, updates}}
    # beside ``dataspaces`` (then the actual counts); empty when dense
    sparse: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class TimeloopResult:
    """Timeloop's view of one evaluation. ``levels`` innermost first. ``engine_cycles`` is set
    with ``fidelity="engine"``."""

    cycles: int
    compute_cycles: int
    computes: int
    compute_energy_pj: float | None
    levels: tuple[LevelStats, ...]
    engine_cycles: int | None = None
    algorithmic_computes: int | None = None  # set in sparse cases (``computes`` are actual)

    @property
    def energy_pj(self) -> float | None:
        if self.compute_energy_pj is None:
            return None
        return self.compute_energy_pj + sum(level.energy_pj or 0.0 for level in self.levels)


@dataclass(frozen=True)
class TimeloopCase:
    """Parsed inputs, ready to evaluate."""

    spec: TimeloopArch
    arch: Arch
    problem: TimeloopProblem
    mapping: Mapping
    ert: Ert | None
    inputs: Inputs
    sparse: SparseSpec | None = None  # densities and sparse optimizations, if any


def load_case(paths: list[Path]) -> TimeloopCase:
    """Read and merge Timeloop input files. Raises ConfigError (file, path, value, expected)."""
    inputs = merge_inputs(paths)
    spec = read_arch(
        require(inputs, "architecture", "an architecture"), inputs.source("architecture")
    )
    problem = read_problem(require(inputs, "problem", "a problem"), inputs.source("problem"))
    arch = to_arch(spec)
    mapping = read_mapping(
        require(inputs, "mapping", "a mapping"), arch, problem, inputs.source("mapping")
    )
    ert = read_ert(inputs.values["ERT"], inputs.source("ERT")) if "ERT" in inputs.values else None
    problem = replace(problem, layer=_with_word_bits(problem.layer, spec, mapping))
    sparse = read_sparse(inputs, spec, problem, mapping)
    return TimeloopCase(spec, arch, problem, mapping, ert, inputs, sparse)


def _with_word_bits(layer: Layer, spec: TimeloopArch, mapping: Mapping) -> Layer:
    """The layer at the word width of the innermost level keeping each data space (Timeloop's
    problems carry no precision; the counts do not depend on it, the engine's times do)."""
    widths = {s.name: s.word_bits for s in spec.storage}
    bits = {}
    for data_type in DATA_TYPES:
        keeping = [level.level for level in mapping.levels if data_type in level.keeps]
        if keeping:
            bits[data_type] = widths[keeping[-1]]
    outputs = bits.get(DataType.OUTPUTS)
    return replace(
        layer,
        weight_bits=bits.get(DataType.WEIGHTS, layer.weight_bits),
        input_bits=bits.get(DataType.INPUTS, layer.input_bits),
        output_bits=layer.output_bits if outputs is None else outputs,
        psum_bits=layer.psum_bits if outputs is None else outputs,
    )


def to_arch(spec: TimeloopArch) -> Arch:
    """The accelsim architecture with Timeloop's levels, word sizes and multicast rule."""
    levels = tuple(_level(storage, spec.compute.instances) for storage in spec.storage)
    return Arch(
        name=Path(spec.source).stem,
        pe_array=PEArray(spec.compute.mesh_y, spec.compute.mesh_x),
        levels=levels,
        mac_unit=make_mac_unit({"type": "int"}, source=spec.source),
        network=Network(multicast_rule=MulticastRule.IDENTICAL, energy_pj_per_bit=0.0),
        clock_mhz=1000.0,
        energy_table="timeloop45",
        source=spec.source,
        temporal_reuse=TemporalReuse.TIMELOOP,
    )


def _level(storage: StorageSpec, pes: int) -> Level:
    capacity = storage.capacity_words
    if storage.cls.endswith("DRAM"):
        kind = LevelKind.DRAM
    else:
        kind = LevelKind.REGFILE if storage.instances == pes else LevelKind.SRAM
    bits = storage.word_bits
    read = storage.read_bandwidth or storage.shared_bandwidth
    write = storage.write_bandwidth or storage.shared_bandwidth
    return Level(
        name=storage.name,
        kind=kind,
        keeps=frozenset() if storage.dummy else frozenset(DataType),
        capacity_bits=None if capacity is None else capacity * bits,
        word_bits=bits,
        per_pe=storage.instances == pes,
        read_bandwidth_bits=None if read is None else read * bits,
        write_bandwidth_bits=None if write is None else write * bits,
    )


def evaluate_case(
    case: TimeloopCase,
    *,
    elide_first_read: bool = True,
    fidelity: str = "ideal",
    use_link_transfers: bool = True,
) -> TimeloopResult:
    """Counts, energy and cycles of one case (see the module docstring). ``use_link_transfers``:
    children take data from mesh neighbours where that spares their parent reads, as Timeloop
    does by default (:mod:`accelsim.analysis.links`; False: TIMELOOP_DISABLE_LINK_TRANSFERS=1)."""
    layer = case.problem.layer
    analysis = analyze(layer, case.arch, case.mapping)
    if elide_first_read:
        analysis = _elided(case, analysis)
    links = link_transfers(layer, case.mapping, _meshes(case.spec)) if use_link_transfers else []
    analysis = _with_links(analysis, links)
    if case.sparse is not None:
        blocks = {storage.name: storage.block_size for storage in case.spec.storage}
        sparse = sparse_analyze(analysis, case.sparse, case.problem.order, blocks)
        return _sparse_result(case, sparse, links)
    table = _table_energies(case, analysis) if case.ert is None else {}
    levels = []
    for storage in reversed(case.spec.storage):
        spaces = _counts(case, analysis, storage.name)
        used = [t.instances for t in analysis.traffic if t.level == storage.name]
        energy = table.get(storage.name)
        if case.ert is not None:  # every utilized instance (the spatial loops above it) pays
            energy = _energy(case.ert, storage, spaces, used[0] if used else 0)
        levels.append(
            LevelStats(
                storage.name, storage.instances, spaces, energy, _carried(case, links, storage)
            )
        )
    compute_cycles = analysis.temporal_steps
    cycles = ceil(
        compute_cycles * max(1.0, *(_throttling(case, level, compute_cycles) for level in levels))
    )
    computes = layer.macs
    compute_energy = table.get("mac")
    if case.ert is not None:
        compute_energy = computes * case.ert.energy(case.spec.compute.name, "compute")
    engine = _engine_cycles(case, analysis) if fidelity == "engine" else None
    return TimeloopResult(cycles, compute_cycles, computes, compute_energy, tuple(levels), engine)


def _carried(case: TimeloopCase, links: list[LinkTransfers], storage: StorageSpec):
    return {
        case.problem.spaces[link.data_type]: link.transfers
        for link in links
        if link.parent == storage.name
    }


def _sparse_result(
    case: TimeloopCase, sparse: SparseAnalysis, links: list[LinkTransfers]
) -> TimeloopResult:
    """Sparseloop's stats: actual counts as the data spaces' counts, the other kinds beside them,
    energy of every kind of access, cycles from the accesses that keep their slots."""
    levels = []
    compute_cycles = sparse.compute_cycles
    cycles = compute_cycles
    for storage in reversed(case.spec.storage):
        items = [t for t in sparse.traffic if t.level == storage.name]
        spaces = {case.problem.spaces[t.data_type]: t.actual.as_dict() for t in items}
        kinds = {
            case.problem.spaces[t.data_type]: {
                "algorithmic": t.algorithmic.as_dict(),
                "gated": t.gated.as_dict(),
                "skipped": t.skipped.as_dict(),
            }
            for t in items
        }
        energy = None
        if case.ert is not None:
            energy = sum(
                _sparse_energy(case.ert, storage, t, _vector_ratio(case, sparse, storage, t))
                for t in items
            )
        levels.append(
            LevelStats(
                storage.name,
                storage.instances,
                spaces,
                energy,
                _carried(case, links, storage),
                kinds,
            )
        )
        cycles = max(cycles, _level_cycles(storage, items, compute_cycles))
    compute_energy = None
    if case.ert is not None:
        name = case.spec.compute.name
        compute_energy = sparse.actual_computes * case.ert.energy(name, "compute")
        compute_energy += sparse.gated_computes * case.ert.energy(name, "gated_compute")
        compute_energy += sparse.skipped_computes * case.ert.energy(name, "skipped_compute")
    return TimeloopResult(
        cycles,
        compute_cycles,
        sparse.actual_computes,
        compute_energy,
        tuple(levels),
        algorithmic_computes=sparse.algorithmic_computes,
    )


_SPARSE_ACTIONS = (
    ("actual", "reads", "read"),
    ("actual", "fills", "fill"),
    ("actual", "updates", "update"),
    ("gated", "reads", "gated_read"),
    ("gated", "fills", "gated_fill"),
    ("gated", "updates", "gated_update"),
    ("skipped", "reads", "skipped_read"),
    ("skipped", "fills", "skipped_fill"),
    ("skipped", "updates", "skipped_update"),
)


def _sparse_energy(ert: Ert, storage: StorageSpec, item, ratio: float) -> float:
    """Every kind of access of one data space at one level, in whole vectors per instance (times
    ``ratio``, :func:`_vector_ratio`), times its action's energy, times the instances; metadata
    in accesses of the level's metadata width (Timeloop's ComputeVectorAccesses)."""
    total = 0.0
    for kind, key, action in _SPARSE_ACTIONS:
        count = getattr(getattr(item, kind), key)
        if count:
            vectors = ceil(count / storage.block_size) * ratio
            total += vectors * ert.energy(storage.name, action)
        bits = _metadata_bits(storage, item, kind, key)
        if bits and storage.metadata_width_bits:
            name = action.replace("read", "metadata_read").replace("fill", "metadata_fill")
            name = name.replace("update", "metadata_update")
            vectors = ceil(bits / storage.metadata_width_bits)
            total += vectors * ert.energy(storage.name, name)
    return total * item.instances * item.utilized  # only the instances holding data


# Timeloop v3.0.3 include/model/buffer.hpp VectorWidthCoefficientTable: per block size, per
# density 0.1 ... 1.0, the tile size (in vectors) below which compressed tiles fill their vectors
# only partly
_VECTOR_THRESHOLDS = {
    2: (251, 125, 84, 63, 51, 42, 36, 32, 28, 1),
    4: (375, 188, 125, 94, 75, 63, 54, 47, 42, 1),
    8: (438, 219, 146, 110, 88, 73, 63, 55, 49, 1),
    16: (469, 235, 157, 118, 94, 79, 67, 59, 52, 1),
    32: (485, 243, 162, 122, 97, 81, 70, 61, 52, 1),
}


def _vector_ratio(case: TimeloopCase, sparse: SparseAnalysis, storage: StorageSpec, item) -> float:
    """Vectors per naive vector of a small compressed tile: its k non-zeros take ceil(k / block)
    vectors, not k / block (Timeloop's ComputeVectorAccesses); 1 for large or dense tiles."""
    block = storage.block_size
    if item.format is None or not item.format.compressed or block <= 1 or case.sparse is None:
        return 1.0
    tile = sparse.analysis.at(item.level, item.data_type).tile_elements
    density = case.sparse.densities.get(item.data_type)
    mean = 1.0 if density is None else density.expected_density(tile)
    if not tile or mean >= 1.0 or block not in _VECTOR_THRESHOLDS:
        return 1.0
    index = int(floor(mean / 0.1) - 1) if mean >= 0.1 else 0
    if _VECTOR_THRESHOLDS[block][index] <= tile / block:
        return 1.0
    assert density is not None
    total = sum(
        ceil(k / block) * density.occupancy_probability(tile, k) for k in range(1, tile + 1)
    )
    return total / (tile * mean / block)


def _metadata_bits(storage: StorageSpec, item, kind: str, key: str) -> int:
    """Bits of the metadata and payload entries of one kind of one count, per instance: each
    rank's own word bits, else (Sparseloop's defaults) 1 for a bitmask's metadata and the level's
    metadata_datawidth otherwise, raised to divide the metadata storage width."""
    if not item.metadata:
        return 0
    total = 0
    for (metadata, payload), rank in zip(item.metadata[kind][key], item.format.ranks, strict=True):
        default = 1 if rank.format is RankFormat.B else None
        bits = _word_bits(storage, rank.metadata_bits, default)
        total += metadata * bits + payload * _word_bits(storage, rank.payload_bits, None)
    return total


def _word_bits(storage: StorageSpec, given: int | None, default: int | None) -> int:
    """Sparseloop's AdjustFormatWordBits: unset, the level's metadata_datawidth; a width that
    does not divide the metadata storage width is raised to the next one that does."""
    bits = given if given is not None else default
    if bits is None:
        return storage.metadata_word_bits
    width = storage.metadata_width_bits
    if bits and width and width % bits:
        bits = next((b for b in range(bits, 2 * bits) if width % b == 0), bits)
    return bits


def _level_cycles(storage: StorageSpec, items, compute_cycles: int) -> int:
    """Timeloop's ComputePerformance: per-instance actual and gated accesses (skipped ones take
    no slot), metadata in words of the level, over the bandwidths, as a slowdown of the compute
    cycles."""
    if not compute_cycles:
        return 0
    read_need = write_need = 0.0
    for t in items:  # per data space, summed as Timeloop sums them (the rounding matches)
        reads = t.actual.reads + t.gated.reads
        reads += ceil(
            sum(_metadata_bits(storage, t, k, "reads") for k in _SLOTS) / storage.word_bits
        )
        writes = t.actual.fills + t.gated.fills + t.actual.updates + t.gated.updates
        written = sum(
            _metadata_bits(storage, t, k, c) for k in _SLOTS for c in ("fills", "updates")
        )
        writes += ceil(written / storage.word_bits)
        read_need += reads / compute_cycles
        write_need += writes / compute_cycles
    slowdown = 1.0
    for bandwidth, need in (
        (storage.read_bandwidth, read_need),
        (storage.write_bandwidth, write_need),
        (storage.shared_bandwidth, read_need + write_need),
    ):
        if bandwidth is not None and bandwidth < need:
            slowdown = min(slowdown, bandwidth / need)
    return ceil(compute_cycles / slowdown)


_SLOTS = ("actual", "gated")  # the kinds of access that take a slot


def _meshes(spec: TimeloopArch) -> dict[str, tuple[int, int]]:
    """Each storage level's physical fan-out (width, height) to the next level down."""
    meshes = [(s.name, s.mesh_x, s.mesh_y) for s in spec.storage]
    meshes.append((spec.compute.name, spec.compute.mesh_x, spec.compute.mesh_y))
    return {
        name: (max(1, inner_x // x), max(1, inner_y // y))
        for (name, x, y), (_, inner_x, inner_y) in pairwise(meshes)
    }


def _with_links(analysis: Analysis, links: list[LinkTransfers]) -> Analysis:
    """The counts with link transfers: the parent reads less; every child instance's reads and
    fills as :meth:`~accelsim.analysis.links.LinkTransfers.child_counts` gives them."""
    traffic = list(analysis.traffic)
    for link in links:
        for i, item in enumerate(traffic):
            if item.data_type is not link.data_type:
                continue
            if item.level == link.parent:
                traffic[i] = replace(item, reads=item.reads - link.saved * item.instances)
            elif item.level == link.child:
                reads, fills = link.child_counts(
                    item.reads // item.instances, item.fills // item.instances
                )
                traffic[i] = replace(
                    item, reads=reads * item.instances, fills=fills * item.instances
                )
    return replace(analysis, traffic=tuple(traffic))


def _elided(case: TimeloopCase, analysis: Analysis) -> Analysis:
    """The counts without outputs' first fills (they start from zero: Timeloop since 2023)."""
    layer, mapping = case.problem.layer, case.mapping
    traffic = tuple(
        replace(item, fills=item.fills - first_arrivals(layer, mapping, item.level))
        if item.data_type is DataType.OUTPUTS and item.fills
        else item
        for item in analysis.traffic
    )
    return replace(analysis, traffic=traffic)


def _table_energies(case: TimeloopCase, analysis: Analysis) -> dict[str, float]:
    """Without an ERT: pJ per level (and "mac") from the architecture's energy table
    (accelsim's timeloop45, per word), as ``accelsim evaluate`` prices."""
    from accelsim.energy.pricing import price
    from accelsim.energy.table import load_energy_table

    energies: dict[str, float] = {}
    for item in price(analysis, case.arch, load_energy_table(case.arch.energy_table)):
        energies[item.component] = energies.get(item.component, 0.0) + item.energy
    return energies


def _counts(case, analysis: Analysis, name: str) -> dict[str, dict[str, int]]:
    spaces: dict[str, dict[str, int]] = {}
    for data_type in DATA_TYPES:
        found = [t for t in analysis.traffic if t.level == name and t.data_type is data_type]
        if not found:
            continue
        item = found[0]
        counts = {"reads": item.reads, "fills": item.fills, "updates": item.updates}
        spaces[case.problem.spaces[data_type]] = {k: v // item.instances for k, v in counts.items()}
    return spaces


def _energy(ert: Ert, storage: StorageSpec, spaces, instances: int) -> float:
    total = 0.0
    for counts in spaces.values():
        for key, count in counts.items():
            if count:
                vectors = ceil(count / storage.block_size)  # per instance, whole vectors
                total += vectors * ert.energy(storage.name, _ACTION[key])
    return total * instances


def _throttling(case: TimeloopCase, level: LevelStats, compute_cycles: int) -> float:
    """How many times slower than the compute steps the level's per-instance traffic needs."""
    storage = next(s for s in case.spec.storage if s.name == level.name)
    reads = sum(c["reads"] for c in level.dataspaces.values())
    writes = sum(c["fills"] + c["updates"] for c in level.dataspaces.values())
    need = 0.0
    for bandwidth, words in (
        (storage.read_bandwidth, reads),
        (storage.write_bandwidth, writes),
        (storage.shared_bandwidth, reads + writes),
    ):
        if bandwidth:
            need = max(need, words / bandwidth / compute_cycles)
    return need


def _engine_cycles(case: TimeloopCase, analysis: Analysis) -> int:
    from accelsim.engine.timing import simulate_timing  # simpy: imported only when asked for

    return simulate_timing(case.problem.layer, case.arch, case.mapping, analysis).cycles
