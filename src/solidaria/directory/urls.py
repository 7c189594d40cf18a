from django.urls import path

from solidaria.directory import downloads, operator_views, views

app_name = "directory"
urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("map/", views.map_page, name="map"),
    path("organisations/new/", views.organisation_create, name="create"),
    path("organisations/<int:org_id>/", views.organisation_detail, name="detail"),
    path("organisations/<int:org_id>/edit/", views.organisation_edit, name="edit"),
    path("organisations/<int:org_id>/review/", views.organisation_review, name="review-decide"),
    path(
        "organisations/<int:org_id>/edit-review/",
        views.pending_edit_review,
        name="edit-review",
    ),
    path(
        "organisations/<int:org_id>/operators/claim/",
        operator_views.claim,
        name="operator-claim",
    ),
    path(
        "organisations/<int:org_id>/operators/<int:operator_id>/decide/",
        operator_views.decide,
        name="operator-decide",
    ),
    path(
        "organisations/<int:org_id>/operators/<int:operator_id>/end/",
        operator_views.end,
        name="operator-end",
    ),
    path("organisations/<int:org_id>/publish/", operator_views.publish, name="publish"),
    path("downloads/", downloads.downloads_page, name="downloads"),
    path("downloads/<str:fmt>/", downloads.download, name="download"),
    path("review/", views.review_queue, name="review"),
    path("import/", views.import_upload, name="import"),
]
