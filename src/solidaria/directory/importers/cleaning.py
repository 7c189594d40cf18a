"""Cleaning of imported values: countries, mojibake, web domains, names, distances.

Pure Python (no Django) so it is cheap to test on its own.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

import ftfy
import pycountry

# Spellings seen in the real directories that pycountry does not know. Keys are compared
# after casefolding and stripping accents.
COUNTRY_ALIASES: dict[str, str] = {
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "united kingdom": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "aberdeen": "GB",
    "deutschland": "DE",
    "germany": "DE",
    "osterreich": "AT",
    "belgique": "BE",
    "belgie": "BE",
    "frace": "FR",
    "cypres": "CY",
    "italu": "IT",
    "italia": "IT",
    "portogallo": "PT",
    "ellada": "GR",
    "ελλαδα": "GR",
    "latvija": "LV",
    "slovenija": "SI",
    "romania": "RO",
    "espana": "ES",
    "usa": "US",
    "united states": "US",
    "el": "GR",
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=4096)
def normalise_country(raw: str | None, extra: tuple[tuple[str, str], ...] = ()) -> str:
    """An ISO 3166-1 alpha-2 code, or '' when the value cannot be recognised.

    `extra` holds per-source aliases (SUSY writes Slovakia as `SR`, which ISO gives to
    Suriname), checked before the standard codes.
    """
    if not raw or not raw.strip():
        return ""
    folded = _fold(raw)
    for alias, code in extra:
        if folded == alias:
            return code
    if folded in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[folded]
    if len(folded) == 2 and folded.isalpha():
        found = pycountry.countries.get(alpha_2=folded.upper())
        return found.alpha_2 if found else ""
    try:
        return str(pycountry.countries.lookup(raw.strip()).alpha_2)
    except LookupError:
        pass
    try:
        return str(pycountry.countries.lookup(folded).alpha_2)
    except LookupError:
        return ""


# A letter directly followed by '?' and then a letter, a space or the end: the trace of a
# character an earlier export could not encode. The original cannot be recovered.
_LOST_CHAR = re.compile(r"[^\W\d_]\?(?=[^\W\d_]|\s|$)")


def has_lost_characters(text: str) -> bool:
    return bool(text) and "?" in text and bool(_LOST_CHAR.search(text))


def repair_text(text: str | None) -> str:
    """Strip, and fix mojibake that ftfy can detect (`BÃ¶hlen` -> `Böhlen`)."""
    if not text:
        return ""
    text = text.strip()
    if text.isascii():
        return text
    return ftfy.fix_text(text, normalization="NFC")


def repair_from_evidence(damaged: str, candidate: str) -> str | None:
    """`B?hlen` + `Böhlen` (a geocoder's spelling of the same field) -> `Böhlen`.

    Only when the candidate matches the damaged text with each '?' standing for exactly
    one character; otherwise None (we flag rather than invent)."""
    if not candidate or "?" not in damaged or len(candidate) != len(damaged):
        return None
    pattern = "".join("." if ch == "?" else re.escape(ch) for ch in damaged)
    return candidate if re.fullmatch(pattern, candidate, flags=re.IGNORECASE) else None


def web_domain(url: str | None) -> str:
    """`https://www.Example.coop/about` -> `example.coop`; '' when there is no host."""
    if not url:
        return ""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    if host.startswith("www."):
        host = host[4:]
    return host if "." in host else ""


# Domains that host many unrelated organisations: sharing one says nothing.
SHARED_HOSTS = {
    "facebook.com",
    "m.facebook.com",
    "twitter.com",
    "x.com",
    "instagram.com",
    "linkedin.com",
    "uk.linkedin.com",
    "google.com",
    "sites.google.com",
    "wordpress.com",
    "blogspot.com",
    "wix.com",
    "wixsite.com",
    "youtube.com",
    "bit.ly",
    "eventbrite.co.uk",
    "meetup.com",
}


def dedupe_domain(url: str | None) -> str:
    domain = web_domain(url)
    return "" if domain in SHARED_HOSTS else domain


# Characters an IRI may not hold (RFC 3987): whitespace, controls and <>"{}|\\^`.
_NOT_IN_IRI = re.compile(r'[\s<>"{}|\\^`\x00-\x1f\x7f]')
_HOST = re.compile(r"^[\w.-]+$", re.UNICODE)


def is_iri(value: str) -> bool:
    """A scheme followed by characters an IRI may hold (what RDF serialisers accept)."""
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value)) and not _NOT_IN_IRI.search(value)


def normalise_website(url: str | None) -> str:
    """A usable http(s) URL, or '' for placeholders like `update6` and for text that is
    not one address (`a.org; b.org`: see split_websites)."""
    if not url:
        return ""
    url = url.strip()
    domain = web_domain(url)
    if not domain or not _HOST.match(domain):
        return ""
    if "://" not in url:
        url = "http://" + url
    if not url.lower().startswith(("http://", "https://")) or not is_iri(url):
        return ""
    return url


_WEBSITE_SEPARATORS = re.compile(r"[\s;|]+|,(?=\s|$)")


def split_websites(raw: str | None) -> list[str]:
    """Every web address in a cell that may list several (`a.org; https://b.org/x`),
    normalised, in order, without repeats. Handles (`@name`), e-mail addresses and words
    that are not addresses are left out."""
    found: list[str] = []
    for token in _WEBSITE_SEPARATORS.split(raw or ""):
        token = token.strip(",")
        if not token or ("@" in token and "://" not in token):
            continue
        url = normalise_website(token)
        if url and url not in found:
            found.append(url)
    return found


# Spreadsheet error values that replace a cell's content (#NAME?, #REF!, #N/A...) and
# placeholders that are no name at all.
_SPREADSHEET_ERROR = re.compile(
    r"^#(NAME\?|REF!|VALUE!|N/?A|DIV/0!|NULL!|NUM!|SPILL!|CALC!|FIELD!|BLOCKED!|"
    r"CONNECT!|BUSY!|UNKNOWN!|GETTING_DATA|ERROR!?)$",
    re.IGNORECASE,
)
_PLACEHOLDER_NAMES = {"n/a", "na", "null", "none", "nan", "undefined", "unknown", "tbc", "tbd"}


def is_junk_name(name: str | None) -> bool:
    """True for a name that names nothing: a spreadsheet error, a placeholder, or text
    without a single letter or digit once stripped (`-`, `??`, a zero-width space)."""
    text = (name or "").strip()
    if _SPREADSHEET_ERROR.match(text) or text.casefold() in _PLACEHOLDER_NAMES:
        return True
    return not any(ch.isalnum() for ch in text)


_LEGAL_SUFFIXES = re.compile(
    r"\b(limited|ltd|llp|plc|cic|inc|eg|e\.g|gmbh|sarl|scop|scic|sa|sl|coop|co-op|"
    r"cooperative|co-operative|society|the)\b\.?"
)
_NON_WORD = re.compile(r"[\W_]+")


def name_key(name: str) -> str:
    """Normalised name for duplicate detection: folded, no legal suffixes, no punctuation."""
    folded = _fold(name)
    folded = _LEGAL_SUFFIXES.sub(" ", folded)
    return " ".join(_NON_WORD.sub(" ", folded).split())


EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def parse_coordinate(text: str | float | None) -> float | None:
    """A float, or None for empty values; ValueError for text that is not a number."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        stripped = text.strip()
        if not stripped:
            return None
        value = float(stripped.replace(",", "."))
    if math.isnan(value) or math.isinf(value):
        raise ValueError("not a finite number")
    return value
