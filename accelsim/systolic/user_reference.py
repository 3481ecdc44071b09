"""Per-cycle reference of SCALE-Sim v3.0.0's USER bandwidth memory model: every cycle, every word.

This is the test oracle of :mod:`accelsim.systolic.user_model` (the fast model). It walks the
demand streams of :mod:`accelsim.systolic.streams` one cycle (one demand row) at a time and one
address at a time, with the buffer rules below written as plainly as possible. It is slow: small
layers only. The rules are those SCALE-Sim 3.0.0 implements (learned from its source and checked
against its reports, tests/data/scalesim/); the code is accelsim's own.

Read SRAM (ifmap, filter), double buffered, half active (``ceil(words / 2)``), half prefetch:

* its prefetch order is cut into DRAM request lines of ``bandwidth`` words, and into *sets* of
  ``ceil(words / 100)`` valid addresses (the last set may be empty); an address may sit in
  several sets (im2col repeats inputs);
* the active window is ``A = min(ceil(active / set), sets)`` consecutive sets (circular), the
  prefetch step ``P = min(ceil(prefetch / set), sets - A)`` sets;
* before cycle 0 it reads ``min(ceil(active / bandwidth), lines)`` request lines, answered at
  cycles ``-lines .. -1``;
* a requested address outside the window moves the window by P sets and issues a prefetch of
  ``ceil(prefetch / bandwidth)`` lines right after the previous one (answered one cycle later):
  the last answer moves on by ``lines + 1`` cycles whatever the demand's cycle;
* the cycle a demand row is served: ``cycle + offset``, the offset starting at 1 (the hit
  latency) and, after each prefetch, ``offset = last - cycle + max(0, last - cycle - offset)``
  (SCALE-Sim adds the shortfall twice, and lets an early prefetch pull the offset down).

Write SRAM (ofmap), double buffered: writes fill lines of ``bandwidth`` words; when the free
space falls below the active half and no drain is running, it drains ``ceil(drain / bandwidth)``
lines from the oldest, one line per cycle; a full buffer during a drain waits for its end.

A cycle's stall is the largest of the three operands' delays; the next row starts that much later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from accelsim.systolic.streams import NULL, Demand, PrefetchOrder, Streams


@dataclass(frozen=True)
class SetLayout:
    """How a read SRAM cuts its prefetch order into request lines and address sets."""

    request_lines: int  # DRAM request lines of `bandwidth` words over the whole prefetch order
    sets: int  # address sets (the last one may be empty)
    active_sets: int  # A
    step_sets: int  # P
    first_lines: int  # request lines read before cycle 0
    step_lines: int  # request lines per later prefetch
    bandwidth: int


def set_layout(prefetch: PrefetchOrder, sram_words: int, bandwidth: int) -> SetLayout:
    """The set layout of a read SRAM of ``sram_words`` words fed ``bandwidth`` words a cycle."""
    active = math.ceil(sram_words * 0.5)
    reserve = sram_words - active
    per_set = math.ceil(sram_words / 100)
    sets = prefetch.valid // per_set + 1
    active_sets = min(math.ceil(active / per_set), sets)
    step_sets = min(math.ceil(reserve / per_set), sets - active_sets)
    request_lines = math.ceil(prefetch.size / bandwidth)
    first_lines = min(math.ceil(active / bandwidth), request_lines)
    return SetLayout(
        request_lines, sets, active_sets, step_sets, first_lines,
        math.ceil(reserve / bandwidth), bandwidth,
    )  # fmt: skip


def address_sets(prefetch: PrefetchOrder, sram_words: int) -> dict[int, list[int]]:
    """For every address in the prefetch order, the sets holding it (ascending)."""
    per_set = math.ceil(sram_words / 100)
    holders: dict[int, list[int]] = {}
    rank = 0
    for address in prefetch.addresses.tolist():
        if address == NULL:
            continue
        number = rank // per_set
        where = holders.setdefault(address, [])
        if not where or where[-1] != number:
            where.append(number)
        rank += 1
    return holders


class ReadSram:
    """The read SRAM, one address at a time."""

    def __init__(self, prefetch: PrefetchOrder, sram_words: int, bandwidth: int):
        self.layout = set_layout(prefetch, sram_words, bandwidth)
        self.holders = address_sets(prefetch, sram_words)
        self.window_start = 0
        self.last_answer = -1  # the first fill is answered at cycles -first_lines .. -1
        self.prefetches = 0

    def _hit(self, address: int) -> bool:
        layout = self.layout
        return any(
            (number - self.window_start) % layout.sets < layout.active_sets
            for number in self.holders[address]
        )

    def serve(self, row: np.ndarray, cycle: int) -> int:
        """The cycle at which the demand row issued at ``cycle`` is served."""
        offset = 1
        for address in row.tolist():
            if address == NULL:
                continue
            while not self._hit(address):
                self.window_start = (self.window_start + self.layout.step_sets) % self.layout.sets
                self.last_answer += self.layout.step_lines + 1
                self.prefetches += 1
                shortfall = self.last_answer - (cycle + offset)
                offset += shortfall + max(shortfall, 0)
        return cycle + offset

    @property
    def dram_reads(self) -> int:
        layout = self.layout
        return (layout.first_lines + self.prefetches * layout.step_lines) * layout.bandwidth

    @property
    def dram_cycles(self) -> tuple[int, int]:
        """First and last cycle of its DRAM traffic (the first is negative: before cycle 0)."""
        return -self.layout.first_lines, self.last_answer


class WriteSram:
    """The ofmap SRAM, one word at a time."""

    def __init__(self, sram_words: int, bandwidth: int):
        self.words = sram_words
        self.active = math.ceil(sram_words * 0.5)
        self.drain_lines = math.ceil((sram_words - self.active) / bandwidth)
        self.bandwidth = bandwidth
        self.free = sram_words
        self.lines: list[int] = []  # words in each closed line, oldest first
        self.open_words = 0  # words in the line being filled
        self.drained_lines = 0
        self.drain_end = 0
        self.dram_writes = 0
        self.drain_cycles: list[int] = []

    def _store(self) -> None:
        self.open_words += 1
        self.free -= 1
        if self.open_words == self.bandwidth:
            self.lines.append(self.open_words)
            self.open_words = 0

    def _close_open_line(self) -> None:
        if self.open_words:
            self.lines.append(self.open_words)
            self.open_words = 0

    def _drain(self, start: int) -> int:
        chunk = self.lines[self.drained_lines : self.drained_lines + self.drain_lines]
        # SCALE-Sim counts whole lines but the last one's empty slots.
        words = (len(chunk) - 1) * self.bandwidth + chunk[-1]
        self.dram_writes += words
        self.free += words
        self.drained_lines += len(chunk)
        self.drain_cycles.extend(range(start, start + len(chunk)))
        return start + len(chunk) - 1

    def serve(self, words: int, cycle: int) -> int:
        """The cycle at which ``words`` writes issued at ``cycle`` are all taken."""
        current = cycle
        for _ in range(words):
            self._store()
            if current < self.drain_end:
                if self.free <= 0:
                    current = self.drain_end
            elif self.free < self.active:
                self._close_open_line()
                self.drain_end = self._drain(current)
        return current

    def drain_all(self, cycle: int) -> None:
        self._close_open_line()
        while self.drained_lines < len(self.lines):
            self.drain_end = self._drain(cycle)
            cycle = self.drain_end + 1


@dataclass(frozen=True)
class MemoryRun:
    """What the memory model reports for one layer (cycles are SCALE-Sim's cycle indices)."""

    total_cycles: int  # the cycle the last demand row is served
    stall_cycles: int
    sram_cycles: tuple[tuple[int, int], tuple[int, int], tuple[int, int]]  # ifmap, filter, ofmap
    dram_cycles: tuple[tuple[int, int], tuple[int, int], tuple[int, int]]
    dram_words: tuple[int, int, int]  # ifmap reads, filter reads, ofmap writes
    # The cycle each demand row of the ifmap, filter and ofmap SRAMs is served (for traces).
    served: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def cycles_with_prefetch(self) -> int:
        """SCALE-Sim's "Total Cycles (incl. prefetch)": last ofmap DRAM write - first read."""
        first = min(self.dram_cycles[0][0], self.dram_cycles[1][0])
        return self.dram_cycles[2][1] - first


def _first_last(served: list[int], demand: Demand) -> tuple[int, int]:
    first, last = demand.busy_cycles()
    return served[first], served[last]


def simulate_user_reference(
    streams: Streams, sram_words: tuple[int, int, int], bandwidths: tuple[int, int, int]
) -> MemoryRun:
    """Run the demand streams through the three SRAMs, one cycle at a time.

    ``sram_words``: ifmap, filter, ofmap SRAM sizes in words; ``bandwidths``: the ifmap and
    filter SRAMs' DRAM read rates and the ofmap write rate, in words per cycle.
    """
    ifmap = ReadSram(streams.ifmap_prefetch, sram_words[0], bandwidths[0])
    filters = ReadSram(streams.filter_prefetch, sram_words[1], bandwidths[1])
    ofmap = WriteSram(sram_words[2], bandwidths[2])
    stalls = 0
    served: tuple[list[int], list[int], list[int]] = ([], [], [])
    ifmap_rows, filter_rows = streams.ifmap_demand.matrix, streams.filter_demand.matrix
    writes = streams.ofmap_demand.words_per_cycle
    for index in range(streams.ofmap_demand.cycles):
        cycle = index + stalls
        times = (
            ifmap.serve(ifmap_rows[index], cycle),
            filters.serve(filter_rows[index], cycle),
            ofmap.serve(int(writes[index]), cycle),
        )
        for log, time in zip(served, times, strict=True):
            log.append(time)
        stalls += max(times[0] - cycle - 1, times[1] - cycle - 1, times[2] - cycle)
    ofmap.drain_all(served[2][-1])
    demands = (streams.ifmap_demand, streams.filter_demand, streams.ofmap_demand)
    return MemoryRun(
        total_cycles=max(served[2]),
        stall_cycles=stalls,
        sram_cycles=tuple(_first_last(s, d) for s, d in zip(served, demands, strict=True)),  # type: ignore[arg-type]
        dram_cycles=(
            ifmap.dram_cycles, filters.dram_cycles,
            (min(ofmap.drain_cycles), max(ofmap.drain_cycles)),
        ),
        dram_words=(ifmap.dram_reads, filters.dram_reads, ofmap.dram_writes),
        served=tuple(np.asarray(times, dtype=np.int64) for times in served),  # type: ignore[arg-type]
    )  # fmt: skip


def calc_reads_reference(
    demand: np.ndarray, sram_words: int, cycle_of_row: list[int]
) -> tuple[tuple[int, int], int]:
    """CALC mode's DRAM reads of a read SRAM, one request at a time (the oracle of
    :func:`accelsim.systolic.calc_model.dram_reads`): ((first, last) DRAM cycle, words)."""
    per_set = max(1, sram_words // 100)
    held: set[int] = set()  # what the SRAM holds in the current epoch
    sets_closed = epochs = 0
    prefetches: list[tuple[int, int]] = []  # (first, last) request cycle of each DRAM read
    first_request = window_end = -1
    for row, cycle in zip(demand, cycle_of_row, strict=True):
        for address in row.tolist():
            if address == NULL or address in held:
                continue
            first_request = cycle if first_request < 0 else first_request
            held.add(address)
            if len(held) == (sets_closed + 1) * per_set:
                sets_closed += 1
                if sets_closed == 50:  # an epoch closes: read it, forget it
                    if not epochs:
                        lines = math.ceil(50 * per_set / 10)
                        prefetches.append((first_request - 1 - lines, first_request - 2))
                    else:
                        prefetches.append((prefetches[-1][1] + 1, window_end))
                    epochs, sets_closed, held, window_end = epochs + 1, 0, set(), cycle
    words = 50 * per_set * epochs + len(held)
    if not epochs:
        lines = math.ceil(math.ceil(len(held) / per_set) * per_set / 10)
        return (-lines, -1), words
    prefetches.append((prefetches[-1][1] + 1, window_end))  # the last, partial epoch
    return (prefetches[0][0] + 1, prefetches[-1][1] + 1), words  # answered a cycle later
