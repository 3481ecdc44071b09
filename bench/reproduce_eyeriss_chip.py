"""Print accelsim's Eyeriss chip next to the JSSC 2017 measurements as a Markdown table.

AlexNet CONV1-5 at batch 4, row stationary, on `eyeriss_chip`; measured figures from
tests/data/reference/eyeriss_jssc17_alexnet_n4.csv (processing latency in ms at 200 MHz, DRAM and
global-buffer accesses in MB = 1e6 bytes, active PEs). "DRAM RLC" is accelsim's DRAM traffic with
the chip's run-length coding applied by arithmetic (docs/eyeriss_chip.md): ifmaps at the measured
zero fraction, ofmaps at the zero fraction of the next layer's ifmap (a lower bound where max
pooling follows), filters uncompressed. "engine / total" holds the engine to the chip's total
latency (processing plus the DRAM transfers it does not hide), with the psum scratchpad streaming
its partial sums as the chip does and, in brackets, without (`streams_partial_sums: false`).

    python bench/reproduce_eyeriss_chip.py
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import accelsim
from accelsim.arch import Arch, load_arch
from accelsim.results import LayerResult

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "reference"
CSV = REFERENCE / "eyeriss_jssc17_alexnet_n4.csv"
LAYERS = ("CONV1", "CONV2", "CONV3", "CONV4", "CONV5")
BYTES_PER_WORD = 2  # 16-bit words everywhere on the chip


def rlc_ratio(zero_fraction: float) -> float:
    """Coded bits / raw bits of the chip's RLC: 3 (5-bit run, 16-bit value) pairs per 64-bit
    word, so 64 / 3 bits per non-zero value against 16 raw (ignores the 31-zero run cap)."""
    return 64 / 3 / 16 * (1 - zero_fraction)


def dram_mb_by_type(layer: LayerResult) -> dict[str, float]:
    """DRAM reads + fills + updates per data type, in MB (1e6 bytes)."""
    return {
        t.data_type.value: (t.reads + t.fills + t.updates) * BYTES_PER_WORD / 1e6
        for t in layer.traffic
        if t.level == "DRAM"
    }


def level_mb(layer: LayerResult, level: str) -> float:
    """All accesses (reads, fills, updates) of one level, in MB."""
    words = sum(t.reads + t.fills + t.updates for t in layer.traffic if t.level == level)
    return words * BYTES_PER_WORD / 1e6


def without_streaming(arch: Arch) -> Arch:
    """``arch`` with no level streaming partial sums (each psum tile waits for room)."""
    levels = tuple(replace(level, streams_partial_sums=False) for level in arch.levels)
    return replace(arch, levels=levels, variants=())


def main() -> None:
    with CSV.open() as handle:
        measured = {row["layer"]: row for row in csv.DictReader(handle)}
    workload = accelsim.load_workload("alexnet").with_batch(4)
    runs = {
        fidelity: accelsim.simulate("eyeriss_chip", workload, dataflow="rs", fidelity=fidelity)
        for fidelity in ("ideal", "engine")
    }
    chip = without_streaming(load_arch("eyeriss_chip"))
    runs["no streaming"] = accelsim.simulate(chip, workload, dataflow="rs", fidelity="engine")
    zeros = [float(measured[name]["ifmap_zeros_pct"]) / 100 for name in LAYERS] + [0.0]
    print(
        "| layer | latency ms (meas.) | ideal ms (x) | engine ms (x) | total ms (meas.) "
        "| engine / total (no streaming) | DRAM MB (meas.) | DRAM MB (x) | DRAM RLC MB (x) "
        "| GLB MB (meas.) | buffer MB (x) | PEs (meas.) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for index, name in enumerate(LAYERS):
        row = measured[name]
        ideal, engine, plain = (runs[f].layers[index] for f in ("ideal", "engine", "no streaming"))
        latency, total, dram, glb = (
            float(row[k])
            for k in (
                "processing_latency_ms",
                "total_latency_ms",
                "dram_accesses_mb",
                "glb_accesses_mb",
            )
        )
        ideal_ms, engine_ms, plain_ms = (
            r.cycles / (r.clock_mhz * 1e3) for r in (ideal, engine, plain)
        )
        by_type = dram_mb_by_type(engine)
        coded = (
            by_type["weights"]
            + by_type["inputs"] * rlc_ratio(zeros[index])
            + by_type["outputs"] * rlc_ratio(zeros[index + 1])
        )
        raw, buffer = sum(by_type.values()), level_mb(engine, "buffer")
        print(
            f"| {name} | {latency} | {ideal_ms:.1f} ({ideal_ms / latency:.2f}) "
            f"| {engine_ms:.1f} ({engine_ms / latency:.2f}) | {total} "
            f"| {engine_ms / total:.2f} ({plain_ms / total:.2f}) | {dram} "
            f"| {raw:.2f} ({raw / dram:.2f}) "
            f"| {coded:.2f} ({coded / dram:.2f}) | {glb} | {buffer:.1f} ({buffer / glb:.2f}) "
            f"| {engine.used_pes} ({row['active_pes']}) |"
        )


if __name__ == "__main__":
    main()
