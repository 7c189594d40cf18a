"""Project URLs plus placeholder `directory:list`/`directory:map` routes, used by the ledger
page tests only while the directory app has no pages (base.html links to them)."""

from django.http import HttpResponse
from django.urls import include, path

from solidaria.urls import urlpatterns as project_urlpatterns


def _placeholder(request: object) -> HttpResponse:
    return HttpResponse("")


directory_stub = (
    [path("", _placeholder, name="list"), path("map/", _placeholder, name="map")],
    "directory",
)
urlpatterns = [p for p in project_urlpatterns if getattr(p, "namespace", None) != "directory"] + [
    path("directory/", include(directory_stub))
]
