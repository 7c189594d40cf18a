from django.urls import path

from solidaria.governance import capital_views, coop_views, views

app_name = "governance"
urlpatterns = [
    path("", views.home, name="home"),
    path("polls/<int:pk>/", views.poll_detail, name="poll"),
    path("polls/<int:pk>/close/", views.poll_close, name="poll_close"),
    path("polls/<int:pk>/outcome/", views.poll_outcome, name="poll_outcome"),
    path("allocations/<int:pk>/", views.allocation_detail, name="allocation"),
    path("allocations/<int:pk>/csv/", views.allocation_csv, name="allocation_csv"),
    path("allocations/<int:pk>/accept/", views.allocation_accept, name="allocation_accept"),
    path("allocations/<int:pk>/poll/", capital_views.allocation_poll, name="allocation_poll"),
    path("new/", coop_views.coop_new, name="coop_new"),
    path("<slug:slug>/", views.coop_detail, name="coop"),
    path("<slug:slug>/setup/", coop_views.coop_setup, name="coop_setup"),
    path("<slug:slug>/stewards/", coop_views.coop_stewards, name="coop_stewards"),
    path("<slug:slug>/apply/", views.apply, name="apply"),
    path(
        "<slug:slug>/memberships/<int:membership_id>/",
        views.membership_action,
        name="membership_action",
    ),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/register/", views.register, name="register"),
    path("<slug:slug>/register.csv", views.register_csv, name="register_csv"),
    path(
        "<slug:slug>/certificates/<int:membership_id>.pdf",
        views.certificate,
        name="certificate",
    ),
    path("<slug:slug>/polls/new/", views.poll_new, name="poll_new"),
    path("<slug:slug>/bylaws/new/", views.bylaws_new, name="bylaws_new"),
    path("<slug:slug>/allocations/new/", views.allocation_new, name="allocation_new"),
    path(
        "<slug:slug>/allocations/from-ledger/",
        capital_views.allocation_from_ledger,
        name="allocation_from_ledger",
    ),
    path("<slug:slug>/shares/", capital_views.shares, name="shares"),
]
