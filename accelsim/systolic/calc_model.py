"""SCALE-Sim v3.0.0's CALC bandwidth mode: the DRAM traffic it reports when no rate is given.

In CALC mode SCALE-Sim never stalls a read: it serves every request one cycle later and, from the
requests, works out the DRAM reads and the bandwidth they would need. Its rule (learned from its
source, checked against its reports in tests/data/scalesim/calc_*):

* a read SRAM of ``words`` words collects the addresses it is asked for into sets of
  ``words // 100`` addresses, skipping the addresses it already holds; every 50 sets (one half
  of the SRAM) form an *epoch*: at the request that closes an epoch the epoch's addresses are
  read from DRAM and the SRAM forgets them all. So an epoch ends at the request that brings its
  ``50 * (words // 100)``-th distinct address;
* the first epoch's reads are placed just before the first request, at 10 words per cycle (so
  they start ``ceil(50 * set / 10)`` cycles before it); each later epoch's reads fill the cycles
  between the ends of the two epochs before it; what is left at the end (the last, partial
  epoch) is read in the cycles between the last two epoch ends, or before cycle 0 if no epoch
  ever closed;
* the ofmap SRAM drains ``ArrayWidth`` words per cycle (the same write buffer as USER mode), and
  its waits are the only stalls.

The epochs are found with numpy (distinct addresses of a growing block of requests), the ofmap
SRAM event by event (:mod:`accelsim.systolic.user_model`): the cost grows with the number of
requests, not with Python steps per request.
"""

from __future__ import annotations

import math

import numpy as np

from accelsim.systolic.streams import NULL, Demand, Streams
from accelsim.systolic.user_model import ReadTimes, Timeline, run_rows
from accelsim.systolic.user_reference import MemoryRun, WriteSram

SETS_PER_EPOCH = 50  # half of SCALE-Sim's 100 sets per SRAM
FIRST_FILL_RATE = 10  # words per cycle SCALE-Sim assumes for the first fill


def epoch_ends(stream: np.ndarray, per_epoch: int) -> tuple[list[int], int]:
    """Indices of the requests that close an epoch, and the distinct addresses left after."""
    ends: list[int] = []
    start, length = 0, per_epoch
    while start < stream.size:
        stop = min(start + length, stream.size)
        _, first = np.unique(stream[start:stop], return_index=True)
        if first.size >= per_epoch:
            end = start + int(np.sort(first)[per_epoch - 1])
            ends.append(end)
            start, length = end + 1, max(per_epoch, end + 1 - start)
        elif stop == stream.size:
            return ends, int(first.size)
        else:
            length *= 2
    return ends, 0


def dram_reads(demand: Demand, sram_words: int, timeline: Timeline) -> tuple[tuple[int, int], int]:
    """((first, last) DRAM cycle, words read) of a read SRAM in CALC mode."""
    per_set = max(1, sram_words // 100)
    per_epoch = SETS_PER_EPOCH * per_set
    matrix = demand.matrix
    rows, lanes = np.nonzero(matrix != NULL)
    ends, left = epoch_ends(matrix[rows, lanes], per_epoch)
    if not ends:
        sets = math.ceil(left / per_set)
        lines = math.ceil(sets * per_set / FIRST_FILL_RATE)
        return (-lines, -1), left
    first_request = timeline.served(int(rows[0]))[0] - 1
    lines = math.ceil(per_epoch / FIRST_FILL_RATE)
    last_epoch = timeline.served(int(rows[ends[-1]]))[0] - 1
    return (first_request - lines, last_epoch + 1), per_epoch * len(ends) + left


def simulate_calc(streams: Streams, sram_words: tuple[int, int, int]) -> MemoryRun:
    """SCALE-Sim's CALC-mode memory run of ``streams`` (SRAM sizes in words)."""
    rows = streams.ofmap_demand.cycles
    never = ReadTimes(np.zeros(rows, dtype=np.int64), 0)  # CALC: every read served a cycle later
    writes = streams.ofmap_demand.words_per_cycle
    ofmap = WriteSram(sram_words[2], streams.grid.array_cols)
    timeline = run_rows(writes, np.zeros(0, dtype=np.int64), (never, never), ofmap)
    last = timeline.served(rows - 1)[2]
    ofmap.drain_all(last)
    demands = (streams.ifmap_demand, streams.filter_demand, streams.ofmap_demand)
    sram_cycles = tuple(
        (timeline.served(first)[operand], timeline.served(last)[operand])
        for operand, (first, last) in enumerate(demand.busy_cycles() for demand in demands)
    )
    ifmap_cycles, ifmap_words = dram_reads(streams.ifmap_demand, sram_words[0], timeline)
    filter_cycles, filter_words = dram_reads(streams.filter_demand, sram_words[1], timeline)
    return MemoryRun(
        total_cycles=last,
        stall_cycles=timeline.stalls,
        sram_cycles=sram_cycles,  # type: ignore[arg-type]
        dram_cycles=(
            ifmap_cycles, filter_cycles, (min(ofmap.drain_cycles), max(ofmap.drain_cycles))
        ),
        dram_words=(ifmap_words, filter_words, ofmap.dram_writes),
        served=timeline.all_served(rows),
    )  # fmt: skip
