"""The stats files: ``stats.json`` in the schema of issue #12 and a Timeloop-style text summary.

``stats.json``::

    {"cycles": int, "energy_uj": float, "computes": int,
     "levels": [{"name": str, "instances": int,
                 "dataspaces": {name: {"reads": int, "fills": int, "updates": int,
                                       "link_transfers": int}}}]}

Counts are per instance, levels innermost first. ``link_transfers`` are the elements this level's
children took from a mesh neighbour instead of from it (Timeloop's "Link transfers" of the
network below; the children's reads include them).

With densities or ``sparse_optimizations`` (Sparseloop), each data space's reads, fills and
updates are the actual counts, with ``"algorithmic"``, ``"gated"`` and ``"skipped"`` objects of
the same three keys beside them; ``computes`` is the actual computes and a top-level
``"algorithmic_computes"`` the dense ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from accelsim.atomic import write_text
from accelsim.timeloop.model import TimeloopResult


def stats_dict(result: TimeloopResult) -> dict[str, Any]:
    energy = result.energy_pj
    found: dict[str, Any] = {
        "cycles": result.cycles,
        "energy_uj": None if energy is None else energy / 1e6,
        "computes": result.computes,
    }
    if result.algorithmic_computes is not None:
        found["algorithmic_computes"] = result.algorithmic_computes
    found["levels"] = [
        {
            "name": level.name,
            "instances": level.instances,
            "dataspaces": {
                space: {
                    **counts,
                    **level.sparse.get(space, {}),
                    "link_transfers": level.link_transfers.get(space, 0),
                }
                for space, counts in level.dataspaces.items()
            },
        }
        for level in result.levels
    ]
    return found


def summary_text(result: TimeloopResult) -> str:
    """Per level and data space: instances and per-instance reads, fills, updates; then totals."""
    header = ("level", "dataspace", "inst", "reads", "fills", "updates", "energy uJ")
    lines = ["{:<28} {:<10} {:>6} {:>14} {:>12} {:>12} {:>11}".format(*header)]
    for level in result.levels:
        energy = "-" if level.energy_pj is None else f"{level.energy_pj / 1e6:.4f}"
        if not level.dataspaces:
            lines.append(f"{level.name:<28} {'-':<10} {level.instances:>6}")
        for i, (space, counts) in enumerate(level.dataspaces.items()):
            shown = energy if i == 0 else ""
            lines.append(
                f"{level.name:<28} {space:<10} {level.instances:>6} {counts['reads']:>14,} "
                f"{counts['fills']:>12,} {counts['updates']:>12,} {shown:>11}"
            )
    for level in result.levels:
        for space, count in level.link_transfers.items():
            lines.append(f"Link transfers below {level.name}, {space}: {count:,} per instance")
    total = result.energy_pj
    if result.algorithmic_computes is not None:
        lines.append(f"Algorithmic computes: {result.algorithmic_computes:,}")
        for level in result.levels:
            for space, kinds in level.sparse.items():
                saved = {k: sum(kinds[k].values()) for k in ("gated", "skipped") if kinds[k]}
                saved = {k: v for k, v in saved.items() if v}
                if saved:
                    text = ", ".join(f"{k} {v:,}" for k, v in saved.items())
                    lines.append(f"{level.name} {space}: {text} accesses per instance")
    lines.append(f"Computes: {result.computes:,}")
    lines.append(f"Cycles: {result.cycles:,} (compute steps {result.compute_cycles:,})")
    if result.engine_cycles is not None:
        lines.append(f"Cycles (engine): {result.engine_cycles:,}")
    lines.append("Energy: -" if total is None else f"Energy: {total / 1e6:.4f} uJ")
    return "\n".join(lines) + "\n"


def write_stats(result: TimeloopResult, directory: Path) -> Path:
    """Write DIR/stats.json and DIR/stats.txt atomically; returns the JSON's path."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(stats_dict(result), indent=1) + "\n"
    path = write_text(directory / "stats.json", text)
    write_text(directory / "stats.txt", summary_text(result))
    return path
