"""The `solidaria clear` CSV format in bulk: numpy over the raw bytes, for millions of rows.

`csvio` defines the format and its careful, line-by-line reader (which names every
problem's line and field); this module only takes the common case fast and exactly,
and answers None for anything unusual so that `csvio` falls back to the careful path:
- reading: fields are cut at the positions of commas and line ends (in one pass when
  the file has no blank lines); member ids are read eight bytes at a time and interned by
  sorting them as integers; amounts of at most 8 bytes are read eight digits at a time
  with whole-word integer arithmetic, longer ones digit by digit in int64 (amounts that
  might not fit go through the exact Python parser);
- writing: each row's byte offsets come from its field widths, then the bytes are
  written column by column into one buffer.
No floats anywhere; every function here agrees byte for byte with the careful path
(the tests check that on random files).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

from solidaria.clearing.engine.model import IntArray

ByteArray = npt.NDArray[np.uint8]

MAX_FIELD_BYTES = 64  # longer ids or amounts take the careful path
_PAD = MAX_FIELD_BYTES + 8  # zero bytes after the data, so fixed-width reads stay inside
_CHUNK = 1 << 18  # rows per block when parsing amounts (bounds temporary memory)
_COMMA, _CR, _LF, _DOT, _ZERO, _NINE = (ord(c) for c in ",\r\n.09")
# Bytes a member id may not start or end with here: str.strip() would remove them
# (ASCII whitespace) or they may belong to a non-ASCII space (any byte >= 0x80).
_EDGE = np.zeros(256, dtype=bool)
_EDGE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_EDGE[128:] = True
_POW10 = 10 ** np.arange(19, dtype=np.int64)  # 10**0 ... 10**18
# _KEEP[b]: the first b bytes of a big-endian 8-byte word
_KEEP = np.array([((1 << (8 * b)) - 1) << (8 * (8 - b)) for b in range(9)], dtype=np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class Fields:
    """Where each row's fields are in `buf` (`data` plus zero padding, as numpy bytes)."""

    data: bytes
    buf: ByteArray
    header: bytes
    id_start: IntArray  # debtors then creditors
    id_stop: IntArray
    amount_start: IntArray
    amount_stop: IntArray


def split_fields(data: bytes) -> Fields | None:
    """Cut a CSV without quotes, lone CRs or NULs, whose non-blank lines all have exactly
    three fields, into fields; None otherwise. Blank lines are skipped as csv does."""
    if b'"' in data or b"\x00" in data:
        return None
    data = data.lstrip(b"\r\n")  # blank lines before the header (CRs checked below)
    return _split_unbroken(data) or _split_with_blank_lines(data)


def _split_unbroken(data: bytes) -> Fields | None:
    """`split_fields` of a file without blank lines (the usual case), in fewer passes: its
    commas and LFs must come as comma, comma, LF on every line (so a blank line, a
    missing or an extra field gives None), and every CR must stand just before an LF."""
    padded = data + (b"" if data.endswith(b"\n") else b"\n") + bytes(_PAD)
    buf = np.frombuffer(padded, dtype=np.uint8)
    text = buf[: len(padded) - _PAD]
    found = np.flatnonzero((text == _COMMA) | (text == _LF))
    if len(found) % 3:
        return None
    sep = found.reshape(-1, 3)
    if not bool((buf[sep] == np.array([_COMMA, _COMMA, _LF], dtype=np.uint8)).all()):
        return None
    lf = sep[:, 2]
    crs = np.count_nonzero(text == _CR)
    line_stop = lf
    if crs:
        before_lf = buf[lf - 1] == _CR
        if int(np.count_nonzero(before_lf)) != crs:
            return None  # a CR inside a line: the other pass refuses it or not
        line_stop = lf - before_lf
    comma1, comma2 = sep[1:, 0], sep[1:, 1]
    return Fields(
        data=padded,
        buf=buf,
        header=data[: int(line_stop[0])],
        id_start=np.concatenate([lf[:-1] + 1, comma1 + 1]),
        id_stop=np.concatenate([comma1, comma2]),
        amount_start=comma2 + 1,
        amount_stop=line_stop[1:],
    )


