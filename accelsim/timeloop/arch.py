"""Timeloop architecture specs (v0.2, v0.3 and v0.4) read into a flat list of levels.

v0.2/v0.3 write a tree of ``subtree`` nodes, each with ``local`` components, instance counts as
name ranges (``PE[0..167]``) and attributes spelt with hyphens or underscores. v0.4 writes
``nodes``: ``!Container`` (its attributes are inherited by what follows it; with
``spatial: {meshX, meshY}`` it fans out, which Timeloop models as a storage-less level named
``inter_<name>_spatial``), ``!Component``, ``!Parallel`` (siblings become consecutive levels, each
keeping its own data space) and ``!Nothing``. Levels come out outermost first; the innermost
component is the compute unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accelsim.errors import ConfigError, Problems
from accelsim.timeloop.inputs import TAG_KEY

_RANGE = re.compile(r"^([A-Za-z_][\w.-]*?)(?:\[(\d+)\.\.(\d+)\])?$")
COMPUTE_CLASSES = ("mac", "intmac", "fpmac", "compute")  # Timeloop's computeClasses
_DEPTH = ("depth", "memory_depth", "data_storage_depth", "entries")
_WIDTH = ("width", "memory_width", "data_storage_width")
_WORD_BITS = ("word_bits", "datawidth")


@dataclass(frozen=True)
class StorageSpec:
    """One storage level. Bandwidths in words per cycle per instance (None: unlimited);
    ``depth`` in vectors of ``block_size`` words (None: unbounded, DRAM)."""

    name: str
    cls: str
    instances: int
    mesh_x: int
    mesh_y: int
    word_bits: int
    block_size: int
    depth: int | None
    read_bandwidth: float | None = None
    write_bandwidth: float | None = None
    shared_bandwidth: float | None = None
    multiple_buffering: float = 1.0
    cluster_size: int = 1
    dummy: bool = False  # a fan-out point with no storage (a v0.4 spatial container)
    metadata_word_bits: int = 0  # Sparseloop's metadata_datawidth: bits per metadata entry
    metadata_width_bits: int = 0  # metadata_storage_width: bits per metadata access

    @property
    def capacity_words(self) -> int | None:
        return None if self.depth is None else self.depth * self.block_size


@dataclass(frozen=True)
class ComputeSpec:
    name: str
    cls: str
    instances: int
    mesh_x: int
    mesh_y: int


@dataclass(frozen=True)
class TimeloopArch:
    version: str
    storage: tuple[StorageSpec, ...]  # outermost first
    compute: ComputeSpec
    source: str


def read_arch(raw: Any, source: str) -> TimeloopArch:
    """Read the value of an ``architecture`` key. Raises ConfigError listing every problem."""
    found = Problems(source)
    if not isinstance(raw, dict):
        found.add(
            "architecture", "a mapping with version and subtree (v0.2/v0.3) or nodes (v0.4)", raw
        )
        found.raise_if_any()
    version = str(raw.get("version", "0.2"))
    components: list[tuple[str, dict[str, Any], int, int, int]] = []
    if "nodes" in raw:
        _walk_nodes(found, "architecture.nodes", raw["nodes"], {}, [1, 1, 1], components)
    elif "subtree" in raw:
        _walk_subtree(found, "architecture.subtree", raw["subtree"], 1, {}, components)
    else:
        found.add("architecture", "subtree (v0.2/v0.3) or nodes (v0.4)", sorted(raw))
    found.raise_if_any()
    if not components:
        raise ConfigError(f"{source}: architecture: expected at least one component")
    *storage_nodes, compute_node = components
    where, attrs, instances, mesh_x, mesh_y = compute_node
    cls = str(attrs.get("class", ""))
    if not any(cls.endswith(name) for name in COMPUTE_CLASSES):
        classes = ", ".join(COMPUTE_CLASSES)
        found.add(f"{where}.class", f"a compute class ({classes}) for the innermost component", cls)
    compute = ComputeSpec(str(attrs["name"]), cls, instances, mesh_x, mesh_y)
    storage = tuple(_storage(found, *node) for node in storage_nodes)
    found.raise_if_any()
    return TimeloopArch(version, storage, compute, source)


def _name_and_count(found: Problems, where: str, name: Any) -> tuple[str, int]:
    match = _RANGE.match(str(name)) if isinstance(name, str) else None
    if match is None or (match.group(2) is not None and int(match.group(3)) < int(match.group(2))):
        found.add(
            f"{where}.name", "a name, optionally with an instance range like PE[0..167]", name
        )
        return str(name), 1
    if match.group(2) is None:
        return match.group(1), 1
    return match.group(1), int(match.group(3)) - int(match.group(2)) + 1


def _normal(attributes: Any) -> dict[str, Any]:
    if not isinstance(attributes, dict):
        return {}
    return {str(key).replace("-", "_"): value for key, value in attributes.items()}


def _walk_subtree(found, where, nodes, outer: int, inherited, out) -> None:
    """v0.2/v0.3: a subtree's locals (outermost first), then its own subtrees."""
    if not isinstance(nodes, list):
        found.add(where, "a list of subtree nodes", nodes)
        return
    for i, node in enumerate(nodes):
        at = f"{where}[{i}]"
        if not isinstance(node, dict) or "name" not in node:
            found.add(at, "a subtree node with a name", node)
            continue
        _, count = _name_and_count(found, at, node["name"])
        attrs = {**inherited, **_normal(node.get("attributes"))}
        for j, local in enumerate(node.get("local", []) or []):
            lat = f"{at}.local[{j}]"
            if not isinstance(local, dict) or "name" not in local:
                found.add(lat, "a component with a name and a class", local)
                continue
            name, own = _name_and_count(found, lat, local["name"])
            spec = {**attrs, **_normal(local.get("attributes")), "name": name}
            spec["class"] = local.get("class", "")
            mesh_x = int(spec.get("meshX", spec.get("meshx", 1)) or 1)
            instances = outer * count * own
            mesh_y = max(1, instances // max(1, mesh_x))
            out.append((lat, spec, instances, mesh_x, mesh_y))
        if "subtree" in node:
            _walk_subtree(found, f"{at}.subtree", node["subtree"], outer * count, attrs, out)


def _walk_nodes(found, where, nodes, inherited, fan: list[int], out) -> None:
    """v0.4: containers, components, parallel groups, in order; ``fan`` is [instances, X, Y]."""
    if not isinstance(nodes, list):
        found.add(where, "a list of !Container / !Component / !Parallel nodes", nodes)
        return
    for i, node in enumerate(nodes):
        at = f"{where}[{i}]"
        tag = node.get(TAG_KEY) if isinstance(node, dict) else None
        if tag is None:
            found.add(at, "a tagged node (!Container, !Component, !Parallel, !Nothing)", node)
        elif tag in ("Parallel", "Hierarchical", "Pipelined"):
            _walk_nodes(found, f"{at}.nodes", node.get("nodes"), inherited, fan, out)
        elif tag == "Container":
            _container(found, at, node, inherited, fan, out)
        elif tag == "Component":
            if "name" not in node:
                found.add(f"{at}.name", "a component name", None)
                continue
            name, own = _name_and_count(found, at, node["name"])
            spec = {**inherited, **_normal(node.get("attributes")), "name": name}
            spec["class"] = node.get("class", "")
            out.append((at, spec, fan[0] * own, fan[1], fan[2] * own))
        elif tag != "Nothing":
            found.add(at, "!Container, !Component, !Parallel or !Nothing here", f"!{tag}")


def _container(found, at, node, inherited, fan, out) -> None:
    inherited.update(_normal(node.get("attributes")))
    spatial = node.get("spatial")
    if spatial is None:
        return
    if not isinstance(spatial, dict) or set(spatial) - {"meshX", "meshY"}:
        found.add(f"{at}.spatial", "{meshX: n, meshY: m} with positive integers", spatial)
        return
    x, y = spatial.get("meshX", 1), spatial.get("meshY", 1)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (x, y)):
        found.add(f"{at}.spatial", "{meshX: n, meshY: m} with positive integers", spatial)
        return
    name = f"inter_{node.get('name', 'container')}_spatial"
    dummy = {"name": name, "class": "dummy_storage", "datawidth": 1, "depth": 0, "width": 1}
    out.append((f"{at}.spatial", dummy, fan[0], fan[1], fan[2]))
    fan[0], fan[1], fan[2] = fan[0] * x * y, fan[1] * x, fan[2] * y


