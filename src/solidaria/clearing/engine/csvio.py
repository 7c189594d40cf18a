"""The CSV format of `solidaria clear`: read obligations, write them back with set-offs.

Input: a header `debtor,creditor,amount` then one obligation a row. Member ids are taken
as written (stripped; `007` and `7` are different members). The amount is a plain
positive decimal with at most `decimals` places, parsed exactly into minor units:
`12`, `12.5` and `12.50` are 1250 with two decimals; `1e3`, `-1`, `0`, `12.345` are
refused. Blank lines are skipped. Every error names the line (as in a text editor;
a quoted field may span lines) and the field.

Output: the same rows with `setoff,remaining` added, every amount formatted back with
exactly `decimals` places (CSV quoting and CRLF line ends as Python's csv module writes).

Speed. A million rows must parse and write in about a second, so both directions work on
the raw bytes with numpy: the reader splits fields at the positions of commas and
newlines, interns member ids with `np.unique` and parses amounts digit by digit in int64
(exact; amounts that might not fit go through Python ints). Anything unusual (quotes,
lone CRs, NULs, spaces around a field, an amount that is not a plain positive decimal...)
sends the file to the slower passes below, which give the same result or the error with
its line and field; the tests check both routes agree on random files.
"""

from __future__ import annotations

import csv
import io
import itertools
import operator
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from solidaria.clearing.engine.model import IntArray, ObligationTable
from solidaria.clearing.engine.solver import ClearingResult

HEADER = ("debtor", "creditor", "amount")
OUT_HEADER = (*HEADER, "setoff", "remaining")
MAX_DECIMALS = 18

_DECIMAL = re.compile(r"(\d+)(?:\.(\d+))?")

_BOM = b"\xef\xbb\xbf"
# Bytes a member id may not start or end with in the byte pass: str.strip() would remove
# them (ASCII whitespace) or they may belong to a non-ASCII space (any byte >= 0x80).
_EDGE = np.zeros(256, dtype=bool)
_EDGE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_EDGE[128:] = True
_MAX_FIELD_BYTES = 64  # longer ids or amounts take the slower passes
_POW10 = 10 ** np.arange(19, dtype=np.int64)  # 10**0 ... 10**18
_COMMA, _CR, _LF, _DOT, _ZERO = (ord(c) for c in ",\r\n.0")
_QUOTE_IF = frozenset(',"\r\n')  # what makes csv.writer (QUOTE_MINIMAL) quote a field


class CsvError(ValueError):
    """A problem in the input CSV, at `line` (1-based) and `field` (a column name or '')."""

    def __init__(self, line: int, field: str, message: str) -> None:
        self.line = line
        self.field = field
        self.message = message
        where = f"line {line}" + (f", field {field}" if field else "")
        super().__init__(f"{where}: {message}")


def parse_amount(text: str, *, decimals: int) -> int:
    """A positive decimal string → minor units, exactly; ValueError otherwise."""
    raw = text.strip()
    scale: int = 10**decimals
    if raw.isdigit() and raw.isascii():
        value = int(raw) * scale
    else:
        match = _DECIMAL.fullmatch(raw)
        if match is None or not raw.isascii():
            raise ValueError(f"'{text}' is not a plain decimal number")
        whole, frac = match.group(1), match.group(2) or ""
        if len(frac) > decimals:
            raise ValueError(f"'{text}' has more than {decimals} decimal places")
        value = int(whole + frac.ljust(decimals, "0"))
    if value <= 0:
        raise ValueError(f"'{text}' is not positive")
    if value >= 2**63:
        raise ValueError(f"'{text}' is too large")
    return value


