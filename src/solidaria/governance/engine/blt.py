"""Read and write BLT ballot files (OpenSTV, droop, published Scottish council data).

Layout of a BLT file::

    4 3                      number of candidates, number of seats
    -2                       optional: withdrawn candidates as negative numbers
    3 4 2 3 1 0              weight, preferences (1-based), 0 terminator
    0                        end of ballots
    "Name One"               one name per candidate (quoted or not)
    Ward title               the election title (quoted or not)

Quirks accepted because real files have them: no trailing newline; unquoted names and
titles (`Tim EAGLE (C)`); quoted strings with CSV-style doubled quotes
(a name `"A ""B"" C"` reads as `A "B" C`); several quoted names on one line; a name and an
affiliation as two quoted strings on each candidate's line (`"Jane DOE" "Some Party"`, as some
published council data sets have), kept in `Election.affiliations`; blank lines and `#`
comment lines; an optional ballot id in brackets before the weight (`(b7) 1 2 3 0`).
Refused, with the line number: equal or skipped rankings (`=`, `-`), a missing `0`
terminator, preferences out of range or repeated, non-integer or negative weights, a
missing name or title, a candidate line with more than a name and an affiliation, unquoted
text after a quoted string, and anything after the title.
"""

from __future__ import annotations

from dataclasses import dataclass

from solidaria.core.textfiles import decode
from solidaria.governance.engine.election import Ballot, Election

MAX_NUMBER_LENGTH = 40
MAX_NAME_LENGTH = 200


