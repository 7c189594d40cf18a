"""Every write about people: sign-up, email verification, admission, invitations, tokens.

Admission is a small state machine (`TRANSITIONS`); each change writes an
`AdmissionEvent` and an audit event in the same transaction. Emails go out after
commit, so a rolled-back sign-up sends nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from solidaria.accounts.models import (
    GENDER_OTHER_LENGTH,
    Admission,
    AdmissionEvent,
    ApiToken,
    Gender,
    Invitation,
    User,
)
from solidaria.core import audit
from solidaria.core.errors import Conflict, NotFound, ValidationFailed
from solidaria.core.permissions import SYSTEM, require
from solidaria.notifications import events

VERIFY_SALT = "solidaria.accounts.email-verify"
INVITATION_SALT = "solidaria.accounts.invitation"
VERIFY_MAX_AGE = dt.timedelta(days=7)
INVITATION_LIFETIME = dt.timedelta(days=30)

# decision -> (states it may start from, state it leads to, reason required)
TRANSITIONS: dict[str, tuple[frozenset[str], str, bool]] = {
    "admit": (
        frozenset({Admission.APPLIED, Admission.DECLINED, Admission.SUSPENDED, Admission.LEFT}),
        Admission.ADMITTED,
        False,
    ),
    "decline": (frozenset({Admission.APPLIED}), Admission.DECLINED, True),
    "suspend": (frozenset({Admission.ADMITTED}), Admission.SUSPENDED, True),
}


def _public_url(path: str) -> str:
    return settings.SOLIDARIA["PUBLIC_URL"].rstrip("/") + path


def _change_state(
    *,
    user: User,
    to_state: str,
    actor: Any,
    reason: str = "",
    invitation: Invitation | None = None,
    verb: str,
) -> AdmissionEvent:
    event = AdmissionEvent(
        user=user,
        at=timezone.now(),
        from_state=user.admission,
        to_state=to_state,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
        invitation=invitation,
    )
    event.save(force_insert=True)
    user.admission = to_state
    user.save(update_fields=["admission"])
    audit.record(
        actor=actor,
        verb=verb,
        obj=user,
        reason=reason,
        data={"from": event.from_state, "to": to_state},
    )
    return event


# ---------------------------------------------------------------- sign-up and email


def invitation_hash(raw: str) -> str:
    """A keyed hash: a database reader cannot test guessed codes without the server key."""
    return salted_hmac(INVITATION_SALT, raw.strip(), algorithm="sha256").hexdigest()


def usable_invitation(raw: str | None) -> Invitation | None:
    if not raw:
        return None
    found = Invitation.objects.filter(code_hash=invitation_hash(raw)).first()
    if (
        found is None
        or found.is_revoked
        or found.used_by_id is not None
        or found.expires_at <= timezone.now()
        or not found.inviter.is_admitted
    ):
        return None
    return found


@transaction.atomic
def member_sign_up(
    *, username: str, email: str, password: str, invitation_code: str | None = None
) -> User:
    """A new person: an applicant, or a member at once with a valid invitation."""
    invitation = None
    if invitation_code:
        invitation = usable_invitation(invitation_code)
        if invitation is None:
            raise ValidationFailed(
                _(
                    "This invitation link is not valid any more. Ask for a new one, or sign up "
                    "without it and wait for a steward to admit you."
                ),
                field="invitation",
            )
        # lock the invitation: two sign-ups with one code race here, not in Python
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.used_by_id is not None:
            raise Conflict(_("This invitation has just been used by someone else."))
    user = User.objects.create_user(username=username, email=email, password=password)
    AdmissionEvent(user=user, at=timezone.now(), from_state="", to_state=Admission.APPLIED).save(
        force_insert=True
    )
    audit.record(actor=user, verb="accounts.member.sign_up", obj=user)
    if invitation is not None:
        invitation.used_by = user
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_by", "used_at"])
        _change_state(
            user=user,
            to_state=Admission.ADMITTED,
            actor=invitation.inviter,
            reason=_("invited by %(name)s") % {"name": invitation.inviter.username},
            invitation=invitation,
            verb="accounts.member.admit",
        )
    else:
        events.application_received(actor=user, user=user)
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(lambda: send_verification_email(user.pk, language=language))
    return user


def verification_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_SALT)


def send_verification_email(user_id: int, *, language: str = "en") -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return
    link = _public_url(reverse("verify_email", args=[verification_token(user)]))
    with translation.override(language):
        subject = _("Confirm your email address for %(network)s") % {
            "network": settings.SOLIDARIA["NETWORK_NAME"]
        }
        body = _(
            "Hello %(name)s,\n\nplease confirm your email address by opening this link:\n"
            "%(link)s\n\nThe link works for 7 days. If you did not sign up, ignore this email."
        ) % {"name": user.username, "link": link}
    send_mail(subject, body, None, [user.email])


@transaction.atomic
def email_verify(*, token: str) -> User:
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationFailed(
            _("This confirmation link has expired. Ask for a new one.")
        ) from None
    except signing.BadSignature:
        raise ValidationFailed(_("This confirmation link is not valid.")) from None
    user = User.objects.select_for_update().filter(pk=data.get("u")).first()
    if user is None or user.email != data.get("e"):
        raise ValidationFailed(_("This confirmation link is for an address that has changed."))
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        audit.record(actor=user, verb="accounts.email.verify", obj=user)
    return user


def _items(values: Any, *, field: str, most: int, longest: int) -> list[str]:
    """A list of short texts from a list or a comma-separated text: trimmed, no blanks,
    no repeats (case-insensitively), at most `most` of at most `longest` characters."""
    if isinstance(values, str):
        values = values.split(",")
    out: list[str] = []
    for value in values or []:
        text = str(value).strip()
        if text and text.casefold() not in {o.casefold() for o in out}:
            if len(text) > longest:
                raise ValidationFailed(
                    _("Each entry is at most %(n)s characters long.") % {"n": longest},
                    field=field,
                )
            out.append(text)
    if len(out) > most:
        raise ValidationFailed(_("Give at most %(n)s entries.") % {"n": most}, field=field)
    return out


PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "languages",
    "bio",
    "skills",
    "gender",
    "gender_other",
)


def _gender(gender: str, other: str | None) -> tuple[str, str]:
    """A declared gender and, for "another identity", the person's own short words (kept
    only with that choice)."""
    if gender not in Gender.values:
        raise ValidationFailed(_("Choose one of the listed answers."), field="gender")
    other = (other or "").strip()
    if gender != Gender.ANOTHER:
        return gender, ""
    if len(other) > GENDER_OTHER_LENGTH:
        raise ValidationFailed(
            _("Keep it under %(n)s characters.") % {"n": GENDER_OTHER_LENGTH},
            field="gender_other",
        )
    return gender, other


@transaction.atomic
def profile_update(
    *,
    actor: Any,
    first_name: str,
    last_name: str,
    email: str,
    languages: Any = None,
    bio: str | None = None,
    skills: Any = None,
    gender: str | None = None,
    gender_other: str | None = None,
) -> User:
    """A person edits their own name, email, languages, bio, time-bank skills and
    self-declared gender; a new email must be confirmed again. Fields left as None keep
    their value. The journal names the fields changed, never a gender."""
    require(actor, "accounts.profile.edit")
    user = User.objects.select_for_update().get(pk=actor.pk)
    email = email.strip()
    if not email:
        raise ValidationFailed(_("Give an email address."), field="email")
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationFailed(_("Another account uses this email address."), field="email")
    before = {f: getattr(user, f) for f in PROFILE_FIELDS}
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    if languages is not None:
        user.languages = _items(languages, field="languages", most=20, longest=40)
    if skills is not None:
        user.skills = _items(skills, field="skills", most=30, longest=80)
    if bio is not None:
        if len(bio.strip()) > 2000:
            raise ValidationFailed(_("Keep it under 2000 characters."), field="bio")
        user.bio = bio.strip()
    if gender is not None:
        user.gender, user.gender_other = _gender(gender, gender_other)
    email_changed = email.lower() != user.email.lower()
    user.email = email
    if email_changed:
        user.email_verified_at = None
    user.save(update_fields=[*PROFILE_FIELDS, "email_verified_at"])
    audit.record(
        actor=actor,
        verb="accounts.profile.update",
        obj=user,
        data={
            "fields": sorted(f for f in PROFILE_FIELDS if getattr(user, f) != before[f]),
            "email_changed": email_changed,
        },
    )
    if email_changed:
        language = translation.get_language() or settings.LANGUAGE_CODE
        transaction.on_commit(lambda: send_verification_email(user.pk, language=language))
    return user


def password_changed(*, actor: Any) -> None:
    """Django's PasswordChangeView set the new password: the journal says so (never what)."""
    require(actor, "accounts.profile.edit")
    audit.record(actor=actor, verb="accounts.password.change", obj=actor)


