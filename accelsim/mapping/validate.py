"""Check a mapping against its layer and architecture; every problem is reported at once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import prod

from accelsim.arch.model import Arch, Axis, MulticastRule, TemporalReuse
from accelsim.errors import Problems
from accelsim.mapping.model import Loop, Mapping, serve
from accelsim.progressions import progression_size
from accelsim.types import DATA_TYPES, RELEVANT, DataType, Dim
from accelsim.workload.layer import Layer


def tile_bits(layer: Layer, mapping: Mapping, index: int) -> dict[DataType, int]:
    """Bits one instance of level ``index`` holds, per kept data type (outputs as partial sums)."""
    extent = dict.fromkeys(Dim, 1)
    for level, loop in mapping.loops():
        if level >= index:
            extent[loop.dim] *= loop.bound
    return extent_bits(layer, extent, mapping.levels[index].keeps)


def extent_bits(
    layer: Layer, extent: dict[Dim, int], keeps: frozenset[DataType]
) -> dict[DataType, int]:
    """Bits of the tiles of ``keeps`` that loops of the given extents per dimension touch."""
    held = {}
    for data_type in keeps:
        bits = layer.psum_bits if data_type is DataType.OUTPUTS else layer.bits(data_type)
        held[data_type] = _tile_elements(layer, extent, data_type) * bits
    return held


def _tile_elements(layer: Layer, extent: dict[Dim, int], data_type: DataType) -> int:
    """Elements of the product tile the loop extents cover (the sliding window counted once)."""
    e = extent
    if data_type is DataType.WEIGHTS:
        return e[Dim.G] * e[Dim.M] * e[Dim.C] * e[Dim.R] * e[Dim.S]
    if data_type is DataType.OUTPUTS:
        return e[Dim.N] * e[Dim.G] * e[Dim.M] * e[Dim.P] * e[Dim.Q]
    rows = _window(layer.stride_h, e[Dim.P], layer.dilation_h, e[Dim.R])
    cols = _window(layer.stride_w, e[Dim.Q], layer.dilation_w, e[Dim.S])
    return e[Dim.N] * e[Dim.G] * e[Dim.C] * rows * cols


@lru_cache(maxsize=65536)
def _window(stride: int, outputs: int, dilation: int, taps: int) -> int:
    """|{o * stride + t * dilation : o < outputs, t < taps}|."""
    return progression_size(((stride, outputs), (dilation, taps)))


def check_mapping(layer: Layer, arch: Arch, mapping: Mapping, *, source: str = "mapping") -> None:
    """Raise ConfigError unless the mapping's factors cover the layer, its spatial loops fit the
    array, its levels match the architecture and every tile fits its level's capacity."""
    found = Problems(source)
    _check_levels(found, arch, mapping)
    found.raise_if_any()
    _check_factors(found, layer, mapping)
    _check_clipping(found, layer, arch, mapping)
    _check_spatial(found, arch, mapping)
    _check_shared_by(found, layer, arch, mapping)
    _check_lanes(found, layer, arch, mapping)
    if not found:
        _check_capacity(found, layer, arch, mapping)
    found.raise_if_any()


def _check_levels(found: Problems, arch: Arch, mapping: Mapping) -> None:
    names = [level.name for level in arch.levels]
    given = [level.level for level in mapping.levels]
    if given != names:
        found.add("levels", f"one entry per architecture level in order {names}", given)
        return
    for index, (level, placed) in enumerate(zip(arch.levels, mapping.levels, strict=True)):
        extra = placed.keeps - level.keeps
        if extra:
            found.add(
                f"{level.name}.keeps",
                f"data types this level can hold ({sorted(d.value for d in level.keeps)})",
                sorted(d.value for d in extra),
            )
        lanes = [loop for loop in placed.spatial if loop.axis is Axis.LANE]
        if lanes and index != len(arch.levels) - 1:
            found.add(
                f"{level.name}.spatial",
                "lane loops (axis L) at the innermost level only",
                [str(loop) for loop in lanes],
            )
        if level.per_pe and level.shared_by == (1, 1) and len(lanes) != len(placed.spatial):
            found.add(
                f"{level.name}.spatial",
                "no array-axis spatial loops inside a PE",
                len(placed.spatial) - len(lanes),
            )
        if index == 0 and placed.keeps != frozenset(DATA_TYPES):
            found.add(f"{level.name}.keeps", "DRAM to keep every data type", placed.keeps)
    for group in arch.depths:
        for index in group[:-1]:
            loops = mapping.levels[index].loops
            if loops:
                found.add(
                    f"{arch.levels[index].name}",
                    f"no loops: it is parallel with {arch.levels[group[-1]].name}, the last "
                    "level of its group, which holds the loops of their shared depth",
                    [str(loop) for loop in loops],
                )


