"""Mappings in files: accelsim's mapping YAML (read and written) and Timeloop's (read).

accelsim's form (docs/mapping_format.md) names each level and lists its loops outermost first::

    mapping:
      - level: DRAM
        temporal: [[P, 55], [C, 3]]
      - level: shared_glb
        temporal: [[Q, 55]]
        spatial: [[M, 12, X]]
        keeps: [inputs, outputs]

A level that is not listed gets no loops and keeps every data type the architecture lets it hold;
``keeps`` given explicitly must be a subset of those. Timeloop's form is a list of directives
(``target``, ``type: temporal|spatial|bypass``, ``factors``, ``permutation`` innermost first,
``split``, ``keep``/``bypass``) in Timeloop's dimension names, translated here to accelsim's
(Timeloop's R and P are widths: R -> S, S -> R, P -> Q, Q -> P). :func:`load_mapping` reads
either, telling them apart by ``level`` or ``target`` in the entries.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from accelsim.arch.model import Arch, Axis
from accelsim.config import (
    LIMITS,
    builtin_dir,
    check_keys,
    expect_int,
    int_in,
    read_yaml,
    resolve_builtin,
    text,
)
from accelsim.errors import Problems
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.mapping.validate import check_mapping
from accelsim.types import DATA_TYPES, DataType, Dim
from accelsim.workload.layer import Layer

_ENTRY_KEYS = ("level", "temporal", "spatial", "keeps")
_DIMS = ", ".join(dim.value for dim in Dim)
_TYPES = ", ".join(data_type.value for data_type in DataType)

# Timeloop's CNN-layer dimension and dataspace names, and what they are in accelsim.
TIMELOOP_DIMS: dict[str, Dim] = {
    "N": Dim.N,
    "G": Dim.G,
    "M": Dim.M,
    "C": Dim.C,
    "R": Dim.S,  # filter width
    "S": Dim.R,  # filter height
    "P": Dim.Q,  # output width
    "Q": Dim.P,  # output height
}
TIMELOOP_DATASPACES: dict[str, DataType] = {
    "Weights": DataType.WEIGHTS,
    "Inputs": DataType.INPUTS,
    "Outputs": DataType.OUTPUTS,
}
_TIMELOOP_KEYS = ("target", "type", "factors", "permutation", "split", "keep", "bypass")
_TIMELOOP_TYPES = ("temporal", "spatial", "bypass", "datatype")  # datatype: Timeloop's old bypass
_FACTOR = re.compile(r"([A-Za-z]+)\s*=?\s*(-?\d+)")


def builtin_mappings() -> list[str]:
    """Names (file stems) of the example mappings shipped in ``accelsim/builtin/mappings``."""
    return sorted(path.stem for path in builtin_dir("mappings").glob("*.yaml"))


def load_mapping(path: str | Path, arch: Arch, layer: Layer | None = None) -> Mapping:
    """Read a mapping file in accelsim's or Timeloop's format for ``arch``; ``path`` may also be
    the name of a shipped example (see :func:`builtin_mappings`).

    With ``layer`` the mapping is also checked against it (at ``arch``'s fixed precision, if
    any): factors covering the layer, spatial loops within the array, every tile within its
    level's capacity.

    Raises:
        ConfigError: the file is missing, empty or not YAML; or any entry names an unknown level,
            dimension, axis or data type, has a non-positive bound, keeps a data type its level
            cannot hold, or (with ``layer``) does not fit the layer; every problem is listed.
    """
    resolved = resolve_builtin(path, "mappings", "mapping", builtin_mappings())
    source = str(resolved)
    data = read_yaml(resolved)
    entries = data.get("mapping")
    if _is_timeloop(entries):
        mapping = timeloop_mapping_from_dict(data, arch, source=source)
    else:
        mapping = mapping_from_dict(data, arch, source=source)
    if layer is not None:
        check_mapping(arch.apply_precision(layer), arch, mapping, source=source)
    return mapping


def _is_timeloop(entries: object) -> bool:
    return isinstance(entries, list) and any(isinstance(e, dict) and "target" in e for e in entries)


def _entries(found: Problems, data: dict[str, Any], allowed: tuple[str, ...]) -> list[Any]:
    check_keys(found, "", data, allowed, required=("mapping",))
    text(found, "description", data.get("description", ""))
    entries = data.get("mapping")
    if "mapping" in data and (not isinstance(entries, list) or not entries):
        found.add("mapping", "a non-empty list of levels", entries)
    return entries if isinstance(entries, list) else []


def _level_index(found: Problems, where: str, arch: Arch, name: object) -> int | None:
    names = [level.name for level in arch.levels]
    if name in names:
        return names.index(name)
    found.add(where, f"a level of architecture {arch.name} (one of {', '.join(names)})", name)
    return None


def _complete(arch: Arch, placed: dict[int, LevelMapping]) -> Mapping:
    """One LevelMapping per arch level: unlisted levels get no loops and their arch keeps."""
    return Mapping(
        tuple(
            placed.get(index, LevelMapping(level.name, keeps=level.keeps))
            for index, level in enumerate(arch.levels)
        )
    )


def _check_keeps(
    found: Problems, where: str, arch: Arch, index: int, keeps: frozenset[DataType]
) -> None:
    level = arch.levels[index]
    extra = keeps - level.keeps
    if extra:
        allowed = ", ".join(d.value for d in DATA_TYPES if d in level.keeps) or "none"
        found.add(
            where,
            f"data types level {level.name} can hold ({allowed})",
            [d.value for d in DATA_TYPES if d in extra],
        )


def _check_spatial_allowed(found: Problems, where: str, arch: Arch, index: int) -> None:
    level = arch.levels[index]
    if level.per_pe and level.shared_by == (1, 1):
        found.add(where, f"no spatial loops at {level.name}, a per-PE level", show_got=False)


# ---- accelsim's format -----------------------------------------------------------------------
def mapping_from_dict(data: dict[str, Any], arch: Arch, *, source: str = "<dict>") -> Mapping:
    """Build a Mapping from accelsim's mapping YAML (already parsed); raises ConfigError."""
    found = Problems(source)
    placed: dict[int, LevelMapping] = {}
    last = -1
    for position, entry in enumerate(_entries(found, data, ("mapping", "description"))):
        where = f"mapping[{position}]"
        if not isinstance(entry, dict):
            found.add(where, "a mapping with level, temporal, spatial, keeps", entry)
            continue
        check_keys(found, where, entry, _ENTRY_KEYS, required=("level",))
        index = _level_index(found, f"{where}.level", arch, entry.get("level"))
        if index is None:
            continue
        if index <= last:
            expected = "levels listed once each, in the architecture's order (outermost first)"
            found.add(f"{where}.level", expected, entry["level"])
        last = max(last, index)
        placed[index] = _level_entry(found, where, arch, index, entry)
    found.raise_if_any()
    return _complete(arch, placed)


