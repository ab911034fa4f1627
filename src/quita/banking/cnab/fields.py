"""A CNAB record layout is a list of fields; the same list writes a line and reads it back."""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass
from decimal import Decimal


class CnabError(ValueError):
    """A line or a file that does not follow its layout; `line` is 1-based."""

    def __init__(self, message: str, *, line: int | None = None, code: str = "cnab_invalid"):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.reason = message
        self.code = code


@dataclass(frozen=True)
class Field:
    """One field: name, first and last position (1-based, inclusive, as the bank manuals print them) and type.

    Types: `N` number (zero-filled), `A` text (space-filled), `V` money with two decimals, `D8` date DDMMYYYY,
    `D6` date DDMMYY, `K` a constant written as `default`.
    """

    name: str
    start: int
    end: int
    kind: str = "A"
    default: str = ""

    @property
    def size(self) -> int:
        return self.end - self.start + 1


def F(name: str, start: int, end: int, kind: str = "A", default: str = "") -> Field:  # noqa: N802 - reads like a table
    return Field(name, start, end, kind, default)


def ascii_upper(text: str) -> str:
    """Banks want plain upper-case ASCII: accents dropped."""
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").upper()


def format_value(field: Field, value) -> str:
    size = field.size
    if field.kind == "K":
        return field.default.ljust(size)[:size]
    if value is None or value == "":
        value = field.default
    if field.kind == "N":
        text = "".join(ch for ch in str(value) if ch.isdigit()) or "0"
        if len(text) > size:
            raise CnabError(f"{field.name}: {value!r} does not fit in {size} digits")
        return text.zfill(size)
    if field.kind == "V":
        amount = Decimal(str(value or "0"))
        cents = int((amount * 100).to_integral_value())
        if cents < 0 or len(str(cents)) > size:
            raise CnabError(f"{field.name}: {value!r} does not fit in {size} digits")
        return str(cents).zfill(size)
    if field.kind in ("D8", "D6"):
        if not value:
            return "0" * size
        pattern = "%d%m%Y" if field.kind == "D8" else "%d%m%y"
        return value.strftime(pattern)
    return ascii_upper(value or "").ljust(size)[:size]


def parse_value(field: Field, raw: str, *, line: int):
    if field.kind in ("A", "K"):
        return raw.strip()
    text = raw.strip()
    if field.kind == "N":
        if text and not text.isdigit():
            raise CnabError(f"{field.name} (positions {field.start}-{field.end}) is not a number: {raw!r}", line=line)
        return text
    if field.kind == "V":
        if not text:
            return Decimal("0.00")
        if not text.isdigit():
            raise CnabError(f"{field.name} (positions {field.start}-{field.end}) is not an amount: {raw!r}", line=line)
        return Decimal(int(text)) / 100
    if field.kind in ("D8", "D6"):
        if not text or text.strip("0") == "":
            return None
        try:
            if not text.isdigit() or len(text) != (8 if field.kind == "D8" else 6):
                raise ValueError(text)
            year = int(text[4:8]) if field.kind == "D8" else 2000 + int(text[4:6])
            if field.kind == "D6" and year > 2068:  # strptime's %y pivot: 69-99 are 1969-1999
                year -= 100
            return datetime.date(year, int(text[2:4]), int(text[0:2]))
        except ValueError:
            raise CnabError(
                f"{field.name} (positions {field.start}-{field.end}) is not a date: {raw!r}", line=line
            ) from None
    raise ValueError(field.kind)


def write_line(fields: list[Field], values: dict, width: int) -> str:
    """A line of `width` characters: each field formatted at its place, blanks elsewhere."""
    chars = [" "] * width
    for field in fields:
        text = format_value(field, values.get(field.name))
        chars[field.start - 1 : field.end] = list(text)
    return "".join(chars)


# Each layout's field list compiled once into (name, slice start, slice end, kind, field) tuples.
_COMPILED: dict[int, tuple[list[Field], tuple]] = {}
# Dates repeat across a file's lines (a few distinct days in 100,000 records): parsed once each.
_DATES: dict[tuple[str, str], datetime.date | None] = {}
_AMOUNTS: dict[str, Decimal] = {}  # amount fields' digits → the amount (Decimal is immutable: shared safely)


