"""Rules by name: Pabulib's names plus ``mes``, ``mes/add1-pabutools`` and ``phragmen``.

``count(instance, profile, rule)`` is the one entry point the CLI and the Django side use;
``rule=None`` takes the META ``rule`` of the file. Parameters come from META
(``min_project_score_threshold`` for ``greedy-threshold``).
"""

from __future__ import annotations

from collections.abc import Callable

from .completion import Comparison, Completion, method_of_equal_shares
from .greedy import greedy
from .mes import Utility
from .model import Instance, Profile
from .outcome import Outcome
from .phragmen import sequential_phragmen

RuleFunction = Callable[[Instance, Profile], Outcome]


class UnknownRuleError(ValueError):
    pass


def _threshold(instance: Instance) -> int:
    return instance.meta_int("min_project_score_threshold") or 0


def _mes(
    name: str, completion: Completion, comparison: Comparison = Comparison.NONE
) -> RuleFunction:
    def rule(instance: Instance, profile: Profile) -> Outcome:
        return method_of_equal_shares(
            instance,
            profile,
            utility=Utility.COST,
            completion=completion,
            comparison=comparison,
            rule=name,
        )

    return rule


RULES: dict[str, RuleFunction] = {
    "greedy": lambda i, p: greedy(i, p, rule="greedy"),
    "greedy-threshold": lambda i, p: greedy(i, p, threshold=_threshold(i), rule="greedy-threshold"),
    "greedy-no-skip": lambda i, p: greedy(
        i, p, threshold=_threshold(i), skip=False, rule="greedy-no-skip"
    ),
    "greedy-exclusive": lambda i, p: greedy(i, p, rule="greedy-exclusive"),
    "equalshares": _mes("equalshares", Completion.NONE),
    "equalshares-comparison": _mes(
        "equalshares-comparison", Completion.NONE, Comparison.SATISFACTION
    ),
    "equalshares/add1": _mes("equalshares/add1", Completion.ADD1),
    "equalshares/add1-comparison": _mes(
        "equalshares/add1-comparison", Completion.ADD1, Comparison.SATISFACTION
    ),
    "mes": _mes("mes", Completion.NONE),
    "mes/add1": _mes("mes/add1", Completion.ADD1),
    "mes/add1-exhaustive": _mes("mes/add1-exhaustive", Completion.ADD1_EXHAUSTIVE),
    "mes/add1-pabutools": _mes("mes/add1-pabutools", Completion.ADD1_PABUTOOLS),
    "phragmen": sequential_phragmen,
}
"""Every rule we count. ``greedy-exclusive`` needs exclusion groups that Pabulib files do not
carry; from a file it counts as plain greedy (call ``greedy(exclusive_groups=...)`` directly)."""


def count(instance: Instance, profile: Profile, rule: str | None = None) -> Outcome:
    name = (rule or instance.rule or "").strip()
    try:
        fn = RULES[name]
    except KeyError:
        known = ", ".join(sorted(RULES))
        raise UnknownRuleError(f"unknown rule {name!r}; known rules: {known}") from None
    return fn(instance, profile)