def _level_entry(
    found: Problems, where: str, arch: Arch, index: int, entry: dict[str, Any]
) -> LevelMapping:
    temporal = _loops(found, f"{where}.temporal", entry.get("temporal", []), spatial=False)
    spatial = _loops(found, f"{where}.spatial", entry.get("spatial", []), spatial=True)
    if spatial:
        _check_spatial_allowed(found, f"{where}.spatial", arch, index)
    keeps = arch.levels[index].keeps
    if "keeps" in entry:
        keeps = _data_types(found, f"{where}.keeps", entry["keeps"])
        _check_keeps(found, f"{where}.keeps", arch, index, keeps)
    return LevelMapping(arch.levels[index].name, temporal, spatial, keeps)


def _loops(found: Problems, where: str, items: object, *, spatial: bool) -> tuple[Loop, ...]:
    shape = "[dimension, bound, X or Y]" if spatial else "[dimension, bound]"
    if not isinstance(items, list):
        found.add(where, f"a list of loops, each {shape}, outermost first", items)
        return ()
    loops = []
    for position, item in enumerate(items):
        at = f"{where}[{position}]"
        if not isinstance(item, list) or len(item) != (3 if spatial else 2):
            found.add(at, f"a loop written {shape}", item)
            continue
        dim, bound, axis = _dim(found, at, item[0]), item[1], None
        if not int_in(bound, "dimension"):
            found.add(f"{at} bound", expect_int("dimension"), bound)
        if spatial:
            axis = _axis(found, at, item[2])
        if dim is not None and int_in(bound, "dimension") and (axis is not None or not spatial):
            loops.append(Loop(dim, bound, axis))
    return tuple(loops)


