"""Timeloop's own input files (architecture v0.2-v0.4, problem, mapping, ERT) evaluated with
Timeloop's counting rules; see docs/timeloop.md."""

from accelsim.timeloop.model import (
    LevelStats,
    TimeloopCase,
    TimeloopResult,
    evaluate_case,
    load_case,
)
from accelsim.timeloop.stats import stats_dict, write_stats

__all__ = [
    "LevelStats",
    "TimeloopCase",
    "TimeloopResult",
    "evaluate_case",
    "load_case",
    "stats_dict",
    "write_stats",
]
