from django.urls import path

from solidaria.federation import views

app_name = "federation"
urlpatterns = [
    path(
        "murmurations/organisations/<int:org_id>.json",
        views.murmurations_organisation,
        name="murmurations-organisation",
    ),
]
