"""accelsim: a cycle-level simulator of DNN accelerators."""

from accelsim.errors import ConfigError
from accelsim.types import DataType, Dim
from accelsim.workload.layer import Layer, LayerKind, Network

__version__ = "0.1.0"

__all__ = ["ConfigError", "DataType", "Dim", "Layer", "LayerKind", "Network", "__version__"]
