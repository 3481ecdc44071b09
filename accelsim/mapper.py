"""Search the mappings a dataflow allows, within every capacity, for the best one.

The search is staged, each stage small and exact where it matters:

1. spatial: for every (Y dims, X dims) option of the template, the factors that use the most PEs
   (a primary dimension, then one more to fill what is left of the axis); the best few are kept,
   and for the cycles and EDP objectives besides them the best one with a factor that does not
   divide its dimension where that issues more MACs per cycle (uneven unrolling: 14 columns over
   P = 55 in ceil(55 / 14) = 4 passes, the last with 13 busy; what is left of a dimension above
   a factor is the ceiling of its bound over it), also in the group a shared register serves
   (OX 7 x OY 2 over OY 7 in a 16-PE group); a candidate whose uneven spread the analysis does
   not count is skipped;
2. inside the PE: the largest tiles over the template's PE dimensions that fit every per-PE level
   (maximal tiles only: a tile that could grow and still fit is never better for reuse), at the
   innermost per-PE level; each also with the outer per-PE depths grown around it;
3. shared levels and DRAM: for each of three DRAM loop orders (weights, inputs or outputs kept
   longest), the tile of every shared depth grows dimension by dimension, innermost depth first,
   while it and every depth above it hold it; what is left runs at DRAM;
4. every candidate is analysed exactly and priced; the best by the objective wins, ties going to
   the first generated (the order is fixed, so the search is deterministic).

A depth is a level or a group of levels marked ``parallel_with`` one another (per-operand memories
side by side); its loops sit on the group's last member. A template with ``pe_reduction`` (ws)
is also tried with outputs kept in a partial-sum register (a per-PE level keeping outputs only)
and the reduction dimensions among the PE's loops.

Results are cached by (layer shape, architecture, dataflow, objective): a network with repeated
shapes maps each shape once. Limits: temporal factors are exact divisors of what is left; one
spatial factor at most does not divide its dimension (and none under ``temporal_reuse:
timeloop``); at most two dimensions share an array axis; each depth grows greedily.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from fractions import Fraction
from functools import lru_cache
from itertools import product
from math import prod

from accelsim.analysis.counts import Analysis, analyze, bandwidth_cycles
from accelsim.arch.model import Arch, Axis, TemporalReuse
from accelsim.dataflow import Dataflow, Template, parse_dataflow, templates
from accelsim.energy.pricing import price
from accelsim.energy.table import EnergyTable, load_energy_table
from accelsim.errors import ConfigError, Problem
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.mapping.validate import Overflow, extent_bits, fits, overflow, uneven_spread
from accelsim.progressions import divisors
from accelsim.types import REDUCTION_DIMS, RELEVANT, DataType, Dim
from accelsim.workload.layer import Layer

KEEP_SPATIAL = 4  # spatial options carried to the next stage
KEEP_PE = 3  # PE tiles carried to the next stage
KEEP_UNEVEN = 1  # spatial options with a ceiling factor carried besides
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
    misses: list[Overflow | None] = []
    # Uneven unrolling raises the MACs issued per cycle, rarely the reuse: it is offered for the
    # cycles and EDP objectives (docs/design.md, "Dataflows and the mapper": what it changes and
    # what it costs), never under Timeloop's temporal reuse, which does not count clipped tiles.
    uneven = objective is not Objective.ENERGY and arch.temporal_reuse is TemporalReuse.SLIDING
    for template in (v for t in templates(dataflow) for v in _variants(arch, t)):
        for mapping in _candidates(layer, arch, dataflow, template, misses, uneven):
            analysis = analyze(layer, arch, mapping)
            energy = sum(item.energy for item in price(analysis, arch, table))
            count += 1
            score = _score(objective, energy, bandwidth_cycles(analysis, arch))
            if best is None or score < best[0]:
                best = (score, mapping, analysis, energy)
    if best is None:
        why = _why_none(layer, arch, dataflow, misses)
        raise ConfigError(
            Problem(
                arch.source or arch.name,
                f"dataflow {dataflow.value}",
                "a mapping of layer this layer within every capacity (nothing the "
                f"{dataflow.value} dataflow allows fits: {why})",
                show_got=False,
            )
        )
    return MapperResult(best[1], best[2], best[3], count)


def _why_none(layer: Layer, arch: Arch, dataflow: Dataflow, misses) -> str:
    """What fails for the candidate that came closest (the least overflow), or why no candidate
    was built at all (no spread over the array)."""
    found = [miss for miss in misses if miss is not None]
    if found:
        closest = min(found, key=lambda miss: miss.needed_bits / max(miss.capacity_bits, 1))
        return f"the closest candidate overflows {closest}"
    for template in templates(dataflow):
        if template.anchored and not _spatial_options(layer.loop_bounds, arch, template):
            dim = template.spatial[0][0][0]
            return (
                f"{dim.value} = {layer.loop_bounds[dim]} has no factor that fits "
                f"the {arch.pe_array.rows} rows of the array"
            )
    return "no candidate fits every level"


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
    """Where loops go. A depth is a group of levels (one level, or levels side by side keeping
    disjoint data types); its loops sit on the group's last member."""

    shared: tuple[tuple[int, ...], ...]  # on-chip shared depths holding data, outermost first
    spatial: int  # the last shared level: where spatial loops go
    pe: int | None  # the innermost per-PE level: where the PE tile's loops go
    pe_outer: tuple[tuple[int, ...], ...]  # the other per-PE depths holding data, outermost first


