"""Expand a :class:`SweepSpec` into points, each with its full resolved configuration and a key.

The key is a SHA-256 of everything that determines a point's result: the architecture after the
point's overrides, the loaded workload and energy table (so editing a file changes the key), the
dataflow, batch, objective, precision, and ``accelsim.__version__``. A finished point is stored
under its key, so a re-run recognises it whatever the point's position in the sweep.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from accelsim.arch import arch_from_dict
from accelsim.arch.loader import builtin_archs
from accelsim.config import apply_overrides, read_yaml, resolve_builtin
from accelsim.energy import EnergyTable, load_energy_table
from accelsim.errors import ConfigError, Problems
from accelsim.sweep.spec import SweepSpec
from accelsim.version import __version__
from accelsim.workload import Network, load_workload

BASE_PARAMETERS = (
    "workload",
    "dataflow",
    "batch",
    "energy_table",
    "objective",
    "weight_bits",
    "input_bits",
)


@dataclass(frozen=True)
class Point:
    """One configuration of a sweep, ready to run in any process.

    ``parameters`` are the sweep's axes as written (column name, value), in column order: the
    base parameters, then one column per override path. ``error`` is set when the point's
    architecture is already invalid (its overrides name no field or give a bad value).
    """

    index: int
    key: str
    parameters: tuple[tuple[str, Any], ...]
    arch_raw: dict[str, Any] = field(compare=False, hash=False, repr=False)
    source: str
    workload: str
    dataflow: str
    batch: int | None
    energy_table: str | None
    objective: str
    weight_bits: int | None
    input_bits: int | None
    error: str = ""

    def label(self) -> str:
        """The point's varying parameters, for messages: ``point 3 (pe_array.rows=0)``."""
        shown = ", ".join(f"{name}={value}" for name, value in self.parameters if value is not None)
        return f"point {self.index} ({shown})"


def expand(spec: SweepSpec) -> list[Point]:
    """Every point of the sweep, in a fixed order (the product of the axes, the last fastest).

    Raises ConfigError when the base architecture, a workload or an energy table cannot be
    loaded (those are mistakes in the sweep file); a point whose overrides make the
    architecture invalid is returned with its ``error`` set instead.
    """
    found = Problems(spec.source)
    base = _load(found, "arch", lambda: read_yaml(_arch_path(spec)))
    networks = {
        ref: _load(found, f"workloads[{i}]", lambda r=ref: load_workload(spec.resolve(r)))
        for i, ref in enumerate(spec.workloads)
    }
    tables = {
        ref: _load(found, f"energy_tables[{i}]", lambda r=ref: load_energy_table(spec.resolve(r)))
        for i, ref in enumerate(spec.energy_tables)
        if ref is not None
    }
    found.raise_if_any()
    return [
        _point(spec, index, base, networks, tables, combo)
        for index, combo in enumerate(_combinations(spec))
    ]


def _arch_path(spec: SweepSpec):
    return resolve_builtin(spec.resolve(spec.arch), "arch_configs", "architecture", builtin_archs())


def _load(found: Problems, path: str, load) -> Any:
    try:
        return load()
    except ConfigError as error:
        for problem in error.problems:
            found.add(path, f"a loadable file or name ({problem})", show_got=False)
        return None


def _combinations(spec: SweepSpec):
    grid_values = [values for _, values in spec.grid]
    zip_rows = list(zip(*(values for _, values in spec.zipped), strict=True)) or [()]
    axes = (
        spec.workloads,
        spec.dataflows,
        spec.batches,
        spec.energy_tables,
        spec.objectives,
        spec.precisions,
        *grid_values,
        zip_rows,
    )
    names = [name for name, _ in spec.grid]
    zip_names = [name for name, _ in spec.zipped]
    for combo in itertools.product(*axes):
        workload, dataflow, batch, table, objective, (weight_bits, input_bits) = combo[:6]
        overrides = dict(zip(names, combo[6 : 6 + len(names)], strict=True))
        overrides.update(zip(zip_names, combo[-1], strict=True))
        base = (workload, dataflow.value, batch, table, objective.value, weight_bits, input_bits)
        yield base, overrides


def _point(
    spec: SweepSpec,
    index: int,
    base_raw: dict[str, Any],
    networks: dict[str, Network],
    tables: dict[str, EnergyTable],
    combo: tuple[tuple[Any, ...], dict[str, Any]],
) -> Point:
    base, overrides = combo
    workload, dataflow, batch, table, objective, weight_bits, input_bits = base
    source = f"{spec.source} (point {index})"
    error = ""
    try:
        arch_raw = apply_overrides(base_raw, overrides, source=source)
        arch = arch_from_dict(arch_raw, source=source)
        priced = tables[table] if table is not None else load_energy_table(arch.energy_table)
    except ConfigError as problem:
        arch_raw, priced, error = base_raw, None, str(problem)
    config = {
        "accelsim": __version__,
        "arch": arch_raw,
        "overrides": overrides,
        "workload": repr(networks[workload]),
        "energy_table": repr(priced),
        "run": base[1:],
    }
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=repr).encode()).hexdigest()
    parameters = tuple(zip(BASE_PARAMETERS, base, strict=True)) + tuple(
        (path, overrides[path]) for path in (*dict(spec.grid), *dict(spec.zipped))
    )
    return Point(
        index=index,
        key=digest,
        parameters=parameters,
        arch_raw=arch_raw,
        source=source,
        workload=spec.resolve(workload),
        dataflow=dataflow,
        batch=batch,
        energy_table=spec.resolve(table) if table is not None else None,
        objective=objective,
        weight_bits=weight_bits,
        input_bits=input_bits,
        error=error,
    )
