"""A level's ``ports:`` in accelsim's architecture YAML (docs/arch_format.md, "Ports")::

    - name: buffer
      read_bandwidth_bits_per_cycle: 192
      ports:                                  # ports of their own for some data types
        - {name: filter_gin, type: read, data_types: [weights], bandwidth_bits_per_cycle: 64}
        - {name: psum_gon, type: write, data_types: [outputs], bandwidth_bits_per_cycle: 64}

Each port carries the reads (``read``), the writes (``write``) or both (``read_write``) of the
data types it lists; a data type and direction no port serves uses the level's own read or write
bandwidth, as without the key. One problem per wrong field, with its path.
"""

from __future__ import annotations

from typing import Any

from accelsim.arch.model import Port, PortType
from accelsim.config import check_keys, number, text
from accelsim.errors import Problems
from accelsim.types import DataType

PORT_KEYS = {
    "name": "the port's name, unique within the level",
    "type": "read, write or read_write",
    "data_types": "the data types it carries",
    "bandwidth_bits_per_cycle": "bits per cycle per instance",
}
# The names of a level's own ports (the engine's resources <level>.read and <level>.write).
RESERVED = ("read", "write")


def ports(found: Problems, path: str, raw: Any, keeps: frozenset[DataType]) -> tuple[Port, ...]:
    """The level's ports (``keeps``: the data types the level keeps, as read from its file)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        found.add(path, "a list of {name, type, data_types, bandwidth_bits_per_cycle}", raw)
        return ()
    built: list[Port] = []
    for index, item in enumerate(raw):
        port = _port(found, f"{path}[{index}]", item, keeps, built)
        if port is not None:
            built.append(port)
    return tuple(built)


def _port(
    found: Problems, path: str, raw: Any, keeps: frozenset[DataType], before: list[Port]
) -> Port | None:
    if not isinstance(raw, dict):
        found.add(path, "a mapping {name, type, data_types, bandwidth_bits_per_cycle}", raw)
        return None
    check_keys(found, path, raw, PORT_KEYS, required=tuple(PORT_KEYS))
    if any(key not in raw for key in PORT_KEYS):
        return None
    problems = len(found.items)
    name = text(found, f"{path}.name", raw["name"], empty_ok=False)
    if name in RESERVED or any(p.name == name for p in before):
        found.add(f"{path}.name", "a name other than read, write and the level's other ports", name)
    types = [t.value for t in PortType]
    if raw["type"] not in types:
        found.add(f"{path}.type", f"one of {', '.join(types)}", raw["type"])
    data_types = _data_types(found, f"{path}.data_types", raw["data_types"], keeps)
    key = "bandwidth_bits_per_cycle"
    bandwidth = number(found, f"{path}.{key}", raw[key], "bandwidth")
    if len(found.items) > problems:
        return None
    port = Port(name, PortType(raw["type"]), data_types, bandwidth)
    _check_overlap(found, f"{path}.data_types", port, before)
    return port


def _data_types(
    found: Problems, path: str, value: Any, keeps: frozenset[DataType]
) -> frozenset[DataType]:
    kept = [d.value for d in DataType if d in keeps]
    if (
        not isinstance(value, list)
        or not value
        or any(v not in kept for v in value)
        or len(set(value)) != len(value)
    ):
        found.add(path, f"a non-empty list of data types the level keeps ({kept})", value)
        return frozenset()
    return frozenset(DataType(v) for v in value)


def _check_overlap(found: Problems, path: str, port: Port, before: list[Port]) -> None:
    """A data type is served in each direction by one port at most."""
    for write, direction in ((False, "reads"), (True, "writes")):
        taken = sorted(
            d.value
            for d in port.data_types
            if port.serves(d, write=write) and any(p.serves(d, write=write) for p in before)
        )
        if taken:
            found.add(path, f"data types whose {direction} no earlier port carries", taken)
