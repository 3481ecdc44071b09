"""Energy: the storage and network energy tables (:mod:`~accelsim.energy.table`, data files in
this folder), the 45 nm component figures the MAC units are priced from
(:mod:`~accelsim.energy.components`, ``mac/components_45nm.yaml``), and the pricing of counts
(:mod:`~accelsim.energy.pricing`: energy = counts x table). The tables are inputs, read with the
architecture; pricing sits above the analysis (see docs/design.md), so it is not imported here.
"""

from accelsim.energy.table import (
    EnergyTable,
    KindEnergy,
    MacEnergy,
    builtin_tables,
    load_energy_table,
)

__all__ = ["EnergyTable", "KindEnergy", "MacEnergy", "builtin_tables", "load_energy_table"]
