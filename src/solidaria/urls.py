from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from solidaria.core import views as core_views
from solidaria.core.api import api

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("transparency/", core_views.transparency_page, name="transparency"),
    path("visibility/<str:kind>/<int:pk>/", core_views.visibility_set, name="visibility_set"),
    path("favicon.ico", RedirectView.as_view(url=static("core/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("api", RedirectView.as_view(url="/api/docs")),
    path("accounts/", include("solidaria.accounts.urls")),
    path("directory/", include("solidaria.directory.urls")),
    path("ledger/", include("solidaria.ledger.urls")),
    path("clearing/", include("solidaria.clearing.urls")),
    path("budgeting/", include("solidaria.budgeting.urls")),
    path("governance/", include("solidaria.governance.urls")),
    path("indicators/", include("solidaria.indicators.urls")),
    path("notifications/", include("solidaria.notifications.urls")),
    path("discussion/", include("solidaria.discussion.urls")),
    path("index/", include("solidaria.murmurations.urls")),
    path("cc/", include("solidaria.creditcommons.urls")),
    path("", include("solidaria.federation.urls")),
]

# A database that cannot be reached answers 503 with a sentence (core/unavailable.py).
handler500 = "solidaria.core.unavailable.server_error"
