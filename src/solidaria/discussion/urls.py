from django.urls import path

from solidaria.discussion import views

app_name = "discussion"
urlpatterns = [
    path("comments/<int:pk>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:pk>/hide/", views.comment_hide, name="comment_hide"),
    path("comments/<int:pk>/report/", views.comment_report, name="comment_report"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/resolve/", views.report_resolve, name="report_resolve"),
    path("people/<str:username>/", views.person, name="person"),
    path("conversations/", views.conversations, name="conversations"),
    path("conversations/<int:pk>/", views.conversation, name="conversation"),
    path(
        "conversations/<int:pk>/payment-request/",
        views.conversation_request,
        name="conversation_request",
    ),
    path(
        "offers-wants/<int:listing_id>/message/",
        views.listing_conversation,
        name="listing_conversation",
    ),
    path("<str:kind>/<int:pk>/", views.thread, name="thread"),
    path("<str:kind>/<int:pk>/comments/", views.comment_new, name="comment_new"),
]
