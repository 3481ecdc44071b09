"""Print the Eyeriss ISCA 2016 reproduction as Markdown tables (the README's figures).

Table 1: RS energy per AlexNet layer (batch 16, normalized units x 1e9) by ALU, DRAM and RF, next
to nn_dataflow's reproduction of the paper (tests/data/reference/eyeriss_isca16_rs_alexnet_n16.csv).
Table 2: energy per MAC of each dataflow relative to RS, per layer.

    python bench/reproduce_eyeriss.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import accelsim

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "reference"
FLOWS = ("rs", "ws", "osa", "osb", "osc", "nlr")


def main() -> None:
    runs = {
        flow: accelsim.simulate(
            "eyeriss_isca16", "alexnet", dataflow=flow, batch=16, fidelity="ideal"
        )
        for flow in FLOWS
    }
    path = REFERENCE / "eyeriss_isca16_rs_alexnet_n16.csv"
    reference = {}
    if path.is_file():
        with path.open() as handle:
            reference = {row["layer"]: row for row in csv.DictReader(handle)}
    print("| layer | ALU | ALU (ref) | DRAM | DRAM (ref) | RF | RF (ref) |")
    print("|---|---|---|---|---|---|---|")
    for layer in runs["rs"].layers:
        by = {k: v / 1e9 for k, v in layer.energy_by("category").items()}
        ref = reference.get(layer.layer, {})
        print(
            f"| {layer.layer} | {by['ALU']:.2f} | {ref.get('alu_1e9', '-')} | {by['DRAM']:.2f} "
            f"| {ref.get('dram_1e9', '-')} | {by['RF']:.2f} | {ref.get('rf_1e9', '-')} |"
        )
    print()
    print("| layer | RS energy/MAC | " + " | ".join(f"{f.upper()} / RS" for f in FLOWS[1:]) + " |")
    print("|---|---|" + "---|" * (len(FLOWS) - 1))
    for index, layer in enumerate(runs["rs"].layers):
        ratios = [runs[f].layers[index].energy_per_mac / layer.energy_per_mac for f in FLOWS[1:]]
        cells = " | ".join(f"{ratio:.2f}" for ratio in ratios)
        print(f"| {layer.layer} | {layer.energy_per_mac:.2f} | {cells} |")


if __name__ == "__main__":
    main()
