"""Pages about people: sign-up, email confirmation, my account, invitations, and the
stewards' admission queue. Every write goes through `accounts.services`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidaria.accounts import queries, roles, services
from solidaria.accounts.forms import (
    AdmissionDecisionForm,
    InvitationForm,
    LeaveForm,
    ProfileForm,
    QuotaForm,
    RoleForm,
    SignUpForm,
    TokenForm,
)
from solidaria.accounts.models import Admission, User
from solidaria.budgeting.models import Process
from solidaria.core import throttle
from solidaria.core.errors import CORRECTABLE, TooManyAttempts
from solidaria.core.permissions import is_member, is_steward, member_required, steward_required
from solidaria.ledger.models import Currency


def sign_up(request: HttpRequest, code: str | None = None) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    code = code or request.GET.get("invitation") or request.POST.get("invitation") or None
    invitation = services.usable_invitation(code) if code else None
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        address = throttle.client_address(request)
        try:
            throttle.check("signup", address)
            user = services.member_sign_up(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                invitation_code=code,
            )
        except TooManyAttempts as exc:
            form.add_error(None, exc.message)
            status = 429
        except CORRECTABLE as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            throttle.fail("signup", address)  # every sign-up counts towards the limit
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if user.admission == Admission.ADMITTED:
                messages.success(
                    request, _("Welcome to the network, %(name)s.") % {"name": user.username}
                )
            else:
                messages.success(
                    request,
                    _(
                        "Thank you, %(name)s. We sent you an email to confirm your address. "
                        "A steward of the network will look at your application soon; until "
                        "then you can browse and propose organisations for the directory."
                    )
                    % {"name": user.username},
                )
            return redirect("profile")
    return render(
        request,
        "registration/signup.html",
        {
            "form": form,
            "invitation": invitation,
            "invitation_code": code,
            "invitation_invalid": bool(code) and invitation is None,
        },
        status=status,
    )


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.email_verify(token=token)
    except CORRECTABLE as exc:
        return render(request, "accounts/verify_failed.html", {"reason": exc.message}, status=400)
    messages.success(
        request, _("Thank you, %(name)s: your email address is confirmed.") % {"name": user}
    )
    return redirect("profile" if request.user.is_authenticated else "login")


@login_required
@require_POST
def verify_email_resend(request: HttpRequest) -> HttpResponse:
    if request.user.email_verified_at is None:
        services.send_verification_email(request.user.pk)
        messages.success(request, _("We sent the confirmation email again."))
    return redirect("profile")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = services.token_issue(actor=user, name=form.cleaned_data["name"])
            form = TokenForm()
        except CORRECTABLE as exc:
            form.add_error(None, exc.message)
    context = {
        "form": form if is_member(user) else None,
        "tokens": user.api_tokens.filter(is_active=True),
        "new_token": new_token,
        "history": queries.history(user),
        "is_member": is_member(user),
        "invitations": user.invitations.select_related("used_by"),
        "invitations_left": services.invitations_left(user),
        "invitation_form": InvitationForm(prefix="inv"),
        "leave_form": LeaveForm(prefix="leave"),
        "profile_form": ProfileForm(
            prefix="me",
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "languages": ", ".join(user.languages),
                "bio": user.bio,
                "skills": ", ".join(user.skills),
                "gender": user.gender,
                "gender_other": user.gender_other,
            },
        ),
        "new_invitation_link": request.session.pop("new_invitation_link", None),
    }
    return render(request, "accounts/profile.html", context)


class _PasswordChange(auth_views.PasswordChangeView):
    """Django's password change: the old password, the new one twice (validated); the
    session stays logged in. Audited, like every change to a person."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.password_changed(actor=self.request.user)
        return response


password_change = _PasswordChange.as_view()


@login_required
@require_POST
def profile_edit(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST, prefix="me")
    if form.is_valid():
        try:
            user = services.profile_update(actor=request.user, **form.cleaned_data)
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
        else:
            if user.email_verified_at is None:
                messages.success(
                    request, _("Saved. We sent a link to confirm your new email address.")
                )
            else:
                messages.success(request, _("Your details were saved."))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("profile")


