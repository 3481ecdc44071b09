"""Search the mappings a dataflow allows, within every capacity, for the best one.

The search is staged, each stage small and exact where it matters:

1. spatial: for every (Y dims, X dims) option of the template, the factors that use the most PEs
   (a primary dimension, then one more to fill what is left of the axis); the best few are kept;
2. inside the PE: the largest RF tiles over the template's PE dimensions that fit every per-PE
   level (maximal tiles only: a tile that could grow and still fit is never better for reuse);
3. buffer and DRAM: for each of three DRAM loop orders (weights, inputs or outputs kept at the
   buffer longest), the buffer tile grows dimension by dimension, innermost first, while it fits;
4. every candidate is analysed exactly and priced; the best by the objective wins, ties going to
   the first generated (the order is fixed, so the search is deterministic).

Results are cached by (layer shape, architecture, dataflow, objective): a network with repeated
shapes maps each shape once. Limits: factors are exact divisors (no padding of awkward sizes),
at most two dimensions share an array axis, loops run at DRAM, the global buffer and the
innermost per-PE level only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from functools import lru_cache
from itertools import product
from math import prod

from accelsim.analysis.counts import Analysis, analyze, bandwidth_cycles
from accelsim.arch.model import Arch, Axis
from accelsim.dataflow import Dataflow, Template, parse_dataflow, templates
from accelsim.energy.pricing import price
from accelsim.energy.table import EnergyTable, load_energy_table
from accelsim.errors import ConfigError, Problem
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.mapping.validate import extent_bits, fits, tile_bits
from accelsim.progressions import divisors
from accelsim.types import REDUCTION_DIMS, Dim
from accelsim.workload.layer import Layer

KEEP_SPATIAL = 4  # spatial options carried to the next stage
KEEP_PE = 3  # PE tiles carried to the next stage
DRAM_ORDERS = (
    (Dim.G, Dim.M, Dim.C, Dim.R, Dim.S, Dim.N, Dim.P, Dim.Q),  # weights stay longest
    (Dim.G, Dim.N, Dim.C, Dim.P, Dim.Q, Dim.R, Dim.S, Dim.M),  # inputs stay longest
    (Dim.G, Dim.N, Dim.M, Dim.P, Dim.Q, Dim.C, Dim.R, Dim.S),  # outputs stay longest
)


class Objective(str, Enum):
    ENERGY = "energy"
    CYCLES = "cycles"
    EDP = "edp"


@dataclass(frozen=True)
class MapperResult:
    mapping: Mapping
    analysis: Analysis
    energy: float
    candidates: int  # how many complete mappings were analysed


def map_layer(
    layer: Layer,
    arch: Arch,
    dataflow: Dataflow | str,
    objective: Objective | str = Objective.ENERGY,
    table: EnergyTable | None = None,
) -> MapperResult:
    """The best mapping of ``layer`` on ``arch`` that ``dataflow`` allows. Raises ConfigError if
    the dataflow cannot map the layer on this architecture (saying why)."""
    dataflow = parse_dataflow(dataflow)
    objective = Objective(objective)
    table = table or load_energy_table(arch.energy_table)
    try:
        return _cached(replace(layer, name=""), arch, dataflow, objective, table)
    except ConfigError as error:
        raise naming(error, layer.name) from None


@lru_cache(maxsize=4096)
def _cached(layer, arch, dataflow, objective, table) -> MapperResult:
    best: tuple | None = None
    count = 0
    for template in templates(dataflow):
        for mapping in _candidates(layer, arch, dataflow, template):
            analysis = analyze(layer, arch, mapping)
            energy = sum(item.energy for item in price(analysis, arch, table))
            count += 1
            score = _score(objective, energy, bandwidth_cycles(analysis, arch))
            if best is None or score < best[0]:
                best = (score, mapping, analysis, energy)
    if best is None:
        raise ConfigError(
            Problem(
                arch.source or arch.name,
                f"dataflow {dataflow.value}",
                "a mapping of layer this layer within every capacity "
                f"(the smallest tile the {dataflow.value} dataflow needs does not fit: "
                f"{_smallest_overflow(layer, arch, dataflow)})",
                show_got=False,
            )
        )
    return MapperResult(best[1], best[2], best[3], count)


def _smallest_overflow(layer: Layer, arch: Arch, dataflow: Dataflow) -> str:
    """Which level the dataflow's smallest tile overflows, with the bits needed and available
    (or why no spread over the array exists)."""
    reasons = []
    for template in templates(dataflow):
        places = _places(arch, dataflow, template)
        keeps = _keeps(arch, template)
        whole = tuple(
            Loop(d, layer.loop_bounds[d])
            for d in template.pe_dims
            if d in template.pe_whole and layer.loop_bounds[d] > 1
        )
        probe = _assemble(arch, places, keeps, (), (), (), whole)
        for index, level in enumerate(arch.levels):
            held = sum(tile_bits(layer, probe, index).values())
            if level.capacity_bits is not None and held > level.capacity_bits:
                reasons.append(f"{level.name} needs {held} bits, has {level.capacity_bits}")
                break
        else:
            if template.anchored:
                dim = template.spatial[0][0][0]
                reasons.append(
                    f"{dim.value} = {layer.loop_bounds[dim]} has no factor that fits "
                    f"the {arch.pe_array.rows} rows of the array"
                )
    return "; ".join(dict.fromkeys(reasons)) or "no candidate fits every level"


def naming(error: ConfigError, name: str) -> ConfigError:
    """``error`` with the layer it is about named (cached searches run on nameless layers)."""
    if not name:
        return error
    return ConfigError(
        [replace(p, expected=p.expected.replace("this layer", name, 1)) for p in error.problems]
    )


def _score(objective: Objective, energy: float, cycles: int) -> tuple[float, float]:
    if objective is Objective.ENERGY:
        return (energy, cycles)
    if objective is Objective.CYCLES:
        return (cycles, energy)
    return (energy * cycles, energy)


def clear_caches() -> None:
    """Forget every cached mapping (for cold-start timing)."""
    _cached.cache_clear()
    divisors.cache_clear()


# ---- structure of the architecture ---------------------------------------------------------
@dataclass(frozen=True)
class _Places:
    buffer: int  # the innermost shared level holding data: where buffer loops go
    spatial: int  # the last shared level: where spatial loops go
    pe: int | None  # the innermost per-PE level: where PE loops go


def _places(arch: Arch, dataflow: Dataflow, template: Template) -> _Places:
    first_pe = arch.first_pe_level
    shared = [i for i in range(first_pe) if arch.levels[i].keeps]
    has_rf = first_pe < len(arch.levels)
    if template.rf_keeps and not has_rf:
        raise ConfigError(
            Problem(
                arch.source or arch.name,
                f"dataflow {dataflow.value}",
                "an architecture with per-PE register files (this dataflow keeps "
                f"{', '.join(sorted(d.value for d in template.rf_keeps))} in them)",
                show_got=False,
            )
        )
    return _Places(shared[-1], first_pe - 1, len(arch.levels) - 1 if has_rf else None)


def _keeps(arch: Arch, template: Template) -> list[frozenset]:
    first_pe = arch.first_pe_level
    return [
        level.keeps if index < first_pe else level.keeps & template.rf_keeps
        for index, level in enumerate(arch.levels)
    ]


# ---- candidate generation ------------------------------------------------------------------
def _candidates(layer: Layer, arch: Arch, dataflow: Dataflow, template: Template):
    places = _places(arch, dataflow, template)
    keeps = _keeps(arch, template)
    bounds = layer.loop_bounds
    lanes_wanted = arch.mac_unit.macs_per_cycle(layer.weight_bits, layer.input_bits)
    for spatial_array, lanes in (
        (array, lanes)
        for array in _spatial_options(bounds, arch, template, lanes_wanted)
        for lanes in _lane_options(_divide(bounds, array), lanes_wanted)
    ):
        spatial = spatial_array + lanes
        left = _divide(bounds, spatial)
        for pe_loops in _pe_tiles(layer, arch, places, keeps, template, spatial, left):
            rest = _divide(left, pe_loops)
            seen: set[Mapping] = set()
            for order in DRAM_ORDERS:
                for first in (None, *(d for d in order if rest[d] > 1)):
                    mapping = _fill_buffer(
                        layer, arch, places, keeps, template, spatial, pe_loops, rest, order, first
                    )
                    if mapping is not None and mapping not in seen:
                        seen.add(mapping)
                        yield mapping


LANE_DIMS = (Dim.C, Dim.S, Dim.R, Dim.M, Dim.Q, Dim.P, Dim.N, Dim.G)


def _lane_options(bounds: dict[Dim, int], wanted: int) -> list[tuple[Loop, ...]]:
    """Lane loops for a MAC unit that does ``wanted`` MACs per cycle: the fullest use of the
    lanes, and the fullest using reduction dimensions only (the unit's adder tree sums those, so
    one partial sum leaves a PE per cycle). One or two dimensions, each an exact divisor."""
    if wanted <= 1:
        return [()]
    best: dict[bool, tuple[int, tuple[Loop, ...]]] = {}
    for first in LANE_DIMS:
        for second in (None, *LANE_DIMS):
            if second is first:
                continue
            f1 = max(d for d in divisors(bounds[first]) if d <= wanted)
            f2 = (
                1
                if second is None
                else max(d for d in divisors(bounds[second]) if d <= wanted // f1)
            )
            factors = [(first, f1)] + ([] if second is None else [(second, f2)])
            loops = tuple(Loop(dim, f, Axis.LANE) for dim, f in factors if f > 1)
            reduction_only = all(loop.dim in REDUCTION_DIMS for loop in loops)
            for key in {False, reduction_only}:
                if f1 * f2 > best.get(key, (0, ()))[0]:
                    best[key] = (f1 * f2, loops)
    options = [best[True][1]] if True in best else []
    if best[False][1] not in options:
        options.append(best[False][1])
    return options


def _lane_fill(bounds: dict[Dim, int], wanted: int) -> int:
    """How many of ``wanted`` lanes the best lane option fills."""
    return max(prod(loop.bound for loop in option) for option in _lane_options(bounds, wanted))


def _divide(bounds: dict[Dim, int], loops: tuple[Loop, ...]) -> dict[Dim, int]:
    left = dict(bounds)
    for loop in loops:
        left[loop.dim] //= loop.bound
    return left


def _spatial_options(
    bounds, arch: Arch, template: Template, lanes: int = 1
) -> list[tuple[Loop, ...]]:
    """The ways to spread the layer over the array that issue the most MACs per cycle (PEs used
    times the MAC-unit lanes the rest of the layer can fill): the best ``KEEP_SPATIAL`` over all
    of the template's options, each option's best among them."""
    chosen: list[tuple[Loop, ...]] = []
    ranked_all: list[tuple[int, tuple[Loop, ...]]] = []
    for y_dims, x_dims in template.spatial:
        anchor = y_dims[0] if template.anchored and bounds[y_dims[0]] > 1 else None
        found: dict[tuple[Loop, ...], int] = {}
        for y in _axis_options(bounds, y_dims, arch.pe_array.rows, Axis.Y, anchor):
            left = _divide(bounds, y)
            for x in _axis_options(left, x_dims, arch.pe_array.cols, Axis.X):
                found.setdefault(
                    y + x, prod(loop.bound for loop in y + x) * _lane_fill(_divide(left, x), lanes)
                )
        ranked = sorted(found.items(), key=lambda item: -item[1])  # stable: ties keep order
        if ranked and ranked[0][0] not in chosen:
            chosen.append(ranked[0][0])
        ranked_all.extend((-used, loops) for loops, used in ranked)
    for _, loops in sorted(ranked_all, key=lambda item: item[0]):
        if len(chosen) >= KEEP_SPATIAL:
            break
        if loops not in chosen:
            chosen.append(loops)
    return chosen


def _axis_options(
    bounds, dims, size: int, axis: Axis, anchor: Dim | None = None
) -> list[tuple[Loop, ...]]:
    """Ways to spread ``dims`` over one axis: one dimension, or two (the second fills the room
    the first leaves). With an ``anchor``, every way starts with it."""
    options: list[tuple[Loop, ...]] = [] if anchor else [()]
    for first in (anchor,) if anchor else dims:
        for f1 in sorted((d for d in divisors(bounds[first]) if 1 < d <= size), reverse=True)[:2]:
            options.append((Loop(first, f1, axis),))
            room = size // f1
            for second in dims:
                left = bounds[second] // f1 if second is first else bounds[second]
                f2 = max((d for d in divisors(left) if d <= room), default=1)
                if f2 > 1:
                    options.append((Loop(first, f1, axis), Loop(second, f2, axis)))
    return options


def _pe_tiles(layer, arch, places, keeps, template, spatial, left) -> list[tuple[Loop, ...]]:
    """The largest RF tiles that fit (maximal: none could grow in one dimension and still fit),
    the ``KEEP_PE`` with the most iterations. Tiles of the last PE dimension are found by
    bisection over its divisors, since a larger factor never holds fewer bits."""
    if places.pe is None or not template.pe_dims:
        return [()]
    choices = [
        [left[dim]] if dim in template.pe_whole else list(divisors(left[dim]))
        for dim in template.pe_dims
    ]

    def fits_with(factors: tuple[int, ...]) -> bool:
        loops = tuple(Loop(d, f) for d, f in zip(template.pe_dims, factors, strict=True) if f > 1)
        return fits(layer, arch, _assemble(arch, places, keeps, (), (), spatial, loops))

    fitting: list[tuple[int, ...]] = []
    for prefix in product(*(reversed(c) for c in choices[:-1])):
        last = _largest(choices[-1], lambda f, prefix=prefix: fits_with((*prefix, f)))
        if last is None:
            continue
        factors = (*prefix, last)
        if not any(all(f >= g for f, g in zip(o, factors, strict=True)) for o in fitting):
            fitting.append(factors)  # not dominated by a larger tile that fits
    fitting.sort(key=lambda f: -prod(f))
    return [
        tuple(Loop(d, f) for d, f in zip(template.pe_dims, factors, strict=True) if f > 1)
        for factors in fitting[:KEEP_PE]
    ]


def _largest(ascending: list[int] | tuple[int, ...], ok) -> int | None:
    """The largest of ``ascending`` for which the monotone ``ok`` holds (it holds for every value
    below one that passes), by bisection; None if none passes."""
    low, high = 0, len(ascending)  # ok holds below low, fails from high on
    while low < high:
        middle = (low + high) // 2
        if ok(ascending[middle]):
            low = middle + 1
        else:
            high = middle
    return ascending[low - 1] if low else None


def _fill_buffer(layer, arch, places, keeps, template, spatial, pe_loops, rest, order, first):
    """Grow the buffer tile while it fits: streaming dims first, then ``first`` (if given), then
    the others innermost-first in ``order``; each to its largest divisor that fits (bisection)."""
    capacity = arch.levels[places.buffer].capacity_bits
    at_buffer = dict.fromkeys(rest, 1)
    others = [d for d in reversed(order) if d not in template.streaming and d is not first]
    grow = [*reversed(template.streaming), *([first] if first else []), *others]
    below = _divide(layer.loop_bounds, tuple(Loop(d, n) for d, n in rest.items()))  # inner extents

    def fits_buffer(trial: dict[Dim, int]) -> bool:
        extent = {d: below[d] * trial[d] for d in below}
        held = extent_bits(layer, extent, keeps[places.buffer])
        return capacity is None or sum(held.values()) <= capacity

    for dim in grow:
        held = dict(at_buffer)
        factor = _largest(divisors(rest[dim]), lambda f, d=dim, h=held: fits_buffer({**h, d: f}))
        if factor is not None:
            at_buffer = {**at_buffer, dim: factor}
    mapping = _build(arch, places, keeps, template, spatial, pe_loops, rest, at_buffer, order)
    return mapping if fits(layer, arch, mapping) else None


def _build(arch, places, keeps, template, spatial, pe_loops, rest, at_buffer, order) -> Mapping:
    buffer_order = [d for d in order if d not in template.streaming] + list(template.streaming)
    buffer_loops = tuple(Loop(d, at_buffer[d]) for d in buffer_order if at_buffer[d] > 1)
    dram_loops = tuple(
        Loop(d, rest[d] // at_buffer[d]) for d in order if rest[d] // at_buffer[d] > 1
    )
    return _assemble(arch, places, keeps, dram_loops, buffer_loops, spatial, pe_loops)


def _assemble(arch, places, keeps, dram_loops, buffer_loops, spatial, pe_loops) -> Mapping:
    array = tuple(loop for loop in spatial if loop.axis is not Axis.LANE)
    lanes = tuple(loop for loop in spatial if loop.axis is Axis.LANE)
    innermost = len(arch.levels) - 1
    levels = []
    for index, level in enumerate(arch.levels):
        temporal: tuple[Loop, ...] = ()
        if index == 0:
            temporal = dram_loops + (buffer_loops if places.buffer == 0 else ())
        elif index == places.buffer:
            temporal = buffer_loops
        elif index == places.pe:
            temporal = pe_loops
        placed = (array if index == places.spatial else ()) + (lanes if index == innermost else ())
        levels.append(LevelMapping(level.name, temporal, placed, keeps[index]))
    return Mapping(tuple(levels))


__all__ = ["MapperResult", "Objective", "divisors", "map_layer", "naming"]
