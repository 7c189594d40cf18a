"""The signed protocol over HTTP, the pay form and payments API with network/member, the
statement line, the stewards' page, and the CLI's contract."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from solidaria.core.permissions import SYSTEM
from solidaria.creditcommons import engine, nonces, services, transport
from solidaria.creditcommons.models import Link, LinkEntry, Nonce, RemoteTransaction
from solidaria.creditcommons.tests.conftest import SECRET, currency, member_account
from solidaria.creditcommons.tests.messages import validate_message
from solidaria.ledger import services as ledger
from solidaria.ledger.models import Account, Transfer

pytestmark = pytest.mark.django_db


def _signed_request(op: str, payload: dict, *, sender: str = "T", **kw: Any) -> dict[str, Any]:
    """A signed message as it travels (the path, the body, the headers)."""
    body = json.dumps(payload).encode()
    ts = str(kw.pop("ts", int(time.time())))
    nonce = kw.pop("nonce", uuid.uuid4().hex)
    path = f"/cc/{op}"
    sig = kw.pop(
        "sig", engine.signature(SECRET, "POST", path, ts, body, sender=sender, nonce=nonce)
    )
    headers = {
        "HTTP_X_CC_NODE": sender,
        "HTTP_X_CC_TIMESTAMP": ts,
        "HTTP_X_CC_NONCE": nonce,
        "HTTP_X_CC_SIGNATURE": sig,
    }
    return {"path": path, "data": body, **{k: v for k, v in headers.items() if v is not None}}


def _post(client: Client, request: dict[str, Any]) -> Any:
    return client.post(content_type="application/json", **request)


def _signed(client: Client, op: str, payload: dict, *, sender: str = "T", **kw: Any) -> Any:
    return _post(client, _signed_request(op, payload, sender=sender, **kw))


@pytest.fixture
def leaf_b(node: Any) -> dict[str, Any]:
    node("B")
    bob = member_account("bob", currency("BCR"))
    link = services.link_add(
        actor=SYSTEM,
        role="trunk",
        slug="T",
        url="http://t.example/cc/",
        secret=SECRET,
        currency_code="BCR",
        rate="1/2",
    )
    return {"bob": bob, "link": link}


def test_a_signed_message_is_answered_and_an_unsigned_one_refused(leaf_b) -> None:
    client = Client()
    txid = str(uuid.uuid4())
    bad = _signed(client, "validate", validate_message(txid), sig="0" * 64)
    assert bad.status_code == 403 and "signature" in bad.json()["reason"]
    stale = _signed(client, "validate", validate_message(txid), ts=int(time.time()) - 3600)
    assert stale.status_code == 403
    stranger = _signed(client, "validate", validate_message(txid), sender="Z")
    assert stranger.status_code == 403
    no_nonce = _signed(client, "validate", validate_message(txid), nonce=None)
    assert no_nonce.status_code == 403 and "nonce" in no_nonce.json()["reason"]
    # a nonce is under the signature: another one makes the signature wrong
    signed = _signed_request("validate", validate_message(txid))
    swapped = _post(client, {**signed, "HTTP_X_CC_NONCE": uuid.uuid4().hex})
    assert swapped.status_code == 403
    assert not RemoteTransaction.objects.exists()
    ok = _signed(client, "validate", validate_message(txid))
    assert ok.status_code == 200 and ok.json()["state"] == "completed"
    again = _signed(client, "commit", {"txid": txid})
    assert again.json()["state"] == "completed"
    assert _signed(client, "nonsense", {}).status_code == 404
    assert _signed(client, "status", {"txid": "not-a-uuid"}).status_code == 422


@pytest.mark.parametrize("amount,amount_to", [(2000.9, 4000), (True, 2)])
def test_an_amount_that_is_not_a_whole_number_is_refused(leaf_b, amount, amount_to) -> None:
    """A fraction of a minor unit (or a boolean) is refused, never silently truncated."""
    message = {**validate_message(str(uuid.uuid4())), "amount": amount, "amount_to": amount_to}
    answer = _signed(Client(), "validate", message)
    assert answer.json()["state"] == "erased"
    assert Account.objects.get(pk=leaf_b["bob"].pk).balance == 0


def test_handshake_in_step_then_divergence_freezes_the_link(leaf_b) -> None:
    client = Client()
    txid = str(uuid.uuid4())
    assert _signed(client, "validate", validate_message(txid)).json()["state"] == "completed"
    link = Link.objects.get(slug="T")
    mine = services.chain_summary(link)
    # the trunk's view of the same link: the same entries, and minus the balance × rate
    theirs = {**mine, "balance": 2000, "broken": False, "unfinished": 0}
    answer = _signed(client, "handshake", theirs).json()
    assert answer["count"] == 1 and answer["head"] == mine["head"]
    link.refresh_from_db()
    assert not link.is_frozen and link.last_handshake == "in step"
    diverged = {**theirs, "count": 2, "head": "f" * 64, "digest": "e" * 64}
    _signed(client, "handshake", diverged)
    link.refresh_from_db()
    assert link.is_frozen and "diverged" in link.frozen_reason
    # a frozen link refuses new payments until a steward resolves it
    refused = _signed(client, "validate", validate_message(str(uuid.uuid4()))).json()
    assert refused["state"] == "erased" and "frozen" in refused["reason"]
    out_of_balance = {**theirs, "balance": 1999}
    services.link_unfreeze(actor=SYSTEM, slug="T", reason="compared by hand")
    _signed(client, "handshake", out_of_balance)
    link.refresh_from_db()
    assert link.is_frozen and "out of balance" in link.frozen_reason


def _capture(monkeypatch: pytest.MonkeyPatch, link: Link, op: str, payload: dict) -> dict:
    """What `transport.http_send` puts on the wire (nothing is sent)."""
    captured: dict[str, Any] = {}

    class Wire:
        def request(self, method: str, path: str, body: bytes, headers: dict) -> None:
            captured.update(path=path, data=body, headers=headers)
            raise ConnectionResetError("captured")

        def close(self) -> None:
            pass

    monkeypatch.setattr(transport, "_connection", lambda target, timeout: Wire())
    with pytest.raises(transport.Unreachable):
        transport.http_send(link, op, payload)
    return captured


def _as_sent_by(captured: dict, sender: str) -> dict[str, Any]:
    h = captured["headers"]
    return {
        "path": captured["path"],
        "data": captured["data"],
        "HTTP_X_CC_NODE": sender,
        "HTTP_X_CC_TIMESTAMP": h["X-CC-Timestamp"],
        "HTTP_X_CC_NONCE": h["X-CC-Nonce"],
        "HTTP_X_CC_SIGNATURE": h["X-CC-Signature"],
    }


def test_a_message_this_node_signed_cannot_be_reflected_back_to_it(
    leaf_b, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """B's own handshake to T, captured on the wire and sent back to B as if from T, is
    refused (it would compare B with itself and freeze the link)."""
    settings.SOLIDARIA = {**settings.SOLIDARIA, "CC_ALLOW_PRIVATE_LINKS": True}
    link = Link.objects.get(slug="T")
    link.url = "http://127.0.0.1:9/cc/"
    link.save(update_fields=["url"])
    captured = _capture(
        monkeypatch, link, "handshake", {**services.chain_summary(link), "balance": 5}
    )
    reflected = _post(Client(), _as_sent_by(captured, "T"))
    assert reflected.status_code == 403
    link.refresh_from_db()
    assert not link.is_frozen


def test_a_replayed_handshake_is_refused_and_does_not_freeze_the_link(leaf_b) -> None:
    """T's handshake while the link was empty, captured and sent again after a payment
    crossed the link, would say the link diverged and freeze it: its nonce was spent."""
    client = Client()
    link = Link.objects.get(slug="T")
    summary = {**services.chain_summary(link), "balance": 0, "broken": False, "unfinished": 0}
    captured = _signed_request("handshake", summary)
    assert _post(client, captured).status_code == 200
    link.refresh_from_db()
    assert not link.is_frozen and link.last_handshake == "in step"
    assert (
        _signed(client, "validate", validate_message(str(uuid.uuid4()))).json()["state"]
        == "completed"
    )
    replayed = _post(client, captured)
    assert replayed.status_code == 409 and "replayed" in replayed.json()["reason"]
    link.refresh_from_db()
    assert not link.is_frozen
    # a fresh handshake with the same stale figures is heard (and freezes, rightly)
    assert _signed(client, "handshake", summary).status_code == 200
    link.refresh_from_db()
    assert link.is_frozen and "diverged" in link.frozen_reason


def test_a_replayed_payment_message_is_refused_and_changes_nothing(leaf_b) -> None:
    client = Client()
    captured = _signed_request("validate", validate_message(str(uuid.uuid4())))
    assert _post(client, captured).json()["state"] == "completed"
    assert _post(client, captured).status_code == 409
    assert Transfer.objects.count() == 1
    assert Account.objects.get(pk=leaf_b["bob"].pk).balance == 4000


def test_nonces_are_forgotten_after_twice_the_replay_window(leaf_b) -> None:
    link = Link.objects.get(slug="T")
    assert nonces.claim(link, "n1", durable=True) and not nonces.claim(link, "n1", durable=True)
    later = timezone.now() + dt.timedelta(seconds=nonces.KEEP_SECONDS + 1)
    assert nonces.purge(now=later) == 1
    assert not Nonce.objects.exists()


# --- origin side: pay form, API, statement ----------------------------------------------


@pytest.fixture
def leaf_a(node: Any, member: Any, neighbours: Any) -> dict[str, Any]:
    node("A")
    acr = ledger.currency_create(actor=SYSTEM, code="ACR", name="A credit", exponent=2)
    account = ledger.account_open(actor=SYSTEM, currency=acr, owner=member)
    ledger.account_limits_set(
        actor=SYSTEM, account=account, credit_limit=10_000, upper_limit=None, reason="t"
    )
    link = services.link_add(
        actor=SYSTEM,
        role="trunk",
        slug="T",
        url="http://t.example/cc/",
        secret=SECRET,
        currency_code="ACR",
        rate="2",
    )
    neighbours.replies[("T", "validate")] = {"state": "completed"}
    return {"account": account, "link": link, "neighbours": neighbours}


def test_the_pay_form_takes_a_member_of_another_network(leaf_a, member_client) -> None:
    account = leaf_a["account"]
    response = member_client.post(
        "/ledger/pay/",
        {
            "payer": account.pk,
            "payee_username": "B/bob",
            "amount": "10.00",
            "memo": "bread",
            "idempotency_key": "form-1",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "You paid 10.00 to bob at network B." in response.content.decode()
    assert Account.objects.get(pk=account.pk).balance == -1000
    statement = member_client.get(f"/ledger/accounts/{account.pk}/").content.decode()
    assert "paid bob at network B" in statement


def test_the_payments_api_takes_a_member_of_another_network(leaf_a, member_token) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {member_token}")
    body = {"payer": leaf_a["account"].pk, "payee_username": "B/bob", "amount": "10.00"}
    made = client.post("/api/ledger/transfers", body, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["kind"] == "remote" and made.json()["status"] == "completed"
    leaf_a["neighbours"].replies[("T", "validate")] = {"state": "erased", "reason": "No bob."}
    refused = client.post("/api/ledger/transfers", body, content_type="application/json")
    assert refused.status_code == 422 and "No bob." in refused.content.decode()


def test_link_accounts_take_no_ordinary_payments_and_holds_skip_the_steward_queue(
    leaf_a, member
) -> None:
    with pytest.raises(ledger.ValidationFailed, match="network/member"):
        ledger.transfer_create(
            actor=member,
            payer=leaf_a["account"],
            payee=leaf_a["link"].account,
            amount_minor=100,
            key="direct",
        )
    leaf_a["neighbours"].replies[("T", "validate")] = transport.Unreachable("reset")
    tx = services.pay(actor=member, payer=member, payee="B/bob", amount_minor=100, key="held")
    assert tx.state == "validated"
    from solidaria.ledger.queries import pending_authorisations

    assert not pending_authorisations().exists()
    with pytest.raises(ledger.Conflict):
        ledger.transfer_approve(actor=SYSTEM, transfer=tx.transfer_id)
    assert Transfer.objects.get(pk=tx.transfer_id).status == "pending"


def test_the_stewards_page_lists_links(leaf_a, steward_client, member_client) -> None:
    page = steward_client.get("/cc/").content.decode()
    assert "Credit between networks" in page and "cc:T" not in page and ">T <" in page
    assert member_client.get("/cc/").status_code == 403


# --- the CLI contract -----------------------------------------------------------------


def _cc(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("cc", *args, "--json", stdout=out)
    return dict(json.loads(out.getvalue().strip().splitlines()[-1]))


def test_cli_pay_status_recover_and_exit_codes(leaf_a, member) -> None:
    first = _cc(
        "pay", "--from", member.username, "--to", "B/bob", "--amount", "10.00", "--key", "k"
    )
    assert first["state"] == "completed" and first["amount_minor"] == 1000
    again = _cc(
        "pay", "--from", member.username, "--to", "B/bob", "--amount", "10.00", "--key", "k"
    )
    assert again == first
    assert _cc("status", first["txid"]) == {
        "txid": first["txid"],
        "state": "completed",
        "reason": "",
    }
    assert _cc("recover") == {"completed": 0, "erased": 0, "unresolved": 0}
    with pytest.raises(CommandError) as bad:
        call_command(
            "cc", "pay", "--from", member.username, "--to", "bob", "--amount", "1", "--key", "x"
        )
    assert bad.value.returncode == 2
    leaf_a["neighbours"].replies[("T", "validate")] = {"state": "erased", "reason": "No."}
    with pytest.raises(CommandError) as refused:
        call_command(
            "cc", "pay", "--from", member.username, "--to", "B/bob", "--amount", "1", "--key", "y"
        )
    assert refused.value.returncode == 1
    with pytest.raises(CommandError) as absent:
        call_command("cc", "status", str(uuid.uuid4()))
    assert absent.value.returncode == 1


def test_cli_link_add_parses_the_limit_and_refuses_a_second_trunk(node) -> None:
    node("A")
    currency("ACR")
    made = _cc(
        "link", "add", "--role", "trunk", "--slug", "T", "--url", "http://t.example/cc/",
        "--secret", SECRET, "--currency", "ACR", "--rate", "1/2", "--credit-limit", "100.00",
    )  # fmt: skip
    assert (made["rate"], made["credit_limit"]) == ("1/2", 10000)
    assert _cc(
        "link", "add", "--role", "trunk", "--slug", "T", "--url", "http://t2.example/cc/",
        "--secret", SECRET, "--currency", "ACR", "--rate", "1/2",
    )["slug"] == "T"  # fmt: skip
    with pytest.raises(CommandError) as second:
        call_command(
            "cc", "link", "add", "--role", "trunk", "--slug", "U", "--url", "http://u/cc/",
            "--secret", SECRET, "--currency", "ACR",
        )  # fmt: skip
    assert second.value.returncode == 1
    assert not LinkEntry.objects.exists()


@pytest.mark.parametrize(
    "url,says",
    [
        ("ftp://t.example/cc/", "http:// or https://"),
        ("http:///cc/", "http:// or https://"),
        ("http://alice:secret@t.example/cc/", "user name or a password"),
        ("http://t.example/cc/?next=1", "without a query"),
        ("http://127.0.0.1:8000/cc/", "turned off"),
        ("http://localhost/cc/", "turned off"),
        ("http://10.0.0.5/cc/", "turned off"),
        ("http://[::1]:8000/cc/", "turned off"),
        ("http://169.254.169.254/cc/", "turned off"),
    ],
)
def test_cli_link_add_refuses_an_address_it_may_not_reach(node, url: str, says: str) -> None:
    node("A")
    currency("ACR")
    with pytest.raises(CommandError) as refused:
        call_command(
            "cc", "link", "add", "--role", "trunk", "--slug", "T", "--url", url,
            "--secret", SECRET, "--currency", "ACR",
        )  # fmt: skip
    assert refused.value.returncode == 2
    assert says in str(refused.value) and "(url)" in str(refused.value)
    assert not Link.objects.exists()


def test_a_private_link_address_is_accepted_when_the_operator_allows_it(node, settings) -> None:
    node("A")
    currency("ACR")
    settings.SOLIDARIA = {**settings.SOLIDARIA, "CC_ALLOW_PRIVATE_LINKS": True}
    made = _cc(
        "link", "add", "--role", "trunk", "--slug", "T", "--url", "http://127.0.0.1:8000/cc/",
        "--secret", SECRET, "--currency", "ACR",
    )  # fmt: skip
    assert made["slug"] == "T"
    # credentials stay refused even then
    with pytest.raises(CommandError) as refused:
        call_command(
            "cc", "link", "add", "--role", "trunk", "--slug", "T", "--url",
            "http://u:p@127.0.0.1:8000/cc/", "--secret", SECRET, "--currency", "ACR",
        )  # fmt: skip
    assert refused.value.returncode == 2
