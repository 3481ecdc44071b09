"""Architectures: PE array, storage levels, network, MAC unit; loaded from YAML."""

from accelsim.arch.loader import arch_from_dict, builtin_archs, load_arch
from accelsim.arch.model import Arch, Axis, Level, LevelEnergy, LevelKind, Network, PEArray

__all__ = [
    "Arch",
    "Axis",
    "Level",
    "LevelEnergy",
    "LevelKind",
    "Network",
    "PEArray",
    "arch_from_dict",
    "builtin_archs",
    "load_arch",
]
