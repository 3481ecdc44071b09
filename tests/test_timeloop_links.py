"""Timeloop's link transfers (issue #12 item 5c): hand calculations, the brute-force nest, and
Timeloop v3.0.3's own outputs on cases built for it (tests/data/timeloop/conv1d_links_*, see
SOURCE.md there). The counts of those cases are also checked field by field, with every other
reference case, in test_timeloop_reference.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle_loopnest import oracle_link_transfers
from test_analysis_oracle import INPUTS, cases, conv, level, t, x, y
from timeloop_stats import read_link_transfers, read_stats

from accelsim.analysis.links import link_transfers
from accelsim.cli import main
from accelsim.mapping.model import Loop, Mapping
from accelsim.timeloop import evaluate_case, load_case
from accelsim.types import Dim
from accelsim.workload.layer import Layer

DATA = Path(__file__).parent / "data" / "timeloop"
FILES = ("arch.yaml", "prob.yaml", "map.yaml", "ERT.yaml")


def run(name: str, **options):
    return evaluate_case(load_case([DATA / name / f for f in FILES]), **options)


def level_of(result, name: str):
    [found] = [item for item in result.levels if item.name == name]
    return found


def test_systolic_inputs_slide_from_neighbour_to_neighbour() -> None:
    # Inputs[p + r], K=2 outer and P=16 at the buffer, R=4 across the mesh's X: child r needs
    # input p + r, which its right neighbour r + 1 fetched the step before. Timeloop evaluates
    # (K, P) at (0,0) w1, (0,1) w15, (1,0) w1, (1,1) w15. At (0,1) and (1,1) children 0..2 take
    # input 1 + r from the right; at (1,0) the tile jumps back (fetched whole: input r), which
    # children 1..3 find at their left neighbour (its delta at (0,1) was input 1 + (r - 1)).
    result = run("conv1d_links_r_x")
    buffer = level_of(result, "GlobalBuffer")
    assert buffer.link_transfers == {"Inputs": 3 * 15 + 3 * 1 + 3 * 15}
    # without links the buffer sends 4 distinct inputs per step: 2 x 16 x 4; with them one per
    # step at (0,1) and (1,1), and one at (1,0)
    assert buffer.dataspaces["Inputs"]["reads"] == 2 * 16 * 4 - 93
    # every used register file reads 93 // 4 more (to send); its fills stay 32, as Timeloop
    # v3.0.3 prints them
    registers = level_of(result, "RegisterFile").dataspaces["Inputs"]
    assert registers == {"reads": 32 + 93 // 4, "fills": 32, "updates": 0}
    off = run("conv1d_links_r_x", use_link_transfers=False)
    assert level_of(off, "GlobalBuffer").dataspaces["Inputs"]["reads"] == 2 * 16 * 4
    assert level_of(off, "GlobalBuffer").link_transfers == {}


def test_two_rows_share_the_links_and_the_multicast() -> None:
    # R=4 on X, K=2 on Y: both rows need input p + r; 6 children take it from the right at each
    # of the 15 extrapolated P steps; the buffer sends input p + 3 once, to both rows.
    result = run("conv1d_links_rk_xy")
    buffer = level_of(result, "GlobalBuffer")
    assert buffer.link_transfers == {"Inputs": 6 * 15}
    assert buffer.dataspaces["Inputs"]["reads"] == 4 + 15 * 1
    assert level_of(result, "RegisterFile").dataspaces["Inputs"]["reads"] == 16 + 90 // 8


def test_links_that_spare_no_parent_read_are_not_used() -> None:
    # X = (R=2 outer, K=2 inner): children 0..3 need p, p, p + 1, p + 1. Child 1 finds its
    # input at child 2's previous step, but children 0 and 2..3 still need two distinct inputs
    # from the buffer: 2 accesses either way, so Timeloop keeps the multicast.
    with_links, without = (
        run("conv1d_links_kr_x_no_gain"),
        run("conv1d_links_kr_x_no_gain", use_link_transfers=False),
    )
    assert level_of(with_links, "GlobalBuffer").link_transfers == {}
    assert level_of(with_links, "GlobalBuffer").dataspaces["Inputs"]["reads"] == 16 * 2
    assert [level.dataspaces for level in with_links.levels] == [
        level.dataspaces for level in without.levels
    ]


def test_cli_switch_and_stats_json(tmp_path: Path, capsys) -> None:
    inputs = [str(DATA / "conv1d_links_r_x" / f) for f in FILES]
    for switch, reads, carried in (("yes", 128 - 93, 93), ("no", 128, 0)):
        out = tmp_path / switch
        assert main(["timeloop", *inputs, "--out", str(out), "--link-transfers", switch]) == 0
        stats = json.loads((out / "stats.json").read_text())
        [buffer] = [item for item in stats["levels"] if item["name"] == "GlobalBuffer"]
        assert buffer["dataspaces"]["Inputs"]["reads"] == reads
        assert buffer["dataspaces"]["Inputs"]["link_transfers"] == carried
        assert buffer["dataspaces"]["Weights"]["link_transfers"] == 0
        text = (out / "stats.txt").read_text()
        assert ("Link transfers below GlobalBuffer, Inputs: 93" in text) == (switch == "yes")
    capsys.readouterr()


# ---- Timeloop v3.0.3's own outputs --------------------------------------------------------------
LINK_CASES = [
    "conv1d_links_r_x",
    "conv1d_links_rk_xy",
    "conv1d_links_kr_x_no_gain",
    "conv1d_links_r_x_bypass",
    "conv2d_links_rs_xy",
    "conv1d_links_two_fanouts",
    "conv1d_links_two_buffers",
]


def test_two_parent_instances_share_out_the_peer_accesses_unevenly() -> None:
    # K = 2 over two buffers, each fanning R = 4 out to its own four register files: 45 = 3 x 15
    # links per buffer. Timeloop divides them by all 8 register files (not the 4 of a buffer)
    # and takes the buffer's share of the fills as (4 + 15) / 4 per child:
    # reads round(16 + 45/8) = 22, fills round(19/4 + 45/8) = round(16 - 45/4 + 45/8) = 10.
    result = run("conv1d_links_two_buffers")
    assert level_of(result, "GlobalBuffer").link_transfers == {"Inputs": 3 * 15}
    registers = level_of(result, "RegisterFile").dataspaces["Inputs"]
    assert (registers["reads"], registers["fills"]) == (round(16 + 45 / 8), round(19 / 4 + 45 / 8))
    assert (registers["reads"], registers["fills"]) == (22, 10)
    off = read_stats(DATA / "conv1d_links_two_buffers" / "disabled" / "timeloop-model.stats.txt")
    assert off.levels["RegisterFile"].counts["Inputs"]["fills"] == 16
    disabled = run("conv1d_links_two_buffers", use_link_transfers=False)
    for stored in disabled.levels:
        if stored.dataspaces:
            assert stored.dataspaces == off.levels[stored.name].counts, stored.name


def test_links_through_a_bypassing_level() -> None:
    # conv1d_links_r_x with the buffer bypassing inputs and P split 4 x 4 (main memory, buffer):
    # main memory is the inputs' parent. Steps (P1, K, P0), 3 children linking at each:
    # (0,0,1) w3 from the right; (0,1,0) w1 the tile jumps back (fetched whole) and finds it on
    # the left; (0,1,1) w3 from the right; at P1 = 1 (weight 3) the same, except that its first
    # step jumps by +3, fetched whole, and no neighbour had that input: no link there.
    inner = 3 * 3 + 3 * 1 + 3 * 3
    expected = inner + 3 * (0 + 3 * 3 + 3 * 1 + 3 * 3)
    result = run("conv1d_links_r_x_bypass")
    memory = level_of(result, "MainMemory")
    assert memory.link_transfers == {"Inputs": expected} == {"Inputs": 84}
    assert memory.dataspaces["Inputs"]["reads"] == 128 - 84
    assert level_of(result, "RegisterFile").dataspaces["Inputs"]["reads"] == 32 + 84 // 4


def test_no_links_through_a_fan_out_split_over_two_levels() -> None:
    # R = 4 on the buffer's X (to 4 storage-less DummyBuffers), K = 2 on the DummyBuffers' Y:
    # Timeloop counts no link transfers there and charges the buffer 4 x 16 reads; so does
    # accelsim (it computes links only for a fan-out within one level)
    result = run("conv1d_links_two_fanouts")
    buffer = level_of(result, "GlobalBuffer")
    assert buffer.link_transfers == {}
    assert buffer.dataspaces["Inputs"]["reads"] == 4 * 16


def test_links_on_a_mesh_wider_than_the_fan_out() -> None:
    # 2-D convolution, R = 3 on X and S = 2 on Y of a 4 x 2 mesh: Timeloop numbers the six
    # children s * 3 + r but places child i at column i mod 4, row i div 4 (the physical width),
    # so child (s=1, r=0) sits right of (0, 2) and the rows are not the mesh's rows.
    result = run("conv2d_links_rs_xy")
    assert level_of(result, "GlobalBuffer").link_transfers == {"Inputs": 132}


@pytest.mark.parametrize("name", LINK_CASES)
def test_link_transfers_as_timeloop_prints_them(name: str) -> None:
    # (every count, the cycles and the energy are compared in test_timeloop_reference.py)
    result = evaluate_case(load_case([DATA / name / f for f in FILES]))
    case = load_case([DATA / name / f for f in FILES])
    children = {
        item.parent: item.child for item in link_transfers(case.problem.layer, case.mapping)
    }
    ours = {
        (children[level.name], space): count
        for level in result.levels
        for space, count in level.link_transfers.items()
    }
    assert ours == read_link_transfers(DATA / name / "timeloop-model.stats.txt")


def test_switched_off_as_timeloop_with_links_disabled() -> None:
    # the same inputs run with TIMELOOP_DISABLE_LINK_TRANSFERS=1
    stats = read_stats(DATA / "conv1d_links_r_x" / "disabled" / "timeloop-model.stats.txt")
    assert (
        read_link_transfers(DATA / "conv1d_links_r_x" / "disabled" / "timeloop-model.stats.txt")
        == {}
    )
    result = run("conv1d_links_r_x", use_link_transfers=False)
    for stored in result.levels:
        if stored.dataspaces:
            assert stored.dataspaces == stats.levels[stored.name].counts, stored.name
    assert result.energy_pj == pytest.approx(stats.dynamic_energy_pj, rel=1e-3)
    assert stats.levels["GlobalBuffer"].counts["Inputs"]["reads"] == 2 * 16 * 4


# ---- the brute-force nest ---------------------------------------------------------------------
def assert_matches_oracle(layer: Layer, mapping: Mapping, mesh=None) -> None:
    found = {
        (item.parent, item.data_type): (item.transfers, item.saved)
        for item in link_transfers(layer, mapping, mesh)
    }
    instances = {}
    for item in link_transfers(layer, mapping, mesh):
        index = [lv.level for lv in mapping.levels].index(item.parent)
        above = [loop for lv in mapping.levels[:index] for loop in lv.spatial]
        count = 1
        for loop in above:
            count *= loop.bound
        instances[item.parent, item.data_type] = count
    scaled = {key: (a * instances[key], b * instances[key]) for key, (a, b) in found.items()}
    assert scaled == oracle_link_transfers(layer, mapping, mesh)


def test_hand_case_matches_oracle() -> None:
    layer = conv(m=2, p=16, r=4)
    mapping = Mapping(
        (level("DRAM"), level("buffer", [t(Dim.M, 2), t(Dim.P, 16)], [x(Dim.R, 4)]), level("rf"))
    )
    assert oracle_link_transfers(layer, mapping) == {("buffer", INPUTS): (93, 93)}
    assert_matches_oracle(layer, mapping)


@st.composite
def systolic_cases(draw: st.DrawFn):
    """1-D and 2-D convolutions with some dimensions spread over a mesh below the buffer and the
    others in random order at random levels: where inputs slide between neighbours."""
    sizes = {
        Dim.P: draw(st.integers(2, 6)),
        Dim.R: draw(st.integers(2, 4)),
        Dim.M: draw(st.integers(1, 2)),
        Dim.Q: draw(st.integers(1, 3)),
        Dim.S: draw(st.integers(1, 2)),
    }
    stride = draw(st.sampled_from([1, 2]))
    layer = conv(
        m=sizes[Dim.M],
        p=sizes[Dim.P],
        q=sizes[Dim.Q],
        r=sizes[Dim.R],
        s=sizes[Dim.S],
        stride=(stride, 1),
    )
    spread = draw(st.lists(st.sampled_from(sorted(sizes, key=str)), unique=True, max_size=3))
    systolic = draw(st.booleans())
    if systolic:  # half the time: the window across the mesh, the output dimension above it
        spread = [Dim.R, *(dim for dim in spread if dim not in (Dim.R, Dim.P))]
    spatial: list[Loop] = []
    extent = {"X": 1, "Y": 1}
    for dim in spread:
        axis = draw(st.sampled_from(["X", "Y"]))
        if sizes[dim] > 1 and extent[axis] * sizes[dim] <= 4:
            extent[axis] *= sizes[dim]
            spatial.append(x(dim, sizes[dim]) if axis == "X" else y(dim, sizes[dim]))
    taken = {loop.dim for loop in spatial}
    placed: dict[str, list[Loop]] = {"DRAM": [], "buffer": [], "rf": []}
    for dim, size in sizes.items():
        if dim not in taken and size > 1:
            above = ["DRAM", "buffer"] if systolic and dim is Dim.P else list(placed)
            placed[draw(st.sampled_from(above))].append(t(dim, size))
    for name in placed:
        placed[name] = draw(st.permutations(placed[name]))
    mapping = Mapping(
        (
            level("DRAM", placed["DRAM"]),
            level("buffer", placed["buffer"], spatial),
            level("rf", placed["rf"]),
        )
    )
    mesh = draw(st.sampled_from([None, {"buffer": (4, 4)}, {"buffer": (4, 1)}]))
    return layer, mapping, mesh


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systolic_cases())
def test_link_transfers_match_brute_force_nest(case) -> None:
    assert_matches_oracle(*case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_link_transfers_match_brute_force_nest_on_random_designs(case) -> None:
    layer, _, mapping = case
    assert_matches_oracle(layer, mapping)


def test_strategy_finds_link_transfers() -> None:
    # the property above is not vacuous: the hand case has them
    layer = conv(p=6, r=3)
    mapping = Mapping((level("DRAM"), level("buffer", [t(Dim.P, 6)], [y(Dim.R, 3)]), level("rf")))
    assert oracle_link_transfers(layer, mapping) == {("buffer", INPUTS): (2 * 5, 2 * 5)}
    assert_matches_oracle(layer, mapping)


@pytest.mark.parametrize("name", ["eyeriss_like", "simba_like", "simple_weight_stationary"])
def test_reference_designs_have_none(name: str) -> None:
    files = [DATA / name / f for f in FILES]
    result = evaluate_case(load_case(files))
    assert all(not level.link_transfers for level in result.levels)
