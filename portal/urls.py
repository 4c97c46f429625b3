from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = "学时核认 · 系统管理"
admin.site.site_title = "学时核认 · 系统管理"
admin.site.index_title = "后台管理"

portal_patterns = (
    [
        path("", views.home, name="home"),
        path("healthz", views.health, name="health"),
        path("text-size/", views.text_size, name="text_size"),
        path("jobs/", views.job_list, name="job_list"),
        path("jobs/<id:pk>/", views.job_detail, name="job"),
        path("jobs/<id:pk>/progress/", views.job_progress, name="job_progress"),
        path("jobs/<id:pk>/download/", views.job_download, name="job_download"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("accounts/", include("accounts.urls")),
    path("hours/", include("hours.urls")),
    path("review/", include("review.urls")),
    path("certificates/", include("certificates.urls")),
    path("verify/", include("certificates.verify_urls")),
    path("admin/", admin.site.urls),
]
