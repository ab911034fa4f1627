"""Check digits used by FEBRABAN and the banks: modulo 10 and modulo 11 in their common shapes."""

from __future__ import annotations

import re

_NOT_DIGITS = re.compile("[^0-9]+")


def only_digits(text: str) -> str:
    """The ASCII digits of `text`, everything else dropped (also "²" and other characters `str.isdigit` accepts but
    `int` and the check-digit arithmetic do not)."""
    text = str(text)
    if text.isascii() and text.isdigit():  # the common case (a file's number fields): nothing to drop
        return text
    return _NOT_DIGITS.sub("", text)


def mod10(number: str) -> int:
    """FEBRABAN modulo 10: weights 2,1,2,1… from the right, products' digits summed, 10 - remainder (0 for 10)."""
    total = 0
    weight = 2
    for ch in reversed(number):
        product = int(ch) * weight
        total += product // 10 + product % 10
        weight = 3 - weight
    return (10 - total % 10) % 10


def mod11_sum(number: str, *, base: int = 9, weights: tuple[int, ...] | None = None) -> int:
    """Sum of digits times weights 2..base (cycling) from the right, or the given weights from the left."""
    if weights is not None:
        return sum(int(ch) * weights[i % len(weights)] for i, ch in enumerate(number))
    total = 0
    weight = 2
    for ch in reversed(number):
        total += int(ch) * weight
        weight = 2 if weight == base else weight + 1
    return total


def mod11(number: str, *, base: int = 9, low: tuple[int, ...] = (0, 1), low_digit: int = 0) -> int:
    """11 - (weighted sum mod 11); remainders in `low` give `low_digit` (the usual bank rule)."""
    remainder = mod11_sum(number, base=base) % 11
    if remainder in low:
        return low_digit
    digit = 11 - remainder
    return low_digit if digit > 9 else digit
