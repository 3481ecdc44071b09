"""Bad mapping files: each mistake is one ConfigError line naming the file, the field, the value
and what was expected; every problem of a file is listed at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelsim.analysis.counts import analyze
from accelsim.arch import load_arch
from accelsim.errors import ConfigError
from accelsim.mapping.io import load_mapping
from accelsim.workload import Layer, load_workload

ARCH = load_arch("timeloop_eyeriss_like")
LEVELS = "DRAM, shared_glb, DummyBuffer, ifmap_spad, weights_spad, psum_spad"
TIMELOOP_DIMS = "N, G, M, C, R, S, P, Q"
REFERENCE = (
    Path(__file__).resolve().parents[1]
    / "accelsim"
    / "builtin"
    / "mappings"
    / "timeloop_alexnet_conv1.yaml"
).read_text()


@pytest.fixture(scope="module")
def conv1() -> Layer:
    return load_workload("alexnet")["CONV1"]


def error_of(tmp_path: Path, text: str, layer: Layer | None = None) -> list[str]:
    """The lines of the ConfigError that loading ``text`` raises, with the file name as ``F``."""
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_mapping(path, ARCH, layer)
    return str(caught.value).replace(str(path), "F").splitlines()


def reference_with(old: str, new: str) -> str:
    assert old in REFERENCE
    return REFERENCE.replace(old, new)


# ---- against the layer and the architecture (both formats go through the same checks) --------
def test_factors_that_do_not_multiply_to_the_layer(tmp_path: Path, conv1: Layer) -> None:
    text = reference_with("C=3 M=1 R=1 S=1 N=1 P=1 Q=55", "C=3 M=1 R=1 S=1 N=1 P=1 Q=50")
    assert error_of(tmp_path, text, conv1) == [
        "F: factors of P: expected factors multiplying to 55 (the layer's P), got '50 = 50'"
    ]


def test_factors_that_overshoot_the_layer(tmp_path: Path, conv1: Layer) -> None:
    text = reference_with("C=3 M=1 R=1 S=1 N=1 P=1 Q=55", "C=6 M=1 R=1 S=1 N=1 P=1 Q=55")
    assert error_of(tmp_path, text, conv1) == [
        "F: factors of C: expected factors covering 3 with less than one extra step of "
        "padding, got 6"
    ]


def test_uneven_unrolling_is_refused(tmp_path: Path, conv1: Layer) -> None:
    # M = 96 as 13 PEs x 8 (104): 12 PEs take 8 each and the 13th idles. Counted only under
    # the union multicast rule; this (Timeloop) architecture uses the identical rule.
    text = reference_with("C=1 M=12 R=1 S=1 N=1 P=1 Q=1", "C=1 M=13 R=1 S=1 N=1 P=1 Q=1")
    assert error_of(tmp_path, text, conv1) == [
        "F: shared_glb.spatial for M in [0:13) (spatial-X): expected spatial factors of M "
        "dividing its size 96, or: the union multicast rule (identical is not modelled for "
        "uneven unrolling), got 13"
    ]


def test_temporal_factors_that_overshoot_are_counted_clipped(tmp_path: Path, conv1: Layer) -> None:
    # Timeloop's P (accelsim's Q) = 55 covered by 56 DRAM steps: the 56th never runs.
    text = reference_with("C=3 M=1 R=1 S=1 N=1 P=1 Q=55", "C=3 M=1 R=1 S=1 N=1 P=1 Q=56")
    (tmp_path / "clipped.yaml").write_text(text)
    (tmp_path / "exact.yaml").write_text(REFERENCE)
    clipped = analyze(conv1, ARCH, load_mapping(tmp_path / "clipped.yaml", ARCH, conv1))
    exact = analyze(conv1, ARCH, load_mapping(tmp_path / "exact.yaml", ARCH, conv1))
    assert clipped.padded_macs == clipped.temporal_steps * 12 * 11 == conv1.macs
    assert clipped.traffic == exact.traffic  # the same iterations run


def test_tile_overflowing_a_buffer_names_it_with_bits(tmp_path: Path, conv1: Layer) -> None:
    # R (Timeloop S, filter height) moved from the spatial fan-out into the weights scratchpad:
    # its weight tile becomes 8 M x 11 x 11 = 968 words, over 192; the inputs follow.
    text = reference_with("S=11 N=1", "S=1 N=1").replace("C=1 M=1 R=11 S=1", "C=1 M=1 R=11 S=11")
    assert error_of(tmp_path, text, conv1) == [
        "F: ifmap_spad: expected tiles that fit its 192 bits (12 words of 16 bits), "
        f"got '{11 * 11 * 16} bits needed (inputs {11 * 11 * 16})'",
        "F: weights_spad: expected tiles that fit its 3072 bits (192 words of 16 bits), "
        f"got '{11 * 11 * 8 * 16} bits needed (weights {11 * 11 * 8 * 16})'",
    ]


def test_spatial_loop_larger_than_the_array(tmp_path: Path, conv1: Layer) -> None:
    # P (Timeloop's width, accelsim's Q) 5 more ways over Y (split 1: only M goes to X): 5 x 11
    text = reference_with("M=12 R=1 S=1 N=1 P=1", "M=12 R=1 S=1 N=1 P=5").replace(
        "P=55 Q=1", "P=11 Q=1"
    )
    assert error_of(tmp_path, text, conv1) == [
        "F: spatial-Y: expected spatial loops along Y whose bounds multiply to at most 12, got 55"
    ]


def test_spatial_loop_larger_than_the_array_accelsim_format(tmp_path: Path) -> None:
    text = "mapping:\n  - {level: shared_glb, spatial: [[M, 16, X]]}\n"
    layer = load_workload("alexnet")["CONV1"]
    lines = error_of(tmp_path, text, layer)
    assert (
        "F: spatial-X: expected spatial loops along X whose bounds multiply to at most 14, "
        "got 16" in lines
    )


# ---- names and values (accelsim's format) ----------------------------------------------------
def test_unknown_level(tmp_path: Path) -> None:
    assert error_of(tmp_path, "mapping:\n  - {level: glb, temporal: [[P, 55]]}\n") == [
        f"F: mapping[0].level: expected a level of architecture timeloop_eyeriss_like "
        f"(one of {LEVELS}), got 'glb'"
    ]


def test_unknown_dim_bad_bound_bad_axis_bad_shape(tmp_path: Path) -> None:
    text = "mapping:\n  - {level: DRAM, temporal: [[H, 55], [C, 0], [M]], spatial: [[M, 2, Z]]}\n"
    assert error_of(tmp_path, text) == [
        "F: mapping[0].temporal[0] dimension: expected one of N, G, M, C, P, Q, R, S, got 'H'",
        "F: mapping[0].temporal[1] bound: expected a positive integer "
        "(1 to 1,099,511,627,776), got 0",
        "F: mapping[0].temporal[2]: expected a loop written [dimension, bound], got ['M']",
        "F: mapping[0].spatial[0] axis: expected X (along the array's columns), Y "
        "(along its rows) or L (the MAC unit's lanes), got 'Z'",
    ]


def test_keeps_not_allowed_unknown_data_type_and_order(tmp_path: Path) -> None:
    text = "mapping:\n  - {level: shared_glb, keeps: [weights, filters]}\n  - {level: DRAM}\n"
    assert error_of(tmp_path, text) == [
        "F: mapping[0].keeps: expected data types among weights, inputs, outputs, got 'filters'",
        "F: mapping[0].keeps: expected data types level shared_glb can hold (inputs, outputs), "
        "got ['weights']",
        "F: mapping[1].level: expected levels listed once each, in the architecture's order "
        "(outermost first), got 'DRAM'",
    ]


def test_unknown_key_and_spatial_inside_a_pe(tmp_path: Path) -> None:
    text = "mapping:\n  - {level: psum_spad, spatial: [[M, 2, X]], loops: []}\n"
    assert error_of(tmp_path, text) == [
        "F: mapping[0].loops: expected one of the keys level, temporal, spatial, keeps",
        "F: mapping[0].spatial: expected no spatial loops at psum_spad, a per-PE level",
    ]


def test_missing_or_empty_mapping_list(tmp_path: Path) -> None:
    assert error_of(tmp_path, "mappings: []\n") == [
        "F: mappings: expected one of the keys mapping, description",
        "F: mapping: expected a value (this field is required)",
    ]
    assert error_of(tmp_path, "mapping: []\n") == [
        "F: mapping: expected a non-empty list of levels, got []"
    ]


# ---- names and values (Timeloop's format) ----------------------------------------------------
def test_timeloop_unknown_target_and_type(tmp_path: Path) -> None:
    text = (
        "mapping:\n  - {target: glb, type: temporal, factors: C=3}\n"
        "  - {target: DRAM, type: temporl}\n"
    )
    assert error_of(tmp_path, text) == [
        f"F: mapping[0].target: expected a level of architecture timeloop_eyeriss_like "
        f"(one of {LEVELS}), got 'glb'",
        "F: mapping[1].type: expected temporal, spatial or bypass, got 'temporl'",
    ]


def test_timeloop_unknown_dim_zero_factor_repeats(tmp_path: Path) -> None:
    text = (
        "mapping:\n  - {target: DRAM, type: temporal, factors: C=3 H=2 M=0 C=1, permutation: CQX}\n"
    )
    assert error_of(tmp_path, text) == [
        f"F: mapping[0].factors: expected Timeloop dimensions among {TIMELOOP_DIMS}, got 'H'",
        "F: mapping[0].factors.M: expected a positive factor up to 1,099,511,627,776 "
        "(Timeloop's 0, the whole dimension, is not supported), got 0",
        "F: mapping[0].factors: expected each dimension once, got 'C'",
        f"F: mapping[0].permutation: expected each of {TIMELOOP_DIMS} at most once, innermost "
        "first, got 'CQX'",
    ]


def test_timeloop_imperfect_factor_and_ambiguous_permutation(tmp_path: Path) -> None:
    text = (
        "mapping:\n  - {target: DRAM, type: temporal, factors: 'C=3,2'}\n"
        "  - {target: shared_glb, type: temporal, factors: C=3 P=5 Q=2, permutation: C}\n"
    )
    assert error_of(tmp_path, text) == [
        f"F: mapping[0].factors: expected factors written like 'C=3 M=1' over {TIMELOOP_DIMS} "
        "(could not read ',2'), got 'C=3,2'",
        "F: mapping[1].permutation: expected every dimension with a factor above 1 listed "
        "(the order of missing ones is unknown), got 'C (missing PQ)'",
    ]


def test_timeloop_keep_not_allowed_and_unknown_dataspace(tmp_path: Path) -> None:
    text = "mapping:\n  - {target: shared_glb, type: bypass, keep: [Weights], bypass: [Psums]}\n"
    assert error_of(tmp_path, text) == [
        "F: mapping[0].bypass: expected a list of Timeloop dataspaces among Weights, Inputs, "
        "Outputs, got ['Psums']",
        "F: mapping[0].keep: expected data types level shared_glb can hold (inputs, outputs), "
        "got ['weights']",
    ]


def test_timeloop_bad_split_spatial_inside_a_pe_unknown_key(tmp_path: Path) -> None:
    text = (
        "mapping:\n  - {target: psum_spad, type: spatial, factors: M=2, split: -1}\n"
        "  - {target: DRAM, type: temporal, factors: C=2, split: 1, skew: 2}\n"
    )
    assert error_of(tmp_path, text) == [
        "F: mapping[0].split: expected a non-negative integer (dimensions before it go to X), "
        "got -1",
        "F: mapping[0].factors: expected no spatial loops at psum_spad, a per-PE level",
        "F: mapping[1].skew: expected one of the keys target, type, factors, permutation, "
        "split, keep, bypass",
        "F: mapping[1].split: expected split only on spatial directives, got 1",
    ]


# ---- files that are not there or not whole ---------------------------------------------------
def test_missing_file_lists_the_examples(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_mapping(tmp_path / "nope.yaml", ARCH)
    assert str(caught.value) == (
        f"{tmp_path / 'nope.yaml'}: expected an existing mapping file or a built-in mapping "
        "name (eyeriss_like_alexnet_conv1, timeloop_alexnet_conv1)"
    )


def test_truncated_inside_a_value(tmp_path: Path) -> None:
    text = REFERENCE[: REFERENCE.index("bypass: [Weights, Inputs]") + len("bypass: [Weig")]
    lines = error_of(tmp_path, text)
    assert len(lines) == 1
    assert lines[0].startswith("F: line ") and "expected valid YAML" in lines[0]


def test_truncated_between_directives(tmp_path: Path, conv1: Layer) -> None:
    # Cut before the DRAM directive: C and P (Timeloop's Q) are no longer covered.
    text = REFERENCE[: REFERENCE.index("  - target: DRAM")]
    assert error_of(tmp_path, text, conv1) == [
        "F: factors of C: expected factors multiplying to 3 (the layer's C), got '1 = 1'",
        "F: factors of P: expected factors multiplying to 55 (the layer's P), got '1 = 1'",
    ]


def test_truncated_to_nothing(tmp_path: Path) -> None:
    assert error_of(tmp_path, "") == ["F: expected a YAML mapping at the top level, got None"]
