"""What clearing pages call the engine's methods; the codes stay in runs and the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ENGINE_NAMES = {
    "mcf-1": _("set-off by minimum-cost flow (first version)"),
}


def engine_name(code: str) -> str:
    return str(ENGINE_NAMES.get(code, _("set-off engine %(code)s") % {"code": code}))


RULE_SENTENCES = {
    "all_accept": _("It is applied once every member it touches accepts."),
    "no_objection": _("It is applied at the deadline unless a member it touches objects."),
}


def rule_sentence(code: str) -> str:
    return str(RULE_SENTENCES.get(code, _("It is applied by the network's acceptance rule.")))


def outcome_sentence(*, status: str, rule: str, all_accepted: bool, successor: int | None) -> str:
    """What became of a proposed run, in words (no one who objected is named)."""
    if status == "accepted":
        if all_accepted:
            return str(_("Applied: every member it touches accepted."))
        return str(_("Applied: no member objected by the deadline."))
    if status == "lapsed":
        return str(_("Not applied: not every member it touches accepted by the deadline."))
    if status == "superseded":
        if successor is None:
            return str(_("Replaced by a recomputed run."))
        return str(
            _(
                "Replaced by run %(run)s: a member objected or an obligation changed, so the "
                "set-off was computed again."
            )
            % {"run": successor}
        )
    if status == "rejected":
        return str(_("Rejected by a steward: nothing was applied."))
    return ""


def answers_sentence(*, touched: int, accepted: int, objected: int) -> str:
    waiting = touched - accepted - objected
    return str(
        _(
            "Of the members it touches (%(touched)s): accepted %(accepted)s, objected "
            "%(objected)s, not answered yet %(waiting)s."
        )
        % {"touched": touched, "accepted": accepted, "objected": objected, "waiting": waiting}
    )