def _check_clipping(found: Problems, layer: Layer, arch: Arch, mapping: Mapping) -> None:
    """Factors overshooting a dimension are counted with clipped edge tiles (docs/
    mapping_format.md) on temporal loops, and on one spatial loop in the shape
    :func:`uneven_spread` accepts, under sliding temporal reuse."""
    clipped = {
        dim: size for dim, size in layer.loop_bounds.items() if size < mapping.bound(dim) < 2 * size
    }
    spread = uneven_spread(layer, arch, mapping)
    if spread is not None and spread[2]:
        found.add(*uneven_refusal(layer, mapping, spread))
    if clipped and arch.temporal_reuse is TemporalReuse.TIMELOOP:
        found.add(
            "factors",
            "factors multiplying to the layer's sizes under temporal_reuse: timeloop (clipped "
            f"tiles are counted with sliding reuse only), not overshooting "
            f"{', '.join(f'{dim.value} = {size}' for dim, size in clipped.items())}",
            {dim.value: mapping.bound(dim) for dim in clipped},
        )


# Coordinates shared by two dimensions (the inputs' rows P x stride + R x dilation, and columns):
# PEs of a fan-out over one of them hold overlapping windows when the other is above 1.
WINDOW_PARTNERS = {Dim.P: Dim.R, Dim.R: Dim.P, Dim.Q: Dim.S, Dim.S: Dim.Q}


def uneven_spread(layer: Layer, arch: Arch, mapping: Mapping) -> tuple[int, Loop, list[str]] | None:
    """(level index, loop, what is wrong) of the first spatial loop whose dimension's factors
    overshoot the layer (uneven unrolling), or None when no spatial loop's do. Counted exactly
    (``analysis.counts``, ``analysis.spread``) when nothing is wrong: it is the only spatial
    loop of its dimension, not a lane loop, under the union multicast rule."""
    sizes = layer.loop_bounds
    nest = [(index, loop) for index, loop in mapping.loops() if loop.bound > 1]
    over = {dim for dim, size in sizes.items() if mapping.bound(dim) > size}
    found = [at for at, (_, loop) in enumerate(nest) if loop.spatial and loop.dim in over]
    if not found:
        return None
    at = found[0]
    index, loop = nest[at]
    reasons = []
    if len(found) > 1:
        reasons.append("one overshooting spatial loop (uneven unrolling of one loop only)")
    if loop.axis is Axis.LANE:
        reasons.append("no overshooting lane loop")
    if arch.network.multicast_rule is MulticastRule.IDENTICAL:
        reasons.append("the union multicast rule (identical is not modelled for uneven unrolling)")
    return index, loop, reasons


def uneven_refusal(
    layer: Layer, mapping: Mapping, spread: tuple[int, Loop, list[str]]
) -> tuple[str, str, int]:
    """(field, expected, value) of the error for an overshooting spatial loop that
    :func:`uneven_spread` refuses: ``spread`` is its (level index, loop, reasons)."""
    index, loop, reasons = spread
    return (
        f"{mapping.levels[index].level}.spatial {loop}",
        f"spatial factors of {loop.dim.value} dividing its size {layer.loop_bounds[loop.dim]}, "
        "or: " + "; ".join(reasons),
        loop.bound,
    )


def _check_factors(found: Problems, layer: Layer, mapping: Mapping) -> None:
    for dim, size in layer.loop_bounds.items():
        covered = mapping.bound(dim)
        if covered < size:
            factors = [loop.bound for _, loop in mapping.loops() if loop.dim is dim]
            found.add(
                f"factors of {dim.value}",
                f"factors multiplying to {size} (the layer's {dim.value})",
                f"{' x '.join(map(str, factors)) or '1'} = {covered}",
            )
        elif covered >= 2 * size:
            found.add(
                f"factors of {dim.value}",
                f"factors covering {size} with less than one extra step of padding",
                covered,
            )


def _check_spatial(found: Problems, arch: Arch, mapping: Mapping) -> None:
    for axis in (Axis.X, Axis.Y):
        used = mapping.spatial_extent(axis)
        size = arch.pe_array.size(axis)
        if used > size:
            found.add(
                f"spatial-{axis.value}",
                f"spatial loops along {axis.value} whose bounds multiply to at most {size}",
                used,
            )


