"""Timeloop input files: a safe YAML loader that knows Timeloop's tags, and the merge of several
files by top-level key, as timeloop-model does.

The architecture spec v0.4 writes its tree with tags (``!Container``, ``!Component``,
``!Parallel``, ...). They are read with ``yaml.SafeLoader`` extended with one constructor per
known tag, which turns ``!Component {name: x}`` into ``{"!": "Component", "name": "x"}``; an
unknown tag is a ConfigError naming the file and line. Nothing is ever loaded unsafely.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from accelsim.errors import ConfigError, Problem

log = logging.getLogger(__name__)

TAG_KEY = "!"  # the key a tagged mapping's tag name is stored under
# Timeloop's v0.4 node classes (timeloopfe.v4.arch) and the Accelergy/timeloopfe tags that may
# appear beside them; the ones without a meaning here are read and ignored.
KNOWN_TAGS = (
    "Container",
    "Component",
    "Parallel",
    "Hierarchical",
    "Pipelined",
    "Nothing",
    "Architecture",
    "Problem",
    "Mapping",
    "Mapper",
    "Variables",
    "Components",
    "ComponentAttributes",
    "Spatial",
)
# Top-level keys that evaluation uses, and the ones that are read but ignored (with a note).
USED_KEYS = ("architecture", "problem", "mapping", "ERT", "sparse_optimizations")
IGNORED_KEYS = (
    "ART",
    "architecture_constraints",
    "compound_components",
    "components",
    "variables",
    "globals",
    "mapper",
    "mapspace",
    "mapspace_constraints",
    "model",
    "ERT_summary",
    "ART_summary",
    "dumped_by_timeloop_front_end",
    "constraints",
)


_SAFE: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when built with it


class _Loader(_SAFE):  # type: ignore[misc,valid-type]
    """The safe loader plus Timeloop's tags; every other tag stays unknown (an error)."""


def _construct(tag: str):
    def construct(loader: _Loader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            value = loader.construct_mapping(node, deep=True)
            return {TAG_KEY: tag, **value}
        if isinstance(node, yaml.SequenceNode):
            return {TAG_KEY: tag, "nodes": loader.construct_sequence(node, deep=True)}
        return {TAG_KEY: tag, "value": loader.construct_scalar(node)}  # type: ignore[arg-type]

    return construct


for _tag in KNOWN_TAGS:
    _Loader.add_constructor(f"!{_tag}", _construct(_tag))


def load_yaml(path: Path) -> dict[str, Any]:
    """One Timeloop YAML file as a mapping. Raises ConfigError (file, line, what was expected)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(Problem(str(path), "", "a readable file", error.strerror)) from None
    except UnicodeDecodeError as error:
        raise ConfigError(Problem(str(path), "", "a UTF-8 text file", str(error))) from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}" if mark is not None else ""
        tags = ", ".join(f"!{tag}" for tag in KNOWN_TAGS)
        got = (error.problem or "").split("'")[1] if "'" in (error.problem or "") else None
        raise ConfigError(Problem(str(path), where, f"a known tag ({tags})", got)) from None
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


@dataclass(frozen=True)
class Inputs:
    """The merged inputs: each used top-level key's value and the file it came from."""

    values: dict[str, Any]
    sources: dict[str, str]
    ignored: tuple[str, ...]

    def source(self, key: str) -> str:
        return self.sources.get(key, "<inputs>")


def merge_inputs(paths: list[Path]) -> Inputs:
    """Merge Timeloop input files by top-level key (a later file's key replaces an earlier one's,
    as timeloop-model does). Keys evaluation does not need are ignored with a log note; a key
    nobody knows is an error."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for path in paths:
        for key, value in load_yaml(path).items():
            if key in USED_KEYS:
                values[key], sources[key] = value, str(path)
            elif key in IGNORED_KEYS:
                ignored.append(f"{path}: {key}")
            else:
                expected = f"a Timeloop top-level key ({', '.join(USED_KEYS + IGNORED_KEYS)})"
                problems.append(Problem(str(path), key, expected, key))
    if problems:
        raise ConfigError(problems)
    for note in ignored:
        log.info("ignored (not needed to evaluate): %s", note)
    return Inputs(values, sources, tuple(ignored))


def require(inputs: Inputs, key: str, expected: str) -> Any:
    if key not in inputs.values:
        files = ", ".join(sorted(set(inputs.sources.values()))) or "<no files>"
        raise ConfigError(Problem(files, key, expected + " (no input file has it)", show_got=False))
    return inputs.values[key]