def _split_with_blank_lines(data: bytes) -> Fields | None:
    """`split_fields` in general: runs of line ends (blank lines) count as one."""
    size = len(data) + 1
    padded = data + b"\n" + bytes(_PAD)
    buf = np.frombuffer(padded, dtype=np.uint8)
    text = buf[:size]
    cr = np.flatnonzero(text == _CR)
    if len(cr) and bool((buf[cr + 1] != _LF).any()):
        return None  # a CR that does not end a line
    line_end = (text == _LF) | (text == _CR)
    run_start = line_end.copy()  # first byte of each run of line ends (blank lines)
    run_start[1:] &= ~line_end[:-1]
    line_end[:-1] &= ~line_end[1:]  # its last byte: where the next row starts - 1
    found = np.flatnonzero(line_end | (text == _COMMA))
    if len(found) % 3:
        return None
    sep = found.reshape(-1, 3)
    if not bool((buf[sep] == np.array([_COMMA, _COMMA, _LF], dtype=np.uint8)).all()):
        return None  # a row with other than three fields
    stop = np.flatnonzero(run_start)
    comma1, comma2 = sep[1:, 0], sep[1:, 1]
    return Fields(
        data=padded,
        buf=buf,
        header=data[: int(stop[0])],
        id_start=np.concatenate([sep[:-1, 2] + 1, comma1 + 1]),
        id_stop=np.concatenate([comma1, comma2]),
        amount_start=comma2 + 1,
        amount_stop=stop[1:],
    )


def _words(buf: ByteArray, start: IntArray, length: IntArray, k: int) -> npt.NDArray[np.uint64]:
    """Bytes 8k..8k+7 of each field as a big-endian integer, zero past the field's end."""
    windows = as_strided(buf, shape=(len(buf) - 7, 8), strides=(1, 1), writeable=False)
    word = windows[start + 8 * k].view(">u8").reshape(-1).astype(np.uint64)
    keep: npt.NDArray[np.uint64] = _KEEP[np.clip(length - 8 * k, 0, 8)]
    return word & keep


def _every_byte(data: bytes, order: str) -> npt.NDArray[np.uint64]:
    """`view[i]`: the 8 bytes of `data` from offset i as one integer (`order` ">" big-endian,
    "<" little-endian); overlapping, unaligned, no copy."""
    view: npt.NDArray[np.uint64] = np.ndarray(
        shape=(len(data) - 7,), dtype=np.dtype(f"{order}u8"), buffer=data, strides=(1,)
    )
    return view


