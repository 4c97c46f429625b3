from django.urls import path

from . import views

app_name = "api_keys"

urlpatterns = [
    path("", views.key_list, name="list"),
    path("new/", views.key_new, name="new"),
    path("<id:pk>/revoke/", views.key_revoke, name="revoke"),
]
