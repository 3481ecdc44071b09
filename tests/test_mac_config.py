"""make_mac_unit: parsing an architecture file's ``mac:`` mapping, and every error message."""

from __future__ import annotations

import pytest

from accelsim.errors import ConfigError
from accelsim.mac import (
    PARAMETERS,
    UNITS,
    BitFusionMac,
    FpMac,
    IntMac,
    LutMac,
    MacUnit,
    TernaryMac,
    make_mac_unit,
)

EXAMPLE_VALUES = {
    "weight_bits": 4,
    "input_bits": 4,
    "accumulator_bits": 24,
    "signed": False,
    "energy_per_mac_pj": 2.2,
    "gate_zero_inputs": True,
    "lanes": 32,
    "skip_zero_cycles": True,
    "max_entries": 1024,
    "format": "bf16",
    "energy_per_cycle_pj": 0.6,
}


KIND_VALUES = {"lut": {"weight_bits": 2, "input_bits": 3}}  # away from the LUT's 4 / 4 default

# The unit's field each key of the file sets, written out here (not read from PARAMETERS).
FIELD_OF_KEY = {
    "weight_bits": "weight_bits",
    "input_bits": "input_bits",
    "accumulator_bits": "accumulator_width",
    "signed": "signed",
    "energy_per_mac_pj": "fixed_energy_per_mac_pj",
    "gate_zero_inputs": "gate_zero_inputs",
    "lanes": "lanes",
    "skip_zero_cycles": "skip_zero_cycles",
    "max_entries": "max_entries",
    "format": "format",
    "energy_per_cycle_pj": "energy_per_cycle_pj",
}


@pytest.mark.parametrize("kind", list(UNITS))
def test_every_type_builds_with_defaults_and_with_every_key(kind):
    assert isinstance(make_mac_unit({"type": kind}, source="a.yaml"), UNITS[kind])
    values = {key: EXAMPLE_VALUES[key] for key in PARAMETERS[kind]} | KIND_VALUES.get(kind, {})
    unit = make_mac_unit({"type": kind, **values}, source="a.yaml")
    assert isinstance(unit, MacUnit)
    assert unit.kind == kind
    default = UNITS[kind]()
    for key in PARAMETERS[kind]:  # each key sets its field, away from the default
        field = FIELD_OF_KEY[key]
        assert getattr(unit, field) == values[key] != getattr(default, field), key


def test_parameters_reach_the_unit():
    unit = make_mac_unit(
        {"type": "int", "weight_bits": 16, "input_bits": 16, "energy_per_mac_pj": 2.20},
        source="a.yaml",
    )
    assert unit == IntMac(weight_bits=16, input_bits=16, fixed_energy_per_mac_pj=2.20)
    assert unit.energy_per_mac_pj(16, 16) == 2.20
    assert make_mac_unit({"type": "fp", "format": "fp16"}, source="a.yaml") == FpMac(format="fp16")
    ternary = make_mac_unit({"type": "ternary", "skip_zero_cycles": True}, source="a.yaml")
    assert ternary == TernaryMac(skip_zero_cycles=True)


def test_unknown_type_lists_the_allowed_ones():
    expected = (
        r"^a.yaml: mac.type: expected one of int, binary, ternary, lut, fp, bitfusion, got 'tpu'$"
    )
    with pytest.raises(ConfigError, match=expected):
        make_mac_unit({"type": "tpu"}, source="a.yaml")
    with pytest.raises(ConfigError, match=r"a.yaml: mac.type: expected one of int, .* got None"):
        make_mac_unit({"lanes": 4}, source="a.yaml")


def test_not_a_mapping():
    with pytest.raises(ConfigError, match=r"a.yaml: pe.mac: expected a mapping with a 'type'"):
        make_mac_unit("int8", source="a.yaml", path="pe.mac")  # type: ignore[arg-type]


def test_unknown_key_lists_the_allowed_ones():
    expected = r"a.yaml: mac.lane: expected one of the keys type, lanes, accumulator_bits$"
    with pytest.raises(ConfigError, match=expected):
        make_mac_unit({"type": "binary", "lane": 32}, source="a.yaml")


