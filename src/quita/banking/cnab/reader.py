"""Reading CNAB 240 and 400 files (remessa and retorno) with the layouts of `layouts.py`."""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from quita.banking.cnab.fields import CnabError, read_line
from quita.banking.cnab.layouts import LAYOUTS, VARIANTS, Layout

ZERO = Decimal("0.00")


@dataclass
class CnabRecord:
    """One line as read: its number, its kind (header, P, T, detail, trailer…) and its fields."""

    line: int
    kind: str
    fields: dict

    def as_json(self) -> dict:
        return {"line": self.line, "kind": self.kind, **{k: _plain(v) for k, v in self.fields.items()}}


@dataclass
class Title:
    """A boleto in a file: a P (remessa) or T+U pair (retorno 240), or a detail line (400)."""

    line: int
    our_number_text: str
    our_number: int | None
    occurrence_code: str
    occurrence: str = "other"
    occurrence_date: datetime.date | None = None
    due_date: datetime.date | None = None
    amount: Decimal = ZERO
    paid_amount: Decimal = ZERO
    fee: Decimal = ZERO
    interest: Decimal = ZERO
    discount: Decimal = ZERO
    abatement: Decimal = ZERO
    iof: Decimal = ZERO
    credit_amount: Decimal = ZERO
    credit_date: datetime.date | None = None
    reasons: str = ""
    document_number: str = ""


@dataclass
class ParsedFile:
    """A whole file: bank, layout, direction, records (for `cnab inspect`), titles and the refused lines."""

    bank: str
    width: int
    direction: str
    header: dict
    variant: str = ""
    records: list[CnabRecord] = field(default_factory=list)
    titles: list[Title] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((title.amount for title in self.titles), ZERO)

    @property
    def paid_total(self) -> Decimal:
        return sum((title.paid_amount for title in self.titles), ZERO)


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def decode(content: bytes | str) -> list[str]:
    """The file's lines: Latin-1 (banks' files are ASCII or Latin-1), BOM dropped, blank trailing lines dropped."""
    text = content.decode("latin-1") if isinstance(content, bytes) else content
    text = text.replace("\ufeff", "").replace("ï»¿", "")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def detect(first: str) -> tuple[str, int, str, str]:
    """(bank, width, direction, variant) from the first line; CnabError when it is neither CNAB 240 nor 400."""
    if first[:1] == "0" and first[1:2] in ("1", "2") and first[2:9].strip().upper() in ("REMESSA", "RETORNO", ""):
        return first[76:79], 400, "remittance" if first[1] == "1" else "return", ""
    if first[3:8] == "00000" and first[:3].isdigit():
        direction = {"1": "remittance", "2": "return"}.get(first[142:143], "")
        return first[:3], 240, direction, ""
    if first[3:8] == "00001" and first[:3].isdigit():
        # A file that opens with a lot header of lot 0000 (no file header): a bank's "lot" envelope variant.
        for (bank, variant), layout in VARIANTS.items():
            if bank == first[:3] and layout.envelope == "lot":
                return bank, layout.width, {"R": "remittance", "T": "return"}.get(first[8:9], ""), variant
    raise CnabError("the first line is not a CNAB 240 or 400 header", line=1, code="cnab_unknown_format")


def _layout(bank: str, width: int, variant: str = "") -> Layout:
    layout = VARIANTS.get((bank, variant)) if variant else LAYOUTS.get((bank, width))
    if layout is None:
        raise CnabError(f"bank {bank} in CNAB {width} is not supported", line=1, code="cnab_bank_unsupported")
    return layout


def _classify(layout: Layout, code: str) -> str:
    if code in layout.liquidation_codes:
        return "liquidated"
    if code in layout.entry_codes:
        return "entry_confirmed"
    if code in layout.rejection_codes:
        return "rejected"
    if code in layout.writeoff_codes:
        return "written_off"
    return "other"


def _our(layout: Layout, text: str) -> int | None:
    try:
        return layout.our_number_in(text)
    except (ValueError, TypeError, IndexError):
        return None


def read(content: bytes | str) -> ParsedFile:
    """Read a file. A bad header is a CnabError (the file is refused); a bad detail line is listed in `errors`."""
    lines = decode(content)
    if not lines:
        raise CnabError("the file is empty", code="cnab_empty")
    bank, width, direction, variant = detect(lines[0])
    if width == 400 and (bank, 444) in LAYOUTS and any(len(line.rstrip()) > 400 for line in lines):
        width = 444  # the bank's CNAB 444: detail lines of 444 under a 400-character header
    layout = _layout(bank, width, variant)
    for number, line in enumerate(lines, start=1):
        if len(line.rstrip()) > width:
            raise CnabError(
                f"the line has {len(line.rstrip())} characters; CNAB {width} has {width}",
                line=number,
                code="cnab_line_length",
            )
    padded = [line.ljust(width) for line in lines]
    header = read_line(layout.records["header"], padded[0], number=1, lenient=True)
    parsed = ParsedFile(bank=bank, width=width, direction=direction, header=header, variant=variant)
    parsed.records.append(CnabRecord(1, "header", header))
    if width == 240:
        _read_240(layout, padded, parsed)
    else:
        _read_400(layout, padded, parsed)
    if parsed.records[-1].kind != ("lot_trailer" if layout.envelope == "lot" else "trailer"):
        raise CnabError("the file has no trailer record (it may be cut short)", line=len(lines), code="cnab_no_trailer")
    return parsed


