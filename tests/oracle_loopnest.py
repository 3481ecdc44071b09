"""Brute-force access counts: the loop nest executed step by step over sets of tensor coordinates.

The reference that :func:`accelsim.analysis.counts.analyze` is checked against. It shares nothing
with the model but the input types: no strides, no closed forms, no bitmaps. It enumerates every
iteration of the nest, builds every tile as a Python set of tensor coordinates and counts set
differences, so it is meant to be obviously right, not fast (keep layers to a few thousand MACs).

Semantics (Timeloop's, as stated in docs/DESIGN.md):

* The nest, outermost first: for each level in mapping order, its temporal loops then its spatial
  loops; loops of bound 1 are left out. A loop dimension's index is the mixed-radix number formed by
  all its loops, outer loops being the high digits.
* The tile of a level (for one data type) is the set of coordinates touched by every loop from the
  level's first loop inwards, the loops above held fixed. An instance of a level is one value of the
  spatial loops above it.
* Factors that do not divide a dimension (their product above its size) are clipped: an iteration
  runs only when every dimension's index is below the layer's size, so the last tiles are smaller,
  a step whose tile is empty does not happen (the level keeps what it holds), and an instance with
  nothing to do in a step (an idle PE of an uneven unrolling) keeps its tile. Timeloop's residual
  ends (a loop runs to its residual end when every outer loop of its dimension is at its last
  iteration) describe the same iterations.
* fills: a level holds exactly its current tile and fetches what it does not hold already.
* reads (and, for outputs, updates): at every step of the temporal loops above the next level down
  that keeps the data type, the union over the child instances under one parent instance of what
  each child is missing; with the MACs below, every temporal step of the whole nest, the distinct
  coordinates the MACs under the instance use (no reuse at a MAC). Outputs arriving below for the
  first time start at zero and cost no read.
* ``rule="identical"`` (Timeloop's multicast rule, replayed the way Timeloop computes it): at the
  fan-out of every mapping level between a level and the next one down keeping the data type, the
  children's new tiles (delta sets) are compared step by step; identical ones are counted once,
  every other one in full. A level that bypasses the data type is then folded into the one above
  as Timeloop's tiling does: the outer fan-out's accesses are scaled by (what the inner level
  serves, in total) / (what the outer fan-out's children receive, in total). Outputs' first
  arrivals (no read) are the distinct elements an instance ever serves.
* ``temporal="timeloop"`` (Timeloop v3's temporal reuse, replayed step by step): only the steps
  Timeloop evaluates are walked, every temporal loop at index 0 (weight 1) and 1 (weight
  bound - 1, for everything inside it); a tile whose translation (the move of its lowest corner)
  equals the last remembered one, or comes after a reset, fetches what it lacks and is
  remembered; a tile whose translation changed is fetched whole and forgets the translation.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from math import prod

from accelsim.arch.model import Axis
from accelsim.mapping.model import Mapping
from accelsim.types import DataType, Dim
from accelsim.workload.layer import Layer

Coordinate = tuple[int, ...]
Point = dict[int, int]  # nest position -> loop value


@dataclass(frozen=True)
class NestLoop:
    """One loop of the flattened nest."""

    level: int
    dim: Dim
    bound: int
    spatial: bool


@dataclass(frozen=True)
class OracleCounts:
    """Counts for one level and data type, summed over instances (tile_elements: per instance)."""

    instances: int
    tile_elements: int
    reads: int
    fills: int
    updates: int
    first_touches: int = (
        0  # outputs: arrivals below that were the first ever, summed over instances
    )
    held_ever: int = 0  # outputs: distinct coordinates each instance ever holds, summed


class Nest:
    """A layer's loop nest as placed by a mapping, with tensor coordinates at any iteration."""

    def __init__(
        self, layer: Layer, mapping: Mapping, serving: tuple[int, ...] = (), top: int = 0
    ) -> None:
        self.layer = layer
        self.loops: list[NestLoop] = []
        self.starts: list[int] = []
        # levels shared by a group of PEs: the array-axis spatial loops listed at them run on the
        # PEs of a group, above every per-PE level (after the loops of level ``top``)
        self.served: dict[int, list[int]] = {index: [] for index in serving}
        for index, level in enumerate(mapping.levels):
            self.starts.append(len(self.loops))
            for loop in level.temporal + level.spatial:
                if loop.bound > 1 and not (index in self.served and loop.axis in (Axis.X, Axis.Y)):
                    self.loops.append(NestLoop(index, loop.dim, loop.bound, loop.spatial))
            if index == top:
                for at in serving:
                    for loop in mapping.levels[at].spatial:
                        if loop.bound > 1 and loop.axis in (Axis.X, Axis.Y):
                            self.served[at].append(len(self.loops))
                            self.loops.append(NestLoop(top, loop.dim, loop.bound, True))
        self.rule = "union"
        self.temporal = "sliding"
        self.sizes = layer.loop_bounds
        self.channels_per_group = self.sizes[Dim.C]

    def steps(self, positions: list[int]) -> Iterator[tuple[int, Point]]:
        """(weight, point) over the temporal loops at ``positions``: every step, weight 1; or,
        under Timeloop's temporal rule, its extrapolated steps (indices 0 and 1 only)."""
        if self.temporal != "timeloop":
            for point in self.assignments(positions):
                yield 1, point
            return
        for values in itertools.product(*[(0, 1) for _ in positions]):
            weight = 1
            for at, value in zip(positions, values, strict=True):
                weight *= self.loops[at].bound - 1 if value else 1
            yield weight, dict(zip(positions, values, strict=True))

    def perfect(self) -> bool:
        """Every dimension's factors multiply to its size (nothing is clipped)."""
        covered = dict.fromkeys(Dim, 1)
        for loop in self.loops:
            covered[loop.dim] *= loop.bound
        return all(covered[dim] == size for dim, size in self.sizes.items())

    def positions(self, first: int, stop: int, *, spatial: bool | None) -> list[int]:
        """Nest positions in [first, stop), only spatial / temporal loops unless ``None``."""
        return [
            at for at in range(first, stop) if spatial is None or self.loops[at].spatial == spatial
        ]

    def instance_positions(self, level: int) -> list[int]:
        """The spatial loops whose values tell the instances of ``level`` apart: those above
        it, but for the loops it serves (one instance runs them all)."""
        own = self.served.get(level, [])
        return [at for at in self.positions(0, self.starts[level], spatial=True) if at not in own]

    def assignments(self, positions: list[int]) -> Iterator[Point]:
        """Every value of the loops at ``positions``, in nest order (the last varies fastest)."""
        ranges = [range(self.loops[at].bound) for at in positions]
        for values in itertools.product(*ranges):
            yield dict(zip(positions, values, strict=True))

    def index(self, point: Point, dim: Dim) -> int:
        """The value of ``dim`` at ``point``: mixed radix over its loops, outermost digit first."""
        value = 0
        for at, loop in enumerate(self.loops):
            if loop.dim is dim:
                value = value * loop.bound + point[at]
        return value

    def coordinate(self, point: Point, data_type: DataType) -> Coordinate | None:
        """The element of ``data_type`` the MAC at ``point`` (every loop given) uses; None when
        the point lies beyond the layer in some dimension (a clipped iteration)."""
        indices = [self.index(point, dim) for dim in Dim]
        if any(value >= self.sizes[dim] for value, dim in zip(indices, Dim, strict=True)):
            return None
        n, g, m, c, p, q, r, s = indices
        if data_type is DataType.WEIGHTS:
            return (g, m, c, r, s)
        if data_type is DataType.OUTPUTS:
            return (n, g, m, p, q)
        layer = self.layer
        return (
            n,
            g * self.channels_per_group + c,
            p * layer.stride_h + r * layer.dilation_h,
            q * layer.stride_w + s * layer.dilation_w,
        )

    def touched(self, fixed: Point, free: list[int], data_type: DataType) -> set[Coordinate]:
        """Coordinates used over every value of the ``free`` loops, the others held at ``fixed``
        (empty when nothing runs there)."""
        found = {self.coordinate({**fixed, **inner}, data_type) for inner in self.assignments(free)}
        found.discard(None)
        return found  # type: ignore[return-value]

    def macs(self) -> int:
        """The MACs the nest runs: iterations within the layer in every dimension."""
        every = self.positions(0, len(self.loops), spatial=None)
        return sum(
            self.coordinate(point, DataType.WEIGHTS) is not None
            for point in self.assignments(every)
        )


