"""When a sliding window's outgoing elements are dead (accelsim.engine.window.last_use) against a
brute-force walk of every inner iteration of a step, and a hand-computed case."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.analysis.nest import PlacedLoop
from accelsim.arch import Axis
from accelsim.engine.window import last_use
from accelsim.mapping.model import Loop
from accelsim.types import Dim

AXIS_DIMS = (Dim.Q, Dim.S, Dim.C)


def placed(loops: list[tuple[Dim, int, bool]]) -> tuple[PlacedLoop, ...]:
    """Loops (dim, bound, spatial) outermost first, each with its stride: the product of the
    bounds of the same dim below it (as accelsim.analysis.nest.flatten computes it)."""
    found = []
    for position, (dim, bound, spatial) in enumerate(loops):
        stride = 1
        for other, other_bound, _ in loops[position + 1 :]:
            if other is dim:
                stride *= other_bound
        found.append(PlacedLoop(0, Loop(dim, bound, Axis.X if spatial else None), stride))
    return tuple(found)


def brute_force(forms, loops, moves) -> int:
    """Walk every iteration of the temporal loops (all lane choices of the spatial ones at each):
    the 1-based index of the last iteration using an element outside the moved tile."""
    temporal = [p for p in loops if not p.loop.spatial]
    spatial = [p for p in loops if p.loop.spatial]

    def coordinates(digits, lanes):
        return tuple(
            sum(
                coef * p.stride * d
                for p, d in zip(temporal + spatial, digits + lanes, strict=True)
                for dim, coef in form
                if dim is p.loop.dim
            )
            for form in forms
        )

    ranges = [range(p.loop.bound) for p in temporal]
    lane_ranges = [range(p.loop.bound) for p in spatial]
    used = [
        [coordinates(digits, lanes) for lanes in itertools.product(*lane_ranges)]
        for digits in itertools.product(*ranges)
    ]
    tile = {value for values in used for value in values}
    moved = {tuple(v + m for v, m in zip(value, moves, strict=True)) for value in tile}
    last = 0
    for index, values in enumerate(used):
        if any(value not in moved for value in values):
            last = index + 1
    return last


@st.composite
def windows(draw):
    stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    forms = (((Dim.Q, stride), (Dim.S, dilation)), ((Dim.C, 1),))
    count = draw(st.integers(1, 4))
    loops = [
        (draw(st.sampled_from(AXIS_DIMS)), draw(st.integers(2, 4)), draw(st.booleans()))
        for _ in range(count)
    ]
    # the window moves by whole steps of Q (a carry) or C (a new channel tile), or both
    moves = (draw(st.integers(-2, 3)) * stride, draw(st.integers(0, 2)))
    return forms, placed(loops), moves


@settings(max_examples=300, deadline=None)
@given(windows())
def test_last_use_equals_a_walk_of_every_iteration(case):
    forms, loops, moves = case
    temporal = tuple(p for p in loops if not p.loop.spatial)
    spatial = tuple(p for p in loops if p.loop.spatial)
    assert last_use(forms, temporal, spatial, moves) == brute_force(forms, loops, moves)


def test_a_stride_4_window_is_dead_after_its_first_four_columns():
    # AlexNet CONV1 on timeloop_eyeriss_like: the ifmap window w = 4 Q + S under S 11, M 8 (M
    # does not touch inputs); a Q-step moves it by 4, so columns S = 0..3 leave, last used at
    # S = 3, M = 7: iteration 3 * 8 + 7 (0-based) of 88.
    forms = (((Dim.Q, 4), (Dim.S, 1)),)
    loops = placed([(Dim.S, 11, False), (Dim.M, 8, False)])
    assert last_use(forms, loops, (), (4,)) == 3 * 8 + 7 + 1
    assert last_use(forms, loops, (), (0,)) == 0  # nothing moves, nothing leaves
    assert last_use(forms, loops, (), (11,)) == 11 * 8  # a jump past the window: all leave
