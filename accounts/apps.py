from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "人员与单位"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import session_stamp_login

        user_logged_in.connect(session_stamp_login, dispatch_uid="accounts.session_stamp_login")
