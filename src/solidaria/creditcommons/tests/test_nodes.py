"""Each role of a node (origin A, trunk T, destination B) against recorded neighbour
messages: limits, holds, the one-round state machine (the destination validates and
commits at once), idempotency under the global id, presumed abort only where it is
safe, recovery, and the ledger staying verifiable throughout."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from solidaria.core.permissions import SYSTEM
from solidaria.creditcommons import services, transport
from solidaria.creditcommons.models import LinkEntry, RemoteTransaction, State
from solidaria.creditcommons.tests.conftest import SECRET, currency, member_account
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, Transfer
from solidaria.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _link(role: str, slug: str, code: str, rate: str, limit: int | None = None) -> Any:
    return services.link_add(
        actor=SYSTEM,
        role=role,
        slug=slug,
        url=f"http://{slug.lower()}.example/cc/",
        secret=SECRET,
        currency_code=code,
        rate=rate,
        credit_limit=limit,
    )


def _balance(account: Any) -> tuple[int, int]:
    account = Account.objects.get(pk=account.pk)
    return account.balance, account.reserved


def _assert_verifies() -> None:
    report = verify()
    assert report.ok, [p.message for p in report.problems]


# --- origin (leaf A, rate 2 towards T) ---------------------------------------------------


@pytest.fixture
def leaf_a(node: Any) -> dict[str, Any]:
    node("A")
    acr = currency("ACR")
    alice = member_account("alice", acr, limit=5_000)
    return {"alice": alice, "link": _link("trunk", "T", "ACR", "2"), "currency": acr}


def _pay(alice: Account, key: str = "k1", amount: int = 1000) -> RemoteTransaction:
    return services.pay(
        actor=alice.owner, payer=alice.owner, payee="B/bob", amount_minor=amount, key=key
    )


def test_origin_pays_in_one_round_and_a_repeat_changes_nothing(leaf_a, neighbours) -> None:
    neighbours.replies[("T", "validate")] = {"state": "completed"}
    tx = _pay(leaf_a["alice"])
    assert tx.state == State.COMPLETED and tx.role == "origin"
    assert neighbours.ops() == [("T", "validate")]
    sent = neighbours.sent[0][2]
    assert (sent["amount"], sent["amount_to"], sent["payee"]) == (1000, 2000, "B/bob")
    assert sent["payer"] == "A/alice"
    assert _balance(leaf_a["alice"]) == (-1000, 0)
    assert _balance(leaf_a["link"].account) == (1000, 0)
    entry = LinkEntry.objects.get()
    assert (entry.direction, entry.leaf_amount, entry.trunk_amount) == ("trunkward", 1000, 2000)
    assert services.describe(tx) == "paid bob at network B"
    again = _pay(leaf_a["alice"])
    assert again.pk == tx.pk and len(neighbours.sent) == 1
    _assert_verifies()


def test_origin_commits_through_a_neighbour_that_only_holds(leaf_a, neighbours) -> None:
    """A downstream answer "validated" (a node that holds without deciding): the payer
    already decided, so the origin sends the commit at once."""
    neighbours.replies[("T", "validate")] = {"state": "validated"}
    neighbours.replies[("T", "commit")] = {"state": "completed"}
    tx = _pay(leaf_a["alice"])
    assert tx.state == State.COMPLETED
    assert neighbours.ops() == [("T", "validate"), ("T", "commit")]
    _assert_verifies()


def test_the_same_key_for_another_payment_is_refused(leaf_a, neighbours) -> None:
    neighbours.replies[("T", "validate")] = {"state": "erased", "reason": "no"}
    _pay(leaf_a["alice"])
    with pytest.raises(services.Conflict):
        _pay(leaf_a["alice"], amount=999)


def test_origin_refused_downstream_releases_the_hold(leaf_a, neighbours) -> None:
    neighbours.replies[("T", "validate")] = {"state": "erased", "reason": "B has no bob."}
    tx = _pay(leaf_a["alice"])
    assert (tx.state, tx.reason) == (State.ERASED, "B has no bob.")
    assert _balance(leaf_a["alice"]) == (0, 0)
    assert Transfer.objects.get(pk=tx.transfer_id).status == Transfer.Status.REJECTED
    _assert_verifies()


def test_origin_above_its_limit_is_refused_before_any_message(leaf_a, neighbours) -> None:
    with pytest.raises(services.ValidationFailed):
        _pay(leaf_a["alice"], amount=5_001)
    assert neighbours.sent == [] and not RemoteTransaction.objects.exists()


def test_an_amount_that_does_not_convert_exactly_is_refused(node, neighbours) -> None:
    node("A")
    acr = currency("ACR")
    alice = member_account("alice", acr)
    _link("trunk", "T", "ACR", "1/3")
    with pytest.raises(services.ValidationFailed, match="exactly"):
        _pay(alice, amount=1000)
    assert not RemoteTransaction.objects.exists()


def test_origin_unreachable_trunk_erases_and_says_so(leaf_a, neighbours) -> None:
    tx = _pay(leaf_a["alice"])
    assert tx.state == State.ERASED and "could not be reached" in tx.reason
    assert neighbours.ops() == [("T", "validate"), ("T", "erase")]
    assert _balance(leaf_a["alice"]) == (0, 0)


def test_origin_keeps_the_hold_when_the_payment_gets_no_answer_then_recovers(
    leaf_a, neighbours
) -> None:
    # the message may have arrived (a reset, a timeout): the outcome is unknown
    neighbours.replies[("T", "validate")] = transport.Unreachable("connection reset")
    tx = _pay(leaf_a["alice"])
    assert tx.state == State.VALIDATED  # unknown: never presumed aborted
    assert neighbours.ops() == [("T", "validate")]
    assert _balance(leaf_a["alice"]) == (0, 1000)
    _assert_verifies()
    assert services.recover() == {"completed": 0, "erased": 0, "unresolved": 1}
    neighbours.replies[("T", "commit")] = {"state": "completed"}
    assert services.recover() == {"completed": 1, "erased": 0, "unresolved": 0}
    assert _balance(leaf_a["alice"]) == (-1000, 0)
    # the client's retry with the same key now gets the final answer
    assert _pay(leaf_a["alice"]).state == State.COMPLETED
    _assert_verifies()


def test_origin_recovery_follows_an_erase_from_downstream(leaf_a, neighbours) -> None:
    neighbours.replies[("T", "validate")] = transport.Unreachable("timed out")
    tx = _pay(leaf_a["alice"])
    neighbours.replies[("T", "commit")] = {"state": "timedout", "reason": "late"}
    assert services.recover()["erased"] == 1
    tx.refresh_from_db()
    assert tx.state == State.ERASED and _balance(leaf_a["alice"]) == (0, 0)


def test_a_frozen_link_refuses_new_payments(leaf_a, neighbours) -> None:
    link = leaf_a["link"]
    link.is_frozen = True
    link.save()
    with pytest.raises(services.ValidationFailed, match="frozen"):
        _pay(leaf_a["alice"])
    services.link_unfreeze(actor=SYSTEM, slug="T", reason="checked with T's stewards")
    neighbours.replies[("T", "validate")] = {"state": "erased", "reason": "x"}
    assert _pay(leaf_a["alice"]).state == State.ERASED


# --- destination (leaf B, rate 1/2 towards T) ----------------------------------------------


@pytest.fixture
def leaf_b(node: Any) -> dict[str, Any]:
    node("B")
    bcr = currency("BCR")
    bob = member_account("bob", bcr)
    return {"bob": bob, "link": _link("trunk", "T", "BCR", "1/2")}


def _validate_msg(txid: str, amount: int, to: int, payee: str = "B/bob", **kw: Any) -> dict:
    deadline = kw.pop("deadline", timezone.now() + dt.timedelta(seconds=60))
    return {
        "txid": txid,
        "payer": "A/alice",
        "payee": payee,
        "amount": amount,
        "amount_to": to,
        "exponent": 2,
        "memo": "bread",
        "deadline": deadline.isoformat(),
    }


def test_destination_validates_and_commits_at_once_and_tells_the_payee(
    leaf_b, django_capture_on_commit_callbacks
) -> None:
    link, bob = leaf_b["link"], leaf_b["bob"]
    txid = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):  # the payee is told after it
        first = services.handle(link, "validate", _validate_msg(txid, 2000, 4000))
    assert first["state"] == "completed" and first["amount_minor"] == 4000
    assert services.handle(link, "validate", _validate_msg(txid, 2000, 4000)) == first
    assert _balance(bob) == (4000, 0) and _balance(link.account) == (-4000, 0)
    # a commit, a status or a late erase of the same id: the stored answer
    assert services.handle(link, "commit", {"txid": txid}) == first
    assert services.handle(link, "erase", {"txid": txid}) == first
    entry = LinkEntry.objects.get()
    assert (entry.direction, entry.leaf_amount, entry.trunk_amount) == ("leafward", 4000, 2000)
    note = Notification.objects.get(user=bob.owner, kind="ledger.payment.received")
    assert note.kind == "ledger.payment.received"
    tx = RemoteTransaction.objects.get(txid=txid)
    assert services.describe(tx) == "received from alice at network A"
    _assert_verifies()


def test_destination_refuses_an_unknown_member_and_a_rate_it_does_not_share(leaf_b) -> None:
    link = leaf_b["link"]
    no_one = services.handle(
        link, "validate", _validate_msg(str(uuid.uuid4()), 2000, 4000, payee="B/zed")
    )
    assert no_one["state"] == "erased" and "zed" in no_one["reason"]
    wrong = services.handle(link, "validate", _validate_msg(str(uuid.uuid4()), 2000, 1000))
    assert wrong["state"] == "erased" and "conversion rate" in wrong["reason"]
    assert _balance(link.account) == (0, 0)


def test_destination_never_commits_after_its_deadline(leaf_b) -> None:
    link, bob = leaf_b["link"], leaf_b["bob"]
    txid = str(uuid.uuid4())
    past = timezone.now() - dt.timedelta(seconds=1)
    late = services.handle(link, "validate", _validate_msg(txid, 2000, 4000, deadline=past))
    assert late["state"] == "erased" and "deadline" in late["reason"]
    assert services.handle(link, "commit", {"txid": txid})["state"] == "erased"
    assert _balance(bob) == (0, 0) and _balance(link.account) == (0, 0)
    _assert_verifies()


def test_destination_never_commits_after_it_answered_erased(leaf_b) -> None:
    """The erase overtook the payment (T gave up on it): the late payment is refused."""
    link, bob = leaf_b["link"], leaf_b["bob"]
    txid = str(uuid.uuid4())
    assert services.handle(link, "erase", {"txid": txid})["state"] == "erased"
    assert services.handle(link, "validate", _validate_msg(txid, 2000, 4000))["state"] == "erased"
    assert services.handle(link, "commit", {"txid": txid})["state"] == "erased"
    assert _balance(bob) == (0, 0)


def test_an_unknown_transaction_asked_about_is_erased_for_good(leaf_b) -> None:
    link = leaf_b["link"]
    txid = str(uuid.uuid4())
    assert services.handle(link, "status", {"txid": txid})["state"] == "erased"
    # a late validation of the same id is refused
    late = services.handle(link, "validate", _validate_msg(txid, 2000, 4000))
    assert late["state"] == "erased"
    assert _balance(link.account) == (0, 0)


def test_destination_recovery_times_out_a_hold_past_its_deadline(leaf_b) -> None:
    """A hold left by the two-round protocol (validated, not committed) times out."""
    link = leaf_b["link"]
    held = RemoteTransaction.objects.create(
        txid=uuid.uuid4(),
        role="destination",
        state=State.VALIDATED,
        payer_address="A/alice",
        payee_address="B/bob",
        upstream=link,
        amount_minor=0,
        deadline=timezone.now() + dt.timedelta(seconds=60),
    )
    assert services.recover() == {"completed": 0, "erased": 0, "unresolved": 1}
    RemoteTransaction.objects.filter(pk=held.pk).update(
        deadline=timezone.now() - dt.timedelta(seconds=1)
    )
    assert services.recover() == {"completed": 0, "erased": 1, "unresolved": 0}
    assert services.handle(link, "commit", {"txid": str(held.txid)})["state"] == "timedout"
    _assert_verifies()


# --- the trunk T (leaves A at rate 2 and B at rate 1/2) -------------------------------------


@pytest.fixture
def trunk(node: Any) -> dict[str, Any]:
    node("T")
    currency("TRK")
    return {
        "A": _link("leaf", "A", "TRK", "2", limit=3_000),
        "B": _link("leaf", "B", "TRK", "1/2", limit=3_000),
    }


def _from_a(txid: str, amount: int = 1000) -> dict:
    return _validate_msg(txid, amount, amount * 2)


def test_trunk_relays_converts_and_commits_after_the_destination(trunk, neighbours) -> None:
    neighbours.replies[("B", "validate")] = {"state": "completed"}
    txid = str(uuid.uuid4())
    answer = services.handle(trunk["A"], "validate", _from_a(txid))
    assert answer["state"] == "completed"
    assert neighbours.ops() == [("B", "validate")]
    relayed = neighbours.sent[0][2]
    assert (relayed["amount"], relayed["amount_to"]) == (2000, 4000)
    assert _balance(trunk["A"].account) == (-2000, 0)
    assert _balance(trunk["B"].account) == (2000, 0)
    chains = {
        e.link.slug: (e.direction, e.leaf_amount, e.trunk_amount) for e in LinkEntry.objects.all()
    }
    assert chains == {"A": ("trunkward", 1000, 2000), "B": ("leafward", 4000, 2000)}
    # the origin's repeat (or its recovery's commit) gets the stored answer
    assert services.handle(trunk["A"], "validate", _from_a(txid)) == answer
    assert services.handle(trunk["A"], "commit", {"txid": txid}) == answer
    assert len(neighbours.sent) == 1
    _assert_verifies()


def test_trunk_refuses_beyond_a_leafs_credit_line(trunk, neighbours) -> None:
    answer = services.handle(trunk["A"], "validate", _from_a(str(uuid.uuid4()), amount=1501))
    assert answer["state"] == "erased" and neighbours.sent == []


def test_trunk_erases_when_the_destination_cannot_be_reached(trunk, neighbours) -> None:
    txid = str(uuid.uuid4())
    answer = services.handle(trunk["A"], "validate", _from_a(txid))
    assert answer["state"] == "erased" and "could not be reached" in answer["reason"]
    assert neighbours.ops() == [("B", "validate"), ("B", "erase")]
    assert _balance(trunk["A"].account) == (0, 0)
    # the origin asking again gets the stored answer, nothing is relayed again
    assert services.handle(trunk["A"], "validate", _from_a(txid)) == answer
    assert len(neighbours.sent) == 2


def test_trunk_that_lost_the_answer_asks_the_destination(trunk, neighbours) -> None:
    """B committed but its answer never came back (T died before writing its commit, or
    the connection broke): T keeps the hold; on recovery it asks B and follows it, and
    the origin's commit then completes too."""
    neighbours.replies[("B", "validate")] = transport.Unreachable("connection reset")
    txid = str(uuid.uuid4())
    assert services.handle(trunk["A"], "validate", _from_a(txid))["state"] == "initiated"
    assert _balance(trunk["A"].account) == (0, 2000)
    assert services.recover() == {"completed": 0, "erased": 0, "unresolved": 1}
    neighbours.replies[("B", "erase")] = {"state": "completed"}
    assert services.recover() == {"completed": 1, "erased": 0, "unresolved": 0}
    assert services.handle(trunk["A"], "commit", {"txid": txid})["state"] == "completed"
    assert _balance(trunk["B"].account) == (2000, 0)
    _assert_verifies()


