"""Mapping files: accelsim's YAML round trip, Timeloop's mapping YAML translated, the shipped
examples, and the Timeloop AlexNet CONV1 reference reproduced from Timeloop's own mapping file.

Reference: ../shared/reference/README.md, "Timeloop + Accelergy: an Eyeriss-like design, AlexNet
CONV1": every per-instance count exact, 798,600 cycles (compute bound, --fidelity ideal), energy
866.32 uJ within 0.1 % (the reference rounds its per-word energies to two decimals).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reference import TIMELOOP_TABLE, timeloop_conv1

from accelsim.api import evaluate
from accelsim.arch import Axis, load_arch
from accelsim.mapping.io import (
    builtin_mappings,
    dump_mapping,
    load_mapping,
    mapping_from_dict,
    timeloop_mapping_from_dict,
)
from accelsim.mapping.model import LevelMapping, Loop, Mapping
from accelsim.types import DataType, Dim
from accelsim.workload import load_workload

ARCH = load_arch("timeloop_eyeriss_like")
WGT, INP, OUT = DataType.WEIGHTS, DataType.INPUTS, DataType.OUTPUTS
DOC = Path(__file__).resolve().parents[1] / "docs" / "mapping_format.md"

# The problem of the reference in Timeloop's problem format (R, P widths; S, Q heights).
CONV1_PROBLEM = """\
problem:
  shape:
    name: CNN-Layer
    dimensions: [C, M, R, S, N, P, Q]
  instance: {C: 3, M: 96, R: 11, S: 11, N: 1, P: 55, Q: 55, Hstride: 4, Wstride: 4}
