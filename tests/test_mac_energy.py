"""Throughput and energy per MAC, written as arithmetic on the 45 nm component figures
(accelsim/energy/mac/components_45nm.yaml)."""

from __future__ import annotations

import math

import pytest

from accelsim.errors import ConfigError
from accelsim.mac import (
    BinaryMac,
    BitFusionMac,
    FpMac,
    IntMac,
    LutMac,
    TernaryMac,
    default_component_energies,
    parse_component_energies,
)

MULT_8 = 0.2  # Horowitz 45 nm, pJ
ADD_8, ADD_32 = 0.03, 0.1
ADD_PER_BIT = (ADD_32 - ADD_8) / 24
GATED = 0.1  # gated_mac_fraction


def add(bits: int) -> float:
    return ADD_8 + (bits - 8) * ADD_PER_BIT


def test_int_energy_is_multiplier_plus_accumulator_adder():
    assert IntMac().energy_per_mac_pj(8, 8) == pytest.approx(8 * 8 / 64 * MULT_8 + ADD_32)
    int4 = IntMac(weight_bits=4, input_bits=4)
    assert int4.energy_per_mac_pj(4, 4) == pytest.approx(4 * 4 / 64 * MULT_8 + ADD_32)
    # narrower operands on the 8x8 unit cost the 8x8 unit's energy
    assert IntMac().energy_per_mac_pj(4, 4) == IntMac().energy_per_mac_pj(8, 8)
    assert IntMac(weight_bits=32, input_bits=32, accumulator_width=64).energy_per_mac_pj(
        32, 32
    ) == pytest.approx(32 * 32 / 64 * MULT_8 + add(64))


def test_int_energy_override_timeloop_int16():
    unit = IntMac(weight_bits=16, input_bits=16, fixed_energy_per_mac_pj=2.20)
    assert unit.energy_per_mac_pj(16, 16) == 2.20
    assert unit.energy_per_skipped_mac_pj(16, 16) == pytest.approx(GATED * 2.20)


def test_binary_energy_derivation():
    xnor = 1 * 1 / 64 * MULT_8
    expected = xnor + ADD_PER_BIT + add(16) / 64
    assert BinaryMac().energy_per_mac_pj(1, 1) == pytest.approx(expected)
    assert BinaryMac().energy_per_skipped_mac_pj(1, 1) == pytest.approx(expected)


def test_energy_order_binary_ternary_int4_int8():
    binary = BinaryMac().energy_per_mac_pj(1, 1)
    ternary = TernaryMac().average_energy_per_mac_pj(2, 8, weight_density=1.0)
    int4 = IntMac(weight_bits=4, input_bits=4).energy_per_mac_pj(4, 4)
    int8 = IntMac().energy_per_mac_pj(8, 8)
    assert binary < ternary < int4 < int8
    assert binary < int8 / 10


def test_ternary_skips_zero_weights_for_energy_always():
    unit = TernaryMac()
    full = add(32)
    assert unit.energy_per_mac_pj(2, 8) == pytest.approx(full)
    average = unit.average_energy_per_mac_pj(2, 8, weight_density=0.25)
    assert average == pytest.approx(0.25 * full + 0.75 * GATED * full)


def test_ternary_skips_zero_weight_cycles_only_when_configured():
    assert TernaryMac().cycles(1000, 2, 8, weight_density=0.3) == 1000
    assert TernaryMac(skip_zero_cycles=True).cycles(1000, 2, 8, weight_density=0.3) == 300
    assert TernaryMac(skip_zero_cycles=True).cycles(10, 2, 8, weight_density=0.25) == 3


def test_ternary_without_density_is_an_error():
    expected = r"mac \(ternary\): weight_density: expected the fraction of non-zero ternary weights"
    with pytest.raises(ConfigError, match=expected):
        TernaryMac().average_energy_per_mac_pj(2, 8)
    with pytest.raises(ConfigError, match=expected):
        TernaryMac(skip_zero_cycles=True).cycles(10, 2, 8)
    with pytest.raises(ConfigError, match=r"weight_density: expected a fraction .* got 1.5"):
        TernaryMac().average_energy_per_mac_pj(2, 8, weight_density=1.5)