def format_amount(value: int, *, decimals: int) -> str:
    """Minor units → a decimal string with exactly `decimals` places (value ≥ 0)."""
    if decimals == 0:
        return str(value)
    whole, frac = divmod(value, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


def _check_decimals(decimals: int) -> None:
    if not 0 <= decimals <= MAX_DECIMALS:
        raise ValueError(f"decimals must be between 0 and {MAX_DECIMALS}")


def read_obligations(source: TextIO | Path | str, *, decimals: int = 2) -> ObligationTable:
    """Parse the CSV (a path or an open text file) into an `ObligationTable`.

    The byte pass takes the common case in bulk; if anything is off, the text passes take
    over and the careful one re-reads the file line by line to report the first problem
    with its line and field. All passes give the same table for the same text.
    """
    _check_decimals(decimals)
    data: bytes | None
    text: str | None = None
    if isinstance(source, str | Path):
        with open(source, "rb") as handle:
            data = handle.read()
        if data.startswith(_BOM):
            data = data[len(_BOM) :]
        if not data.isascii():
            text = data.decode("utf-8")  # UnicodeDecodeError, as reading as text would
    else:
        text = source.read()
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: leave them to the text passes
            data = None
    table = _read_bytes(data, decimals) if data is not None else None
    if table is not None:
        return table
    if text is None:
        text = data.decode("ascii") if data is not None else ""
    return _read_fast(text, decimals) or _read_careful(io.StringIO(text, newline=""), decimals)


def _read_bytes(data: bytes, decimals: int) -> ObligationTable | None:
    """All rows at once with numpy over the UTF-8 bytes; None if a text pass must look.

    Takes files without quotes, lone CRs or NULs where every non-blank line has exactly
    three fields, ids are not padded with spaces and amounts are plain positive decimals.
    """
    if b'"' in data or b"\x00" in data:
        return None
    if b"\r" in data:
        if data.count(b"\r") != data.count(b"\r\n"):
            return None
        data = data.replace(b"\r\n", b"\n")
    data = data.lstrip(b"\n")  # blank lines before the header
    if not data.endswith(b"\n"):
        data += b"\n"
    buf = np.frombuffer(data, dtype=np.uint8)
    newline = buf == _LF
    newline[:-1] &= ~newline[1:]  # a run of newlines (blank lines) ends a row once
    sep = np.flatnonzero(newline | (buf == _COMMA))
    if len(sep) % 3:
        return None
    sep = sep.reshape(-1, 3)
    if not (buf[sep] == np.array([_COMMA, _COMMA, _LF], dtype=np.uint8)).all():
        return None  # a row without exactly three fields
    header = data[: int(sep[0, 2])].decode("utf-8")
    if tuple(cell.strip().lower() for cell in header.split(",")) != HEADER:
        return None
    n = len(sep) - 1
    if n == 0:
        return ObligationTable.from_indexed((), *(np.zeros(0, dtype=np.int64),) * 3)
    comma1, comma2, end = sep[1:, 0], sep[1:, 1], sep[1:, 2]
    interned = _intern(buf, np.concatenate([sep[:-1, 2] + 1, comma1 + 1]), sep[1:, :2].T.ravel())
    if interned is None:
        return None
    members, codes = interned
    debtor, creditor = codes[:n], codes[n:]
    if bool((debtor == creditor).any()):
        return None
    amount = _parse_amounts(data, buf, comma2 + 1, end, decimals)
    if amount is None:
        return None
    try:
        return ObligationTable.from_indexed(members, debtor, creditor, amount)
    except ValueError:
        return None


def _field_column(buf: npt.NDArray[np.uint8], start: IntArray, length: IntArray, j: int) -> Any:
    """Byte j of every field (0 past a field's end)."""
    byte = buf[np.minimum(start + j, len(buf) - 1)]
    return np.where(length > j, byte, np.uint8(0))


def _intern(
    buf: npt.NDArray[np.uint8], start: IntArray, stop: IntArray
) -> tuple[tuple[str, ...], IntArray] | None:
    """Distinct ids of the fields buf[start:stop] and each field's index among them."""
    length = stop - start
    if int(length.min()) <= 0 or bool(_EDGE[buf[start]].any() | _EDGE[buf[stop - 1]].any()):
        return None  # a missing id, or one the text passes must strip
    width = int(length.max())
    if width > _MAX_FIELD_BYTES:
        return None
    if width <= 8:  # ids as big-endian integers: sorting them sorts the bytes
        key = np.zeros(len(start), dtype=np.uint64)
        for j in range(width):
            key = (key << np.uint64(8)) | _field_column(buf, start, length, j)
        unique, inverse = np.unique(key, return_inverse=True)
        raw = (unique << np.uint64(8 * (8 - width))).astype(">u8").view("S8")
    else:
        matrix = np.zeros((len(start), width), dtype=np.uint8)
        for j in range(width):
            matrix[:, j] = _field_column(buf, start, length, j)
        raw, inverse = np.unique(matrix.view(f"S{width}").ravel(), return_inverse=True)
    # NUL never occurs in the input, so stripping the padding loses nothing
    members = tuple(item.decode("utf-8") for item in raw.tolist())
    return members, inverse.reshape(-1).astype(np.int64)


def _parse_amounts(
    data: bytes, buf: npt.NDArray[np.uint8], start: IntArray, stop: IntArray, decimals: int
) -> IntArray | None:
    """Plain positive decimals buf[start:stop] → minor units, exactly; None on anything
    else (the careful pass then names the problem)."""
    length = stop - start
    if int(length.min()) <= 0 or int(length.max()) > _MAX_FIELD_BYTES:
        return None
    count = len(start)
    value = np.zeros(count, dtype=np.int64)  # wraps harmlessly if > 18 digits: see `wide`
    digits = np.zeros(count, dtype=np.int64)
    places = np.zeros(count, dtype=np.int64)
    dots = np.zeros(count, dtype=np.int64)
    for j in range(int(length.max())):
        byte = _field_column(buf, start, length, j)
        digit = byte.astype(np.int64) - _ZERO
        is_digit = (digit >= 0) & (digit <= 9) & (length > j)
        is_dot = byte == _DOT
        if bool(((length > j) & ~is_digit & ~is_dot).any()):
            return None
        dots += is_dot
        value = np.where(is_digit, value * 10 + digit, value)
        digits += is_digit
        places += is_digit & (dots > 0)
    if int(dots.max()) > 1 or int(places.max()) > decimals:
        return None
    if bool(((dots == 1) & ((buf[start] == _DOT) | (buf[stop - 1] == _DOT))).any()):
        return None  # "12." or ".5"
    shift = decimals - places
    wide = digits + shift > 18  # may not fit in int64: exact Python ints for these
    value *= _POW10[np.minimum(shift, 18)]
    if bool(wide.any()):
        parse = _amount_parser(decimals)
        rows = np.flatnonzero(wide)
        exact = [
            parse(data[a:b].decode("ascii"))
            for a, b in zip(start[rows].tolist(), stop[rows].tolist(), strict=True)
        ]
        if any(x <= 0 or x >= 2**63 for x in exact):
            return None
        value[rows] = exact
    if bool((value <= 0).any()):
        return None
    return value


def _amount_parser(decimals: int) -> Callable[[str], int]:
    """Text → minor units, or -1 when the careful pass must look at it."""
    scales: list[int] = [10 ** (decimals - k) for k in range(decimals + 1)]

    def parse(text: str) -> int:
        whole, dot, frac = text.partition(".")
        if not (whole.isdigit() and whole.isascii()):
            return -1
        if not dot:
            return int(whole) * scales[0]
        if len(frac) > decimals or not (frac.isdigit() and frac.isascii()):
            return -1
        return int(whole + frac) * scales[len(frac)]

    return parse


def _split_plain(text: str) -> tuple[list[str], list[str], list[str]] | None:
    """Columns of a CSV without quotes, CRs or NULs, by C-level string splits."""
    text = text.replace("\r\n", "\n")
    if '"' in text or "\r" in text or "\x00" in text:
        return None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or tuple(cell.strip().lower() for cell in lines[0].split(",")) != HEADER:
        return None
    body = lines[1:]
    if set(map(operator.methodcaller("count", ","), body)) - {2}:
        return None  # blank lines, wrong field counts
    tokens = ",".join(body).split(",") if body else []
    return tokens[0::3], tokens[1::3], tokens[2::3]


def _split_csv(text: str) -> tuple[list[str], list[str], list[str]] | None:
    """Columns via the csv module (quoted fields)."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    if not rows or tuple(cell.strip().lower() for cell in rows[0]) != HEADER:
        return None
    body = rows[1:]
    if any(len(row) != 3 for row in body):
        return None  # blank lines, wrong field counts
    if not body:
        return [], [], []
    debtors, creditors, texts = (list(column) for column in zip(*body, strict=True))
    return debtors, creditors, texts


def _read_fast(text: str, decimals: int) -> ObligationTable | None:
    """All rows in bulk (C-level loops); None if the careful pass is needed."""
    columns = _split_plain(text) or _split_csv(text)
    if columns is None:
        return None
    debtors, creditors, texts = columns
    if not texts:
        return ObligationTable.from_indexed((), *(np.zeros(0, dtype=np.int64),) * 3)
    debtors = list(map(str.strip, debtors))
    creditors = list(map(str.strip, creditors))
    if "" in set(debtors) or "" in set(creditors) or any(map(operator.eq, debtors, creditors)):
        return None
    amounts = np.fromiter(map(_amount_parser(decimals), texts), dtype=object, count=len(texts))
    if any(a <= 0 or a >= 2**63 for a in amounts.tolist()):
        return None
    members = tuple(dict.fromkeys(itertools.chain(debtors, creditors)))
    index = {member: i for i, member in enumerate(members)}
    try:
        return ObligationTable.from_indexed(
            members,
            np.fromiter(map(index.__getitem__, debtors), dtype=np.int64, count=len(debtors)),
            np.fromiter(map(index.__getitem__, creditors), dtype=np.int64, count=len(debtors)),
            amounts.astype(np.int64),
        )
    except ValueError:
        return None


def _read_careful(handle: TextIO, decimals: int) -> ObligationTable:
    reader = csv.reader(handle, strict=True)
    index: dict[str, int] = {}
    debtors: list[int] = []
    creditors: list[int] = []
    amounts: list[int] = []
    header_seen = False
    try:
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if not header_seen:
                _check_header(row, line)
                header_seen = True
                continue
            if len(row) != 3:
                raise CsvError(line, "", f"expected 3 fields, found {len(row)}")
            debtor, creditor, text = row
            debtor = debtor.strip()
            creditor = creditor.strip()
            if not debtor:
                raise CsvError(line, "debtor", "missing")
            if not creditor:
                raise CsvError(line, "creditor", "missing")
            if debtor == creditor:
                raise CsvError(line, "creditor", f"'{creditor}' cannot owe itself")
            if not text.strip():
                raise CsvError(line, "amount", "missing")
            try:
                amount = parse_amount(text, decimals=decimals)
            except ValueError as exc:
                raise CsvError(line, "amount", str(exc)) from None
            debtors.append(index.setdefault(debtor, len(index)))
            creditors.append(index.setdefault(creditor, len(index)))
            amounts.append(amount)
    except csv.Error as exc:
        raise CsvError(reader.line_num, "", f"malformed CSV: {exc}") from None
    if not header_seen:
        raise CsvError(1, "", "empty file: expected the header debtor,creditor,amount")
    try:
        return ObligationTable.from_indexed(
            tuple(index),
            np.asarray(debtors, dtype=np.int64),
            np.asarray(creditors, dtype=np.int64),
            np.asarray(amounts, dtype=np.int64),
        )
    except ValueError as exc:  # only the total can still be out of range here
        raise CsvError(reader.line_num, "amount", str(exc)) from None


def _check_header(row: list[str], line: int) -> None:
    names = tuple(cell.strip().lower() for cell in row)
    if names != HEADER:
        raise CsvError(line, "", f"expected the header debtor,creditor,amount, found {row!r}")


def result_rows(result: ClearingResult, *, decimals: int = 2) -> Iterator[list[str]]:
    """Output rows (header first) as lists of strings."""
    _check_decimals(decimals)
    yield list(OUT_HEADER)
    for row in zip(*_columns(result, decimals), strict=True):
        yield list(row)


def _columns(result: ClearingResult, decimals: int) -> list[list[str]]:
    table = result.table
    members = np.empty(table.member_count, dtype=object)
    members[:] = [str(m) for m in table.members]
    return [
        members[table.debtor].tolist(),
        members[table.creditor].tolist(),
        *(_format_column(v, decimals) for v in (table.amount, result.setoff, result.remaining)),
    ]


def _format_column(values: IntArray, decimals: int) -> list[str]:
    if decimals == 0:
        return list(map(str, values.tolist()))
    zero = format_amount(0, decimals=decimals)
    whole, frac = np.divmod(values, 10**decimals)
    pattern = f"{{}}.{{:0{decimals}d}}".format
    out = [zero] * len(values)  # set-offs and remainders are often zero
    for i, w, f in zip(
        np.flatnonzero(values).tolist(),
        whole[values != 0].tolist(),
        frac[values != 0].tolist(),
        strict=True,
    ):
        out[i] = pattern(w, f)
    return out


def write_result(result: ClearingResult, target: TextIO | Path | str, *, decimals: int = 2) -> None:
    """Write the input rows plus `setoff,remaining` as CSV (to a path or an open file)."""
    _check_decimals(decimals)
    body = _result_bytes(result, decimals)
    if body is None:  # very long member ids: the csv module writes them
        if isinstance(target, str | Path):
            with open(target, "w", encoding="utf-8", newline="") as handle:
                _write(result, handle, decimals)
        else:
            _write(result, target, decimals)
        return
    header = (",".join(OUT_HEADER) + "\r\n").encode("ascii")
    if isinstance(target, str | Path):
        with open(target, "wb") as binary:
            binary.write(header)
            binary.write(body)
        return
    target.write((header + body).decode("utf-8"))


def _write(result: ClearingResult, handle: TextIO, decimals: int) -> None:
    writer = csv.writer(handle)
    rows = result_rows(result, decimals=decimals)
    writer.writerow(next(rows))
    writer.writerows(zip(*_columns(result, decimals), strict=True))


def _csv_field(text: str) -> str:
    """`text` as csv.writer writes a field (quoted only if it must be)."""
    if _QUOTE_IF.isdisjoint(text):
        return text
    buffer = io.StringIO()
    csv.writer(buffer).writerow([text, ""])
    return buffer.getvalue()[: -len(",\r\n")]


def _result_bytes(result: ClearingResult, decimals: int) -> bytes | None:
    """The output rows (no header) as UTF-8 bytes, laid out with numpy: each row's fields
    get their byte offsets from the field widths, then bytes are written column by column.
    None if a member id is too long for that."""
    table = result.table
    names = [_csv_field(str(member)).encode("utf-8") for member in table.members]
    width = max(map(len, names), default=0)
    if width > _MAX_FIELD_BYTES:
        return None
    if not len(table):
        return b""
    name_length = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
    matrix = np.frombuffer(b"".join(name.ljust(width, b"\0") for name in names), dtype=np.uint8)
    matrix = matrix.reshape(len(names), width)
    amounts = [table.amount, result.setoff, result.remaining]
    widths = [_amount_width(values, decimals) for values in amounts]
    ids = [table.debtor, table.creditor]
    id_widths = [name_length[table.debtor], name_length[table.creditor]]
    row_width = sum(id_widths) + sum(widths) + len(",,,,\r\n")
    row_end = np.cumsum(row_width)
    out = np.empty(int(row_end[-1]), dtype=np.uint8)
    at = row_end - row_width
    for member, member_width in zip(ids, id_widths, strict=True):
        _put_names(out, at, matrix, member, member_width)
        at = at + member_width
        out[at] = _COMMA
        at += 1
    for k, (values, value_width) in enumerate(zip(amounts, widths, strict=True)):
        _put_amounts(out, at, values, value_width, decimals)
        at = at + value_width
        out[at] = _COMMA if k < 2 else _CR
        at += 1
    out[at] = _LF
    return out.tobytes()


def _put_names(
    out: npt.NDArray[np.uint8],
    at: IntArray,
    matrix: npt.NDArray[np.uint8],
    member: IntArray,
    width: IntArray,
) -> None:
    uniform = int(width.min()) == int(width.max())
    for j in range(int(width.max())):
        column = matrix[member, j]
        if uniform:
            out[at + j] = column
        else:
            inside = width > j
            out[at[inside] + j] = column[inside]


def _amount_width(values: IntArray, decimals: int) -> IntArray:
    """Characters of each formatted amount (values >= 0)."""
    digits = np.searchsorted(_POW10, values, side="right")  # 0 for 0
    shown = np.maximum(digits, decimals + 1)  # 5 → "0.05"
    return shown + (1 if decimals else 0)


def _put_amounts(
    out: npt.NDArray[np.uint8], at: IntArray, values: IntArray, width: IntArray, decimals: int
) -> None:
    """Digits right to left, skipping the dot; as `format_amount` writes them."""
    end = at + width
    shown = width - (1 if decimals else 0)
    rest = values.copy()
    for k in range(int(shown.max())):
        digit = (rest % 10).astype(np.uint8) + np.uint8(_ZERO)
        rest //= 10
        where = end - 1 - k - (1 if decimals and k >= decimals else 0)
        if k <= decimals:  # every amount shows at least decimals + 1 digits
            out[where] = digit
        else:
            inside = shown > k
            out[where[inside]] = digit[inside]
    if decimals:
        out[end - 1 - decimals] = _DOT


def result_csv(result: ClearingResult, *, decimals: int = 2) -> str:
    buffer = io.StringIO()
    write_result(result, buffer, decimals=decimals)
    return buffer.getvalue()
