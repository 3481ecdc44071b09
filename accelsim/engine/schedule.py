"""The schedule: tile jobs on in-order resources, driven step by step by a simpy process.

A step's fetch is split by receiving level. A level is free after step k once k has computed and
the partial sums leaving that level after k have drained. Per step k (one compute tile of the PE
array), in program order:

1. for every double-buffered level receiving a new tile at step k+1, issue its part now, to start
   once the half it fills is free: the level is free after the last step of its previous tile;
2. compute step k: start when its fetch is done and step k-1 has computed; take the step's compute
   cycles, or longer if the traffic made inside the step (per-PE loops) needs longer;
3. drain the partial sums leaving after step k (start when step k has computed); step k has
   released when every drain has ended;
4. for every single-buffered level receiving at step k+1, issue its part now, to start once the
   level is free after step k.

Each resource (a level's read port, its write port, the array network) serves its transfers in
program order, one at a time, ``ceil(bits / bandwidth)`` cycles each (``bandwidth`` per instance
times the level's instances); a job ends ``latency`` cycles after its slowest transfer.

Every time is a max of sums of earlier times, so a step's effect on the state is translation
invariant. When a loop repeats identical iterations and one iteration moves every state component
it uses by the same number of cycles, the next one does too; the engine then steps the remaining
identical iterations in bulk, which gives exactly the step-by-step result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass
from fractions import Fraction
from math import ceil

import simpy

from accelsim.engine.plan import Job, Plan, StepKey


@dataclass(frozen=True)
class Timed:
    """A job's cycles on each resource and its latency."""

    cycles: tuple[tuple[str, int], ...]
    latency_cycles: int


@dataclass(frozen=True)
class Snapshot:
    """The state after a loop body: times, busy and stall counters, causes, sections so far."""

    times: dict[str, int]
    busy: dict[str, int]
    stalls: dict[str, int]
    causes: dict[str, str]
    sections: int


COMPUTE_END, RELEASE, NEXT_FETCH = "compute_end", "release", "next_fetch"


def half_free(level: str) -> str:
    """State key: when the half of ``level`` its next tile goes to is free."""
    return f"half:{level}"


