"""accelsim side by side with ZigZag 3.9.1 on ZigZag's own example hardware (run by hand:
``python bench/compare_zigzag.py``; not a test).

ZigZag is not run here: its per-layer results (energy, latency, utilization, mapping) are stored
in tests/data/zigzag/results, made by tests/data/zigzag/run_zigzag.py from the inputs stored
beside it (see tests/data/zigzag/README.md). This script maps and times the same ONNX workloads
(batch 1) on the transcribed built-in architectures (``zigzag_<name>``) under each dataflow with
the matching objective (ZigZag's ``energy`` is accelsim's ``energy``, ``latency`` is ``cycles``),
and prints, per stored ZigZag run:

- one row per accelsim dataflow and one for the best dataflow per layer (``best``): layers
  mapped, cycles (the engine's), energy (uJ) and wall time (s, cold caches), against ZigZag's
  figures over the same layers;
- with ``--layers``, the per-layer ratios (accelsim best / ZigZag) of cycles and energy;
- with ``--mappings N``, both tools' mappings of the N layers whose energy differs most.

``--markdown`` prints the summary as the table of the README's "Compared with ZigZag" section.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import accelsim
from accelsim.api import clear_caches
from accelsim.errors import ConfigError
from accelsim.results import LayerResult
from accelsim.workload import Network

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "zigzag"
# ZigZag hardware file -> accelsim built-in architecture
ARCHS = {
    name: f"zigzag_{name}"
    for name in (
        "tpu_like",
        "eyeriss_like",
        "edge_tpu_like",
        "tesla_npu_like",
        "meta_prototype",
        "ascend_like",
    )
}
# every mapping dataflow; per layer, those that cannot map it are left out
DATAFLOWS = ("rs", "ws", "os", "nlr")
OBJECTIVES = {"energy": "energy", "latency": "cycles"}


@dataclass(frozen=True)
class Side:
    """One tool's (or dataflow's) figures over the layers it mapped."""

    label: str
    layers: dict[str, LayerResult | None]  # None: no mapping found
    wall_s: float

    def mapped(self) -> list[LayerResult]:
        return [result for result in self.layers.values() if result is not None]


def load_run(path: Path) -> dict:
    """A stored ZigZag run (see tests/data/zigzag/run_zigzag.py for its fields)."""
    return json.loads(path.read_text())


def load_network(name: str) -> Network:
    with warnings.catch_warnings():  # ONNX ops without MACs (pooling, Add) are listed, not needed
        warnings.simplefilter("ignore")
        return accelsim.load_workload(DATA / f"{name}.onnx")


def run_accelsim(arch: str, network: Network, dataflow: str, objective: str) -> Side:
    """Every layer of ``network`` mapped and timed alone (a layer that cannot map is None)."""
    clear_caches()
    start = time.perf_counter()
    layers: dict[str, LayerResult | None] = {}
    for layer in network:
        try:
            result = accelsim.simulate(arch, layer, dataflow=dataflow, objective=objective)
            layers[layer.name] = result.layers[0]
        except ConfigError:
            layers[layer.name] = None
    return Side(dataflow, layers, time.perf_counter() - start)


def best_of(sides: list[Side], objective: str) -> Side:
    """Per layer, the dataflow best for the objective (energy, or cycles then energy)."""

    def key(result: LayerResult) -> tuple[float, float]:
        if objective == "energy":
            return (result.energy, result.cycles)
        return (result.cycles, result.energy)

    layers: dict[str, LayerResult | None] = {}
    for name in sides[0].layers:
        found = [side.layers[name] for side in sides if side.layers[name] is not None]
        layers[name] = min(found, key=key) if found else None
    return Side("best", layers, sum(side.wall_s for side in sides))


def compare(run: dict) -> tuple[list[dict], Side, dict[str, dict]]:
    """Summary rows (ZigZag first, then each dataflow and the best), the best side, and ZigZag's
    layers by name."""
    arch, flows = ARCHS[run["arch"]], DATAFLOWS
    network = load_network(run["network"])
    objective = OBJECTIVES[run["objective"]]
    zigzag = {layer["name"]: layer for layer in run["layers"]}
    sides = [run_accelsim(arch, network, flow, objective) for flow in flows]
    best = best_of(sides, objective)
    rows = [_zigzag_row(run, zigzag, [layer.name for layer in network])]
    for side in [*sides, best]:
        mapped = side.mapped()
        zz = [zigzag[result.layer] for result in mapped if result.layer in zigzag]
        rows.append(
            {
                "tool": f"accelsim {side.label}",
                "mapped": f"{len(mapped)}/{len(side.layers)}",
                "cycles": sum(result.cycles for result in mapped),
                "energy_uj": sum(result.energy for result in mapped) / 1e6,
                "wall_s": side.wall_s,
                "cycles_ratio": _ratio(sum(r.cycles for r in mapped), _sum(zz, "latency_cycles")),
                "energy_ratio": _ratio(sum(r.energy for r in mapped), _sum(zz, "energy_pj")),
                "zigzag_cycles": _sum(zz, "latency_cycles"),  # over the layers mapped here
                "zigzag_energy_uj": _sum(zz, "energy_pj") / 1e6,
            }
        )
    return rows, best, zigzag


def _zigzag_row(run: dict, zigzag: dict[str, dict], names: list[str]) -> dict:
    layers = [zigzag[name] for name in names if name in zigzag]
    return {
        "tool": "ZigZag",
        "mapped": f"{len(layers)}/{len(names)}",
        "cycles": _sum(layers, "latency_cycles"),
        "energy_uj": _sum(layers, "energy_pj") / 1e6,
        "wall_s": run["wall_s"],
        "cycles_ratio": None,
        "energy_ratio": None,
    }


def _sum(layers: list[dict], key: str) -> float:
    return sum(layer[key] for layer in layers)


def _ratio(ours: float, theirs: float) -> float | None:
    return ours / theirs if theirs else None


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_summary(run: dict, rows: list[dict]) -> None:
    print(
        f"\n{run['network']} on {run['arch']}, objective {run['objective']}; "
        f"ZigZag: {run['settings']}"
    )
    print(
        f"{'tool':<14} {'mapped':>7} {'cycles':>13} {'energy uJ':>11} {'wall s':>7} "
        f"{'cycles/ZZ':>9} {'energy/ZZ':>9}"
    )
    for row in rows:
        print(
            f"{row['tool']:<14} {row['mapped']:>7} {row['cycles']:>13,.0f} "
            f"{row['energy_uj']:>11,.1f} {row['wall_s']:>7.1f} "
            f"{_fmt_ratio(row['cycles_ratio']):>9} {_fmt_ratio(row['energy_ratio']):>9}"
        )


def markdown(entries: list[tuple[dict, list[dict]]]) -> None:
    """One line per run: ZigZag against accelsim's best dataflow per layer, over the layers
    accelsim mapped."""
    print(
        "| network | hardware | objective | ZigZag lpf | layers | cycles, ZigZag "
        "| cycles, accelsim | ratio | uJ, ZigZag | uJ, accelsim | ratio "
        "| wall s, ZigZag | wall s, accelsim |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for run, rows in entries:
        zigzag = rows[0]
        best = next(row for row in rows if row["tool"] == "accelsim best")
        print(
            f"| {run['network']} | {run['arch']} | {run['objective']} | {_lpf(run)} "
            f"| {best['mapped']} "
            f"| {best['zigzag_cycles']:,.0f} | {best['cycles']:,.0f} "
            f"| {_fmt_ratio(best['cycles_ratio'])} "
            f"| {best['zigzag_energy_uj']:,.1f} | {best['energy_uj']:,.1f} "
            f"| {_fmt_ratio(best['energy_ratio'])} "
            f"| {zigzag['wall_s']:.0f} | {best['wall_s']:.1f} |"
        )


def _lpf(run: dict) -> str:
    """ZigZag's LOMA lpf_limit in a run's settings."""
    return run["settings"].split("lpf_limit ")[1].split(",")[0]


def layer_ratios(
    best: Side, zigzag: dict[str, dict]
) -> list[tuple[str, float, float, LayerResult]]:
    """(layer, cycles ratio, energy ratio, accelsim result) for every layer both tools mapped."""
    ratios = []
    for name, result in best.layers.items():
        if result is not None and name in zigzag:
            theirs = zigzag[name]
            cycles = result.cycles / theirs["latency_cycles"]
            ratios.append((name, cycles, result.energy / theirs["energy_pj"], result))
    return ratios


def print_layers(best: Side, zigzag: dict[str, dict]) -> None:
    print(f"  {'layer':<44} {'flow':>4} {'cycles ZZ':>11} {'ratio':>6} {'uJ ZZ':>9} {'ratio':>6}")
    for name, cycles, energy, result in layer_ratios(best, zigzag):
        theirs = zigzag[name]
        print(
            f"  {name:<44} {result.dataflow:>4} {theirs['latency_cycles']:>11,.0f} "
            f"{cycles:>6.2f} {theirs['energy_pj'] / 1e6:>9.2f} {energy:>6.2f}"
        )
    for name, result in best.layers.items():
        if result is None:
            print(f"  {name:<44} no accelsim mapping")


def print_mappings(best: Side, zigzag: dict[str, dict], count: int) -> None:
    ratios = sorted(layer_ratios(best, zigzag), key=lambda item: -abs(item[2] - 1))
    shown: set[tuple[str, str]] = set()  # layers of one shape get the same mappings: print once
    for name, _, energy, result in ratios:
        theirs = zigzag[name]
        both = (result.mapping, json.dumps(theirs["temporal_mapping"]))
        if both in shown:
            continue
        shown.add(both)
        if len(shown) > count:
            break
        print(f"\n  {name}: energy accelsim / ZigZag = {energy:.2f}")
        print(f"  ZigZag: {theirs['spatial_mapping']}")
        for operand, levels in theirs["temporal_mapping"].items():
            print(f"    {operand} (innermost level first): {levels}")
        print(f"  accelsim ({result.dataflow}):")
        print("    " + result.mapping.replace("\n", "\n    "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", help="only this ZigZag hardware (e.g. tpu_like)")
    parser.add_argument("--network", help="only this network (resnet18, alexnet)")
    parser.add_argument("--objective", choices=sorted(OBJECTIVES), help="only this objective")
    parser.add_argument("--layers", action="store_true", help="print per-layer ratios")
    parser.add_argument("--mappings", type=int, default=0, help="print N worst layers' mappings")
    parser.add_argument("--markdown", action="store_true", help="the summary as a Markdown table")
    args = parser.parse_args()
    entries = []
    for path in sorted((DATA / "results").glob("*.json")):
        run = load_run(path)
        wanted = (args.arch, args.network, args.objective)
        if any(want and want != got for want, got in zip(wanted, _key(run), strict=True)):
            continue
        rows, best, zigzag = compare(run)
        entries.append((run, rows))
        if not args.markdown:
            print_summary(run, rows)
        if args.layers:
            print_layers(best, zigzag)
        if args.mappings:
            print_mappings(best, zigzag, args.mappings)
    if args.markdown:
        markdown(entries)


def _key(run: dict) -> tuple[str, str, str]:
    return run["arch"], run["network"], run["objective"]


if __name__ == "__main__":
    main()