def test_trunk_waits_while_the_destination_still_holds(trunk, neighbours) -> None:
    neighbours.replies[("B", "validate")] = transport.Unreachable("timed out")
    txid = str(uuid.uuid4())
    services.handle(trunk["A"], "validate", _from_a(txid))
    neighbours.replies[("B", "erase")] = {"state": "validated"}
    assert services.handle(trunk["A"], "status", {"txid": txid})["state"] == "initiated"
    neighbours.replies[("B", "erase")] = {"state": "timedout", "reason": "late"}
    assert services.handle(trunk["A"], "status", {"txid": txid})["state"] == "erased"
    assert _balance(trunk["A"].account) == (0, 0)


def test_an_interrupted_relay_asks_the_destination_then_aborts(trunk, neighbours) -> None:
    """Killed before it relayed (cc.before_relay): B may have decided, so T asks it to
    erase and follows its answer."""
    txid = str(uuid.uuid4())
    neighbours.replies[("B", "validate")] = lambda p: (_ for _ in ()).throw(SystemExit)
    with pytest.raises(SystemExit):
        services.handle(trunk["A"], "validate", _from_a(txid))
    tx = RemoteTransaction.objects.get(txid=txid)
    assert tx.state == State.INITIATED
    neighbours.replies[("B", "erase")] = {"state": "erased"}
    assert services.recover()["erased"] == 1
    assert _balance(trunk["A"].account) == (0, 0)