# ---------------------------------------------------------------- admission


def decisions_for(user: User) -> list[str]:
    """The decisions a steward can take on `user` now."""
    return [name for name, (sources, _t, _r) in TRANSITIONS.items() if user.admission in sources]


@transaction.atomic
def admission_decide(*, actor: Any, user_id: int, decision: str, reason: str = "") -> User:
    """A steward admits, declines or suspends a person (`TRANSITIONS` says from where)."""
    require(actor, "accounts.application.decide")
    if decision not in TRANSITIONS:
        raise ValidationFailed(_("Unknown decision."), field="decision")
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("No such person."))
    sources, target, needs_reason = TRANSITIONS[decision]
    reason = reason.strip()
    if needs_reason and not reason:
        raise ValidationFailed(_("Give a reason; the person will read it."), field="reason")
    if user.admission not in sources:
        raise Conflict(
            _("%(name)s is %(state)s; this decision does not apply.")
            % {"name": user.username, "state": user.get_admission_display()}
        )
    if getattr(actor, "pk", None) == user.pk:
        raise Conflict(_("You cannot decide on your own membership."))
    if decision == "admit" and user.email_verified_at is None and not reason:
        raise ValidationFailed(
            _(
                "%(name)s has not confirmed their email address yet. Wait for it, or give a "
                "reason for admitting them without it."
            )
            % {"name": user.username},
            field="reason",
        )
    _change_state(
        user=user, to_state=target, actor=actor, reason=reason, verb=f"accounts.member.{decision}"
    )
    events.admission_decided(actor=actor, user=user, reason=reason)
    return user


