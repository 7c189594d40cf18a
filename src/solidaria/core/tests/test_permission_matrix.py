"""Role x action matrix over every write route of the web and the API.

Seven roles (a stranger, an applicant, a member, a member of another co-op, a co-op
steward, a currency steward, a network steward) try every route that changes state.
For each route the table below says which roles may; every other role must get
401/403/404 (a stranger on a page may be sent to log in instead) and nothing stored may
change. A route missing from the tables fails `test_every_write_route_is_in_the_matrix`,
so a new route must declare who may call it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from solidaria.accounts.factories import make_applicant, make_member, make_steward
from solidaria.accounts.models import ApiToken, User
from solidaria.core.permissions import SYSTEM

pytestmark = pytest.mark.django_db

ROLES = (
    "stranger",
    "applicant",
    "member",
    "other_coop_member",
    "coop_steward",
    "currency_steward",
    "network_steward",
)
MEMBERS = frozenset(ROLES[2:])
LOGGED_IN = frozenset(ROLES[1:])
STEWARD = frozenset({"network_steward"})
COOP_STEWARDS = frozenset({"coop_steward", "network_steward"})
CURRENCY_STEWARDS = frozenset({"currency_steward", "network_steward"})
NOBODY: frozenset[str] = frozenset()
# the world's objects belong to "member" (ada): her account, listing, obligation...
OWNER = frozenset({"member"})
OWNER_OR_STEWARD = frozenset({"member", "network_steward"})
COOP_INSIDERS = frozenset({"member", "coop_steward", "network_steward"})
PARTIES = frozenset({"member", "other_coop_member"})

# ---------------------------------------------------------------- the world


@dataclass
class World:
    people: dict[str, User]
    ids: dict[str, Any]


def _build_world() -> World:
    from solidaria.budgeting import services as pb
    from solidaria.budgeting.models import ProjectStatus
    from solidaria.clearing import services as clearing
    from solidaria.directory import services as directory
    from solidaria.governance import services as gov
    from solidaria.ledger import services as ledger
    from solidaria.ledger.credit import currency_steward_add
    from solidaria.ledger.listings import listing_create
    from solidaria.ledger.payment_requests import request_create

    people = {
        "applicant": make_applicant("newcomer"),
        "member": make_member("ada"),
        "other_coop_member": make_member("bo"),
        "coop_steward": make_member("cora"),
        "currency_steward": make_member("cass"),
        "network_steward": make_steward("stew"),
    }
    ada, bo, stew = people["member"], people["other_coop_member"], people["network_steward"]
    ids: dict[str, Any] = {}

    # ledger: a currency with accounts, a payment and an open request from bo to ada
    sol = ledger.currency_create(actor=stew, code="SOL", name="Sol", default_credit_limit=10_000)
    currency_steward_add(actor=stew, currency=sol, user=people["currency_steward"])
    accounts = {
        name: ledger.account_open(actor=SYSTEM, currency=sol, owner=people[name])
        for name in ("member", "other_coop_member", "coop_steward", "currency_steward")
    }
    for account in accounts.values():
        ledger.account_limits_set(
            actor=stew, account=account, credit_limit=10_000, upper_limit=None, reason="world"
        )
    transfer = ledger.transfer_create(
        actor=ada,
        payer=accounts["member"],
        payee=accounts["other_coop_member"],
        amount_minor=100,
        key="world-1",
    )
    request = request_create(
        actor=bo, payee=accounts["other_coop_member"], payer=accounts["member"], amount_minor=50
    )
    listing = listing_create(
        actor=ada, kind="offer", title="Bread", category="food", description="Sourdough"
    )
    ids.update(
        currency=sol.code,
        account=accounts["member"].pk,
        transfer=transfer.pk,
        request=request.pk,
        listing=listing.pk,
    )

    # clearing: an obligation ada owes bo
    obligation = clearing.obligation_create(
        actor=ada, currency=sol, debtor=ada, creditor=bo, amount_minor=70, key="world-ob"
    )
    ids["obligation"] = obligation.pk

    # directory: an organisation ada proposed
    org = directory.organisation_create(actor=ada, data={"name": "Ada's Bakery Co-op"})
    ids["org"] = org.pk

    # an organisation ada runs, with an account (ledger) and bo's claim waiting (directory)
    from solidaria.directory.factories import make_organisation
    from solidaria.directory.models import Operator
    from solidaria.directory.operators import operator_claim

    mill = make_organisation("Ada's Mill", operators=(ada,))
    claim = operator_claim(actor=bo, org_id=mill.pk, reason="I work there")
    asked = ledger.account_request_create(actor=ada, currency=sol, organisation=mill)
    org_account = ledger.account_request_approve(actor=stew, request=asked).account
    from solidaria.indicators import assessments as assess

    checked = assess.assessment_open(
        actor=ada, organisation=mill, year=2025, catalogue_key="ecg-full-5.0.8"
    )
    assess.answers_save(actor=ada, assessment=checked, answers={"A1.1": "5"})
    assess.assessment_submit(actor=ada, assessment=checked)
    ids.update(
        assessment=checked.pk,
        mill=mill.pk,
        claim=claim.pk,
        ada_runs_mill=Operator.objects.get(organisation=mill, user=ada).pk,
        org_account=org_account.pk,
    )

    # governance: co-op "bread" (ada a worker, cora its steward), co-op "mill" (bo)
    bread = gov.coop_create(actor=stew, name="Bread", slug="bread", classes=[("workers", 1)])
    workers = bread.classes.get()
    gov.membership_add(actor=stew, coop=bread, user=ada, member_class=workers)
    gov.membership_add(
        actor=stew,
        coop=bread,
        user=people["coop_steward"],
        member_class=workers,
        is_coop_steward=True,
    )
    mill = gov.coop_create(actor=stew, name="Mill", slug="mill", classes=[("members", 1)])
    membership = gov.membership_add(actor=stew, coop=mill, user=bo, member_class=mill.classes.get())
    poll = gov.poll_create(
        actor=stew,
        coop=bread,
        kind="proposal",
        title="New oven",
        closes_at=timezone.now() + dt.timedelta(days=3),
    )
    share = gov.share_type_create(
        actor=stew, coop=bread, name="A", nominal_minor=100, min_holding=0, max_holding=10
    )
    ids.update(
        coop="bread", poll=poll.pk, membership=membership.pk, workers=workers.pk, share=share.pk
    )

    # budgeting: a process in voting with one project by ada
    process = pb.process_create(
        actor=stew, settings=pb.ProcessSettings(title="Fund", budget_minor=100)
    )
    project = pb.project_submit(actor=ada, process=process, title="Bench", cost_minor=40)
    pb.phase_advance(actor=stew, process=process)
    pb.project_review(actor=stew, project=project, status=ProjectStatus.FEASIBLE)
    pb.phase_advance(actor=stew, process=process)
    ids.update(process=process.slug, project=project.pk)

    # discussion: ada's comment on her offer, reported by bo; bo writes to ada about it
    from solidaria.discussion import services as talk

    comment = talk.comment_post(actor=ada, parent=listing, body="Baked on Fridays")
    report = talk.comment_report(actor=bo, comment=comment, reason="Spam")
    conversation = talk.conversation_start(actor=bo, listing=listing, body="Two?").conversation
    ids.update(comment=comment.pk, report=report.pk, conversation=conversation.pk)
    return World(people, ids)


@pytest.fixture(scope="module")
def _module_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Built once per module (and worker) inside a transaction rolled back at the end;
    each test then runs in a savepoint of it, so a test's writes never reach the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(_module_world: World, db: None) -> World:
    return _module_world


SKIPPED_TABLES = {"django_session", "axes_accesslog", "axes_accessattempt", "axes_accessfailurelog"}


def snapshot() -> str:
    """A digest of every stored row: a refusal must leave it unchanged."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.db_table in SKIPPED_TABLES or not model._meta.managed:
            continue
        rows = model._base_manager.order_by("pk").values_list()
        digest.update(model._meta.db_table.encode())
        for row in rows:
            digest.update(repr(row).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- web routes

Kwargs = Callable[[World], dict[str, Any]]


def _none(w: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Route:
    kwargs: Kwargs
    allowed: frozenset[str]


PUBLIC_OR_SELF = {
    # anyone may: signing up, logging in and out, password reset, email confirmation
    "signup",
    "signup_invited",
    "verify_email",
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "password_change_done",
    "set_language",
    # the signed link from an email is the permission (notifications/views.py)
    "notifications:unsubscribe",
    # the Murmurations index protocol: public JSON endpoints, like any index (murmurations/)
    "murmurations:ping",
    "murmurations:nodes",
    "murmurations:nodes-sync",
    "murmurations:node",
    "murmurations:validate",
}
READ_ONLY = {
    # pages that only read (a POST to them is refused or ignored by the view)
    "home",
    "transparency",
    "healthz",
    "people",
    "directory:list",
    "directory:map",
    "directory:detail",
    "directory:review",
    "directory:downloads",
    "directory:download",
    "federation:status",
    "federation:murmurations-network",
    "federation:murmurations-listing",
    "ledger:home",
    "ledger:account",
    "ledger:transfer",
    "ledger:listings",
    "ledger:listing",
    "ledger:steward_accounts",
    "ledger:steward_queue",
    "ledger:checkpoints",
    "clearing:home",
    "clearing:run",
    "clearing:notice",
    "clearing:notice_file",
    "budgeting:home",
    "budgeting:process",
    "budgeting:results",
    "budgeting:results_csv",
    "budgeting:ballots_csv",
    "budgeting:pabulib",
    "governance:home",
    "governance:coop",
    "governance:members",
    "governance:register_csv",
    "governance:certificate",
    "governance:allocation",
    "governance:allocation_csv",
    "indicators:reports",
    "indicators:methods",
    "indicators:report",
    "indicators:report_csv",
    "indicators:report_jsonld",
    "indicators:report_pdf",
    "indicators:assessments",
    "indicators:assessment",
    "indicators:evidence_file",
    "indicators:balance",
    "indicators:network_balances",
    "indicators:catalogue_json",
    "federation:murmurations-organisation",
    "murmurations:steward-nodes",
    "discussion:thread",
    "discussion:reports",
    "discussion:person",
    "discussion:conversations",
    "notifications:inbox",
    "creditcommons:links",
}

WEB: dict[str, Route] = {
    "verify_email_resend": Route(_none, LOGGED_IN),
    "profile": Route(_none, LOGGED_IN),
    "profile_edit": Route(_none, LOGGED_IN),
    "password_change": Route(_none, LOGGED_IN),
    "leave": Route(_none, MEMBERS),
    "invitation_create": Route(_none, MEMBERS),
    "invitation_revoke": Route(lambda w: {"invitation_id": 999}, NOBODY),
    "token_revoke": Route(lambda w: {"token_id": 999}, NOBODY),
    "person": Route(lambda w: {"user_id": w.people["applicant"].pk}, STEWARD),
    "directory:create": Route(_none, LOGGED_IN),
    "directory:edit": Route(lambda w: {"org_id": w.ids["org"]}, OWNER_OR_STEWARD),
    "directory:review-decide": Route(lambda w: {"org_id": w.ids["org"]}, STEWARD),
    "directory:edit-review": Route(lambda w: {"org_id": w.ids["org"]}, STEWARD),
    "directory:import": Route(_none, STEWARD),
    "directory:operator-claim": Route(lambda w: {"org_id": w.ids["mill"]}, MEMBERS),
    "directory:operator-decide": Route(
        lambda w: {"org_id": w.ids["mill"], "operator_id": w.ids["claim"]}, STEWARD
    ),
    # ada runs the mill: she may leave; a network steward may remove her
    "directory:operator-end": Route(
        lambda w: {"org_id": w.ids["mill"], "operator_id": w.ids["ada_runs_mill"]},
        OWNER_OR_STEWARD,
    ),
    "directory:publish": Route(lambda w: {"org_id": w.ids["mill"]}, OWNER_OR_STEWARD),
    "federation:registration-retry": Route(lambda w: {"registration_id": 999}, STEWARD),
    "federation:profile-decide": Route(lambda w: {"profile_id": 999}, STEWARD),
    "indicators:compute": Route(_none, STEWARD),
    # assessments: ada runs the mill, whose ECG balance is submitted; nobody else runs another
    # organisation, so nobody may review it; network stewards sign off
    "indicators:assessment_new": Route(_none, OWNER),
    "indicators:catalogue_import": Route(_none, STEWARD),
    "indicators:auditor_grant": Route(_none, STEWARD),
    "indicators:assessment_answers": Route(lambda w: {"pk": w.ids["assessment"]}, OWNER),
    "indicators:assessment_facts": Route(lambda w: {"pk": w.ids["assessment"]}, OWNER),
    "indicators:assessment_evidence": Route(lambda w: {"pk": w.ids["assessment"]}, OWNER),
    "indicators:assessment_submit": Route(lambda w: {"pk": w.ids["assessment"]}, OWNER),
    "indicators:assessment_review": Route(lambda w: {"pk": w.ids["assessment"]}, NOBODY),
    "indicators:assessment_signoff": Route(lambda w: {"pk": w.ids["assessment"]}, STEWARD),
    "indicators:assessment_publish": Route(lambda w: {"pk": w.ids["assessment"]}, OWNER),
    "ledger:join": Route(_none, MEMBERS),
    "ledger:pay": Route(_none, MEMBERS),
    "ledger:request": Route(_none, MEMBERS),
    "ledger:request_decide": Route(
        lambda w: {"request_id": w.ids["request"], "decision": "decline"}, OWNER
    ),
    "ledger:listing_new": Route(_none, MEMBERS),
    "ledger:listing_close": Route(lambda w: {"listing_id": w.ids["listing"]}, OWNER_OR_STEWARD),
    "ledger:account_request": Route(_none, MEMBERS),
    "ledger:account_operators": Route(
        lambda w: {"account_id": w.ids["org_account"]}, OWNER_OR_STEWARD
    ),
    "ledger:steward_account_requests": Route(_none, CURRENCY_STEWARDS),
    "ledger:steward_credit_policy": Route(lambda w: {"code": w.ids["currency"]}, CURRENCY_STEWARDS),
    "ledger:steward_currencies": Route(_none, STEWARD),
    "ledger:steward_currency": Route(lambda w: {"code": w.ids["currency"]}, CURRENCY_STEWARDS),
    "ledger:steward_limits": Route(lambda w: {"account_id": w.ids["account"]}, CURRENCY_STEWARDS),
    "clearing:obligation_action": Route(
        lambda w: {"pk": w.ids["obligation"], "action": "dispute"},
        frozenset({"member", "other_coop_member"}),
    ),
    "clearing:import": Route(_none, STEWARD),
    "clearing:run_start": Route(_none, STEWARD),
    "clearing:run_decide": Route(lambda w: {"pk": 999, "decision": "accept"}, NOBODY),
    "clearing:obligation_settle": Route(lambda w: {"pk": w.ids["obligation"]}, OWNER),
    "clearing:run_respond": Route(lambda w: {"pk": 999}, NOBODY),
    "clearing:run_settle_in": Route(lambda w: {"pk": 999}, STEWARD),
    "budgeting:process_new": Route(_none, STEWARD),
    "budgeting:import": Route(_none, STEWARD),
    "budgeting:project_new": Route(lambda w: {"slug": w.ids["process"]}, MEMBERS),
    "budgeting:review": Route(
        lambda w: {"slug": w.ids["process"], "project_id": w.ids["project"]}, STEWARD
    ),
    # the proposer and stewards may withdraw (voting being open, the process refuses it)
    "budgeting:withdraw": Route(
        lambda w: {"slug": w.ids["process"], "project_id": w.ids["project"]}, OWNER_OR_STEWARD
    ),
    "budgeting:advance": Route(lambda w: {"slug": w.ids["process"]}, STEWARD),
    "budgeting:codes": Route(lambda w: {"slug": w.ids["process"]}, STEWARD),
    "budgeting:vote": Route(lambda w: {"slug": w.ids["process"]}, MEMBERS),
    "budgeting:count": Route(lambda w: {"slug": w.ids["process"]}, STEWARD),
    "budgeting:publish": Route(lambda w: {"slug": w.ids["process"], "result_id": 999}, NOBODY),
    "governance:poll": Route(lambda w: {"pk": w.ids["poll"]}, COOP_INSIDERS),
    # who manages a process, poll, run or co-op chooses its visibility (a poll: co-op stewards)
    "visibility_set": Route(lambda w: {"kind": "poll", "pk": w.ids["poll"]}, COOP_STEWARDS),
    "governance:poll_close": Route(lambda w: {"pk": w.ids["poll"]}, COOP_STEWARDS),
    "governance:poll_outcome": Route(lambda w: {"pk": w.ids["poll"]}, COOP_STEWARDS),
    "governance:allocation_accept": Route(lambda w: {"pk": 999}, NOBODY),
    # any member may apply (those already in the co-op are told so)
    "governance:apply": Route(lambda w: {"slug": "bread"}, MEMBERS),
    "governance:membership_action": Route(
        lambda w: {"slug": "mill", "membership_id": w.ids["membership"]},
        frozenset({"other_coop_member", "network_steward"}),
    ),
    "governance:register": Route(lambda w: {"slug": "bread"}, COOP_INSIDERS),
    "governance:poll_new": Route(lambda w: {"slug": "bread"}, COOP_STEWARDS),
    "governance:bylaws_new": Route(lambda w: {"slug": "bread"}, COOP_STEWARDS),
    "governance:allocation_new": Route(lambda w: {"slug": "bread"}, COOP_STEWARDS),
    # founding a co-op: network stewards, and ada, who runs a confirmed organisation
    "governance:coop_new": Route(_none, OWNER_OR_STEWARD),
    "governance:coop_setup": Route(lambda w: {"slug": "bread"}, COOP_STEWARDS),
    "governance:coop_stewards": Route(lambda w: {"slug": "bread"}, COOP_STEWARDS),
    # shares paid on the ledger: the co-op's members (for themselves) and stewards
    "governance:shares": Route(lambda w: {"slug": "bread"}, COOP_INSIDERS),
    "governance:allocation_from_ledger": Route(lambda w: {"slug": "bread"}, COOP_STEWARDS),
    "governance:allocation_poll": Route(lambda w: {"pk": 999}, NOBODY),
    "discussion:comment_new": Route(lambda w: {"kind": "listing", "pk": w.ids["listing"]}, MEMBERS),
    "discussion:comment_edit": Route(lambda w: {"pk": w.ids["comment"]}, OWNER),
    "discussion:comment_hide": Route(lambda w: {"pk": w.ids["comment"]}, STEWARD),
    "discussion:comment_report": Route(lambda w: {"pk": w.ids["comment"]}, MEMBERS),
    "discussion:report_resolve": Route(lambda w: {"pk": w.ids["report"]}, STEWARD),
    # the offer's author (ada) and the member who wrote to her about it (bo)
    "discussion:conversation": Route(lambda w: {"pk": w.ids["conversation"]}, PARTIES),
    "discussion:conversation_request": Route(lambda w: {"pk": w.ids["conversation"]}, PARTIES),
    "discussion:listing_conversation": Route(lambda w: {"listing_id": w.ids["listing"]}, MEMBERS),
    # one's own notifications only: another's is not found
    "notifications:read": Route(lambda w: {"pk": 999}, NOBODY),
    "notifications:read_all": Route(_none, LOGGED_IN),
    # credit between networks: a steward acts on an existing link (none here: 404 for all);
    # the protocol's signature is its permission (an unsigned message is refused)
    "creditcommons:link_handshake": Route(lambda w: {"slug": "nowhere"}, NOBODY),
    "creditcommons:link_unfreeze": Route(lambda w: {"slug": "nowhere"}, NOBODY),
    "creditcommons:protocol": Route(lambda w: {"op": "validate"}, NOBODY),
    "notifications:preferences": Route(_none, LOGGED_IN),
}


def _web_routes() -> list[str]:
    def walk(patterns: list[Any], namespace: str = "") -> list[str]:
        names: list[str] = []
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern).startswith(("admin/", "api/")):
                    continue
                ns = ":".join(x for x in (namespace, p.namespace or "") if x)
                names += walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                names.append(f"{namespace}:{p.name}" if namespace else p.name)
        return names

    return walk(get_resolver().url_patterns)


def test_every_write_route_is_in_the_matrix() -> None:
    undeclared = [
        name
        for name in _web_routes()
        if name not in WEB and name not in READ_ONLY and name not in PUBLIC_OR_SELF
    ]
    assert undeclared == [], f"declare who may call these routes in WEB or READ_ONLY: {undeclared}"


def _client(world: World, role: str) -> Client:
    client = Client()
    if role != "stranger":
        client.force_login(world.people[role])
    return client


def _is_refusal(response: Any, role: str) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.get("Location", "") if response.status_code == 302 else ""
    return role == "stranger" and location.startswith(reverse("login"))


WEB_CASES = [
    pytest.param(name, role, id=f"{name}-{role}")
    for name, route in sorted(WEB.items())
    for role in ROLES
    if role not in route.allowed
]


@pytest.mark.parametrize(("name", "role"), WEB_CASES)
def test_a_denied_page_post_is_refused_and_changes_nothing(
    world: World, name: str, role: str
) -> None:
    route = WEB[name]
    url = reverse(name, kwargs=route.kwargs(world))
    client = _client(world, role)  # logging in writes last_login: before the snapshot
    before = snapshot()
    response = client.post(url, {})  # who may call it is checked whatever the form holds
    assert _is_refusal(response, role), (
        f"{role} POST {url}: {response.status_code} {response.get('Location', '')}"
    )
    assert snapshot() == before, f"{role} POST {url} changed stored rows"


# ---------------------------------------------------------------- API operations


@dataclass(frozen=True)
class Op:
    path: Callable[[World], str]
    allowed: frozenset[str]
    body: Callable[[World], dict[str, Any]] = lambda w: {}


def _op(method: str, template: str, allowed: frozenset[str], body: Any = None) -> Any:
    """One API operation: `template` is the OpenAPI path; `{name}` is filled from the world."""

    def path(w: World) -> str:
        values = {
            "user_id": w.people["applicant"].pk,
            "org_id": w.ids["org"],
            "code": w.ids["currency"],
            "account_id": w.ids["account"],
            "transfer_id": w.ids["transfer"],
            "request_id": w.ids["request"],
            "listing_id": w.ids["listing"],
            "slug": w.ids["process"] if "/budgeting/" in template else "bread",
            "project_id": w.ids["project"],
            "poll_id": w.ids["poll"],
            "membership_id": w.ids["membership"],
            "operator_id": w.ids["claim"],
            "pk": w.ids["obligation"] if "/obligations/" in template else 999,
            "result_id": 999,
            "run_id": 999,
            "kind": "listing",
            "parent_id": w.ids["listing"],
            "comment_id": w.ids["comment"],
            "report_id": w.ids["report"],
            "conversation_id": w.ids["conversation"],
            "assessment_id": w.ids["assessment"],
        }
        if "account-requests" in template:
            values["request_id"] = 999
        return template.format(**values)

    return (method, template), Op(path, allowed, body or (lambda w: {}))


PAYMENT = {"currency": "SOL", "payee_username": "bo", "amount_minor": 1}
API: dict[tuple[str, str], Op] = dict(
    [
        _op(
            "POST",
            "/api/accounts/people/{user_id}/admission",
            STEWARD,
            lambda w: {"decision": "admit", "reason": "known"},
        ),
        _op("POST", "/api/accounts/invitations", MEMBERS),
        _op("POST", "/api/directory/organisations", LOGGED_IN, lambda w: {"name": "New Co-op"}),
        _op(
            "PATCH",
            "/api/directory/organisations/{org_id}",
            OWNER_OR_STEWARD,
            lambda w: {"name": "Renamed Co-op"},
        ),
        _op(
            "POST",
            "/api/directory/organisations/{org_id}/review",
            STEWARD,
            lambda w: {"decision": "confirm"},
        ),
        _op(
            "POST",
            "/api/directory/organisations/{org_id}/edit-review",
            STEWARD,
            lambda w: {"decision": "confirm"},
        ),
        _op(
            "POST",
            "/api/directory/organisations/{org_id}/operators",
            MEMBERS,
            lambda w: {"reason": "I run it"},
        ),
        _op(
            "POST",
            "/api/directory/operators/{operator_id}/decision",
            STEWARD,
            lambda w: {"decision": "confirm"},
        ),
        # bo's claim on the mill: he may withdraw it, a network steward may end it
        _op(
            "POST",
            "/api/directory/operators/{operator_id}/end",
            frozenset({"other_coop_member", "network_steward"}),
        ),
        _op("POST", "/api/ledger/currencies", STEWARD, lambda w: {"code": "NEW", "name": "New"}),
        _op(
            "PATCH",
            "/api/ledger/currencies/{code}",
            CURRENCY_STEWARDS,
            lambda w: {"name": "Renamed", "reason": "test"},
        ),
        _op(
            "PUT",
            "/api/ledger/currencies/{code}/credit-policy",
            CURRENCY_STEWARDS,
            lambda w: {"credit_policy": "steward_decides", "reason": "test"},
        ),
        _op(
            "POST",
            "/api/ledger/accounts",
            MEMBERS,
            lambda w: {"currency": "SOL", "kind": "member"},
        ),
        _op(
            "PUT",
            "/api/ledger/accounts/{account_id}/limits",
            CURRENCY_STEWARDS,
            lambda w: {"credit_limit": 999_000, "upper_limit": None, "reason": "more"},
        ),
        _op(
            "POST",
            "/api/ledger/account-requests/{request_id}/approve",
            NOBODY,
            lambda w: {"is_approved": True},
        ),
        _op(
            "POST",
            "/api/ledger/account-requests/{request_id}/decline",
            NOBODY,
            lambda w: {"is_approved": False, "reason": "no"},
        ),
        _op("POST", "/api/ledger/transfers", MEMBERS, lambda w: PAYMENT),
        _op(
            "POST",
            "/api/ledger/transfers/bulk",
            MEMBERS,
            lambda w: {
                "kind": "one_to_many",
                "counterparty": w.ids["account"],
                "lines": [{"account": w.ids["account"] + 1, "amount_minor": 1}],
            },
        ),
        _op(
            "POST",
            "/api/ledger/transfers/{transfer_id}/approve",
            CURRENCY_STEWARDS,
            lambda w: {"is_approved": True},
        ),
        _op(
            "POST",
            "/api/ledger/transfers/{transfer_id}/reject",
            CURRENCY_STEWARDS,
            lambda w: {"is_approved": False, "reason": "no"},
        ),
        _op(  # the payee may refund what they received
            "POST",
            "/api/ledger/transfers/{transfer_id}/reverse",
            CURRENCY_STEWARDS | {"other_coop_member"},
            lambda w: {"reason": "mistake"},
        ),
        _op(
            "POST",
            "/api/ledger/requests",
            MEMBERS,
            lambda w: {"currency": "SOL", "payer_username": "bo", "amount_minor": 1},
        ),
        _op("POST", "/api/ledger/requests/{request_id}/accept", OWNER),
        _op(
            "POST",
            "/api/ledger/requests/{request_id}/decline",
            OWNER,
            lambda w: {"is_approved": False, "reason": "no"},
        ),
        _op("POST", "/api/ledger/requests/{request_id}/cancel", frozenset({"other_coop_member"})),
        _op(
            "POST",
            "/api/ledger/offers-wants",
            MEMBERS,
            lambda w: {"kind": "offer", "title": "Jam", "category": "food", "description": "x"},
        ),
        _op("POST", "/api/ledger/offers-wants/{listing_id}/close", OWNER_OR_STEWARD),
        _op(
            "POST",
            "/api/ledger/offers-wants/{listing_id}/respond",
            MEMBERS,
            lambda w: {"currency": "SOL", "amount_minor": 1},
        ),
        _op(
            "POST",
            "/api/clearing/obligations",
            frozenset({"member", "other_coop_member", "network_steward"}),
            lambda w: {"currency": "SOL", "debtor": "ada", "creditor": "bo", "amount_minor": 5},
        ),
        _op(
            "POST",
            "/api/clearing/obligations/{pk}/confirm",
            frozenset({"member", "other_coop_member"}),
        ),
        _op(
            "POST",
            "/api/clearing/obligations/{pk}/dispute",
            frozenset({"member", "other_coop_member"}),
            lambda w: {"reason": "wrong"},
        ),
        _op("POST", "/api/clearing/runs", STEWARD, lambda w: {"currency": "SOL"}),
        _op(
            "POST",
            "/api/clearing/obligations/{pk}/correction",
            frozenset({"member", "other_coop_member"}),
            lambda w: {"amount_minor": 50},
        ),
        _op(
            "POST",
            "/api/clearing/obligations/{pk}/correction/confirm",
            frozenset({"member", "other_coop_member"}),
        ),
        _op(
            "POST",
            "/api/clearing/obligations/{pk}/withdraw",
            frozenset({"other_coop_member"}),
            lambda w: {"reason": "paid in cash"},
        ),
        _op(
            "POST",
            "/api/clearing/obligations/{pk}/settlement-currency",
            OWNER_OR_STEWARD,
            lambda w: {"currency": "SOL"},
        ),
        _op(
            "POST",
            "/api/clearing/obligations/{pk}/settlements",
            OWNER,
            lambda w: {"amount_minor": 1},
        ),
        _op(
            "POST",
            "/api/clearing/runs/{pk}/propose",
            NOBODY,
            lambda w: {"deadline": (timezone.now() + dt.timedelta(days=2)).isoformat()},
        ),
        _op("POST", "/api/clearing/runs/{pk}/answer", NOBODY, lambda w: {"answer": "accept"}),
        _op(
            "POST",
            "/api/clearing/runs/{pk}/settlement-currency",
            NOBODY,
            lambda w: {"currency": "SOL"},
        ),
        _op("POST", "/api/clearing/runs/{pk}/reject", NOBODY, lambda w: {"reason": "no"}),
        _op(
            "POST",
            "/api/budgeting/processes",
            STEWARD,
            lambda w: {"title": "Other fund", "budget": 100},
        ),
        _op("POST", "/api/budgeting/processes/{slug}/advance", STEWARD),
        _op(
            "POST",
            "/api/budgeting/processes/{slug}/projects",
            MEMBERS,
            lambda w: {"title": "Swings", "cost": 10},
        ),
        _op(
            "POST",
            "/api/budgeting/processes/{slug}/projects/{project_id}/review",
            STEWARD,
            lambda w: {"status": "rejected", "note": "no"},
        ),
        _op("POST", "/api/budgeting/processes/{slug}/codes", STEWARD, lambda w: {"count": 2}),
        _op(
            "POST",
            "/api/budgeting/processes/{slug}/ballot",
            MEMBERS,
            lambda w: {"projects": [str(w.ids["project"])]},
        ),
        _op("POST", "/api/budgeting/processes/{slug}/count", STEWARD),
        _op("POST", "/api/budgeting/processes/{slug}/results/{result_id}/publish", NOBODY),
        _op(
            "POST",
            "/api/governance/coops/{slug}/applications",
            MEMBERS,
            lambda w: {"member_class": w.ids["workers"]},
        ),
        _op(
            "POST",
            "/api/governance/memberships/{membership_id}/decision",
            STEWARD,
            lambda w: {"is_approved": False, "reason": "no"},
        ),
        _op(
            "POST",
            "/api/governance/coops/{slug}/shares",
            COOP_INSIDERS,
            lambda w: {"operation": "subscription", "share_type": w.ids["share"], "quantity": 1},
        ),
        _op(
            "POST",
            "/api/governance/coops/{slug}/register",
            COOP_INSIDERS,
            lambda w: {
                "operation": "subscribe",
                "member": "ada",
                "share_type": w.ids["share"],
                "quantity": 1,
            },
        ),
        _op(
            "POST",
            "/api/governance/coops/{slug}/polls",
            COOP_STEWARDS,
            lambda w: {
                "kind": "proposal",
                "title": "Paint",
                "closes_at": (timezone.now() + dt.timedelta(days=2)).isoformat(),
            },
        ),
        _op(
            "POST",
            "/api/governance/polls/{poll_id}/vote",
            frozenset({"member", "coop_steward"}),
            lambda w: {"choice": {"vote": "yes"}},
        ),
        _op("POST", "/api/governance/polls/{poll_id}/close", COOP_STEWARDS),
        _op(
            "POST",
            "/api/governance/polls/{poll_id}/outcomes",
            COOP_STEWARDS,
            lambda w: {"statement": "Agreed."},
        ),
        _op(
            "POST",
            "/api/governance/coops/{slug}/bylaws",
            COOP_STEWARDS,
            lambda w: {"effective_from": "2026-01-01", "data": {}},
        ),
        _op(
            "POST",
            "/api/governance/coops/{slug}/allocations",
            COOP_STEWARDS,
            lambda w: {"year": 2026, "surplus_minor": 100, "patronage": []},
        ),
        _op("POST", "/api/governance/allocations/{run_id}/accept", NOBODY),
        _op(
            "POST",
            "/api/discussion/threads/{kind}/{parent_id}/comments",
            MEMBERS,
            lambda w: {"body": "Hello"},
        ),
        _op("PATCH", "/api/discussion/comments/{comment_id}", OWNER, lambda w: {"body": "x"}),
        _op(
            "POST", "/api/discussion/comments/{comment_id}/hide", STEWARD, lambda w: {"reason": "r"}
        ),
        _op(
            "POST",
            "/api/discussion/comments/{comment_id}/reports",
            MEMBERS,
            lambda w: {"reason": "r"},
        ),
        _op(
            "POST",
            "/api/discussion/reports/{report_id}/resolve",
            STEWARD,
            lambda w: {"decision": "dismiss"},
        ),
        _op(  # the offer's author cannot write to herself
            "POST",
            "/api/discussion/offers-wants/{listing_id}/messages",
            MEMBERS - {"member"},
            lambda w: {"body": "Hi"},
        ),
        _op(
            "POST",
            "/api/discussion/conversations/{conversation_id}/messages",
            PARTIES,
            lambda w: {"body": "Hi"},
        ),
        _op("POST", "/api/discussion/conversations/{conversation_id}/payment-request", PARTIES),
        # assessments: the same rules as the pages (indicators:assessment_*)
        _op(
            "POST",
            "/api/indicators/assessments",
            OWNER,
            lambda w: {"organisation": w.ids["mill"], "year": 2026, "catalogue": "ecg-full-5.0.8"},
        ),
        _op(
            "PATCH",
            "/api/indicators/assessments/{assessment_id}/answers",
            OWNER,
            lambda w: {"answers": {"A1.1": "6"}},
        ),
        _op("PUT", "/api/indicators/assessments/{assessment_id}/facts", OWNER),
        _op("POST", "/api/indicators/assessments/{assessment_id}/submit", OWNER),
        _op(
            "POST",
            "/api/indicators/assessments/{assessment_id}/reviews",
            NOBODY,
            lambda w: {"organisation": w.ids["org"], "entries": {}, "summary": "Fine"},
        ),
        _op("POST", "/api/indicators/assessments/{assessment_id}/signoff", STEWARD),
        _op(
            "POST",
            "/api/indicators/assessments/{assessment_id}/publish",
            OWNER,
            lambda w: {"visibility": "public"},
        ),
    ]
)


def test_every_write_operation_is_in_the_matrix() -> None:
    from solidaria.core.api import api

    schema = api.get_openapi_schema()
    undeclared = [
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method in ops
        if method in ("post", "put", "patch", "delete") and (method.upper(), path) not in API
    ]
    assert undeclared == [], f"declare who may call these operations in API: {undeclared}"


def _token(world: World, role: str) -> dict[str, str]:
    if role == "stranger":
        return {}
    token, raw = ApiToken.issue(user=world.people[role], name="matrix")
    # a token's first use writes its "last used" minute: not part of what we compare
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return {"Authorization": f"Bearer {raw}", "Idempotency-Key": f"matrix-{role}"}


API_CASES = [
    pytest.param(key, role, id=f"{key[0]} {key[1]}-{role}")
    for key, op in sorted(API.items())
    for role in ROLES
    if role not in op.allowed
]


@pytest.mark.parametrize(("key", "role"), API_CASES)
def test_a_denied_api_call_is_refused_and_changes_nothing(
    world: World, key: tuple[str, str], role: str
) -> None:
    op = API[key]
    headers = _token(world, role)
    path = op.path(world)
    before = snapshot()
    response = Client().generic(
        key[0], path, json.dumps(op.body(world)), content_type="application/json", headers=headers
    )
    assert response.status_code in (401, 403, 404), (
        f"{role} {key[0]} {path}: {response.status_code} {response.content[:200]!r}"
    )
    assert snapshot() == before, f"{role} {key[0]} {path} changed stored rows"
