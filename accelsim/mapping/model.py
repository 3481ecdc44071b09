"""Mappings: a layer's loop nest split over the storage levels of an architecture.

For each storage level, outermost (DRAM) first: its temporal loops (outermost first), its spatial
loops (spread over the PE array along an axis), and which data types the level keeps. The loops
of a level iterate over the tile the level holds; its spatial loops hand sub-tiles to the
instances below. This is Timeloop's model, so a Timeloop mapping reads over one to one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from math import prod

from accelsim.arch.model import Arch, Axis
from accelsim.types import DataType, Dim


@dataclass(frozen=True)
class Loop:
    """One loop: ``bound`` iterations over ``dim``; spatial when ``axis`` is set."""

    dim: Dim
    bound: int
    axis: Axis | None = None

    @property
    def spatial(self) -> bool:
        return self.axis is not None

    def __str__(self) -> str:
        kind = f" (spatial-{self.axis.value})" if self.axis else ""
        return f"for {self.dim.value} in [0:{self.bound}){kind}"


@dataclass(frozen=True)
class LevelMapping:
    """The loops placed at one storage level and the data types it keeps."""

    level: str
    temporal: tuple[Loop, ...] = ()
    spatial: tuple[Loop, ...] = ()
    keeps: frozenset[DataType] = frozenset()

    @property
    def loops(self) -> tuple[Loop, ...]:
        """Temporal loops (outermost first), then spatial loops: the order in the nest."""
        return self.temporal + self.spatial


@dataclass(frozen=True)
class Mapping:
    """A complete mapping: one :class:`LevelMapping` per architecture level, outermost first."""

    levels: tuple[LevelMapping, ...]

    def loops(self) -> Iterator[tuple[int, Loop]]:
        """Every loop of the nest, outermost first, with the index of its level."""
        for index, level in enumerate(self.levels):
            for loop in level.loops:
                yield index, loop

    def bound(self, dim: Dim) -> int:
        """Product of all factors of ``dim`` (covers the layer's size, maybe with padding)."""
        return prod(loop.bound for _, loop in self.loops() if loop.dim is dim)

    @property
    def temporal_steps(self) -> int:
        """Iterations of all temporal loops: the ideal cycle count (a PE issues the MACs of its
        lane loops together, one set per cycle)."""
        return prod(loop.bound for _, loop in self.loops() if not loop.spatial)

    @property
    def used_pes(self) -> int:
        """PEs the array-axis spatial loops occupy."""
        return prod(loop.bound for _, loop in self.loops() if loop.axis in (Axis.X, Axis.Y))

    @property
    def lanes(self) -> int:
        """MACs each PE issues per cycle: the product of the lane loops."""
        return self.spatial_extent(Axis.LANE)

    def spatial_extent(self, axis: Axis) -> int:
        return prod(loop.bound for _, loop in self.loops() if loop.axis is axis)

    def keeps(self, index: int, data_type: DataType) -> bool:
        return data_type in self.levels[index].keeps

    def __str__(self) -> str:
        lines = []
        depth = 0
        for level in self.levels:
            kept = ", ".join(sorted(d.value for d in level.keeps)) or "nothing"
            lines.append(f"{'  ' * depth}{level.level} [keeps {kept}]")
            for loop in level.loops:
                if loop.bound > 1:
                    depth += 1
                    lines.append(f"{'  ' * depth}{loop}")
        return "\n".join(lines)


def serve(arch: Arch, mapping: Mapping) -> tuple[Mapping, tuple[tuple[int, int], ...]]:
    """The nest a mapping with served loops stands for, and (level index, loops served) per
    level that serves some.

    A level shared by a group of PEs (``shared_by``) lists the array-axis spatial loops it
    serves: the PEs of a group run them, and one instance of the level serves all of them. Their
    dimensions index none of what the level keeps, so those PEs would hold identical copies of
    its tile. The nest is the mapping with these loops moved to the end of the spatial loops of
    the last shared level (above every per-PE level); the serving level then has one instance
    where that nest has one per served iteration, and its counts are that nest's divided by the
    loops it serves (ZigZag's served dimensions: a register broadcasting to its MACs, or
    receiving the sum of their adder tree)."""
    levels = list(mapping.levels)
    moved: list[Loop] = []
    served: list[tuple[int, int]] = []
    for index, level in enumerate(arch.levels[: len(levels)]):
        loops = tuple(loop for loop in levels[index].spatial if loop.axis in (Axis.X, Axis.Y))
        if level.shared_by == (1, 1) or not loops:
            continue
        moved.extend(loops)
        served.append((index, prod(loop.bound for loop in loops)))
        rest = tuple(loop for loop in levels[index].spatial if loop.axis is Axis.LANE)
        levels[index] = replace(levels[index], spatial=rest)
    if not moved:
        return mapping, ()
    top = arch.first_pe_level - 1
    levels[top] = replace(levels[top], spatial=levels[top].spatial + tuple(moved))
    return Mapping(tuple(levels)), tuple(served)
