"""Reads shared by pages, API and reports: who may do what in a co-op, holdings, the
register, and poll tallies (ballots in, engine result out; storing is for services)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from solidaria.core.errors import ValidationFailed
from solidaria.core.permissions import is_member, is_steward
from solidaria.governance.engine import decisions as dec
from solidaria.governance.engine import preference_polls as pp
from solidaria.governance.engine.count_result import ENGINE_VERSION as COUNT_VERSION
from solidaria.governance.engine.election import Ballot as EngineBallot
from solidaria.governance.engine.election import Election
from solidaria.governance.engine.stv import count as stv_count
from solidaria.governance.models import (
    AllocationRun,
    Ballot,
    CapitalEntry,
    Cooperative,
    Membership,
    Poll,
    ShareOrder,
    ShareType,
)

# --- who may do what ---------------------------------------------------------------------


def active_membership(user: Any, coop: Cooperative) -> Membership | None:
    if not is_member(user):
        return None
    return (
        Membership.objects.select_related("member_class")
        .filter(coop=coop, user=user, status=Membership.Status.ACTIVE)
        .first()
    )


def is_coop_steward(user: Any, coop: Cooperative) -> bool:
    """Network stewards, and members the co-op made its stewards."""
    if is_steward(user):
        return True
    membership = active_membership(user, coop)
    return membership is not None and membership.is_steward


def may_see_inside(user: Any, coop: Cooperative) -> bool:
    """Members see their co-op's register, polls and allocations; so do stewards."""
    return is_coop_steward(user, coop) or active_membership(user, coop) is not None


def coops_for(user: Any) -> QuerySet[Cooperative]:
    return Cooperative.objects.filter(is_active=True).order_by("name")


def open_polls_for(user: Any) -> QuerySet[Poll]:
    if not is_member(user):
        return Poll.objects.none()
    coop_ids = Membership.objects.filter(user=user, status=Membership.Status.ACTIVE).values(
        "coop_id"
    )
    return Poll.objects.filter(coop_id__in=coop_ids, closed_at__isnull=True).select_related("coop")


def members_of(coop: Cooperative) -> QuerySet[Membership]:
    return coop.memberships.select_related("user", "member_class").order_by(
        "status", "user__username", "-applied_at"
    )


def electorate(coop: Cooperative) -> tuple[int, int]:
    """(number of active members, their total vote weight)."""
    rows = Membership.objects.filter(coop=coop, status=Membership.Status.ACTIVE)
    weight = rows.aggregate(w=Sum("member_class__vote_weight"))["w"] or 0
    return rows.count(), int(weight)


# --- capital -----------------------------------------------------------------------------


def holding(membership: Membership, share_type: ShareType) -> int:
    total = CapitalEntry.objects.filter(membership=membership, share_type=share_type).aggregate(
        q=Sum("quantity")
    )["q"]
    return int(total or 0)


@dataclass(frozen=True)
class HoldingRow:
    membership: Membership
    shares: dict[int, int]
    share_capital_minor: int
    capital_credit_minor: int

    @property
    def total_minor(self) -> int:
        return self.share_capital_minor + self.capital_credit_minor


def holdings(coop: Cooperative) -> list[HoldingRow]:
    """Every member's holdings, derived from the register (never cached)."""
    rows: dict[int, dict[str, Any]] = {}
    sums = (
        CapitalEntry.objects.filter(coop=coop)
        .values("membership_id", "share_type_id")
        .annotate(q=Sum("quantity"), a=Sum("amount_minor"))
    )
    for s in sums:
        row = rows.setdefault(s["membership_id"], {"shares": {}, "share": 0, "credit": 0})
        if s["share_type_id"] is None:
            row["credit"] += int(s["a"])
        else:
            row["shares"][s["share_type_id"]] = int(s["q"])
            row["share"] += int(s["a"])
    memberships = Membership.objects.select_related("user", "member_class").in_bulk(list(rows))
    out = [
        HoldingRow(memberships[pk], r["shares"], r["share"], r["credit"])
        for pk, r in rows.items()
        if r["shares"] and any(r["shares"].values()) or r["credit"]
    ]
    return sorted(out, key=lambda h: h.membership.user.username)


