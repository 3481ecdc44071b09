"""A Timeloop mapping in the problem's own names, translated to Timeloop's CNN-layer names and
read by :func:`accelsim.mapping.io.timeloop_mapping_from_dict`; then checked against the problem:
every dimension's factors must multiply to its size."""

from __future__ import annotations

import re
from typing import Any

from accelsim.arch.model import Arch
from accelsim.errors import ConfigError, Problems
from accelsim.mapping.io import TIMELOOP_DIMS, timeloop_mapping_from_dict
from accelsim.mapping.model import Mapping
from accelsim.timeloop.problem import TimeloopProblem
from accelsim.types import DataType

_FACTOR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*?)\s*=?\s*(-?\d+)")
_NAMES = {DataType.WEIGHTS: "Weights", DataType.INPUTS: "Inputs", DataType.OUTPUTS: "Outputs"}


def read_mapping(raw: Any, arch: Arch, problem: TimeloopProblem, source: str) -> Mapping:
    """Read the value of a ``mapping`` key. Raises ConfigError listing every problem."""
    found = Problems(source)
    entries = raw.get("mapping") if isinstance(raw, dict) else raw
    if not isinstance(entries, list) or not entries:
        found.add("mapping", "a non-empty list of Timeloop mapping directives", entries)
        found.raise_if_any()
    assert isinstance(entries, list)  # checked just above
    spaces = {name: _NAMES[data_type] for data_type, name in problem.spaces.items()}
    # A v0.4 spatial container's fan-out level is inter_<name>_spatial; some front-end versions
    # let mappings name the container itself.
    aliases = {
        level.name[len("inter_") : -len("_spatial")]: level.name
        for level in arch.levels
        if level.name.startswith("inter_") and level.name.endswith("_spatial")
    }
    translated = []
    for i, entry in enumerate(entries):
        entry = _translate(found, f"mapping[{i}]", entry, problem.dims, spaces)
        if isinstance(entry, dict):
            if entry.get("target") in aliases and entry["target"] not in arch_names(arch):
                entry["target"] = aliases[entry["target"]]
            if entry.get("type") == "dataspace":  # v0.4's name for a bypass directive
                entry["type"] = "bypass"
        translated.append(entry)
    found.raise_if_any()
    _fill_residuals(found, translated, problem.sizes)
    found.raise_if_any()
    mapping = timeloop_mapping_from_dict({"mapping": translated}, arch, source=source)
    _check_factors(mapping, problem, source)
    return mapping


def arch_names(arch: Arch) -> list[str]:
    return [level.name for level in arch.levels]


def _translate(found, where, entry, dims: dict[str, str], spaces: dict[str, str]) -> Any:
    if not isinstance(entry, dict):
        return entry
    entry = dict(entry)
    factors = entry.get("factors")
    if isinstance(factors, list):
        factors = " ".join(str(item) for item in factors)
    if isinstance(factors, str):
        words = []
        for name, value in _FACTOR.findall(factors.split("#")[0]):
            if name not in dims:
                found.add(
                    f"{where}.factors",
                    f"factors of the problem's dimensions ({', '.join(dims)})",
                    name,
                )
            words.append(f"{dims.get(name, name)}={value}")
        entry["factors"] = " ".join(words)
    order = entry.get("permutation")
    if isinstance(order, list):
        order = [str(item) for item in order]
    elif isinstance(order, str):
        order = list(order.replace(" ", ""))
    if order is not None:
        unknown = [name for name in order if name not in dims]
        if unknown:
            found.add(
                f"{where}.permutation",
                f"the problem's dimensions ({', '.join(dims)}), innermost first",
                entry["permutation"],
            )
        entry["permutation"] = "".join(dims.get(name, name) for name in order)
    for key in ("keep", "bypass"):
        if isinstance(entry.get(key), list):
            unknown = [name for name in entry[key] if name not in spaces]
            if unknown:
                found.add(
                    f"{where}.{key}", f"data spaces of the problem ({', '.join(spaces)})", unknown
                )
            entry[key] = [spaces.get(name, name) for name in entry[key]]
    return entry


def _fill_residuals(found: Problems, entries: list[Any], sizes: dict[str, int]) -> None:
    """Timeloop's factor 0: the dimension's size over its other factors (at most one 0 per
    dimension, and that quotient exact)."""
    given: dict[str, int] = {}
    zeros: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        factors = entry.get("factors") if isinstance(entry, dict) else None
        for name, value in _FACTOR.findall(factors if isinstance(factors, str) else ""):
            if int(value) == 0:
                zeros.setdefault(name, []).append(i)
            else:
                given[name] = given.get(name, 1) * int(value)
    for name, where in zeros.items():
        size, other = sizes.get(name, 1), given.get(name, 1)
        if len(where) > 1 or size % other:
            expected = "one factor 0 per dimension (the rest of its size), the rest exact"
            found.add(f"mapping[{where[-1]}].factors.{name}", expected, 0)
            continue
        entry = entries[where[0]]
        words = [
            w if w != f"{name}=0" else f"{name}={size // other}" for w in entry["factors"].split()
        ]
        entry["factors"] = " ".join(words)


def _check_factors(mapping: Mapping, problem: TimeloopProblem, source: str) -> None:
    found = Problems(source)
    reverse = {cnn: name for name, cnn in problem.dims.items()}
    for cnn, dim in TIMELOOP_DIMS.items():
        if cnn == "G":
            continue
        size = problem.sizes[cnn]
        got = mapping.bound(dim)
        if got != size:
            name = reverse.get(cnn, cnn)
            found.add(
                f"mapping.factors.{name}",
                f"factors multiplying to the problem's {name} = {size}",
                got,
            )
    if found:
        raise ConfigError(found.items)
