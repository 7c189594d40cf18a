"""The nonce is under the signature: a captured message cannot be sent again with a fresh
nonce, nor without one (the signature of the older format), nor as from another link."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test import Client

from solidaria.core.permissions import SYSTEM
from solidaria.creditcommons import nonces, services
from solidaria.creditcommons.tests.conftest import SECRET, currency, member_account
from solidaria.creditcommons.tests.messages import signed_headers, validate_message
from solidaria.ledger.models import Transfer

pytestmark = pytest.mark.django_db


def _headers(body: bytes, *, sender: str, nonce: str, signed_nonce: str) -> dict[str, str]:
    return signed_headers(
        "/cc/validate", body, sender=sender, nonce=nonce, signed_nonce=signed_nonce
    )


def _body() -> bytes:
    return json.dumps(validate_message(str(uuid.uuid4()))).encode()


def _post(body: bytes, headers: dict[str, str]) -> Any:
    return Client().post("/cc/validate", data=body, content_type="application/json", **headers)


def test_a_nonce_that_is_not_the_signed_one_is_refused(node: Any) -> None:
    node("B")
    member_account("bob", currency("BCR"))
    for slug in ("T", "U"):
        services.link_add(
            actor=SYSTEM, role="trunk" if slug == "T" else "leaf", slug=slug,
            url=f"http://{slug.lower()}.example/cc/", secret=SECRET, currency_code="BCR",
            rate="1/2",
        )  # fmt: skip
    body = _body()
    captured = _headers(body, sender="T", nonce="n-1", signed_nonce="n-1")
    assert _post(body, captured).json()["state"] == "completed"
    assert _post(body, captured).status_code == 409
    # the same signature with another nonce, or with none, or as from the other link
    assert _post(body, {**captured, "HTTP_X_CC_NONCE": "n-2"}).status_code == 403
    unsigned = _headers(body, sender="T", nonce="n-3", signed_nonce="")
    assert _post(body, unsigned).status_code == 403
    assert _post(body, {**captured, "HTTP_X_CC_NODE": "U"}).status_code == 403
    assert Transfer.objects.count() == 1


def test_a_nonce_is_claimed_once_without_insert_returning(node: Any) -> None:
    """SQLite before 3.35 (Ubuntu 20.04, Debian 11; Django 5.2 supports 3.31) has no
    `INSERT … RETURNING`: spending a nonce must not need it, or every message fails."""
    node("B")
    currency("BCR")
    link = services.link_add(
        actor=SYSTEM, role="trunk", slug="T", url="http://t.example/cc/", secret=SECRET,
        currency_code="BCR", rate="1/2",
    )  # fmt: skip

    def old_sqlite(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "RETURNING" in sql.upper():
            raise DatabaseError('near "RETURNING": syntax error')
        return execute(sql, params, many, context)

    with connection.execute_wrapper(old_sqlite):
        assert nonces.claim(link, "n-1", durable=False)
        assert not nonces.claim(link, "n-1", durable=False)
        assert nonces.claim(link, "n-2", durable=True)
        assert not nonces.claim(link, "n-2", durable=True)