def _compiled(fields: list[Field]) -> tuple:
    entry = _COMPILED.get(id(fields))
    if entry is None or entry[0] is not fields:
        entry = (fields, tuple((f.name, f.start - 1, f.end, f.kind, f) for f in fields))
        _COMPILED[id(fields)] = entry
    return entry[1]


_PARSERS: dict[int, tuple[list[Field], object]] = {}
_MISSING = object()


def _slow_field(fields: list[Field], index: int, line: str, number: int):
    """A field off the fast path: `parse_value` parses it or words the error; dates are remembered."""
    field = fields[index]
    raw = line[field.start - 1 : field.end]
    value = parse_value(field, raw, line=number)
    if field.kind in ("D8", "D6") and len(_DATES) < 10000:
        _DATES[(field.kind, raw.strip())] = value
    return value


def _amount(fields: list[Field], index: int, text: str, line: str, number: int):
    """An amount off the cache: digits with two implied decimals, remembered (a file repeats the same few prices,
    fees and zeros); anything else goes to `_slow_field`."""
    if not text.isdigit():
        return _slow_field(fields, index, line, number)
    value = Decimal(text).scaleb(-2)
    if len(_AMOUNTS) < 10000:
        _AMOUNTS[text] = value
    return value


def _parser(fields: list[Field]):
    """A function reading one line of `fields`, generated once per layout record from its field list.

    The layout stays data; this turns it into straight-line code (one slice and one check per field, no loop
    over the fields), which reads a 100,000-line return file several times faster than interpreting the list.
    """
    entry = _PARSERS.get(id(fields))
    if entry is not None and entry[0] is fields:
        return entry[1]
    body = ["def parse(line, number):"]
    names = []
    for index, field in enumerate(fields):
        var = f"v{index}"
        names.append(f"{field.name!r}: {var}")
        body.append(f"    {var} = line[{field.start - 1}:{field.end}].strip()")
        if field.kind == "N":
            body.append(f"    if {var} and not {var}.isdigit(): {var} = slow(fields, {index}, line, number)")
        elif field.kind == "V":
            body.append(f"    a = amounts.get({var}, missing)")
            body.append(f"    {var} = a if a is not missing else amount(fields, {index}, {var}, line, number)")
        elif field.kind in ("D8", "D6"):
            body.append(f"    d = dates.get(({field.kind!r}, {var}), missing)")
            body.append(f"    {var} = d if d is not missing else slow(fields, {index}, line, number)")
    body.append("    return {" + ", ".join(names) + "}")
    namespace = {
        "amount": _amount,
        "amounts": _AMOUNTS,
        "slow": _slow_field,
        "fields": fields,
        "dates": _DATES,
        "missing": _MISSING,
    }
    exec("\n".join(body), namespace)  # noqa: S102 - source built above from the layout's own field list
    _PARSERS[id(fields)] = (fields, namespace["parse"])
    return namespace["parse"]


def read_line(fields: list[Field], line: str, *, number: int, lenient: bool = False) -> dict:
    """The fields of a line (padded with blanks when the file lost its trailing spaces).

    `lenient` (headers and trailers, whose details Quita does not use): a field that does not parse is kept as text.
    Otherwise the first field that does not parse raises CnabError with its name, positions and reason.
    """
    if not lenient:
        return _parser(fields)(line, number)
    values = {}
    for name, start, end, kind, field in _compiled(fields):
        raw = line[start:end]
        if kind == "A" or kind == "K":
            values[name] = raw.strip()
            continue
        text = raw.strip()
        if kind == "V":
            if text.isdigit():
                values[name] = Decimal(text).scaleb(-2)
                continue
        elif kind == "N":
            if text.isdigit() or not text:
                values[name] = text
                continue
        else:
            date_key = (kind, text)
            if date_key in _DATES:
                values[name] = _DATES[date_key]
                continue
        try:
            values[name] = parse_value(field, raw, line=number)
        except CnabError:
            if not lenient:
                raise
            values[name] = raw.strip()
            continue
        if kind in ("D8", "D6") and len(_DATES) < 10000:
            _DATES[(kind, text)] = values[name]
    return values