def oracle_counts(
    layer: Layer,
    mapping: Mapping,
    rule: str = "union",
    temporal: str = "sliding",
    serving: tuple[int, ...] = (),
    top: int = 0,
) -> dict[tuple[str, DataType], OracleCounts]:
    """Counts for every (level name, data type) whose level keeps the data type, under the
    multicast ``rule`` ("union" or "identical") and ``temporal`` reuse ("sliding" or
    "timeloop", the latter only with ``rule="identical"``). ``serving``: indices of levels
    shared by a group of PEs, whose array-axis spatial loops run within a group, above every
    per-PE level (after level ``top``, the last shared level): an instance of such a level is a
    value of the other spatial loops above it, and holds and serves what all of its PEs use."""
    nest = Nest(layer, mapping, serving, top)
    nest.rule = rule
    nest.temporal = temporal
    assert not serving or (rule, temporal) == ("union", "sliding"), "served loops: union only"
    found = {}
    for data_type in DataType:
        chain = [i for i, level in enumerate(mapping.levels) if data_type in level.keeps]
        for position, index in enumerate(chain):
            child = chain[position + 1] if position + 1 < len(chain) else None
            name = mapping.levels[index].level
            found[name, data_type] = _level_counts(nest, data_type, index, child, position == 0)
    return found


