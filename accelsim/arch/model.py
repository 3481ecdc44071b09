"""The architecture: a PE array under a hierarchy of storage levels, a network, a MAC unit.

All classes are frozen; build them with :func:`accelsim.arch.load_arch`, which validates first.
Capacities and bandwidths are in bits; energies come from an energy table (see
:mod:`accelsim.energy`) unless a level overrides them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from accelsim.mac.base import MacUnit
from accelsim.sparse import DensityModel, Format, Optimization, SparseSpec, Uniform
from accelsim.types import DataType
from accelsim.workload.layer import Layer


class LevelKind(str, Enum):
    DRAM = "dram"
    SRAM = "sram"  # a shared on-chip buffer (global buffer, scratchpad shared by the array)
    REGFILE = "regfile"  # a per-PE register file / scratchpad


class MulticastRule(str, Enum):
    """How a parent counts the data it sends to the children of a spatial fan-out.

    ``identical`` (Timeloop's rule): at each level's fan-out, children whose new tiles are
    identical are served once (multicast); every other child is charged in full, even when its
    tile partly overlaps a sibling's (sliding windows spread over the array).
    ``union``: the network delivers the union of what the children need once, overlapping windows
    included (the Eyeriss chip's row/diagonal multicast network).
    """

    IDENTICAL = "identical"
    UNION = "union"


class TemporalReuse(str, Enum):
    """How a level counts the elements it receives as the loops above it advance.

    ``sliding``: every step fetches only the elements the level does not hold already (a sliding
    window keeps its overlap). ``timeloop``: Timeloop v3's count, over its extrapolated steps,
    with the overlap kept only while the tile keeps moving by the same translation (see
    :func:`accelsim.analysis.nest.timeloop_moving_count`).
    """

    SLIDING = "sliding"
    TIMELOOP = "timeloop"


class Axis(str, Enum):
    X = "X"  # along the array's columns
    Y = "Y"  # along the array's rows
    LANE = "L"  # across the lanes of one PE's MAC unit (several MACs per cycle, one adder tree)


@dataclass(frozen=True)
class LevelEnergy:
    """Per-access energy override for one level: pJ per access of ``word_bits`` bits."""

    read_pj: float
    write_pj: float


class PortType(str, Enum):
    """What a port serves: reads (data leaving the level), writes (fills and partial-sum
    updates arriving), or both through one pipe (ZigZag's ``read_write``)."""

    READ = "read"
    WRITE = "write"
    READ_WRITE = "read_write"


@dataclass(frozen=True)
class Port:
    """A port of its own for some data types of a level (``ports:`` in docs/arch_format.md):
    ``bandwidth_bits`` bits per cycle per instance, carrying the reads (``type`` read), the
    writes (write) or both (read_write) of ``data_types``. A data type and direction no port
    names uses the level's own read or write bandwidth."""

    name: str
    type: PortType
    data_types: frozenset[DataType]
    bandwidth_bits: float

    def serves(self, data_type: DataType, *, write: bool) -> bool:
        wanted = PortType.WRITE if write else PortType.READ
        return data_type in self.data_types and self.type in (wanted, PortType.READ_WRITE)


@dataclass(frozen=True)
class Level:
    """One storage level. ``per_pe`` levels have one instance per PE; the others are shared.

    ``capacity_bits`` is ``None`` for unbounded storage (DRAM). Bandwidths are bits per cycle per
    instance, ``None`` when unlimited. ``keeps`` is the set of data types the level may hold; a
    mapping may bypass any of them. ``parallel_with`` names the level just above when the two sit
    side by side at one depth of the hierarchy (separate memories for disjoint data types, as
    ZigZag's per-operand hierarchies and Timeloop's ``!Parallel``): they share the loops placed
    at that depth, which a mapping gives to the group's last (innermost) member.
    ``streams_partial_sums``: a per-PE level keeping outputs whose
    partial sums pass through the PE's adder as a stream (the Eyeriss chip's psum scratchpad): a
    tile starts accumulating from zero, the partial sums from above are added while it computes,
    and the finished ones leave while the next tile computes (docs/engine.md).
    ``ports``: ports of their own for some data types (the Eyeriss chip's per-data-type
    networks); :meth:`port` finds the one serving a data type in one direction.
    ``shared_by``: (x, y), a per-PE level with one instance per x PEs along X times y along Y
    (ZigZag's served dimensions: a weight register serving 4 x 4 MACs); (1, 1): one per PE. A
    mapping lists at such a level the spatial loops it serves, over dimensions that index none
    of what it keeps (:func:`accelsim.mapping.model.serve`).
    """

    name: str
    kind: LevelKind
    keeps: frozenset[DataType]
    capacity_bits: int | None
    word_bits: int
    per_pe: bool = False
    read_bandwidth_bits: float | None = None
    write_bandwidth_bits: float | None = None
    latency_cycles: int = 0
    energy: LevelEnergy | None = None
    parallel_with: str | None = None
    streams_partial_sums: bool = False
    shared_by: tuple[int, int] = (1, 1)
    # zeros (docs/sparse.md): formats the level keeps data types in, and its gating/skipping
    compression: tuple[tuple[DataType, Format], ...] = ()
    sparse: tuple[Optimization, ...] = ()
    ports: tuple[Port, ...] = ()

    def port(self, data_type: DataType, *, write: bool) -> Port | None:
        """The port carrying ``data_type``'s writes (or reads), None: the level's own port."""
        return next((p for p in self.ports if p.serves(data_type, write=write)), None)

    @property
    def capacity_words(self) -> int | None:
        return None if self.capacity_bits is None else self.capacity_bits // self.word_bits

    def group(self, axis: Axis) -> int:
        """PEs along ``axis`` (X or Y) that one instance serves: 1 unless ``shared_by``."""
        return self.shared_by[0] if axis is Axis.X else self.shared_by[1]


@dataclass(frozen=True)
class PEArray:
    rows: int
    cols: int

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    def size(self, axis: Axis) -> int:
        """PEs along an array axis (lanes are a property of the MAC unit, not of the array)."""
        return self.cols if axis is Axis.X else self.rows


@dataclass(frozen=True)
class Network:
    """The network between the shared levels and the PEs.

    ``multicast``: one read at the source serves every PE that needs the same data.
    ``systolic``: data moves PE to PE over neighbour links (a systolic array).
    ``energy_pj_per_bit``: optional override of the table's per-bit delivery energy.
    ``multicast_rule``: how reads at a fan-out's source are counted (see :class:`MulticastRule`).
    """

    multicast: bool = True
    systolic: bool = False
    multicast_rule: MulticastRule = MulticastRule.UNION
    bandwidth_bits: float | None = None
    energy_pj_per_bit: float | None = None


@dataclass(frozen=True)
class Arch:
    """A whole accelerator. ``levels`` runs from the outermost (DRAM) to the innermost RF.

    ``mac_unit`` is the PE's MAC unit, built once when the file is loaded. ``variants`` holds the
    architecture as each dataflow named in the file's ``per_dataflow`` section uses it (built and
    validated at load too); :meth:`for_dataflow` picks one.
    """

    name: str
    pe_array: PEArray
    levels: tuple[Level, ...]
    mac_unit: MacUnit
    network: Network
    clock_mhz: float
    energy_table: str
    source: str = ""
    description: str = ""
    area_mm2: float | None = None
    fixed_precision: tuple[tuple[str, int], ...] = ()  # bits every layer runs at, if set
    temporal_reuse: TemporalReuse = TemporalReuse.SLIDING
    variants: tuple[tuple[str, Arch], ...] = field(default=(), compare=False, repr=False)

    def for_dataflow(self, dataflow: str) -> Arch:
        """The architecture as ``dataflow`` uses it: with that dataflow's ``per_dataflow``
        overrides applied (the Eyeriss comparison gives every dataflow the same storage area,
        split its own way), or this architecture itself when the file has none for it."""
        return dict(self.variants).get(dataflow, self)

    def sparse_spec(self, layer: Layer) -> SparseSpec | None:
        """The layer's densities (uniform random, from its ``*_density`` fields) with the levels'
        formats and optimizations; None when no level has any (the design is dense)."""
        formats = {(lv.name, t): f for lv in self.levels for t, f in lv.compression}
        optimizations = tuple(o for lv in self.levels for o in lv.sparse)
        if not formats and not optimizations:
            return None
        densities: dict[DataType, DensityModel] = {
            DataType.WEIGHTS: Uniform(layer.weight_density, layer.weight_elements),
            DataType.INPUTS: Uniform(layer.input_density, layer.input_elements),
            DataType.OUTPUTS: Uniform(layer.output_density, layer.output_elements),
        }
        return SparseSpec(densities, formats, optimizations)

    def level(self, name: str) -> Level:
        for level in self.levels:
            if level.name == name:
                return level
        raise KeyError(name)

    def apply_precision(self, layer: Layer) -> Layer:
        """``layer`` at this design's fixed precision (a 16-bit fixed-point chip runs every layer
        at 16 bits), or unchanged when the design has none."""
        if not self.fixed_precision:
            return layer
        # Layer field names (the loader allows only the *_bits ones) to values; replace() checks
        # the names, so they are typed as loosely as its keyword arguments.
        fields: dict[str, Any] = dict(self.fixed_precision)
        return replace(layer, **fields)

    @property
    def depths(self) -> tuple[tuple[int, ...], ...]:
        """Level indices grouped by depth, outermost first: a level marked ``parallel_with`` the
        one above joins its group; every other level is a depth of its own."""
        groups: list[list[int]] = []
        for index, level in enumerate(self.levels):
            if groups and level.parallel_with is not None:
                groups[-1].append(index)
            else:
                groups.append([index])
        return tuple(tuple(group) for group in groups)

    @property
    def first_pe_level(self) -> int:
        """Index of the outermost per-PE level (len(levels) if none)."""
        for index, level in enumerate(self.levels):
            if level.per_pe:
                return index
        return len(self.levels)
