"""The schedule: tile jobs on in-order resources, driven step by step by a simpy process.

A step's fetch is split by receiving level. A level's *room* is its capacity beyond one tile; a
level is free after step k once k has computed and the partial sums leaving that level after k
have drained. Per step k (one compute tile of the PE array), in program order:

1. compute step k: start when its fetch is done and step k-1 has computed; take the step's compute
   cycles, or longer if the traffic made inside the step (per-PE loops, and the partial sums a
   level streaming them receives) needs longer, or until the partial sums such a level drained
   after step k-1 have left;
2. for every level receiving new elements at step k+1, issue now the share of them that fits in
   its room (all of them if they fit), to start once that room is free: the level is free after
   the last step of its previous tile;
3. drain the partial sums leaving after step k (start when step k has computed); a level whose
   late share (4) needs room drains first the share of its partial sums that makes that room;
   step k has released when every drain has ended;
4. for every level with new elements left over from 2, issue the rest now, to start once step k
   has computed and the first share of its drain (3) has ended, or, for a sliding window, once
   step k has used the elements it loses for the last time (:meth:`Plan.freed`).

A port thus serves the traffic of the step computing (operands and partial-sum updates, 1) before
the prefetch it issues (2): a prefetch never delays the step it overlaps.

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
STREAM = "stream"  # when the last drain of the levels streaming partial sums ended


def room_free(level: str) -> str:
    """State key: when the room of ``level`` its next tile goes to is free."""
    return f"room:{level}"


@dataclass(frozen=True)
class Turnover:
    """What moves between a step and the next one of a given kind, timed and split by room.

    ``drains``: per level partial sums leave, (level, head, tail): the share of its drain that
    frees the room its late fetch needs (the whole drain if it needs none) and the rest.
    ``fetch``: per receiving level, (level, room, early, late, freed): the state key of when its
    room is free (None: no room), the share of its new elements that fits in its room,
    prefetched, and the rest, fetched once the head of its drain has ended, or, for a sliding
    window, ``freed`` cycles after the step started (early and late may be None; freed None:
    at the compute end).
    """

    drains: tuple[tuple[str, Timed, Timed | None], ...]
    fetch: tuple[tuple[str, str | None, Timed | None, Timed | None, int | None], ...]


class ScheduleState:
    """The state of one simulation, private; advance it only with :func:`run` (its stepping
    methods are private to this module; the properties read it).

    All times live in ``_times``: each resource's free time (end of its last transfer), the last
    compute end, the last release, the end of the next step's fetch, and per level with room
    when the room its next tile's prefetch goes to is free. ``_marks`` holds the section that last
    read or wrote each entry, so that bulk stepping compares only what a loop body uses.
    ``bulk=False`` simulates every step one by one.
    """

    def __init__(
        self,
        plan: Plan,
        bandwidth: dict[str, Fraction | None],
        room: dict[str, int | None],
        *,
        bulk: bool = True,
    ) -> None:
        self._plan = plan
        self._bandwidth = bandwidth
        self._room = room
        self._bulk = bulk
        self._inner: dict[StepKey, Timed] = {}
        self._turnovers: dict[StepKey | None, Turnover] = {}
        self._times = dict.fromkeys(bandwidth, 0)
        rooms = [room_free(level) for level, bits in room.items() if bits != 0]
        self._times.update(dict.fromkeys(rooms, 0))
        self._times.update({COMPUTE_END: 0, RELEASE: 0, NEXT_FETCH: 0})
        streams = (STREAM,) if plan.streaming else ()
        self._times.update(dict.fromkeys(streams, 0))
        self._marks = dict.fromkeys(self._times, 0)
        self._causes = dict.fromkeys((RELEASE, NEXT_FETCH, *rooms, *streams), "compute")
        self._busy: Counter[str] = Counter()
        self._stalls: Counter[str] = Counter()
        self._sections = 0

    @property
    def plan(self) -> Plan:
        return self._plan

    @property
    def bulk(self) -> bool:
        return self._bulk

    @property
    def compute_end(self) -> int:
        return self._times[COMPUTE_END]

    @property
    def release(self) -> int:
        return self._times[RELEASE]

    @property
    def busy(self) -> dict[str, int]:
        """Cycles each resource has transferred data so far (a copy)."""
        return dict(self._busy)

    @property
    def stalls(self) -> dict[str, int]:
        """Stall cycles by cause so far (a copy)."""
        return dict(self._stalls)

    @property
    def sections(self) -> int:
        """Steps simulated one by one so far."""
        return self._sections

    # ---- jobs ------------------------------------------------------------------------------
    def _timed(self, job: Job) -> Timed:
        cycles = ((name, self._cycles(name, bits)) for name, bits in job.bits)
        return Timed(tuple((name, c) for name, c in cycles if c), job.latency_cycles)

    def _cycles(self, name: str, bits: int) -> int:
        bandwidth = self._bandwidth[name]
        return 0 if bandwidth is None else ceil(bits / bandwidth)

    def _turnover(self, after: StepKey | None) -> Turnover:
        """The drains after a step and the fetch for the next one, of kind ``after`` (None: the
        end), timed and split by room (module docstring, steps 2-4): shares are taken of each
        resource's cycles, so the two parts of a job take as long as the whole."""
        found = self._turnovers.get(after)
        if found is not None:
            return found
        fetch, needed = [], {}
        for level, job in () if after is None else self._plan.fetch(after):
            filled = self._plan.filled(level, job)
            share = _share(self._room[level], filled)
            early, late = _split(self._timed(job), share, round_up=False)
            free = room_free(level) if self._room[level] != 0 else None
            freed = None if after is None else self._plan.freed(level, after[0])
            fetch.append((level, free, early, late, freed))
            if share < 1:
                needed[level] = filled * (1 - share)
        drains = []
        for level, job, freed in self._plan.drain(after):
            timed = self._timed(job)
            if needed.get(level) and freed:
                head, tail = _split(timed, min(Fraction(1), needed[level] / freed), round_up=True)
            else:
                head, tail = timed, None
            drains.append((level, head or Timed((), timed.latency_cycles), tail))
        found = self._turnovers[after] = Turnover(tuple(drains), tuple(fetch))
        return found

    def _issue(self, job: Timed, earliest: int, waited: str) -> tuple[int, str]:
        """Run ``job`` on its resources, none before ``earliest``: (end, cause of the end), the
        cause being ``waited`` if nothing ends after ``earliest``."""
        end, cause = earliest, waited
        times, marks, sections = self._times, self._marks, self._sections
        for name, cycles in job.cycles:
            finish = max(earliest, times[name]) + cycles
            times[name] = finish
            marks[name] = sections
            self._busy[name] += cycles
            if finish > end:
                end, cause = finish, name
        if job.latency_cycles:
            end += job.latency_cycles
            cause = cause if end - job.latency_cycles > earliest else "latency"
        return end, cause

    # ---- one step --------------------------------------------------------------------------
    def _section(self, key: StepKey, after: StepKey | None) -> None:
        """Steps 1-4 of the module docstring for a step of kind ``key`` followed by ``after``."""
        self._sections += 1
        times, marks = self._times, self._marks
        marks[COMPUTE_END] = marks[RELEASE] = marks[NEXT_FETCH] = self._sections
        start = max(times[NEXT_FETCH], self.compute_end)
        self._stalls[self._causes[NEXT_FETCH]] += start - self.compute_end
        end, cause = self._issue(self._inner_job(key), start, "compute")
        if STREAM in times and times[STREAM] > end:  # the previous tile still streaming out
            end, cause = times[STREAM], self._causes[STREAM]
        computed = start + self._plan.compute_cycles
        self._stalls[cause] += max(0, end - computed)
        times[COMPUTE_END] = max(end, computed)
        turnover = self._turnover(after)
        times[RELEASE], self._causes[RELEASE] = self.compute_end, "compute"
        arrivals = [
            self._issue(early, *self._room_free(free))
            for _, free, early, _, _ in turnover.fetch
            if early is not None and free is not None  # no room (free None): no early part
        ]
        room, released = {}, {}
        for level, head, tail in turnover.drains:
            room[level] = released[level] = self._drained(head)
            if tail is not None:
                released[level] = max(room[level], self._drained(tail))
        idle = (self.compute_end, "compute")
        if STREAM in times:
            marks[STREAM] = self._sections
            times[STREAM], self._causes[STREAM] = max(
                (released[level] for level in self._plan.streaming if level in released),
                default=idle,
            )
        for level, free, _, late, freed in turnover.fetch:
            if late is not None:
                dead = idle if freed is None else (start + freed, "compute")
                arrivals.append(self._issue(late, *room.get(level, dead)))
            if free is not None:
                times[free], self._causes[free] = released.get(level, idle)
        if after is not None:
            self._arrived(arrivals)

    def _room_free(self, name: str) -> tuple[int, str]:
        """When the room a level's prefetch goes to is free (state key ``name``), and why."""
        self._marks[name] = self._sections
        return self._times[name], self._causes[name]

    def _inner_job(self, key: StepKey) -> Timed:
        found = self._inner.get(key)
        if found is None:
            found = self._inner[key] = self._timed(self._plan.inner(key))
        return found

    def _drained(self, job: Timed) -> tuple[int, str]:
        """Drain ``job`` once the step has computed: when it ends (the compute end if not
        later) and why; the step releases when every drain has ended."""
        end, cause = self._issue(job, self.compute_end, "compute")
        if end <= self.compute_end:
            return self.compute_end, "compute"
        if end > self.release:
            self._times[RELEASE], self._causes[RELEASE] = end, cause
        return end, cause

    def _arrived(self, arrivals: list[tuple[int, str]]) -> None:
        """The next step's fetch ends with its last part; cause ``compute`` if not waited for."""
        end, cause = max(arrivals, default=(0, "compute"))
        if end <= self.compute_end:
            end, cause = self.compute_end, "compute"
        self._times[NEXT_FETCH], self._causes[NEXT_FETCH] = end, cause

    def _first_fetch(self, key: StepKey) -> None:
        parts = self._plan.fetch(key)
        arrivals = [self._issue(self._timed(job), 0, "compute") for _, job in parts]
        self._times[NEXT_FETCH], self._causes[NEXT_FETCH] = max(arrivals, default=(0, "compute"))

    def _finish(self) -> None:
        self._stalls[self._causes[RELEASE]] += self.release - self.compute_end

    # ---- bulk stepping ---------------------------------------------------------------------
    def _snapshot(self) -> Snapshot:
        return Snapshot(
            dict(self._times),
            dict(self._busy),
            dict(self._stalls),
            dict(self._causes),
            self._sections,
        )

    def _jump(self, before: Snapshot, after: Snapshot, times: int) -> bool:
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
            self._times[name] += times * shift
        for total, was, now in (
            (self._busy, before.busy, after.busy),
            (self._stalls, before.stalls, after.stalls),
        ):
            for name in now:
                total[name] += times * (now[name] - was.get(name, 0))
        return True