@member_required
@require_POST
def invitation_create(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST, prefix="inv")
    if form.is_valid():
        try:
            _inv, raw = services.invitation_create(
                actor=request.user, note=form.cleaned_data["note"]
            )
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
        else:
            request.session["new_invitation_link"] = request.build_absolute_uri(
                f"/accounts/invite/{raw}/"
            )
            messages.success(
                request, _("Your invitation link is ready. It works once, for 30 days.")
            )
    return redirect("profile")


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    services.invitation_revoke(actor=request.user, invitation_id=invitation_id)  # else 404
    messages.success(request, _("The invitation was withdrawn."))
    return redirect("profile")


@member_required
@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    form = LeaveForm(request.POST, prefix="leave")
    if form.is_valid() and form.cleaned_data["confirm"]:
        try:
            services.member_leave(actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("You have left the network. Your records are kept."))
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Tick the box to confirm that you want to leave."))
    return redirect("profile")


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    services.token_revoke(actor=request.user, token_id=token_id)  # someone else's: 404
    messages.success(request, _("The token was revoked."))
    return redirect("profile")


# ---------------------------------------------------------------- stewards


STATE_FILTERS = [choice for choice, _label in Admission.choices]


@steward_required
def people(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", Admission.APPLIED)
    if state not in STATE_FILTERS:
        state = Admission.APPLIED
    found = User.objects.filter(admission=state, is_active=True).order_by("date_joined")
    counts = {s: User.objects.filter(admission=s, is_active=True).count() for s in STATE_FILTERS}
    return render(
        request,
        "accounts/people.html",
        {
            "people": found[:500],
            "state": state,
            "states": [(s, label, counts[s]) for s, label in Admission.choices],
        },
    )


@member_required
def person(request: HttpRequest, user_id: int) -> HttpResponse:
    """A person's page: members see their name, languages, bio, skills and roles; network
    stewards also decide their admission, quota and roles here (only they may post)."""
    someone = get_object_or_404(User, pk=user_id)
    steward = is_steward(request.user)
    if request.method == "POST" and not steward:
        raise DjangoPermissionDenied
    post = request.POST if request.method == "POST" else None
    decision_form = AdmissionDecisionForm(post, prefix="decide")
    quota_form = QuotaForm(post, prefix="quota", initial={"quota": someone.invitation_quota})
    role_form = RoleForm(
        post if post and "role-role" in post else None,
        prefix="role",
        currencies=Currency.objects.order_by("code"),
        processes=Process.objects.order_by("title"),
    )
    if post:
        try:
            if "decide-decision" in post and decision_form.is_valid():
                services.admission_decide(
                    actor=request.user,
                    user_id=someone.pk,
                    decision=decision_form.cleaned_data["decision"],
                    reason=decision_form.cleaned_data["reason"],
                )
                messages.success(request, _("The decision was recorded."))
                return redirect("person", user_id=someone.pk)
            if "quota-quota" in post and quota_form.is_valid():
                services.invitation_quota_set(
                    actor=request.user,
                    user_id=someone.pk,
                    quota=quota_form.cleaned_data["quota"],
                    reason=quota_form.cleaned_data["reason"],
                )
                messages.success(request, _("The invitation quota was changed."))
                return redirect("person", user_id=someone.pk)
            if role_form.is_bound and role_form.is_valid():
                roles.role_change(actor=request.user, user=someone, **role_form.cleaned_data)
                messages.success(request, _("The role was changed."))
                return redirect("person", user_id=someone.pk)
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "accounts/person.html",
        {
            "someone": someone,
            "roles": roles.roles_of(someone),
            "is_steward_view": steward,
            "history": queries.history(someone) if steward else [],
            "decisions": services.decisions_for(someone) if steward else [],
            "decision_form": decision_form,
            "quota_form": quota_form,
            "role_form": role_form,
        },
    )
