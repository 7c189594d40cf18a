"""Rules by name: Pabulib's names plus ``mes``, ``mes/add1-pabutools`` and ``phragmen``.

``count(instance, profile, rule)`` is the one entry point the CLI and the Django side use;
``rule=None`` takes the META ``rule`` of the file. Parameters come from META
(``min_project_score_threshold`` for ``greedy-threshold``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


_MES_SETTINGS: dict[str, tuple[Completion, Comparison]] = {}


def _mes(
    name: str, completion: Completion, comparison: Comparison = Comparison.NONE
) -> RuleFunction:
    _MES_SETTINGS[name] = (completion, comparison)

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
carry (they are described in the file's comment at best): pass them to ``count`` as
``exclusive_groups``; without them it counts as plain greedy."""


def rule_family(name: str) -> str:
    """``greedy``, ``mes`` or ``phragmen``: which kind of explanation a rule's details support
    (MES: prices and equal shares; Phragmén: loads; greedy: ranks by score)."""
    if name == "phragmen":
        return "phragmen"
    if name.startswith(("mes", "equalshares")):
        return "mes"
    return "greedy"


def count(
    instance: Instance,
    profile: Profile,
    rule: str | None = None,
    *,
    exclusive_groups: Sequence[Sequence[str]] = (),
    explain: bool = True,
) -> Outcome:
    """Count by the named rule (default: the META rule). ``exclusive_groups`` (groups of
    mutually exclusive project ids) are only for ``greedy-exclusive``. ``explain=False``
    lets MES skip its per-project explanations when only the selection is wanted."""
    name = (rule or instance.rule or "").strip()
    try:
        fn = RULES[name]
    except KeyError:
        known = ", ".join(sorted(RULES))
        raise UnknownRuleError(f"unknown rule {name!r}; known rules: {known}") from None
    if exclusive_groups:
        if name != "greedy-exclusive":
            raise ValueError(f"exclusion groups apply to greedy-exclusive, not to {name!r}")
        known_ids = instance.index_of()
        for group in exclusive_groups:
            unknown = [pid for pid in group if pid not in known_ids]
            if unknown:
                raise ValueError(f"exclusion group names unknown project {unknown[0]!r}")
        return greedy(instance, profile, exclusive_groups=exclusive_groups, rule="greedy-exclusive")
    if not explain and name in _MES_SETTINGS:
        completion, comparison = _MES_SETTINGS[name]
        return method_of_equal_shares(
            instance,
            profile,
            utility=Utility.COST,
            completion=completion,
            comparison=comparison,
            rule=name,
            explain=False,
        )
    return fn(instance, profile)
