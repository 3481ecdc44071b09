"""``accelsim plot RESULTS --kind energy|cycles|scatter --out FILE.png|.svg``: draw a results table.

RESULTS is the output folder of ``accelsim run`` or ``accelsim sweep`` (or one of its CSV files).

- ``energy``: stacked bars of energy per MAC by component and by data type, one bar per dataflow,
  for the whole network (``--per network``) or per layer (``--per layer``);
- ``cycles``: per-layer cycles (compute and stall) and utilization, one bar per dataflow;
- ``scatter``: two columns of the per-point table (``--x``, ``--y``) with the Pareto front.

``--where COLUMN=VALUE`` (repeatable) keeps the rows that match, e.g. one sweep point's layers;
on a sweep, ``--bars point`` draws one bar per point instead, labelled by its parameters.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.config import check_output
from accelsim.errors import ConfigError, Problem
from accelsim.report.tables import Results, load_results, select

KINDS = ("energy", "cycles", "scatter")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plot",
        help="draw a results table: energy breakdown, cycles per layer, sweep scatter",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("results", type=Path, help="folder or CSV from accelsim run / sweep")
    parser.add_argument("--kind", choices=KINDS, default="energy", help="default: energy")
    parser.add_argument("--out", type=Path, required=True, help="PNG or SVG file to write")
    parser.add_argument(
        "--by",
        choices=["category", "data_type", "both"],
        default="both",
        help="energy: stack by component (category), by data type, or one panel each (default)",
    )
    parser.add_argument(
        "--per",
        choices=["network", "layer"],
        default="network",
        help="energy: one group of bars for the whole network (default) or one per layer",
    )
    parser.add_argument(
        "--bars",
        default="dataflow",
        help="energy, cycles: the column giving one bar each (default dataflow; 'point' on a "
        "sweep: one bar per point, labelled by its parameters)",
    )
    parser.add_argument("--x", default="cycles", help="scatter: x column")
    parser.add_argument("--y", default="energy", help="scatter: y column")
    parser.add_argument("--color", default="dataflow", help="scatter: column coloring points")
    parser.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE")
    parser.set_defaults(handler=plot)


def plot(args: argparse.Namespace) -> int:
    suffix = args.out.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ConfigError(Problem("command line", "--out", "a .png or .svg file", str(args.out)))
    check_output(args.out)
    results = load_results(args.results)
    figure = draw(results, args)
    from accelsim.report.plots import save

    save(figure, args.out)
    print(f"wrote {args.out}")
    return 0


def draw(results: Results, args: argparse.Namespace):
    """The figure ``args`` asks for (matplotlib is imported only here, in accelsim.report)."""
    from accelsim.report import plots

    if args.kind == "scatter":
        table = _table(results.points, results, "a per-point table (points.csv or summary.csv)")
        table = select(table, args.where, results.source)
        return plots.sweep_scatter(table, x=args.x, y=args.y, color=args.color)
    layers = select(
        _table(results.layers, results, "a per-layer table (layers.csv)"),
        args.where,
        results.source,
    )
    if args.kind == "cycles":
        return plots.layer_cycles(layers, bars=args.bars)
    by = ("category", "data_type") if args.by == "both" else args.by
    return plots.energy_breakdown(layers, by=by, per=args.per, bars=args.bars)


def _table(frame, results: Results, expected: str):
    if frame is None:
        raise ConfigError(Problem(results.source, "", expected, show_got=False))
    return frame
