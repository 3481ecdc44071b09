"""Read the numbers the tests compare against out of Timeloop's own ``*.stats.txt`` output.

Only what the tests need: per level (named as in the architecture) its instances and, per data
space, the per-instance scalar reads, fills and updates and the dynamic energy; and the summary's
cycles, computes and total energy. The files are stored verbatim under tests/data/timeloop.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

_LEVEL = re.compile(r"^=== (.+) ===$")
_COUNT = re.compile(r"^\s+Scalar (reads|fills|updates) \(per-instance\)\s+: (\d+)$")
_DATASPACE = re.compile(r"^    ([A-Za-z_][A-Za-z0-9_]*):$")


@dataclass
class StatsLevel:
    name: str
    instances: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    energy_pj: float = 0.0  # dynamic: the data spaces' (or the MACs') "Energy (total)"
    leakage_pj: float = 0.0


@dataclass
class Stats:
    levels: dict[str, StatsLevel]
    cycles: int
    computes: int
    energy_uj: float  # the summary's total as printed (2 decimals; leakage included if any)

    @property
    def dynamic_energy_pj(self) -> float:
        return sum(level.energy_pj for level in self.levels.values())


def level_lines(text: str) -> Iterator[tuple[str, int, str | None, str]]:
    """Each line of the per-level part of a stats file (before "Networks") under a level header:
    the level's name, its instances (0 until its "Instances" line), the data space the line is
    under (None before the first) and the line. Both stats readers walk the file with it."""
    level: str | None = None
    instances = 0
    space: str | None = None
    for line in text.split("\nNetworks\n")[0].splitlines():
        if match := _LEVEL.match(line):
            level, instances, space = match.group(1), 0, None
        elif level is None:
            continue
        elif match := re.match(r"^\s+Instances\s+: (\d+)", line):
            instances = int(match.group(1))
        elif match := _DATASPACE.match(line):
            space = match.group(1)
        yield level, instances, space, line


def read_stats(path: Path) -> Stats:
    text = path.read_text()
    levels: dict[str, StatsLevel] = {}
    for name, instances, space, line in level_lines(text):
        current = levels.setdefault(name, StatsLevel(name))
        current.instances = instances
        if space is not None and _DATASPACE.match(line):
            current.counts[space] = {}
        elif (match := _COUNT.match(line)) and space is not None:
            current.counts[space][match.group(1)] = int(match.group(2))
        elif match := re.match(r"^\s+Energy \(total\)\s+: ([\d.e+]+) pJ$", line):
            if space is not None or not current.counts:
                current.energy_pj += float(match.group(1))
        elif match := re.match(r"^\s+Leakage energy \(total\)\s+: ([\d.e+]+) pJ$", line):
            current.leakage_pj = float(match.group(1))
    summary = text.split("Summary Stats")[-1]
    computes = re.search(r"^(?:Computes|MACCs) = (\d+)$", summary, re.M)
    cycles = re.search(r"^Cycles: (\d+)$", summary, re.M)
    energy = re.search(r"^Energy: ([\d.]+) uJ$", summary, re.M)
    assert computes and cycles and energy, f"{path}: no summary"
    return Stats(levels, int(cycles.group(1)), int(computes.group(1)), float(energy.group(1)))


def read_link_transfers(path: Path) -> dict[tuple[str, str], int]:
    """The non-zero "Link transfers" of the Networks section: {(network's inner level, data
    space): count}, the count per instance of the level above the network."""
    networks = path.read_text().split("\nNetworks\n")[1]
    found: dict[tuple[str, str], int] = {}
    inner: str | None = None
    space: str | None = None
    for line in networks.splitlines():
        if match := re.match(r"^(\S+) <==> (\S+)$", line):
            inner, space = match.group(2), None
        elif match := _DATASPACE.match(line):
            space = match.group(1)
        elif match := re.match(r"^\s+Link transfers\s+: (\d+)$", line):
            assert inner is not None and space is not None, f"{path}: {line}"
            if int(match.group(1)):
                found[inner, space] = int(match.group(1))
    return found
