"""SCALE-Sim v3.0.0's USER bandwidth memory model, event by event (the fast model).

Same rules as the per-cycle reference (:mod:`accelsim.systolic.user_reference`, which documents
them), evaluated where something happens instead of at every word:

* A read SRAM's prefetches depend only on the order of the addresses asked for, never on time, so
  they are found first, for every demand row at once: numpy checks a block of requests against
  the current window and jumps to the first miss. The j-th prefetch is answered at cycle
  ``-1 + j * (lines + 1)``.
* Time only matters at *event rows*: rows where a read SRAM prefetches, or where the ofmap SRAM
  starts a drain or waits for one. Between two events the ofmap SRAM only fills (found with a
  cumulative sum and a binary search) and no row stalls. Event rows are replayed word by word
  with the reference's own :class:`~accelsim.systolic.user_reference.WriteSram`.

The result equals the reference's exactly (tests/test_scalesim_user.py checks it on random
layers and arrays), at a cost that grows with the number of events, not of cycles.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from accelsim.systolic.streams import NULL, Demand, PrefetchOrder, Streams
from accelsim.systolic.user_reference import MemoryRun, SetLayout, WriteSram, set_layout

_BLOCK = 64  # requests checked against the window at once: from this many...
_MAX_BLOCK = 1 << 16  # ... doubling up to this many while there is no miss


def prefetches_per_row(
    demand: Demand, prefetch: PrefetchOrder, sram_words: int, bandwidth: int
) -> np.ndarray:
    """Number of prefetches a read SRAM has issued once each demand row is served (cumulative)."""
    layout = set_layout(prefetch, sram_words, bandwidth)
    if layout.active_sets == layout.sets:  # everything fits: the first fill is the only one
        return np.zeros(demand.cycles, dtype=np.int64)
    per_set = math.ceil(sram_words / 100)
    order = prefetch.addresses
    valid_prefetch = order[order != NULL]
    set_of = np.arange(valid_prefetch.size) // per_set
    keys = np.sort(valid_prefetch * layout.sets + set_of)  # by address, then set
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]  # each (address, set) once
    pair_address, pair_set = np.divmod(keys, layout.sets)
    matrix = demand.matrix
    rows, lanes = np.nonzero(matrix != NULL)
    wanted = matrix[rows, lanes]
    first, last = _holder_ranges(pair_address, wanted)
    done = np.zeros(demand.cycles, dtype=np.int64)
    start, count, position, size = 0, 0, 0, _BLOCK
    while position < wanted.size:
        block = slice(position, min(position + size, wanted.size))
        hits = _hits(first[block], last[block], pair_set, start, layout.sets, layout.active_sets)
        misses = np.flatnonzero(~hits)
        if misses.size == 0:
            position, size = block.stop, min(2 * size, _MAX_BLOCK)
            continue
        miss = position + int(misses[0])
        size = max(_BLOCK, 2 * int(misses[0]))  # the next miss is likely about as far
        holders = pair_set[first[miss] : last[miss]]
        while not np.any((holders - start) % layout.sets < layout.active_sets):
            start = (start + layout.step_sets) % layout.sets
            count += 1
        done[rows[miss]] = count
        position = miss + 1
    return np.maximum.accumulate(done)


def _holder_ranges(pair_address: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each wanted address, the range of ``pair_address`` (sorted) equal to it.

    An operand's addresses are nearly contiguous, so a table over their span, built with one
    sorted search, replaces a random-order binary search per request (much kinder to caches).
    """
    low, span = int(pair_address[0]), int(pair_address[-1] - pair_address[0]) + 2
    if span > 8 * pair_address.size + 1024:
        return (np.searchsorted(pair_address, wanted, "left"),
                np.searchsorted(pair_address, wanted, "right"))  # fmt: skip
    starts = np.searchsorted(pair_address, np.arange(low, low + span), "left")
    return starts[wanted - low], starts[wanted - low + 1]


def _hits(
    first: np.ndarray, last: np.ndarray, pair_set: np.ndarray, start: int, sets: int, active: int
) -> np.ndarray:
    """For each request, whether one of the sets holding it is in the window."""
    counts = last - first
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    entries = np.repeat(first - offsets, counts) + np.arange(int(counts.sum()))
    inside = (pair_set[entries] - start) % sets < active
    return np.logical_or.reduceat(inside, offsets)


class ReadTimes:
    """When the rows of a read SRAM are served, given its prefetch counts."""

    def __init__(self, counts: np.ndarray, step_lines: int):
        self.counts = counts
        self.period = step_lines + 1

    def served(self, row: int, cycle: int) -> int:
        before = int(self.counts[row - 1]) if row else 0
        time = cycle + 1
        for number in range(before + 1, int(self.counts[row]) + 1):
            answer = -1 + number * self.period
            time = answer + max(0, answer - time)
        return time