def test_all_bad_values_are_reported_together():
    spec = {"type": "int", "weight_bits": 0, "signed": "yes", "energy_per_mac_pj": -1}
    with pytest.raises(ConfigError) as caught:
        make_mac_unit(spec, source="a.yaml")
    assert str(caught.value).splitlines() == [
        "a.yaml: mac.weight_bits: expected an integer number of bits in 1..32, got 0",
        "a.yaml: mac.signed: expected true or false, got 'yes'",
        "a.yaml: mac.energy_per_mac_pj: expected an energy in pJ in [0, 1,000,000,000], got -1",
    ]
    with pytest.raises(ConfigError, match=r"a.yaml: mac.format: expected one of fp32, tf32, fp16"):
        make_mac_unit({"type": "fp", "format": "fp8"}, source="a.yaml")


def test_lut_larger_than_the_limit():
    expected = (
        r"^a.yaml: mac \(lut\): expected a table of at most max_entries = 256 entries "
        r"\(weight_bits \+ input_bits <= 8\); 6-bit weights x 4-bit inputs need 2\*\*10 entries, "
        r"got 1024$"
    )
    with pytest.raises(ConfigError, match=expected):
        make_mac_unit({"type": "lut", "weight_bits": 6, "input_bits": 4}, source="a.yaml")
    with pytest.raises(
        ConfigError, match=r"^mac \(lut\): expected a table of at most max_entries = 64 "
    ):
        LutMac(weight_bits=4, input_bits=4, max_entries=64)
    big = {"type": "lut", "weight_bits": 6, "input_bits": 4, "max_entries": 1024}
    assert make_mac_unit(big, source="a.yaml").table_entries == 1024


def test_accumulator_narrower_than_a_product():
    expected = r"a.yaml: mac.accumulator_bits: expected at least 16 bits .* got 12"
    with pytest.raises(ConfigError, match=expected):
        make_mac_unit({"type": "int", "accumulator_bits": 12}, source="a.yaml")
    with pytest.raises(ConfigError, match=r"mac.accumulator_bits: expected at least 16 bits"):
        BitFusionMac(accumulator_width=8)


@pytest.mark.parametrize(
    ("unit", "weight_bits", "input_bits", "message"),
    [
        (
            IntMac(),
            9,
            8,
            r"^arch.yaml: layers\[2\].weight_bits: expected 1..8 \(weight bits the int 8x8-bit "
            r"signed unit supports\), got 9$",
        ),
        (BitFusionMac(), 8, 16, r"input_bits: expected 1..8 \(input bits the bitfusion"),
        (FpMac(format="fp16"), 8, 16, r"weight_bits: expected 16 \(weight bits the fp fp16"),
        (TernaryMac(), 8, 8, r"weight_bits: expected 2 \(weight bits the ternary x 8-bit"),
    ],
)
def test_bits_out_of_range(unit, weight_bits, input_bits, message):
    with pytest.raises(ConfigError, match=message):
        unit.check_precision(weight_bits, input_bits, source="arch.yaml", path="layers[2]")


def test_every_method_checks_the_precision():
    unit = IntMac(weight_bits=4, input_bits=4)
    for call in (
        lambda: unit.macs_per_cycle(8, 4),
        lambda: unit.energy_per_mac_pj(8, 4),
        lambda: unit.energy_per_skipped_mac_pj(8, 4),
        lambda: unit.accumulator_bits(8, 4),
        lambda: unit.dot([1], [1], 8, 4),
    ):
        with pytest.raises(ConfigError, match=r"^mac.weight_bits: expected 1..4"):
            call()


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e30, -0.5])
def test_an_energy_override_must_be_finite_and_within_the_limit(value):
    with pytest.raises(ConfigError, match=r"a.yaml: mac.energy_per_mac_pj: expected an energy"):
        make_mac_unit({"type": "int", "energy_per_mac_pj": value}, source="a.yaml")
