"""The schedule: tile jobs on in-order resources, driven step by step by a simpy process.

Per step k (one compute tile of the PE array), in program order:

1. if every level receiving a new tile at step k+1 has room for two tiles (double buffering),
   issue the fetch of step k+1 now; it may start once step k-1 has released its buffers;
2. compute step k: start when its fetch is done and step k-1 has computed; take the step's compute
   cycles, or longer if the traffic made inside the step (per-PE loops) needs longer;
3. drain the partial sums leaving after step k (start when step k has computed); step k has
   released its buffers when it has computed and drained;
4. otherwise (single buffering) issue the fetch of step k+1 now, to start once step k released.

Each resource (a level's read port, its write port, the array network) serves its transfers in
program order, one at a time, ``ceil(bits / bandwidth)`` cycles each (``bandwidth`` per instance
times the level's instances); a job ends ``latency`` cycles after its slowest transfer.

Every time is a max of sums of earlier times, so a step's effect on the state is translation
invariant. When a loop repeats identical iterations and one iteration moves every component of the
state by the same number of cycles, the next one does too; the engine then steps the remaining
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
    """A job's cycles on each resource, its latency, its receivers."""

    cycles: tuple[tuple[str, int], ...]
    latency_cycles: int
    receivers: frozenset[str]


class Schedule:
    """Private state of one simulation; advance it only with :meth:`run`."""

    def __init__(
        self, plan: Plan, bandwidth: dict[str, Fraction | None], double: dict[str, bool]
    ) -> None:
        self.plan = plan
        self._bandwidth = bandwidth
        self._double = double
        self._timed: dict[tuple[str, StepKey | None], Timed] = {}
        self.free = dict.fromkeys(bandwidth, 0)
        self.compute_end = 0
        self.release = 0
        self.release_cause = "compute"
        self.next_fetch = (0, "compute")  # (end, cause) of the fetch of the next step
        self.busy: Counter[str] = Counter()
        self.stalls: Counter[str] = Counter()
        self.sections = 0
        self.bulk = True

    # ---- jobs ------------------------------------------------------------------------------
    def _job(self, kind: str, key: StepKey | None) -> Timed:
        found = self._timed.get((kind, key))
        if found is None:
            job: Job = getattr(self.plan, kind)(key)
            cycles = tuple(
                (name, self._cycles(name, bits))
                for name, bits in job.bits
                if self._cycles(name, bits)
            )
            found = Timed(cycles, job.latency_cycles, job.receivers)
            self._timed[(kind, key)] = found
        return found

    def _cycles(self, name: str, bits: int) -> int:
        bandwidth = self._bandwidth[name]
        return 0 if bandwidth is None else ceil(bits / bandwidth)

    def _issue(self, job: Timed, earliest: int) -> tuple[int, str]:
        """Run ``job`` on its resources, none before ``earliest``: (end, cause of the end)."""
        end, cause = earliest, ""
        for name, cycles in job.cycles:
            finish = max(earliest, self.free[name]) + cycles
            self.free[name] = finish
            self.busy[name] += cycles
            if finish > end:
                end, cause = finish, name
        if job.latency_cycles:
            end += job.latency_cycles
            cause = cause or "latency"
        return end, cause

    def _double_buffered(self, job: Timed) -> bool:
        return all(self._double[level] for level in job.receivers)

    # ---- one step --------------------------------------------------------------------------
    def section(self, key: StepKey, after: StepKey | None) -> None:
        """Steps 1-4 above for a step of kind ``key`` followed by one of kind ``after``."""
        self.sections += 1
        fetch = None if after is None else self._job("fetch", after)
        prefetch = fetch is not None and self._double_buffered(fetch)
        if prefetch:
            ahead = self._issue(fetch, self.release)
        fetched, fetch_cause = self.next_fetch
        start = max(fetched, self.compute_end)
        self.stalls[fetch_cause] += start - self.compute_end
        end, cause = self._issue(self._job("inner", key), start)
        computed = start + self.plan.compute_cycles
        self.stalls[cause] += max(0, end - computed)
        self.compute_end = max(end, computed)
        drained, drain_cause = self._issue(self._job("drain", after), self.compute_end)
        if drained > self.compute_end:
            self.release, self.release_cause = drained, drain_cause
        else:
            self.release, self.release_cause = self.compute_end, "compute"
        if fetch is not None and not prefetch:
            ahead = self._issue(fetch, self.release)
        if fetch is not None:
            self.next_fetch = self._after_release(ahead)
        self._clamp()

    def _after_release(self, ahead: tuple[int, str]) -> tuple[int, str]:
        end, cause = ahead
        if end <= self.compute_end:
            return self.compute_end, "compute"
        return end, cause or self.release_cause

    def _clamp(self) -> None:
        """No future transfer starts before ``compute_end``: earlier free times do not matter."""
        for name, free in self.free.items():
            if free < self.compute_end:
                self.free[name] = self.compute_end

    def first_fetch(self, key: StepKey) -> None:
        end, cause = self._issue(self._job("fetch", key), 0)
        self.next_fetch = (end, cause or "compute")

    def finish(self) -> None:
        self.stalls[self.release_cause] += self.release - self.compute_end

    # ---- bulk stepping ---------------------------------------------------------------------
    def state(self) -> tuple[int, ...]:
        return (
            *self.free.values(),
            self.compute_end,
            self.release,
            self.next_fetch[0],
        )

    def snapshot(self) -> tuple[tuple[int, ...], Counter[str], Counter[str], str, str]:
        return (self.state(), Counter(self.busy), Counter(self.stalls), *self._causes())

    def _causes(self) -> tuple[str, str]:
        return self.release_cause, self.next_fetch[1]

    def jump(self, before: tuple, after: tuple, times: int) -> int | None:
        """Repeat ``times`` more the iteration that led from ``before`` to ``after``, if it
        shifted every time by the same number of cycles; that number, or None."""
        shift = after[0][0] - before[0][0]
        if any(b - a != shift for a, b in zip(before[0], after[0], strict=True)):
            return None
        if after[3:] != before[3:]:
            return None
        for name in self.free:
            self.free[name] += times * shift
        self.compute_end += times * shift
        self.release += times * shift
        self.next_fetch = (self.next_fetch[0] + times * shift, self.next_fetch[1])
        for total, was, now in (
            (self.busy, before[1], after[1]),
            (self.stalls, before[2], after[2]),
        ):
            for name in now:
                total[name] += times * (now[name] - was.get(name, 0))
        return shift


