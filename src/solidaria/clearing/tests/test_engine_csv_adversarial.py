"""The fast ways through a `solidaria clear` CSV (the one-pass cut, 8-byte ids interned by a
packed sort, amounts read eight digits at a time, the text passes) agree with the careful
line-by-line reader on hostile files: ids that share their first 8 bytes, non-ASCII and
space-edged ids, NULs, signs, exponents, 0 to 11 places, amounts at the int64 edge, quoted
fields, mixed line ends, a byte-order mark, no final line end. Each gives the careful
reader's table, or steps aside so that its error (line, field, message) is reported."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.clearing.engine import csvbulk
from solidaria.clearing.engine.csvio import (
    CsvError,
    _amount_parser,
    _read_bytes,
    _read_careful,
    _read_fast,
    read_obligations,
)
from solidaria.clearing.tests.outcomes import outcome

_SHORT_ID = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True),
    # one word when packed; leading zeros are part of the id
    st.sampled_from(["abcdefg", "abcdefgh", "abcdefgi", "m0000001", "7", "07", "007", "0007"]),
    st.sampled_from(["00000007", "Niño", "日本x", "a b"]),
)
_PLAIN_ID = st.one_of(
    _SHORT_ID,
    st.from_regex(r"[A-Za-z0-9_-]{9,20}", fullmatch=True),
    st.sampled_from(["abcdefghi", "abcdefgh1", "000000007", "日本語x", "Niño Niño"]),
)
_ODD_ID = st.sampled_from(
    # bytes >= 0x80 at an edge, non-ASCII spaces that str.strip() removes
    ["é", "aé", "éa", "日本語", "a\u00a0", "\u00a0a", "a\u2003", "a\u0085", "\u3000", "ü" * 5]
    # control bytes, spaces, tabs and NULs at the edges or inside
    + ["a\x7f", "\x7fa", "\x01a", "a\x1f", "\x1ca", "a ", " a", "a\t", "\x0ba", "a\x0c"]
    + ["a\x00", "\x00a", "a\x00b", "  ", "", "x" * 64, "y" * 65, "z" * 201]
    # quotes, commas and line ends (quoted when written)
    + ['a"b', "a,b", "a\nb", "a\rb"]
)
_SHORT_AMOUNT = st.from_regex(r"[0-9]{1,5}(\.[0-9]{1,2})?", fullmatch=True)
_PLAIN_AMOUNT = st.one_of(
    _SHORT_AMOUNT,
    st.from_regex(r"[0-9]{1,8}(\.[0-9]{1,10})?", fullmatch=True),
    st.from_regex(r"[0-9]{9,19}(\.[0-9]{1,4})?", fullmatch=True),
)
_ODD_AMOUNT = st.sampled_from(
    ["0", "0.0", "00000000", "000000001", ".5", "5.", ".", "1..2", "1.2.3", "-1", "+1", "-0"]
    + ["+0.5", "- 1", "1e3", "1E3", "1.5e2", "1e-2", "0x10", " 1", "1 ", "\t1", "1\t", ""]
    + ["  ", "١٢", "²", "1_000", "1,5", "1\x00", "12.3456789", "1.00000000001", "0.0000000001"]
    # the int64 edge, with and without places
    + ["9223372036854775807", "9223372036854775808", "4611686018427387904", "99999999"]
    + ["922337203685477580.7", "92233720368547758.07", "92233720368547758.08", "9.9999999"]
    + ["9223372036.854775807", "0.000000001", "9999999.9", "1" + "0" * 39, "1" + "0" * 40]
    + ["0" * 39 + "1", "0" * 40 + "1"]
)

# odd amounts of at most 8 bytes: the eight-digits-at-a-time path sees them
_SHORT_ODD_AMOUNT = [
    *[".5", "5.", ".", "1..2", "1.2.3", "-1", "+1", "-0", "1e3", " 1", "1 ", "0", "0.0"],
    *["00000000", "0.000000", "1/2", "9:", "١٢", "²", "1_000", "12.345", "9.9999999"],
    *["0000001", "00000001", ".0000001", "1234567.", "1.234567", "1\t", "\x7f1", "1\xa0"],
]

_HEADERS = [
    "debtor,creditor,amount",
    "Debtor,CREDITOR,Amount",
    " debtor , creditor ,amount ",
    "debtor,creditor",
    "debtor,creditor,amount,extra",
    '"debtor",creditor,amount',
    "\ufeffdebtor,creditor,amount",  # a second byte-order mark: not the header
]


def _cell(text: str, *, quoted: bool, by_hand: bool) -> str:
    if quoted or (not by_hand and any(c in text for c in ',"\r\n')):
        return '"' + text.replace('"', '""') + '"'
    return text


_SOMETIMES = st.sampled_from([False, False, False, True])


@st.composite
def files(draw: st.DrawFn) -> bytes:
    """A file as a person or a spreadsheet might save it: plain rows, a few odd cells (an
    odd id or amount, a quoted cell, a missing or extra field, a blank line), odd line ends."""
    header = draw(st.sampled_from(_HEADERS[:3]) | st.sampled_from(_HEADERS))
    short = draw(st.booleans())  # ids and amounts of at most 8 bytes: the short paths
    ids, amounts = (_SHORT_ID, _SHORT_AMOUNT) if short else (_PLAIN_ID, _PLAIN_AMOUNT)
    rows = draw(st.lists(st.tuples(ids, ids, amounts), max_size=12))
    odd = draw(st.integers(0, 3)) if rows else 0
    for _ in range(odd):
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.sampled_from([0, 1, 2, 2]))
        odd_amount = st.sampled_from(_SHORT_ODD_AMOUNT) if short else _ODD_AMOUNT
        cell = draw(odd_amount if column == 2 else _ODD_ID)
        rows[row] = (*rows[row][:column], cell, *rows[row][column + 1 :])
    quoted, broken = set(), set()
    if rows and draw(_SOMETIMES):
        quoted = draw(st.sets(st.integers(0, 3 * len(rows) - 1), min_size=1, max_size=2))
    if rows and draw(_SOMETIMES):
        broken = draw(st.sets(st.integers(0, 2 * len(rows) - 1), min_size=1, max_size=1))
    by_hand = draw(st.booleans())  # commas, quotes and line ends in a cell left as they are
    lines = [header]
    for i, row in enumerate(rows):
        cells = [
            _cell(text, quoted=3 * i + k in quoted, by_hand=by_hand) for k, text in enumerate(row)
        ]
        if i in broken:
            cells = draw(st.sampled_from([cells[:2], [*cells, "1"], []]))
        lines.append(",".join(cells))
        if i + len(rows) in broken:
            lines.append(draw(st.sampled_from(["", "  ", ",,"])))  # a blank-ish line
    ends = draw(st.sampled_from(["\n", "\r\n", "\r\n", "mixed"]))
    end = st.sampled_from(["\n", "\r\n", "\r"] if ends == "mixed" else [ends])
    text = "".join(line + draw(end) for line in lines[:-1]) + lines[-1]
    text += draw(st.sampled_from(["", "\n", "\r\n", "\r", "\n\n"]))
    text = draw(st.sampled_from(["", "", "\n", "\r\n"])) + text  # blank lines first
    data = text.encode("utf-8")
    return draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf"])) + data


_DECIMALS = st.sampled_from([0, 1, 2, 2, 2, 3, 4, 6, 8, 10, 11, 18])


def _assert_agree(data: bytes, decimals: int) -> None:
    body = data.removeprefix(b"\xef\xbb\xbf")
    text = body.decode("utf-8")
    careful = outcome(lambda: _read_careful(io.StringIO(text, newline=""), decimals))
    # every route through read_obligations ends as the careful reader does
    assert outcome(lambda: read_obligations(data, decimals=decimals)) == careful
    assert outcome(lambda: read_obligations(io.StringIO(text), decimals=decimals)) == careful
    # each fast pass gives the careful table, or None (never a table the careful pass refuses)
    for fast in (_read_bytes(body, decimals), _read_fast(text, decimals)):
        if fast is not None:
            assert outcome(lambda fast=fast: fast) == careful


@settings(max_examples=1500, deadline=None)
@given(files(), _DECIMALS)
def test_hostile_files_read_as_the_careful_reader_reads_them(data, decimals):
    _assert_agree(data, decimals)


@settings(max_examples=300, deadline=None)
@given(files(), _DECIMALS)
def test_hostile_files_read_the_same_from_a_path(tmp_path_factory, data, decimals):
    path = tmp_path_factory.mktemp("csv") / "obligations.csv"
    path.write_bytes(data)
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    careful = outcome(lambda: _read_careful(io.StringIO(text, newline=""), decimals))
    assert outcome(lambda: read_obligations(path, decimals=decimals)) == careful


# the packed sort of short ids: rows around the point where the field numbers no longer
# fit next to the id in one word (7-byte ids: 256 fields; 1-byte ids: 2**56)

_POOL = ["abcdefg", "abcdefh", "abcdef", "abcdefgh", "a", "b", "Zz", "aéb", "a日b", "0", "00"]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 8),
    st.integers(100, 160),
    st.randoms(use_true_random=False),
    st.sampled_from(["\n", "\r\n"]),
)
def test_short_ids_around_the_packing_limit_read_as_the_careful_reader(width, rows, rng, newline):
    pool = [p for p in _POOL if len(p.encode()) <= width] or ["a", "b"]
    pool = sorted({*pool, *(f"{i:0{width}d}" for i in range(3))})
    lines = ["debtor,creditor,amount"]
    for _ in range(rows):
        debtor, creditor = rng.sample(pool, 2)
        amount = rng.choice(["1", "0.5", "12345678", "00000001", "9.99", "234567.8"])
        lines.append(f"{debtor},{creditor},{amount}")
    data = newline.join(lines).encode()
    fields = csvbulk.split_fields(data)
    assert fields is not None
    interned = csvbulk.intern_ids(fields)
    assert interned is not None
    _assert_agree(data, 2)
    table = _read_bytes(data, 2)
    assert table is not None  # the byte pass took it, and it agreed above


# the short paths against the general ones, field by field


def _general_amounts(fields: csvbulk.Fields, decimals: int) -> list[int] | None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csvbulk, "_SHORT_DECIMALS", -1)
        values = csvbulk.parse_amounts(fields, decimals, _amount_parser(decimals))
    return None if values is None else values.tolist()


@settings(max_examples=1000, deadline=None)
@given(files(), _DECIMALS)
def test_every_short_path_gives_what_its_general_path_gives(data, decimals):
    _check_every_short_path(data, decimals)


def _check_every_short_path(data: bytes, decimals: int) -> None:
    body = data.removeprefix(b"\xef\xbb\xbf")
    stripped = body.lstrip(b"\r\n")
    if b'"' in body or b"\x00" in body:
        assert csvbulk.split_fields(body) is None
        return
    one_pass = csvbulk._split_unbroken(stripped)
    general = csvbulk._split_with_blank_lines(stripped)
    if one_pass is not None:  # the one-pass cut finds what the general cut finds
        assert general is not None
        assert one_pass.header == general.header
        for name in ("id_start", "id_stop", "amount_start", "amount_stop"):
            assert getattr(one_pass, name).tolist() == getattr(general, name).tolist()
    fields = csvbulk.split_fields(body)
    if fields is None:
        return
    values = csvbulk.parse_amounts(fields, decimals, _amount_parser(decimals))
    assert (None if values is None else values.tolist()) == _general_amounts(fields, decimals)
    interned = csvbulk.intern_ids(fields)
    if interned is not None:  # the distinct ids in str order, each field's place among them
        ids = [
            fields.data[a:b].decode("utf-8")
            for a, b in zip(fields.id_start.tolist(), fields.id_stop.tolist(), strict=True)
        ]
        names, codes = interned
        assert all(name == name.strip() for name in ids)
        assert names == tuple(sorted(set(ids)))
        assert [names[i] for i in codes.tolist()] == ids


@pytest.mark.parametrize("decimals", [0, 1, 2, 6, 10])
@pytest.mark.parametrize("amount", _SHORT_ODD_AMOUNT)
def test_each_odd_short_amount_reads_as_the_careful_reader(amount, decimals):
    data = f"debtor,creditor,amount\r\na,b,1\r\nb,c,{amount}\r\nc,a,7.5\r\n".encode()
    _assert_agree(data, decimals)
    _check_every_short_path(data, decimals)


@pytest.mark.parametrize("member", ["é", "aé", "éa", "a\u00a0", "a\u2003", "a ", " a", "a\t"])
@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_each_odd_short_id_reads_as_the_careful_reader(member, end):
    data = end.join(["debtor,creditor,amount", f"{member},b,1", "b,c,2", "c,a,3"]).encode()
    _assert_agree(data, 2)
    _check_every_short_path(data, 2)


@pytest.mark.parametrize(
    "data",
    [
        b"debtor,creditor,amount\na\rb,c,1\n",  # a CR ends a line inside an id
        b"debtor,creditor,amount\na,b\rc,1\n",
        b"debtor,creditor,amount\na,b,1\r2\n",
        b"debtor,creditor,amount\r\na,b,1\r\r\nb,c,2\r\n",  # a blank line of one CR
        b"debtor,creditor,amount\r\na,b,1\r\nb,c,2\r\r",
        b"debtor,creditor,amount\ra,b,1\rb,c,2\r",  # old Mac line ends
        b"debtor,creditor,amount\n\ra,b,1\n",
    ],
)
def test_lone_carriage_returns_read_as_the_careful_reader(data):
    _assert_agree(data, 2)
    _check_every_short_path(data, 2)


@pytest.mark.parametrize(
    ("data", "line", "field", "message"),
    [
        (b"debtor,creditor,amount\r\na,b,1\r\nb,c,-1", 3, "amount", "not a plain decimal"),
        (b"debtor,creditor,amount\na,b,+1\n", 2, "amount", "not a plain decimal"),
        (b"debtor,creditor,amount\na,b,1e3", 2, "amount", "not a plain decimal"),
        (b"debtor,creditor,amount\na,b,1\nb,c,\n", 3, "amount", "missing"),
        (b"debtor,creditor,amount\na,,1\n", 2, "creditor", "missing"),
        (b"debtor,creditor,amount\na,b,9223372036854775808\n", 2, "amount", "too large"),
        (b"debtor,creditor,amount\na,b,1.00000000001\n", 2, "amount", "more than 10"),
        (b"debtor,creditor,amount\n\xc2\xa0a,a,1\n", 2, "creditor", "cannot owe itself"),
        (b"debtor,creditor,amount\na\x00,b,1\n", 2, "", ""),  # a NUL is part of the id
    ],
)
def test_known_hostile_rows(data, line, field, message):
    decimals = 10 if b"00000000001" in data else 2
    if not message:
        assert read_obligations(data, decimals=decimals).members == ("a\x00", "b")
        return
    with pytest.raises(CsvError, match=message) as caught:
        read_obligations(b"\xef\xbb\xbf" + data, decimals=decimals)
    assert (caught.value.line, caught.value.field) == (line, field)
