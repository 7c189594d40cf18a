from django.urls import path

from solidaria.murmurations import views

app_name = "murmurations"
urlpatterns = [
    path("v2/ping", views.ping, name="ping"),
    path("v2/nodes", views.nodes, name="nodes"),
    path("v2/nodes-sync", views.nodes_sync, name="nodes-sync"),
    path("v2/nodes/<str:node_id>", views.node, name="node"),
    path("v2/validate", views.validate, name="validate"),
    path("nodes/", views.steward_nodes, name="steward-nodes"),
]
