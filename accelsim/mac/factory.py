"""Build a MAC unit from an architecture file's ``mac:`` mapping.

    mac:
      type: int            # int | binary | ternary | lut | fp | bitfusion
      weight_bits: 8       # ... and that unit's parameters (see PARAMETERS)

Every problem (unknown type, unknown key, wrong value, inconsistent widths) is collected and raised
as one :class:`~accelsim.errors.ConfigError` naming ``<source>: <path>.<key>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from accelsim.config import LIMITS, is_int, number_in
from accelsim.errors import ConfigError, Problem, Problems
from accelsim.mac.base import MacUnit
from accelsim.mac.binary import BinaryMac
from accelsim.mac.bitfusion import BitFusionMac
from accelsim.mac.floating import FORMATS, FpMac
from accelsim.mac.integer import IntMac
from accelsim.mac.intops import MAX_ACCUMULATOR_BITS
from accelsim.mac.lut import LutMac
from accelsim.mac.ternary import TernaryMac

Check = Callable[[object], bool]


@dataclass(frozen=True)
class Parameter:
    """One key of a unit's mapping: the dataclass field it sets, its test, what it expects."""

    field: str
    check: Check
    expected: str


def _is_int(value: object, low: int, high: int) -> bool:
    return is_int(value) and low <= value <= high


def _bits(high: int) -> Parameter:
    return Parameter("", lambda v: _is_int(v, 1, high), f"an integer number of bits in 1..{high}")


def _flag(field: str) -> Parameter:
    return Parameter(field, lambda v: isinstance(v, bool), "true or false")


def _energy(field: str) -> Parameter:
    ok: Check = lambda v: number_in(v, "energy")  # noqa: E731
    return Parameter(field, ok, LIMITS["energy"].describe("an energy in pJ"))


def _named(parameter: Parameter, field: str) -> Parameter:
    return Parameter(field, parameter.check, parameter.expected)


ACCUMULATOR = Parameter(
    "accumulator_width",
    lambda v: _is_int(v, 2, MAX_ACCUMULATOR_BITS),
    f"an accumulator width in bits, 2..{MAX_ACCUMULATOR_BITS}",
)
GATE = _flag("gate_zero_inputs")
SIGNED = _flag("signed")

PARAMETERS: dict[str, dict[str, Parameter]] = {
    "int": {
        "weight_bits": _named(_bits(32), "weight_bits"),
        "input_bits": _named(_bits(32), "input_bits"),
        "accumulator_bits": ACCUMULATOR,
        "signed": SIGNED,
        "energy_per_mac_pj": _energy("fixed_energy_per_mac_pj"),
        "gate_zero_inputs": GATE,
    },
    "binary": {
        "lanes": Parameter("lanes", lambda v: _is_int(v, 1, 4096), "a lane count in 1..4096"),
        "accumulator_bits": ACCUMULATOR,
    },
    "ternary": {
        "input_bits": _named(_bits(32), "input_bits"),
        "accumulator_bits": ACCUMULATOR,
        "signed": SIGNED,
        "skip_zero_cycles": _flag("skip_zero_cycles"),
        "gate_zero_inputs": GATE,
    },
    "lut": {
        "weight_bits": _named(_bits(16), "weight_bits"),
        "input_bits": _named(_bits(16), "input_bits"),
        "accumulator_bits": ACCUMULATOR,
        "signed": SIGNED,
        "max_entries": Parameter(
            "max_entries", lambda v: _is_int(v, 1, 1 << 32), "a positive number of table entries"
        ),
        "gate_zero_inputs": GATE,
    },
    "fp": {
        "format": Parameter("format", lambda v: v in FORMATS, f"one of {', '.join(FORMATS)}"),
        "gate_zero_inputs": GATE,
    },
    "bitfusion": {
        "accumulator_bits": ACCUMULATOR,
        "signed": SIGNED,
        "energy_per_cycle_pj": _energy("energy_per_cycle_pj"),
        "gate_zero_inputs": GATE,
    },
}
UNITS: dict[str, type[MacUnit]] = {
    "int": IntMac,
    "binary": BinaryMac,
    "ternary": TernaryMac,
    "lut": LutMac,
    "fp": FpMac,
    "bitfusion": BitFusionMac,
}


def make_mac_unit(spec: Mapping[str, Any], *, source: str, path: str = "mac") -> MacUnit:
    """The MAC unit ``spec`` describes (``type`` plus that unit's parameters).

    Raises ConfigError listing every problem: not a mapping, missing or unknown ``type`` (with the
    allowed types), unknown keys (with the allowed ones), bad values, an accumulator narrower than
    the product, a LUT larger than its ``max_entries``.
    """
    found = Problems(source)
    if not isinstance(spec, Mapping):
        found.add(path, "a mapping with a 'type' and that unit's parameters", spec)
        found.raise_if_any()
    kind = spec.get("type")
    if kind not in UNITS:
        found.add(f"{path}.type", f"one of {', '.join(UNITS)}", kind)
        found.raise_if_any()
    unit = cast(str, kind)  # one of UNITS' names, checked above
    fields = _fields(found, spec, PARAMETERS[unit], path)
    found.raise_if_any()
    try:
        return UNITS[unit](**fields)
    except ConfigError as error:  # a check the unit makes itself (accumulator, LUT size)
        raise ConfigError([_placed(problem, source, path) for problem in error.problems]) from None


def _fields(
    found: Problems, spec: Mapping[str, Any], parameters: dict[str, Parameter], path: str
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    allowed = ", ".join(["type", *parameters])
    for key, value in spec.items():
        if key == "type":
            continue
        parameter = parameters.get(key)
        if parameter is None:
            found.add(f"{path}.{key}", f"one of the keys {allowed}", "unknown key", show_got=False)
        elif not parameter.check(value):
            found.add(f"{path}.{key}", parameter.expected, value)
        else:
            fields[parameter.field] = value
    return fields


def _placed(problem: Problem, source: str, path: str) -> Problem:
    """``problem`` (raised by a unit, which knows no file) with the file and config path."""
    where = problem.path.replace("mac", path, 1)
    return Problem(source, where, problem.expected, problem.got, problem.show_got)