def _places(arch: Arch, dataflow: Dataflow, template: Template, keeps) -> _Places:
    first_pe = arch.first_pe_level
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
    innermost = len(arch.levels) - 1
    holding = [group for group in arch.depths[1:] if any(keeps[i] for i in group)]
    return _Places(
        shared=tuple(group for group in holding if group[0] < first_pe),
        spatial=first_pe - 1,
        pe=innermost if has_rf else None,
        pe_outer=tuple(g for g in holding if g[0] >= first_pe and innermost not in g),
    )


def _keeps(arch: Arch, template: Template) -> list[frozenset]:
    """What each level keeps under ``template``: shared levels all they can; per-PE levels what
    the template puts in the PE, and a partial-sum register (a per-PE level keeping outputs only)
    its outputs when the template runs reductions in the PE."""
    first_pe = arch.first_pe_level
    keeps = []
    for index, level in enumerate(arch.levels):
        kept = level.keeps
        if index >= first_pe and not (template.pe_reduction and _psum_register(level)):
            kept = level.keeps & template.rf_keeps
        keeps.append(kept)
    return keeps


def _psum_register(level) -> bool:
    return level.per_pe and level.keeps == frozenset({DataType.OUTPUTS})


def _variants(arch: Arch, template: Template) -> tuple[Template, ...]:
    """The template, and where it allows reductions in the PE and the architecture has a
    partial-sum register, the template with the reduction dimensions among the PE's loops."""
    base = replace(template, pe_reduction=False)
    if not template.pe_reduction or not any(_psum_register(level) for level in arch.levels):
        return (base,)
    dims = tuple(d for d in (Dim.C, Dim.R, Dim.S) if d not in template.pe_dims)
    return (base, replace(template, pe_dims=dims + template.pe_dims))


# ---- candidate generation ------------------------------------------------------------------
def _candidates(
    layer: Layer, arch: Arch, dataflow: Dataflow, template: Template, misses, uneven: bool
):
    keeps = _keeps(arch, template)
    places = _places(arch, dataflow, template, keeps)
    bounds = layer.loop_bounds
    lanes_wanted = arch.mac_unit.macs_per_cycle(layer.weight_bits, layer.input_bits)
    arrays = [
        array
        for array in _spatial_options(bounds, arch, template, lanes_wanted, uneven)
        + _served_options(bounds, arch, template, keeps, uneven)
        if _servable(bounds, arch, keeps, array, uneven)
        and (not _uneven(bounds, array) or _counted(layer, arch, keeps, places, array))
    ]
    for spatial_array, lanes in (
        (array, lanes)
        for array in arrays
        for lanes in _lane_options(_divide(bounds, array), lanes_wanted)
    ):
        spatial = spatial_array + lanes
        left = _divide(bounds, spatial)
        ceiled = bool(_uneven(bounds, spatial_array))
        for pe_loops in _pe_placements(layer, arch, places, keeps, template, spatial, left, misses):
            rest = _divide(left, tuple(loop for loops in pe_loops.values() for loop in loops))
            seen: set[Mapping] = set()
            for order in DRAM_ORDERS:
                for first in (None, *(d for d in order if rest[d] > 1)):
                    mapping = _fill_shared(
                        layer, arch, places, keeps, template, spatial, pe_loops, rest, order, first
                    )
                    if mapping in seen:
                        continue
                    seen.add(mapping)
                    if ceiled and _refused(layer, arch, mapping):
                        continue
                    missing = overflow(layer, arch, mapping)
                    if missing is None:
                        yield mapping
                    else:
                        misses.append(missing)


