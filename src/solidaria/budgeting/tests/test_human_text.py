"""Budgeting pages name the counting rules ("Method of Equal Shares, completed by adding
projects (Add1)"), never their codes, outside a details part."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse

from solidaria.accounts.models import User
from solidaria.budgeting import demo, labels
from solidaria.budgeting.models import Process
from solidaria.core.tests.test_human_text import pages_under, raw_bits

# The new-process form's help text shows a JSON example of rule parameters on purpose.
FORMS = ("/budgeting/new/",)


@pytest.fixture
def demo_processes(db: None) -> None:
    demo.load(stdout=io.StringIO())


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["steward", "ana"])
def test_budgeting_pages_show_no_raw_internals(demo_processes: None, username: str) -> None:
    # given the demo: Assen 2024 counted by MES + Add1 and published, one process voting
    client = Client()
    client.force_login(User.objects.get(username=username))
    seen = []
    # when every budgeting page a link leads to is read
    for url, page in pages_under(client, reverse("budgeting:home"), "/budgeting/", skip=FORMS):
        seen.append(url)
        # then nothing raw is visible
        assert raw_bits(page) == [], url
    assert reverse("budgeting:results", args=["assen-2024"]) in seen


@pytest.mark.django_db
def test_results_name_the_rule_and_keep_its_code_in_details(demo_processes: None) -> None:
    # given the published Assen result
    client = Client()
    client.force_login(User.objects.get(username="ana"))
    # when a member reads it
    page = client.get(reverse("budgeting:results", args=["assen-2024"])).content.decode()
    # then the rule has its name; the code and the engine version are in details
    assert "<dd>Method of Equal Shares, completed by adding projects (Add1)</dd>" in page
    details = page.split("<details>")[1]
    assert "<code>equalshares/add1</code>" in details
    assert "Counting engine" in details


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rule", "completion", "name"),
    [
        ("mes", "add1", "Method of Equal Shares, completed by adding projects (Add1)"),
        ("mes", "none", "Method of Equal Shares, without completion"),
        ("phragmen", "add1", "Sequential Phragmén"),
        ("greedy", "none", "Greedy by votes"),
    ],
)
def test_a_process_rule_is_named_with_its_completion(rule: str, completion: str, name: str) -> None:
    # given a process's rule and completion (completion only matters for MES)
    process = Process(rule=rule, completion=completion)
    # when named, then as people say it
    assert labels.rule_name(process) == name


def test_every_engine_rule_code_has_a_name() -> None:
    # given the engine's rule codes, when named, then none is shown as its code
    for code in ("greedy", "phragmen", "equalshares/add1", "equalshares/add1-comparison"):
        assert "/" not in labels.rule_name(code) and labels.rule_name(code) != code
