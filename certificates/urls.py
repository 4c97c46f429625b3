from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("", views.print_page, name="print"),
    path("issue/", views.issue, name="issue"),
    path("<str:number>/download/", views.download, name="download"),
]
