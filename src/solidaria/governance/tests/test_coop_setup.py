"""A co-op is a directory organisation: founded from the web by a network steward or by
someone who runs the organisation; classes, share types and stewards kept in the web."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.core.permissions import SYSTEM
from solidaria.directory.factories import make_organisation
from solidaria.directory.models import Organisation
from solidaria.governance import queries, services
from solidaria.governance.models import Cooperative, MemberClass, Membership, ShareType
from solidaria.governance.services import setup

pytestmark = pytest.mark.django_db


def test_an_operator_founds_the_co_op_of_their_organisation_and_steers_it(
    member: User, other_member: User
) -> None:
    org = make_organisation("Hill Bakery", operators=(member,))
    with pytest.raises(PermissionDenied):
        setup.coop_found(actor=other_member, organisation=org, classes=[("workers", 1)])
    coop = setup.coop_found(actor=member, organisation=org, classes=[("workers", 2), ("eaters", 1)])
    assert (coop.organisation, coop.name, coop.slug) == (org, "Hill Bakery", "hill-bakery")
    assert [(c.name, c.vote_weight) for c in coop.classes.order_by("name")] == [
        ("eaters", 1),
        ("workers", 2),
    ]
    founder = Membership.objects.get(coop=coop, user=member)
    assert founder.is_active and founder.is_steward and founder.member_class.name == "workers"
    assert queries.is_coop_steward(member, coop)
    # one organisation, one co-op
    with pytest.raises(Conflict):
        setup.coop_found(actor=member, organisation=org, classes=[("x", 1)])


def test_a_network_steward_founds_one_without_joining_and_may_name_a_new_organisation(
    steward: User,
) -> None:
    coop = setup.coop_found(
        actor=steward,
        organisation=None,
        new_organisation_name="River Mill",
        classes=[("members", 1)],
        visibility="public",
    )
    assert coop.organisation is not None
    assert coop.organisation.status == Organisation.Status.CONFIRMED
    assert coop.visibility == "public"
    assert not Membership.objects.filter(coop=coop).exists()


def test_founding_checks_classes_and_the_entry(member: User, steward: User) -> None:
    proposed = make_organisation("Idea", status=Organisation.Status.PROPOSED)
    with pytest.raises(ValidationFailed):
        setup.coop_found(actor=steward, organisation=proposed, classes=[("a", 1)])
    org = make_organisation("Hill Bakery")
    for classes in ([], [("a", 1), ("A", 2)], [("a", -1)]):
        with pytest.raises(ValidationFailed):
            setup.coop_found(actor=steward, organisation=org, classes=classes)
    with pytest.raises(ValidationFailed):
        setup.coop_found(actor=steward, organisation=org, classes=[("a", 1)], slug="new")
    assert not Cooperative.objects.exists()


def test_classes_and_share_types_are_edited_by_the_co_ops_stewards(
    member: User, other_member: User
) -> None:
    org = make_organisation("Hill Bakery", operators=(member,))
    coop = setup.coop_found(actor=member, organisation=org, classes=[("workers", 1)])
    workers = coop.classes.get()
    with pytest.raises(PermissionDenied):
        setup.member_class_update(actor=other_member, member_class=workers, name="x", vote_weight=1)
    setup.member_class_update(actor=member, member_class=workers, name="bakers", vote_weight=3)
    workers.refresh_from_db()
    assert (workers.name, workers.vote_weight) == ("bakers", 3)
    share = services.share_type_create(actor=member, coop=coop, name="A", nominal_minor=2_500)
    setup.share_type_update(
        actor=member, share_type=share, name="Member share", nominal_minor=5_000, max_holding=10
    )
    share.refresh_from_db()
    assert (share.name, share.nominal_minor, share.max_holding) == ("Member share", 5_000, 10)
    assert {"governance.class.update", "governance.share_type.update"} <= set(
        AuditEvent.objects.values_list("verb", flat=True)
    )


def test_the_nominal_value_is_fixed_once_shares_are_held(member: User, steward: User) -> None:
    from solidaria.governance.models import CapitalEntry

    coop = services.coop_create(actor=steward, name="Mill", classes=[("members", 1)])
    share = services.share_type_create(actor=steward, coop=coop, name="A", nominal_minor=100)
    membership = services.membership_add(
        actor=steward, coop=coop, user=member, member_class=coop.classes.get()
    )
    CapitalEntry.objects.create(
        coop=coop,
        seq=1,
        membership=membership,
        kind="subscription",
        share_type=share,
        quantity=1,
        amount_minor=100,
        created_at=timezone.now(),
    )
    with pytest.raises(ValidationFailed):
        setup.share_type_update(actor=steward, share_type=share, name="A", nominal_minor=200)


def test_co_op_stewards_are_named_and_withdrawn_with_a_reason(
    member: User, other_member: User
) -> None:
    org = make_organisation("Hill Bakery", operators=(member,))
    coop = setup.coop_found(actor=member, organisation=org, classes=[("workers", 1)])
    bo = services.membership_add(
        actor=member, coop=coop, user=other_member, member_class=coop.classes.get()
    )
    founder = Membership.objects.get(coop=coop, user=member)
    with pytest.raises(ValidationFailed):
        setup.coop_steward_set(actor=member, membership=bo, is_steward=True, reason="")
    with pytest.raises(Conflict):  # the only steward
        setup.coop_steward_set(actor=member, membership=founder, is_steward=False, reason="tired")
    setup.coop_steward_set(actor=member, membership=bo, is_steward=True, reason="elected")
    setup.coop_steward_set(actor=other_member, membership=founder, is_steward=False, reason="rota")
    assert not queries.is_coop_steward(member, coop)
    assert queries.is_coop_steward(other_member, coop)
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"governance.steward.grant", "governance.steward.revoke"} <= verbs


def test_the_link_of_an_existing_co_op_to_its_entry(steward: User) -> None:
    coop = services.coop_create(actor=SYSTEM, name="Mill", classes=[("members", 1)])
    org = make_organisation("Mill")
    setup.coop_organisation_link(actor=steward, coop=coop, organisation=org)
    coop.refresh_from_db()
    assert coop.organisation == org


# ---------------------------------------------------------------- pages


def test_the_pages_found_and_set_up_a_co_op(member: User, member_client: Client) -> None:
    org = make_organisation("Hill Bakery", operators=(member,))
    form = member_client.get(f"/governance/new/?organisation={org.pk}").content.decode()
    assert "Hill Bakery" in form and "Found the co-op" in form
    response = member_client.post(
        "/governance/new/",
        {
            "organisation": org.pk,
            "slug": "hill",
            "visibility": "members",
            "classes": "workers: 2\nneighbours",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/governance/hill/setup/"
    coop = Cooperative.objects.get(slug="hill")
    assert sorted(coop.classes.values_list("name", "vote_weight")) == [
        ("neighbours", 1),
        ("workers", 2),
    ]
    member_client.post(
        "/governance/hill/setup/",
        {"action": "share_new", "name": "Member share", "nominal": "25.00", "min_holding": 1},
    )
    member_client.post(
        "/governance/hill/setup/",
        {"action": "class_new", "name": "supporters", "vote_weight": 0},
    )
    assert ShareType.objects.get(coop=coop).nominal_minor == 2_500
    assert MemberClass.objects.filter(coop=coop, name="supporters", vote_weight=0).exists()
    page = member_client.get("/governance/hill/setup/").content.decode()
    assert 'value="25.00"' in page
    # the organisation's page now shows its co-op facts to members
    detail = member_client.get(f"/directory/organisations/{org.pk}/").content.decode()
    assert 'id="coop-facts"' in detail and "Set up the co-op" in detail
    coop_page = member_client.get("/governance/hill/").content.decode()
    assert (
        "Member classes and share types" in coop_page and "Its entry in the directory" in coop_page
    )
    assert "Found a co-op" in member_client.get("/governance/").content.decode()


def test_someone_who_runs_nothing_cannot_found_or_set_up(member: User, other_member: User) -> None:
    org = make_organisation("Hill Bakery", operators=(member,))
    coop = setup.coop_found(actor=member, organisation=org, classes=[("workers", 1)])
    client = Client()
    client.force_login(other_member)
    assert "first claim the organisation" in client.get("/governance/new/").content.decode()
    before = Cooperative.objects.count()
    response = client.post(
        "/governance/new/", {"organisation": org.pk, "visibility": "members", "classes": "a"}
    )
    assert response.status_code == 403
    assert Cooperative.objects.count() == before
    assert client.get(f"/governance/{coop.slug}/setup/").status_code == 403
    assert client.post(f"/governance/{coop.slug}/stewards/", {}).status_code == 403
    cy = make_member("cy")
    client.force_login(cy)
    assert client.get(f"/governance/{coop.slug}/stewards/").status_code == 403
