"""The layouts: FEBRABAN CNAB 240 (one spec, a few fields moved per bank) and each bank's CNAB 400.

Positions are those of the bank manuals (1-based, inclusive). Each `Layout` holds the record specs of one bank
and one layout, for both directions (remessa and retorno), plus how the bank writes its nosso número.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quita.banking.cnab.fields import F, Field
from quita.banking.digits import only_digits

# ------------------------------------------------------------------------------------------------------------
# CNAB 240 (FEBRABAN 10.x). Detail records share positions 1-17.
# ------------------------------------------------------------------------------------------------------------

C240_HEADER = [
    F("bank", 1, 3, "N"),
    F("lot", 4, 7, "K", "0000"),
    F("record_type", 8, 8, "K", "0"),
    F("company_doc_type", 18, 18, "N", "2"),
    F("company_doc", 19, 32, "N"),
    F("agreement", 33, 52, "A"),
    F("agency", 53, 57, "N"),
    F("agency_digit", 58, 58, "A"),
    F("account", 59, 70, "N"),
    F("account_digit", 71, 71, "A"),
    F("company_name", 73, 102, "A"),
    F("bank_name", 103, 132, "A"),
    F("direction", 143, 143, "N"),
    F("file_date", 144, 151, "D8"),
    F("file_time", 152, 157, "N"),
    F("file_number", 158, 163, "N"),
    F("layout_version", 164, 166, "N", "089"),
]
C240_LOT_HEADER = [
    F("bank", 1, 3, "N"),
    F("lot", 4, 7, "N", "1"),
    F("record_type", 8, 8, "K", "1"),
    F("operation", 9, 9, "A"),
    F("service", 10, 11, "N", "01"),
    F("layout_version", 14, 16, "N", "045"),
    F("company_doc_type", 18, 18, "N", "2"),
    F("company_doc", 19, 33, "N"),
    F("agreement", 34, 53, "A"),
    F("company_name", 74, 103, "A"),
    F("file_number", 184, 191, "N"),
    F("file_date", 192, 199, "D8"),
]
_DETAIL = [
    F("bank", 1, 3, "N"),
    F("lot", 4, 7, "N", "1"),
    F("record_type", 8, 8, "K", "3"),
    F("sequence", 9, 13, "N"),
    F("segment", 14, 14, "A"),
    F("movement", 16, 17, "N"),
]
_ACCOUNT = [
    F("agency", 18, 22, "N"),
    F("agency_digit", 23, 23, "A"),
    F("account", 24, 35, "N"),
    F("account_digit", 36, 36, "A"),
]
C240_P_TAIL = [
    F("wallet_code", 58, 58, "N", "1"),
    F("registration", 59, 59, "N", "1"),
    F("document_type", 60, 60, "A", "1"),
    F("issuer", 61, 61, "N", "2"),
    F("distribution", 62, 62, "A", "2"),
    F("document_number", 63, 77, "A"),
    F("due_date", 78, 85, "D8"),
    F("amount", 86, 100, "V"),
    F("collecting_agency", 101, 105, "N"),
    F("kind", 107, 108, "N", "04"),
    F("acceptance", 109, 109, "A", "N"),
    F("issue_date", 110, 117, "D8"),
    F("interest_code", 118, 118, "N", "3"),
    F("interest_date", 119, 126, "D8"),
    F("interest", 127, 141, "V"),
    F("discount_code", 142, 142, "N", "0"),
    F("discount_date", 143, 150, "D8"),
    F("discount", 151, 165, "V"),
    F("iof", 166, 180, "V"),
    F("abatement", 181, 195, "V"),
    F("company_use", 196, 220, "A"),
    F("protest_code", 221, 221, "N", "3"),
    F("protest_days", 222, 223, "N"),
    F("writeoff_code", 224, 224, "N", "2"),
    F("writeoff_days", 225, 227, "A"),
    F("currency", 228, 229, "N", "09"),
]
C240_Q = [
    *_DETAIL,
    F("payer_doc_type", 18, 18, "N"),
    F("payer_doc", 19, 33, "N"),
    F("payer_name", 34, 73, "A"),
    F("payer_address", 74, 113, "A"),
    F("payer_district", 114, 128, "A"),
    F("payer_postcode", 129, 136, "N"),
    F("payer_city", 137, 151, "A"),
    F("payer_state", 152, 153, "A"),
]
C240_R = [
    *_DETAIL,
    F("fine_code", 66, 66, "N", "0"),
    F("fine_date", 67, 74, "D8"),
    F("fine", 75, 89, "V"),
]
C240_T_TAIL = [
    F("wallet_code", 58, 58, "N"),
    F("document_number", 59, 73, "A"),
    F("due_date", 74, 81, "D8"),
    F("amount", 82, 96, "V"),
    F("collecting_bank", 97, 99, "N"),
    F("collecting_agency", 100, 104, "N"),
    F("company_use", 106, 130, "A"),
    F("payer_doc_type", 133, 133, "N"),
    F("payer_doc", 134, 148, "N"),
    F("payer_name", 149, 188, "A"),
    F("fee", 199, 213, "V"),
    F("reasons", 214, 223, "A"),
]
C240_U = [
    *_DETAIL,
    F("interest", 18, 32, "V"),
    F("discount", 33, 47, "V"),
    F("abatement", 48, 62, "V"),
    F("iof", 63, 77, "V"),
    F("paid_amount", 78, 92, "V"),
    F("credit_amount", 93, 107, "V"),
    F("other_expenses", 108, 122, "V"),
    F("other_credits", 123, 137, "V"),
    F("occurrence_date", 138, 145, "D8"),
    F("credit_date", 146, 153, "D8"),
]
C240_LOT_TRAILER = [
    F("bank", 1, 3, "N"),
    F("lot", 4, 7, "N", "1"),
    F("record_type", 8, 8, "K", "5"),
    F("record_count", 18, 23, "N"),
    F("title_count", 24, 29, "N"),
    F("title_total", 30, 46, "V"),
]
C240_TRAILER = [
    F("bank", 1, 3, "N"),
    F("lot", 4, 7, "K", "9999"),
    F("record_type", 8, 8, "K", "9"),
    F("lot_count", 18, 23, "N"),
    F("record_count", 24, 29, "N"),
]

# ------------------------------------------------------------------------------------------------------------
# CNAB 400: header and trailer are nearly common; each bank has its own detail record.
# ------------------------------------------------------------------------------------------------------------

C400_HEADER = [
    F("record_type", 1, 1, "K", "0"),
    F("direction", 2, 2, "N"),
    F("direction_text", 3, 9, "A"),
    F("service", 10, 11, "N", "01"),
    F("service_text", 12, 26, "A", "COBRANCA"),
    F("company_code", 27, 46, "A"),
    F("company_name", 47, 76, "A"),
    F("bank", 77, 79, "N"),
    F("bank_name", 80, 94, "A"),
    F("file_date", 95, 100, "D6"),
    F("file_number", 109, 115, "N"),
    F("sequence", 395, 400, "N", "1"),
]
C400_TRAILER = [F("record_type", 1, 1, "K", "9"), F("sequence", 395, 400, "N")]

# Return detail shared by most banks (Bradesco's positions; Itaú, Santander, Caixa and Sicredi agree on most).
R400_COMMON = [
    F("record_type", 1, 1, "A"),
    F("company_doc_type", 2, 3, "N"),
    F("company_doc", 4, 17, "N"),
    F("company_use", 38, 62, "A"),
    F("occurrence", 109, 110, "N"),
    F("occurrence_date", 111, 116, "D6"),
    F("document_number", 117, 126, "A"),
    F("due_date", 147, 152, "D6"),
    F("amount", 153, 165, "V"),
    F("collecting_bank", 166, 168, "N"),
    F("fee", 176, 188, "V"),
    F("iof", 215, 227, "V"),
    F("abatement", 228, 240, "V"),
    F("discount", 241, 253, "V"),
    F("paid_amount", 254, 266, "V"),
    F("interest", 267, 279, "V"),
    F("credit_date", 296, 301, "D6"),
    F("sequence", 395, 400, "N"),
]
# Remittance detail shared by most banks.
M400_COMMON = [
    F("record_type", 1, 1, "K", "1"),
    F("occurrence", 109, 110, "N", "01"),
    F("document_number", 111, 120, "A"),
    F("due_date", 121, 126, "D6"),
    F("amount", 127, 139, "V"),
    F("bank", 140, 142, "N"),
    F("kind", 148, 149, "N", "01"),
    F("acceptance", 150, 150, "A", "N"),
    F("issue_date", 151, 156, "D6"),
    F("interest", 161, 173, "V"),
    F("discount_date", 174, 179, "D6"),
    F("discount", 180, 192, "V"),
    F("iof", 193, 205, "V"),
    F("abatement", 206, 218, "V"),
    F("payer_doc_type", 219, 220, "N"),
    F("payer_doc", 221, 234, "N"),
    F("payer_name", 235, 274, "A"),
    F("payer_address", 275, 314, "A"),
    F("payer_postcode", 327, 334, "N"),
    F("sequence", 395, 400, "N"),
]


def _replace(base: list[Field], *fields: Field) -> list[Field]:
    """`base` with the given fields added, dropping base fields they overlap."""
    out = [f for f in base if not any(f.start <= g.end and g.start <= f.end for g in fields)]
    return sorted([*out, *fields], key=lambda f: f.start)


@dataclass(frozen=True)
class Layout:
    """One bank's layout (240, 400 or 444): record specs for both directions and its nosso número convention.

    `width` is the width of a title (detail) line: 444 for Itaú's CNAB 444, whose header and trailer keep 400.
    `variant` names a bank's second layout of the same width (Sicoob's "correspondente BB" CNAB 240), whose
    `envelope` is "lot": the file is one lot, opened by its lot header and closed by its lot trailer, without
    the file header and trailer of FEBRABAN's "file" envelope.
    """

    bank: str
    width: int
    records: dict = field(default_factory=dict)
    variant: str = ""
    envelope: str = "file"
    # How the nosso número appears in the files: (boleto) -> text, and (text) -> our sequence number.
    our_number_out: object = None
    our_number_in: object = None
    # Occurrence codes of the return file, by meaning (codes not listed are "other").
    liquidation_codes: tuple = ("06", "07", "08", "15", "17")
    entry_codes: tuple = ("02",)
    rejection_codes: tuple = ("03", "24", "26", "30")
    writeoff_codes: tuple = ("09", "10")
    title_types: tuple = ("1",)
    # The remittance movement that changes a registered title's nominal value to the amount in the record
    # ("alteração do valor nominal"); "" where Quita knows none for the bank and layout: the boleto is then
    # cancelled and a new one issued for the balance (docs/decisions/0045).
    amount_change_code: str = ""


def _digits_int(text: str, start: int = 0, end: int | None = None) -> int | None:
    digits = only_digits(text)[start:end]
    return int(digits) if digits else None


def c240(bank: str, *, p_account=None, t_account=None, our_out=None, our_in=None, **codes) -> Layout:
    """The FEBRABAN 240 layout with a bank's own account/nosso número positions."""
    p_account = p_account or [*_ACCOUNT, F("our_number", 38, 57, "A")]
    t_account = t_account or [*_ACCOUNT, F("our_number", 38, 57, "A")]
    return Layout(
        bank=bank,
        width=240,
        records={
            "header": C240_HEADER,
            "lot_header": C240_LOT_HEADER,
            "P": _replace([*_DETAIL, *C240_P_TAIL], *p_account),
            "Q": C240_Q,
            "R": C240_R,
            "T": _replace([*_DETAIL, *C240_T_TAIL], *t_account),
            "U": C240_U,
            "lot_trailer": C240_LOT_TRAILER,
            "trailer": C240_TRAILER,
        },
        our_number_out=our_out,
        our_number_in=our_in,
        **codes,
    )


