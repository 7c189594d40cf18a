"""Operators: a member claims an organisation, a steward confirms or declines, the
operator leaves or is removed; the page lists them and publishes what they choose."""

from __future__ import annotations

import pytest
from django.test import Client

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.core.permissions import allowed
from solidaria.directory import operators
from solidaria.directory.factories import make_organisation
from solidaria.directory.models import Operator, Organisation
from solidaria.ledger.credit import is_operator as ledger_operator

pytestmark = pytest.mark.django_db


def _verbs(org: Organisation) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="directory.organisation", object_id=str(org.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_a_claim_confirmed_by_a_steward_makes_an_operator(member: User, steward: User) -> None:
    # given a confirmed organisation nobody runs yet
    org = make_organisation("Hill Bakery")
    assert not operators.is_operator(member, org)
    # when ada claims it and a steward confirms
    claim = operators.operator_claim(actor=member, org_id=org.pk, reason="I bake there")
    assert claim.status == Operator.Status.CLAIMED
    assert not operators.is_operator(member, org)
    operators.operator_decide(actor=steward, operator_id=claim.pk, decision="confirm")
    # then she runs it, for the directory and for the ledger, and the journal says so
    assert operators.is_operator(member, org)
    assert ledger_operator(member, org)
    assert allowed(member, "directory.organisation.publish", org)
    assert list(operators.organisations_run_by(member)) == [org]
    assert _verbs(org) == ["directory.operator.claim", "directory.operator.confirm"]


def test_claims_need_a_reason_a_confirmed_entry_and_a_member(member: User, applicant: User) -> None:
    org = make_organisation("Hill Bakery")
    proposed = make_organisation("Idea", status=Organisation.Status.PROPOSED)
    with pytest.raises(ValidationFailed):
        operators.operator_claim(actor=member, org_id=org.pk, reason="  ")
    with pytest.raises(ValidationFailed):
        operators.operator_claim(actor=member, org_id=proposed.pk, reason="mine")
    with pytest.raises(PermissionDenied):
        operators.operator_claim(actor=applicant, org_id=org.pk, reason="mine")
    operators.operator_claim(actor=member, org_id=org.pk, reason="mine")
    with pytest.raises(Conflict):
        operators.operator_claim(actor=member, org_id=org.pk, reason="again")
    assert Operator.objects.count() == 1


def test_only_a_steward_decides_and_a_decline_says_why(
    member: User, other_member: User, steward: User
) -> None:
    org = make_organisation("Hill Bakery")
    claim = operators.operator_claim(actor=member, org_id=org.pk, reason="mine")
    with pytest.raises(PermissionDenied):
        operators.operator_decide(actor=other_member, operator_id=claim.pk, decision="confirm")
    with pytest.raises(ValidationFailed):
        operators.operator_decide(actor=steward, operator_id=claim.pk, decision="decline")
    declined = operators.operator_decide(
        actor=steward, operator_id=claim.pk, decision="decline", reason="not known to us"
    )
    assert declined.status == Operator.Status.DECLINED
    assert declined.decision_reason == "not known to us"
    assert not operators.is_operator(member, org)
    with pytest.raises(Conflict):
        operators.operator_decide(actor=steward, operator_id=claim.pk, decision="confirm")


def test_an_operator_leaves_or_a_steward_removes_them(
    member: User, other_member: User, steward: User
) -> None:
    org = make_organisation("Hill Bakery", operators=(member, other_member))
    ada, bo = (Operator.objects.get(user=u) for u in (member, other_member))
    # bo cannot remove ada; a steward must say why
    with pytest.raises(PermissionDenied):
        operators.operator_end(actor=other_member, operator_id=ada.pk, reason="x")
    with pytest.raises(ValidationFailed):
        operators.operator_end(actor=steward, operator_id=ada.pk)
    operators.operator_end(actor=member, operator_id=ada.pk)
    operators.operator_end(actor=steward, operator_id=bo.pk, reason="moved away")
    assert not operators.is_operator(member, org)
    assert not operators.is_operator(other_member, org)
    assert _verbs(org) == ["directory.operator.leave", "directory.operator.remove"]
    # the rows are kept, and she may claim again
    assert Operator.objects.filter(status=Operator.Status.ENDED).count() == 2
    operators.operator_claim(actor=member, org_id=org.pk, reason="back again")


def test_publishing_is_for_operators_and_stewards(member: User, other_member: User) -> None:
    org = make_organisation("Hill Bakery", operators=(member,))
    with pytest.raises(PermissionDenied):
        operators.organisation_publish(
            actor=other_member, org_id=org.pk, shows_coop_facts=False, shows_listings=False
        )
    operators.organisation_publish(
        actor=member, org_id=org.pk, shows_coop_facts=False, shows_listings=True
    )
    org.refresh_from_db()
    assert (org.shows_coop_facts, org.shows_listings) == (False, True)
    assert _verbs(org) == ["directory.organisation.publish"]


# ---------------------------------------------------------------- pages


def test_the_page_walks_a_claim_through(
    member_client: Client, steward_client: Client, member: User
) -> None:
    org = make_organisation("Hill Bakery")
    url = f"/directory/organisations/{org.pk}/"
    page = member_client.get(url).content.decode()
    assert "I run this organisation" in page
    assert "Nobody has been confirmed as running this organisation yet." in page
    member_client.post(f"{url}operators/claim/", {"reason": "I bake there"})
    assert "waiting for a steward" in member_client.get(url).content.decode()
    # the steward sees it in the review queue and confirms it there
    queue = steward_client.get("/directory/review/").content.decode()
    assert "I bake there" in queue
    claim = Operator.objects.get()
    response = steward_client.post(
        f"{url}operators/{claim.pk}/decide/", {"decision": "confirm", "next": "review"}
    )
    assert response.status_code == 302
    page = member_client.get(url).content.decode()
    assert 'id="operators"' in page and "ada" in page
    assert "What this page shows" in page


def test_someone_else_cannot_end_an_operator_by_the_page(member: User, other_member: User) -> None:
    org = make_organisation("Hill Bakery", operators=(member,))
    claim = Operator.objects.get()
    client = Client()
    client.force_login(other_member)
    response = client.post(f"/directory/organisations/{org.pk}/operators/{claim.pk}/end/")
    assert response.status_code == 403
    other = make_organisation("Other Bakery")
    response = client.post(f"/directory/organisations/{other.pk}/operators/{claim.pk}/end/")
    assert response.status_code == 404
    assert operators.is_operator(member, org)


def test_the_page_shows_the_co_op_facts_and_listings_as_published(
    member: User, steward: User
) -> None:
    from solidaria.core.models import Visibility
    from solidaria.governance import services as gov
    from solidaria.ledger.models import Listing

    org = make_organisation("Hill Bakery", operators=(member,))
    coop = gov.coop_create(actor=steward, name="Hill", classes=[("workers", 1), ("eaters", 1)])
    coop.organisation, coop.visibility = org, Visibility.PUBLIC
    coop.save()
    gov.membership_add(
        actor=steward, coop=coop, user=member, member_class=coop.classes.get(name="workers")
    )
    Listing.objects.create(
        owner=member,
        organisation=org,
        kind="offer",
        title="Rye loaves",
        category="food",
        description="Fresh",
    )
    page = Client().get(f"/directory/organisations/{org.pk}/").content.decode()
    assert "Rye loaves" in page
    assert "workers" in page and "1 member" in page
    assert "Indicators" in page
    operators.organisation_publish(
        actor=member, org_id=org.pk, shows_coop_facts=False, shows_listings=False
    )
    page = Client().get(f"/directory/organisations/{org.pk}/").content.decode()
    assert "Rye loaves" not in page and 'id="coop-facts"' not in page


def test_a_members_only_co_op_shows_its_facts_to_members_only(member: User, steward: User) -> None:
    from solidaria.governance import services as gov

    org = make_organisation("Hill Bakery")
    coop = gov.coop_create(actor=steward, name="Hill", classes=[("workers", 1)])
    coop.organisation = org
    coop.save()
    assert (
        'id="coop-facts"'
        not in Client().get(f"/directory/organisations/{org.pk}/").content.decode()
    )
    client = Client()
    client.force_login(make_member("cy"))
    assert 'id="coop-facts"' in client.get(f"/directory/organisations/{org.pk}/").content.decode()


# ---------------------------------------------------------------- API


def test_the_api_claims_decides_lists_and_ends(
    member: User, steward: User, member_token: str, steward_token: str
) -> None:
    import json

    org = make_organisation("Hill Bakery")
    client = Client()

    def post(url: str, body: dict[str, str], token: str) -> tuple[int, dict[str, object]]:
        response = client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        return response.status_code, response.json()

    status, claim = post(
        f"/api/directory/organisations/{org.pk}/operators", {"reason": "I bake"}, member_token
    )
    assert status == 201 and claim["status"] == "claimed" and claim["username"] == "ada"
    status, body = post(
        f"/api/directory/operators/{claim['id']}/decision", {"decision": "confirm"}, member_token
    )
    assert status == 403
    status, body = post(
        f"/api/directory/operators/{claim['id']}/decision", {"decision": "confirm"}, steward_token
    )
    assert status == 200 and body["status"] == "confirmed"
    listed = Client().get(f"/api/directory/organisations/{org.pk}/operators").json()
    assert [row["username"] for row in listed] == ["ada"]
    status, body = post(f"/api/directory/operators/{claim['id']}/end", {}, member_token)
    assert status == 200 and body["status"] == "ended"
    assert Client().get(f"/api/directory/organisations/{org.pk}/operators").json() == []