class Schedule:
    """Private state of one simulation; advance it only with :meth:`run`.

    All times live in ``times``: each resource's free time (end of its last transfer), the last
    compute end, the last release, the end of the next step's fetch, and per double-buffered
    level when the half its next tile goes to is free. ``_marks`` holds the section that last
    read or wrote each entry, so that bulk stepping compares only what a loop body uses.
    """

    def __init__(
        self, plan: Plan, bandwidth: dict[str, Fraction | None], double: dict[str, bool]
    ) -> None:
        self.plan = plan
        self._bandwidth = bandwidth
        self._double = double
        self._inner: dict[StepKey, Timed] = {}
        self._drains: dict[StepKey | None, tuple[tuple[str, Timed], ...]] = {}
        self._fetch: dict[StepKey, tuple[tuple[str, bool, Timed], ...]] = {}
        self.times = dict.fromkeys(bandwidth, 0)
        halves = [half_free(level) for level, double in double.items() if double]
        self.times.update(dict.fromkeys(halves, 0))
        self.times.update({COMPUTE_END: 0, RELEASE: 0, NEXT_FETCH: 0})
        self._marks = dict.fromkeys(self.times, 0)
        self.causes = dict.fromkeys((RELEASE, NEXT_FETCH, *halves), "compute")
        self.busy: Counter[str] = Counter()
        self.stalls: Counter[str] = Counter()
        self.sections = 0
        self.bulk = True

    @property
    def compute_end(self) -> int:
        return self.times[COMPUTE_END]

    @property
    def release(self) -> int:
        return self.times[RELEASE]

    # ---- jobs ------------------------------------------------------------------------------
    def _timed(self, job: Job) -> Timed:
        cycles = ((name, self._cycles(name, bits)) for name, bits in job.bits)
        return Timed(tuple((name, c) for name, c in cycles if c), job.latency_cycles)

    def _cycles(self, name: str, bits: int) -> int:
        bandwidth = self._bandwidth[name]
        return 0 if bandwidth is None else ceil(bits / bandwidth)

    def _fetch_parts(self, key: StepKey) -> tuple[tuple[str, bool, Timed], ...]:
        """Per receiving level: (level, double-buffered, timed job)."""
        found = self._fetch.get(key)
        if found is None:
            parts = self.plan.fetch(key)
            found = tuple((level, self._double[level], self._timed(job)) for level, job in parts)
            self._fetch[key] = found
        return found

    def _issue(self, job: Timed, earliest: int, waited: str) -> tuple[int, str]:
        """Run ``job`` on its resources, none before ``earliest``: (end, cause of the end), the
        cause being ``waited`` if nothing ends after ``earliest``."""
        end, cause = earliest, waited
        times, marks, sections = self.times, self._marks, self.sections
        for name, cycles in job.cycles:
            finish = max(earliest, times[name]) + cycles
            times[name] = finish
            marks[name] = sections
            self.busy[name] += cycles
            if finish > end:
                end, cause = finish, name
        if job.latency_cycles:
            end += job.latency_cycles
            cause = cause if end - job.latency_cycles > earliest else "latency"
        return end, cause

    # ---- one step --------------------------------------------------------------------------
    def section(self, key: StepKey, after: StepKey | None) -> None:
        """Steps 1-4 of the module docstring for a step of kind ``key`` followed by ``after``."""
        self.sections += 1
        times, marks = self.times, self._marks
        marks[COMPUTE_END] = marks[RELEASE] = marks[NEXT_FETCH] = self.sections
        parts = () if after is None else self._fetch_parts(after)
        arrivals = [self._issue(job, *self._half(level)) for level, double, job in parts if double]
        start = max(times[NEXT_FETCH], self.compute_end)
        self.stalls[self.causes[NEXT_FETCH]] += start - self.compute_end
        end, cause = self._issue(self._inner_job(key), start, "compute")
        computed = start + self.plan.compute_cycles
        self.stalls[cause] += max(0, end - computed)
        times[COMPUTE_END] = max(end, computed)
        released = self._drain(after)
        for level, double, job in parts:
            free = released.get(level, (self.compute_end, "compute"))
            if double:
                times[half_free(level)], self.causes[half_free(level)] = free
            else:
                arrivals.append(self._issue(job, *free))
        if after is not None:
            self._arrived(arrivals)

    def _half(self, level: str) -> tuple[int, str]:
        name = half_free(level)
        self._marks[name] = self.sections
        return self.times[name], self.causes[name]

    def _inner_job(self, key: StepKey) -> Timed:
        found = self._inner.get(key)
        if found is None:
            found = self._inner[key] = self._timed(self.plan.inner(key))
        return found

    def _drain(self, after: StepKey | None) -> dict[str, tuple[int, str]]:
        """Drain the partial sums leaving after this step: per level left, when it is free (if
        after the compute end). The step releases when every drain has ended."""
        parts = self._drains.get(after)
        if parts is None:
            parts = tuple((level, self._timed(job)) for level, job in self.plan.drain(after))
            self._drains[after] = parts
        released = {}
        self.times[RELEASE], self.causes[RELEASE] = self.compute_end, "compute"
        for level, job in parts:
            end, cause = self._issue(job, self.compute_end, "compute")
            if end > self.compute_end:
                released[level] = end, cause
                if end > self.release:
                    self.times[RELEASE], self.causes[RELEASE] = end, cause
        return released

    def _arrived(self, arrivals: list[tuple[int, str]]) -> None:
        """The next step's fetch ends with its last part; cause ``compute`` if not waited for."""
        end, cause = max(arrivals, default=(0, "compute"))
        if end <= self.compute_end:
            end, cause = self.compute_end, "compute"
        self.times[NEXT_FETCH], self.causes[NEXT_FETCH] = end, cause

    def first_fetch(self, key: StepKey) -> None:
        arrivals = [self._issue(job, 0, "compute") for _, _, job in self._fetch_parts(key)]
        self.times[NEXT_FETCH], self.causes[NEXT_FETCH] = max(arrivals, default=(0, "compute"))

    def finish(self) -> None:
        self.stalls[self.causes[RELEASE]] += self.release - self.compute_end

    # ---- bulk stepping ---------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return Snapshot(
            dict(self.times),
            dict(self.busy),
            dict(self.stalls),
            dict(self.causes),
            self.sections,
        )

    def jump(self, before: Snapshot, after: Snapshot, times: int) -> bool:
        """Repeat ``times`` more the body that led from ``before`` to ``after`` if it shifted
        every time it used by the same number of cycles; whether it did. Times the body
        did not use are left as they are (no later identical body uses them either)."""
        shift = after.times[COMPUTE_END] - before.times[COMPUTE_END]
        used = [name for name, mark in self._marks.items() if mark > before.sections]
        if any(after.times[name] - before.times[name] != shift for name in used):
            return False
        if after.causes != before.causes:
            return False
        for name in used:
            self.times[name] += times * shift
        for total, was, now in (
            (self.busy, before.busy, after.busy),
            (self.stalls, before.stalls, after.stalls),
        ):
            for name in now:
                total[name] += times * (now[name] - was.get(name, 0))
        return True


def run(schedule: Schedule, env: simpy.Environment) -> Generator[simpy.Event, None, None]:
    """The simpy process: walks the resolved loops, one section per simulated step, in bulk
    where exact, then advances ``env.now`` to the end of the last drain."""
    plan = schedule.plan
    zeros = plan.zeros(tuple(0 for _ in plan.bounds))
    schedule.first_fetch((-1, zeros))
    pending = [(-1, zeros)]
    _loop(schedule, 0, zeros, -1, pending)
    schedule.section(pending[0], None)
    schedule.finish()
    yield env.timeout(schedule.release - env.now)


def _loop(schedule: Schedule, depth: int, zeros: tuple[bool, ...], carry: int, pending) -> None:
    """Steps of the loops from ``depth`` inwards; the first one arrives with ``carry``.
    ``zeros``: the zero flags (:meth:`Plan.zeros`) of that first step."""
    plan = schedule.plan
    if depth == len(plan.bounds):
        if carry >= 0:
            schedule.section(pending[0], (carry, zeros))
            pending[0] = (carry, zeros)
        return
    bound = plan.bounds[depth]
    _loop(schedule, depth + 1, zeros, carry, pending)
    moved = plan.zeros_moved(depth, zeros)
    previous = None
    digit = 1
    while digit < bound:
        _loop(schedule, depth + 1, moved, depth, pending)
        # bodies 2 .. bound-1 are identical (their first step's carry and zero flags agree, and
        # the step that closes each one is the first of the next); compare two of them.
        now = schedule.snapshot()
        remaining = bound - 1 - digit
        bulk = schedule.bulk and previous is not None and digit >= 2 and remaining > 0
        if bulk and schedule.jump(previous, now, remaining):
            return
        previous = now
        digit += 1
