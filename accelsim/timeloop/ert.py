"""Accelergy's energy reference table (ERT): the energy of each action of each component, and
the pricing of the counts Timeloop's way.

A storage level's scalar accesses travel in vectors of ``block_size`` words, so each kind of
access costs (scalars / block_size) x the energy of its action. The action is looked up in the
ERT by Timeloop's priority lists (include/model/topology.hpp of NVlabs/timeloop): a read is
``random_read`` or ``read``; a fill ``random_fill``, ``random_write``, ``fill`` or ``write``; an
update ``random_update``, ``random_write``, ``update`` or ``write`` (each falling back to
``access``, the only action of Accelergy's registers); a compute ``mac_random``,
``mult_random``, ``mac``, ``mult`` or ``compute``. Gated, skipped and metadata actions
(sparsity) follow Timeloop v3.0.3's lists; when the ERT has none of their names they cost 0.
Where an ERT gives one action several times (v0.3 tables with
argument variants), the largest energy is taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accelsim.errors import ConfigError, Problems

ACTIONS: dict[str, tuple[str, ...]] = {
    # "access" last: a register whose ERT gives only that action (Accelergy's reg class);
    # Timeloop prices an access it finds no action for at the component's largest energy
    "read": ("random_read", "read", "access"),
    "fill": ("random_fill", "random_write", "fill", "write", "access"),
    "update": ("random_update", "random_write", "update", "write", "access"),
    "compute": ("mac_random", "mult_random", "mac", "mult", "compute"),
    # sparse actions, Timeloop v3.0.3's fallbacks (include/model/topology.hpp); an action none of
    # whose names the ERT has costs 0 (Timeloop prices only the dense ones by default)
    "gated_read": ("gated_read", "idle", "read"),
    "gated_fill": ("gated_fill", "gated_write", "idle", "write"),
    "gated_update": ("gated_update", "gated_write", "idle", "write"),
    "skipped_read": ("skipped_read", "gated_read", "idle", "read"),
    "skipped_fill": ("skipped_fill", "skipped_write", "gated_write", "idle", "write"),
    "skipped_update": ("skipped_update", "skipped_write", "gated_write", "idle", "write"),
    "metadata_read": ("random_metadata_read", "metadata_read", "metadata_idle", "idle"),
    "metadata_fill": ("random_metadata_fill", "metadata_write", "metadata_idle", "idle"),
    "metadata_update": ("random_metadata_update", "metadata_write", "metadata_idle", "idle"),
    "gated_metadata_read": ("gated_metadata_read", "metadata_idle", "metadata_read"),
    "skipped_metadata_read": ("skipped_metadata_read", "metadata_idle", "metadata_read"),
    "gated_metadata_fill": (
        "gated_metadata_fill",
        "gated_metadata_write",
        "metadata_idle",
        "metadata_write",
    ),
    "skipped_metadata_fill": (
        "skipped_metadata_fill",
        "skipped_metadata_write",
        "metadata_idle",
        "metadata_write",
    ),
    "gated_metadata_update": (
        "gated_metadata_update",
        "gated_metadata_write",
        "metadata_idle",
        "metadata_write",
    ),
    "skipped_metadata_update": (
        "skipped_metadata_update",
        "skipped_metadata_write",
        "metadata_idle",
        "metadata_write",
    ),
    "gated_compute": ("mac_gated", "mult_gated", "compute_gated", "mac", "mult", "compute"),
    "skipped_compute": (
        "mac_skipped",
        "mult_skipped",
        "compute_skipped",
        "mac_gated",
        "mult_gated",
        "compute_gated",
        "mac",
        "mult",
        "compute",
    ),
}
_DENSE = ("read", "fill", "update", "compute")
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
        if action not in _DENSE:
            return 0.0
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
