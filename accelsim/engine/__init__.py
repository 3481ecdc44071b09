"""The timing engine: a discrete-event simulation (simpy) of a mapping's execution, tile by tile.

:func:`simulate_timing` returns a frozen :class:`Timing` (cycles, compute and stall cycles by
cause, busy cycles per resource, seconds at the arch's clock). See docs/engine.md.
"""

from accelsim.engine.timing import Timing, simulate_timing

__all__ = ["Timing", "simulate_timing"]