def c400(bank: str, *, remittance: list[Field], ret: list[Field], our_out, our_in, **codes) -> Layout:
    return Layout(
        bank=bank,
        width=400,
        records={
            "header": C400_HEADER,
            "remittance": _replace(M400_COMMON, *remittance),
            "return": _replace(R400_COMMON, *ret),
            "trailer": C400_TRAILER,
        },
        our_number_out=our_out,
        our_number_in=our_in,
        **codes,
    )


# --- nosso número conventions --------------------------------------------------------------------------------


def _display_digits(boleto) -> str:
    return only_digits(boleto.our_number_display)


LAYOUTS: dict[tuple[str, int], Layout] = {
    # Banco do Brasil: 17 digits (convênio of 7 + sequence of 10) in both layouts; CNAB 400 is the CBR641/643
    # record of type 7.
    # CNAB 240: FEBRABAN's movement 47 "alteração do valor nominal do título" where the bank lists it (BB, Caixa).
    ("001", 240): c240(
        "001", our_out=lambda b: _display_digits(b), our_in=lambda t: _digits_int(t, -10), amount_change_code="47"
    ),
    ("001", 400): c400(
        "001",
        remittance=[
            F("record_type", 1, 1, "K", "7"),
            F("company_doc_type", 2, 3, "N", "02"),
            F("company_doc", 4, 17, "N"),
            F("agency", 18, 21, "N"),
            F("agency_digit", 22, 22, "A"),
            F("account", 23, 30, "N"),
            F("account_digit", 31, 31, "A"),
            F("agreement", 32, 38, "N"),
            F("company_use", 39, 63, "A"),
            F("our_number", 64, 80, "N"),
            F("variation", 92, 94, "N"),
            F("wallet_code", 107, 108, "N"),
            F("occurrence", 109, 110, "N", "01"),
            F("payer_name", 235, 271, "A"),
        ],
        ret=[
            F("record_type", 1, 1, "A"),
            F("agency", 18, 21, "N"),
            F("account", 23, 30, "N"),
            F("agreement", 32, 38, "N"),
            F("company_use", 39, 63, "A"),
            F("our_number", 64, 80, "A"),
            F("wallet_code", 107, 108, "N"),
            F("credit_date", 176, 181, "D6"),
            F("fee", 182, 188, "V"),
            F("reasons", 87, 88, "A"),
        ],
        our_out=lambda b: _display_digits(b),
        our_in=lambda t: _digits_int(t, -10),
        title_types=("1", "7"),
        liquidation_codes=("05", "06", "07", "08", "15", "17"),
    ),
    # Santander: nosso número of 12 digits + DV (13) in CNAB 240; 7 + DV (8) in CNAB 400.
    ("033", 240): c240(
        "033",
        p_account=[
            F("agency", 18, 21, "N"),
            F("agency_digit", 22, 22, "A"),
            F("account", 23, 31, "N"),
            F("account_digit", 32, 32, "A"),
            F("collection_account", 33, 41, "N"),
            F("collection_account_digit", 42, 42, "A"),
            F("our_number", 45, 57, "N"),
        ],
        t_account=[
            F("agency", 18, 21, "N"),
            F("agency_digit", 22, 22, "A"),
            F("account", 23, 31, "N"),
            F("account_digit", 32, 32, "A"),
            F("our_number", 41, 53, "A"),
            F("wallet_code", 54, 54, "N"),
            F("document_number", 55, 69, "A"),
            F("due_date", 70, 77, "D8"),
            F("amount", 78, 92, "V"),
            F("collecting_bank", 93, 95, "N"),
            F("collecting_agency", 96, 99, "N"),
            F("company_use", 101, 125, "A"),
            F("payer_doc_type", 128, 128, "N"),
            F("payer_doc", 129, 143, "N"),
            F("payer_name", 144, 183, "A"),
            F("fee", 194, 208, "V"),
            F("reasons", 209, 218, "A"),
        ],
        our_out=lambda b: _display_digits(b),
        our_in=lambda t: _digits_int(t, 0, -1),
    ),
    ("033", 400): c400(
        "033",
        remittance=[
            F("company_doc_type", 2, 3, "N", "02"),
            F("company_doc", 4, 17, "N"),
            F("agency", 18, 21, "N"),
            F("account", 22, 29, "N"),
            F("collection_account", 30, 37, "N"),
            F("company_use", 38, 62, "A"),
            F("our_number", 63, 70, "N"),
            F("wallet_code", 108, 108, "N"),
        ],
        ret=[
            F("agency", 18, 21, "N"),
            F("account", 22, 29, "N"),
            F("our_number", 63, 70, "A"),
            F("wallet_code", 108, 108, "A"),
            F("reasons", 137, 145, "A"),
        ],
        our_out=lambda b: _display_digits(b)[-8:],
        our_in=lambda t: _digits_int(t, 0, -1),
    ),
    # Caixa (SIGCB): modality 14 + 15 digits.
    ("104", 240): c240(
        "104",
        p_account=[
            F("agency", 18, 22, "N"),
            F("agency_digit", 23, 23, "A"),
            F("beneficiary", 24, 29, "N"),
            F("caixa_use", 30, 40, "N"),
            F("our_number", 41, 57, "N"),
        ],
        t_account=[
            F("agency", 18, 22, "N"),
            F("agency_digit", 23, 23, "A"),
            F("beneficiary", 24, 29, "N"),
            F("our_number", 40, 56, "A"),
            F("our_number_digit", 57, 57, "A"),
        ],
        our_out=lambda b: _display_digits(b)[:17],
        our_in=lambda t: _digits_int(t, 2, 17),
        amount_change_code="47",
    ),
    ("104", 400): c400(
        "104",
        remittance=[F("our_number", 57, 73, "N")],
        ret=[F("our_number", 57, 73, "A"), F("reasons", 80, 82, "A"), F("credit_date", 294, 299, "D6")],
        our_out=lambda b: _display_digits(b)[:17],
        our_in=lambda t: _digits_int(t, 2, 17),
    ),
    # Bradesco: 11 digits + DV (P/0-9).
    ("237", 400): c400(
        "237",
        remittance=[
            F("company_id", 21, 37, "A"),
            F("company_use", 38, 62, "A"),
            F("fine_code", 66, 66, "N", "0"),
            F("fine_percent", 67, 70, "V"),
            F("our_number", 71, 82, "A"),
            F("issue_condition", 93, 93, "N", "2"),
            F("payer_name", 235, 274, "A"),
        ],
        ret=[
            F("company_id", 21, 37, "A"),
            F("our_number", 71, 82, "A"),
            F("wallet_code", 108, 108, "N"),
            F("reasons", 319, 328, "A"),
        ],
        our_out=lambda b: only_digits(b.our_number_display.split("/")[-1][:-1]).zfill(11) + b.our_number_display[-1],
        our_in=lambda t: _digits_int(t[:11]),
        # Bradesco 400: occurrence 31 "alteração de outros dados" with the new value in positions 127-139.
        amount_change_code="31",
    ),
    # Itaú: 8 digits.
    ("341", 400): c400(
        "341",
        remittance=[
            F("company_doc_type", 2, 3, "N", "02"),
            F("company_doc", 4, 17, "N"),
            F("agency", 18, 21, "N"),
            F("account", 24, 28, "N"),
            F("account_digit", 29, 29, "N"),
            F("company_use", 38, 62, "A"),
            F("our_number", 63, 70, "N"),
            F("wallet_number", 84, 86, "N"),
            F("wallet_kind", 108, 108, "K", "I"),
            F("payer_name", 235, 264, "A"),
        ],
        ret=[
            F("agency", 18, 21, "N"),
            F("account", 24, 28, "N"),
            F("our_number", 63, 70, "A"),
            F("wallet_number", 83, 85, "N"),
            F("reasons", 378, 385, "A"),
        ],
        our_out=lambda b: f"{b.our_number:08d}",
        our_in=lambda t: _digits_int(t),
    ),
    # Sicredi: yy + byte + 5-digit sequence + DV, left-aligned.
    ("748", 240): c240("748", our_out=lambda b: _display_digits(b), our_in=lambda t: _digits_int(t, 3, 8)),
    ("748", 400): c400(
        "748",
        remittance=[F("our_number", 48, 62, "A")],
        ret=[F("our_number", 48, 62, "A"), F("reasons", 319, 328, "A"), F("credit_date", 329, 336, "A")],
        our_out=lambda b: _display_digits(b),
        our_in=lambda t: _digits_int(t, 3, 8),
    ),
    # Sicoob: 7 digits + DV in a field of 10, then parcel, modality and form.
    ("756", 240): c240(
        "756",
        p_account=[
            *_ACCOUNT,
            F("our_number", 38, 47, "N"),
            F("parcel", 48, 49, "N", "01"),
            F("modality", 50, 51, "N", "01"),
            F("form", 52, 52, "N", "4"),
        ],
        our_out=lambda b: _display_digits(b),
        our_in=lambda t: _digits_int(t[:10], 0, -1),
    ),
    ("756", 400): c400(
        "756",
        remittance=[
            F("agency", 18, 21, "N"),
            F("account", 23, 30, "N"),
            F("company_use", 38, 62, "A"),
            F("our_number", 63, 74, "N"),
        ],
        ret=[F("our_number", 63, 74, "A")],
        our_out=lambda b: _display_digits(b),
        our_in=lambda t: _digits_int(t, 0, -1),
    ),
}


