"""People, their admission to the network and their role in it.

One instance serves one network, so the network membership lives on the user. Signing
up makes an *applicant*; a network steward admits, declines or suspends them with a
reason, or an invitation from a member admits them at once. Only admitted people are
members (`core.permissions.is_member`). Every change of state is an `AdmissionEvent`
(append-only), so "who was a member when voting opened" is a query over the history.
`steward`s run the network (review entries, admit people, set limits) and may use the
Django admin.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Admission(models.TextChoices):
    APPLIED = "applied", _("applied")
    ADMITTED = "admitted", _("admitted")
    DECLINED = "declined", _("declined")
    SUSPENDED = "suspended", _("suspended")
    LEFT = "left", _("left")


class Gender(models.TextChoices):
    """A gender a person declares themselves, only for the network's anonymous counts."""

    NOT_DECLARED = "", _("not declared")
    WOMAN = "woman", _("woman")
    MAN = "man", _("man")
    NON_BINARY = "non_binary", _("non-binary")
    ANOTHER = "another", _("another identity")
    PREFER_NOT_TO_SAY = "prefer_not_to_say", _("prefer not to say")


GENDER_OTHER_LENGTH = 40


class User(AbstractUser):
    class Role(models.TextChoices):
        MEMBER = "member", _("member")
        STEWARD = "steward", _("steward")

    role = models.CharField(_("network role"), max_length=16, choices=Role, default=Role.MEMBER)
    admission = models.CharField(
        _("membership"), max_length=16, choices=Admission, default=Admission.APPLIED
    )
    email_verified_at = models.DateTimeField(_("email verified"), null=True, blank=True)
    invitation_quota = models.PositiveIntegerField(
        _("invitations allowed"),
        default=3,
        help_text=_("How many people this member may invite; set by stewards."),
    )
    # What a person tells the network about themselves (their profile page shows it to
    # members): languages they speak, a short bio, and skills they offer in the time bank.
    languages = models.JSONField(_("languages"), default=list, blank=True)
    bio = models.TextField(_("about me"), max_length=2000, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    # Self-declared, optional, never shown to anyone else: the network indicators count it
    # only in aggregates (`indicators.network_io.genders`), small groups suppressed.
    gender = models.CharField(
        _("gender"), max_length=24, choices=Gender, default=Gender.NOT_DECLARED, blank=True
    )
    gender_other = models.CharField(
        _("gender, in your words"), max_length=GENDER_OTHER_LENGTH, blank=True
    )

    @property
    def is_steward(self) -> bool:
        return self.is_active and (self.role == self.Role.STEWARD or self.is_superuser)

    @property
    def is_admitted(self) -> bool:
        """A member of the network now: the one rule is `core.permissions.is_member`."""
        from solidaria.core.permissions import is_member

        return is_member(self)

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class AdmissionEvent(models.Model):
    """One change of a person's membership state. Append-only: the history is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="admission_events")
    at = models.DateTimeField(_("when"), db_index=True)
    from_state = models.CharField(max_length=16, choices=Admission, blank=True)
    to_state = models.CharField(max_length=16, choices=Admission)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    invitation = models.ForeignKey(
        "Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.user} {self.from_state or '-'} -> {self.to_state} at {self.at:%Y-%m-%d}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("admission events are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Invitation(models.Model):
    """A link that admits whoever signs up with it. Only a keyed hash of the code is kept."""

    inviter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    note = models.CharField(
        _("for whom (only you and stewards see this)"), max_length=200, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_by = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invited_by"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    is_revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation by {self.inviter} ({self.created_at:%Y-%m-%d})"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A member's API token; only its SHA-256 is stored, the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple[ApiToken, str]:
        raw = "sol_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=raw[4:12], token_hash=hash_token(raw)
        )
        return token, raw
