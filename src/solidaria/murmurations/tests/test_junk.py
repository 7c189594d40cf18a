"""The protocol endpoints never answer 500: junk bodies and parameters get a 4xx with a reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import IndexClient

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _is_error(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert body["errors"] and all(e["title"] and e["detail"] for e in body["errors"])


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"INVALID",
        b"{",
        b"\xff\xfe\x00",
        b"[]",
        b"null",
        b"42",
        b'"https://x.example/p.json"',
        b'{"profile_url": null}',
        b'{"profile_url": 123}',
        b'{"profile_url": ["https://x.example/p.json"]}',
        b'{"profile_url": {"u": 1}}',
        b'{"profile_url": true}',
        b'{"profile_url": "not a url"}',
        b'{"profile_url": "ftp://x.example/p.json"}',
        b'{"profile_url": "file:///etc/passwd"}',
        b'{"profile_url": "http://"}',
        b'{"profile_url": "http://x.example:99999/p.json"}',
        b'{"profile_url": "http://x.example/\\u0000.json"}',
        b'{"profile_url": "http://x.example/\\ud800.json"}',
        json.dumps({"profile_url": "https://x.example/" + "a" * 3000}).encode(),
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_junk_posted_to_nodes_is_refused(index: IndexClient, raw: bytes) -> None:
    _is_error(index.call("POST", "/nodes", raw=raw))


@pytest.mark.parametrize(
    "raw",
    [
        b"INVALID",
        b"\xff",
        b"[]",
        b"7",
        b'{"linked_schemas": "test_schema-v1.0.0"}',
        b'{"linked_schemas": [1, 2, null]}',
        b'{"linked_schemas": ["test_schema-v1.0.0"], "name": "\\u0000"}',
        b'{"linked_schemas": ["\\ud800"]}',
        b'{"linked_schemas": ["test_schema-v1.0.0"], "name": "x", "extra": 1e400}',
        b'{"linked_schemas": ["test_schema-v1.0.0"], "geolocation": {"lat": 1e400, "lon": 0}}',
        b'{"linked_schemas": ["test_schema-v1.0.0"], "name": "x", "expires": 1e300}',
        json.dumps({"linked_schemas": [f"s{i:08d}_schema-v1.0.0" for i in range(5000)]}).encode(),
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
    ],
)
def test_junk_posted_to_validate_is_refused(index: IndexClient, raw: bytes) -> None:
    _is_error(index.call("POST", "/validate", raw=raw))


def test_a_huge_body_is_413(index: IndexClient) -> None:
    huge = json.dumps({"profile_url": "https://x.example/p.json", "pad": "x" * 3_000_000})
    for path in ("/nodes", "/validate"):
        response = index.call("POST", path, raw=huge.encode())
        assert response.status_code == 413
        assert response.json()["errors"][0]["title"] == "Request Too Large"


@pytest.mark.parametrize(
    "query",
    [
        "page=" + "9" * 5000,
        "page=1e3",
        "page_size=-1",
        "lat=nan&lon=0&range=1km",
        "lat=inf&lon=0&range=1km",
        "lat=1&lon=1&range=-5km",
        "last_updated=99999999999999999999",
        "name=%00",
        "locality=" + "x" * 300,
        "schema=%ff%fe",
        "tags=,,,,",
        "tags_exact=",
        "page=",
    ],
)
def test_junk_search_parameters_never_500(index: IndexClient, query: str) -> None:
    response = index.get(f"/nodes?{query}")
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    assert "data" in response.json() or "errors" in response.json()


def test_wrong_methods_are_405(index: IndexClient) -> None:
    for method, path in (("PUT", "/nodes"), ("PATCH", "/nodes/abc"), ("GET", "/validate")):
        response = index.call(method, path)
        assert response.status_code == 405
        assert response.json()["errors"][0]["title"] == "Method Not Allowed"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=JSON)
def test_any_json_body_gets_an_answer_not_a_crash(index: IndexClient, body: Any) -> None:
    for path in ("/validate", "/nodes"):
        response = index.call("POST", path, body)
        assert response.status_code < 500, (path, body, response.content[:300])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "page",
                "page_size",
                "lat",
                "lon",
                "range",
                "tags",
                "country",
                "locality",
                "schema",
                "status",
                "last_updated",
                "tags_filter",
                "tags_exact",
                "name",
                "primary_url",
            ]
        ),
        st.text(max_size=20),
        max_size=5,
    )
)
def test_any_search_parameters_get_an_answer_not_a_crash(
    index: IndexClient, params: dict[str, str]
) -> None:
    from urllib.parse import urlencode

    response = index.get(f"/nodes?{urlencode(params)}")
    assert response.status_code in (200, 400), (params, response.content[:300])


def test_a_fetched_profile_with_invalid_text_or_numbers_fails_validation(
    index: IndexClient, web: Any
) -> None:
    for n, raw in enumerate(
        [
            b'{"linked_schemas": ["test_schema-v2.0.0"], "name": "x", "extra": 1e400}',
            b'{"linked_schemas": ["test_schema-v2.0.0"], "name": "\\ud800"}',
            b'{"linked_schemas": ["test_schema-v2.0.0"], "name": "\\u0000"}',
        ]
    ):
        url = f"https://junk.example/{n}.json"
        web.serve(url, raw)
        node_id = index.post_node(url).json()["data"]["node_id"]
        response = index.get(f"/nodes/{node_id}")
        assert response.status_code == 400, response.content
        assert response.json()["meta"]["status"] == "validation_failed"