def run(schedule: ScheduleState, env: simpy.Environment) -> Generator[simpy.Event, None, None]:
    """The simpy process: walks the resolved loops, one section per simulated step, in bulk
    where exact, then advances ``env.now`` to the end of the last drain."""
    plan = schedule._plan
    zeros = plan.zeros(tuple(0 for _ in plan.bounds))
    schedule._first_fetch((-1, zeros))
    pending = [(-1, zeros)]
    _loop(schedule, 0, zeros, -1, pending)
    schedule._section(pending[0], None)
    schedule._finish()
    yield env.timeout(schedule.release - env.now)


def _loop(
    schedule: ScheduleState,
    depth: int,
    zeros: tuple[bool, ...],
    carry: int,
    pending: list[StepKey],
) -> None:
    """Steps of the loops from ``depth`` inwards; the first one arrives with ``carry``.
    ``zeros``: the zero flags (:meth:`Plan.zeros`) of that first step."""
    plan = schedule._plan
    if depth == len(plan.bounds):
        if carry >= 0:
            schedule._section(pending[0], (carry, zeros))
            pending[0] = (carry, zeros)
        return
    bound = plan.bounds[depth]
    _loop(schedule, depth + 1, zeros, carry, pending)
    moved = plan.zeros_moved(depth, zeros)
    previous: Snapshot | None = None
    digit = 1
    while digit < bound:
        _loop(schedule, depth + 1, moved, depth, pending)
        # bodies 2 .. bound-1 are identical (their first step's carry and zero flags agree, and
        # the step that closes each one is the first of the next); compare two of them.
        now = schedule._snapshot()
        remaining = bound - 1 - digit
        bulk = schedule._bulk and digit >= 2 and remaining > 0
        if bulk and previous is not None and schedule._jump(previous, now, remaining):
            return
        previous = now
        digit += 1