def _level_counts(
    nest: Nest, data_type: DataType, index: int, child: int | None, top: bool
) -> OracleCounts:
    fills, tile_elements, held_ever = _fills(nest, data_type, index)
    if nest.rule == "identical":
        served, first_touches = _served_identical(nest, data_type, index, child)
    else:
        served, first_touches = _served(nest, data_type, index, child)
    instances = 1
    for at in nest.instance_positions(index):
        instances *= nest.loops[at].bound
    if data_type is DataType.OUTPUTS:
        reads, updates = served - first_touches, served
    else:
        reads, updates = served, 0
    return OracleCounts(
        instances=instances,
        tile_elements=tile_elements,
        reads=reads,
        fills=0 if top else fills,
        updates=updates,
        first_touches=first_touches if data_type is DataType.OUTPUTS else 0,
        held_ever=held_ever if data_type is DataType.OUTPUTS else 0,
    )


def _fills(nest: Nest, data_type: DataType, level: int) -> tuple[int, int, int]:
    """(fills, elements of the largest tile, distinct elements ever held) summed over instances.

    Raises AssertionError if tiles of one level differ in size when no factor is clipped (they
    are translates of each other).
    """
    start = nest.starts[level]
    below = nest.positions(start, len(nest.loops), spatial=None) + nest.served.get(level, [])
    fills = 0
    held_ever = 0
    sizes = set()
    for instance in nest.assignments(nest.instance_positions(level)):
        state = Remembered()
        ever: set[Coordinate] = set()
        for weight, step in nest.steps(nest.positions(0, start, spatial=False)):
            tile = nest.touched({**instance, **step}, below, data_type)
            if not tile:  # nothing runs here: the step does not happen
                continue
            fills += weight * len(state.fetch(tile, nest.temporal))
            ever |= tile
            sizes.add(len(tile))
        held_ever += len(ever)
    assert len(sizes) == 1 or not nest.perfect(), f"tiles of different sizes: {sorted(sizes)}"
    return fills, max(sizes, default=0), held_ever


