"""Validate a Murmurations profile the way the index does, offline.

A profile names the schemas it claims in `linked_schemas`. The index first checks it
against the library's default schema (`default-v2.1.0`: field sizes, country codes, tags,
coordinates), then against each linked schema. Schemas and the field definitions they
`$ref` (`../fields/name.json`, relative to the library URL in their `$id`) are read from
the folders of a `Library` (the bundled `data/murmurations/` by default), never from the
network: an unknown schema is a validation failure with its reason.

Errors come back in the protocol's JSON:API-like shape, e.g.
`{"status": 400, "source": {"pointer": "/latitude"}, "title": "Invalid Amount",
"detail": "Amount must be less than or equal to 90 - Schema: default-v2.1.0"}`.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, ValidationError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

from solidaria.core.paths import bundled_data_dir

DEFAULT_SCHEMA = "default-v2.1.0"
SCHEMA_NAME = re.compile(r"^[a-z][a-z0-9_]{7,97}-v[0-9]+\.[0-9]+\.[0-9]+$")
# the longest expiry the index accepts: one year from now
MAX_EXPIRES_SECONDS = 366 * 24 * 3600

Error = dict[str, Any]


def error(status: int, title: str, detail: str, pointer: str | None = None) -> Error:
    """One protocol error object."""
    out: Error = {"status": status}
    if pointer is not None:
        out["source"] = {"pointer": pointer}
    out["title"] = title
    out["detail"] = detail
    return out


@dataclass
class Library:
    """Schema folders searched in order; each holds `schemas/` and `fields/`."""

    roots: Sequence[Path]
    _validators: dict[str, Draft7Validator | None] = field(default_factory=dict)

    def _find(self, folder: str, name: str) -> Path | None:
        if not name.endswith(".json"):
            name += ".json"
        for root in self.roots:
            path = root / folder / name
            if path.is_file():
                return path
        return None

    def validator(self, name: str) -> Draft7Validator | None:
        """The compiled schema `name`, or None when the library does not have it."""
        if name in self._validators:
            return self._validators[name]
        known = SCHEMA_NAME.match(name) or name == DEFAULT_SCHEMA
        path = self._find("schemas", name) if known else None
        if path is None:
            self._validators[name] = None
            return None
        schema = json.loads(path.read_text(encoding="utf-8"))

        def retrieve(uri: str) -> Resource[Any]:
            ref = uri.rstrip("/").rsplit("/", 1)[-1]
            found = self._find("fields" if "/fields/" in uri else "schemas", ref)
            if found is None:
                raise NoSuchResource(ref=uri)
            return Resource.from_contents(
                json.loads(found.read_text(encoding="utf-8")), default_specification=DRAFT7
            )

        registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
        compiled = Draft7Validator(schema, registry=registry)
        self._validators[name] = compiled
        return compiled


def bundled_library() -> Library:
    return Library([bundled_data_dir() / "murmurations"])


_current: Library | None = None


def current() -> Library:
    global _current
    if _current is None:
        _current = bundled_library()
    return _current


@contextmanager
def use_library(library: Library) -> Iterator[Library]:
    """Validate against `library` inside the block (tests add their fixture schemas)."""
    global _current
    before = _current
    _current = library
    try:
        yield library
    finally:
        _current = before


def _pointer(parts: Sequence[Any]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _describe(e: ValidationError, schema_name: str) -> Error:
    """The protocol's title and detail for one jsonschema error."""
    where = _pointer(list(e.absolute_path))
    suffix = f" - Schema: {schema_name}"
    v = e.validator
    if v == "required":
        missing = e.message.split("'")[1] if "'" in e.message else ""
        ptr = where.rstrip("/") + "/" + missing if missing else where
        return error(
            400, "Missing Required Property", f"The `{missing}` property is required.", ptr
        )
    if v == "type":
        expected = e.validator_value
        if isinstance(expected, list):
            expected = ", ".join(str(x) for x in expected)
        detail = f"Expected: {expected} - Given: {_json_type(e.instance)}{suffix}"
        return error(400, "Invalid Type", detail, where)
    if v in ("minimum", "exclusiveMinimum"):
        detail = f"Amount must be greater than or equal to {e.validator_value}{suffix}"
        return error(400, "Invalid Amount", detail, where)
    if v in ("maximum", "exclusiveMaximum"):
        detail = f"Amount must be less than or equal to {e.validator_value}{suffix}"
        return error(400, "Invalid Amount", detail, where)
    if v == "maxLength":
        detail = f"Amount must be less than or equal to {e.validator_value}{suffix}"
        return error(400, "Invalid Length", detail, where)
    if v == "minLength":
        detail = f"Amount must be greater than or equal to {e.validator_value}{suffix}"
        return error(400, "Invalid Length", detail, where)
    if v in ("enum", "const"):
        detail = f"The submitted data is not a valid value from the list of allowed values{suffix}"
        return error(400, "Invalid Value", detail, where)
    if v == "maxItems":
        detail = f"There are too many items in the array - Maximum is {e.validator_value}{suffix}"
        return error(400, "Too Many Items", detail, where)
    if v == "minItems":
        detail = f"There are not enough items in the array - Minimum is {e.validator_value}{suffix}"
        return error(400, "Not Enough Items", detail, where)
    if v == "uniqueItems":
        return error(400, "Duplicate Items", f"The array has duplicate items{suffix}", where)
    if v == "pattern":
        detail = f"The submitted data does not match the required pattern{suffix}"
        return error(400, "Pattern Mismatch", detail, where)
    if v == "propertyNames":
        name = e.instance if isinstance(e.instance, str) else ""
        detail = f"The property name `{name[:100]}` is not allowed{suffix}"
        return error(400, "Invalid Property Name", detail, _pointer([*e.absolute_path, name]))
    if v == "format":
        return error(400, "Invalid Format", f"{e.message[:300]}{suffix}", where)
    return error(400, "Invalid Value", f"{e.message[:300]}{suffix}", where)


