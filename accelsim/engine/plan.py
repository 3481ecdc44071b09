"""What moves at each step: the bits each resource carries, from the analysis' closed forms.

The engine resolves the *steps*: the iterations of the temporal loops of the levels above the first
per-PE level (DRAM and the shared buffers). One step is one compute tile of the PE array. For every
pair of consecutive levels keeping a data type (an *edge*, parent above child; the innermost level's
child is the MACs), the elements the parent sends when the step's carry loop advances are
:func:`~accelsim.analysis.nest.union_delta` of that advance, exactly the terms the analysis sums.
Traffic caused by the loops inside a step (per-PE loops) is the same for every step, so it is the
analysis' total for those loops divided by the number of steps. Summed over all steps, every
resource carries exactly the bits the analysis counts (a test checks it).

Outputs: the first arrival of a partial sum below needs no read from the parent. At a step where
every output-irrelevant loop above the child is at index 0, everything sent is a first arrival;
at any other step, nothing is (each output tile was held before).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cached_property
from math import ceil, prod

from accelsim.analysis.counts import Analysis, first_touches, instances_above
from accelsim.analysis.nest import (
    coordinate_forms,
    flatten,
    tile_steps,
    transitions,
    union_delta,
)
from accelsim.arch.model import Arch, Level
from accelsim.engine.window import last_use
from accelsim.mapping.model import Mapping, serve
from accelsim.types import DATA_TYPES, RELEVANT, DataType
from accelsim.workload.layer import Layer

NETWORK = "network"

# A step's kind: (index of the carry among the resolved loops, -1 for the first step;
# per output edge, whether every output-irrelevant loop above its child is at index 0).
StepKey = tuple[int, tuple[bool, ...]]


def read_port(level: str) -> str:
    return f"{level}.read"


def write_port(level: str) -> str:
    return f"{level}.write"


def port_of(level: Level, data_type: DataType, *, write: bool) -> str:
    """The resource carrying ``data_type``'s writes (or reads) at ``level``: a port of its own
    (``<level>.<port>``, docs/arch_format.md "Ports"), else the level's write (read) port."""
    port = level.port(data_type, write=write)
    if port is not None:
        return f"{level.name}.{port.name}"
    return write_port(level.name) if write else read_port(level.name)


@dataclass(frozen=True)
class Edge:
    """Elements a parent sends to its children (child ``None``: the MACs), per step kind."""

    data_type: DataType
    parent: str
    child: str | None
    spatial: bool  # the array network carries it (spatial loops between parent and child)
    parent_bits: int
    child_bits: int
    parent_latency: int
    parent_read: str  # the resources: the parent's reads and updates, the child's fills
    parent_write: str
    child_write: str | None
    served: tuple[int, ...]  # per resolved carry j: elements sent when loop j advances
    served_first: int  # the first step
    served_inner: int  # per step, from the loops inside a step
    fills: tuple[int, ...]  # the same for the child's writes (summed over child instances)
    fills_first: int
    fills_inner: int
    above_child: tuple[bool, ...]  # per resolved loop: is it above the child's loops?
    mac_inner: int = 0  # MAC edges: operands delivered per step, one per MAC slot
    first_inner: int = 0  # outputs: first arrivals among served_inner at an all-zero step
    first_delivered_inner: int = 0  # outputs: the same among the child's (or MACs') deliveries
    streamed: bool = False  # outputs into a level streaming partial sums: sent during the step
    # per resolved carry j: inner iterations of the step before the elements the child loses
    # when loop j advances are dead (a sliding window's first columns); () if not known
    frees: tuple[int, ...] = ()

    @property
    def delivered_inner(self) -> int:
        """Per step: elements the network delivers to the children (each child counted)."""
        return self.fills_inner if self.child is not None else self.mac_inner


@dataclass(frozen=True)
class Job:
    """A set of transfers: bits per resource and the latency on top of the slowest one."""

    bits: tuple[tuple[str, int], ...]
    latency_cycles: int


