"""``accelsim compress``: Deep Compression (Han et al., ICLR 2016) of a network's weights.

Per layer: pruning to a density, weight sharing with k-bit codebook indices, the sparse format
with b-bit relative indices (padding zeros where a gap overflows), Huffman coding of both.
From the actual weights (--weights: .npz keyed by layer name, a folder of <layer>.npy, one
.npy, or .onnx) or, without them, from a stated distribution (pruned uniformly at random,
normally distributed weights). Prints model size per layer and in total, the compression
ratios and, with --arch, the DRAM energy of reading the weights. See docs/compression.md.

    accelsim compress --workload alexnet --density 0.11,CONV1=0.84 --arch eyeriss_isca16
    accelsim compress --workload model.onnx --weights model.onnx --density 0.1 --out dc.csv

A setting is one value for every layer, NAME=VALUE pairs, or both (the bare value is the
default of the layers not named): --density 0.09,CONV1=0.84.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from accelsim.config import check_output
from accelsim.errors import ConfigError, Problem

FORMATS = (".csv", ".json")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compress",
        help="Deep Compression of a network's weights: size, ratio, DRAM traffic and energy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--workload", required=True, help="built-in name or file (.onnx too)")
    parser.add_argument(
        "--weights", type=Path, default=None, help=".npz, .npy, folder of .npy, or .onnx"
    )
    parser.add_argument(
        "--density",
        default=None,
        help="fraction of weights kept by pruning, in (0, 1] (default: the weights' own)",
    )
    parser.add_argument(
        "--weight-bits", default=None, help="codebook index bits, 1-16 (default conv 8, fc 5)"
    )
    parser.add_argument(
        "--index-bits", default=None, help="relative index bits, 1-16 (default conv 4, fc 5)"
    )
    parser.add_argument("--arch", default=None, help="price DRAM reads with this architecture")
    parser.add_argument("--out", type=Path, default=None, help="table to write: .csv or .json")
    parser.set_defaults(handler=run)


def parse_setting(text: str | None, option: str, kind: type) -> tuple[Any, dict[str, Any]]:
    """``0.1`` -> (0.1, {}); ``A=1,B=2`` -> (None, {"A": 1, "B": 2}); ``0.1,A=0.5`` -> (0.1,
    {"A": 0.5}): the value for every layer and the per-layer ones. ConfigError for anything
    else."""
    named: dict[str, Any] = {}
    default = None
    if text is None:
        return default, named
    try:
        for part in text.split(","):
            name, sep, value = part.strip().rpartition("=")
            if kind is int and not value.strip().lstrip("-").isdigit():
                raise ValueError(value)
            if sep:
                named[name.strip()] = kind(value)
            elif default is None:
                default = kind(value)
            else:
                raise ValueError(part)
    except ValueError:
        what = "a number" if kind is float else "an integer"
        expected = f"{what}, NAME={what.split()[-1]} pairs, or both, separated by commas"
        raise ConfigError(Problem("command line", option, expected, text)) from None
    return default, named


def per_layer(setting: tuple[Any, dict[str, Any]], names: list[str]) -> Any:
    """A parsed setting as :func:`accelsim.compress.plans_for` takes it: the one value, or a
    mapping by layer name (the named values, the others at the one value when given; names
    that are not layers are kept, so that the plan rejects them)."""
    default, named = setting
    if not named:
        return default
    if default is None:
        return named
    return {name: default for name in names} | named


def run(args: argparse.Namespace) -> int:
    from accelsim.api import as_arch, as_network, as_table
    from accelsim.compress import deep_compress, plans_for
    from accelsim.compress.dram import priced
    from accelsim.compress.weights import WeightFile

    if args.out is not None:
        if args.out.suffix not in FORMATS:
            expected = f"an output file ending in {', '.join(FORMATS)}"
            raise ConfigError(Problem("command line", "--out", expected, str(args.out)))
        check_output(args.out)
    parsed = {
        "density": parse_setting(args.density, "--density", float),
        "weight_bits": parse_setting(args.weight_bits, "--weight-bits", int),
        "index_bits": parse_setting(args.index_bits, "--index-bits", int),
    }
    network = as_network(args.workload)
    names = [layer.name for layer in network]
    settings = {key: per_layer(value, names) for key, value in parsed.items()}
    plans = plans_for(network, source="command line", **settings)
    arch = as_arch(args.arch) if args.arch else None
    weights = WeightFile(args.weights) if args.weights else None
    if weights is None:
        for plan in plans:
            if plan.density is None:
                expected = "a density for every layer when no --weights are given"
                raise ConfigError(Problem("command line", "--density", expected, args.density))
    report = deep_compress(network, plans, weights, source=str(args.weights or ""))
    if arch is not None:
        report = priced(report, arch, as_table(None, arch))
    print(_text(report))
    if args.out is not None:
        print(f"wrote {_write(report, args.out)}")
    return 0


def _text(report: Any) -> str:
    lines = [
        f"{report.network}: Deep Compression of the weights (sizes in kB = 1000 bytes)",
        f"{'layer':<16}{'density':>8}{'w bits':>7}{'i bits':>7}{'dense':>12}"
        f"{'P+Q':>11}{'P+Q+H':>11}{'ratio':>8}",
    ]
    for row in report.rows():
        lines.append(
            f"{row['layer']:<16}{row['density']:>8.3f}{row['weight_bits'] or '':>7}"
            f"{row['index_bits'] or '':>7}{row['dense_bits'] / 8e3:>12.1f}"
            f"{row['quantized_bits'] / 8e3:>11.1f}{row['huffman_bits'] / 8e3:>11.1f}"
            f"{row['ratio']:>7.1f}x"
        )
    lines.append(
        f"total: {report.dense_bits / 8e6:.1f} MB -> {report.huffman_bits / 8e6:.2f} MB "
        f"({report.ratio:.1f}x; {report.quantized_ratio:.1f}x before Huffman coding)"
    )
    if report.dram_pj_per_bit is not None:
        unit, per_bit = report.energy_unit, report.dram_pj_per_bit
        lines.append(
            f"DRAM weight reads per batch ({unit}): {report.dense_bits * per_bit:.4g} dense, "
            f"{report.quantized_bits * per_bit:.4g} P+Q, {report.huffman_bits * per_bit:.4g} P+Q+H"
        )
    return "\n".join(lines)


def _write(report: Any, path: Path) -> Path:
    import json

    from accelsim.atomic import write_atomic

    rows = report.rows()
    if path.suffix == ".json":
        text = json.dumps(rows, indent=1)
        return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    import csv

    def write(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    return write_atomic(path, write)