def _refused(layer: Layer, arch: Arch, mapping: Mapping) -> bool:
    """Whether ``mapping`` unrolls a dimension unevenly in a shape the analysis does not count
    (it is then skipped, never an error: the mapper offers it only as an alternative)."""
    spread = uneven_spread(layer, arch, mapping)
    return spread is not None and bool(spread[2])


def _counted(layer: Layer, arch: Arch, keeps, places: _Places, array: tuple[Loop, ...]) -> bool:
    """Whether the analysis counts the uneven spread ``array`` at least when what is left of its
    dimensions runs inside the PE, below it (a temporal loop of the spread dimension above it
    is a shape :func:`accelsim.mapping.validate.uneven_spread` may refuse)."""
    left = _divide(layer.loop_bounds, array)
    inner = tuple(Loop(dim, size) for dim, size in left.items() if size > 1)
    innermost = len(arch.levels) - 1
    probe = _assemble(arch, keeps, {innermost: inner}, places.spatial, array)
    return not _refused(layer, arch, probe)


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
    """What is left of each dimension above ``loops``: the ceiling of its bound over their
    factors (the bound itself where they divide it)."""
    left = dict(bounds)
    for loop in loops:
        left[loop.dim] = -(-left[loop.dim] // loop.bound)
    return left


def _ceiling_factor(bound: int, room: int) -> int | None:
    """The spatial factor that spreads ``bound`` over at most ``room`` PEs in the fewest passes
    (ceil(bound / room)) with the fewest idle PEs in the last one, when it does not divide
    ``bound`` and issues more MACs per cycle than every divisor that fits (bound / passes > the
    largest divisor <= room); None otherwise. 55 over 14: 4 passes of 14 (13.75 a cycle against
    the divisor 11's 11)."""
    if bound <= room:
        return None
    passes = -(-bound // room)
    factor = -(-bound // passes)
    if bound % factor == 0:
        return None
    best = max(d for d in divisors(bound) if d <= room)
    return factor if bound > best * passes else None


def _issued(bounds: dict[Dim, int], loops: tuple[Loop, ...]) -> Fraction:
    """MACs per cycle ``loops`` issue on average: per dimension, its bound over the passes its
    spatial factors take (the factor itself where it divides the bound)."""
    spread: dict[Dim, int] = {}
    for loop in loops:
        spread[loop.dim] = spread.get(loop.dim, 1) * loop.bound
    return prod(
        (Fraction(bounds[dim], -(-bounds[dim] // factor)) for dim, factor in spread.items()),
        start=Fraction(1),
    )


def _uneven(bounds: dict[Dim, int], loops: tuple[Loop, ...]) -> list[Dim]:
    """The dimensions whose spatial factors in ``loops`` do not divide their bounds."""
    spread: dict[Dim, int] = {}
    for loop in loops:
        spread[loop.dim] = spread.get(loop.dim, 1) * loop.bound
    return [dim for dim, factor in spread.items() if bounds[dim] % factor]


def _spatial_options(
    bounds, arch: Arch, template: Template, lanes: int = 1, uneven: bool = False
) -> list[tuple[Loop, ...]]:
    """The ways to spread the layer over the array that issue the most MACs per cycle (PEs used
    times the MAC-unit lanes the rest of the layer can fill): the best ``KEEP_SPATIAL`` over all
    of the template's options with factors dividing the layer, each option's best among them;
    with ``uneven``, then the best ``KEEP_UNEVEN`` with one factor that does not divide its
    dimension (ceiling passes, :func:`_ceiling_factor`) among those issuing more MACs per cycle
    than any of the dividing ones."""
    chosen: list[tuple[Loop, ...]] = []
    ranked_all: list[tuple[Fraction, tuple[Loop, ...]]] = []
    ceiling: list[tuple[Fraction, tuple[Loop, ...]]] = []
    for y_dims, x_dims in template.spatial:
        anchor = y_dims[0] if template.anchored and bounds[y_dims[0]] > 1 else None
        found: dict[tuple[Loop, ...], Fraction] = {}
        for y in _axis_options(bounds, y_dims, arch.pe_array.rows, Axis.Y, anchor, uneven):
            left = _divide(bounds, y)
            for x in _axis_options(left, x_dims, arch.pe_array.cols, Axis.X, None, uneven):
                found.setdefault(
                    y + x, _issued(bounds, y + x) * _lane_fill(_divide(left, x), lanes)
                )
        exact = [(loops, used) for loops, used in found.items() if not _uneven(bounds, loops)]
        ranked = sorted(exact, key=lambda item: -item[1])  # stable: ties keep order
        if ranked and ranked[0][0] not in chosen:
            chosen.append(ranked[0][0])
        ranked_all.extend((-used, loops) for loops, used in ranked)
        ceiling.extend(
            (-used, loops) for loops, used in found.items() if _one_uneven_loop(bounds, loops)
        )
    best = -min((key for key, _ in ranked_all), default=Fraction(0))
    for _, loops in sorted(ranked_all, key=lambda item: item[0]):
        if len(chosen) >= KEEP_SPATIAL:
            break
        if loops not in chosen:
            chosen.append(loops)
    better = [item for item in ceiling if -item[0] > best]
    for _, loops in sorted(better, key=lambda item: item[0])[:KEEP_UNEVEN]:
        chosen.append(loops)
    return chosen


def _one_uneven_loop(bounds: dict[Dim, int], loops: tuple[Loop, ...]) -> bool:
    """Whether exactly one dimension's factors in ``loops`` overshoot it, in one spatial loop
    (the shape the analysis counts: :func:`accelsim.mapping.validate.uneven_spread`)."""
    over = _uneven(bounds, loops)
    return len(over) == 1 and sum(loop.dim is over[0] for loop in loops) == 1


def _axis_options(
    bounds, dims, size: int, axis: Axis, anchor: Dim | None = None, uneven: bool = False
) -> list[tuple[Loop, ...]]:
    """Ways to spread ``dims`` over one axis: one dimension, or two (the second fills the room
    the first leaves). With an ``anchor``, every way starts with it. Factors divide what is left
    of their dimension; with ``uneven``, also each dimension's ceiling factor
    (:func:`_ceiling_factor`), one per way, after the dividing ways."""
    options: list[tuple[Loop, ...]] = [] if anchor else [()]
    extra: list[tuple[Loop, ...]] = []
    for first in (anchor,) if anchor else dims:
        factors = sorted((d for d in divisors(bounds[first]) if 1 < d <= size), reverse=True)[:2]
        ceiled = _ceiling_factor(bounds[first], size) if uneven else None
        for f1 in [*factors, *([ceiled] if ceiled else [])]:
            into = extra if f1 == ceiled else options
            into.append((Loop(first, f1, axis),))
            room = size // f1
            for second in dims:
                left = -(-bounds[second] // f1) if second is first else bounds[second]
                f2 = max((d for d in divisors(left) if d <= room), default=1)
                if f2 > 1:
                    into.append((Loop(first, f1, axis), Loop(second, f2, axis)))
                fill = _ceiling_factor(left, room) if uneven and f1 != ceiled else None
                if fill and second is not first:
                    extra.append((Loop(first, f1, axis), Loop(second, fill, axis)))
    return options + extra


# ---- levels shared by a group of PEs (shared_by) ----------------------------------------------
def _serving(arch: Arch, keeps) -> list[int]:
    """The levels shared by a group of PEs that keep something, the largest groups first."""
    found = [
        i
        for i, level in enumerate(arch.levels)
        if level.per_pe and level.shared_by != (1, 1) and keeps[i]
    ]
    return sorted(found, key=lambda i: -prod(arch.levels[i].shared_by))


def _served_split(arch: Arch, keeps, array: tuple[Loop, ...]) -> dict[int, tuple[Loop, ...]] | None:
    """The array's spatial loops that each shared register serves (the largest groups first
    take, in order, the loops over dimensions that index nothing they keep and fit what is left
    of their group), or None when the rest does not fit the instances of one of them."""
    served: dict[int, tuple[Loop, ...]] = {}
    taken: set[int] = set()  # positions in ``array``
    for index in _serving(arch, keeps):
        level, mine = arch.levels[index], []
        room: dict[Axis | None, int] = {axis: level.group(axis) for axis in (Axis.X, Axis.Y)}
        for position, loop in enumerate(array):
            indexes = any(loop.dim in RELEVANT[d] for d in keeps[index])
            if position in taken or indexes or loop.bound > room.get(loop.axis, 1):
                continue
            mine.append(loop)
            taken.add(position)
            room[loop.axis] //= loop.bound
        for axis in (Axis.X, Axis.Y):
            extent = prod(loop.bound for loop in array if loop.axis is axis)
            within = prod(loop.bound for loop in mine if loop.axis is axis)
            if extent // within > arch.pe_array.size(axis) // level.group(axis):
                return None
        served[index] = tuple(mine)
    return served


def _servable(bounds, arch: Arch, keeps, array: tuple[Loop, ...], uneven: bool = False) -> bool:
    """Whether the spatial option ``array`` splits over the shared registers
    (:func:`_served_split`) with no served loop over a dimension its factors do not divide
    (unless ``uneven``: a served loop may then overshoot, as any one spatial loop may)."""
    split = _served_split(arch, keeps, array)
    if split is None:
        return False
    if uneven:
        return True
    spread = {dim: prod(loop.bound for loop in array if loop.dim is dim) for dim in bounds}
    return all(bounds[loop.dim] % spread[loop.dim] == 0 for s in split.values() for loop in s)


def _served_options(
    bounds, arch: Arch, template: Template, keeps, uneven: bool = False
) -> list[tuple[Loop, ...]]:
    """Spatial options for an array whose registers serve groups of PEs: each group filled
    with the dimensions that index nothing its register keeps (a weight register shared by the
    PEs of different output pixels), the rest of each axis with one of the template's spatial
    dimensions and the best second one; the ``KEEP_SPATIAL`` using the most PEs. With
    ``uneven``, besides them the best ``KEEP_UNEVEN`` where one group's fill has a ceiling
    factor (:func:`_fill_ceiling`: OX 7 x OY 2 in 4 passes of a 16-PE group, 12.25 MACs a cycle
    against OX 7's 7), among those issuing more MACs per cycle than every dividing one."""
    serving = _serving(arch, keeps)
    if not serving:
        return []
    dims = tuple(dict.fromkeys(d for option in template.spatial for axes in option for d in axes))
    found: dict[tuple[Loop, ...], int] = {}
    ceiling: dict[tuple[Loop, ...], list[tuple[Loop, ...]]] = {}  # exact option: its variants
    for first in dims:
        exact: tuple[Loop, ...] = ()
        for ceiled in (None, *(range(2 * len(serving)) if uneven else ())):
            left, loops, fill = dict(bounds), list[Loop](), 0
            for axis in (Axis.Y, Axis.X):
                room = arch.pe_array.size(axis)
                for index in serving:
                    group = arch.levels[index].group(axis)
                    if group == 1:
                        continue
                    free = [d for d in Dim if not any(d in RELEVANT[t] for t in keeps[index])]
                    served = _fill(left, free, free, min(group, room), axis)
                    if fill == ceiled:
                        served = _fill_ceiling(left, free, min(group, room), axis) or served
                    fill += 1
                    loops.extend(served)
                    left = _divide(left, served)
                    room //= group
                across = _fill(left, (first,), dims, room, axis)
                loops.extend(across)
                left = _divide(left, across)
            option = tuple(loops)
            if ceiled is None:
                exact = option
                found.setdefault(option, prod(loop.bound for loop in option))
            elif _one_uneven_loop(bounds, option):
                ceiling.setdefault(exact, []).append(option)
    ranked = sorted(found.items(), key=lambda item: -item[1])  # stable: ties keep order
    chosen = [option for option, _ in ranked[:KEEP_SPATIAL]]
    best = max(found.values(), default=0)
    extra: list[tuple[Loop, ...]] = []
    for option in chosen:  # each kept option's best variant with a ceiling factor, if better
        variants = sorted(ceiling.get(option, []), key=lambda loops: -_issued(bounds, loops))
        if variants and _issued(bounds, variants[0]) > best and variants[0] not in extra:
            extra.append(variants[0])
    return chosen + extra


def _fill_ceiling(bounds, dims, room: int, axis: Axis) -> tuple[Loop, ...] | None:
    """The factors of one of ``dims`` (an exact divisor) and a ceiling factor of another
    (:func:`_ceiling_factor`, of what room the first leaves) issuing the most MACs per cycle
    along ``axis`` (ties: the earliest), or None when no ceiling factor issues more than the
    divisors."""
    best: tuple[Fraction, tuple[Loop, ...] | None] = (Fraction(0), None)
    for first, second in product((None, *dims), dims):
        if second is first:
            continue
        for f1 in divisors(bounds[first]) if first is not None else (1,):
            if f1 > room:
                continue
            f2 = _ceiling_factor(bounds[second], room // f1)
            if f2 is None:
                continue
            loops = tuple(Loop(d, f, axis) for d, f in ((first, f1), (second, f2)) if d and f > 1)
            issued = f1 * Fraction(bounds[second], -(-bounds[second] // f2))
            if issued > best[0]:
                best = (issued, loops)
    return best[1]


def _fill(bounds, firsts, dims, room: int, axis: Axis) -> tuple[Loop, ...]:
    """The exact-divisor factors of one of ``firsts`` and at most one of ``dims`` that fill
    the most of ``room`` PEs along ``axis`` (ties: the earliest)."""
    best: tuple[int, tuple[Loop, ...]] = (1, ())
    for first, second, f1 in (
        (dim, other, factor)
        for dim, other in product(firsts, (None, *dims))
        for factor in divisors(bounds[dim])
        if factor <= room
    ):
        left = 1 if second is None else bounds[second] // (f1 if second is first else 1)
        f2 = max((d for d in divisors(left) if d <= room // f1), default=1)
        loops = tuple(Loop(d, f, axis) for d, f in ((first, f1), (second, f2)) if d and f > 1)
        if f1 * f2 > best[0]:
            best = (f1 * f2, loops)
    return best[1]


def _pe_placements(layer, arch, places, keeps, template, spatial, left, misses):
    """The PE's loops by level: each of the best tiles at the innermost per-PE level, then the
    same tile with the outer per-PE depths grown over the PE's dimensions while they fit."""
    placements = []
    for tile in _pe_tiles(layer, arch, places, keeps, template, spatial, left, misses):
        placed = {places.pe: tile} if tile else {}
        placements.append(placed)
        grown = _grow_pe(layer, arch, places, keeps, template, spatial, placed, left)
        if grown != placed:
            placements.append(grown)
    return placements


def _pe_tiles(layer, arch, places, keeps, template, spatial, left, misses):
    """The largest RF tiles that fit (maximal: none could grow in one dimension and still fit),
    the ``KEEP_PE`` with the most iterations. Tiles of the last PE dimension are found by
    bisection over its divisors, since a larger factor never holds fewer bits; when even the
    smallest tile overflows, ``misses`` gets what it overflows."""
    if places.pe is None or not template.pe_dims:
        return [()]
    choices = [
        [left[dim]] if dim in template.pe_whole else list(divisors(left[dim]))
        for dim in template.pe_dims
    ]

    def probe(factors: tuple[int, ...]) -> Mapping:
        loops = tuple(Loop(d, f) for d, f in zip(template.pe_dims, factors, strict=True) if f > 1)
        return _assemble(arch, keeps, {places.pe: loops}, places.spatial, spatial)

    smallest = tuple(choice[0] for choice in choices)
    if not fits(layer, arch, probe(smallest)):
        misses.append(overflow(layer, arch, probe(smallest)))
        return []
    fitting: list[tuple[int, ...]] = []
    for prefix in product(*(reversed(c) for c in choices[:-1])):
        last = _largest_passing(
            choices[-1], lambda f, prefix=prefix: fits(layer, arch, probe((*prefix, f)))
        )
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


def _grow_pe(layer, arch, places, keeps, template, spatial, placed, left):
    """``placed`` with each outer per-PE depth, innermost first, given the largest factors of
    what is left of the PE's dimensions (innermost dimension first) that keep every tile fitting."""
    placed = dict(placed)
    left = _divide(left, tuple(loop for loops in placed.values() for loop in loops))
    for group in reversed(places.pe_outer):
        at: dict[Dim, int] = {}
        for dim in reversed(template.pe_dims):
            for factor in sorted(divisors(left[dim]), reverse=True):
                if factor == 1:
                    break
                trial = {**at, dim: factor}
                loops = tuple(Loop(d, trial[d]) for d in template.pe_dims if d in trial)
                probe = _assemble(
                    arch, keeps, {**placed, group[-1]: loops}, places.spatial, spatial
                )
                if fits(layer, arch, probe):
                    at = trial
                    break
        if at:
            placed[group[-1]] = tuple(Loop(d, at[d]) for d in template.pe_dims if d in at)
            left = {d: left[d] // at.get(d, 1) for d in left}
    return placed


def _largest_passing(ascending: list[int] | tuple[int, ...], ok) -> int | None:
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


def _fill_shared(layer, arch, places, keeps, template, spatial, pe_loops, rest, order, first):
    """Grow the tile of each shared depth, innermost first, while it fits there and at every
    depth above it: streaming dims first (innermost depth only), then ``first`` (if given), then
    the others innermost-first in ``order``. What is left runs at DRAM."""
    below = dict.fromkeys(layer.loop_bounds, 1)  # the extents of the loops below the buffer
    for loop in (*spatial, *(loop for loops in pe_loops.values() for loop in loops)):
        below[loop.dim] *= loop.bound
    left = dict(rest)
    placed = dict(pe_loops)
    for position, group in enumerate(reversed(places.shared)):
        streaming = template.streaming if position == 0 else ()
        others = [d for d in reversed(order) if d not in streaming and d is not first]
        grow = dict.fromkeys([*reversed(streaming), *([first] if first else []), *others])
        holders = [i for depth in places.shared[: len(places.shared) - position] for i in depth]
        at = dict.fromkeys(left, 1)
        for dim in grow:
            extent = {d: below[d] * at[d] for d in below}
            at[dim] = _largest(layer, arch, keeps, holders, extent, dim, divisors(left[dim]))
        loop_order = [d for d in order if d not in streaming] + list(streaming)
        placed[group[-1]] = tuple(Loop(d, at[d]) for d in loop_order if at[d] > 1)
        below = {d: below[d] * at[d] for d in below}
        left = {d: left[d] // at[d] for d in left}
    dram_order = order
    if not places.shared:  # DRAM is the buffer: the streaming loops run innermost there
        dram_order = tuple(d for d in order if d not in template.streaming) + template.streaming
    placed[0] = tuple(Loop(d, left[d]) for d in dram_order if left[d] > 1)
    return _assemble(arch, keeps, placed, places.spatial, spatial)


def _largest(layer, arch, keeps, levels, extent, dim: Dim, factors: tuple[int, ...]) -> int:
    """The largest of the increasing ``factors`` by which ``extent`` may grow along ``dim`` with
    every one of ``levels`` still holding its tiles (1 if none): tiles grow with every factor, so
    the ones that fit are a prefix and a bisection finds its end."""
    low, high = 0, len(factors)
    while low < high:
        middle = (low + high) // 2
        trial = {**extent, dim: extent[dim] * factors[middle]}
        if _holds(layer, arch, keeps, levels, trial):
            low = middle + 1
        else:
            high = middle
    return factors[low - 1] if low else 1


def _holds(layer, arch, keeps, levels, extent) -> bool:
    """Whether each of ``levels`` holds the tiles of the loop ``extent`` of what it keeps."""
    for index in levels:
        capacity = arch.levels[index].capacity_bits
        if (
            capacity is not None
            and sum(extent_bits(layer, extent, keeps[index]).values()) > capacity
        ):
            return False
    return True


def _assemble(arch, keeps, temporal, spatial_level, spatial) -> Mapping:
    """The mapping with ``temporal[i]`` at level i, the array's spatial loops at
    ``spatial_level`` and the lane loops at the innermost level."""
    array = tuple(loop for loop in spatial if loop.axis is not Axis.LANE)
    lanes = tuple(loop for loop in spatial if loop.axis is Axis.LANE)
    innermost = len(arch.levels) - 1
    served = _served_split(arch, keeps, array) or {}
    rest = list(array)
    for loop in (loop for loops in served.values() for loop in loops):
        rest.remove(loop)  # one occurrence: equal loops are interchangeable
    across = tuple(rest)
    levels = []
    for index, level in enumerate(arch.levels):
        placed = across if index == spatial_level else served.get(index, ())
        placed += lanes if index == innermost else ()
        levels.append(LevelMapping(level.name, temporal.get(index, ()), placed, keeps[index]))
    return Mapping(tuple(levels))


__all__ = ["MapperResult", "Objective", "divisors", "map_layer", "naming"]
