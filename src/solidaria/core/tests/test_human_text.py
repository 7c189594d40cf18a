"""No raw internals where people look: the checker every app's page test uses, and the
display filters that round exact values for display only."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from solidaria.core.templatetags.human import display_decimal, display_percent

# What leaks when a page prints engine data as it is stored.
RAW_PATTERNS = {
    "python dict": re.compile(r"\{'|'\s*:\s"),
    "snake_case key": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "fraction": re.compile(r"(?<![\d/])\d+/\d+(?![\d/])"),
    "python literal": re.compile(r"\b(?:True|False|None)\b"),
    "engine code": re.compile(r"\b[a-z]+/[a-z0-9-]+\b|\bmcf-\d\b"),
}

_HIDDEN = re.compile(
    r"<(details|script|style|textarea|select|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)


def visible_text(page: str) -> str:
    """What a person reads: no tags, attributes, form values or collapsed details parts."""
    text = _HIDDEN.sub(" ", page)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"https?://\S+", " ", text)  # an address shown to be shared is meant
    return " ".join(html.unescape(text).split())


def raw_bits(page: str) -> list[str]:
    """Every raw pattern in the visible text, with some context, for the failure message."""
    text = visible_text(page)
    found = []
    for name, pattern in RAW_PATTERNS.items():
        for m in pattern.finditer(text):
            found.append(f"{name}: …{text[max(0, m.start() - 40) : m.end() + 40]}…")
    return found


_LINK = re.compile(r'href="(/[^"#?]*)"')
_FILES = re.compile(r"csv|pdf|\.pb|pabulib|export|download|logout|/file/|/notice/\d+/\w+")


def pages_under(
    client: Any, start: str, prefix: str, *, limit: int = 60, skip: tuple[str, ...] = ()
) -> Iterator[tuple[str, str]]:
    """(url, html) of every page reachable by links from `start` whose path starts with
    `prefix`, breadth first, downloads and `skip`ped paths left out; each must answer 200."""
    queue, seen = [start], set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen or url in skip:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        if "text/html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode()
        yield url, page
        queue += [u for u in _LINK.findall(page) if u.startswith(prefix) and not _FILES.search(u)]


def test_raw_bits_finds_dicts_keys_fractions_and_literals() -> None:
    # given a page that prints stored data as it is
    page = (
        "<p>ana: {'vote': 'yes'}</p><dl><dt>tie_rule</dt><dd>fails</dd></dl>"
        "<p>quorum 9/2, abstentions True</p><p>Engine mcf-1, rule equalshares/add1</p>"
    )
    # when it is checked
    found = " ".join(raw_bits(page))
    # then every leak is named
    for name in ("python dict", "snake_case key", "fraction", "python literal", "engine code"):
        assert name in found, name


def test_raw_bits_ignores_details_attributes_dates_and_form_values() -> None:
    # given raw codes only in a details part, attributes, a select and a date
    page = (
        '<details><summary>Details</summary>{"tie_rule": "fails"} 9/2</details>'
        '<a href="/a_b/1/2" data-x="None">Opened 12/03/2026</a>'
        '<select name="x_y"><option value="a_b">True</option></select>'
    )
    # when it is checked, then nothing is found
    assert raw_bits(page) == []


def test_decimals_are_rounded_for_display_only() -> None:
    # given exact values, when shown, then rounded half up with no trailing zeros
    assert display_decimal(Fraction(9, 2)) == "4.5"
    assert display_decimal("4.00000", 5) == "4"
    assert display_decimal(Fraction(7144300625861, 15844050), 4) == "450913.7895"
    assert display_decimal("1/3") == "0.33"
    assert display_decimal(None) == ""


def test_percentages_keep_their_places_when_rounded() -> None:
    # given shares, when shown, then exact ones are short and rounded ones keep two places
    assert display_percent(Fraction(1, 2)) == "50 %"
    assert display_percent(Fraction(1, 8)) == "12.5 %"
    assert display_percent("2937893/9506430") == "30.90 %"
    assert display_percent(Fraction(1, 2431777)) == "< 0.01 %"
    assert display_percent(0) == "0 %"
