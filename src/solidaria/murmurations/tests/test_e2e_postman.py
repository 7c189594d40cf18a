"""Replay the Murmurations index's own end-to-end suite against our index.

`../shared/data/murmurations/api/index_e2e_postman.json` is the Postman collection the
Murmurations team runs against their index. We replay, in order, the folders that fall in
our subset (ping, missing/invalid/valid nodes, profile validation, nodes-sync, test
profiles, search), with `{{indexBaseUrl}}` = `/index/v2`, the collection's own request
bodies and path variables, and the environment its scripts set (`node0`, `node000`, ...).

The checks are the collection's own: a small interpreter reads each request's test
script (`pm.response.to.have.status(...)`, `pm.expect(jsonData...).to.eq/contain/...`,
the `expectedTitles`/`expectedPointers`/`expectedDetails`/`expectedErrors` lists) and
applies it to our response. Any `pm.expect` line it cannot read fails the test, so no
check is skipped silently; the few skipped on purpose are listed in `SKIPPED` with why.

The profiles at `https://ic3.dev/murmurations/e2e-tests/...` and the test library's
`test_schema-*` are not in the shared data: ours are in `fixtures/` (see its README),
served by the fake fetcher.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .conftest import FakeWeb, IndexClient

FOLDERS = {
    "Ping Tests": {"Index is online"},
    "Handles Missing Nodes": None,
    "Handles Invalid Profiles": None,
    "Handles Valid Profiles": None,
    "Performs Profile Validation": None,
    "Handles POST /nodes-sync": None,
    "Add Test Profiles": None,
    "Returns Expected Search Results": None,
}
SKIPPED = {
    # the SHA-256 of ic3.dev's own valid-profile.json, which we do not have (ours differs)
    "jsonData.data.profile_hash).to.eq(": "hash of a file we do not have",
}
PATH_TOKEN = re.compile(r"\.?([A-Za-z_]\w*)|\[(\d+)\]")


def _walk(value: Any, path: str) -> Any:
    for name, index in PATH_TOKEN.findall(path):
        if index:
            value = value[int(index)]
        elif name == "length":
            value = len(value)
        else:
            value = value[name] if isinstance(value, dict) and name in value else _MISSING
            if value is _MISSING:
                return _MISSING
    return value


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _literal(text: str, env: dict[str, Any]) -> Any:
    text = text.strip()
    found = re.fullmatch(r'pm\.environment\.get\("([^"]+)"\)', text)
    if found:
        return env.get(found.group(1))
    if text[0] in "\"'":
        return text[1:-1]
    if text[0] == "`":
        return re.sub(
            r'\$\{pm\.environment\.get\("([^"]+)"\)\}',
            lambda m: str(env.get(m.group(1))),
            text[1:-1],
        )
    return json.loads(text)


EXPECT = re.compile(
    r"pm\.expect\((?P<subject>[\w.\[\]]+)\)\.to\.(?P<chain>[\w.]+?)(?:\((?P<arg>.*)\))?;?$"
)


def _check(subject: Any, chain: str, arg: Any) -> bool:
    if chain in ("eq", "equal", "eql", "be.eq"):
        return subject == arg
    if chain == "contain":
        return isinstance(subject, str) and arg in subject
    if chain == "have.property":
        return isinstance(subject, dict) and arg in subject
    if chain == "not.have.property":
        return isinstance(subject, dict) and arg not in subject
    if chain == "have.nested.property":
        return _walk(subject, "." + arg) is not _MISSING
    if chain == "be.greaterThanOrEqual":
        return isinstance(subject, int) and subject >= arg
    if chain == "be.above":
        return isinstance(subject, int) and subject > arg
    if chain == "be.a":
        return (
            arg == "number" and isinstance(subject, int | float) and not isinstance(subject, bool)
        )
    if chain == "be.an":
        return arg == "array" and isinstance(subject, list)
    raise KeyError(chain)


def _array(script: str, name: str) -> list[Any] | None:
    found = re.search(rf"const {name} = (\[.*?\n\s*\]);", script, re.S)
    if not found:
        return None
    text = re.sub(r",\s*\]", "]", found.group(1))
    if name == "expectedErrors":  # JavaScript object keys, one a line
        text = re.sub(r"(?m)^(\s*)(\w+):", r'\1"\2":', text)
    return json.loads(text)


def _run_script(script: str, response: Any, env: dict[str, Any]) -> tuple[list[str], int]:
    """Apply one request's test script; (failures, checks made)."""
    failures: list[str] = []
    checks = 0
    expected = re.search(r"pm\.response\.to\.have\.status\((\d+)\)", script)
    if expected:
        checks += 1
        if response.status_code != int(expected.group(1)):
            return [f"status {response.status_code}, expected {expected.group(1)}"], checks
    if "pm.response.to.have.body(" in script:
        body = re.search(r'have\.body\("([^"]*)"\)', script)
        checks += 1
        if body is None or response.content.decode() != body.group(1):
            failures.append(f"body {response.content[:80]!r}")
        return failures, checks
    data = response.json()
    for name, path in re.findall(r'pm\.environment\.set\("([^"]+)", jsonData\.([\w.]+)\)', script):
        env[name] = _walk(data, path)
    every_error = "jsonData.errors.forEach(error =>" in script
    one_error = re.search(r"const error = jsonData\.errors\[(\d+)\]", script)
    for titles_name, field in (
        ("expectedTitles", "title"),
        ("expectedPointers", "pointer"),
        ("expectedDetails", "detail"),
    ):
        wanted = _array(script, titles_name)
        for value in wanted or []:
            checks += 1
            got = [
                e.get("source", {}).get("pointer") if field == "pointer" else e.get(field)
                for e in data.get("errors", [])
            ]
            if value not in got:
                failures.append(f"no error with {field} {value!r} in {got}")
    for wanted_error in _array(script, "expectedErrors") or []:
        checks += 1
        if wanted_error not in data.get("errors", []):
            failures.append(f"missing error {wanted_error} in {data.get('errors')}")
    if "toUpperCase() === 'BEER'" in script:
        checks += 1
        if not all(any(t.upper() == "BEER" for t in e.get("tags", [])) for e in data["data"]):
            failures.append("a result without an exact BEER tag")
    for line in script.splitlines():
        line = line.strip()
        if not line.startswith("pm.expect("):
            continue
        if any(marker in line for marker in SKIPPED):
            continue
        if ".some(error =>" in line or line.startswith(("pm.expect(match)", "pm.expect(notFound")):
            continue  # the lists and the tag loop, checked above
        if line == "pm.expect(jsonData.errors).to.be.an('array').and.not.to.be.empty;":
            checks += 1
            if not (isinstance(data.get("errors"), list) and data["errors"]):
                failures.append("no errors array")
            continue
        found = EXPECT.match(line)
        if not found:
            failures.append(f"cannot read the check: {line}")
            continue
        subject_path, chain, arg_text = found.group("subject", "chain", "arg")
        arg = _literal(arg_text, env) if arg_text else None
        if subject_path.startswith("error"):
            if every_error:
                subjects = [_walk(e, subject_path[len("error") :]) for e in data["errors"]]
            elif one_error:
                base = data["errors"][int(one_error.group(1))]
                subjects = [_walk(base, subject_path[len("error") :])]
            else:
                failures.append(f"cannot read the check: {line}")
                continue
        else:
            subjects = [_walk(data, subject_path.removeprefix("jsonData"))]
        for subject in subjects:
            checks += 1
            try:
                ok = _check(subject, chain, arg)
            except KeyError:
                failures.append(f"cannot read the check: {line}")
                break
            if not ok:
                failures.append(f"{line} -- got {subject!r}")
    return failures, checks


