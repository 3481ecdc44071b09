"""SCALE-Sim configs and topologies shipped with accelsim, found by name.

``accelsim/builtin/scalesim/configs/<name>.cfg`` (scale: 32 x 32 ws, CALC; google: 256 x 256 os,
USER) and ``accelsim/builtin/scalesim/topologies/<name>.csv`` (alexnet, resnet18, mobilenet), so
that ``accelsim scalesim --config google --topology alexnet`` runs without any file of one's own.
"""

from __future__ import annotations

from pathlib import Path

from accelsim.config import builtin_dir
from accelsim.errors import ConfigError, Problem

_ROOT = builtin_dir("scalesim")


def config_names() -> list[str]:
    return sorted(path.stem for path in (_ROOT / "configs").glob("*.cfg"))


def topology_names() -> list[str]:
    return sorted(path.stem for path in (_ROOT / "topologies").glob("*.csv"))


def config_path(path_or_name: str | Path) -> Path:
    """An existing file, else the shipped config of that name; raises ConfigError otherwise."""
    return _resolve(path_or_name, "configs", ".cfg", "SCALE-Sim config", config_names())


def topology_path(path_or_name: str | Path) -> Path:
    """An existing file, else the shipped topology of that name; raises ConfigError otherwise."""
    return _resolve(path_or_name, "topologies", ".csv", "SCALE-Sim topology", topology_names())


def _resolve(path_or_name: str | Path, kind: str, suffix: str, what: str, names: list[str]) -> Path:
    path = Path(path_or_name)
    if path.exists() or path.suffix or len(path.parts) > 1:
        return path  # a file name: the loader reports it if it cannot be read
    shipped = _ROOT / kind / f"{path_or_name}{suffix}"
    if shipped.is_file():
        return shipped
    raise ConfigError(
        Problem(str(path_or_name), "", f"an existing {what} file or a shipped name "
                f"({', '.join(names)})", show_got=False)
    )  # fmt: skip
