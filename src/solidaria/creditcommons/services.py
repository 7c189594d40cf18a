"""Credit between networks: links, cross-network payments, recovery and handshakes.

The path of a payment from A/alice to B/bob is A → T → B (a leaf, its trunk, another
leaf). A payment is ONE round trip: the `validate` message goes downstream and each node
checks its limits, holds the amount on the ledger (a `remote` transfer, pending,
`reserved` on the payer's side) and writes its state *before* it calls the next node.
The destination is the decision point: it validates and commits at once (in one
database transaction) and answers "completed" or "erased"; on the way back each node
follows the answer (T commits, then A). Every message is idempotent under the global
id: a repeat returns the stored state.

Presumed abort, made safe: only the destination ever decides, and it never commits
after its deadline or after it answered "erased" (an id it is asked about before it saw
the validation is erased there for good). Every other node asks its downstream
neighbour and follows the answer (completed → complete, erased or timed out → release
the hold). A node that gets no answer keeps the hold and says so (`recover` counts it
as unresolved), except when the message certainly never left (connection refused).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from solidaria.core.permissions import SYSTEM, require
from solidaria.creditcommons import afterwards, engine, nonces, transport
from solidaria.creditcommons.models import (
    FINAL_STATES,
    GENESIS_HASH,
    Link,
    LinkEntry,
    RemoteTransaction,
    State,
    chain_hash,
    entry_canonical,
)
from solidaria.ledger.journal import Leg, check_payee_room, check_payer_room, post
from solidaria.ledger.locks import Locked, lock_accounts, lock_network
from solidaria.ledger.models import Account, Currency, Transfer
from solidaria.ledger.rules import require_debit
from solidaria.ledger.writes import Writes

Role = RemoteTransaction.Role
UNFINISHED = (State.INITIATED, State.VALIDATED)


def my_slug() -> str:
    return str(settings.SOLIDARIA.get("NETWORK_SLUG", "demo"))


def hold_seconds() -> int:
    return int(settings.SOLIDARIA.get("CC_TIMEOUT", 60))


def _fault(name: str) -> None:
    from solidaria.core import faults  # late: only the federation harness arms it

    faults.point(name)


# --- links -----------------------------------------------------------------------------


def trunk_link() -> Link | None:
    return Link.objects.filter(role=Link.Role.TRUNK, is_active=True).first()


def link_by_slug(slug: str) -> Link:
    link = Link.objects.select_related("account", "currency").filter(slug=slug).first()
    if link is None:
        raise NotFound(_("This network has no link to network %(slug)s.") % {"slug": slug})
    return link


@transaction.atomic
def link_add(
    *,
    actor: Any,
    role: str,
    slug: str,
    url: str,
    secret: str,
    currency_code: str,
    rate: str = "1",
    credit_limit: int | None = None,
    remote_exponent: int | None = None,
    fee_basis_points: int = 0,
) -> Link:
    """Declare the trunk (on a leaf) or a member network (on the trunk), with its ledger
    account. Declaring the same link again updates its address, secret and limit; the
    rate can change only while no payment crossed the link."""
    require(actor, "creditcommons.link.manage")
    slug = (slug or "").strip()
    if role not in Link.Role.values:
        raise ValidationFailed(_("The role is trunk or leaf."), field="role")
    if not slug or not slug.replace("-", "").replace("_", "").isalnum() or len(slug) > 64:
        raise ValidationFailed(_("A network's name is letters, digits and dashes."), field="slug")
    if slug == my_slug():
        raise ValidationFailed(_("A network cannot link to itself."), field="slug")
    url = transport.check_link_url(url)
    if len(secret or "") < 16:
        raise ValidationFailed(_("The shared secret needs at least 16 characters."), field="secret")
    if credit_limit is not None and credit_limit < 0:
        raise ValidationFailed(_("A credit limit cannot be negative."), field="credit_limit")
    currency = Currency.objects.filter(code=(currency_code or "").strip().upper()).first()
    if currency is None:
        raise NotFound(
            _("There is no currency %(code)s.") % {"code": currency_code}, field="currency"
        )
    fraction = engine.parse_rate(rate)
    if not 0 <= fee_basis_points < 10000:
        raise ValidationFailed(
            _("A fee is from 0 to 9999 basis points (100 = 1%)."), field="fee_basis_points"
        )
    exponent = currency.exponent if remote_exponent is None else remote_exponent
    url = url if url.endswith("/") else url + "/"
    link = Link.objects.select_for_update().filter(slug=slug).first()
    if link is not None:
        if link.role != role or link.currency_id != currency.pk:
            raise Conflict(
                _("Network %(slug)s is already linked with another role or currency.")
                % {"slug": slug},
                field="slug",
            )
        if (link.rate != fraction or link.remote_exponent != exponent) and (
            link.entries.exists() or _unfinished(link).exists()
        ):
            raise Conflict(
                _("The rate cannot change once payments crossed the link."), field="rate"
            )
        link.url, link.secret, link.is_active = url, secret, True
        link.rate_num, link.rate_den = fraction.numerator, fraction.denominator
        link.remote_exponent = exponent
        link.fee_basis_points = fee_basis_points
        link.save()
        account = Account.objects.select_for_update().get(pk=link.account_id)
        account.credit_limit, account.is_active = credit_limit, True
        account.save(update_fields=["credit_limit", "is_active"])
        audit.record(actor=actor, verb="creditcommons.link.update", obj=link, data=_link_data(link))
        return link
    if role == Link.Role.TRUNK and trunk_link() is not None:
        raise Conflict(_("This network already has a trunk."), field="role")
    account = Account.objects.create(
        currency=currency,
        kind=Account.Kind.LINK,
        name=f"cc:{slug}",
        credit_limit=credit_limit,
        upper_limit=None,
    )
    link = Link.objects.create(
        slug=slug,
        role=role,
        url=url,
        secret=secret,
        currency=currency,
        rate_num=fraction.numerator,
        rate_den=fraction.denominator,
        remote_exponent=exponent,
        fee_basis_points=fee_basis_points,
        account=account,
    )
    audit.record(actor=actor, verb="creditcommons.link.add", obj=link, data=_link_data(link))
    return link


def _link_data(link: Link) -> dict[str, Any]:
    return {
        "slug": link.slug,
        "role": link.role,
        "url": link.url,
        "currency": link.currency.code,
        "rate": link.rate_text,
        "credit_limit": link.account.credit_limit,
        "fee_basis_points": link.fee_basis_points,
    }


@transaction.atomic
def link_unfreeze(*, actor: Any, slug: str, reason: str) -> Link:
    """A steward resolved a divergence (or accepts the risk): the link carries payments again."""
    require(actor, "creditcommons.link.manage")
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why."), field="reason")
    link = Link.objects.select_for_update().get(pk=link_by_slug(slug).pk)
    link.is_frozen, link.frozen_reason = False, ""
    link.save(update_fields=["is_frozen", "frozen_reason"])
    audit.record(actor=actor, verb="creditcommons.link.unfreeze", obj=link, reason=reason)
    return link


@transaction.atomic
def link_remove(*, actor: Any, slug: str, reason: str) -> Link:
    """Leave: the link's balance must be settled to zero and nothing may be in flight."""
    require(actor, "creditcommons.link.manage")
    link = Link.objects.select_for_update().get(pk=link_by_slug(slug).pk)
    account = Account.objects.select_for_update().get(pk=link.account_id)
    if account.balance != 0 or account.reserved != 0 or _unfinished(link).exists():
        raise Conflict(
            _(
                "Settle the link to zero first: its balance is %(balance)s and payments "
                "may still be in flight."
            )
            % {"balance": account.currency.format(account.balance)}
        )
    link.is_active = False
    link.save(update_fields=["is_active"])
    account.is_active = False
    account.save(update_fields=["is_active"])
    audit.record(actor=actor, verb="creditcommons.link.remove", obj=link, reason=reason)
    return link