@dataclass(frozen=True)
class Plan:
    """Everything the schedule needs, independent of time."""

    bounds: tuple[int, ...]  # resolved loops, outermost first
    output_irrelevant: tuple[bool, ...]  # per resolved loop
    compute_cycles: int  # per step
    edges: tuple[Edge, ...]
    inner_steps: int = 1  # iterations of the per-PE temporal loops in one step

    @property
    def steps(self) -> int:
        return prod(self.bounds)

    @cached_property
    def output_edges(self) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.data_type is DataType.OUTPUTS)

    @cached_property
    def _fill_ports(self) -> dict[str, frozenset[str]]:
        """Per level: the resources its fills arrive on."""
        found: dict[str, set[str]] = {}
        for edge in self.edges:
            if edge.child is not None and edge.child_write is not None:
                found.setdefault(edge.child, set()).add(edge.child_write)
        return {level: frozenset(names) for level, names in found.items()}

    def filled(self, level: str, job: Job) -> int:
        """Bits of ``job`` (a part of a fetch) written into ``level``."""
        ports = self._fill_ports.get(level, frozenset())
        return sum(bits for name, bits in job.bits if name in ports)

    @cached_property
    def streaming(self) -> frozenset[str]:
        """Levels streaming partial sums: their drain after a step overlaps the next step, which
        cannot end before it has ended (the finished tile leaves while the next one computes)."""
        return frozenset(e.child for e in self.output_edges if e.streamed and e.child is not None)

    def fetch(self, key: StepKey) -> tuple[tuple[str, Job], ...]:
        """Transfers that bring the tiles of a step of kind ``key``: (receiving level, job) per
        level written with a new tile, in edge order. A part ends ``latency`` after its slowest
        transfer: per data type, the latencies of the parents along the chain from the top level
        sending at this step down to the part's edges (the maximum over its data types)."""
        carry, zeros = key
        bits: dict[str, Counter[str]] = {}
        latency: dict[str, int] = {}
        chain: Counter[DataType] = Counter()
        zero_of = dict(zip(self.output_edges, zeros, strict=True))
        for edge in self.edges:
            served = edge.served_first if carry < 0 else edge.served[carry]
            fills = edge.fills_first if carry < 0 else edge.fills[carry]
            if edge.child is None or edge.streamed or (served == 0 and fills == 0):
                continue
            first = zero_of.get(edge, False)
            part = bits.setdefault(edge.child, Counter())
            _charge(part, edge, 0 if first else served, fills, 0, 0 if first else fills)
            chain[edge.data_type] += edge.parent_latency
            latency[edge.child] = max(latency.get(edge.child, 0), chain[edge.data_type])
        return tuple((level, Job(_items(part), latency[level])) for level, part in bits.items())

    def freed(self, level: str, carry: int) -> int | None:
        """Cycles after a step starts when the elements ``level`` loses at the next step's
        advance (loop ``carry``) are dead, so its new elements beyond its room may come in;
        None: at the step's compute end (partial sums, or elements used until the end)."""
        found = 0
        for edge in self.edges:
            if edge.child != level or not (edge.served[carry] or edge.fills[carry]):
                continue
            if edge.data_type is DataType.OUTPUTS or not edge.frees:
                return None
            if edge.frees[carry] >= self.inner_steps:
                return None
            found = max(found, ceil(edge.frees[carry] * self.compute_cycles / self.inner_steps))
        return found

    def inner(self, key: StepKey) -> Job:
        """Transfers made while a step computes: those of the loops inside the step, and the
        partial sums a streaming level receives at the step (added as they arrive)."""
        carry, zeros = key
        zero_of = dict(zip(self.output_edges, zeros, strict=True))
        bits: Counter[str] = Counter()
        for edge in self.edges:
            first = zero_of.get(edge, False)
            reads = edge.served_inner - (edge.first_inner if first else 0)
            down = edge.delivered_inner - (edge.first_delivered_inner if first else 0)
            updates, up = 0, 0
            if edge.data_type is DataType.OUTPUTS:
                updates, up = edge.served_inner, edge.delivered_inner
            _charge(bits, edge, reads, edge.fills_inner, updates, down + up)
            if edge.streamed:
                served = edge.served_first if carry < 0 else edge.served[carry]
                fills = edge.fills_first if carry < 0 else edge.fills[carry]
                _charge(bits, edge, 0 if first else served, fills, 0, 0 if first else fills)
        return Job(_items(bits), 0)

    def drain(self, key: StepKey | None) -> tuple[tuple[str, Job, int], ...]:
        """Partial sums leaving after a step: the next step is of kind ``key`` (None: the end).
        Per level they leave: (level, job, bits they free in it over its instances), the job
        ending its parent's latency after its slowest transfer."""
        parts = []
        carry = -1 if key is None else key[0]
        for edge in self.output_edges:
            leaving = edge.served_first if carry < 0 else edge.served[carry]
            if edge.child is None or not leaving:
                continue
            bits: Counter[str] = Counter()
            up = edge.fills_first if carry < 0 else edge.fills[carry]
            _charge(bits, edge, 0, 0, leaving, up)
            job = Job(_items(bits), edge.parent_latency)
            parts.append((edge.child, job, up * edge.child_bits))
        return tuple(parts)

    def zeros(self, digits: tuple[int, ...]) -> tuple[bool, ...]:
        """Per output edge: every output-irrelevant resolved loop above the child is at 0."""
        return tuple(not any(digits[j] for j in loops) for loops in self._irrelevant_above)

    def zeros_moved(self, depth: int, zeros: tuple[bool, ...]) -> tuple[bool, ...]:
        """The zero flags once resolved loop ``depth`` is past index 0 (inner loops at 0)."""
        return tuple(
            flag and depth not in loops
            for flag, loops in zip(zeros, self._irrelevant_above, strict=True)
        )

    @cached_property
    def _irrelevant_above(self) -> tuple[tuple[int, ...], ...]:
        """Per output edge: the output-irrelevant resolved loops above its child."""
        return tuple(
            tuple(
                j
                for j, (irrelevant, above) in enumerate(
                    zip(self.output_irrelevant, edge.above_child, strict=True)
                )
                if irrelevant and above
            )
            for edge in self.output_edges
        )