def run(schedule: Schedule, env: simpy.Environment) -> Generator[simpy.Event, None, None]:
    """The simpy process: walks the resolved loops, one section per step, in bulk where exact."""
    plan = schedule.plan
    first: StepKey = (-1, plan.zeros(tuple(0 for _ in plan.bounds)))
    schedule.first_fetch(first)
    pending = [first]
    yield from _loop(schedule, env, 0, (), -1, pending)
    schedule.section(pending[0], None)
    schedule.finish()
    yield env.timeout(schedule.release - env.now)


def _arrive(schedule, env, key: StepKey, pending: list[StepKey]):
    schedule.section(pending[0], key)
    pending[0] = key
    yield env.timeout(schedule.compute_end - env.now)


def _loop(schedule, env, depth: int, digits: tuple[int, ...], carry: int, pending):
    """Steps of the loops from ``depth`` inwards; the first one arrives with ``carry``."""
    plan = schedule.plan
    if depth == len(plan.bounds):
        if carry >= 0:
            key = (carry, plan.zeros(digits + (0,) * (len(plan.bounds) - len(digits))))
            yield from _arrive(schedule, env, key, pending)
        return
    bound = plan.bounds[depth]
    yield from _loop(schedule, env, depth + 1, (*digits, 0), carry, pending)
    previous = None
    digit = 1
    while digit < bound:
        yield from _loop(schedule, env, depth + 1, (*digits, digit), depth, pending)
        # bodies 2 .. bound-1 are identical (their first step's carry and zero flags agree, and
        # the step that closes each one is the first of the next); compare two of them.
        now = schedule.snapshot()
        remaining = bound - 1 - digit
        if schedule.bulk and previous is not None and digit >= 2 and remaining > 0:
            shift = schedule.jump(previous, now, remaining)
            if shift is not None:
                yield env.timeout(schedule.compute_end - env.now)
                digit = bound
                continue
        previous = now
        digit += 1
