from django.urls import path

from solidaria.budgeting import views

app_name = "budgeting"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.process_new, name="process_new"),
    path("import/", views.process_import, name="import"),
    path("<slug:slug>/", views.process_detail, name="process"),
    path("<slug:slug>/propose/", views.project_new, name="project_new"),
    path("<slug:slug>/projects/<int:project_id>/review/", views.project_review, name="review"),
    path(
        "<slug:slug>/projects/<int:project_id>/withdraw/",
        views.project_withdraw,
        name="withdraw",
    ),
    path("<slug:slug>/advance/", views.phase_advance, name="advance"),
    path("<slug:slug>/codes/", views.codes, name="codes"),
    path("<slug:slug>/vote/", views.vote, name="vote"),
    path("<slug:slug>/count/", views.count, name="count"),
    path("<slug:slug>/results/", views.results, name="results"),
    path("<slug:slug>/results/<int:result_id>/publish/", views.publish, name="publish"),
    path("<slug:slug>/results.csv", views.results_csv, name="results_csv"),
    path("<slug:slug>/ballots.csv", views.ballots_csv, name="ballots_csv"),
    path("<slug:slug>/export.pb", views.pabulib_export, name="pabulib"),
]