def _first(spec: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in spec and spec[key] is not None:
            return spec[key]
    return None


def _number(found, where, value, *, integer: bool = False) -> Any:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
    if not ok or (integer and value != int(value)):
        found.add(where, "a non-negative integer" if integer else "a non-negative number", value)
        return None
    return int(value) if integer else float(value)


def _storage(found, where, spec, instances, mesh_x, mesh_y) -> StorageSpec:
    cls = str(spec.get("class", ""))
    dummy = cls == "dummy_storage"
    word_bits = _first(spec, _WORD_BITS)
    if word_bits is None:
        found.add(
            f"{where}.attributes.datawidth",
            "the word width in bits (datawidth or word-bits)",
            None,
            show_got=False,
        )
        word_bits = 16
    word_bits = _number(found, f"{where}.attributes.datawidth", word_bits, integer=True) or 16
    width = _first(spec, _WIDTH)
    block = spec.get("block_size")
    if block is None:
        block = max(1, int(width) // word_bits) if isinstance(width, (int, float)) else 1
    depth = _first(spec, _DEPTH)
    if cls == "DRAM" or cls.endswith("DRAM"):
        depth = None
    elif depth is None and not dummy:
        found.add(
            f"{where}.attributes.depth",
            "the number of entries (depth) of a storage level",
            None,
            show_got=False,
        )
    bandwidth = {}
    for key in ("read_bandwidth", "write_bandwidth", "shared_bandwidth"):
        bandwidth[key] = (
            None
            if spec.get(key) is None
            else _number(found, f"{where}.attributes.{key}", spec[key])
        )
    return StorageSpec(
        name=str(spec["name"]),
        cls=cls,
        instances=instances,
        mesh_x=mesh_x,
        mesh_y=mesh_y,
        word_bits=word_bits,
        block_size=_number(found, f"{where}.attributes.block_size", block, integer=True) or 1,
        depth=None
        if depth is None
        else _number(found, f"{where}.attributes.depth", depth, integer=True),
        read_bandwidth=bandwidth["read_bandwidth"],
        write_bandwidth=bandwidth["write_bandwidth"],
        shared_bandwidth=bandwidth["shared_bandwidth"],
        multiple_buffering=float(spec.get("multiple_buffering", 1) or 1),
        cluster_size=int(spec.get("cluster_size", 1) or 1),
        dummy=dummy,
        metadata_word_bits=int(spec.get("metadata_datawidth", spec.get("metadata_word_bits", 0))),
        metadata_width_bits=int(spec.get("metadata_storage_width", 0) or 0),
    )
