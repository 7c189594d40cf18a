"""Demo data: a time bank (minutes, 2 hours' starting grant) and a community currency
(cents), the demo members' accounts, some payments, a request, offers and wants.
Idempotent: every payment has a fixed idempotency key, everything else is looked up
before it is made, so running it twice changes nothing."""

from __future__ import annotations

from typing import Any

from solidaria.core.demo import demo_users
from solidaria.ledger import listings, payment_requests, services
from solidaria.ledger.models import Account, CreditPolicy, Currency, Listing, PaymentRequest

TIME_BANK = {
    "code": "HOURS",
    "name": "Neighbourhood time bank",
    "unit_kind": Currency.UnitKind.TIME,
    "exponent": 0,
    "default_credit_limit": 600,
    "starting_grant": 120,
    "credit_policy": CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
}
COMMUNITY = {
    "code": "SOL",
    "name": "Sol community credits",
    "unit_kind": Currency.UnitKind.MONEY,
    "exponent": 2,
    "default_credit_limit": 10_000,
    "default_upper_limit": 100_000,
    "soft_credit_limit": 8_000,
    "levy_basis_points": 100,
    "authorisation_threshold": 20_000,
    "credit_policy": CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
}
# (key, currency, payer, payee, amount in minor units, memo, category)
PAYMENTS = [
    ("demo-h1", "HOURS", "ana", "bilal", 90, "Help moving furniture", "household"),
    ("demo-h2", "HOURS", "chen", "ana", 60, "Spanish conversation", "teaching"),
    ("demo-h3", "HOURS", "dolores", "emeka", 120, "Garden clearing", "garden"),
    ("demo-h4", "HOURS", "farah", "chen", 45, "Bike repair", "repairs"),
    ("demo-h5", "HOURS", "bilal", "farah", 30, "Cooking together", "food"),
    ("demo-s1", "SOL", "ana", "dolores", 2_500, "Vegetable box", "food"),
    ("demo-s2", "SOL", "bilal", "chen", 4_000, "Carpentry: shelves", "repairs"),
    ("demo-s3", "SOL", "emeka", "ana", 1_250, "Bread for the week", "food"),
    ("demo-s4", "SOL", "farah", "emeka", 7_500, "Laptop fixed", "repairs"),
    ("demo-s5", "SOL", "chen", "farah", 900, "Soap and candles", "goods"),
]
LISTINGS = [
    (
        "ana",
        "offer",
        "service",
        "Spanish lessons",
        "teaching",
        "Conversation for beginners.",
        "Leeds",
        None,
        "HOURS",
    ),
    (
        "bilal",
        "offer",
        "good",
        "Sourdough bread",
        "food",
        "A loaf every Saturday.",
        "Leeds",
        "4.50",
        "SOL",
    ),
    (
        "chen",
        "want",
        "service",
        "Help with a garden fence",
        "garden",
        "Two hours with tools on a weekend.",
        "Bradford",
        "120",
        "HOURS",
    ),
    ("dolores", "want", "good", "Glass jars", "kitchen", "For jam; any size.", "Leeds", None, None),
    (
        "emeka",
        "offer",
        "service",
        "Bike repair",
        "repairs",
        "Brakes, gears, punctures.",
        "Leeds",
        "10",
        "SOL",
    ),
]


def load(*, stdout: Any) -> None:
    users = demo_users()
    steward = users["steward"]
    currencies = {}
    for spec in (TIME_BANK, COMMUNITY):
        settings = dict(spec)
        code, name = settings.pop("code"), settings.pop("name")
        found = Currency.objects.filter(code=code).first()
        currencies[code] = found or services.currency_create(
            actor=steward, code=code, name=name, **settings
        )
    accounts: dict[tuple[str, str], Account] = {}
    for name, user in users.items():
        if name == "steward":
            continue
        for code, currency in currencies.items():
            accounts[(code, name)] = services.account_open(actor=user, currency=currency)
    made = 0
    for key, code, payer, payee, amount, memo, category in PAYMENTS:
        transfer = services.transfer_create(
            actor=users[payer],
            payer=accounts[(code, payer)],
            payee=accounts[(code, payee)],
            amount_minor=amount,
            memo=memo,
            category=category,
            key=key,
        )
        made += 0 if transfer.replayed else 1
    if not PaymentRequest.objects.filter(memo="Choir sheet music").exists():
        payment_requests.request_create(
            actor=users["dolores"],
            payee=accounts[("SOL", "dolores")],
            payer=accounts[("SOL", "bilal")],
            amount_minor=600,
            memo="Choir sheet music",
            category="music",
        )
    for owner, kind, item, title, category, text, place, price, code in LISTINGS:
        if Listing.objects.filter(owner=users[owner], title=title).exists():
            continue
        listings.listing_create(
            actor=users[owner],
            kind=kind,
            item_type=item,
            title=title,
            category=category,
            description=text,
            place=place,
            price=price,
            currency=code,
        )
    stdout.write(
        f"  ledger: currencies {', '.join(currencies)}; {len(accounts)} accounts; "
        f"{made} new payments; offers and wants at /ledger/offers-wants/"
    )
