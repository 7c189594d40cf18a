"""The byte pass's short-field paths (`csvbulk`): files without blank lines are cut in one
pass, ids of at most 8 bytes are interned as single words, amounts of at most 8 bytes
are read eight digits at a time. Each must give exactly what the general path gives (or
step aside with None), and a file read through them still reports every error with its
line and field."""

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
    read_obligations,
)
from solidaria.clearing.tests.outcomes import outcome

HEADER = "debtor,creditor,amount"

# short amounts, good and bad; "/" and ":" sit next to "." and "9" in ASCII
_SHORT_AMOUNT = st.one_of(
    st.from_regex(r"[0-9]{1,8}", fullmatch=True),
    st.from_regex(r"[0-9]{1,6}\.[0-9]{1,6}", fullmatch=True).filter(lambda a: len(a) <= 8),
    st.sampled_from(
        ["0", "0.00", "00000000", "12.", ".5", ".", "1.2.3", "1e3", "+1", "-1", "1/2", "9:"]
        + ["007.50", "99999999", "9999999.9", "1.0000001", "1 ", " 1", "1..", "١٢", "½"]
    ),
)


def _fields(amounts: list[str]) -> csvbulk.Fields:
    lines = [HEADER, *(f"a{i},b{i},{a}" for i, a in enumerate(amounts))]
    fields = csvbulk.split_fields(("\n".join(lines) + "\n").encode())
    assert fields is not None
    return fields


def _amounts(fields: csvbulk.Fields, decimals: int, *, short: bool) -> list[int] | None:
    with pytest.MonkeyPatch.context() as patch:
        if not short:
            patch.setattr(csvbulk, "_SHORT_DECIMALS", -1)
        values = csvbulk.parse_amounts(fields, decimals, _amount_parser(decimals))
    return None if values is None else values.tolist()


@settings(max_examples=400, deadline=None)
@given(st.lists(_SHORT_AMOUNT, min_size=1, max_size=8), st.integers(0, 10))
def test_short_amounts_read_like_the_general_pass(amounts, decimals):
    fields = _fields(amounts)
    assert _amounts(fields, decimals, short=True) == _amounts(fields, decimals, short=False)


def test_short_amounts_known_values():
    # given amounts of 1 to 8 bytes, with 0 to 2 places
    fields = _fields(["1", "12.5", "12.50", "0012.05", "0.01", "99999.99", "12345678"])
    # then each is exact in minor units
    expected = [100, 1250, 1250, 1205, 1, 9999999, 1234567800]
    assert _amounts(fields, 2, short=True) == expected
    for bad in (["12.345"], ["5", "0"], ["1.2.3"], ["12."], [".5"], ["1/2"], ["+1"]):
        assert _amounts(_fields(bad), 2, short=True) is None
    # ten decimals: the widest scale the short path takes, still exact
    assert _amounts(_fields(["99999999", "9.9"]), 10, short=True) == [
        99999999 * 10**10,
        99 * 10**9,
    ]


# ids of 1 to 8 UTF-8 bytes, with odd bytes at their edges now and then
_SHORT_ID = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True),
    st.sampled_from(["Niño", "ü", "日本", "a b", "\x01a", "a\x7f", "z" * 8, "z" * 7, "Z"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_SHORT_ID, _SHORT_ID), min_size=1, max_size=40))
def test_short_ids_intern_in_str_order(pairs):
    # given rows whose ids have at most 8 bytes
    pairs = [(d, c) for d, c in pairs if d != c] or [("a", "b")]
    text = "\n".join([HEADER, *(f"{d},{c},1" for d, c in pairs)]) + "\n"
    fields = csvbulk.split_fields(text.encode())
    assert fields is not None
    # when interned
    interned = csvbulk.intern_ids(fields)
    # then: the distinct ids in str order, and each field's place among them, unless an id
    # starts or ends with a byte str.strip() might remove (the careful pass decides)
    ids = [d for d, _ in pairs] + [c for _, c in pairs]
    edges = {b for i in ids for b in (i.encode()[0], i.encode()[-1])}
    assert (interned is None) == any(csvbulk._EDGE[b] for b in edges)
    if interned is None:
        return
    names, codes = interned
    assert names == tuple(sorted(set(ids)))
    assert [names[i] for i in codes.tolist()] == ids


def test_short_ids_with_many_rows_sort_without_packing():
    # 8-byte ids and 2**10 rows: 64 + 11 bits do not fit one word, the argsort path runs
    ids = [f"m{i % 300:07d}" for i in range(1024)]
    text = "\n".join([HEADER, *(f"{ids[i]},x{i % 7},1" for i in range(1024))]) + "\n"
    fields = csvbulk.split_fields(text.encode())
    assert fields is not None
    names, codes = csvbulk.intern_ids(fields) or ((), None)
    assert codes is not None
    every = ids + [f"x{i % 7}" for i in range(1024)]
    assert names == tuple(sorted(set(every)))
    assert [names[i] for i in codes.tolist()] == every


