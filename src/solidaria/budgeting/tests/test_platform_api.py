"""Budgeting API: auth rules per route, 422 with the field, ballots and results as JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from solidaria.budgeting import services
from solidaria.budgeting.models import Ballot, Completion, Process, Rule, VoterReceipt
from solidaria.budgeting.tests.test_platform_services import make_voting

pytestmark = pytest.mark.django_db


BASE = "/api/budgeting"


def call(
    client: Client, method: str, path: str, token: str = "", body: Any = None
) -> tuple[int, Any]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = json.dumps(body) if body is not None else None
    response = getattr(client, method)(
        BASE + path, data=data, content_type="application/json", **headers
    )
    return response.status_code, (response.json() if response.content else None)


def test_strangers_are_refused_everywhere(client, steward, member):
    process, _ = make_voting(steward, member, visibility="members")
    for method, path in [
        ("get", "/processes"),
        ("get", f"/processes/{process.slug}"),
        ("get", f"/processes/{process.slug}/projects"),
        ("get", f"/processes/{process.slug}/results"),
        ("post", f"/processes/{process.slug}/advance"),
    ]:
        status, _body = call(client, method, path)
        assert status in (401, 403, 404), (method, path, status)
    status, _ = call(client, "post", f"/processes/{process.slug}/ballot", body={"projects": ["p1"]})
    assert status == 404
    assert (Ballot.objects.count(), VoterReceipt.objects.count()) == (0, 0)


def test_members_read_but_only_stewards_create_advance_and_count(
    client, steward, member, member_token, steward_token
):
    body = {"title": "Garden", "budget": 500, "rule": "greedy", "completion": "none"}
    status, _ = call(client, "post", "/processes", member_token, body)
    assert status == 403
    status, created = call(client, "post", "/processes", steward_token, body)
    assert status == 201 and created["slug"] == "garden" and created["phase"] == "submission"
    status, listed = call(client, "get", "/processes", member_token)
    assert status == 200 and [p["slug"] for p in listed] == ["garden"]
    assert call(client, "post", "/processes/garden/advance", member_token)[0] == 403
    assert call(client, "post", "/processes/garden/count", member_token)[0] == 403
    assert Process.objects.get().phase == "submission"


def test_invalid_input_is_422_with_the_field(client, steward, member, member_token, steward_token):
    status, body = call(
        client, "post", "/processes", steward_token, {"title": "X", "budget": 5, "rule": "magic"}
    )
    assert (status, body["field"]) == (422, "rule")
    call(client, "post", "/processes", steward_token, {"title": "Garden", "budget": 500})
    status, body = call(
        client, "post", "/processes/garden/projects", member_token, {"title": "Big", "cost": 900}
    )
    assert (status, body["field"]) == (422, "cost_minor")
    status, body = call(client, "post", "/processes/garden/projects", member_token, {"cost": 9})
    assert status == 422  # schema validation: title missing


def test_a_member_proposes_and_a_steward_reviews_through_the_api(
    client, steward, member, member_token, steward_token
):
    call(client, "post", "/processes", steward_token, {"title": "Garden", "budget": 500})
    status, project = call(
        client,
        "post",
        "/processes/garden/projects",
        member_token,
        {"title": "Beehive", "cost": 120, "category": "nature", "district": "North"},
    )
    assert status == 201 and project["project_id"] == "p1" and project["status"] == "proposed"
    path = f"/processes/garden/projects/{project['id']}/review"
    assert call(client, "post", path, member_token, {"status": "feasible"})[0] == 403
    status, reviewed = call(
        client, "post", path, steward_token, {"status": "feasible", "cost": 150}
    )
    assert (status, reviewed["status"], reviewed["cost"]) == (200, "feasible", 150)


def test_ballots_through_the_api_with_change_by_secret(
    client, steward, member, member_token, steward_token
):
    process, _ = make_voting(steward, member, max_length=2)
    path = f"/processes/{process.slug}/ballot"
    status, body = call(client, "post", path, member_token, {"projects": ["p1", "p2", "p3"]})
    assert (status, body["field"], body["detail"]) == (
        422,
        "projects",
        "Choose at most 2 projects.",
    )
    status, first = call(client, "post", path, member_token, {"projects": ["p1"]})
    assert status == 200 and first["changed"] is False and len(first["secret"]) > 20
    status, body = call(client, "post", path, member_token, {"projects": ["p2"]})
    assert (status, body["field"]) == (409, "secret")
    status, second = call(
        client, "post", path, member_token, {"projects": ["p2"], "secret": first["secret"]}
    )
    assert status == 200 and second["changed"] is True
    assert list(Ballot.objects.values_list("projects", flat=True)) == [["p2"]]


def test_residents_vote_with_a_code_without_an_account(client, steward, member, steward_token):
    process, _ = make_voting(steward, member, electorate="codes")
    status, body = call(
        client, "post", f"/processes/{process.slug}/codes", steward_token, {"count": 2}
    )
    assert status == 201 and len(body["codes"]) == 2
    path = f"/processes/{process.slug}/ballot"
    assert call(client, "post", path, body={"projects": ["p1"], "code": "WRONG"})[0] == 403
    status, _ = call(client, "post", path, body={"projects": ["p1"], "code": body["codes"][0]})
    assert status == 200
    status, _ = call(client, "post", path, body={"projects": ["p2"], "code": body["codes"][0]})
    assert status == 409
    assert (Ballot.objects.count(), VoterReceipt.objects.count()) == (1, 1)


def test_count_publish_and_results_json(
    client, steward, member, other_member, member_token, steward_token
):
    process, _ = make_voting(steward, member, rule=Rule.GREEDY, completion=Completion.NONE)
    services.ballot_cast(actor=member, process=process, projects=["p1", "p3"])
    services.ballot_cast(actor=other_member, process=process, projects=["p2", "p3"])
    slug = process.slug
    assert call(client, "post", f"/processes/{slug}/count", steward_token)[0] == 409
    call(client, "post", f"/processes/{slug}/advance", steward_token)
    status, counted = call(client, "post", f"/processes/{slug}/count", steward_token)
    assert status == 201 and counted["published_at"] is None
    assert call(client, "get", f"/processes/{slug}/results", member_token)[0] == 404
    publish = f"/processes/{slug}/results/{counted['id']}/publish"
    assert call(client, "post", publish, member_token)[0] == 403
    assert call(client, "post", publish, steward_token)[0] == 200
    status, result = call(client, "get", f"/processes/{slug}/results", member_token)
    assert status == 200
    assert (result["rule"], result["engine_rule"], result["selected"], result["cost"]) == (
        "greedy",
        "greedy",
        ["p3", "p1"],
        90,
    )
    assert result["parameters"]["budget"] == "100"
    assert result["engine_version"]
    assert [(p["project_id"], p["support"], p["selected"]) for p in result["projects"]] == [
        ("p1", 1, True),
        ("p2", 1, False),
        ("p3", 2, True),
    ]
    assert result["projects"][1]["detail"]["status"] == "skipped"


def test_a_big_count_runs_as_a_task(client, steward, member, steward_token, monkeypatch):
    # given a process whose ballots are above the inline limit (lowered for the test)
    process, _ = make_voting(steward, member, rule=Rule.GREEDY, completion=Completion.NONE)
    services.ballot_cast(actor=member, process=process, projects=["p1", "p2"])
    services.phase_advance(actor=steward, process=process)
    monkeypatch.setattr(services, "COUNT_INLINE_MAX_BALLOTS", 0)
    # when the steward counts (the immediate task backend runs the task at once)
    status, body = call(client, "post", f"/processes/{process.slug}/count", steward_token)
    # then the task stored the result
    assert status in (201, 202)
    assert process.results.get().selected == ["p1", "p2"]
