"""Access counts per level and data type for one mapping of one layer (Timeloop's semantics).

For every level that keeps a data type:

* ``fills``: elements written into the level from the level above (for outputs this includes the
  zero-initialised first arrival of a partial sum, as Timeloop counts it);
* ``reads``: elements read to serve the level below (a multicast to several instances counts once;
  for outputs, the first arrival of a partial sum below needs no read), or, at the innermost level
  keeping the data type, operand reads by the MACs;
* ``updates``: partial sums written back from below (a spatial reduction counts once).

What "counts once" means is the network's :class:`~accelsim.arch.model.MulticastRule`. Under
``identical`` (Timeloop's), each level's fan-out serves children with identical new tiles once and
every other child in full: the children of a fan-out hold translates of one tile, identical exactly
when their offsets are, so a parent sends (distinct offsets of each fan-out between it and the
child level, multiplied) x (one child's fills). Under ``union`` it sends the union of what all
children lack, overlapping sliding windows once.

A tile is re-fetched only when a loop relevant to its data type advances, or when an irrelevant loop
above a relevant one forces it around again; consecutive tiles that overlap (the sliding window of
inputs) fetch only the new elements. See :mod:`accelsim.analysis.nest` for the closed forms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from math import ceil, prod
from typing import TYPE_CHECKING

from accelsim.analysis.clipped import (
    clipped_form_steps,
    clipped_moving_count,
    clipped_sizes,
    clipped_steps,
    largest_lengths,
)
from accelsim.analysis.nest import (
    PlacedLoop,
    coordinate_forms,
    flatten,
    tile_steps,
    timeloop_moving_count,
    transitions,
    union_delta,
)
from accelsim.analysis.spread import Spread, spread_mac_served, spread_of, spread_served
from accelsim.arch.model import Arch, Axis, MulticastRule, TemporalReuse
from accelsim.errors import ConfigError, Problem
from accelsim.mapping.model import Loop, Mapping, serve
from accelsim.mapping.validate import WINDOW_PARTNERS, uneven_refusal, uneven_spread
from accelsim.types import DATA_TYPES, DataType, Dim
from accelsim.workload.layer import Layer

if TYPE_CHECKING:
    from accelsim.analysis.systolic import SystolicSchedule


@dataclass(frozen=True)
class Traffic:
    """Counts for one level and one data type, in elements summed over the level's instances."""

    level: str
    data_type: DataType
    instances: int
    tile_elements: int  # elements held by one instance
    reads: int
    fills: int
    updates: int
    element_bits: int

    @property
    def accesses(self) -> int:
        return self.reads + self.fills + self.updates

    @property
    def read_bits(self) -> int:
        return self.reads * self.element_bits

    @property
    def write_bits(self) -> int:
        return (self.fills + self.updates) * self.element_bits

    @property
    def tile_bits(self) -> int:
        return self.tile_elements * self.element_bits

    def per_instance(self, count: int) -> float:
        return count / self.instances


@dataclass(frozen=True)
class LinkTraffic:
    """Elements carried by the array network below a spatial fan-out, for one data type: every
    delivery to every PE counts (a multicast to 16 PEs is 16 deliveries, as in the Eyeriss
    normalized model), and partial sums count going up and, when they come back, going down."""

    parent: str
    data_type: DataType
    elements: int
    element_bits: int

    @property
    def bits(self) -> int:
        return self.elements * self.element_bits


@dataclass(frozen=True)
class Analysis:
    """Everything the access analysis finds for one (layer, arch, mapping): the one intermediate
    every dataflow produces and :func:`accelsim.energy.pricing.price` prices.

    ``mapping`` is the loop nest, or for a systolic dataflow its fold schedule
    (:class:`accelsim.analysis.systolic.SystolicSchedule`, whose steps are cycles of the array).
    ``register_bits`` counts accesses to PE-internal registers that are not a level of the
    architecture (a systolic PE's operand and accumulator registers).
    """

    layer: Layer
    arch_name: str
    mapping: Mapping | SystolicSchedule
    traffic: tuple[Traffic, ...]
    links: tuple[LinkTraffic, ...]
    temporal_steps: int
    used_pes: int
    total_pes: int
    lanes: int = 1  # MACs each PE issues per cycle (lane loops of the mapping)
    register_bits: int = 0

    @property
    def macs(self) -> int:
        return self.layer.macs

    @property
    def padded_macs(self) -> int:
        """MACs the mapping issues: the temporal steps that run (clipped edge tiles: never past
        the layer) x the PEs x their lanes, so the layer's MACs whenever the mapping is valid (a
        systolic schedule issues exactly the layer's MACs: idle PEs of a partial fold issue
        none)."""
        if not isinstance(self.mapping, Mapping):
            return self.macs
        return self.temporal_steps * self.used_pes * self.lanes

    def at(self, level: str, data_type: DataType) -> Traffic:
        for item in self.traffic:
            if item.level == level and item.data_type is data_type:
                return item
        raise KeyError((level, data_type))


