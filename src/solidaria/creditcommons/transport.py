"""How a node talks to its neighbours: signed JSON over HTTP, or (tests) a stand-in.

`send(link, op, payload)` returns the neighbour's JSON answer, or raises `Unreachable`
when no answer came (timeout, reset, a server error): the caller must then treat the
outcome as unknown, never as a refusal. `NotDelivered` (a kind of `Unreachable`: the
connection was refused) means the message never arrived, so nothing happened there.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from django.conf import settings

from solidaria.creditcommons.engine import signature

if TYPE_CHECKING:
    from solidaria.creditcommons.models import Link

HTTP_TIMEOUT_SECONDS = 30


class Unreachable(Exception):
    """The neighbour gave no usable answer."""


class NotDelivered(Unreachable):
    """The message certainly never reached the neighbour (the connection was refused):
    nothing can have happened there because of it."""


class Refused(Exception):
    """The neighbour refused the request itself (a 4xx: bad signature, unknown link)."""


Sender = Callable[["Link", str, dict[str, Any]], dict[str, Any]]


def http_send(link: Link, op: str, payload: dict[str, Any]) -> dict[str, Any]:
    url = link.base_url + op
    body = json.dumps(payload, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    path = urlparse(url).path
    sender = str(settings.SOLIDARIA["NETWORK_SLUG"])
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-CC-Node": sender,
            "X-CC-Timestamp": timestamp,
            "X-CC-Signature": signature(link.secret, "POST", path, timestamp, body, sender=sender),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = json.loads(response.read().decode())
        if not isinstance(answer, dict):  # null, a number, a list: no usable answer
            raise Unreachable("the answer is not a JSON object")
        return answer
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500:
            try:
                detail = json.loads(exc.read().decode()).get("reason", "")
            except (ValueError, AttributeError):
                detail = ""
            raise Refused(detail or f"HTTP {exc.code}") from None
        raise Unreachable(f"HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ConnectionRefusedError):
            raise NotDelivered(str(exc)) from None
        raise Unreachable(str(exc)) from None
    except ConnectionRefusedError as exc:
        raise NotDelivered(str(exc)) from None
    except (OSError, ValueError) as exc:  # timeouts, resets, bad JSON
        raise Unreachable(str(exc)) from None


_sender: Sender = http_send


def send(link: Link, op: str, payload: dict[str, Any]) -> dict[str, Any]:
    return _sender(link, op, payload)


def use(sender: Sender | None) -> None:
    """Route every outbound message through `sender` (tests); None restores HTTP."""
    global _sender
    _sender = sender or http_send
