"""Each rule's explanations are true for that rule, on one small instance checked by hand.

Budget 3000 EUR; a costs 2000, b 1000, c 1500; four voters: {a}, {a, b}, {b, c}, {a}.

- greedy by votes (a 3, b 2, c 1): a, then b (3000 spent); c no longer fits.
- MES (equal shares of 750): round 1 a at 2000/3 each (price 1/3 per unit of cost, below b's
  1/2; c needs 1500 from its one supporter); then b's supporters hold 250/3 + 750 < 1000.
- sequential Phragmén: round 1 b (load 500 < 2000/3 < 1500); round 2 a, new load
  (2000 + 500) / 3 = 833.33 for each of its supporters; c next at load 2000 but nothing is left.
"""

from __future__ import annotations

import pytest

from solidaria.budgeting import services
from solidaria.budgeting.queries import result_rows

ELECTION = """META
key;value
budget;3000
currency;EUR
vote_type;approval
rule;{rule}
PROJECTS
project_id;cost;name
a;2000;Park
b;1000;Bench
c;1500;Library
VOTES
voter_id;vote
1;a
2;a,b
3;b,c
4;a
"""


def _explained(steward, rule: str) -> dict[str, str]:
    process = services.process_import_pabulib(
        actor=steward, text=ELECTION.format(rule=rule), slug=rule.replace("/", "-")
    )
    result = services.count_run(actor=steward, process=process)
    return {row["code"]: row["explanation"] for row in result_rows(result)}


@pytest.mark.django_db
def test_greedy_explains_ranks_by_support(steward) -> None:
    # given the instance counted by greedy / when explained
    text = _explained(steward, "greedy")
    # then funded projects are ranked by support, and c did not fit when its turn came
    assert text["a"] == "Funded: ranked 1 by support and its cost fit in what was left."
    assert text["b"] == "Funded: ranked 2 by support and its cost fit in what was left."
    assert text["c"] == "Not funded: when its turn came (rank 3) it no longer fit the budget."


@pytest.mark.django_db
def test_mes_explains_payments_within_equal_shares(steward) -> None:
    # given the instance counted by MES without completion / when explained
    text = _explained(steward, "equalshares")
    # then a's three supporters paid 2000/3 each (below 750), b's supporters ran short
    assert text["a"] == (
        "Funded in round 1: each supporter paid at most 666.66 EUR, within their equal share."
    )
    assert text["b"].startswith(
        "Not funded: its supporters could not pay for it with their equal shares. "
        "When it dropped out they had 833.33 EUR left in total; it costs 1000 EUR."
    )
    assert "It was last affordable in the round won by 'Park'." in text["b"]
    assert text["c"].startswith("Not funded: its supporters could not pay for it")


@pytest.mark.django_db
def test_phragmen_explains_loads_not_equal_shares(steward) -> None:
    # given the instance counted by sequential Phragmén / when explained
    text = _explained(steward, "phragmen")
    # then the loads are those computed by hand, in EUR, and no equal share is claimed
    assert text["b"] == (
        "Funded in round 1: its supporters shared its cost so that each of them had then spent "
        "500.00 EUR in total on the funded projects they support, the lowest such load of any "
        "project."
    )
    assert text["a"] == (
        "Funded in round 2: its supporters shared its cost so that each of them had then spent "
        "833.33 EUR in total on the funded projects they support, the lowest such load of any "
        "project."
    )
    assert text["c"] == (
        "Not funded: it came next in round 3 but no longer fit the budget, and sequential "
        "Phragmén stops there."
    )
    assert not any("equal share" in t for t in text.values())
