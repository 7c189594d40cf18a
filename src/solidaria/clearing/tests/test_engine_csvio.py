"""Reading and writing the `solidaria clear` CSV format, exactly."""

from __future__ import annotations

import dataclasses
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.clearing.engine import ObligationTable, clear
from solidaria.clearing.engine.csvio import (
    CsvError,
    _read_bytes,
    _read_careful,
    _write,
    format_amount,
    parse_amount,
    read_obligations,
    result_csv,
    write_result,
)
from solidaria.clearing.tests.outcomes import outcome

HEADER = "debtor,creditor,amount\n"


@pytest.mark.parametrize(
    ("text", "decimals", "minor"),
    [
        ("12", 2, 1200),
        ("12.5", 2, 1250),
        ("12.50", 2, 1250),
        (" 0.01 ", 2, 1),
        ("7", 0, 7),
        ("1.234", 3, 1234),
        ("0012", 2, 1200),
        ("92233720368547758.07", 2, 2**63 - 1),
    ],
)
def test_amounts_parse_exactly(text, decimals, minor):
    assert parse_amount(text, decimals=decimals) == minor


@pytest.mark.parametrize(
    ("text", "decimals", "message"),
    [
        ("1e3", 2, "not a plain decimal"),
        ("-1", 2, "not a plain decimal"),
        ("+1", 2, "not a plain decimal"),
        ("0", 2, "not positive"),
        ("0.00", 2, "not positive"),
        ("12.345", 2, "more than 2 decimal places"),
        ("1.5", 0, "more than 0 decimal places"),
        ("1,5", 2, "not a plain decimal"),
        ("12.", 2, "not a plain decimal"),
        ("nan", 2, "not a plain decimal"),
        ("92233720368547758.08", 2, "too large"),
    ],
)
def test_bad_amounts_are_refused(text, decimals, message):
    with pytest.raises(ValueError, match=message):
        parse_amount(text, decimals=decimals)


@pytest.mark.parametrize(
    ("value", "decimals", "text"), [(1250, 2, "12.50"), (5, 2, "0.05"), (0, 2, "0.00"), (7, 0, "7")]
)
def test_amounts_format_with_fixed_places(value, decimals, text):
    assert format_amount(value, decimals=decimals) == text


def test_read_then_write_round_trip():
    # given
    source = io.StringIO(HEADER + 'a,b,12.5\nb,c,7\n\n"c, Ltd",a,3.05\n')
    # when
    table = read_obligations(source, decimals=2)
    output = result_csv(clear(table), decimals=2)
    # then
    assert table.amount.tolist() == [1250, 700, 305]
    assert output.splitlines() == [
        "debtor,creditor,amount,setoff,remaining",
        "a,b,12.50,0.00,12.50",
        "b,c,7.00,0.00,7.00",
        '"c, Ltd",a,3.05,0.00,3.05',
    ]


def test_setoff_columns_are_filled():
    table = read_obligations(io.StringIO(HEADER + "a,b,10\nb,a,4.25\n"), decimals=2)
    assert result_csv(clear(table)).splitlines()[1:] == [
        "a,b,10.00,4.25,5.75",
        "b,a,4.25,4.25,0.00",
    ]


def test_header_is_case_and_space_insensitive_and_bom_is_ignored(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("\ufeffDebtor, Creditor ,AMOUNT\nx,y,1\n", encoding="utf-8")
    assert read_obligations(path).members == ("x", "y")


@pytest.mark.parametrize(
    ("body", "line", "field", "message"),
    [
        ("a,b,1e3\n", 3, "amount", "not a plain decimal"),
        ("a,b,-1\n", 3, "amount", "not a plain decimal"),
        ("a,b,0\n", 3, "amount", "not positive"),
        ("a,b,12.345\n", 3, "amount", "more than 2 decimal places"),
        ("a,a,1\n", 3, "creditor", "cannot owe itself"),
        (" ,b,1\n", 3, "debtor", "missing"),
        ("a,,1\n", 3, "creditor", "missing"),
        ("a,b,\n", 3, "amount", "missing"),
        ("a,b\n", 3, "", "expected 3 fields, found 2"),
        ("a,b,1,2\n", 3, "", "expected 3 fields, found 4"),
        ('a,"b,1\n', 3, "", "malformed CSV"),
        ("\n\na,b,x\n", 5, "amount", "not a plain decimal"),
    ],
)
def test_bad_rows_name_line_and_field(body, line, field, message):
    # given a good first row, then the bad one
    source = io.StringIO(HEADER + "x,y,1\n" + body)
    # when / then
    with pytest.raises(CsvError, match=message) as caught:
        read_obligations(source, decimals=2)
    assert (caught.value.line, caught.value.field) == (line, field)
    assert str(caught.value).startswith(f"line {line}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("from,to,amount\na,b,1\n", "expected the header"),
        ("debtor,creditor\na,b\n", "expected the header"),
    ],
)
def test_bad_header_is_refused_at_line_1(text, message):
    with pytest.raises(CsvError, match=message) as caught:
        read_obligations(io.StringIO(text))
    assert caught.value.line == 1


