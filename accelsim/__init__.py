"""accelsim: a cycle-level simulator of DNN accelerators.

Load an architecture and a workload, pick a dataflow, get per-layer and per-network cycles,
utilization and energy broken down by level, data type and operation::

    import accelsim
    result = accelsim.simulate("eyeriss_isca16", "alexnet", dataflow="rs", batch=16)
    result.to_frame()
"""

from accelsim.api import evaluate, simulate
from accelsim.arch import Arch, builtin_archs, load_arch
from accelsim.dataflow import Dataflow
from accelsim.energy import builtin_tables, load_energy_table
from accelsim.errors import ConfigError
from accelsim.mapper import Objective, map_layer
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.results import LayerResult, NetworkResult
from accelsim.types import DataType, Dim
from accelsim.workload import (
    Layer,
    LayerKind,
    Network,
    builtin_workloads,
    load_workload,
    make_layer,
)

__version__ = "0.1.0"

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
