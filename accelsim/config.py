"""Shared parsing helpers: safe YAML reading, key checks, built-in file resolution.

Every function reports problems as :class:`~accelsim.errors.ConfigError` naming the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from accelsim.errors import ConfigError, Problem, Problems

BUILTIN_ROOT = Path(__file__).parent / "builtin"


def builtin_dir(kind: str) -> Path:
    """Directory of the built-in files of one kind (``arch_configs``, ``workloads``)."""
    return BUILTIN_ROOT / kind


def resolve_builtin(path_or_name: str | Path, kind: str, what: str, names: Iterable[str]) -> Path:
    """A path that exists, or the built-in file called ``path_or_name``; else a ConfigError."""
    path = Path(path_or_name)
    if path.is_file():
        return path
    builtin = builtin_dir(kind) / f"{path_or_name}.yaml"
    if builtin.is_file():
        return builtin
    raise ConfigError(
        Problem(
            str(path_or_name),
            "",
            f"an existing {what} file or a built-in {what} name ({', '.join(names)})",
            show_got=False,
        )
    )


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping with ``yaml.safe_load``; truncated or empty files are ConfigErrors."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(Problem(str(path), "", "a readable file", error.strerror)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        reason = getattr(error, "problem", None) or str(error)
        raise ConfigError(
            Problem(str(path), where, f"valid YAML ({reason})", show_got=False)
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(Problem(str(path), "", "a YAML mapping at the top level", data))
    return data


def check_keys(
    found: Problems,
    path: str,
    raw: Mapping[str, Any],
    allowed: Mapping[str, str] | Iterable[str],
    *,
    required: Iterable[str] = (),
) -> None:
    """Record unknown keys (listing the allowed ones) and missing required keys."""
    allowed = list(allowed)
    for key in raw:
        if key not in allowed:
            found.add(
                _join(path, str(key)),
                f"one of the keys {', '.join(allowed)}",
                "unknown key",
                show_got=False,
            )
    for key in required:
        if key not in raw:
            found.add(_join(path, key), "a value (this field is required)", None, show_got=False)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
