"""The permission registry: named rules, composition, the SYSTEM actor, no None."""

from __future__ import annotations

import pytest

from solidaria.core.errors import PermissionDenied
from solidaria.core.permissions import (
    RULES,
    SYSTEM,
    Predicate,
    allowed,
    is_member,
    require,
    rule,
)

pytestmark = pytest.mark.django_db


def test_rule_names_are_app_noun_verb_and_messages_are_sentences() -> None:
    for name, found in RULES.items():
        assert name.count(".") >= 2, name
        message = str(found.message)
        assert message[0].isupper() and message.endswith("."), (name, message)


def test_a_rule_cannot_be_declared_twice() -> None:
    with pytest.raises(ValueError):
        rule("accounts.token.issue", Predicate(lambda a, o: True, "yes"), "Twice.")


def test_predicates_compose() -> None:
    yes = Predicate(lambda a, o: True, "yes")
    no = Predicate(lambda a, o: False, "no")
    assert (yes & ~no)(SYSTEM) and not (yes & no)(SYSTEM) and (no | yes)(SYSTEM)


def test_applicants_suspended_and_strangers_are_not_members(member, applicant) -> None:
    from django.contrib.auth.models import AnonymousUser

    from solidaria.accounts.factories import make_person

    suspended = make_person("sus", admission="suspended")
    assert is_member(member) and is_member(SYSTEM)
    assert not any(is_member(p) for p in (applicant, suspended, AnonymousUser()))


def test_none_is_never_an_actor_in_any_service(steward) -> None:
    from solidaria.governance import services as governance
    from solidaria.ledger import services as ledger

    with pytest.raises(TypeError):
        ledger.currency_create(actor=None, code="X", name="X")
    with pytest.raises(TypeError):
        governance.coop_create(actor=None, name="X")
    with pytest.raises(TypeError):
        allowed(None, "clearing.run.manage")


def test_a_refusal_carries_the_rules_sentence(member) -> None:
    with pytest.raises(PermissionDenied) as refused:
        require(member, "clearing.run.manage")
    assert refused.value.message == "Only stewards may run clearing."


def test_the_system_may_do_what_jobs_need(steward) -> None:
    from solidaria.governance import services as governance

    coop = governance.coop_create(actor=steward, name="Mill", classes=[("m", 1)])
    assert allowed(SYSTEM, "governance.coop.steward", coop)
    assert allowed(steward, "governance.coop.steward", coop)