def _charge(
    bits: Counter[str], edge: Edge, reads: int, fills: int, updates: int, network: int
) -> None:
    """Reads and updates at the parent, fills at the child, elements through the network."""
    if reads:
        bits[edge.parent_read] += reads * edge.parent_bits
    if updates:
        bits[edge.parent_write] += updates * edge.parent_bits
    if fills and edge.child_write is not None:
        bits[edge.child_write] += fills * edge.child_bits
    if edge.spatial and network:
        bits[NETWORK] += network * edge.parent_bits


def _items(bits: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((name, value) for name, value in bits.items() if value))


def make_plan(
    layer: Layer,
    arch: Arch,
    mapping: Mapping,
    analysis: Analysis,
    macs_per_cycle: int,
    compute_fraction: Fraction = Fraction(1),
) -> Plan:
    """The per-step traffic of ``mapping``: resolved loops, compute cycles per step, edges.

    Compute cycles per step: ``ceil(inner_steps * compute_fraction / macs_per_cycle)``, exactly
    (``inner_steps`` the product of the per-PE temporal loops). A level shared by a group of
    PEs moves what :func:`~accelsim.mapping.model.serve` says: the nest's over its copies."""
    mapping, served = serve(arch, mapping)
    placed, starts = flatten(mapping)
    first_pe = arch.first_pe_level
    temporal = tuple(p for p in placed if not p.loop.spatial)
    resolved = tuple(p for p in temporal if p.level < first_pe)
    inner_steps = prod(p.loop.bound for p in temporal if p.level >= first_pe)
    edges = []
    for data_type in DATA_TYPES:
        chain = [i for i, level in enumerate(mapping.levels) if data_type in level.keeps]
        for position, parent in enumerate(chain):
            child = chain[position + 1] if position + 1 < len(chain) else None
            edge = _edge(
                layer, arch, mapping, analysis, placed, starts, resolved, data_type, parent, child
            )
            edges.append(_served_edge(edge, dict(served), parent, child))
    relevant = RELEVANT[DataType.OUTPUTS]
    return Plan(
        bounds=tuple(p.loop.bound for p in resolved),
        output_irrelevant=tuple(p.loop.dim not in relevant for p in resolved),
        compute_cycles=ceil(inner_steps * compute_fraction / macs_per_cycle),
        edges=tuple(edges),
        inner_steps=inner_steps,
    )


