"""Logging a browser in without the login form (the form itself is tested once)."""

from __future__ import annotations

from typing import Any


def log_in(page: Any, live_server: Any, user: Any) -> None:
    """A test client's session cookie, handed to the browser. Clearing the cookies first
    also drops whatever the previous user left behind (e.g. a ballot-secret cookie)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
