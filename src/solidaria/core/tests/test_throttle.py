"""Throttling failed attempts: the cache helper, API tokens (429) and log-in (django-axes)."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from solidaria.accounts.models import User
from solidaria.core import throttle
from solidaria.core.errors import TooManyAttempts

THREE_PER_MINUTE = {"test": (3, 60)}


@override_settings(SOLIDARIA_THROTTLES=THREE_PER_MINUTE)
def test_check_refuses_once_failures_reach_the_limit() -> None:
    # given two failures for one key
    assert throttle.fail("test", "10.0.0.1") == 1
    assert throttle.fail("test", "10.0.0.1") == 2
    throttle.check("test", "10.0.0.1")  # still allowed
    # when the third failure is counted
    assert throttle.fail("test", "10.0.0.1") == 3
    # then the key is locked out for the lockout time, with a 429 and a reason
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("test", "10.0.0.1")
    assert refused.value.status_code == 429
    assert refused.value.retry_after == 60
    assert refused.value.message == "Too many failed attempts. Please try again in 1 minute."


@override_settings(SOLIDARIA_THROTTLES={**THREE_PER_MINUTE, "other": (3, 60)})
def test_keys_and_scopes_are_counted_apart() -> None:
    # given a locked-out key
    for _ in range(3):
        throttle.fail("test", "10.0.0.1")
    # when another key, or the same key in another scope, is checked
    # then neither is refused
    throttle.check("test", "10.0.0.2")
    throttle.check("other", "10.0.0.1")
    with pytest.raises(TooManyAttempts):
        throttle.check("test", "10.0.0.1")


@override_settings(SOLIDARIA_THROTTLES=THREE_PER_MINUTE)
def test_reset_forgets_failures_and_lockout() -> None:
    # given a locked-out key
    for _ in range(3):
        throttle.fail("test", "ada")
    # when it is reset
    throttle.reset("test", "ada")
    # then it is allowed and counts from one again
    throttle.check("test", "ada")
    assert throttle.fail("test", "ada") == 1


@override_settings(SOLIDARIA_THROTTLES={"test": (2, 5), "slow": (2, 5, 600)})
def test_lockout_is_never_shorter_than_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    # given limits with a 5-second window and no lockout, or a 10-minute lockout
    assert throttle.limits("test") == (2, 5, 60)
    assert throttle.limits("slow") == (2, 5, 600)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    throttle.fail("test", "k")
    throttle.fail("test", "k")
    # when 59 seconds have passed, it is still refused
    monkeypatch.setattr(time, "time", lambda: now + 59)
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("test", "k")
    assert refused.value.retry_after == 1
    # then after 61 seconds it is allowed again
    monkeypatch.setattr(time, "time", lambda: now + 61)
    throttle.check("test", "k")


def test_unknown_scope_is_a_programming_error() -> None:
    with pytest.raises(KeyError, match="no throttle limits for scope 'nope'"):
        throttle.fail("nope", "k")


def test_configured_scopes_lock_out_for_at_least_a_minute() -> None:
    from django.conf import settings

    assert set(settings.SOLIDARIA_THROTTLES) >= {"login", "api_token", "voting_code", "signup"}
    assert throttle.limits("api_token") == (10, 900, 900)
    assert throttle.limits("signup") == (5, 3600, 3600)


def test_client_address_reads_forwarded_for_only_behind_trusted_proxies(rf) -> None:  # type: ignore[no-untyped-def]
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert throttle.client_address(request) == "10.0.0.9"
    with override_settings(SOLIDARIA_TRUSTED_PROXIES=1):
        assert throttle.client_address(request) == "203.0.113.7"
    with override_settings(SOLIDARIA_TRUSTED_PROXIES=2):
        assert throttle.client_address(request) == "6.6.6.6"


# --- API tokens -----------------------------------------------------------------------


def test_api_refuses_tokens_from_an_address_after_ten_failures(member_token: str) -> None:
    client = Client(REMOTE_ADDR="198.51.100.4")
    url = "/api/accounts/me"
    # given ten requests with wrong tokens from one address, each refused as unauthorised
    for attempt in range(10):
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer sol_wrong{attempt}")
        assert response.status_code == 401
    # when the eleventh comes, even with a valid token
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {member_token}")
    # then it is refused with 429, a reason and a Retry-After
    assert response.status_code == 429
    assert response.json() == {
        "detail": "Too many failed attempts. Please try again in 15 minutes."
    }
    assert response["Retry-After"] == "900"
    # and another address is not affected
    other = Client(REMOTE_ADDR="198.51.100.5")
    response = other.get(url, HTTP_AUTHORIZATION=f"Bearer {member_token}")
    assert response.status_code == 200
    assert response.json()["username"] == "ada"


def test_api_valid_tokens_do_not_count_as_failures(member_token: str) -> None:
    client = Client(REMOTE_ADDR="198.51.100.6")
    for _ in range(12):
        response = client.get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {member_token}")
        assert response.status_code == 200


# --- log-in (django-axes) --------------------------------------------------------------


def _log_in(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_is_paused_after_ten_failures_for_one_name(member: User) -> None:
    # given nine failed log-ins for "ada" from different addresses
    for attempt in range(9):
        client = Client(REMOTE_ADDR=f"192.0.2.{attempt + 1}")
        assert _log_in(client, "ada", "wrong").status_code == 200
    # when the tenth fails too
    response = _log_in(Client(REMOTE_ADDR="192.0.2.10"), "ada", "wrong")
    # then the lockout page says why and for how long, with 429
    assert response.status_code == 429
    assert "too many failed attempts to log in" in response.content.decode()
    assert "wait 15 minutes" in response.content.decode()
    # and the right password from a fresh address is refused too, without logging in
    client = Client(REMOTE_ADDR="192.0.2.99")
    response = _log_in(client, "ada", "pw-ada-123!")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_is_paused_after_ten_failures_from_one_address(member: User) -> None:
    client = Client(REMOTE_ADDR="192.0.2.50")
    # given ten failed log-ins from one address, each for a different name
    for attempt in range(10):
        response = _log_in(client, f"guess{attempt}", "wrong")
    assert response.status_code == 429
    # when a real member logs in from that address, it is refused
    assert _log_in(client, "ada", "pw-ada-123!").status_code == 429
    assert "_auth_user_id" not in client.session
    # then from another address the member logs in
    other = Client(REMOTE_ADDR="192.0.2.51")
    assert _log_in(other, "ada", "pw-ada-123!").status_code == 302
    assert other.session["_auth_user_id"] == str(member.pk)


def test_nine_failures_do_not_stop_a_login(member: User) -> None:
    client = Client(REMOTE_ADDR="192.0.2.60")
    for _ in range(9):
        assert _log_in(client, "ada", "wrong").status_code == 200
    assert _log_in(client, "ada", "pw-ada-123!").status_code == 302
