"""The arithmetic of loop factors: sets of sums of arithmetic progressions, the one piece that
tile sizes (:mod:`accelsim.mapping.validate`) and access counts (:mod:`accelsim.analysis.nest`)
share, and the divisors the mapper tries as factors (:func:`divisors`).

A set ``{sum_i k_i * step_i : 0 <= k_i < count_i}`` is given by its ``((step, count), ...)``.
:func:`progression_size` counts it in closed form: the loops of one dimension are the digits of a
mixed-radix number, so a tile's steps are an interval, translates that do not overlap, or an
interval grown by a step no longer than itself; two overlapping progressions (a strided,
dilated window) have a closed form too. Only what is left (three or more progressions that
overlap without forming an interval: dilation and stride together) is counted on a bitmap
(:func:`progression_sum`), whose length is the span of the set.
"""

from __future__ import annotations

from functools import lru_cache
from math import gcd, isqrt

import numpy as np

Steps = tuple[tuple[int, int], ...]


def normalized(steps: Steps) -> Steps:
    """The same set with the fewest, sorted steps: zero steps and single counts dropped, equal
    steps joined ((s, a), (s, b) -> (s, a + b - 1)) and mixed-radix digits joined
    ((s, a), (s * a, b) -> (s, a * b))."""
    merged: list[tuple[int, int]] = []
    for step, count in sorted((s, c) for s, c in steps if s != 0 and c > 1):
        if merged and merged[-1][0] == step:
            step, count = step, merged.pop()[1] + count - 1
        while merged and merged[-1][0] * merged[-1][1] == step:
            inner, inner_count = merged.pop()
            step, count = inner, inner_count * count
        merged.append((step, count))
    return tuple(merged)


def interval_length(steps: Steps) -> int | None:
    """``L`` when the set is the interval [0, L) (1 for the empty sum), else None."""
    _, length, interval = _shape(normalized(steps))
    return length if interval else None


@lru_cache(maxsize=65536)
def progression_size(steps: Steps) -> int:
    """|{sum_i k_i * step_i : 0 <= k_i < count_i}|, exact, in closed form where the structure
    allows (see the module docstring); time grows with the number of steps, not their counts."""
    return _shape(normalized(steps))[0]


def _shape(steps: Steps) -> tuple[int, int, bool]:
    """(size, length = largest element + 1, whether it is [0, length)) of normalized ``steps``."""
    size, length, interval = 1, 1, True
    for position, (step, count) in enumerate(steps):
        if step >= length:  # translates that do not overlap
            interval = interval and step == length
            size, length = size * count, length + (count - 1) * step
        elif interval:  # an interval grown by a step no longer than itself
            size = length = length + (count - 1) * step
        elif position == 1:  # two overlapping progressions
            first, first_count = steps[0]
            common = gcd(first, step)
            size = first_count * count - max(0, first_count - step // common) * max(
                0, count - first // common
            )
            length += (count - 1) * step
        else:
            bitmap = progression_sum(steps[: position + 1])
            size, length, interval = int(bitmap.sum()), len(bitmap), bool(bitmap.all())
    return size, length, interval


@lru_cache(maxsize=4096)
def progression_sum(steps: Steps) -> np.ndarray:
    """Bitmap of {sum_i k_i * step_i : 0 <= k_i < count_i} for ``steps`` = ((step, count), ...).

    Work grows with the bitmap's length times the logarithm of the counts (a run of ones grows
    in one step; any other set by doubling), never with the product of a length and a count.
    The length is the span of the set: use :func:`progression_size` to count a large one.
    """
    bitmap = np.ones(1, dtype=bool)
    for step, count in steps:
        if count <= 1 or step == 0:
            continue
        if step <= len(bitmap) and bitmap.all():  # a run of ones stays a run
            bitmap = np.ones(len(bitmap) + (count - 1) * step, dtype=bool)
        else:
            bitmap = _shifted_union(bitmap, step, count)
    bitmap.flags.writeable = False
    return bitmap


def _shifted_union(bitmap: np.ndarray, step: int, count: int) -> np.ndarray:
    """The union of ``bitmap`` shifted by 0, step, ..., (count - 1) * step."""
    covered = 1  # shifts 0 .. covered - 1 are in ``union``
    union = bitmap
    while 2 * covered <= count:
        union = _or_shifted(union, union, covered * step)
        covered *= 2
    if covered < count:  # [0, covered) and [count - covered, count) together cover [0, count)
        union = _or_shifted(union, union, (count - covered) * step)
    return union


def _or_shifted(base: np.ndarray, other: np.ndarray, shift: int) -> np.ndarray:
    """``base`` OR ``other`` shifted right by ``shift``."""
    result = np.zeros(max(len(base), shift + len(other)), dtype=bool)
    result[: len(base)] = base
    result[shift : shift + len(other)] |= other
    return result


@lru_cache(maxsize=4096)
def divisors(n: int) -> tuple[int, ...]:
    """The divisors of ``n`` in increasing order, built from its prime factorization (so the
    work grows with the number of divisors, not with ``n``)."""
    found = [1]
    for prime, power in prime_factors(n).items():
        found = [d * prime**k for d in found for k in range(power + 1)]
    return tuple(sorted(found))


def prime_factors(n: int) -> dict[int, int]:
    """{prime: exponent} of ``n`` >= 1: small primes by trial division, what is left by
    Pollard's rho (deterministic: fixed seeds) and a Miller-Rabin test exact below 3.3 * 10^24."""
    factors: dict[int, int] = {}
    for prime in _SMALL_PRIMES:
        while n % prime == 0:
            factors[prime] = factors.get(prime, 0) + 1
            n //= prime
    pending = [n] if n > 1 else []
    while pending:
        value = pending.pop()
        if _is_prime(value):
            factors[value] = factors.get(value, 0) + 1
        else:
            part = _rho(value)
            pending += [part, value // part]
    return dict(sorted(factors.items()))


_SMALL_PRIMES = tuple(p for p in range(2, 1000) if all(p % q for q in range(2, isqrt(p) + 1)))
_WITNESSES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)  # exact below 3.3 * 10^24


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    odd, twos = n - 1, 0
    while odd % 2 == 0:
        odd, twos = odd // 2, twos + 1
    for witness in _WITNESSES:
        if witness % n == 0:
            continue
        x = pow(witness, odd, n)
        if x in (1, n - 1):
            continue
        for _ in range(twos - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _rho(n: int) -> int:
    """A non-trivial factor of the composite, odd ``n`` (Pollard's rho, Floyd's cycles)."""
    for seed in range(1, n):
        x = y = 2
        factor = 1
        while factor == 1:
            x = (x * x + seed) % n
            y = (y * y + seed) % n
            y = (y * y + seed) % n
            factor = gcd(abs(x - y), n)
        if factor != n:
            return factor
    raise AssertionError(f"no factor found for {n}")  # unreachable for a composite n