def _served(nest: Nest, data_type: DataType, index: int, child: int | None) -> tuple[int, int]:
    """(elements sent to the level below, first arrivals) summed over this level's instances.

    ``child`` is the next level down keeping ``data_type``; ``None`` means the MACs, which keep
    nothing from one step to the next.
    """
    child_start = len(nest.loops) if child is None else nest.starts[child]
    child_free = nest.positions(child_start, len(nest.loops), spatial=None)
    # the children under one instance: the spatial loops telling the child's instances (or the
    # MACs) apart that do not tell this level's apart
    above = set(nest.instance_positions(index))
    if child is None:
        spread = [at for at in nest.positions(0, child_start, spatial=True) if at not in above]
    else:
        child_free += nest.served.get(child, [])
        spread = [at for at in nest.instance_positions(child) if at not in above]
    children = list(nest.assignments(spread))
    served = 0
    first_touches = 0
    for instance in nest.assignments(nest.instance_positions(index)):
        held: dict[int, set[Coordinate]] = {k: set() for k in range(len(children))}
        arrived_ever: set[Coordinate] = set()
        for step in nest.assignments(nest.positions(0, child_start, spatial=False)):
            sent: set[Coordinate] = set()
            for k, below in enumerate(children):
                tile = nest.touched({**instance, **below, **step}, child_free, data_type)
                sent |= tile - held[k]
                if child is not None and tile:  # an idle child keeps its tile
                    held[k] = tile
            served += len(sent)
            first_touches += len(sent - arrived_ever)
            arrived_ever |= sent
    return served, first_touches


def _fan_out_stats(
    nest: Nest, data_type: DataType, level: int, child_start: int, holds: bool
) -> tuple[int, int]:
    """(distinct deltas counted once, deltas counted per child) summed over the instances of
    ``level`` and the steps of the temporal loops above ``child_start``. The children of the
    fan-out (the level's spatial loops) hold the set touched by every loop from ``child_start``
    inwards; ``holds=False`` (MACs) means they keep nothing from one step to the next."""
    spatial = nest.positions(nest.starts[level], _stop(nest, level), spatial=True)
    free = nest.positions(child_start, len(nest.loops), spatial=None)
    unique = every = 0
    for instance in nest.assignments(nest.positions(0, nest.starts[level], spatial=True)):
        states: dict[int, Remembered] = {}
        steps = nest.positions(0, child_start, spatial=False)
        for weight, step in (
            nest.steps(steps) if holds else ((1, p) for p in nest.assignments(steps))
        ):
            deltas = []
            for k, below in enumerate(nest.assignments(spatial)):
                tile = nest.touched({**instance, **below, **step}, free, data_type)
                if not tile:  # an idle child
                    continue
                state = states.setdefault(k, Remembered())
                deltas.append(frozenset(state.fetch(tile, nest.temporal if holds else "none")))
            every += weight * sum(len(delta) for delta in deltas)
            unique += weight * sum(len(delta) for delta in set(deltas))
    return unique, every


def _served_identical(
    nest: Nest, data_type: DataType, index: int, child: int | None
) -> tuple[int, int]:
    """(elements sent to the level below, first arrivals) under Timeloop's identical-delta rule,
    summed over this level's instances."""
    last = len(nest.starts) if child is None else child
    child_start = len(nest.loops) if child is None else nest.starts[child]
    holds = child is not None
    served: Fraction | None = None
    for level in reversed(range(index, last)):
        if not nest.positions(nest.starts[level], _stop(nest, level), spatial=True):
            continue
        if served is None:  # the innermost fan-out: its children are the child level's tiles
            served = Fraction(_fan_out_stats(nest, data_type, level, child_start, holds)[0])
        else:  # fold the bypassing level below into this one, as Timeloop's tiling does
            unique, every = _fan_out_stats(nest, data_type, level, _stop(nest, level), True)
            served = unique * served / every
    if served is None:  # no fan-out: the one child is served what it lacks
        served = Fraction(_fan_out_stats(nest, data_type, index, child_start, holds)[0])
    assert served.denominator == 1, f"fractional count {served}"
    first_touches = 0
    if data_type is DataType.OUTPUTS:
        for instance in nest.assignments(nest.positions(0, nest.starts[index], spatial=True)):
            below = nest.positions(nest.starts[index], len(nest.loops), spatial=None)
            above = nest.positions(0, nest.starts[index], spatial=False)
            first_touches += len(nest.touched(instance, below + above, data_type))
    return int(served), first_touches


def _stop(nest: Nest, level: int) -> int:
    return nest.starts[level + 1] if level + 1 < len(nest.starts) else len(nest.loops)


