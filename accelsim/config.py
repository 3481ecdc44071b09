"""The one set of parse and validation helpers every loader uses, with one set of limits.

- :func:`read_yaml`: the one YAML reader (safe loader; duplicate keys at any depth, nesting deeper
  than :data:`MAX_DEPTH`, non-UTF-8 text, empty and truncated files are ConfigErrors);
- :func:`check_keys`, :func:`integer`, :func:`number`, :func:`bits`, :func:`text`: field checks
  that record a :class:`~accelsim.errors.Problem` (file, field, value, expectation) and return a
  usable fallback, so a loader reports every problem at once;
- :func:`check_output`: an output file or folder is checked before any work starts;
- :func:`resolve_builtin`: a path, or the name of a file shipped with accelsim.

Physical sanity limits (docs/limits.md lists them with their reasons): every number is finite,
and sizes, rates, bits and energies lie within :data:`LIMITS`.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import yaml

from accelsim.errors import ConfigError, Problem, Problems

BUILTIN_ROOT = Path(__file__).parent / "builtin"
MAX_DEPTH = 32  # nesting of YAML collections; accelsim's own formats need at most 6


@dataclass(frozen=True)
class Limit:
    """The range a kind of value must lie in (``low`` excluded when ``open_low``)."""

    low: float
    high: float
    unit: str = ""
    open_low: bool = False

    def holds(self, value: float) -> bool:
        above = value > self.low if self.open_low else value >= self.low
        return above and value <= self.high

    def describe(self, kind: str) -> str:
        unit = f" {self.unit}" if self.unit else ""
        bracket = "(" if self.open_low else "["
        return f"{kind} in {bracket}{_fmt(self.low)}, {_fmt(self.high)}]{unit}"


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.6g}"


LIMITS: dict[str, Limit] = {
    # a loop bound, channel count, image size, PE-array edge or repeat count
    "size": Limit(1, 2**31 - 1),
    # a layer dimension (channels, features, image size, groups) or a mapping's loop bound:
    # costs grow with its logarithm and counts are exact integers, so only a typo is refused
    "dimension": Limit(1, 2**40),
    "pe_edge": Limit(1, 2**16),
    "padding": Limit(0, 2**16),
    "batch": Limit(1, 2**20),
    # bits of one data value (weights, inputs, outputs) and of a partial sum / accumulator
    "bits": Limit(1, 32, "bits"),
    "psum_bits": Limit(1, 64, "bits"),
    "word_bits": Limit(1, 4096, "bits"),
    "capacity_bits": Limit(0, 2**48, "bits"),  # 32 TiB
    "capacity_kb": Limit(0, 2**38, "KiB", open_low=True),
    "capacity_bytes": Limit(0, 2**45, "bytes", open_low=True),
    "bandwidth": Limit(0, 2**24, "bits per cycle", open_low=True),
    "latency": Limit(0, 10**6, "cycles"),
    "clock_mhz": Limit(0, 10**6, "MHz", open_low=True),
    "energy": Limit(0, 10**9),  # per access or per bit, in the table's unit (pJ or normalized)
    "area_mm2": Limit(0, 10**6, "mm2", open_low=True),
    "density": Limit(0, 1, open_low=True),
}


def is_int(value: object) -> TypeGuard[int]:
    """An ``int`` that is not a ``bool`` (YAML ``true`` is not a size)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    """A finite real number (``int`` or ``float``, not ``bool``, not inf or NaN)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def int_in(value: object, limit: str = "size") -> TypeGuard[int]:
    """``value`` is an integer within ``LIMITS[limit]``."""
    return is_int(value) and LIMITS[limit].holds(value)


def number_in(value: object, limit: str) -> TypeGuard[int | float]:
    """``value`` is a finite number within ``LIMITS[limit]``."""
    return is_number(value) and LIMITS[limit].holds(value)


def expect_int(limit: str = "size") -> str:
    """The expectation text for an integer of kind ``limit``, e.g. 'a positive integer (1 to
    2,147,483,647)'."""
    bound = LIMITS[limit]
    low = "a positive integer" if bound.low == 1 else "a non-negative integer"
    unit = f" {bound.unit}" if bound.unit else ""
    return f"{low} ({_fmt(bound.low)} to {_fmt(bound.high)}{unit})"


def expect_number(limit: str) -> str:
    """The expectation text for a number of kind ``limit``, e.g. 'a positive number (at most
    1,000,000 MHz)'."""
    bound = LIMITS[limit]
    unit = f" {bound.unit}" if bound.unit else ""
    if bound.low == 0:
        kind = "a positive number" if bound.open_low else "a non-negative number"
        return f"{kind} (at most {_fmt(bound.high)}{unit})"
    return bound.describe("a number")


def integer(found: Problems, path: str, value: Any, limit: str = "size") -> int:
    """``value`` if it is an integer within ``LIMITS[limit]``; else a recorded problem and the
    limit's low end."""
    if int_in(value, limit):
        return value
    found.add(path, expect_int(limit), value)
    return int(max(LIMITS[limit].low, 1))


def number(found: Problems, path: str, value: Any, limit: str) -> float:
    """``value`` as a float if it is a finite number within ``LIMITS[limit]``; else a recorded
    problem and 1.0."""
    if number_in(value, limit):
        return float(value)
    found.add(path, expect_number(limit), value)
    return 1.0


