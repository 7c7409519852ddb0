from django.urls import path

from . import views

urlpatterns = [
    path("", views.index),
    path("login/", views.login),
    path("logout/", views.logout),
    path("notes/", views.add_note),
    path("notes/<int:index>/", views.note),
    path("healthz/", views.healthz),
]
