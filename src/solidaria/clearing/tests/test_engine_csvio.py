"""Reading and writing the `solidaria clear` CSV format, exactly."""

from __future__ import annotations

import io

import pytest

from solidaria.clearing.engine import clear
from solidaria.clearing.engine.csvio import (
    CsvError,
    format_amount,
    parse_amount,
    read_obligations,
    result_csv,
)

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