def _served_edge(edge: Edge, served: dict[int, int], parent: int, child: int | None) -> Edge:
    """``edge`` of the nest :func:`serve` gives, with what a serving parent sends and a serving
    child receives divided by the loops it serves (one instance for its identical copies)."""
    sends, receives = served.get(parent, 1), served.get(child, 1) if child is not None else 1
    if sends == receives == 1:
        return edge
    return replace(
        edge,
        served=tuple(_exact(n, sends) for n in edge.served),
        served_first=_exact(edge.served_first, sends),
        served_inner=_exact(edge.served_inner, sends),
        first_inner=_exact(edge.first_inner, sends),
        mac_inner=_exact(edge.mac_inner, sends),
        fills=tuple(_exact(n, receives) for n in edge.fills),
        fills_first=_exact(edge.fills_first, receives),
        fills_inner=_exact(edge.fills_inner, receives),
        first_delivered_inner=_exact(edge.first_delivered_inner, receives),
    )


def _edge(layer, arch, mapping, analysis, placed, starts, resolved, data_type, parent, child):
    forms = coordinate_forms(layer, mapping, data_type)
    none = tuple(() for _ in forms)
    child_start = len(placed) if child is None else starts[child]
    spatial = tuple(p for p in placed[starts[parent] : child_start] if p.loop.spatial)
    offsets = tuple(tile_steps(form, spatial) for form in forms)
    above = tuple(p for p in placed[:child_start] if not p.loop.spatial)
    steps = prod(p.loop.bound for p in resolved)
    parent_count = instances_above(placed, starts[parent])
    if child is None:
        per_step = prod(p.loop.bound for p in above[len(resolved) :])
        mac = parent_count * per_step * union_delta(none, offsets, None)
        mac_inner = parent_count * per_step * prod(p.loop.bound for p in spatial)
        served = _moves((), offsets, (), resolved, above, 0, 0)
        served_all = (0, mac, *served[2:])
        fills_all = (0, 0, tuple(0 for _ in resolved))
        child_count, child_bits = prod(p.loop.bound for p in placed if p.loop.spatial), 0
    else:
        tile = tuple(tile_steps(form, placed[child_start:]) for form in forms)
        child_count = instances_above(placed, child_start)
        served_all = _moves(tile, offsets, forms, resolved, above, parent_count, steps)
        fills_all = _moves(tile, none, forms, resolved, above, child_count, steps)
        child_bits = analysis.at(mapping.levels[child].level, data_type).element_bits
        mac_inner = 0
    parent_name = mapping.levels[parent].level
    parent_level = arch.level(parent_name)
    child_level = None if child is None else arch.level(mapping.levels[child].level)
    edge = Edge(
        data_type=data_type,
        parent=parent_name,
        child=None if child is None else mapping.levels[child].level,
        spatial=bool(spatial),
        parent_bits=analysis.at(parent_name, data_type).element_bits,
        child_bits=child_bits,
        parent_latency=parent_level.latency_cycles,
        parent_read=port_of(parent_level, data_type, write=False),
        parent_write=port_of(parent_level, data_type, write=True),
        child_write=None if child_level is None else port_of(child_level, data_type, write=True),
        served=served_all[2],
        served_first=served_all[0],
        served_inner=served_all[1],
        fills=fills_all[2],
        fills_first=fills_all[0],
        fills_inner=fills_all[1],
        above_child=tuple(index < len(above) for index in range(len(resolved))),
        mac_inner=mac_inner,
        streamed=data_type is DataType.OUTPUTS
        and child_level is not None
        and child_level.streams_partial_sums,
    )
    if data_type is DataType.OUTPUTS:  # partial sums keep the rule of their drain
        first = _first_inner(edge, forms, placed, starts[parent], parent_count, resolved, False)
        delivered = _first_inner(edge, forms, placed, child_start, child_count, resolved, True)
        return replace(edge, first_inner=first, first_delivered_inner=delivered)
    frees = _frees(forms, placed, child_start, resolved, above, arch, child, edge)
    return replace(edge, frees=frees)


