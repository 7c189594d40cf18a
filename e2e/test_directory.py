"""Given real Co-ops UK rows, when a visitor searches the directory and opens a result,
then they see the organisation's page; the map page loads its clusters."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from solidaria.core.paths import bundled_data_dir

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def organisations(tmp_path: Path) -> list[str]:
    from solidaria.directory.importers.pipeline import run_import
    from solidaria.directory.models import Organisation
    from solidaria.directory.taxonomy import load_taxonomies

    load_taxonomies()

    source = bundled_data_dir() / "directories" / "coopsuk_2023-03-02_standard.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)[:41]
    sample = tmp_path / source.name
    sample.write_text("".join(lines), encoding="utf-8")
    report = run_import(path=sample, fmt="coopsuk")
    assert report.created > 10, report.as_dict()
    return list(Organisation.objects.order_by("pk").values_list("name", flat=True))


def test_search_the_directory_and_open_an_organisation(page, live_server, organisations):  # type: ignore[no-untyped-def]
    target = max(organisations, key=len)
    word = max(target.split(), key=len)
    page.goto(f"{live_server.url}/directory/")
    page.get_by_role("searchbox", name="Search").fill(word)
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    link = page.get_by_role("link", name=target, exact=True).first
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(target)


def test_map_page_shows_clusters(page, live_server, organisations):  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/directory/map/")
    page.wait_for_selector(".leaflet-container")
    expect(page.locator(".leaflet-marker-icon, .leaflet-interactive").first).to_be_visible()