def test_messages_from_another_link_are_not_answered(trunk, neighbours) -> None:
    neighbours.replies[("B", "validate")] = {"state": "completed"}
    txid = str(uuid.uuid4())
    services.handle(trunk["A"], "validate", _from_a(txid))
    with pytest.raises(services.NotFound):
        services.handle(trunk["B"], "commit", {"txid": txid})


def test_the_recovery_task_leaves_fresh_transactions_alone(trunk, neighbours) -> None:
    from solidaria.creditcommons.tasks import recover_unfinished

    neighbours.replies[("B", "validate")] = transport.Unreachable("timed out")
    services.handle(trunk["A"], "validate", _from_a(str(uuid.uuid4())))
    neighbours.replies[("B", "erase")] = {"state": "erased"}
    assert recover_unfinished.enqueue(min_age_seconds=3600).return_value == {
        "completed": 0,
        "erased": 0,
        "unresolved": 0,
    }
    assert recover_unfinished.enqueue(min_age_seconds=0).return_value["erased"] == 1


# --- fees ------------------------------------------------------------------------------------


def test_a_trunk_fee_is_deducted_from_what_moves_on_and_the_invariant_stays_exact(
    node, neighbours
) -> None:
    node("T")
    currency("TRK")
    link_a = services.link_add(
        actor=SYSTEM, role="leaf", slug="A", url="http://a.example/cc/", secret=SECRET,
        currency_code="TRK", rate="2", credit_limit=100_000, fee_basis_points=150,
    )  # fmt: skip
    link_b = _link("leaf", "B", "TRK", "3")
    neighbours.replies[("B", "validate")] = {"state": "completed"}
    txid = str(uuid.uuid4())
    assert services.handle(link_a, "validate", _from_a(txid))["state"] == "completed"
    relayed = neighbours.sent[0][2]
    # 20.00 arrives; 1.5 % is 0.30, but the rest must convert exactly at 3 T per B unit:
    # the fee is raised to 0.32 and 19.68 T moves on as 6.56 B
    assert (relayed["amount"], relayed["amount_to"]) == (1968, 656)
    network = Account.objects.get(currency__code="TRK", kind="system", name="network")
    assert _balance(link_a.account) == (-2000, 0)
    assert _balance(link_b.account) == (1968, 0) and network.balance == 32
    chains = {e.link.slug: (e.leaf_amount, e.trunk_amount) for e in LinkEntry.objects.all()}
    assert chains == {"A": (1000, 2000), "B": (656, 1968)}
    _assert_verifies()


