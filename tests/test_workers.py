"""Pool workers die with their parent: after ``kill -9`` of a process running a pool from
:func:`accelsim.workers.worker_pool` (the sweep's and the cost table's pools), no worker is left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")

PARENT = """
import os, sys, time
from accelsim.workers import worker_pool

pool = worker_pool(2)
futures = [pool.submit(time.sleep, 60) for _ in range(2)]
time.sleep(0.1)
while len(pool._processes) < 2:  # the pool starts its workers as tasks arrive
    time.sleep(0.05)
print(" ".join(str(pid) for pid in pool._processes), flush=True)
time.sleep(60)
"""


def alive(pid: int) -> bool:
    """Running or sleeping (a zombie left for init to reap has finished)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1]


def test_workers_exit_when_the_parent_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if alive(pid)]
    finally:
        if parent.poll() is None:
            parent.kill()


def test_the_watcher_alone_ends_an_orphan(monkeypatch: pytest.MonkeyPatch) -> None:
    """The portable fallback (no prctl): a worker whose parent pid changes exits."""
    script = """
import os, sys, time
from accelsim import workers
workers._linux_death_signal = lambda: None  # as on a system without prctl
workers.POLL_S = 0.05
parent = os.getpid()  # taken before the fork: the parent may be gone when the child starts
child = os.fork()
if child == 0:
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # let go of the pipe, so that the test reads the pid without waiting
    workers.die_with_parent(parent)
    time.sleep(30)
    os._exit(0)
print(child, flush=True)
os._exit(0)  # the parent dies at once; the child is re-parented
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    child = int(out.stdout.split()[0])
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)
