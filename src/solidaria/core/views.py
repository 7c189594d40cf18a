from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.core import dashboard, transparency, visibility
from solidaria.core.errors import CORRECTABLE


def home(request: HttpRequest) -> HttpResponse:
    """A visitor sees the network; a logged-in person what waits for them."""
    if not request.user.is_authenticated:
        return render(request, "core/home.html")
    return render(request, "core/home.html", {"board": dashboard.for_person(request.user)})


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_required
@require_POST
def visibility_set(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Those who manage a process, co-op, poll or clearing run make it public or not."""
    try:
        obj = visibility.visibility_set(
            actor=request.user, kind=kind, pk=pk, value=request.POST.get("visibility", "")
        )
    except CORRECTABLE as exc:
        messages.error(request, exc.message)
    else:
        if visibility.is_public(obj):
            messages.success(request, _("It is public now: anyone can read it."))
        else:
            messages.success(request, _("It is for members only now."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "home"
    return redirect(target)


def transparency_page(request: HttpRequest) -> HttpResponse:
    """The network in figures, for anyone: members, accounts, transfers, clearing,
    budgeting turnout and the ledger's latest signed checkpoint."""
    return render(request, "core/transparency.html", {"figures": transparency.figures()})
