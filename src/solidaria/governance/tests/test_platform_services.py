"""Services: who may do what (non-member, member, steward), and bad input refused with a
reason while nothing is stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from solidaria.governance import queries, services
from solidaria.governance.models import (
    Ballot,
    CapitalEntry,
    Membership,
    OutcomeVersion,
    Participation,
    Poll,
)
from solidaria.governance.tests.test_platform_factories import (
    BYLAWS,
    World,
    in_a_week,
    make_world,
    snapshot,
)


@pytest.fixture
def world(member: User, other_member: User, steward: User) -> World:
    return make_world(member, other_member, steward)


def _proposal(w: World, **kwargs: Any) -> Poll:
    return services.poll_create(
        actor=w.steward,
        coop=w.coop,
        kind=Poll.Kind.PROPOSAL,
        title="Buy a new oven",
        closes_at=in_a_week(),
        **kwargs,
    )


def _make_due(poll: Poll) -> None:
    now = timezone.now()
    Poll.objects.filter(pk=poll.pk).update(
        opens_at=now - dt.timedelta(hours=1), closes_at=now - dt.timedelta(seconds=1)
    )


# --- permissions per role -------------------------------------------------------------------


def _steward_actions(w: World) -> dict[str, Any]:
    return {
        "create poll": lambda actor: services.poll_create(
            actor=actor, coop=w.coop, kind="proposal", title="x", closes_at=in_a_week()
        ),
        "subscribe shares": lambda actor: services.shares_subscribe(
            actor=actor, membership=w.worker, share_type=w.share, quantity=2
        ),
        "create bylaws": lambda actor: services.bylaws_create(
            actor=actor, coop=w.coop, data=BYLAWS, effective_from=dt.date(2025, 1, 1)
        ),
        "add member": lambda actor: services.membership_add(
            actor=actor, coop=w.coop, user=w.stranger, member_class=w.consumers
        ),
        "create share type": lambda actor: services.share_type_create(
            actor=actor, coop=w.coop, name="B", nominal_minor=100
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action",
    ["create poll", "subscribe shares", "create bylaws", "add member", "create share type"],
)
@pytest.mark.parametrize("role", ["non-member", "member"])
def test_steward_actions_are_denied_to_others_and_change_nothing(
    world: World, action: str, role: str
) -> None:
    # given someone who is not a steward
    actor = world.stranger if role == "non-member" else world.worker.user
    before = snapshot()
    # when they try a steward's action
    with pytest.raises(PermissionDenied):
        _steward_actions(world)[action](actor)
    # then nothing changed
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action",
    ["create poll", "subscribe shares", "create bylaws", "add member", "create share type"],
)
def test_steward_actions_are_allowed_to_stewards(world: World, action: str) -> None:
    result = _steward_actions(world)[action](world.steward)
    assert result.pk is not None


@pytest.mark.django_db
def test_a_coop_steward_member_may_steward_their_coop_only(world: World) -> None:
    # given a member the co-op made one of its stewards
    chief = make_member(username="dee", email="d@example.org", password="pw")
    services.membership_add(
        actor=world.steward,
        coop=world.coop,
        user=chief,
        member_class=world.workers,
        is_coop_steward=True,
    )
    # then they may open a poll in it, but not create a co-op
    assert services.poll_create(
        actor=chief, coop=world.coop, kind="proposal", title="x", closes_at=in_a_week()
    ).pk
    with pytest.raises(PermissionDenied):
        services.coop_create(actor=chief, name="Other")


# --- memberships ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_application_approved_by_steward_becomes_active(world: World) -> None:
    application = services.membership_apply(
        actor=world.stranger, coop=world.coop, member_class=world.consumers, motivation="bread!"
    )
    assert application.status == Membership.Status.APPLIED
    services.membership_decide(actor=world.steward, membership=application, is_approved=True)
    application.refresh_from_db()
    assert application.status == Membership.Status.ACTIVE
    assert application.started_at is not None


@pytest.mark.django_db
def test_a_member_cannot_approve_an_application(world: World) -> None:
    application = services.membership_apply(
        actor=world.stranger, coop=world.coop, member_class=world.consumers
    )
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.membership_decide(
            actor=world.worker.user, membership=application, is_approved=True
        )
    assert snapshot() == before


@pytest.mark.django_db
def test_application_decided_by_a_poll(world: World) -> None:
    # given an application put to the members
    application = services.membership_apply(
        actor=world.stranger, coop=world.coop, member_class=world.consumers
    )
    poll = _proposal(world, admission_for=application)
    # when both members vote yes and the poll closes
    services.vote_cast(actor=world.worker.user, poll=poll, choice={"vote": "yes"})
    services.vote_cast(actor=world.consumer.user, poll=poll, choice={"vote": "yes"})
    services.poll_close(actor=world.steward, poll=poll)
    # then the applicant is a member
    application.refresh_from_db()
    assert application.status == Membership.Status.ACTIVE


@pytest.mark.django_db
def test_leaving_keeps_history_and_allows_rejoining(world: World) -> None:
    services.membership_end(actor=world.consumer.user, membership=world.consumer, reason="moving")
    world.consumer.refresh_from_db()
    assert world.consumer.status == Membership.Status.ENDED
    assert world.consumer.ended_at is not None
    again = services.membership_apply(
        actor=world.consumer.user, coop=world.coop, member_class=world.consumers
    )
    assert Membership.objects.filter(coop=world.coop, user=world.consumer.user).count() == 2
    assert again.status == Membership.Status.APPLIED


# --- capital register ----------------------------------------------------------------------


@pytest.mark.django_db
def test_register_derives_holdings_from_entries(world: World) -> None:
    services.shares_subscribe(
        actor=world.steward, membership=world.worker, share_type=world.share, quantity=10
    )
    services.shares_subscribe(
        actor=world.steward, membership=world.consumer, share_type=world.share, quantity=2
    )
    services.shares_transfer(
        actor=world.worker.user,
        seller=world.worker,
        buyer=world.consumer,
        share_type=world.share,
        quantity=3,
    )
    services.shares_redeem(
        actor=world.steward, membership=world.worker, share_type=world.share, quantity=1
    )
    assert queries.holding(world.worker, world.share) == 6
    assert queries.holding(world.consumer, world.share) == 5
    assert list(CapitalEntry.objects.order_by("seq").values_list("seq", "kind", "quantity")) == [
        (1, "subscription", 10),
        (2, "subscription", 2),
        (3, "transfer_out", -3),
        (4, "transfer_in", 3),
        (5, "redemption", -1),
    ]
    rows = {h.membership.user.username: h.share_capital_minor for h in queries.holdings(world.coop)}
    assert rows == {"ada": 30000, "bo": 25000}


@pytest.mark.django_db
def test_share_transfer_above_holding_is_refused_and_nothing_stored(world: World) -> None:
    services.shares_subscribe(
        actor=world.steward, membership=world.worker, share_type=world.share, quantity=4
    )
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.shares_transfer(
            actor=world.worker.user,
            seller=world.worker,
            buyer=world.consumer,
            share_type=world.share,
            quantity=5,
        )
    assert exc.value.message == "ada holds 4 A shares and cannot transfer 5"
    assert exc.value.field == "quantity"
    assert snapshot() == before


@pytest.mark.django_db
def test_a_member_cannot_transfer_someone_elses_shares(world: World) -> None:
    services.shares_subscribe(
        actor=world.steward, membership=world.worker, share_type=world.share, quantity=4
    )
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.shares_transfer(
            actor=world.consumer.user,
            seller=world.worker,
            buyer=world.consumer,
            share_type=world.share,
            quantity=1,
        )
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (21, "ada would hold 21 shares; at most 20 are allowed"),
        (0, "the number of shares must be more than zero"),
        (-3, "the number of shares must be more than zero"),
    ],
)
def test_subscription_limits(world: World, quantity: int, message: str) -> None:
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.shares_subscribe(
            actor=world.steward, membership=world.worker, share_type=world.share, quantity=quantity
        )
    assert exc.value.message == message
    assert snapshot() == before


@pytest.mark.django_db
def test_subscription_is_idempotent_by_key(world: World) -> None:
    first = services.shares_subscribe(
        actor=world.steward, membership=world.worker, share_type=world.share, quantity=2, key="k1"
    )
    again = services.shares_subscribe(
        actor=world.steward, membership=world.worker, share_type=world.share, quantity=2, key="k1"
    )
    assert first.pk == again.pk
    assert queries.holding(world.worker, world.share) == 2
    with pytest.raises(Conflict):
        services.shares_subscribe(
            actor=world.steward,
            membership=world.worker,
            share_type=world.share,
            quantity=3,
            key="k1",
        )


@pytest.mark.django_db
def test_register_entries_are_append_only(world: World) -> None:
    entry = services.shares_subscribe(
        actor=world.steward, membership=world.worker, share_type=world.share, quantity=2
    )
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


# --- votes ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_weighted_proposal_passes_with_settings_on_result(world: World) -> None:
    # given a proposal needing a third of the electorate (weight 3) and a simple majority
    poll = _proposal(world, settings={"quorum": "1/3", "tie_rule": "fails"})
    # when the worker (weight 2) votes yes and the consumer (weight 1) no
    services.vote_cast(actor=world.worker.user, poll=poll, choice={"vote": "yes"})
    services.vote_cast(actor=world.consumer.user, poll=poll, choice={"vote": "no"})
    services.poll_close(actor=world.steward, poll=poll)
    # then yes 2 > 1/2 x 3 and the settings are written on the result
    result = poll.result
    assert result.outcome == "passed"
    assert result.data["yes"] == 2 and result.data["no"] == 1
    assert result.data["settings"] == {
        "quorum": "1/3",
        "quorum_base": "electorate",
        "abstentions_count_toward_quorum": True,
        "threshold": "1/2",
        "threshold_base": "votes-cast",
        "abstentions_in_threshold_base": False,
        "comparison": ">",
        "tie_rule": "fails",
    }
    assert OutcomeVersion.objects.get(poll=poll).statement == result.data["reason"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["non-member", "twice", "after close", "bad choice"])
def test_bad_votes_are_refused_and_nothing_stored(world: World, who: str) -> None:
    poll = _proposal(world)
    services.vote_cast(actor=world.worker.user, poll=poll, choice={"vote": "yes"})
    actor, choice = world.consumer.user, {"vote": "no"}
    expected: type[DomainError] = ValidationFailed
    message = ""
    if who == "non-member":
        actor, expected, message = world.stranger, PermissionDenied, "only members of"
    elif who == "twice":
        actor, expected, message = world.worker.user, Conflict, "already voted"
    elif who == "after close":
        services.poll_close(actor=world.steward, poll=poll)
        message = "this poll is closed"
    else:
        choice, message = {"vote": "maybe"}, "vote yes, no or abstain"
    before = snapshot()
    with pytest.raises(expected) as exc:
        services.vote_cast(actor=actor, poll=poll, choice=choice)
    assert message in exc.value.message
    assert snapshot() == before


@pytest.mark.django_db
def test_vote_after_deadline_closes_the_poll_and_is_refused(world: World) -> None:
    poll = _proposal(world)
    _make_due(poll)
    with pytest.raises(ValidationFailed, match="closed"):
        services.vote_cast(actor=world.worker.user, poll=poll, choice={"vote": "yes"})
    poll.refresh_from_db()
    assert poll.is_closed
    assert Ballot.objects.filter(poll=poll).count() == 0


@pytest.mark.django_db
def test_close_due_polls_task_closes_only_due_polls(world: World) -> None:
    from solidaria.governance.tasks import close_due_polls

    due, later = _proposal(world), _proposal(world)
    _make_due(due)
    close_due_polls.enqueue()
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.is_closed and not later.is_closed
    assert due.result.outcome == "no-quorum" or due.result.outcome in {"failed", "passed"}


@pytest.mark.django_db
def test_close_polls_command_runs_the_task(world: World) -> None:
    from django.core.management import call_command

    due = _proposal(world)
    _make_due(due)
    call_command("close_polls")
    assert Poll.objects.get(pk=due.pk).is_closed


@pytest.mark.django_db
def test_results_hidden_until_close(world: World) -> None:
    poll = _proposal(world, is_results_hidden=True)
    assert not queries.results_visible(poll, world.worker.user)
    services.poll_close(actor=world.steward, poll=poll)
    poll.refresh_from_db()
    assert queries.results_visible(poll, world.worker.user)


@pytest.mark.django_db
def test_outcome_statement_is_versioned(world: World) -> None:
    poll = _proposal(world)
    services.poll_close(actor=world.steward, poll=poll)
    services.outcome_add(actor=world.steward, poll=poll, statement="Oven bought in May.")
    assert list(poll.outcomes.values_list("version", flat=True)) == [2, 1]
    with pytest.raises(PermissionDenied):
        services.outcome_add(actor=world.worker.user, poll=poll, statement="no")


@pytest.mark.django_db
def test_stv_election_counts_weighted_ballots(world: World) -> None:
    # given a 2-seat Scottish STV election among four candidates and a third voter
    third = make_member(username="dee", email="d@example.org", password="pw")
    services.membership_add(
        actor=world.steward, coop=world.coop, user=third, member_class=world.consumers
    )
    poll = services.poll_create(
        actor=world.steward,
        coop=world.coop,
        kind="stv",
        title="Board",
        closes_at=in_a_week(),
        options=["Ann", "Ben", "Cy", "Di"],
        seats=2,
        is_anonymous=True,
        settings={"method": "stv-scottish"},
    )
    services.vote_cast(actor=world.worker.user, poll=poll, choice={"ranking": ["Ann", "Ben"]})
    services.vote_cast(actor=world.consumer.user, poll=poll, choice={"ranking": ["Cy", "Ann"]})
    services.vote_cast(actor=third, poll=poll, choice={"ranking": ["Cy", "Di"]})
    services.poll_close(actor=world.steward, poll=poll)
    # then Ann (weight 2) and Cy (1 + 1) are elected with quota floor(4/3) + 1 = 2
    assert poll.result.data["elected"] == ["Ann", "Cy"]
    assert poll.result.data["quota"] == "2"
    assert poll.result.data["settings"] == {"method": "stv-scottish"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "options", "choices", "outcome", "key", "value"),
    [
        ("score", ["a", "b"], [{"scores": {"a": 5}}, {"scores": {"b": 4}}], "decided", "winners", ["a"]),
        ("dot", ["a", "b"], [{"dots": {"b": 1}}, {"dots": {"b": 2}}], "decided", "winners", ["b"]),
        ("ranked", ["a", "b", "c"], [{"ranking": ["c"]}, {"ranking": ["b"]}], "elected", "elected", ["c"]),
        ("time", ["mon", "tue"], [{"availability": {"tue": "yes"}}, {"availability": {"tue": "if-need-be"}}], "decided", "best", "tue"),
        ("consent", [], [{"position": "consent"}, {"position": "object", "reason": "too dear"}], "objected", "objections", ["too dear"]),
        ("consensus", [], [{"stance": "agree"}, {"stance": "disagree", "comment": "hm"}], "consensus-with-reservations", "summary", "1 agree, 1 disagree"),
        ("advice", [], [{"stance": "agree", "comment": "go"}, {"stance": "abstain"}], "advice-given", "summary", "1 agree, 1 abstain"),
    ],
)  # fmt: skip
def test_every_poll_kind_is_counted_by_the_engine(
    world: World,
    kind: str,
    options: list[str],
    choices: list[dict[str, Any]],
    outcome: str,
    key: str,
    value: Any,
) -> None:
    poll = services.poll_create(
        actor=world.steward,
        coop=world.coop,
        kind=kind,
        title="t",
        closes_at=in_a_week(),
        options=options,
    )
    for membership, choice in zip([world.worker, world.consumer], choices, strict=True):
        services.vote_cast(actor=membership.user, poll=poll, choice=choice)
    services.poll_close(actor=world.steward, poll=poll)
    assert poll.result.outcome == outcome
    assert poll.result.data[key] == value


@pytest.mark.django_db
def test_objection_without_reason_is_refused(world: World) -> None:
    poll = services.poll_create(
        actor=world.steward, coop=world.coop, kind="consent", title="t", closes_at=in_a_week()
    )
    before = snapshot()
    with pytest.raises(ValidationFailed, match="needs a reason"):
        services.vote_cast(actor=world.worker.user, poll=poll, choice={"position": "object"})
    assert snapshot() == before


@pytest.mark.django_db
def test_anonymous_poll_keeps_who_and_what_apart(world: World) -> None:
    poll = _proposal(world, is_anonymous=True)
    services.vote_cast(actor=world.worker.user, poll=poll, choice={"vote": "yes"})
    assert Participation.objects.get(poll=poll).choice is None
    assert list(Ballot.objects.filter(poll=poll).values("weight", "choice")) == [
        {"weight": 2, "choice": {"vote": "yes"}}
    ]


def test_anonymity_schema_has_no_link_or_timestamp() -> None:
    """Ballot and Participation share no key and carry no time; a ballot's key is random."""
    from django.db import models

    ballot_fields = {f.name: f for f in Ballot._meta.get_fields() if f.concrete}
    part_fields = {f.name: f for f in Participation._meta.get_fields() if f.concrete}
    assert set(ballot_fields) == {"id", "poll", "weight", "choice"}
    assert set(part_fields) == {"id", "poll", "user", "choice"}
    assert isinstance(ballot_fields["id"], models.UUIDField)
    assert ballot_fields["id"].default.__name__ == "uuid4"
    for fields in (ballot_fields, part_fields):
        assert not any(
            isinstance(f, models.DateField | models.DateTimeField) for f in fields.values()
        )
    # the only relation either has is to the poll (and, for participation, the voter)
    assert ballot_fields["poll"].related_model is Poll
    assert not any(f.is_relation and f.related_model not in (Poll,) for f in ballot_fields.values())
    assert {f.related_model for f in part_fields.values() if f.is_relation} == {Poll, User}
