"""Energy tables (data files in this folder) and their lookup."""

from accelsim.energy.table import (
    EnergyTable,
    KindEnergy,
    MacEnergy,
    builtin_tables,
    load_energy_table,
)

__all__ = ["EnergyTable", "KindEnergy", "MacEnergy", "builtin_tables", "load_energy_table"]