def test_a_destination_fee_reaches_the_payee_net(leaf_b) -> None:
    link, bob = leaf_b["link"], leaf_b["bob"]
    link.fee_basis_points = 100
    link.save()
    txid = str(uuid.uuid4())
    assert services.handle(link, "validate", _validate_msg(txid, 2000, 4000))["state"] == (
        "completed"
    )
    assert _balance(bob) == (3960, 0) and _balance(link.account) == (-4000, 0)
    _assert_verifies()


def test_check_asks_each_neighbour_and_freezes_a_diverged_link(leaf_a, neighbours) -> None:
    neighbours.replies[("T", "validate")] = {"state": "completed"}
    _pay(leaf_a["alice"])
    link = leaf_a["link"]
    mine = services.chain_summary(link)
    assert mine["count"] == 1 and mine["balance"] == 1000 and not mine["broken"]
    # the trunk holds the same chain and minus the balance at the rate (1000 × 2)
    neighbours.replies[("T", "handshake")] = {**mine, "balance": -2000}
    assert services.check() == {"ok": True, "problems": []}
    link.refresh_from_db()
    assert not link.is_frozen and link.last_handshake == "in step"
    neighbours.replies[("T", "handshake")] = {**mine, "balance": -1999}
    report = services.check()
    assert not report["ok"] and "out of balance" in report["problems"][0]
    link.refresh_from_db()
    assert link.is_frozen
    # unreachable: reported, never frozen for that alone
    services.link_unfreeze(actor=SYSTEM, slug="T", reason="fixed")
    neighbours.replies.pop(("T", "handshake"))
    report = services.check()
    assert not report["ok"] and "could not be asked" in report["problems"][0]
    link.refresh_from_db()
    assert not link.is_frozen


def test_a_payment_between_networks_cannot_be_reversed_on_one_ledger(leaf_a, neighbours) -> None:
    from solidaria.ledger import services as ledger

    neighbours.replies[("T", "validate")] = {"state": "completed"}
    tx = _pay(leaf_a["alice"])
    with pytest.raises(services.ValidationFailed, match="through the networks"):
        ledger.transfer_reverse(actor=SYSTEM, transfer=tx.transfer_id, reason="oops", key="r")
    _assert_verifies()
