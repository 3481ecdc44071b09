"""Price the compressed weights' DRAM traffic with the architecture's energy table, as accelsim
prices every access: the DRAM level's read energy per bit (its own override, else the table's)."""

from __future__ import annotations

from accelsim.arch.model import Arch, LevelKind
from accelsim.compress.workflow import CompressionReport
from accelsim.energy.pricing import level_energy_per_bit
from accelsim.energy.table import EnergyTable
from accelsim.errors import ConfigError, Problem


def dram_read_energy_per_bit(arch: Arch, table: EnergyTable) -> float:
    """Read energy of one bit at ``arch``'s DRAM level, in the table's unit. Raises ConfigError
    if the architecture has no DRAM level."""
    for level in arch.levels:
        if level.kind is LevelKind.DRAM:
            return level_energy_per_bit(level, table)[0]
    raise ConfigError(Problem(arch.source or arch.name, "levels", "a DRAM level", show_got=False))


def priced(report: CompressionReport, arch: Arch, table: EnergyTable) -> CompressionReport:
    """``report`` with its DRAM weight energy priced on ``arch`` with ``table``."""
    return report.priced(dram_read_energy_per_bit(arch, table), table.unit)
