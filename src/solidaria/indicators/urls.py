from django.urls import path

from solidaria.indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.reports, name="reports"),
    path("compute/", views.compute, name="compute"),
    path("methods/", views.methods, name="methods"),
    path("<int:year>/", views.report, name="report"),
    path("<int:year>.csv", views.report_csv, name="report_csv"),
    path("<int:year>.jsonld", views.report_jsonld, name="report_jsonld"),
    path("<int:year>.pdf", views.report_pdf, name="report_pdf"),
]
