"""``accelsim run``: map and cost a network under several dataflows; print and save the results.

With no arguments it runs the Eyeriss ISCA 2016 comparison: ``eyeriss_isca16``, AlexNet at batch
16, the four dataflows RS, WS, OS and NLR, priced with the normalized Eyeriss energy table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from accelsim.api import as_arch, simulate
from accelsim.atomic import write_csv
from accelsim.dataflow import parse_dataflow
from accelsim.results import NetworkResult

DEFAULT_DATAFLOWS = "rs,ws,os,nlr"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="simulate a network under several dataflows (defaults: the Eyeriss ISCA 2016 study)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--arch", default="eyeriss_isca16", help="built-in name or YAML file")
    parser.add_argument("--workload", default="alexnet", help="built-in name or file")
    parser.add_argument("--batch", type=int, default=16, help="batch size (default 16)")
    parser.add_argument("--dataflows", default=DEFAULT_DATAFLOWS, help="comma-separated names")
    parser.add_argument("--energy-table", default=None, help="table name or file (default: arch's)")
    parser.add_argument("--objective", default="energy", choices=["energy", "cycles", "edp"])
    parser.add_argument(
        "--weight-bits", "--w-bits", type=int, default=None, help="weight bits for every layer"
    )
    parser.add_argument(
        "--input-bits", "--a-bits", type=int, default=None, help="activation bits for every layer"
    )
    parser.add_argument(
        "--fidelity",
        default="engine",
        choices=["engine", "ideal"],
        help="engine: discrete-event timing with bandwidth and stalls; ideal: unlimited bandwidth",
    )
    parser.add_argument("--out", type=Path, default=Path("reports"), help="output folder")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.batch < 1:
        from accelsim.errors import ConfigError, Problem

        raise ConfigError(Problem("command line", "--batch", "a positive integer", args.batch))
    arch = as_arch(args.arch)
    flows = [
        parse_dataflow(name.strip(), source="command line", path="--dataflows")
        for name in args.dataflows.split(",")
        if name.strip()
    ]
    results = [
        simulate(
            arch,
            args.workload,
            dataflow=flow,
            batch=args.batch,
            objective=args.objective,
            energy_table=args.energy_table,
            weight_bits=args.weight_bits,
            input_bits=args.input_bits,
            fidelity=args.fidelity,
        )
        for flow in flows
    ]
    layers = pd.concat([result.to_frame() for result in results], ignore_index=True).fillna(0)
    summary = pd.DataFrame([result.summary() for result in results])
    written = [
        write_csv(args.out / "layers.csv", layers),
        write_csv(args.out / "summary.csv", summary),
    ]
    if len({r.network for r in results}) == 1:
        from accelsim.report.plots import energy_breakdown, save

        figure = energy_breakdown(layers)
        save(figure, args.out / "energy_breakdown.png")
        written.append(args.out / "energy_breakdown.png")
    print(format_summary(results, arch.name))
    for path in written:
        print(f"wrote {path}")
    return 0


def format_summary(results: list[NetworkResult], arch_name: str) -> str:
    """A fixed-width table: one line per dataflow, energy per MAC by category, cycles."""
    first = results[0]
    unit = first.layers[0].energy_unit if first.layers else ""
    name = max(9, *(len(result.dataflow) + 1 for result in results))
    lines = [
        f"{first.network} on {arch_name}, batch {first.batch}, {first.macs:,} MACs; "
        f"energy per MAC in {unit}",
        f"{'dataflow':<{name}}{'total':>8}{'ALU':>7}{'RF':>7}{'array':>7}{'buffer':>8}{'DRAM':>8}"
        f"{'cycles':>14}{'util':>7}",
    ]
    for result in results:
        by = result.energy_by("category")
        per = {k: v / result.macs for k, v in by.items()}
        util = result.utilization  # the summary.csv column, so screen and file agree
        lines.append(
            f"{result.dataflow:<{name}}{result.energy_per_mac:>8.3f}{per['ALU']:>7.2f}{per['RF']:>7.2f}"
            f"{per['array']:>7.2f}{per['buffer']:>8.2f}{per['DRAM']:>8.2f}"
            f"{result.cycles:>14,}{util:>7.2f}"
        )
    return "\n".join(lines)
