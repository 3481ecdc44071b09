"""Timeloop's link transfers: a child takes its new tile from a mesh neighbour, not its parent.

Timeloop v3 (NestAnalysis::ComputeNetworkLinkTransfers, v3.0.3), at every step it evaluates of the
temporal loops above a spatial fan-out, compares each child's new elements (its delta) with the
delta its left, right, upper or lower neighbour received at the previous evaluated step. A child
whose delta equals a neighbour's previous one (the same set of coordinates, the sliding operand of
a systolic arrangement) can take it over the link. The parent then serves only the other children
(identical deltas once, :class:`~accelsim.arch.model.MulticastRule` ``identical``); Timeloop uses
the link transfers at that step, for that data space, only when that lowers the parent's accesses.
The transfers are charged to the children (:meth:`LinkTransfers.child_counts`: the sender reads
what it passes on, Timeloop's rounding), and the network below the fan-out prints them as "Link
transfers" (per parent instance), priced at the network's per-hop plus twice its router energy
(zero without a wire model: pat-public's WireEnergy is 0, as in every design here).

Positions on the mesh are Timeloop's: the children are numbered by the fan-out's spatial loops
(outer loops the high digits, Y loops outside X loops), and child ``i`` sits at column
``i mod w``, row ``i div w``, with ``w`` the larger of the physical mesh width and the X loops'
product; links are not toroidal (TIMELOOP_ENABLE_TOROIDAL_LINKS unset).

What is modelled: a read-only data space (weights, inputs) whose fan-out lies between a level
keeping it and the next level down keeping it, with the fan-out's spatial loops the innermost
loops of one level (levels bypassing the data in between are fine). Elsewhere (a fan-out split
over two levels, outputs) no link transfers are counted; docs/timeloop.md says why.

The deltas of sibling children are translates of one set (their tiles are), so the comparison is
made once per step: the step's delta ``D`` against the previous step's ``D'`` gives the translation
``v`` with ``D = D' + v`` (if any), and child ``j`` matches neighbour ``k`` when ``o_k - o_j = v``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise, product
from math import floor, prod

import numpy as np

from accelsim.analysis.nest import (
    Form,
    PlacedLoop,
    coordinate_forms,
    flatten,
    shift,
    tile_steps,
    timeloop_steps,
)
from accelsim.arch.model import Axis
from accelsim.mapping.model import Mapping
from accelsim.progressions import progression_sum
from accelsim.types import DataType
from accelsim.workload.layer import Layer

# A set of tensor coordinates: its lowest corner and the boolean box it fills from there.
_Set = tuple[tuple[int, ...], np.ndarray]


@dataclass(frozen=True)
class LinkTransfers:
    """The link transfers of one fan-out for one data space, per instance of the parent.

    ``transfers``: elements children take from a neighbour (Timeloop's "Link transfers");
    ``saved``: parent reads they spare; ``child_instances``: instances of the child level in all;
    ``fan_out``: children of one parent instance."""

    parent: str
    child: str
    data_type: DataType
    transfers: int
    saved: int
    child_instances: int
    fan_out: int

    def child_counts(self, reads: int, fills: int) -> tuple[int, int]:
        """A child instance's (reads, fills) with the links, from those without, as Timeloop
        v3.0.3 prints them (tiling.cpp ComputePeerAccesses and the read-only branch of
        ComputeReadUpdateReductionAccesses): the peer share ``t / N`` (transfers per parent
        instance over all N child instances) is added to the reads (the sender reads what it
        passes on) and to the fills, whose parent share drops by ``t / n`` (n children per
        parent): reads = round(reads + t/N), fills = round(fills - t/n + t/N). With one parent
        instance N = n and the fills do not change."""
        peer = Fraction(self.transfers, self.child_instances)
        share = Fraction(self.transfers, self.fan_out)
        return _round(reads + peer), _round(fills - share + peer)


def _round(value: Fraction) -> int:
    """std::round of a non-negative value: halves away from zero."""
    return floor(value + Fraction(1, 2))


def link_transfers(
    layer: Layer, mapping: Mapping, mesh: dict[str, tuple[int, int]] | None = None
) -> list[LinkTransfers]:
    """Every fan-out whose children take data from their neighbours, and how much.

    ``mesh`` gives, per level name, the physical fan-out (width, height) below it; without it the
    spatial loops' extents are the mesh. The fan-out may belong to a level between the parent and
    the child that keeps nothing (a v0.4 container's inter_<name>_spatial)."""
    placed, starts = flatten(mapping)
    found = []
    for data_type in (DataType.WEIGHTS, DataType.INPUTS):
        chain = [i for i, level in enumerate(mapping.levels) if data_type in level.keeps]
        for parent, child in pairwise(chain):
            block = placed[starts[parent] : starts[child]]
            fan_out = _fan_out(block)
            if not fan_out:
                continue
            name = mapping.levels[parent].level
            width, height = (mesh or {}).get(mapping.levels[fan_out[0].level].level, (1, 1))
            forms = coordinate_forms(layer, mapping, data_type)
            temporal = tuple(p for p in placed[: starts[child]] if not p.loop.spatial)
            tile = tuple(tile_steps(form, placed[starts[child] :]) for form in forms)
            transfers, saved = fan_out_transfers(forms, tile, temporal, fan_out, (width, height))
            if transfers:
                children = prod(p.loop.bound for p in placed[: starts[child]] if p.loop.spatial)
                child_name = mapping.levels[child].level
                fan = prod(p.loop.bound for p in fan_out)
                found.append(
                    LinkTransfers(name, child_name, data_type, transfers, saved, children, fan)
                )
    return found


def _fan_out(block: tuple[PlacedLoop, ...]) -> tuple[PlacedLoop, ...]:
    """The spatial loops of a parent-to-child block when they are on the array's axes, all of one
    level and innermost in the block; () otherwise (not modelled)."""
    spatial = tuple(p for p in block if p.loop.spatial)
    if not spatial or block[len(block) - len(spatial) :] != spatial:
        return ()
    if len({p.level for p in spatial}) != 1:
        return ()
    if any(p.loop.axis not in (Axis.X, Axis.Y) for p in spatial):
        return ()
    return spatial


def fan_out_transfers(
    forms: tuple[Form, ...],
    tile: tuple[tuple[tuple[int, int], ...], ...],
    temporal: tuple[PlacedLoop, ...],
    fan_out: tuple[PlacedLoop, ...],
    physical: tuple[int, int],
) -> tuple[int, int]:
    """(link transfers, parent accesses saved) over a run, for one parent instance."""
    width = max(physical[0], prod(p.loop.bound for p in fan_out if p.loop.axis is Axis.X))
    height = max(physical[1], prod(p.loop.bound for p in fan_out if p.loop.axis is Axis.Y))
    offsets = {}  # mesh position -> the child's offset per coordinate
    for index, values in enumerate(product(*(range(p.loop.bound) for p in fan_out))):
        offset = tuple(
            sum(v * shift(form, p) for v, p in zip(values, fan_out, strict=True)) for form in forms
        )
        offsets[(index % width, index // width)] = offset
    # the translations v = o_k - o_j of every (child j, neighbour k) pair
    pairs: dict[tuple[int, ...], set[tuple[int, int]]] = {}
    for (x, y), offset in offsets.items():
        for neighbour in ((x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)):
            if neighbour in offsets and 0 <= neighbour[0] < width and 0 <= neighbour[1] < height:
                v = tuple(a - b for a, b in zip(offsets[neighbour], offset, strict=True))
                pairs.setdefault(v, set()).add((x, y))
    groups = len(set(offsets.values()))
    bitmaps = [progression_sum(steps) for steps in tile]
    transfers = saved = 0
    previous: _Set | None = None
    for weight, position, move in timeloop_steps(forms, temporal):
        delta = _delta(bitmaps, position, move)
        if delta is not None and previous is not None and weight:
            translation = _translation(delta, previous)
            matched = set() if translation is None else pairs.get(translation, set())
            if matched:
                size = int(delta[1].sum())
                rest = len({o for at, o in offsets.items() if at not in matched})
                if rest < groups:
                    transfers += weight * size * len(matched)
                    saved += weight * size * (groups - rest)
        previous = delta
    return transfers, saved


def _delta(
    bitmaps: list[np.ndarray], position: tuple[int, ...], move: tuple[int, ...] | None
) -> _Set | None:
    """The elements a tile at ``position`` fetches (whole when ``move`` is None), trimmed to
    their bounding box; None when empty."""
    box = np.ones((), dtype=bool)
    for bitmap in bitmaps:
        box = np.multiply.outer(box, bitmap)
    if move is None:
        return _trim(position, box)
    lengths: tuple[int, ...] = box.shape
    size = tuple(n + abs(m) for n, m in zip(lengths, move, strict=True))
    now = np.zeros(size, dtype=bool)
    before = np.zeros(size, dtype=bool)
    # the box starts at the lower of the two corners: position - max(move, 0)
    now[tuple(slice(max(m, 0), max(m, 0) + n) for n, m in zip(lengths, move, strict=True))] = box
    before[tuple(slice(max(-m, 0), max(-m, 0) + n) for n, m in zip(lengths, move, strict=True))] = (
        box
    )
    corner = tuple(p - max(m, 0) for p, m in zip(position, move, strict=True))
    return _trim(corner, now & ~before)


def _trim(corner: tuple[int, ...], box: np.ndarray) -> _Set | None:
    if not box.any():
        return None
    slices = []
    low = []
    for axis in range(box.ndim):
        others = tuple(a for a in range(box.ndim) if a != axis)
        used = np.flatnonzero(box.any(axis=others)) if others else np.flatnonzero(box)
        slices.append(slice(int(used[0]), int(used[-1]) + 1))
        low.append(corner[axis] + int(used[0]))
    return tuple(low), box[tuple(slices)]


def _translation(delta: _Set, previous: _Set) -> tuple[int, ...] | None:
    """v with delta = previous + v, or None when they are not translates."""
    if delta[1].shape != previous[1].shape or not np.array_equal(delta[1], previous[1]):
        return None
    return tuple(a - b for a, b in zip(delta[0], previous[0], strict=True))
