"""The one interface every MAC unit answers, for a (weight bits, input bits) pair.

- throughput: :meth:`MacUnit.macs_per_cycle` (per PE) and :meth:`MacUnit.cycles`;
- energy: :meth:`MacUnit.energy_per_mac_pj` (a MAC that is carried out),
  :meth:`MacUnit.energy_per_skipped_mac_pj` (a MAC gated on a zero input or skipped on a zero
  weight) and :meth:`MacUnit.average_energy_per_mac_pj` (the mix for given densities);
- :meth:`MacUnit.accumulator_bits`;
- a bit-exact functional model: :meth:`MacUnit.dot` and :meth:`MacUnit.matmul`.

Every method checks the precision first and raises :class:`~accelsim.errors.ConfigError` saying
which bits the unit supports. Units are frozen dataclasses; build them from an architecture file's
``mac:`` mapping with :func:`accelsim.mac.make_mac_unit`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from accelsim.energy.components import ComponentEnergies, default_component_energies
from accelsim.errors import ConfigError, Problem, Problems


def bits_text(allowed: Sequence[int]) -> str:
    """``1..8`` for a run of integers, ``16`` or ``1, 4`` otherwise."""
    values = sorted(allowed)
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}..{values[-1]}"
    return ", ".join(str(v) for v in values)


def accumulator_problems(width: int, needed: int) -> list[Problem]:
    """A problem if an accumulator of ``width`` bits cannot hold one ``needed``-bit product."""
    if width >= needed:
        return []
    expected = f"at least {needed} bits (one full-width product must fit)"
    return [Problem("", "mac.accumulator_bits", expected, width)]


def check_density(value: object, *, name: str, path: str = "") -> float:
    """``value`` as a float in [0, 1], or a ConfigError naming ``name``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
    if not ok:
        where = f"{path}.{name}" if path else name
        raise ConfigError(Problem("", where, "a fraction of non-zero values in [0, 1]", value))
    return float(value)  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True)