def _requests(collection: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for folder in collection["item"]:
        if folder["name"] not in FOLDERS:
            continue
        only = FOLDERS[folder["name"]]
        for item in folder["item"]:
            if only is None or item["name"] in only:
                out.append((f"{folder['name']} / {item['name']}", item))
    return out


def test_the_index_passes_the_murmurations_e2e_suite_on_our_subset(
    shared_data: Path, index: IndexClient, e2e_web: FakeWeb
) -> None:
    collection = json.loads(
        (shared_data / "murmurations" / "api" / "index_e2e_postman.json").read_text()
    )
    env: dict[str, Any] = {}
    failures: list[str] = []
    total_checks = 0
    replayed = _requests(collection)
    for name, item in replayed:
        request = item["request"]
        url = request["url"]
        path = url["raw"].replace("{{indexBaseUrl}}", "")
        for variable in url.get("variable", []):
            value = re.sub(r"\{\{(\w+)\}\}", lambda m: str(env.get(m.group(1))), variable["value"])
            path = path.replace(f":{variable['key']}", value)
        raw = request.get("body", {}).get("raw")
        response = index.call(request["method"], path, raw=raw.encode() if raw else None)
        script = "\n".join(
            line
            for event in item.get("event", [])
            if event["listen"] == "test"
            for line in event["script"]["exec"]
        )
        problems, checks = _run_script(script, response, env)
        total_checks += checks
        failures += [f"{name}: {p}" for p in problems]
        live = "\n".join(ln for ln in script.splitlines() if not ln.strip().startswith("//"))
        for unset in re.findall(r'pm\.environment\.unset\("([^"]+)"\)', live):
            env.pop(unset, None)
    assert failures == [], "\n".join(failures)
    assert len(replayed) == 58
    assert total_checks > 150
