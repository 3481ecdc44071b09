"""``accelsim run``: map and cost a network under several dataflows; print and save the results.

With no arguments it runs the Eyeriss ISCA 2016 comparison: ``eyeriss_isca16``, AlexNet at batch
16 (the study's batch; a workload given with ``--workload`` runs at its file's own batch unless
``--batch`` says otherwise), the four dataflows RS, WS, OS and NLR, priced with the normalized
Eyeriss energy table. Without ``--dataflows`` every dataflow among rs, ws, os, nlr that the
architecture can run is run; the others are listed on stderr with the reason and skipped.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd

from accelsim.api import as_arch, as_network, simulate
from accelsim.arch.model import Arch
from accelsim.atomic import write_csv
from accelsim.config import LIMITS, bits, check_output, int_in
from accelsim.dataflow import Dataflow, parse_dataflow
from accelsim.errors import ConfigError, Problem, Problems
from accelsim.progress import Progress
from accelsim.results import LayerResult, NetworkResult
from accelsim.workload.layer import Network

log = logging.getLogger(__name__)
DEFAULT_DATAFLOWS = "rs,ws,os,nlr"
DEFAULT_WORKLOAD, DEFAULT_BATCH = "alexnet", 16  # the Eyeriss ISCA 2016 study
OUTPUTS = ("layers.csv", "summary.csv", "energy_breakdown.png")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="simulate a network under several dataflows (defaults: the Eyeriss ISCA 2016 study)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--arch",
        default="eyeriss_isca16",
        help="built-in name or YAML file (default eyeriss_isca16)",
    )
    parser.add_argument(
        "--workload",
        default=None,
        help=f"built-in name or file, .onnx too (default {DEFAULT_WORKLOAD} at batch "
        f"{DEFAULT_BATCH}, the Eyeriss study)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help=f"batch size (default: the --workload file's own; {DEFAULT_BATCH} for the study)",
    )
    names = ", ".join(d.value for d in Dataflow)
    parser.add_argument(
        "--dataflows",
        default=None,
        help=f"comma-separated dataflows among {names} (default: those of {DEFAULT_DATAFLOWS} "
        "the architecture can run)",
    )
    parser.add_argument("--energy-table", default=None, help="table name or file (default: arch's)")
    parser.add_argument(
        "--objective",
        default="energy",
        choices=["energy", "cycles", "edp"],
        help="what the mapper minimizes for each layer (edp: energy x cycles; default energy)",
    )
    parser.add_argument(
        "--weight-bits",
        "--w-bits",
        type=int,
        default=None,
        help="weight bits for every layer (default: the file's)",
    )
    parser.add_argument(
        "--input-bits",
        "--a-bits",
        type=int,
        default=None,
        help="activation bits for every layer (default: the file's)",
    )
    parser.add_argument(
        "--densities",
        default=None,
        metavar="TYPE=D,...",
        help="non-zero fractions for every layer, e.g. weights=0.45,inputs=0.3,outputs=0.4 "
        "(default: the file's); they matter on architectures with compression: or sparse: "
        "(docs/sparse.md) and for the MAC unit's zero gating",
    )
    parser.add_argument(
        "--fidelity",
        default="engine",
        choices=["engine", "ideal"],
        help="engine (default): discrete-event timing with bandwidth and stalls; ideal: unlimited "
        "bandwidth",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        help=f"output folder for {', '.join(OUTPUTS)} (default reports)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    _check_numbers(args)
    check_output(args.out, folder=True)
    for name in OUTPUTS:
        check_output(args.out / name)
    flows, chosen = _dataflows(args.dataflows)
    arch = as_arch(args.arch)
    network = as_network(args.workload or DEFAULT_WORKLOAD)
    batch = args.batch if args.batch is not None or args.workload else DEFAULT_BATCH
    if batch is not None:
        network = network.with_batch(batch)
    if args.densities:
        densities = _densities(args.densities)
        network = replace(network, layers=tuple(replace(x, **densities) for x in network))
    _warn_fixed_precision(arch, args)
    results: list[NetworkResult] = []
    skipped: list[tuple[Dataflow, ConfigError]] = []
    with Progress(len(flows) * len(network), "accelsim run", "layer", quiet=args.quiet) as bar:
        for flow in flows:
            before = bar.done
            try:
                results.append(_simulate(arch, network, flow, args, bar))
            except ConfigError as error:
                if chosen:
                    raise
                skipped.append((flow, error))
                bar.update(len(network) - (bar.done - before))
    for flow, problem in skipped:
        reason = str(problem).splitlines()[0]
        print(f"accelsim run: skipped dataflow {flow.value}: {reason}", file=sys.stderr)
    if not results:
        raise ConfigError([p for _, problem in skipped for p in problem.problems])
    _write(results, arch, args.out)
    return 0


def _check_numbers(args: argparse.Namespace) -> None:
    found = Problems("command line")
    if args.batch is not None and not int_in(args.batch, "batch"):
        high = f"{LIMITS['batch'].high:,.0f}"
        found.add("--batch", f"a positive integer (1 to {high})", args.batch)
    for option, value in (("--weight-bits", args.weight_bits), ("--input-bits", args.input_bits)):
        if value is not None:
            bits(found, option, value)
    found.raise_if_any()
    if args.densities:
        _densities(args.densities)


def _densities(text: str) -> dict[str, float]:
    """``weights=0.45,inputs=0.3`` as Layer fields. Raises ConfigError (command line)."""
    expected = "TYPE=DENSITY pairs with TYPE weights, inputs or outputs and DENSITY in (0, 1]"
    fields: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        try:
            density = float(value)
        except ValueError:
            density = -1.0
        if name.strip() not in ("weights", "inputs", "outputs") or not 0.0 < density <= 1.0:
            raise ConfigError(Problem("command line", "--densities", expected, part))
        fields[f"{name.strip()[:-1]}_density"] = density
    return fields


def _dataflows(text: str | None) -> tuple[list[Dataflow], bool]:
    """The dataflows asked for, and whether the user chose them (else: the defaults)."""
    chosen = text is not None
    names = [name.strip() for name in (text or DEFAULT_DATAFLOWS).split(",") if name.strip()]
    if not names:
        expected = "one or more dataflow names separated by commas, e.g. rs,ws"
        raise ConfigError(Problem("command line", "--dataflows", expected, text))
    found = Problems()
    flows = []
    for name in names:
        with found.collecting():
            flows.append(parse_dataflow(name, source="command line", path="--dataflows"))
    found.raise_if_any()
    return flows, chosen


def _warn_fixed_precision(arch: Arch, args: argparse.Namespace) -> None:
    if arch.fixed_precision and (args.weight_bits is not None or args.input_bits is not None):
        widths = ", ".join(f"{key} {value}" for key, value in arch.fixed_precision)
        print(
            f"accelsim run: warning: {arch.name} runs every layer at fixed precision ({widths}); "
            "--weight-bits and --input-bits have no effect on it",
            file=sys.stderr,
        )


def _simulate(
    arch: Arch, network: Network, flow: Dataflow, args: argparse.Namespace, bar: Progress
) -> NetworkResult:
    """``simulate`` layer by layer, so the progress shows which layer is being mapped."""
    layers: list[LayerResult] = []
    for layer in network:
        bar.note(f"{flow.value} {layer.name}")
        result = simulate(
            arch,
            Network(network.name, (layer,)),
            dataflow=flow,
            objective=args.objective,
            energy_table=args.energy_table,
            weight_bits=args.weight_bits,
            input_bits=args.input_bits,
            fidelity=args.fidelity,
        )
        layers.extend(result.layers)
        bar.update()
        done = result.layers[0]
        log.info("%s %s: %s cycles, %.4g %s", flow.value, layer.name, f"{done.cycles:,}",
                 done.energy, done.energy_unit)  # fmt: skip
    return NetworkResult(network.name, flow.value, network.batch, tuple(layers))


def _write(results: list[NetworkResult], arch: Arch, out: Path) -> None:
    layers = pd.concat([result.to_frame() for result in results], ignore_index=True).fillna(0)
    summary = pd.DataFrame([result.summary() for result in results])
    written = [write_csv(out / "layers.csv", layers), write_csv(out / "summary.csv", summary)]
    from accelsim.report.plots import energy_breakdown, save

    save(energy_breakdown(layers), out / "energy_breakdown.png")
    written.append(out / "energy_breakdown.png")
    print(format_summary(results, arch.name))
    for path in written:
        print(f"wrote {path}")


def format_summary(results: list[NetworkResult], arch_name: str) -> str:
    """A fixed-width table: one line per dataflow, energy per MAC by category, cycles."""
    first = results[0]
    unit = first.layers[0].energy_unit if first.layers else ""
    headers = ("total", "ALU", "RF", "array", "buffer", "DRAM", "cycles", "util")
    widths = [8, 7, 7, 7, 8, 8, 14, 7]  # the least; a wider value widens its column
    rows = []
    for result in results:
        by = result.energy_by("category")
        per = {k: v / result.macs for k, v in by.items()}
        util = result.utilization  # the summary.csv column, so screen and file agree
        rows.append(
            (
                result.dataflow,
                f"{result.energy_per_mac:.3f}",
                *(f"{per[k]:.2f}" for k in ("ALU", "RF", "array", "buffer", "DRAM")),
                f"{result.cycles:,}",
                f"{util:.2f}",
            )
        )
    name = max(9, *(len(row[0]) + 1 for row in rows))
    widths = [max(w, *(len(row[i + 1]) + 2 for row in rows)) for i, w in enumerate(widths)]
    lines = [
        f"{first.network} on {arch_name}, batch {first.batch}, {first.macs:,} MACs; "
        f"energy per MAC in {unit}",
        f"{'dataflow':<{name}}"
        + "".join(f"{h:>{w}}" for h, w in zip(headers, widths, strict=True)),
    ]
    for row in rows:
        cells = zip(row[1:], widths, strict=True)
        lines.append(f"{row[0]:<{name}}" + "".join(f"{c:>{w}}" for c, w in cells))
    for result in results:
        if result.sparse:  # formats, gating or skipping on zeros: what the same mappings cost dense
            lines.append(
                f"{result.dataflow} dense (no savings on zeros): energy per MAC "
                f"{result.dense_energy / result.macs:.3f}, cycles {result.dense_cycles:,}"
            )
    return "\n".join(lines)