def bits(found: Problems, path: str, value: Any, *, psum: bool = False) -> int:
    """A bit width: 1 to 32 for a data value, 1 to 64 for a partial sum."""
    return integer(found, path, value, "psum_bits" if psum else "bits")


def text(found: Problems, path: str, value: Any, *, empty_ok: bool = True) -> str:
    """A text field (``description``, ``name``...): a string, not a mapping or a list."""
    if isinstance(value, str) and (empty_ok or value):
        return value
    found.add(path, "text (a string)" if empty_ok else "a non-empty string", _short(value))
    return ""


def _short(value: Any) -> Any:
    """A value fit to quote in a message: deep or long structures are abbreviated."""
    shown = repr(value)
    return value if len(shown) <= 80 else f"{shown[:60]}... ({type(value).__name__})"


def builtin_dir(kind: str) -> Path:
    """Directory of the built-in files of one kind (``arch_configs``, ``workloads``)."""
    return BUILTIN_ROOT / kind


def resolve_builtin(
    path_or_name: str | Path,
    kind: str,
    what: str,
    names: Iterable[str],
    *,
    suffixes: Iterable[str] = (".yaml",),
    folder: Path | None = None,
) -> Path:
    """A path that exists, or the built-in file called ``path_or_name`` (in ``folder``, default
    ``builtin/<kind>``, with one of ``suffixes``); else a ConfigError listing ``names``."""
    path = Path(path_or_name)
    if path.is_file():
        return path
    if isinstance(path_or_name, str) and path_or_name == path.name and not path.suffix:
        for suffix in suffixes:
            builtin = (folder or builtin_dir(kind)) / f"{path_or_name}{suffix}"
            if builtin.is_file():
                return builtin
    expected = f"an existing {what} file or a built-in {what} name ({', '.join(names)})"
    if path.is_dir():
        expected += f"; {path} is a directory"
    raise ConfigError(Problem(str(path_or_name), "", expected, show_got=False))


class _Rejected(yaml.MarkedYAMLError):
    pass


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects duplicate keys at every depth and deep nesting."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        collection = self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent)
        self._depth += collection
        try:
            if self._depth > MAX_DEPTH:
                raise _Rejected(
                    problem=f"YAML nested at most {MAX_DEPTH} levels deep",
                    problem_mark=self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= collection

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:  # an unhashable key; the base class reports it
                break
            if repeated:
                raise _Rejected(
                    problem=f"a key used once per mapping ({key!r} appears twice)",
                    problem_mark=key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml_text(text: str, source: str) -> Any:
    """Parse YAML text with the checking safe loader; ConfigError naming ``source`` and the line."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        reason = getattr(error, "problem", None) or str(error)
        expected = reason if isinstance(error, _Rejected) else f"valid YAML ({reason})"
        raise ConfigError(Problem(source, where, expected, show_got=False)) from None
    except RecursionError:
        expected = f"YAML nested at most {MAX_DEPTH} levels deep"
        raise ConfigError(Problem(source, "", expected, show_got=False)) from None
    except (ValueError, TypeError, OverflowError) as error:  # a value PyYAML cannot build
        reason = str(error)[:120]  # e.g. a 5000-digit integer, 2001-02-30, !!int x
        expected = f"valid YAML values ({reason})"
        raise ConfigError(Problem(source, "", expected, show_got=False)) from None
    finally:
        loader.dispose()


def read_text(path: Path, *, encoding: str = "utf-8") -> str:
    """A file's text; a missing, unreadable or non-UTF-8 file is a ConfigError naming it."""
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as error:
        raise ConfigError(Problem(str(path), "", "a UTF-8 text file", str(error))) from None
    except OSError as error:
        raise ConfigError(Problem(str(path), "", "a readable file", error.strerror)) from None


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping (see :func:`load_yaml_text`); an empty file or a top level that is not
    a mapping is a ConfigError."""
    data = load_yaml_text(read_text(path), str(path))
    if not isinstance(data, dict):
        raise ConfigError(Problem(str(path), "", "a YAML mapping at the top level", _short(data)))
    return data


def check_output(path: str | Path, *, option: str = "--out", folder: bool = False) -> Path:
    """Check, before any work, that ``path`` can be written: a file (``folder`` False) that is not
    an existing folder, or a folder that is not an existing file, under a writable folder that is
    not inside a file. Nothing is created. Raises ConfigError naming ``option``."""
    path = Path(path)
    wanted = "a folder to write into" if folder else "a file to write"
    if path.exists() and path.is_dir() != folder:
        kind = "an existing file" if folder else "an existing folder"
        raise ConfigError(Problem("command line", option, f"{wanted}, not {kind}", str(path)))
    parent = path if folder and path.is_dir() else path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        expected = f"{wanted} (but {parent} is a file, not a folder)"
        raise ConfigError(Problem("command line", option, expected, str(path)))
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        expected = f"{wanted} in a writable location ({parent}: {reason})"
        raise ConfigError(Problem("command line", option, expected, str(path))) from None
    return path


def check_keys(
    found: Problems,
    path: str,
    raw: Mapping[Any, Any],
    allowed: Mapping[str, str] | Iterable[str],
    *,
    required: Iterable[str] = (),
    required_note: str = "this field is required",
) -> None:
    """Record unknown keys (listing the allowed ones) and missing required keys (with
    ``required_note`` saying why they are needed)."""
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
            found.add(_join(path, key), f"a value ({required_note})", None, show_got=False)


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
