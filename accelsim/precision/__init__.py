"""Hardware-aware mixed precision: per-layer cost tables over (weight, activation) bit pairs,
their export for search tools (HAQ, HAWQ-V3), a bit-allocation search and sanity checks.

    from accelsim.precision import cost_table, search
    table = cost_table("bitfusion", "mobilenet_v2", batch=16, dataflow="ws")
    choice = search(table, budget=0.5 * table.array("cycles")[:, -1, -1].sum())

See docs/precision.md.
"""

from accelsim.precision.evaluate import clear_cache
from accelsim.precision.table import ARRAYS, CostTable, Remap, Unsupported, cost_table

__all__ = ["ARRAYS", "CostTable", "Remap", "Unsupported", "clear_cache", "cost_table"]
