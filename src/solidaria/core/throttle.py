"""Counting failed attempts and refusing more of them for a while, in Django's cache.

A *scope* names what is being guessed ("login", "api_token", "voting_code", "signup");
its limits live in `settings.SOLIDARIA_THROTTLES` as `(limit, window_seconds)` or
`(limit, window_seconds, lockout_seconds)`. The lockout defaults to the window and is
never shorter than `MIN_LOCKOUT` seconds. A *key* says who is guessing: a client address
(`client_address(request)`), a user name, a process slug and a code... Use it like this:

    throttle.check("voting_code", key)          # raises TooManyAttempts while locked out
    if not code_is_valid:
        throttle.fail("voting_code", key)       # the limit-th failure starts a lockout
        raise ValidationFailed(...)
    throttle.reset("voting_code", key)          # optional: forget failures after a success

`fail` counts failures in a window that starts with the first one; when the count reaches
the limit, `check` refuses every attempt for the lockout time. With more than one server
process the cache must be shared (`SOLIDARIA_CACHE_URL=redis://...`). Logins themselves
are throttled by django-axes with the "login" limits; `client_address` is its address too.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from solidaria.core.errors import TooManyAttempts

MIN_LOCKOUT = 60


def limits(scope: str) -> tuple[int, int, int]:
    """(limit, window, lockout) in attempts and seconds for `scope`."""
    try:
        configured = tuple(settings.SOLIDARIA_THROTTLES[scope])
    except KeyError:
        raise KeyError(f"no throttle limits for scope {scope!r} in SOLIDARIA_THROTTLES") from None
    limit, window = int(configured[0]), int(configured[1])
    lockout = int(configured[2]) if len(configured) > 2 else window
    return limit, window, max(lockout, MIN_LOCKOUT)


def _cache_key(kind: str, scope: str, key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"throttle:{kind}:{scope}:{digest}"


def check(scope: str, key: str) -> None:
    """Raise TooManyAttempts if `key` is locked out of `scope`; otherwise do nothing."""
    until = cache.get(_cache_key("lock", scope, key))
    if until is None:
        return
    seconds = max(1, math.ceil(until - time.time()))
    minutes = math.ceil(seconds / 60)
    raise TooManyAttempts(
        ngettext(
            "Too many failed attempts. Please try again in %(minutes)d minute.",
            "Too many failed attempts. Please try again in %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
        retry_after=seconds,
    )


def fail(scope: str, key: str) -> int:
    """Count one failed attempt; return the failures so far in the current window."""
    limit, window, lockout = limits(scope)
    counter = _cache_key("count", scope, key)
    if cache.add(counter, 1, timeout=window):
        count = 1
    else:
        try:
            count = cache.incr(counter)
        except ValueError:  # the window ended between add() and incr()
            cache.set(counter, 1, timeout=window)
            count = 1
    if count >= limit:
        cache.set(_cache_key("lock", scope, key), time.time() + lockout, timeout=lockout)
    return count


def reset(scope: str, key: str) -> None:
    """Forget the failures and any lockout of `key` in `scope`."""
    cache.delete_many([_cache_key("count", scope, key), _cache_key("lock", scope, key)])


def client_address(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or behind `SOLIDARIA_TRUSTED_PROXIES` proxies
    the address the outermost of them saw (counted from the right of X-Forwarded-For)."""
    proxies = getattr(settings, "SOLIDARIA_TRUSTED_PROXIES", 0)
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def login_lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page django-axes shows instead of the log-in form while a name or an address is
    locked out (settings.AXES_LOCKOUT_CALLABLE): HTTP 429 and how long to wait."""
    _limit, _window, lockout = limits("login")
    minutes = math.ceil(lockout / 60)
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(lockout)
    return response