def _schema_errors(compiled: Draft7Validator, profile: dict[str, Any], name: str) -> list[Error]:
    found = sorted(compiled.iter_errors(profile), key=lambda e: [str(p) for p in e.absolute_path])
    out: list[Error] = []
    for e in found:
        # an if/then or anyOf wraps the real errors: report those
        leaves = list(e.context) if e.context and e.validator in ("anyOf", "oneOf") else [e]
        out.extend(_describe(leaf, name) for leaf in leaves)
    return out


def _expiry_errors(profile: dict[str, Any], now: float) -> list[Error]:
    out: list[Error] = []
    for key, title in (
        ("expires", "Invalid Expires Field"),
        ("expires_at", "Invalid Expires At Field"),
    ):
        value = profile.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            continue
        if value < now:
            out.append(error(400, title, f"The `{key}` date/time has already passed.", f"/{key}"))
        elif value > now + MAX_EXPIRES_SECONDS and key == "expires_at":
            out.append(
                error(
                    400,
                    title,
                    f"The `{key}` date/time is more than a year from now.",
                    f"/{key}",
                )
            )
    return out


def _has_nul(value: Any, depth: int = 0) -> bool:
    """A NUL character or a lone surrogate anywhere (PostgreSQL cannot store them), a number
    too big for a float (1e400), or nesting too deep."""
    if depth > 32:
        return True
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (\ud800) cannot be stored or answered
            return True
        return False
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    return False


def validate(
    profile: Any, *, library: Library | None = None, now: float | None = None
) -> list[Error]:
    """Every reason the index refuses `profile` (empty when it is valid).

    Schema-loading failures (404) come first, then the default schema's errors and each
    linked schema's, then the expiry checks.
    """
    lib = library or current()
    moment = time.time() if now is None else now
    if not isinstance(profile, dict):
        return [error(400, "JSON Error", "The profile must be a JSON object.")]
    if _has_nul(profile):
        return [
            error(
                400,
                "Invalid Value",
                "The profile contains NUL characters, invalid text or infinite numbers, "
                "or is nested too deep.",
            )
        ]
    if "linked_schemas" not in profile:
        return [
            error(
                400,
                "Missing Required Property",
                "The `linked_schemas` property is required.",
                "/linked_schemas",
            )
        ]
    out: list[Error] = []
    linked = profile.get("linked_schemas")
    names = [n for n in linked if isinstance(n, str)] if isinstance(linked, list) else []
    usable: list[str] = []
    for name in dict.fromkeys(names[:100]):
        if lib.validator(name) is None:
            out.append(
                error(
                    404,
                    "Error loading schema",
                    "Could not locate the following schema in the library: "
                    f"{name[:200]} (404 Not Found)",
                    "/linked_schemas",
                )
            )
        else:
            usable.append(name)
    default = lib.validator(DEFAULT_SCHEMA)
    if default is not None:
        out.extend(_schema_errors(default, profile, DEFAULT_SCHEMA))
    for name in usable:
        compiled = lib.validator(name)
        assert compiled is not None
        out.extend(_schema_errors(compiled, profile, name))
    if not out:
        out.extend(_expiry_errors(profile, moment))
    return out


def status_of(errors: list[Error]) -> int:
    """The HTTP status for a list of errors: 404 when a schema could not be found."""
    return 404 if any(e.get("status") == 404 for e in errors) else 400