def analyze(layer: Layer, arch: Arch, mapping: Mapping) -> Analysis:
    """Count reads, fills and updates at every level for every data type. Pure.

    Factors that do not divide a dimension clip its last tiles to the layer: the counts are
    those of the iterations that run, never of padding. A spatial factor that overshoots (uneven
    unrolling) is counted exactly in the shape :func:`_uneven_loop` accepts. A level shared by
    a group of PEs is counted as :func:`~accelsim.mapping.model.serve` says."""
    nest, served = serve(arch, mapping)
    if served:
        clipped = _clipped_served(layer, arch, mapping, nest, served)
        own = None
        if clipped is not None:
            index, loop, size = clipped
            reduced = _with_spatial_bound(mapping, index, loop, 1)
            own = (index, analyze(_resized(layer, loop.dim, size), arch, reduced))
        return _served(analyze(layer, arch, nest), mapping, dict(served), own)
    placed, _ = flatten(mapping)
    sizes = clipped_sizes(layer, mapping)
    if sizes:
        uneven = _uneven_loop(layer, arch, mapping, placed)
        _check_clippable(arch, sizes)
        if uneven is not None:
            if _fixed_shares(layer, placed, uneven):
                return _uneven_analysis(layer, arch, mapping, uneven)
            return _spread_analysis(layer, arch, mapping, uneven)
    return _analyze(layer, arch, mapping)


def _served(
    base: Analysis, mapping: Mapping, served: dict[int, int], own: tuple[int, Analysis] | None
) -> Analysis:
    """``base`` (the counts of the nest :func:`serve` gives) with each serving level's
    instances, and what it reads, receives and sends, divided by the loops it serves (its
    copies in that nest are identical), as is what the network delivers to it. ``own``: (level
    index, counts) of a level serving a clipped loop (:func:`_clipped_served`), whose counts and
    deliveries are taken from those counts instead."""
    names = {mapping.levels[index].level: count for index, count in served.items()}
    replaced = {} if own is None else {mapping.levels[own[0]].level: own[1]}
    traffic = tuple(
        replaced[item.level].at(item.level, item.data_type)
        if item.level in replaced
        else replace(
            item,
            instances=_share(item.instances, names[item.level]),
            reads=_share(item.reads, names[item.level]),
            fills=_share(item.fills, names[item.level]),
            updates=_share(item.updates, names[item.level]),
        )
        if item.level in names
        else item
        for item in base.traffic
    )
    links: list[LinkTraffic] = []
    for link in base.links:
        chain = [level.level for level in mapping.levels if link.data_type in level.keeps]
        child = chain[chain.index(link.parent) + 1] if link.parent != chain[-1] else None
        if child in replaced:
            links.extend(
                found
                for found in replaced[child].links
                if found.parent == link.parent and found.data_type is link.data_type
            )
            continue
        count = names.get(child, 1) if child is not None else 1
        links.append(replace(link, elements=_share(link.elements, count)))
    return replace(base, mapping=mapping, traffic=traffic, links=tuple(links))