class BltError(ValueError):
    """A BLT file that cannot be read; `line` is 1-based, `field` names the part at fault."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(f"line {line}: {field}: {message}")
        self.line = line
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    text: str


def _content_lines(text: str) -> list[_Line]:
    text = text.removeprefix("\ufeff")
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            lines.append(_Line(number, stripped))
    return lines


def _int(token: str, line: int, field: str) -> int:
    if len(token) > MAX_NUMBER_LENGTH:
        raise BltError(line, field, f"{token[:20]!r}... is too long for a number")
    try:
        return int(token)
    except ValueError:
        raise BltError(line, field, f"{token!r} is not a whole number") from None


def _quoted_strings(line: _Line) -> list[str]:
    """Split a line of quoted strings; inside one, a doubled quote is a literal quote."""
    text, pos, out = line.text, 0, []
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        if text[pos] != '"':
            raise BltError(line.number, "name", f"unexpected text {text[pos:]!r} after a quote")
        pos += 1
        chars: list[str] = []
        while True:
            if pos >= len(text):
                raise BltError(line.number, "name", "unterminated quoted string")
            if text[pos] == '"':
                if pos + 1 < len(text) and text[pos + 1] == '"':
                    chars.append('"')
                    pos += 2
                    continue
                pos += 1
                break
            chars.append(text[pos])
            pos += 1
        out.append("".join(chars))
    return out


def _parse_ballot(line: _Line, n_candidates: int) -> Ballot:
    tokens = line.text.split()
    if tokens[0].startswith("("):
        tokens = tokens[1:]  # ballot id, e.g. "(b7)"
        if not tokens:
            raise BltError(line.number, "ballot", "ballot id without a ballot")
    weight = _int(tokens[0], line.number, "weight")
    if weight < 0:
        raise BltError(line.number, "weight", f"negative weight {weight}")
    if tokens[-1] != "0":
        raise BltError(line.number, "ballot", "missing 0 terminator at end of ballot")
    ranking: list[int] = []
    for token in tokens[1:-1]:
        if "=" in token or token == "-":
            raise BltError(line.number, "preference", f"equal or skipped ranking {token!r}")
        pref = _int(token, line.number, "preference")
        if not 1 <= pref <= n_candidates:
            raise BltError(
                line.number, "preference", f"candidate {pref} is out of range 1..{n_candidates}"
            )
        if pref - 1 in ranking:
            raise BltError(line.number, "preference", f"candidate {pref} is ranked twice")
        ranking.append(pref - 1)
    return Ballot(weight, tuple(ranking))


def parse_blt(text: str, *, strict: bool = False) -> Election:
    """Parse the text of a BLT file into an `Election` (candidates numbered from 0).

    `strict` (what a count needs, `solidaria tally`): also refuses every candidate
    withdrawn, no valid ballot, a name given twice and names longer than
    MAX_NAME_LENGTH, each with its line."""
    lines = _content_lines(text)
    if not lines:
        raise BltError(1, "header", "empty file")
    header = lines[0]
    parts = header.text.split()
    if len(parts) != 2:
        raise BltError(header.number, "header", "expected '<candidates> <seats>'")
    n_candidates = _int(parts[0], header.number, "candidates")
    seats = _int(parts[1], header.number, "seats")
    if n_candidates < 1:
        raise BltError(header.number, "candidates", "need at least one candidate")
    if seats < 1:
        raise BltError(header.number, "seats", "need at least one seat")

    index = 1
    withdrawn: set[int] = set()
    if index < len(lines) and lines[index].text.startswith("-"):
        line = lines[index]
        for token in line.text.split():
            value = _int(token, line.number, "withdrawn")
            if value == 0:
                continue
            if not -n_candidates <= value < 0:
                raise BltError(line.number, "withdrawn", f"{token} is not -1..-{n_candidates}")
            withdrawn.add(-value - 1)
        if strict and len(withdrawn) == n_candidates:
            raise BltError(
                line.number, "withdrawn", "every candidate is withdrawn: nobody can be elected"
            )
        index += 1

    ballots: list[Ballot] = []
    while True:
        if index >= len(lines):
            last = lines[-1].number
            raise BltError(last, "ballots", "end of file before the 0 line that ends the ballots")
        line = lines[index]
        index += 1
        if line.text == "0":
            break
        ballots.append(_parse_ballot(line, n_candidates))
    if strict and not any(
        b.weight > 0 and any(c not in withdrawn for c in b.ranking) for b in ballots
    ):
        raise BltError(
            line.number,
            "ballots",
            "no valid ballot: each is empty, weighs 0 or ranks only withdrawn candidates",
        )

    names, affiliations, title, name_lines = _names_and_title(
        lines[index:], n_candidates, lines[-1].number
    )
    if strict:
        _check_names(names, name_lines)
    return Election(
        candidates=names,
        seats=seats,
        ballots=tuple(ballots),
        title=title,
        withdrawn=frozenset(withdrawn),
        affiliations=affiliations,
    )


def _check_names(names: tuple[str, ...], lines: tuple[int, ...]) -> None:
    first: dict[str, int] = {}
    for name, line in zip(names, lines, strict=True):
        if len(name) > MAX_NAME_LENGTH:
            raise BltError(line, "name", f"longer than {MAX_NAME_LENGTH} characters")
        if name in first:
            raise BltError(line, "name", f"{name!r} is given twice (first on line {first[name]})")
        first[name] = line


def _line_strings(line: _Line) -> list[str]:
    return _quoted_strings(line) if line.text.startswith('"') else [line.text]


def _names_and_title(
    lines: list[_Line], n: int, last: int
) -> tuple[tuple[str, ...], tuple[str, ...], str, tuple[int, ...]]:
    """Names (and affiliations) and the title from the lines after the ballots.

    Two layouts: one candidate a line, each a name or a name and an affiliation, then at
    most a title line; or a stream of names (several may share a line) and a title."""
    per_line = [_line_strings(line) for line in lines]
    candidate_lines = per_line[:n]
    looks_paired = len(candidate_lines) == n and any(len(s) == 2 for s in candidate_lines)
    fits_paired = (
        looks_paired
        and len(lines) <= n + 1
        and all(len(s) <= 2 for s in candidate_lines)
        and (len(lines) == n or len(per_line[n]) == 1)
    )
    fits_stream = n <= sum(len(s) for s in per_line) <= n + 1
    if fits_paired or (looks_paired and not fits_stream):
        for line, strings in zip(lines[:n], candidate_lines, strict=True):
            if len(strings) > 2:
                raise BltError(
                    line.number,
                    "name",
                    f"expected a name and at most an affiliation, found {len(strings)} strings",
                )
        rest = list(zip(lines[n:], per_line[n:], strict=True))
        if rest and len(rest[0][1]) > 1:
            raise BltError(rest[0][0].number, "title", "unexpected content after the title")
        if len(rest) > 1:
            raise BltError(rest[1][0].number, "title", "unexpected content after the title")
        names = tuple(s[0] for s in candidate_lines)
        affiliations = tuple(s[1] if len(s) == 2 else "" for s in candidate_lines)
        numbers = tuple(line.number for line in lines[:n])
        return names, affiliations, rest[0][1][0] if rest else "", numbers
    stream = [(line.number, s) for line, ss in zip(lines, per_line, strict=True) for s in ss]
    if len(stream) < n:
        raise BltError(last, "name", f"expected {n} names, found {len(stream)}")
    extra = stream[n:]
    if len(extra) > 1:
        raise BltError(extra[1][0], "title", "unexpected content after the title")
    numbers = tuple(number for number, _ in stream[:n])
    return tuple(s for _, s in stream[:n]), (), extra[0][1] if extra else "", numbers


def read_blt(path: str, *, strict: bool = False) -> Election:
    """Read a BLT file (UTF-8, with Latin-1 as fallback for old files; UTF-16 and binary
    data are refused with TextFileError)."""
    with open(path, "rb") as handle:
        data = handle.read()
    return parse_blt(decode(data, latin1_fallback=True), strict=strict)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def write_blt(election: Election) -> str:
    """BLT text for `election`: quoted names and title, trailing newline."""
    out = [f"{len(election.candidates)} {election.seats}"]
    if election.withdrawn:
        out.append(" ".join(str(-(c + 1)) for c in sorted(election.withdrawn)))
    for ballot in election.ballots:
        prefs = " ".join(str(c + 1) for c in ballot.ranking)
        out.append(f"{ballot.weight} {prefs} 0" if prefs else f"{ballot.weight} 0")
    out.append("0")
    if any(election.affiliations):
        out.extend(
            f"{_quote(name)} {_quote(party)}" if party else _quote(name)
            for name, party in zip(election.candidates, election.affiliations, strict=True)
        )
    else:
        out.extend(_quote(name) for name in election.candidates)
    out.append(_quote(election.title))
    return "\n".join(out) + "\n"
