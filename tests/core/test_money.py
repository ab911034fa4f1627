"""Money: one rounding rule, strict parsing, and splits that always add up to the whole."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from quita.core.money import CENT, allocate, format_money, parse_money, prorate, round_money

# Amounts in centavos, as Decimals with two places: up to R$ 10 million, both signs.
cents = st.integers(min_value=-1_000_000_000, max_value=1_000_000_000)
money = cents.map(lambda c: Decimal(c) * CENT)
positive_money = st.integers(min_value=1, max_value=1_000_000_000).map(lambda c: Decimal(c) * CENT)
# Timing on a busy CI machine is not what these properties test: no per-example deadline.
NO_DEADLINE = settings(deadline=None)
weights = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=24).filter(any)


# --- round_money ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("2.675", "2.68"),  # exact in Decimal: a float would give 2.67
        ("0.004999", "0.00"),
        ("-0.005", "-0.01"),  # half away from zero, mirrored for credits
        ("95", "95.00"),
    ],
    ids=["half-cent-up", "odd-half-cent-up", "decimal-not-float", "below-half-down", "negative-mirrors", "integer"],
)
def test_round_money_rounds_half_up_to_centavos(value, expected):
    assert round_money(Decimal(value)) == Decimal(expected)
    assert round_money(Decimal(value)).as_tuple().exponent == -2


@pytest.mark.parametrize("value", [1.5, 1, "1.50"], ids=["float", "int", "str"])
def test_round_money_takes_only_decimals(value):
    with pytest.raises(TypeError):
        round_money(value)


# --- parse_money ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("95.00", "95.00"), ("95", "95.00"), (95, "95.00"), (Decimal("0.5"), "0.50"), ("-10.25", "-10.25")],
    ids=["string-two-places", "string-integer", "int", "decimal-one-place", "negative-string"],
)
def test_parse_money_reads_strings_ints_and_decimals(value, expected):
    parsed = parse_money(value)
    assert parsed == Decimal(expected)
    assert parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (95.0, "float"),
        (0.1, "float"),
        (True, "float"),
        ("1.005", "too_many_decimals"),
        (Decimal("0.001"), "too_many_decimals"),
        ("abc", "invalid"),
        ("", "invalid"),
        (None, "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
    ],
    ids=[
        "float-whole",
        "float-tenth",
        "bool",
        "three-decimals-string",
        "three-decimals-decimal",
        "text",
        "empty",
        "none",
        "nan",
        "infinity",
    ],
)
def test_parse_money_refuses(value, reason):
    with pytest.raises(ValueError, match=f"^{reason}$"):
        parse_money(value)


@NO_DEADLINE
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_parse_money_refuses_every_float(value):
    with pytest.raises(ValueError, match="^float$"):
        parse_money(value)


@NO_DEADLINE
@given(cents, st.integers(min_value=1, max_value=9))
def test_parse_money_refuses_a_third_decimal(whole_cents, thousandth):
    text = f"{Decimal(whole_cents) * CENT:.2f}{thousandth}"
    with pytest.raises(ValueError, match="^too_many_decimals$"):
        parse_money(text)


@NO_DEADLINE
@given(money)
def test_parse_money_round_trips_two_decimal_strings(amount):
    assert parse_money(f"{amount:.2f}") == amount
    assert parse_money(str(amount)) == amount


# --- allocate ---------------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(money, weights)
@example(Decimal("100.00"), [1, 1, 1])
@example(Decimal("0.01"), [1, 1, 1])
@example(Decimal("-100.00"), [1, 1, 1])
def test_allocate_parts_add_up_exactly_and_stay_within_a_centavo(total, weight_list):
    parts = allocate(total, weight_list)
    assert len(parts) == len(weight_list)
    assert sum(parts, Decimal("0.00")) == total
    weight_sum = sum(weight_list)
    for part, weight in zip(parts, weight_list, strict=True):
        assert part.as_tuple().exponent == -2
        exact_share = total * Decimal(weight) / Decimal(weight_sum)
        assert abs(part - exact_share) < CENT
        if weight == 0:
            assert part == 0


@NO_DEADLINE
@given(positive_money, weights)
def test_allocate_of_a_negative_total_mirrors_the_positive_split(total, weight_list):
    assert allocate(-total, weight_list) == [-part for part in allocate(total, weight_list)]


@pytest.mark.parametrize(
    ("total", "weight_list", "expected"),
    [
        ("100.00", [1, 1, 1], ["33.34", "33.33", "33.33"]),  # the left-over centavo goes to the earliest tie
        ("0.05", [1, 1, 1, 1, 1, 1], ["0.01", "0.01", "0.01", "0.01", "0.01", "0.00"]),
        ("10.00", [3, 0, 1], ["7.50", "0.00", "2.50"]),
        ("1.00", [2, 1], ["0.67", "0.33"]),  # largest remainder: 66.67 → 67, 33.33 → 33
    ],
    ids=["thirds", "fewer-centavos-than-parts", "zero-weight", "largest-remainder"],
)
def test_allocate_examples(total, weight_list, expected):
    assert allocate(Decimal(total), weight_list) == [Decimal(e) for e in expected]


@pytest.mark.parametrize("weight_list", [[], [0, 0], [1, -1]], ids=["no-weights", "all-zero", "negative-weight"])
def test_allocate_refuses_bad_weights(weight_list):
    with pytest.raises(ValueError):
        allocate(Decimal("10.00"), weight_list)


# --- prorate ----------------------------------------------------------------------------------------------------


@NO_DEADLINE
@given(money, st.integers(min_value=1, max_value=366))
def test_prorate_of_the_full_period_is_the_amount(amount, days):
    assert prorate(amount, days, days) == amount


@NO_DEADLINE
@given(positive_money, st.integers(min_value=1, max_value=366))
def test_prorate_of_no_days_is_zero(amount, days):
    assert prorate(amount, 0, days) == 0


@pytest.mark.parametrize(
    ("amount", "used", "period", "expected"),
    [("45.00", 15, 30, "22.50"), ("45.00", 10, 31, "14.52"), ("99.90", 1, 28, "3.57"), ("0.01", 1, 2, "0.01")],
    ids=["half-month", "ten-of-31", "one-of-28", "half-centavo-rounds-up"],
)
def test_prorate_examples(amount, used, period, expected):
    assert prorate(Decimal(amount), used, period) == Decimal(expected)


@pytest.mark.parametrize(("used", "period"), [(-1, 30), (31, 30), (1, 0)], ids=["negative", "past-end", "no-period"])
def test_prorate_refuses_days_outside_the_period(used, period):
    with pytest.raises(ValueError):
        prorate(Decimal("45.00"), used, period)


@st.composite
def period_split(draw):
    """A period of 1..366 days cut into consecutive sub-periods (their lengths in days)."""
    days = draw(st.integers(min_value=1, max_value=366))
    cuts = draw(st.lists(st.integers(min_value=1, max_value=max(days - 1, 1)), max_size=12, unique=True))
    edges = [0, *sorted(c for c in cuts if c < days), days]
    return days, [b - a for a, b in zip(edges, edges[1:], strict=False)]


@settings(max_examples=300, deadline=None)
@given(positive_money, period_split())
def test_prorated_sub_periods_add_up_within_rounding_and_allocate_makes_them_exact(amount, split):
    days, lengths = split
    assert sum(lengths) == days
    prorated = [prorate(amount, length, days) for length in lengths]
    # Each part is rounded on its own: the sum may drift by at most half a centavo per part.
    assert abs(sum(prorated) - amount) <= Decimal("0.005") * len(lengths)
    # Allocating by days instead gives the same parts to within a centavo, and adds up exactly.
    allocated = allocate(amount, lengths)
    assert sum(allocated) == amount
    for by_prorate, by_allocate in zip(prorated, allocated, strict=True):
        assert abs(by_prorate - by_allocate) <= CENT


# --- format_money -----------------------------------------------------------------------------------------------

# CLDR's BRL patterns (checked against ICU 78.2 / CLDR 48): pt-BR "¤\u00a0#,##0.00", English "¤#,##0.00",
# the minus sign before the symbol in both.
PORTUGUESE = re.compile(r"(-?)R\$\u00a0(\d{1,3}(?:\.\d{3})*),(\d{2})")
ENGLISH = re.compile(r"(-?)R\$(\d{1,3}(?:,\d{3})*)\.(\d{2})")
# Any Decimal within R$ 10 million either way, with 0 to 3 decimal places (the third one is rounded away).
display_amounts = st.one_of(
    [
        st.decimals(min_value=-10_000_000, max_value=10_000_000, places=places, allow_nan=False, allow_infinity=False)
        for places in range(4)
    ]
)


def _read_back(text: str, pattern: re.Pattern, group_separator: str) -> Decimal:
    match = pattern.fullmatch(text)
    assert match, f"{text!r} does not have the CLDR shape"
    sign, units, cents = match.groups()
    return Decimal(f"{sign}{units.replace(group_separator, '')}.{cents}")


@pytest.mark.parametrize(
    ("value", "pt", "en"),
    [
        (Decimal("1234.56"), "R$\u00a01.234,56", "R$1,234.56"),
        (Decimal("-1234.56"), "-R$\u00a01.234,56", "-R$1,234.56"),
        (Decimal("0"), "R$\u00a00,00", "R$0.00"),
        (Decimal("-0.004"), "R$\u00a00,00", "R$0.00"),  # rounds to zero: no sign
        (Decimal("999.995"), "R$\u00a01.000,00", "R$1,000.00"),  # half up, as round_money
        (Decimal("2.675"), "R$\u00a02,68", "R$2.68"),
        (Decimal("1234567.8"), "R$\u00a01.234.567,80", "R$1,234,567.80"),
        ("95", "R$\u00a095,00", "R$95.00"),
    ],
)
def test_format_money_examples(value, pt, en):
    assert format_money(value, language="pt-br") == pt
    assert format_money(value, language="en") == en


def test_format_money_follows_the_active_language_and_can_leave_out_the_symbol():
    from django.utils import translation

    with translation.override("pt-br"):
        assert format_money(Decimal("-1234.5")) == "-R$\u00a01.234,50"
        assert format_money(Decimal("-1234.5"), symbol=False) == "-1.234,50"
    with translation.override("en"):
        assert format_money(Decimal("-1234.5")) == "-R$1,234.50"
        assert format_money(Decimal("-1234.5"), symbol=False) == "-1,234.50"
    assert format_money(None) == "" and format_money("") == ""


@NO_DEADLINE
@given(amount=display_amounts)
@example(amount=Decimal("-0.005"))
@example(amount=Decimal("9999999.995"))
def test_format_money_reads_back_to_the_rounded_amount_in_both_languages(amount):
    pt = format_money(amount, language="pt-br")
    en = format_money(amount, language="en")
    expected = round_money(amount)
    assert _read_back(pt, PORTUGUESE, ".") == expected
    assert _read_back(en, ENGLISH, ",") == expected
    # The same sign and digits in both: only the separators and the space differ.
    assert re.sub(r"[^-\d]", "", pt) == re.sub(r"[^-\d]", "", en)
