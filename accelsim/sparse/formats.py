"""Representation formats as rank compositions (Sparseloop's fibertree view).

A tile is a tree of fibers, one rank per level of the tree, outermost first. Each rank stores its
fiber's coordinates in one of five ways:

* ``U`` uncompressed: no metadata; every coordinate has a child fiber (zeros included);
* ``B`` bitmask: one bit per coordinate; only non-empty coordinates have a child;
* ``RLE`` run-length: per non-empty coordinate, the run of zeros before it (``run_bits``);
* ``CP`` coordinate payload: per non-empty coordinate, its coordinate (``coordinate_bits``);
* ``UOP`` uncompressed offset pairs: ``shape + 1`` offsets into the next rank, one per coordinate
  and one closing (``offset_bits`` each); every coordinate has a child, as in ``U``.

So CSR is ``UOP, CP``, CSC the same over the transposed tile, and the Eyeriss chip's RLC
``RLE`` over the flattened tile. The data itself (the payload of the innermost rank) is counted
by the data accesses; :func:`rank_units` counts each rank's metadata and payload entries per
tile (expected over the tile's occupancies, as Sparseloop v3.0.3 does), :func:`fiber_shapes`
splits a tile into ranks. A rank's entries are ``metadata_bits`` wide, else the level's
metadata width (Sparseloop's ``metadata_datawidth``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from math import ceil, floor, prod, sqrt

from accelsim.errors import ConfigError, Problem
from accelsim.sparse.density import NM, DensityModel, FixedStructured, Uniform


class RankFormat(str, Enum):
    U = "U"
    B = "B"
    RLE = "RLE"
    CP = "CP"
    UOP = "UOP"

    @property
    def compressed(self) -> bool:
        """Only non-empty coordinates have a child fiber (or a payload)."""
        return self in (RankFormat.B, RankFormat.RLE, RankFormat.CP)


@dataclass(frozen=True)
class Rank:
    format: RankFormat
    metadata_bits: int | None = None  # per entry; None: the level's metadata width
    payload_bits: int | None = None  # per payload entry (UOP offsets); None: as metadata
    # Sparseloop's flattened-rankIDs: the loop dimensions this rank may flatten into one fiber
    # (None: one loop per rank); problem dimension names until the reader translates them
    flattened: frozenset[str] | None = None


@dataclass(frozen=True)
class Format:
    """Ranks outermost first."""

    ranks: tuple[Rank, ...]
    inner_to_outer: bool = (
        False  # Sparseloop's rank-application-order: inner ranks take loops first
    )

    @property
    def compressed(self) -> bool:
        """Whether any rank drops empty coordinates (the tile's zeros are not stored or moved)."""
        return any(rank.format.compressed for rank in self.ranks)

    @property
    def flattening(self) -> bool:
        """Whether the ranks split the tile by the dimensions they name (Sparseloop's
        flattened-rankIDs, applied inner to outer: :func:`flattened_fiber_shapes`). Applied
        outer to inner, the names are not used (one loop per rank, the innermost flattening
        the rest)."""
        return self.inner_to_outer and any(rank.flattened is not None for rank in self.ranks)

    def __str__(self) -> str:
        return " ".join(rank.format.value for rank in self.ranks) or "none"


def parse_format(raw: object, source: str, path: str) -> Format:
    """A list of rank formats (``["UOP", "CP"]`` or ``[{format: UOP}, ...]``; Sparseloop's
    lower-case names too). Raises ConfigError naming ``source``, ``path`` and the value."""
    if not isinstance(raw, list) or not raw:
        raise ConfigError(Problem(source, path, "a non-empty list of rank formats", raw))
    ranks = []
    names = ", ".join(f.value for f in RankFormat)
    for i, entry in enumerate(raw):
        name, bits, payload, flattened = entry, None, None, None
        if isinstance(entry, dict):
            flattened = _flattened(entry, source, f"{path}[{i}]")
            name = entry.get("format")
            keys = ("metadata_bits", "metadata_word_bits", "metadata-word-bits")
            bits = next((entry[k] for k in keys if k in entry), None)
            keys = ("payload_bits", "payload_word_bits", "payload-word-bits")
            payload = next((entry[k] for k in keys if k in entry), None)
        text = str(name).upper()
        if text not in RankFormat.__members__:
            raise ConfigError(Problem(source, f"{path}[{i}]", f"a rank format ({names})", name))
        for key, value in (("metadata_bits", bits), ("payload_bits", payload)):
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            if value is not None and not ok:
                raise ConfigError(Problem(source, f"{path}[{i}].{key}", "a bit count", value))
        ranks.append(Rank(RankFormat(text), bits, payload, flattened))
    return Format(tuple(ranks))


def _flattened(entry: dict, source: str, path: str) -> frozenset[str] | None:
    """A rank's ``flattened-rankIDs``: a list of lists of dimension names (``[[C, R]]``)."""
    keys = ("flattened_rankIDs", "flattened-rankIDs", "flattened_rankids")
    raw = next((entry[k] for k in keys if k in entry), None)
    if raw is None:
        return None
    lists = raw if isinstance(raw, list) else None
    if not lists or not all(isinstance(x, list) and x for x in lists):
        expected = "a list of lists of dimension names ([[C, R]])"
        raise ConfigError(Problem(source, f"{path}.flattened_rankIDs", expected, raw))
    return frozenset(str(name) for names in lists for name in names)


def flattened_fiber_shapes(format: Format, loops: tuple[tuple[str, int], ...]) -> tuple[int, ...]:
    """The fiber shape of each rank (outermost first) of a format whose ranks name the
    dimensions they flatten, over ``loops`` ((dimension, bound), outermost first, those that
    index the data type), as Sparseloop v3.0.3 applies ranks inner to outer
    (src/sparse-analysis/representation-analyzer.cpp, ApplyRanksInnerToOuter): from the
    innermost rank and loop, trivial loops skipped, a rank takes the next loop and, if it names
    dimensions, every following loop of those dimensions (trivial ones between); a rank whose
    dimensions do not include the next loop's is a fiber of one coordinate and leaves the loop to
    the next rank; ranks left when the loops run out are empty (shape 0: no fiber, no
    metadata). Loops left when the ranks run out: ValueError (the reader checks first)."""
    pending = [loop for loop in reversed(loops)]  # innermost first
    shapes: list[int] = []
    for rank in reversed(format.ranks):
        while pending and pending[0][1] == 1:
            pending.pop(0)
        if not pending:
            shapes.append(0)
            continue
        rule = rank.flattened
        if rule is not None and pending[0][0] not in rule:
            shapes.append(1)
            continue
        shape = pending.pop(0)[1]
        while rule is not None and pending and (pending[0][0] in rule or pending[0][1] == 1):
            shape *= pending.pop(0)[1]
        shapes.append(shape)
    if any(bound > 1 for _, bound in pending):
        raise ValueError(f"{len(format.ranks)} ranks do not cover the loops")
    return tuple(reversed(shapes))


def fiber_shapes(format: Format, loops: tuple[int, ...], tile: int) -> tuple[int, ...]:
    """The fiber shape of each rank (outermost first) of a tile of ``tile`` elements whose
    data type is indexed by loops of bounds ``loops`` (outermost first, trivial ones left out):
    one loop per rank from the outside, the innermost rank flattening the rest. More ranks than
    loops plus one: ValueError (callers check first and report a ConfigError)."""
    outer = len(format.ranks) - 1
    if outer > len(loops):
        raise ValueError(f"at most {len(loops) + 1} ranks")
    if format.inner_to_outer:  # the innermost ranks take the innermost loops
        inner = loops[len(loops) - outer :] if outer else ()
        return (max(1, tile // max(1, prod(inner))), *inner)
    shapes = loops[:outer]
    return (*shapes, max(1, tile // max(1, prod(shapes))))


def rank_units(
    format: Format, shapes: tuple[int, ...], density: DensityModel, nonempty: bool = False
) -> tuple[tuple[float, float], ...]:
    """Expected (metadata, payload) entries of each rank of one tile, outermost rank first, as
    Sparseloop v3.0.3 counts them (src/workload/format-models, representation-analyzer.cpp):
    averaged over the tile's possible occupancies ``k``, a fiber of shape ``s`` whose sub-tiles
    hold ``b`` elements has ``s (1 - P(sub-tile empty | k))`` non-empty coordinates; per fiber,
    ``UOP`` stores ``s + 1`` offsets (payload), ``CP`` and ``RLE`` one entry per non-empty
    coordinate, ``B`` one bit per coordinate; the innermost rank's payload is the data itself
    (not counted here). Children: every coordinate of ``U``/``UOP``, the non-empty ones else.
    ``nonempty``: over the non-empty tiles only (a level whose parent never sends empty ones)."""
    tile = prod(max(1, shape) for shape in shapes)
    totals = [[0.0, 0.0] for _ in shapes]
    occupancies = list(_occupancies(density, tile))
    if nonempty:
        kept = sum(weight for occupancy, weight in occupancies if occupancy)
        occupancies = [(k, w / kept) for k, w in occupancies if k] if kept else occupancies
    for occupancy, weight in occupancies:
        fibers = 1.0
        for position, (rank, shape) in enumerate(zip(format.ranks, shapes, strict=True)):
            if shape == 0:  # an empty rank (flattened_fiber_shapes): no fiber, no entries
                continue
            below = prod(max(1, s) for s in shapes[position + 1 :])
            occupied = _occupied(density, tile, occupancy, (shape, below), format.inner_to_outer)
            innermost = position == len(shapes) - 1
            kind = rank.format
            metadata = payload = 0.0
            if kind is RankFormat.UOP:
                payload = fibers * (shape + 1)
            elif kind in (RankFormat.CP, RankFormat.RLE):
                metadata = fibers * occupied
                payload = 0.0 if innermost else metadata
            elif kind is RankFormat.B:
                metadata = fibers * shape
                payload = 0.0 if innermost else fibers * occupied
            totals[position][0] += weight * metadata
            totals[position][1] += weight * payload
            fibers *= occupied if kind.compressed else shape
    return tuple((m, p) for m, p in totals)


def _occupancies(density: DensityModel, tile: int):
    """(k, P(the tile holds k non-zeros)) for the k with non-negligible probability."""
    mean = density.expected_occupancy(tile)
    if isinstance(density, FixedStructured | NM):
        low, high = floor(mean), ceil(mean)
    else:  # hypergeometric and measured: within 12 standard deviations of the mean
        spread = 12 * sqrt(max(mean * (1 - density.expected_density(tile)), 1.0))
        low, high = max(0, floor(mean - spread)), min(tile, ceil(mean + spread))
    for occupancy in range(low, high + 1):
        weight = density.occupancy_probability(tile, occupancy)
        if weight:
            yield occupancy, weight


def _occupied(density, tile: int, occupancy: int, fiber: tuple[int, int], largest: bool) -> float:
    """Non-empty coordinates of a fiber of ``shape`` sub-tiles of ``below`` elements, given the
    tile's ``occupancy``: the expected count; applying ranks inner to outer, Sparseloop takes
    for structured densities the fiber's largest count instead (ApplyRanksInnerToOuter's
    GetMaxNumElementByConfidence: its non-zeros rounded up, at most one per coordinate)."""
    shape, below = fiber
    if largest and isinstance(density, FixedStructured | NM):
        return float(min(shape, ceil(round(shape * below * occupancy / tile, 9))))
    return shape * (1.0 - _empty_given(density, tile, occupancy, below))


def _empty_given(density: DensityModel, tile: int, occupancy: int, below: int) -> float:
    """P(a sub-tile of ``below`` elements is empty | the tile holds ``occupancy`` non-zeros)."""
    if below >= tile:
        return 1.0 if occupancy == 0 else 0.0
    if isinstance(density, FixedStructured | NM):
        return FixedStructured(occupancy / tile).occupancy_probability(below, 0)
    return Uniform(occupancy / tile, tile).occupancy_probability(below, 0)
