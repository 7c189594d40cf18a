from __future__ import annotations

from django.db import transaction

from solidaria.accounts.models import ApiToken, User
from solidaria.core import audit
from solidaria.core.errors import NotFound


@transaction.atomic
def member_sign_up(*, username: str, email: str, password: str) -> User:
    user = User.objects.create_user(username=username, email=email, password=password)
    audit.record(actor=user, verb="member.sign_up", obj=user)
    return user


@transaction.atomic
def token_issue(*, actor: User, name: str) -> tuple[ApiToken, str]:
    token, raw = ApiToken.issue(user=actor, name=name)
    audit.record(actor=actor, verb="token.issue", obj=token)
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=actor, is_active=True).update(
        is_active=False
    )
    if not updated:
        raise NotFound("no such active token")
    audit.record(actor=actor, verb="token.revoke", obj=ApiToken(pk=token_id))
