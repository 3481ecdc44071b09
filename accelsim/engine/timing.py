"""simulate_timing: cycles, stalls by cause and busy time per resource for one mapped layer."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import simpy

from accelsim.analysis.counts import Analysis, analyze
from accelsim.arch.model import Arch
from accelsim.engine.plan import Plan, bandwidths, exact_fraction, make_plan, room_bits
from accelsim.engine.schedule import ScheduleState, run
from accelsim.mapping.model import Mapping
from accelsim.workload.layer import Layer


@dataclass(frozen=True)
class Timing:
    """The engine's result for one layer. Times in cycles of the arch's clock.

    ``stalls_by_cause``: (cause, cycles) where the cause is the resource (``<level>.read``,
    ``<level>.write``, ``network``) or ``latency`` that held the PE array idle, in name order
    (the same field as :class:`~accelsim.results.LayerResult`'s); ``stall_cycles`` their sum;
    ``busy_cycles``: (resource, cycles it transferred data). ``steps``: compute tiles resolved;
    ``sections``: steps actually simulated one by one (the rest were stepped in bulk).
    """

    layer: str
    cycles: int
    compute_cycles: int
    ideal_cycles: int
    stalls_by_cause: tuple[tuple[str, int], ...]
    busy_cycles: tuple[tuple[str, int], ...]
    clock_mhz: float
    steps: int
    cycles_per_step: int
    sections: int

    @property
    def stall_cycles(self) -> int:
        return sum(cycles for _, cycles in self.stalls_by_cause)

    @property
    def seconds(self) -> float:
        return self.cycles / (self.clock_mhz * 1e6)

    @property
    def busy_fraction(self) -> dict[str, float]:
        """Per resource: busy cycles over total cycles, in [0, 1]."""
        return {name: busy / self.cycles if self.cycles else 0.0 for name, busy in self.busy_cycles}

    @property
    def bottleneck(self) -> str:
        """The cause of most stall cycles, or ``compute`` when there are none."""
        if not self.stalls_by_cause:
            return "compute"
        return max(self.stalls_by_cause, key=lambda item: item[1])[0]


def simulate_timing(
    layer: Layer,
    arch: Arch,
    mapping: Mapping,
    analysis: Analysis | None = None,
    *,
    macs_per_cycle: int = 1,
    compute_fraction: float | Fraction = 1.0,
    bulk: bool = True,
) -> Timing:
    """Simulate ``mapping`` of ``layer`` on ``arch``; see docs/engine.md for the model.

    ``analysis``: the access counts of the same (layer, arch, mapping), computed if not given.
    ``macs_per_cycle``: temporal steps of the mapping a PE completes per cycle, 1 by default: a
    MAC unit that does several MACs per cycle does them through the mapping's lane loops
    (axis L), which already shrink the temporal steps.
    ``compute_fraction``: the fraction, in [0, 1], of each step's MAC slots the unit spends
    cycles on (a unit skipping zero weights in time: the weight density); a step computes in
    ``ceil(inner_steps * compute_fraction / macs_per_cycle)`` cycles, exactly (a float is taken
    at its shortest decimal form: 0.7 is 7/10). Traffic does not change.
    ``bulk=False`` simulates every step one by one (same result, slower; for tests).
    Raises ValueError for a ``macs_per_cycle`` below 1 or a ``compute_fraction`` outside [0, 1].
    """
    if analysis is None:
        analysis = analyze(layer, arch, mapping)
    if macs_per_cycle < 1:
        raise ValueError(f"macs_per_cycle: expected a positive integer, got {macs_per_cycle}")
    fraction = exact_fraction(compute_fraction)
    plan = make_plan(layer, arch, mapping, analysis, macs_per_cycle, fraction)
    schedule = ScheduleState(plan, bandwidths(arch, analysis), room_bits(arch, analysis), bulk=bulk)
    env = simpy.Environment()
    env.process(run(schedule, env))
    env.run()
    return _timing(layer, arch, plan, schedule, int(env.now))


def _timing(layer: Layer, arch: Arch, plan: Plan, schedule: ScheduleState, cycles: int) -> Timing:
    return Timing(
        layer=layer.name,
        cycles=cycles,
        compute_cycles=plan.steps * plan.compute_cycles,
        ideal_cycles=plan.steps * plan.compute_cycles,
        stalls_by_cause=tuple(sorted((k, v) for k, v in schedule.stalls.items() if v)),
        busy_cycles=tuple(sorted((k, v) for k, v in schedule.busy.items() if v)),
        clock_mhz=arch.clock_mhz,
        steps=plan.steps,
        cycles_per_step=plan.compute_cycles,
        sections=schedule.sections,
    )
