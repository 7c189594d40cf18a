"""Errors services raise; pages, API and CLI turn them into a message, a 4xx or exit 2."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.forms import BaseForm


class DomainError(Exception):
    """A request that cannot be carried out, with a reason a member understands."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    status_code = 422


def required_reason(reason: str | None) -> str:
    """The stripped reason a role change must give; ValidationFailed on `reason` if empty."""
    from django.utils.translation import gettext as _

    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why."), field="reason")
    return reason


class PermissionDenied(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class TooManyAttempts(DomainError):
    """Too many failed attempts from one client or for one name; `core/throttle.py` raises it."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


# What a page may catch and show on its form: the person can correct these. A refusal
# (PermissionDenied, NotFound) is left to core.middleware, which answers 403 / 404.
CORRECTABLE = (ValidationFailed, Conflict, TooManyAttempts)


def show_on_form(form: BaseForm, exc: DomainError) -> None:
    """Put a caught error next to the field it names, or above the form when the form has
    no such field (a service names its own argument, which a form may call otherwise)."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