@transaction.atomic
def member_leave(*, actor: User, reason: str = "") -> User:
    """A person leaves the network; their history and their ledger records stay."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.admission in (Admission.LEFT, Admission.DECLINED):
        raise Conflict(_("You are not a member any more."))
    _change_state(
        user=user, to_state=Admission.LEFT, actor=actor, reason=reason, verb="accounts.member.leave"
    )
    return user


# ---------------------------------------------------------------- invitations


def invitations_left(user: User) -> int | None:
    """None means no limit (stewards)."""
    if user.is_steward:
        return None
    return max(0, user.invitation_quota - user.invitations.count())


@transaction.atomic
def invitation_create(*, actor: User, note: str = "") -> tuple[Invitation, str]:
    require(actor, "accounts.invitation.create")
    inviter = User.objects.select_for_update().get(pk=actor.pk)  # serialise the quota check
    left = invitations_left(inviter)
    if left is not None and left <= 0:
        raise Conflict(
            _("You have used all %(n)d of your invitations. A steward can give you more.")
            % {"n": inviter.invitation_quota}
        )
    raw = secrets.token_urlsafe(18)
    invitation = Invitation.objects.create(
        inviter=inviter,
        code_hash=invitation_hash(raw),
        note=note,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    audit.record(actor=actor, verb="accounts.invitation.create", obj=invitation)
    return invitation, raw


@transaction.atomic
def invitation_revoke(*, actor: User, invitation_id: int) -> None:
    updated = Invitation.objects.filter(
        pk=invitation_id, inviter=actor, used_by__isnull=True, is_revoked=False
    ).update(is_revoked=True)
    if not updated:
        raise NotFound(_("No such unused invitation."))
    audit.record(actor=actor, verb="accounts.invitation.revoke", obj=Invitation(pk=invitation_id))


@transaction.atomic
def invitation_quota_set(*, actor: Any, user_id: int, quota: int, reason: str = "") -> User:
    require(actor, "accounts.invitation.quota.set")
    if quota < 0 or quota > 1000:
        raise ValidationFailed(_("The quota must be between 0 and 1000."), field="quota")
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("No such person."))
    before = user.invitation_quota
    user.invitation_quota = quota
    user.save(update_fields=["invitation_quota"])
    audit.record(
        actor=actor,
        verb="accounts.invitation.quota_set",
        obj=user,
        reason=reason,
        data={"from": before, "to": quota},
    )
    return user


# ---------------------------------------------------------------- API tokens


@transaction.atomic
def token_issue(*, actor: User, name: str) -> tuple[ApiToken, str]:
    require(actor, "accounts.token.issue")
    token, raw = ApiToken.issue(user=actor, name=name)
    audit.record(actor=actor, verb="accounts.token.issue", obj=token)
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=actor, is_active=True).update(
        is_active=False
    )
    if not updated:
        raise NotFound(_("No such active token."))
    audit.record(actor=actor, verb="accounts.token.revoke", obj=ApiToken(pk=token_id))


# ---------------------------------------------------------------- stewards (first one)


@transaction.atomic
def steward_create(*, username: str, email: str = "", password: str | None = None) -> User:
    """The first network steward (`solidaria createsteward`): the platform itself acts."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, email=email, password=password)
        AdmissionEvent(
            user=user, at=timezone.now(), from_state="", to_state=Admission.APPLIED
        ).save(force_insert=True)
    user.role = User.Role.STEWARD
    user.email_verified_at = user.email_verified_at or timezone.now()
    user.save(update_fields=["role", "email_verified_at"])
    if user.admission != Admission.ADMITTED:
        _change_state(
            user=user,
            to_state=Admission.ADMITTED,
            actor=SYSTEM,
            reason="createsteward",
            verb="accounts.member.admit",
        )
    audit.record(actor=SYSTEM, verb="accounts.steward.create", obj=user)
    return user
