"""Deep Compression of a whole network: per-layer plans, the weights to compress (if any), and
the report (model size per layer and in total, compression ratios, DRAM weight traffic and, once
priced, its energy).

    from accelsim.api import as_network
    from accelsim.compress import deep_compress, plans_for
    net = as_network("alexnet")
    report = deep_compress(net, plans_for(net, density=0.1))
    report.ratio, report.huffman_bits / 8e6  # 35x-style ratio, MB
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from numpy.typing import NDArray

from accelsim.compress.model import LayerCompression, LayerPlan, compress_layer
from accelsim.errors import ConfigError, Problem
from accelsim.workload.layer import LayerKind, Network

PAPER_BITS = {"conv": (8, 4), "fc": (5, 5)}  # (codebook index bits, relative index bits)


@dataclass(frozen=True)
class CompressionReport:
    """Every layer's :class:`LayerCompression`; with ``dram_pj_per_bit`` (the architecture's DRAM
    read energy per bit, in ``energy_unit``) the weights' DRAM energy too. Weights are read from
    DRAM once per layer (per batch), so the DRAM weight traffic is the stored size."""

    network: str
    layers: tuple[LayerCompression, ...]
    dram_pj_per_bit: float | None = None
    energy_unit: str = "pJ"

    @property
    def dense_bits(self) -> int:
        return sum(layer.dense_bits for layer in self.layers)

    @property
    def quantized_bits(self) -> int:
        return sum(layer.quantized_bits for layer in self.layers)

    @property
    def huffman_bits(self) -> int:
        return sum(layer.huffman_bits for layer in self.layers)

    @property
    def ratio(self) -> float:
        """Dense size over the pruned, quantized and Huffman-coded size."""
        return self.dense_bits / self.huffman_bits

    @property
    def quantized_ratio(self) -> float:
        """Dense size over the pruned and quantized size (before Huffman coding)."""
        return self.dense_bits / self.quantized_bits

    def priced(self, dram_pj_per_bit: float, energy_unit: str) -> CompressionReport:
        return replace(self, dram_pj_per_bit=dram_pj_per_bit, energy_unit=energy_unit)

    def rows(self) -> list[dict[str, Any]]:
        """One record per layer and a ``total`` record: sizes in bits, ratios, and DRAM energy
        (dense, quantized, Huffman-coded weights) when priced."""
        rows = [self._row(layer.name, layer, [layer]) for layer in self.layers]
        rows.append(self._row("total", None, list(self.layers)))
        return rows

    def _row(self, name: str, one: LayerCompression | None, group: list) -> dict[str, Any]:
        dense = sum(layer.dense_bits for layer in group)
        quantized = sum(layer.quantized_bits for layer in group)
        coded = sum(layer.huffman_bits for layer in group)
        nonzeros = sum(layer.nonzeros for layer in group)
        weights = sum(layer.weights for layer in group)
        row: dict[str, Any] = {
            "network": self.network,
            "layer": name,
            "weights": weights,
            "nonzeros": nonzeros,
            "density": nonzeros / weights,
            "padding": sum(layer.padding for layer in group),
            "weight_bits": one.weight_bits if one else None,
            "index_bits": one.index_bits if one else None,
            "weight_code_bits_mean": one.mean_weight_code_bits if one else None,
            "index_code_bits_mean": one.mean_index_code_bits if one else None,
            "dense_bits": dense,
            "quantized_bits": quantized,
            "huffman_bits": coded,
            "quantized_ratio": dense / quantized,
            "ratio": dense / coded,
            "counts_from": one.source if one else "",
        }
        if self.dram_pj_per_bit is not None:
            row["dram_energy_dense"] = dense * self.dram_pj_per_bit
            row["dram_energy_quantized"] = quantized * self.dram_pj_per_bit
            row["dram_energy_huffman"] = coded * self.dram_pj_per_bit
            row["energy_unit"] = self.energy_unit
        return row


def plans_for(
    network: Network,
    *,
    density: float | Mapping[str, float] | None = None,
    weight_bits: int | Mapping[str, int] | None = None,
    index_bits: int | Mapping[str, int] | None = None,
    source: str = "compression plan",
) -> tuple[LayerPlan, ...]:
    """One plan per layer. Each setting is one value for every layer or a mapping by layer
    name (layers it leaves out take the default). Defaults: density ``None`` (the fraction
    already non-zero in the weights given; required without weights), the paper's bits
    (convolutions: 8-bit codebook indices and 4-bit relative indices; fully connected and
    matrix layers: 5 and 5). Raises ConfigError for a name that is not a layer of
    ``network``, or a setting out of range."""
    names = {layer.name for layer in network}
    for field, given in (
        ("density", density),
        ("weight_bits", weight_bits),
        ("index_bits", index_bits),
    ):
        if isinstance(given, Mapping):
            unknown = sorted(set(given) - names)
            if unknown:
                expected = f"layer names of {network.name} ({', '.join(sorted(names))})"
                raise ConfigError(Problem(source, field, expected, unknown))
    plans = []
    for layer in network:
        kind = "conv" if layer.kind in (LayerKind.CONV, LayerKind.DEPTHWISE) else "fc"
        plan = LayerPlan(
            name=layer.name,
            weights=layer.weight_elements,
            density=_pick(density, layer.name, None),
            weight_bits=_pick(weight_bits, layer.name, PAPER_BITS[kind][0]),
            index_bits=_pick(index_bits, layer.name, PAPER_BITS[kind][1]),
        )
        plan.check(source)
        plans.append(plan)
    return tuple(plans)


def _pick(setting: Any, name: str, default: Any) -> Any:
    if isinstance(setting, Mapping):
        return setting.get(name, default)
    return default if setting is None else setting


def deep_compress(
    network: Network,
    plans: tuple[LayerPlan, ...],
    weights: Mapping[str, NDArray] | None = None,
    *,
    source: str = "",
) -> CompressionReport:
    """Compress every layer of ``network`` by its plan: from ``weights[name]`` when weights are
    given (every layer must be there; ``source`` names the file in errors), else from the stated
    distribution. Raises ConfigError for a missing or misshapen layer or a bad plan."""
    done = []
    for plan in plans:
        values = None
        if weights is not None:
            if plan.name not in weights:
                expected = f"an array for layer {plan.name} (found: {', '.join(sorted(weights))})"
                raise ConfigError(Problem(source, plan.name, expected, "missing"))
            values = weights[plan.name]
        done.append(compress_layer(plan, values, source))
    return CompressionReport(network.name, tuple(done))
