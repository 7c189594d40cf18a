from django.urls import path

from solidaria.creditcommons import views

app_name = "creditcommons"
urlpatterns = [
    path("", views.links, name="links"),
    path("links/<slug:slug>/handshake", views.link_handshake, name="link_handshake"),
    path("links/<slug:slug>/unfreeze", views.link_unfreeze, name="link_unfreeze"),
    # the signed protocol between neighbour networks
    path("<slug:op>", views.protocol, name="protocol"),
]
