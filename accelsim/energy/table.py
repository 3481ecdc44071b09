"""Energy tables: data (YAML) that prices counts, never code.

A table gives, for each kind of component (``dram``, ``sram``, ``regfile``, ``network``), the energy
of one access of ``access_bits`` bits, either as one number or as points over the level's capacity
(interpolated log-log, extrapolated along the nearest segment). An optional ``mac`` entry gives the
energy of one MAC at ``reference_bits`` x ``reference_bits``; the MAC unit scales it to the layer's
precision. Without it the MAC unit's own absolute 45 nm energy is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from math import exp, log
from pathlib import Path
from typing import Any

from accelsim.config import (
    check_keys,
    expect_int,
    expect_number,
    int_in,
    number_in,
    read_yaml,
    resolve_builtin,
    text,
)
from accelsim.errors import Problems

TABLE_DIR = Path(__file__).parent
KINDS = ("dram", "sram", "regfile", "network")


@dataclass(frozen=True)
class KindEnergy:
    """Energy of one access of ``access_bits`` bits, as (capacity in bytes, pJ) points."""

    access_bits: int
    points: tuple[tuple[float, float], ...]

    def per_bit(self, capacity_bits: int | None) -> float:
        """Energy per bit accessed for a component of ``capacity_bits`` (``None``: unbounded)."""
        return _interpolate(self.points, capacity_bits) / self.access_bits


@dataclass(frozen=True)
class MacEnergy:
    per_mac: float
    reference_bits: int


@dataclass(frozen=True)
class EnergyTable:
    name: str
    unit: str
    source: str
    kinds: tuple[tuple[str, KindEnergy], ...]
    mac: MacEnergy | None = None

    def kind(self, kind: str) -> KindEnergy:
        return dict(self.kinds)[kind]


def builtin_tables() -> list[str]:
    return sorted(path.stem for path in TABLE_DIR.glob("*.yaml"))


def load_energy_table(path_or_name: str | Path) -> EnergyTable:
    """A built-in table (``eyeriss_normalized``, ``timeloop45``, ``horowitz45``) or a file."""
    path = resolve_builtin(path_or_name, "", "energy table", builtin_tables(), folder=TABLE_DIR)
    return _table_from_dict(read_yaml(path), str(path))


def _interpolate(points: tuple[tuple[float, float], ...], capacity_bits: int | None) -> float:
    if len(points) == 1 or capacity_bits is None or capacity_bits <= 0:
        return points[-1][1] if capacity_bits is None else points[0][1]
    size = capacity_bits / 8
    segment = 0
    while segment < len(points) - 2 and size > points[segment + 1][0]:
        segment += 1
    (x0, y0), (x1, y1) = points[segment], points[segment + 1]
    slope = (log(y1) - log(y0)) / (log(x1) - log(x0))
    return exp(log(y0) + slope * (log(size) - log(x0)))


def _table_from_dict(raw: dict[str, Any], source: str) -> EnergyTable:
    found = Problems(source)
    check_keys(found, "", raw, ["name", "unit", "source", "mac", *KINDS], required=KINDS)
    kinds = tuple((kind, _kind(found, kind, raw.get(kind))) for kind in KINDS)
    for key in ("name", "unit", "source"):
        text(found, key, raw.get(key, ""))
    mac = _mac(found, raw.get("mac"))
    found.raise_if_any()
    return EnergyTable(
        name=str(raw.get("name", Path(source).stem)),
        unit=str(raw.get("unit", "pJ")),
        source=str(raw.get("source", "")),
        kinds=kinds,
        mac=mac,
    )


def _point_ok(point: Any) -> bool:
    return (
        isinstance(point, list)
        and len(point) == 2
        and number_in(point[0], "capacity_bytes")
        and number_in(point[1], "energy")
        and point[1] > 0
    )


def _kind(found: Problems, path: str, raw: Any) -> KindEnergy:
    fallback = KindEnergy(1, ((1.0, 0.0),))
    if not isinstance(raw, dict):
        if raw is not None:
            found.add(path, "a mapping {access_bits, per_access} or {access_bits, points}", raw)
        return fallback
    check_keys(found, path, raw, ["access_bits", "per_access", "points"], required=["access_bits"])
    bits = raw.get("access_bits", 1)
    if not int_in(bits, "word_bits"):
        found.add(f"{path}.access_bits", expect_int("word_bits"), bits)
        return fallback
    if "per_access" in raw:
        if not number_in(raw["per_access"], "energy"):
            found.add(f"{path}.per_access", expect_number("energy"), raw["per_access"])
            return fallback
        return KindEnergy(bits, ((1.0, float(raw["per_access"])),))
    points = raw.get("points")
    if (
        not isinstance(points, list)
        or not points
        or not all(map(_point_ok, points))
        or any(a[0] >= b[0] for a, b in pairwise(points))
    ):
        found.add(
            f"{path}.points",
            "a list of [capacity_bytes, energy] with positive values and rising capacity",
            points,
        )
        return fallback
    return KindEnergy(bits, tuple((float(c), float(e)) for c, e in points))


def _mac(found: Problems, raw: Any) -> MacEnergy | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        found.add("mac", "a mapping {per_mac, reference_bits}", raw)
        return None
    check_keys(found, "mac", raw, ["per_mac", "reference_bits"], required=["per_mac"])
    per_mac = raw.get("per_mac", 0.0)
    bits = raw.get("reference_bits", 8)
    if not number_in(per_mac, "energy"):
        found.add("mac.per_mac", expect_number("energy"), per_mac)
    if not int_in(bits, "bits"):
        found.add("mac.reference_bits", expect_int("bits"), bits)
    return MacEnergy(
        float(per_mac) if number_in(per_mac, "energy") else 0.0, bits if int_in(bits, "bits") else 8
    )
