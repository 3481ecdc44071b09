"""Progress of long work on stderr: a tqdm bar on a terminal, a plain line every few seconds
elsewhere (a log file, a CI job), nothing when quiet.

    with Progress(total=8, desc="run", unit="layer") as progress:
        for layer in layers:
            progress.note(layer.name)   # what is being worked on now
            ...
            progress.update()

A background thread keeps the bar's elapsed time moving (and prints the periodic line) while one
step takes long, e.g. the mapping of a very large layer. Progress is user interface, not a result:
it goes to stderr only, never to stdout or a file.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from tqdm import tqdm

EVERY_S = 10.0  # seconds between plain progress lines when stderr is not a terminal


class Progress:
    """Count ``total`` steps of ``unit`` for ``desc``; ``quiet`` silences it."""

    def __init__(
        self,
        total: int,
        desc: str,
        unit: str = "step",
        *,
        quiet: bool = False,
        stream: TextIO | None = None,
        every_s: float = EVERY_S,
    ) -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.done = 0
        self.current = ""
        self._stream = stream or sys.stderr
        self._quiet = quiet
        self._every_s = every_s
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._bar: tqdm | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self._quiet:
            return self
        if _is_terminal(self._stream):
            self._bar = tqdm(
                total=self.total, desc=self.desc, unit=self.unit, file=self._stream, leave=False
            )
        self._thread = threading.Thread(target=self._tick, daemon=True, name="accelsim-progress")
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._bar.close()

    def note(self, current: str) -> None:
        """Name what is being worked on now (a layer, a point)."""
        with self._lock:
            self.current = current
            if self._bar is not None:
                self._bar.set_postfix_str(current, refresh=False)

    def update(self, steps: int = 1) -> None:
        with self._lock:
            self.done += steps
            if self._bar is not None:
                self._bar.update(steps)

    def advance_to(self, done: int, total: int) -> None:
        """Set the count directly (for callbacks that report ``(done, total)``)."""
        with self._lock:
            self.total = total
            if self._bar is not None:
                self._bar.total = total
                self._bar.update(done - self.done)
            self.done = done

    def line(self) -> str:
        """The plain progress line: ``run: 3/8 layers, 42 s (now: conv4)``."""
        elapsed = time.monotonic() - self._start
        now = f" (now: {self.current})" if self.current else ""
        return f"{self.desc}: {self.done}/{self.total} {self.unit}s, {elapsed:.0f} s{now}"

    def _tick(self) -> None:
        interval = 1.0 if self._bar is not None else self._every_s
        while not self._stop.wait(interval):
            with self._lock:
                if self._bar is not None:
                    self._bar.refresh()
                else:
                    print(self.line(), file=self._stream, flush=True)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
