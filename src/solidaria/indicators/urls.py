from django.urls import path

from solidaria.indicators import assessment_views as av
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
    path("assessments/", av.assessments, name="assessments"),
    path("assessments/new/", av.assessment_new, name="assessment_new"),
    path("assessments/auditors/", av.auditor_grant, name="auditor_grant"),
    path("assessments/catalogues/<str:key>.json", av.catalogue_json, name="catalogue_json"),
    path("assessments/catalogue/", av.catalogue_import, name="catalogue_import"),
    path("assessments/<int:pk>/", av.assessment, name="assessment"),
    path("assessments/<int:pk>/answers/", av.assessment_answers, name="assessment_answers"),
    path("assessments/<int:pk>/facts/", av.assessment_facts, name="assessment_facts"),
    path("assessments/<int:pk>/evidence/", av.assessment_evidence, name="assessment_evidence"),
    path(
        "assessments/<int:pk>/evidence/<int:evidence_id>/", av.evidence_file, name="evidence_file"
    ),
    path("assessments/<int:pk>/submit/", av.assessment_submit, name="assessment_submit"),
    path("assessments/<int:pk>/review/", av.assessment_review, name="assessment_review"),
    path("assessments/<int:pk>/signoff/", av.assessment_signoff, name="assessment_signoff"),
    path("assessments/<int:pk>/publish/", av.assessment_publish, name="assessment_publish"),
    path("balances/", av.network_balances, name="network_balances"),
    path("balances/<int:pk>/", av.balance, name="balance"),
]
