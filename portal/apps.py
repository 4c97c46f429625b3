from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    default = True  # the portal app's config; PortalAdminConfig below is named in INSTALLED_APPS
    name = "portal"
    verbose_name = "门户"

    def ready(self):
        from django.urls import register_converter

        from .converters import IdConverter

        # Registered before any URL configuration is read (ready() runs in django.setup()).
        register_converter(IdConverter, "id")


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the portal's site (portal/admin.PortalAdminSite) as the default one."""

    default = False
    default_site = "portal.admin.PortalAdminSite"
