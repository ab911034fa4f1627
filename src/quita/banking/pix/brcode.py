"""BR Code per the Central Bank's "Manual do BR Code": EMV MPM tag-length-value fields closed by a CRC16.

Written here rather than taken from a library: of the PIX libraries tried, most do not reproduce the Central
Bank's example byte for byte (docs/decisions/0020-banking-libraries.md); the whole format is ~100 lines.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation

GUI = "br.gov.bcb.pix"
# Templates whose value is itself a list of tag-length-value fields.
TEMPLATE_TAGS = {f"{n:02d}" for n in range(26, 52)} | {"62"} | {f"{n:02d}" for n in range(80, 100)}
NAMES = {
    "00": "payload_format_indicator",
    "01": "point_of_initiation_method",
    "26": "merchant_account_information",
    "52": "merchant_category_code",
    "53": "transaction_currency",
    "54": "transaction_amount",
    "58": "country_code",
    "59": "merchant_name",
    "60": "merchant_city",
    "61": "postal_code",
    "62": "additional_data",
    "80": "unreserved_template",
    "63": "crc",
}


class BRCodeError(ValueError):
    """A payload that cannot be built or parsed; `code` is stable."""

    def __init__(self, message: str, code: str = "pix_payload_invalid"):
        super().__init__(message)
        self.code = code


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of the UTF-8 bytes, 4 uppercase hex digits."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def field(tag: str, value: str) -> str:
    """One EMV field: tag (2), length (2), value (at most 99 characters)."""
    if len(value) > 99:
        raise BRCodeError(f"field {tag} is longer than 99 characters", "pix_field_too_long")
    return f"{tag}{len(value):02d}{value}"


def plain(text: str, width: int) -> str:
    """ASCII without accents, cut to `width` (names and cities are limited to 25 and 15 characters)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return ascii_text.strip()[:width]


def txid_clean(txid: str | None) -> str:
    """The reconciliation id of a static code: letters and digits only, at most 25; '***' when absent."""
    if not txid:
        return "***"
    cleaned = "".join(ch for ch in txid if ch.isascii() and ch.isalnum())[:25]
    return cleaned or "***"


def make_static(
    *,
    key: str,
    name: str,
    city: str,
    amount: Decimal | str | None = None,
    txid: str | None = None,
    description: str = "",
) -> str:
    """A static BR Code for a PIX key, optionally with an amount and a txid (the invoice's reference)."""
    key = (key or "").strip()
    if not key:
        raise BRCodeError("a PIX key is required", "pix_key_required")
    account = field("00", GUI) + field("01", key)
    if description:
        account += field("02", plain(description, 99 - len(account) - 4))
    payload = field("00", "01") + field("26", account) + field("52", "0000") + field("53", "986")
    if amount not in (None, ""):
        try:
            value = Decimal(str(amount))
        except InvalidOperation as error:
            raise BRCodeError(f"amount {amount!r} is not a number", "pix_amount_invalid") from error
        if value <= 0 or value != value.quantize(Decimal("0.01")):
            raise BRCodeError(f"amount {amount!r} must be positive with at most two decimals", "pix_amount_invalid")
        payload += field("54", f"{value:.2f}")
    payload += field("58", "BR") + field("59", plain(name, 25)) + field("60", plain(city, 15))
    payload += field("62", field("05", txid_clean(txid)))
    payload += "6304"
    return payload + crc16(payload)


def make_dynamic(*, location: str, name: str, city: str, txid: str = "***", gui: str = GUI) -> str:
    """A dynamic BR Code pointing at a PSP's payload location (a cob/cobv `location`, without https://)."""
    location = location.removeprefix("https://")
    payload = field("00", "01") + field("01", "12") + field("26", field("00", gui) + field("25", location))
    payload += field("52", "0000") + field("53", "986") + field("58", "BR")
    payload += field("59", plain(name, 25)) + field("60", plain(city, 15)) + field("62", field("05", txid or "***"))
    payload += "6304"
    return payload + crc16(payload)


def _fields(text: str, where: str) -> list[tuple[str, str]]:
    out = []
    position = 0
    while position < len(text):
        tag = text[position : position + 2]
        size_text = text[position + 2 : position + 4]
        if len(tag) < 2 or not size_text.isdigit():
            raise BRCodeError(f"malformed field at position {position}{where}")
        size = int(size_text)
        value = text[position + 4 : position + 4 + size]
        if len(value) != size:
            raise BRCodeError(f"field {tag} at position {position}{where} is cut short")
        out.append((tag, value))
        position += 4 + size
    return out


def parse(payload: str) -> dict:
    """Decode a payload: every tag (templates as nested dicts), `kind`, `tags`, `crc` and `crc_ok`."""
    payload = payload.strip()
    fields = _fields(payload, "")
    decoded: dict = {"tags": [tag for tag, _ in fields]}
    for tag, value in fields:
        if tag in TEMPLATE_TAGS:
            decoded[tag] = dict(_fields(value, f" inside field {tag}"))
        else:
            decoded[tag] = value
    if not fields or fields[0] != ("00", "01"):
        raise BRCodeError("a BR Code starts with 000201")
    if fields[-1][0] != "63" or len(fields[-1][1]) != 4:
        raise BRCodeError("a BR Code ends with the CRC field 6304XXXX")
    decoded["crc"] = fields[-1][1]
    decoded["crc_ok"] = crc16(payload[:-4]) == fields[-1][1].upper()
    account = decoded.get("26", {})
    decoded["kind"] = "dynamic" if "25" in account or decoded.get("01") == "12" else "static"
    decoded["key"] = account.get("01")
    decoded["location"] = account.get("25")
    decoded["amount"] = decoded.get("54")
    decoded["name"] = decoded.get("59")
    decoded["city"] = decoded.get("60")
    decoded["txid"] = decoded.get("62", {}).get("05")
    return decoded