def _clipped_served(
    layer: Layer, arch: Arch, mapping: Mapping, nest: Mapping, served
) -> tuple[int, Loop, int] | None:
    """(level index, loop, reduced size) of the served loop L over a clipped dimension D (of
    size Z), or None when no served loop's dimension is clipped.

    L's dimension indexes nothing its level keeps, so the PEs of a group need the same tile at
    each step, and the PEs idle in a short pass change nothing of the level's own sequence: it
    is that of the group's first PE, which is busy whenever any PE of the group is. In the nest
    D's index is (outer loops) x b I + l I + i (b = L's bound, I = the bounds of D below L, all
    per-PE), so the first PE runs pass p with i < min(I, Z - p b I): the iterations of the
    mapping without L on a layer whose D is (P - 1) I + r, P the passes that run and r the last
    one's share. Several clipped served loops (or a clipped served loop beside another spatial
    loop of its dimension) are refused by :func:`~accelsim.mapping.validate.uneven_spread`."""
    sizes = layer.loop_bounds
    for index, _ in served:
        for loop in mapping.levels[index].spatial:
            if loop.axis is Axis.LANE or mapping.bound(loop.dim) == sizes[loop.dim]:
                continue
            spread = uneven_spread(layer, arch, nest)
            if spread is not None and spread[2]:  # named at the level serving the loop
                refusal = uneven_refusal(layer, mapping, (index, loop, spread[2]))
                raise ConfigError(Problem("mapping", *refusal))
            inner = prod(
                below.bound
                for level in nest.levels[arch.first_pe_level :]
                for below in level.loops
                if below.dim is loop.dim
            )
            size = sizes[loop.dim]
            passes = (size - 1) // (loop.bound * inner)
            last = min(inner, size - passes * loop.bound * inner)
            return index, loop, passes * inner + last
    return None


def _share(total: int, count: int) -> int:
    """``total`` over ``count`` identical copies (exact)."""
    if total % count:
        raise AssertionError(f"analysis: {total} does not split over {count} served copies")
    return total // count


def _analyze(layer: Layer, arch: Arch, mapping: Mapping) -> Analysis:
    """:func:`analyze` without the checks (every spatial loop taken as dividing)."""
    placed, starts = flatten(mapping)
    sizes = clipped_sizes(layer, mapping)
    traffic: list[Traffic] = []
    links: list[LinkTraffic] = []
    rule = arch.network.multicast_rule
    moving = _moving_count
    if arch.temporal_reuse is TemporalReuse.TIMELOOP:
        moving = _timeloop_moving
    for data_type in DATA_TYPES:
        found, crossing = _data_type_counts(
            layer, mapping, data_type, placed, starts, rule, moving, sizes
        )
        traffic.extend(found)
        links.extend(crossing)
    return Analysis(
        layer=layer,
        arch_name=arch.name,
        mapping=mapping,
        traffic=tuple(traffic),
        links=tuple(links),
        temporal_steps=clipped_steps(placed, sizes) if sizes else mapping.temporal_steps,
        used_pes=mapping.used_pes,
        total_pes=arch.pe_array.pes,
        lanes=mapping.lanes,
    )


def _check_clippable(arch: Arch, sizes) -> None:
    """Raise ConfigError for clipped dimensions under Timeloop's extrapolated temporal reuse,
    which the analysis cannot count exactly yet (uneven unrolling: :func:`_uneven_loop`)."""
    if arch.temporal_reuse is TemporalReuse.TIMELOOP:
        dims = ", ".join(f"{dim.value} = {size}" for dim, size in sizes.items())
        raise ConfigError(
            Problem(
                arch.name,
                "temporal_reuse",
                f"sliding temporal reuse for a mapping whose factors overshoot {dims} "
                "(Timeloop's extrapolated reuse of clipped tiles is not modelled)",
                arch.temporal_reuse.value,
            )
        )


def instances_above(placed: tuple[PlacedLoop, ...], start: int) -> int:
    """Instances of the level whose loops start at ``start``: the product of the spatial loops
    above it."""
    return prod(p.loop.bound for p in placed[:start] if p.loop.spatial)


def _moving_count(tile, offsets, forms, temporal) -> int:
    """Elements sent over a whole run: the first fill plus every advance of ``temporal``."""
    total = union_delta(tile, offsets, None)
    for times, moves in transitions(forms, temporal):
        total += times * union_delta(tile, offsets, moves)
    return total


def _distinct_offsets(forms, placed, first: int, stop: int) -> int:
    """Product over the fan-outs of mapping levels ``first`` to ``stop - 1`` of the number of
    distinct offsets of their children's tiles (equal offsets, identical tiles)."""
    no_offsets = tuple(() for _ in forms)
    total = 1
    for level in range(first, stop):
        fan_out = tuple(p for p in placed if p.level == level and p.loop.spatial)
        if fan_out:
            offsets = tuple(tile_steps(form, fan_out) for form in forms)
            total *= union_delta(no_offsets, offsets, None)
    return total


