"""Pure parts of credit between networks: exact conversion, addresses, signatures.

No database here (the house rule for engines): `services` reaches this through plain
values, and the property tests drive it directly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext as _

from solidaria.core.errors import ValidationFailed

_RATE = re.compile(r"^\s*(\d{1,12})(?:\s*/\s*(\d{1,12}))?\s*$")
_DECIMAL_RATE = re.compile(r"^\s*(\d{1,12})\.(\d{1,9})\s*$")
REPLAY_WINDOW_SECONDS = 300
MAX_PATH = 9  # names in an address: up to 8 networks and the member
MAX_ADDRESS = 200  # characters: an address is stored whole (RemoteTransaction.payee_address)


def parse_rate(text: str) -> Fraction:
    """A conversion rate as an exact fraction: "2", "1/2" or "1.25" (read as 5/4, never
    through a float). It must be greater than zero."""
    raw = (text or "").strip()
    match = _RATE.match(raw)
    if match:
        num, den = int(match.group(1)), int(match.group(2) or 1)
    else:
        dec = _DECIMAL_RATE.match(raw)
        if not dec:
            raise ValidationFailed(
                _("Give the rate as a whole number, a fraction such as 1/2, or a decimal."),
                field="rate",
            )
        num = int(dec.group(1) + dec.group(2))
        den = 10 ** len(dec.group(2))
    if num == 0 or den == 0:
        raise ValidationFailed(_("The rate must be greater than zero."), field="rate")
    return Fraction(num, den)


def to_trunk(leaf_minor: int, rate: Fraction, leaf_exponent: int, trunk_exponent: int) -> int:
    """A leaf amount in the trunk's minor units, exactly; refused when not a whole number.

    rate = trunk units per leaf unit; the minor units differ by the exponents."""
    exact = Fraction(leaf_minor) * rate * Fraction(10) ** (trunk_exponent - leaf_exponent)
    if exact.denominator != 1:
        raise ValidationFailed(
            _(
                "This amount cannot be converted exactly at the rate %(rate)s between the "
                "networks: choose an amount that converts to whole cents."
            )
            % {"rate": str(rate)},
            field="amount",
        )
    return int(exact)


def to_leaf(trunk_minor: int, rate: Fraction, leaf_exponent: int, trunk_exponent: int) -> int:
    """A trunk amount in the leaf's minor units, exactly; refused when not a whole number."""
    exact = Fraction(trunk_minor) / rate * Fraction(10) ** (leaf_exponent - trunk_exponent)
    if exact.denominator != 1:
        raise ValidationFailed(
            _(
                "This amount cannot be converted exactly at the rate %(rate)s between the "
                "networks: choose an amount that converts to whole cents."
            )
            % {"rate": str(rate)},
            field="amount",
        )
    return int(exact)


@dataclass(frozen=True)
class Address:
    network: str  # a network's name, or a path of names through the tree: "T2/B"
    member: str

    def __str__(self) -> str:
        return f"{self.network}/{self.member}"

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.network.split("/"))


def parse_address(text: str) -> Address:
    """`network/member`: a member of another network, as in Credit Commons paths; in a
    deeper tree the network is a path, `T2/B/bob` (see `next_network`)."""
    raw = (text or "").strip().strip("/")
    parts = raw.split("/")
    if not 2 <= len(parts) <= MAX_PATH or not all(p.strip() for p in parts):
        raise ValidationFailed(
            _("Write the payee of another network as network/member, for example B/bob."),
            field="payee",
        )
    *networks, member = (p.strip() for p in parts)
    if not all(re.fullmatch(r"[-a-zA-Z0-9_]{1,64}", n) for n in networks) or len(member) > 150:
        raise ValidationFailed(_("This is not a network's name."), field="payee")
    address = Address("/".join(networks), member)
    if len(str(address)) > MAX_ADDRESS:
        raise ValidationFailed(
            _("The payee's address is longer than %(max)s characters.") % {"max": MAX_ADDRESS},
            field="payee",
        )
    return address


def next_network(path: tuple[str, ...], me: str, *, from_trunk: bool) -> tuple[str | None, bool]:
    """Where a payment to the network `path` goes from network `me`: (the next network's
    name, or None when `me` is the payee's network; whether it must be a leaf of `me`).

    Credit Commons' relative paths: a path starts at the first network, going trunkward,
    that is its first name or has a leaf of that name. Going up, the next network is the
    path's first name when it is a leaf of `me`, else the trunk (the caller's choice).
    Going down (the payment came from the trunk, or the path starts with `me`), it is the
    name after `me`, a leaf of `me`."""
    if not (from_trunk or path[0] == me):
        return path[0], False
    if me not in path:
        raise ValidationFailed(
            _("The payee's address does not lead through network %(slug)s.") % {"slug": me},
            field="payee",
        )
    rest = path[path.index(me) + 1 :]
    return (rest[0] if rest else None), True


def is_remote_address(text: str) -> bool:
    return "/" in (text or "").strip().strip("/")


def signature(
    secret: str,
    method: str,
    path: str,
    timestamp: str,
    body: bytes,
    *,
    sender: str = "",
    nonce: str = "",
) -> str:
    """HMAC-SHA256 over the method, the path, the timestamp and the body's SHA-256, the
    sending node's name (both ends share the secret: without it a message could be sent
    back to the node that signed it, as if from its neighbour) and the message's
    single-use nonce (so a replay cannot come with a fresh one)."""
    parts = [method.upper(), path, timestamp, hashlib.sha256(body).hexdigest()]
    if nonce:
        parts += [sender, nonce]
    elif sender:
        parts.append(sender)
    message = "\n".join(parts).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_ok(
    secret: str,
    method: str,
    path: str,
    timestamp: str,
    body: bytes,
    given: str,
    *,
    now: float,
    sender: str = "",
    nonce: str = "",
    window: int = REPLAY_WINDOW_SECONDS,
) -> bool:
    """The signature matches and the timestamp is within the replay window. (A replay
    inside the window is refused by its nonce: see `creditcommons.nonces`.)"""
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - moment) > window:
        return False
    expected = signature(secret, method, path, timestamp, body, sender=sender, nonce=nonce)
    return hmac.compare_digest(expected, given or "")