def _unfinished(link: Link) -> Any:
    return RemoteTransaction.objects.filter(state__in=UNFINISHED).filter(models_q_link(link))


def models_q_link(link: Link) -> Any:
    return Q(upstream=link) | Q(downstream=link)


# --- conversion on a link ---------------------------------------------------------------


def outgoing(link: Link, mine: int) -> int:
    """My amount in the neighbour's minor units, exactly (refused when not whole)."""
    exp = link.currency.exponent
    if link.role == Link.Role.TRUNK:  # I am the leaf
        return engine.to_trunk(mine, link.rate, exp, link.remote_exponent)
    return engine.to_leaf(mine, link.rate, link.remote_exponent, exp)


def incoming(link: Link, theirs: int) -> int:
    """The neighbour's amount in my minor units, exactly (refused when not whole)."""
    exp = link.currency.exponent
    if link.role == Link.Role.TRUNK:
        return engine.to_leaf(theirs, link.rate, exp, link.remote_exponent)
    return engine.to_trunk(theirs, link.rate, link.remote_exponent, exp)


# --- state changes (each its own transaction, written before any outbound call) ----------


def answer(tx: RemoteTransaction) -> dict[str, Any]:
    return {
        "txid": str(tx.txid),
        "state": tx.state,
        "amount_minor": tx.amount_minor,
        "reason": tx.reason,
    }


def _locked_tx(tx: RemoteTransaction) -> RemoteTransaction:
    """The row locked, with its links read in the same query (they are not locked here:
    `_chain` locks the link it appends to)."""
    return (
        RemoteTransaction.objects.select_for_update(of=("self",))
        .select_related("upstream", "downstream")
        .get(pk=tx.pk)
    )


