"""Largest-remainder rounding of exact shares to whole cents, ties to a residue."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import floor


def largest_remainder(total: int, shares: Sequence[Fraction]) -> tuple[list[int], int]:
    """Round `shares` (exact, summing to `total`) to integers; return (parts, residue).

    Each part starts at floor(share); the cents left over go one each to the parts with
    the largest fractional remainders. When the last cents would have to be split among
    parts with *equal* remainders, none of those parts gets one and those cents are the
    residue (so equal shares always round equally). Hence every part is within one unit
    of its exact share and sum(parts) + residue == total.
    """
    if sum(shares, Fraction(0)) != total:
        raise ValueError("shares must add up to the total exactly")
    if any(s < 0 for s in shares):
        raise ValueError("shares must not be negative")
    parts = [floor(s) for s in shares]
    rest = [s - p for s, p in zip(shares, parts, strict=True)]
    return parts, _round_up_by_remainder(parts, rest, total - sum(parts))


def largest_remainder_scaled(
    total: int, numerators: Sequence[int], denominator: int
) -> tuple[list[int], int]:
    """`largest_remainder` for shares given as `numerators / denominator` (integers, so a
    million shares round in about a second): the same parts and residue."""
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    if sum(numerators) != total * denominator:
        raise ValueError("shares must add up to the total exactly")
    if any(n < 0 for n in numerators):
        raise ValueError("shares must not be negative")
    parts = [n // denominator for n in numerators]
    rest = [n - p * denominator for n, p in zip(numerators, parts, strict=True)]
    return parts, _round_up_by_remainder(parts, rest, total - sum(parts))


def _round_up_by_remainder(
    parts: list[int], rest: Sequence[Fraction] | Sequence[int], left: int
) -> int:
    """Add one to `parts` (in place) in order of largest remainder `rest`, a whole group
    of equal remainders at a time while `left` covers the group; the residue left over."""
    order = sorted((i for i, r in enumerate(rest) if r), key=rest.__getitem__, reverse=True)
    start = 0
    while start < len(order) and left > 0:
        end = start
        while end < len(order) and rest[order[end]] == rest[order[start]]:
            end += 1
        if end - start > left:
            break
        for i in order[start:end]:
            parts[i] += 1
        left -= end - start
        start = end
    return left