def _split(job: Timed, share: Fraction, *, round_up: bool) -> tuple[Timed | None, Timed | None]:
    """``job`` as two consecutive jobs: ``share`` of its cycles on every resource (rounded up
    or down) and the rest, each ending the job's latency after its slowest transfer. The first
    part is None when it has no cycles; the rest is None only at share 1 (it carries the
    latency even when its cycles are all in the first part)."""
    if share >= 1:
        return job, None
    if share <= 0:
        return None, job
    first, rest = [], []
    for name, cycles in job.cycles:
        part = ceil(cycles * share) if round_up else int(cycles * share)
        first.append((name, part))
        rest.append((name, cycles - part))
    return _timed_or_none(first, job), _timed_or_none(rest, job) or Timed((), job.latency_cycles)


def _timed_or_none(cycles: list[tuple[str, int]], job: Timed) -> Timed | None:
    kept = tuple(item for item in cycles if item[1])
    return Timed(kept, job.latency_cycles) if kept else None


def _share(room: int | None, filled: int) -> Fraction:
    """The share of ``filled`` new bits a level can prefetch into ``room`` spare bits (None:
    unlimited); a level with no room prefetches nothing."""
    if room is None or (room and room >= filled):
        return Fraction(1)
    return Fraction(room, filled) if room else Fraction(0)