def _hold(
    *,
    locked: Locked,
    payer: Account,
    payee: Account,
    amount: int,
    memo: str,
    actor: Any,
    now: dt.datetime,
    writes: Writes,
    fee: int = 0,
) -> Transfer:
    """Reserve `amount` (and this network's `fee`, paid by the same side) on the payer's
    side: a pending transfer of kind `remote`, the fee posted as its levy on completion.

    With a transfer id reserved by `lock_accounts(..., transfer_ids=1)` (PostgreSQL) the
    two rows join `writes`, sent with the caller's other rows in one round trip."""
    check_payer_room(payer, amount, actor=actor, levy=fee)
    check_payee_room(payee, amount, actor=actor)
    payer.reserved += amount + fee
    transfer = Transfer(
        currency_id=payer.currency_id,
        payer=payer,
        payee=payee,
        amount_minor=amount,
        memo=memo[:200],
        category="",
        kind=Transfer.Kind.REMOTE,
        status=Transfer.Status.PENDING,
        reserved_minor=amount + fee,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    if locked.transfer_ids:
        transfer.pk = locked.transfer_ids[0]
        writes.add(_SET_RESERVED, [payer.reserved, payer.pk])
        writes.insert(transfer)
    else:
        payer.save(update_fields=["reserved"])
        transfer.save(force_insert=True)
    return transfer


_SET_RESERVED = f"UPDATE {Account._meta.db_table} SET reserved = %s WHERE id = %s"
# the transaction and its held transfer, locked (an inner join: FOR UPDATE cannot lock the
# nullable side of an outer one); SQLite locks the whole database on the first write
_LOCK_TX_SQL = (
    f"SELECT r.state, r.transfer_id FROM {RemoteTransaction._meta.db_table} r "
    f"JOIN {Transfer._meta.db_table} t ON t.id = r.transfer_id WHERE r.id = %s"
)
_SET_STATE = (
    f"UPDATE {RemoteTransaction._meta.db_table} SET state = %s, updated_at = %s WHERE id = %s"
)


def _complete(tx: RemoteTransaction) -> RemoteTransaction:
    """Post the held transfer and chain the link entries; a second call changes nothing.

    The rows are few and go in one round trip (`Writes`): the transaction and its held
    transfer are locked in one query, the accounts in another, the link chains' heads in
    a third. A caller that just wrote `tx` (the relay and the origin, on the answer) has its
    transfer and links in memory: once the row is locked and still unfinished, nothing
    else can have changed them (every change of a transaction's state locks its row)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            lock = " FOR UPDATE OF r, t" if connection.features.has_select_for_update_of else ""
            cursor.execute(_LOCK_TX_SQL + lock, [tx.pk])
            row = cursor.fetchone()
        if row is None or row[0] in FINAL_STATES or row[1] is None:
            tx = _locked_tx(tx)  # final (or without a transfer): as stored
            if tx.is_final:
                return tx
        tx.state = row[0] if row is not None else tx.state
        cached = tx._state.fields_cache.get("transfer")
        transfer = (
            cached
            if isinstance(cached, Transfer) and cached.pk == tx.transfer_id
            else Transfer.objects.get(pk=tx.transfer_id)
        )
        assert transfer.status == Transfer.Status.PENDING, "an unfinished transaction holds"
        locked = lock_accounts([transfer.payer_id, transfer.payee_id])
        fee = transfer.reserved_minor - transfer.amount_minor
        payer = locked[transfer.payer_id]
        network = lock_network(payer.currency, locked) if fee else None
        payer.reserved -= transfer.reserved_minor
        writes = Writes()
        post(
            legs=[
                Leg(
                    payer=payer,
                    payee=locked[transfer.payee_id],
                    amount=transfer.amount_minor,
                    memo=transfer.memo,
                    category=transfer.category,
                    kind=transfer.kind,
                    existing=transfer,
                    levy=fee,
                )
            ],
            accounts=locked,
            actor=SYSTEM,
            now=timezone.now(),
            levy_account={transfer.currency_id: network} if network is not None else None,
            writes=writes,
        )
        _chain(tx, writes)
        tx.state, tx.updated_at = State.COMPLETED, timezone.now()
        writes.add(_SET_STATE, [tx.state, tx.updated_at, tx.pk])
        writes.insert(
            audit.event(
                actor=SYSTEM,
                verb="creditcommons.transaction.complete",
                obj=tx,
                data={"txid": str(tx.txid), "role": tx.role, "amount": tx.amount_minor},
            )
        )
        writes.flush()
        if tx.role == Role.DESTINATION:  # one that held first (the earlier two rounds)
            afterwards.later(partial(_tell_payee_after, tx, transfer, None))
    return tx


def _release(tx: RemoteTransaction, state: str, reason: str) -> RemoteTransaction:
    """Release the hold (erased or timed out); a final transaction is left as it is."""
    with transaction.atomic():
        tx = _locked_tx(tx)
        if tx.is_final:
            return tx
        if tx.transfer_id is not None:
            transfer = Transfer.objects.select_for_update().get(pk=tx.transfer_id)
            if transfer.status == Transfer.Status.PENDING:
                payer = lock_accounts([transfer.payer_id])[transfer.payer_id]
                payer.reserved -= transfer.reserved_minor
                payer.save(update_fields=["reserved"])
                transfer.status = Transfer.Status.REJECTED
                transfer.reserved_minor = 0
                transfer.decision_reason = reason[:500]
                transfer.save(update_fields=["status", "reserved_minor", "decision_reason"])
        tx.state, tx.reason = state, reason
        tx.save(update_fields=["state", "reason", "updated_at"])
        audit.record(
            actor=SYSTEM,
            verb="creditcommons.transaction.erase",
            obj=tx,
            reason=reason,
            data={"txid": str(tx.txid), "role": tx.role, "state": state},
        )
    return tx


def _chain(tx: RemoteTransaction, writes: Writes) -> list[LinkEntry]:
    """Append this payment to the hash chain of each link it crossed here (the link rows
    are the chains' locks, taken in primary-key order; their heads read in the same
    query). The entries join `writes`."""
    crossed = [
        (
            link,
            tx.amount_minor - tx.fee_minor if downstream else tx.amount_minor,
            theirs,
            downstream,
        )
        for link, theirs, downstream in (
            (tx.upstream, tx.upstream_amount, False),
            (tx.downstream, tx.downstream_amount, True),
        )
        if link is not None and theirs is not None
    ]
    if not crossed:
        return []
    pks = sorted({link.pk for link, *_rest in crossed})
    with connection.cursor() as cursor:
        cursor.execute(_chain_heads_sql(len(pks)), pks)
        heads = {pk: (seq or 0, digest or GENESIS_HASH) for pk, seq, digest in cursor.fetchall()}
    now = timezone.now()
    made = []
    for link, mine, theirs, downstream in crossed:
        seq, prev = heads[link.pk]
        entry = _entry(link, tx, mine=mine, theirs=theirs, downstream=downstream, prev=prev)
        entry.seq, entry.created_at = seq + 1, now
        writes.insert(entry)
        made.append(entry)
    return made


def _chain_heads_sql(count: int) -> str:
    """Lock the links (in pk order) and read each chain's last seq and hash: one query,
    raw because the ORM's building of the same query cost more than running it."""
    links, entries = Link._meta.db_table, LinkEntry._meta.db_table
    last = f"FROM {entries} e WHERE e.link_id = l.id ORDER BY e.seq DESC LIMIT 1"
    lock = " FOR UPDATE OF l" if connection.features.has_select_for_update_of else ""
    return (
        f"SELECT l.id, (SELECT e.seq {last}), (SELECT e.hash {last}) FROM {links} l "
        f"WHERE l.id IN ({', '.join(['%s'] * count)}) ORDER BY l.id{lock}"
    )


def _entry(
    link: Link, tx: RemoteTransaction, *, mine: int, theirs: int, downstream: bool, prev: str
) -> LinkEntry:
    """The link entry of this payment after `prev` (unsaved; both ends compute the same)."""
    i_am_leaf = link.role == Link.Role.TRUNK
    leaf_amount, trunk_amount = (mine, theirs) if i_am_leaf else (theirs, mine)
    # value moves downstream: towards the trunk when the downstream is my trunk or when
    # the payment came up from one of my leaves
    trunkward = (downstream and link.role == Link.Role.TRUNK) or (
        not downstream and link.role == Link.Role.LEAF
    )
    direction = LinkEntry.Direction.TRUNKWARD if trunkward else LinkEntry.Direction.LEAFWARD
    canonical = entry_canonical(str(tx.txid), direction, leaf_amount, trunk_amount)
    return LinkEntry(
        link=link,
        txid=tx.txid,
        direction=direction,
        leaf_amount=leaf_amount,
        trunk_amount=trunk_amount,
        prev_hash=prev,
        hash=chain_hash(prev, canonical),
    )


def _tell_payee_after(tx: RemoteTransaction, transfer: Transfer, payee: Account | None) -> None:
    """The payee's notification, in its own transaction once the payment committed (its
    dedupe key makes a repeat harmless)."""
    with transaction.atomic():
        _tell_payee(tx, transfer, payee)


def _tell_payee(tx: RemoteTransaction, transfer: Transfer, payee: Account | None) -> None:
    if payee is None or payee.pk != transfer.payee_id:
        payee = Account.objects.select_related("owner", "currency").get(pk=transfer.payee_id)
    if payee.owner_id is None:
        return
    from solidaria.notifications.services import notify

    payer_text = _("%(member)s at network %(network)s") % _split(tx.payer_address)
    context = {"payer": payer_text, "amount": payee.currency.format(transfer.amount_minor)}
    if tx.memo:
        context.update(variant="memo", memo=tx.memo)
    notify(
        "ledger.payment.received",
        [payee.owner],
        actor=SYSTEM,
        target=transfer,
        context=context,
        dedupe_key=f"cc:{tx.txid}",
    )


def _split(address: str) -> dict[str, str]:
    network, _sep, member = address.rpartition("/")  # a network may be a path: T2/B/bob
    return {"network": network, "member": member or address}


def describe(tx: RemoteTransaction) -> str:
    """The line a statement shows: "paid bob at network B" / "received from alice at A"."""
    if tx.role == Role.ORIGIN:
        return _("paid %(member)s at network %(network)s") % _split(tx.payee_address)
    if tx.role == Role.DESTINATION:
        return _("received from %(member)s at network %(network)s") % _split(tx.payer_address)
    return _("relayed from %(payer)s to %(payee)s") % {
        "payer": tx.payer_address,
        "payee": tx.payee_address,
    }


# --- talking to a neighbour -------------------------------------------------------------


def _ask(link: Link, op: str, tx: RemoteTransaction) -> dict[str, Any] | None:
    """The neighbour's answer about `tx`, or None when it cannot be reached."""
    try:
        return transport.send(link, op, {"txid": str(tx.txid)})
    except (transport.Unreachable, transport.Refused):
        return None


def _follow(tx: RemoteTransaction, reply: dict[str, Any] | None) -> RemoteTransaction:
    """Follow the downstream node's state: completed → complete, erased → release."""
    if reply is None:
        return tx
    state = reply.get("state")
    if state == State.COMPLETED:
        return _complete(tx)
    if state in (State.ERASED, State.TIMEDOUT):
        return _release(tx, State.ERASED, str(reply.get("reason") or _("refused downstream")))
    return tx


def _validate_message(tx: RemoteTransaction, link: Link, theirs: int) -> dict[str, Any]:
    return {
        "txid": str(tx.txid),
        "payer": tx.payer_address,
        "payee": tx.payee_address,
        "amount": tx.amount_minor - tx.fee_minor,  # what moves on, after this node's fee
        "amount_to": theirs,
        "exponent": link.currency.exponent,
        "memo": tx.memo,
        "deadline": tx.deadline.isoformat(),
    }


def _relay(tx: RemoteTransaction, link: Link) -> RemoteTransaction:
    """Send the payment downstream (the state is already stored) and follow the answer:
    the destination validates and commits at once, so the answer is final."""
    assert tx.downstream_amount is not None
    try:
        reply = transport.send(link, "validate", _validate_message(tx, link, tx.downstream_amount))
    except transport.Refused as exc:  # refused before anything was held there
        return _release(tx, State.ERASED, str(exc))
    except transport.NotDelivered:
        tx = _release(
            tx,
            State.ERASED,
            _("Network %(slug)s could not be reached.") % {"slug": link.slug},
        )
        _ask(link, "erase", tx)  # best effort (it never saw the payment)
        return tx
    except transport.Unreachable:
        # the message may have arrived and the destination may have committed: the
        # outcome is unknown, the hold stays until recovery asks
        return tx
    state = reply.get("state")
    if state == State.COMPLETED:
        _fault("cc.downstream_committed")
        return _complete(tx)
    if state == State.VALIDATED:  # a neighbour that only holds: the payer decided, commit
        reply = _ask(link, "commit", tx)
        if reply is not None and reply.get("state") == State.COMPLETED:
            _fault("cc.downstream_committed")
        return _follow(tx, reply)
    if state in (State.ERASED, State.TIMEDOUT):
        return _release(tx, State.ERASED, str(reply.get("reason") or _("refused downstream")))
    return tx  # still undecided downstream: keep the hold


# --- the payer's network (origin) -------------------------------------------------------


def pay(
    *,
    actor: Any,
    payer: Any,
    payee: str,
    amount_minor: int,
    key: str,
    memo: str = "",
    via: tuple[Link, Account] | None = None,
) -> RemoteTransaction:
    """`payer` (a member here) pays `payee` ("network/member") `amount_minor` in the
    currency of the link the payment leaves by. Same key again → the same transaction.
    `via`: the link and the payer's account, when the caller found them already."""
    address = engine.parse_address(payee)
    if amount_minor <= 0:
        raise ValidationFailed(_("The amount must be more than zero."), field="amount")
    if not (key or "").strip():
        raise ValidationFailed(_("A payment between networks needs a key."), field="key")
    request = {"payee": str(address), "amount": amount_minor, "memo": memo}
    existing = _by_key(payer, key)
    if existing is not None:
        return _replay(existing, request)
    link, account = via if via is not None else (route_for(address), None)
    if link.is_frozen:
        raise ValidationFailed(
            _("The link to network %(slug)s is frozen until a steward resolves it.")
            % {"slug": link.slug},
            field="payee",
        )
    if account is None:
        account = Account.objects.filter(
            currency=link.currency, owner=payer, kind=Account.Kind.MEMBER
        ).first()
    if account is None:
        raise NotFound(
            _("You have no account in %(code)s, the currency of this link.")
            % {"code": link.currency.code},
            field="payer",
        )
    theirs = outgoing(link, amount_minor)
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = lock_accounts([account.pk, link.account_id], transfer_ids=1)
            require_debit(actor, locked[account.pk], amount=amount_minor)
            if not locked[account.pk].is_active or not link.currency.is_active:
                raise ValidationFailed(_("This account is closed."), field="payer")
            writes = Writes()
            held = _hold(
                locked=locked,
                payer=locked[account.pk],
                payee=locked[link.account_id],
                amount=amount_minor,
                memo=memo,
                actor=actor,
                now=now,
                writes=writes,
            )
            # validated here: the payer decided, the message may leave (recovery re-sends
            # it as a commit; a neighbour that never saw it answers "erased")
            tx = RemoteTransaction.objects.create(
                role=Role.ORIGIN,
                state=State.VALIDATED,
                payer_address=f"{my_slug()}/{payer.username}",
                payee_address=str(address),
                memo=memo[:200],
                downstream=link,
                amount_minor=amount_minor,
                downstream_amount=theirs,
                transfer=held,
                created_by=payer,
                client_key=key,
                deadline=now + dt.timedelta(seconds=hold_seconds()),
            )
            writes.insert(
                audit.event(
                    actor=actor,
                    verb="creditcommons.transaction.initiate",
                    obj=tx,
                    data={"txid": str(tx.txid), "payee": str(address), "amount": amount_minor},
                )
            )
            writes.flush()
    except IntegrityError:
        found = _by_key(payer, key)
        if found is None:
            raise
        return _replay(found, request)
    _fault("cc.validated")
    return _relay(tx, link)


def route_for(address: engine.Address) -> Link:
    """The link a payment to `address` leaves this network by."""
    hop, leaf_only = engine.next_network(address.path, my_slug(), from_trunk=False)
    if hop is None:
        raise ValidationFailed(
            _("%(member)s is a member of this network: pay them directly.")
            % {"member": address.member},
            field="payee",
        )
    return _route(hop, came_from=None, leaf_only=leaf_only)


def _by_key(payer: Any, key: str) -> RemoteTransaction | None:
    # unique (creditcommons_origin_key): the pk order is only there for `first()`
    return (
        RemoteTransaction.objects.filter(role=Role.ORIGIN, created_by=payer, client_key=key)
        .order_by("pk")
        .first()
    )


def _replay(tx: RemoteTransaction, request: dict[str, Any]) -> RemoteTransaction:
    if (tx.payee_address, tx.amount_minor, tx.memo) != (
        request["payee"],
        request["amount"],
        request["memo"][:200],
    ):
        raise Conflict(_("This key was already used for another payment."), field="key")
    return resolve(tx) if not tx.is_final else tx


def _route(network: str, *, came_from: Link | None, leaf_only: bool = False) -> Link:
    """The link towards `network`: one of my leaves by name, else (unless `leaf_only`)
    my trunk (never back where the payment came from)."""
    candidates = (
        Link.objects.select_related("currency", "account")
        .filter(Q(slug=network, role=Link.Role.LEAF) | Q(role=Link.Role.TRUNK), is_active=True)
        .order_by()  # at most two rows: the default ordering only costs building it
    )
    by_role = {link.role: link for link in candidates}
    for role in (Link.Role.LEAF,) if leaf_only else (Link.Role.LEAF, Link.Role.TRUNK):
        found = by_role.get(role)
        if found is not None and found != came_from:
            return found
    raise ValidationFailed(
        _("This network does not know a network called %(slug)s.") % {"slug": network},
        field="payee",
    )


# --- a neighbour's messages ---------------------------------------------------------------


def _tombstone(link: Link, txid: uuid.UUID, reason: str) -> RemoteTransaction:
    """An unknown transaction asked about is erased here for good: a late validation of
    the same id is then refused (it may only arrive after its sender gave up)."""
    try:
        with transaction.atomic():
            return RemoteTransaction.objects.create(
                txid=txid,
                role=Role.RELAY,
                state=State.ERASED,
                payer_address="",
                payee_address="",
                upstream=link,
                amount_minor=0,
                deadline=timezone.now(),
                reason=reason,
            )
    except IntegrityError:
        return RemoteTransaction.objects.get(txid=txid)


def _txid(message: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(str(message.get("txid")))
    except ValueError:
        raise ValidationFailed(_("The transaction id is not a UUID."), field="txid") from None


def _from(link: Link, txid: uuid.UUID) -> RemoteTransaction | None:
    tx = RemoteTransaction.objects.filter(txid=txid).first()
    if tx is not None and tx.upstream_id != link.pk:
        raise NotFound(
            _("This transaction did not come from network %(slug)s.") % {"slug": link.slug}
        )
    return tx


def handle(link: Link, op: str, message: dict[str, Any]) -> dict[str, Any]:
    """One signed message from the neighbour `link`; the answer is JSON."""
    if op == "handshake":
        return handshake_answer(link, message)
    txid = _txid(message)
    if op == "validate":
        return answer(handle_validate(link, txid, message))
    if op not in ("commit", "erase", "status"):
        raise NotFound(_("There is no such operation."))
    tx = _from(link, txid)
    if tx is None:
        return answer(_tombstone(link, txid, _("This network never validated the transaction.")))
    if tx.is_final:
        return answer(tx)
    if op == "commit":
        return answer(_on_commit(tx))
    if op == "erase":
        return answer(_on_erase(tx))
    return answer(resolve(tx))


def handle_validate(link: Link, txid: uuid.UUID, message: dict[str, Any]) -> RemoteTransaction:
    """A repeat of a known id gets the stored state. It is not looked up first: a new id
    (the usual case) costs no read, and a repeat fails on the unique txid (rolled back,
    nothing held twice) or is refused, and then finds the stored one."""
    try:
        return _validate_new(link, txid, message)
    except IntegrityError:
        existing = _from(link, txid)
        if existing is None:
            raise
        return existing
    except DomainError as exc:
        existing = _from(link, txid)
        if existing is not None:
            return existing
        # refused before anything was held: an erased tombstone keeps the answer
        return _tombstone(link, txid, exc.message)


def _validate_new(link: Link, txid: uuid.UUID, message: dict[str, Any]) -> RemoteTransaction:
    address = engine.parse_address(str(message.get("payee", "")))
    payer_address = str(message.get("payer", ""))[:200]
    try:
        theirs = int(message["amount"])
        told = int(message["amount_to"])
        their_exponent = int(message.get("exponent", link.remote_exponent))
        deadline = dt.datetime.fromisoformat(str(message["deadline"]))
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed(_("The message lacks an amount or a deadline.")) from None
    if any(
        isinstance(message[k], bool) or not isinstance(message[k], int | str)
        for k in ("amount", "amount_to")
    ):  # int() would truncate 10.9 to 10 and read true as 1
        raise ValidationFailed(_("An amount is a whole number of minor units."), field="amount")
    if theirs <= 0:
        raise ValidationFailed(_("The amount must be more than zero."), field="amount")
    if their_exponent != link.remote_exponent:
        raise ValidationFailed(_("The two networks disagree on their currencies' decimal places."))
    if link.is_frozen:
        raise ValidationFailed(
            _("The link with network %(slug)s is frozen until a steward resolves it.")
            % {"slug": link.slug}
        )
    mine = incoming(link, theirs)
    if mine != told:
        raise ValidationFailed(_("The two networks disagree on the conversion rate of their link."))
    if deadline.tzinfo is None or deadline <= timezone.now():
        raise ValidationFailed(_("The payment's deadline has passed."))
    # a sender cannot make this node hold an amount longer than its own rule allows
    deadline = min(deadline, timezone.now() + dt.timedelta(seconds=2 * hold_seconds()))
    memo = str(message.get("memo", ""))[:200]
    now = timezone.now()
    common = {
        "txid": txid,
        "payer_address": payer_address,
        "payee_address": str(address),
        "memo": memo,
        "upstream": link,
        "upstream_amount": theirs,
        "amount_minor": mine,
        "deadline": deadline,
    }
    from_trunk = link.role == Link.Role.TRUNK
    hop, leaf_only = engine.next_network(address.path, my_slug(), from_trunk=from_trunk)
    if hop is None:
        payee = (
            Account.objects.filter(
                currency=link.currency,
                kind=Account.Kind.MEMBER,
                owner__username=address.member,
                is_active=True,
            )
            .select_related("owner", "currency")
            .order_by("pk")  # not the accounts' default ordering (a join on the currency)
            .first()
        )
        if payee is None:
            raise NotFound(
                _("There is no member %(member)s with a %(code)s account at network %(network)s.")
                % {"member": address.member, "code": link.currency.code, "network": my_slug()},
                field="payee",
            )
        fee = fee_for(link, mine)
        with transaction.atomic():
            # the decision point: validated and committed in one transaction (the
            # deadline was checked above, nothing was answered yet), so the payment is
            # posted at once, without a hold (a repeat of the id fails on its unique txid)
            locked = lock_accounts([link.account_id, payee.pk], transfer_ids=1)
            network = lock_network(link.currency, locked) if fee else None
            writes = Writes()
            transfer = post(
                legs=[
                    Leg(
                        payer=locked[link.account_id],
                        payee=locked[payee.pk],
                        amount=mine - fee,
                        memo=memo,
                        kind=Transfer.Kind.REMOTE,
                        levy=fee,
                    )
                ],
                accounts=locked,
                actor=SYSTEM,
                now=now,
                levy_account={link.currency_id: network} if network is not None else None,
                writes=writes,
                transfer_ids=locked.transfer_ids,
            ).transfers[0]
            tx = RemoteTransaction.objects.create(
                role=Role.DESTINATION,
                state=State.COMPLETED,
                transfer=transfer,
                fee_minor=fee,
                **common,
            )
            _chain(tx, writes)
            for verb, data in (
                ("validate", {"txid": str(txid), "amount": mine}),
                ("complete", {"txid": str(txid), "role": tx.role, "amount": tx.amount_minor}),
            ):
                writes.insert(
                    audit.event(
                        actor=SYSTEM, verb=f"creditcommons.transaction.{verb}", obj=tx, data=data
                    )
                )
            writes.flush()
            # not part of the payment: after the answer (see `afterwards`)
            afterwards.later(partial(_tell_payee_after, tx, transfer, payee))
        return tx
    downstream = _route(hop, came_from=link, leaf_only=leaf_only)
    if downstream.is_frozen:
        raise ValidationFailed(
            _("The link to network %(slug)s is frozen until a steward resolves it.")
            % {"slug": downstream.slug}
        )
    if downstream.currency_id != link.currency_id:
        raise ValidationFailed(_("The two links of this network hold different currencies."))
    fee = fee_for(link, mine, onward=downstream)
    down_amount = outgoing(downstream, mine - fee)
    with transaction.atomic():
        locked = lock_accounts([link.account_id, downstream.account_id], transfer_ids=1)
        writes = Writes()
        held = _hold(
            locked=locked,
            payer=locked[link.account_id],
            payee=locked[downstream.account_id],
            amount=mine - fee,
            fee=fee,
            memo=memo,
            actor=SYSTEM,
            now=now,
            writes=writes,
        )
        tx = RemoteTransaction.objects.create(
            role=Role.RELAY,
            state=State.INITIATED,
            transfer=held,
            downstream=downstream,
            downstream_amount=down_amount,
            fee_minor=fee,
            **common,
        )
        writes.insert(
            audit.event(
                actor=SYSTEM,
                verb="creditcommons.transaction.validate",
                obj=tx,
                data={"txid": str(txid), "amount": mine, "to": downstream.slug},
            )
        )
        writes.flush()
    _fault("cc.before_relay")
    return _relay(tx, downstream)


def fee_for(link: Link, amount: int, *, onward: Link | None = None) -> int:
    """This network's fee on `amount` arriving through `link`: its basis points, rounded
    down, then raised by the least needed for the rest to convert exactly on the `onward`
    link (so the link invariant stays exact). Refused when nothing would be left."""
    if not link.fee_basis_points:
        return 0
    fee = amount * link.fee_basis_points // 10000
    for extra in range(0, 10_000):
        rest = amount - fee - extra
        if rest <= 0:
            break
        if onward is None:
            return fee + extra
        try:
            outgoing(onward, rest)
        except ValidationFailed:
            continue
        return fee + extra
    raise ValidationFailed(
        _("This amount is too small to pay this network's fee and convert exactly."),
        field="amount",
    )


def _past_deadline(tx: RemoteTransaction) -> bool:
    return timezone.now() > tx.deadline


def _on_commit(tx: RemoteTransaction) -> RemoteTransaction:
    if tx.role == Role.DESTINATION:
        # the node that commits first: never after its deadline, never after an erase
        with transaction.atomic():
            locked = _locked_tx(tx)
            if locked.is_final:
                return locked
            if _past_deadline(locked):
                return _release(locked, State.TIMEDOUT, _("The payment waited too long."))
            return _complete(locked)
    if tx.state == State.INITIATED:
        # never validated here, so nobody downstream can have committed
        return resolve(tx)
    assert tx.downstream is not None
    reply = _ask(tx.downstream, "commit", tx)
    if reply is not None and reply.get("state") == State.COMPLETED:
        _fault("cc.downstream_committed")
    return _follow(tx, reply)


def _on_erase(tx: RemoteTransaction) -> RemoteTransaction:
    if tx.role == Role.DESTINATION:
        return _release(tx, State.ERASED, _("The payer's side gave up."))
    if tx.state == State.INITIATED:
        return resolve(tx)
    assert tx.downstream is not None
    return _follow(tx, _ask(tx.downstream, "erase", tx))


# --- recovery -------------------------------------------------------------------------------


def resolve(tx: RemoteTransaction) -> RemoteTransaction:
    """Settle an unfinished transaction with the downstream neighbour, or leave it."""
    tx = RemoteTransaction.objects.select_related("downstream", "upstream").get(pk=tx.pk)
    if tx.is_final:
        return tx
    if tx.role == Role.DESTINATION:
        if _past_deadline(tx):
            return _on_commit_timeout(tx)
        return tx
    assert tx.downstream is not None
    if tx.state == State.INITIATED:
        # the destination may have committed already (it decides on the way down): ask
        # it to erase and follow what it says (completed if it had committed)
        return _follow(tx, _ask(tx.downstream, "erase", tx))
    if tx.role == Role.ORIGIN:
        # the payer decided to pay once the path validated: finish the commit
        return _follow(tx, _ask(tx.downstream, "commit", tx))
    return _follow(tx, _ask(tx.downstream, "status", tx))


def _on_commit_timeout(tx: RemoteTransaction) -> RemoteTransaction:
    return _release(tx, State.TIMEDOUT, _("The payment waited too long."))


def recover(*, min_age_seconds: int = 0) -> dict[str, int]:
    """Resolve every unfinished transaction untouched for `min_age_seconds`."""
    nonces.purge()  # the periodic run also forgets the nonces past the replay window
    cutoff = timezone.now() - dt.timedelta(seconds=min_age_seconds)
    counts = {"completed": 0, "erased": 0, "unresolved": 0}
    pending = RemoteTransaction.objects.filter(
        state__in=UNFINISHED, updated_at__lte=cutoff
    ).order_by("id")
    for tx in pending:
        done = resolve(tx)
        if done.state == State.COMPLETED:
            counts["completed"] += 1
        elif done.is_final:
            counts["erased"] += 1
        else:
            counts["unresolved"] += 1
    return counts


# --- hash chains, handshakes and the invariants -------------------------------------------


def chain_summary(link: Link) -> dict[str, Any]:
    entries = list(
        LinkEntry.objects.filter(link=link)
        .order_by("seq")
        .values_list("seq", "txid", "direction", "leaf_amount", "trunk_amount", "prev_hash", "hash")
    )
    prev = GENESIS_HASH
    broken = False
    canon = []
    for _seq, txid, direction, leaf_amount, trunk_amount, stored_prev, digest in entries:
        c = entry_canonical(str(txid), direction, leaf_amount, trunk_amount)
        canon.append(c)
        if stored_prev != prev or chain_hash(prev, c) != digest:
            broken = True
        prev = digest
    account = Account.objects.get(pk=link.account_id)
    return {
        "count": len(entries),
        "head": prev,
        "digest": hashlib.sha256("\n".join(sorted(canon)).encode()).hexdigest(),
        "broken": broken,
        "balance": account.balance,
        "exponent": link.currency.exponent,
        "unfinished": _unfinished(link).count(),
    }


def _compare(link: Link, mine: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Sentences for every difference between the two ends of the link (none: in step)."""
    problems = []
    if mine["broken"]:
        problems.append(
            _("The hash chain of the link with %(slug)s does not verify here.")
            % {"slug": link.slug}
        )
    if theirs.get("broken"):
        problems.append(
            _("The hash chain of the link with %(slug)s does not verify there.")
            % {"slug": link.slug}
        )
    if mine["unfinished"] or theirs.get("unfinished"):
        return problems  # payments in flight: counts may differ for a moment
    if mine["count"] != theirs.get("count") or (
        mine["head"] != theirs.get("head") and mine["digest"] != theirs.get("digest")
    ):
        problems.append(
            _(
                "The link with %(slug)s has diverged: %(mine)s entries here (head %(head)s), "
                "%(theirs)s there (head %(their_head)s)."
            )
            % {
                "slug": link.slug,
                "mine": mine["count"],
                "head": mine["head"][:12],
                "theirs": theirs.get("count"),
                "their_head": str(theirs.get("head", ""))[:12],
            }
        )
    leaf_balance, trunk_balance = (
        (mine["balance"], theirs.get("balance"))
        if link.role == Link.Role.TRUNK
        else (theirs.get("balance"), mine["balance"])
    )
    if isinstance(leaf_balance, int) and isinstance(trunk_balance, int):
        leaf_exp, trunk_exp = (
            (link.currency.exponent, link.remote_exponent)
            if link.role == Link.Role.TRUNK
            else (link.remote_exponent, link.currency.exponent)
        )
        try:
            converted = engine.to_trunk(leaf_balance, link.rate, leaf_exp, trunk_exp)
        except ValidationFailed:
            converted = None
        if converted != -trunk_balance:
            problems.append(
                _(
                    "The link with %(slug)s is out of balance: the leaf's %(leaf)s at the rate "
                    "%(rate)s is not minus the trunk's %(trunk)s."
                )
                % {
                    "slug": link.slug,
                    "leaf": leaf_balance,
                    "rate": link.rate_text,
                    "trunk": trunk_balance,
                }
            )
    return problems


def _record_handshake(link: Link, problems: list[str], *, freeze: bool) -> None:
    with transaction.atomic():
        locked = Link.objects.select_for_update().get(pk=link.pk)
        locked.last_handshake_at = timezone.now()
        locked.last_handshake = "\n".join(problems) or _("in step")
        fields = ["last_handshake_at", "last_handshake"]
        if problems and freeze and not locked.is_frozen:
            locked.is_frozen = True
            locked.frozen_reason = "\n".join(problems)
            fields += ["is_frozen", "frozen_reason"]
            audit.record(
                actor=SYSTEM,
                verb="creditcommons.link.freeze",
                obj=locked,
                reason=locked.frozen_reason,
            )
        locked.save(update_fields=fields)


def handshake_answer(link: Link, message: dict[str, Any]) -> dict[str, Any]:
    """The neighbour's summary compared with ours (we freeze on divergence too)."""
    mine = chain_summary(link)
    if "count" in message:
        problems = _compare(link, mine, message)
        _record_handshake(link, problems, freeze=bool(problems))
    return mine


def handshake(link: Link) -> list[str]:
    """Compare entry count, head hash and the balances with the neighbour; a divergence
    freezes the link until a steward resolves it. Returns the problems (sentences)."""
    mine = chain_summary(link)
    try:
        theirs = transport.send(link, "handshake", mine)
    except (transport.Unreachable, transport.Refused) as exc:
        problems = [
            _("Network %(slug)s could not be asked: %(error)s") % {"slug": link.slug, "error": exc}
        ]
        _record_handshake(link, problems, freeze=False)
        return problems
    problems = _compare(link, mine, theirs)
    _record_handshake(link, problems, freeze=bool(problems))
    return problems


def check() -> dict[str, Any]:
    """The local zero sum (`ledger verify`) and, for each link, the neighbour's figures."""
    from solidaria.ledger.journal import verify

    report = verify()
    problems = [p.message for p in sorted(report.problems, key=lambda p: p.sort_key())[:20]]
    for link in Link.objects.filter(is_active=True).select_related("currency", "account"):
        problems += handshake(link)
    return {"ok": not problems, "problems": problems}


# --- the ledger's pay form and payments API ------------------------------------------------


def pay_from_account(
    *, actor: Any, account: Account, payee: str, amount: str | int, key: str | None, memo: str = ""
) -> RemoteTransaction:
    """A payment to `network/member` from the member's own account (the pay form and the
    payments API call this when the payee is such an address)."""
    from solidaria.ledger.rules import parse_amount

    address = engine.parse_address(payee)
    link = route_for(address)
    if account.kind != Account.Kind.MEMBER or account.owner_id != getattr(actor, "pk", None):
        raise ValidationFailed(
            _("A payment to another network leaves from your own member account."), field="payer"
        )
    if account.currency_id != link.currency_id:
        raise ValidationFailed(
            _("Payments to network %(network)s leave in %(code)s: choose that account.")
            % {"network": address.network, "code": link.currency.code},
            field="payer",
        )
    return pay(
        actor=actor,
        payer=actor,
        payee=str(address),
        amount_minor=parse_amount(link.currency, amount),
        key=key or str(uuid.uuid4()),
        memo=memo,
        via=(link, account),
    )


def outcome_sentence(tx: RemoteTransaction, currency: Currency) -> str:
    """What the payer is told once `pay` returns."""
    where = _split(tx.payee_address)
    amount = currency.format(tx.amount_minor)
    if tx.state == State.COMPLETED:
        return _("You paid %(amount)s to %(member)s at network %(network)s.") % {
            "amount": amount,
            **where,
        }
    if tx.is_final:
        return _(
            "Your payment to %(member)s at network %(network)s did not go through: %(reason)s"
        ) % {
            "reason": tx.reason,
            **where,
        }
    return (
        _(
            "Your payment to %(member)s at network %(network)s is held while the networks "
            "confirm it; it completes or is released shortly."
        )
        % where
    )
