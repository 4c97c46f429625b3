from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("2fa/setup/", views.otp_setup, name="otp_setup"),
    path("2fa/verify/", views.otp_verify, name="otp_verify"),
    path("register/", views.register, name="register"),
    path("organisations/suggest/", views.organisation_suggest, name="organisation_suggest"),
    path("profile/", views.profile, name="profile"),
    path("profile/move/", views.membership_move, name="membership_move"),
    path("profile/memberships/<id:pk>/withdraw/", views.membership_withdraw, name="membership_withdraw"),
    path("password/", views.password_change, name="password_change"),
    path("password/forgot/", views.password_forgot, name="password_forgot"),
    path("password/forgot/code/", views.password_reset, name="password_reset"),
    path("unit/staff/", views.unit_staff, name="unit_staff"),
    path("unit/staff/<id:person_pk>/password-reset/", views.staff_password_reset, name="staff_password_reset"),
    path("unit/memberships/", views.membership_queue, name="membership_queue"),
    path("unit/memberships/<id:pk>/confirm/", views.membership_confirm, name="membership_confirm"),
    path("unit/memberships/<id:pk>/reject/", views.membership_reject, name="membership_reject"),
    path("unit/enrol/", views.staff_enrol, name="staff_enrol"),
    path("unit/enrol/template/", views.staff_enrol_template, name="staff_enrol_template"),
    path("department/subordinates/", views.subordinates, name="subordinates"),
    path("bureau/jurisdiction/", views.jurisdiction, name="jurisdiction"),
]
