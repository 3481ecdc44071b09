"""Which tile of a conditioning tensor one access of a gated or skipped tensor pairs with, and so
the probability that the access is saved (Sparseloop v3.0.3's ComputeIneffectualReadImpact,
src/sparse-analysis/storage-gs-analyzer.cpp). Used by :mod:`accelsim.analysis.sparse`."""

from __future__ import annotations

from math import ceil, prod

from accelsim.analysis.counts import Analysis
from accelsim.analysis.nest import PlacedLoop, coordinate_forms, flatten
from accelsim.mapping.model import Mapping
from accelsim.sparse.density import FixedStructured
from accelsim.sparse.spec import Optimization
from accelsim.types import RELEVANT, DataType, Dim

DENSE = FixedStructured(1.0)


def keeps(mapping: Mapping, name: str) -> frozenset[DataType]:
    return next(level.keeps for level in mapping.levels if level.level == name)


def extent(analysis: Analysis, data_type: DataType, box: dict[Dim, int]) -> int:
    """Elements of ``data_type`` an operation box touches (a bounding box, as Timeloop)."""
    mapping = analysis.mapping
    assert isinstance(mapping, Mapping)
    forms = coordinate_forms(analysis.layer, mapping, data_type)
    return prod(sum(coef * (box.get(dim, 1) - 1) for dim, coef in form) + 1 for form in forms)


def condition_tile(
    analysis: Analysis, names: list[str], optimization: Optimization, level: int, block: int = 1
) -> dict[DataType, int]:
    """Per conditioning data type, the elements of the tile one access of the target pairs with
    (Sparseloop's ComputeIneffectualReadImpact):

    * at the innermost level keeping the target, one operation (one element of each) when the
      innermost loop is temporal; with spatial loops innermost, the operations they spread;
    * above it, the operations of one iteration of the first loop above the child level that
      moves the target (co-iterated dimensions, those indexing both tensors, taken one
      ``block`` of the target at a time);
    * in both cases times the spatial loops above that loop, up to the target's level.
    """
    mapping = analysis.mapping
    assert isinstance(mapping, Mapping)
    placed, _ = flatten(mapping)
    depth = len(names)
    # placed loops innermost first, each with its level counted from the inside
    inner = [(depth - 1 - p.level, p) for p in reversed(placed)]
    target = optimization.target
    child = next((i for i in range(level - 1, -1, -1) if target in keeps(mapping, names[i])), -1)
    found, scalar = None, False
    if child == -1:
        for position, (_, placed_loop) in enumerate(inner):
            following = inner[position + 1][1] if position + 1 < len(inner) else None
            if following is None or not following.loop.spatial:
                found, scalar = position, not placed_loop.loop.spatial
                break
            if placed_loop.loop.dim in RELEVANT[target]:
                found = position
                break
    else:
        for position, (where, placed_loop) in enumerate(inner):
            if child < where <= level and placed_loop.loop.dim in RELEVANT[target]:
                found = position
                break
    box: dict[Dim, int] = {}
    if found is not None and not scalar:
        for _, placed_loop in inner[: found + 1]:
            box[placed_loop.loop.dim] = box.get(placed_loop.loop.dim, 1) * placed_loop.loop.bound
    target_box = dict(box)
    target_dim = None if found is None else inner[found][1].loop.dim
    above = [] if found is None else inner[found + 1 :]
    relevant: list[PlacedLoop] = [] if found is None or scalar else [inner[found][1]]
    spatial_target = found is not None and inner[found][1].loop.spatial
    upper_found = not spatial_target
    for where, placed_loop in above:
        if where > level:
            break
        loop = placed_loop.loop
        widen = loop.spatial or (
            not upper_found and child != -1 and loop.dim not in RELEVANT[target]
        )
        if widen:
            box[loop.dim] = box.get(loop.dim, 1) * loop.bound
            relevant.append(placed_loop)
        if spatial_target and not loop.spatial and (child == -1 or loop.dim in RELEVANT[target]):
            upper_found = True
    tiles = {}
    for condition in optimization.condition_on:
        tiles[condition] = _condition_extent(
            analysis,
            target,
            condition,
            (box, target_box, target_dim),
            relevant,
            block,
            spatial_target,
        )
    return tiles


def _condition_extent(analysis, target, condition, boxes, relevant, block, spatial):
    """Sparseloop's molds: the co-iterated loops' factors taken out, one block at a time."""
    box, target_box, target_dim = boxes
    shared = RELEVANT[target] & RELEVANT[condition]
    factors: dict[Dim, int] = {}
    seen_shared = False
    for placed_loop in relevant:
        dim = placed_loop.loop.dim
        if spatial and seen_shared and dim in RELEVANT[condition]:
            return None  # Sparseloop: not a concordant condition, no saving
        if dim in shared:
            factors[dim] = factors.get(dim, 1) * placed_loop.loop.bound
            seen_shared = True
    cond_box, t_box = dict(box), dict(target_box)
    granularity = extent(analysis, target, t_box)
    aggregated = prod(factors.values())
    scaling = ceil(block / (granularity / aggregated))
    for dim, factor in factors.items():
        effective = factor / scaling
        t_box[dim] = ceil(t_box.get(dim, 1) / effective)
        cond_box[dim] = ceil(cond_box.get(dim, 1) / effective)
        scaling = scaling / factor
    if scaling > 1 and target_dim is not None:
        cond_box[target_dim] = int(cond_box.get(target_dim, 1) * scaling)
    return extent(analysis, condition, cond_box)


def probability(analysis, spec, names, optimization: Optimization, level: int, block: int):
    tiles = condition_tile(analysis, names, optimization, level, block)
    effectual = 1.0
    for condition, tile in tiles.items():
        if tile is None:
            continue
        effectual *= 1.0 - spec.densities.get(condition, DENSE).occupancy_probability(tile, 0)
    return 1.0 - effectual
