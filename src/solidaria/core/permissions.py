"""Who may do what: small named predicates, used by services, views and API routes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied


def is_member(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_steward(user: Any) -> bool:
    return is_member(user) and bool(getattr(user, "is_steward", False))


def steward_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Page decorator: anonymous users go to the login page, members get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_steward(request.user):
            raise DjangoPermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
