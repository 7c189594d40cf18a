"""A tree of six networks in one process (see `tree.py`): every node its own database.

        R (RCR)
       /       \\
   T1 (TAC)    T2 (TBC)
   /     \\        \\
 A (ACR) C (CCR)  B (BCR)

Rates (trunk units per leaf unit): A–T1 2, C–T1 5/4, T1–R 1/4, T2–R 5/2, B–T2 1/3, so
10.00 ACR = 20.00 TAC = 5.00 RCR = 2.00 TBC = 6.00 BCR and 20.00 TAC = 16.00 CCR.
After every scenario, on every node: each currency sums to zero, `solidaria ledger
verify` passes, every link's two ends agree (leaf's trunkward balance × rate = − the
trunk's account for that leaf, the same hash chain) and `cc check` is ok.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from fractions import Fraction
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from solidaria.accounts.models import User
from solidaria.core.errors import ValidationFailed
from solidaria.creditcommons import engine, services, transport
from solidaria.creditcommons.models import Link, LinkEntry, RemoteTransaction, State
from solidaria.creditcommons.tests.tree import Tree, build, snapshot
from solidaria.ledger.models import Account, Transfer

pytestmark = pytest.mark.django_db

CURRENCIES = {"R": "RCR", "T1": "TAC", "T2": "TBC", "A": "ACR", "B": "BCR", "C": "CCR"}
MEMBERS = {"R": ["rita"], "T1": ["tom"], "T2": ["tess"], "A": ["alice"], "B": ["bob"],
           "C": ["carol"]}  # fmt: skip
LINKS = [("T1", "R", "1/4"), ("T2", "R", "5/2"), ("A", "T1", "2"), ("C", "T1", "5/4"),
         ("B", "T2", "1/3")]  # fmt: skip


@pytest.fixture(scope="session")
def node_template(django_db_setup: Any, django_db_blocker: Any) -> sqlite3.Connection:
    with django_db_blocker.unblock():
        if connection.vendor != "sqlite":
            pytest.skip(
                "the nodes are copies of the SQLite test database (PostgreSQL's side of "
                "the protocol is in test_concurrency_pg.py and make federation-test)"
            )
        return snapshot()


@pytest.fixture
def tree(node_template: sqlite3.Connection) -> Iterator[Tree]:
    made = build(node_template, currencies=CURRENCIES, members=MEMBERS, links=LINKS)
    transport.use(made)
    yield made
    transport.use(None)
    made.close()


# --- helpers ---------------------------------------------------------------------------------


def pay(tree: Tree, node: str, username: str, payee: str, amount: int, key: str = "k"):
    with tree.on(node):
        user = User.objects.get(username=username)
        return services.pay(actor=user, payer=user, payee=payee, amount_minor=amount, key=key)


def balance(tree: Tree, node: str, username: str) -> int:
    with tree.on(node):
        return Account.objects.get(owner__username=username).balance


def network_fees(tree: Tree, node: str) -> int:
    with tree.on(node):
        found = Account.objects.filter(kind="system", name="network").first()
        return found.balance if found else 0


def states(tree: Tree, txid: Any) -> dict[str, tuple[str, str]]:
    """Each node that knows the payment: (its role, its state)."""
    found = {}
    for slug in tree.nodes:
        with tree.on(slug):
            tx = RemoteTransaction.objects.filter(txid=txid).first()
            if tx is not None:
                found[slug] = (tx.role, tx.state)
    return found


def snapshot_of(tree: Tree) -> dict[str, Any]:
    """Everything a replay must leave unchanged, per node."""
    out = {}
    for slug in tree.nodes:
        with tree.on(slug):
            out[slug] = (
                sorted(Account.objects.values_list("pk", "balance", "reserved")),
                Transfer.objects.count(),
                LinkEntry.objects.count(),
                sorted(RemoteTransaction.objects.values_list("txid", "state")),
            )
    return out


def recover_all(tree: Tree) -> dict[str, dict[str, int]]:
    out = {}
    for slug in tree.nodes:
        with tree.on(slug):
            out[slug] = services.recover()
    return out


def assert_invariants(tree: Tree, *, settled: bool = True) -> None:
    for slug in tree.nodes:
        with tree.on(slug):
            sums = Account.objects.values("currency__code").annotate(total=Sum("balance"))
            assert all(row["total"] == 0 for row in sums), (slug, list(sums))
            out = StringIO()
            call_command("ledger", "verify", "--json", stdout=out)
            assert json.loads(out.getvalue())["ok"] is True, (slug, out.getvalue())
            if settled:
                assert not RemoteTransaction.objects.filter(state__in=services.UNFINISHED)
                assert not Account.objects.exclude(reserved=0).exists(), slug
    for leaf, trunk, rate in tree.links:
        with tree.on(leaf):
            up = Link.objects.get(slug=trunk)
            leaf_side = services.chain_summary(up)
        with tree.on(trunk):
            down = Link.objects.get(slug=leaf)
            trunk_side = services.chain_summary(down)
        if settled:  # payments in flight are not compared (see docs/federation-credit.md)
            assert leaf_side["balance"] * rate == -trunk_side["balance"], (leaf, trunk)
            assert leaf_side["count"] == trunk_side["count"], (leaf, trunk)
            assert leaf_side["head"] == trunk_side["head"], (leaf, trunk)
    if settled:
        for slug in tree.nodes:
            with tree.on(slug):
                assert services.check() == {"ok": True, "problems": []}, slug


# --- paths -----------------------------------------------------------------------------------


def test_a_leaf_pays_a_sibling_under_the_same_trunk(tree: Tree) -> None:
    tx = pay(tree, "A", "alice", "C/carol", 1000)
    assert tx.state == State.COMPLETED
    assert states(tree, tx.txid) == {
        "A": ("origin", "completed"),
        "T1": ("relay", "completed"),
        "C": ("destination", "completed"),
    }
    assert balance(tree, "A", "alice") == -1000
    assert balance(tree, "C", "carol") == 1600  # 20.00 TAC at 5/4
    assert_invariants(tree)


def test_a_leaf_pays_a_member_of_its_own_trunk(tree: Tree) -> None:
    tx = pay(tree, "A", "alice", "T1/tom", 1000)
    assert states(tree, tx.txid) == {
        "A": ("origin", "completed"),
        "T1": ("destination", "completed"),
    }
    assert balance(tree, "T1", "tom") == 2000
    assert_invariants(tree)


def test_a_cousins_bare_name_is_refused_at_the_root_and_every_hold_released(
    tree: Tree,
) -> None:
    """B is not a leaf of R: a bare `B/bob` climbs A → T1 → R, where nobody knows B."""
    tx = pay(tree, "A", "alice", "B/bob", 1000)
    assert tx.state == State.ERASED and "does not know a network called B" in tx.reason
    assert states(tree, tx.txid) == {
        "A": ("origin", "erased"),
        "T1": ("relay", "erased"),
        "R": ("relay", "erased"),  # refused before anything was held
    }
    assert balance(tree, "A", "alice") == 0
    assert_invariants(tree)


@pytest.mark.parametrize(
    ("path", "me", "from_trunk", "expected"),
    [
        # going up: the first name if it is a leaf of mine, else (the caller) the trunk
        (("C",), "A", False, ("C", False)),
        (("T2", "B"), "T1", False, ("T2", False)),
        # the path starts here: the next name is one of my leaves, or it is for me
        (("T1",), "T1", False, (None, True)),
        (("R", "T2", "B"), "R", False, ("T2", True)),
        # coming from my trunk: the name after mine, or me
        (("T2", "B"), "T2", True, ("B", True)),
        (("T2", "B"), "B", True, (None, True)),
        (("R", "T2", "B"), "T2", True, ("B", True)),
    ],
)
def test_a_path_resolves_relative_to_the_first_network_that_knows_it(
    path: tuple[str, ...], me: str, from_trunk: bool, expected: tuple[str | None, bool]
) -> None:
    assert engine.next_network(path, me, from_trunk=from_trunk) == expected


def test_a_path_that_does_not_lead_through_a_network_coming_from_its_trunk_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="does not lead through network B"):
        engine.next_network(("T2", "D"), "B", from_trunk=True)


def test_an_address_is_a_path_of_networks_then_the_member() -> None:
    address = engine.parse_address("R/T2/B/bob")
    assert (address.network, address.member, address.path) == ("R/T2/B", "bob", ("R", "T2", "B"))
    assert str(address) == "R/T2/B/bob"


@pytest.mark.parametrize("payee", ["T2/B/bob", "R/T2/B/bob"])
def test_a_leaf_pays_across_the_root_in_four_hops(tree: Tree, payee: str) -> None:
    tx = pay(tree, "A", "alice", payee, 1000)
    assert tx.state == State.COMPLETED, tx.reason
    assert states(tree, tx.txid) == {
        "A": ("origin", "completed"),
        "T1": ("relay", "completed"),
        "R": ("relay", "completed"),
        "T2": ("relay", "completed"),
        "B": ("destination", "completed"),
    }
    # 10.00 ACR = 20.00 TAC = 5.00 RCR = 2.00 TBC = 6.00 BCR, on every ledger on the way
    assert balance(tree, "A", "alice") == -1000
    assert balance(tree, "B", "bob") == 600
    with tree.on("B"):
        assert services.describe(RemoteTransaction.objects.get(txid=tx.txid)) == (
            "received from alice at network A"
        )
    with tree.on("A"):
        assert services.describe(RemoteTransaction.objects.get(txid=tx.txid)) == (
            f"paid bob at network {payee.rpartition('/')[0]}"
        )
    assert link_balances(tree) == {
        ("A", "T1"): (1000, -2000),
        ("T1", "R"): (2000, -500),
        ("T2", "R"): (-200, 500),
        ("B", "T2"): (-600, 200),
        ("C", "T1"): (0, 0),
    }
    assert_invariants(tree)


def test_the_way_back_down_from_the_root_and_a_wrong_turn(tree: Tree) -> None:
    back = pay(tree, "B", "bob", "T1/A/alice", 600)
    assert back.state == State.COMPLETED, back.reason
    assert balance(tree, "A", "alice") == 1000
    # from the root down to a member of a trunk, and to a leaf the path does not name
    assert pay(tree, "R", "rita", "T2/tess", 100, key="k2").state == State.COMPLETED
    assert balance(tree, "T2", "tess") == 40  # 1.00 RCR at 5/2
    wrong = pay(tree, "A", "alice", "T2/C/carol", 1000, key="k3")
    assert wrong.state == State.ERASED and "does not know a network called C" in wrong.reason
    assert states(tree, wrong.txid)["T2"] == ("relay", "erased")
    assert_invariants(tree)


def link_balances(tree: Tree) -> dict[tuple[str, str], tuple[int, int]]:
    """(leaf, trunk) → (the leaf's trunkward account, the trunk's account for the leaf)."""
    out = {}
    for leaf, trunk, _rate in tree.links:
        with tree.on(leaf):
            up = Account.objects.get(cc_link__slug=trunk).balance
        with tree.on(trunk):
            down = Account.objects.get(cc_link__slug=leaf).balance
        out[(leaf, trunk)] = (up, down)
    return out


# --- fees ------------------------------------------------------------------------------------


def test_fees_on_the_way_are_deducted_exactly_and_every_link_stays_exact(
    node_template: sqlite3.Connection,
) -> None:
    """T1 takes 1 % of what arrives from A, R 2 % of what arrives from T1, B 0.5 %."""
    fees = {("T1", "A"): 100, ("R", "T1"): 200, ("B", "T2"): 50}
    tree = build(node_template, currencies=CURRENCIES, members=MEMBERS, links=LINKS, fees=fees)
    transport.use(tree)
    try:
        tx = pay(tree, "A", "alice", "T2/B/bob", 1000)
        assert tx.state == State.COMPLETED, tx.reason
        # T1: 20.00 TAC arrives, 0.20 fee, 19.80 TAC = 4.95 RCR moves on.
        # R: 4.95 RCR arrives, 2 % is 0.099 → 0.09, raised to 0.10 so that the rest converts
        # exactly at 5/2: 4.85 RCR = 1.94 TBC. T2 takes nothing: 1.94 TBC = 5.82 BCR.
        # B: 0.5 % of 5.82 is 0.0291 → 0.02; bob receives 5.80.
        assert [network_fees(tree, slug) for slug in ("A", "T1", "R", "T2", "B")] == [
            0, 20, 10, 0, 2,
        ]  # fmt: skip
        assert balance(tree, "A", "alice") == -1000
        assert balance(tree, "B", "bob") == 580
        assert link_balances(tree) == {
            ("A", "T1"): (1000, -2000),
            ("T1", "R"): (1980, -495),
            ("T2", "R"): (-194, 485),
            ("B", "T2"): (-582, 194),
            ("C", "T1"): (0, 0),
        }
        assert_invariants(tree)
    finally:
        transport.use(None)
        tree.close()


# --- idempotent replays ----------------------------------------------------------------------


def test_every_relay_replayed_changes_nothing_and_gets_the_stored_answer(tree: Tree) -> None:
    tx = pay(tree, "A", "alice", "T2/B/bob", 1000)
    assert tx.state == State.COMPLETED
    hops = [(sender, to, op) for sender, to, op, _payload, _answer in tree.sent]
    assert hops == [  # recorded as each answer comes back: the destination's first
        ("T2", "B", "validate"),
        ("R", "T2", "validate"),
        ("T1", "R", "validate"),
        ("A", "T1", "validate"),
    ]
    before = snapshot_of(tree)
    recorded = list(tree.sent)
    for sender, to, op, payload, answer in recorded:
        assert tree.deliver(sender, to, op, payload) == answer
        assert answer["state"] == "completed"
        for again in ("commit", "status", "erase"):
            assert tree.deliver(sender, to, again, {"txid": str(tx.txid)}) == answer
    # the payer's retry with the same key: the same payment, no message sent
    assert pay(tree, "A", "alice", "T2/B/bob", 1000).pk == tx.pk
    assert tree.sent == recorded
    assert recover_all(tree) == {slug: {"completed": 0, "erased": 0, "unresolved": 0}
                                 for slug in tree.nodes}  # fmt: skip
    assert snapshot_of(tree) == before
    assert_invariants(tree)


# --- a middle node that does not answer -------------------------------------------------------


def test_a_middle_node_that_refuses_the_connection_erases_the_payment_everywhere(
    tree: Tree,
) -> None:
    tree.down.add("R")
    tx = pay(tree, "A", "alice", "T2/B/bob", 1000)
    assert tx.state == State.ERASED and "could not be reached" in tx.reason
    assert states(tree, tx.txid) == {"A": ("origin", "erased"), "T1": ("relay", "erased")}
    assert balance(tree, "A", "alice") == 0
    tree.down.clear()
    assert all(not any(counts.values()) for counts in recover_all(tree).values())
    assert pay(tree, "A", "alice", "T2/B/bob", 1000, key="k2").state == State.COMPLETED
    assert_invariants(tree)


def test_a_middle_node_whose_answer_is_lost_holds_until_recovery_completes_it(
    tree: Tree,
) -> None:
    """R relayed and B committed, but R's answer never reached T1: T1 and A keep their
    holds (the outcome is unknown to them, never presumed); recovery asks downstream."""
    tree.mute.add("R")
    tx = pay(tree, "A", "alice", "T2/B/bob", 1000)
    assert tx.state == State.VALIDATED
    assert states(tree, tx.txid) == {
        "A": ("origin", "validated"),
        "T1": ("relay", "initiated"),
        "R": ("relay", "completed"),
        "T2": ("relay", "completed"),
        "B": ("destination", "completed"),
    }
    with tree.on("A"):
        assert Account.objects.get(owner__username="alice").reserved == 1000
    assert_invariants(tree, settled=False)
    # R is down for a while: nothing can be settled, nothing is presumed
    tree.mute.clear()
    tree.down.add("R")
    counts = recover_all(tree)
    assert (counts["A"]["unresolved"], counts["T1"]["unresolved"]) == (1, 1)
    assert states(tree, tx.txid)["A"] == ("origin", "validated")
    # R is back: T1 asks it, then A asks T1; both follow the destination's commit
    tree.down.clear()
    counts = recover_all(tree)
    assert (counts["T1"]["completed"], counts["A"]["completed"]) == (1, 1)
    assert {state for _role, state in states(tree, tx.txid).values()} == {"completed"}
    assert (balance(tree, "A", "alice"), balance(tree, "B", "bob")) == (-1000, 600)
    assert pay(tree, "A", "alice", "T2/B/bob", 1000).state == State.COMPLETED  # the retry
    assert_invariants(tree)


def test_a_message_lost_on_the_way_to_a_middle_node_is_aborted_and_refused_when_late(
    tree: Tree,
) -> None:
    tree.lost.add("R")
    tx = pay(tree, "A", "alice", "T2/B/bob", 1000)
    assert tx.state == State.VALIDATED
    assert states(tree, tx.txid) == {"A": ("origin", "validated"), "T1": ("relay", "initiated")}
    tree.lost.clear()
    recover_all(tree)
    # R had never seen it: it answers T1's erase with "erased", for good; A follows T1
    assert states(tree, tx.txid) == {
        "A": ("origin", "erased"),
        "T1": ("relay", "erased"),
        "R": ("relay", "erased"),
    }
    (late,) = tree.lost_messages
    assert tree.deliver(*late)["state"] == "erased"
    assert "T2" not in states(tree, tx.txid) and balance(tree, "B", "bob") == 0
    assert balance(tree, "A", "alice") == 0
    assert_invariants(tree)


# --- random trees ----------------------------------------------------------------------------

NICE_RATES = ["1", "2", "3", "1/2", "1/3", "3/2", "2/3", "5/4", "4/5", "5/2"]
FAULTS = ["", "down", "lost", "mute"]
Payment = tuple[int, int, int, tuple[str, int]]


@st.composite
def trees_and_payments(draw: st.DrawFn) -> tuple[list[int], list[str], list[Payment]]:
    """A tree of 3–7 networks of depth ≤ 3 (parents[i] < i, node 0 the root), a rate on
    each link, and payments (payer's network, payee's network, amount in minor units,
    a fault)."""
    size = draw(st.integers(3, 7))
    parents = [-1]
    depth = [0]
    for _i in range(1, size):
        parent = draw(st.sampled_from([p for p in range(len(parents)) if depth[p] < 3]))
        parents.append(parent)
        depth.append(depth[parent] + 1)
    rates = [draw(st.sampled_from(NICE_RATES)) for _i in range(size)]
    payments = []
    for _i in range(draw(st.integers(1, 5))):
        payer = draw(st.integers(0, size - 1))
        payee = draw(st.integers(0, size - 2))
        payee += payee >= payer
        # a multiple of 900 converts at every rate here; 30 or 1 may not, anywhere on the way
        amount = draw(st.sampled_from([1, 30, 900])) * draw(st.integers(1, 20))
        # a fault on the way: the n-th network after the payer's is down, never gets the
        # message, or loses its answer (0: none)
        fault = draw(st.sampled_from(FAULTS)), draw(st.integers(0, 6))
        payments.append((payer, payee, amount, fault))
    return parents, rates, payments


def _ancestors(parents: list[int], node: int) -> list[int]:
    out = [node]
    while parents[out[-1]] >= 0:
        out.append(parents[out[-1]])
    return out


def _path_and_amounts(
    parents: list[int], rates: list[Fraction], payer: int, payee: int, amount: int
) -> tuple[str, list[int], list[Fraction]]:
    """The payee's relative address, the networks of the way and the exact amount on each."""
    up, down = _ancestors(parents, payer), _ancestors(parents, payee)
    top = next(n for n in up if n in down)
    climb, descent = up[: up.index(top)], list(reversed(down[: down.index(top)]))
    names = [f"N{n}" for n in descent] or [f"N{top}"]
    amounts = [Fraction(amount)]
    for node in climb:  # leaf → trunk: × the leaf's rate
        amounts.append(amounts[-1] * rates[node])
    for node in descent:  # trunk → leaf: ÷ the leaf's rate
        amounts.append(amounts[-1] / rates[node])
    return "/".join([*names, f"m{payee}"]), [*climb, top, *descent], amounts


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(  # every fault at least once, on a four-network path: N2 → N1 → N0 → N3
    case=(
        [-1, 0, 1, 0],
        ["1", "2", "1/2", "5/4"],
        [
            (2, 3, 900, ("lost", 1)),
            (2, 3, 900, ("mute", 2)),
            (2, 3, 900, ("down", 3)),
            (3, 2, 900, ("", 0)),
            (2, 3, 1, ("", 0)),
        ],
    )  # fmt: skip
)
@given(case=trees_and_payments())
def test_random_trees_and_payments_keep_every_ledger_and_link_exact(
    node_template: sqlite3.Connection, case: tuple[list[int], list[str], list[Payment]]
) -> None:
    """Every payment is refused at once (the first link cannot convert it exactly), or,
    once every node ran its recovery, completed on every network of its way or erased on
    every one: erased when a later link cannot convert it, or a network on the way was
    down or never got the message; completed otherwise (also when an answer was lost).
    The payee gets exactly the amount times the rates up, divided by the rates down."""
    parents, rate_texts, payments = case
    rates = [Fraction(r) for r in rate_texts]
    size = len(parents)
    tree = build(
        node_template,
        currencies={f"N{n}": f"C{n}" for n in range(size)},
        members={f"N{n}": [f"m{n}"] for n in range(size)},
        links=[(f"N{n}", f"N{parents[n]}", rate_texts[n]) for n in range(1, size)],
    )
    transport.use(tree)
    try:
        expected = dict.fromkeys(range(size), 0)
        for i, (payer, payee, amount, (fault, at)) in enumerate(payments):
            address, way, amounts = _path_and_amounts(parents, rates, payer, payee, amount)
            whole = [a.denominator == 1 for a in amounts]
            if not whole[1]:
                with pytest.raises(ValidationFailed, match="exactly"):
                    pay(tree, f"N{payer}", f"m{payer}", address, amount, key=f"k{i}")
                event("refused at the payer's network")
                continue
            faulty = f"N{way[at]}" if fault and 0 < at < len(way) else ""
            if faulty:
                getattr(tree, fault).add(faulty)
            tx = pay(tree, f"N{payer}", f"m{payer}", address, amount, key=f"k{i}")
            tree.down.clear(), tree.lost.clear(), tree.mute.clear()
            recover_all(tree)
            seen = {state for _role, state in states(tree, tx.txid).values()}
            if all(whole) and (not faulty or fault == "mute"):
                assert seen == {"completed"}, (tx.reason, faulty, fault)
                assert len(states(tree, tx.txid)) == len(amounts)
                expected[payer] -= amount
                expected[payee] += int(amounts[-1])
                event(
                    f"completed in {len(amounts) - 1} hops"
                    + (" after a lost answer" if faulty else "")
                )
            else:
                assert seen == {"erased"}, (tx.reason, faulty, fault)
                event(f"erased on the way ({fault or 'inexact'})")
        for n in range(size):
            assert balance(tree, f"N{n}", f"m{n}") == expected[n], n
        assert_invariants(tree)
    finally:
        transport.use(None)
        tree.close()
