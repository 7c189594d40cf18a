"""Amounts of at most 18 bytes are read right-aligned (`csvbulk._parse_narrow`): it must
give exactly what the general digit-by-digit pass gives, and refuse the same fields."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.clearing.engine import csvbulk
from solidaria.clearing.engine.csvio import _amount_parser

_AMOUNT = st.one_of(
    st.from_regex(r"[0-9]{1,12}(\.[0-9]{1,4})?", fullmatch=True),
    st.sampled_from(
        ["0", "0.00", "12.", ".5", "1.2.3", "1e3", "+1", "-1", "007.50", "999999999999999999"]
    ),
    st.sampled_from(["92233720368547758.07", "9223372036854775807", "922337203685477580.8"]),
    st.integers(1, 10**17).map(str),
)


def _fields(amounts: list[str]) -> csvbulk.Fields:
    lines = ["debtor,creditor,amount", *(f"a{i},b{i},{a}" for i, a in enumerate(amounts))]
    fields = csvbulk.split_fields(("\n".join(lines) + "\n").encode())
    assert fields is not None
    return fields


def _read(fields: csvbulk.Fields, decimals: int, narrow: int) -> list[int] | None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csvbulk, "_NARROW", narrow)
        values = csvbulk.parse_amounts(fields, decimals, _amount_parser(decimals))
    return None if values is None else values.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(_AMOUNT, min_size=1, max_size=8), st.sampled_from([0, 1, 2, 3, 4, 18]))
def test_narrow_amounts_read_like_the_general_pass(amounts, decimals):
    fields = _fields(amounts)
    assert _read(fields, decimals, narrow=18) == _read(fields, decimals, narrow=0)


def test_narrow_amounts_known_values():
    fields = _fields(["1", "12.5", "12.50", "0012.05", "0.01", "1234567.89"])
    assert _read(fields, 2, narrow=18) == [100, 1250, 1250, 1205, 1, 123456789]
    assert _read(_fields(["12.345"]), 2, narrow=18) is None
    assert _read(_fields(["5", "0"]), 2, narrow=18) is None