def test_header_only_gives_no_obligations():
    assert len(read_obligations(io.StringIO(HEADER))) == 0


def test_total_beyond_int64_is_refused():
    body = "a,b,92233720368547758.07\nb,a,92233720368547758.07\n"
    with pytest.raises(CsvError, match="too large"):
        read_obligations(io.StringIO(HEADER + body))


def test_fast_and_careful_readers_agree():
    # given a clean file (the fast pass takes it) and the same text read line by line
    from solidaria.clearing.engine.csvio import _read_careful, _read_fast

    text = HEADER + "b,a,1\na,c,2.5\nc,b,0012.05\n a , b ,3\n"
    # when
    fast = _read_fast(text, 2)
    careful = _read_careful(io.StringIO(text), 2)
    # then
    assert fast is not None
    assert fast.members == careful.members == ("a", "b", "c")
    assert fast.debtor.tolist() == careful.debtor.tolist() == [1, 0, 2, 0]
    assert fast.amount.tolist() == careful.amount.tolist() == [100, 250, 1205, 300]


def test_quoted_fields_and_crlf_read_like_plain_ones():
    plain = read_obligations(io.StringIO(HEADER + "a,b,1\nb,c,2\n"))
    quoted = read_obligations(io.StringIO('debtor,creditor,amount\r\n"a",b,1\r\nb,"c",2\r\n'))
    assert quoted.members == plain.members == ("a", "b", "c")
    assert quoted.amount.tolist() == plain.amount.tolist() == [100, 200]
    assert quoted.creditor.tolist() == plain.creditor.tolist() == [1, 2]


# --- the byte pass (csvbulk) must agree exactly with the careful, line-by-line pass ---

_IDS = ["a", "b", "M0001", "Coop Ltd", "Niño", "x" * 9, "y" * 20, "z" * 70, "7", "07"]
_BAD_IDS = ["", " a", "b ", "\u00a0c", 'q"uote', "c,omma"]
_AMOUNTS = ["1", "12.5", "12.50", "0012.05", "9", "1234567.89", "0.01", "100000000000000000"]
_BAD_AMOUNTS = ["0", "0.00", "-1", "+1", "1e3", "12.", ".5", "1.2.3", "12.345", " 5", "x", ""]
_WIDE = ["0000000000000000000001", "92233720368547758.07", "92233720368547758.08"]


# any text a plain (unquoted) CSV field can hold: control characters, odd spaces, accents
_FREE_ID = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters=',"\r\n\x00'),
    min_size=1,
    max_size=10,
)


def _cell(draw, good, bad, rare):
    pool = st.sampled_from(good)
    if good is _IDS and draw(st.integers(0, 5)) == 0:
        pool = _FREE_ID
    if rare:
        pool = st.one_of(pool, st.sampled_from(bad)) if draw(st.booleans()) else pool
    return draw(pool)


