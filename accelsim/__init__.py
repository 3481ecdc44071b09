"""accelsim: a cycle-level simulator of DNN accelerators.

Load an architecture and a workload, pick a dataflow, get per-layer and per-network cycles,
utilization and energy broken down by level, data type and operation::

    import accelsim
    result = accelsim.simulate("eyeriss_isca16", "alexnet", dataflow="rs", batch=16)
    result.to_frame()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from accelsim.version import __version__

# Public names and the module each comes from. They are imported on first use (PEP 562), so
# ``import accelsim.engine`` or a command's start-up loads only what it needs (no pandas or
# matplotlib for the analysis alone).
_EXPORTS = {
    "evaluate": "accelsim.api",
    "simulate": "accelsim.api",
    "Arch": "accelsim.arch",
    "builtin_archs": "accelsim.arch",
    "load_arch": "accelsim.arch",
    "Dataflow": "accelsim.types",
    "builtin_tables": "accelsim.energy",
    "load_energy_table": "accelsim.energy",
    "ConfigError": "accelsim.errors",
    "Objective": "accelsim.mapper",
    "map_layer": "accelsim.mapper",
    "LevelMapping": "accelsim.mapping.model",
    "Loop": "accelsim.mapping.model",
    "Mapping": "accelsim.mapping.model",
    "LayerResult": "accelsim.results",
    "NetworkResult": "accelsim.results",
    "DataType": "accelsim.types",
    "Dim": "accelsim.types",
    "Layer": "accelsim.workload",
    "LayerKind": "accelsim.workload",
    "Network": "accelsim.workload",
    "builtin_workloads": "accelsim.workload",
    "load_workload": "accelsim.workload",
    "make_layer": "accelsim.workload",
}

if TYPE_CHECKING:
    from accelsim.api import evaluate, simulate
    from accelsim.arch import Arch, builtin_archs, load_arch
    from accelsim.energy import builtin_tables, load_energy_table
    from accelsim.errors import ConfigError
    from accelsim.mapper import Objective, map_layer
    from accelsim.mapping.model import LevelMapping, Loop, Mapping
    from accelsim.results import LayerResult, NetworkResult
    from accelsim.types import Dataflow, DataType, Dim
    from accelsim.workload import (
        Layer,
        LayerKind,
        Network,
        builtin_workloads,
        load_workload,
        make_layer,
    )


def __getattr__(name: str) -> Any:
    """A public name (imported from its module on first use) or a subpackage."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f"accelsim.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"accelsim.{name}":
            raise
        raise AttributeError(f"module 'accelsim' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "Arch",
    "ConfigError",
    "DataType",
    "Dataflow",
    "Dim",
    "Layer",
    "LayerKind",
    "LayerResult",
    "LevelMapping",
    "Loop",
    "Mapping",
    "Network",
    "NetworkResult",
    "Objective",
    "__version__",
    "builtin_archs",
    "builtin_tables",
    "builtin_workloads",
    "evaluate",
    "load_arch",
    "load_energy_table",
    "load_workload",
    "make_layer",
    "map_layer",
    "simulate",
]
