"""A level's ``compression:`` and ``sparse:`` in accelsim's architecture YAML (docs/arch_format.md,
docs/sparse.md)::

    - name: DRAM
      compression:                      # per data type, ranks outermost first
        inputs: [{format: RLE, metadata_bits: 5}]
        outputs: [RLE]
    - name: weights_spad
      sparse:
        - {action: gating, target: weights, condition_on: [inputs]}

A format with more ranks than the data type has dimensions (4), an unknown rank format, action or
data type, or a data type the level does not keep: one problem each, with the field's path.
"""

from __future__ import annotations

from typing import Any

from accelsim.errors import ConfigError, Problems
from accelsim.sparse import Action, Format, Optimization, parse_format
from accelsim.types import DataType

_DATA_TYPES = [d.value for d in DataType]
_RANKS = 4  # every data type has four coordinates (weights M C R S, inputs N C H W, ...)


def compression(
    found: Problems, path: str, raw: Any, keeps: frozenset[DataType]
) -> tuple[tuple[DataType, Format], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        found.add(path, "a mapping from data type to a list of rank formats", raw)
        return ()
    formats = []
    for name, ranks in raw.items():
        at = f"{path}.{name}"
        if name not in _DATA_TYPES or DataType(name) not in keeps:
            found.add(at, f"a data type the level keeps ({', '.join(sorted(keeps))})", name)
            continue
        try:
            format = parse_format(ranks, found.source, at)
        except ConfigError as error:
            found.items.extend(error.problems)
            continue
        if len(format.ranks) > _RANKS:
            found.add(at, f"at most {_RANKS} ranks ({name} has {_RANKS} dimensions)", str(format))
            continue
        formats.append((DataType(name), format))
    return tuple(formats)


def optimizations(found: Problems, path: str, raw: Any, level: str) -> tuple[Optimization, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        found.add(path, "a list of {action, target, condition_on}", raw)
        return ()
    found_items = []
    for i, entry in enumerate(raw):
        at = f"{path}[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"action", "target", "condition_on"}:
            found.add(at, "{action: gating|skipping, target, condition_on: [...]}", entry)
            continue
        action = entry.get("action")
        if action not in ("gating", "skipping"):
            found.add(f"{at}.action", "gating or skipping", action)
            continue
        target = entry.get("target")
        if target not in _DATA_TYPES:
            found.add(f"{at}.target", f"one of {', '.join(_DATA_TYPES)}", target)
            continue
        conditions = entry.get("condition_on")
        if not isinstance(conditions, list) or not conditions:
            found.add(f"{at}.condition_on", f"a list drawn from {_DATA_TYPES}", conditions)
            continue
        if any(c not in _DATA_TYPES for c in conditions):
            found.add(f"{at}.condition_on", f"a list drawn from {_DATA_TYPES}", conditions)
            continue
        on = tuple(DataType(c) for c in conditions)
        found_items.append(Optimization(level, Action(action), DataType(target), on))
    return tuple(found_items)