def test_zero_input_gating():
    gated = IntMac(gate_zero_inputs=True)
    full = 8 * 8 / 64 * MULT_8 + ADD_32
    average = gated.average_energy_per_mac_pj(8, 8, input_density=0.4)
    assert average == pytest.approx(0.4 * full + 0.6 * GATED * full)
    assert IntMac().average_energy_per_mac_pj(8, 8, input_density=0.4) == pytest.approx(full)
    both = TernaryMac(gate_zero_inputs=True).average_energy_per_mac_pj(
        2, 8, input_density=0.5, weight_density=0.5
    )
    assert both == pytest.approx(0.25 * add(32) + 0.75 * GATED * add(32))


def test_lut_energy_read_plus_add_and_load():
    unit = LutMac(weight_bits=4, input_bits=4)
    assert unit.energy_per_mac_pj(4, 4) == pytest.approx((4 + 4) * 0.009 + ADD_32)
    assert unit.table_load_energy_pj() == pytest.approx(2 ** (4 + 4) * (4 + 4) * 0.009)


def test_fp_energies():
    exponent = math.log(3.7 / 1.1) / math.log(24 / 11)
    assert FpMac(format="fp32").energy_per_mac_pj(32, 32) == pytest.approx(3.7 + 0.9)
    assert FpMac(format="fp16").energy_per_mac_pj(16, 16) == pytest.approx(1.1 + 0.9)
    bf16 = FpMac(format="bf16").energy_per_mac_pj(16, 16)
    assert bf16 == pytest.approx(1.1 * (8 / 11) ** exponent + 0.9)
    assert FpMac(format="tf32").energy_per_mac_pj(32, 32) == pytest.approx(1.1 + 0.9)
    assert bf16 < 1.1 + 0.9


@pytest.mark.parametrize(
    ("input_bits", "weight_bits", "macs"),
    [
        (8, 8, (8 // 8) * (8 // 8)),  # 1
        (8, 4, (8 // 8) * (8 // 4)),  # 2
        (4, 4, (8 // 4) * (8 // 4)),  # 4
        (2, 2, (8 // 2) * (8 // 2)),  # 16
        (1, 1, (8 // 2) * (8 // 2)),  # 16: 1-bit runs at 2-bit speed
        (8, 2, (8 // 8) * (8 // 2)),  # 4
    ],
)
def test_bitfusion_throughput_and_energy(input_bits, weight_bits, macs):
    unit = BitFusionMac()
    assert unit.macs_per_cycle(weight_bits, input_bits) == macs
    assert unit.energy_per_mac_pj(weight_bits, input_bits) == pytest.approx(0.560 / macs)
    assert unit.cycles(100, weight_bits, input_bits) == math.ceil(100 / macs)


def test_bitfusion_table_values():
    assert [BitFusionMac().macs_per_cycle(b, b) for b in (8, 4, 2, 1)] == [1, 4, 16, 16]


def test_throughput_of_fixed_units():
    assert IntMac().macs_per_cycle(8, 8) == 1
    assert BinaryMac().macs_per_cycle(1, 1) == 64
    assert BinaryMac(lanes=32).cycles(100, 1, 1) == math.ceil(100 / 32)
    assert FpMac().macs_per_cycle(32, 32) == 1


def test_every_table_entry_has_a_source():
    table = default_component_energies()
    assert table.technology_nm == 45
    assert all(entry.source.strip() for entry in table.entries)


def test_energy_table_problems_are_listed():
    raw = {"technology_nm": 45, "entries": {"int_mult_8x8_pj": {"value": -1, "source": ""}}}
    with pytest.raises(ConfigError) as caught:
        parse_component_energies(raw, source="t.yaml")
    message = str(caught.value)
    assert (
        "t.yaml: entries.int_mult_8x8_pj.value: expected a non-negative number, got -1" in message
    )
    assert "t.yaml: entries.int_mult_8x8_pj.source: expected a non-empty string" in message
    assert "t.yaml: entries.fp_add_32_pj: expected an entry (the MAC units need it)" in message
