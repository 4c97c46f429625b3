from django.contrib import admin
from django.urls import include, path

from api.endpoints import api

from . import views


portal_patterns = (
    [
        path("", views.home, name="home"),
        path("healthz", views.health, name="health"),
        path("text-size/", views.text_size, name="text_size"),
        path("jobs/", views.job_list, name="job_list"),
        path("jobs/<id:pk>/", views.job_detail, name="job"),
        path("jobs/<id:pk>/progress/", views.job_progress, name="job_progress"),
        path("jobs/<id:pk>/download/", views.job_download, name="job_download"),
        path("messages/", views.message_list, name="messages"),
        path("messages/read-all/", views.messages_read_all, name="messages_read_all"),
        path("messages/<id:pk>/", views.message_detail, name="message"),
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
    path("api/keys/", include("api.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