def intern_ids(fields: Fields) -> tuple[tuple[str, ...], IntArray] | None:
    """The distinct member ids, sorted, and each id field's index among them; None if an
    id is missing, padded with spaces or longer than MAX_FIELD_BYTES."""
    buf, start, stop = fields.buf, fields.id_start, fields.id_stop
    length = stop - start
    if not len(start):
        return (), np.zeros(0, dtype=np.int64)
    if int(length.min()) <= 0 or _has_edge(buf[start]) or _has_edge(buf[stop - 1]):
        return None  # str.strip() would change an id: the careful pass decides
    width = int(length.max())
    if width <= 8:
        return _intern_short(fields.data, start, stop, width)
    if width > MAX_FIELD_BYTES:
        return None
    words = [_words(buf, start, length, k) for k in range((width + 7) // 8)]
    key = words[0]
    for word in words[1:]:  # ids of 9 bytes or more: hash the words, check collisions below
        key = ((key ^ (key >> np.uint64(29))) * _MIX) ^ word
    # np.unique(key, return_inverse=True), in a third of its time: sort, mark the changes
    by_key = np.argsort(key)
    ranked = key[by_key]
    change = np.empty(len(ranked), dtype=bool)
    change[0] = True
    change[1:] = ranked[1:] != ranked[:-1]
    inverse = np.empty(len(ranked), dtype=np.int64)
    inverse[by_key] = np.cumsum(change) - 1
    first = by_key[change]  # one field of each id
    if any(bool((w != w[first[inverse]]).any()) for w in words):
        return None  # two ids with one hash: astronomically rare; the careful path copes
    names = [
        fields.data[a:b].decode("utf-8")
        for a, b in zip(start[first].tolist(), stop[first].tolist(), strict=True)
    ]
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(names), dtype=np.int64)
    return tuple(names[i] for i in order), rank[inverse]


def _has_edge(ends: ByteArray) -> bool:
    """Whether any of these first or last bytes of ids is one that str.strip() removes or
    a non-ASCII one (all such bytes are <= 32 or >= 128: most files skip the lookup)."""
    return (int(ends.min()) <= 32 or int(ends.max()) >= 128) and bool(_EDGE[ends].any())


def _intern_short(
    data: bytes, start: IntArray, stop: IntArray, width: int
) -> tuple[tuple[str, ...], IntArray] | None:
    """`intern_ids` when every id has at most 8 bytes: each id is one big-endian word (zero
    past its end), so the words sort as the ids do (UTF-8 byte order is str order and ids
    hold no NUL). The words are sorted with their field numbers packed in the low bits
    (one plain sort instead of an argsort) when both fit in 64 bits. Arrays are reused in
    place: every fresh array of this size costs page faults."""
    word = _every_byte(data, ">")[start]
    word = word.byteswap(inplace=True).view(np.uint64)  # the same value, native order
    shift = (stop - start).astype(np.uint64)
    shift <<= np.uint64(3)
    np.subtract(np.uint64(64), shift, out=shift)
    word >>= shift  # the bytes after the id: zero
    word <<= shift
    del shift
    count = len(word)
    index_bits = max(count - 1, 1).bit_length()
    drop = np.uint64(64 - 8 * width)  # low bits that are zero in every word
    if 8 * width + index_bits <= 64:
        word >>= drop
        word <<= np.uint64(index_bits)
        word |= np.arange(count, dtype=np.uint64)
        word.sort()
        by_key = (word & np.uint64((1 << index_bits) - 1)).view(np.int64)
        word >>= np.uint64(index_bits)
        word <<= drop
    else:
        by_key = np.argsort(word)
        word = word[by_key]
    change = np.empty(count, dtype=bool)
    change[0] = True
    np.not_equal(word[1:], word[:-1], out=change[1:])
    inverse = np.empty(count, dtype=np.int64)
    inverse[by_key] = np.cumsum(change, dtype=np.int64) - 1
    ids = word[change].astype(">u8").view("S8").tolist()
    return tuple(name.decode("utf-8") for name in ids), inverse


def parse_amounts(
    fields: Fields, decimals: int, exact: Callable[[str], int]
) -> npt.NDArray[np.int64] | None:
    """Plain positive decimals with at most `decimals` places → minor units, exactly;
    None on anything else. `exact(text)` parses one amount that may not fit in 18
    digits (returns < 1 if it is not a valid amount)."""
    start, stop = fields.amount_start, fields.amount_stop
    if not len(start):
        return np.zeros(0, dtype=np.int64)
    length = stop - start
    if decimals <= _SHORT_DECIMALS and int(length.max()) <= 8 and int(stop.min()) >= 8:
        if int(length.min()) <= 0:
            return None
        return _parse_short(fields.data, stop, length, decimals)
    value = np.zeros(len(start), dtype=np.int64)
    for low in range(0, len(start), _CHUNK):
        part = slice(low, low + _CHUNK)
        chunk = _parse_chunk(fields, start[part], stop[part], decimals, exact)
        if chunk is None:
            return None
        value[part] = chunk
    return value


def _parse_chunk(
    fields: Fields, start: IntArray, stop: IntArray, decimals: int, exact: Callable[[str], int]
) -> IntArray | None:
    buf = fields.buf
    length = stop - start
    if int(length.min()) <= 0 or int(length.max()) > MAX_FIELD_BYTES:
        return None
    width = int(length.max())
    if width <= _NARROW:
        return _parse_narrow(fields, start, stop, length, decimals, exact)
    windows = as_strided(buf, shape=(len(buf) - width + 1, width), strides=(1, 1))
    text = windows[start]  # (rows, width) bytes; past a field's end: the next bytes
    column = np.arange(width, dtype=np.int64)
    inside = column < length[:, None]
    is_digit = inside & (text >= _ZERO) & (text <= _NINE)
    is_dot = inside & (text == _DOT)
    if not bool((is_digit | is_dot | ~inside).all()):
        return None
    dots = is_dot.sum(axis=1)
    if int(dots.max()) > 1:
        return None
    has_dot = dots == 1
    point = np.where(has_dot, is_dot.argmax(axis=1), length)  # where the whole part ends
    places = np.where(has_dot, length - point - 1, 0)
    if int(places.max()) > decimals or bool((has_dot & ((point == 0) | (places == 0))).any()):
        return None  # too many places, "12." or ".5"
    # digit j stands for 10**(decimals + point - 1 - j), or one more after the dot
    power = decimals + point[:, None] - 1 - column + (column > point[:, None])
    digits = np.where(is_digit, text.astype(np.int64) - _ZERO, 0)
    value = (digits * _POW10[np.clip(power, 0, 18)]).sum(axis=1)
    wide = is_digit.sum(axis=1) + decimals - places > 18  # may not fit in int64
    if bool(wide.any()):
        rows = np.flatnonzero(wide)
        big = [
            exact(fields.data[a:b].decode("ascii"))
            for a, b in zip(start[rows].tolist(), stop[rows].tolist(), strict=True)
        ]
        if not all(0 < x < 2**63 for x in big):
            return None
        value[rows] = big
    if bool((value <= 0).any()):
        return None
    result: IntArray = value
    return result


_SHORT_DECIMALS = 10  # 8 digits scaled by 10**10 stay below 2**63
_ZEROS = np.uint64(0x3030303030303030)  # "00000000"
# _OUTSIDE[k]: the k low bytes of a little-endian word (the k bytes read before a field)
_OUTSIDE = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
# _DOT_AT[p]: a dot flag (0x01) in the byte p places before a word's last byte
_DOT_AT = [np.uint64(1 << (8 * (7 - p))) for p in range(8)]


def _parse_short(data: bytes, stop: IntArray, length: IntArray, decimals: int) -> IntArray | None:
    """`parse_amounts` when every amount has 1 to 8 bytes and decimals <= 10 (the usual
    case): each amount is one little-endian word ending at its last byte, so the digits
    are read eight at a time with integer arithmetic on whole words (SWAR), no loop over
    digit positions. The bytes before a field are replaced by "0" first (leading zeros
    change nothing); every byte must then be a digit or the one dot, with 1 to `decimals`
    digits after it and at least one before."""
    word = _every_byte(data, "<")[stop - 8].astype(np.uint64, copy=False)  # byte 7: the last
    outside = _OUTSIDE[8 - length]
    word = (word & ~outside) | (_ZEROS & outside)
    digits = word ^ _ZEROS  # a digit byte becomes 0..9, a dot 0x1E, anything else more
    cells = digits.view(np.uint8)
    is_dot = cells == 0x1E
    if np.count_nonzero(cells > 9) != np.count_nonzero(is_dot):
        return None  # a byte that is neither a digit nor a dot
    dot = is_dot.view(np.uint64)  # 0x01 in each dot's byte
    has_dot = dot != 0
    places = np.zeros(len(word), dtype=np.int64)
    if bool(has_dot.any()):
        if bool((dot & (dot - np.uint64(1))).any()):
            return None  # two dots
        placed = ~has_dot
        for p in range(1, min(decimals, 7) + 1):
            at_p = dot == _DOT_AT[p]
            places[at_p] = p
            placed |= at_p
        if not bool(placed.all()):
            return None  # "12." or more places than decimals
        if bool((has_dot & (places >= length - 1)).any()):
            return None  # ".5": no digit before the dot
        digits ^= dot * np.uint64(0x1E)  # the dot reads as a 0 digit
    # eight digits (byte 0 the first) → their number: pairs, then fours, then all eight
    digits = (digits * np.uint64(10) + (digits >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    digits = (digits * np.uint64(100) + (digits >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    digits = (digits * np.uint64(10000) + (digits >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    raw = digits.astype(np.int64)
    if bool(has_dot.any()):  # drop the dot's 0 digit: p places below it stay as they are
        low = _POW10[places]
        raw = np.where(has_dot, raw // (low * 10) * low + raw % low, raw)
    value: IntArray = raw * _POW10[decimals - places]
    if bool((value <= 0).any()):
        return None
    return value


_NARROW = 18  # amounts of at most this many bytes: read right-aligned, below
_RIGHT_POW10 = {w: 10 ** np.arange(w - 1, -1, -1, dtype=np.int64) for w in range(1, _NARROW + 1)}


def _parse_narrow(
    fields: Fields,
    start: IntArray,
    stop: IntArray,
    length: IntArray,
    decimals: int,
    exact: Callable[[str], int],
) -> IntArray | None:
    """`_parse_chunk` for fields of at most 18 bytes (the usual case), with fewer passes.

    Fields are read right-aligned, so a column has one power of ten for every row: reading
    the dot as a 0 digit gives `raw = Σ digit × 10**column` (< 10**18, exact in int64),
    and the dot's column is then removed arithmetically."""
    buf = fields.buf
    width = int(length.max())
    windows = as_strided(buf, shape=(len(buf) - width + 1, width), strides=(1, 1))
    text = windows[stop - width]  # (rows, width): each field ends in the last column
    inside = np.arange(width) >= (width - length)[:, None]
    digit = text - np.uint8(_ZERO)  # 0..9 for a digit (uint8 wraps the rest above 9)
    is_dot = (text == _DOT) & inside
    if not bool(((digit <= 9) | is_dot | ~inside).all()):
        return None
    dots = is_dot.sum(axis=1)
    if int(dots.max()) > 1:
        return None
    has_dot = dots == 1
    places = np.where(has_dot, width - 1 - is_dot.argmax(axis=1), 0)
    if int(places.max()) > decimals:
        return None
    if bool((has_dot & ((places == 0) | (places == length - 1))).any()):
        return None  # "12." or ".5"
    kept = np.where(inside & ~is_dot, digit, np.uint8(0))
    raw = kept.astype(np.int64) @ _RIGHT_POW10[width]
    low = _POW10[places]  # the digits after the dot: below the dot's column
    whole = np.where(has_dot, raw // (low * 10) * low + raw % low, raw)
    wide = length - has_dot + decimals - places > 18  # may not fit in int64 once scaled
    value = whole * _POW10[np.where(wide, 0, decimals - places)]
    if bool(wide.any()):
        rows = np.flatnonzero(wide)
        big = [
            exact(fields.data[a:b].decode("ascii"))
            for a, b in zip(start[rows].tolist(), stop[rows].tolist(), strict=True)
        ]
        if not all(0 < x < 2**63 for x in big):
            return None
        value[rows] = big
    if bool((value <= 0).any()):
        return None
    result: IntArray = value
    return result


def format_rows(
    names: Sequence[bytes],
    debtor: IntArray,
    creditor: IntArray,
    amounts: Sequence[IntArray],
    decimals: int,
) -> bytes | None:
    """Rows `debtor,creditor,amount...` with CRLF ends as UTF-8; `names` are the members'
    fields already quoted as csv writes them; amounts >= 0 with exactly `decimals`
    places. None if a name is longer than MAX_FIELD_BYTES."""
    width = max(map(len, names), default=0)
    if width > MAX_FIELD_BYTES:
        return None
    if not len(debtor):
        return b""
    name_width = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
    matrix = np.frombuffer(b"".join(name.ljust(width, b"\0") for name in names), dtype=np.uint8)
    matrix = matrix.reshape(len(names), width)
    ids = [debtor, creditor]
    id_widths = [name_width[debtor], name_width[creditor]]
    widths = [_amount_width(values, decimals) for values in amounts]
    row_width = sum(id_widths) + sum(widths) + len(ids) + len(amounts) + 1  # commas, CRLF
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
        out[at] = _COMMA if k < len(amounts) - 1 else _CR
        at += 1
    out[at] = _LF
    return out.tobytes()


def _put_names(
    out: ByteArray, at: IntArray, matrix: ByteArray, member: IntArray, width: IntArray
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
    """Characters of each formatted amount (values >= 0): 5 → "0.05" with two places."""
    digits = np.searchsorted(_POW10, values, side="right")  # 0 for 0
    shown: IntArray = np.maximum(digits, decimals + 1)
    return shown + (1 if decimals else 0)


def _put_amounts(
    out: ByteArray, at: IntArray, values: IntArray, width: IntArray, decimals: int
) -> None:
    """Digits right to left, then the dot: as `csvio.format_amount` writes them."""
    end = at + width
    shown = width - (1 if decimals else 0)
    rest = values.copy()
    for k in range(int(shown.max())):
        digit: Any = (rest % 10).astype(np.uint8) + np.uint8(_ZERO)
        rest //= 10
        where = end - 1 - k - (1 if decimals and k >= decimals else 0)
        if k <= decimals:  # every amount shows at least decimals + 1 digits
            out[where] = digit
        else:
            inside = shown > k
            out[where[inside]] = digit[inside]
    if decimals:
        out[end - 1 - decimals] = _DOT
