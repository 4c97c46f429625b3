"""Public verification (no login): the QR code and the printed number lead here."""
from django.urls import path

from . import views

app_name = "verify"

urlpatterns = [
    path("", views.verify_index, name="index"),
    path("bulk/", views.verify_bulk, name="bulk"),
    path("<str:number>/", views.verify_certificate, name="certificate"),
]
