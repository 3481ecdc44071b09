"""accelsim against SCALE-Sim 3.0.0 on the same inputs (run by hand: ``python
bench/bench_scalesim.py``; not a test).

For every golden run in tests/data/scalesim/ (small layers in USER and CALC mode, and the shipped
google.cfg on the whole of AlexNet) it times the whole ``accelsim scalesim`` command (parsing,
model, report writing) several times and prints the median next to SCALE-Sim's wall time for the
same inputs, as recorded in the run's SOURCE.md (measured once, when the golden reports were
made; SCALE-Sim is never run or installed by this script), and the ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import statistics
import tempfile
import time
from pathlib import Path

from accelsim.cli import main as accelsim_main

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "scalesim"
_TIME = re.compile(r"wall time for this run[^:]*: ([0-9.]+) s", re.S)


def scalesim_seconds(case: Path) -> float:
    match = _TIME.search((case / "SOURCE.md").read_text())
    if match is None:
        raise SystemExit(f"{case / 'SOURCE.md'}: no SCALE-Sim wall time recorded")
    return float(match.group(1))


def accelsim_seconds(case: Path, repeats: int) -> float:
    """Median wall time of the whole command on the case's inputs."""
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
            arguments = [
                "--config",
                str(case / "arch.cfg"),
                "--topology",
                str(case / "topology.csv"),
            ]
            start = time.perf_counter()
            status = accelsim_main(["scalesim", *arguments, "--out", out])
            times.append(time.perf_counter() - start)
        assert status == 0
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", help="run only the cases whose name contains this")
    args = parser.parse_args()
    print(f"{'case':<24} {'accelsim s':>11} {'SCALE-Sim s':>12} {'ratio':>8}")
    for case in sorted(path for path in DATA.iterdir() if (path / "SOURCE.md").is_file()):
        if args.only and args.only not in case.name:
            continue
        ours, theirs = accelsim_seconds(case, args.repeats), scalesim_seconds(case)
        print(f"{case.name:<24} {ours:>11.4f} {theirs:>12.1f} {theirs / ours:>7.0f}x")


if __name__ == "__main__":
    main()