def _timeloop_moving(tile, offsets, forms, temporal) -> int:
    """Timeloop's count of one child's fills (``offsets`` must be empty: a single child)."""
    assert all(not offset for offset in offsets)
    return timeloop_moving_count(tile, forms, temporal)


def _data_type_counts(layer, mapping, data_type, placed, starts, rule, moving, sizes):
    forms = coordinate_forms(layer, mapping, data_type)
    chain = [i for i, level in enumerate(mapping.levels) if data_type in level.keeps]
    temporal_all = tuple(p for p in placed if not p.loop.spatial)
    steps = prod(p.loop.bound for p in temporal_all)
    if sizes:
        steps = clipped_steps(placed, sizes)

    def sent(tile, offsets, temporal, start: int) -> int:
        """Elements sent over a run to the tile at nest position ``start`` (clipped or not)."""
        if sizes:
            return clipped_moving_count(forms, placed, start, offsets, sizes)
        return moving(tile, offsets, forms, temporal)

    no_offsets = tuple(() for _ in forms)
    bits = _element_bits(layer, data_type)
    found: list[Traffic] = []
    crossing: list[LinkTraffic] = []
    for position, index in enumerate(chain):
        start = starts[index]
        instances = instances_above(placed, start)
        tile = tuple(tile_steps(form, placed[start:]) for form in forms)
        fills = 0
        if position > 0:
            temporal = tuple(p for p in placed[:start] if not p.loop.spatial)
            fills = instances * sent(tile, no_offsets, temporal, start)
        child = chain[position + 1] if position + 1 < len(chain) else None
        below = placed[start:] if child is None else placed[start : starts[child]]
        spatial = tuple(p for p in below if p.loop.spatial)
        offsets = tuple(tile_steps(form, spatial) for form in forms)
        identical = rule is MulticastRule.IDENTICAL
        if child is None:
            if identical:
                distinct = _distinct_offsets(forms, placed, index, len(mapping.levels))
            else:
                distinct = union_delta(no_offsets, offsets, None)
            served = instances * steps * distinct
            # every PE gets what its lanes need, once (lanes summing a reduction share one psum)
            lanes = tuple(p for p in spatial if p.loop.axis is Axis.LANE)
            pes = prod(p.loop.bound for p in spatial if p.loop.axis is not Axis.LANE)
            per_pe = union_delta(no_offsets, tuple(tile_steps(f, lanes) for f in forms), None)
            delivered = instances * steps * pes * per_pe
            child_start = len(placed) - len(lanes)  # the lanes are the nest's last loops
        else:
            child_tile = tuple(tile_steps(form, placed[starts[child] :]) for form in forms)
            temporal = tuple(p for p in placed[: starts[child]] if not p.loop.spatial)
            per_child = sent(child_tile, no_offsets, temporal, starts[child])
            if identical:
                served = instances * _distinct_offsets(forms, placed, index, child) * per_child
            elif sizes:
                served = instances * sent(child_tile, offsets, temporal, starts[child])
            else:
                served = instances * _moving_count(child_tile, offsets, forms, temporal)
            delivered = instances_above(placed, starts[child]) * per_child
            child_start = starts[child]
        reads, updates = served, 0
        if data_type is DataType.OUTPUTS:
            reads = served - first_touches(forms, placed, start, instances, sizes)
            updates = served  # drains mirror fills: every tile that arrives leaves once
        found.append(
            Traffic(
                level=mapping.levels[index].level,
                data_type=data_type,
                instances=instances,
                tile_elements=union_delta(
                    _largest_tile(forms, placed, start, sizes) if sizes else tile, no_offsets, None
                ),
                reads=reads,
                fills=fills,
                updates=updates,
                element_bits=bits,
            )
        )
        if any(p.loop.axis is not Axis.LANE for p in spatial):  # lanes stay inside the PE
            if data_type is DataType.OUTPUTS:  # up every time; down except first arrivals
                below_instances = instances_above(placed, child_start)
                delivered = 2 * delivered - first_touches(
                    forms, placed, child_start, below_instances, sizes
                )
            crossing.append(LinkTraffic(mapping.levels[index].level, data_type, delivered, bits))
    if data_type is DataType.OUTPUTS and found[0].reads == 0:
        found[0] = _with_bits(found[0], layer.output_bits)  # only final values reach DRAM
    return found, crossing