def _dim(found: Problems, where: str, value: object) -> Dim | None:
    if isinstance(value, str) and value in Dim.__members__:
        return Dim(value)
    found.add(f"{where} dimension", f"one of {_DIMS}", value)
    return None


def _axis(found: Problems, where: str, value: object) -> Axis | None:
    if isinstance(value, str) and value in {axis.value for axis in Axis}:
        return Axis(value)
    found.add(
        f"{where} axis",
        "X (along the array's columns), Y (along its rows) or L (the MAC unit's lanes)",
        value,
    )
    return None


def _data_types(found: Problems, where: str, value: object) -> frozenset[DataType]:
    if not isinstance(value, list):
        found.add(where, f"a list of data types ({_TYPES})", value)
        return frozenset()
    kept = set()
    for item in value:
        if item in {d.value for d in DataType}:
            kept.add(DataType(item))
        else:
            found.add(where, f"data types among {_TYPES}", item)
    return frozenset(kept)


def dump_mapping(mapping: Mapping) -> str:
    """accelsim's mapping YAML for ``mapping``: every level, loops outermost first, keeps explicit
    (so loading the text on the same architecture gives back an equal Mapping)."""
    lines = ["mapping:"]
    for level in mapping.levels:
        lines.append(f"  - level: {_name(level.level)}")
        if level.temporal:
            loops = ", ".join(f"[{loop.dim.value}, {loop.bound}]" for loop in level.temporal)
            lines.append(f"    temporal: [{loops}]")
        if level.spatial:
            loops = ", ".join(
                f"[{loop.dim.value}, {loop.bound}, {loop.axis.value}]"
                for loop in level.spatial
                if loop.axis is not None
            )
            lines.append(f"    spatial: [{loops}]")
        kept = ", ".join(d.value for d in DATA_TYPES if d in level.keeps)
        lines.append(f"    keeps: [{kept}]")
    return "\n".join(lines) + "\n"


def _name(name: str) -> str:
    """A level name as a YAML scalar: bare when it is a plain identifier, else quoted."""
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name) else json.dumps(name)


# ---- Timeloop's format -----------------------------------------------------------------------
def timeloop_mapping_from_dict(
    data: dict[str, Any], arch: Arch, *, source: str = "<dict>"
) -> Mapping:
    """Build a Mapping from Timeloop's mapping YAML (already parsed); raises ConfigError.

    Factors of 1 and dimensions absent from ``factors`` are dropped (Timeloop ignores trivial
    loops); a level without directives gets no loops; a level without a bypass directive keeps
    what the architecture lets it hold.
    """
    found = Problems(source)
    loops: dict[int, dict[str, tuple[Loop, ...]]] = {}
    keeps = {index: level.keeps for index, level in enumerate(arch.levels)}
    for position, entry in enumerate(_entries(found, data, ("mapping",))):
        where = f"mapping[{position}]"
        if not isinstance(entry, dict):
            found.add(where, "a directive with target and type", entry)
            continue
        check_keys(found, where, entry, _TIMELOOP_KEYS, required=("target", "type"))
        index = _level_index(found, f"{where}.target", arch, entry.get("target"))
        kind = entry.get("type")
        if kind not in _TIMELOOP_TYPES:
            found.add(f"{where}.type", "temporal, spatial or bypass", kind)
        if index is None or kind not in _TIMELOOP_TYPES:
            continue
        if kind in ("bypass", "datatype"):
            keeps[index] = _timeloop_keeps(found, where, arch, index, entry, keeps[index])
            continue
        if kind in loops.get(index, {}):
            found.add(f"{where}.type", f"one {kind} directive per target", kind)
        loops.setdefault(index, {})[kind] = _timeloop_loops(found, where, entry, kind)
        if kind == "spatial" and loops[index]["spatial"]:
            _check_spatial_allowed(found, f"{where}.factors", arch, index)
    found.raise_if_any()
    placed = {
        index: LevelMapping(
            level.name,
            loops.get(index, {}).get("temporal", ()),
            loops.get(index, {}).get("spatial", ()),
            keeps[index],
        )
        for index, level in enumerate(arch.levels)
    }
    return _complete(arch, placed)


