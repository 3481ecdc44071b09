"""Frozen result records: raw counts with their units in their names; derived figures are
properties so they cannot go stale; pandas only at the edge (``to_frame``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accelsim.analysis.counts import Traffic
from accelsim.energy.pricing import CATEGORIES, EnergyItem
from accelsim.types import DATA_TYPES

if TYPE_CHECKING:  # pandas is imported by to_frame only: `import accelsim` stays light
    import pandas as pd


@dataclass(frozen=True)
class LayerResult:
    """One layer under one dataflow. Energies are in ``energy_unit`` (pJ, or MAC-normalized)."""

    layer: str
    dataflow: str
    arch: str
    energy_table: str
    energy_unit: str
    macs: int
    padded_macs: int
    used_pes: int
    total_pes: int
    peak_macs_per_pe: int  # MACs one PE's unit can issue per cycle at the layer's precision
    ideal_cycles: int  # temporal steps at the MAC unit's throughput, unlimited bandwidth
    cycles: int  # total cycles (the engine's when it ran, else the ideal)
    stall_cycles: int
    stalls_by_cause: tuple[tuple[str, int], ...]
    clock_mhz: float
    weight_bits: int
    input_bits: int
    traffic: tuple[Traffic, ...]
    energy_items: tuple[EnergyItem, ...]
    mapping: str  # the mapping as a loop-nest printout
    # a design that compresses, gates or skips zeros (docs/sparse.md): ``traffic`` and
    # ``energy_items`` are the actual ones; here what the same mapping costs dense, and the
    # formats' metadata moved (elements of the metadata's width)
    dense_energy_items: tuple[EnergyItem, ...] = ()
    dense_cycles: int | None = None
    metadata_traffic: tuple[Traffic, ...] = ()

    @property
    def dense_energy(self) -> float:
        """The energy without the savings on zeros (the energy itself for a dense design)."""
        if not self.dense_energy_items:
            return self.energy
        return sum(item.energy for item in self.dense_energy_items)

    @property
    def compute_cycles(self) -> int:
        return self.cycles - self.stall_cycles

    @property
    def seconds(self) -> float:
        return self.cycles / (self.clock_mhz * 1e6)

    @property
    def utilization(self) -> float:
        """Useful MACs over the MAC slots of the whole array (PEs x the unit's peak MACs per
        cycle at this precision) over all cycles."""
        slots = self.cycles * self.total_pes * self.peak_macs_per_pe
        return self.macs / slots if slots else 0.0

    @property
    def energy(self) -> float:
        return sum(item.energy for item in self.energy_items)

    @property
    def energy_per_mac(self) -> float:
        return self.energy / self.macs

    def energy_by(self, key: str) -> dict[str, float]:
        """Energy summed by ``category``, ``component``, ``data_type`` or ``action``."""
        sums: dict[str, float] = defaultdict(float)
        if key == "category":
            for category in CATEGORIES:
                sums[category] = 0.0
        if key == "data_type":
            for data_type in DATA_TYPES:
                sums[data_type.value] = 0.0
        for item in self.energy_items:
            value = getattr(item, key)
            if key == "data_type":
                value = "mac" if value is None else value.value
            sums[str(value)] += item.energy
        return dict(sums)

    def energy_by_level_and_type(self) -> dict[tuple[str, str], float]:
        sums: dict[tuple[str, str], float] = defaultdict(float)
        for item in self.energy_items:
            kind = "-" if item.data_type is None else item.data_type.value
            sums[(item.component, kind)] += item.energy
        return dict(sums)

    def row(self) -> dict[str, object]:
        """A flat dict: the identity, counts, cycles, and every energy breakdown as columns."""
        row: dict[str, object] = {
            "layer": self.layer,
            "dataflow": self.dataflow,
            "arch": self.arch,
            "energy_table": self.energy_table,
            "energy_unit": self.energy_unit,
            "weight_bits": self.weight_bits,
            "input_bits": self.input_bits,
            "macs": self.macs,
            "used_pes": self.used_pes,
            "cycles": self.cycles,
            "ideal_cycles": self.ideal_cycles,
            "stall_cycles": self.stall_cycles,
            "seconds": self.seconds,
            "utilization": self.utilization,
            "energy": self.energy,
            "energy_per_mac": self.energy_per_mac,
        }
        for category, value in self.energy_by("category").items():
            row[f"energy_{category}"] = value
        for data_type, value in self.energy_by("data_type").items():
            row[f"energy_{data_type}"] = value
        for (component, kind), value in self.energy_by_level_and_type().items():
            # The MAC unit's own energy has no data type: "compute", not a "-" in a column name.
            row[f"energy_{component}_{'compute' if kind == '-' else kind}"] = value
        for item in self.traffic:
            prefix = f"{item.level}_{item.data_type.value}"
            row[f"{prefix}_reads"] = item.reads
            row[f"{prefix}_fills"] = item.fills
            row[f"{prefix}_updates"] = item.updates
        for cause, cycles in self.stalls_by_cause:
            row[f"stall_cycles_{cause}"] = cycles
        if self.dense_energy_items:
            row["dense_energy"] = self.dense_energy
            row["dense_cycles"] = self.dense_cycles
        for item in self.metadata_traffic:
            key = f"{item.level}_{item.data_type.value}_metadata_bits"
            row[key] = int(row.get(key) or 0) + item.read_bits + item.write_bits  # type: ignore[call-overload]
        return row

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([self.row()])


@dataclass(frozen=True)
class NetworkResult:
    """A whole network under one dataflow: its layers' results in order."""

    network: str
    dataflow: str
    batch: int
    layers: tuple[LayerResult, ...]

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def cycles(self) -> int:
        return sum(layer.cycles for layer in self.layers)

    @property
    def stall_cycles(self) -> int:
        return sum(layer.stall_cycles for layer in self.layers)

    @property
    def seconds(self) -> float:
        return sum(layer.seconds for layer in self.layers)

    @property
    def energy(self) -> float:
        return sum(layer.energy for layer in self.layers)

    @property
    def utilization(self) -> float:
        """Useful MACs over the MAC slots of the array over all the network's cycles."""
        slots = sum(
            layer.cycles * layer.total_pes * layer.peak_macs_per_pe for layer in self.layers
        )
        return self.macs / slots if slots else 0.0

    @property
    def energy_per_mac(self) -> float:
        return self.energy / self.macs

    @property
    def dense_energy(self) -> float:
        return sum(layer.dense_energy for layer in self.layers)

    @property
    def dense_cycles(self) -> int:
        return sum(
            layer.cycles if layer.dense_cycles is None else layer.dense_cycles
            for layer in self.layers
        )

    @property
    def sparse(self) -> bool:
        """Whether any layer saved work on zeros (its dense figures differ)."""
        return any(layer.dense_energy_items for layer in self.layers)

    def energy_by(self, key: str) -> dict[str, float]:
        sums: dict[str, float] = defaultdict(float)
        for layer in self.layers:
            for name, value in layer.energy_by(key).items():
                sums[name] += value
        return dict(sums)

    def to_frame(self) -> pd.DataFrame:
        """One row per layer, with the network name and batch as columns."""
        import pandas as pd

        frame = pd.DataFrame([layer.row() for layer in self.layers]).fillna(0)
        frame.insert(0, "network", self.network)
        frame.insert(1, "batch", self.batch)
        return frame

    def summary(self) -> dict[str, object]:
        """The network's totals: the columns ``accelsim run`` prints, with the architecture, the
        energy table and the precision used (None where the layers differ)."""
        first = self.layers[0] if self.layers else None
        row: dict[str, object] = {
            "network": self.network,
            "dataflow": self.dataflow,
            "batch": self.batch,
            "arch": first.arch if first else "",
            "energy_table": first.energy_table if first else "",
            "weight_bits": _common(layer.weight_bits for layer in self.layers),
            "input_bits": _common(layer.input_bits for layer in self.layers),
            "layers": len(self.layers),
            "macs": self.macs,
            "cycles": self.cycles,
            "stall_cycles": self.stall_cycles,
            "utilization": self.utilization,
            "seconds": self.seconds,
            "energy": self.energy,
            "energy_per_mac": self.energy_per_mac,
            "energy_unit": first.energy_unit if first else "",
        }
        for category, value in self.energy_by("category").items():
            row[f"energy_{category}"] = value
        return row


def _common(values: Iterable[int]) -> int | None:
    """The one value all of ``values`` share, or None when they differ (or there are none)."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None
