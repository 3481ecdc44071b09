"""Sweep files: parse and validate a YAML sweep into a frozen :class:`SweepSpec`.

The format (docs/sweeps.md)::

    name: eyeriss_array_buffer          # optional; default: the file's stem
    arch: eyeriss_isca16                # base architecture: built-in name or path
    workloads: [alexnet]                # built-in names or paths
    dataflows: [rs, ws, os, nlr]        # default [rs]
    batches: [1, 16]                    # default: each workload's own batch
    energy_tables: [eyeriss_normalized] # default: the architecture's table
    objectives: [energy]                # energy, cycles or edp; default energy
    precisions:                         # default: each workload's own precision
      - {weight_bits: 8, input_bits: 8}
    grid:                               # every combination of these overrides
      pe_array.rows: [8, 16, 32]
      levels.buffer.capacity_kb: [64, 128]
    zip:                                # these overrides advance together
      pe_array.rows: [8, 16]
      pe_array.cols: [8, 16]

Every list-valued key also takes a single value. Paths are relative to the sweep file when such a
file exists there. Unknown keys, wrong types, empty lists and repeated values are ConfigErrors
naming the file, the field path, the value and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from accelsim.config import bits, check_keys, expect_int, int_in, read_yaml, text
from accelsim.dataflow import Dataflow
from accelsim.errors import Problems
from accelsim.mapper import Objective

TOP_KEYS = {
    "name": "the sweep's name (default: the file's stem)",
    "description": "free text",
    "arch": "the base architecture: a built-in name or a path",
    "workloads": "built-in workload names or paths",
    "dataflows": "dataflow names",
    "batches": "batch sizes",
    "energy_tables": "energy table names or paths",
    "objectives": "mapper objectives: energy, cycles, edp",
    "precisions": "{weight_bits, input_bits} mappings",
    "grid": "{dotted.path: [values]}: every combination",
    "zip": "{dotted.path: [values]}: lists of one length, advanced together",
}
PRECISION_ITEM_KEYS = ("weight_bits", "input_bits")


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the value lists of every axis (``None`` means "the default")."""

    name: str
    source: str
    arch: str
    workloads: tuple[str, ...]
    dataflows: tuple[Dataflow, ...] = (Dataflow.RS,)
    batches: tuple[int | None, ...] = (None,)
    energy_tables: tuple[str | None, ...] = (None,)
    objectives: tuple[Objective, ...] = (Objective.ENERGY,)
    precisions: tuple[tuple[int | None, int | None], ...] = ((None, None),)
    grid: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    zipped: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    description: str = ""
    base_dir: Path = field(default=Path("."), compare=False)

    @property
    def size(self) -> int:
        """The number of points the sweep expands to."""
        count = len(self.workloads) * len(self.dataflows) * len(self.batches)
        count *= len(self.energy_tables) * len(self.objectives) * len(self.precisions)
        for _, values in self.grid:
            count *= len(values)
        return count * (len(self.zipped[0][1]) if self.zipped else 1)

    def resolve(self, ref: str) -> str:
        """``ref`` as a path relative to the sweep file when that file exists, else unchanged."""
        local = self.base_dir / ref
        return str(local) if local.is_file() else ref


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file. Raises ConfigError listing every problem found."""
    path = Path(path)
    return sweep_from_dict(read_yaml(path), source=str(path), base_dir=path.parent)


def sweep_from_dict(
    raw: dict[str, Any], *, source: str = "<dict>", base_dir: Path = Path(".")
) -> SweepSpec:
    """Validate a parsed sweep mapping and build the :class:`SweepSpec`."""
    found = Problems(source)
    check_keys(found, "", raw, TOP_KEYS, required=("arch", "workloads"))
    spec = SweepSpec(
        name=_text(found, "name", raw.get("name", Path(source).stem)),
        source=source,
        arch=_text(found, "arch", raw.get("arch", "")),
        workloads=tuple(
            str(name)
            for name in _texts(found, "workloads", raw.get("workloads", ()), default_ok=False)
        ),
        dataflows=tuple(_choices(found, "dataflows", raw.get("dataflows", "rs"), Dataflow)),
        batches=tuple(_batches(found, raw.get("batches"))),
        energy_tables=tuple(_texts(found, "energy_tables", raw.get("energy_tables", [None]))),
        objectives=tuple(_choices(found, "objectives", raw.get("objectives", "energy"), Objective)),
        precisions=tuple(_precisions(found, raw.get("precisions"))),
        grid=_overrides(found, "grid", raw["grid"]) if "grid" in raw else (),
        zipped=_overrides(found, "zip", raw["zip"], same_length=True) if "zip" in raw else (),
        description=text(found, "description", raw.get("description", "")),
        base_dir=base_dir,
    )
    _check_overlap(found, spec)
    found.raise_if_any()
    return spec


def _as_list(found: Problems, path: str, value: Any) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    if not values:
        found.add(path, "a non-empty list (or a single value)", value)
    repeated = sorted({repr(v) for v in values if values.count(v) > 1})
    if repeated:
        found.add(path, "each value once", f"repeated {', '.join(repeated)}", show_got=True)
    return values


def _text(found: Problems, path: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        found.add(path, "a non-empty string", value)
        return ""
    return value


def _texts(found: Problems, path: str, value: Any, *, default_ok: bool = True) -> list[str | None]:
    """Names or paths; ``None`` (null: "the default") only where ``default_ok``."""
    values = _as_list(found, path, value)
    for index, item in enumerate(values):
        if (item is None and not default_ok) or (
            item is not None and (not isinstance(item, str) or not item)
        ):
            found.add(f"{path}[{index}]", "a name or a path", item)
    return values


def _choices(found: Problems, path: str, value: Any, kind: type[Enum]) -> list[Any]:
    names = ", ".join(member.value for member in kind)
    chosen = []
    for index, item in enumerate(_as_list(found, path, value)):
        try:
            chosen.append(kind(str(item).lower()))
        except ValueError:
            found.add(f"{path}[{index}]", f"one of {names}", item)
    return chosen


def _batches(found: Problems, value: Any) -> list[int | None]:
    if value is None:
        return [None]
    values = _as_list(found, "batches", value)
    for index, item in enumerate(values):
        if not int_in(item, "batch"):
            found.add(f"batches[{index}]", expect_int("batch"), item)
    return values


def _precisions(found: Problems, value: Any) -> list[tuple[int | None, int | None]]:
    if value is None:
        return [(None, None)]
    pairs = []
    for index, item in enumerate(_as_list(found, "precisions", value)):
        path = f"precisions[{index}]"
        if not isinstance(item, dict):
            found.add(path, "a mapping {weight_bits, input_bits}", item)
            continue
        check_keys(found, path, item, PRECISION_ITEM_KEYS)
        for key in PRECISION_ITEM_KEYS:
            if item.get(key) is not None:
                bits(found, f"{path}.{key}", item[key])
        pairs.append((item.get("weight_bits"), item.get("input_bits")))
    return pairs


def _overrides(
    found: Problems, path: str, raw: Any, *, same_length: bool = False
) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    if not isinstance(raw, dict) or not raw:
        expected = "a non-empty mapping {dotted.path: [values]} (or leave the key out)"
        found.add(path, expected, raw)
        return ()
    result = []
    for key, value in raw.items():
        if not isinstance(value, list):
            found.add(f"{path}.{key}", "a list of values", value)
            continue
        result.append((str(key), tuple(_as_list(found, f"{path}.{key}", value))))
    lengths = {len(values) for _, values in result}
    if same_length and len(lengths) > 1:
        described = ", ".join(f"{key}: {len(values)}" for key, values in result)
        found.add(path, "lists of one length (zip advances them together)", described)
    return tuple(result)


def _check_overlap(found: Problems, spec: SweepSpec) -> None:
    for key, _ in spec.zipped:
        if key in dict(spec.grid):
            found.add(f"zip.{key}", "a path not also in grid", key)
