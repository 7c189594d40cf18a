"""The jerboa test vectors in data/clearing, and seeded synthetic networks."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from solidaria.clearing.engine import clear
from solidaria.clearing.engine.synthetic import synthetic_network
from solidaria.core.paths import bundled_data_dir


def _data_dir() -> Path:
    return bundled_data_dir() / "clearing"


VECTORS = sorted(p.stem for p in _data_dir().glob("*.problem"))


def read_problem(path: Path) -> list[tuple[str, str, int]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            debtor, creditor, amount = line.split()
            rows.append((debtor, creditor, int(amount)))
    return rows


def solution_total(path: Path) -> int:
    """Each line lists a cycle's members then its amount: it clears amount × members."""
    total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            *members, amount = line.split()
            total += int(amount) * len(members)
    return total


def networkx_optimum(obligations) -> int:
    graph = nx.MultiDiGraph()
    for d, c, a in obligations:
        graph.add_edge(d, c, capacity=a, weight=-1)
    return -nx.network_simplex(graph)[0]


def test_all_four_vectors_are_present():
    assert VECTORS == ["jerboa_hourglass", "jerboa_parallels", "jerboa_small", "jerboa_triangle"]


@pytest.mark.parametrize("name", VECTORS)
def test_vector_total_matches_the_published_solution(name):
    # given
    obligations = read_problem(_data_dir() / f"{name}.problem")
    # when
    result = clear(obligations)
    # then at least the published cycles' total, and exactly networkx's optimum
    assert result.total_setoff >= solution_total(_data_dir() / f"{name}.solution")
    assert result.total_setoff == networkx_optimum(obligations)


@pytest.mark.parametrize(
    ("name", "total_debt", "published", "setoff"),
    [
        ("jerboa_hourglass", 7, 7, 7),
        ("jerboa_parallels", 45, 45, 45),
        # jerboa's published cycles clear 15; the optimum (networkx agrees) is 20
        ("jerboa_small", 28, 15, 20),
        ("jerboa_triangle", 3, 3, 3),
    ],
)
def test_vector_exact_figures(name, total_debt, published, setoff):
    result = clear(read_problem(_data_dir() / f"{name}.problem"))
    assert solution_total(_data_dir() / f"{name}.solution") == published
    assert (result.total_debt, result.total_setoff) == (total_debt, setoff)


def test_synthetic_network_is_seeded():
    one = synthetic_network(500, seed=7)
    two = synthetic_network(500, seed=7)
    other = synthetic_network(500, seed=8)
    assert one.members == two.members
    assert one.amount.tolist() == two.amount.tolist()
    assert one.debtor.tolist() == two.debtor.tolist()
    assert one.amount.tolist() != other.amount.tolist()
    assert len(one) == 500 and one.member_count == 50
    assert int(one.amount.min()) >= 1 and not (one.debtor == one.creditor).any()


@pytest.mark.parametrize(
    ("amounts", "degrees"),
    [("lognormal", "scalefree"), ("uniform", "scalefree"), ("uniform", "uniform")],
)
def test_synthetic_networks_match_networkx(amounts, degrees):
    table = synthetic_network(3_000, seed=11, amounts=amounts, degrees=degrees)
    rows = (table.obligation(i) for i in range(len(table)))
    obligations = [(o.debtor, o.creditor, o.amount) for o in rows]
    result = clear(table)
    assert result.total_setoff == networkx_optimum(obligations)
    assert result.setoffs() == clear(obligations).setoffs()
