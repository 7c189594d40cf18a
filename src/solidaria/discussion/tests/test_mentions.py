"""Rendering a comment: everything escaped, mentions of known people linked, nothing else.
Hypothesis tries arbitrary text, HTML and mentions."""

from __future__ import annotations

import html
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidaria.discussion import mentions

KNOWN = {"ana": "/people/ana/", "bo.b": "/people/bo.b/"}

pieces = st.sampled_from(
    [
        "@ana",
        "@bo.b",
        "@ghost",
        "<script>",
        '"',
        "'",
        "&",
        "<a href='x'>",
        "\n",
        " ",
        "a@ana.org",
        ".",
    ]
)
texts = st.lists(st.one_of(pieces, st.text(max_size=8)), max_size=20).map("".join)


def test_usernames_are_distinct_in_order_and_skip_emails() -> None:
    assert mentions.usernames("@ana, @Bo and @ana. mail a@ana.org @bo.b.") == ["ana", "Bo", "bo.b"]


def test_a_mention_at_a_sentence_end_keeps_the_dot_outside_the_link() -> None:
    shown = mentions.render("thanks @ana.", KNOWN.get)
    assert str(shown) == 'thanks <a class="mention" href="/people/ana/">@ana</a>.'


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(texts)
def test_rendering_escapes_everything_but_the_mention_links(text: str) -> None:
    shown = str(mentions.render(text, KNOWN.get))

    links = re.findall(r'<a class="mention" href="([^"]*)">@([^<]*)</a>', shown)
    without_links = re.sub(r'<a class="mention" href="[^"]*">@[^<]*</a>', "", shown)
    assert "<" not in without_links.replace("<br>", "")
    assert all(KNOWN[name] == href for href, name in links)
    assert (
        sorted({name for _h, name in links})
        == sorted({n for n in mentions.usernames(text) if n in KNOWN})
        or len(mentions.usernames(text)) == mentions.MAX_MENTIONS
    )


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(texts)
def test_rendering_loses_no_text(text: str) -> None:
    shown = str(mentions.render(text, KNOWN.get))

    plain = re.sub(r"<[^>]*>", "", shown.replace("<br>", "\n"))
    assert html.unescape(plain) == text