@st.composite
def csv_texts(draw):
    """CSV text that is mostly well formed, with a few rows broken in some way."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [draw(st.sampled_from(["debtor,creditor,amount", "Debtor, CREDITOR ,amount"]))]
    for _ in range(draw(st.integers(0, 12))):
        rare = draw(st.integers(0, 9)) == 0
        kind = draw(st.integers(0, 40)) if rare else 0
        if kind == 1:
            lines.append(draw(st.sampled_from(["", "  ", "a,b", "a,b,1,2", '"a",b,1', "a,b,1\r"])))
            continue
        debtor = _cell(draw, _IDS, _BAD_IDS, rare)
        creditor = _cell(draw, _IDS, _BAD_IDS, rare)
        amount = _cell(draw, _AMOUNTS, _BAD_AMOUNTS + _WIDE, rare)
        lines.append(f"{debtor},{creditor},{amount}")
    ending = draw(st.sampled_from(["", newline, newline * 2]))
    return draw(st.sampled_from(["", newline])) + newline.join(lines) + ending


@settings(max_examples=300, deadline=None)
@given(text=csv_texts(), decimals=st.sampled_from([0, 2, 3, 18]))
def test_byte_pass_agrees_with_careful_pass(text, decimals):
    # given the careful pass's verdict on the text
    careful = outcome(lambda: _read_careful(io.StringIO(text, newline=""), decimals))
    # when the byte pass reads the same text
    fast = _read_bytes(text.encode("utf-8"), decimals)
    # then it gives the same table, or steps aside (None) for the careful pass
    if fast is not None:
        assert outcome(lambda: fast) == careful
    assert outcome(lambda: read_obligations(io.StringIO(text), decimals=decimals)) == careful


@settings(max_examples=50, deadline=None)
@given(text=csv_texts())
def test_reading_a_file_agrees_with_reading_text(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("csv") / "o.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    from_file = outcome(lambda: read_obligations(path))
    assert from_file == outcome(lambda: read_obligations(io.StringIO(text)))


def test_byte_pass_takes_the_common_cases():
    # given clean files: LF or CRLF, blank lines, long and non-ASCII ids, wide amounts
    texts = [
        HEADER + "b,a,1\na,c,2.5\n",
        "\r\n" + HEADER.replace("\n", "\r\n") + "b,a,1\r\n\r\na,c,2.5",
        HEADER + "Niño y Cía,Cooperativa del Sur,3\nCooperativa del Sur,a,1",
    ]
    for text in texts:
        assert _read_bytes(text.encode("utf-8"), 2) is not None
    wide = _read_bytes((HEADER + "a,b,0000000000000000000001.5\n").encode(), 2)
    assert wide is not None and wide.amount.tolist() == [150]
    assert _read_bytes((HEADER + "a,b,4.000000000000000001\n").encode(), 18).amount.tolist() == [
        4 * 10**18 + 1
    ]


@pytest.mark.parametrize(
    "text",
    [
        HEADER + '"a",b,1\n',  # quotes
        HEADER + "a,b,1\rc,d,1\n",  # a lone CR
        HEADER + " a,b,1\n",  # an id to strip
        HEADER + "a,b,1\n  \n",  # a line of spaces
        HEADER + "a,b,92233720368547758.08\n",  # beyond int64
        HEADER + "a,a,1\n",
        HEADER + "z" * 65 + ",b,1\n",  # longer than the byte pass reads
    ],
)
def test_byte_pass_steps_aside_for_the_careful_pass(text):
    assert _read_bytes(text.encode("utf-8"), 2) is None


_ANY_ID = st.one_of(
    st.sampled_from(_IDS + ['q"uote', "c,omma", "new\nline", "cr\r", " pad ", ""]),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.integers(-5, 10**6),
)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(_ANY_ID, _ANY_ID, st.integers(0, 2**62 // 16)).filter(lambda r: r[0] != r[1]),
        max_size=15,
    ),
    decimals=st.integers(0, 18),
    setoff_part=st.integers(0, 7),
)
def test_byte_writer_agrees_with_csv_writer(rows, decimals, setoff_part):
    # given a result with arbitrary ids (quotes, commas, newlines, ints) and amounts
    table = ObligationTable.from_obligations(rows)
    result = clear(table)
    result = dataclasses.replace(result, setoff=table.amount * setoff_part // 7)
    # when written by the byte writer and by the csv module
    expected = io.StringIO()
    _write(result, expected, decimals)
    # then the text is the same, byte for byte
    assert result_csv(result, decimals=decimals) == expected.getvalue()


def test_writing_to_a_path_matches_writing_text(tmp_path):
    table = read_obligations(io.StringIO(HEADER + "Niño,b,12.5\nb,Niño,7\n"))
    result = clear(table)
    path = tmp_path / "out.csv"
    write_result(result, path)
    assert path.read_bytes().decode("utf-8") == result_csv(result)
    assert path.read_bytes().splitlines()[1] == "Niño,b,12.50,7.00,5.50".encode()


def test_very_long_ids_are_written_by_the_csv_module():
    long_id = "L" * 100
    result = clear([(long_id, "b", 5), ("b", long_id, 3)])
    assert result_csv(result, decimals=2).splitlines()[1] == f"{long_id},b,0.05,0.03,0.02"
