"""MAC units: throughput, energy per MAC and a bit-exact functional model per (w, a) precision.

Units: ``int`` (:class:`IntMac`), ``binary`` XNOR-popcount (:class:`BinaryMac`), ``ternary``
(:class:`TernaryMac`), ``lut`` table lookup (:class:`LutMac`), ``fp`` fp32/tf32/fp16/bf16
(:class:`FpMac`), ``bitfusion`` precision-scalable (:class:`BitFusionMac`); all answer the
:class:`MacUnit` interface. Build one from an architecture file's ``mac:`` mapping with
:func:`make_mac_unit`. Energies come from ``accelsim/energy/mac/components_45nm.yaml``
(:func:`default_component_energies`).
See docs/mac_units.md for the model and its limits.
"""

from accelsim.energy.components import (
    ComponentEnergies,
    default_component_energies,
    parse_component_energies,
)
from accelsim.mac.base import MacUnit
from accelsim.mac.binary import BinaryMac
from accelsim.mac.bitfusion import BitFusionMac, fused_macs_per_cycle
from accelsim.mac.factory import PARAMETERS, UNITS, make_mac_unit
from accelsim.mac.floating import FpMac, round_float32_mantissa
from accelsim.mac.integer import IntMac
from accelsim.mac.lut import LutMac
from accelsim.mac.ternary import TernaryMac, weight_density_of

__all__ = [
    "PARAMETERS",
    "UNITS",
    "BinaryMac",
    "BitFusionMac",
    "ComponentEnergies",
    "FpMac",
    "IntMac",
    "LutMac",
    "MacUnit",
    "TernaryMac",
    "default_component_energies",
    "fused_macs_per_cycle",
    "make_mac_unit",
    "parse_component_energies",
    "round_float32_mantissa",
    "weight_density_of",
]
