"""Dates and numbers on the main pages follow the visitor's language (Django's formats).

Each page is read in Spanish and Bengali (and English, to make sure the formats differ)
and must show a known date or number exactly as Django formats it for that language.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from solidaria.accounts.models import Admission, User
from solidaria.budgeting.models import Process
from solidaria.core.tests.network import Network, build
from solidaria.governance.models import Poll
from solidaria.ledger.models import Entry

pytestmark = pytest.mark.django_db

LANGUAGES = ("es", "bn")


def _shown(value: object, fmt: str, lang: str) -> str:
    with translation.override(lang):
        if fmt == "intcomma":
            return str(intcomma(value))
        assert isinstance(value, dt.date)
        moment = timezone.localtime(value) if isinstance(value, dt.datetime) else value
        return date_format(moment, fmt)


def _page(client: Client, url: str, lang: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, (url, lang, response.status_code)
    return response.content.decode()


def _check(client: Client, url: str, value: object, fmt: str) -> None:
    english = _shown(value, fmt, "en")
    for lang in LANGUAGES:
        expected = _shown(value, fmt, lang)
        assert expected != english, (fmt, lang)  # else the page could not tell them apart
        body = _page(client, url, lang)
        assert expected in body, (url, lang, expected)
        assert english not in body, (url, lang, english)


@pytest.fixture
def network(member: User, other_member: User, steward: User) -> Network:
    return build(member, other_member, steward, published=True)


def test_transparency_counts_and_months(network: Network) -> None:
    User.objects.bulk_create(
        User(username=f"m{i}", admission=Admission.ADMITTED, is_active=True) for i in range(1234)
    )
    client = Client()
    members = User.objects.filter(admission=Admission.ADMITTED, is_active=True).count()
    assert members >= 1000
    _check(client, reverse("transparency"), members, "intcomma")
    month = timezone.now().date().replace(day=1)
    _check(client, reverse("transparency"), month, "YEAR_MONTH_FORMAT")


def test_ledger_statement_dates(network: Network, member_client: Client) -> None:
    entry = Entry.objects.filter(account__owner=network.ada).latest("created_at")
    url = reverse("ledger:account", args=[entry.account_id])
    _check(member_client, url, entry.created_at, "SHORT_DATETIME_FORMAT")


def test_coop_page_poll_deadline(network: Network, member_client: Client) -> None:
    poll = Poll.objects.get(pk=network.ids["poll"])
    url = reverse("governance:coop", args=[poll.coop.slug])
    _check(member_client, url, poll.closes_at, "DATETIME_FORMAT")


def test_budgeting_results_count_time(network: Network) -> None:
    process = Process.objects.get(slug=network.ids["process"])
    result = process.results.latest("counted_at")
    url = reverse("budgeting:results", args=[process.slug])
    _check(Client(), url, result.counted_at, "DATETIME_FORMAT")


def test_home_open_poll_deadline(network: Network, member_client: Client) -> None:
    poll = Poll.objects.get(pk=network.ids["poll"])
    _check(member_client, reverse("home"), poll.closes_at, "SHORT_DATETIME_FORMAT")
