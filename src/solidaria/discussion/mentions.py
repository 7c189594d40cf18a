"""@mentions: found in a comment's text, linked when shown; everything else is escaped."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# Django user names: letters, digits and @ . + - _ ; a mention ends before a trailing dot
# ("thanks @ana." names ana) and never starts inside a word or an email address.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+-])")
MAX_MENTIONS = 20


def usernames(text: str) -> list[str]:
    """The distinct names mentioned, in order of first appearance (at most MAX_MENTIONS)."""
    seen: list[str] = []
    for match in MENTION.finditer(text or ""):
        name = match.group(1)
        if name.lower() not in (s.lower() for s in seen):
            seen.append(name)
    return seen[:MAX_MENTIONS]


def render(text: str, link: Callable[[str], str | None]) -> SafeString:
    """The text escaped, line breaks kept, and each mention of a known person a link.

    `link(name)` gives the URL of a person's page, or None for a name that is nobody's
    (it stays plain text)."""
    parts: list[str] = []
    last = 0
    for match in MENTION.finditer(text or ""):
        parts.append(escape(text[last : match.start()]))
        href = link(match.group(1))
        if href:
            parts.append(format_html('<a class="mention" href="{}">@{}</a>', href, match.group(1)))
        else:
            parts.append(escape(match.group(0)))
        last = match.end()
    parts.append(escape((text or "")[last:]))
    return mark_safe("".join(parts).replace("\n", "<br>"))  # noqa: S308 (escaped above)
