"""An address is stored whole (`RemoteTransaction.payee_address`, 200 characters): one
that parses but cannot be stored must be refused with a sentence, not fail on PostgreSQL
when the payment is written (a 500 there, and a hold upstream until recovery)."""

from __future__ import annotations

import uuid

import pytest

from solidaria.core.errors import ValidationFailed
from solidaria.core.permissions import SYSTEM
from solidaria.creditcommons import engine, services
from solidaria.creditcommons.models import RemoteTransaction
from solidaria.creditcommons.tests.conftest import SECRET, currency, member_account
from solidaria.creditcommons.tests.messages import validate_message

# a path through four networks of 60 letters down to B: 249 characters
LONG = "/".join(["n" * 60] * 4) + "/B/bob"


def test_an_address_longer_than_can_be_stored_is_refused() -> None:
    assert len(LONG) > 200
    with pytest.raises(ValidationFailed) as refused:
        engine.parse_address(LONG)
    assert refused.value.field == "payee"
    assert str(engine.parse_address("T2/B/bob")) == "T2/B/bob"


@pytest.mark.django_db
def test_a_validate_with_an_address_too_long_is_erased_with_its_reason(node) -> None:
    node("B")
    member_account("bob", currency("BCR"))
    link = services.link_add(
        actor=SYSTEM, role="trunk", slug="T", url="http://t.example/cc/", secret=SECRET,
        currency_code="BCR", rate="1/2",
    )  # fmt: skip
    txid = str(uuid.uuid4())
    message = {**validate_message(txid), "payee": LONG}
    answer = services.handle(link, "validate", message)
    assert answer["state"] == "erased" and answer["reason"]
    assert RemoteTransaction.objects.get(txid=txid).state == "erased"
