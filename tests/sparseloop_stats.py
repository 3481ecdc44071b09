"""Read the numbers the sparse tests compare against out of Sparseloop's ``*.stats.txt`` (Timeloop
with sparse modelling): per storage level and data space the per-instance algorithmic, actual,
gated and skipped scalar reads, fills and updates and the energy; the compute level's algorithmic,
actual, gated and skipped computes and energy; the summary's cycles. Stored verbatim under
tests/data/sparseloop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from timeloop_stats import _DATASPACE, level_lines

_COUNT = re.compile(
    r"^\s+(Algorithmic|Actual|Gated|Skipped) scalar (reads|fills|updates) \(per-instance\)"
    r"\s+: (\d+)$"
)
_COMPUTES = re.compile(r"^\s+(Algorithmic|Actual|Gated|Skipped) Computes \(total\)\s+: (\d+)$")
_FORMAT = re.compile(
    r"^\s+(Actual|Gated|Skipped) scalar format (reads|fills|updates) \(per-instance\)\s*$"
)
_RANK = re.compile(r"^\s+Rank (\d+) \(metadata, payload\): \((\d+),\s+(\d+)\)$")
_ENERGY = re.compile(r"^\s+Energy \(total\)\s+: ([\d.e+]+) pJ$")


@dataclass
class SparseLevel:
    name: str
    instances: int = 0
    # data space -> kind (algorithmic/actual/gated/skipped) -> count (reads/fills/updates)
    counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    energy_pj: float = 0.0
    computes: dict[str, int] = field(default_factory=dict)  # the compute level only
    # data space -> (kind, count) -> {rank: (metadata, payload)}, e.g. ("actual", "reads")
    formats: dict[str, dict[tuple[str, str], dict[int, tuple[int, int]]]] = field(
        default_factory=dict
    )


@dataclass
class SparseStats:
    levels: dict[str, SparseLevel]
    cycles: int

    @property
    def energy_pj(self) -> float:
        return sum(level.energy_pj for level in self.levels.values())


def read_sparse_stats(path: Path) -> SparseStats:
    text = path.read_text()
    levels: dict[str, SparseLevel] = {}
    kind: tuple[str, str] | None = None
    for name, instances, space, line in level_lines(text):
        current = levels.setdefault(name, SparseLevel(name))
        current.instances = instances
        if space is not None and _DATASPACE.match(line):
            kind = None
            current.counts[space] = {}
        elif (match := _FORMAT.match(line)) and space is not None:
            kind = (match.group(1).lower(), match.group(2))
            current.formats.setdefault(space, {})[kind] = {}
        elif (match := _RANK.match(line)) and space is not None and kind is not None:
            rank = (int(match.group(2)), int(match.group(3)))
            current.formats[space][kind][int(match.group(1))] = rank
        elif (match := _COUNT.match(line)) and space is not None:
            current.counts[space].setdefault(match.group(1).lower(), {})[match.group(2)] = int(
                match.group(3)
            )
        elif match := _COMPUTES.match(line):
            current.computes[match.group(1).lower()] = int(match.group(2))
        elif (match := _ENERGY.match(line)) and (space is not None or not current.counts):
            current.energy_pj += float(match.group(1))
    summary = text.split("Summary Stats")[-1]
    cycles = re.search(r"^Cycles: (\d+)$", summary, re.M)
    assert cycles, f"{path}: no summary"
    return SparseStats(levels, int(cycles.group(1)))