# --- Itaú CNAB 444 ---------------------------------------------------------------------------------------------
# The CNAB 400 remittance with the NF-e access key (44 characters) after position 400: header and trailer stay
# 400 wide. Positions from Itaú's CNAB 400 manual plus the key, as brcobranca's `Cnab444::Itau` writes them and
# its sample `remessa-itau-cnab444.rem` shows (no public Itaú manual of the 444 layout was found).
_ITAU_400 = LAYOUTS[("341", 400)]
LAYOUTS[("341", 444)] = Layout(
    bank="341",
    width=444,
    records={
        **_ITAU_400.records,
        "remittance": [*_ITAU_400.records["remittance"], F("invoice_key", 401, 444, "A")],
        "return": _ITAU_400.records["return"],
    },
    our_number_out=_ITAU_400.our_number_out,
    our_number_in=_ITAU_400.our_number_in,
)

# --- Sicoob "correspondente Banco do Brasil" CNAB 240 -----------------------------------------------------------
# Sicoob wallets collected through Banco do Brasil as correspondent: one lot per file, no file header or trailer.
# The first line is the lot header (bank 756, lot 0000, record 1, operation R); details carry zeros instead of
# bank and lot; the lot trailer gives the title count and total. Nosso número: the 10-digit agreement followed
# by the 7-digit sequence. Positions as brcobranca's `Cnab240::SicoobBancoBrasil` writes them and its sample
# shows (no public Sicoob manual of this variant was found).
_CORRESPONDENT_DETAIL = [
    F("zeros", 1, 7, "K", "0000000"),
    F("record_type", 8, 8, "K", "3"),
    F("sequence", 9, 13, "N"),
    F("segment", 14, 14, "A"),
    F("movement", 16, 17, "N"),
]
SICOOB_CORRESPONDENT = Layout(
    bank="756",
    width=240,
    variant="correspondente_bb",
    envelope="lot",
    records={
        "header": [
            F("bank", 1, 3, "N"),
            F("lot", 4, 7, "K", "0000"),
            F("record_type", 8, 8, "K", "1"),
            F("operation", 9, 9, "A", "R"),
            F("zeros", 10, 16, "K", "0000000"),
            F("agency", 19, 22, "N"),
            F("collection_code", 23, 29, "N"),
            F("account", 30, 39, "N"),
            F("account_digit", 40, 40, "A"),
            F("company_name", 71, 100, "A"),
            F("file_number", 181, 188, "N"),
            F("file_date", 189, 196, "D8"),
            F("complement", 197, 207, "K", "00000000000"),
        ],
        "P": [
            *_CORRESPONDENT_DETAIL,
            F("our_number", 41, 57, "N"),
            F("wallet_code", 58, 58, "N", "9"),
            F("document_type", 59, 60, "A", "02"),
            F("issuer", 61, 61, "N", "2"),
            F("document_number", 63, 77, "A"),
            F("due_date", 78, 85, "D8"),
            F("amount", 86, 100, "V"),
            F("zeros_2", 101, 106, "K", "000000"),
            F("acceptance", 107, 107, "A", "N"),
            F("issue_date", 110, 117, "D8"),
            F("interest_code", 118, 118, "N", "1"),
            F("interest", 119, 133, "V"),
            F("zeros_3", 134, 142, "K", "000000000"),
            F("discount_date", 143, 150, "D8"),
            F("discount", 151, 165, "V"),
            F("abatement", 181, 195, "V"),
            F("company_use", 196, 220, "A"),
            F("protest_code", 221, 221, "N", "0"),
            F("protest_days", 222, 223, "N", "00"),
            F("zeros_4", 224, 227, "K", "0000"),
            F("currency", 228, 229, "N", "09"),
            F("zeros_5", 230, 240, "K", "00000000000"),
        ],
        "Q": [
            *_CORRESPONDENT_DETAIL,
            F("payer_doc_type", 18, 19, "N"),
            F("payer_doc", 20, 33, "N"),
            F("payer_name", 34, 73, "A"),
            F("payer_address", 74, 113, "A"),
            F("payer_district", 114, 128, "A"),
            F("payer_postcode", 129, 136, "N"),
            F("payer_city", 137, 151, "A"),
            F("payer_state", 152, 153, "A"),
            F("guarantor_doc_type", 154, 155, "N"),
            F("guarantor_doc", 156, 169, "N"),
            F("guarantor_name", 170, 209, "A"),
        ],
        "lot_trailer": [
            F("zeros", 1, 7, "K", "0000000"),
            F("record_type", 8, 8, "K", "5"),
            F("title_count", 18, 23, "N"),
            F("title_total", 24, 40, "V"),
            F("zeros_2", 41, 46, "K", "000000"),
        ],
    },
    our_number_out=lambda b: _display_digits(b)[-17:].zfill(17),
    our_number_in=lambda t: _digits_int(t, -7),
)
# Second layouts of a bank, by (bank, variant); `reader.detect` recognises them by their first line.
VARIANTS: dict[tuple[str, str], Layout] = {("756", "correspondente_bb"): SICOOB_CORRESPONDENT}


def layout_for(bank: str, width: int) -> Layout:
    """The layout of a bank; KeyError for one Quita does not support."""
    return LAYOUTS[(bank, width)]