def _frees(forms, placed, child_start, resolved, above, arch, child, edge):
    """Per resolved carry: inner iterations before the elements the child loses at that advance
    are dead (:func:`~accelsim.engine.window.last_use`). Only for a per-PE child holding every
    temporal loop of the step (none of them above it); () otherwise."""
    if child is None or child < arch.first_pe_level or len(above) != len(resolved):
        return ()
    below = placed[child_start:]
    temporal = tuple(p for p in below if not p.loop.spatial)
    spatial = tuple(p for p in below if p.loop.spatial)
    found = transitions(forms, above)
    return tuple(
        last_use(forms, temporal, spatial, moves) if edge.served[j] or edge.fills[j] else 0
        for j, (_, moves) in enumerate(found)
    )


def _moves(tile, offsets, forms, resolved, above, count, steps):
    """(first step, per step from inner loops, per resolved carry) elements, times ``count``."""
    if not forms:
        return 0, 0, tuple(0 for _ in resolved)
    found = transitions(forms, above)
    per_carry = [count * union_delta(tile, offsets, moves) for _, moves in found]
    inner_total = sum(times * n for (times, _), n in zip(found, per_carry, strict=True))
    inner_total -= sum(found[j][0] * per_carry[j] for j in range(min(len(resolved), len(found))))
    carries = tuple(per_carry[j] if j < len(found) else 0 for j in range(len(resolved)))
    return count * union_delta(tile, offsets, None), _exact(inner_total, steps), carries


def _first_inner(edge, forms, placed, start, count, resolved, delivered):
    """First arrivals made by the inner loops of a step whose output-irrelevant loops are all 0.

    The analysis counts the first arrivals at the instances from ``start`` (the parent for reads,
    the child for deliveries); those made at step advances are the whole advance at such steps.
    """
    total = first_touches(forms, placed, start, count)
    relevant = RELEVANT[DataType.OUTPUTS]
    at_advances = edge.fills_first if delivered else edge.served_first
    outer = 1
    for j, p in enumerate(resolved):
        if edge.above_child[j] and p.loop.dim in relevant:
            at_advances += (
                (p.loop.bound - 1) * outer * (edge.fills if delivered else edge.served)[j]
            )
        if p.loop.dim in relevant or not edge.above_child[j]:
            outer *= p.loop.bound
    return _exact(total - at_advances, outer)


def _exact(total: int, parts: int) -> int:
    if parts == 0 or total % parts:
        raise AssertionError(f"engine: {total} elements do not split evenly over {parts} steps")
    return total // parts


def exact_fraction(value: float | Fraction) -> Fraction:
    """``value`` as an exact fraction in [0, 1] (a float at its shortest decimal: 0.7 is 7/10);
    ValueError outside."""
    exact = value if isinstance(value, Fraction) else Fraction(repr(float(value)))
    if not 0 <= exact <= 1:
        raise ValueError(f"compute_fraction: expected a number in [0, 1], got {value}")
    return exact


def bandwidths(arch: Arch, analysis: Analysis) -> dict[str, Fraction | None]:
    """Bits per cycle of each resource, all instances of a level together; None: unlimited."""
    instances = {item.level: item.instances for item in analysis.traffic}
    found: dict[str, Fraction | None] = {}
    for level in arch.levels:
        count = instances.get(level.name, 1)
        for name, bandwidth in (
            (read_port(level.name), level.read_bandwidth_bits),
            (write_port(level.name), level.write_bandwidth_bits),
            *((f"{level.name}.{port.name}", port.bandwidth_bits) for port in level.ports),
        ):
            found[name] = None if bandwidth is None else Fraction(bandwidth) * count
    bandwidth = arch.network.bandwidth_bits
    found[NETWORK] = None if bandwidth is None else Fraction(bandwidth)
    return found


def room_bits(arch: Arch, analysis: Analysis) -> dict[str, int | None]:
    """Per level: its capacity beyond one tile (all data types it keeps), summed over its
    instances; None: unlimited."""
    tile_bits = {level.name: 0 for level in arch.levels}
    instances = {level.name: 1 for level in arch.levels}
    for item in analysis.traffic:
        tile_bits[item.level] += item.tile_bits
        instances[item.level] = item.instances
    return {
        level.name: None
        if level.capacity_bits is None
        else max(0, level.capacity_bits - tile_bits[level.name]) * instances[level.name]
        for level in arch.levels
    }
