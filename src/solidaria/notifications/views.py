"""The inbox, its reads, a person's choices, and the one-click unsubscribe from an email."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from solidaria.core.errors import CORRECTABLE, show_on_form
from solidaria.core.querybounds import page_number
from solidaria.notifications import render as text
from solidaria.notifications import services
from solidaria.notifications.forms import PreferencesForm
from solidaria.notifications.models import MailSettings, Notification

PAGE_SIZE = 50


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user_id=request.user.pk).select_related("actor")
    if request.GET.get("show") == "unread":
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(page_number(request))
    items = [{"n": n, "sentence": text.sentence(n), "title": text.title(n.kind)} for n in page]
    context = {
        "page": page,
        "items": items,
        "only_unread": request.GET.get("show") == "unread",
    }
    return render(request, "notifications/inbox.html", context)


@login_required
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read; with `open`, go on to the notification's page."""
    notification = services.mark_read(actor=request.user, notification_id=pk)
    link = notification.url
    if request.POST.get("open") and link and url_has_allowed_host_and_scheme(link, None):
        return redirect(link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("All your notifications are marked read."))
    return redirect("notifications:inbox")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    chosen = MailSettings.objects.filter(user_id=request.user.pk).first()
    # until they choose, offer the language they are reading this page in
    language = chosen.language if chosen else translation.get_language() or "en"
    initial = {"language": language, **services.deliveries_of(request.user)}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_set(
                actor=request.user,
                deliveries=form.deliveries(),
                language=form.cleaned_data["language"],
            )
            messages.success(request, _("Your choices are saved."))
            return redirect("notifications:preferences")
        except CORRECTABLE as exc:
            show_on_form(form, exc)
    return render(request, "notifications/preferences.html", {"form": form})


@csrf_exempt  # RFC 8058: mail clients POST the one-click unsubscribe without a CSRF token
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link checkers must not unsubscribe anyone); POST unsubscribes. The signed
    token is the permission."""
    user, codes = services.unsubscribe_read(token)
    done = False
    if request.method == "POST":
        services.unsubscribe(token=token)
        done = True
    context = {
        "token": token,
        "titles": [text.title(code) for code in codes],
        "done": done,
        "person": user,
    }
    return render(request, "notifications/unsubscribe.html", context)
