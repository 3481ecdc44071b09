"""Workloads: the layers to simulate, built and validated from Python or loaded from files."""

from accelsim.workload.build import make_layer
from accelsim.workload.layer import Layer, LayerKind, Network
from accelsim.workload.loaders import builtin_workloads, load_workload

__all__ = ["Layer", "LayerKind", "Network", "builtin_workloads", "load_workload", "make_layer"]
