from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    """The ground every app stands on: input policy, storage, jobs, logging. Knows no feature."""

    default = True  # CoreAdminConfig below is named in INSTALLED_APPS for the admin
    name = "core"
    verbose_name = "基础设施"

    def ready(self):
        from django.urls import register_converter

        from . import ratelimit  # noqa: F401 (registers the shared-cache deployment check)
        from .converters import IdConverter

        # Registered before any URL configuration is read (ready() runs in django.setup()).
        register_converter(IdConverter, "id")


class CoreAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the portal's site (core/admin.PortalAdminSite) as the default one."""

    default = False
    default_site = "core.admin.PortalAdminSite"
