"""Benchmarks of the timing models (run by hand: ``python bench/bench_engine.py``; not a test).

Systolic part: ``accelsim scalesim`` on the five AlexNet CONV layers as SCALE-Sim's own topology
takes them (ungrouped channels, padding folded into the input size), on a 32x32 array, for os, ws
and is, in compat and physical mode. Prints the median wall time of several runs of the whole
command (parsing, model, report writing) and the peak Python heap (tracemalloc). If SCALE-Sim
itself is importable it is timed once per dataflow too (about 250 s each: see
../shared/reference/README.md); it is never installed by this script.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from accelsim.cli import main as accelsim_main

ALEXNET_CONV_TOPOLOGY = """\
Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1, 227, 227, 11, 11, 3, 96, 4,
Conv2, 31, 31, 5, 5, 96, 256, 1,
Conv3, 15, 15, 3, 3, 256, 384, 1,
Conv4, 15, 15, 3, 3, 384, 384, 1,
Conv5, 15, 15, 3, 3, 384, 256, 1,
"""


def scalesim_cfg(dataflow: str, rows: int = 32, cols: int = 32) -> str:
    return f"""[general]
run_name = bench_{rows}x{cols}_{dataflow}

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: 64
FilterSramSzkB: 64
OfmapSramSzkB: 64
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth : 10
Dataflow : {dataflow}

[run_presets]
InterfaceBandwidth: CALC
"""


def _run_once(arguments: list[str]) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        status = accelsim_main(arguments)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"accelsim {' '.join(arguments)} exited with {status}")
    return elapsed


def _peak_bytes(arguments: list[str]) -> int:
    tracemalloc.start()
    try:
        _run_once(arguments)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_scalesim(repeats: int) -> None:
    """Time ``accelsim scalesim`` on AlexNet CONV1-5, 32x32, each dataflow and mode."""
    print("accelsim scalesim, AlexNet CONV1-5, 32x32 array")
    print(f"{'dataflow':<9} {'mode':<9} {'median s':>10} {'peak KiB':>10} {'runs':>5}")
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        topology = work_dir / "alexnet_conv.csv"
        topology.write_text(ALEXNET_CONV_TOPOLOGY)
        for dataflow in ("os", "ws", "is"):
            cfg = work_dir / f"{dataflow}.cfg"
            cfg.write_text(scalesim_cfg(dataflow))
            for mode in ("compat", "physical"):
                out = work_dir / f"{dataflow}_{mode}"
                arguments = ["scalesim", "--config", str(cfg), "--topology", str(topology)]
                # --no-dram: the closed form; SCALE-Sim's memory model is timed by bench_scalesim.py
                arguments += ["--out", str(out), "--mode", mode, "--no-dram"]
                times = [_run_once(arguments) for _ in range(repeats)]
                peak = _peak_bytes(arguments)
                print(
                    f"{dataflow:<9} {mode:<9} {statistics.median(times):>10.4f} "
                    f"{peak / 1024:>10.1f} {repeats:>5}"
                )
        _bench_reference_scalesim(work_dir, topology)


def _bench_reference_scalesim(work_dir: Path, topology: Path) -> None:
    if importlib.util.find_spec("scalesim") is None:
        print("SCALE-Sim not importable here: not timed (README: about 250 s for this input)")
        return
    from scalesim.scale_sim import scalesim  # type: ignore[import-not-found]

    for dataflow in ("os", "ws", "is"):
        cfg = work_dir / f"{dataflow}.cfg"
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            sim = scalesim(
                save_disk_space=True, verbose=False, config=str(cfg), topology=str(topology)
            )
            sim.run_scale(top_path=str(work_dir / "scalesim"))
        print(f"SCALE-Sim {dataflow}: {time.perf_counter() - start:.1f} s (one run)")


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--repeats", type=int, default=7, help="runs per case (median reported)")
    bench_scalesim(cli.parse_args().repeats)
