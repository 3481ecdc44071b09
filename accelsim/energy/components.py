"""The 45 nm component energies the MAC units are priced from (adders, multipliers, register bits:
not to be confused with the storage energy tables of :mod:`accelsim.energy`), and the rules that
scale them.

The numbers live in ``components_45nm.yaml`` (each with its source); this module only reads them and
applies the scaling rules, all in pJ:

- integer multiplier, ``w`` x ``a`` bits: ``w * a / 64 * int_mult_8x8`` (area, and so energy, of an
  array multiplier grows with the number of partial-product bits; 32x32 gives 3.2 pJ against the
  published 3.1 pJ);
- integer adder of ``n`` bits: the straight line through the 8-bit (0.03 pJ) and 32-bit (0.1 pJ)
  figures, ``0.03 + (n - 8) * 0.07 / 24`` (16 bits: 0.053 pJ, against 0.05 pJ in reproductions);
- floating-point multiplier: the power law in significand width (implicit bit included) through the
  fp16 (11 bits, 1.1 pJ) and fp32 (24 bits, 3.7 pJ) figures, exponent about 1.56 (an estimate for
  bf16 and tf32, which have no published figure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import cast

import yaml

from accelsim.errors import ConfigError, Problems

DEFAULT_TABLE_FILE = "components_45nm.yaml"
REQUIRED_ENTRIES: tuple[str, ...] = (
    "int_mult_8x8_pj",
    "int_add_8_pj",
    "int_add_32_pj",
    "fp_mult_16_pj",
    "fp_mult_32_pj",
    "fp_add_16_pj",
    "fp_add_32_pj",
    "register_bit_read_pj",
    "register_bit_write_pj",
    "bitfusion_fusion_unit_cycle_pj",
    "gated_mac_fraction",
)
FP16_SIGNIFICAND_BITS = 11
FP32_SIGNIFICAND_BITS = 24


@dataclass(frozen=True)
class EnergyEntry:
    """One figure of the table: its value (pJ, or a ratio for ``*_fraction``) and its source."""

    name: str
    value: float
    source: str


@dataclass(frozen=True)
class ComponentEnergies:
    """The figures of one technology; look them up with :meth:`value`."""

    source: str
    technology_nm: int
    entries: tuple[EnergyEntry, ...]

    def value(self, name: str) -> float:
        """The value of entry ``name``; KeyError for a name the table lacks (a programming slip)."""
        for entry in self.entries:
            if entry.name == name:
                return entry.value
        raise KeyError(name)

    # ---- scaling rules ---------------------------------------------------------------------
    def int_mult_pj(self, weight_bits: int, input_bits: int) -> float:
        """Energy of one ``weight_bits`` x ``input_bits`` integer multiply (pJ)."""
        return weight_bits * input_bits / 64 * self.value("int_mult_8x8_pj")

    def int_add_pj(self, bits: int) -> float:
        """Energy of one ``bits``-wide integer add (pJ), linear through the 8b and 32b figures."""
        return self.int_add_8_pj + (bits - 8) * self.int_add_pj_per_bit

    @property
    def int_add_8_pj(self) -> float:
        return self.value("int_add_8_pj")

    @property
    def int_add_pj_per_bit(self) -> float:
        """Marginal energy of one more adder bit (one full adder), pJ."""
        return (self.value("int_add_32_pj") - self.value("int_add_8_pj")) / (32 - 8)

    def fp_mult_pj(self, significand_bits: int) -> float:
        """Energy of one floating-point multiply with this significand width (pJ)."""
        low, high = self.value("fp_mult_16_pj"), self.value("fp_mult_32_pj")
        exponent = math.log(high / low) / math.log(FP32_SIGNIFICAND_BITS / FP16_SIGNIFICAND_BITS)
        return low * (significand_bits / FP16_SIGNIFICAND_BITS) ** exponent


def parse_component_energies(raw: object, *, source: str) -> ComponentEnergies:
    """Validate a loaded YAML energy table; every problem is reported in one ConfigError."""
    found = Problems(source)
    if not isinstance(raw, dict) or not isinstance(raw.get("entries"), dict):
        found.add("entries", "a mapping of entry name -> {value, source}", raw)
        found.raise_if_any()
    assert isinstance(raw, dict)
    entries = [_parse_entry(found, name, body) for name, body in raw["entries"].items()]
    names = {entry.name for entry in entries}
    for name in REQUIRED_ENTRIES:
        if name not in names:
            found.add(f"entries.{name}", "an entry (the MAC units need it)", None, show_got=False)
    technology = raw.get("technology_nm")
    if not isinstance(technology, int) or isinstance(technology, bool) or technology <= 0:
        found.add("technology_nm", "a positive integer (nm)", technology)
    found.raise_if_any()
    return ComponentEnergies(source, cast(int, technology), tuple(entries))  # checked above


def _parse_entry(found: Problems, name: str, body: object) -> EnergyEntry:
    path = f"entries.{name}"
    if not isinstance(body, dict) or set(body) != {"value", "source"}:
        found.add(path, "a mapping with exactly the keys value, source", body)
        return EnergyEntry(name, 0.0, "")
    value, where = body["value"], body["source"]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        found.add(f"{path}.value", "a non-negative number", value)
    if not isinstance(where, str) or not where.strip():
        found.add(f"{path}.source", "a non-empty string saying where the figure comes from", where)
    return EnergyEntry(name, float(value) if isinstance(value, (int, float)) else 0.0, str(where))


@lru_cache(maxsize=1)
def default_component_energies() -> ComponentEnergies:
    """The built-in 45 nm table (``accelsim/energy/mac/components_45nm.yaml``), read once."""
    text = (
        resources.files("accelsim.energy")
        .joinpath("mac", DEFAULT_TABLE_FILE)
        .read_text(encoding="utf-8")
    )
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:  # only if the shipped file is broken
        raise ConfigError(f"{DEFAULT_TABLE_FILE}: expected valid YAML ({error})") from None
    return parse_component_energies(raw, source=DEFAULT_TABLE_FILE)
