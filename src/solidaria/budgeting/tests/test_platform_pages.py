"""Budgeting pages: a whole process in the browser, results, exports, Pabulib import."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from solidaria.accounts.models import User
from solidaria.budgeting import services
from solidaria.budgeting.engine import pabulib
from solidaria.budgeting.models import (
    Ballot,
    BallotType,
    Completion,
    Phase,
    Process,
    Result,
    Rule,
    VoterReceipt,
)
from solidaria.budgeting.tests.test_platform_services import make_voting
from solidaria.core.paths import bundled_data_dir

pytestmark = pytest.mark.django_db


PABULIB_DIR = bundled_data_dir() / "pabulib"


def _counted(steward: User, member: User, other_member: User, **settings_: object) -> Process:
    """Greedy: p1 (60) has 2 votes, p2 (40) 1, p3 (30) 2; budget 100 funds p1 and p3."""
    process, _projects = make_voting(steward, member, **settings_)
    services.ballot_cast(actor=member, process=process, projects=["p1", "p3"])
    services.ballot_cast(actor=other_member, process=process, projects=["p1", "p2", "p3"])
    services.ballot_cast(actor=steward, process=process, projects=["p3"])
    services.phase_advance(actor=steward, process=process)
    return process


def test_home_lists_processes_and_is_named_for_the_navigation(member_client, steward, member):
    make_voting(steward, member)
    response = member_client.get(reverse("budgeting:home"))
    assert response.status_code == 200
    assert "Neighbourhood fund" in response.content.decode()


def test_a_stranger_is_asked_to_log_in_for_a_members_only_process(client: Client, steward, member):
    process, _ = make_voting(steward, member, visibility="members")
    page = client.get(reverse("budgeting:process", args=[process.slug]))
    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))
    home = client.get(reverse("budgeting:home")).content.decode()
    assert "Neighbourhood fund" not in home
    assert "1 more is for members of the network only." in home
    vote_url = reverse("budgeting:vote", args=[process.slug])
    assert client.post(vote_url, {"project": ["1"]})["Location"].startswith(reverse("login"))
    assert Ballot.objects.count() == 0


def test_a_stranger_reads_a_public_process_but_votes_only_as_a_member(
    client: Client, steward, member
):
    process, _ = make_voting(steward, member)  # public by default
    assert "Neighbourhood fund" in client.get(reverse("budgeting:home")).content.decode()
    assert client.get(reverse("budgeting:process", args=[process.slug])).status_code == 200
    vote_url = reverse("budgeting:vote", args=[process.slug])
    assert client.post(vote_url, {"project": ["1"]})["Location"].startswith(reverse("login"))
    assert Ballot.objects.count() == 0


def test_steward_pages_are_refused_to_members(member_client, steward, member):
    process, _ = make_voting(steward, member)
    for name, args in [
        ("budgeting:process_new", []),
        ("budgeting:import", []),
        ("budgeting:codes", [process.slug]),
    ]:
        assert member_client.get(reverse(name, args=args)).status_code == 403
    response = member_client.post(reverse("budgeting:advance", args=[process.slug]))
    assert response.status_code == 403
    process.refresh_from_db()
    assert process.phase == Phase.VOTING


def test_a_steward_runs_a_whole_process_in_the_browser(steward_client, member_client, steward):
    # given a steward who creates a process
    response = steward_client.post(
        reverse("budgeting:process_new"),
        {
            "title": "Park money",
            "slug": "park",
            "currency": "EUR",
            "currency_exponent": "0",
            "budget": "100",
            "electorate": "members",
            "ballot_type": "approval",
            "max_length": "2",
            "rule": "greedy",
            "completion": "none",
            "rule_parameters": "{}",
        },
    )
    assert response.status_code == 302
    process = Process.objects.get(slug="park")
    # when a member proposes two projects
    for title, cost in [("Swings", "70"), ("Pond", "50")]:
        r = member_client.post(
            reverse("budgeting:project_new", args=["park"]), {"title": title, "cost": cost}
        )
        assert r.status_code == 302
    # and the steward reviews them, sets a cost and opens voting
    steward_client.post(reverse("budgeting:advance", args=["park"]))
    swings, pond = process.projects.order_by("id")
    steward_client.post(
        reverse("budgeting:review", args=["park", swings.pk]), {"status": "feasible", "cost": "60"}
    )
    steward_client.post(reverse("budgeting:review", args=["park", pond.pk]), {"status": "feasible"})
    steward_client.post(reverse("budgeting:advance", args=["park"]))
    # and the member votes, then changes the ballot from the same browser
    vote_url = reverse("budgeting:vote", args=["park"])
    page = member_client.get(vote_url)
    assert page.status_code == 200 and "Swings" in page.content.decode()
    first = member_client.post(vote_url, {"project": [str(swings.pk)]})
    assert first.status_code == 200
    assert "ballot secret" in first.content.decode()
    again = member_client.get(vote_url)
    assert "Change my ballot" in again.content.decode()
    member_client.post(vote_url, {"project": [str(pond.pk)]})
    assert list(Ballot.objects.values_list("projects", flat=True)) == [["p2"]]
    # and the steward closes voting, counts and publishes
    steward_client.post(reverse("budgeting:advance", args=["park"]))
    r = steward_client.post(reverse("budgeting:count", args=["park"]))
    assert r.status_code == 302
    result = Result.objects.get()
    assert member_client.get(reverse("budgeting:results", args=["park"])).status_code == 200
    assert (
        "No result has been published"
        in member_client.get(reverse("budgeting:results", args=["park"])).content.decode()
    )
    steward_client.post(reverse("budgeting:publish", args=["park", result.pk]))
    # then the results page shows the rule, the chart and the reasons
    html = member_client.get(reverse("budgeting:results", args=["park"])).content.decode()
    assert "<svg" in html and "greedy" in html
    assert "Funded: ranked 1 by support" in html
    assert result.selected == ["p2"]


def test_an_invalid_ballot_in_the_browser_shows_the_reason(member_client, steward, member):
    process, projects = make_voting(steward, member, max_length=1)
    response = member_client.post(
        reverse("budgeting:vote", args=[process.slug]),
        {"project": [str(projects[0].pk), str(projects[1].pk)]},
    )
    assert response.status_code == 422
    assert "Choose at most 1 projects." in response.content.decode()
    assert (Ballot.objects.count(), VoterReceipt.objects.count()) == (0, 0)


def test_results_page_and_exports(member_client, steward, member, other_member):
    # given a counted and published greedy process
    process = _counted(steward, member, other_member, rule=Rule.GREEDY, completion=Completion.NONE)
    result = services.count_run(actor=steward, process=process)
    services.result_publish(actor=steward, result=result)
    # when a member opens the results and the exports
    html = member_client.get(reverse("budgeting:results", args=[process.slug])).content.decode()
    results_csv = member_client.get(reverse("budgeting:results_csv", args=[process.slug]))
    ballots_csv = member_client.get(reverse("budgeting:ballots_csv", args=[process.slug]))
    pb = member_client.get(reverse("budgeting:pabulib", args=[process.slug]))
    # then the funded projects are p1 and p3, with explanations
    assert sorted(result.selected) == ["p1", "p3"]
    assert result.total_cost_minor == 90
    assert "Not funded: when its turn came (rank 3) it no longer fit the budget." in html
    rows = list(csv.reader(io.StringIO(results_csv.content.decode())))
    assert rows == [
        ["project_id", "title", "cost", "support", "status", "selected"],
        ["p1", "Project 1", "60", "2", "feasible", "1"],
        ["p2", "Project 2", "40", "1", "feasible", "0"],
        ["p3", "Project 3", "30", "3", "feasible", "1"],
    ]
    ballot_rows = list(csv.reader(io.StringIO(ballots_csv.content.decode())))
    assert ballot_rows[0] == ["vote", "points"]
    assert sorted(r[0] for r in ballot_rows[1:]) == ["p1,p2,p3", "p1,p3", "p3"]
    assert (
        ballots_csv.content
        == member_client.get(reverse("budgeting:ballots_csv", args=[process.slug])).content
    )  # deterministic
    instance, profile = pabulib.parse(pb.content.decode())
    assert pabulib.official_selected(instance) == ("p1", "p3")
    assert profile.num_voters == 3
    assert profile.voter_ids == ("1", "2", "3")


def test_exports_wait_for_a_published_result(member_client, steward, member, other_member):
    process = _counted(steward, member, other_member, rule=Rule.GREEDY, completion=Completion.NONE)
    services.count_run(actor=steward, process=process)  # counted, not published
    for name in ("budgeting:results_csv", "budgeting:ballots_csv", "budgeting:pabulib"):
        assert member_client.get(reverse(name, args=[process.slug])).status_code == 404


def test_codes_are_shown_once_or_downloaded_as_csv(steward_client, steward, member):
    process, _ = make_voting(steward, member, electorate="codes")
    url = reverse("budgeting:codes", args=[process.slug])
    shown = steward_client.post(url, {"count": "2", "format": "page"})
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    download = steward_client.post(url, {"count": "3", "format": "csv"})
    lines = download.content.decode().splitlines()
    assert lines[0] == "voting_code" and len(lines) == 4
    assert process.codes.count() == 5
    # a resident votes with a downloaded code without an account
    resident = Client()
    r = resident.post(
        reverse("budgeting:vote", args=[process.slug]),
        {"code": lines[1], "project": [str(process.projects.first().pk)]},
    )
    assert r.status_code == 200
    assert VoterReceipt.objects.filter(code__isnull=False).count() == 1


def test_import_a_pabulib_file_through_the_upload_page(steward_client):
    text = (PABULIB_DIR / "Netherlands_Assen_2024.pb").read_bytes()
    response = steward_client.post(
        reverse("budgeting:import"),
        {"file": SimpleUploadedFile("Netherlands_Assen_2024.pb", text), "slug": "assen"},
    )
    assert response.status_code == 302
    process = Process.objects.get(slug="assen")
    assert (process.projects.count(), process.ballots.count()) == (14, 84)
    assert (process.phase, process.rule, process.completion) == (
        Phase.RESULTS,
        Rule.MES,
        Completion.ADD1,
    )
    assert (process.min_length, process.budget_minor, process.currency) == (2, 100000, "EUR")


def test_a_malformed_pabulib_file_is_refused_with_section_and_line(steward_client):
    bad = b"META\nkey;value\nbudget;100\nPROJECTS\nproject_id;cost\n1;10;extra\nVOTES\n"
    response = steward_client.post(
        reverse("budgeting:import"), {"file": SimpleUploadedFile("bad.pb", bad)}
    )
    assert response.status_code == 200
    assert "PROJECTS section, line 6" in response.content.decode()
    assert Process.objects.count() == 0


@pytest.mark.parametrize(
    "filename",
    ["Netherlands_Assen_2024.pb", "Poland_Swiecie_2023.pb"],
)
def test_an_imported_mes_file_counts_to_the_official_selection(steward, filename):
    # given a real file decided by MES with Add1
    text = (PABULIB_DIR / filename).read_text(encoding="utf-8")
    official, _ = pabulib.parse(text)
    process = services.process_import_pabulib(actor=steward, text=text, source=filename)
    # when the steward counts it
    result = services.count_run(actor=steward, process=process)
    # then the funded projects are the official ones, and the result records the rule
    assert sorted(result.selected) == sorted(pabulib.official_selected(official) or ())
    assert result.engine_rule == "equalshares/add1"
    assert result.parameters["budget"] == str(official.budget)


def test_the_results_page_explains_mes_decisions(member_client, steward):
    # given Assen 2024 imported, counted with MES + Add1 and published
    text = (PABULIB_DIR / "Netherlands_Assen_2024.pb").read_text(encoding="utf-8")
    process = services.process_import_pabulib(actor=steward, text=text, slug="assen")
    result = services.count_run(actor=steward, process=process)
    services.result_publish(actor=steward, result=result)
    # when a member opens the results
    html = member_client.get(reverse("budgeting:results", args=["assen"])).content.decode()
    # then RuBox (12000 EUR, not funded) says what its supporters had and what beat it
    rubox = next(r for r in result.projects if r["code"] == "7")
    assert (rubox["selected"], rubox["detail"]["status"], rubox["detail"]["beaten_by"]) == (
        False,
        "unaffordable",
        "5",
    )
    assert "When it dropped out they had 11890.01 EUR left in total; it costs 12000 EUR." in html
    assert "It was last affordable in the round won by &#x27;LGBTQ+ bijeenkomsten&#x27;." in html
    assert "Funded in round 1: each supporter paid at most 167.44 EUR" in html


@pytest.mark.shared_data
def test_an_imported_greedy_file_counts_to_the_official_selection(steward, shared_data):
    text = (shared_data / "pabulib" / "Poland_Warszawa_2021_Mokotow.pb").read_text(encoding="utf-8")
    official, _ = pabulib.parse(text)
    process = services.process_import_pabulib(actor=steward, text=text)
    assert (process.ballot_type, process.rule, process.max_length) == (
        BallotType.APPROVAL,
        Rule.GREEDY,
        15,
    )
    result = services.count_run(actor=steward, process=process)
    assert sorted(result.selected) == sorted(pabulib.official_selected(official) or ())
    assert len(result.selected) > 0


def test_on_a_shared_browser_one_member_cannot_read_or_change_anothers_ballot(
    steward, member, other_member
):
    """Given ada voted on a browser and logged out, when bo logs in on the same browser,
    then bo sees an empty ballot, and his vote neither reads nor replaces ada's."""
    process, projects = make_voting(steward, member)
    p1, p2 = str(projects[0].pk), str(projects[1].pk)
    browser = Client()
    browser.force_login(member)
    browser.post(reverse("budgeting:vote", args=[process.slug]), {"project": [p1]})
    browser.post(reverse("logout"))
    browser.force_login(other_member)

    page = browser.get(reverse("budgeting:vote", args=[process.slug])).content.decode()
    assert "checked" not in page
    browser.post(reverse("budgeting:vote", args=[process.slug]), {"project": [p2]})

    stored = sorted(sorted(b.projects) for b in Ballot.objects.filter(process=process))
    assert stored == [["p1"], ["p2"]]
    assert VoterReceipt.objects.filter(process=process).count() == 2