def _check_shared_by(found: Problems, layer: Layer, arch: Arch, mapping: Mapping) -> None:
    """A level shared by a group of PEs (``shared_by``) serves the spatial loops listed at it
    (:func:`~accelsim.mapping.model.serve`): their dimensions index nothing it keeps, they fit
    its group along each axis, and where it keeps anything the rest of the axis's loops fit its
    instances along the axis. A served loop may overshoot its dimension (uneven unrolling):
    :func:`_check_clipping` checks it as any other spatial loop."""
    for index, level in enumerate(arch.levels):
        if not level.per_pe or level.shared_by == (1, 1):
            continue
        placed = mapping.levels[index]
        for loop in placed.spatial:
            indexed = [d.value for d in DATA_TYPES if d in placed.keeps and loop.dim in RELEVANT[d]]
            if loop.axis is not Axis.LANE and indexed:
                found.add(
                    f"{level.name}.spatial {loop}",
                    f"served loops over dimensions that index nothing {level.name} keeps "
                    f"({loop.dim.value} indexes {', '.join(indexed)}; such loops go above it)",
                    loop.dim.value,
                )
        for axis in (Axis.X, Axis.Y):
            group, size = level.group(axis), arch.pe_array.size(axis)
            within = prod(loop.bound for loop in placed.spatial if loop.axis is axis)
            if within > group:
                found.add(
                    f"{level.name}.spatial",
                    f"spatial-{axis.value} loops multiplying to at most {group}, the PEs one "
                    f"instance serves along {axis.value} (shared_by)",
                    within,
                )
            across = mapping.spatial_extent(axis) // within
            if placed.keeps and within <= group and across > size // group:
                found.add(
                    f"spatial-{axis.value} not served by {level.name}",
                    f"loops multiplying to at most {size // group}, its instances along "
                    f"{axis.value} ({size} PEs in groups of {group})",
                    across,
                )


def _check_lanes(found: Problems, layer: Layer, arch: Arch, mapping: Mapping) -> None:

    unit = arch.mac_unit
    lanes = unit.macs_per_cycle(layer.weight_bits, layer.input_bits)
    if mapping.lanes > lanes:
        found.add(
            "spatial-L",
            f"lane loops within the {lanes} MACs per cycle the MAC unit does at "
            f"{layer.weight_bits}x{layer.input_bits} bits",
            mapping.lanes,
        )


def _check_capacity(found: Problems, layer: Layer, arch: Arch, mapping: Mapping) -> None:
    mapping = serve(arch, mapping)[0]  # served loops run above every per-PE level
    for index, level in enumerate(arch.levels):
        if level.capacity_bits is None:
            continue
        held = tile_bits(layer, mapping, index)
        needed = sum(held.values())
        if needed > level.capacity_bits:
            parts = ", ".join(f"{d.value} {bits}" for d, bits in held.items())
            found.add(
                f"{level.name}",
                f"tiles that fit its {level.capacity_bits} bits "
                f"({level.capacity_bits // level.word_bits} words of {level.word_bits} bits)",
                f"{needed} bits needed ({parts})",
            )


@dataclass(frozen=True)
class Overflow:
    """The level a mapping overflows most (relative to its capacity), with the bits each kept
    data type needs there."""

    level: str
    held_bits: tuple[tuple[DataType, int], ...]
    capacity_bits: int

    @property
    def needed_bits(self) -> int:
        return sum(bits for _, bits in self.held_bits)

    def __str__(self) -> str:
        parts = ", ".join(f"{d.value} {bits}" for d, bits in self.held_bits)
        return (
            f"{self.level}: it needs {self.needed_bits} bits ({parts}), "
            f"the level has {self.capacity_bits}"
        )


def overflow(layer: Layer, arch: Arch, mapping: Mapping) -> Overflow | None:
    """The level whose tiles exceed its capacity by the largest ratio, or None if all fit."""
    mapping = serve(arch, mapping)[0]
    worst: Overflow | None = None
    for index, level in enumerate(arch.levels):
        if level.capacity_bits is None:
            continue
        held = tile_bits(layer, mapping, index)
        kept = tuple((d, held[d]) for d in DATA_TYPES if d in held)
        found = Overflow(level.name, kept, level.capacity_bits)
        if found.needed_bits > level.capacity_bits and (
            worst is None
            or found.needed_bits * max(worst.capacity_bits, 1)
            > worst.needed_bits * max(level.capacity_bits, 1)
        ):
            worst = found
    return worst


def fits(layer: Layer, arch: Arch, mapping: Mapping) -> bool:
    """True when every tile fits its level. Before any loop is placed above the buffer this says
    whether the buffer can hold the smallest tile the PE and spatial loops need."""
    mapping = serve(arch, mapping)[0]
    for index, level in enumerate(arch.levels):
        held = sum(tile_bits(layer, mapping, index).values())
        if level.capacity_bits is not None and held > level.capacity_bits:
            return False
    return True
