"""Pages that found a co-op on a directory organisation and keep its member classes,
share types and stewards (no admin needed). Writes go through
`governance.services.setup` (and the class and share-type creators of `services`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from solidaria.core.errors import CORRECTABLE, ValidationFailed, show_on_form
from solidaria.core.models import Visibility
from solidaria.core.money import AmountError, parse_minor
from solidaria.core.permissions import allowed, is_steward, member_required
from solidaria.governance import queries, services
from solidaria.governance.models import Cooperative, MemberClass, Membership, ShareType
from solidaria.governance.services import setup


def _classes(text: str) -> list[tuple[str, int]]:
    """One class a line: "workers" (vote weight 1) or "workers: 2"."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _sep, weight = line.partition(":")
        try:
            out.append((name.strip(), int(weight.strip()) if weight.strip() else 1))
        except ValueError:
            raise ValidationFailed(
                _("Write each class as a name, or a name, a colon and a whole number."),
                field="classes",
            ) from None
    return out


class FoundForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=None,
        label=_lazy("Directory organisation"),
        required=False,
        help_text=_lazy("The co-op is this organisation: its directory entry and its governance."),
    )
    new_organisation_name = forms.CharField(
        label=_lazy("Or the name of a new organisation (network stewards)"),
        max_length=300,
        required=False,
    )
    slug = forms.SlugField(
        label=_lazy("Short name for its web address"), max_length=60, required=False
    )
    description = forms.CharField(
        label=_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    currency = forms.ModelChoiceField(
        queryset=None, label=_lazy("Currency for shares and surplus"), required=False
    )
    visibility = forms.ChoiceField(
        label=_lazy("Who may read the co-op's page"), choices=Visibility.choices
    )
    classes = forms.CharField(
        label=_lazy("Member classes, one a line"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_lazy('A name, or a name and its vote weight: "workers: 2".'),
    )

    def __init__(self, *args: Any, organisations: Any, currencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["currency"].queryset = currencies


class ClassForm(forms.Form):
    name = forms.CharField(label=_lazy("Name"), max_length=80)
    vote_weight = forms.IntegerField(label=_lazy("Vote weight"), min_value=0, initial=1)
    description = forms.CharField(label=_lazy("Description"), max_length=500, required=False)


class ShareTypeForm(forms.Form):
    name = forms.CharField(label=_lazy("Name"), max_length=80)
    nominal = forms.CharField(label=_lazy("Nominal value of one share"), max_length=32)
    min_holding = forms.IntegerField(label=_lazy("Minimum holding"), min_value=0, initial=0)
    max_holding = forms.IntegerField(
        label=_lazy("Maximum holding (empty: none)"), min_value=0, required=False
    )
    is_active = forms.BooleanField(label=_lazy("On offer"), required=False, initial=True)


class StewardForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)
    is_steward = forms.TypedChoiceField(
        coerce=lambda v: v == "1", choices=[("1", "1"), ("0", "0")], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_lazy("Reason"), max_length=500)


def _foundable(user: Any) -> Any:
    from solidaria.directory.models import Organisation
    from solidaria.directory.operators import organisations_run_by

    base = (
        Organisation.objects.filter(status=Organisation.Status.CONFIRMED)
        if is_steward(user)
        else organisations_run_by(user)
    )
    return base.filter(cooperative__isnull=True).order_by("name")


@member_required
def coop_new(request: HttpRequest) -> HttpResponse:
    """Found a co-op: network stewards, and people who run a confirmed organisation."""
    from solidaria.ledger.models import Currency

    organisations = _foundable(request.user)
    if not is_steward(request.user) and not organisations.exists() and request.method == "POST":
        raise DjangoPermissionDenied
    form = FoundForm(
        request.POST or None,
        organisations=organisations,
        currencies=Currency.objects.filter(is_active=True),
        initial={
            "visibility": Visibility.MEMBERS,
            "classes": "workers\nsupporters",
            "organisation": request.GET.get("organisation"),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new_name = data["new_organisation_name"] if is_steward(request.user) else ""
            if data["organisation"] is None and not new_name.strip():
                raise ValidationFailed(
                    _("Choose the organisation, or name a new one."), field="organisation"
                )
            coop = setup.coop_found(
                actor=request.user,
                organisation=data["organisation"],
                new_organisation_name=new_name,
                classes=_classes(data["classes"]),
                slug=data["slug"],
                description=data["description"],
                currency=data["currency"],
                visibility=data["visibility"],
            )
        except CORRECTABLE as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("The co-op %(name)s was founded.") % {"name": coop.name})
            return redirect("governance:coop_setup", slug=coop.slug)
    return render(
        request,
        "governance/coop_new.html",
        {"form": form, "may_found": is_steward(request.user) or organisations.exists()},
    )


def _steward_coop(request: HttpRequest, slug: str) -> Cooperative:
    coop = get_object_or_404(Cooperative.objects.select_related("currency"), slug=slug)
    if not allowed(request.user, "governance.coop.steward", coop):
        raise DjangoPermissionDenied
    return coop


def _nominal(coop: Cooperative, text: str) -> int:
    exponent = coop.currency.exponent if coop.currency else 2
    try:
        return parse_minor(text, exponent=exponent)
    except AmountError:
        raise ValidationFailed(
            _("'%(amount)s' is not an amount") % {"amount": text}, field="nominal"
        ) from None


def _setup_post(request: HttpRequest, coop: Cooperative) -> None:
    post = request.POST
    action = post.get("action", "")
    if action in ("class_new", "class_edit"):
        form = ClassForm(post)
        if not form.is_valid():
            raise ValidationFailed(_("Give the class a name and a vote weight of 0 or more."))
        data = form.cleaned_data
        if action == "class_new":
            services.member_class_create(
                actor=request.user,
                coop=coop,
                name=data["name"].strip(),
                vote_weight=data["vote_weight"],
                description=data["description"],
            )
        else:
            member_class = get_object_or_404(MemberClass, coop=coop, pk=post.get("id"))
            setup.member_class_update(actor=request.user, member_class=member_class, **data)
        return
    if action in ("share_new", "share_edit"):
        form = ShareTypeForm(post)
        if not form.is_valid():
            raise ValidationFailed(_("Give the share type a name, a value and holdings."))
        data = form.cleaned_data
        values = {
            "name": data["name"].strip(),
            "nominal_minor": _nominal(coop, data["nominal"]),
            "min_holding": data["min_holding"],
            "max_holding": data["max_holding"],
        }
        if action == "share_new":
            services.share_type_create(actor=request.user, coop=coop, **values)
        else:
            share_type = get_object_or_404(ShareType, coop=coop, pk=post.get("id"))
            setup.share_type_update(
                actor=request.user, share_type=share_type, is_active=data["is_active"], **values
            )
        return
    raise ValidationFailed(_("Choose what to change."))


@member_required
def coop_setup(request: HttpRequest, slug: str) -> HttpResponse:
    """Member classes and share types, kept by the co-op's stewards."""
    coop = _steward_coop(request, slug)
    if request.method == "POST":
        try:
            _setup_post(request, coop)
        except CORRECTABLE as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("governance:coop_setup", slug=coop.slug)
    exponent = coop.currency.exponent if coop.currency else 2
    return render(
        request,
        "governance/coop_setup.html",
        {
            "coop": coop,
            "classes": coop.classes.order_by("name"),
            "share_types": [
                (t, _plain(t.nominal_minor, exponent)) for t in coop.share_types.order_by("name")
            ],
            "class_form": ClassForm(),
            "share_form": ShareTypeForm(),
        },
    )


def _plain(amount: int, exponent: int) -> str:
    """An amount as a form field shows it (no grouping): 2500 cents -> "25.00"."""
    if exponent == 0:
        return str(amount)
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 10**exponent)
    return f"{sign}{whole}.{part:0{exponent}d}"


@member_required
def coop_stewards(request: HttpRequest, slug: str) -> HttpResponse:
    """The co-op's stewards name other active members stewards, or withdraw it."""
    coop = _steward_coop(request, slug)
    if request.method == "POST":
        form = StewardForm(request.POST)
        if form.is_valid():
            membership = get_object_or_404(
                Membership, coop=coop, pk=form.cleaned_data["membership"]
            )
            try:
                setup.coop_steward_set(
                    actor=request.user,
                    membership=membership,
                    is_steward=form.cleaned_data["is_steward"],
                    reason=form.cleaned_data["reason"],
                )
            except CORRECTABLE as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The co-op's stewards were changed."))
                return redirect("governance:coop_stewards", slug=coop.slug)
        else:
            messages.error(request, _("Say why."))
    members = queries.members_of(coop).filter(status=Membership.Status.ACTIVE)
    return render(request, "governance/coop_stewards.html", {"coop": coop, "members": members})
