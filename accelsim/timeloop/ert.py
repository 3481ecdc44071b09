"""Accelergy's energy reference table (ERT): the energy of each action of each component, and
the pricing of the counts Timeloop's way.

A storage level's scalar accesses travel in vectors of ``block_size`` words, so each kind of
access costs (scalars / block_size) x the energy of its action. The action is looked up in the
ERT by Timeloop's priority lists (include/model/topology.hpp of NVlabs/timeloop): a read is
``random_read`` or ``read``; a fill ``random_fill``, ``random_write``, ``fill`` or ``write``; an
update ``random_update``, ``random_write``, ``update`` or ``write``; a compute ``mac_random``,
``mult_random``, ``mac``, ``mult`` or ``compute``. Gated and skipped actions (sparsity) have their
own lists here for later use. Where an ERT gives one action several times (v0.3 tables with
argument variants), the largest energy is taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accelsim.errors import ConfigError, Problems

ACTIONS: dict[str, tuple[str, ...]] = {
    "read": ("random_read", "read"),
    "fill": ("random_fill", "random_write", "fill", "write"),
    "update": ("random_update", "random_write", "update", "write"),
    "compute": ("mac_random", "mult_random", "mac", "mult", "compute"),
    "gated_read": ("gated_read",),
    "skipped_read": ("skipped_read", "gated_read"),
    "gated_fill": ("gated_fill", "gated_write"),
    "skipped_fill": ("skipped_fill", "skipped_write", "gated_fill", "gated_write"),
    "gated_update": ("gated_update", "gated_write"),
    "skipped_update": ("skipped_update", "skipped_write", "gated_update", "gated_write"),
    "gated_compute": ("mac_gated", "mult_gated", "compute_gated", "mac", "mult", "compute"),
}
_RANGE = re.compile(r"\[\d+\.\.\d+\]$")


@dataclass(frozen=True)
class Ert:
    """Per component (its name in the architecture, without instance range): action -> pJ."""

    components: dict[str, dict[str, float]]
    source: str

    def energy(self, component: str, action: str) -> float:
        """pJ of one ``action`` (a key of ACTIONS) of ``component``. Raises ConfigError naming
        the ERT, the component and the ERT actions that would have served."""
        table = self.components.get(component)
        if table is None:
            raise ConfigError(
                f"{self.source}: ERT.tables: expected an entry for component {component} "
                f"(its counts need pricing), got none (components: {', '.join(self.components)})"
            )
        for name in ACTIONS[action]:
            if name in table:
                return table[name]
        raise ConfigError(
            f"{self.source}: ERT.tables[{component}].actions: expected one of "
            f"{', '.join(ACTIONS[action])} (to price its {action}s), got {sorted(table)}"
        )


def read_ert(raw: Any, source: str) -> Ert:
    """Read the value of an ``ERT`` key (v0.3 or v0.4). Raises ConfigError listing problems."""
    found = Problems(source)
    tables = raw.get("tables") if isinstance(raw, dict) else None
    if not isinstance(tables, list):
        found.add("ERT.tables", "a list of {name, actions}", tables)
        found.raise_if_any()
    assert isinstance(tables, list)  # checked just above
    components: dict[str, dict[str, float]] = {}
    for i, entry in enumerate(tables):
        where = f"ERT.tables[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("actions"), list):
            found.add(where, "a component with a name and a list of actions", entry)
            continue
        name = _RANGE.sub("", str(entry.get("name", ""))).split(".")[-1]
        actions = components.setdefault(name, {})
        for j, action in enumerate(entry["actions"]):
            energy = action.get("energy") if isinstance(action, dict) else None
            if not isinstance(energy, (int, float)) or isinstance(energy, bool):
                found.add(f"{where}.actions[{j}].energy", "a number of pJ", energy)
                continue
            key = str(action.get("name"))
            actions[key] = max(float(energy), actions.get(key, float("-inf")))
    found.raise_if_any()
    return Ert(components, source)
