"""Process pools whose workers die with their parent.

A ``kill -9`` of the parent gives it no chance to stop its pool, and the workers, re-parented to
init, would keep computing. Each worker of :func:`worker_pool` therefore asks the Linux kernel to
send it SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``), and, on every system, runs a
daemon thread that exits the worker once its parent process is gone (its parent pid changes).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
POLL_S = 0.5  # how often the portable fallback looks at the parent pid


def worker_pool(jobs: int, *, mp_context: BaseContext | None = None) -> ProcessPoolExecutor:
    """A ``ProcessPoolExecutor`` of ``jobs`` workers that exit when this process dies."""
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=mp_context,
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )


def die_with_parent(parent: int) -> None:
    """Make the calling process exit when process ``parent`` dies (see the module docstring)."""
    if sys.platform.startswith("linux"):
        _linux_death_signal()
    if os.getppid() != parent:  # the parent died before we got here
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="parent-watch").start()


def _linux_death_signal() -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no libc or no prctl: the watcher thread still works
        pass


def _watch(parent: int) -> None:
    stop = threading.Event()
    while not stop.wait(POLL_S):
        if os.getppid() != parent:
            os._exit(1)
