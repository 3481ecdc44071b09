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
    except UnicodeDecodeError as error:
        raise ConfigError(Problem(str(path), "", "a UTF-8 text file", str(error))) from None
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


def apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any], *, source: str) -> dict:
    """A copy of ``raw`` with each dotted ``path`` set to its value.

    A path step is a mapping key, a list index, or the ``name`` of an element of a list of
    mappings (``levels.buffer.capacity_kb`` sets ``capacity_kb`` of the level named ``buffer``).
    Raises ConfigError naming the path when a step does not exist.
    """
    import copy

    result = copy.deepcopy(raw)
    found = Problems(source)
    for path, value in overrides.items():
        steps = str(path).split(".")
        node: Any = result
        for depth, step in enumerate(steps[:-1]):
            node = _step(node, step)
            if node is None:
                found.add(
                    path, f"a path that exists ('{'.'.join(steps[: depth + 1])}' does not)", value
                )
                break
        else:
            if isinstance(node, list):
                target = _step(node, steps[-1])
                if target is None:
                    found.add(path, "an existing list element", value)
                    continue
                node[node.index(target)] = value
            elif isinstance(node, dict):
                node[steps[-1]] = value
            else:
                found.add(path, "a path into a mapping or a list", value)
    found.raise_if_any()
    return result


def _step(node: Any, step: str) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list):
        if step.isdigit() and int(step) < len(node):
            return node[int(step)]
        for item in node:
            if isinstance(item, dict) and str(item.get("name")) == step:
                return item
    return None
