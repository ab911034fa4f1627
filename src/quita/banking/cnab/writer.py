"""Writing CNAB files with the same layouts the reader uses: remittances, and (for tests, benchmarks and
simulating a bank) return files."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from quita.banking.cnab.fields import write_line
from quita.banking.cnab.layouts import Layout

CRLF = "\r\n"
# Remittance movement codes (FEBRABAN 240 and the banks' 400 alike): entry, write-off request, due-date change.
# A change of amount ("amount") has the layout's own code (`Layout.amount_change_code`).
MOVEMENT = {"entry": "01", "cancel": "02", "change": "06"}


def movement_code(layout: Layout, action: str) -> str:
    """The movement (240) or occurrence (400) code of a remittance action in this layout."""
    if action == "amount":
        if not layout.amount_change_code:
            raise ValueError(f"bank {layout.bank} CNAB {layout.width} has no instruction to change a title's amount")
        return layout.amount_change_code
    return MOVEMENT[action]


@dataclass
class FileHeader:
    """Who sends the file and which one it is."""

    bank: str
    company_doc: str
    company_name: str
    agency: str = ""
    agency_digit: str = ""
    account: str = ""
    account_digit: str = ""
    agreement: str = ""
    file_number: int = 1
    created: datetime.datetime = field(default_factory=lambda: datetime.datetime(2000, 1, 1))  # noqa: DTZ001
    bank_name: str = ""


def _header_values(header: FileHeader, direction: int) -> dict:
    return {
        "bank": header.bank,
        "company_doc": header.company_doc,
        "company_name": header.company_name,
        "agency": header.agency,
        "agency_digit": header.agency_digit,
        "account": header.account,
        "account_digit": header.account_digit,
        "agreement": header.agreement,
        "company_code": header.agreement or header.account,
        "bank_name": header.bank_name,
        "direction": str(direction),
        "direction_text": "REMESSA" if direction == 1 else "RETORNO",
        "file_date": header.created.date(),
        "file_time": header.created.strftime("%H%M%S"),
        "file_number": header.file_number,
    }


def write_remittance(layout: Layout, header: FileHeader, titles: list[dict]) -> str:
    """A remittance: each title dict has the layout's field names plus `action` (entry, cancel or change)."""
    base = _header_values(header, 1)
    if layout.envelope == "lot":
        return _write_lot(layout, base, titles, segments=("P", "Q"), operation="R")
    if layout.width == 240:
        return _write_240(layout, base, titles, segments=("P", "Q", "R"), operation="R")
    # CNAB 400, or 444: title lines of the layout's width between a 400-character header and trailer.
    lines = [write_line(layout.records["header"], {**base, "sequence": 1}, 400)]
    for title in titles:
        values = {**title, "bank": layout.bank, "occurrence": movement_code(layout, title.get("action", "entry"))}
        values["sequence"] = len(lines) + 1
        lines.append(write_line(layout.records["remittance"], values, layout.width))
    lines.append(write_line(layout.records["trailer"], {"sequence": len(lines) + 1}, 400))
    return CRLF.join(lines) + CRLF


def write_return(layout: Layout, header: FileHeader, titles: list[dict]) -> str:
    """A return file as the bank sends it: each title has `occurrence` (code) and the money fields."""
    base = _header_values(header, 2)
    if layout.width == 240:
        return _write_240(layout, base, titles, segments=("T", "U"), operation="T")
    lines = [write_line(layout.records["header"], {**base, "sequence": 1}, 400)]
    for title in titles:
        values = {**title, "record_type": layout.title_types[-1], "sequence": len(lines) + 1}
        lines.append(write_line(layout.records["return"], values, 400))
    lines.append(write_line(layout.records["trailer"], {"sequence": len(lines) + 1}, 400))
    return CRLF.join(lines) + CRLF


def _write_lot(layout: Layout, base: dict, titles: list[dict], *, segments: tuple[str, ...], operation: str) -> str:
    """A "lot" envelope (Sicoob correspondente BB): the lot header first, the details, the lot trailer last."""
    records = layout.records
    lines = [write_line(records["header"], {**base, "operation": operation}, layout.width)]
    total = Decimal("0.00")
    for title in titles:
        movement = title.get("occurrence") or movement_code(layout, title.get("action", "entry"))
        total += Decimal(str(title.get("amount") or "0"))
        for segment in segments:
            values = {**title, "sequence": len(lines), "segment": segment, "movement": movement}
            lines.append(write_line(records[segment], values, layout.width))
    trailer = {"title_count": len(titles), "title_total": total}
    lines.append(write_line(records["lot_trailer"], trailer, layout.width))
    return CRLF.join(lines) + CRLF


def _write_240(layout: Layout, base: dict, titles: list[dict], *, segments: tuple[str, ...], operation: str) -> str:
    records = layout.records
    lines = [write_line(records["header"], base, 240)]
    lines.append(write_line(records["lot_header"], {**base, "lot": 1, "operation": operation}, 240))
    sequence = 0
    total = Decimal("0.00")
    for title in titles:
        movement = title.get("occurrence") or movement_code(layout, title.get("action", "entry"))
        total += Decimal(str(title.get("amount") or "0"))
        for segment in segments:
            sequence += 1
            values = {
                **title,
                "bank": layout.bank,
                "lot": 1,
                "sequence": sequence,
                "segment": segment,
                "movement": movement,
            }
            lines.append(write_line(records[segment], values, 240))
    lot_records = len(lines)  # lot header + details so far + the lot trailer, minus the file header
    lines.append(
        write_line(
            records["lot_trailer"],
            {
                "bank": layout.bank,
                "lot": 1,
                "record_count": lot_records,
                "title_count": len(titles),
                "title_total": total,
            },
            240,
        )
    )
    lines.append(
        write_line(records["trailer"], {"bank": layout.bank, "lot_count": 1, "record_count": len(lines) + 1}, 240)
    )
    return CRLF.join(lines) + CRLF