@pytest.mark.parametrize(
    "text",
    [
        "debtor,creditor,amount\na,b,1\nb,c,2\n",
        "debtor,creditor,amount\r\na,b,1\r\nb,c,2\r\n",
        "debtor,creditor,amount\r\na,b,1\nb,c,2",  # mixed ends, no final line end
        "debtor,creditor,amount\na,b,1\nb,c,2\r",  # a last CR ends the last line
        "\r\n\ndebtor,creditor,amount\na,b,1\n",  # blank lines before the header
    ],
)
def test_files_without_blank_lines_are_cut_in_one_pass(text):
    data = text.encode().lstrip(b"\r\n")
    one_pass = csvbulk._split_unbroken(data)
    general = csvbulk._split_with_blank_lines(data)
    assert one_pass is not None and general is not None
    assert one_pass.header == general.header == b"debtor,creditor,amount"
    for name in ("id_start", "id_stop", "amount_start", "amount_stop"):
        assert getattr(one_pass, name).tolist() == getattr(general, name).tolist()


@pytest.mark.parametrize(
    "text",
    [
        "debtor,creditor,amount\na,b,1\n\nb,c,2\n",  # a blank line
        "debtor,creditor,amount\r\na,b,1\r\n\r\nb,c,2\r\n",
        "debtor,creditor,amount\na,b,1\n\n",  # a blank line at the end
        "debtor,creditor,amount\na,b,1\rb,c,2\n",  # a lone CR
        "debtor,creditor,amount\na\r,b,1\n",  # a CR inside a line
        "debtor,creditor,amount\na,b\nc,d,1,2\n",  # field counts that add up to 3 a line
    ],
)
def test_the_one_pass_cut_steps_aside(text):
    assert csvbulk._split_unbroken(text.encode()) is None


# whole files through the byte pass: the same table as the careful pass, or its error


@st.composite
def short_files(draw):
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    rows = draw(st.lists(st.tuples(_SHORT_ID, _SHORT_ID, _SHORT_AMOUNT), min_size=0, max_size=15))
    lines = [HEADER, *(f"{d},{c},{a}" for d, c, a in rows)]
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


@settings(max_examples=300, deadline=None)
@given(short_files(), st.integers(0, 10))
def test_short_files_read_like_the_careful_pass(text, decimals):
    careful = outcome(lambda: _read_careful(io.StringIO(text, newline=""), decimals))
    fast = _read_bytes(text.encode("utf-8"), decimals)
    if fast is not None:
        assert outcome(lambda: fast) == careful
    assert outcome(lambda: read_obligations(io.StringIO(text), decimals=decimals)) == careful


@pytest.mark.parametrize(
    ("rows", "decimals", "line", "field", "message"),
    [
        (["a,b,1.5", "b,c,2.25", "c,a,3.125"], 2, 4, "amount", "more than 2 decimal places"),
        (["a,b,1.5", "b,c,2.25", "c,a,3.125"], 3, 0, "", ""),  # fine with three places
        (["a,b,1", "b,c,0.00"], 2, 3, "amount", "not positive"),
        (["a,b,1", "b,b,1"], 2, 3, "creditor", "cannot owe itself"),
        (["a,b,1", "b,c,1,2"], 2, 3, "", "expected 3 fields, found 4"),
        (["a,b,1", 'b,"c,1'], 2, 3, "", "malformed CSV"),
        (["a,b,1", "", "b,c,x"], 2, 4, "amount", "not a plain decimal"),
    ],
)
def test_errors_in_a_file_with_bom_and_crlf_name_line_and_field(
    tmp_path, rows, decimals, line, field, message
):
    # given a file as a spreadsheet saves it: byte-order mark, CRLF line ends
    path = tmp_path / "obligations.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([HEADER, *rows, ""]).encode())
    # when read / then the error names the line (as an editor counts) and the field
    if not message:
        assert read_obligations(path, decimals=decimals).amount.tolist() == [1500, 2250, 3125]
        return
    with pytest.raises(CsvError, match=message) as caught:
        read_obligations(path, decimals=decimals)
    assert (caught.value.line, caught.value.field) == (line, field)


def test_quoted_fields_in_a_crlf_file_read_like_plain_ones(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_bytes(b'\xef\xbb\xbfdebtor,creditor,amount\r\n"a",b,1.5\r\nb,"c, Ltd",2\r\n')
    table = read_obligations(path)
    assert table.members == ("a", "b", "c, Ltd")
    assert table.amount.tolist() == [150, 200]


def test_the_files_bytes_read_like_the_file(tmp_path):
    # given a file's bytes (what `solidaria clear` has read once already)
    data = b"\xef\xbb\xbfdebtor,creditor,amount\r\nNi\xc3\xb1o,b,1.5\r\nb,c,2\r\n"
    path = tmp_path / "o.csv"
    path.write_bytes(data)
    # then reading them gives what reading the path gives, errors included
    from_bytes, from_path = read_obligations(data), read_obligations(path)
    assert from_bytes.members == from_path.members == ("Niño", "b", "c")
    assert from_bytes.amount.tolist() == from_path.amount.tolist() == [150, 200]
    with pytest.raises(CsvError, match="line 2, field amount"):
        read_obligations(b"debtor,creditor,amount\na,b,1e3\n")
