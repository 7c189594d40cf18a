"""The base map's tile URL is configurable and the Content-Security-Policy follows it."""

from __future__ import annotations

import json
from pathlib import Path

from solidaria.core.tests.test_production import SETUP, run
from solidaria.settings import tile_origins

PRINT_TILES = (
    f"{SETUP}; from django.conf import settings as s; import json; "
    "print(json.dumps([s.SOLIDARIA_MAP_TILE_URL, s.CONTENT_SECURITY_POLICY['DIRECTIVES']"
    "['img-src']]))"
)


def test_the_origin_of_a_tile_url_template() -> None:
    assert tile_origins("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == [
        "https://tile.openstreetmap.org"
    ]
    assert tile_origins("https://{s}.tiles.example.org:8443/osm/{z}/{x}/{y}{r}.png") == [
        "https://*.tiles.example.org:8443"
    ]
    assert tile_origins("/tiles/{z}/{x}/{y}.png") == []


def test_by_default_tiles_come_from_openstreetmap(tmp_path: Path) -> None:
    done = run(tmp_path, PRINT_TILES)
    assert done.returncode == 0, done.stderr
    url, img_src = json.loads(done.stdout)
    assert url == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert img_src == ["'self'", "data:", "https://tile.openstreetmap.org"]


def test_a_self_hosted_tile_server_is_allowed_by_the_policy(tmp_path: Path) -> None:
    done = run(
        tmp_path, PRINT_TILES, SOLIDARIA_MAP_TILE_URL="https://maps.example.coop/{z}/{x}/{y}.png"
    )
    assert done.returncode == 0, done.stderr
    url, img_src = json.loads(done.stdout)
    assert url == "https://maps.example.coop/{z}/{x}/{y}.png"
    assert img_src == ["'self'", "data:", "https://maps.example.coop"]


def test_explicit_tile_origins_win_over_the_url(tmp_path: Path) -> None:
    done = run(
        tmp_path,
        PRINT_TILES,
        SOLIDARIA_MAP_TILE_URL="https://a.example.coop/{z}/{x}/{y}.png",
        SOLIDARIA_MAP_TILE_ORIGINS="https://a.example.coop, https://b.example.coop",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[1] == [
        "'self'",
        "data:",
        "https://a.example.coop",
        "https://b.example.coop",
    ]