"""

# The reference mapping in accelsim's names (Timeloop Q -> P, P -> Q, S -> R, R -> S) and the
# reference table's counts per instance, both written out once in the golden tests.
REFERENCE_MAPPING = timeloop_conv1()[1]
REFERENCE_TABLE = TIMELOOP_TABLE


def write(tmp_path: Path, text: str, name: str = "mapping.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def conv1(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("problem") / "conv1.yaml"
    path.write_text(CONV1_PROBLEM)
    return load_workload(path)[0]


@pytest.fixture(scope="module")
def reference_result(conv1):
    mapping = load_mapping("timeloop_alexnet_conv1", ARCH, conv1)
    return evaluate(ARCH, conv1, mapping, fidelity="ideal")


# ---- the Timeloop reference from Timeloop's mapping file ---------------------------------------
def test_timeloop_file_translates_to_the_reference_mapping(conv1) -> None:
    assert load_mapping("timeloop_alexnet_conv1", ARCH, conv1) == REFERENCE_MAPPING


@pytest.mark.parametrize(
    ("level", "data_type", "instances", "reads", "fills", "updates"), REFERENCE_TABLE
)
def test_reference_counts_exact(
    reference_result, level, data_type, instances, reads, fills, updates
):
    [found] = [t for t in reference_result.traffic if (t.level, t.data_type) == (level, data_type)]
    assert found.instances == instances
    assert (found.reads, found.fills, found.updates) == (
        reads * instances,
        fills * instances,
        updates * instances,
    )


def test_reference_cycles_and_energy(reference_result) -> None:
    assert reference_result.macs == 96 * 3 * 55 * 55 * 11 * 11 == 105_415_200
    assert reference_result.cycles == 55 * 3 * 55 * 11 * 8 == 798_600  # compute bound
    assert reference_result.used_pes == 12 * 11
    assert reference_result.energy == pytest.approx(866.32e6, rel=1e-3)
    assert reference_result.energy_per_mac == pytest.approx(8.22, rel=1e-3)


def test_both_shipped_examples_are_the_same_mapping(conv1) -> None:
    assert builtin_mappings() == ["eyeriss_like_alexnet_conv1", "timeloop_alexnet_conv1"]
    for name in builtin_mappings():
        assert load_mapping(name, ARCH, conv1) == REFERENCE_MAPPING


# ---- accelsim's format -------------------------------------------------------------------------
def test_dump_reference_mapping() -> None:
    assert dump_mapping(REFERENCE_MAPPING) == (
        "mapping:\n"
        "  - level: DRAM\n"
        "    temporal: [[P, 55], [C, 3]]\n"
        "    keeps: [weights, inputs, outputs]\n"
        "  - level: shared_glb\n"
        "    temporal: [[Q, 55]]\n"
        "    spatial: [[M, 12, X]]\n"
        "    keeps: [inputs, outputs]\n"
        "  - level: DummyBuffer\n"
        "    spatial: [[R, 11, Y]]\n"
        "    keeps: []\n"
        "  - level: ifmap_spad\n"
        "    keeps: [inputs]\n"
        "  - level: weights_spad\n"
        "    temporal: [[S, 11]]\n"
        "    keeps: [weights]\n"
        "  - level: psum_spad\n"
        "    temporal: [[M, 8]]\n"
        "    keeps: [outputs]\n"
    )


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, dump_mapping(REFERENCE_MAPPING))
    assert load_mapping(path, ARCH) == REFERENCE_MAPPING


def test_unlisted_levels_get_no_loops_and_the_arch_keeps() -> None:
    mapping = mapping_from_dict({"mapping": [{"level": "psum_spad", "keeps": []}]}, ARCH)
    assert [level.level for level in mapping.levels] == [level.name for level in ARCH.levels]
    assert all(not level.loops for level in mapping.levels)
    assert [level.keeps for level in mapping.levels[:-1]] == [
        level.keeps for level in ARCH.levels[:-1]
    ]
    assert mapping.levels[-1].keeps == frozenset()  # keeps: [] bypasses everything


def _level_mappings(draw: st.DrawFn) -> Mapping:
    loop_lists = st.lists(st.tuples(st.sampled_from(list(Dim)), st.integers(1, 64)), max_size=3)
    levels = []
    for level in ARCH.levels:
        temporal = tuple(Loop(dim, bound) for dim, bound in draw(loop_lists))
        spatial: tuple[Loop, ...] = ()
        if not level.per_pe:
            axes = draw(st.lists(st.sampled_from(list(Axis)), max_size=2))
            spatial = tuple(
                Loop(dim, bound, axis)
                for (dim, bound), axis in zip(draw(loop_lists), axes, strict=False)
            )
        keeps = frozenset(d for d in sorted(level.keeps) if draw(st.booleans()))
        levels.append(LevelMapping(level.name, temporal, spatial, keeps))
    return Mapping(tuple(levels))


@settings(max_examples=60, deadline=None)
@given(st.composite(_level_mappings)())
def test_round_trip_is_exact(mapping: Mapping) -> None:
    assert mapping_from_dict(yaml.safe_load(dump_mapping(mapping)), ARCH) == mapping


def test_level_names_that_need_quotes_are_quoted() -> None:
    text = dump_mapping(Mapping((LevelMapping("global buffer: 1"),)))
    assert text.startswith('mapping:\n  - level: "global buffer: 1"\n')
    assert yaml.safe_load(text)["mapping"][0]["level"] == "global buffer: 1"


# ---- Timeloop's format -------------------------------------------------------------------------
def timeloop(*directives: str) -> dict:
    return yaml.safe_load("mapping:\n" + "".join(directives))


def test_permutation_is_innermost_first_and_names_are_translated() -> None:
    mapping = timeloop_mapping_from_dict(
        timeloop("  - {target: DRAM, type: temporal, factors: C=3 Q=5 R=2, permutation: CRQ}\n"),
        ARCH,
    )
    # C innermost, then R, then Q outermost; Timeloop R (width) -> S, Q (height) -> P
    assert mapping.levels[0].temporal == (Loop(Dim.P, 5), Loop(Dim.S, 2), Loop(Dim.C, 3))


def test_split_sends_the_first_dimensions_of_the_permutation_to_x() -> None:
    directive = "  - {target: shared_glb, type: spatial, factors: M=4 C=2 S=3, permutation: MCS"
    for split, axes in [(0, "YYY"), (1, "XYY"), (2, "XXY"), (3, "XXX")]:
        mapping = timeloop_mapping_from_dict(timeloop(f"{directive}, split: {split}}}\n"), ARCH)
        spatial = mapping.levels[1].spatial  # outermost first: S (-> R), C, M
        assert [loop.dim for loop in spatial] == [Dim.R, Dim.C, Dim.M]
        assert "".join(loop.axis.value for loop in reversed(spatial)) == axes
    default = timeloop_mapping_from_dict(timeloop(directive + "}\n"), ARCH)
    assert {loop.axis for loop in default.levels[1].spatial} == {Axis.X}  # no split: all X


def test_factors_forms_trivial_and_absent_dimensions() -> None:
    mapping = timeloop_mapping_from_dict(
        timeloop(
            "  - {target: DRAM, type: temporal, factors: 'C3 M = 2 N=1  # comment', "
            "permutation: MC}\n"
        ),
        ARCH,
    )
    assert mapping.levels[0].temporal == (Loop(Dim.C, 3), Loop(Dim.M, 2))  # N=1 dropped
    assert all(not level.loops for level in mapping.levels[1:])


def test_one_missing_dimension_goes_outside_the_permutation() -> None:
    mapping = timeloop_mapping_from_dict(
        timeloop("  - {target: DRAM, type: temporal, factors: C=3 P=7, permutation: C}\n"), ARCH
    )
    assert mapping.levels[0].temporal == (Loop(Dim.Q, 7), Loop(Dim.C, 3))


def test_bypass_and_keep_translate_to_keeps() -> None:
    mapping = timeloop_mapping_from_dict(
        timeloop(
            "  - {target: shared_glb, type: bypass, keep: [Outputs], bypass: [Inputs]}\n"
            "  - {target: psum_spad, type: datatype, bypass: [Outputs]}\n"
        ),
        ARCH,
    )
    assert mapping.levels[1].keeps == frozenset({OUT})
    assert mapping.levels[-1].keeps == frozenset()
    assert mapping.levels[3].keeps == frozenset({INP})  # no directive: what the arch allows


# ---- the format document ---------------------------------------------------------------------
def test_examples_in_the_format_doc_load(tmp_path: Path, conv1) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 2  # one per format; other snippets are not fenced as yaml
    for index, block in enumerate(blocks):
        path = write(tmp_path, block, f"doc{index}.yaml")
        assert load_mapping(path, ARCH, conv1) == REFERENCE_MAPPING
