"""Bounded API schemas: every string has a maximum length, every integer the range of a
PostgreSQL bigint, every list a maximum size, every float is finite.

API modules import `Schema` from here instead of from ninja. An input schema (any schema
whose name does not end in "Out" or "Error") gets, for each field that does not set its
own bound:

- a string: the `max_length` of the column of the same name on the models listed in
  `limits_from` (or of the column `columns` names for it), else `TEXT_MAX` characters;
- an integer: `BIGINT_MIN..BIGINT_MAX` (a larger number would be a 500 on PostgreSQL);
- a list: at most `LIST_MAX` items;
- a float: finite.

So an over-long or out-of-range value is a 422 naming the field, never a database error,
and /api/openapi.json documents each bound. `core/api.py` turns any database error that
still gets through into a 400 with a reason.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, ClassVar

from annotated_types import Ge, Gt, Le, Lt, MaxLen
from django.db import models
from ninja import Field
from ninja import Schema as NinjaSchema
from pydantic.types import AllowInfNan

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
# Free text with no column limit (a TextField, a search query, a reason).
TEXT_MAX = 20_000
# A list in a request body (bulk payment lines, ranked choices, ids).
LIST_MAX = 1_000

BigInt = Annotated[int, Field(ge=BIGINT_MIN, le=BIGINT_MAX)]
# A page offset or count: never negative, within a bigint.
Offset = Annotated[int, Field(ge=0, le=BIGINT_MAX)]


def column_length(model: type[models.Model], name: str) -> int | None:
    """The max_length of `model.name`, None when it has none (or no such field)."""
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 (FieldDoesNotExist and reverse relations)
        return None
    return getattr(field, "max_length", None)


def max_length(model: type[models.Model], name: str) -> Any:
    """`Field(max_length=...)` of a column, for a schema field named differently."""
    return Field(max_length=column_length(model, name) or TEXT_MAX)


def _kinds(annotation: Any) -> set[Any]:
    """The bare types of a field: `int | None` -> {int}; `list[X]` -> {list}."""
    out: set[Any] = set()
    origin = typing.get_origin(annotation)
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        for arg in typing.get_args(annotation):
            out |= _kinds(arg)
    elif origin is Annotated:
        out |= _kinds(typing.get_args(annotation)[0])
    elif origin in (list, tuple, set, frozenset):
        out.add(list)
    elif annotation is not type(None):
        out.add(annotation)
    return out


class Schema(NinjaSchema):
    """A ninja Schema whose input fields are bounded (see the module docstring)."""

    limits_from: ClassVar[tuple[type[models.Model], ...]] = ()
    columns: ClassVar[dict[str, tuple[type[models.Model], str]]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__name__.endswith(("Out", "Error")):
            return
        changed = False
        for name, info in cls.__pydantic_fields__.items():
            kinds = _kinds(info.annotation)
            meta = info.metadata
            if int in kinds and bool not in kinds:
                if not any(isinstance(m, (Ge, Gt)) for m in meta):
                    meta.append(Ge(BIGINT_MIN))
                    changed = True
                if not any(isinstance(m, (Le, Lt)) for m in meta):
                    meta.append(Le(BIGINT_MAX))
                    changed = True
            if (str in kinds or list in kinds) and not any(isinstance(m, MaxLen) for m in meta):
                meta.append(MaxLen(cls._limit(name) if str in kinds else LIST_MAX))
                changed = True
            if float in kinds and not any(isinstance(m, AllowInfNan) for m in meta):
                meta.append(AllowInfNan(False))
                changed = True
        if changed:
            cls.model_rebuild(force=True)

    @classmethod
    def _limit(cls, name: str) -> int:
        if name in cls.columns:
            model, column = cls.columns[name]
            return column_length(model, column) or TEXT_MAX
        for model in cls.limits_from:
            length = column_length(model, name)
            if length:
                return length
        return TEXT_MAX
