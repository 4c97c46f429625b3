from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("unit/", views.unit_queue, name="unit_queue"),
    path("superior/", views.superior_queue, name="superior_queue"),
    path("todo/", views.bureau_todo, name="bureau_todo"),
    path("todo/batch/", views.bureau_batch, name="bureau_batch"),
    path("periods/", views.filing_periods, name="filing_periods"),
    path("case/<id:pk>/", views.case, name="case"),
    path("case/<id:pk>/accept/", views.case_accept, name="case_accept"),
    path("case/<id:pk>/materials.zip", views.case_zip, name="case_zip"),
]