def simulate_user(
    streams: Streams, sram_words: tuple[int, int, int], bandwidths: tuple[int, int, int]
) -> MemoryRun:
    """The memory run of ``streams`` (same arguments and result as the per-cycle reference)."""
    reads = []
    for demand, prefetch, words, bandwidth in (
        (streams.ifmap_demand, streams.ifmap_prefetch, sram_words[0], bandwidths[0]),
        (streams.filter_demand, streams.filter_prefetch, sram_words[1], bandwidths[1]),
    ):
        layout = set_layout(prefetch, words, bandwidth)
        counts = prefetches_per_row(demand, prefetch, words, bandwidth)
        reads.append((layout, counts, ReadTimes(counts, layout.step_lines)))
    writes = streams.ofmap_demand.words_per_cycle
    read_events = np.flatnonzero(np.diff(reads[0][1], prepend=0) + np.diff(reads[1][1], prepend=0))
    ofmap = WriteSram(sram_words[2], bandwidths[2])
    timeline = run_rows(writes, read_events, (reads[0][2], reads[1][2]), ofmap)
    ofmap.drain_all(timeline.served(writes.size - 1)[2])
    demands = (streams.ifmap_demand, streams.filter_demand, streams.ofmap_demand)
    sram_cycles = tuple(
        (timeline.served(first)[operand], timeline.served(last)[operand])
        for operand, (first, last) in enumerate(demand.busy_cycles() for demand in demands)
    )
    return MemoryRun(
        total_cycles=timeline.served(writes.size - 1)[2],
        stall_cycles=timeline.stalls,
        sram_cycles=sram_cycles,  # type: ignore[arg-type]
        dram_cycles=(
            (-reads[0][0].first_lines, -1 + int(reads[0][1][-1]) * (reads[0][0].step_lines + 1)),
            (-reads[1][0].first_lines, -1 + int(reads[1][1][-1]) * (reads[1][0].step_lines + 1)),
            (min(ofmap.drain_cycles), max(ofmap.drain_cycles)),
        ),
        dram_words=(
            _dram_reads(reads[0][0], int(reads[0][1][-1])),
            _dram_reads(reads[1][0], int(reads[1][1][-1])),
            ofmap.dram_writes,
        ),
        served=timeline.all_served(writes.size),
    )


def _dram_reads(layout: SetLayout, prefetches: int) -> int:
    return (layout.first_lines + prefetches * layout.step_lines) * layout.bandwidth


class Timeline:
    """Stalls so far at each event row, and the serve times of the event rows."""

    def __init__(self) -> None:
        self.event_rows: list[int] = []
        self.stalls_after: list[int] = []  # total stalls once each event row is done
        self.times: dict[int, tuple[int, int, int]] = {}
        self.stalls = 0

    def record(self, row: int, times: tuple[int, int, int], stall: int) -> None:
        self.stalls += stall
        self.event_rows.append(row)
        self.stalls_after.append(self.stalls)
        self.times[row] = times

    def all_served(self, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ifmap, filter, ofmap) serve cycles of every demand row."""
        index = np.arange(rows)
        before = np.searchsorted(np.asarray(self.event_rows, dtype=np.int64), index, "left")
        stalls = np.concatenate(([0], np.asarray(self.stalls_after, dtype=np.int64)))[before]
        cycle = index + stalls
        served = [cycle + 1, cycle + 1, cycle.copy()]
        for row, times in self.times.items():
            for operand in range(3):
                served[operand][row] = times[operand]
        return served[0], served[1], served[2]

    def served(self, row: int) -> tuple[int, int, int]:
        """(ifmap, filter, ofmap) serve cycles of demand row ``row``."""
        if row in self.times:
            return self.times[row]
        before = bisect.bisect_left(self.event_rows, row)
        cycle = row + (self.stalls_after[before - 1] if before else 0)
        return cycle + 1, cycle + 1, cycle


def run_rows(
    writes: np.ndarray,
    read_events: np.ndarray,
    read_times: tuple[ReadTimes, ReadTimes],
    ofmap: WriteSram,
) -> Timeline:
    """Walk from event row to event row, filling the ofmap SRAM in bulk in between.

    ``writes``: ofmap words per demand row; ``read_events``: rows where the ifmap or filter SRAM
    prefetches (sorted); ``read_times``: when those SRAMs serve a row.
    """
    cumulative = np.concatenate(([0], np.cumsum(writes)))
    rows = writes.size
    timeline = Timeline()
    row = 0
    while row < rows:
        event = min(
            _next_read_event(read_events, row, rows),
            _next_write_event(ofmap, cumulative, row, timeline.stalls),
        )
        _fill(ofmap, int(cumulative[event] - cumulative[row]))
        if event >= rows:
            break
        cycle = event + timeline.stalls
        times = (
            read_times[0].served(event, cycle),
            read_times[1].served(event, cycle),
            ofmap.serve(int(writes[event]), cycle),
        )
        stall = max(times[0] - cycle - 1, times[1] - cycle - 1, times[2] - cycle)
        timeline.record(event, times, stall)
        row = event + 1
    return timeline


def _fill(ofmap: WriteSram, words: int) -> None:
    """Store ``words`` words with no drain and no wait (what happens between events)."""
    ofmap.free -= words
    total = ofmap.open_words + words
    ofmap.lines.extend([ofmap.bandwidth] * (total // ofmap.bandwidth))
    ofmap.open_words = total % ofmap.bandwidth


def _next_read_event(read_events: np.ndarray, row: int, rows: int) -> int:
    index = int(np.searchsorted(read_events, row))
    return int(read_events[index]) if index < read_events.size else rows


def _next_write_event(ofmap: WriteSram, cumulative: np.ndarray, row: int, stalls: int) -> int:
    """First row from ``row`` at which the ofmap SRAM drains or waits (rows: none)."""
    rows = cumulative.size - 1
    if row + stalls < ofmap.drain_end:  # draining: a row whose writes empty the free space
        ends = ofmap.drain_end - stalls  # first row no longer inside the drain
        full = int(np.searchsorted(cumulative, cumulative[row] + ofmap.free, "left")) - 1
        return min(max(full, row), ends, rows)
    room = ofmap.free - ofmap.active  # a drain starts once free < active
    start = int(np.searchsorted(cumulative, cumulative[row] + room + 1, "left")) - 1
    return min(max(start, row), rows)