class MacUnit(ABC):
    """A MAC unit of one PE. Energies in pJ, throughput in MACs per cycle per PE.

    ``gate_zero_inputs``: the unit gates a MAC whose input (activation) is zero, as Eyeriss does;
    such a MAC costs :meth:`energy_per_skipped_mac_pj` and still takes its cycle.
    """

    kind: ClassVar[str] = ""
    gate_zero_inputs: bool = False
    energy: ComponentEnergies = field(
        default_factory=default_component_energies, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        problems = self.invariant_problems()
        if problems:
            raise ConfigError(problems)

    def invariant_problems(self) -> list[Problem]:
        """What is inconsistent in this unit's parameters (paths start with ``mac``)."""
        return []

    # ---- what each unit supplies -----------------------------------------------------------
    @abstractmethod
    def supported_weight_bits(self) -> Sequence[int]:
        """Weight precisions (bits) this unit runs."""

    @abstractmethod
    def supported_input_bits(self) -> Sequence[int]:
        """Input (activation) precisions (bits) this unit runs."""

    @abstractmethod
    def describe(self) -> str:
        """A short name for messages, such as ``int 8x8-bit``."""

    @abstractmethod
    def _macs_per_cycle(self, weight_bits: int, input_bits: int) -> int: ...

    @abstractmethod
    def _energy_per_mac_pj(self, weight_bits: int, input_bits: int) -> float: ...

    @abstractmethod
    def _accumulator_bits(self, weight_bits: int, input_bits: int) -> int: ...

    @abstractmethod
    def _dot(self, weights: NDArray, inputs: NDArray, weight_bits: int, input_bits: int) -> NDArray:
        """The result along the last axis of two broadcast operands."""

    # ---- the public interface --------------------------------------------------------------
    def check_precision(
        self, weight_bits: int, input_bits: int, *, source: str = "", path: str = "mac"
    ) -> None:
        """ConfigError (a line per bad operand) unless the unit runs ``weight_bits`` x
        ``input_bits``."""
        found = Problems(source)
        pairs = (
            ("weight_bits", weight_bits, self.supported_weight_bits()),
            ("input_bits", input_bits, self.supported_input_bits()),
        )
        for name, bits, allowed in pairs:
            if not isinstance(bits, int) or isinstance(bits, bool) or bits not in allowed:
                found.add(
                    f"{path}.{name}",
                    f"{bits_text(allowed)} ({name.replace('_', ' ')} the {self.describe()} "
                    "unit supports)",
                    bits,
                )
        found.raise_if_any()

    def macs_per_cycle(self, weight_bits: int, input_bits: int) -> int:
        """MACs one PE issues per cycle at this precision."""
        self.check_precision(weight_bits, input_bits)
        return self._macs_per_cycle(weight_bits, input_bits)

    def cycles(
        self, macs: int, weight_bits: int, input_bits: int, *, weight_density: float | None = None
    ) -> int:
        """Cycles one PE takes for ``macs`` MACs (dense count); ``weight_density`` matters only
        for a unit that skips zero weights in time."""
        return math.ceil(macs / self.macs_per_cycle(weight_bits, input_bits))

    def busy_fraction(
        self, weight_bits: int, input_bits: int, *, weight_density: float | None = None
    ) -> float:
        """Fraction of its MAC slots the unit spends cycles on: 1, except for a unit that skips
        zero weights in time (then the weight density)."""
        self.check_precision(weight_bits, input_bits)
        return 1.0

    def energy_per_mac_pj(self, weight_bits: int, input_bits: int) -> float:
        """Energy of one MAC that is carried out (pJ)."""
        self.check_precision(weight_bits, input_bits)
        return self._energy_per_mac_pj(weight_bits, input_bits)

    def setup_energy_pj(self) -> float:
        """Energy one PE's unit spends to get ready for a layer, once per layer (pJ): 0 for most
        units; a LUT unit loads its product table."""
        return 0.0

    def energy_per_skipped_mac_pj(self, weight_bits: int, input_bits: int) -> float:
        """Energy of one MAC gated or skipped on a zero operand (pJ): the table's gated fraction
        of the full energy."""
        return self.energy.value("gated_mac_fraction") * self.energy_per_mac_pj(
            weight_bits, input_bits
        )

    def active_fraction(self, input_density: float, weight_density: float | None) -> float:
        """Fraction of MACs carried out: the input density when zero inputs are gated (zeros in
        inputs and weights taken as independent by units that skip both)."""
        density = check_density(input_density, name="input_density")
        return density if self.gate_zero_inputs else 1.0

    def average_energy_per_mac_pj(
        self,
        weight_bits: int,
        input_bits: int,
        *,
        input_density: float = 1.0,
        weight_density: float | None = None,
    ) -> float:
        """Mean energy per (dense) MAC: ``active * full + (1 - active) * skipped`` (pJ)."""
        active = self.active_fraction(input_density, weight_density)
        full = self.energy_per_mac_pj(weight_bits, input_bits)
        skipped = self.energy_per_skipped_mac_pj(weight_bits, input_bits)
        return active * full + (1 - active) * skipped

    def accumulator_bits(self, weight_bits: int, input_bits: int) -> int:
        """Width of the accumulator (partial sums wrap around beyond it)."""
        self.check_precision(weight_bits, input_bits)
        return self._accumulator_bits(weight_bits, input_bits)

    def dot(
        self,
        weights: ArrayLike,
        inputs: ArrayLike,
        weight_bits: int,
        input_bits: int,
        *,
        axis: int = -1,
    ) -> NDArray:
        """What the hardware computes for ``sum(weights * inputs, axis)``: exact integers for the
        integer units (wrapped to the accumulator), format-rounded floats for ``fp``.

        The operands broadcast together. Raises ConfigError for an unsupported precision or for
        operand values that do not fit it.
        """
        self.check_precision(weight_bits, input_bits)
        w, a = np.broadcast_arrays(np.asarray(weights), np.asarray(inputs))
        return self._dot(
            np.moveaxis(w, axis, -1), np.moveaxis(a, axis, -1), weight_bits, input_bits
        )

    def matmul(
        self, weights: ArrayLike, inputs: ArrayLike, weight_bits: int, input_bits: int
    ) -> NDArray:
        """``weights`` (M x K) times ``inputs`` (K x N) -> M x N, as :meth:`dot` computes it."""
        w, a = matrix_operands(weights, inputs)
        return self.dot(w, a, weight_bits, input_bits, axis=-1)


def matrix_operands(weights: ArrayLike, inputs: ArrayLike) -> tuple[NDArray, NDArray]:
    """(M, 1, K) and (1, N, K) views whose product summed over the last axis is the matmul."""
    w, a = np.asarray(weights), np.asarray(inputs)
    if w.ndim != 2 or a.ndim != 2 or w.shape[1] != a.shape[0]:
        raise ConfigError(
            Problem(
                "", "matmul", "an M x K weight matrix and a K x N input matrix", (w.shape, a.shape)
            )
        )
    return w[:, np.newaxis, :], a.T[np.newaxis, :, :]
