"""A tree of Credit Commons nodes in one process, for tests.

Each node is a whole Solidaria database of its own (an in-memory SQLite copy of one
migrated template, whatever database the rest of the suite uses) and its own network name.
`Tree.on(slug)` makes that node current: Django's default connection and
`SOLIDARIA["NETWORK_SLUG"]` are swapped in, so every service runs as it would on that
instance. `Tree` is also the transport (`transport.use(tree)`): a message to a neighbour
goes through JSON both ways, is handled by `services.handle` on the neighbour (a refusal
becomes `transport.Refused`, as the HTTP view answers it with a 4xx), and comes back to the
sender's node. Faults, per receiving node: in `down` it is never reached (connection
refused: `NotDelivered`); in `lost` the message is lost on the way (`Unreachable`; kept
in `lost_messages` to arrive late); in `mute` it handles the message but its answer is
lost (`Unreachable`). The last two leave the sender not knowing the outcome.

`build` declares a tree of networks on both sides of every link, with a currency and
members on each node; `links` lists (leaf, trunk, rate) for the invariants.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.sqlite3.base import DatabaseWrapper

from solidaria.core.errors import DomainError
from solidaria.creditcommons import services, transport
from solidaria.creditcommons.models import Link


def _settings_dict(name: str) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
        "OPTIONS": {},
        "TEST": {"NAME": None, "CHARSET": None, "COLLATION": None, "MIGRATE": True},
    }


@contextmanager
def _current(wrapper: DatabaseWrapper, slug: str) -> Iterator[None]:
    previous = connections[DEFAULT_DB_ALIAS]
    before = settings.SOLIDARIA
    connections[DEFAULT_DB_ALIAS] = wrapper
    settings.SOLIDARIA = {**before, "NETWORK_SLUG": slug, "CC_TIMEOUT": 60}
    ContentType.objects.clear_cache()
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS] = previous
        settings.SOLIDARIA = before
        ContentType.objects.clear_cache()


def _new_wrapper() -> DatabaseWrapper:
    wrapper = DatabaseWrapper(_settings_dict(":memory:"), alias=DEFAULT_DB_ALIAS)
    wrapper.ensure_connection()
    return wrapper


def snapshot() -> sqlite3.Connection:
    """A private copy of the migrated, empty SQLite test database: every node starts as a
    copy of it (migrating a new database would take 20 s). Take it outside any test's
    transaction (a session fixture): SQLite cannot copy a database its own connection is
    writing to."""
    default = connections[DEFAULT_DB_ALIAS]
    assert default.vendor == "sqlite", "the tree of nodes copies the SQLite test database"
    default.ensure_connection()
    copy = sqlite3.connect(":memory:")
    default.connection.backup(copy)
    return copy


@dataclass
class Node:
    slug: str
    wrapper: DatabaseWrapper


@dataclass
class Tree:
    template: sqlite3.Connection
    nodes: dict[str, Node] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    lost: set[str] = field(default_factory=set)
    mute: set[str] = field(default_factory=set)
    lost_messages: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)
    # (leaf, trunk, rate): trunk units per leaf unit
    links: list[tuple[str, str, Fraction]] = field(default_factory=list)
    # every message delivered: (from, to, op, payload, answer)
    sent: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    _stack: list[str] = field(default_factory=list)

    def add(self, slug: str) -> Node:
        wrapper = _new_wrapper()
        self.template.backup(wrapper.connection)
        node = Node(slug, wrapper)
        self.nodes[slug] = node
        return node

    @contextmanager
    def on(self, slug: str) -> Iterator[Node]:
        node = self.nodes[slug]
        self._stack.append(slug)
        try:
            with _current(node.wrapper, slug):
                yield node
        finally:
            self._stack.pop()

    @property
    def current(self) -> str:
        return self._stack[-1]

    def deliver(self, sender: str, to: str, op: str, payload: dict[str, Any]) -> dict[str, Any]:
        """`payload` from `sender` handled at `to`, as the HTTP view would (no faults)."""
        body = json.loads(json.dumps(payload, sort_keys=True))
        with self.on(to):
            link = Link.objects.select_related("currency", "account").get(slug=sender)
            if not link.is_active:
                raise transport.Refused("This network has no link with the sender.")
            try:
                answer = services.handle(link, op, body)
            except DomainError as exc:
                raise transport.Refused(exc.message) from None
        return dict(json.loads(json.dumps(answer)))

    def __call__(self, link: Link, op: str, payload: dict[str, Any]) -> dict[str, Any]:
        sender, to = self.current, link.slug
        if to in self.down:
            raise transport.NotDelivered(f"{to} refused the connection")
        if to in self.lost:
            self.lost_messages.append((sender, to, op, payload))
            raise transport.Unreachable(f"the message to {to} timed out")
        answer = self.deliver(sender, to, op, payload)
        self.sent.append((sender, to, op, payload, answer))
        if to in self.mute:
            raise transport.Unreachable(f"{to}'s answer was lost")
        return answer

    def close(self) -> None:
        for node in self.nodes.values():
            node.wrapper.connection.close()  # Django never closes an in-memory database


def build(
    template: sqlite3.Connection,
    *,
    currencies: dict[str, str],
    members: dict[str, list[str]],
    links: list[tuple[str, str, str]],
    fees: dict[tuple[str, str], int] | None = None,
    member_limit: int = 10_000_000,
) -> Tree:
    """Networks (slug → currency code, exponent 2) with their members, and each link
    (leaf, trunk, rate) declared on both sides with the same secret and rate. `fees`:
    basis points a node takes on payments arriving through a link, keyed (node, neighbour).
    Link accounts have no credit line (the tests are about the tree, not limits)."""
    from solidaria.accounts.factories import make_member
    from solidaria.core.permissions import SYSTEM
    from solidaria.ledger import services as ledger

    fees = fees or {}
    tree = Tree(template)
    for slug, code in currencies.items():
        tree.add(slug)
        with tree.on(slug):
            cur = ledger.currency_create(actor=SYSTEM, code=code, name=code, exponent=2)
            for username in members.get(slug, []):
                account = ledger.account_open(
                    actor=SYSTEM, currency=cur, owner=make_member(username)
                )
                ledger.account_limits_set(
                    actor=SYSTEM,
                    account=account,
                    credit_limit=member_limit,
                    upper_limit=None,
                    reason="test",
                )
    for leaf, trunk, rate in links:
        for here, there, role in ((leaf, trunk, "trunk"), (trunk, leaf, "leaf")):
            with tree.on(here):
                services.link_add(
                    actor=SYSTEM,
                    role=role,
                    slug=there,
                    url=f"http://{there.lower()}.example/cc/",
                    secret=f"secret-of-the-link-{leaf}-{trunk}-0123",
                    currency_code=currencies[here],
                    rate=rate,
                    fee_basis_points=fees.get((here, there), 0),
                )
        tree.links.append((leaf, trunk, Fraction(rate)))
    return tree