def _timeloop_loops(
    found: Problems, where: str, entry: dict[str, Any], kind: str
) -> tuple[Loop, ...]:
    """The directive's non-trivial loops in accelsim's names, outermost first."""
    factors = _timeloop_factors(found, f"{where}.factors", entry.get("factors", ""))
    order = _timeloop_permutation(found, f"{where}.permutation", entry.get("permutation", ""))
    missing = [name for name, bound in factors.items() if bound > 1 and name not in order]
    if len(missing) > 1:
        found.add(
            f"{where}.permutation",
            "every dimension with a factor above 1 listed (the order of missing ones is unknown)",
            f"{''.join(order)} (missing {''.join(missing)})",
        )
    order += [name for name in TIMELOOP_DIMS if name not in order]
    split = entry.get("split", len(order))
    if kind != "spatial" and "split" in entry:
        found.add(f"{where}.split", "split only on spatial directives", split)
    elif not isinstance(split, int) or isinstance(split, bool) or split < 0:
        found.add(f"{where}.split", "a non-negative integer (dimensions before it go to X)", split)
        split = len(order)
    loops = []
    for position, name in enumerate(order):  # innermost first
        bound = factors.get(name, 1)
        if bound > 1:
            axis = (Axis.X if position < split else Axis.Y) if kind == "spatial" else None
            loops.append(Loop(TIMELOOP_DIMS[name], bound, axis))
    return tuple(reversed(loops))


def _timeloop_factors(found: Problems, where: str, text: object) -> dict[str, int]:
    expected = f"factors written like 'C=3 M=1' over {', '.join(TIMELOOP_DIMS)}"
    if not isinstance(text, str):
        found.add(where, expected, text)
        return {}
    text = text.split("#")[0]  # Timeloop allows a trailing comment
    leftover = _FACTOR.sub("", text).strip()
    if leftover:
        found.add(where, f"{expected} (could not read {leftover!r})", text)
    factors: dict[str, int] = {}
    for name, value in _FACTOR.findall(text):
        if name not in TIMELOOP_DIMS:
            found.add(where, f"Timeloop dimensions among {', '.join(TIMELOOP_DIMS)}", name)
        elif name in factors:
            found.add(where, "each dimension once", name)
        elif len(value) > 14 or not int_in(int(value), "dimension"):
            high = f"{LIMITS['dimension'].high:,.0f}"
            expected = f"a positive factor up to {high} (Timeloop's 0, the whole dimension, is"
            found.add(f"{where}.{name}", f"{expected} not supported)", _as_int(value))
        else:
            factors[name] = int(value)
    return factors


def _as_int(digits: str) -> int | str:
    return int(digits) if len(digits) <= 12 else digits


def _timeloop_permutation(found: Problems, where: str, text: object) -> list[str]:
    if not isinstance(text, str):
        found.add(where, "a string of dimension letters, innermost first", text)
        return []
    order: list[str] = []
    for name in "".join(text.split()):
        if name not in TIMELOOP_DIMS or name in order:
            expected = f"each of {', '.join(TIMELOOP_DIMS)} at most once, innermost first"
            found.add(where, expected, text)
            return []
        order.append(name)
    return order


def _timeloop_keeps(
    found: Problems,
    where: str,
    arch: Arch,
    index: int,
    entry: dict[str, Any],
    keeps: frozenset[DataType],
) -> frozenset[DataType]:
    kept = _dataspaces(found, f"{where}.keep", entry.get("keep", []))
    bypassed = _dataspaces(found, f"{where}.bypass", entry.get("bypass", []))
    both = kept & bypassed
    if both:
        found.add(
            where, "a dataspace in keep or in bypass, not both", sorted(d.value for d in both)
        )
    _check_keeps(found, f"{where}.keep", arch, index, kept)
    return (keeps | kept) - bypassed


def _dataspaces(found: Problems, where: str, value: object) -> frozenset[DataType]:
    names = ", ".join(TIMELOOP_DATASPACES)
    if not isinstance(value, list) or any(item not in TIMELOOP_DATASPACES for item in value):
        found.add(where, f"a list of Timeloop dataspaces among {names}", value)
        return frozenset()
    return frozenset(TIMELOOP_DATASPACES[item] for item in value)
