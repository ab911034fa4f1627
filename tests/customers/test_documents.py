"""CPF and CNPJ check digits, as customer_create sees them (Hypothesis).

The oracle below is the Receita Federal's mod-11 rule written out independently of python-stdnum.
Mod 11 catches every change to a check digit, but not every change to a base digit: a remainder of
10 is written as 0, so a change that moves a remainder between 0 and 10 keeps both check digits
(e.g. CPF 390.533.447-05 and 490.533.447-05 are both valid). The properties say exactly that.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quita.core.errors import ValidationFailed
from quita.customers import services
from tests.billing.ledger import rolled_back

CPF_WEIGHTS = (list(range(10, 1, -1)), list(range(11, 1, -1)))
CNPJ_WEIGHTS = ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])


def _check_digit(digits: str, weights: list[int]) -> str:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "0" if remainder < 2 else str(11 - remainder)


def cpf_with_check_digits(base: str) -> str:
    first = _check_digit(base, CPF_WEIGHTS[0])
    return base + first + _check_digit(base + first, CPF_WEIGHTS[1])


def cnpj_with_check_digits(base: str) -> str:
    first = _check_digit(base, CNPJ_WEIGHTS[0])
    return base + first + _check_digit(base + first, CNPJ_WEIGHTS[1])


def oracle_valid(person_type: str, number: str) -> bool:
    """Check digits right, and not one digit repeated (111.111.111-11 has right check digits but is never issued)."""
    build = cpf_with_check_digits if person_type == "PF" else cnpj_with_check_digits
    return build(number[:-2]) == number and len(set(number)) > 1


def formatted(person_type: str, number: str) -> str:
    if person_type == "PF":
        return f"{number[:3]}.{number[3:6]}.{number[6:9]}-{number[9:]}"
    return f"{number[:2]}.{number[2:5]}.{number[5:8]}/{number[8:12]}-{number[12:]}"


cpf_bases = st.text(alphabet="0123456789", min_size=9, max_size=9)
cnpj_bases = st.text(alphabet="0123456789", min_size=12, max_size=12)
documents = st.one_of(
    cpf_bases.map(lambda base: ("PF", cpf_with_check_digits(base))),
    cnpj_bases.map(lambda base: ("PJ", cnpj_with_check_digits(base))),
).filter(lambda document: oracle_valid(*document))

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def create(entity, person_type: str, document: str):
    return services.customer_create(
        entity=entity, actor=None, person_type=person_type, document=document, name="Cliente"
    )


@pytest.mark.parametrize(
    ("person_type", "number"),
    [("PF", "39053344705"), ("PF", "11144477735"), ("PJ", "11222333000181"), ("PJ", "04252011000110")],
    ids=["cpf-a", "cpf-b", "cnpj-a", "cnpj-b"],
)
def test_the_oracle_agrees_with_known_documents(person_type, number):
    assert oracle_valid(person_type, number)


REPEATED = [("PF", d * 11) for d in "0123456789" if cpf_with_check_digits(d * 9) == d * 11] + [
    ("PJ", d * 14) for d in "0123456789" if cnpj_with_check_digits(d * 12) == d * 14
]


@pytest.mark.parametrize(("person_type", "number"), REPEATED, ids=[f"{t}-{n}" for t, n in REPEATED])
def test_one_repeated_digit_is_refused_though_its_check_digits_fit(entity, person_type, number):
    with pytest.raises(ValidationFailed) as error:
        create(entity, person_type, formatted(person_type, number))
    assert error.value.code == ("invalid_cpf" if person_type == "PF" else "invalid_cnpj")


def test_every_repeated_digit_cpf_has_fitting_check_digits():
    """Why the rule is needed: the check digits alone accept all ten of them."""
    assert [number for person_type, number in REPEATED if person_type == "PF"] == [d * 11 for d in "0123456789"]


@PROPERTY
@given(document=documents)
@example(document=("PF", "00000000191"))
def test_a_valid_document_is_accepted_formatted_or_not_and_stored_as_digits(entity, document):
    person_type, number = document
    with rolled_back():
        assert create(entity, person_type, formatted(person_type, number)).document == number
    with rolled_back():
        assert create(entity, person_type, number).document == number


@st.composite
def one_digit_changed(draw):
    person_type, number = draw(documents)
    position = draw(st.integers(min_value=0, max_value=len(number) - 1))
    digit = draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    return person_type, number, position, number[:position] + digit + number[position + 1 :]


@PROPERTY
@given(change=one_digit_changed())
@example(change=("PF", "39053344705", 0, "49053344705"))  # a base change mod 11 cannot see
@example(change=("PF", "00000000191", 10, "00000000190"))
def test_one_changed_digit_is_refused_unless_the_check_digits_still_fit(entity, change):
    person_type, original, position, changed = change
    check_digit_changed = position >= len(original) - 2
    expected_valid = oracle_valid(person_type, changed)
    if check_digit_changed:
        assert not expected_valid  # a change to a check digit is always caught
    with rolled_back():
        if expected_valid:
            assert create(entity, person_type, changed).document == changed
        else:
            with pytest.raises(ValidationFailed) as error:
                create(entity, person_type, formatted(person_type, changed))
            assert error.value.code == ("invalid_cpf" if person_type == "PF" else "invalid_cnpj")


@settings(deadline=None)
@given(base=cpf_bases)
def test_mod_11_catches_most_single_base_digit_changes(base):
    """At most one of the nine alternatives at each base position slips through (remainder 0 ↔ 10)."""
    number = cpf_with_check_digits(base)
    for position in range(9):
        slipping = [
            d
            for d in "0123456789"
            if d != number[position] and oracle_valid("PF", number[:position] + d + number[position + 1 :])
        ]
        assert len(slipping) <= 1
