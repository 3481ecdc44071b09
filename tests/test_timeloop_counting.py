"""Timeloop's multicast rule (network.multicast_rule: identical) against the brute-force nest.

Hand-written cases with the expected values as arithmetic, then Hypothesis over the random small
layers, architectures and mappings of test_analysis_oracle, every count compared with
:func:`oracle_loopnest.oracle_counts` under ``rule="identical"``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from oracle_loopnest import oracle_counts
from test_analysis_oracle import (
    ALL,
    INPUTS,
    OUTPUTS,
    WEIGHTS,
    cases,
    clipped_cases,
    conv,
    counts,
    level,
    level_dict,
    make_arch,
    t,
    x,
    y,
)

from accelsim.analysis.counts import analyze
from accelsim.arch import Arch, MulticastRule, arch_from_dict, load_arch
from accelsim.arch.model import TemporalReuse
from accelsim.errors import ConfigError
from accelsim.mapping.model import Mapping
from accelsim.types import Dim
from accelsim.workload.layer import Layer


def with_rule(arch: Arch, rule: MulticastRule) -> Arch:
    return replace(arch, network=replace(arch.network, multicast_rule=rule))


def assert_identical_rule_matches_oracle(
    layer: Layer, arch: Arch, mapping: Mapping, temporal: TemporalReuse = TemporalReuse.SLIDING
) -> None:
    arch = replace(with_rule(arch, MulticastRule.IDENTICAL), temporal_reuse=temporal)
    analysis = analyze(layer, arch, mapping)
    expected = oracle_counts(layer, mapping, rule="identical", temporal=temporal.value)
    got = {(item.level, item.data_type): item for item in analysis.traffic}
    assert set(got) == set(expected)
    for key, oracle in expected.items():
        item = got[key]
        model = (item.instances, item.tile_elements, item.reads, item.fills, item.updates)
        want = (oracle.instances, oracle.tile_elements, oracle.reads, oracle.fills, oracle.updates)
        assert model == want, f"{key}: model {model} != oracle {want}"


def three_level_arch() -> Arch:
    return make_arch(
        [
            level_dict("DRAM", "dram", ALL),
            level_dict("buffer", "sram", ALL),
            level_dict("rf", "regfile", ALL),
        ]
    )


def test_overlapping_windows_are_each_charged_in_full() -> None:
    # 1-D convolution, P = 4 outputs spread over 4 PEs, R = 3 taps in each PE's register file:
    # PE p needs inputs p .. p + 2. The union rule sends the 4 + 3 - 1 = 6 distinct inputs once;
    # Timeloop's rule charges each PE's 3-element window: 4 x 3.
    layer = conv(p=4, r=3)
    mapping = Mapping(
        (level("DRAM"), level("buffer", spatial=[x(Dim.P, 4)]), level("rf", [t(Dim.R, 3)]))
    )
    union = analyze(layer, three_level_arch(), mapping)
    timeloop = analyze(layer, with_rule(three_level_arch(), MulticastRule.IDENTICAL), mapping)
    assert union.at("buffer", INPUTS).reads == 4 + 3 - 1
    assert timeloop.at("buffer", INPUTS).reads == 4 * 3
    # Weights: every PE needs the same 3 taps, identical tiles, one read each under both rules.
    assert union.at("buffer", WEIGHTS).reads == timeloop.at("buffer", WEIGHTS).reads == 3
    assert counts(timeloop, "rf", INPUTS) == counts(union, "rf", INPUTS) == (4, 3, 12, 12, 0)
    assert_identical_rule_matches_oracle(layer, three_level_arch(), mapping)


def test_fan_outs_of_two_levels_multiply() -> None:
    # The Eyeriss-like pattern of VGG-16 CONV3_1 made small: the buffer fans Q = 3 out on X, a
    # storage-less level fans S = 2 out on Y, each PE holds one input (q + s). PEs (q=1, s=0)
    # and (q=0, s=1) hold the same element, but under different parents: Timeloop serves the
    # 3 distinct two-element windows of the first fan-out, then the 2 distinct elements of the
    # second, 3 x 2 per step; the union rule sends the 3 + 2 - 1 = 4 distinct elements.
    layer = conv(q=3, s=2, c=5)
    arch = make_arch(
        [
            level_dict("DRAM", "dram", ALL),
            level_dict("buffer", "sram", ALL),
            level_dict("dummy", "sram", frozenset()),
            level_dict("rf", "regfile", ALL),
        ]
    )
    mapping = Mapping(
        (
            level("DRAM", [t(Dim.C, 5)]),
            level("buffer", spatial=[x(Dim.Q, 3)]),
            level("dummy", spatial=[y(Dim.S, 2)], keeps=()),
            level("rf"),
        )
    )
    union = analyze(layer, arch, mapping)
    timeloop = analyze(layer, with_rule(arch, MulticastRule.IDENTICAL), mapping)
    assert union.at("buffer", INPUTS).reads == 5 * (3 + 2 - 1)
    assert timeloop.at("buffer", INPUTS).reads == 5 * 3 * 2
    assert_identical_rule_matches_oracle(layer, arch, mapping)


def test_spatial_reduction_under_timeloop_rule() -> None:
    # C over 4 PEs adds into one output: identical output tiles, one update per output and step;
    # the first arrival of each of the 3 outputs needs no read.
    layer = conv(c=4, p=3)
    mapping = Mapping(
        (level("DRAM", [t(Dim.P, 3)]), level("buffer", spatial=[y(Dim.C, 4)]), level("rf"))
    )
    analysis = analyze(layer, with_rule(three_level_arch(), MulticastRule.IDENTICAL), mapping)
    assert counts(analysis, "buffer", OUTPUTS) == (1, 1, 3 - 3, 3, 3)
    assert_identical_rule_matches_oracle(layer, three_level_arch(), mapping)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_identical_rule_matches_brute_force_nest(case) -> None:
    assert_identical_rule_matches_oracle(*case)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clipped_cases())
def test_identical_rule_clips_non_dividing_temporal_factors(case) -> None:
    assert_identical_rule_matches_oracle(*case)


def test_clipped_tiles_under_timeloop_temporal_reuse_are_refused() -> None:
    # Timeloop's extrapolated steps (indices 0 and 1 of each loop) are not modelled for clipped
    # tiles: one ConfigError naming the field, not a padded count.
    layer = conv(p=5, r=3)
    mapping = Mapping((level("DRAM", [t(Dim.P, 2)]), level("buffer", [t(Dim.P, 3), t(Dim.R, 3)])))
    arch = replace(
        with_rule(three_level_arch(), MulticastRule.IDENTICAL),
        temporal_reuse=TemporalReuse.TIMELOOP,
    )
    mapping = Mapping((*mapping.levels, level("rf")))
    with pytest.raises(
        ConfigError, match=r"temporal_reuse: expected sliding temporal reuse .*P = 5"
    ):
        analyze(layer, arch, mapping)


def test_timeloop_temporal_reuse_resets_when_the_translation_changes() -> None:
    # Timeloop v3 on the Eyeriss-like default problem fetched its global buffer's 9,831-element
    # input tile whole 16 times, overlaps ignored. Small: a 1-D convolution, P = 8 split into
    # two DRAM loops (2 outer x 4 inner), the buffer holding the R = 3 inputs of one output.
    # Timeloop evaluates each loop at index 0 (weight 1) and 1 (weight bound - 1): P = 0 (3
    # new), P = 1 (translation +1, remembered: 1 new, weight 3), P = 4 (translation +3 changed:
    # all 3 again, forgotten), P = 5 (+1 after the reset: 1 new, weight 3).
    layer = conv(p=8, r=3)
    arch = make_arch([level_dict("DRAM", "dram", ALL), level_dict("buffer", "sram", ALL)])
    mapping = Mapping((level("DRAM", [t(Dim.P, 2), t(Dim.P, 4)]), level("buffer", [t(Dim.R, 3)])))
    timeloop = replace(
        with_rule(arch, MulticastRule.IDENTICAL), temporal_reuse=TemporalReuse.TIMELOOP
    )
    assert analyze(layer, timeloop, mapping).at("buffer", INPUTS).fills == 3 + 3 * 1 + 3 + 3 * 1
    assert analyze(layer, arch, mapping).at("buffer", INPUTS).fills == 3 + 7 * 1  # sliding
    assert_identical_rule_matches_oracle(layer, arch, mapping, TemporalReuse.TIMELOOP)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_timeloop_temporal_rule_matches_brute_force_nest(case) -> None:
    assert_identical_rule_matches_oracle(*case, TemporalReuse.TIMELOOP)


def test_builtin_defaults_rest_on_rules_agreeing_there() -> None:
    # docs/timeloop.md: union stays the default of accelsim's own designs because, under the
    # mapper's mappings, the two rules count the same there (their dataflows never spread partly
    # overlapping windows over one fan-out). Checked here for the Eyeriss chip, row stationary,
    # every AlexNet layer.
    from accelsim.mapper import map_layer
    from accelsim.workload.loaders import load_workload

    arch = load_arch("eyeriss_chip").for_dataflow("rs")
    assert arch.network.multicast_rule is MulticastRule.UNION
    for layer in load_workload("alexnet"):
        layer = arch.apply_precision(layer)
        mapping = map_layer(layer, arch, "rs").mapping
        union = analyze(layer, arch, mapping).traffic
        identical = analyze(layer, with_rule(arch, MulticastRule.IDENTICAL), mapping).traffic
        assert union == identical, layer.name


def test_multicast_rule_is_read_from_the_arch_file_and_checked() -> None:
    assert load_arch("timeloop_eyeriss_like").network.multicast_rule is MulticastRule.IDENTICAL
    raw = {
        "name": "x",
        "pe_array": {"rows": 1, "cols": 1},
        "network": {"multicast_rule": "timeloop"},
        "levels": [level_dict("DRAM", "dram", ALL)],
    }
    with pytest.raises(ConfigError) as error:
        arch_from_dict(raw, source="x.yaml")
    assert str(error.value) == (
        "x.yaml: network.multicast_rule: expected one of identical, union, got 'timeloop'"
    )