def first_arrivals(layer: Layer, mapping: Mapping, level: str) -> int:
    """Outputs whose first arrival at ``level`` starts from zero: the distinct output elements one
    instance ever holds, times the instances. Timeloop builds since 2023 leave these fills out
    (first-read elision); ``fills - first_arrivals`` is their count."""
    placed, starts = flatten(mapping)
    index = [item.level for item in mapping.levels].index(level)
    forms = coordinate_forms(layer, mapping, DataType.OUTPUTS)
    sizes = clipped_sizes(layer, mapping)
    instances = instances_above(placed, starts[index])
    return first_touches(forms, placed, starts[index], instances, sizes)


def first_touches(forms, placed, start, instances, sizes=None) -> int:
    """Output elements one instance ever holds, times instances: their first arrival is free.
    A clipped dimension (temporal loops only) is held whole, [0, size), over a lifetime."""
    lifetime = tuple(
        p for position, p in enumerate(placed) if position >= start or not p.loop.spatial
    )
    if sizes:
        whole = tuple(sizes.items())
        tile = tuple(clipped_form_steps(form, lifetime, whole) for form in forms)
    else:
        tile = tuple(tile_steps(form, lifetime) for form in forms)
    return instances * union_delta(tile, tuple(() for _ in forms), None)


def _largest_tile(forms, placed, start, sizes):
    """The tile at nest position ``start`` with every clipped dimension at its largest."""
    lengths = largest_lengths(placed, start, sizes)
    return tuple(clipped_form_steps(form, placed[start:], lengths) for form in forms)


def _element_bits(layer: Layer, data_type: DataType) -> int:
    if data_type is DataType.OUTPUTS:
        return layer.psum_bits
    return layer.bits(data_type)


def _with_bits(item: Traffic, bits: int) -> Traffic:
    return replace(item, element_bits=bits)


def bandwidth_cycles(analysis: Analysis, arch: Arch) -> int:
    """A lower bound on the cycles: the compute steps, and every level's (per instance) read and
    write traffic, and the array network's, over its bandwidth. The engine never reports fewer;
    the mapper uses this bound to rank mappings by time without running the engine. Exact
    (rational arithmetic): counts of a huge layer exceed a float's 53 bits."""
    bound = max(Fraction(analysis.temporal_steps), _traffic_bound(analysis.traffic, arch))
    if arch.network.bandwidth_bits:
        bits = sum(link.bits for link in analysis.links)
        bound = max(bound, bits / Fraction(arch.network.bandwidth_bits))
    return ceil(bound)


def traffic_cycles(traffic: tuple[Traffic, ...], arch: Arch) -> float:
    """The largest per-instance traffic of any port over its bandwidth (a level's read and write
    ports and its ports of their own for some data types, as in the engine); 0 if none is
    limited."""
    return float(_traffic_bound(traffic, arch))


def _traffic_bound(traffic: tuple[Traffic, ...], arch: Arch) -> Fraction:
    bound = Fraction(0)
    for level in arch.levels:
        items = [t for t in traffic if t.level == level.name]
        if not items:
            continue
        instances = items[0].instances
        bandwidths = {"read": level.read_bandwidth_bits, "write": level.write_bandwidth_bits}
        bandwidths.update((port.name, port.bandwidth_bits) for port in level.ports)
        bits = dict.fromkeys(bandwidths, 0)  # per port: a port of its own, or the level's
        for item in items:
            for write, count in ((False, item.read_bits), (True, item.write_bits)):
                port = level.port(item.data_type, write=write)
                bits[("write" if write else "read") if port is None else port.name] += count
        for name, bandwidth in bandwidths.items():
            if bandwidth:
                bound = max(bound, bits[name] / (instances * Fraction(bandwidth)))
    return bound


