"""Notifications as sentences in the reader's language; the language of a person's emails."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from solidaria.notifications import kinds
from solidaria.notifications.models import MailSettings, Notification


class _Values(dict[str, Any]):
    """A placeholder the caller did not fill shows as a dash instead of failing the page."""

    def __missing__(self, key: str) -> str:
        return "—"


def _display(kind: kinds.Kind, name: str, value: Any) -> Any:
    if name in kind.labels:
        label = kind.labels[name].get(str(value))
        return str(label) if label is not None else value
    if name in kind.datetimes and isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(when):
            when = timezone.localtime(when)
        return formats.date_format(when, "DATETIME_FORMAT")
    return value


def sentence(notification: Notification) -> str:
    """The notification's sentence in the active language."""
    try:
        kind = kinds.get(notification.kind)
    except KeyError:
        return _("Something happened that concerns you.")
    context = notification.context or {}
    template = kind.variants.get(str(context.get("variant", "")), kind.sentence)
    values = _Values({name: _display(kind, name, value) for name, value in context.items()})
    return str(template) % values


def title(code: str) -> str:
    try:
        return str(kinds.get(code).title)
    except KeyError:
        return code


def language_of(user: Any) -> str:
    """The language a person's emails are written in: a language on the user if the
    accounts app keeps one, else their choice on the preferences page, else the site's."""
    known = {code for code, _name in settings.LANGUAGES}
    own = getattr(user, "language", "") or ""
    if own in known:
        return str(own)
    chosen = MailSettings.objects.filter(user=user).values_list("language", flat=True).first()
    if chosen in known:
        return str(chosen)
    return settings.LANGUAGE_CODE


def in_language(user: Any) -> Any:
    return translation.override(language_of(user))
