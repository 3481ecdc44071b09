"""Hardware-aware mixed precision: per-layer cost tables over (weight, activation) bit pairs,
their export for search tools (HAQ, HAWQ-V3) and loading back, a bit-allocation search and sanity
checks.

    from accelsim.precision import cost_table, load_table
    from accelsim.precision.search import search
    table = cost_table("bitfusion", "mobilenet_v2", batch=16, dataflow="ws")
    choice = search(table, budget=0.5 * table.array("cycles")[:, -1, -1].sum())
    same = load_table("reports/mobilenet_v2.csv")  # a table written by accelsim cost-table

See docs/precision.md.
"""

from accelsim.precision.evaluate import clear_cache
from accelsim.precision.load import load_table
from accelsim.precision.table import ARRAYS, CostTable, Remap, Unsupported, cost_table

__all__ = [
    "ARRAYS",
    "CostTable",
    "Remap",
    "Unsupported",
    "clear_cache",
    "cost_table",
    "load_table",
]
