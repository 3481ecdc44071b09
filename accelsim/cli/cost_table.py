"""``accelsim cost-table``: per-layer cost tables over (weight bits, activation bits) pairs.

The output format follows the file's suffix: ``.npy`` HAQ's latency table (int64 cycles, shape
(layers, 8, 8), indexed [layer, weight_bits - 1, input_bits - 1]; needs --bits 1-8); ``.npz``
HAWQ-V3's per-layer INT4 / INT8 latency arrays; ``.csv`` / ``.json`` the long form, one row per
layer and bit pair. A sanity report (monotonic cycles, memory-wall layers) is printed.

    accelsim cost-table --arch bitfusion --workload mobilenet_v2 --dataflow ws --batch 16 \\
        --bits 1-8 --out reports/mobilenet_v2_haq.npy
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from accelsim.config import LIMITS, check_output, expect_int, int_in
from accelsim.dataflow import parse_dataflow
from accelsim.errors import ConfigError, Problem
from accelsim.progress import Progress

METRIC_COLUMNS = {
    "cycles": ["cycles", "ideal_cycles", "stall_cycles", "memory_cycles", "seconds"],
    "energy": ["energy", "energy_compute", "energy_onchip", "energy_dram"],
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cost-table",
        help="per-layer latency/energy for every (weight bits, activation bits) pair",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--arch", required=True, help="built-in name or YAML file")
    parser.add_argument("--workload", required=True, help="built-in name or file (.onnx too)")
    parser.add_argument("--bits", default="1-8", help="bit widths: 1-8 or 2,4,8 (default 1-8)")
    parser.add_argument(
        "--weight-bits", "--w-bits", default=None, help="weight bits, if not --bits"
    )
    parser.add_argument(
        "--input-bits", "--a-bits", default=None, help="activation bits, if not --bits"
    )
    parser.add_argument(
        "--batch", type=int, default=None, help="batch size (default: the workload file's own)"
    )
    parser.add_argument("--dataflow", default="rs", help="dataflow: rs, ws, os, nlr (default rs)")
    parser.add_argument(
        "--metric",
        default="cycles",
        choices=["cycles", "energy", "both"],
        help="columns written, and the mapper's objective (both: EDP) (default cycles)",
    )
    parser.add_argument(
        "--remap",
        default="shared",
        choices=["shared", "best"],
        help="shared: one mapping per group of pairs; best: the mapper per pair (default shared)",
    )
    parser.add_argument(
        "--fidelity",
        default="engine",
        choices=["engine", "ideal"],
        help="engine: timing with bandwidth and stalls; ideal: unlimited bandwidth "
        "(default engine)",
    )
    parser.add_argument(
        "--unsupported",
        default="promote",
        choices=["promote", "nan", "error"],
        help="a pair the MAC unit cannot run: promote to the next it can, NaN, or an error "
        "(default promote)",
    )
    parser.add_argument(
        "--weight-density",
        default=None,
        help="pruned weights: density in (0, 1] for every layer, NAME=VALUE pairs, or both "
        "(0.5,fc=0.2); DRAM weights in the relative-index format (default: dense)",
    )
    parser.add_argument(
        "--densities",
        default=None,
        help="a density axis, e.g. 1,0.5,0.25: one table per density, every layer at it, "
        "written one after the other (.csv or .json only)",
    )
    parser.add_argument(
        "--index-bits",
        type=int,
        default=4,
        help="relative index bits of pruned weights in DRAM, 1-16 (default 4)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="output file: .npy (HAQ), .npz (HAWQ-V3), .csv, .json",
    )
    parser.set_defaults(handler=run)


def parse_bits(text: str, *, option: str = "--bits") -> list[int]:
    """``1-8`` -> [1, ..., 8]; ``2,4,8`` -> [2, 4, 8]; ConfigError for anything else."""
    high = int(LIMITS["bits"].high)
    values: list[int] = []
    try:
        for part in text.split(","):
            low, _, top = part.strip().partition("-")
            first, last = int(low), int(top or low)
            if not 1 <= first <= last <= high:
                raise ValueError(part)
            values += range(first, last + 1)
    except ValueError:
        values = []
    if not values:
        expected = f"bit widths from 1 to {high}, as a range 1-8 or a list 2,4,8"
        raise ConfigError(Problem("command line", option, expected, text))
    return values


def run(args: argparse.Namespace) -> int:
    from accelsim.precision.export import FORMATS, write_table, write_tables
    from accelsim.precision.sanity import sanity_report

    if args.out.suffix not in FORMATS:
        expected = f"an output file ending in {', '.join(FORMATS)}"
        raise ConfigError(Problem("command line", "--out", expected, str(args.out)))
    check_output(args.out)
    if args.densities is not None and args.out.suffix not in (".csv", ".json"):
        expected = "a .csv or .json output for a density axis (one table per density)"
        raise ConfigError(Problem("command line", "--out", expected, str(args.out)))
    parse_dataflow(args.dataflow, source="command line", path="--dataflow")
    if args.batch is not None and not int_in(args.batch, "batch"):
        raise ConfigError(Problem("command line", "--batch", expect_int("batch"), args.batch))
    weight_bits = parse_bits(
        args.weight_bits or args.bits, option="--weight-bits" if args.weight_bits else "--bits"
    )
    input_bits = parse_bits(
        args.input_bits or args.bits, option="--input-bits" if args.input_bits else "--bits"
    )
    density, axis = _densities(args)
    with Progress(0, "accelsim cost-table", "layer shape", quiet=args.quiet) as bar:
        tables = [_table(args, weight_bits, input_bits, bar, d) for d in axis or [density]]
    table = tables[0]
    columns = None if args.metric == "both" else METRIC_COLUMNS[args.metric]
    if axis is None:
        path = write_table(table, args.out, columns=columns)
    else:
        path = write_tables(tables, args.out, columns=columns)
    print(
        f"{table.network} on {table.arch} ({table.dataflow}, batch {table.batch}): "
        f"{len(table.layers)} layers x {len(weight_bits)} x {len(input_bits)} bit pairs"
    )
    print(sanity_report(table).text())
    print(f"wrote {path}")
    return 0


def _densities(args: argparse.Namespace) -> tuple[Any, list[float] | None]:
    """The --weight-density setting (a number, or per layer) and the --densities axis."""
    from accelsim.cli.compress import parse_setting, per_layer

    if args.weight_density is not None and args.densities is not None:
        expected = "either --weight-density or --densities, not both"
        raise ConfigError(Problem("command line", "--densities", expected, args.densities))
    if args.densities is not None:
        try:
            values = [float(part) for part in args.densities.split(",")]
        except ValueError:
            values = []
        _check_densities("--densities", values, args.densities)
        return None, values
    setting = parse_setting(args.weight_density, "--weight-density", float)
    density = setting[0]
    if setting[1]:
        from accelsim.api import as_network

        density = per_layer(setting, [layer.name for layer in as_network(args.workload)])
    if density is not None:
        values = list(density.values()) if isinstance(density, dict) else [density]
        _check_densities("--weight-density", values, args.weight_density)
    return density, None


def _check_densities(option: str, values: list[float], text: str) -> None:
    if not values or not all(0 < value <= 1 for value in values):
        expected = "densities in (0, 1] (a list: 1,0.5,0.25)"
        raise ConfigError(Problem("command line", option, expected, text))


def _table(
    args: argparse.Namespace,
    weight_bits: list[int],
    input_bits: list[int],
    bar: Progress,
    density: Any = None,
) -> Any:
    from accelsim.precision import cost_table

    return cost_table(
        args.arch,
        args.workload,
        weight_bits,
        input_bits,
        batch=args.batch,
        dataflow=args.dataflow,
        metric=args.metric,
        unsupported=args.unsupported,
        remap=args.remap,
        fidelity=args.fidelity,
        progress=bar.advance_to,
        weight_density=density,
        index_bits=args.index_bits,
    )
