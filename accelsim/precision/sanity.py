"""Sanity checks of a cost table before a search spends accuracy on it.

1. Monotonicity: on a precision-scalable MAC unit (one whose MACs per cycle change with the bits),
   cutting a layer's weight or activation bits should never cost cycles. A ``shared`` table
   under the ``cycles`` metric is monotone by construction (each pair may run its wider
   neighbours' mappings; docs/precision.md); a violation elsewhere means the mapper picked, at
   the lower bits, a mapping that is slower (it optimises the table's objective, which may be
   energy, or ranks by a bandwidth bound under ``remap="best"``); it is listed, not hidden.
2. The memory wall: a layer whose traffic at its lowest bits needs more cycles than its compute
   (``memory_cycles`` > ``ideal_cycles``) gains less from fewer bits than the MAC unit promises;
   a search should not spend accuracy there. The report gives, per flagged layer, the speed-up
   the MAC unit promises from the widest to the narrowest pair and the one the table shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.precision.table import CostTable


@dataclass(frozen=True)
class Violation:
    """``cycles`` at the narrower pair exceed ``wider_cycles`` at the wider one."""

    layer: str
    weight_bits: int
    input_bits: int
    wider_weight_bits: int
    wider_input_bits: int
    cycles: float
    wider_cycles: float


@dataclass(frozen=True)
class MemoryWall:
    """A layer where bandwidth caps the gain of fewer bits (speed-ups widest -> narrowest)."""

    layer: str
    memory_cycles: float  # at the narrowest pair
    ideal_cycles: float  # at the narrowest pair
    promised_speedup: float  # ideal cycles widest / narrowest
    table_speedup: float  # max(cycles, memory bound) widest / narrowest


@dataclass(frozen=True)
class SanityReport:
    precision_scalable: bool
    violations: tuple[Violation, ...]
    memory_wall: tuple[MemoryWall, ...]

    @property
    def ok(self) -> bool:
        return not self.violations

    def text(self) -> str:
        """A short human-readable report (the CLI prints it)."""
        lines = []
        if not self.precision_scalable:
            lines.append("MAC unit is not precision-scalable here: monotonicity not checked")
        else:
            lines.append(f"monotonic cycles: {len(self.violations)} violation(s)")
        lines += [
            f"  {v.layer}: w{v.weight_bits}a{v.input_bits} {v.cycles:,.0f} cycles > "
            f"w{v.wider_weight_bits}a{v.wider_input_bits} {v.wider_cycles:,.0f}"
            for v in self.violations[:20]
        ]
        lines.append(f"memory wall: {len(self.memory_wall)} layer(s) bandwidth-bound at low bits")
        lines += [
            f"  {m.layer}: speed-up {m.table_speedup:.2f}x of {m.promised_speedup:.2f}x promised "
            f"(memory {m.memory_cycles:,.0f} > compute {m.ideal_cycles:,.0f} cycles)"
            for m in self.memory_wall
        ]
        return "\n".join(lines)


def sanity_report(table: CostTable) -> SanityReport:
    """Check ``table`` (see the module docstring). Pairs that are NaN are skipped."""
    throughput = table.arrays["macs_per_cycle"]
    scalable = bool(np.nanmax(throughput) > np.nanmin(throughput))
    violations = _violations(table) if scalable else ()
    return SanityReport(scalable, violations, _memory_wall(table))


def _violations(table: CostTable) -> tuple[Violation, ...]:
    cycles = table.arrays["cycles"]
    order_w, order_a = np.argsort(table.weight_bits), np.argsort(table.input_bits)
    found = []
    for i, layer in enumerate(table.layers):
        for j, k in np.ndindex(len(table.weight_bits), len(table.input_bits)):
            for wj, wk in _wider(order_w, order_a, j, k):
                if cycles[i, j, k] > cycles[i, wj, wk]:  # NaN compares False: skipped
                    found.append(
                        Violation(
                            layer,
                            table.weight_bits[j],
                            table.input_bits[k],
                            table.weight_bits[wj],
                            table.input_bits[wk],
                            float(cycles[i, j, k]),
                            float(cycles[i, wj, wk]),
                        )
                    )
    return tuple(found)


def _wider(order_w, order_a, j: int, k: int) -> list[tuple[int, int]]:
    """Indices of the next wider pair along each axis (the neighbours that must not be faster)."""
    rank_w, rank_a = list(order_w).index(j), list(order_a).index(k)
    out = []
    if rank_w + 1 < len(order_w):
        out.append((int(order_w[rank_w + 1]), k))
    if rank_a + 1 < len(order_a):
        out.append((j, int(order_a[rank_a + 1])))
    return out


def _memory_wall(table: CostTable) -> tuple[MemoryWall, ...]:
    jw, ka = int(np.argmax(table.weight_bits)), int(np.argmax(table.input_bits))
    jn, kn = int(np.argmin(table.weight_bits)), int(np.argmin(table.input_bits))
    memory, ideal, cycles = (table.arrays[n] for n in ("memory_cycles", "ideal_cycles", "cycles"))
    walls = []
    for i, layer in enumerate(table.layers):
        if not memory[i, jn, kn] > ideal[i, jn, kn]:
            continue
        wide = max(cycles[i, jw, ka], memory[i, jw, ka])
        narrow = max(cycles[i, jn, kn], memory[i, jn, kn])
        walls.append(
            MemoryWall(
                layer,
                float(memory[i, jn, kn]),
                float(ideal[i, jn, kn]),
                float(ideal[i, jw, ka] / ideal[i, jn, kn]),
                float(wide / narrow),
            )
        )
    return tuple(walls)
