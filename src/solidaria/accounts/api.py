from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    role: str
    is_steward: bool


@router.get("/me", response=MeOut, summary="The authenticated member")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(id=user.pk, username=user.username, role=user.role, is_steward=user.is_steward)
