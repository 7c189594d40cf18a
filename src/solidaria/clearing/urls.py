from django.urls import path

from solidaria.clearing import views

app_name = "clearing"
urlpatterns = [
    path("", views.home, name="home"),
    path("obligations/<int:pk>/settle/", views.obligation_settle, name="obligation_settle"),
    path("obligations/<int:pk>/<str:action>/", views.obligation_action, name="obligation_action"),
    path("import/", views.import_obligations, name="import"),
    path("runs/", views.run_start, name="run_start"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/decide/<str:decision>/", views.run_decide, name="run_decide"),
    path("runs/<int:pk>/respond/", views.run_respond, name="run_respond"),
    path("runs/<int:pk>/settle-in/", views.run_settle_in, name="run_settle_in"),
    path("runs/<int:pk>/notice/", views.notice, name="notice"),
    path("runs/<int:pk>/notice.<str:fmt>", views.notice, name="notice_file"),
]
