from django.urls import path

from . import filing_views, ledger_views, views

app_name = "hours"

urlpatterns = [
    path("", views.declaration_list, name="declaration_list"),
    path("new/", views.declaration_new, name="declaration_new"),
    path("<id:pk>/", views.declaration_detail, name="declaration_detail"),
    path("<id:pk>/edit/", views.declaration_edit, name="declaration_edit"),
    path("<id:pk>/applicant/", views.declaration_applicant_edit, name="declaration_applicant_edit"),
    path("<id:pk>/years/add/", views.year_add, name="year_add"),
    path("<id:pk>/years/<id:year_pk>/delete/", views.year_delete, name="year_delete"),
    path("<id:pk>/years/<id:year_pk>/items/add/", views.item_add, name="item_add"),
    path("<id:pk>/years/<id:year_pk>/items/preview/", views.item_preview, name="item_preview"),
    path("<id:pk>/years/<id:year_pk>/claim/", views.training_claim, name="training_claim"),
    path("<id:pk>/items/<id:item_pk>/delete/", views.item_delete, name="item_delete"),
    path("<id:pk>/items/<id:item_pk>/evidence/", views.item_evidence_upload, name="item_evidence_upload"),
    path("<id:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("<id:pk>/evidence/<id:evidence_pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("<id:pk>/submit/", views.declaration_submit, name="declaration_submit"),
    path("<id:pk>/withdraw/", views.declaration_withdraw, name="declaration_withdraw"),
    path("<id:pk>/delete/", views.declaration_delete, name="declaration_delete"),
    path("evidence/<id:evidence_pk>/", views.evidence_file, name="evidence_file"),
    path("filings/", filing_views.filing_list, name="filing_list"),
    path("filings/new/", filing_views.filing_new, name="filing_new"),
    path("filings/review/", filing_views.filing_queue, name="filing_queue"),
    path("filings/<id:pk>/", filing_views.filing_detail, name="filing_detail"),
    path("filings/<id:pk>/edit/", filing_views.filing_edit, name="filing_edit"),
    path("filings/<id:pk>/submit/", filing_views.filing_submit, name="filing_submit"),
    path("filings/<id:pk>/withdraw/", filing_views.filing_withdraw, name="filing_withdraw"),
    path("filings/<id:pk>/delete/", filing_views.filing_delete, name="filing_delete"),
    path("filings/<id:pk>/roster/", filing_views.filing_roster, name="filing_roster"),
    path("filings/<id:pk>/notice/", filing_views.filing_file, {"which": "notice"}, name="filing_notice"),
    path("filings/<id:pk>/schedule/", filing_views.filing_file, {"which": "schedule"}, name="filing_schedule"),
    path("proxy/", views.proxy_list, name="proxy_list"),
    path("proxy/<id:person_pk>/new/", views.proxy_new, name="proxy_new"),
    path("staff/", ledger_views.staff_ledger, name="staff_ledger"),
    path("staff/remind/", ledger_views.staff_remind, name="staff_remind"),
    path("training-records/import/", views.training_import, name="training_import"),
    path("training-records/import/template.csv", views.training_import_template, name="training_import_template"),
]
