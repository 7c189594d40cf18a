from django.urls import path

from solidaria.federation import views

app_name = "federation"
urlpatterns = [
    path(
        "murmurations/organisations/<int:org_id>.json",
        views.murmurations_organisation,
        name="murmurations-organisation",
    ),
    path("murmurations/network.json", views.murmurations_network, name="murmurations-network"),
    path(
        "murmurations/offers-wants/<int:listing_id>.json",
        views.murmurations_listing,
        name="murmurations-listing",
    ),
    path("federation/", views.status, name="status"),
    path(
        "federation/registrations/<int:registration_id>/retry/",
        views.registration_retry,
        name="registration-retry",
    ),
    path(
        "federation/entries/<int:profile_id>/decide/",
        views.profile_decide,
        name="profile-decide",
    ),
]
