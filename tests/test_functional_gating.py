"""Zero gating and skipping through the API: a layer's densities reach MAC energy (and cycles).

A gated or skipped MAC costs the table's ``gated_mac_fraction`` (0.1) of a full MAC, so with an
active fraction ``f`` the MAC (ALU) energy is ``f + (1 - f) * 0.1`` of the dense layer's.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from accelsim.api import simulate
from accelsim.arch import arch_from_dict
from accelsim.mac import make_mac_unit
from accelsim.workload.build import make_layer

TINY = Path(__file__).parents[1] / "accelsim/builtin/arch_configs/tiny.yaml"
GATED = 0.1  # gated_mac_fraction of accelsim/energy/components_45nm.yaml
LAYER = make_layer("conv", "conv", in_channels=4, out_channels=8, input_size=6, kernel_size=3)
TERNARY = LAYER.with_precision(2, 8)


def arch_with(mac: dict):
    raw = yaml.safe_load(TINY.read_text())
    return arch_from_dict({**raw, "mac": mac}, source=f"tiny with {mac}")


def alu_energy(mac: dict, layer, **densities) -> float:
    result = simulate(arch_with(mac), replace(layer, **densities), dataflow="rs", fidelity="ideal")
    return result.energy_by("category")["ALU"]


def test_the_table_gated_fraction_is_the_one_assumed():
    unit = make_mac_unit({"type": "int"}, source="test")
    assert unit.energy_per_skipped_mac_pj(8, 8) == pytest.approx(
        GATED * unit.energy_per_mac_pj(8, 8)
    )


@pytest.mark.parametrize(
    ("mac", "layer", "densities", "active"),
    [
        ({"type": "int", "gate_zero_inputs": True}, LAYER, {"input_density": 0.5}, 0.5),
        ({"type": "int", "gate_zero_inputs": True}, LAYER, {"input_density": 0.2}, 0.2),
        ({"type": "int"}, LAYER, {"input_density": 0.5}, 1.0),  # no gating: full energy
        ({"type": "int"}, LAYER, {"weight_density": 0.5}, 1.0),  # int never skips weights
        ({"type": "ternary"}, TERNARY, {"weight_density": 0.25}, 0.25),
        ({"type": "ternary"}, TERNARY, {"input_density": 0.5}, 1.0),
        (
            {"type": "ternary", "gate_zero_inputs": True},
            TERNARY,
            {"weight_density": 0.25, "input_density": 0.5},
            0.25 * 0.5,
        ),
        ({"type": "bitfusion", "gate_zero_inputs": True}, LAYER, {"input_density": 0.5}, 0.5),
    ],
)
def test_densities_price_gated_macs_at_their_own_energy(mac, layer, densities, active):
    dense = alu_energy(mac, layer)
    assert alu_energy(mac, layer, **densities) == pytest.approx(
        dense * (active + (1 - active) * GATED), rel=1e-12
    )


def test_densities_leave_cycles_alone_when_the_unit_only_gates():
    mac = {"type": "int", "gate_zero_inputs": True}
    dense = simulate(arch_with(mac), LAYER, dataflow="rs")
    sparse = simulate(arch_with(mac), replace(LAYER, input_density=0.3), dataflow="rs")
    assert sparse.layers[0].cycles == dense.layers[0].cycles


@pytest.mark.parametrize("fidelity", ["ideal", "engine"])
def test_ternary_skipping_zero_weights_saves_cycles(fidelity):
    arch = arch_with({"type": "ternary", "skip_zero_cycles": True})
    dense = simulate(arch, TERNARY, dataflow="rs", fidelity=fidelity).layers[0]
    sparse = simulate(
        arch, replace(TERNARY, weight_density=0.25), dataflow="rs", fidelity=fidelity
    ).layers[0]
    # the same mapping (densities do not change capacities); a quarter of the MAC steps issue
    assert sparse.ideal_cycles == math.ceil(dense.ideal_cycles * 0.25)
    assert sparse.cycles < dense.cycles