def _fail(parsed: ParsedFile, number: int, error: CnabError | str) -> None:
    reason = error.reason if isinstance(error, CnabError) else error
    parsed.errors.append({"line": number, "reason": reason})


def _read_240(layout: Layout, lines: list[str], parsed: ParsedFile) -> None:
    pending: tuple[int, dict] | None = None
    for number, line in enumerate(lines[1:], start=2):
        record_type = line[7]
        try:
            kind = {"1": "lot_header", "5": "lot_trailer", "9": "trailer"}.get(record_type)
            if kind is not None:
                spec = layout.records.get(kind)
                if spec is None:  # a "lot" envelope has one lot header (the first line) and no file trailer
                    _fail(parsed, number, f"unexpected record type {record_type!r} at position 8 in this layout")
                    continue
                parsed.records.append(CnabRecord(number, kind, read_line(spec, line, lenient=True, number=number)))
            elif record_type == "3":
                segment = line[13]
                spec = layout.records.get(segment)
                if spec is None:
                    parsed.records.append(CnabRecord(number, segment, {"segment": segment, "raw": line.rstrip()}))
                    continue
                values = read_line(spec, line, number=number)
                parsed.records.append(CnabRecord(number, segment, values))
                if segment == "P":
                    parsed.direction = parsed.direction or "remittance"
                    parsed.titles.append(_title_from(layout, number, values, {}))
                elif segment == "T":
                    parsed.direction = "return"
                    if pending is not None:
                        _fail(parsed, pending[0], "segment T without its segment U")
                    pending = (number, values)
                elif segment == "U":
                    if pending is None:
                        _fail(parsed, number, "segment U without a segment T before it")
                        continue
                    parsed.titles.append(_title_from(layout, pending[0], pending[1], values))
                    pending = None
            else:
                _fail(parsed, number, f"unknown record type {record_type!r} at position 8")
        except CnabError as error:
            _fail(parsed, number, error)
            if record_type == "3" and line[13] == "T":
                pending = None
    if pending is not None:
        _fail(parsed, pending[0], "segment T without its segment U")


def _read_400(layout: Layout, lines: list[str], parsed: ParsedFile) -> None:
    spec = layout.records["remittance" if parsed.direction == "remittance" else "return"]
    for number, line in enumerate(lines[1:], start=2):
        record_type = line[0]
        if record_type == "9":
            parsed.records.append(
                CnabRecord(number, "trailer", read_line(layout.records["trailer"], line, lenient=True, number=number))
            )
            continue
        if record_type not in layout.title_types:
            parsed.records.append(CnabRecord(number, f"type_{record_type}", {"raw": line.rstrip()}))
            continue
        try:
            values = read_line(spec, line, number=number)
        except CnabError as error:
            _fail(parsed, number, error)
            continue
        parsed.records.append(CnabRecord(number, "detail", values))
        parsed.titles.append(_title_from(layout, number, values, values))


def _title_from(layout: Layout, number: int, main: dict, money: dict) -> Title:
    code = str(main.get("occurrence") or main.get("movement") or "")
    our_text = str(main.get("our_number") or "")
    return Title(
        line=number,
        our_number_text=our_text,
        our_number=_our(layout, our_text),
        occurrence_code=code,
        occurrence=_classify(layout, code),
        occurrence_date=money.get("occurrence_date") or main.get("occurrence_date"),
        due_date=main.get("due_date"),
        amount=main.get("amount") or ZERO,
        paid_amount=money.get("paid_amount") or ZERO,
        fee=main.get("fee") or ZERO,
        interest=money.get("interest") or ZERO,
        discount=money.get("discount") or ZERO,
        abatement=money.get("abatement") or ZERO,
        iof=money.get("iof") or ZERO,
        credit_amount=money.get("credit_amount") or ZERO,
        credit_date=_as_date(money.get("credit_date")),
        reasons=str(main.get("reasons") or "").strip(),
        document_number=str(main.get("document_number") or ""),
    )


def _as_date(value):
    if isinstance(value, str):  # Sicredi 400 writes the credit date as AAAAMMDD
        try:
            return datetime.date(int(value[0:4]), int(value[4:6]), int(value[6:8])) if value.strip("0 ") else None
        except ValueError:
            return None
    return value


def title_json(title: Title) -> dict:
    return {k: _plain(v) for k, v in asdict(title).items()}