def member_capital(membership: Membership) -> HoldingRow:
    for row in holdings(membership.coop):
        if row.membership.pk == membership.pk:
            return row
    return HoldingRow(membership, {}, 0, 0)


def register(coop: Cooperative) -> QuerySet[CapitalEntry]:
    return coop.register.select_related(
        "membership__user", "share_type", "counterparty__user", "transfer"
    ).order_by("seq")


def coop_account(coop: Cooperative) -> Any:
    """The co-op's organisation account in its currency (its directory organisation's
    ledger account), or None: shares are then only recorded, not paid, here."""
    from solidaria.ledger.models import Account

    if coop.currency_id is None or coop.organisation_id is None:
        return None
    return (
        Account.objects.select_related("currency")
        .filter(
            kind=Account.Kind.ORGANISATION,
            organisation_id=coop.organisation_id,
            currency_id=coop.currency_id,
        )
        .first()
    )


def open_share_orders(coop: Cooperative, membership: Membership | None = None) -> Any:
    """Share orders whose payment request is still open (of one member, or all), oldest
    first."""
    from solidaria.ledger.models import PaymentRequest

    found = ShareOrder.objects.filter(
        coop=coop, entry__isnull=True, payment_request__status=PaymentRequest.Status.OPEN
    )
    if membership is not None:
        found = found.filter(membership=membership)
    return found.select_related("membership__user", "share_type", "payment_request").order_by(
        "created_at", "pk"
    )


# --- poll settings and choices -------------------------------------------------------------

RANKED_KINDS = {Poll.Kind.RANKED, Poll.Kind.STV}
OPTION_KINDS = {Poll.Kind.SCORE, Poll.Kind.DOT, Poll.Kind.RANKED, Poll.Kind.STV, Poll.Kind.TIME}
STV_METHODS = ("stv-scottish", "meek")
WEIGHTED_KINDS = {Poll.Kind.PROPOSAL, Poll.Kind.SCORE, Poll.Kind.DOT, *RANKED_KINDS}


def _bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes", "on"}


def proposal_settings(raw: Mapping[str, Any]) -> dec.ProposalSettings:
    try:
        default = dec.ProposalSettings()
        return dec.ProposalSettings(
            quorum=Fraction(str(raw.get("quorum", default.quorum))),
            quorum_base=dec.Base(raw.get("quorum_base", default.quorum_base)),
            abstentions_count_toward_quorum=_bool(
                raw.get("abstentions_count_toward_quorum", default.abstentions_count_toward_quorum)
            ),
            threshold=Fraction(str(raw.get("threshold", default.threshold))),
            threshold_base=dec.Base(raw.get("threshold_base", default.threshold_base)),
            abstentions_in_threshold_base=_bool(
                raw.get("abstentions_in_threshold_base", default.abstentions_in_threshold_base)
            ),
            comparison=dec.Comparison(raw.get("comparison", default.comparison)),
            tie_rule=dec.TieRule(raw.get("tie_rule", default.tie_rule)),
        )
    except (ValueError, ZeroDivisionError) as exc:
        raise ValidationFailed(str(exc), field="settings") from None


def _int_setting(raw: Mapping[str, Any], key: str, default: int) -> int:
    try:
        return int(raw.get(key, default))
    except (TypeError, ValueError):
        raise ValidationFailed(_("%(key)s must be a whole number") % {"key": key}) from None


def score_settings(raw: Mapping[str, Any]) -> pp.ScoreSettings:
    try:
        return pp.ScoreSettings(
            minimum=_int_setting(raw, "minimum", 0),
            maximum=_int_setting(raw, "maximum", 5),
            aggregate=pp.ScoreAggregate(raw.get("aggregate", "sum")),
            missing_is_minimum=_bool(raw.get("missing_is_minimum", True)),
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="settings") from None


def dot_settings(raw: Mapping[str, Any]) -> pp.DotSettings:
    return pp.DotSettings(
        dots=_int_setting(raw, "dots", 3), max_per_option=_int_setting(raw, "max_per_option", 3)
    )


