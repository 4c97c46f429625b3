from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("", views.print_page, name="print"),
    path("issue/", views.issue, name="issue"),
    path("record/", views.record, name="record"),
    path("<str:number>/download/", views.download, name="download"),
]
