"""progression_sum and the mapper's divisors against brute force."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from accelsim.progressions import progression_sum

STEPS = st.lists(st.tuples(st.integers(0, 7), st.integers(1, 6)), max_size=4)


def brute_force(steps: list[tuple[int, int]]) -> set[int]:
    ranges = [range(count) for _, count in steps]
    return {
        sum(k * s for k, (s, _) in zip(ks, steps, strict=True)) for ks in itertools.product(*ranges)
    }


@given(STEPS)
def test_the_bitmap_is_the_set_of_sums(steps):
    bitmap = progression_sum(tuple(steps))
    assert set(np.flatnonzero(bitmap).tolist()) == brute_force(steps)
    assert bitmap[-1]  # no trailing zeros: the length is the largest sum plus one


def test_hand_cases():
    # a 3-tap window at stride 2 over 4 outputs: {0, 2, 4, 6} + {0, 1, 2} = 0..8
    assert progression_sum(((1, 3), (2, 4))).sum() == 9
    # dilation 3 with 2 taps, stride 1 with 2 outputs: {0, 3} + {0, 1} = {0, 1, 3, 4}
    assert np.flatnonzero(progression_sum(((1, 2), (3, 2)))).tolist() == [0, 1, 3, 4]
    # a run of ones grows in one step: 10^5 x 100 without a quadratic convolution
    assert progression_sum(((1, 10**5), (10**5, 100))).sum() == 10**5 * 100


@given(st.integers(1, 5000))
def test_divisors_are_every_divisor_in_order(n):
    from accelsim.mapper import divisors

    assert divisors(n) == tuple(d for d in range(1, n + 1) if n % d == 0)
