"""The reference engine: the schedule of docs/engine.md as a discrete-event simulation in simpy.

The production engine (:mod:`accelsim.engine.schedule`) evaluates the event times as max-plus
recurrences and steps identical loop iterations in bulk. This module simulates the same model the
slow, literal way, every step, one event at a time, so that the tests can check the first against
it (same cycles, same stall cycles by cause, same busy cycles per resource):

- every resource (a level's read port, its write port, the array network) is a :class:`Port`: a
  simpy ``Resource`` of capacity 1 serving the transfers submitted to it one at a time, in the
  order they were submitted (program order: a DMA queue), each once its ready event has fired,
  for ``ceil(bits / bandwidth)`` cycles;
- a job (the transfers of one fetch part, the traffic inside a step, a drain) is a process that
  ends ``latency`` cycles after its slowest transfer;
- the program is posted at time 0: for every step, in the order of the loop nest, the traffic
  inside it (ready when the step starts computing), the prefetch of the next step's tiles into
  the room of each level (ready when that room is free), the drains of its partial sums (ready
  when it has computed) and the rest of the next fetch (ready when the share of the drain that
  frees room for it has ended, or, for a sliding window, when the step has used the elements it
  loses for the last time); a port thus serves in program order, but a transfer may start
  long before the step it belongs to, as soon as what it waits for has happened and the port
  has served everything before it;
- a level's room is a slot: an event that fires when the tile that occupied it is released;
- a compute step is a process that waits for its operands (the parts of its fetch) and for the
  step before to have computed (the PE array), then computes: at least its compute cycles,
  until the traffic inside it has ended (with the partial sums a streaming level receives) and
  until the partial sums a streaming level drained after the step before have left.

Stalls are attributed as they happen: the array idle before a step, to the cause of its last
operand to arrive; a step stretched by its inner traffic, to the resource that ended last; the
time after the last compute, to the drain that ended last. A job's cause is the resource whose
transfer ended last (ties: the first in name order); a job that moves nothing ends with
``latency`` if it has one, else with the cause of what it waited for; among parts ending at the
same cycle the cause last in name order wins. These tie rules are the production engine's.

Meant for small layers (a few thousand steps): it costs several simpy events per step.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Sequence
from fractions import Fraction
from math import ceil
from typing import Any, cast

import simpy

from accelsim.analysis.counts import Analysis, analyze
from accelsim.arch.model import Arch
from accelsim.engine.plan import (
    Job,
    Plan,
    StepKey,
    bandwidths,
    exact_fraction,
    make_plan,
    room_bits,
)
from accelsim.engine.timing import Timing
from accelsim.mapping.model import Mapping
from accelsim.workload.layer import Layer

# A point in simulated time and why things waited until then: (cycle, cause).
Mark = tuple[int, str]
# A job's cycles on each resource, in name order (zero-cycle transfers left out).
Cycles = tuple[tuple[str, int], ...]

PortFactory = Callable[[simpy.Environment, str, Fraction | None], "Port"]


class Port:
    """A resource of fixed bandwidth serving its transfers in submission order, one at a time.

    A ``simpy.Resource`` of capacity 1: a transfer requests it when submitted, so that requests
    queue in program order, holds it from its turn until it has ended (waiting first for its
    ready event: a DMA queue does not reorder), and holds it ``cycles(bits)`` cycles.
    :meth:`cycles` says how long a transfer of some bits takes; :meth:`submit` queues a transfer
    of some cycles that may start once ``ready`` has fired and returns the event that fires, with
    the cycle it ended, when it has. A subclass may change either (docs/engine.md, "Adding a kind
    of resource").
    """

    def __init__(self, env: simpy.Environment, name: str, bandwidth: Fraction | None) -> None:
        self._env = env
        self._name = name
        self._bandwidth = bandwidth
        self._resource = simpy.Resource(env, capacity=1)
        self._busy = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def busy_cycles(self) -> int:
        return self._busy

    def cycles(self, bits: int) -> int:
        """Cycles a transfer of ``bits`` holds the port (0: unlimited bandwidth)."""
        return 0 if self._bandwidth is None else ceil(bits / self._bandwidth)

    def submit(self, cycles: int, ready: simpy.Event) -> simpy.Event:
        turn = self._resource.request()  # now: the queue keeps the order of submission
        return self._env.process(self._transfer(turn, cycles, ready))

    def _transfer(
        self, turn: simpy.resources.resource.Request, cycles: int, ready: simpy.Event
    ) -> Generator[simpy.Event, Any, int]:
        yield turn
        yield ready
        yield self._env.timeout(cycles)
        self._busy += cycles
        self._resource.release(turn)
        return int(self._env.now)


def simulate_reference(
    layer: Layer,
    arch: Arch,
    mapping: Mapping,
    analysis: Analysis | None = None,
    *,
    macs_per_cycle: int = 1,
    compute_fraction: float | Fraction = 1.0,
    port: PortFactory = Port,
) -> Timing:
    """The :class:`Timing` of ``mapping`` by discrete-event simulation of every step.

    Same arguments and result as :func:`~accelsim.engine.simulate_timing` (``sections`` is the
    number of steps: all are simulated); ``port`` builds the resource of each name.
    """
    if analysis is None:
        analysis = analyze(layer, arch, mapping)
    if macs_per_cycle < 1:
        raise ValueError(f"macs_per_cycle: expected a positive integer, got {macs_per_cycle}")
    fraction = exact_fraction(compute_fraction)
    plan = make_plan(layer, arch, mapping, analysis, macs_per_cycle, fraction)
    env = simpy.Environment()
    ports = {name: port(env, name, value) for name, value in bandwidths(arch, analysis).items()}
    simulation = _Simulation(env, plan, ports, room_bits(arch, analysis))
    env.run()
    stalls = simulation.finish()
    return Timing(
        layer=layer.name,
        cycles=int(env.now),
        compute_cycles=plan.steps * plan.compute_cycles,
        ideal_cycles=plan.steps * plan.compute_cycles,
        stalls_by_cause=tuple(sorted((k, v) for k, v in stalls.items() if v)),
        busy_cycles=tuple(sorted((p.name, p.busy_cycles) for p in ports.values() if p.busy_cycles)),
        clock_mhz=arch.clock_mhz,
        steps=plan.steps,
        cycles_per_step=plan.compute_cycles,
        sections=plan.steps,
    )


def step_keys(plan: Plan) -> list[StepKey]:
    """Every step's kind, in order: the loop that advanced into it (its carry; -1 for the
    first), and the zero flags of its digits, from a plain odometer over the resolved loops."""
    keys: list[StepKey] = []
    previous: tuple[int, ...] | None = None
    for digits in itertools.product(*(range(bound) for bound in plan.bounds)):
        carry = -1
        if previous is not None:
            carry = next(j for j, (a, b) in enumerate(zip(previous, digits, strict=True)) if a != b)
        keys.append((carry, plan.zeros(digits)))
        previous = digits
    return keys


class _Simulation:
    """The processes of one run. The program (every job of every step, in program order) is
    posted to the ports at time 0, each job with the events it waits for; the steps then run as
    processes firing those events."""

    def __init__(
        self,
        env: simpy.Environment,
        plan: Plan,
        ports: dict[str, Port],
        room: dict[str, int | None],
    ) -> None:
        self._env = env
        self._plan = plan
        self._ports = ports
        self._room = room
        self._stalls: Counter[str] = Counter()
        keys = step_keys(plan)
        ready = self._fired((0, "compute"))
        # per level with room: fires when the tile last held in its room is released
        self._room_free = {level: ready for level, bits in room.items() if bits != 0}
        operands = [
            self._job(ready, self._cycles(job), job.latency_cycles)
            for _, job in plan.fetch(keys[0])
        ]
        computed = ready  # the PE array is free
        streaming: list[simpy.Process] = []  # the previous step's drains of streaming levels
        for k, key in enumerate(keys):
            after = keys[k + 1] if k + 1 < len(keys) else None
            started, done = env.event(), env.event()
            inner = self._job(started, self._cycles(plan.inner(key)))
            following, streamed = self._turnover(after, started, done)
            env.process(self._step(operands, computed, started, inner, streaming, done))
            operands, computed, streaming = following, done, streamed
        self._final = operands  # after the last step: its drains
        self._last = computed

    def finish(self) -> Counter[str]:
        """Stall cycles by cause, once the run has ended: the time after the last compute goes
        to the last step's drain that ended last (the first of them in program order)."""
        tail = int(self._env.now) - _mark(self._last)[0]
        if tail:
            marks = [_mark(process) for process in self._final]
            cause = next((c for end, c in marks if end == self._env.now), "unattributed")
            self._stalls[cause] += tail
        return self._stalls

    # ---- events and jobs -----------------------------------------------------------------------
    def _fired(self, mark: Mark) -> simpy.Event:
        event = self._env.event()
        event.succeed(mark)
        return event

    def _cycles(self, job: Job) -> Cycles:
        cycles = ((name, self._ports[name].cycles(bits)) for name, bits in job.bits)
        return tuple((name, c) for name, c in cycles if c)

    def _job(self, ready: simpy.Event, cycles: Cycles, latency: int = 0) -> simpy.Process:
        """Submit the transfers now (program order) and return the process that ends with the
        job: its value is the (cycle, cause) it ended with."""
        done = [(name, self._ports[name].submit(c, ready)) for name, c in cycles]
        return self._env.process(self._wait(ready, done, latency))

    def _wait(
        self, ready: simpy.Event, done: list[tuple[str, simpy.Event]], latency: int
    ) -> Generator[simpy.Event, Any, Mark]:
        start, cause = yield ready
        end = start
        for name, event in done:
            finished = yield event
            if finished > end:
                end, cause = finished, name
        if latency:
            cause = "latency" if end == start else cause
            yield self._env.timeout(latency)
        return int(self._env.now), cause

    def _after(self, event: simpy.Event, cycles: int) -> Generator[simpy.Event, Any, Mark]:
        """Fires ``cycles`` after ``event``, with cause ``compute``."""
        yield event
        yield self._env.timeout(cycles)
        return int(self._env.now), "compute"

    def _latest(self, events: Sequence[simpy.Event]) -> Generator[simpy.Event, Any, Mark]:
        marks = []
        for event in events:
            marks.append((yield event))
        return max(marks)

    # ---- a step ----------------------------------------------------------------------------------
    def _step(
        self,
        operands: list[simpy.Process],
        previous: simpy.Event,
        started: simpy.Event,
        inner: simpy.Process,
        streaming: list[simpy.Process],
        computed: simpy.Event,
    ) -> Generator[simpy.Event, Any, None]:
        """A compute step: wait for the operands and for the step before to have computed, then
        compute (at least the step's cycles, until the traffic inside the step has ended and
        until the partial sums the step before streams out have left)."""
        env, cycles = self._env, self._plan.compute_cycles
        arrived = yield env.all_of([*operands, previous])
        idle_since = _mark(previous)[0]
        start = int(env.now)
        if start > idle_since:
            self._stalls[max(arrived[p] for p in operands)[1]] += start - idle_since
        started.succeed((start, "compute"))
        yield env.all_of([env.timeout(cycles), inner, *streaming])
        end = int(env.now)
        if end > start + cycles:
            last = _mark(inner)
            streamed = max((_mark(p) for p in streaming), default=last)
            self._stalls[(streamed if streamed[0] > last[0] else last)[1]] += end - start - cycles
        computed.succeed((end, "compute"))

    def _turnover(
        self, after: StepKey | None, started: simpy.Event, computed: simpy.Event
    ) -> tuple[list[simpy.Process], list[simpy.Process]]:
        """Post, in program order, the prefetch of the next step's tiles into the room of each
        level, the drains after this step, then the rest of the next fetch; return the next
        step's operands (the final drains when there is no next step) and the drains of the
        levels streaming partial sums (the next step ends after them)."""
        plan = self._plan
        parts = [] if after is None else plan.fetch(after)
        early, late, needed = [], {}, {}
        for level, job in parts:
            cycles = self._cycles(job)
            filled = self._plan.filled(level, job)
            share = _share(self._room[level], filled)
            first, rest = _split(cycles, share, round_up=False)
            if share >= 1 or (share > 0 and first):  # a share of nothing moves nothing
                early.append(self._job(self._room_free[level], first, job.latency_cycles))
            if share < 1:
                late[level] = (rest, job.latency_cycles)
                needed[level] = filled * (1 - share)
        heads, released, drains = {}, {}, []
        for level, job, freed in plan.drain(after):
            cycles = self._cycles(job)
            share = Fraction(1)
            if needed.get(level) and freed:
                share = min(Fraction(1), needed[level] / freed)
            head, tail = _split(cycles, share, round_up=True)
            heads[level] = self._job(computed, head, job.latency_cycles)
            drained = [heads[level]]
            if share < 1:
                drained.append(self._job(computed, tail, job.latency_cycles))
            drains += drained
            released[level] = self._env.process(self._latest(drained))
        for level, (rest, latency) in late.items():
            ready = heads.get(level, computed)
            dead = None if after is None else plan.freed(level, after[0])
            if level not in heads and dead is not None:  # a sliding window's dead elements
                ready = self._env.process(self._after(started, dead))
            early.append(self._job(ready, rest, latency))
        for level, _ in parts:
            if level in self._room_free:
                self._room_free[level] = released.get(level, computed)
        streamed = [released[level] for level in sorted(self._plan.streaming) if level in released]
        return (early if after is not None else drains), streamed


def _mark(event: simpy.Event) -> Mark:
    """The (cycle, cause) a fired event carries."""
    return cast(Mark, event.value)


def _split(cycles: Cycles, share: Fraction, *, round_up: bool) -> tuple[Cycles, Cycles]:
    """A job's cycles as two consecutive parts: ``share`` of each resource's (rounded up or
    down) and the rest."""
    first = tuple((name, ceil(c * share) if round_up else int(c * share)) for name, c in cycles)
    rest = tuple((name, c - part) for (name, c), (_, part) in zip(cycles, first, strict=True))
    return _nonzero(first), _nonzero(rest)


def _nonzero(cycles: Iterable[tuple[str, int]]) -> Cycles:
    return tuple(item for item in cycles if item[1])


def _share(room: int | None, filled: int) -> Fraction:
    """The share of ``filled`` new bits that fits in ``room`` spare bits (None: unlimited)."""
    if room == 0:
        return Fraction(0)
    if room is None or room >= filled:
        return Fraction(1)
    return Fraction(room, filled)
