from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {"network_name": settings.SOLIDARIA["NETWORK_NAME"]}