class Remembered:
    """What a child holds (its last tile) and, under Timeloop's rule, the last translation."""

    def __init__(self) -> None:
        self.tile: set[Coordinate] = set()
        self.translation: tuple[int, ...] | None = None  # None: nothing remembered

    def fetch(self, tile: set[Coordinate], temporal: str) -> set[Coordinate]:
        """The elements fetched to hold ``tile`` next; "none": holds nothing (MACs)."""
        if temporal == "none":
            return set(tile)
        new = tile - self.tile
        if temporal == "timeloop" and self.tile:
            move = tuple(
                min(c[k] for c in tile) - min(c[k] for c in self.tile)
                for k in range(len(next(iter(tile))))
            )
            if self.translation is None or move == self.translation:
                self.translation = move
            else:
                new = set(tile)
                self.translation = None
        self.tile = tile
        return new


def oracle_link_transfers(
    layer: Layer, mapping: Mapping, mesh: dict[str, tuple[int, int]] | None = None
) -> dict[tuple[str, DataType], tuple[int, int]]:
    """Timeloop's link transfers replayed child by child: {(parent level, data type): (link
    transfers, parent accesses saved)} summed over the parent's instances, non-zero ones only.

    For weights and inputs, at each fan-out whose spatial loops are the innermost loops of a level
    keeping the data type, above the next level keeping it: at every extrapolated step, each child's
    delta is compared with the deltas its left, right, upper and lower neighbours (Timeloop's
    positions: child number ``i`` in nest order at column ``i mod w``, row ``i div w``) fetched at
    the previous step; the matching children are left out of the parent's accesses (identical
    deltas counted once) when that lowers them.
    """
    nest = Nest(layer, mapping)
    nest.temporal = "timeloop"
    found = {}
    for data_type in (DataType.WEIGHTS, DataType.INPUTS):
        chain = [i for i, level in enumerate(mapping.levels) if data_type in level.keeps]
        for parent, child in itertools.pairwise(chain):
            spatial = nest.positions(nest.starts[parent], nest.starts[child], spatial=True)
            between = nest.positions(nest.starts[parent], nest.starts[child], spatial=None)
            if not spatial or between[len(between) - len(spatial) :] != spatial:
                continue
            if len({nest.loops[at].level for at in spatial}) != 1:
                continue
            level = mapping.levels[nest.loops[spatial[0]].level]  # the level fanning out
            if any(loop.axis not in (Axis.X, Axis.Y) for loop in level.spatial):
                continue
            name = mapping.levels[parent].level
            x_extent = prod(loop.bound for loop in level.spatial if loop.axis is Axis.X)
            y_extent = prod(loop.bound for loop in level.spatial if loop.axis is Axis.Y)
            physical = (mesh or {}).get(level.level, (1, 1))
            width, height = max(physical[0], x_extent), max(physical[1], y_extent)
            result = _replay_links(nest, data_type, parent, child, spatial, width, height)
            if result[0]:
                found[name, data_type] = result
    return found


def _replay_links(nest, data_type, parent, child, spatial, width, height) -> tuple[int, int]:
    free = nest.positions(nest.starts[child], len(nest.loops), spatial=None)
    children = list(nest.assignments(spatial))
    at = {k: (k % width, k // width) for k in range(len(children))}
    where = {place: k for k, place in at.items()}
    transfers = saved = 0
    for instance in nest.assignments(nest.positions(0, nest.starts[parent], spatial=True)):
        states = {k: Remembered() for k in range(len(children))}
        previous: dict[int, frozenset[Coordinate]] = {}
        for weight, step in nest.steps(nest.positions(0, nest.starts[child], spatial=False)):
            deltas = {}
            for k, below in enumerate(children):
                tile = nest.touched({**instance, **below, **step}, free, data_type)
                deltas[k] = frozenset(states[k].fetch(tile, "timeloop"))
            matched = set()
            for k, delta in deltas.items():
                x, y = at[k]
                for place in ((x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)):
                    other = where.get(place)
                    if delta and other is not None and previous.get(other) == delta:
                        matched.add(k)
            without = sum(len(d) for d in set(deltas.values()))
            with_links = sum(len(d) for d in {deltas[k] for k in deltas if k not in matched})
            if with_links < without:
                transfers += weight * sum(len(deltas[k]) for k in matched)
                saved += weight * (without - with_links)
            previous = deltas
    return transfers, saved
