"""Sparse counts: a dense :class:`~accelsim.analysis.counts.Analysis` plus densities, formats and
gating/skipping (:class:`~accelsim.sparse.SparseSpec`) give Sparseloop's counts.

Per level and data type, per instance, four kinds of reads, fills and updates (Sparseloop v3.0.3's
definitions, src/sparse-analysis/storage-optimization-combiner.cpp):

* algorithmic: the dense counts;
* actual: what is really moved. A level keeping a data type in a format with metadata moves only
  the non-zeros: ``x - floor(x (1 - d))`` for density ``d`` (updates only for outputs);
* gated / skipped: accesses saved at the level by an optimization there, taken out of actual.

An optimization at level L targets data type T conditioned on data types C: its level is the
closest level at or above L keeping T. The probability ``p`` that it saves an access is
``1 - prod over C of (1 - P(C's tile empty))``, where C's tile is what one access of T pairs with
(:func:`accelsim.analysis.sparse_tiles.condition_tile`). At its level, ``floor(p x reads)`` reads
(``ceil`` for outputs, whose reads are read-modify-writes) and ``floor(p x updates)`` updates are
gated or skipped, fills not.
Every level below it, down to the next one with its own optimization of T, loses
``floor(p x count)`` of each count (what was not sent is not stored or read again); that next
level applies the rest of its own probability, ``1 - (1 - p') / (1 - p)`` (none when p' < p).
An optimization of an operand with no such level below it also removes ``floor(p x computes)``
computes (their operand never arrives). Data types go in the problem's order, levels from the
outside in.

Cycles: gated accesses keep their slots, skipped ones do not. Computes take
``ceil((actual + gated computes) / used PEs)`` cycles; each level needs its per-instance actual and
gated accesses over its bandwidth (accelsim.timeloop.model).

Metadata: per rank, a level reading (filling, updating) a tile ``n`` times accesses
``ceil(entries x n / tile elements)`` of its metadata and payload entries
(:func:`accelsim.sparse.formats.rank_units`); gating and skipping take ``floor(p x)`` of them
out like the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from math import ceil, floor, log2, prod

from accelsim.analysis.counts import Analysis, Traffic
from accelsim.analysis.nest import flatten
from accelsim.analysis.sparse_tiles import DENSE, extent, keeps, probability
from accelsim.mapping.model import Mapping
from accelsim.sparse.density import DensityModel, Uniform
from accelsim.sparse.formats import (
    Format,
    RankFormat,
    fiber_shapes,
    flattened_fiber_shapes,
    rank_units,
)
from accelsim.sparse.spec import Action, SparseSpec
from accelsim.types import DATA_TYPES, RELEVANT, DataType, Dim


@dataclass(frozen=True)
class Counts:
    """Per-instance reads, fills and updates."""

    reads: int = 0
    fills: int = 0
    updates: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"reads": self.reads, "fills": self.fills, "updates": self.updates}


@dataclass(frozen=True)
class SparseTraffic:
    """One level and data type: the four kinds of counts, per instance, and its metadata."""

    level: str
    data_type: DataType
    instances: int
    algorithmic: Counts
    actual: Counts
    gated: Counts
    skipped: Counts
    format: Format | None = None
    fibers: tuple[int, ...] = ()  # the format's fiber shape per rank, outermost first
    # kind ("actual", "gated", "skipped") -> count ("reads", "fills", "updates") -> per rank,
    # outermost first, (metadata, payload) entries accessed per instance; empty without format
    metadata: dict[str, dict[str, tuple[tuple[int, int], ...]]] = field(default_factory=dict)
    # average fraction of the instances that hold a non-empty tile (:func:`_utilized`); the
    # counts are per such instance, the energy scales by it
    utilized: float = 1.0


@dataclass(frozen=True)
class SparseAnalysis:
    """The sparse counts of one (layer, arch, mapping): per level and data type, and computes."""

    analysis: Analysis
    traffic: tuple[SparseTraffic, ...]
    algorithmic_computes: int
    actual_computes: int
    gated_computes: int = 0
    skipped_computes: int = 0
    # computes that keep their time slot: actual ones and those an operand's gating removed
    # (skipping removes the slot too); the engine's compute time
    compute_slots: int | None = None

    def at(self, level: str, data_type: DataType) -> SparseTraffic:
        for item in self.traffic:
            if item.level == level and item.data_type is data_type:
                return item
        raise KeyError((level, data_type))

    @property
    def compute_cycles(self) -> int:
        """Computes that take a slot (actual and gated), over the PEs used."""
        used = max(1, self.analysis.used_pes * self.analysis.lanes)
        return ceil((self.actual_computes + self.gated_computes) / used)


def sparse_analyze(
    analysis: Analysis,
    spec: SparseSpec,
    order: tuple[DataType, ...] = DATA_TYPES,
    blocks: dict[str, int] | None = None,
) -> SparseAnalysis:
    """Sparseloop's counts for ``analysis`` under ``spec`` (module docstring). ``order``: the
    problem's data-space order (the rounding of computes depends on it); ``blocks``: words per
    access (Timeloop's block size) by level, 1 where not given. Pure."""
    mapping = analysis.mapping
    assert isinstance(mapping, Mapping), "sparse counts need a loop-nest mapping"
    names = [level.level for level in mapping.levels][::-1]  # innermost first, as Sparseloop
    counts: dict[tuple[int, DataType], list[int]] = {}
    for index, name in enumerate(names):
        for data_type in DATA_TYPES:
            counts[index, data_type] = [0, 0, 0]
            for item in analysis.traffic:
                if item.level == name and item.data_type is data_type:
                    per = item.instances
                    counts[index, data_type] = [
                        item.reads // per,
                        item.fills // per,
                        item.updates // per,
                    ]
    algorithmic = {key: list(value) for key, value in counts.items()}
    fibers = {key: _fibers(analysis, spec, names, key) for key in counts}
    ranks = {
        key: _format_accesses(analysis, spec, names, key, algorithmic, fibers[key])
        for key in counts
    }
    for (index, data_type), value in counts.items():
        if _has_metadata(spec.formats.get((names[index], data_type))):
            sparsity = 1.0 - _level_density(analysis, spec, names, (index, data_type))
            keep = 3 if data_type is DataType.OUTPUTS else 2
            for k in range(keep):
                value[k] -= floor(value[k] * sparsity)
    masks = _masks(analysis, spec, names, blocks or {})
    saved = {key: [0, 0, 0] for key in counts}
    saved_ranks = {key: [[[0, 0] for _ in r] for r in value] for key, value in ranks.items()}
    kept = {
        (i, t.data_type)
        for i, name in enumerate(names)
        for t in analysis.traffic
        if t.level == name
    }
    state = (kept, masks, counts, saved, ranks, saved_ranks)
    computes, slots = analysis.macs, analysis.macs
    for data_type in order:
        computes, slots = _propagate(data_type, state, computes, slots)
    operands = tuple(t for t in order if t is not DataType.OUTPUTS)
    split = _compute_split(spec, names, state, operands, computes)
    computes, gated_computes, skipped_computes, missing = split
    slots -= skipped_computes + missing
    traffic = []
    for index, name in enumerate(names):
        for data_type in DATA_TYPES:
            found = [t for t in analysis.traffic if t.level == name and t.data_type is data_type]
            if not found:
                continue
            key = (index, data_type)
            action = masks.get(key, (None, 0.0))[0]
            lost = Counts(*saved[key])
            metadata = {}
            if any(ranks[key]):
                zero = [[[0, 0] for _ in per_count] for per_count in ranks[key]]
                by_kind = {
                    "actual": ranks[key],
                    "gated": saved_ranks[key] if action is Action.GATING else zero,
                    "skipped": saved_ranks[key] if action is Action.SKIPPING else zero,
                }
                metadata = {
                    kind: {
                        count: tuple((m, p) for m, p in value[i])
                        for i, count in enumerate(("reads", "fills", "updates"))
                    }
                    for kind, value in by_kind.items()
                }
            traffic.append(
                SparseTraffic(
                    level=name,
                    data_type=data_type,
                    instances=found[0].instances,
                    algorithmic=Counts(*algorithmic[key]),
                    actual=Counts(*counts[key]),
                    gated=lost if action is Action.GATING else Counts(),
                    skipped=lost if action is Action.SKIPPING else Counts(),
                    format=spec.formats.get((name, data_type)),
                    fibers=fibers.get(key, ()),
                    metadata=metadata,
                    utilized=_utilized(analysis, spec, names, key),
                )
            )
    return SparseAnalysis(
        analysis,
        tuple(traffic),
        analysis.macs,
        computes,
        gated_computes,
        skipped_computes,
        compute_slots=slots,
    )


def _compute_split(spec: SparseSpec, names, state, operands, total: int):
    """(actual, gated, skipped, missing) of the ``total`` computes the storage optimizations
    left, as Sparseloop v3.0.3's CalculateFineGrainedComputeAccesses2Operand splits them
    (src/sparse-analysis/compute-gs-analyzer.cpp). Each operand is non-zero with its density
    ``d``, else zero (kept uncompressed at its innermost level) or missing (compressed there);
    when the other operand has a storage optimization, the computes left are those whose
    condition was non-empty, so ``d / (1 - p)`` of them see a non-zero (``p``: that
    optimization's probability at its innermost level). Pairs with a zero and none missing
    are gated by compute gating, pairs with one missing skipped by compute skipping (else gated
    by gating), both missing never happen; the rest are actual. Gated, skipped and missing
    are rounded down."""
    kept, masks = state[0], state[1]
    if len(operands) != 2:
        return total, 0, 0, 0
    states = []
    for operand, other in (operands, operands[::-1]):
        density = round(_mean_density(_density(spec, operand)) * 1e6) / 1e6
        inner = min((i for i, t in kept if t is operand), default=None)
        compressed = inner is not None and _has_metadata(spec.formats.get((names[inner], operand)))
        saf = min((i for i, t in masks if t is other), default=None)
        nonempty = 1.0 - masks[saf, other][1] if saf is not None else 1.0
        nonzero = density / nonempty if nonempty > 0 else 1.0  # unclamped, as Sparseloop
        states.append(
            (nonzero, 0.0 if compressed else 1 - nonzero, 1 - nonzero if compressed else 0.0)
        )
    (a_nz, a_z, a_miss), (b_nz, b_z, b_miss) = states
    zero = a_nz * b_z + a_z * b_nz + a_z * b_z
    one_missing = a_nz * b_miss + a_miss * b_nz + a_z * b_miss + a_miss * b_z
    gating, skipping = spec.compute is Action.GATING, spec.compute is Action.SKIPPING
    gated = total * (zero * gating + one_missing * (gating and not skipping))
    skipped = floor(total * one_missing) if skipping else 0
    missing = floor(total * a_miss * b_miss)
    gated_computes = floor(gated)
    return total - skipped - gated_computes - missing, gated_computes, skipped, missing


def _has_metadata(format: Format | None) -> bool:
    return format is not None and any(r.format is not RankFormat.U for r in format.ranks)


def _level_density(analysis: Analysis, spec: SparseSpec, names, key) -> float:
    """The expected density of a level's tiles: for uniform random (hypergeometric) densities
    as Sparseloop v3.0.3 computes it (representation-analyzer.cpp): ``ceil(d x tensor)``
    non-zeros over the tensor, and, when the next level out keeping the data type has a format
    with metadata (empty tiles are not sent), over the non-empty tiles only: divided by
    ``1 - P(tile empty)``. Other density models: their expected density."""
    density = _density(spec, key[1])
    if not isinstance(density, Uniform):
        return density.expected_density(1)
    mean, used = _mean_density(density), _utilized(analysis, spec, names, key)
    return min(1.0, mean / used) if used > 0 else mean


def _utilized(analysis: Analysis, spec: SparseSpec, names, key) -> float:
    """``1 - P(tile empty)`` for a level whose tiles come from a level out with a format with
    metadata (empty tiles are never sent; Sparseloop's avg_replication_factor, its "utilized
    instances (average)"), for uniform random densities; else 1."""
    index, data_type = key
    density = _density(spec, data_type)
    parent = next(
        (i for i in range(index + 1, len(names)) if _keeps(analysis, names[i], data_type)), None
    )
    if (
        not isinstance(density, Uniform)
        or parent is None
        or not _keeps(analysis, names[index], data_type)
    ):
        return 1.0
    if not _has_metadata(spec.formats.get((names[parent], data_type))):
        return 1.0
    return 1.0 - density.occupancy_probability(
        analysis.at(names[index], data_type).tile_elements, 0
    )


def _mean_density(density: DensityModel) -> float:
    """Non-zeros over elements: a uniform random density's ``ceil(d x tensor) / tensor``."""
    if isinstance(density, Uniform):
        return density.nonzeros / density.tensor
    return density.expected_density(1)


def _keeps(analysis: Analysis, name: str, data_type: DataType) -> bool:
    return any(t.level == name and t.data_type is data_type for t in analysis.traffic)


def _density(spec: SparseSpec, data_type: DataType) -> DensityModel:
    return spec.densities.get(data_type, DENSE)


def _masks(analysis: Analysis, spec: SparseSpec, names: list[str], blocks: dict[str, int]):
    """(level index, data type) -> (action, probability) of the optimizations, at the level
    that keeps the target (the largest probability where several apply)."""
    mapping = analysis.mapping
    assert isinstance(mapping, Mapping)
    masks: dict[tuple[int, DataType], tuple[Action, float]] = {}
    for optimization in spec.optimizations:
        index = names.index(optimization.level)
        keeping = [
            i for i in range(index, len(names)) if optimization.target in keeps(mapping, names[i])
        ]
        if not keeping:
            continue
        level = keeping[0]
        p = probability(analysis, spec, names, optimization, level, blocks.get(names[level], 1))
        old = masks.get((level, optimization.target))
        if old is None or old[1] < p:
            masks[level, optimization.target] = (optimization.action, p)
    return masks


def _propagate(data_type: DataType, state, computes: int, slots: int) -> tuple[int, int]:
    """Sparseloop's PropagateImpactOfExplicitlyOptimizedRead for one data type."""
    masks, counts, ranks = state[1], state[2], state[4]
    finalized: set[int] = set()
    for level in range(max(index for index, _ in counts), -1, -1):
        if (level, data_type) not in masks:
            continue
        p = masks[level, data_type][1]
        below = level - 1
        while below >= 0:
            key = (below, data_type)
            value = counts[key]
            for k in range(3):
                value[k] -= floor(value[k] * p)
            for per_count in ranks[key]:  # the metadata that is not sent either
                for entry in per_count:
                    entry[0] -= floor(entry[0] * p)
                    entry[1] -= floor(entry[1] * p)
            if key in masks:
                own = masks[key][1]
                # what the outer optimization left; none when the inner one is weaker
                # (Sparseloop would count negative savings there)
                effective = 1.0 if p >= 1.0 else max(0.0, 1.0 - (1.0 - own) / (1.0 - p))
                _apply_local(data_type, effective, state, key)
                finalized.add(below)
                break
            below -= 1
        if level not in finalized:
            finalized.add(level)
            _apply_local(data_type, p, state, (level, data_type))
        if below < 0 and data_type is not DataType.OUTPUTS:
            computes -= floor(computes * p)
            if masks[level, data_type][0] is Action.SKIPPING:
                slots -= floor(slots * p)
    return computes, slots


def _apply_local(data_type: DataType, p: float, state, key) -> None:
    """Gate or skip ``p`` of the level's reads and updates (Sparseloop's
    ApplyLocalStorageSAFImpact: ceil for outputs' read-modify-write reads), and ``floor(p x)``
    of its metadata reads and updates, rank by rank (as many ranks as the child level's format
    has, the level's own when no child keeps the data type)."""
    kept, _, counts, saved, ranks, saved_ranks = state
    value, lost = counts[key], saved[key]
    rounding = ceil if data_type is DataType.OUTPUTS else floor
    reads = rounding(value[0] * p)
    updates = floor(value[2] * p)
    value[0] -= reads
    value[2] -= updates
    lost[0] += reads
    lost[2] += updates
    index = key[0]
    child = next((i for i in range(index - 1, -1, -1) if (i, data_type) in kept), None)
    count = len(ranks[key][0]) if child is None else len(ranks[child, data_type][0])
    for k in (0, 2):
        for r in range(min(count, len(ranks[key][k]))):
            for part in (0, 1):
                delta = floor(ranks[key][k][r][part] * p)
                ranks[key][k][r][part] -= delta
                saved_ranks[key][k][r][part] += delta


def _fibers(analysis: Analysis, spec: SparseSpec, names, key) -> tuple[int, ...]:
    """The fiber shape of each rank of the level's format, outermost first (empty without
    metadata). The tile splits into groups, one per level keeping the data type from this level
    inwards: the data a group's loops span (the loops between two such levels), the innermost
    group the innermost keeping level's tile. Ranks take one group each from the outside, the
    innermost rank the rest; a format with more ranks than groups splits the innermost group
    one loop per rank (accelsim.sparse.formats.fiber_shapes). So Sparseloop v3.0.3 splits the
    tiles of the exercises (tests/data/sparseloop)."""
    index, data_type = key
    format = spec.formats.get((names[index], data_type))
    found = [t for t in analysis.traffic if t.level == names[index] and t.data_type is data_type]
    if not _has_metadata(format) or not found or not found[0].tile_elements:
        return ()
    assert format is not None
    if format.flattening:
        return _flattened_fibers(analysis, spec, names, key)
    groups = _groups(analysis, names[index], data_type)
    count = len(format.ranks)
    if count <= len(groups):
        outer = tuple(shape for shape, _ in groups[: count - 1])
        inner = groups[count - 1][1] if count > 1 else found[0].tile_elements
        return (*outer, inner)
    outer = tuple(shape for shape, _ in groups[:-1])
    tile, loops = groups[-1][1], _rank_loops(analysis, groups, data_type)
    rest = count - len(outer)
    loops = (1,) * max(0, rest - 1 - len(loops)) + loops  # a mapper's small tile
    rest_format = Format(format.ranks[len(outer) :], format.inner_to_outer)
    return (*outer, *fiber_shapes(rest_format, loops, tile))


def _flattened_fibers(analysis: Analysis, spec: SparseSpec, names, key) -> tuple[int, ...]:
    """Fibers of a format with flattened ranks (Sparseloop v3.0.3's DefineCompressionFormatModels
    and ApplyRanksInnerToOuter): when the next level in keeping the data type holds more than one
    element in a format with metadata, the innermost ranks are that level's own (its tile comes
    pre-split) and the others take this level's own loops; else the ranks take every loop at
    and below the level (accelsim.sparse.formats.flattened_fiber_shapes)."""
    index, data_type = key
    format = spec.formats[names[index], data_type]
    child = _child(analysis, spec, names, key)
    inner = _fibers(analysis, spec, names, (child, data_type)) if child is not None else ()
    loops = rank_loops(analysis.mapping, names[index], data_type, names[child] if inner else None)
    outer = Format(format.ranks[: len(format.ranks) - len(inner)], format.inner_to_outer)
    try:
        return (*flattened_fiber_shapes(outer, loops), *inner)
    except ValueError:  # more loops than ranks: the reader rejects such formats
        return ()


def _child(analysis: Analysis, spec: SparseSpec, names, key) -> int | None:
    index, data_type = key
    for below in range(index - 1, -1, -1):
        found = [
            t for t in analysis.traffic if t.level == names[below] and t.data_type is data_type
        ]
        if found:
            tiled = found[0].tile_elements > 1
            return (
                below
                if tiled and _has_metadata(spec.formats.get((names[below], data_type)))
                else None
            )
    return None


def rank_loops(
    mapping: object, level: str, data_type: DataType, stop: str | None = None
) -> tuple[tuple[str, int], ...]:
    """(dimension, bound) of the loops at and below ``level`` (above ``stop``, when given) that
    index ``data_type``, outermost first: what flattened ranks split."""
    assert isinstance(mapping, Mapping)
    placed, starts = flatten(mapping)
    order = [item.level for item in mapping.levels]
    end = starts[order.index(stop)] if stop is not None else len(placed)
    return tuple(
        (p.loop.dim.value, p.loop.bound)
        for p in placed[starts[order.index(level)] : end]
        if p.loop.dim in RELEVANT[data_type]
    )


def _groups(analysis: Analysis, name: str, data_type: DataType) -> list[tuple[int, int]]:
    """Per level keeping ``data_type`` from ``name`` inwards: (the extent its own loops span, the
    extent of its whole tile); levels whose own loops span one element are left out."""
    mapping = analysis.mapping
    assert isinstance(mapping, Mapping)
    placed, starts = flatten(mapping)
    first = [level.level for level in mapping.levels].index(name)
    keeping = [i for i in range(first, len(mapping.levels)) if mapping.keeps(i, data_type)]
    groups = []
    for position, index in enumerate(keeping):
        stop = starts[keeping[position + 1]] if position + 1 < len(keeping) else len(placed)
        own = _box(placed[starts[index] : stop])
        whole = _box(placed[starts[index] :])
        groups.append((extent(analysis, data_type, own), extent(analysis, data_type, whole)))
    return [group for group in groups[:-1] if group[0] > 1] + groups[-1:]  # no empty fibers


def _box(loops) -> dict[Dim, int]:
    box: dict[Dim, int] = {}
    for placed_loop in loops:
        box[placed_loop.loop.dim] = box.get(placed_loop.loop.dim, 1) * placed_loop.loop.bound
    return box


def _format_accesses(analysis: Analysis, spec: SparseSpec, names, key, algorithmic, shapes):
    """Per count (reads, fills, updates), per rank, [metadata, payload] entries accessed:
    ``ceil(entries per tile x count / tile elements)`` (Sparseloop's
    CalculateExpectedMetaDataAccesses)."""
    if not shapes:
        return [[], [], []]
    index, data_type = key
    format = spec.formats[names[index], data_type]
    tile = analysis.at(names[index], data_type).tile_elements
    nonempty = _utilized(analysis, spec, names, key) < 1.0
    units = rank_units(format, shapes, _density(spec, data_type), nonempty)
    return [
        [[ceil(m * count / tile), ceil(p * count / tile)] for m, p in units]
        for count in algorithmic[key]
    ]


def _rank_loops(analysis: Analysis, groups, data_type: DataType) -> tuple[int, ...]:
    """Bounds of the innermost keeping level's loops that index ``data_type``, outermost first
    (the fibers of the ranks that split its tile)."""
    mapping = analysis.mapping
    assert isinstance(mapping, Mapping)
    placed, starts = flatten(mapping)
    keeping = [i for i in range(len(mapping.levels)) if mapping.keeps(i, data_type)]
    inner = keeping[-1]
    return tuple(p.loop.bound for p in placed[starts[inner] :] if p.loop.dim in RELEVANT[data_type])


# ---- views for pricing and timing ----------------------------------------------------------
def _totals(sparse: SparseAnalysis, kinds: tuple[str, ...], used: bool = False) -> Analysis:
    """The dense analysis with each traffic entry's counts replaced by the sum of ``kinds``
    (totals over the instances; ``used``: over the instances holding data only, rounded)."""
    traffic = []
    for item in sparse.analysis.traffic:
        found = sparse.at(item.level, item.data_type)
        counts = [getattr(found, kind) for kind in kinds]
        scale = item.instances * (found.utilized if used else 1.0)
        traffic.append(
            replace(
                item,
                reads=round(sum(c.reads for c in counts) * scale),
                fills=round(sum(c.fills for c in counts) * scale),
                updates=round(sum(c.updates for c in counts) * scale),
            )
        )
    return replace(sparse.analysis, traffic=tuple(traffic))


def actual_view(sparse: SparseAnalysis) -> Analysis:
    """What moves: the actual counts, to price (gated and skipped accesses cost nothing in
    accelsim's energy tables, which have no gated actions), over the instances holding data."""
    return _totals(sparse, ("actual",), used=True)


def slot_view(sparse: SparseAnalysis) -> Analysis:
    """What takes time: actual and gated accesses (skipped ones free their slots)."""
    return _totals(sparse, ("actual", "gated"))


def metadata_traffic(sparse: SparseAnalysis) -> tuple[Traffic, ...]:
    """The actual metadata moved, one entry per level, data type and rank, in elements of the
    rank's entry width (``metadata_bits``, else ``ceil(log2(fiber shape))`` for run lengths and
    coordinates, 1 for a bitmask, ``ceil(log2(tile + 1))`` for offsets), totals over instances."""
    found = []
    for item in sparse.traffic:
        if not item.metadata:
            continue
        tile = prod(item.fibers)
        for r, rank in enumerate(item.format.ranks if item.format else ()):
            width = rank.metadata_bits or _default_width(rank.format, item.fibers[r], tile)
            entries = [sum(item.metadata["actual"][key][r]) for key in COUNT_NAMES]
            found.append(
                Traffic(
                    item.level,
                    item.data_type,
                    item.instances,
                    0,
                    entries[0] * item.instances,
                    entries[1] * item.instances,
                    entries[2] * item.instances,
                    width,
                )
            )
    return tuple(found)


COUNT_NAMES = ("reads", "fills", "updates")


def _default_width(kind: RankFormat, shape: int, tile: int) -> int:
    if kind is RankFormat.B:
        return 1
    if kind is RankFormat.UOP:
        return max(1, ceil(log2(tile + 1)))
    return max(1, ceil(log2(max(2, shape))))
