"""``accelsim evaluate``: cost one layer under a given mapping and print the per-level table.

The layer is a file (a Timeloop problem YAML, or an accelsim workload with one layer),
``WORKLOAD:LAYER`` (``alexnet:CONV1``), or a layer name with ``--workload``. The mapping is a file
in accelsim's or Timeloop's mapping format (docs/mapping_format.md) or the name of a shipped
example. Counts are per instance, as Timeloop prints them: reads serve the level below, fills
come from the level above, updates are partial sums written back from below.

    accelsim evaluate --arch timeloop_eyeriss_like --layer alexnet:CONV1 \\
        --mapping timeloop_alexnet_conv1 --fidelity ideal
"""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.api import FIDELITIES, as_arch, as_table, evaluate
from accelsim.errors import ConfigError, Problem
from accelsim.mapping.io import load_mapping
from accelsim.results import LayerResult
from accelsim.types import DATA_TYPES
from accelsim.workload import Layer, load_workload


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="cost one layer under a given mapping (accelsim or Timeloop mapping YAML)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--arch", required=True, help="built-in name or YAML file")
    parser.add_argument(
        "--layer", required=True, help="layer file, WORKLOAD:LAYER, or a layer of --workload"
    )
    parser.add_argument("--mapping", required=True, help="mapping YAML or a shipped example name")
    parser.add_argument("--workload", default=None, help="workload holding --layer (name or file)")
    parser.add_argument("--energy-table", default=None, help="table name or file (default: arch's)")
    parser.add_argument(
        "--fidelity",
        default="engine",
        choices=list(FIDELITIES),
        help="engine: discrete-event timing with bandwidth and stalls; ideal: unlimited bandwidth",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    arch = as_arch(args.arch)
    layer = resolve_layer(args.layer, args.workload)
    mapping = load_mapping(args.mapping, arch, layer)
    table = as_table(args.energy_table, arch)
    result = evaluate(arch, layer, mapping, energy_table=table, fidelity=args.fidelity)
    print(f"{result.layer} on {arch.name}, mapping {args.mapping}, fidelity {args.fidelity}")
    print(mapping)
    print()
    print(format_table(result, [level.name for level in arch.levels]))
    print()
    print(format_totals(result))
    return 0


def resolve_layer(spec: str, workload: str | None) -> Layer:
    """The one layer ``spec`` names; raises ConfigError naming the option and the choices."""
    if workload is not None:
        return _pick(workload, spec)
    if Path(spec).is_file():
        network = load_workload(spec)
        if len(network) != 1:
            names = ", ".join(layer.name for layer in network)
            expected = f"a file with one layer, or FILE:LAYER with a layer among {names}"
            raise ConfigError(Problem("command line", "--layer", expected, spec))
        return network[0]
    if ":" in spec:
        workload, name = spec.rsplit(":", 1)
        return _pick(workload, name)
    expected = "an existing layer file, WORKLOAD:LAYER (e.g. alexnet:CONV1), or --workload W"
    raise ConfigError(Problem("command line", "--layer", expected, spec))


def _pick(workload: str, name: str) -> Layer:
    network = load_workload(workload)
    try:
        return network[name]
    except KeyError:
        names = ", ".join(layer.name for layer in network)
        expected = f"a layer of {workload} (one of {names})"
        raise ConfigError(Problem("command line", "--layer", expected, name)) from None


def format_table(result: LayerResult, levels: list[str]) -> str:
    """Per level (innermost first; ``levels`` lists them outermost first) and data type:
    instances, per-instance reads, fills and updates, energy per access and energy, in the
    style of Timeloop's summary."""
    unit = result.energy_unit
    header = (
        f"{'level':<14}{'dataspace':<10}{'instances':>10}{'reads':>14}{'fills':>12}"
        f"{'updates':>12}{f'{unit}/access':>13}{f'energy ({unit})':>18}"
    )
    mac = result.energy_by("component").get("mac", 0.0)
    lines = [
        header,
        f"{'mac':<14}{'-':<10}{result.used_pes:>10}{f'{result.macs:,} computes':>38}"
        f"{mac / result.macs:>13.3f}{mac:>18,.0f}",
    ]
    energy = result.energy_by_level_and_type()
    rows = sorted(
        result.traffic, key=lambda t: (-levels.index(t.level), DATA_TYPES.index(t.data_type))
    )
    for item in rows:
        spent = energy.get((item.level, item.data_type.value), 0.0)
        per_access = f"{spent / item.accesses:.3f}" if item.accesses else "-"
        counts = "".join(
            f"{_per_instance(count, item.instances):>{width}}"
            for count, width in ((item.reads, 14), (item.fills, 12), (item.updates, 12))
        )
        lines.append(
            f"{item.level:<14}{item.data_type.value:<10}{item.instances:>10}{counts}"
            f"{per_access:>13}{spent:>18,.0f}"
        )
    network = sum(v for (component, _), v in energy.items() if component == "network")
    if network:
        lines.append(f"{'network':<14}{'all':<10}{'':>61}{network:>18,.0f}")
    return "\n".join(lines)


def _per_instance(count: int, instances: int) -> str:
    whole, rest = divmod(count, instances)
    return f"{whole:,}" if rest == 0 else f"{count / instances:,.2f}"


def format_totals(result: LayerResult) -> str:
    unit = result.energy_unit
    total = f"{result.energy / 1e6:,.2f} uJ" if unit == "pJ" else f"{result.energy:,.4g} {unit}"
    stalls = f" ({result.stall_cycles:,} stall)" if result.stall_cycles else ""
    return "\n".join(
        [
            f"MACs:           {result.macs:,}",
            f"cycles:         {result.cycles:,}{stalls}",
            f"utilization:    {result.utilization:.2f} ({result.used_pes} of "
            f"{result.total_pes} PEs used)",
            f"energy:         {total}",
            f"energy per MAC: {result.energy_per_mac:.2f} {unit}",
        ]
    )
