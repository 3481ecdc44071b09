"""progression_sum, progression_size and the mapper's divisors against brute force."""

from __future__ import annotations

import itertools
from math import prod

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from accelsim.analysis.nest import _coordinate_terms
from accelsim.mapper import _largest_passing
from accelsim.progressions import (
    divisors,
    interval_length,
    normalized,
    prime_factors,
    progression_size,
    progression_sum,
)

STEPS = st.lists(st.tuples(st.integers(0, 7), st.integers(1, 6)), max_size=4)


def brute_force(steps) -> set[int]:
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


# Steps like a tile's: mixed-radix digits of loops (stride = product of the inner bounds),
# scaled by a stride or dilation, with the odd overlapping step.
MIXED = st.lists(st.tuples(st.integers(1, 4), st.integers(1, 5)), max_size=5)


@st.composite
def loop_steps(draw):
    digits = draw(MIXED)
    steps, place = [], 1
    for coefficient, bound in digits:
        steps.append((coefficient * place, bound))
        place *= bound if draw(st.booleans()) else draw(st.integers(1, 6))
    return draw(st.permutations(steps))


@given(st.one_of(STEPS, loop_steps()))
def test_the_closed_form_size_is_the_size_of_the_set(steps):
    expected = brute_force(steps)
    assert progression_size(tuple(steps)) == len(expected)
    assert brute_force(normalized(tuple(steps))) == expected
    length = interval_length(tuple(steps))
    assert (length is not None) == (expected == set(range(max(expected) + 1)))
    if length is not None:
        assert length == max(expected) + 1


def test_closed_form_hand_cases():
    # mixed-radix digits of one dimension split 10^6 x 10^6: one interval of 10^12
    assert normalized(((1, 10**6), (10**6, 10**6))) == ((1, 10**12),)
    assert progression_size(((1, 10**6), (10**6, 10**6))) == 10**12
    # 16 PEs each holding 10^9 elements, translates 10^10 apart: 16 x 10^9, no overlap
    assert progression_size(((1, 10**9), (10**10, 16))) == 16 * 10**9
    # stride 4 and dilation 6 (gcd 2): i*4 + j*6 for i < 10^9, j < 5 collide when (i, j) and
    # (i + 3, j - 2) both exist: 5 * 10^9 - (10^9 - 3) * (5 - 2)
    assert progression_size(((4, 10**9), (6, 5))) == 5 * 10**9 - (10**9 - 3) * 3


def old_terms(tile, offsets, delta) -> tuple[int, int]:
    """(a, b) of union_delta by sets: a = |T + O|, b = |((T + delta) minus T) + O|."""
    t, o = brute_force(tile), brute_force(offsets)
    moved = {x + delta for x in t} - t
    return len({x + y for x in t for y in o}), len({x + y for x in moved for y in o})


@given(st.one_of(STEPS, loop_steps()), STEPS, st.integers(-12, 12))
def test_coordinate_terms_equal_the_enumeration(tile, offsets, delta):
    tile, offsets = tuple(sorted(tile)), tuple(sorted(offsets))
    assert _coordinate_terms(tile, offsets, delta) == old_terms(tile, offsets, delta)


@given(st.integers(1, 5000))
def test_divisors_are_every_divisor_in_order(n):
    assert divisors(n) == tuple(d for d in range(1, n + 1) if n % d == 0)


@given(st.integers(1, 2**40))
def test_large_numbers_factor_exactly(n):
    factors = prime_factors(n)
    assert prod(p**e for p, e in factors.items()) == n
    for prime in factors:  # prime: no divisor up to its square root (checked for small ones)
        if prime < 10**6:
            assert all(prime % d for d in range(2, int(prime**0.5) + 1))
    found = divisors(n)
    assert len(found) == prod(e + 1 for e in factors.values())
    assert all(n % d == 0 for d in found) and list(found) == sorted(set(found))


def test_hard_factorizations():
    assert prime_factors(10**12) == {2: 12, 5: 12}
    assert prime_factors(999_983 * 1_000_003) == {999_983: 1, 1_000_003: 1}
    assert prime_factors(1_000_003**2) == {1_000_003: 2}
    assert prime_factors(999_999_999_989) == {999_999_999_989: 1}  # the largest prime < 10^12
    assert len(divisors(10**12)) == 13 * 13


@given(st.lists(st.integers(1, 100), min_size=0, max_size=12, unique=True), st.integers(0, 101))
def test_bisection_finds_the_largest_passing_value(values, threshold):
    ascending = sorted(values)
    passing = [v for v in ascending if v <= threshold]
    expected = passing[-1] if passing else None
    assert _largest_passing(ascending, lambda v: v <= threshold) == expected
