"""What a design does about zeros: densities per data type, formats per level and data type,
and gating or skipping per level (and at the compute), conditioned on data types.

* Gating: the access keeps its slot (time) and costs the gated action (often idle); what it
  would have fed below (lower levels' accesses, the computes) is not done.
* Skipping: the access and its time disappear.

An optimization at a level targets one data type and is conditioned on one or more others
(Sparseloop's ``action_optimization``: ``{type: gating|skipping, target: Weights,
condition_on: [Inputs]}``): the target's access is saved when the condition's tile (the part of
each conditioning tensor the access pairs with) is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from accelsim.sparse.density import DensityModel
from accelsim.sparse.formats import Format
from accelsim.types import DataType


class Action(str, Enum):
    GATING = "gating"
    SKIPPING = "skipping"


@dataclass(frozen=True)
class Optimization:
    """Gate or skip ``target``'s accesses at ``level`` when ``condition_on``'s tile is empty."""

    level: str
    action: Action
    target: DataType
    condition_on: tuple[DataType, ...]


@dataclass(frozen=True)
class SparseSpec:
    """Densities (data types not listed are dense), formats by (level, data type) and storage
    optimizations."""

    densities: dict[DataType, DensityModel] = field(default_factory=dict)
    formats: dict[tuple[str, DataType], Format] = field(default_factory=dict)
    optimizations: tuple[Optimization, ...] = ()
    # at the compute: gate (gating) or skip (skipping) a compute whose operands are zero or
    # missing (Sparseloop's compute_optimization); None: every compute that arrives is done
    compute: Action | None = None
