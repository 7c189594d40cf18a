from django.urls import path

from solidaria.ledger import checkpoint_views, operator_views, views

app_name = "ledger"
urlpatterns = [
    path("", views.home, name="home"),
    path("checkpoints.json", checkpoint_views.checkpoints_json, name="checkpoints"),
    path("join/", views.join, name="join"),
    path("accounts/<int:account_id>/", views.account_detail, name="account"),
    path("accounts/request/", views.account_request_new, name="account_request"),
    path(
        "accounts/<int:account_id>/operators/",
        operator_views.account_operators,
        name="account_operators",
    ),
    path("pay/", views.pay, name="pay"),
    path("request/", views.request_new, name="request"),
    path(
        "requests/<int:request_id>/<str:decision>/",
        views.request_decide,
        name="request_decide",
    ),
    path("transfers/<int:transfer_id>/", views.transfer_detail, name="transfer"),
    path("offers-wants/", views.listing_list, name="listings"),
    path("offers-wants/new/", views.listing_new, name="listing_new"),
    path("offers-wants/<int:listing_id>/", views.listing_detail, name="listing"),
    path("offers-wants/<int:listing_id>/close/", views.listing_close, name="listing_close"),
    path("steward/currencies/", views.steward_currencies, name="steward_currencies"),
    path("steward/currencies/<str:code>/", views.steward_currency_edit, name="steward_currency"),
    path("steward/accounts/", views.steward_accounts, name="steward_accounts"),
    path("steward/accounts/<int:account_id>/limits/", views.steward_limits, name="steward_limits"),
    path("steward/authorisations/", views.steward_queue, name="steward_queue"),
    path(
        "steward/account-requests/",
        views.steward_account_requests,
        name="steward_account_requests",
    ),
    path(
        "steward/currencies/<str:code>/credit-policy/",
        views.steward_credit_policy,
        name="steward_credit_policy",
    ),
]