# ---- uneven unrolling ------------------------------------------------------------------------
def _uneven_loop(
    layer: Layer, arch: Arch, mapping: Mapping, placed: tuple[PlacedLoop, ...]
) -> int | None:
    """The nest position of the spatial loop whose factor overshoots its dimension, or None when
    no spatial loop does; ConfigError unless it has the shape
    :func:`~accelsim.mapping.validate.uneven_spread` accepts."""
    spread = uneven_spread(layer, arch, mapping)
    if spread is None:
        return None
    if spread[2]:
        raise ConfigError(Problem("mapping", *uneven_refusal(layer, mapping, spread)))
    index, loop, _ = spread
    return next(at for at, p in enumerate(placed) if p.level == index and p.loop == loop)


def _fixed_shares(layer: Layer, placed: tuple[PlacedLoop, ...], at: int) -> bool:
    """Whether the spread loop at ``at`` has no temporal loop of its dimension above it and its
    PEs' input windows do not overlap (the shape :func:`_uneven_analysis` counts)."""
    dim = placed[at].loop.dim
    if any(p.loop.dim is dim for p in placed[:at]):
        return False
    partner = WINDOW_PARTNERS.get(dim)
    return partner is None or layer.loop_bounds[partner] == 1


def _resized(layer: Layer, dim: Dim, size: int) -> Layer:
    """``layer`` with loop dimension ``dim`` of ``size``."""
    if dim is Dim.M:
        return replace(layer, m=size * layer.groups)
    if dim is Dim.G:
        return replace(layer, groups=size, m=layer.m // layer.groups * size)
    sizes = {d.value.lower(): getattr(layer, d.value.lower()) for d in (Dim.N, Dim.C, Dim.P)}
    sizes.update({d.value.lower(): getattr(layer, d.value.lower()) for d in (Dim.Q, Dim.R, Dim.S)})
    sizes[dim.value.lower()] = size
    return replace(
        layer, n=sizes["n"], c=sizes["c"], p=sizes["p"], q=sizes["q"], r=sizes["r"], s=sizes["s"]
    )


def _scaled(layer: Layer, dim: Dim, factor: int) -> Layer:
    """``layer`` with ``dim``'s step along the input (its stride or dilation) times ``factor``:
    a PE of an uneven fan-out of ``factor`` PEs, one element of ``dim`` each, sees every
    ``factor``-th index of ``dim`` (dimensions off the input windows are left as they are)."""
    steps = {Dim.P: "stride_h", Dim.Q: "stride_w", Dim.R: "dilation_h", Dim.S: "dilation_w"}
    if dim not in steps:
        return layer
    name = steps[dim]
    return replace(layer, **{name: getattr(layer, name) * factor})


def _with_spatial_bound(mapping: Mapping, level: int, old, bound: int) -> Mapping:
    levels = list(mapping.levels)
    spatial = tuple(
        replace(loop, bound=bound) if loop == old else loop
        for loop in levels[level].spatial
        if loop != old or bound > 1
    )
    levels[level] = replace(levels[level], spatial=spatial)
    return Mapping(tuple(levels))


def _delivered(layer: Layer, mapping: Mapping, analysis: Analysis, data_type, child) -> int:
    """Elements the array network carries to the children ``child`` (a level index, or None for
    the MACs) of their fan-out, as :func:`_data_type_counts` counts them."""
    placed, starts = flatten(mapping)
    sizes = clipped_sizes(layer, mapping)
    forms = coordinate_forms(layer, mapping, data_type)
    if child is not None:
        delivered = analysis.at(mapping.levels[child].level, data_type).fills
        child_start = starts[child]
    else:
        lanes = tuple(p for p in placed if p.loop.axis is Axis.LANE)
        no_offsets = tuple(() for _ in forms)
        per_pe = union_delta(no_offsets, tuple(tile_steps(f, lanes) for f in forms), None)
        pes = prod(p.loop.bound for p in placed if p.loop.spatial and p.loop.axis is not Axis.LANE)
        delivered = analysis.temporal_steps * pes * per_pe
        child_start = len(placed) - len(lanes)
    if data_type is DataType.OUTPUTS:
        below = instances_above(placed, child_start)
        delivered = 2 * delivered - first_touches(forms, placed, child_start, below, sizes)
    return delivered


def _uneven_analysis(layer: Layer, arch: Arch, mapping: Mapping, at: int) -> Analysis:
    """Counts for a mapping whose spatial loop at nest position ``at`` overshoots its dimension
    D (of size Z; the loops of D below it span I, so Z - 1 = e x I + (r - 1)), with no temporal
    loop of D above it and no input window across PEs: e PEs of it hold whole strips of I, one
    holds the last r, the rest idle throughout.

    Each PE's share of D is fixed, so every level below the loop splits into those groups: the
    counts of the layer with D = e x I and the loop's bound e, plus those of D = r and bound 1
    (temporal clipping where r < I). A level above the loop holds D whole ([0, Z)) and is
    counted as the clipped nest does. Its parent serves the union of what the children lack;
    the e whole strips and the last one cover disjoint coordinates (no input window spans two
    PEs), so that union is the sum of the two groups', or when D is not a coordinate of the
    data type (the children's tiles are then the same) the whole group's."""
    placed, _ = flatten(mapping)
    spread = placed[at]
    dim, inner = spread.loop.dim, spread.stride
    size = clipped_sizes(layer, mapping)[dim]
    whole, last = (size - 1) // inner, (size - 1) % inner + 1
    parts: list[_Part] = []
    for strips, extent in ((whole, whole * inner), (1, last)):
        if strips:
            sub_layer = _resized(layer, dim, extent)
            sub_mapping = _with_spatial_bound(mapping, spread.level, spread.loop, strips)
            parts.append((1, sub_layer, sub_mapping, analyze(sub_layer, arch, sub_mapping)))

    def served(data_type: DataType, start: int, child: int | None, found: list[Traffic]) -> int:
        del start, child
        forms = coordinate_forms(layer, mapping, data_type)
        outputs = data_type is DataType.OUTPUTS
        each = [f.updates if outputs else f.reads for f in found]
        return sum(each) if any(d is dim for form in forms for d, _ in form) else each[0]

    return _combined(layer, arch, mapping, at, parts, served)


def _spread_analysis(layer: Layer, arch: Arch, mapping: Mapping, at: int) -> Analysis:
    """Counts for a mapping whose spatial loop at nest position ``at`` overshoots its dimension,
    in the general shape (:mod:`accelsim.analysis.spread`: temporal loops of the dimension above
    it, input windows across PEs of different widths). Each class of PEs runs its own clipped
    nest (the levels below the loop: the class's counts times its PEs); the parent of the
    fan-out serves the union over the busy PEs of what they lack, step by step."""
    placed, starts = flatten(mapping)
    sizes = clipped_sizes(layer, mapping)
    loop = placed[at]
    spread = spread_of(placed, at, sizes[loop.loop.dim])
    parts: list[_Part] = []
    for group in spread.classes:
        sub_layer = _resized(layer, spread.dim, group.size(spread.inner))
        if spread.loops and spread.inner == 1:  # a PE's D-index o x B is o in its own nest
            sub_layer = _scaled(sub_layer, spread.dim, spread.bound)
        sub_mapping = _with_spatial_bound(mapping, loop.level, loop.loop, 1)
        parts.append((group.pes, sub_layer, sub_mapping, analyze(sub_layer, arch, sub_mapping)))

    def served(data_type: DataType, start: int, child: int | None, found: list[Traffic]) -> int:
        del found
        forms = coordinate_forms(layer, mapping, data_type)
        instances = instances_above(placed, start)
        if child is None:
            return instances * spread_mac_served(forms, placed, start, sizes, spread)
        return instances * spread_served(forms, placed, start, starts[child], sizes, spread)

    corrected = {}
    if spread.loops and spread.inner > 1 and not _fixed_shares(layer, placed, at):
        corrected = _pe_inputs(layer, mapping, sizes, spread)
    return _combined(layer, arch, mapping, at, parts, served, corrected)


def _pe_inputs(
    layer: Layer, mapping: Mapping, sizes: dict[Dim, int], spread: Spread
) -> dict[int, tuple[int, int | None]]:
    """{level index: (input fills, input reads or None to keep the part's)} of the levels below
    the spread loop, when passes sit above it, its PEs' input windows overlap and each PE holds
    more than one index of the dimension: a PE's windows (o B I + [0, I)) are then no layer's, so
    each class's own sequence is counted in the real coordinates, as one PE of the parent's
    count (reads to the MACs, a count of operands per step, need no correction)."""
    placed, starts = flatten(mapping)
    forms = coordinate_forms(layer, mapping, DataType.INPUTS)
    chain = [i for i, lv in enumerate(mapping.levels) if DataType.INPUTS in lv.keeps]
    chain = [i for i in chain if starts[i] > spread.at]

    def per_pe(start: int, child_start: int) -> int:
        total = 0
        for group in spread.classes:
            alone = replace(spread, classes=(replace(group, pes=1, first=0),))
            total += group.pes * spread_served(forms, placed, start, child_start, sizes, alone)
        return total * instances_above(placed, start) // spread.bound

    found: dict[int, tuple[int, int | None]] = {}
    for position, index in enumerate(chain):
        child = chain[position + 1] if position + 1 < len(chain) else None
        reads = None if child is None else per_pe(starts[index], starts[child])
        found[index] = (per_pe(starts[index], starts[index]), reads)
    return found


_Part = tuple[int, Layer, Mapping, Analysis]  # (PEs it stands for, layer, mapping, counts)


def _combined(
    layer: Layer,
    arch: Arch,
    mapping: Mapping,
    at: int,
    parts: list[_Part],
    served,
    corrected: dict[int, tuple[int, int | None]] | None = None,
):
    """The analysis of an uneven mapping from its parts: the levels below the spread loop at
    nest position ``at`` sum the parts' counts (each times the PEs it stands for; input fills
    and reads ``corrected`` where given, by level index), the parent of the fan-out serves
    ``served(data type, start, child, the parts' counts there)``, the levels above count as the
    clipped nest does."""
    corrected = corrected or {}
    placed, starts = flatten(mapping)
    sizes = clipped_sizes(layer, mapping)
    base = _analyze(layer, arch, mapping)
    traffic: list[Traffic] = []
    links: list[LinkTraffic] = []
    for data_type in DATA_TYPES:
        forms = coordinate_forms(layer, mapping, data_type)
        chain = [i for i, level in enumerate(mapping.levels) if data_type in level.keeps]
        for position, index in enumerate(chain):
            name = mapping.levels[index].level
            item = base.at(name, data_type)
            start = starts[index]
            child = chain[position + 1] if position + 1 < len(chain) else None
            child_start = len(placed) if child is None else starts[child]
            found = [sub.at(name, data_type) for _, _, _, sub in parts]
            if start > at:  # below the loop: the groups' instances, summed
                item = replace(
                    item,
                    tile_elements=max(f.tile_elements for f in found),
                    reads=sum(pes * f.reads for (pes, *_), f in zip(parts, found, strict=True)),
                    fills=sum(pes * f.fills for (pes, *_), f in zip(parts, found, strict=True)),
                    updates=sum(pes * f.updates for (pes, *_), f in zip(parts, found, strict=True)),
                )
                if data_type is DataType.INPUTS and index in corrected:
                    fills, reads = corrected[index]
                    item = replace(item, fills=fills, reads=item.reads if reads is None else reads)
            elif child_start > at:  # the parent of the uneven fan-out
                total = served(data_type, start, child, found)
                if data_type is DataType.OUTPUTS:
                    touched = first_touches(forms, placed, start, item.instances, sizes)
                    item = replace(item, reads=total - touched, updates=total)
                else:
                    item = replace(item, reads=total)
            if data_type is DataType.OUTPUTS and position == 0:
                bits = layer.output_bits if item.reads == 0 else layer.psum_bits
                item = replace(item, element_bits=bits)
            traffic.append(item)
            crossing = [c for c in base.links if c.parent == name and c.data_type is data_type]
            if crossing and data_type is DataType.INPUTS and child in corrected:
                links.append(replace(crossing[0], elements=corrected[child][0]))
            elif crossing and child_start > at:
                delivered = sum(
                    pes * _delivered(sub_layer, sub_mapping, sub, data_type, child)
                    for pes, sub_layer, sub_mapping, sub in parts
                )
                links.append(replace(crossing[0], elements=delivered))
            else:
                links.extend(crossing)
    return replace(
        base,
        traffic=tuple(traffic),
        links=tuple(links),
        temporal_steps=parts[0][3].temporal_steps,
    )
