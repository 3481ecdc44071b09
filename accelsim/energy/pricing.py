"""Energy = counts x energy table. Pure: the same analysis priced with another table gives another
energy without re-running anything.

Components and their categories (the Eyeriss ISCA 2016 breakdown): the MAC unit (``ALU``), DRAM
(``DRAM``), shared on-chip buffers (``buffer``), the array network between the shared levels and
the PEs (``array``), per-PE register files (``RF``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from accelsim.analysis.counts import Analysis, Traffic
from accelsim.arch.model import Arch, Level, LevelKind
from accelsim.energy.table import EnergyTable
from accelsim.mac import make_mac_unit
from accelsim.types import DataType
from accelsim.workload.layer import Layer

CATEGORY = {
    LevelKind.DRAM: "DRAM",
    LevelKind.SRAM: "buffer",
    LevelKind.REGFILE: "RF",
}
CATEGORIES = ("ALU", "RF", "array", "buffer", "DRAM")


@dataclass(frozen=True)
class EnergyItem:
    """Energy of one action on one component for one data type, in the table's unit."""

    component: str  # "mac", a level name, or "network"
    category: str  # one of CATEGORIES
    data_type: DataType | None  # None for the MAC unit
    action: str  # "compute", "setup", "read", "write", "transfer", "metadata_read/_write"
    energy: float


def price(analysis: Analysis, arch: Arch, table: EnergyTable) -> tuple[EnergyItem, ...]:
    """Every energy item of one analysed layer. Zero-valued items are kept, so breakdowns always
    show every component."""
    items = [EnergyItem("mac", "ALU", None, "compute", mac_energy(analysis, arch, table))]
    setup = arch.mac_unit.setup_energy_pj()
    if setup:  # e.g. a LUT unit loading its product table, once per layer in each used PE
        scaled = setup * _table_scale(table)
        items.append(EnergyItem("mac", "ALU", None, "setup", analysis.used_pes * scaled))
    for traffic in analysis.traffic:
        level = arch.level(traffic.level)
        read_pj, write_pj = level_energy_per_bit(level, table)
        category = CATEGORY[level.kind]
        items.append(
            EnergyItem(level.name, category, traffic.data_type, "read", traffic.read_bits * read_pj)
        )
        items.append(
            EnergyItem(
                level.name, category, traffic.data_type, "write", traffic.write_bits * write_pj
            )
        )
    if analysis.register_bits:
        register_pj = _register_energy_per_bit(arch, table)
        items.append(
            EnergyItem("pe registers", "RF", None, "read", analysis.register_bits * register_pj)
        )
    network_pj = arch.network.energy_pj_per_bit
    if network_pj is None:
        network_pj = table.kind("network").per_bit(None)
    for link in analysis.links:
        items.append(
            EnergyItem("network", "array", link.data_type, "transfer", link.bits * network_pj)
        )
    return tuple(items)


def mac_energy(analysis: Analysis, arch: Arch, table: EnergyTable) -> float:
    """Energy of all MACs of the layer (gated MACs on zero inputs at their own energy).

    With a ``mac`` entry in the table, the unit's 45 nm model only scales the table's value from
    its reference precision to the layer's (so a normalized table stays normalized); otherwise the
    unit's absolute energy is used.
    """
    return analysis.macs * mac_energy_per_mac(analysis.layer, arch, table)


def mac_energy_per_mac(layer: Layer, arch: Arch, table: EnergyTable) -> float:
    """Mean energy of one of ``layer``'s MACs on ``arch``'s unit, in the table's unit."""
    per_mac = arch.mac_unit.average_energy_per_mac_pj(
        layer.weight_bits,
        layer.input_bits,
        input_density=layer.input_density,
        weight_density=layer.weight_density,
    )
    return per_mac * _table_scale(table)


def _table_scale(table: EnergyTable) -> float:
    """The factor from the MAC units' 45 nm pJ to the table's unit: 1 without a ``mac`` entry;
    with one, the table's MAC energy over the 45 nm model's at the entry's reference precision
    (so a normalized table stays normalized)."""
    if table.mac is None:
        return 1.0
    return table.mac.per_mac / _reference_mac_pj(table.mac.reference_bits)


@lru_cache(maxsize=64)
def _reference_mac_pj(bits: int) -> float:
    """Energy of a ``bits`` x ``bits`` integer MAC in the MAC units' 45 nm model: the reference
    a table's ``mac`` entry is given at."""
    spec = {"type": "int", "weight_bits": bits, "input_bits": bits}
    return make_mac_unit(spec, source="energy table").energy_per_mac_pj(bits, bits)


def _register_energy_per_bit(arch: Arch, table: EnergyTable) -> float:
    """Read energy per bit of the innermost per-PE level, else of the table's register file."""
    registers = [level for level in arch.levels if level.per_pe]
    if registers:
        return level_energy_per_bit(registers[-1], table)[0]
    return table.kind("regfile").per_bit(None)


def level_energy_per_bit(level: Level, table: EnergyTable) -> tuple[float, float]:
    """(read, write) energy per bit of ``level``: its own override, else the table's."""
    if level.energy is not None:
        return level.energy.read_pj / level.word_bits, level.energy.write_pj / level.word_bits
    per_bit = table.kind(level.kind.value).per_bit(level.capacity_bits)
    return per_bit, per_bit


def price_metadata(metadata: tuple[Traffic, ...], arch: Arch, table: EnergyTable):
    """Energy of the sparse formats' metadata (accelsim.analysis.sparse.metadata_traffic): its
    bits at the level's per-bit read and write energy, as ``metadata_read`` / ``metadata_write``
    items."""
    items = []
    for traffic in metadata:
        level = arch.level(traffic.level)
        read_pj, write_pj = level_energy_per_bit(level, table)
        category = CATEGORY[level.kind]
        for action, energy in (
            ("metadata_read", traffic.read_bits * read_pj),
            ("metadata_write", traffic.write_bits * write_pj),
        ):
            items.append(EnergyItem(level.name, category, traffic.data_type, action, energy))
    return tuple(items)
