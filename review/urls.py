from django.urls import path

from workflow.levels import LEVELS

from . import statistics_views, views

app_name = "review"

urlpatterns = [
    # A queue page for each level but the last (workflow/levels.py); the bureau's 待办列表 is its own page.
    *(
        path(f"{level.slug}/", views.level_queue, {"state": level.state}, name=level.queue.removeprefix("review:"))
        for level in LEVELS if not level.final
    ),
    path(f"{LEVELS[-1].slug}/", views.bureau_todo, name="bureau_todo"),
    path(f"{LEVELS[-1].slug}/batch/", views.bureau_batch, name="bureau_batch"),
    path("periods/", views.filing_periods, name="filing_periods"),
    path("mine/", views.my_decisions, name="my_decisions"),
    path("statistics/", statistics_views.statistics_page, name="statistics"),
    path("reminders/", views.reminders_sent, name="reminders_sent"),
    path("case/<id:pk>/", views.case, name="case"),
    path("case/<id:pk>/accept/", views.case_accept, name="case_accept"),
    path("case/<id:pk>/revoke/", views.case_revoke, name="case_revoke"),
    path("case/<id:pk>/materials.zip", views.case_zip, name="case_zip"),
]
