"""The timing engine: a discrete-event simulation (simpy) of a mapping's execution, tile by tile.

:func:`simulate_timing` returns a frozen :class:`Timing` (cycles, compute and stall cycles by
cause, busy cycles per resource, seconds at the arch's clock), evaluating the event times as
max-plus recurrences with exact bulk stepping; :func:`simulate_reference` computes the same
:class:`Timing` by simulating every step as simpy processes (its oracle, for small layers, and
the place to add a new kind of resource). See docs/engine.md.
"""

from accelsim.engine.reference import Port, simulate_reference
from accelsim.engine.timing import Timing, simulate_timing

__all__ = ["Port", "Timing", "simulate_reference", "simulate_timing"]
