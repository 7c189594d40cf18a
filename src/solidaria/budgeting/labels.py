"""What budgeting pages call the counting rules: one name per engine rule code.

The codes (`equalshares/add1`, ...) stay in results, files and the API; pages show these
names and keep the code in a collapsed details part."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

RULE_NAMES = {
    "greedy": _("Greedy by votes"),
    "greedy-threshold": _("Greedy by votes, only projects with enough support"),
    "greedy-no-skip": _("Greedy by votes, stopping at the first project that does not fit"),
    "phragmen": _("Sequential Phragmén"),
    "mes": _("Method of Equal Shares, without completion"),
    "equalshares": _("Method of Equal Shares, without completion"),
    "equalshares/add1": _("Method of Equal Shares, completed by adding projects (Add1)"),
    "equalshares/add1-comparison": _(
        "Method of Equal Shares, completed by adding projects (Add1), then compared with greedy"
    ),
    "mes/add1-pabutools": _(
        "Method of Equal Shares, completed by adding projects (Add1) as pabutools does it"
    ),
}


def rule_name(rule: Any) -> str:
    """The name of an engine rule code, or of a process's rule and completion."""
    if hasattr(rule, "rule") and hasattr(rule, "completion"):
        from solidaria.budgeting.engine_io import engine_rule_name

        rule = engine_rule_name(rule)
    code = str(rule)
    return str(RULE_NAMES.get(code, code))