def normalise_settings(kind: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings stored on a poll, every one explicit (defaults written out)."""
    raw = raw or {}
    if kind == Poll.Kind.PROPOSAL:
        return dict(proposal_settings(raw).as_dict())
    if kind == Poll.Kind.SCORE:
        s = score_settings(raw)
        if s.minimum > s.maximum:
            raise ValidationFailed(_("the lowest score is above the highest"), field="settings")
        return {
            "minimum": s.minimum,
            "maximum": s.maximum,
            "aggregate": s.aggregate.value,
            "missing_is_minimum": s.missing_is_minimum,
        }
    if kind == Poll.Kind.DOT:
        d = dot_settings(raw)
        if d.dots < 1 or d.max_per_option < 1:
            raise ValidationFailed(_("each voter needs at least one dot"), field="settings")
        return {"dots": d.dots, "max_per_option": d.max_per_option}
    if kind == Poll.Kind.STV:
        method = raw.get("method", "stv-scottish")
        if method not in STV_METHODS:
            raise ValidationFailed(
                _("the STV method is stv-scottish or meek, not %(m)s") % {"m": method},
                field="settings",
            )
        return {"method": method}
    if kind == Poll.Kind.RANKED:
        return {"method": "irv"}
    if kind == Poll.Kind.CONSENT:
        return {"rule": "passes unless someone objects; an objection needs a reason"}
    if kind == Poll.Kind.CONSENSUS:
        return {"rule": "any block blocks; disagreement is consensus with reservations"}
    if kind == Poll.Kind.ADVICE:
        return {"rule": "advice does not bind; the decider states the decision"}
    return {"rule": "most available, then most yes, then earliest offered"}


def _options_check(poll: Poll, names: Sequence[str], field: str) -> None:
    unknown = [n for n in names if n not in poll.options]
    if unknown:
        raise ValidationFailed(_("%(o)s is not an option") % {"o": unknown[0]}, field=field)


def clean_choice(poll: Poll, choice: Mapping[str, Any]) -> dict[str, Any]:
    """The ballot as stored, checked against the poll's kind and settings."""
    if not isinstance(choice, Mapping):
        raise ValidationFailed(_("a ballot is a JSON object"), field="choice")
    kind = poll.kind
    try:
        if kind == Poll.Kind.PROPOSAL:
            vote = str(choice.get("vote", ""))
            if vote not in ("yes", "no", "abstain"):
                raise ValidationFailed(_("vote yes, no or abstain"), field="vote")
            return {"vote": vote}
        if kind == Poll.Kind.CONSENT:
            position = dec.ConsentPosition(str(choice.get("position", "")))
            reason = str(choice.get("reason", "")).strip()
            dec.decide_consent([dec.ConsentResponse("you", position, reason)])
            return {"position": position.value, "reason": reason}
        if kind in (Poll.Kind.CONSENSUS, Poll.Kind.ADVICE):
            stance = dec.Stance(str(choice.get("stance", "")))
            comment = str(choice.get("comment", "")).strip()
            if kind == Poll.Kind.ADVICE and stance == dec.Stance.BLOCK:
                raise ValidationFailed(_("advice cannot block"), field="stance")
            dec.consensus_round(1, poll.title, [dec.Position("you", stance, comment)])
            return {"stance": stance.value, "comment": comment}
        if kind == Poll.Kind.SCORE:
            scores = {str(k): int(v) for k, v in dict(choice.get("scores", {})).items()}
            pp.score_vote(poll.options, [scores], score_settings(poll.settings))
            return {"scores": scores}
        if kind == Poll.Kind.DOT:
            dots = {str(k): int(v) for k, v in dict(choice.get("dots", {})).items() if int(v)}
            pp.dot_vote(poll.options, [dots], dot_settings(poll.settings))
            if not dots:
                raise ValidationFailed(_("place at least one dot"), field="dots")
            return {"dots": dots}
        if kind in RANKED_KINDS:
            ranking = [str(o) for o in choice.get("ranking", []) if str(o)]
            _options_check(poll, ranking, "ranking")
            if len(set(ranking)) != len(ranking):
                raise ValidationFailed(_("an option is ranked twice"), field="ranking")
            if not ranking:
                raise ValidationFailed(_("rank at least one option"), field="ranking")
            return {"ranking": ranking}
        availability = {
            str(k): pp.Availability(str(v)).value
            for k, v in dict(choice.get("availability", {})).items()
        }
        _options_check(poll, list(availability), "availability")
        return {"availability": availability}
    except ValidationFailed:
        raise
    except (dec.DecisionError, ValueError, TypeError) as exc:
        raise ValidationFailed(str(exc), field="choice") from None


# --- tallies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """A poll's count: a short outcome code, the full details (with the settings used),
    and a one-line statement for people."""

    outcome: str
    data: dict[str, Any]
    statement: str
    engine_version: str = COUNT_VERSION


def _ballots(poll: Poll) -> list[Ballot]:
    # Sorted by the random key: the order says nothing about who voted when.
    return list(Ballot.objects.filter(poll=poll).order_by("id"))


def _poll_result(poll: Poll, result: pp.PollResult) -> Tally:
    ranking = [
        {"option": t.option, "total": str(t.total), "count": t.count} for t in result.ranking
    ]
    data = {
        "ranking": ranking,
        "winners": list(result.winners),
        "is_tie": result.is_tie,
        "settings": dict(result.settings),
    }
    if result.is_tie:
        statement = _("Tie between %(w)s.") % {"w": ", ".join(result.winners)}
        return Tally("tie", data, statement)
    if not result.winners:
        return Tally("no-votes", data, _("No votes."))
    return Tally("decided", data, _("Chosen: %(w)s.") % {"w": result.winners[0]})


def tally(poll: Poll) -> Tally:
    """Count the poll's ballots with the engine, by the settings stored on the poll."""
    ballots = _ballots(poll)
    kind = poll.kind
    if kind == Poll.Kind.PROPOSAL:
        votes = {"yes": 0, "no": 0, "abstain": 0}
        for b in ballots:
            votes[b.choice["vote"]] += b.weight
        electorate_weight = max(poll.electorate_weight, sum(votes.values()))
        result = dec.decide_proposal(
            yes=votes["yes"],
            no=votes["no"],
            abstain=votes["abstain"],
            electorate=electorate_weight,
            settings=proposal_settings(poll.settings),
        )
        return Tally(result.outcome.value, result.as_dict(), result.reason)
    if kind == Poll.Kind.CONSENT:
        responses = [
            dec.ConsentResponse(
                f"ballot-{i}", dec.ConsentPosition(b.choice["position"]), b.choice["reason"]
            )
            for i, b in enumerate(ballots, 1)
        ]
        consent = dec.decide_consent(responses)
        data = {
            "is_passed": consent.is_passed,
            "consents": consent.consents,
            "stand_asides": consent.stand_asides,
            "objections": [o.reason for o in consent.objections],
            "reason": consent.reason,
            "settings": dict(poll.settings),
        }
        return Tally("passed" if consent.is_passed else "objected", data, consent.reason)
    if kind in (Poll.Kind.CONSENSUS, Poll.Kind.ADVICE):
        positions = [
            dec.Position(f"ballot-{i}", dec.Stance(b.choice["stance"]), b.choice["comment"])
            for i, b in enumerate(ballots, 1)
        ]
        rnd = dec.consensus_round(poll.round_number, poll.title, positions)
        data = {
            "round": rnd.number,
            "outcome": rnd.outcome.value,
            "summary": rnd.summary,
            "comments": [
                {"stance": p.stance.value, "comment": p.comment} for p in positions if p.comment
            ],
            "settings": dict(poll.settings),
        }
        if kind == Poll.Kind.ADVICE:
            return Tally("advice-given", data, _("Advice: %(s)s.") % {"s": rnd.summary})
        return Tally(rnd.outcome.value, data, f"{rnd.outcome.value}: {rnd.summary}")
    if kind == Poll.Kind.SCORE:
        expanded = [b.choice["scores"] for b in ballots for _w in range(b.weight)]
        return _poll_result(
            poll, pp.score_vote(poll.options, expanded, score_settings(poll.settings))
        )
    if kind == Poll.Kind.DOT:
        expanded = [b.choice["dots"] for b in ballots for _w in range(b.weight)]
        return _poll_result(poll, pp.dot_vote(poll.options, expanded, dot_settings(poll.settings)))
    if kind in RANKED_KINDS:
        return _ranked_tally(poll, ballots)
    responses = [
        {slot: pp.Availability(a) for slot, a in b.choice["availability"].items()} for b in ballots
    ]
    tp = pp.time_poll(poll.options, responses)
    data = {
        "ranking": [
            {"slot": s.slot, "yes": s.yes, "if_need_be": s.if_need_be, "no": s.no}
            for s in tp.ranking
        ],
        "best": tp.best,
        "settings": dict(tp.settings),
    }
    if tp.best is None:
        return Tally("no-slot", data, _("Nobody is available at any time offered."))
    return Tally("decided", data, _("Best time: %(s)s.") % {"s": tp.best})


def election_of(poll: Poll, ballots: Sequence[Ballot]) -> Election:
    index = {name: i for i, name in enumerate(poll.options)}
    grouped: dict[tuple[int, ...], int] = {}
    for b in ballots:
        ranking = tuple(index[o] for o in b.choice["ranking"])
        grouped[ranking] = grouped.get(ranking, 0) + b.weight
    engine_ballots = tuple(EngineBallot(w, r) for r, w in sorted(grouped.items()))
    seats = poll.seats if poll.kind == Poll.Kind.STV else 1
    return Election(tuple(poll.options), seats, engine_ballots, title=poll.title)


def _ranked_tally(poll: Poll, ballots: Sequence[Ballot]) -> Tally:
    method = poll.settings.get("method", "irv")
    if not ballots:
        data = {"elected": [], "rounds": [], "method": method, "settings": dict(poll.settings)}
        return Tally("no-votes", data, _("No ballots were cast."))
    result = stv_count(election_of(poll, ballots), method)
    data = result.as_json()
    data.update(
        {
            "method": result.method,
            "seats": result.seats,
            "quota": None if result.quota is None else str(result.quota),
            "parameters": dict(result.parameters),
            "settings": dict(poll.settings),
        }
    )
    names = ", ".join(result.elected_names)
    return Tally(
        "elected",
        data,
        _("Elected (%(method)s): %(names)s.") % {"method": method, "names": names},
        result.engine_version,
    )


def results_visible(poll: Poll, user: Any) -> bool:
    """Results of a poll that hides them, or of a secret ballot, appear only once it is
    closed: a running count read before and after someone votes would tell their vote."""
    return poll.is_closed or not (poll.is_results_hidden or poll.is_anonymous)


def participation_visible(poll: Poll) -> bool:
    """Who took part, and how many, in a secret ballot is shown only once it is closed."""
    return poll.is_closed or not poll.is_anonymous


def voters(poll: Poll) -> QuerySet[Any]:
    """Who took part, by name; empty while a secret ballot is open."""
    if not participation_visible(poll):
        return poll.participations.none()
    return poll.participations.select_related("user").order_by("user__username")


def turnout(poll: Poll) -> int | None:
    """How many took part; None while a secret ballot is open."""
    return poll.participations.count() if participation_visible(poll) else None


def has_voted(poll: Poll, user: Any) -> bool:
    return is_member(user) and poll.participations.filter(user=user).exists()


# --- allocation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    cents: int
    y: int
    width: int
    cash_width: int
    kind: str


def allocation_chart(run: AllocationRun, *, width: int = 480, row: int = 26) -> list[Bar]:
    """Horizontal bars for the report's SVG: one per fund and member, scaled to the largest."""
    lines = list(run.lines.select_related("membership__user").order_by("-cents", "account"))
    top = max((ln.cents for ln in lines), default=0) or 1
    bars = []
    for i, ln in enumerate(lines):
        w = ln.cents * width // top
        cash = ln.cash_cents * width // top
        kind = "member" if ln.membership_id else "fund"
        bars.append(Bar(ln.account, ln.cents, i * row, w, cash, kind))
    return bars


def allocation_runs(coop: Cooperative) -> QuerySet[AllocationRun]:
    return coop.allocations.select_related("bylaws", "acceptance").order_by("-year", "-id")


def find_member(coop: Cooperative, username: str, *, field: str = "member") -> Membership:
    """The member's current membership (active first), by username."""
    found = (
        Membership.objects.select_related("user", "member_class")
        .filter(coop=coop, user__username=username)
        .filter(Q(status=Membership.Status.ACTIVE) | Q(status=Membership.Status.ENDED))
        .order_by("status", "-applied_at")
        .first()
    )
    if found is None:
        raise ValidationFailed(
            _("%(u)s is not a member of %(c)s") % {"u": username, "c": coop.name}, field=field
        )
    return found
