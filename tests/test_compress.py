"""Deep Compression: the Huffman coder against hand-built codes and the entropy bound, the
relative-index format against hand-counted streams and a random mask, a small layer compressed
by hand, and the paper's AlexNet and VGG-16 tables (tests/data/deep_compression_han2016.csv,
from Han, Mao, Dally, ICLR 2016, tables 4 and 5)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from accelsim.api import as_network
from accelsim.compress import (
    LayerPlan,
    code_lengths,
    coded_bits,
    compress_layer,
    deep_compress,
    entropy_bits,
    plans_for,
)
from accelsim.compress.codebook import share_weights
from accelsim.compress.csr import entries_per_nonzero, expected_index_counts, relative_indices
from accelsim.compress.model import _largest
from accelsim.errors import ConfigError

DATA = Path(__file__).parent / "data" / "deep_compression_han2016.csv"


# ---- Huffman ---------------------------------------------------------------------------------
def test_huffman_matches_the_textbook_code() -> None:
    # CLRS section 16.3: a:45 b:13 c:12 d:16 e:9 f:5 -> a 1 bit, b c d 3 bits, e f 4 bits
    counts = {"a": 45, "b": 13, "c": 12, "d": 16, "e": 9, "f": 5}
    assert code_lengths(counts) == {"a": 1, "b": 3, "c": 3, "d": 3, "e": 4, "f": 4}
    assert coded_bits(counts) == 45 * 1 + (13 + 12 + 16) * 3 + (9 + 5) * 4  # 224


def test_huffman_ties_are_broken_the_same_way_every_time() -> None:
    # a and b (first in order) merge first; c then pairs with them at the root
    assert code_lengths({"c": 1, "b": 1, "a": 1}) == {"a": 2, "b": 2, "c": 1}
    assert code_lengths({0: 1, 1: 1, 2: 1, 3: 1}) == {0: 2, 1: 2, 2: 2, 3: 2}
    assert code_lengths({7: 10}) == {7: 1}  # one symbol still needs one bit per occurrence


@pytest.mark.parametrize("seed", range(8))
def test_huffman_is_within_one_bit_of_the_entropy_and_complete(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts = {s: int(c) for s, c in enumerate(rng.integers(1, 1000, size=rng.integers(2, 60)))}
    lengths = code_lengths(counts)
    total = sum(counts.values())
    assert entropy_bits(counts) <= coded_bits(counts) < entropy_bits(counts) + total
    assert math.isclose(sum(2.0**-n for n in lengths.values()), 1.0)  # Kraft: a full tree


def test_huffman_on_a_large_skewed_alphabet() -> None:
    # 2**16 codebook indices with geometric counts: a deep, one-sided tree, built in O(n log n)
    counts = {s: 1 + (1 << 40 >> min(s, 40)) for s in range(1 << 16)}
    lengths = code_lengths(counts)
    assert math.isclose(sum(2.0**-n for n in lengths.values()), 1.0)
    assert entropy_bits(counts) <= coded_bits(counts) < entropy_bits(counts) + sum(counts.values())


# ---- the relative-index format ---------------------------------------------------------------
def _relative_indices_by_walking(mask: np.ndarray, index_bits: int) -> list[int]:
    """The format written one position at a time, as a decoder reads it."""
    span, out, last = 1 << index_bits, [], -1
    for position, kept in enumerate(mask):
        if not kept:
            continue
        while position - last > span:  # the gap overflows: a padding entry span positions on
            out.append(span - 1)
            last += span
        out.append(position - last - 1)
        last = position
    return out


@pytest.mark.parametrize("seed", range(12))
def test_relative_indices_match_a_walk_of_the_stream(seed: int) -> None:
    rng = np.random.default_rng(seed)
    bits = int(rng.integers(1, 5))
    mask = rng.random(int(rng.integers(1, 400))) < rng.choice([0.02, 0.2, 0.7])
    runs, padding = relative_indices(mask, bits)
    walked = _relative_indices_by_walking(mask, bits)
    assert runs.tolist() == walked
    assert padding == len(walked) - int(mask.sum())


def test_relative_indices_with_padding_by_hand() -> None:
    mask = np.zeros(16, dtype=bool)
    mask[[1, 4, 15]] = True  # gaps 2, 3, 11 with 3-bit indices (a span of 8)
    runs, padding = relative_indices(mask, 3)
    # gap 11 = one padding entry 8 positions on (index 7), then the non-zero 3 further (index 2)
    assert runs.tolist() == [2 - 1, 3 - 1, 7, 11 - 8 - 1]
    assert padding == 1


def test_expected_padding_matches_a_random_mask() -> None:
    rng = np.random.default_rng(1)
    density, bits = 0.05, 4
    mask = rng.random(2_000_000) < density
    runs, _ = relative_indices(mask, bits)
    measured = len(runs) / mask.sum()
    assert measured == pytest.approx(entries_per_nonzero(density, bits), rel=0.01)
    counts = expected_index_counts(int(mask.sum()), density, bits)
    assert sum(counts.values()) == pytest.approx(len(runs), rel=0.01)
    assert counts[0] == pytest.approx(int((runs == 0).sum()), rel=0.02)


def test_a_small_layer_compressed_by_hand() -> None:
    values = np.array([0.1, -3, 0.2, 2, -0.05, 4, 0.3, -1])
    plan = LayerPlan("fc", weights=8, density=0.5, weight_bits=1, index_bits=2)
    layer = compress_layer(plan, values)
    # kept: -3, 2, 4, -1 at positions 1, 3, 5, 7: every gap 2 (relative index 1), no padding;
    # two centroids, linear start -3 and 4, settle at -2 and 3: two of each index
    assert (layer.nonzeros, layer.padding) == (4, 0)
    assert share_weights(np.array([-3.0, 2, 4, -1]), 1)[0].tolist() == [-2.0, 3.0]
    assert layer.weight_code_bits == 4 * 1  # two symbols, two each: 1 bit
    assert layer.index_code_bits == 4 * 1  # one symbol: 1 bit
    assert layer.codebook_bits == 2 * 32
    assert layer.quantized_bits == 4 * (1 + 2) + 2 * 32
    assert layer.huffman_bits == 4 + 4 + 2 * 32
    assert layer.dense_bits == 8 * 32


def test_magnitude_pruning_ties_go_to_the_first() -> None:
    values = np.array([1.0, -2.0, 2.0, 0.5, -2.0, 3.0])  # keep 3: 3.0 and the first two 2s
    assert _largest(np.abs(values), 3).tolist() == [False, True, True, False, False, True]
    layer = compress_layer(LayerPlan("t", 6, 0.5, 2, 4), values)
    # kept at 1, 2, 5: relative indices 1, 0, 2 once each, a code of lengths 2, 2, 1
    assert (layer.nonzeros, layer.index_code_bits) == (3, 2 + 2 + 1)


def test_actual_weights_already_sparse_keep_their_zeros() -> None:
    values = np.zeros((4, 10))
    values[0, 0], values[3, 9] = 1.0, -1.0  # positions 0 and 39: gaps 1 and 39
    layer = compress_layer(LayerPlan("w", 40, None, 2, 3), values)
    assert layer.nonzeros == 2
    assert layer.padding == (39 - 1) // 8  # 4 padding entries bridge the gap of 39


# ---- the paper's tables ----------------------------------------------------------------------
def _paper(network: str) -> list[dict[str, str]]:
    lines = (line for line in DATA.read_text().splitlines() if not line.startswith("#"))
    return [row for row in csv.DictReader(lines) if row["network"] == network]


def _reproduce(network: str):
    rows = _paper(network)
    net = as_network(network)
    plans = plans_for(
        net,
        density={r["layer"]: float(r["kept_percent"]) / 100 for r in rows},
        weight_bits={r["layer"]: int(r["weight_bits_pq"]) for r in rows},
        index_bits={r["layer"]: int(r["index_bits_pq"]) for r in rows},
    )
    return rows, deep_compress(net, plans)


@pytest.mark.parametrize(("network", "kept"), [("alexnet", 11), ("vgg16", 7.5)])
def test_the_transcribed_rows_are_the_papers_layers(network: str, kept: float) -> None:
    """The rows name accelsim's layers of the paper's sizes (printed rounded to 1-2 digits:
    VGG-16's conv4_1, 1.18 M weights, is printed 1M), and their densities give the paper's
    total weights kept (AlexNet 11 %, VGG-16 7.5 %)."""
    rows = _paper(network)
    layers = {layer.name: layer.weight_elements for layer in as_network(network)}
    assert [r["layer"] for r in rows] == list(layers)
    for row in rows:
        assert layers[row["layer"]] == pytest.approx(1000 * float(row["weights_k"]), rel=0.2)
    total = sum(layers.values())
    kept_weights = sum(layers[r["layer"]] * float(r["kept_percent"]) / 100 for r in rows)
    assert 100 * kept_weights / total == pytest.approx(kept, rel=0.05)


def test_alexnet_table_4_within_10_percent() -> None:
    rows, report = _reproduce("alexnet")
    assert report.dense_bits / 8e6 == pytest.approx(240, rel=0.10)  # MB (measured 243.8)
    assert report.quantized_ratio == pytest.approx(27, rel=0.10)  # measured 25.5
    assert report.ratio == pytest.approx(35, rel=0.10)  # measured 33.0
    assert report.huffman_bits / 8e6 == pytest.approx(6.9, rel=0.10)  # MB (measured 7.39)
    for row, layer in zip(rows, report.layers, strict=True):
        rate = 100 * layer.quantized_bits / layer.dense_bits
        assert rate == pytest.approx(float(row["rate_pq_percent"]), rel=0.10), row["layer"]


def test_vgg16_table_5_before_huffman_within_10_percent() -> None:
    _, report = _reproduce("vgg16")
    assert report.dense_bits / 8e6 == pytest.approx(552, rel=0.10)  # MB (measured 553.4)
    assert report.quantized_ratio == pytest.approx(31, rel=0.10)  # measured 32.2


@pytest.mark.xfail(
    strict=True,
    reason="VGG-16 after Huffman coding: 43.9x (12.6 MB) against the paper's 49x (11.3 MB), "
    "10.5 % short: the stated model (Gaussian weights, uniform pruning) gives conv codebook "
    "indices 6.5-6.8 bits where the paper's trained weights took 4.2-6.8 (table 5)",
)
def test_vgg16_table_5_after_huffman_within_10_percent() -> None:
    _, report = _reproduce("vgg16")
    assert report.ratio == pytest.approx(49, rel=0.10)


def test_bad_plans_name_the_field() -> None:
    net = as_network("alexnet")
    with pytest.raises(ConfigError, match=r"layers.CONV1.density: expected a number in \(0, 1\]"):
        plans_for(net, density={"CONV1": 1.5})
    with pytest.raises(ConfigError, match=r"CONV1\.weight_bits: expected an integer from 1 to 16"):
        plans_for(net, weight_bits=0)
    with pytest.raises(ConfigError, match=r"density: expected layer names of alexnet"):
        plans_for(net, density={"CONV9": 0.5})
    with pytest.raises(ConfigError, match=r"w\.npz: CONV1: expected an array for layer CONV1"):
        deep_compress(net, plans_for(net, density=0.5), {"FC1": np.ones(3)}, source="w.npz")


def test_the_stated_distribution_matches_sampled_gaussian_weights() -> None:
    # The model without weights assumes Gaussian weights pruned by magnitude, so their positions
    # are uniformly random: sampled weights must give the same padding and relative-index code,
    # and nearly the same size (k-means moves the shared values off the model's even cells).
    weights = np.random.default_rng(5).normal(size=(256, 1024))
    plan = LayerPlan("fc", weights.size, 0.09, 5, 4)
    model, sampled = compress_layer(plan), compress_layer(plan, weights)
    assert model.nonzeros == sampled.nonzeros == round(0.09 * 256 * 1024)
    assert model.padding == pytest.approx(sampled.padding, rel=0.05)
    assert model.mean_index_code_bits == pytest.approx(sampled.mean_index_code_bits, rel=0.02)
    assert model.huffman_bits == pytest.approx(sampled.huffman_bits, rel=0.10)
