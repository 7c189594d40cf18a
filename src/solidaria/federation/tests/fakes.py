"""A Murmurations index and other networks' web sites, in memory, as a transport.

The index behaves as the API description says (index.yaml): `POST /nodes` answers the
node id (sha-256 of the URL) and fetches the profile, `GET /nodes/{id}` answers its
status (400 with errors when the profile failed validation), `DELETE /nodes/{id}`
succeeds only when the profile URL no longer serves a profile, and `GET /nodes`
searches with schema, country, tags and pages. Profiles on our own instance are
fetched through Django's test client; other sites are a dict of URL -> profile.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.test import Client

from solidaria.core import netguard
from solidaria.directory.exporters.murmurations import errors as profile_errors
from solidaria.federation.http import FetchError, Response
from solidaria.murmurations import library

INDEX = "http://index.test/v2"
OURS = "http://127.0.0.1:8000"
ORGANISATIONS = "organizations_schema-v1.0.0"


def _json(status: int, body: Any) -> Response:
    return Response(status=status, body=json.dumps(body).encode("utf-8"))


@dataclass
class Node:
    profile_url: str
    status: str
    profile: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    last_updated: int = 0
    polls: int = 0


@dataclass
class FakeWeb:
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    # how many GET /nodes/{id} answer "received" before the index decides
    slow_polls: int = 0
    failures: int = 0  # the next n calls to the index fail with 503
    down: bool = False
    clock: int = 1_700_000_000_000

    def __call__(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        timeout: float,
        max_bytes: int,
        allow_private: bool = True,
    ) -> Response:
        self.calls.append((method, url))
        if not allow_private:  # the real refusal (a literal address needs no DNS)
            netguard.check_url(url, allow_private=False)
        if url.startswith(INDEX):
            if self.down:
                raise FetchError(f"{method} {url}: connection refused")
            if self.failures:
                self.failures -= 1
                return _json(503, {"errors": [{"status": 503, "title": "Unavailable"}]})
            return self._index(method, url[len(INDEX) :], body)
        answer = self.get(url)
        if answer.status == 200 and len(answer.body) > max_bytes:
            raise FetchError(f"{url} answered more than {max_bytes} bytes")
        return answer

    def get(self, url: str) -> Response:
        if url.startswith(OURS):
            reply = Client().get(url[len(OURS) :])
            return Response(status=reply.status_code, body=reply.content)
        if url in self.sites:
            return _json(200, self.sites[url])
        return _json(404, {"detail": "Not Found"})

    def node_id(self, url: str) -> str:
        return hashlib.sha256(url.encode("utf-8")).hexdigest()

    def _read(self, node: Node) -> None:
        answer = self.get(node.profile_url)
        profile = answer.json() if answer.status == 200 else None
        if not isinstance(profile, dict):
            node.status = "validation_failed"
            node.errors = [{"status": 404, "title": "Profile Not Found", "detail": "no profile"}]
            return
        if ORGANISATIONS in profile.get("linked_schemas", []):
            problems = profile_errors(profile)
        else:  # other schemas (offers and wants): the rules of this project's own index
            problems = [str(e["detail"]) for e in library.validate(profile)]
        if problems:
            node.status = "validation_failed"
            node.errors = [{"status": 400, "title": "Invalid", "detail": p} for p in problems]
            return
        if profile != node.profile or node.status != "posted":
            self.clock += 1000
            node.last_updated = self.clock
        node.profile, node.status, node.errors = profile, "posted", []

    def _index(self, method: str, path: str, body: dict[str, Any] | None) -> Response:
        parts = urlsplit(path)
        if method == "POST" and parts.path == "/nodes":
            url = str((body or {}).get("profile_url") or "")
            if not url:
                return _json(400, {"errors": [{"status": 400, "title": "Missing"}]})
            nid = self.node_id(url)
            node = self.nodes.setdefault(nid, Node(profile_url=url, status="received"))
            node.status = "received"
            node.polls = self.slow_polls
            return _json(200, {"data": {"node_id": nid}})
        if method == "GET" and parts.path == "/nodes":
            return self._search(parse_qs(parts.query))
        nid = parts.path.rsplit("/", 1)[-1]
        node = self.nodes.get(nid)
        if node is None:
            return _json(404, {"errors": [{"status": 404, "title": "Node Not Found"}]})
        if method == "GET":
            if node.status == "received":
                if node.polls > 0:
                    node.polls -= 1
                    return _json(200, {"data": {"node_id": nid, "status": "received"}})
                self._read(node)
            if node.status == "validation_failed":
                meta = {"node_id": nid, "profile_url": node.profile_url}
                return _json(400, {"meta": meta, "errors": node.errors})
            data = {
                "node_id": nid,
                "profile_url": node.profile_url,
                "status": node.status,
                "last_updated": node.last_updated,
            }
            return _json(200, {"data": data})
        if method == "DELETE":
            if self.get(node.profile_url).status == 200:
                meta = {"node_id": nid, "profile_url": node.profile_url}
                err = {"status": 400, "title": "Profile Still Exists", "detail": "still there"}
                return _json(400, {"meta": meta, "errors": [err]})
            self.clock += 1000
            node.status, node.last_updated = "deleted", self.clock
            return _json(200, {"meta": {"message": "deleted"}})
        return _json(405, {"errors": [{"status": 405, "title": "Method Not Allowed"}]})

    def _search(self, query: dict[str, list[str]]) -> Response:
        schema = query.get("schema", [""])[0]
        country = query.get("country", [""])[0].upper()
        tags = [t for t in query.get("tags", [""])[0].split(",") if t]
        page = int(query.get("page", ["1"])[0])
        size = int(query.get("page_size", ["30"])[0])
        found = []
        for node in self.nodes.values():
            if node.status not in ("posted", "deleted"):
                continue
            profile = node.profile
            if schema and schema not in profile.get("linked_schemas", []):
                continue
            if country and profile.get("country_iso_3166", "").upper() != country:
                continue
            if tags and not set(tags) & set(profile.get("tags", [])):
                continue
            found.append(
                {
                    "profile_url": node.profile_url,
                    "last_updated": node.last_updated,
                    "linked_schemas": profile.get("linked_schemas", []),
                    "status": node.status,
                    "name": profile.get("name", ""),
                }
            )
        pages = max(1, -(-len(found) // size))
        data = found[(page - 1) * size : page * size]
        meta = {"number_of_results": len(found), "total_pages": pages}
        return _json(200, {"data": data, "links": {"self": "x"}, "meta": meta})

    def publish(self, url: str, profile: dict[str, Any]) -> None:
        """Another network serves this profile and registers it with the index."""
        self.sites[url] = profile
        node = self.nodes.setdefault(self.node_id(url), Node(profile_url=url, status="received"))
        self._read(node)

    def unpublish(self, url: str) -> None:
        self.sites.pop(url, None)
        self._index("DELETE", f"/nodes/{self.node_id(url)}", None)
